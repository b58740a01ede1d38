"""osfs as it is installed: one version everywhere; `meson install` into a prefix of
its own (and a DESTDIR), run from there and removed again; and the Debian packages:
built with dpkg-buildpackage, checked by lintian, installed with apt-get, mounted
with `mount -t fuse.osfs` as the README says, a program built with `pkg-config
osfs`, then purged, leaving nothing behind.

The package tests install into /usr, so they run only as root and where no osfs
package is installed already (not theirs to replace), and purge in `finally`.
Nothing is built in the checkout: the sources are copied to a temporary directory."""
import errno
import json
import os
import platform
import re
import shutil
import subprocess
import time

import pytest

from conftest import OSFS, ROOT
from test_errno import NEWER_PYTHON

BUILD = os.path.dirname(os.path.dirname(os.path.abspath(OSFS)))
PACKAGES = ("osfs", "libosfs0", "libosfs-dev")


def sanitized_build():
    """Whether the suite runs on a sanitizer build (tests/run's second pass)."""
    try:
        with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
            options = {o["name"]: o["value"] for o in json.load(f)}
    except (OSError, ValueError):
        return False
    return options.get("b_sanitize", "none") != "none"


# The installs build their own trees, whichever build the suite runs on: once is enough.
once = pytest.mark.skipif(sanitized_build(), reason="builds its own tree; run on the plain "
                          "build's pass of tests/run, not again on the sanitizer build")
APT = ["apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=300"]
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    r = subprocess.run(argv, **kw)
    assert r.returncode == 0, f"{argv} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def meson_version():
    info = run(["meson", "introspect", "--projectinfo", os.path.join(ROOT, "meson.build")])
    return json.loads(info)["version"]


def changelog_version():
    """The upstream part of debian/changelog's latest version (no epoch, no revision)."""
    with open(os.path.join(ROOT, "debian", "changelog")) as f:
        m = re.match(r"osfs \((?:\d+:)?([^)\s]+)\) ", f.readline())
    assert m, "debian/changelog does not start with an osfs entry"
    return m.group(1).rsplit("-", 1)[0]


def test_one_version_everywhere(osfs):
    """meson's project version is osfs --version's, the version node's, osfs.pc's,
    osfs(8)'s and the package's."""
    version = meson_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert run([OSFS, "--version"]).splitlines()[0] == f"osfs {version}"
    assert osfs.read("version") == version + "\n"
    with open(os.path.join(BUILD, "meson-private", "osfs.pc")) as f:
        assert f"\nVersion: {version}\n" in f.read()
    with open(os.path.join(BUILD, "mount", "osfs.8")) as f:
        assert f'"osfs {version}"' in f.read().split("\n.SH")[0]
    assert changelog_version() == version


# -- the install, outside any package -------------------------------------------------

C_PROGRAM = r"""
#include <stdio.h>
%(includes)s
int main(void)
{
	for (int code = 0; code < 200; code++) {
		const char *name = osfs_errno_name(code);
		struct osfs_buf b = {0};
		osfs_strerror(code, &b);
		printf("%%d %%s %%s\n", code, name ? name : "-", b.data ? b.data : "");
		osfs_buf_free(&b);
	}
	return 0;
}
"""


def check_c_output(out):
    """The program's names and messages are Python's (errno.errorcode, os.strerror),
    but for the names only Pythons newer than the machine's have."""
    want = [f"{c} {errno.errorcode.get(c, '-')} {os.strerror(c)}" for c in range(200)]
    got = out.splitlines()
    assert len(got) == len(want)
    for c, (g, w) in enumerate(zip(got, want)):
        if c not in errno.errorcode and g.split(" ")[1] in NEWER_PYTHON:
            g = f"{c} - {g.split(' ', 2)[2]}"
        assert g == w


