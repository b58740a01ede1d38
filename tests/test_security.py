"""Security and robustness with other users (issue 10): a second user made by the
test, a real setuid-root program, a real full tmpfs, planted symbolic links.

Who acts is taken when it acts: a partial line left in os/kill by a user who then
execs a setuid program is still that user's.  Record streams are the owner's
unless the owner chmods them; records name their writer (osfs_uid); records from
other users cannot forge lines; no user can exhaust the daemon or flush another's
errors; the state file fails loudly and safely."""
import errno
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import OSFS

LINE_MAX = 65536
# Under AddressSanitizer freed memory waits in quarantine: the figures of resident
# memory are not the daemon's own, and are not checked there.
SANITIZED = "libasan" in subprocess.run(["ldd", OSFS], capture_output=True, text=True).stdout


def user_argv(user, argv):
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"] + argv


def as_user(user, script, timeout=60, **kw):
    return subprocess.run(user_argv(user, ["bash", "-c", script]), capture_output=True,
                          text=True, timeout=timeout, **kw)


def as_user_py(user, code, *args, timeout=120):
    return subprocess.run(user_argv(user, ["/usr/bin/python3", "-c", code, *map(str, args)]),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def public_dir():
    """A directory every user can read (pytest's own tree is 0700)."""
    d = tempfile.mkdtemp(prefix="osfs-sec-")
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def setuid_copy(directory, program):
    """A setuid-root copy of a real program."""
    path = os.path.join(directory, "suid-" + os.path.basename(program))
    shutil.copy(program, path)
    os.chmod(path, 0o4755)
    return path


def config(m, doc):
    with open(m.p("logging", "config"), "w") as f:
        f.write(json.dumps(doc))


def file_logger(m, logger, log, fmt="%(message)s", mode=None):
    """logger -> a FileHandler writing log with fmt."""
    config(m, {"version": 1, "incremental": False, "disable_existing_loggers": False,
               "formatters": {"f": {"format": fmt}},
               "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log),
                                  "formatter": "f"}},
               "loggers": {logger: {"level": "DEBUG", "handlers": ["h"], "propagate": False}}})
    if mode is not None:
        for stream in ("debug", "info", "warning", "error", "critical", "log"):
            os.chmod(m.p("logging", "loggers", logger, stream), mode)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# --- who acts: taken in the write, never at close -------------------------------

def test_setuid_exec_does_not_lend_root_to_a_partial_line(make_mount, stranger, public_dir):
    """The attack: a user writes `VICTIM 9` to os/kill with no newline and execs a
    setuid-root program holding the descriptor; the line is taken at close, when the
    process is root.  It must be taken as the user who wrote it: refused."""
    m = make_mount("-o", "allow_other", public=True)
    suid_sleep = setuid_copy(public_dir, "/usr/bin/sleep")
    suid_echo = setuid_copy(public_dir, "/usr/bin/echo")
    for rounds in range(3):
        victim = subprocess.Popen(["sleep", "60"])
        try:
            # the opener itself becomes the setuid program; its parent reaps it late,
            # so the release comes while the process (a zombie) still shows euid 0
            script = f'exec 3>{m.p("os", "kill")}; printf "%s 9" {victim.pid} >&3; exec {suid_sleep} 0.2'
            p = subprocess.Popen(user_argv(stranger, ["bash", "-c", script]))
            time.sleep(1.0)
            p.wait()
            # the descriptor passed to a child: a setuid program ends the line
            script = (f'exec 3>{m.p("os", "kill")}; printf "%s 9" {victim.pid} >&3; '
                      f'{suid_echo} >&3; exec 3>&-')
            as_user(stranger, script)
            time.sleep(0.3)
            assert victim.poll() is None, "osfs signalled root's process for a user"
        finally:
            victim.kill()
            victim.wait()
    refusals = [line for line in m.errors() if " os/kill EPERM: " in line]
    assert len(refusals) == 6, m.errors()
    assert m.unmount() == 0


WHO = "%(process)d %(osfs_uid)s %(processName)s %(pathname)s %(message)s"


