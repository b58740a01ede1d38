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
            r.__dict__.pop("asctime", None)  # as a record of its own: format() sets it
            text = f.format(r)
            if " method " in text and " object at 0x" in text:
                continue  # README, Differences: osfs refuses a method (its address)
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
    """The first differing line of each difference."""
    out = []
    for e, want, got in diffs[:limit]:
        w, g = want.split(b"\n"), got.split(b"\n")
        i = next((k for k, (a, b) in enumerate(zip(w, g)) if a != b), min(len(w), len(g)))
        out.append(f"{e!r} line {i}:\n   python: {w[i] if i < len(w) else None!r:.300}\n"
                   f"   osfs:   {g[i] if i < len(g) else None!r:.300}")
    return "\n".join(out) + f"\n({len(diffs)} differences)"


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    from conftest import serving
    with serving(tmp_path_factory) as m:
        yield Formatters(m, tmp_path_factory.mktemp("logs"))


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


# ---- values: every JSON type, through structured records ----

INTS = [0, 1, -1, 7, -42, 255, 9731, 0xd800, 0x10ffff, 0x110000, 2**31, -2**31, 2**63 - 1, -2**63,
        2**63, -2**63 - 1, 10**22, -(10**30), 2**200 + 12345]
FLOATS = [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.1, 1e-5, 1e-7, 123.456, -98765.4321, 1e16, 1e22,
          1.7976931348623157e308, 5e-324, 1234567.0, 0.000123456789, 3.14159265358979]
STRS = ["", "x", "é", "☃", "hello", "naïve — ünïcode", "tab\there", "quote ' and \" both",
        "a'b", "\u00a0nb", "\u200bzw", "😀", "line\nbreak", "\x7f\x01"]
OTHER = [None, True, False, [], [1, "a", None, 2.0, True], {"k": 2.5, "s": "q'uote"},
         {"nested": {"l": [1, [2, 3]]}, "big": 10**25}]
VALUES = INTS + FLOATS + STRS + OTHER
GRID_VALUES = [0, 1, -1, 42, -42, 255, 9731, 0x110000, 2**63, -(10**30), 0.0, -0.0, 0.5, 2.5,
               -98765.4321, 1e-5, 1e16, 1e22, 5e-324, "", "x", "é", "☃", "naïve", "a'b",
               "\u200bzw", None, True, [1, "a"], {"k": 2.5}]


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
    lines = value_lines(GRID_VALUES)
    diffs = []
    for batch in chunks(formats, 400):
        diffs += compare(fm, [{"format": f, "validate": False} for f in batch], lines)
    assert not diffs, show(diffs)


# ---- '{': a generator for specs and field names, from the spec grammar ----

def pick(rng, options, empty=0.5):
    """An option; the first (usually the empty one) with probability `empty`."""
    return options[0] if rng.random() < empty else rng.choice(options[1:])


FILLS = ["", "*", "0", " ", "é", "<", "=", "x", "\n", "☃"]
ALIGNS = ["", "<", ">", "=", "^"]
SIGNS = ["", "+", "-", " "]
WIDTH_S = ["", "0", "1", "5", "12", "٣", "007"]
GROUPS = ["", ",", "_", ",_", "_,", ",,"]
PRECS = ["", ".0", ".1", ".3", ".12", ".", ".٢"]
TYPES = ["", "b", "c", "d", "e", "E", "f", "F", "g", "G", "n", "o", "s", "x", "X", "%",
         "z", "ſ", "B", "D", "r", "ff", "2"]


def gen_spec(rng, wild, types=None):
    """A spec from the grammar; a `wild` one takes unlikely and invalid parts too."""
    e = 0.4 if wild else 0.75
    align = pick(rng, ALIGNS, e)
    fill = pick(rng, FILLS, 0.6) if align else ""
    types = TYPES if wild else types or TYPES[:17]
    return (fill + align + pick(rng, SIGNS, 0.3 + e / 2) + pick(rng, ["", "z"], 0.95 - e / 5) +
            pick(rng, ["", "#"], 0.7 + e / 4) + pick(rng, ["", "0"], 0.6 + e / 4) +
            pick(rng, WIDTH_S if wild else WIDTH_S[:5], e) +
            pick(rng, GROUPS if wild else GROUPS[:3], 0.6 + e / 3) +
            pick(rng, PRECS if wild else PRECS[:5], e) + pick(rng, types, 0.3))


