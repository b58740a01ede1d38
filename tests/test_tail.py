"""loggers/NAME/tail: the records that reach a logger's handlers, live.

Which records: those a Python handler of level NOTSET attached at that logger gets
(Logger.callHandlers' walk), checked against Python's own logging over a random
grid of loggers, levels, propagate, disabled and filters (fixed seed).  Real tools
read it (cat, tail -f, tail -F, head, grep --line-buffered, less +F, a poll/select/
epoll loop); reads wait without a worker thread, Ctrl-C ends them, a slow reader's
losses are counted exactly, and a stop with waiting readers is prompt and clean."""
import errno
import fcntl
import json
import logging
import logging.config
import os
import pty
import random
import re
import select
import signal
import subprocess
import threading
import time

import pytest


BUFFER = 256 << 10  # LOG_TAIL_BUFFER
BASIC = logging.BASIC_FORMAT


def default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(*args, **kw):
    """A reader process, killed after 30 s: a read that never ends fails the test
    (its readline gets the end) instead of hanging the suite."""
    p = subprocess.Popen(*args, **kw)
    t = threading.Timer(30, p.kill)
    t.daemon = True
    t.start()
    return p


def opened(m, logger, nonblock=False):
    return os.open(m.p("logging", "loggers", logger, "tail"),
                   os.O_RDONLY | (os.O_NONBLOCK if nonblock else 0))


def drain(fd):
    """What a reader holds now, read without waiting."""
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    out = b""
    try:
        while True:
            try:
                b = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            if not b:
                break
            out += b
    finally:
        fcntl.fcntl(fd, fcntl.F_SETFL, fl)
    return out.decode()


def write_records(m, logger, level, lines):
    with open(m.p("logging", "loggers", logger, level), "w") as f:
        f.write("".join(line + "\n" for line in lines))


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


# ---- which records: Python's callHandlers ------------------------------------

NAMES = ["a", "a.b", "a.b.c", "a.x", "b", "b.c.d", "b.c"]
LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def random_config(rnd):
    filters = {f"f{i}": {"name": rnd.choice(["", "a", "a.b", "b", "b.c", "x"])} for i in range(3)}
    loggers = {}
    for name in NAMES:
        entry = {"level": rnd.choice(["NOTSET", "NOTSET"] + LEVELS),
                 "propagate": rnd.random() < 0.75}
        if rnd.random() < 0.3:
            entry["filters"] = rnd.sample(sorted(filters), rnd.randint(1, 2))
        loggers[name] = entry
    return {"version": 1, "disable_existing_loggers": False, "filters": filters,
            "handlers": {"null": {"class": "logging.NullHandler"}},
            "root": {"level": rnd.choice(LEVELS[:4]), "handlers": ["null"]},
            "loggers": loggers}


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []
        self.setFormatter(logging.Formatter(BASIC))

    def emit(self, record):
        self.lines.append(self.format(record))


def python_lines(config, disabled, disable, records):
    """What a NOTSET handler at each logger gets, in Python itself."""
    logging.config.dictConfig(config)
    try:
        caps = {}
        for name in NAMES + ["root"]:
            lg = logging.getLogger(name) if name != "root" else logging.getLogger()
            if name in disabled:
                lg.disabled = True
            caps[name] = Capture()
            lg.addHandler(caps[name])
        logging.disable(disable)
        for name, level, msg in records:
            lg = logging.getLogger(name) if name != "root" else logging.getLogger()
            lg.log(getattr(logging, level), msg)
        return {name: c.lines for name, c in caps.items()}
    finally:
        logging.disable(logging.NOTSET)
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "root": {"level": "WARNING", "handlers": []}})
        for name in NAMES:
            lg = logging.getLogger(name)
            lg.disabled = False
            for h in list(lg.handlers):
                lg.removeHandler(h)
            lg.filters.clear()
            lg.setLevel(logging.NOTSET)
            lg.propagate = True