def test_the_identity_cache_is_not_fooled_by_an_exec_on_the_same_pid(make_mount, stranger,
                                                                     public_dir):
    """osfs keeps, per writing thread, what pins it (modules/ident.c), and reads its
    ids, name and executable again in each write: a process that writes, then
    becomes a setuid-root program (the pid stays), writes as root; one that execs
    another program writes as that program; one that changes its uid or its name
    between two writes on the same open file writes as what it became."""
    m = make_mount("-o", "allow_other", public=True)
    log = os.path.join(public_dir, "who.log")
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log, WHO, mode=0o222)
    info = m.p("logging", "loggers", "app", "info")
    suid_echo = setuid_copy(public_dir, "/usr/bin/echo")
    bash = os.path.realpath("/usr/bin/bash")
    # a user's shell, then the setuid program it execs, on the same descriptor
    r = as_user(stranger, f"echo $$ >&2; exec 3>{info}; echo before >&3; "
                          f"exec {suid_echo} after >&3")
    assert r.returncode == 0, r.stderr
    pid = r.stderr.split()[0]
    assert open(log).read().splitlines() == [
        f"{pid} {stranger.pw_uid} bash {bash} before",
        f"{pid} 0 {os.path.basename(suid_echo)} {suid_echo} after"]
    # the owner's shell, then another program (no new credentials), as often as a
    # cache could be stale
    for i in range(3):
        r = subprocess.run(["bash", "-c", f"echo $$ >&2; exec 3>{info}; echo shell{i} >&3; "
                                          f"exec /usr/bin/echo program{i} >&3"],
                           capture_output=True, text=True, check=True)
        pid = r.stderr.split()[0]
        assert open(log).read().splitlines()[-2:] == [
            f"{pid} {os.getuid()} bash {bash} shell{i}",
            f"{pid} {os.getuid()} echo {os.path.realpath('/usr/bin/echo')} program{i}"]
    # a new name, then a new uid, between writes on one open file
    code = ("import ctypes, os, sys\n"
            "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
            "os.write(fd, b'as root\\n')\n"
            "ctypes.CDLL(None).prctl(15, b'renamed', 0, 0, 0)\n"
            "os.write(fd, b'renamed\\n')\n"
            "os.setresuid(int(sys.argv[2]), int(sys.argv[2]), int(sys.argv[2]))\n"
            "os.write(fd, b'as the user\\n')\n"
            "print(os.getpid())\n")
    r = subprocess.run(["/usr/bin/python3", "-c", code, info, str(stranger.pw_uid)],
                       capture_output=True, text=True, check=True)
    pid, python = r.stdout.strip(), os.path.realpath("/usr/bin/python3")
    assert open(log).read().splitlines()[-3:] == [
        f"{pid} 0 python3 {python} as root", f"{pid} 0 renamed {python} renamed",
        f"{pid} {stranger.pw_uid} renamed {python} as the user"]
    assert m.unmount() == 0


def test_partial_lines_arrive_after_their_writer_exited(fresh, tmp_path):
    """`/usr/bin/printf 'p%s' $i > warning`: the process is gone when its close is
    served; its line was taken as its own in its write, and arrives."""
    log = tmp_path / "p.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    file_logger(fresh, "app", log, "%(process)d %(message)s")
    n = 200
    script = (f'for i in $(seq 0 {n - 1}); do /usr/bin/printf "p%s" $i > '
              f'{fresh.p("logging", "loggers", "app", "warning")}; done')
    subprocess.run(["bash", "-c", script], check=True, timeout=120)
    assert wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= n)
    lines = log.read_text().splitlines()
    got = sorted(int(line.split()[1][1:]) for line in lines)
    assert got == list(range(n))  # each exactly once
    pids = {line.split()[0] for line in lines}
    assert len(pids) == n  # each as its own process
    assert not [e for e in fresh.errors() if "ESRCH" in e]