NAMES = ["x", "x", "x", "message", "msg", "levelno", "created", "msecs", "relativeCreated",
         "name", "args", "process", "lineno", "funcName", "exc_info", "missing", "0", "",
         "levelname", "w", "naïve"]
ACCESSORS = ["[0]", "[1]", "[k]", "[s]", "[key]", "[-1]", "[10]", "[٠]", ".real", ".imag",
             ".numerator", ".denominator", ".upper", "[]", ".", "[0", "x"]
SANE_NAMES = {"x": None, "message": ["", "s"], "msg": ["", "s"], "name": ["", "s"],
              "levelno": ["", "d", "x", "o", "b", "c", "n", "e", "f", "%"],
              "lineno": ["", "d", "X", ",", "_"], "created": ["", "f", "e", "g", "G", "%", "n"],
              "msecs": ["", "f", "g", "e"]}
SANE_ACCESSORS = ["[0]", "[1]", "[k]", "[key]", "[s]", ".real", ".imag", ".denominator"]


def gen_field(rng):
    wild = rng.random() < 0.2
    name = rng.choice(NAMES if wild else ["x"] * 5 + list(SANE_NAMES))
    types = None if wild else SANE_NAMES.get(name)
    while rng.random() < (0.25 if wild else 0.1 if name == "x" else 0):
        name += rng.choice(ACCESSORS if wild else SANE_ACCESSORS)
    conv = pick(rng, ["", "!r", "!s", "!a", "!x", "!"] if wild else ["", "!r", "!s", "!a"],
                0.6 if wild else 0.85)
    if conv:
        types = ["", "s"]
    spec = gen_spec(rng, wild, types) if rng.random() < 0.8 else ""
    if rng.random() < 0.08:
        spec = rng.choice(["{w}", ">{w}", "{f}^{w}", ">{w}.{p}f", "{w}{t}", "{x:{w}}", "{p}", "{w}.{p}",
                           "{w!s}", "{w!r:>3}", "{f}{a}{w}", "{{}}", "{w:{p}}", "{}", "{0}", "{w}}",
                           "{missing}", "{x[0]}", "{f!a}<{w}", "{t:.1}"])
    return "{" + name + conv + (":" + spec if spec or rng.random() < 0.1 else "") + "}"


def gen_brace(rng):
    pieces = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        pieces.append(pick(rng, ["", "a", "-", "{{", "}}", " % $ ", "é"], 0.6))
        pieces.append(gen_field(rng))
    if rng.random() < 0.03:  # malformed
        pieces.append(rng.choice(["{", "}", "{x", "{x!r", "{x:", "{x!rr}", "{x[}", "{{x}"]))
    return "".join(pieces)


DEFAULTS = {"w": 9, "p": 2, "f": "*", "a": "^", "t": "d", "missing": "dflt"}
INDEXED = ["abc", [10, "b", [1, 2]], {"k": 1, "key": "v", "s": [1], "0": "zero"}, {"k": 1, "k2": 2},
           "é☃x", [], {}]


@pytest.mark.parametrize("seed", range(2))
def test_brace_random(fm, seed):
    rng = random.Random(seed)
    formats = sorted({gen_brace(rng) for _ in range(1000 * LONG)})
    lines = value_lines(VALUES + INDEXED)
    diffs = []
    for batch in chunks(formats, 300):
        entries = [{"format": f, "style": "{", "validate": False,
                    "defaults": DEFAULTS if rng.random() < 0.5 else {"w": "7"}} for f in batch]
        diffs += compare(fm, entries, lines)
    assert not diffs, show(diffs)


# ---- '%' and '$': generators of keys, conversions and malformed pieces ----

KEYS = ["x", "x", "x", "message", "msg", "levelno", "created", "name", "args", "a(b)c", "",
        "missing", "naïve", "m s", "asctime"]


def gen_percent(rng):
    pieces = []
    for _ in range(rng.randint(1, 2)):
        pieces.append(pick(rng, ["", "a", "%%", "é ", "{x}", "$x"], 0.6))
        key = "" if rng.random() < 0.05 else "(" + rng.choice(KEYS) + ")"
        pieces.append("%" + key + "".join(rng.sample("-+ #0", rng.randint(0, 2))) +
                      pick(rng, ["", "5", "12", "*", "0"], 0.6) + pick(rng, ["", ".", ".3", ".*", ".0"], 0.6) +
                      pick(rng, ["", "l", "h", "L"], 0.9) +
                      pick(rng, list("sdrxfgc") + list("iouXeEFGa%") + list("zqIDſıK"), 0.0))
    if rng.random() < 0.03:
        pieces.append(rng.choice(["%", "%(", "%(x", "%(x)", "%(x)5", "%(x)-"]))
    return "".join(pieces)


