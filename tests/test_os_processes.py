"""os/kill, os/killpg, os/priority, os/proc/PID, os/sched and os/self/nice compared
with Python's os functions, called by the same user on twin processes: root, and a
second user the test makes, on a mount with allow_other.  Each operation runs twice,
once through osfs and once through Python, on processes made alike; the errno and
the state each leaves must agree."""
import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

# Runs a list of operations as the user it is started as, through the files of the
# mount (mode "fs") or through Python's os module (mode "py"), and prints
# [["ok", value] | ["err", errno], ...].
AGENT = r'''
import json, os, sys
root, mode, ops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
P = lambda *parts: os.path.join(root, "os", *[str(x) for x in parts])
WHICH = {"PRIO_PROCESS": os.PRIO_PROCESS, "PRIO_PGRP": os.PRIO_PGRP, "PRIO_USER": os.PRIO_USER}
POLICY = {n: getattr(os, n) for n in dir(os) if n.startswith("SCHED_")}
def read(path):
    with open(path) as f:
        return f.read()
def write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
def fs(op, *a):
    if op == "kill": return write(P("kill"), f"{a[0]} {a[1]}\n")
    if op == "killpg": return write(P("killpg"), f"{a[0]} {a[1]}\n")
    if op == "getpriority": return int(read(P("priority", a[0], a[1])))
    if op == "setpriority": return write(P("priority", a[0], a[1]), f"{a[2]}\n")
    if op == "nice": return write(P("self", "nice"), f"{int(read(P('self', 'nice'))) + a[0]}\n")
    if op == "getpgid": return int(read(P("proc", a[0], "pgid")))
    if op == "getsid": return int(read(P("proc", a[0], "sid")))
    if op == "procnice": return int(read(P("proc", a[0], "nice")))
    if op == "getaffinity": return sorted(int(x) for x in read(P("proc", a[0], "cpu_affinity")).split())
    if op == "setaffinity": return write(P("proc", a[0], "cpu_affinity"), " ".join(map(str, a[1])) + "\n")
    if op == "getscheduler": return json.loads(read(P("proc", a[0], "sched.json")))["policy"]
    if op == "getparam": return json.loads(read(P("proc", a[0], "sched.json")))["priority"]
    if op == "setscheduler": return write(P("proc", a[0], "sched"), f"{a[1]} {a[2]}")
    if op == "rr": return float(read(P("proc", a[0], "rr_interval")))
    if op == "prio_min": return int(read(P("sched", a[0], "priority_min")))
    if op == "prio_max": return int(read(P("sched", a[0], "priority_max")))
def py(op, *a):
    if op == "kill": return os.kill(a[0], a[1])
    if op == "killpg": return os.killpg(a[0], a[1])
    if op == "getpriority": return os.getpriority(WHICH[a[0]], a[1])
    if op == "setpriority": return os.setpriority(WHICH[a[0]], a[1], a[2])
    if op == "nice": return os.nice(a[0]) and None
    if op == "getpgid": return os.getpgid(a[0])
    if op == "getsid": return os.getsid(a[0])
    if op == "procnice": return os.getpriority(os.PRIO_PROCESS, a[0])
    if op == "getaffinity": return sorted(os.sched_getaffinity(a[0]))
    if op == "setaffinity": return os.sched_setaffinity(a[0], a[1])
    if op == "getscheduler": return os.sched_getscheduler(a[0])
    if op == "getparam": return os.sched_getparam(a[0]).sched_priority
    if op == "setscheduler":
        policy = POLICY.get(str(a[1]).split("|")[0], a[1])
        if "|" in str(a[1]): policy |= os.SCHED_RESET_ON_FORK
        return os.sched_setscheduler(a[0], policy, os.sched_param(a[2]))
    if op == "rr": return os.sched_rr_get_interval(a[0])
    if op == "prio_min": return os.sched_get_priority_min(POLICY.get(str(a[0]), a[0]))
    if op == "prio_max": return os.sched_get_priority_max(POLICY.get(str(a[0]), a[0]))
out = []
for op in ops:
    try:
        out.append(["ok", (fs if mode == "fs" else py)(*op)])
    except OSError as e:
        out.append(["err", e.errno])
    except ValueError:
        out.append(["err", errno_EINVAL])
    except OverflowError:
        out.append(["err", errno_ERANGE])
print(json.dumps(out))
'''.replace("errno_EINVAL", str(errno.EINVAL)).replace("errno_ERANGE", str(errno.ERANGE))