def test_kill_partial_line_acts_after_the_writer_exited(fresh):
    """`/usr/bin/printf "$PID 15" > os/kill` acts, every time; so does a line whose
    writer exited while a child it passed the descriptor to still held it."""
    kill = fresh.p("os", "kill")
    loop = (f'for i in $(seq 25); do sleep 5 & p=$!; /usr/bin/printf "%s 15" $p > {kill}; '
            f'wait $p; echo $?; done')
    loops = [subprocess.Popen(["bash", "-c", loop], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    codes = [line for p in loops for line in p.communicate(timeout=120)[0].split()]
    handed = (f'for i in $(seq 5); do sleep 5 & p=$!; bash -c \'exec 3>{kill}; '
              f'printf "%s 15" $0 >&3; (sleep 0.2) & exit\' $p; wait $p; echo $?; done')
    codes += subprocess.run(["bash", "-c", handed], capture_output=True, text=True,
                            timeout=60).stdout.split()
    assert codes == [str(128 + signal.SIGTERM)] * 105, codes
    assert not [e for e in fresh.errors() if "ESRCH" in e]


def test_a_line_is_one_writers(fresh, tmp_path):
    """Bytes from another process do not continue someone else's unfinished line:
    that line is taken first, as its writer's."""
    log = tmp_path / "w.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    file_logger(fresh, "app", log, "%(process)d %(message)s")
    stream = fresh.p("logging", "loggers", "app", "info")
    script = (f'exec 3>{stream}; printf "mine" >&3; /usr/bin/printf "theirs\\n" >&3; '
              f'printf "again\\n" >&3; echo $$')
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    shell = r.stdout.strip()
    lines = log.read_text().splitlines()
    assert lines[0] == f"{shell} mine" and lines[1].endswith(" theirs")
    assert lines[1].split()[0] != shell and lines[2] == f"{shell} again"


# --- who may write records ------------------------------------------------------

def test_record_streams_are_the_owners_choice(make_mount, stranger, tmp_path, public_dir):
    state = tmp_path / "state.json"
    m = make_mount("-o", f"allow_other,state={state}", public=True)
    log = os.path.join(public_dir, "app.log")
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log, "%(osfs_uid)s %(message)s")
    info = m.p("logging", "loggers", "app", "info")
    st = os.stat(info)
    assert stat.S_IMODE(st.st_mode) == 0o200 and st.st_gid == os.getgid()  # the default
    r = as_user(stranger, f'echo hello > {info}')
    assert r.returncode != 0 and "Permission denied" in r.stderr

    os.chmod(info, 0o222)  # the owner opens it to everyone
    assert stat.S_IMODE(os.stat(info).st_mode) == 0o222
    r = as_user(stranger, f'echo hello > {info}')
    assert r.returncode == 0, r.stderr
    with open(info, "w") as f:
        f.write("from the owner\n")
    assert open(log).read().splitlines() == [f"{stranger.pw_uid} hello", f"{os.getuid()} from the owner"]
    # ... and can close the directory
    os.chmod(m.p("logging", "loggers", "app"), 0o700)
    r = as_user(stranger, f'echo denied > {info}')
    assert r.returncode != 0 and "Permission denied" in r.stderr
    os.chmod(m.p("logging", "loggers", "app"), 0o755)
    # a group of writers: chgrp, then g+w
    warning = m.p("logging", "loggers", "app", "warning")
    os.chown(warning, -1, stranger.pw_gid)
    os.chmod(warning, 0o220)
    st = os.stat(warning)
    assert st.st_gid == stranger.pw_gid and stat.S_IMODE(st.st_mode) == 0o220
    assert as_user(stranger, f'echo grouped > {warning}').returncode == 0
    # what stays fixed
    for path, mode in ((m.p("logging", "loggers", "app", "level"), 0o666),
                       (m.p("logging", "config"), 0o666), (info, 0o4222)):
        with pytest.raises(PermissionError):
            os.chmod(path, mode)
    with pytest.raises(PermissionError):
        os.chown(info, stranger.pw_uid, -1)
    r = as_user(stranger, f'chmod 0777 {info}')
    assert r.returncode != 0
    assert stat.S_IMODE(os.stat(info).st_mode) == 0o222
    # kept in the state file, across a restart
    assert m.unmount() == 0
    m = make_mount("-o", f"allow_other,state={state}", public=True)
    info, warning = m.p("logging", "loggers", "app", "info"), m.p("logging", "loggers", "app", "warning")
    assert stat.S_IMODE(os.stat(info).st_mode) == 0o222
    st = os.stat(warning)
    assert st.st_gid == stranger.pw_gid and stat.S_IMODE(st.st_mode) == 0o220
    assert as_user(stranger, f'echo again > {info}').returncode == 0
    # removed with its logger
    os.rmdir(m.p("logging", "loggers", "app"))
    os.mkdir(m.p("logging", "loggers", "app"))
    assert stat.S_IMODE(os.stat(info).st_mode) == 0o200
    assert m.unmount() == 0
    assert "loggers/app/" not in state.read_text()


def test_osfs_uid_cannot_be_forged(make_mount, stranger, public_dir):
    m = make_mount("-o", "allow_other", public=True)
    log = os.path.join(public_dir, "uid.log")
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log, "%(osfs_uid)s %(message)s", mode=0o222)
    info = m.p("logging", "loggers", "app", "info")
    r = as_user(stranger, f"""echo '{{"msg": "forged", "osfs_uid": 0}}' > {info}""")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert "Attempt to overwrite 'osfs_uid' in LogRecord" in m.errors()[-1]
    r = as_user(stranger, f"""echo '{{"msg": "structured", "user": "x"}}' > {info}""")
    assert r.returncode == 0
    assert open(log).read() == f"{stranger.pw_uid} structured\n"
    assert m.unmount() == 0


