"""A record from the shell at the FUSE floor (issue 13): what the kernel keeps of
the loggers, and what it asks per record.

Requests are counted in the daemon's own debug output (-d): after the first one, a
record written with `echo msg > info`, `>>` or from inside the logger's directory
is OPEN, WRITE and RELEASE, as on the smallest FUSE file system; no name is looked
up again, and no GETXATTR security.capability is asked (killpriv.c).  What the
kernel keeps must stay true: a logger made again is a new one, a chmod shows at
once, a logger's `parent` link follows the tree."""
import collections
import errno
import json
import os
import re
import stat
import subprocess
import time

import pytest

REQUEST = re.compile(r"^unique: \d+, opcode: (\w+) \(\d+\), nodeid: \d+, insize: \d+, pid: (\d+)$",
                     re.M)


def config(m, doc):
    with open(m.p("logging", "config"), "w") as f:
        f.write(json.dumps(doc))


def file_logger(m, logger, log, fmt="%(message)s"):
    config(m, {"version": 1, "disable_existing_loggers": False,
               "formatters": {"f": {"format": fmt}},
               "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log),
                                  "formatter": "f"}},
               "loggers": {logger: {"level": "DEBUG", "handlers": ["h"], "propagate": False}}})


class Shell:
    """A bash that runs commands as they are sent: one process, as a script's loop
    is (its stdio looked at its stdout once, before any record)."""

    def __init__(self, cwd=None):
        self.proc = subprocess.Popen(["bash", "-s"], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.pid = str(self.proc.pid)
        self.run("true")

    def run(self, command):
        self.proc.stdin.write(f"{command}; echo \"done $?\"\n")
        status = self.proc.stdout.readline().split()
        assert status == ["done", "0"], (command, status)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def requests_of(m, shell, command, releases):
    """The requests a command of shell makes (a RELEASE comes after, from no process).
    Counted from when every file opened before is released: a late RELEASE of an
    earlier command is not this one's."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        before = [op for op, pid in REQUEST.findall(m.output())]
        if before.count("OPEN") + before.count("CREATE") <= before.count("RELEASE"):
            break
        time.sleep(0.02)
    mark = len(m.output())
    shell.run(command)
    deadline = time.monotonic() + 10
    while True:
        found = [op for op, pid in REQUEST.findall(m.output()[mark:]) if pid in (shell.pid, "0")]
        if found.count("RELEASE") >= releases or time.monotonic() > deadline:
            return collections.Counter(found)
        time.sleep(0.02)


def test_a_record_from_the_shell_is_three_requests(make_mount, tmp_path):
    m = make_mount("-d")
    log = tmp_path / "app.log"
    app = m.p("logging", "loggers", "app")
    os.mkdir(app)
    file_logger(m, "app", log)
    info = os.path.join(app, "info")
    floor = collections.Counter({"OPEN": 5, "WRITE": 5, "RELEASE": 5})
    loop = "for i in 1 2 3 4 5; do echo {text}$i {op} {path}; done"
    shell = Shell()
    try:
        # the first ones look the names up, and have the inode marked (the primer)
        shell.run(loop.format(text="first", op=">", path=info))
        time.sleep(0.1)
        assert requests_of(m, shell, loop.format(text="gt", op=">", path=info), 5) == floor
        assert requests_of(m, shell, loop.format(text="append", op=">>", path=info), 5) == floor
        shell.run(f"cd {app}")
        assert requests_of(m, shell, loop.format(text="here", op=">", path="info"), 5) == floor
    finally:
        shell.close()
    assert log.read_text().splitlines() == [f"{t}{i}" for t in ("first", "gt", "append", "here")
                                            for i in range(1, 6)]
    assert m.unmount() == 0


def test_writers_that_stat_are_not_slowed_by_the_primer(make_mount, tmp_path):
    """Every writer a new process, whose stdio stats the file at its first write: the
    mark is lost each time, and after a few tries osfs stops marking -- such a
    writer costs what it cost before (the question), not the primer's requests."""
    m = make_mount("-d")
    log = tmp_path / "app.log"
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log)
    info = m.p("logging", "loggers", "app", "info")
    mark = len(m.output())
    for i in range(40):
        subprocess.run(["bash", "-c", f"echo {i} > {info}"], check=True)
    ops = collections.Counter(op for op, _ in REQUEST.findall(m.output()[mark:]))
    assert ops["STATFS"] <= 6, ops  # the primer's first request: 1, 2, 4, 8, 16 opens apart
    assert log.read_text().splitlines() == [str(i) for i in range(40)]
    assert m.unmount() == 0