def build_c_program(tmp, include_dir, cflags, libs):
    """A program that includes every installed header and asks libosfs, against
    Python, for every errno name and message; returns its path."""
    headers = sorted(os.path.relpath(os.path.join(d, f), include_dir)
                     for d, _, fs in os.walk(os.path.join(include_dir, "osfs")) for f in fs)
    assert "osfs/errno.h" in headers and "osfs/logging/logging.h" in headers
    src = os.path.join(tmp, "prog.c")
    with open(src, "w") as f:
        f.write(C_PROGRAM % {"includes": "".join(f"#include <{h}>\n" for h in headers)})
    exe = os.path.join(tmp, "prog")
    run(["gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", src, "-o", exe] + cflags + libs)
    return exe


def needed(exe):
    """DT_NEEDED, RPATH and RUNPATH of an ELF file."""
    return re.findall(r"\((NEEDED|RPATH|RUNPATH)\).*\[(.*)\]", run(["readelf", "-d", exe]))


def daemons_at(path):
    """Pids of the osfs processes serving PATH (found by their command line)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and os.path.basename(argv[0]) == b"osfs" and argv[1] == os.fsencode(path):
            pids.append(int(pid))
    return pids


def exe_of(pid):
    return os.readlink(f"/proc/{pid}/exe")


def wait_gone(pids, timeout=10):
    deadline = time.monotonic() + timeout
    while any(os.path.exists(f"/proc/{p}") for p in pids):
        assert time.monotonic() < deadline, f"osfs {pids} still running after unmount"
        time.sleep(0.02)


def stop(path):
    """Unmounts PATH (lazily if busy) and waits for its daemon to exit."""
    pids = daemons_at(path)
    if os.path.ismount(path):
        subprocess.run(["fusermount3", "-u", path], check=False)
    if os.path.ismount(path):
        subprocess.run(["fusermount3", "-u", "-z", path], check=False)
    wait_gone(pids)


PY_FILE_CONFIG = r"""
import json, logging, logging.config, sys
logging.config.fileConfig(sys.argv[1])
root = logging.getLogger()
print(json.dumps([logging.getLevelName(root.level), {
    h.name: [f"{type(h).__module__}.{type(h).__qualname__}", logging.getLevelName(h.level),
             h.formatter._fmt] for h in root.handlers}]))
