"""Refusals: the right errno, a line in `errors` worded for a person, and no crash."""
import errno
import os
import re
import subprocess

import pytest

LINE = re.compile(r"^(\d+\.\d{9}) (\d+) (\S+) (E[A-Z0-9]+): (.+)$")


def refused(fn, err):
    with pytest.raises(OSError) as e:
        fn()
    assert e.value.errno == err, os.strerror(e.value.errno)


def test_writing_a_value(fresh):
    refused(lambda: open(fresh.p("errno", "ENOENT"), "w"), errno.EACCES)
    refused(lambda: os.open(fresh.p("platform", "system"), os.O_RDWR), errno.EACCES)
    refused(lambda: os.truncate(fresh.p("version"), 0), errno.EACCES)
    lines = fresh.errors()
    assert "errno/ENOENT EACCES: a value can be read, not written" in lines[0]
    assert "platform/system EACCES:" in lines[1]
    assert "version EACCES:" in lines[2]


def test_creating_and_removing(fresh):
    refused(lambda: open(fresh.p("errno", "EMINE"), "w"), errno.EACCES)
    refused(lambda: os.mkdir(fresh.p("platform", "new")), errno.EACCES)
    refused(lambda: os.unlink(fresh.p("errno", "ENOENT")), errno.EACCES)
    refused(lambda: os.rmdir(fresh.p("errno")), errno.EACCES)
    refused(lambda: os.rename(fresh.p("version"), fresh.p("v2")), errno.EACCES)
    refused(lambda: os.symlink("x", fresh.p("link")), errno.EACCES)
    refused(lambda: os.chmod(fresh.p("version"), 0o666), errno.EPERM)
    text = "\n".join(fresh.errors())
    for expected in ("errno/EMINE EACCES: cannot create 'EMINE'",
                     "platform/new EACCES: cannot create",
                     "errno/ENOENT EACCES: cannot remove",
                     "errno EACCES: cannot remove",
                     "version EACCES: cannot rename",
                     "link EACCES: cannot create",
                     "version EPERM:"):
        assert expected in text


# Requests that are malformed, as a user types them: each gets a line.
MALFORMED = ("os/urandom/99999999999", "errno/strerror/2147483648", "time/gmtime/1e400")


def test_error_lines_are_well_formed(fresh):
    for path in MALFORMED:
        with pytest.raises(OSError) as e:
            open(fresh.p(path))
        assert e.value.errno != errno.ENOENT
    lines = fresh.errors()
    assert len(lines) == len(MALFORMED)
    for line, path in zip(lines, MALFORMED):
        m = LINE.match(line)
        assert m, line
        assert int(m.group(2)) == os.getpid()
        assert m.group(3) == path and m.group(4) != "ENOENT"


def test_missing_names_are_not_logged(fresh):
    # A name that does not exist is answered ENOENT and nothing more (tools guess).
    for path in ("nope", "errno/ENOPE", "platform/freedesktop_os_release/NOPE",
                 "os/sysconf/SC_NOPE", ".git", "errno/.python-version", "os/urandom/HEAD"):
        refused(lambda: open(fresh.p(path)), errno.ENOENT)
    assert fresh.errors() == []


def test_caller_pid_is_the_reader(fresh):
    subprocess.run(["cat", fresh.p("os", "urandom", "99999999998")], capture_output=True)
    out = subprocess.run(["sh", "-c", f'cat "{fresh.p("os", "urandom", "99999999999")}"; echo $$'],
                         capture_output=True, text=True)
    lines = fresh.errors()
    pids = [int(LINE.match(l).group(2)) for l in lines]
    assert len(pids) == 2
    assert pids[0] != os.getpid()          # cat's own pid, not ours
    assert pids[1] != int(out.stdout.split()[-1])  # the child cat, not the shell


def test_errors_is_bounded(fresh):
    for i in range(600):
        try:
            open(fresh.p("os", "urandom", f"{10**10 + i}"))
        except OSError:
            pass
    lines = fresh.errors()
    assert len(lines) == 512
    assert lines[-1].split()[2] == f"os/urandom/{10**10 + 599}"
    assert lines[0].split()[2] == f"os/urandom/{10**10 + 88}"


def test_writing_errors_is_refused(fresh):
    refused(lambda: open(fresh.p("errors"), "w"), errno.EACCES)


def test_shell_sees_the_refusal(fresh):
    r = subprocess.run(["bash", "-c", f'echo 3 > "{fresh.p("errno", "ENOENT")}"'],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Permission denied" in r.stderr
    assert fresh.read("errno", "ENOENT") == "2\n"