def gen_dollar(rng):
    pieces = [pick(rng, ["", "a", "é", "{x}", "%(x)s", " "], 0.5)]
    for _ in range(rng.randint(1, 3)):
        pieces.append(rng.choice(["$x", "${x}", "$message", "${levelno}", "$$", "$$x", "$x_1",
                                  "${_a1}", "$X", "$msg", "$name", "$missing", "$asctime",
                                  "${asctime}", "$xé", "$1", "$é", "$ſ", "${x", "${}", "${x }",
                                  "$ x", "$", "$-", "${1}"] if rng.random() < 0.2 else
                                 ["$x", "${x}", "$message", "$$", "${levelno}", "$x_"]))
        pieces.append(pick(rng, ["", "b", ".", "\n", "}", "x"], 0.5))
    return "".join(pieces)


@pytest.mark.parametrize("seed", range(2))
def test_percent_random(fm, seed):
    rng = random.Random(seed)
    formats = sorted({gen_percent(rng) for _ in range(700 * LONG)})
    lines = value_lines(VALUES + INDEXED)
    diffs = []
    for batch in chunks(formats, 350):
        entries = [{"format": f, "validate": False, **({"defaults": DEFAULTS} if rng.random() < 0.3 else {})}
                   for f in batch]
        diffs += compare(fm, entries, lines)
    assert not diffs, show(diffs)


def test_dollar_random(fm):
    rng = random.Random(3)
    formats = sorted({gen_dollar(rng) for _ in range(500 * LONG)})
    lines = value_lines(VALUES + INDEXED)
    diffs = []
    for batch in chunks(formats, 250):
        entries = [{"format": f, "style": "$", "validate": False,
                    **({"defaults": DEFAULTS} if rng.random() < 0.3 else {})} for f in batch]
        diffs += compare(fm, entries, lines)
    assert not diffs, show(diffs)


# ---- validation: Formatter(validate=True) accepts and refuses the same formats ----

def osfs_accepts(m, entry):
    fd = os.open(m.p("logging", "formatters", "v", "config"), os.O_WRONLY)
    try:
        os.write(fd, json.dumps(entry).encode())
        return True
    except OSError as e:
        assert e.errno == 22, e
        return False
    finally:
        os.close(fd)


def python_accepts(entry):
    try:
        logging.Formatter(entry["format"], style=entry.get("style", "%"), validate=True)
        return True
    except ValueError:
        return False


def test_validation_agrees(fm):
    m = fm.m
    os.mkdir(m.p("logging", "formatters", "v"))
    rng = random.Random(5)
    cases = [{"format": f} for f in
             [f"%(x){fl}{w}{p}{c}" for fl in FLAG_SETS[::3] for w in WIDTHS + ["*"]
              for p in PRECISIONS + [".*"] for c in CONVERSIONS + "%zIſ"]]
    cases += [{"format": gen_percent(rng)} for _ in range(400 * LONG)]
    cases += [{"format": gen_brace(rng), "style": "{"} for _ in range(1500 * LONG)]
    cases += [{"format": "{x:" + gen_spec(rng, True) + "}", "style": "{"} for _ in range(1500 * LONG)]
    cases += [{"format": gen_dollar(rng), "style": "$"} for _ in range(400 * LONG)]
    cases += [{"format": f} for f in ["%%(name)s", "%(msg).s", "%(name)s %(msg).s", "%(x)ld",
                                      "no fields", "%(x)", "%(a(b))s", "%(é)s", "%(x y)s"]]
    cases += [{"format": f, "style": "{"} for f in
              ["{levelno:.2ff}", "{process:.2Z}", "{x!a:random}", "{name[0]}", "{custom.f:.4f}",
               "{d[key]}", "{d['key']}", "{message:{w}}", "{}", "{0}", "text", "{x}\n", "{x:d\n}",
               "{x[a]b}", "{x.}", "{a.b.c[1][2]}", "{x:{w}.{p}}", "{x:{a}{b}}", "{naïve}",
               "{x٣}", "{x:٣}", "{x:ſ}", "{x:>{w}}"]]
    cases += [{"format": f, "style": "$"} for f in ["$x", "$$", "$", "${x}", "x", "$1", "$$x", "${x"]]
    accepted = sum(python_accepts(c) for c in cases)
    assert 500 < accepted < len(cases) - 500, "the cases must hold both kinds"
    wrong = [(c, python_accepts(c)) for c in cases if osfs_accepts(m, c) != python_accepts(c)]
    assert not wrong, "\n".join(f"{c!r}: python {'accepts' if p else 'refuses'}" for c, p in wrong[:20]) + \
        f"\n({len(wrong)} of {len(cases)} disagree)"