# --- forged lines ---------------------------------------------------------------

ESCAPED = [(0x00, 0x08), (0x0a, 0x1f), (0x7f, 0x9f), (0x61c, 0x61c), (0x200e, 0x200f),
           (0x2028, 0x202e), (0x2066, 0x2069)]


def escaped(c):
    return any(lo <= ord(c) <= hi for lo, hi in ESCAPED)


def py_escape(text):
    """The rule, with Python's repr() giving each escape."""
    return "".join(repr(c)[1:-1] if escaped(c) else c for c in text)


def test_the_escaped_set_is_what_repr_escapes():
    for lo, hi in ESCAPED:
        for cp in range(lo, hi + 1):
            assert not chr(cp).isprintable() and repr(chr(cp)) != f"'{chr(cp)}'"


ALPHABET = ["a", "Z", " ", "\t", "\r", "\x1b", "\x0b", "\x0c", "\x01", "\x7f", "\x85", "\x9b",
            "é", "€", "\u2028", "\u2029", "\u202e", "\u2066", "\u061c", "\\", '"', "{", "😀"]


def random_text(rng, n):
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def test_records_of_other_users_cannot_forge_lines(make_mount, stranger, public_dir):
    """A structured record's "\\n", CR, ESC, C1 and Unicode line separators from a
    user other than the owner come out as repr() writes them: one record, one line.
    The owner's records keep Python's bytes."""
    m = make_mount("-o", "allow_other", public=True)
    plain_log, json_log = os.path.join(public_dir, "plain.log"), os.path.join(public_dir, "json.log")
    config(m, {"version": 1, "formatters": {"p": {"format": "%(message)s"},
                                            "j": {"format": "%(message)s|%(k)s"}},
               "handlers": {"p": {"class": "logging.FileHandler", "filename": plain_log, "formatter": "p"},
                            "j": {"class": "logging.FileHandler", "filename": json_log, "formatter": "j"}},
               "loggers": {"plain": {"level": "DEBUG", "handlers": ["p"], "propagate": False},
                           "json": {"level": "DEBUG", "handlers": ["j"], "propagate": False}}})
    for name in ("plain", "json"):
        for stream in ("info", "log"):
            os.chmod(m.p("logging", "loggers", name, stream), 0o222)
    rng = random.Random(10)
    plain, structured = [], []
    for i in range(150):
        raw = random_text(rng, rng.randrange(0, 40)).encode()
        raw = raw.replace(b"\n", b"")
        if i % 5 == 0:  # bytes that are not UTF-8
            raw += bytes([rng.choice([0xff, 0xc3, 0x80, 0xed])]) + b"tail"
        if raw.lstrip(b" \t").startswith(b"{"):
            raw = b"x" + raw  # a plain line: one starting with "{" is tried as JSON
        plain.append(raw)
        msg = random_text(rng, rng.randrange(0, 30)) + "\n<forged line>" * (i % 3 == 0)
        k = random_text(rng, rng.randrange(0, 10))
        structured.append(json.dumps({"msg": msg, "k": k}, ensure_ascii=bool(i % 2)))
    data_plain = b"".join(r + b"\n" for r in plain)
    payload = os.path.join(public_dir, "payload")
    with open(payload + ".plain", "wb") as f:
        f.write(data_plain)
    with open(payload + ".json", "w") as f:
        for s in structured[:75]:
            f.write(s + "\n")
    with open(payload + ".log", "w") as f:
        for s in structured[75:]:
            f.write("INFO " + s + "\n")
    r = as_user(stranger, f'cat {payload}.plain > {m.p("logging", "loggers", "plain", "info")} && '
                          f'cat {payload}.json > {m.p("logging", "loggers", "json", "info")} && '
                          f'cat {payload}.log > {m.p("logging", "loggers", "json", "log")}')
    assert r.returncode == 0, r.stderr
    got_plain = open(plain_log, "rb").read().decode().split("\n")[:-1]
    assert got_plain == [py_escape(r.decode("utf-8", "backslashreplace")) for r in plain]
    got_json = open(json_log, "rb").read().decode().split("\n")[:-1]
    expected = []
    for s in structured:
        o = json.loads(s)
        expected.append(py_escape(o["msg"]) + "|" + py_escape(o["k"]))
    assert got_json == expected

    # the owner's records keep their bytes, as Python writes them
    with open(m.p("logging", "loggers", "plain", "info"), "wb") as f:
        f.write(b"owner \r\x1b[2J\n")
    assert open(plain_log, "rb").read().endswith(b"owner \r\x1b[2J\n")
    assert m.unmount() == 0