@pytest.fixture(scope="module")
def mnt(tmp_path_factory):
    import tempfile
    from conftest import Mount
    base = tempfile.mkdtemp(prefix="osfs-")
    os.chmod(base, 0o755)
    path = os.path.join(base, "mnt")
    os.mkdir(path)
    m = Mount(path, "-o", "allow_other")
    try:
        yield m
    finally:
        assert m.unmount() == 0
        m.check_output()


def as_user(user):
    if user is None:
        return []
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]


def agent(mnt, user, mode, ops):
    r = subprocess.run(as_user(user) + [sys.executable, "-c", AGENT, mnt.path, mode, json.dumps(ops)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


class Group:
    """A new session of `sleep`s: its leader's pid is the group and session id."""

    def __init__(self, user=None, n=2):
        script = " & ".join(["sleep 60"] * n) + " & wait"
        self.proc = subprocess.Popen(as_user(user) + ["setsid", "sh", "-c", script])
        deadline = time.monotonic() + 5
        while len(self.members()) < n + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.pgid = self.proc.pid

    @staticmethod
    def in_group(pgid):
        found = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if os.getpgid(int(d)) == pgid:
                        found.append(int(d))
                except OSError:
                    pass
        return sorted(found)

    @staticmethod
    def alive_in(pgid):
        alive = []
        for p in Group.in_group(pgid):
            try:
                with open(f"/proc/{p}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(p)
            except OSError:
                pass
        return alive

    def members(self):
        return self.in_group(self.proc.pid)

    def alive(self):
        return self.alive_in(self.proc.pid)

    def close(self):
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        # Gone, not only killed: a member still exiting keeps its niceness, and a
        # later PRIO_USER case would meet it.
        deadline = time.monotonic() + 5
        while self.members() and time.monotonic() < deadline:
            time.sleep(0.01)


def twins(user=None, n=2):
    return Group(user, n), Group(user, n)


def differential(mnt, user, make_ops, n=2, state=None):
    """Runs make_ops(group) through osfs on one group and through Python on its
    twin: the results, and state(group) after, must agree."""
    a, b = twins(user, n)
    try:
        ours = agent(mnt, user, "fs", make_ops(a))
        want = agent(mnt, user, "py", make_ops(b))
        assert ours == want, (make_ops(a), ours, want)
        if state:
            assert state(a) == state(b)
        return ours
    finally:
        a.close()
        b.close()


def nices(g):
    return sorted(os.getpriority(os.PRIO_PROCESS, p) for p in g.members())


def test_kill_with_signal_zero_is_pythons_answer(mnt, stranger):
    # signal 0 only asks: every pid form, as root and as the second user
    g = Group()
    try:
        ids = [1, 0, -1, g.pgid, -g.pgid, 999999, -999999, -2147483648, 2147483647, os.getpid()]
        for user in (None, stranger):
            ops = [["kill", i, 0] for i in ids] + [["killpg", i, 0] for i in ids]
            assert agent(mnt, user, "fs", ops) == agent(mnt, user, "py", ops), user
    finally:
        g.close()


@pytest.mark.parametrize("form", ["kill", "killpg"])
def test_signal_a_group(mnt, stranger, form):
    for user in (None, stranger):
        g, other = Group(user), Group(user)
        try:
            target = -g.pgid if form == "kill" else g.pgid
            assert agent(mnt, user, "fs", [[form, target, signal.SIGTERM]]) == [["ok", None]]
            deadline = time.monotonic() + 5
            while g.alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not g.alive() and len(other.alive()) == 3
        finally:
            g.close()
            other.close()


def test_kill_zero_is_the_writers_own_group(mnt, stranger):
    # the writer is a shell in a session of its own, with two sleeps beside it
    script = f'sleep 60 & sleep 60 & sleep 0.2; echo "0 TERM" > {mnt.p("os", "kill")}; echo survived'
    p = subprocess.Popen(as_user(stranger) + ["bash", "-c", script], stdout=subprocess.PIPE,
                         text=True, start_new_session=True)
    out, _ = p.communicate(timeout=20)
    assert p.returncode == -signal.SIGTERM and "survived" not in out
    deadline = time.monotonic() + 5  # the sleeps too
    while Group.alive_in(p.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not Group.alive_in(p.pid)


def test_a_second_user_signals_only_its_own(mnt, stranger):
    mine, theirs = Group(), Group(stranger)
    try:
        # -1 reaches every process the writer may signal: the stranger's, not root's
        ops = [["kill", -mine.pgid, signal.SIGTERM], ["killpg", mine.pgid, signal.SIGTERM],
               ["kill", mine.pgid, signal.SIGTERM], ["kill", -1, signal.SIGTERM]]
        assert agent(mnt, stranger, "fs", ops) == [["err", errno.EPERM]] * 3 + [["ok", None]]
        deadline = time.monotonic() + 5
        while theirs.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not theirs.alive() and len(mine.alive()) == 3
        assert "os/kill EPERM: process " in mnt.errors()[-3]
    finally:
        mine.close()
        theirs.close()


def test_kill_refusals_are_pythons(mnt):
    ops = [["killpg", -5, 0], ["kill", 999999, 99]]
    assert agent(mnt, None, "fs", ops) == agent(mnt, None, "py", ops)


WHICH = ["PRIO_PROCESS", "PRIO_PGRP", "PRIO_USER"]


def test_getpriority(mnt, stranger):
    g = Group(stranger)
    try:
        subprocess.run(["renice", "-n", "7", "-g", str(g.pgid)], capture_output=True, check=True)
        for user in (None, stranger):
            ops = [["getpriority", w, who] for w in WHICH
                   for who in (0, 1, g.pgid, g.members()[-1], stranger.pw_uid, 999999, -1)]
            assert agent(mnt, user, "fs", ops) == agent(mnt, user, "py", ops)
    finally:
        g.close()


@pytest.mark.parametrize("case", [
    # (who the target is, the class, the value): each as the stranger
    ("own", "PRIO_PROCESS", 5), ("own", "PRIO_PROCESS", 100), ("own", "PRIO_PGRP", 9),
    ("own", "PRIO_PROCESS", -3), ("root", "PRIO_PROCESS", 10), ("root", "PRIO_PGRP", 10),
    ("own", "PRIO_USER", 4), ("none", "PRIO_PROCESS", 1), ("none", "PRIO_PGRP", 1),
])
def test_setpriority_with_the_writers_rights(mnt, stranger, case):
    owner, which, value = case
    user = stranger if owner != "root" else None

    def ops(g):
        who = {"PRIO_PROCESS": g.members()[-1], "PRIO_PGRP": g.pgid, "PRIO_USER": stranger.pw_uid}[which]
        return [["setpriority", which, 999999 if owner == "none" else who, value]]
    a, b = twins(user)
    try:
        ours = agent(mnt, stranger, "fs", ops(a))
        want = agent(mnt, stranger, "py", ops(b))
        assert ours == want
        assert nices(a) == nices(b)
    finally:
        a.close()
        b.close()


def test_lowering_a_niceness_needs_the_right(mnt, stranger):
    def ops(g):
        p = g.members()[-1]
        return [["setpriority", "PRIO_PROCESS", p, 10], ["setpriority", "PRIO_PROCESS", p, 2]]
    assert differential(mnt, stranger, ops, state=nices)[1] == ["err", errno.EACCES]
    # root may
    assert differential(mnt, None, ops, state=nices) == [["ok", None]] * 2


def test_self_nice_is_os_nice(mnt, stranger):
    # os.nice: up is free, down is EPERM for an unprivileged process
    ops = [["nice", 3], ["nice", 0], ["nice", -2], ["procnice", 0]]
    for user in (None, stranger):
        assert agent(mnt, user, "fs", ops) == agent(mnt, user, "py", ops)
    r = subprocess.run(as_user(stranger) + ["bash", "-c", f'echo 5 > {mnt.p("os/self/nice")}; '
                                            f'cat {mnt.p("os/self/nice")}; echo 1 > {mnt.p("os/self/nice")}'],
                       capture_output=True, text=True)
    assert r.stdout == "5\n" and "Operation not permitted" in r.stderr


def test_proc_pid_is_what_python_tells(mnt, stranger):
    g = Group(stranger)
    try:
        subprocess.run(["renice", "-n", "3", "-p", str(g.members()[-1])], capture_output=True, check=True)
        pids = [0, 1, os.getpid(), g.pgid, g.members()[-1], 999999, -1, -5, 2**31, -2**31 - 1,
                10**20]
        ops = [[op, p] for p in pids for op in ("getpgid", "getsid", "procnice", "getaffinity",
                                                "getscheduler", "getparam", "rr")]
        for user in (None, stranger):
            ours, want = agent(mnt, user, "fs", ops), agent(mnt, user, "py", ops)
            for op, o, w in zip(ops, ours, want):
                if op[1] == 0 and op[0] in ("getpgid", "getsid"):
                    continue  # the reader's own: the two agents are two processes
                assert o == w, op
    finally:
        g.close()


def test_affinity_with_the_writers_rights(mnt, stranger):
    cpus = sorted(os.sched_getaffinity(0))
    for user, owner in ((stranger, stranger), (stranger, None), (None, stranger)):
        def ops(g):
            p = g.members()[-1]
            return [["setaffinity", p, cpus[:1]], ["getaffinity", p], ["setaffinity", p, []],
                    ["setaffinity", p, [-1]], ["setaffinity", p, [100000]],
                    ["setaffinity", p, cpus + [100000]], ["getaffinity", p],
                    ["setaffinity", 999999, cpus]]
        a, b = twins(owner)
        try:
            ours, want = agent(mnt, user, "fs", ops(a)), agent(mnt, user, "py", ops(b))
            assert ours == want, (user, owner)
        finally:
            a.close()
            b.close()


@pytest.mark.parametrize("policy,priority", [
    ("SCHED_BATCH", 0), ("SCHED_IDLE", 0), ("SCHED_OTHER", 0), ("SCHED_FIFO", 10), ("SCHED_RR", 1),
    ("SCHED_OTHER", 5), ("SCHED_FIFO", 0), ("SCHED_FIFO", 200), (7, 0), ("SCHED_BATCH|", 0),
])
def test_setscheduler_with_the_writers_rights(mnt, stranger, policy, priority):
    for user, owner in ((stranger, stranger), (stranger, None), (None, stranger)):
        policy_text = policy + "SCHED_RESET_ON_FORK" if str(policy).endswith("|") else policy

        def ops(g):
            p = g.members()[-1]
            return [["setscheduler", p, policy_text, priority], ["getscheduler", p], ["getparam", p]]
        a, b = twins(owner)
        try:
            assert agent(mnt, user, "fs", ops(a)) == agent(mnt, user, "py", ops(b)), (user, owner)
        finally:
            a.close()
            b.close()


def test_priority_limits(mnt):
    names = os.listdir(mnt.p("os", "sched"))
    assert {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_IDLE"} <= set(names)
    numbers = [int(mnt.read("os", "constants", n)) for n in names]
    ops = [[op, n] for n in numbers + [7, 4, 1, -1] for op in ("prio_min", "prio_max")]
    assert agent(mnt, None, "fs", ops) == agent(mnt, None, "py", ops)
    for name, number in zip(names, numbers):  # a policy by name is the same as by number
        for f in ("priority_min", "priority_max"):
            assert mnt.read("os", "sched", name, f) == mnt.read("os", "sched", str(number), f)


def test_another_pid_namespace_is_refused(mnt):
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "cat", mnt.p("os", "proc", "1", "pgid")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
