"""platform/: every value byte-equal to Python's platform module on this machine."""
import json
import os
import platform
import shutil

import pytest


def test_uname_fields(osfs):
    u = platform.uname()
    for field in ("system", "node", "release", "version", "machine", "processor"):
        assert osfs.read("platform", field) == getattr(u, field) + "\n", field


def test_platform_string(osfs):
    assert osfs.read("platform", "platform") == platform.platform() + "\n"


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


def test_constant_sizes_are_exact(osfs):
    for name in os.listdir(osfs.p("platform")):
        path = osfs.p("platform", name)
        if os.path.isfile(path):
            assert os.stat(path).st_size == len(osfs.read("platform", name).encode()), name
