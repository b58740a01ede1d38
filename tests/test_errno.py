"""errno/: every name, number and message equals Python's errno and os.strerror."""
import errno
import json
import os
import re

import pytest

# Names that Python versions newer than the machine's have, and the headers too.
NEWER_PYTHON = {"EHWPOISON"}  # errno.EHWPOISON: new in Python 3.14


def python_names():
    return {n: getattr(errno, n) for n in dir(errno) if re.fullmatch(r"E[A-Z0-9]+", n)}


def osfs_names(osfs):
    return set(os.listdir(osfs.p("errno"))) - {"errorcode", "strerror", "table", "table.json"}


def test_every_python_name_has_its_number(osfs):
    names = python_names()
    assert len(names) > 100
    for name, code in names.items():
        assert osfs.read("errno", name) == f"{code}\n", name


def test_names_are_pythons_and_no_others(osfs):
    ours, pythons = osfs_names(osfs), set(python_names())
    assert ours >= pythons
    assert ours - pythons <= NEWER_PYTHON, f"names Python does not have: {ours - pythons}"


def test_errorcode_whole_table(osfs):
    for code, name in errno.errorcode.items():
        assert osfs.read("errno", "errorcode", str(code)) == name + "\n", code
    listed = {int(n) for n in os.listdir(osfs.p("errno", "errorcode"))}
    newer = {int(osfs.read("errno", n)) for n in osfs_names(osfs) - set(python_names())}
    assert listed - newer == set(errno.errorcode)


def test_errorcode_prefers_pythons_alias(osfs):
    for code in (errno.EAGAIN, errno.EDEADLK, errno.EOPNOTSUPP):
        assert osfs.read("errno", "errorcode", str(code)).strip() == errno.errorcode[code]


@pytest.mark.parametrize("code", list(range(-3, 300)) + [2**31 - 1, -(2**31)])
def test_strerror_by_number(osfs, code):
    assert osfs.read("errno", "strerror", str(code)) == os.strerror(code) + "\n"


def test_strerror_by_name(osfs):
    for name, code in python_names().items():
        assert osfs.read("errno", "strerror", name) == os.strerror(code) + "\n", name


def test_table_and_json(osfs):
    plain = dict(line.split("=", 1) for line in osfs.read("errno", "table").splitlines())
    as_json = json.loads(osfs.read("errno", "table.json"))
    names = python_names()
    assert {k: int(v) for k, v in plain.items()} == as_json
    assert {k: v for k, v in as_json.items() if k in names} == names
    # ordered by number, as the doc says
    assert list(as_json.values()) == sorted(as_json.values())


def test_constant_size_is_exact(osfs):
    # Constant files are cached by the kernel up to their size: it must be exact.
    for name in ("ENOENT", "table", "table.json"):
        assert os.stat(osfs.p("errno", name)).st_size == len(osfs.read("errno", name).encode())


@pytest.mark.parametrize("path,err", [
    ("errno/EFOO", errno.ENOENT),
    ("errno/enoent", errno.ENOENT),
    ("errno/errorcode/99999", errno.ENOENT),
    ("errno/errorcode/two", errno.ENOENT),
    ("errno/strerror/2x", errno.ENOENT),
    ("errno/strerror/EFOO", errno.ENOENT),
    ("errno/strerror/2147483648", errno.ERANGE),
    ("errno/strerror/-2147483649", errno.ERANGE),
])
def test_unknown_names_are_refused_and_logged(fresh, path, err):
    with pytest.raises(OSError) as e:
        open(fresh.p(path)).close()
    assert e.value.errno == err
    if err == errno.ENOENT:  # a name that does not exist: the answer, no line
        assert fresh.errors() == []
        return
    last = fresh.errors()[-1]
    assert f" {os.getpid()} {path} {errno.errorcode[err]}: " in last
