"""os/: the module's facts equal Python's; environ, kill and urandom behave."""
import errno
import json
import os
import signal
import subprocess
import time

import pytest

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


def test_sysconf_whole_table(osfs):
    listed = set(os.listdir(osfs.p("os", "sysconf")))
    assert listed >= set(os.sysconf_names)
    for name in os.sysconf_names:
        try:
            want = os.sysconf(name)
        except OSError as e:
            refused(lambda: osfs.read("os", "sysconf", name), e.errno)
            continue
        if name not in VOLATILE_SYSCONF:
            assert osfs.read("os", "sysconf", name) == f"{want}\n", name


def test_confstr_whole_table(osfs):
    assert set(os.listdir(osfs.p("os", "confstr"))) >= set(os.confstr_names)
    for name in os.confstr_names:
        want = os.confstr(name)
        if want is None:
            refused(lambda: osfs.read("os", "confstr", name), errno.ENODATA)
        else:
            assert osfs.read("os", "confstr", name) == want + "\n", name


def test_unknown_sysconf_name(fresh):
    refused(lambda: fresh.read("os", "sysconf", "SC_NOPE"), errno.ENOENT)
    assert "os/sysconf/SC_NOPE ENOENT: unknown sysconf name 'SC_NOPE'" in fresh.errors()[-1]


def test_urandom(osfs):
    r = subprocess.run(["head", "-c", "1M", osfs.p("os", "urandom")], capture_output=True)
    assert r.returncode == 0 and len(r.stdout) == 1 << 20
    assert len(set(r.stdout)) == 256  # every byte value turns up in a MiB
    with open(osfs.p("os", "urandom"), "rb") as f:
        assert f.read(64) != f.read(64)
        assert not f.seekable()
    refused(lambda: open(osfs.p("os", "urandom"), "wb"), errno.EACCES)


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


def test_kill_is_not_readable(fresh):
    refused(lambda: open(fresh.p("os", "kill")).read(), errno.EACCES)


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
