"""osfs among the system's tools: mount(8) and /etc/fstab through mount.osfs,
systemd's unit (checked by systemd-analyze verify) and its readiness protocol,
and the man page made from --help."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import OSFS, ROOT

HELPER = os.path.join(ROOT, "mount", "mount.osfs")
UNIT = os.path.join(os.path.dirname(OSFS), "osfs.service")  # as meson made it for installing
MANPAGE = os.path.join(os.path.dirname(OSFS), "osfs.8")
ENV = dict(os.environ, OSFS_BIN=OSFS)


def mounted_types():
    with open("/proc/mounts") as f:
        return {fields[1]: fields[2] for fields in (line.split() for line in f)}


def wait_mounted(path, timeout=10):
    deadline = time.monotonic() + timeout
    while not os.path.ismount(path):
        assert time.monotonic() < deadline, f"{path} was not mounted"
        time.sleep(0.02)


@pytest.fixture
def mountpoint(tmp_path):
    path = tmp_path / "mnt"
    path.mkdir()
    try:
        yield str(path)
    finally:
        if os.path.ismount(path):
            subprocess.run(["fusermount3", "-u", str(path)], check=False)


def check_mount(path, state):
    wait_mounted(path)
    assert mounted_types()[path] == "fuse.osfs"
    with open(os.path.join(path, "errno", "ENOENT")) as f:
        assert f.read() == "2\n"
    with open(os.path.join(path, "time", "tz"), "w") as f:
        f.write("Asia/Tokyo\n")
    assert '"Asia/Tokyo"' in open(state).read()  # the state= option reached osfs
    assert subprocess.run(["fusermount3", "-u", path]).returncode == 0


def test_helper_drops_fstab_only_options(mountpoint, tmp_path):
    state = tmp_path / "state.json"
    r = subprocess.run([HELPER, "osfs", mountpoint, "-n", "-o",
                        f"noauto,nofail,_netdev,x-systemd.automount,defaults,state={state}"],
                       env=ENV, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    check_mount(mountpoint, state)


def test_helper_usage():
    r = subprocess.run([HELPER, "osfs"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage: mount.osfs SOURCE DIR" in r.stderr


@pytest.fixture
def installed_helper():
    """The helper where mount(8) looks for fuse.osfs's, for this test only."""
    where = "/sbin/mount.fuse.osfs"
    if os.path.lexists(where):
        pytest.skip(f"{where} is already installed; not replacing it")
    os.symlink(HELPER, where)
    try:
        yield where
    finally:
        os.unlink(where)