# ---- every JSON type through structured records, as msg and as extras ----

JSON_FORMATS = [
    ("%", "%(x)s|%(x)r|%(x)a"), ("%", "%(x)d"), ("%", "%(x)x"), ("%", "%(x).3f"), ("%", "%(x)c"),
    ("%", "%(x)e"), ("%", "%(msg)s|%(msg)r|%(message)r"), ("%", "%(msg)d"), ("%", "%(msg)-12.3s|"),
    ("{", "{x}|{x!r}|{x!a}"), ("{", "{x:>30}"), ("{", "{x:,}"), ("{", "{x:_}"), ("{", "{x:x}"),
    ("{", "{x:#X}"), ("{", "{x:#o}"), ("{", "{x:#_b}"), ("{", "{x:e}"), ("{", "{x:.3}"), ("{", "{x:c}"),
    ("{", "{x:d}"), ("{", "{x:n}"), ("{", "{x:%}"), ("{", "{x[0]}"), ("{", "{x[1]!r}"), ("{", "{x[k]}"),
    ("{", "{x[a]}"), ("{", "{x[s][0]}"), ("{", "{x.real}"), ("{", "{x:013}"), ("{", "{x:é<8}"),
    ("{", "{x:=8}"), ("{", "{msg}|{msg!r}|{message!r}"), ("{", "{msg:,}"), ("{", "{msg[0]}"),
    ("$", "${x}|$msg|$message"),
]

JSON_LINES = value_lines(VALUES + INDEXED) + [json.dumps({"msg": v}, ensure_ascii=False) for v in VALUES] + [
    '{"msg": "dup", "x": 1, "x": 2}',
    '{"msg": "dup", "x": {"a": 1, "b": 2, "a": [3]}}',
    '{"msg": "dup", "msg": 7}',
    '{"msg": "m", "x": NaN}', '{"msg": "m", "x": -Infinity}', '{"msg": "m", "x": 1e400}',
    r'{"msg": "m", "x": "\ud83d\ude00 pair"}',  # (a \u0000 is refused: test_logging.py)
    r'{"msg": "m", "x": "lone \ud800"}', r'{"msg": "m", "x": ["\udfff"]}',
    '{"msg": "m", "x": -0}', '{"msg": "m", "x": -0.0}', '{"msg": "m", "x": 1E2}',
    '{"msg": "m", "x": 123456789012345678901234567890.5}',
    '{"msg": "m", "x": ' + "9" * 400 + '}', '{"msg": "m", "x": ' + "1" * 4300 + '}',
    '  {"msg": "spaces", "x": [ 1 , { "k" : null } ] }  ',
    r'{"msg": "m", "x": "\t\n\"\\\/\b\f\r"}',
    r'{"msg": "m", "k\u00e9y": 5, "x": {"\u00e9": "é"}}',
    r'{"msg": "m", "x": {"\u0061": 1, "b": 0, "a": 2}}', r'{"msg": "m", "\u0078": 5, "x": 6}',
    '{"msg": "m", "x": {' + ", ".join(f'"k{i % 300}": {i}' for i in range(900)) + '}}',
]


def test_json_values(fm):
    entries = [{"format": f, "style": st, "validate": False} for st, f in JSON_FORMATS]
    diffs = compare(fm, entries, JSON_LINES)
    assert not diffs, show(diffs)


