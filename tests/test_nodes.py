"""The node mechanism: every node documented, listings, reads at any offset."""
import os
import stat

import pytest

KINDS = {"value", "directory", "link", "setting", "transaction", "record stream", "stream", "document",
         "log"}


def walk(root):
    """Every node of the tree, listing computed directories too."""
    for dirpath, dirnames, filenames in os.walk(root):
        yield dirpath
        for name in filenames:
            yield os.path.join(dirpath, name)


def test_every_node_has_doc_and_kind(osfs):
    count = 0
    for path in walk(osfs.path):
        if os.path.islink(path):
            continue  # the kernel allows user.* attributes on files and directories only
        doc = os.getxattr(path, "user.osfs.doc", follow_symlinks=False).decode()
        kind = os.getxattr(path, "user.osfs.kind", follow_symlinks=False).decode()
        assert doc and "\n" not in doc, path
        assert kind in KINDS, path
        assert set(os.listxattr(path, follow_symlinks=False)) == {"user.osfs.doc", "user.osfs.kind"}
        count += 1
    assert count > 900


def test_unknown_xattr_is_enodata(osfs):
    with pytest.raises(OSError) as e:
        os.getxattr(osfs.p("version"), "user.other")
    assert e.value.errno == 61  # ENODATA


def test_root_listing(osfs):
    assert set(os.listdir(osfs.path)) == {"README", "version", "errors", "errno", "platform",
                                          "os", "io", "time", "logging"}


def test_modes_and_kinds(osfs):
    st = os.stat(osfs.p("errno"))
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o555
    st = os.stat(osfs.p("errno", "ENOENT"))
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o444
    assert st.st_uid == os.getuid()
    # generated files report size 0, like procfs
    assert os.stat(osfs.p("os", "cpu_count")).st_size == 0


def test_partial_reads_and_pread_agree(osfs):
    path = osfs.p("errno", "table")
    whole = open(path, "rb").read()
    fd = os.open(path, os.O_RDONLY)
    try:
        for off in (0, 1, 7, 100, len(whole) - 1, len(whole), len(whole) + 10):
            assert os.pread(fd, 13, off) == whole[off:off + 13]
        pieces = []
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 5):
            pieces.append(chunk)
        assert b"".join(pieces) == whole
    finally:
        os.close(fd)


def test_readme_and_version(osfs):
    assert "errno/" in osfs.read("README")
    assert osfs.read("version").strip().count(".") == 2
