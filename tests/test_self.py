"""os/self/: the calling process, as it sees itself from Python."""
import errno
import fcntl
import json
import os
import resource
import struct
import subprocess
import sys
import termios

import pytest

# A child Python reads os/self and reports what it read beside what it knows.
PROBE = r"""
import json, os, sys, threading
root = sys.argv[1]
def umask():
    u = os.umask(0)
    os.umask(u)
    return u
def read(*p):
    with open(os.path.join(root, "os", "self", *p)) as f:
        return f.read()
out = {
    "pid": (read("pid"), os.getpid()), "ppid": (read("ppid"), os.getppid()),
    "pgid": (read("pgid"), os.getpgrp()), "sid": (read("sid"), os.getsid(0)),
    "uid": (read("uid"), os.getuid()), "euid": (read("euid"), os.geteuid()),
    "gid": (read("gid"), os.getgid()), "egid": (read("egid"), os.getegid()),
    "groups": (read("groups"), os.getgroups()),
    "cwd": (os.readlink(os.path.join(root, "os", "self", "cwd")), os.getcwd()),
    "exe": (os.readlink(os.path.join(root, "os", "self", "exe")), os.path.realpath(sys.executable)),
    "cmdline": (read("cmdline"), None),
    "nice": (read("nice"), os.nice(0)),
    "affinity": (read("cpu_affinity"), sorted(os.sched_getaffinity(0))),
    "umask": (read("umask"), umask()),
    "resuid": (read("resuid"), list(os.getresuid())), "resgid": (read("resgid"), list(os.getresgid())),
    "exec_path": (read("exec_path"), os.get_exec_path()),
    "ctermid": (read("ctermid"), os.ctermid()),
    "FOO": (read("environ", "FOO"), os.environ["FOO"]),
    "environ": (sorted(os.listdir(os.path.join(root, "os", "self", "environ"))), sorted(os.environ)),
}
seen = []
t = threading.Thread(target=lambda: seen.append(read("pid")))
t.start(); t.join()
out["thread_pid"] = (seen[0], os.getpid())
print(json.dumps(out))
"""


def probe(osfs, **kw):
    env = dict(os.environ, FOO="bar baz")
    r = subprocess.run([sys.executable, "-c", PROBE, osfs.path], capture_output=True, text=True,
                       env=env, check=True, **kw)
    return json.loads(r.stdout)


def test_identity(osfs):
    out = probe(osfs, cwd="/usr")
    for key in ("pid", "ppid", "pgid", "sid", "uid", "euid", "gid", "egid", "nice"):
        ours, want = out[key]
        assert ours == f"{want}\n", key
    assert out["groups"][0].split() == [str(g) for g in out["groups"][1]]
    assert out["cwd"] == ["/usr", "/usr"]
    assert out["exe"][0] == out["exe"][1]
    assert out["cmdline"][0].splitlines()[:2] == [sys.executable, "-c"]
    assert out["affinity"][0].split() == [str(c) for c in out["affinity"][1]]
    assert out["FOO"] == ["bar baz\n", "bar baz"]
    assert out["environ"][0] == out["environ"][1]
    assert out["thread_pid"][0] == f"{out['thread_pid'][1]}\n"  # a thread: its process
    assert out["umask"][0] == f"{out['umask'][1]:04o}\n"
    for key in ("resuid", "resgid", "exec_path"):
        assert out[key][0].split("\n")[:-1] == [str(v) for v in out[key][1]], key
    assert out["ctermid"][0] == out["ctermid"][1] + "\n"


@pytest.mark.parametrize("path", [None, "", "/usr/bin::/bin:", "/a b"])
def test_exec_path(osfs, path):
    env = {"HOME": "/"}
    if path is not None:
        env["PATH"] = path
    code = f"import os; print(repr((open({osfs.p('os', 'self', 'exec_path')!r}).read(), os.get_exec_path())))"
    ours, want = eval(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                     text=True, check=True).stdout)
    assert ours == "".join(p + "\n" for p in want)


def test_umask_is_read_not_changed(osfs):
    r = subprocess.run(["bash", "-c", f"umask 0077; cat {osfs.p('os', 'self', 'umask')}; umask"],
                       capture_output=True, text=True, check=True)
    assert r.stdout == "0077\n0077\n"


def test_login(osfs):
    # os.getlogin() of the reader, and its refusal where there is no login
    code = f"""
import os
try:
    want = os.getlogin()
except OSError as e:
    want = e.errno
try:
    ours = open({osfs.p('os', 'self', 'login')!r}).read()
except OSError as e:
    ours = e.errno
print(repr((ours, want)))
"""
    for stdin in (subprocess.DEVNULL, None):
        ours, want = eval(subprocess.run([sys.executable, "-c", code], stdin=stdin, capture_output=True,
                                         text=True, check=True).stdout)
        assert ours == (want + "\n" if isinstance(want, str) else want)


