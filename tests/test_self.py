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


def test_terminal_size_of_a_pipe_is_enotty(osfs):
    r = subprocess.run(["cat", osfs.p("os", "self", "terminal_size")], capture_output=True, text=True)
    assert r.returncode == 1 and "Inappropriate ioctl" in r.stderr


def test_missing_caller_variable(fresh):
    with pytest.raises(OSError) as e:
        fresh.read("os", "self", "environ", "NO_SUCH_VARIABLE_HERE")
    assert e.value.errno == errno.ENOENT
    assert "not in the caller's environment" in fresh.errors()[-1]