def test_no_capability_question_after_a_security_xattr_is_tried(make_mount, tmp_path):
    """Trying to set a security.* attribute makes the kernel forget its mark: the
    next `>` asks once, the one after marks the inode again, and the records are
    all there, none of them the primer's."""
    m = make_mount("-d")
    log = tmp_path / "app.log"
    os.mkdir(m.p("logging", "loggers", "app"))
    file_logger(m, "app", log)
    info = m.p("logging", "loggers", "app", "info")
    shell = Shell()
    try:
        for text in ("one", "two", "three"):
            shell.run(f"echo {text} > {info}")
        with pytest.raises(OSError) as e:
            os.getxattr(info, "security.capability")
        assert e.value.errno == errno.ENODATA
        with pytest.raises(OSError) as e:
            os.setxattr(info, "security.osfs", b"x")
        assert e.value.errno == errno.EACCES
        for text in ("four", "five"):
            shell.run(f"echo {text} > {info}")
        asked = requests_of(m, shell, f"echo six > {info}", 1)
        assert asked == collections.Counter({"OPEN": 1, "WRITE": 1, "RELEASE": 1})
    finally:
        shell.close()
    assert log.read_text().splitlines() == ["one", "two", "three", "four", "five", "six"]
    assert m.unmount() == 0


def test_an_unmount_right_after_the_first_record_is_not_busy(make_mount, tmp_path):
    """The primer works while the open waits: nothing of it is left open."""
    for i in range(4):
        m = make_mount()
        os.mkdir(m.p("logging", "loggers", f"app{i}"))
        subprocess.run(["bash", "-c", f"echo x > {m.p('logging', 'loggers', f'app{i}', 'info')}"],
                       check=True)
        assert m.unmount() == 0


def test_a_logger_made_again_is_a_new_one(fresh, tmp_path):
    """rmdir and mkdir of a name while a process still holds the old directory and
    one of its files: the new logger is fresh to the kernel, the old one stays gone,
    and the owner's choices of the old one cannot reach the new one."""
    app = fresh.p("logging", "loggers", "app")
    os.mkdir(app)
    os.chmod(os.path.join(app, "info"), 0o222)
    old_dir = os.open(app, os.O_RDONLY | os.O_DIRECTORY)
    old_info = os.open(os.path.join(app, "info"), os.O_WRONLY)
    try:
        os.rmdir(app)
        os.mkdir(app)
        st = os.stat(os.path.join(app, "info"))
        assert stat.S_IMODE(st.st_mode) == 0o200  # not the old one's choice
        with pytest.raises(FileNotFoundError):  # what the kernel still knows leads nowhere
            os.open("info", os.O_WRONLY, dir_fd=old_dir)
        with pytest.raises(OSError) as e:
            os.fchmod(old_info, 0o222)
        assert e.value.errno == errno.ENOENT
        assert "was removed" in fresh.errors()[-1]
        assert stat.S_IMODE(os.stat(os.path.join(app, "info")).st_mode) == 0o200
        log = tmp_path / "new.log"
        file_logger(fresh, "app", log)
        subprocess.run(["bash", "-c", f"echo new > {app}/info"], check=True)
        assert log.read_text() == "new\n"
    finally:
        os.close(old_info)
        os.close(old_dir)


def test_a_chmod_shows_at_once(fresh):
    info = fresh.p("logging", "loggers", "app", "info")
    os.mkdir(os.path.dirname(info))
    for mode in (0o222, 0o220, 0o200, 0o000, 0o200):
        os.chmod(info, mode)
        assert stat.S_IMODE(os.stat(info).st_mode) == mode
    os.chmod(os.path.dirname(info), 0o500)
    assert stat.S_IMODE(os.stat(os.path.dirname(info)).st_mode) == 0o500


def test_a_loggers_parent_link_follows_the_tree(fresh):
    """Its target, and so its size, change with the tree: the kernel does not keep
    its attributes (a readlink would make it fetch them again: sizes first)."""
    loggers = fresh.p("logging", "loggers")
    os.mkdir(os.path.join(loggers, "a.b.c"))
    link = os.path.join(loggers, "a.b.c", "parent")
    sizes = []
    for made in (None, "a", "a.b"):
        if made:
            os.mkdir(os.path.join(loggers, made))
        sizes.append(os.lstat(link).st_size)
    assert sizes == [len("../root"), len("../a"), len("../a.b")]
    assert os.readlink(link) == "../a.b"
    os.rmdir(os.path.join(loggers, "a.b"))
    assert os.lstat(link).st_size == len("../a") and os.readlink(link) == "../a"