def test_not_json_objects_are_plain_lines(fm):
    """What json.loads refuses, or what is no object, is a plain message."""
    lines = ['{"msg": 1,}', '{"msg": 01}', '{"msg": "raw\ttab"}', '[1, 2]', '"str"', '{"msg": .5}',
             '{"msg": "m", "x": ' + "1" * 4301 + '}', '{"msg": "m"} x', '{', '{"msg": +1}',
             r'{"msg": "bad \x escape"}', '{"msg": "m", "x": nan}', '{"msg": tru}']
    entries = [{"format": "%(msg)r|%(message)s"}, {"format": "{msg!a}", "style": "{"}]
    diffs = compare(fm, entries, lines)
    assert not diffs, show(diffs)


# ---- asctime, datefmt and defaults ----

DATEFMTS = [None, "", "%H:%M:%S", "%Y%m%d %j %a %b %p %%", "%d/%m/%Y %I:%M", "%s", "%Z", "x"]


def test_asctime_datefmt(fm):
    formats = [("%", "%(asctime)s %(message)s"), ("%", "[%(asctime)-30s]"), ("%", "%(asctime)r"),
               ("{", "{asctime:>40}"), ("{", "{asctime[0]}{asctime!a}"), ("$", "$asctime"),
               ("$", "${asctime} x"), ("%", "%(created)f %(msecs)d %(msecs)03d %(relativeCreated)d"),
               ("{", "{created} {msecs} {created:.3} {msecs:5} {relativeCreated:^20}"),
               ("%", "%(created).0f %(created).9f %(created)r %(created)e")]
    entries = [{"format": f, "style": st, **({"datefmt": d} if d is not None else {})}
               for st, f in formats for d in DATEFMTS]
    diffs = compare(fm, entries, ["a", "b", json.dumps({"msg": "c", "x": 1})])
    assert not diffs, show(diffs)


def test_defaults(fm):
    defaults = {"d": 1.0, "b": 10**22, "l": [1, "two"], "s": "é", "n": None, "t": True,
                "asctime": "no time", "message": "never", "x": "default x"}
    formats = [("%", "%(d)r %(b)d %(l)s %(s)s %(n)s %(t)d %(x)s"), ("%", "%(asctime)s"),
               ("{", "{l[1]} {b:,} {d:.2f} {message} {x!r}"), ("$", "$s $asctime $n"),
               ("{", "{x:{s}^{b}}"), ("%", "%s"), ("%", "%r %(d)s")]
    entries = [{"format": f, "style": st, "defaults": defaults, "validate": False} for st, f in formats]
    diffs = compare(fm, entries, ["plain", json.dumps({"msg": "j", "x": [1]})])
    assert not diffs, show(diffs)


# ---- the cases of issue 11, each among its neighbours ----

ISSUE_CASES = [
    ("%", "%(levelno)05.3d"), ("%", "%(x)d"), ("%", "%(x)c"), ("%", "%(name)c"), ("{", "{x:c}"),
    ("{", "{msecs:5}"), ("{", "{created:.3}"), ("{", "{x:^10}"), ("{", "{message:013}"),
    ("{", "{levelname:é<8}"), ("{", "{levelname:=8}"), ("{", "{args:>}"), ("{", "{message:,}"),
    ("{", "{name[0]}"), ("{", "{x.f:.4f}"), ("{", "{x[key]}"), ("{", "{x['key']}"),
    ("%", "%%(name)s %(message)s"), ("%", "%(msg).s|"), ("{", "no fields at all"),
    ("{", "{message:{w}}"),
]


def test_issue_cases(fm):
    entries = [{"format": f, "style": st, "validate": False, "defaults": {"w": 12}} for st, f in ISSUE_CASES]
    values = [1e22, 255, 9731, "x", "ab", 2**64, {"key": "v", "'key'": "q", "f": 1.5}, 3.25]
    diffs = compare(fm, entries, value_lines(values))
    assert not diffs, show(diffs)


def test_defaults_of_every_type(fm):
    """Python merges defaults with `defaults | record.__dict__`: what is no dict fails
    every record, unless it is false (then there are no defaults)."""
    kinds = [None, False, True, 0, 0.0, 1, -2.5, "", "s", [], [1], {}, {"x": "dx"}, 10**30]
    entries = [{"format": "%(message)s %(x)s", "defaults": d, "validate": False} for d in kinds]
    entries += [{"format": "{message} {x}", "style": "{", "defaults": d} for d in kinds]
    diffs = compare(fm, entries, ["plain", json.dumps({"msg": "j", "x": 1})])
    assert not diffs, show(diffs)