def test_escape_all_escapes_the_owners_records_too(make_mount, tmp_path):
    m = make_mount("-o", "escape=all")
    log = tmp_path / "all.log"
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log)
    with open(m.p("logging", "loggers", "app", "info"), "wb") as f:
        f.write(b'owner \r\x1b[2J\n{"msg": "a\\nb"}\n')
    assert log.read_text() == py_escape("owner \r\x1b[2J") + "\n" + py_escape("a\nb") + "\n"
    assert m.unmount() == 0


def test_a_writers_own_name_cannot_forge_lines(make_mount, stranger, public_dir):
    """pathname and processName come from the writer: a program whose file name
    holds a newline."""
    m = make_mount("-o", "allow_other", public=True)
    log = os.path.join(public_dir, "name.log")
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log, "%(pathname)s %(processName)s %(message)s", mode=0o222)
    evil = os.path.join(public_dir, "ev\nil\x1b")
    shutil.copy("/usr/bin/printf", evil)
    os.chmod(evil, 0o755)
    r = subprocess.run(user_argv(stranger, [evil, "x\n"]), stdout=open(m.p("logging", "loggers", "app", "info"), "w"))
    assert r.returncode == 0
    text = open(log).read()
    assert text.count("\n") == 1 and "\x1b" not in text
    assert text.startswith(py_escape(evil) + " ")
    assert m.unmount() == 0


# --- exhaustion -----------------------------------------------------------------

def test_a_line_is_at_most_64_kib(fresh, tmp_path):
    log = tmp_path / "long.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    file_logger(fresh, "app", log, "%(message)s")
    fd = os.open(fresh.p("logging", "loggers", "app", "info"), os.O_WRONLY)
    try:
        os.write(fd, b"first\n" + b"a" * LINE_MAX + b"\n")  # exactly the limit: taken
        before = len(fresh.errors())
        with pytest.raises(OSError) as e:  # one byte more, and the rest of that write
            os.write(fd, b"ok1\nok2\n" + b"b" * (LINE_MAX + 1) + b"\nlost\n")
        assert e.value.errno == errno.EMSGSIZE
        # a long line that arrives in pieces: refused up to its newline
        os.write(fd, b"c" * 40000)
        for piece in (b"c" * 40000, b"c" * 40000, b"c\nlost too\n"):
            with pytest.raises(OSError) as e:
                os.write(fd, piece)
            assert e.value.errno == errno.EMSGSIZE
        os.write(fd, b"later\n")
    finally:
        os.close(fd)
    assert log.read_text().splitlines() == ["first", "a" * LINE_MAX, "ok1", "ok2", "later"]
    added = fresh.errors()[before:]
    assert len(added) == 2 and all(" EMSGSIZE: a line longer than 65536 bytes" in e for e in added)