@pytest.mark.parametrize("seed", range(6))
def test_records_shown_are_pythons(fresh, seed):
    rnd = random.Random(1500 + seed)
    config = random_config(rnd)
    disabled = set(rnd.sample(NAMES, rnd.randint(0, 2)))
    disable = rnd.choice([0, 0, 0, 10, 20])
    records = [(rnd.choice(NAMES + ["root"]), rnd.choice(LEVELS), f"m{i} {rnd.random():.3f}")
               for i in range(250)]
    expected = python_lines(config, disabled, disable, records)

    with open(fresh.p("logging", "config"), "w") as f:
        json.dump(config, f)
    for name in disabled:
        with open(fresh.p("logging", "loggers", name, "disabled"), "w") as f:
            f.write("1\n")
    with open(fresh.p("logging", "disable"), "w") as f:
        f.write(f"{disable}\n")
    fds = {name: opened(fresh, name) for name in expected}
    try:
        for name, level, msg in records:
            write_records(fresh, name, level.lower(), [msg])
        got = {name: drain(fd).splitlines() for name, fd in fds.items()}
    finally:
        for fd in fds.values():
            os.close(fd)
    assert got == expected
    assert any(expected.values())  # the grid shows something


def test_tail_formatter(fresh):
    """The tail's format is a formatter's: the same text Python's Formatter makes."""
    fmt = "{levelname:>8} [{name}] {message!r} {levelno:03d}"
    with open(fresh.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "formatters": {"brace": {"format": fmt, "style": "{"}},
                   "root": {"level": "DEBUG"}}, f)
    tf = fresh.p("logging", "loggers", "root", "tail_formatter")
    assert open(tf).read() == "\n"
    with open(tf, "w") as f:
        f.write("brace\n")
    assert open(tf).read() == "brace\n"
    fd = opened(fresh, "root")
    try:
        msgs = ["plain", "it's \"quoted\"", "ünïcode ✓", "  spaced  "]
        write_records(fresh, "root", "info", msgs)
        f = logging.Formatter(fmt, style="{")
        want = [f.format(logging.makeLogRecord({"name": "root", "msg": m, "levelno": 20,
                                                "levelname": "INFO"})) for m in msgs]
        assert drain(fd).splitlines() == want
    finally:
        os.close(fd)
    with pytest.raises(OSError) as e:
        with open(tf, "w") as f:
            f.write("nosuch\n")
    assert e.value.errno == errno.ENOENT
    with open(tf, "w") as f:
        f.write("\n")
    assert open(tf).read() == "\n"


def test_records_handed_in_whole(fresh):
    """logging/handle (Logger.handle of a received record): the tail shows it as
    Python's handler would, args merged, below the level too (handle skips it)."""
    os.mkdir(fresh.p("logging", "loggers", "app"))
    fd = opened(fresh, "root")
    try:
        recs = [{"name": "app", "levelno": 40, "levelname": "ERROR", "msg": "from %s",
                 "args": ["web1"]},
                {"name": "app", "levelno": 10, "levelname": "DEBUG", "msg": "quiet"}]
        with open(fresh.p("logging", "handle"), "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in recs))
        fmt = logging.Formatter(BASIC)
        want = [fmt.format(logging.makeLogRecord(dict(r, args=tuple(r.get("args", ())))))
                for r in recs]
        assert drain(fd).splitlines() == want
    finally:
        os.close(fd)


def test_tail_formatter_kept_in_the_state_file(make_mount, tmp_path):
    state = tmp_path / "state.json"
    m = make_mount("-o", f"state={state}")
    os.mkdir(m.p("logging", "loggers", "svc"))
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "formatters": {"short": {"format": "%(name)s| %(message)s"}},
                   "loggers": {"svc": {"level": "INFO"}}}, f)
    with open(m.p("logging", "loggers", "svc", "tail_formatter"), "w") as f:
        f.write("short\n")
    assert json.loads(state.read_text())["tail_formatters"] == {"svc": "short"}
    assert m.unmount() == 0
    m = make_mount("-o", f"state={state}")
    assert m.read("logging", "loggers", "svc", "tail_formatter") == "short\n"
    fd = opened(m, "svc")
    try:
        write_records(m, "svc", "info", ["kept"])
        assert drain(fd) == "svc| kept\n"
    finally:
        os.close(fd)
    assert m.unmount() == 0
    m.check_output()


# ---- losses ------------------------------------------------------------------