def test_mount_t_and_an_fstab_line(installed_helper, mountpoint, tmp_path):
    state = tmp_path / "state.json"
    r = subprocess.run(["mount", "-t", "fuse.osfs", "osfs", mountpoint, "-o", f"state={state}"],
                       env=ENV, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    check_mount(mountpoint, state)

    fstab = tmp_path / "fstab"  # mount -T: an fstab of the test's own, not /etc/fstab
    fstab.write_text(f"# test\nosfs {mountpoint} fuse.osfs noauto,nofail,state={state} 0 0\n")
    r = subprocess.run(["mount", "-T", str(fstab), mountpoint], env=ENV, capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    check_mount(mountpoint, state)


def test_mount_t_makes_a_missing_mount_point(installed_helper, tmp_path):
    """`mount -t fuse.osfs osfs /srv/osfs ...` as the README has it works where the
    directory does not exist yet: the helper makes it, or mount(8) with x-mount.mkdir."""
    for options, made in ((f"state={tmp_path}/a.json", "deep/down/mnt"),
                          (f"x-mount.mkdir=0750,state={tmp_path}/b.json", "x-mount/mnt")):
        path = str(tmp_path / made)
        assert not os.path.exists(path)
        try:
            r = subprocess.run(["mount", "-t", "fuse.osfs", "osfs", path, "-o", options],
                               env=ENV, capture_output=True, text=True, timeout=20)
            assert r.returncode == 0, r.stderr
            check_mount(path, options.split("state=")[1])
        finally:
            if os.path.ismount(path):
                subprocess.run(["fusermount3", "-u", "-z", path], check=False)


def test_helper_refuses_a_mount_point_it_cannot_make(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = subprocess.run([HELPER, "osfs", str(blocker / "mnt")], env=ENV, capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 32 and "cannot make the mount point" in r.stderr, r.stderr
    assert not os.path.ismount(blocker / "mnt")


def test_unit_passes_systemd_analyze_verify(tmp_path):
    # The unit as installed, pointing at this build; osfs(8) where man finds it, so
    # that Documentation=man:osfs(8) is checked too.
    unit = tmp_path / "osfs.service"
    text = open(UNIT).read()
    installed = re.search(r"^ExecStart=(/\S+/osfs) ", text, re.M).group(1)
    assert "@" not in text, "a placeholder meson did not fill"
    unit.write_text(text.replace(installed, os.path.abspath(OSFS)))
    (tmp_path / "man" / "man8").mkdir(parents=True)
    shutil.copy(MANPAGE, tmp_path / "man" / "man8")
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                       env=dict(os.environ, MANPATH=str(tmp_path / "man")), timeout=60)
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stdout + r.stderr
    # and it is not a check that passes anything
    unit.write_text(unit.read_text().replace("Type=notify", "Type=notifyy"))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                       env=dict(os.environ, MANPATH=str(tmp_path / "man")), timeout=60)
    assert "Failed to parse service type" in r.stderr


def test_type_notify_readiness(mountpoint):
    """What systemd sees with Type=notify: READY=1 once mounted, STOPPING=1 at the end."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"osfs-notify-{os.getpid()}"
    sock.bind("\0" + name)
    sock.settimeout(10)
    proc = subprocess.Popen([OSFS, mountpoint, "-f"], env=dict(os.environ, NOTIFY_SOCKET="@" + name),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ready = sock.recv(256).decode()
        assert os.path.ismount(mountpoint)  # ready means mounted
        assert ready.split("\n") == ["READY=1", f"MAINPID={proc.pid}"]
        with open(os.path.join(mountpoint, "errno", "EPERM")) as f:
            assert f.read() == "1\n"
        proc.terminate()
        assert sock.recv(256) == b"STOPPING=1"
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


def test_man_page_is_made_from_help():
    page = open(MANPAGE).read()
    help_text = subprocess.run([OSFS, "--help"], capture_output=True, text=True).stdout
    assert ".TH OSFS \"8\"" in page
    for option in ("state=FILE", "logging_config=FILE", "ffi_timeout=MS", "allow_other"):
        assert option in help_text and option in page.replace("\\-", "-"), option
    for section in ("SYNOPSIS", "ERRORS", "FILES", "EXAMPLES", "SEE ALSO"):
        assert f".SH {section}" in page or f'.SH "{section}"' in page, section


def option_names(text):
    """The options an option list defines, one list per defining line: the leading
    '-x', '--long' and '-o name' words of lines that start with a dash."""
    defined = []
    for line in text.splitlines():
        m = re.match(r"\s+((?:(?:-o \w+|--?[\w-]+)[=\w.]*[,\s]*)+)", line)
        if m and line.lstrip().startswith("-"):
            defined.append(re.findall(r"-o \w+|--?[\w-]+", m.group(1)))
    return defined


def man_text():
    r = subprocess.run(["man", "-l", MANPAGE], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_help_and_man_page_define_each_option_once():
    help_text = subprocess.run([OSFS, "--help"], capture_output=True, text=True).stdout
    for text in (help_text, man_text()):
        names = [n for line in option_names(text) for n in line]
        assert len(names) > 10  # osfs's and FUSE's options were found
        assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for option in ("-o state", "-o allow_other", "-f", "-d", "--version"):
        assert [option in line for line in option_names(help_text)].count(True) == 1, option


def test_man_page_promises_only_what_exists(osfs):
    """Every MOUNTPOINT/NAME the page names exists in a mount, every page in SEE ALSO
    is installed, and nothing promises a README in each directory."""
    text = man_text()
    assert "each directory" not in text
    named = set(re.findall(r"MOUNTPOINT/([\w/.]+\w)", text))
    assert "README" in named and "errors" in named
    for name in named:
        assert os.path.exists(osfs.p(name)), name
    see_also = text.split("\nSEE ALSO\n", 1)[1].split("\n\n")[0]  # not the footer
    pages = re.findall(r"([\w.-]+)\((\d)\)", see_also)
    assert len(pages) >= 3
    for page, section in pages:
        r = subprocess.run(["man", "-w", section, page], capture_output=True, text=True)
        assert r.returncode == 0, f"{page}({section}) is not installed"
    sections = re.findall(r"^([A-Z][A-Z ]+)$", text, re.M)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "MOUNT HELPER", "ERRORS",
                 "FILES", "EXAMPLES", "SEE ALSO"):
        assert name in sections, name
