"""mount/run as a newcomer meets it: every command it prints, pasted in order into a
fresh shell, shows what its comment says; run again after the daemon was killed,
it cleans the stale mount, says so, and mounts again."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT

RUN = os.path.join(ROOT, "mount", "run")
HINT = re.compile(r"^  (?P<cmd>.+?)(?:\s+# (?P<shows>.*))?$")


def run(mnt):
    r = subprocess.run([RUN, mnt], capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def daemon_of(mnt):
    """The pid of the osfs serving mnt (its command line names it)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"/osfs") and mnt.encode() in argv:
            return int(pid)
    return None


def pattern(shows):
    """The comment's promise as a regular expression for one line of output:
    '...' is text that varies, and after 'e.g.' so are the digits."""
    example = shows.startswith("e.g. ")
    if example:
        shows = shows[len("e.g. "):]
    rx = ".*".join(re.escape(part) for part in shows.split("..."))
    if example:
        rx = re.sub(r"\d+", r"\\d+", rx)
    return re.compile(rx)


@pytest.fixture
def mnt(tmp_path):
    path = str(tmp_path / "osfs mnt")  # a space: the hints quote their paths
    try:
        yield path
    finally:
        subprocess.run(["fusermount3", "-u", "-z", path], capture_output=True)
        log = os.path.join(ROOT, "build", "demo.log")
        if os.path.exists(log):
            os.unlink(log)


def test_every_hint_works_pasted(mnt):
    out = run(mnt).stdout
    hints = [HINT.match(line) for line in out.splitlines() if line.startswith("  ")]
    assert len(hints) >= 15, out
    pid = daemon_of(mnt)
    assert pid
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    for h in hints:
        cmd, shows = h.group("cmd"), h.group("shows")
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", cmd], capture_output=True,
                           text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
        said = f"{cmd}\n  printed: {r.stdout!r}\n  stderr: {r.stderr!r}"
        if shows and shows.startswith("refused: "):
            assert r.returncode != 0, said
            rx = pattern(shows[len("refused: "):])
            assert any(rx.fullmatch(line) for line in r.stderr.splitlines()), said
            continue
        assert r.returncode == 0, said
        if shows:
            rx = pattern(shows)
            assert any(rx.fullmatch(line) for line in r.stdout.splitlines()), said
        elif not cmd.startswith(("mkdir", "echo", "fusermount3")):
            assert r.stdout, said  # a command that reads shows something
    # the last hint stopped it: unmounted, and the daemon gone
    assert not os.path.ismount(mnt)
    deadline = time.monotonic() + 5
    while daemon_of(mnt) == pid and time.monotonic() < deadline:
        time.sleep(0.02)
    assert daemon_of(mnt) is None


def test_run_after_a_crash_cleans_the_stale_mount(mnt):
    run(mnt)
    pid = daemon_of(mnt)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(OSError) as e:
        os.listdir(mnt)
    assert e.value.errno == 107  # ENOTCONN: what the user met
    r = run(mnt)
    assert "was left mounted by an osfs that is gone (Transport endpoint is not connected); " \
           "unmounting it" in r.stderr
    with open(os.path.join(mnt, "errno", "ENOENT")) as f:
        assert f.read() == "2\n"
    # and run again over a live mount: remounted with this build
    r = run(mnt)
    assert "was mounted; remounting with this build" in r.stderr
    assert subprocess.run(["fusermount3", "-u", mnt]).returncode == 0