"""


def python_file_config(path):
    """What Python's fileConfig makes of an INI file (in a Python of its own):
    the root level, and {handler: [class, level, format]}."""
    return json.loads(run(["/usr/bin/python3", "-c", PY_FILE_CONFIG, path]))


def check_mounted(mnt, ini, version):
    """Reads and writes a few nodes of an osfs mounted at MNT with ini applied."""
    assert open(os.path.join(mnt, "version")).read() == version + "\n"
    assert open(os.path.join(mnt, "errno", "ENOENT")).read() == f"{errno.ENOENT}\n"
    assert open(os.path.join(mnt, "platform", "system")).read() == platform.system() + "\n"
    # the logging configuration in the file is the one Python makes of it
    level, handlers = python_file_config(ini)
    log = os.path.join(mnt, "logging")
    assert open(os.path.join(log, "loggers", "root", "level")).read() == level + "\n"
    assert sorted(os.listdir(os.path.join(log, "handlers"))) == sorted(handlers)
    for name, (cls, hlevel, fmt) in handlers.items():
        h = os.path.join(log, "handlers", name)
        assert open(os.path.join(h, "class")).read() == cls + "\n"
        assert open(os.path.join(h, "level")).read() == hlevel + "\n"
        formatter = open(os.path.join(h, "formatter")).read().strip()
        assert open(os.path.join(log, "formatters", formatter, "format")).read() == fmt + "\n"
    # writing: a logger made, its level set and read back, a record taken
    os.mkdir(os.path.join(log, "loggers", "pkgtest"))
    with open(os.path.join(log, "loggers", "pkgtest", "level"), "w") as f:
        f.write("DEBUG\n")
    assert open(os.path.join(log, "loggers", "pkgtest", "level")).read() == "DEBUG\n"
    with open(os.path.join(log, "loggers", "pkgtest", "info"), "w") as f:
        f.write("installed and running\n")
    stats = dict(line.split("=", 1) for line in open(os.path.join(log, "stats")).read().split())
    assert stats["records"] == "1" and stats["emitted"] == "1"
    assert [stats[f"handler.{name}.emitted"] for name in handlers] == ["1"] * len(handlers)
    with open(os.path.join(mnt, "time", "tz"), "w") as f:
        f.write("Asia/Tokyo\n")


@once
def test_meson_install_into_a_prefix_and_destdir(tmp_path):
    """`meson install` into a prefix of its own: the program runs from there with no
    ldconfig (it links libosfs statically), mounts through the installed helper,
    and uninstall leaves the prefix empty; the same into a DESTDIR."""
    version = meson_version()
    build, prefix = str(tmp_path / "build"), str(tmp_path / "prefix")
    run(["meson", "setup", build, ROOT, f"--prefix={prefix}", "-Dtests=false"])
    run(["ninja", "-C", build])
    run(["meson", "install", "-C", build, "--quiet"])

    # Everything went into the prefix, nothing elsewhere (not /sbin, not /etc).
    with open(os.path.join(build, "meson-logs", "install-log.txt")) as f:
        logged = [line.strip() for line in f if not line.startswith("#")]
    assert logged and all(p == prefix or p.startswith(prefix + "/") for p in logged), logged
    libdir = os.path.dirname(run(["find", prefix, "-name", "libosfs.so.0"]).strip())
    osfs, helper = os.path.join(prefix, "sbin", "osfs"), os.path.join(prefix, "sbin", "mount.fuse.osfs")
    ini = os.path.join(prefix, "etc", "osfs", "logging.ini")
    for path in (osfs, helper, ini, os.path.join(prefix, "share", "man", "man8", "osfs.8"),
                 os.path.join(prefix, "lib", "systemd", "system", "osfs.service"),
                 os.path.join(prefix, "include", "osfs", "errno.h"),
                 os.path.join(libdir, "libosfs.a"), os.path.join(libdir, "pkgconfig", "osfs.pc")):
        assert os.path.isfile(path), path

    # The program runs as installed: libosfs is inside it, no rpath is needed.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "OSFS_BIN")}
    assert run([osfs, "--version"], env=env).splitlines()[0] == f"osfs {version}"
    assert not [n for n in needed(osfs) if "osfs" in n[1] or n[0] != "NEEDED"], needed(osfs)
    unit = open(os.path.join(prefix, "lib", "systemd", "system", "osfs.service")).read()
    assert f"\nExecStart={osfs} /run/osfs " in unit and f"logging_config={ini}" in unit

    # The installed helper finds the installed program and makes the mount point.
    mnt = str(tmp_path / "srv" / "osfs")
    try:
        run([helper, "osfs", mnt, "-o", f"nofail,state={tmp_path}/state.json,logging_config={ini}"],
            env=env, timeout=20)
        assert os.path.ismount(mnt)
        assert [exe_of(p) for p in daemons_at(mnt)] == [osfs]
        check_mounted(mnt, ini, version)
    finally:
        stop(mnt)
    assert "Asia/Tokyo" in open(tmp_path / "state.json").read()

    # A program of the user's, through the installed osfs.pc.
    pc = dict(env, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
    cflags = run(["pkg-config", "--cflags", "osfs"], env=pc).split()
    libs = run(["pkg-config", "--libs", "osfs"], env=pc).split()
    prog = build_c_program(str(tmp_path), os.path.join(prefix, "include"), cflags,
                           libs + [f"-Wl,-rpath,{libdir}"])
    check_c_output(run([prog], env=env))

    run(["ninja", "-C", build, "uninstall"])
    assert not os.path.exists(prefix), run(["find", prefix])

    # DESTDIR: the same tree under it, and the same removal.
    dest = str(tmp_path / "dest")
    run(["meson", "install", "-C", build, "--quiet", "--destdir", dest])
    assert run([dest + osfs, "--version"], env=env).splitlines()[0] == f"osfs {version}"
    assert os.path.isfile(dest + helper) and os.path.isfile(dest + ini)
    run(["ninja", "-C", build, "uninstall"])
    assert not [f for _, _, fs in os.walk(dest) for f in fs], run(["find", dest])


# -- the Debian packages -----------------------------------------------------------------

def package_status(name):
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", name],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ""


def package_skip_reason():
    for tool in ("dpkg-buildpackage", "dh", "apt-get", "gcc", "pkg-config"):
        if not shutil.which(tool):
            return f"{tool} is missing (mount/deps.sh's test packages bring it)"
    if os.geteuid() != 0:
        return "installing the packages needs root"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing"
    for name in PACKAGES:
        if package_status(name) not in ("", "un"):
            return f"the package {name} is installed already; not replacing it"
    for path in ("/sbin/mount.fuse.osfs", "/usr/sbin/osfs", "/etc/osfs", "/var/lib/osfs"):
        if os.path.lexists(path):
            return f"{path} exists already; not replacing it"
    return None


def copy_sources(dest):
    """The checkout's files (tracked or not, git's ignores applied), not its builds."""
    if os.path.exists(os.path.join(ROOT, ".git")) and shutil.which("git"):
        out = run(["git", "-C", ROOT, "ls-files", "-z", "-c", "-o", "--exclude-standard"])
        for rel in filter(None, out.split("\0")):
            src = os.path.join(ROOT, rel)
            if os.path.isfile(src) or os.path.islink(src):
                os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)
    else:
        shutil.copytree(ROOT, dest, symlinks=True, ignore=shutil.ignore_patterns(
            "build*", "obj-*", "mnt", ".git", "__pycache__", ".pytest_cache"))


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    """Builds the packages once, out of the checkout: {package: .deb}, and the .changes."""
    reason = package_skip_reason()
    if reason:
        pytest.skip(reason)
    top = tmp_path_factory.mktemp("deb")
    src = top / "osfs"
    copy_sources(str(src))
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2")
    r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, "dpkg-buildpackage failed:\n" + (r.stdout + r.stderr)[-6000:]
    warnings = [line for line in (r.stdout + r.stderr).splitlines()
                if re.search(r"\bwarning\b", line, re.I)]
    assert not warnings, "the package build warns:\n" + "\n".join(warnings)
    made = {name: next(top.glob(f"{name}_*.deb"), None) for name in PACKAGES}
    assert all(made.values()), made
    return {"debs": {k: str(v) for k, v in made.items()},
            "changes": str(next(top.glob("osfs_*.changes")))}


@once
def test_package_versions_and_lintian(debs):
    version = meson_version()
    for name, deb in debs["debs"].items():
        control = run(["dpkg-deb", "-f", deb, "Package", "Version"])
        assert re.fullmatch(rf"Package: {name}\nVersion: {re.escape(version)}-[^\n]+\n", control)
    if not shutil.which("lintian"):
        pytest.skip("lintian is missing")
    r = subprocess.run(["lintian", debs["changes"]], capture_output=True, text=True, timeout=300)
    flagged = [line for line in r.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert not flagged and r.returncode == 0, r.stdout + r.stderr


def osfs_paths():
    """Every path on the system whose name has 'osfs' in it, outside scratch places."""
    roots = sorted({os.path.realpath(p) for p in ("/etc", "/usr", "/var", "/lib", "/sbin",
                                                   "/bin", "/opt", "/srv")
                    if os.path.isdir(p)})
    skip = {"/var/tmp", "/var/log", "/var/cache"}
    found = set()
    for root in roots:
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]
            found.update(os.path.join(d, x) for x in dirs + files if "osfs" in x)
    return found


@once
def test_install_mount_build_purge(debs, tmp_path):
    version = meson_version()
    before = osfs_paths()
    mnt = str(tmp_path / "srv" / "osfs")  # the README's /srv/osfs: not there yet
    owned = {}
    try:
        run(APT + ["install", "--no-install-recommends"] + list(debs["debs"].values()),
            env=APT_ENV, timeout=600)
        for name in PACKAGES:
            assert package_status(name) == "ii", name
            owned[name] = run(["dpkg-query", "-L", name]).split("\n")

        # the daemon, its helper, unit (installed, not enabled), man page, conffile
        env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "OSFS_BIN")}
        assert run(["/usr/sbin/osfs", "--version"], env=env).splitlines()[0] == f"osfs {version}"
        assert run(["dpkg-query", "-W", "-f=${Conffiles}", "osfs"]).split()[0] == "/etc/osfs/logging.ini"
        assert os.path.isdir("/var/lib/osfs")
        unit = "/lib/systemd/system/osfs.service"
        assert "\nExecStart=/usr/sbin/osfs /run/osfs " in open(unit).read()
        r = subprocess.run(["systemctl", "--root=/", "is-enabled", "osfs.service"],
                           capture_output=True, text=True)
        assert r.stdout.strip() == "disabled", r.stdout + r.stderr
        r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and not r.stdout + r.stderr, r.stdout + r.stderr
        for page in ("osfs", "mount.fuse.osfs"):
            assert os.path.realpath(run(["man", "-w", page]).strip()) == "/usr/share/man/man8/osfs.8.gz"
        for path in files_of_man_page("/usr/share/man/man8/osfs.8.gz"):
            # the state file and its spool are made by a running osfs, when needed
            assert os.path.exists(path) or path.startswith("/var/lib/osfs/state.json"), path

        # mounted as the README shows, where the directory does not exist yet
        run(["mount", "-t", "fuse.osfs", "osfs", mnt, "-o",
             "allow_other,state=/var/lib/osfs/state.json,logging_config=/etc/osfs/logging.ini"],
            env=env, timeout=30)
        assert [exe_of(p) for p in daemons_at(mnt)] == ["/usr/sbin/osfs"]
        check_mounted(mnt, "/etc/osfs/logging.ini", version)
        pids = daemons_at(mnt)
        run(["umount", mnt])
        wait_gone(pids)
        assert "Asia/Tokyo" in open("/var/lib/osfs/state.json").read()

        # a program built against libosfs-dev through pkg-config, shared and static
        cflags = run(["pkg-config", "--cflags", "osfs"]).split()
        prog = build_c_program(str(tmp_path), "/usr/include", cflags,
                               run(["pkg-config", "--libs", "osfs"]).split())
        assert ("NEEDED", "libosfs.so.0") in needed(prog)
        check_c_output(run([prog], env=env))
        static = [a for a in run(["pkg-config", "--libs", "--static", "osfs"]).split() if a != "-losfs"]
        libdir = run(["pkg-config", "--variable=libdir", "osfs"]).strip()
        (tmp_path / "static").mkdir()
        prog = build_c_program(str(tmp_path / "static"), "/usr/include", cflags,
                               [os.path.join(libdir, "libosfs.a")] + static)
        assert not [n for n in needed(prog) if "osfs" in n[1]]
        check_c_output(run([prog], env=env))
    finally:
        if os.path.ismount(mnt) or daemons_at(mnt):
            stop(mnt)
        if any(package_status(n) not in ("", "un") for n in PACKAGES):
            run(APT + ["purge"] + list(PACKAGES), env=APT_ENV, timeout=600)

    for name in PACKAGES:
        assert package_status(name) in ("", "un"), name
    left = [p for files in owned.values() for p in files
            if p and os.path.lexists(p) and not os.path.isdir(p)]
    assert not left, left
    assert osfs_paths() == before, sorted(osfs_paths() ^ before)


def files_of_man_page(page):
    """The paths osfs(8) lists under FILES."""
    text = run(["zcat", page]) if page.endswith(".gz") else open(page).read()
    section = text.split(".SH FILES", 1)[1].split("\n.SH", 1)[0]
    return re.findall(r"^\.I (/\S+)$", section, re.M)
