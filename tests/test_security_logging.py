"""Security and robustness of logging/ (issue 10, the logging module's part): racing
changes never crash the daemon; a FIFO, a resolver that never answers or a receiver
that never reads never hang it; a symlink planted by a second user never makes root
write where it should not; a full disk loses nothing and glues nothing; secrets stay
the owner's; what Python would loop or overflow on is refused or bounded."""
import errno
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import OSFS, Mount


def config(m, doc, node="config"):
    """Writes a document in one write(): None, or the errno it was refused with."""
    fd = os.open(m.p("logging", node), os.O_WRONLY)
    try:
        os.write(fd, (doc if isinstance(doc, str) else json.dumps(doc)).encode())
        return None
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)



def stats(m):
    return dict(line.split("=", 1) for line in m.read("logging", "stats").splitlines())


def handler(name, cls, **kw):
    return {name: dict({"class": cls}, **kw)}


def as_user(user, script):
    return subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                           "--clear-groups", "sh", "-c", script],
                          capture_output=True, text=True, timeout=20)


@pytest.fixture
def shared_dirs():
    """A world-writable sticky directory (as /tmp), a 0777 one without the sticky bit,
    and a root-only file an attacker would like root to append to."""
    top = tempfile.mkdtemp(prefix="osfs-sec-")
    os.chmod(top, 0o755)
    sticky, open_dir, private = (os.path.join(top, d) for d in ("sticky", "open", "private"))
    for d, mode in ((sticky, 0o1777), (open_dir, 0o777), (private, 0o700)):
        os.mkdir(d)
        os.chmod(d, mode)
    secret = os.path.join(private, "shadow")
    with open(secret, "w") as f:
        f.write("root only\n")
    os.chmod(secret, 0o600)
    try:
        yield sticky, open_dir, secret
    finally:
        shutil.rmtree(top)


# ---- racing changes --------------------------------------------------------------

