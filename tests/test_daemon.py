"""The daemon: options, help, version, and clean stops."""
import os
import signal
import subprocess

import pytest

from conftest import OSFS


def test_help():
    r = subprocess.run([OSFS, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout.startswith("Usage: osfs MOUNTPOINT")
    assert "allow_other" in r.stdout and "-o " in r.stdout


def test_version():
    r = subprocess.run([OSFS, "--version"], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout.startswith("osfs ")
    assert "FUSE library version" in r.stdout + r.stderr


def test_no_mountpoint():
    r = subprocess.run([OSFS], capture_output=True, text=True)
    assert r.returncode == 2
    assert "no mount point" in r.stderr


def test_bad_option(tmp_path):
    r = subprocess.run([OSFS, str(tmp_path), "-f", "-o", "nonsense"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode != 0
    assert "nonsense" in r.stderr
    assert not os.path.ismount(tmp_path)


@pytest.mark.parametrize("how", ["fusermount", signal.SIGTERM, signal.SIGINT])
def test_clean_stop(make_mount, how):
    m = make_mount()
    assert m.read("errno", "ENOENT") == "2\n"
    assert m.unmount(how) == 0
    assert not os.path.ismount(m.path)
    m.check_output()


def test_sighup_does_not_unmount(make_mount):
    m = make_mount()
    m.proc.send_signal(signal.SIGHUP)
    assert m.read("errno", "EPERM") == "1\n"
    assert m.proc.poll() is None
    assert m.unmount() == 0


def test_daemonized(make_mount):
    # Without -f osfs detaches; the mount is served after the launcher exits 0.
    m = make_mount(foreground=False)
    assert m.proc.wait(timeout=10) == 0
    assert m.read("errno", "EIO") == "5\n"
    subprocess.run(["fusermount3", "-u", m.path], check=True)
    assert not os.path.ismount(m.path)


def test_single_threaded(make_mount):
    m = make_mount("-s")
    assert m.read("platform", "system") == os.uname().sysname + "\n"
    assert m.unmount() == 0


def test_sigterm_with_files_open(make_mount):
    # Files still open when the daemon stops are released like a close: a clean
    # exit, and (under the sanitizer build) no leak report.
    m = make_mount()
    held = [open(m.p("errno", "ENOENT")), open(m.p("errors"))]
    fd = os.open(m.p("platform"), os.O_RDONLY)
    try:
        assert held[0].read() == "2\n"
        assert m.unmount(signal.SIGTERM) == 0
        m.check_output()
    finally:
        for f in held:
            f.close()
        os.close(fd)


def test_fusermount_while_busy(make_mount):
    # As for any file system: a mount with open files is busy, and keeps serving.
    m = make_mount()
    with open(m.p("errno", "ENOENT")) as f:
        r = subprocess.run(["fusermount3", "-u", m.path], capture_output=True, text=True)
        assert r.returncode != 0 and "busy" in r.stderr
        assert f.read() == "2\n"
    assert m.unmount() == 0