# A child on a new pseudo-terminal (its controlling terminal), reading os/self with
# some descriptors elsewhere, beside what Python says in the same process.
PTY_PROBE = r"""
import json, os, sys
root, fds = sys.argv[1], json.loads(sys.argv[2])
def ours(*p):
    try:
        with open(os.path.join(root, "os", "self", *p)) as f:
            return f.read()
    except OSError as e:
        return e.errno
def py(fn, *a):
    try:
        return fn(*a)
    except OSError as e:
        return e.errno
out = {"tcgetpgrp": [ours("tcgetpgrp"), py(lambda: os.tcgetpgrp(os.open("/dev/tty", os.O_RDONLY)))],
       "ttyname": [[ours("ttyname", str(fd)), py(os.ttyname, fd)] for fd in fds],
       "size": ours("terminal_size.json")}
print(json.dumps(out))
"""


def pty_child(osfs, fds, redirect):
    """Runs PTY_PROBE in a new session on a new pty of 33 lines by 99 columns;
    redirect: which of fds 0, 1, 2 go to /dev/null or a pipe instead."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 99, 0, 0))
    out_r, out_w = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    std = {0: slave, 1: slave, 2: slave}
    std.update({fd: null for fd in redirect})
    script = PTY_PROBE + "\nos.write(int(sys.argv[3]), json.dumps(out).encode())"
    script = script.replace("print(json.dumps(out))", "")

    def child():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    try:
        p = subprocess.Popen([sys.executable, "-c", script, osfs.path, json.dumps(fds), str(out_w)],
                             stdin=std[0], stdout=std[1], stderr=std[2], preexec_fn=child,
                             pass_fds=(out_w,))
        os.close(out_w)
        data = b""
        while chunk := os.read(out_r, 65536):
            data += chunk
        p.wait(timeout=10)
        return json.loads(data), p.pid
    finally:
        for fd in (master, slave, out_r, null):
            os.close(fd)


def test_terminal_on_a_pty(osfs):
    for redirect in ([], [1], [0, 1], [0, 1, 2]):
        out, pid = pty_child(osfs, [0, 1, 2, 7], redirect)
        # the first terminal of 0, 1, 2, else the controlling one: the same pty here
        assert out["size"] and json.loads(out["size"]) == {"columns": 99, "lines": 33}, redirect
        for ours, want in out["ttyname"]:
            assert ours == (want + "\n" if isinstance(want, str) else want), redirect
        ours, want = out["tcgetpgrp"]
        assert ours == f"{want}\n" and want == pid  # the child leads its session's group


def test_no_terminal(osfs):
    r = subprocess.run(["setsid", "cat", osfs.p("os", "self", "terminal_size")], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Inappropriate ioctl" in r.stderr
    r = subprocess.run(["setsid", "cat", osfs.p("os", "self", "tcgetpgrp")], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "No such device or address" in r.stderr  # open("/dev/tty"): ENXIO


def test_a_child_sees_itself(osfs):
    # The same path read by two processes gives each its own pid.
    r = subprocess.run(["sh", "-c", f'echo $$; exec cat {osfs.p("os", "self", "pid")}'],
                       capture_output=True, text=True, check=True)
    shell, cat = r.stdout.split()
    assert shell == cat  # exec: cat is the shell's process
    r = subprocess.run(["sh", "-c", f'echo $$; cat {osfs.p("os", "self", "pid")}; '
                        f'cat {osfs.p("os", "self", "ppid")}'], capture_output=True, text=True)
    shell, cat, parent = r.stdout.split()
    assert cat != shell and parent == shell


def test_nice_affinity_rlimit_of_the_caller(osfs):
    run = lambda *argv: subprocess.run(list(argv), capture_output=True, text=True, check=True).stdout
    assert run("nice", "-n", "7", "cat", osfs.p("os", "self", "nice")) == "7\n"
    assert run("taskset", "-c", "1", "cat", osfs.p("os", "self", "cpu_affinity")) == "1\n"
    assert run("taskset", "-c", "1", "cat", osfs.p("os", "process_cpu_count")) == "1\n"
    assert run("prlimit", "--nofile=123:456", "cat",
               osfs.p("os", "self", "rlimit", "RLIMIT_NOFILE")) == "soft=123\nhard=456\n"


def test_rlimit_table(osfs):
    names = {n for n in dir(resource) if n.startswith("RLIMIT_")}
    assert set(os.listdir(osfs.p("os", "self", "rlimit"))) >= names
    for name in names:
        soft, hard = resource.getrlimit(getattr(resource, name))
        assert osfs.read("os", "self", "rlimit", name) == f"soft={soft}\nhard={hard}\n", name


def test_times(osfs):
    deadline = os.times().user + 0.2
    while os.times().user < deadline:  # burn some CPU so that the numbers mean something
        pass
    before = os.times()
    ours = json.loads(osfs.read("os", "self", "times.json"))
    after = os.times()
    for field in ("user", "system", "children_user", "children_system", "elapsed"):
        assert getattr(before, field) - 0.011 <= ours[field] <= getattr(after, field) + 0.011, field
    plain = dict(line.split("=") for line in osfs.read("os", "self", "times").splitlines())
    assert set(plain) == set(ours)


def test_terminal_size(osfs):
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 99, 0, 0))
        subprocess.run(["cat", osfs.p("os", "self", "terminal_size.json")], stdout=slave, check=True)
        out = os.read(master, 4096).decode().replace("\r\n", "\n")
        assert json.loads(out) == {"columns": 99, "lines": 33}
        assert os.get_terminal_size(slave) == (99, 33)  # Python says the same
    finally:
        os.close(master)
        os.close(slave)




def test_missing_caller_variable(fresh):
    with pytest.raises(OSError) as e:
        fresh.read("os", "self", "environ", "NO_SUCH_VARIABLE_HERE")
    assert e.value.errno == errno.ENOENT
    assert fresh.errors() == []  # a name that does not exist: ENOENT, no line


RLIMITS_AS_SEEN = r"""
import json, os, resource, sys
mnt = sys.argv[1]
out = {}
for name in sorted(n for n in dir(resource) if n.startswith("RLIMIT_")):
    soft, hard = resource.getrlimit(getattr(resource, name))
    with open(os.path.join(mnt, "os", "self", "rlimit", name)) as f:
        out[name] = [f"soft={soft}\nhard={hard}\n", f.read()]