def test_slow_reader_loses_oldest_counted_exactly(fresh):
    fd = opened(fresh, "root")
    try:
        n = 30000
        write_records(fresh, "root", "warning", [f"record {i}" for i in range(n)])
        lines = drain(fd).splitlines()
    finally:
        os.close(fd)
    notices = [i for i, line in enumerate(lines) if line.startswith("---")]
    assert len(notices) == 1 and notices[0] == 0, lines[:3]
    lost = int(re.fullmatch(r"--- osfs: (\d+) records dropped ---", lines[0]).group(1))
    kept = [int(line.rsplit(" ", 1)[1]) for line in lines[1:]]
    assert kept == list(range(lost, n))  # the oldest went, the rest in order
    assert sum(len(f"WARNING:root:record {i}\n") for i in kept) <= BUFFER


def test_losses_while_reading(fresh):
    """A reader that reads part way, then falls behind: the notice stands where the
    lost records were, and every record is either read or counted."""
    fd = opened(fresh, "root")
    try:
        write_records(fresh, "root", "error", [f"r {i}" for i in range(10)])
        first = os.read(fd, 8).decode()  # part of the first record
        write_records(fresh, "root", "error", [f"r {i}" for i in range(10, 40000)])
        text = first + drain(fd)
    finally:
        os.close(fd)
    seen, lost = [], 0
    for line in text.splitlines():
        m = re.fullmatch(r"--- osfs: (\d+) records dropped ---", line)
        if m:
            lost += int(m.group(1))
        else:
            seen.append(int(line.rsplit(" ", 1)[1]))
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert len(seen) + lost == 40000 and lost > 0
    assert text.startswith("ERROR:root:r 0\n")  # the record being read is finished, not cut
    assert seen[0] == 0


# ---- waiting, interrupting, polling ------------------------------------------

def test_cat_waits_and_ctrl_c_ends_it(fresh):
    p = spawn(["cat", fresh.p("logging", "loggers", "root", "tail")],
                         stdout=subprocess.PIPE, preexec_fn=default_sigint)
    try:
        time.sleep(0.3)
        write_records(fresh, "root", "error", ["one", "two"])
        assert p.stdout.readline() == b"ERROR:root:one\n"
        assert p.stdout.readline() == b"ERROR:root:two\n"
        t = time.monotonic()
        p.send_signal(signal.SIGINT)
        assert p.wait(5) == -signal.SIGINT
        assert time.monotonic() - t < 1.0
    finally:
        p.kill()
        p.wait()
    # timeout -s INT: the blocked read is interrupted
    t = time.monotonic()
    r = subprocess.run(["timeout", "-s", "INT", "0.3", "cat",
                        fresh.p("logging", "loggers", "root", "tail")],
                       preexec_fn=default_sigint, timeout=10)
    assert r.returncode == 124 and time.monotonic() - t < 2.0
    assert "EINTR" not in fresh.errors()


def test_reads_do_not_hold_worker_threads(make_mount):
    """More waiting readers than the daemon has threads: it still answers."""
    m = make_mount("-o", "max_threads=2,max_idle_threads=1")
    ps = [spawn(["cat", m.p("logging", "loggers", "root", "tail")],
                           stdout=subprocess.PIPE) for _ in range(12)]
    try:
        time.sleep(0.5)
        assert m.read("errno", "ENOENT") == "2\n"
        write_records(m, "root", "critical", ["all of them"])
        for p in ps:
            assert p.stdout.readline() == b"CRITICAL:root:all of them\n"
    finally:
        for p in ps:
            p.kill()
            p.wait()
    assert m.unmount() == 0
    m.check_output()


def test_nonblocking_poll_select_epoll(fresh):
    fd = opened(fresh, "root", nonblock=True)
    try:
        with pytest.raises(BlockingIOError):
            os.read(fd, 100)
        assert select.select([fd], [], [], 0.1)[0] == []
        p = select.poll()
        p.register(fd, select.POLLIN)
        assert p.poll(100) == []
        ep = select.epoll()
        ep.register(fd, select.EPOLLIN)
        assert ep.poll(0.1) == []

        threading.Timer(0.2, write_records, (fresh, "root", "error", ["late"])).start()
        t = time.monotonic()
        assert p.poll(5000) == [(fd, select.POLLIN)]
        assert time.monotonic() - t < 3
        assert select.select([fd], [], [], 0)[0] == [fd]
        assert ep.poll(0) == [(fd, select.EPOLLIN)]
        assert os.read(fd, 100) == b"ERROR:root:late\n"
        assert ep.poll(0.05) == []
        ep.close()
    finally:
        os.close(fd)