def test_endless_line_is_cheap(fresh):
    """2 GiB without a newline: refused fast, and the daemon does not grow."""
    os.mkdir(fresh.p("logging", "loggers", "app"))
    pid = fresh.proc.pid
    start_rss = rss_kib(pid)
    chunk = b"x" * (1 << 20)
    fd = os.open(fresh.p("logging", "loggers", "app", "info"), os.O_WRONLY)
    t0 = time.monotonic()
    peak = start_rss
    refused = 0
    try:
        for i in range(2048):
            try:
                os.write(fd, chunk)
            except OSError as e:
                assert e.errno == errno.EMSGSIZE
                refused += 1
            if i % 128 == 0:
                peak = max(peak, rss_kib(pid))
    finally:
        os.close(fd)
    elapsed = time.monotonic() - t0
    assert refused == 2048
    assert elapsed < 60, f"2 GiB took {elapsed:.1f}s"
    assert SANITIZED or peak - start_rss < 16 * 1024, (start_rss, peak)
    assert sum(" EMSGSIZE: " in e for e in fresh.errors()) == 1


def test_transaction_requests_are_bounded(fresh):
    fd = os.open(fresh.p("time", "strftime", "call"), os.O_RDWR)
    try:
        with pytest.raises(OSError) as e:
            os.write(fd, b"%Y" * (1 << 19))
        assert e.value.errno == errno.EMSGSIZE
        assert os.read(fd, 200).startswith(b"error: EMSGSIZE: a request of")
        os.write(fd, b"%Y\n")
        assert os.read(fd, 100) == time.strftime("%Y").encode() + b"\n"
    finally:
        os.close(fd)


HOLDER = r"""
import errno, os, resource, sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
fds, results = [], {}
for i in range(n):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        results["open"] = errno.errorcode[e.errno]
        break
    fds.append(fd)
    try:
        os.write(fd, b"y" * size)
    except OSError as e:
        results.setdefault("write", errno.errorcode[e.errno])
        results.setdefault("first_refused_write", i)
print(len(fds), results.get("open", "-"), results.get("write", "-"),
      results.get("first_refused_write", -1), flush=True)
sys.stdin.readline()  # hold them until told
"""