print(json.dumps(out))
"""


def test_rlimit_of_another_users_process(make_mount):
    """A second user's own limits, as resource.getrlimit gives them in its process,
    whether or not the daemon may prlimit() that process (root without
    CAP_SYS_RESOURCE, an unprivileged owner with allow_other)."""
    m = make_mount("-oallow_other", public=True)
    r = subprocess.run(["prlimit", "--nofile=123:456", "--core=0:unlimited", "--",
                        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        sys.executable, "-c", RLIMITS_AS_SEEN, m.path],
                       capture_output=True, text=True, check=True)
    seen = json.loads(r.stdout)
    assert seen["RLIMIT_NOFILE"][0] == "soft=123\nhard=456\n"
    for name, (python, ours) in seen.items():
        assert ours == python, name
    assert m.errors() == []


RAW_ENV = r"""
import ctypes, json, os, sys
libc = ctypes.CDLL(None)
env = [e.encode() for e in json.loads(sys.argv[1])] + [None]
argv = [a.encode() for a in sys.argv[2:]] + [None]
libc.execve(argv[0], (ctypes.c_char_p * len(argv))(*argv), (ctypes.c_char_p * len(env))(*env))
"""

SHOW_ENV = r"""
import json, os, sys
root = sys.argv[1]
mine = os.path.join(root, "os", "self", "environ")
print(json.dumps({"python": dict(os.environ),
                  "osfs": {name: open(os.path.join(mine, name)).read()[:-1]
                           for name in os.listdir(mine)}}))
"""


def test_environment_with_a_name_twice_or_a_slash(fresh):
    """An environment as execve gives it: a name twice is its first value (as
    os.environ takes it), and a name with '/' is left out of the listing."""
    env = ["DUP=first", "DUP=second", "A/B=1", "PLAIN=x", "=novalue", "EMPTY="]
    out = subprocess.run(["/usr/bin/python3", "-c", RAW_ENV, json.dumps(env), "/usr/bin/python3",
                          "-c", SHOW_ENV, fresh.path], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["python"]["DUP"] == "first"
    # (no file is named '' or 'A/B'; LC_CTYPE is Python's own, its C locale coercion)
    assert got["osfs"] == {k: v for k, v in got["python"].items()
                           if k and "/" not in k and k != "LC_CTYPE"}


def test_cwd_of_a_removed_directory(fresh, tmp_path):
    """os.getcwd() in a directory since removed is FileNotFoundError; so is the
    link os/self/cwd (the kernel's '/path (deleted)' is no directory)."""
    gone = tmp_path / "gone"
    gone.mkdir()
    code = ("import os, sys; os.rmdir(sys.argv[1])\n"
            "def ask(f):\n    try: return f()\n    except OSError as e: return e.errno\n"
            "print(ask(os.getcwd), ask(lambda: os.readlink(sys.argv[2])))")
    out = subprocess.run(["/usr/bin/python3", "-c", code, str(gone), fresh.p("os", "self", "cwd")],
                         cwd=gone, capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(errno.ENOENT), str(errno.ENOENT)]
    assert os.readlink(fresh.p("os", "self", "cwd")) == os.getcwd()