def test_many_readers_each_get_everything(fresh):
    fds = [opened(fresh, "root") for _ in range(40)]
    try:
        lines = [f"n{i}" for i in range(300)]
        write_records(fresh, "root", "warning", lines)
        want = "".join(f"WARNING:root:{x}\n" for x in lines)
        for fd in fds:
            assert drain(fd) == want
    finally:
        for fd in fds:
            os.close(fd)


def test_readers_count_against_the_uids_share(fresh):
    """Each reader's buffer (256 KiB) and last read (128 KiB) count against its
    uid's 64 MiB from its open: the open past it is refused, and a close gives back."""
    share, each = 64 << 20, BUFFER + (128 << 10)
    fds = []
    try:
        with pytest.raises(OSError) as e:
            for _ in range(share // each + 2):
                fds.append(opened(fresh, "root"))
        assert e.value.errno == errno.ENOBUFS
        assert share // each - 2 <= len(fds) <= share // each
        os.close(fds.pop())
        # the kernel sends the release after close() has returned: the share comes
        # back when osfs has it, a moment later on a loaded machine
        deadline = time.monotonic() + 10
        while True:
            try:
                fds.append(opened(fresh, "root"))
                break
            except OSError as again:
                assert again.errno == errno.ENOBUFS and time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        for fd in fds:
            os.close(fd)
    assert any(" ENOBUFS: " in line for line in fresh.errors())


def test_bash_read_loop_loses_nothing(fresh):
    """bash's read takes a chunk and seeks back to the end of the line it used:
    the bytes after it are given again."""
    p = spawn(["bash", "-c", 'n=0; while read -r l; do echo "$l"; n=$((n+1)); '
                          '[ $n = 50 ] && exit; done < ' + fresh.p("logging", "loggers", "root", "tail")],
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        write_records(fresh, "root", "error", [f"line {i}" for i in range(50)])
        out, _ = p.communicate(timeout=10)
        assert out.splitlines() == [f"ERROR:root:line {i}" for i in range(50)]
    finally:
        p.kill()
        p.wait()


# ---- real tools ----------------------------------------------------------------

@pytest.mark.parametrize("argv", [["tail", "-f"], ["tail", "-F"], ["tail", "-n", "0", "-f"],
                                  ["grep", "--line-buffered", "ERROR"]])
def test_followers(fresh, argv):
    p = spawn(argv + [fresh.p("logging", "loggers", "root", "tail")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        for batch in range(3):
            write_records(fresh, "root", "error", [f"b{batch} r{i}" for i in range(3)])
            write_records(fresh, "root", "warning", [f"w{batch}"])
            want = [f"ERROR:root:b{batch} r{i}" for i in range(3)]
            if argv[0] == "tail":
                want.append(f"WARNING:root:w{batch}")
            got = [p.stdout.readline().rstrip("\n") for _ in want]
            assert got == want
    finally:
        p.terminate()
        p.wait()
    assert p.stderr.read() == ""


def test_tail_f_joining_a_stream_already_flowing(fresh):
    """tail -f opened while another reader has made the file grow: from then on."""
    other = opened(fresh, "root")
    try:
        write_records(fresh, "root", "error", [f"early {i}" for i in range(500)])
        assert os.stat(fresh.p("logging", "loggers", "root", "tail")).st_size > 8192
        p = spawn(["tail", "-f", fresh.p("logging", "loggers", "root", "tail")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            for i in range(3):
                write_records(fresh, "root", "error", [f"late {i}"])
                assert p.stdout.readline() == f"ERROR:root:late {i}\n"
        finally:
            p.terminate()
            p.wait()
        assert p.stderr.read() == ""
    finally:
        os.close(other)


def test_head_returns_after_three(fresh):
    p = spawn(["head", "-n", "3", fresh.p("logging", "loggers", "root", "tail")],
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        write_records(fresh, "root", "error", ["1", "2"])
        time.sleep(0.3)
        assert p.poll() is None
        write_records(fresh, "root", "error", ["3", "4"])
        out, _ = p.communicate(timeout=5)
        assert p.returncode == 0 and out == "ERROR:root:1\nERROR:root:2\nERROR:root:3\n"
    finally:
        p.kill()
        p.wait()


def test_less_follow(fresh):
    """less +F on a terminal shows records as they come; Ctrl-C, q end it."""
    pid, master = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm", LESS="", LESSHISTFILE="-")
        os.execvp("less", ["less", "+F", fresh.p("logging", "loggers", "root", "tail")])
    screen = b""
    try:
        def read_screen(want, timeout=5.0):
            nonlocal screen
            end = time.monotonic() + timeout
            while want not in screen and time.monotonic() < end:
                if select.select([master], [], [], 0.1)[0]:
                    try:
                        screen += os.read(master, 65536)
                    except OSError:
                        break
            return want in screen
        time.sleep(0.5)
        write_records(fresh, "root", "error", ["seen by less"])
        assert read_screen(b"ERROR:root:seen by less"), screen[-500:]
        write_records(fresh, "root", "critical", ["and the next"])
        assert read_screen(b"CRITICAL:root:and the next"), screen[-500:]
        for _ in range(3):  # Ctrl-C: out of follow mode, to less's prompt
            os.write(master, b"\x03")
            if read_screen(b"(END)", 2.0):
                break
        assert b"(END)" in screen, screen[-500:]
        os.write(master, b"q")
        assert wait_for(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, 5)
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(master)


# ---- the tree, modes, stopping ---------------------------------------------------

def test_not_listed_and_recursive_reads_finish(fresh):
    logger = fresh.p("logging", "loggers", "root")
    assert "tail" not in os.listdir(logger) and "tail_formatter" in os.listdir(logger)
    assert os.path.isfile(os.path.join(logger, "tail"))
    r = subprocess.run(["grep", "-r", "-c", "x", fresh.p("logging")], capture_output=True,
                       timeout=30)
    assert r.returncode in (0, 1)
    out = subprocess.check_output(["getfattr", "-n", "user.osfs.kind", "--only-values",
                                   os.path.join(logger, "tail")])
    assert out == b"live stream"


def test_owner_only_by_default_and_chmod(make_mount):
    import pwd
    name = f"osfs-tl{os.getpid()}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", name],
                   check=True)
    try:
        user = pwd.getpwnam(name)
        m = make_mount("-o", "allow_other", public=True)
        tail = m.p("logging", "loggers", "root", "tail")
        assert os.stat(tail).st_mode & 0o777 == 0o400

        def as_user(script):
            return subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                                   "--clear-groups", "bash", "-c", script],
                                  capture_output=True, text=True, timeout=20)
        r = as_user(f"timeout 1 cat {tail}")
        assert r.returncode == 1 and "Permission denied" in r.stderr
        r = as_user(f"chmod o+r {tail}")
        assert r.returncode != 0
        os.chmod(tail, 0o444)
        assert os.stat(tail).st_mode & 0o777 == 0o444
        p = spawn(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                              "--clear-groups", "cat", tail], stdout=subprocess.PIPE)
        try:
            time.sleep(0.5)
            write_records(m, "root", "error", ["for everyone"])
            assert p.stdout.readline() == b"ERROR:root:for everyone\n"
        finally:
            p.kill()
            p.wait()
        assert m.unmount() == 0
        m.check_output()
    finally:
        subprocess.run(["userdel", name], check=False)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_stop_with_waiting_readers(make_mount, how):
    m = make_mount()
    tail = m.p("logging", "loggers", "root", "tail")
    cats = [spawn(["cat", tail], stdout=subprocess.DEVNULL) for _ in range(4)]
    poller = spawn(["/usr/bin/python3", "-c",
                               f"import os,select; fd=os.open({tail!r}, os.O_RDONLY); "
                               "p=select.poll(); p.register(fd, select.POLLIN); print(p.poll())"])
    try:
        time.sleep(0.8)
        t = time.monotonic()
        assert m.unmount(how) == 0
        took = time.monotonic() - t
        for p in cats + [poller]:
            p.wait(5)
        print(f"stopped in {took * 1000:.0f} ms with 5 waiting readers")
        assert took < 1.5
        assert not os.path.ismount(m.path)
        m.check_output()
    finally:
        for p in cats + [poller]:
            p.kill()
            p.wait()


def test_reader_of_a_removed_logger(fresh):
    os.mkdir(fresh.p("logging", "loggers", "gone"))
    fd = opened(fresh, "gone")
    try:
        write_records(fresh, "gone", "error", ["before"])
        os.rmdir(fresh.p("logging", "loggers", "gone"))
        assert drain(fd) == "ERROR:gone:before\n"
        assert drain(fd) == ""
    finally:
        os.close(fd)
    with pytest.raises(FileNotFoundError):
        opened(fresh, "gone")
