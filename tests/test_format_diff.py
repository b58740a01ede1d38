"""Formatters, differentially: osfs against /usr/bin/python3's logging.Formatter,
over whole grids and grammar-made random formats (fixed seeds; OSFS_FORMAT_LONG=N
multiplies the random cases by N).

osfs is driven as a user drives it: a dictConfig of formatters and FileHandlers
through a real mount, records written to a logger's stream (plain lines and
structured JSON lines), the handlers' files read back.  Python formats the same
records: every attribute osfs put in a record comes back through a transport
handler (as Python literals), extras from the JSON line, and
logging.makeLogRecord rebuilds the record.  Where Python raises while formatting
(handleError), nothing may be written for that record.
"""
import ast
import json
import logging
import math
import os
import random
import re
import string

import pytest

LONG = int(os.environ.get("OSFS_FORMAT_LONG", "1"))

TRANSPORT_KEYS = ["created", "msecs", "relativeCreated", "process", "thread", "threadName",
                  "processName", "pathname", "filename", "module", "lineno", "levelno",
                  "levelname", "name"]
TRANSPORT = "\t".join(f"%({k})r" for k in TRANSPORT_KEYS)


def write(m, path, text):
    fd = os.open(m.p(*path.split("/")), os.O_WRONLY)
    try:
        os.write(fd, text.encode("utf-8", "surrogatepass"))
    finally:
        os.close(fd)


def config(m, doc):
    """Writes a dictConfig document: None if applied, else the errno."""
    fd = os.open(m.p("logging", "config"), os.O_RDWR)
    try:
        try:
            os.write(fd, json.dumps(doc).encode())
        except OSError as e:
            return e.errno
        out = os.read(fd, 65536).decode()
        assert out == "ok\n", out
        return None
    finally:
        os.close(fd)


class Formatters:
    """Formats many formats over many records in one mount: one FileHandler per
    format on one logger; returns each handler's file."""

    def __init__(self, mount, tmp_path):
        self.m, self.dir = mount, tmp_path
        self.round = 0

    def run(self, entries, lines, level="warning"):
        """entries: formatter dicts (format, style, datefmt, defaults, validate);
        lines: record lines (text or JSON).  Returns (records, outputs)."""
        self.round += 1
        d = self.dir / f"r{self.round}"
        d.mkdir()
        doc = {"version": 1, "formatters": {"t": {"format": TRANSPORT}},
               "handlers": {"t": {"class": "logging.FileHandler", "formatter": "t",
                                  "filename": str(d / "t.log")}},
               "loggers": {"fmt": {"level": "DEBUG", "handlers": ["t"], "propagate": False}}}
        for i, e in enumerate(entries):
            doc["formatters"][f"f{i}"] = e
            doc["handlers"][f"h{i}"] = {"class": "logging.FileHandler", "formatter": f"f{i}",
                                        "filename": str(d / f"{i}.log")}
            doc["loggers"]["fmt"]["handlers"].append(f"h{i}")
        err = config(self.m, doc)
        assert err is None, f"config refused ({err}): {self.m.errors()[-1:]}"
        write(self.m, f"logging/loggers/fmt/{level}", "".join(line + "\n" for line in lines))
        transported = (d / "t.log").read_bytes().decode("utf-8", "surrogateescape").split("\n")[:-1]
        assert len(transported) == len(lines)
        records = [make_record(t, line) for t, line in zip(transported, lines)]
        outputs = [(d / f"{i}.log").read_bytes() for i in range(len(entries))]
        return records, outputs


def make_record(transported, line):
    attrs = dict(zip(TRANSPORT_KEYS, (literal(x) for x in transported.split("\t"))))
    attrs["args"] = ()
    attrs["funcName"] = None
    attrs["taskName"] = None  # 3.12+: osfs follows the current reference
    try:
        obj = json.loads(line)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        attrs["msg"] = obj.get("msg", "")
        attrs.update({k: v for k, v in obj.items() if k not in ("msg", "levelname")})
    else:
        attrs["msg"] = line
    return logging.makeLogRecord(attrs)


def literal(text):
    if text in ("nan", "inf", "-inf"):
        return float(text)
    return ast.literal_eval(text)


def python_output(entry, records):
    """What Python's FileHandler writes for these records: bytes."""
    try:
        f = logging.Formatter(entry.get("format"), entry.get("datefmt"), entry.get("style", "%"),
                              entry.get("validate", True), defaults=entry.get("defaults"))
    except (ValueError, TypeError) as e:
        return e
    out = []
    for r in records:
        try:
            text = f.format(r)
            out.append((text + "\n").encode("utf-8"))
        except Exception:  # noqa: BLE001 -- handleError: the record is not written
            continue
    return b"".join(out)


def compare(fm, entries, lines, level="warning"):
    """Runs entries over lines in osfs and in Python; returns the differences."""
    records, outputs = fm.run(entries, lines, level)
    diffs = []
    for e, got in zip(entries, outputs):
        want = python_output(e, records)
        assert not isinstance(want, Exception), (e, want)
        if got != want:
            diffs.append((e, want, got))
    return diffs


def show(diffs, limit=10):
    return "\n".join(f"{e!r}\n   python: {w!r}\n   osfs:   {g!r}" for e, w, g in diffs[:limit]) + \
        f"\n({len(diffs)} differences)"


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    from conftest import serving
    with serving(tmp_path_factory) as m:
        yield Formatters(m, tmp_path_factory.mktemp("logs"))


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


# ---- values: every JSON type, through structured records ----

INTS = [0, 1, -1, 7, -42, 255, 9731, 0x10ffff, 0x110000, 2**31, -2**31, 2**63 - 1, -2**63,
        2**63, -2**63 - 1, 10**22, -(10**30), 2**200 + 12345]
FLOATS = [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.1, 1e-5, 1e-7, 123.456, -98765.4321, 1e16, 1e22,
          1.7976931348623157e308, 5e-324, 1234567.0, 0.000123456789, 3.14159265358979]
STRS = ["", "x", "é", "☃", "hello", "naïve — ünïcode", "tab\there", "quote ' and \" both",
        "a'b", "\u00a0nb", "\u200bzw", "😀", "line\nbreak", "\x7f\x01"]
OTHER = [None, True, False, [], [1, "a", None, 2.0, True], {"k": 2.5, "s": "q'uote"},
         {"nested": {"l": [1, [2, 3]]}, "big": 10**25}]
VALUES = INTS + FLOATS + STRS + OTHER


def value_lines(values, key="x"):
    return [json.dumps({"msg": "m", key: v}, ensure_ascii=False) for v in values]


# ---- the % grid: every flag set, width, precision and conversion ----

FLAG_SETS = ["".join(f for f, bit in zip("-+ #0", range(5)) if mask >> bit & 1) for mask in range(32)]
WIDTHS = ["", "1", "7"]
PRECISIONS = ["", ".", ".0", ".2", ".12"]
CONVERSIONS = "diuoxXeEfFgGcrsa"


def test_percent_grid(fm):
    formats = [f"%(x){fl}{w}{p}{c}" for fl in FLAG_SETS for w in WIDTHS for p in PRECISIONS
               for c in CONVERSIONS]
    lines = value_lines(VALUES)
    diffs = []
    for batch in chunks(formats, 400):
        diffs += compare(fm, [{"format": f, "validate": False} for f in batch], lines)
    assert not diffs, show(diffs)
