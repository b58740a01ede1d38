"""Permissions with -o allow_other: a second user, made by the test, sees its own
os/self, cannot write settings or documents, cannot read os/environ, cannot use
ffi, and os/kill lets it signal only its own processes."""
import signal
import subprocess


def as_user(user, script):
    return subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                           "--clear-groups", "bash", "-c", script],
                          capture_output=True, text=True, timeout=20)


def test_a_second_user(make_mount, stranger, sleeper):
    m = make_mount("-o", "allow_other,ffi", public=True)
    # os/self is the reader's own: bash's builtin read runs in the shell itself
    r = as_user(stranger, f'read p < {m.p("os", "self", "pid")}; read u < {m.p("os", "self", "uid")}; '
                          f'echo "$p $$ $u"')
    assert r.returncode == 0, r.stderr
    pid, shell, uid = r.stdout.split()
    assert pid == shell and int(uid) == stranger.pw_uid
    # reading the shared tree is fine
    assert as_user(stranger, f'cat {m.p("errno", "ENOENT")}').stdout == "2\n"

    denied = {
        "write a setting": f'echo DEBUG > {m.p("logging", "loggers", "root", "level")}',
        "write a document": f'echo "{{\\"version\\": 1}}" > {m.p("logging", "config")}',
        "write the environment": f'echo x > {m.p("os", "environ", "PATH")}',
        "read the environment": f'cat {m.p("os", "environ", "PATH")}',
        "read environ.json": f'cat {m.p("os", "environ.json")}',
        "list ffi": f'ls {m.p("ffi")}',
        "call ffi": f'echo "libc.so.6 getpid int" > {m.p("ffi", "call")}',
        "set the time zone": f'echo UTC > {m.p("time", "tz")}',
    }
    for what, script in denied.items():
        r = as_user(stranger, script)
        assert r.returncode != 0 and "Permission denied" in r.stderr, (what, r.stderr)
    assert m.read("logging", "loggers", "root", "level") == "WARNING\n"  # nothing changed

    # os/kill: root's process is refused, its own is signalled
    r = as_user(stranger, f'echo "{sleeper.pid} TERM" > {m.p("os", "kill")}')
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    assert sleeper.poll() is None
    r = as_user(stranger, f'sleep 60 & echo "$! TERM" > {m.p("os", "kill")}; wait $!; echo $?')
    assert r.returncode == 0 and r.stdout == f"{128 + signal.SIGTERM}\n", r.stderr
    assert m.unmount() == 0


def test_a_refused_kill_fails_its_close(make_mount, stranger, sleeper):
    """A last line without a newline acts at its writer's close(), and a refusal
    fails that close() (coreutils' printf checks it); a child that inherited the
    descriptor and exits does not end the shell's unfinished line."""
    m = make_mount("-o", "allow_other", public=True)
    kill = m.p("os", "kill")
    r = as_user(stranger, f'/usr/bin/printf "{sleeper.pid} TERM" > {kill}')
    assert r.returncode != 0 and "Operation not permitted" in r.stderr, r
    assert sleeper.poll() is None
    r = as_user(stranger, f'sleep 60 & /usr/bin/printf "$! TERM" > {kill} && wait $!; echo $?')
    assert r.returncode == 0 and r.stdout == f"{128 + signal.SIGTERM}\n", r
    # the shell's own line, across a child that exits holding descriptor 3
    r = as_user(stranger, f'sleep 60 & exec 3>{kill}; printf "$!" >&3; /bin/true; '
                          f'printf " TERM" >&3; exec 3>&-; wait $!; echo $?')
    assert r.returncode == 0 and r.stdout == f"{128 + signal.SIGTERM}\n", r
    assert not [line for line in m.errors() if "os/kill" in line and "EINVAL" in line]
