"""os/: the module's facts equal Python's; environ, kill and urandom behave."""
import errno
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import Transaction

VOLATILE_SYSCONF = {"SC_AVPHYS_PAGES"}  # free memory changes between two reads




def refused(fn, err):
    with pytest.raises(OSError) as e:
        fn()
    assert e.value.errno == err, os.strerror(e.value.errno)


def test_constants(osfs):
    for name in ("name", "sep", "linesep", "pathsep", "devnull"):
        assert osfs.read("os", name) == getattr(os, name) + "\n", name


def test_cpu_counts(osfs):
    assert int(osfs.read("os", "cpu_count")) == os.cpu_count()
    assert int(osfs.read("os", "process_cpu_count")) == len(os.sched_getaffinity(0))


def test_loadavg(osfs):
    ours = [float(x) for x in osfs.read("os", "loadavg").split()]
    assert len(ours) == 3
    for a, b in zip(ours, os.getloadavg()):
        assert abs(a - b) < 1.0


def test_uname(osfs):
    u = os.uname()
    want = {f: getattr(u, f) for f in ("sysname", "nodename", "release", "version", "machine")}
    assert json.loads(osfs.read("os", "uname.json")) == want
    assert osfs.read("os", "uname").splitlines() == [f"{k}={v}" for k, v in want.items()]


def answers(fn, *args):
    try:
        return fn(*args) is not None
    except OSError:
        return False


def test_sysconf_whole_table(osfs):
    # Listed: the names this system answers; the others answer as Python when named.
    listed = set(os.listdir(osfs.p("os", "sysconf")))
    assert listed >= {n for n in os.sysconf_names if answers(os.sysconf, n)}
    assert not listed & {n for n in os.sysconf_names if not answers(os.sysconf, n)}
    for name in listed:
        osfs.read("os", "sysconf", name)  # what is listed answers
    for name in os.sysconf_names:
        try:
            want = os.sysconf(name)
        except OSError as e:
            refused(lambda: osfs.read("os", "sysconf", name), e.errno)
            continue
        if name not in VOLATILE_SYSCONF:
            assert osfs.read("os", "sysconf", name) == f"{want}\n", name


def test_confstr_whole_table(osfs):
    listed = set(os.listdir(osfs.p("os", "confstr")))
    assert listed >= {n for n in os.confstr_names if answers(os.confstr, n)}
    assert not listed & {n for n in os.confstr_names if not answers(os.confstr, n)}
    for name in listed:
        osfs.read("os", "confstr", name)
    for name in os.confstr_names:
        want = os.confstr(name)
        if want is None:
            refused(lambda: osfs.read("os", "confstr", name), errno.ENODATA)
        else:
            assert osfs.read("os", "confstr", name) == want + "\n", name


def test_unknown_sysconf_name(fresh):
    refused(lambda: fresh.read("os", "sysconf", "SC_NOPE"), errno.ENOENT)
    assert fresh.errors() == []  # a name that does not exist: ENOENT, no line


def test_urandom_is_sized(osfs):
    for n in (0, 1, 16, 4096, 1 << 20):
        data = open(osfs.p("os", "urandom", str(n)), "rb").read()
        assert len(data) == n
    big = open(osfs.p("os", "urandom", str(1 << 20)), "rb").read()
    assert len(set(big)) == 256  # every byte value turns up in a MiB
    assert open(osfs.p("os", "urandom", "64"), "rb").read() != open(osfs.p("os", "urandom", "64"), "rb").read()
    with open(osfs.p("os", "urandom", "100"), "rb") as f:  # one open is one answer
        assert f.read(50) + f.read(50) == os.pread(f.fileno(), 100, 0)
    r = subprocess.run(["head", "-c", "16", osfs.p("os", "urandom", "16")], capture_output=True)
    assert len(r.stdout) == 16
    assert os.listdir(osfs.p("os", "urandom")) == []  # no size is listed: tree walks read nothing
    refused(lambda: open(osfs.p("os", "urandom")).read(), errno.EISDIR)
    refused(lambda: open(osfs.p("os", "urandom", "16"), "wb"), errno.EACCES)


def test_urandom_refusals(fresh):
    # Python: os.urandom(-1) is ValueError; past osfs's cap, ERANGE
    refused(lambda: fresh.read("os", "urandom", "-1"), errno.EINVAL)
    refused(lambda: fresh.read("os", "urandom", str((1 << 20) + 1)), errno.ERANGE)
    refused(lambda: fresh.read("os", "urandom", "lots"), errno.ENOENT)
    lines = fresh.errors()
    assert "os/urandom/-1 EINVAL: negative argument not allowed" in lines[0]
    assert "os/urandom/1048577 ERANGE:" in lines[1]


