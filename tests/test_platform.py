"""platform/: every value byte-equal to Python's platform module on this machine."""
import errno
import json
import os
import platform
import shutil
import subprocess
import sys

import pytest


def test_uname_fields(osfs):
    u = platform.uname()
    for field in ("system", "node", "release", "version", "machine", "processor"):
        assert osfs.read("platform", field) == getattr(u, field) + "\n", field


def test_platform_string(osfs):
    assert osfs.read("platform", "platform") == platform.platform() + "\n"
    for name, aliased, terse in (("platform_aliased", 1, 0), ("platform_terse", 0, 1),
                                 ("platform_aliased_terse", 1, 1)):
        assert osfs.read("platform", name) == platform.platform(aliased, terse) + "\n", name


@pytest.mark.skipif(shutil.which("file") is None,
                    reason="Python's architecture() needs file(1) to see the linkage")
def test_architecture(osfs):
    assert osfs.read("platform", "architecture").split("\n")[:2] == list(platform.architecture())


def test_libc_ver(osfs):
    assert osfs.read("platform", "libc_ver") == "\n".join(platform.libc_ver()) + "\n"


def test_uname_plain_and_json(osfs):
    u = platform.uname()._asdict()
    plain = osfs.read("platform", "uname").splitlines()
    assert plain == [f"{k}={v}" for k, v in u.items()]
    assert json.loads(osfs.read("platform", "uname.json")) == u


def test_os_release(osfs):
    info = platform.freedesktop_os_release()
    assert json.loads(osfs.read("platform", "freedesktop_os_release.json")) == info
    # same order as Python's dict, too
    assert list(json.loads(osfs.read("platform", "freedesktop_os_release.json"))) == list(info)
    assert sorted(os.listdir(osfs.p("platform", "freedesktop_os_release"))) == sorted(info)
    for key, value in info.items():
        assert osfs.read("platform", "freedesktop_os_release", key) == value + "\n", key


# Programs of every kind: ELF executables and libraries, scripts, text, a directory,
# a symlink, an object file, a static library, what does not exist, what is empty.
EXAMINE = r"""
import json, platform, sys
out = []
for path in json.loads(sys.argv[1]):
    a = list(platform.architecture(path))
    try:
        l = list(platform.libc_ver(path))
    except OSError as e:
        l = [e.errno, str(e)]
    out.append([a, l])
print(json.dumps(out))
"""


def examine(m, path, node):
    fd = os.open(m.p("platform", node), os.O_RDWR)
    try:
        try:
            os.write(fd, (path + "\n").encode())
        except OSError as e:
            return [e.errno, os.read(fd, 4096).decode()]
        return os.read(fd, 4096).decode().split("\n")[:2]
    finally:
        os.close(fd)


@pytest.mark.skipif(shutil.which("file") is None, reason="Python's architecture() asks file(1)")
def test_architecture_and_libc_ver_of_a_program(osfs, tmp_path):
    (tmp_path / "script").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "text").write_text("just words, libc.so.6 and GLIBC_2.17 GLIBC_2.3.4 libc_r.so\n")
    (tmp_path / "empty").write_text("")
    (tmp_path / "musl").write_bytes(b"\x7fELF" + b"\0" * 100 + b"ld-musl-x86_64.so.1\0musl-1.2.4")
    # a libc mark across the 16 KiB chunk boundary, and marks far into a file
    (tmp_path / "boundary").write_bytes(b"x" * (16384 - 7) + b"GLIBC_2.99" + b"y" * 40000 +
                                         b"GLIBC_2.100 libc.so.7")
    os.symlink("/usr/bin/python3", tmp_path / "link")
    libs = [p for p in ("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.a",
                        "/usr/lib/x86_64-linux-gnu/crt1.o", "/usr/lib/x86_64-linux-gnu/libc.a")
            if os.path.exists(p)]
    paths = ["/usr/bin/python3", "/bin/sh", "/usr/bin/env", "/usr/bin/ldd", "/etc/passwd", "/tmp",
             "/nonexistent", str(tmp_path / "link")] + libs + \
        [str(tmp_path / n) for n in ("script", "text", "empty", "musl", "boundary")]
    want = json.loads(subprocess.run([sys.executable, "-c", EXAMINE, json.dumps(paths)], capture_output=True,
                                     text=True, check=True).stdout)
    for path, (arch, libc) in zip(paths, want):
        assert examine(osfs, path, "architecture_of") == arch, path
        ours = examine(osfs, path, "libc_ver_of")
        if isinstance(libc[0], int):
            assert ours == [libc[0], f"error: {errno.errorcode[libc[0]]}: {libc[1]}\n"], path
        elif path.endswith("musl"):
            assert ours == ["musl", "1.2.4"]  # the current reference's musl names (3.13+)
        else:
            assert ours == libc, path
    # libc_ver(''): no program, confstr's answer, as libc_ver() gives it
    want = subprocess.run([sys.executable, "-c", "import platform; print(*platform.libc_ver(''))"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert examine(osfs, "", "libc_ver_of") == want


def test_a_program_is_read_with_the_writers_rights(make_mount, tmp_path):
    os.chmod(tmp_path, 0o755)
    secret = tmp_path / "secret"
    secret.write_bytes(open("/bin/sh", "rb").read())
    os.chmod(secret, 0o700)
    m = make_mount("-o", "allow_other", public=True)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    script = f"""
import json, os, platform, sys
def ask(node):
    fd = os.open({m.path!r} + "/platform/" + node, os.O_RDWR)
    try:
        os.write(fd, {str(secret)!r}.encode() + b"\\n")
    except OSError as e:
        return e.errno
    return os.read(fd, 4096).decode().split("\\n")[:2]
try:
    libc = platform.libc_ver({str(secret)!r})
except OSError as e:
    libc = e.errno
print(json.dumps([ask("architecture_of"), list(platform.architecture({str(secret)!r})), ask("libc_ver_of"), libc]))
"""
    ours_arch, arch, ours_libc, libc = json.loads(subprocess.run(
        nobody + [sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert ours_arch == arch == ["64bit", ""]  # file(1) could not read it either
    assert ours_libc == libc == errno.EACCES
    assert m.unmount() == 0


def test_invalidate_caches(fresh):
    with open(fresh.p("platform", "invalidate_caches"), "w") as f:
        f.write("1\n")
    assert fresh.read("platform", "platform") == platform.platform() + "\n"
    assert json.loads(fresh.read("platform", "uname.json")) == platform.uname()._asdict()
    assert os.stat(fresh.p("platform", "invalidate_caches")).st_mode & 0o777 == 0o200