def test_racing_changes_never_crash(fresh, tmp_path):
    """rmdir of objects racing dictConfigs that drop or replace them, attribute writes
    racing removals, loggers made and removed in the middle of the tree while records
    flow: every operation succeeds or is refused, the daemon stays up, and what it
    reads back at the end is a document it takes again."""
    L = lambda *p: fresh.p("logging", *p)
    log = tmp_path / "race.log"
    docs = [
        {"version": 1, "formatters": {"f": {"format": "%(name)s %(message)s"}},
         "filters": {"x": {"name": "a"}},
         "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log), "formatter": "f"},
                      "m": {"class": "logging.handlers.MemoryHandler", "capacity": 3, "target": "h"},
                      "q": {"class": "logging.handlers.QueueHandler", "handlers": ["h"]}},
         "loggers": {"a": {"level": "DEBUG", "handlers": ["h", "m", "q"]},
                     "a.b.c": {"handlers": ["h"], "filters": ["x"]}},
         "disable_existing_loggers": False},
        {"version": 1, "formatters": {"g": {"format": "%(message)s"}},
         "handlers": {"h": {"class": "logging.NullHandler"}}, "root": {"handlers": ["h"]}},
        {"version": 1, "incremental": True, "loggers": {"a.b": {"level": "INFO"}}},
    ]
    stop = time.monotonic() + 3
    outcomes, crashes = {}, []

    def act(name, fn):
        try:
            fn()
            outcomes[name] = outcomes.get(name, 0) + 1
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.EEXIST, errno.EBUSY, errno.EINVAL,
                               errno.ENOTEMPTY):
                crashes.append((name, e))

    def loop(seed, ops):
        rnd = random.Random(seed)
        while time.monotonic() < stop:
            name, fn = rnd.choice(ops)
            act(name, fn)

    def doc(i):
        return lambda: config(fresh, docs[i]) and None

    ops = [
        ("dictConfig", doc(0)), ("dictConfig2", doc(1)), ("incremental", doc(2)),
        ("rmdir formatter", lambda: os.rmdir(L("formatters", "f"))),
        ("rmdir filter", lambda: os.rmdir(L("filters", "x"))),
        ("rmdir handler", lambda: os.rmdir(L("handlers", "m"))),
        ("mkdir formatter", lambda: os.mkdir(L("formatters", "f"))),
        ("set format", lambda: fresh.write("logging/formatters/f/format", "%(message)s!\n")),
        ("set level", lambda: fresh.write("logging/handlers/h/level", "INFO\n")),
        ("set handler config", lambda: fresh.write("logging/handlers/q/config",
                                             json.dumps({"class": "logging.NullHandler"}))),
        ("mkdir a.b", lambda: os.mkdir(L("loggers", "a.b"))),
        ("rmdir a.b", lambda: os.rmdir(L("loggers", "a.b"))),
        ("mkdir a", lambda: os.mkdir(L("loggers", "a"))),
        ("rmdir a", lambda: os.rmdir(L("loggers", "a"))),
        ("set handlers", lambda: fresh.write("logging/loggers/a/handlers", "h\n")),
        ("record", lambda: fresh.write("logging/loggers/a.b.c/error", "r1\nr2\n")),
        ("record root", lambda: fresh.write("logging/loggers/root/error", "r\n")),
        ("read config", lambda: json.loads(fresh.read("logging", "config"))),
        ("effective", lambda: fresh.read("logging", "loggers", "a.b.c", "effective_level")),
    ]
    os.makedirs(L("loggers", "a.b.c"))
    threads = [threading.Thread(target=loop, args=(seed, ops)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not crashes, crashes[:5]
    assert fresh.proc.poll() is None
    assert sum(outcomes.values()) > 100, outcomes
    assert outcomes.get("rmdir formatter") and outcomes.get("dictConfig"), outcomes
    back = fresh.read("logging", "config")
    assert config(fresh, back) is None, fresh.errors()[-1:]
    assert json.loads(fresh.read("logging", "config")) == json.loads(back)


# ---- nothing blocks: a FIFO, a resolver that never answers, a tarpit --------------

def test_fifo_target_is_refused_at_once(make_mount, tmp_path):
    m = make_mount()
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    os.mkdir(m.p("logging", "loggers", "other"))
    good = tmp_path / "good.log"
    assert config(m, {"version": 1, "handlers": handler("g", "logging.FileHandler",
                                                          filename=str(good)),
                      "loggers": {"other": {"level": "INFO", "handlers": ["g"]}}}) is None
    slowest, done = [0.0], threading.Event()

    def other_logger():  # records to another logger keep flowing meanwhile
        i = 0
        while not done.is_set():
            t = time.monotonic()
            m.write("logging/loggers/other/info", f"meanwhile {i}\n")
            slowest[0] = max(slowest[0], time.monotonic() - t)
            i += 1

    t = threading.Thread(target=other_logger)
    t.start()
    try:
        for cls, kw in (("logging.FileHandler", {"filename": fifo}),
                        ("logging.handlers.WatchedFileHandler", {"filename": fifo}),
                        ("logging.handlers.RotatingFileHandler", {"filename": fifo}),
                        ("logging.handlers.TimedRotatingFileHandler", {"filename": fifo}),
                        ("logging.StreamHandler", {"stream": fifo})):
            start = time.monotonic()
            assert config(m, {"version": 1, "handlers": handler("f", cls, **kw),
                              "disable_existing_loggers": False}) == errno.EINVAL, cls
            assert time.monotonic() - start < 1.0, cls
            assert "FIFO" in m.errors()[-1], m.errors()[-1]
        # with a reader at the other end the FIFO still is no file to log to
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            assert config(m, {"version": 1, "handlers": handler("f", "logging.FileHandler",
                                                                  filename=fifo)}) == errno.EINVAL
            assert "it is a FIFO" in m.errors()[-1]
        finally:
            os.close(reader)
    finally:
        done.set()
        t.join()
    assert slowest[0] < 1.0
    # delay: the handler is made, its first record fails as a handler error, at once
    assert config(m, {"version": 1, "handlers": dict(
        handler("f", "logging.FileHandler", filename=fifo, delay=True),
        **handler("g", "logging.FileHandler", filename=str(good))),
        "loggers": {"other": {"level": "INFO", "handlers": ["f", "g"]}}}) is None
    start = time.monotonic()
    m.write("logging/loggers/other/error", "to the fifo\n")
    assert time.monotonic() - start < 1.0
    assert stats(m)["handler.f.errors"] == "1"
    assert "to the fifo" in good.read_text() and "meanwhile 0" in good.read_text()
    start = time.monotonic()
    assert m.unmount(signal.SIGTERM) == 0 and time.monotonic() - start < 5
    m.check_output()


@pytest.fixture
def blackhole(tmp_path):
    """A resolver that never answers (a UDP socket on 127.0.0.77:53 that reads and
    never replies) and an osfs that uses it: started in a mount namespace of its own
    where /etc/resolv.conf names it, reached through /proc/PID/root."""
    ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ns.bind(("127.0.0.77", 53))
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.77\noptions timeout:30 attempts:1\n")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    logf = open(tmp_path / "osfs.log", "w+")
    proc = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'mount --bind "{conf}" /etc/resolv.conf && exec "{OSFS}" "{mnt}" -f'],
        stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    class M:
        path = f"/proc/{proc.pid}/root{mnt}"

        def p(self, *parts):
            return os.path.join(self.path, *parts)

        def read(self, *parts):
            with open(self.p(*parts)) as f:
                return f.read()

        def errors(self):
            return self.read("errors").splitlines()

        write = Mount.write

    m = M()
    m.proc = proc
    deadline = time.monotonic() + 10
    while not os.path.exists(m.p("logging")):
        assert proc.poll() is None and time.monotonic() < deadline, "osfs did not mount"
        time.sleep(0.02)
    try:
        yield m, ns
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        ns.close()
        logf.seek(0)
        out = logf.read()
        logf.close()
        from conftest import BAD_OUTPUT
        assert not [line for line in out.splitlines() if BAD_OUTPUT.search(line)], out


def test_resolver_that_never_answers(blackhole, tmp_path):
    m, ns = blackhole
    os.mkdir(m.p("logging", "loggers", "other"))
    good = tmp_path / "good.log"
    assert config(m, {"version": 1, "handlers": handler("g", "logging.FileHandler",
                                                          filename=str(good)),
                      "loggers": {"other": {"level": "INFO", "handlers": ["g"]}}}) is None
    slowest, done, results = [0.0], threading.Event(), {}

    def other_logger():
        i = 0
        while not done.is_set():
            t = time.monotonic()
            m.write("logging/loggers/other/info", f"meanwhile {i}\n")
            m.read("logging", "config")
            slowest[0] = max(slowest[0], time.monotonic() - t)
            i += 1

    def configure(key, h, budget):
        start = time.monotonic()
        results[key] = (config(m, {"version": 1, "handlers": {key: h},
                                   "disable_existing_loggers": False}),
                        time.monotonic() - start, budget)

    t = threading.Thread(target=other_logger)
    t.start()
    try:
        smtp = {"class": "logging.handlers.SMTPHandler", "mailhost": ["blackhole.osfs.test", 25],
                "fromaddr": "a@example.org", "toaddrs": ["b@example.org"], "subject": "s",
                "timeout": 1}
        configure("smtp", smtp, 1)
        configure("socket", {"class": "logging.handlers.SocketHandler",  # no timeout of its
                             "host": "blackhole.osfs.test", "port": 9020}, 5)  # own: 5 s
    finally:
        done.set()
        t.join()
    assert ns.recvfrom(512)[0].find(b"blackhole") > 0  # the resolver was asked, and kept quiet
    for key, (err, took, budget) in results.items():
        assert err == errno.EINVAL, key
        assert budget <= took < budget + 1.5, (key, took)
    assert sum("no answer within" in line for line in m.errors()) == 2
    assert slowest[0] < 1.0, slowest  # nobody else waited for the lookups
    assert "meanwhile 0" in good.read_text()
    start = time.monotonic()  # lookups still pending in the background: SIGTERM stops it
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(5) == 0 and time.monotonic() - start < 5


@pytest.fixture
def tarpit():
    """A TCP receiver that accepts every connection and never reads nor answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    conns, stop = [], threading.Event()

    def accept():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


def test_a_write_holds_at_most_the_timeout(fresh, tarpit):
    """SMTPHandler's timeout bounds a whole write (six mails), and a second writer
    waiting for the handler is bounded by it too; HTTPHandler's 5 s likewise."""
    os.mkdir(fresh.p("logging", "loggers", "app"))
    assert config(fresh, {"version": 1, "handlers": dict(
        handler("mail", "logging.handlers.SMTPHandler", mailhost=["127.0.0.1", tarpit],
                fromaddr="a@example.org", toaddrs=["b@example.org"], subject="s", timeout=1),
        **handler("web", "logging.handlers.HTTPHandler", host=f"127.0.0.1:{tarpit}",
                  url="/log", method="POST")),
        "loggers": {"app": {"level": "INFO", "handlers": ["mail"]},
                    "web": {"level": "INFO", "handlers": ["web"]}}}) is None
    took = {}

    def writer(key, stream, n):
        start = time.monotonic()
        fresh.write(f"logging/loggers/{stream}", "".join(f"r{i}\n" for i in range(n)))
        took[key] = time.monotonic() - start

    # two files of the logger (the kernel takes writes to one file one at a time)
    threads = [threading.Thread(target=writer, args=(k, f"app/{k}", 6))
               for k in ("error", "critical")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(took.values()) < 1.6, took  # not 6 mails x 1 s, nor 2 writes x 1 s
    s = stats(fresh)
    assert s["handler.mail.errors"] == "12" and s["handler.mail.emitted"] == "0"
    writer("web", "web/error", 3)
    assert 4.5 < took["web"] < 6.5, took
    s = stats(fresh)  # spooled (tests/test_spool.py), not lost
    assert s["handler.web.errors"] == "0" and s["handler.web.waiting"] == "3", s


# ---- symlinks planted by another user ------------------------------------------------

FILE_CLASSES = ["logging.FileHandler", "logging.handlers.WatchedFileHandler",
                "logging.handlers.RotatingFileHandler", "logging.handlers.TimedRotatingFileHandler"]


def test_planted_symlinks_are_not_followed(fresh, stranger, shared_dirs, tmp_path):
    sticky, open_dir, secret = shared_dirs
    os.mkdir(fresh.p("logging", "loggers", "app"))
    for d in (sticky, open_dir):
        link = os.path.join(d, "app.log")
        r = as_user(stranger, f'ln -s "{secret}" "{link}"')
        assert r.returncode == 0, r.stderr
        for cls in FILE_CLASSES:
            assert config(fresh, {"version": 1, "handlers": handler("h", cls, filename=link)}) \
                == errno.EINVAL, (d, cls)
            assert "symbolic link in a directory other users can write" in fresh.errors()[-1]
            # delay: made now, refused at the first record (a handler error, ELOOP)
            assert config(fresh, {"version": 1, "handlers": handler(
                "h", cls, filename=link, delay=True),
                "loggers": {"app": {"level": "INFO", "handlers": ["h"]}}}) is None
            fresh.write("logging/loggers/app/error", "attacker's line\n")
            assert stats(fresh)["handler.h.errors"] == "1", cls
            assert "ELOOP" in fresh.errors()[-1]
        assert config(fresh, {"version": 1, "handlers": handler(
            "h", "logging.StreamHandler", stream=link)}) == errno.EINVAL
    # a directory on the way, planted: not followed either
    r = as_user(stranger, f'ln -s "{os.path.dirname(secret)}" "{open_dir}/sub"')
    assert r.returncode == 0, r.stderr
    assert config(fresh, {"version": 1, "handlers": handler(
        "h", "logging.FileHandler", filename=f"{open_dir}/sub/shadow")}) == errno.EINVAL
    # a file another user made (to read root's records) in a shared directory
    as_user(stranger, f'echo mine > "{sticky}/theirs.log"')
    assert config(fresh, {"version": 1, "handlers": handler(
        "h", "logging.FileHandler", filename=f"{sticky}/theirs.log")}) == errno.EINVAL
    assert "belongs to another user" in fresh.errors()[-1]
    # a second name of root's file in a shared directory (the kernel's
    # protected_hardlinks keeps a user from making it; a careless owner could)
    os.link(secret, f"{open_dir}/hard.log")
    assert config(fresh, {"version": 1, "handlers": handler(
        "h", "logging.FileHandler", filename=f"{open_dir}/hard.log")}) == errno.EINVAL
    assert "hard links" in fresh.errors()[-1]
    # where no other user can write, a link is the owner's and is followed, as in Python
    os.symlink(str(tmp_path / "real.log"), str(tmp_path / "via.log"))
    assert config(fresh, {"version": 1, "handlers": handler(
        "h", "logging.FileHandler", filename=str(tmp_path / "via.log")),
        "loggers": {"app": {"level": "INFO", "handlers": ["h"]}}}) is None
    fresh.write("logging/loggers/app/error", "through the owner's link\n")
    assert (tmp_path / "real.log").read_text() == "through the owner's link\n"
    with open(secret) as f:
        assert f.read() == "root only\n"


@pytest.mark.parametrize("cls", FILE_CLASSES[1:])
def test_reopen_and_rotation_do_not_follow(fresh, stranger, shared_dirs, cls):
    """The file is replaced by a symlink after the handler opened it (possible in a
    directory without the sticky bit): the reopen (logrotate noticed, rollover)
    refuses it, and a rollover renames the link itself, as Python's does."""
    _, open_dir, secret = shared_dirs
    base = os.path.join(open_dir, "app.log")
    kw = {"filename": base}
    if cls.endswith("RotatingFileHandler"):
        kw.update(maxBytes=30, backupCount=0)
    if cls.endswith("TimedRotatingFileHandler"):
        kw = {"filename": base, "when": "S", "backupCount": 2}
    os.mkdir(fresh.p("logging", "loggers", "app"))
    assert config(fresh, {"version": 1, "handlers": handler("h", cls, **kw),
                          "loggers": {"app": {"level": "INFO", "handlers": ["h"]}}}) is None
    fresh.write("logging/loggers/app/error", "first line, before the swap\n")
    r = as_user(stranger, f'rm -f "{base}" && ln -s "{secret}" "{base}"')
    assert r.returncode == 0, r.stderr
    time.sleep(1.1)  # the timed one's second has passed
    fresh.write("logging/loggers/app/error", "second line, after the swap\n")
    with open(secret) as f:
        assert f.read() == "root only\n"
    if "Timed" in cls:  # the link was rotated away, by name, and base made anew
        assert os.readlink([os.path.join(open_dir, n) for n in os.listdir(open_dir)
                            if n.startswith("app.log.")][0]) == secret
        assert not os.path.islink(base)
        assert open(base).read() == "second line, after the swap\n"
    else:
        assert stats(fresh)["handler.h.errors"] == "1"
        assert "ELOOP" in fresh.errors()[-1]


# ---- a full disk -------------------------------------------------------------------

@pytest.mark.parametrize("per_write", [1, 7])
def test_full_disk_loses_nothing_and_glues_nothing(fresh, tmp_path, per_write):
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], check=True)
    try:
        filler = d / "filler"
        filler.write_bytes(b"x" * 16384)
        log = d / "app.log"
        assert config(fresh, {"version": 1, "handlers": handler(
            "h", "logging.FileHandler", filename=str(log)), "root": {"handlers": ["h"]}}) is None
        n, rnd = 0, random.Random(per_write)
        for _ in range(120 // per_write):
            lines = []
            for _ in range(per_write):
                lines.append(f"record {n:05d} " + "y" * rnd.randrange(200, 1800) + " end\n")
                n += 1
            fresh.write("logging/loggers/root/error", "".join(lines))  # every write succeeds
        assert any("ENOSPC" in line for line in fresh.errors())
        filler.unlink()  # room again: the next records go on, each on a line of its own
        for _ in range(3):
            fresh.write("logging/loggers/root/error", f"record {n:05d} after end\n")
            n += 1
        s = stats(fresh)
        lines = log.read_text().split("\n")
        assert lines[-1] == ""
        lines = lines[:-1]
        assert all(re.fullmatch(r"record \d{5} (y+|after) end", line) for line in lines), \
            [line[:40] for line in lines if not re.fullmatch(r"record \d{5} (y+|after) end", line)]
        numbers = [int(line.split()[1]) for line in lines]
        assert numbers == sorted(set(numbers)) and numbers[-1] == n - 1
        assert int(s["handler.h.emitted"]) == len(lines)  # counted exactly
        assert int(s["handler.h.errors"]) == n - len(lines) > 0
    finally:
        subprocess.run(["umount", "-l", str(d)])


# ---- secrets -------------------------------------------------------------------------

def test_credentials_are_the_owners(make_mount, tmp_path, stranger):
    state = tmp_path / "state.json"
    m = make_mount("-o", f"allow_other,state={state}", public=True)
    password = "hunter2-" + os.urandom(4).hex()
    smtp = {"class": "logging.handlers.SMTPHandler", "mailhost": ["127.0.0.1", 9],
            "fromaddr": "a@example.org", "toaddrs": ["b@example.org"], "subject": "s",
            "credentials": ["mailer", password], "secure": [], "timeout": 0.5}
    http = {"class": "logging.handlers.HTTPHandler", "host": "127.0.0.1:9", "url": "/l",
            "credentials": ["poster", password]}
    assert config(m, {"version": 1, "handlers": {"mail": smtp, "web": http},
                      "root": {"handlers": ["mail", "web"]}}) is None
    m.write("logging/loggers/root/error", "fails to send\n")  # errors lines are written
    visible = {
        "config": m.read("logging", "config"),
        "mail/config": m.read("logging", "handlers", "mail", "config"),
        "mail/credentials": m.read("logging", "handlers", "mail", "credentials"),
        "web/config": m.read("logging", "handlers", "web", "config"),
        "errors": m.read("errors"), "stats": m.read("logging", "stats"),
    }
    for name, text in visible.items():
        assert password not in text, name
    assert json.loads(visible["config"])["handlers"]["mail"]["credentials"] == ["mailer", "<redacted>"]
    assert visible["mail/credentials"] == '["mailer","<redacted>"]\n'
    r = as_user(stranger, f'cat "{m.p("logging", "config")}" "{m.p("logging", "handlers", "web", "config")}"')
    assert r.returncode == 0 and "<redacted>" in r.stdout and password not in r.stdout
    saved = state.read_text()
    assert password in saved and stat.S_IMODE(os.stat(state).st_mode) == 0o600
    # what was read back, written back: the redacted password stands for the real one
    assert config(m, visible["config"]) is None
    m.write("logging/handlers/mail/config", visible["mail/config"])
    m.write("logging/handlers/web/level", "ERROR\n")
    assert json.loads(state.read_text())["logging"]["handlers"]["mail"]["credentials"] == \
        ["mailer", password]
    assert json.loads(state.read_text())["logging"]["handlers"]["web"]["credentials"] == \
        ["poster", password]
    # ... but never for a handler that has none
    assert config(m, {"version": 1, "handlers": {"new": dict(smtp, credentials=["x", "<redacted>"])}}) \
        == errno.EINVAL
    assert "stands for the password" in m.errors()[-1] and password not in m.read("errors")
    assert m.unmount() == 0
    m.check_output()


# ---- bounds --------------------------------------------------------------------------

def test_timed_rotation_bounds(fresh, tmp_path):
    """interval 0 or below: Python's doRollover never returns; refused.  A huge one
    is bounded (no overflow), and records are written."""
    log = tmp_path / "t.log"
    for when in ("S", "H", "MIDNIGHT", "W3"):
        for interval in (0, -1, -10**12):
            assert config(fresh, {"version": 1, "handlers": handler(
                "t", "logging.handlers.TimedRotatingFileHandler", filename=str(log), when=when,
                interval=interval)}) == errno.EINVAL
            assert "interval must be 1 or more" in fresh.errors()[-1]
    for when in ("S", "D", "MIDNIGHT", "W6"):
        assert config(fresh, {"version": 1, "handlers": handler(
            "t", "logging.handlers.TimedRotatingFileHandler", filename=str(log), when=when,
            interval=10**18, backupCount=10**18), "root": {"handlers": ["t"]}}) is None
        fresh.write("logging/loggers/root/error", f"{when}\n")
    assert log.read_text() == "S\nD\nMIDNIGHT\nW6\n"


def test_ports_out_of_range_are_refused(fresh):
    for port in (65536, 10**10, -1, 1.5):
        for h in ({"class": "logging.handlers.SocketHandler", "host": "127.0.0.1", "port": port},
                  {"class": "logging.handlers.DatagramHandler", "host": "127.0.0.1", "port": port},
                  {"class": "logging.handlers.SysLogHandler", "address": ["127.0.0.1", port]},
                  {"class": "logging.handlers.SMTPHandler", "mailhost": ["127.0.0.1", port],
                   "fromaddr": "a@b", "toaddrs": ["c@d"], "subject": "s"}):
            assert config(fresh, {"version": 1, "handlers": {"h": h}}) == errno.EINVAL, (port, h)
            assert "port must be 0-65535" in fresh.errors()[-1]
    for host in ("127.0.0.1:65536", "127.0.0.1:99999999999", "127.0.0.1:x"):
        assert config(fresh, {"version": 1, "handlers": handler(
            "h", "logging.handlers.HTTPHandler", host=host, url="/")}) == errno.EINVAL


PY_SYSLOG = r"""
import logging, logging.handlers, socket, sys
port, facility = int(sys.argv[1]), int(sys.argv[2])
h = logging.handlers.SysLogHandler(("127.0.0.1", port), facility=facility)
h.setFormatter(logging.Formatter("%(message)s"))
h.handle(logging.makeLogRecord({"msg": "big facility", "levelname": "ERROR", "levelno": 40}))
"""


@pytest.mark.parametrize("facility", [10**10, 2**40 + 3, 0, 23])
def test_syslog_facility_like_pythons(fresh, facility):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    port = rx.getsockname()[1]
    try:
        subprocess.run([sys.executable, "-c", PY_SYSLOG, str(port), str(facility)], check=True)
        theirs = rx.recv(1000)
        assert config(fresh, {"version": 1, "formatters": {"f": {"format": "%(message)s"}},
                              "handlers": handler("s", "logging.handlers.SysLogHandler",
                                                  address=["127.0.0.1", port], facility=facility,
                                                  formatter="f"),
                              "root": {"handlers": ["s"]}}) is None
        fresh.write("logging/loggers/root/error", "big facility\n")
        assert rx.recv(1000) == theirs
    finally:
        rx.close()
    assert config(fresh, {"version": 1, "handlers": handler(
        "s", "logging.handlers.SysLogHandler", address=["127.0.0.1", 514], facility=1e300)}) \
        == errno.EINVAL


def test_queue_is_bounded(make_mount, tarpit):
    """A QueueHandler whose target is stuck: the queue holds maxsize records, the rest
    are handler errors at once (queue.Full), and the daemon exits in bounded time."""
    m = make_mount()
    for spec in ("queue.Queue", {"()": "queue.Queue", "maxsize": 3}, {"maxsize": 0}):
        assert config(m, {"version": 1, "handlers": handler(
            "q", "logging.handlers.QueueHandler", queue=spec)}) is None, spec
    for spec in ({"()": "my.Queue"}, {"maxsize": "5"}, {"maxsize": 10**7}, "queue.LifoQueue",
                 ["queue.Queue"], [], 5, {"maxsize": 1e300}, {"maxsize": 2.5}):
        assert config(m, {"version": 1, "handlers": handler(
            "q", "logging.handlers.QueueHandler", queue=spec)}) == errno.EINVAL, spec
    assert config(m, {"version": 1, "handlers": dict(
        handler("slow", "logging.handlers.SMTPHandler", mailhost=["127.0.0.1", tarpit],
                fromaddr="a@example.org", toaddrs=["b@example.org"], subject="s", timeout=1),
        **handler("q", "logging.handlers.QueueHandler", handlers=["slow"],
                  queue={"maxsize": 50})),
        "root": {"handlers": ["q"]}}) is None
    start = time.monotonic()
    total = 0
    for _ in range(40):
        m.write("logging/loggers/root/error", "".join(f"r{total + i} " + "z" * 300 + "\n"
                                                      for i in range(500)))
        total += 500
    assert time.monotonic() - start < 10  # nobody waited for the stuck target
    s = stats(m)
    taken, failed = int(s["handler.q.emitted"]), int(s["handler.q.errors"])
    assert taken + failed == total and failed > total - 500, s
    assert any("queue.Full" in line for line in m.errors())
    start = time.monotonic()
    assert m.unmount() == 0
    assert time.monotonic() - start < 5
    m.check_output()