def test_getrandom(osfs):
    names = {n: int(osfs.read("os", "constants", n)) for n in ("GRND_NONBLOCK", "GRND_RANDOM")}
    assert names == {"GRND_NONBLOCK": os.GRND_NONBLOCK, "GRND_RANDOM": os.GRND_RANDOM}
    for spec, n, flags in [("16", 16, 0), ("16,GRND_NONBLOCK", 16, os.GRND_NONBLOCK),
                           ("32,GRND_RANDOM|GRND_NONBLOCK", 32, os.GRND_RANDOM | os.GRND_NONBLOCK),
                           ("0,1", 0, 1), ("8,0", 8, 0)]:
        assert len(open(osfs.p("os", "getrandom", spec), "rb").read()) == len(os.getrandom(n, flags))
    # a flag the kernel does not know: Python's OSError, EINVAL
    with pytest.raises(OSError) as e:
        os.getrandom(4, 0x4000)
    refused(lambda: osfs.read("os", "getrandom", f"4,{0x4000}"), e.value.errno)
    refused(lambda: osfs.read("os", "getrandom", "4,GRND_NOPE"), errno.ENOENT)
    refused(lambda: osfs.read("os", "getrandom", "-4"), errno.EINVAL)


def test_path_constants(osfs):
    for name in ("curdir", "pardir", "extsep", "defpath"):
        assert osfs.read("os", name) == getattr(os, name) + "\n", name
    assert os.altsep is None
    refused(lambda: osfs.read("os", "altsep"), errno.ENODATA)  # None, as confstr's


def python_constants():
    """Every int constant of Python's os, but posix_spawn's file_actions tags
    (Python's own numbering, no C value)."""
    return {n: getattr(os, n) for n in dir(os)
            if n.isupper() and type(getattr(os, n)) is int and not n.startswith("POSIX_SPAWN_")}


def test_constants_are_pythons(osfs):
    want = python_constants()
    listed = set(os.listdir(osfs.p("os", "constants")))
    assert set(want) <= listed
    for name, value in want.items():
        assert osfs.read("os", "constants", name) == f"{value}\n", name
    refused(lambda: osfs.read("os", "constants", "O_NOPE"), errno.ENOENT)


def test_constant_families(osfs):
    listed = os.listdir(osfs.p("os", "constants"))
    families = [n[:-5] for n in listed if n.endswith(".json")]
    assert {"O", "SEEK", "SCHED", "PRIO", "RTLD", "CLD", "P", "W", "EX"} <= set(families)
    want = python_constants()
    seen = set()
    for family in families:
        j = json.loads(osfs.read("os", "constants", family + ".json"))
        plain = dict(line.split("=") for line in osfs.read("os", "constants", family).splitlines())
        assert {k: str(v) for k, v in j.items()} == plain
        assert list(j) == sorted(j)
        for name, value in j.items():
            assert osfs.read("os", "constants", name) == f"{value}\n"
            if name in want:
                assert value == want[name], name
        seen |= set(j)
    assert set(want) <= seen  # every Python constant is in a family
    # a family is its prefix's constants that Python has (WNOHANG... in W)
    for family in ("O", "SEEK", "SCHED", "PRIO", "RTLD", "CLD", "EX", "ST", "GRND", "EFD", "MFD"):
        j = json.loads(osfs.read("os", "constants", family + ".json"))
        assert {n for n in want if n.startswith(family + "_")} <= set(j), family
    assert {"WNOHANG", "WUNTRACED", "WCONTINUED", "WEXITED", "WSTOPPED", "WNOWAIT"} <= \
        set(json.loads(osfs.read("os", "constants", "W.json")))


def test_constants_are_cached_with_their_size(osfs):
    for name in ("O_RDONLY", "SEEK.json", "EX"):
        path = osfs.p("os", "constants", name)
        assert os.stat(path).st_size == len(open(path, "rb").read())