def test_one_user_cannot_exhaust_the_daemon(make_mount, stranger):
    """Open files and the bytes they hold are bounded per uid; the owner is not
    affected by a stranger at its limit; memory returns when the files close."""
    m = make_mount("-o", "allow_other", public=True)
    os.mkdir(m.p("logging", "loggers", "app"))
    info = m.p("logging", "loggers", "app", "info")
    os.chmod(info, 0o222)
    pid = m.proc.pid
    base = rss_kib(pid)
    # 5000 files, each with a partial line of 64 KiB - 1
    p = subprocess.Popen(user_argv(stranger, ["/usr/bin/python3", "-c", HOLDER, info, "5000",
                                              str(LINE_MAX - 1)]),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        opened, open_err, write_err, first_refused = p.stdout.readline().split()
        assert int(opened) == 4096 and open_err == "EMFILE"
        assert write_err == "ENOBUFS" and 900 <= int(first_refused) <= 1024
        held = rss_kib(pid) - base
        assert SANITIZED or held < 100 * 1024, held  # 64 MiB of lines, and 4096 open files
        # the owner still writes
        with open(info, "w") as f:
            f.write("owner\n")
        fd = os.open(info, os.O_WRONLY)
        os.write(fd, b"z" * (LINE_MAX - 1))
        os.close(fd)
    finally:
        p.stdin.close()
        p.wait(timeout=60)
    assert SANITIZED or wait_for(lambda: rss_kib(pid) - base < 8 * 1024, timeout=10), (base, rss_kib(pid))
    assert m.unmount() == 0


TRANSACTIONS = r"""
import errno, os, sys
path, n, request = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
fds, refused = [], {}
for i in range(n):
    fd = os.open(path, os.O_RDWR)
    fds.append(fd)
    try:
        os.write(fd, request)
    except OSError as e:
        refused[errno.errorcode[e.errno]] = refused.get(errno.errorcode[e.errno], 0) + 1
print(len(fds) - sum(refused.values()), " ".join(f"{k}={v}" for k, v in sorted(refused.items())),
      flush=True)
sys.stdin.readline()
"""


def test_responses_held_are_bounded_per_user(make_mount, stranger):
    """300 open transactions, each holding a response of about 720 KiB: the user's
    share (64 MiB) is reached, and the memory returns when they close."""
    m = make_mount("-o", "allow_other", public=True)
    pid = m.proc.pid
    base = rss_kib(pid)
    request = "%c" * 30000  # 60 KB of request, 720 KB of response
    p = subprocess.Popen(user_argv(stranger, ["/usr/bin/python3", "-c", TRANSACTIONS,
                                              m.p("time", "strftime", "call"), "300", request]),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        answered, refused = p.stdout.readline().split(" ", 1)
        assert 60 <= int(answered) <= 95 and refused.strip() == f"ENOBUFS={300 - int(answered)}"
        assert SANITIZED or rss_kib(pid) - base < 100 * 1024
    finally:
        p.stdin.close()
        p.wait(timeout=60)
    assert SANITIZED or wait_for(lambda: rss_kib(pid) - base < 8 * 1024, timeout=10), (base, rss_kib(pid))
    # a document is bounded too (the owner's)
    fd = os.open(m.p("logging", "config"), os.O_WRONLY)
    try:
        chunk = b" " * (1 << 20)
        with pytest.raises(OSError) as e:
            for _ in range(40):
                os.write(fd, chunk)
        assert e.value.errno == errno.EMSGSIZE
    finally:
        os.close(fd)
    assert m.unmount() == 0


def test_errors_cannot_be_flushed_by_another_user(make_mount, stranger):
    # Sizes past osfs's bound: refused (ERANGE), and each refusal logged.
    m = make_mount("-o", "allow_other", public=True)
    for i in range(5):
        with pytest.raises(OSError):
            os.stat(m.p("os", "urandom", f"88888888{i}"))
    flood = "import os, sys\nfor i in range(3000):\n    try: os.stat(sys.argv[1] + str(i))\n    except OSError: pass\n"
    r = as_user_py(stranger, flood, m.p("os", "urandom", "99999999"))
    assert r.returncode == 0, r.stderr
    with pytest.raises(OSError):
        os.stat(m.p("os", "urandom", "888888885"))
    lines = m.errors()
    assert len(lines) == 512
    mine = [line for line in lines if "os/urandom/88888888" in line]
    assert [line.split()[2] for line in mine] == [f"os/urandom/88888888{i}" for i in range(6)]
    floods = [line for line in lines if "os/urandom/99999999" in line]
    assert len(floods) == 512 - 6 and floods[-1].split()[2] == "os/urandom/999999992999"
    times = [float(line.split()[0]) for line in lines]
    assert times == sorted(times)  # still one log, in time order
    assert m.unmount() == 0


def test_distinct_lookups_return_memory_when_forgotten(fresh):
    """Each name looked up costs an inode until the kernel forgets it."""
    pid = fresh.proc.pid
    for n in range(2000):  # warm up
        os.stat(fresh.p("errno", "strerror", str(n)))
    subprocess.run(["sh", "-c", "echo 2 > /proc/sys/vm/drop_caches"], check=True)
    time.sleep(0.5)
    base = rss_kib(pid)
    for n in range(50000):
        os.stat(fresh.p("errno", "strerror", str(n)))
    grown = rss_kib(pid) - base
    if SANITIZED:
        return
    assert grown > 3 * 1024  # over 60 B an inode: the cost is real...
    subprocess.run(["sh", "-c", "echo 2 > /proc/sys/vm/drop_caches"], check=True)
    # ... and returns once the kernel forgets the names
    assert wait_for(lambda: rss_kib(pid) - base < grown / 4, timeout=10), (base, grown, rss_kib(pid))


# --- the state file -------------------------------------------------------------

@pytest.fixture
def small_tmpfs():
    d = tempfile.mkdtemp(prefix="osfs-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", d], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", d], check=False)
        os.rmdir(d)


def fill(directory):
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return path


def test_a_full_disk_fails_the_write_and_changes_nothing(make_mount, small_tmpfs):
    state = os.path.join(small_tmpfs, "state.json")
    m = make_mount("-o", f"state={state}")
    level = m.p("logging", "loggers", "root", "level")
    with open(level, "w") as f:
        f.write("INFO\n")
    assert json.load(open(state))["logging"]["root"]["level"] == "INFO"
    filler = fill(small_tmpfs)
    for path, text in ((level, "DEBUG\n"), (m.p("time", "tz"), "Asia/Tokyo\n"),
                       (m.p("logging", "config"), json.dumps({"version": 1, "root": {"level": "ERROR"}}))):
        before = m.read(*os.path.relpath(path, m.path).split("/"))
        fd = os.open(path, os.O_WRONLY)
        try:
            with pytest.raises(OSError) as e:
                os.write(fd, text.encode())
            assert e.value.errno == errno.ENOSPC
        finally:
            os.close(fd)
        assert m.read(*os.path.relpath(path, m.path).split("/")) == before
        last = m.errors()[-1]
        assert " ENOSPC: " in last and f"cannot save {state}" in last and "No space left on device" in last
    stream = m.p("logging", "loggers", "root", "info")
    with pytest.raises(OSError) as e:
        os.chmod(stream, 0o222)
    assert e.value.errno == errno.ENOSPC and stat.S_IMODE(os.stat(stream).st_mode) == 0o200
    # objects are saved in the background: the failure is logged
    os.mkdir(m.p("logging", "loggers", "later"))
    assert wait_for(lambda: any(e.split()[2] == "(state)" and "ENOSPC" in e for e in m.errors()), 5)
    os.unlink(filler)
    with open(level, "w") as f:
        f.write("DEBUG\n")
    saved = json.load(open(state))
    assert saved["logging"]["root"]["level"] == "DEBUG" and "later" in saved["logging"]["loggers"]
    assert m.unmount() == 0


def test_state_file_is_never_reached_through_a_link(make_mount, tmp_path, stranger):
    d = tmp_path / "state"
    d.mkdir(mode=0o700)
    precious = tmp_path / "precious"
    precious.write_text("precious\n")
    state = d / "state.json"
    os.symlink(precious, d / "state.json.tmp")  # the old temporary name
    m = make_mount("-o", f"state={state}")
    for name in ("a", "b"):
        os.mkdir(m.p("logging", "loggers", name))
    with open(m.p("time", "tz"), "w") as f:
        f.write("UTC\n")
    assert m.unmount() == 0
    assert precious.read_text() == "precious\n"
    assert stat.S_ISREG(os.lstat(state).st_mode) and json.load(open(state))["tz"] == "UTC"
    assert sorted(os.listdir(d)) == ["state.json", "state.json.tmp"]  # no temporary left

    def refused(path, why):
        mnt = tmp_path / "mnt-refused"
        mnt.mkdir(exist_ok=True)
        r = subprocess.run([OSFS, str(mnt), "-f", "-o", f"state={path}"], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode != 0 and why in r.stderr and str(path) in r.stderr, r.stderr
        assert not os.path.ismount(mnt)

    link = d / "link.json"
    os.symlink(state, link)
    refused(link, "symbolic link")
    os.chown(state, stranger.pw_uid, -1)
    refused(state, "belongs to another user")
    os.chown(state, 0, -1)
    os.chmod(state, 0o666)
    refused(state, "others may write to it")
    os.chmod(state, 0o600)
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    refused(open_dir / "state.json", "writable by others")
    os.chmod(open_dir, 0o1777)  # sticky, as /tmp: allowed
    m = make_mount("-o", f"state={open_dir / 'state.json'}")
    assert m.unmount() == 0


def test_many_mkdirs_are_saved_in_batches(make_mount, tmp_path):
    state = tmp_path / "state.json"
    m = make_mount("-o", f"state={state}")
    n = 4000
    slowest = 0.0
    t0 = time.monotonic()
    for i in range(n):
        t = time.monotonic()
        os.mkdir(m.p("logging", "loggers", f"l{i}"))
        slowest = max(slowest, time.monotonic() - t)
    total = time.monotonic() - t0
    assert slowest < 0.5, slowest
    assert total < 60, total
    assert wait_for(lambda: len(json.load(open(state))["logging"].get("loggers", {})) == n, 5)
    with open(m.p("logging", "loggers", "l1", "level"), "w") as f:  # a setting: saved at once
        f.write("ERROR\n")
    assert json.load(open(state))["logging"]["loggers"]["l1"]["level"] == "ERROR"
    assert m.unmount() == 0