def test_pathconf(osfs, tmp_path):
    assert json.loads(osfs.read("os", "pathconf_names.json")).items() >= os.pathconf_names.items()
    plain = dict(line.split("=") for line in osfs.read("os", "pathconf_names").splitlines())
    assert {k: int(v) for k, v in plain.items()} == json.loads(osfs.read("os", "pathconf_names.json"))
    call = Transaction(osfs.p("os", "pathconf"))
    try:
        for path in ("/", "/tmp", "/proc", "/dev/null", str(tmp_path), "/nonexistent", "relative"):
            for name in os.pathconf_names:
                try:
                    want = f"{os.pathconf(path, name)}\n"
                except OSError as e:
                    want = e.errno
                err, got = call.ask(f"{path}\t{name}")
                assert (got if err is None else err) == want, (path, name)
        err, got = call.ask("/\tPC_NOPE")
        assert err == errno.EINVAL and "unrecognized configuration name 'PC_NOPE'" in got
        err, got = call.ask("/")
        assert err == errno.EINVAL
    finally:
        call.close()


STABLE_STATVFS = ("f_bsize", "f_frsize", "f_blocks", "f_files", "f_flag", "f_namemax", "f_fsid")


def test_statvfs(osfs, tmp_path):
    for json_form in (False, True):
        call = Transaction(osfs.p("os", "statvfs.json" if json_form else "statvfs"))
        try:
            for path in ("/", "/proc", str(tmp_path), "/dev/shm", "."):
                want = os.statvfs(path)
                err, got = call.ask(path)
                assert err is None, got
                ours = json.loads(got) if json_form else \
                    {k: int(v) for k, v in (line.split("=") for line in got.splitlines())}
                fields = [f for f in dir(want) if f.startswith("f_")]
                assert sorted(ours) == sorted(fields)
                for f in STABLE_STATVFS:
                    assert ours[f] == getattr(want, f), (path, f)
                for f in set(fields) - set(STABLE_STATVFS):  # free space moves
                    assert abs(ours[f] - getattr(want, f)) <= max(1024, getattr(want, f) // 100)
            for path in ("/nonexistent", "", f"{tmp_path}/x/y"):
                with pytest.raises(OSError) as e:
                    os.statvfs(path)
                err, got = call.ask(path)
                assert err == e.value.errno and got == f"error: {errno.errorcode[err]}: {e.value}\n"
        finally:
            call.close()


def test_statvfs_is_relative_to_the_writer(osfs, tmp_path):
    (tmp_path / "sub").mkdir()
    r = subprocess.run(["bash", "-c", f'exec 3<> {osfs.p("os", "statvfs.json")}; echo sub >&3; cat <&3'],
                       cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["f_blocks"] == os.statvfs(tmp_path).f_blocks


def test_grouplist(osfs):
    import grp
    import pwd
    for user in pwd.getpwall()[:20]:
        want = os.getgrouplist(user.pw_name, user.pw_gid)
        assert osfs.read("os", "grouplist", user.pw_name).split() == [str(g) for g in want], user
    refused(lambda: osfs.read("os", "grouplist", "no-such-user-here"), errno.ENOENT)
    assert grp.getgrgid(0)


def test_sync(osfs):
    with open(osfs.p("os", "sync"), "w") as f:
        f.write("1\n")
    assert os.stat(osfs.p("os", "sync")).st_mode & 0o777 == 0o200


def test_environ_is_the_daemons(make_mount):
    m = make_mount(env={"PATH": os.environ["PATH"], "OSFS_TEST_VAR": "hello world"})
    assert m.read("os", "environ", "OSFS_TEST_VAR") == "hello world\n"
    assert json.loads(m.read("os", "environ.json")) == {
        "PATH": os.environ["PATH"], "OSFS_TEST_VAR": "hello world"}
    assert os.stat(m.p("os", "environ")).st_mode & 0o777 == 0o700


def test_environ_set_append_unset(fresh):
    env = fresh.p("os", "environ")
    sh = lambda cmd: subprocess.run(["bash", "-c", cmd], cwd=env, capture_output=True, text=True)
    assert sh("echo one > NEWVAR").returncode == 0
    assert fresh.read("os", "environ", "NEWVAR") == "one\n"
    assert sh("echo two >> NEWVAR").returncode == 0  # >> replaces too: a setting
    assert fresh.read("os", "environ", "NEWVAR") == "two\n"
    assert sh("printf 'no newline' > NEWVAR").returncode == 0
    assert fresh.read("os", "environ", "NEWVAR") == "no newline\n"
    fd = os.open(os.path.join(env, "NEWVAR"), os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"two\nlines\n")  # one write() is one value; one newline is stripped
    os.close(fd)
    assert fresh.read("os", "environ", "NEWVAR") == "two\nlines\n"
    assert "NEWVAR" in os.listdir(env)
    assert json.loads(fresh.read("os", "environ.json"))["NEWVAR"] == "two\nlines"
    os.unlink(os.path.join(env, "NEWVAR"))
    assert "NEWVAR" not in os.listdir(env)
    refused(lambda: fresh.read("os", "environ", "NEWVAR"), errno.ENOENT)
    refused(lambda: os.unlink(os.path.join(env, "NEWVAR")), errno.ENOENT)
    r = sh("touch EMPTY")
    assert r.returncode == 0, r.stderr
    assert fresh.read("os", "environ", "EMPTY") == "\n"


def test_environ_json_as_json_dumps_writes_it(make_mount):
    """Bytes that are no UTF-8 are what os.environ's surrogateescape made of them:
    environ.json stays JSON, and reads back as Python's os.environ holds them."""
    raw = {b"PATH": os.environ["PATH"].encode(), b"BAD": b"\xff\xfeA", b"Q": b'say "hi"\\',
           b"CTL": b"a\x01\x7f\tb", b"UNI": "\u00e9\u2603".encode(), b"N\xe9": b"1"}
    m = make_mount(env=raw)
    want = subprocess.run(["/usr/bin/python3", "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
                          env=raw, capture_output=True, text=True, check=True).stdout
    got = json.loads(open(m.p("os", "environ.json"), "rb").read())
    mine = json.loads(want)
    mine.pop("LC_CTYPE", None)  # Python's own, its C locale coercion
    assert got == mine


def test_environ_bad_name_is_refused_in_the_write(fresh):
    r = subprocess.run(["bash", "-c", f'echo x > "{fresh.p("os", "environ", "A=B")}"'],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    assert "os/environ/A=B EINVAL: 'A=B' cannot be an environment variable name" in fresh.errors()[-1]
    # a lookup miss where names may be created is a question, not a refusal
    assert not any("NEWVAR ENOENT" in line for line in fresh.errors())


def test_environ_is_not_created_elsewhere(fresh):
    refused(lambda: open(fresh.p("os", "NEWFILE"), "w"), errno.EACCES)


@pytest.mark.parametrize("sig", ["TERM", "SIGTERM", "sigterm", str(int(signal.SIGTERM))])
def test_kill(fresh, sleeper, sig):
    with open(fresh.p("os", "kill"), "w") as f:
        f.write(f"{sleeper.pid} {sig}\n")
    assert sleeper.wait(timeout=5) == -signal.SIGTERM


def test_kill_several_lines_and_signal_zero(fresh, sleeper):
    other = subprocess.Popen(["sleep", "60"])
    try:
        with open(fresh.p("os", "kill"), "w") as f:
            f.write(f"{sleeper.pid} 0\n{sleeper.pid} USR1\n{other.pid} KILL\n")
        assert sleeper.wait(timeout=5) == -signal.SIGUSR1
        assert other.wait(timeout=5) == -signal.SIGKILL
    finally:
        other.kill()
        other.wait()


def test_kill_realtime_signal(fresh, sleeper):
    with open(fresh.p("os", "kill"), "w") as f:
        f.write(f"{sleeper.pid} SIGRTMIN+2\n")
    assert sleeper.wait(timeout=5) == -(signal.SIGRTMIN + 2)


@pytest.mark.parametrize("request_,err,message", [
    ("{pid} NOPE", errno.EINVAL, "unknown signal 'NOPE'"),
    ("{pid}", errno.EINVAL, "expected 'PID SIGNAL'"),
    ("{pid} TERM extra", errno.EINVAL, "expected 'PID SIGNAL'"),
    ("abc TERM", errno.EINVAL, "is not a process id"),
    ("{pid} -3", errno.EINVAL, "out of range"),
    ("{pid} 99", errno.EINVAL, "out of range"),
    ("999999999 TERM", errno.ESRCH, "no process 999999999"),
])
def test_kill_refusals(fresh, sleeper, request_, err, message):
    line = request_.format(pid=sleeper.pid) + "\n"
    r = subprocess.run(["bash", "-c", f'printf %s "{line}" > "{fresh.p("os", "kill")}"'],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert os.strerror(err) in r.stderr
    assert sleeper.poll() is None
    last = fresh.errors()[-1]
    assert f"os/kill {errno.errorcode[err]}: " in last and message in last


def test_kill_partial_line_is_taken_at_close(fresh, sleeper):
    fd = os.open(fresh.p("os", "kill"), os.O_WRONLY)
    os.write(fd, f"{sleeper.pid} ".encode())
    os.write(fd, b"TERM")  # no newline yet
    time.sleep(0.1)
    assert sleeper.poll() is None
    os.close(fd)
    assert sleeper.wait(timeout=5) == -signal.SIGTERM


def test_kill_is_not_readable(make_mount):
    # Write-only: users are stopped by the mode; root, whom modes do not stop,
    # reads it as empty (as any write-only file), and nothing is sent.
    m = make_mount("-o", "allow_other", public=True)
    assert os.stat(m.p("os", "kill")).st_mode & 0o444 == 0
    assert open(m.p("os", "kill")).read() == ""
    r = subprocess.run(NOBODY + ["cat", m.p("os", "kill")], capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    r = subprocess.run(NOBODY + ["cat", m.p("os", "name")], capture_output=True, text=True)
    assert r.stdout == "posix\n"  # the mount itself is open to nobody
    assert m.errors() == []
    assert m.unmount() == 0


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_kill_only_what_the_caller_may_signal(make_mount, sleeper):
    # With allow_other, another user writes os/kill as itself: it may not signal
    # root's process, and may signal its own.
    m = make_mount("-o", "allow_other", public=True)
    r = subprocess.run(NOBODY + ["bash", "-c", f'echo "{sleeper.pid} TERM" > {m.p("os", "kill")}'],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    assert sleeper.poll() is None
    assert "os/kill EPERM: process " in m.errors()[-1]
    own = subprocess.Popen(NOBODY + ["sleep", "60"])
    try:
        time.sleep(0.2)
        r = subprocess.run(NOBODY + ["bash", "-c", f'echo "{own.pid} TERM" > {m.p("os", "kill")}'],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert own.wait(timeout=5) == -signal.SIGTERM
    finally:
        own.kill()
        own.wait()
    assert m.unmount() == 0


def test_tools_over_the_whole_tree_finish(osfs, tmp_path):
    # no node returns endless bytes: recursive readers end, with bounded output
    for argv in (["grep", "-r", "-l", "x", osfs.path], ["tar", "cf", "-", "-C", osfs.path, "."],
                 ["find", osfs.path, "-type", "f", "-exec", "cat", "{}", "+"]):
        r = subprocess.run(argv, capture_output=True, timeout=60)
        assert len(r.stdout) < 16 << 20, argv


NUMBERED_PY = r"""
import json, os, resource
def ask(f, *a):
    try:
        v = f(*a)
        return ["ok", list(v) if isinstance(v, tuple) else v]
    except OSError as e:
        return ["err", e.errno]
    except ValueError:
        return ["err", 22]
print(json.dumps({str(n): [ask(os.sysconf, n), ask(os.confstr, n), ask(resource.getrlimit, n)]
                  for n in list(range(-2, 260)) + [1000, 65536]}))
"""


def test_configuration_names_given_as_numbers(fresh):
    """os.sysconf, os.confstr and resource.getrlimit take an int for the name: so
    do sysconf/N, confstr/N and os/self/rlimit/N (N as str(int) writes it)."""
    want = json.loads(subprocess.run(["/usr/bin/python3", "-c", NUMBERED_PY], capture_output=True,
                                     text=True, check=True).stdout)

    def ours(*path):
        try:
            return ["ok", fresh.read(*path)]
        except OSError as e:
            return ["err", e.errno]
    varies = {str(os.sysconf_names[name]) for name in VOLATILE_SYSCONF}
    for n, (sc, cs, rl) in want.items():
        got = ours("os", "sysconf", n)
        if n in varies:
            assert got[0] == "ok", ("sysconf", n)
        else:
            assert got == (["ok", f"{sc[1]}\n"] if sc[0] == "ok" else sc), ("sysconf", n)
        got = ours("os", "confstr", n)
        if cs == ["ok", None]:  # no value here: Python's None
            assert got == ["err", errno.ENODATA], ("confstr", n)
        else:
            assert got == (["ok", f"{cs[1]}\n"] if cs[0] == "ok" else cs), ("confstr", n)
        got = ours("os", "self", "rlimit", n)
        if rl[0] == "ok":
            assert got == ["ok", f"soft={rl[1][0]}\nhard={rl[1][1]}\n"], ("rlimit", n)
        else:
            assert got == rl, ("rlimit", n)
    assert ours("os", "sysconf", "030") == ["err", errno.ENOENT]  # not as str(int) writes it
