"""dictConfig and fileConfig against Python's own, with /usr/bin/python3 as the
reference: the names ext:// and fileConfig's eval reach (modules/logging/pynames.h)
against the modules themselves; generated dictConfig documents with cfg://,
ext://, '.' and Python's truth (fixed seed; OSFS_CONFIG_DOCS=N for more) --
accepted or refused alike, the same error chain for the configurator's own
errors, and the same lines in the files when accepted; every fileConfig example
of Python's documentation; the all-or-nothing check on disk; refusal messages
that are never garbled."""
import json
import logging.config  # noqa: F401 (the names the configurator sees)
import logging.handlers  # noqa: F401
import os
import random
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 1129


def write_doc(m, node, text):
    """Writes a document; returns None, or the refusal's message (errors' last line)."""
    before = len(m.errors())
    fd = os.open(m.p("logging", node), os.O_RDWR)
    try:
        os.write(fd, text.encode())
        reply = os.read(fd, 65536).decode()
    except OSError:
        reply = "error"
    finally:
        os.close(fd)
    if reply.startswith("ok"):
        return None
    errors = m.errors()
    assert len(errors) > before, reply
    return errors[-1].split(": ", 1)[1]  # "TIME PID NODE ERRNAME: message"


# ---- the name table ----------------------------------------------------------

def rows():
    text = open(os.path.join(ROOT, "modules", "logging", "pynames.h")).read()
    return [(m.group(1), m.group(2), m.group(3)) for m in
            re.finditer(r'^PN\("([^"]*)", (PN_\w+), \w+, (NULL|"(?:[^"\\]|\\.)*")\)$', text, re.M)]


def resolve(path):
    import importlib
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for p in parts[1:]:
        obj = getattr(obj, p)
    return obj


CHECK_NAMES = r"""
import importlib, json, logging.config, logging.handlers, sys, types
def resolve(path):
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for p in parts[1:]:
        obj = getattr(obj, p)
    return obj
table = json.load(sys.stdin)
bad = []
for path, kind, text in table:
    value = resolve(path)
    text = json.loads(text) if text != "NULL" else None
    ok = True
    if kind in ("PN_DATA", "PN_FLOAT"):
        ok = json.loads(text) == value and (type(json.loads(text)) is type(value) or isinstance(value, dict))
    elif kind == "PN_CLASS":
        ok = isinstance(value, type) and f"{value.__module__}.{value.__qualname__}" == text
    elif kind == "PN_FUNCTION":
        ok = callable(value) and not isinstance(value, type)
    elif kind in ("PN_PACKAGE", "PN_MODULE", "PN_ALIAS", "PN_OPAQUE"):
        ok = isinstance(value, types.ModuleType) and value.__name__ == text
    elif kind == "PN_STREAM":
        ok = value is getattr(sys, text)
    elif kind == "PN_OTHER":
        ok = type(value).__name__ in text
    if not ok:
        bad.append(path)
listed = {p for p, _, _ in table}
for mod in ("logging", "logging.handlers", "logging.config", "builtins", "socket"):
    names = {f"{mod}.{n}" for n in vars(resolve(mod)) if not n.startswith("__")}
    bad += sorted(names - listed)
print(json.dumps(bad))
"""


def test_names_are_pythons():
    """Every row of the table is what Python has under that name, and the modules
    osfs models are whole: a name missing from the table is missing in Python."""
    table = rows()
    assert len(table) > 1000
    r = subprocess.run([sys.executable, "-c", CHECK_NAMES], input=json.dumps(table), text=True,
                       capture_output=True, check=True)
    assert json.loads(r.stdout) == []


def test_ext_values_are_pythons(fresh):
    """Every int osfs knows by name, through ext:// as a handler's level, read back."""
    import logging
    paths = [p for p, kind, text in rows()  # (levels beyond 32 bits: a documented difference)
             if kind == "PN_SOCKET" or (kind == "PN_DATA" and re.fullmatch(r'"-?\d{1,9}"', text))]
    handlers = {f"h{i}": {"class": "logging.NullHandler", "level": f"ext://{p}"}
                for i, p in enumerate(paths)}
    assert write_doc(fresh, "config", json.dumps({"version": 1, "handlers": handlers})) is None
    got = json.loads(fresh.read("logging", "config"))["handlers"]
    for i, p in enumerate(paths):
        value = resolve(p)
        name = logging.getLevelName(int(value))  # a level without a name reads back as its number
        assert got[f"h{i}"]["level"] == (int(value) if name.startswith("Level ") else name), p
    # strings, as a formatter's format
    doc = {"version": 1, "formatters": {"f": {"format": "ext://logging.BASIC_FORMAT"}}}
    assert write_doc(fresh, "config", json.dumps(doc)) is None
    assert fresh.read("logging", "formatters", "f", "format") == logging.BASIC_FORMAT + "\n"


# ---- dictConfig documents ----------------------------------------------------

PYTHON_DICT = r"""
import json, logging, logging.config, sys
def chain(e):
    parts = []
    while e is not None:
        parts.append(str(e) if type(e) is ValueError else f"{type(e).__name__}: {e}")
        e = e.__cause__
    return ": ".join(parts)
out = []
for doc, records in json.load(sys.stdin):
    try:
        logging.config.dictConfig(doc)
    except Exception as e:
        out.append(chain(e))
        continue
    for name, level, msg in records:
        logging.getLogger(None if name == "root" else name).log(level, msg)
    for h in logging._handlerList:
        h = h()
        if h:
            h.flush()
    out.append(None)
logging.shutdown()
print(json.dumps(out))
"""

FORMATS = ["%(levelname)s:%(name)s:%(message)s", "{levelname} {name} {message}",
           "%(name)s|%(levelno)d|%(message)s"]
LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", 10, 20, 30, 40, 50, 0, 25]
TRUTHS = [True, False, "true", "false", "", "0", 0, 1, [], [0], {}, {"a": 1}, None, 0.0, 2]
TERMINATORS = ["\n", "!\n", " | ", "\r\n", "\n\n"]
# Errors of the configurator itself: compared message for message.
BAD_REFERENCES = ["cfg://consts.missing", "cfg://alist[9]", "cfg://alist[x]", "cfg://consts.fmt[0]",
                  "cfg://consts.nested.a[1]", "cfg://!x", "cfg://consts.fmt!", "ext://logging.NOPE",
                  "ext://logging.handlers.SysLogHandler.LOG_NOPE", "ext://sys.stdout",
                  "cfg://nowhere", "cfg://consts[nested][a][0]", "cfg://alist.0", "cfg://self",
                  "ext://logging.handlers.logging.NOPE", "cfg://consts.nested.a[99999999999999999999]"]


def level_value(rng, consts_level):
    return rng.choice([rng.choice(LEVELS), f"ext://logging.{rng.choice(['DEBUG', 'INFO', 'ERROR', 'WARN', 'FATAL'])}",
                       "cfg://consts.lvl", f"cfg://alist[{rng.randrange(4)}]", "cfg://consts[lvl]",
                       "ext://logging.handlers.SysLogHandler.LOG_LOCAL3"])


def make_doc(rng, i, bad):
    consts = {"fmt": rng.choice(FORMATS), "lvl": rng.choice(["INFO", "WARNING", 15]),
              "nested": {"a": ["DEBUG", "ERROR", "ext://logging.CRITICAL"]}}
    doc = {"version": 1, "disable_existing_loggers": rng.choice(TRUTHS),
           "consts": consts, "alist": ["DEBUG", "ext://logging.WARNING", 30, "cfg://consts.lvl"],
           "paths": {"main": "{DIR}/main.log", "other": ["{DIR}/other.log"]},
           "unused": {"x": "ext://nowhere.at.all", "y": "cfg://no.such[thing]"}, "self": "cfg://self"}
    fmt = rng.choice(["cfg://consts.fmt", "cfg://consts[fmt]", rng.choice(FORMATS)])
    style = "{" if "{levelname}" in (consts["fmt"] if fmt.startswith("cfg") else fmt) else "%"
    doc["formatters"] = {"f": {"format": fmt, "style": style, "validate": rng.choice(TRUTHS)}}
    consts["cls"] = "logging.FileHandler"
    consts["fname"] = "f"
    consts["props"] = {"terminator": rng.choice(TERMINATORS)}
    main = {"class": rng.choice(["logging.FileHandler", "cfg://consts.cls",
                                 "logging.handlers.logging.FileHandler"]),
            "formatter": rng.choice(["f", "cfg://consts.fname", "", None]),
            "filename": rng.choice(["cfg://paths.main", "{DIR}/main.log"]),
            "mode": rng.choice(["a", "w"]), "delay": rng.choice(TRUTHS),
            "level": level_value(rng, consts["lvl"])}
    if rng.random() < 0.6:
        main["."] = rng.choice([{"terminator": rng.choice(TERMINATORS)}, "cfg://consts.props", {}])
    other = {"class": rng.choice(["logging.FileHandler", "ext://logging.FileHandler"])
             if False else "logging.FileHandler",
             "filename": rng.choice(["cfg://paths.other[0]", "{DIR}/other.log"]),
             "level": level_value(rng, consts["lvl"])}
    if rng.random() < 0.3:
        other["."] = {"level": rng.choice([10, 40])}
    doc["handlers"] = {"main": main, "other": other}
    name = f"L{i}"
    doc["loggers"] = {
        name: {"level": level_value(rng, consts["lvl"]), "handlers": rng.choice([["main"], ["main", "other"], [], ""]),
               "propagate": rng.choice(TRUTHS)},
        f"{name}.sub": {"level": rng.choice(LEVELS + [None]), "propagate": rng.choice(TRUTHS),
                        "handlers": rng.choice([["other"], "cfg://hlist", []])},
    }
    doc["hlist"] = ["other"]
    doc["root"] = {"level": level_value(rng, consts["lvl"]), "handlers": rng.choice([["other"], []])}
    if rng.random() < 0.2:
        doc["disable_existing_loggers"] = rng.choice(["ext://logging.raiseExceptions",
                                                      "cfg://consts.nested.a"])
    if bad:  # one reference that cannot be resolved, somewhere a value is read
        where = rng.choice(["main.level", "other.level", "logger.level", "root.level", "fmt",
                            "logger.propagate", "main.delay"])  # (a file name: relative files)
        ref = rng.choice(BAD_REFERENCES)
        target = {"main.level": (main, "level"), "other.level": (other, "level"),
                  "logger.level": (doc["loggers"][name], "level"), "root.level": (doc["root"], "level"),
                  "fmt": (doc["formatters"]["f"], "format"), "main.filename": (main, "filename"),
                  "logger.propagate": (doc["loggers"][name], "propagate"),
                  "main.delay": (main, "delay")}[where]
        target[0][target[1]] = ref
    records = [(n, lv, f"record {i} {n} {lv}") for n in ("root", name, f"{name}.sub")
               for lv in (10, 20, 30, 40, 50)]
    return doc, records


def with_dir(doc, d):
    return json.loads(json.dumps(doc).replace("{DIR}", d))


# What osfs refuses where Python takes the value and then fails on it at every
# record ("Differences from Python" in the README).
REFUSED_KNOWINGLY = re.compile(r"expected string or bytes-like object|datefmt: a str|"
                               r"is no value osfs can give")

# Python messages osfs gives word for word: the configurator's and the conversions'.
SAME_MESSAGE = re.compile(r"KeyError|IndexError|Cannot resolve|Unable to convert|Unknown level|"
                          r"Level not an integer|RecursionError|list indices|string indices|"
                          r"not subscriptable|unhashable|Unsupported version")


def test_dictconfig_documents_equal_pythons(fresh, tmp_path):
    rng = random.Random(SEED)
    n = int(os.environ.get("OSFS_CONFIG_DOCS", "40"))
    docs = [make_doc(rng, i, bad=rng.random() < 0.35) for i in range(n)]
    for i in range(n):
        for side in ("py", "os"):
            (tmp_path / f"{side}-{i}").mkdir()
    py_in = [(with_dir(doc, str(tmp_path / f"py-{i}")), records) for i, (doc, records) in enumerate(docs)]
    r = subprocess.run([sys.executable, "-c", PYTHON_DICT], input=json.dumps(py_in), text=True,
                       capture_output=True, check=True)
    theirs = json.loads(r.stdout.splitlines()[-1])
    refused = accepted = 0
    skipped = set()
    for i, (doc, records) in enumerate(docs):
        ours = write_doc(fresh, "config", json.dumps(with_dir(doc, str(tmp_path / f"os-{i}"))))
        want = theirs[i]
        if want is None and ours is not None and REFUSED_KNOWINGLY.search(ours):
            skipped.add(i)  # Python takes it, and then fails at every record: README
            continue
        assert (ours is None) == (want is None), (i, doc, ours, want)
        if want is not None:
            refused += 1
            if SAME_MESSAGE.search(want):
                assert ours == want, (i, doc)
            continue
        accepted += 1
        for name, level, msg in records:
            node = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}[level]
            with open(fresh.p("logging", "loggers", name, node), "w") as f:
                f.write(msg + "\n")
    # the files, after the whole run (Python wrote them as it went)
    for i in set(range(n)) - skipped:
        for f in ("main.log", "other.log"):
            a, b = tmp_path / f"py-{i}" / f, tmp_path / f"os-{i}" / f
            assert a.exists() == b.exists() or theirs[i] is not None, (i, f)
            if a.exists() and b.exists():
                assert b.read_bytes() == a.read_bytes(), (i, f, docs[i][0])
    assert refused and accepted and len(skipped) < n // 10


@pytest.mark.parametrize("doc", [
    # the documentation's example of cfg:// into a handler's entry
    {"version": 1, "handlers": {"email": {"class": "logging.handlers.SMTPHandler", "mailhost": "localhost",
                                          "fromaddr": "my_app@domain.tld",
                                          "toaddrs": ["support_team@domain.tld", "dev_team@domain.tld"],
                                          "subject": "Houston, we have a problem."},
                                "x": {"class": "logging.NullHandler",
                                      "level": "cfg://handlers.email[toaddrs][0]"}}},
    {"version": 1, "alist": ["a", "INFO"], "handlers": {"h": {"class": "logging.NullHandler",
                                                              "level": "cfg://alist[1]"}}},
    {"version": 1, "t": {"class": "logging.NullHandler"}, "handlers": {"a": "cfg://t", "b": "cfg://t"}},
    {"version": 1, "handlers": {"a": {"class": "logging.NullHandler"},
                                "b": {"class": "logging.NullHandler", "level": "cfg://handlers.a"}}},
    {"version": 1, "handlers": {"m": {"class": "logging.handlers.MemoryHandler", "capacity": 2,
                                      "target": "n"},
                                "n": {"class": "logging.handlers.MemoryHandler", "capacity": 2,
                                      "target": "m"}}},
    {"version": 1, "handlers": {"m": {"class": "logging.handlers.MemoryHandler", "capacity": 2,
                                      "target": "z", "flushLevel": "cfg://lv"},
                                "z": {"class": "logging.NullHandler"}}, "lv": "ERROR"},
    {"version": 1, "handlers": {"h": {"class": "logging.NullHandler", ".": "cfg://props"}},
     "props": {"level": 10, "name": "x"}},
    {"version": 1, "handlers": {"h": {"class": "logging.NullHandler", ".": ["level"]}}},
    {"version": 1, "handlers": {"h": {"class": "logging.NullHandler", "bad-key": 1}}},
    {"version": 1, "handlers": {"h": {"class": "logging.FileHandler"}}},
    {"version": 1, "handlers": {"h": {"class": "logging.handlers.SMTPHandler", "mailhost": "x"}}},
    {"version": 1, "incremental": True, "handlers": {"nope": {"level": "INFO"}}},
    {"version": 1, "incremental": "yes", "loggers": {"a": {"level": "cfg://x"}}},
    {"version": 1, "formatters": {"f": {"()": "logging.Formatter", "format": "%(message)s"}}},
    {"version": 1, "filters": {"f": {"()": "logging.Filter", "name": "a.b"}}},
    {"version": "1"}, {"version": True}, {"version": 1.0}, {"formatters": {}},
    # a formatter's class goes through logging.config._resolve, not the configurator's
    {"version": 1, "formatters": {"f": {"class": "logging.Nope"}}},
    {"version": 1, "formatters": {"f": {"class": "logging.handlers.Nope"}}},
    # a bool is an int; a mode that is no string is FileHandler's TypeError
    {"version": 1, "handlers": {"h": {"class": "logging.handlers.RotatingFileHandler",
                                      "filename": "/dev/null", "maxBytes": True, "backupCount": False}}},
    {"version": 1, "handlers": {"h": {"class": "logging.handlers.MemoryHandler", "capacity": True}}},
    {"version": 1, "handlers": {"h": {"class": "logging.handlers.SocketHandler", "host": "127.0.0.1",
                                      "port": True}}},
    {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": "/dev/null",
                                      "mode": None}}},
    {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": "/dev/null",
                                      "mode": 5}}},
    # FileHandler's own errors: os.fspath, open()'s mode check, the open itself
    *({"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": name}}}
      for name in ("", None, 5, "/nonexistent-dir/x.log", "/proc/version/x.log")),
    *({"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": "/dev/null",
                                        "mode": mode}}}
      for mode in ("q", "", "ra", "tb", "+", "aa", "rw+")),
])
def test_documents_like_pythons(fresh, doc):
    """Hand-picked documents of the documentation and the configurator's corners."""
    r = subprocess.run([sys.executable, "-c", PYTHON_DICT], input=json.dumps([[doc, []]]), text=True,
                       capture_output=True, check=True)
    want = json.loads(r.stdout.splitlines()[-1])[0]
    ours = write_doc(fresh, "config", json.dumps(doc))
    assert ours == want


def test_dot_key_sets_what_python_sets(fresh, tmp_path):
    """The '.' key's attributes: a terminator in the file; an attribute osfs does
    not model is refused by its name (Python would set it and go on)."""
    log = tmp_path / "t.log"
    doc = {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log),
                                            ".": {"terminator": " <END>\n"}}},
           "root": {"handlers": ["h"]}}
    assert write_doc(fresh, "config", json.dumps(doc)) is None
    with open(fresh.p("logging", "loggers", "root", "error"), "w") as f:
        f.write("one\ntwo\n")
    assert log.read_text() == "one <END>\ntwo <END>\n"
    assert json.loads(fresh.read("logging", "handlers", "h", "config"))["."] == {"terminator": " <END>\n"}
    doc["handlers"]["h"]["."] = {"namer": "my.namer"}
    assert write_doc(fresh, "config", json.dumps(doc)) == \
        "Unable to configure handler 'h': '.': FileHandler has no attribute 'namer' that osfs models"


def test_syslog_ident_and_append_nul(fresh):
    """SysLogHandler's ident and append_nul, set by the '.' key, on the wire as Python sends them."""
    import socket
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    port = rx.getsockname()[1]
    try:
        for props in ({"ident": "app[1]: "}, {"append_nul": ""}, {"ident": "é ", "append_nul": 0},
                      {"append_nul": "false"}):
            doc = {"version": 1, "handlers": {"s": {"class": "logging.handlers.SysLogHandler",
                                                    "address": ["127.0.0.1", port], ".": props}},
                   "root": {"handlers": ["s"]}}
            subprocess.run([sys.executable, "-c", PYTHON_DICT],
                           input=json.dumps([[doc, [["root", 40, "message"]]]]), text=True, check=True,
                           capture_output=True)
            theirs = rx.recv(4096)
            assert write_doc(fresh, "config", json.dumps(doc)) is None
            with open(fresh.p("logging", "loggers", "root", "error"), "w") as f:
                f.write("message\n")
            assert rx.recv(4096) == theirs, props
    finally:
        rx.close()


# ---- all or nothing, on disk --------------------------------------------------

def test_refused_document_changes_nothing_on_disk(fresh, tmp_path):
    kept = tmp_path / "kept.log"
    kept.write_text("earlier lines\n")
    new = tmp_path / "new.log"
    doc = {"version": 1,
           "handlers": {"a": {"class": "logging.FileHandler", "filename": str(kept), "mode": "w"},
                        "b": {"class": "logging.FileHandler", "filename": str(new)},
                        "c": {"class": "logging.handlers.RotatingFileHandler", "filename": str(new) + ".r",
                              "mode": "w", "maxBytes": 10}},
           "loggers": {"x": {"handlers": ["a", "b", "c"]}},
           "root": {"level": "NO SUCH LEVEL"}}  # the last part is bad
    assert write_doc(fresh, "config", json.dumps(doc)).startswith("Unable to configure root logger")
    assert kept.read_text() == "earlier lines\n"  # not truncated
    assert not new.exists() and not (tmp_path / "new.log.r").exists()  # not created
    # a failure while opening, after everything was accepted: what was made is taken back
    doc["root"] = {"level": "INFO"}
    doc["handlers"]["d"] = {"class": "logging.FileHandler", "filename": str(tmp_path / "x.log"), "mode": "x"}
    doc["handlers"]["e"] = {"class": "logging.FileHandler", "filename": str(tmp_path / "x.log"), "mode": "x"}
    assert "File exists" in write_doc(fresh, "config", json.dumps(doc))
    assert kept.read_text() == "earlier lines\n"
    assert sorted(os.listdir(tmp_path)) == ["kept.log"]
    # Python, for the record, creates and truncates before it finds the bad level
    doc["handlers"] = {k: v for k, v in doc["handlers"].items() if k in "abc"}
    doc["root"] = {"level": "NO SUCH LEVEL"}
    r = subprocess.run([sys.executable, "-c", PYTHON_DICT], input=json.dumps([[doc, []]]), text=True,
                       capture_output=True, check=True)
    assert json.loads(r.stdout.splitlines()[-1])[0].startswith("Unable to configure root logger")
    assert kept.read_text() == "" and new.exists()
    # and a good document then does it all
    kept.write_text("earlier lines\n")
    new.unlink()
    doc["root"] = {"level": "INFO"}
    assert write_doc(fresh, "config", json.dumps(doc)) is None
    assert kept.read_text() == "" and new.exists()


def test_refused_fileconfig_changes_nothing_on_disk(fresh, tmp_path):
    kept = tmp_path / "kept.log"
    kept.write_text("earlier\n")
    ini = f"""[loggers]
keys=root
[handlers]
keys=a,b
[formatters]
keys=
[logger_root]
handlers=a,b
level=LOUD
[handler_a]
class=FileHandler
args=('{kept}', 'w')
[handler_b]
class=FileHandler
args=('{tmp_path}/made.log',)
"""
    assert write_doc(fresh, "fileconfig", ini) == "Unknown level: 'LOUD'"
    assert kept.read_text() == "earlier\n" and not (tmp_path / "made.log").exists()


# ---- messages never garbled ----------------------------------------------------

def test_refusals_are_not_garbled(fresh):
    """A refusal that explains another one once printed its own buffer into itself
    ("Unable to configure filter 'f': Unable to configure filter 'f': pported: ...")."""
    for section, word in (("filters", "filter"), ("formatters", "formatter"), ("handlers", "handler")):
        doc = {"version": 1, section: {"f": {"()": "my.package.Factory", "class": "logging.NullHandler"}}}
        assert write_doc(fresh, "config", json.dumps(doc)) == (
            f"Unable to configure {word} 'f': custom factories '()' are not supported: osfs runs no "
            "Python ('my.package.Factory')") or word == "handler"
    long_name = "n" * 300
    doc = {"version": 1, "filters": {long_name: {"()": "my.Factory"}}}
    msg = write_doc(fresh, "config", json.dumps(doc))
    assert msg.startswith(f"Unable to configure filter '{long_name}': custom factories")


# ---- fileConfig ---------------------------------------------------------------

# The examples of Python's documentation (Doc/library/logging.config.rst, "Configuration
# file format", and Doc/howto/logging.rst) that need no Python code of their own.
HOWTO = """[loggers]
keys=root,simpleExample

[handlers]
keys=consoleHandler

[formatters]
keys=simpleFormatter

[logger_root]
level=DEBUG
handlers=consoleHandler

[logger_simpleExample]
level=DEBUG
handlers=consoleHandler
qualname=simpleExample
propagate=0

[handler_consoleHandler]
class=StreamHandler
level=DEBUG
formatter=simpleFormatter
args=(sys.stdout,)

[formatter_simpleFormatter]
format=%(asctime)s - %(name)s - %(levelname)s - %(message)s
"""

REFERENCE_SECTIONS = """[logger_root]
level=NOTSET
handlers=hand01

[logger_parser]
level=DEBUG
handlers=hand01
propagate=1
qualname=compiler.parser

[handler_hand01]
class=StreamHandler
level=NOTSET
formatter=form01
args=(sys.stdout,)

[handler_hand02]
class=FileHandler
level=DEBUG
formatter=form02
args=('python.log', 'w')

[handler_hand03]
class=handlers.SocketHandler
level=INFO
formatter=form03
args=('localhost', handlers.DEFAULT_TCP_LOGGING_PORT)

[handler_hand04]
class=handlers.DatagramHandler
level=WARN
formatter=form04
args=('localhost', handlers.DEFAULT_UDP_LOGGING_PORT)

[handler_hand05]
class=handlers.SysLogHandler
level=ERROR
formatter=form05
args=(('localhost', handlers.SYSLOG_UDP_PORT), handlers.SysLogHandler.LOG_USER)

[handler_hand06]
class=handlers.NTEventLogHandler
level=CRITICAL
formatter=form06
args=('Python Application', '', 'Application')

[handler_hand07]
class=handlers.SMTPHandler
level=WARN
formatter=form07
args=('localhost', 'from@abc', ['user1@abc', 'user2@xyz'], 'Logger Subject')
kwargs={'timeout': 10.0}

[handler_hand08]
class=handlers.MemoryHandler
level=NOTSET
formatter=form08
target=
args=(10, ERROR)

[handler_hand09]
class=handlers.HTTPHandler
level=NOTSET
formatter=form09
args=('localhost:9022', '/log', 'GET')
kwargs={'secure': True}

[formatter_form01]
format=F1 %(asctime)s %(levelname)s %(message)s %(customfield)s
datefmt=
style=%
validate=True
defaults={'customfield': 'defaultvalue'}
class=logging.Formatter
"""

REFERENCE = """[loggers]
keys=root,parser

[handlers]
keys=hand01,hand02,hand03,hand04,hand05,hand06,hand07,hand08,hand09

[formatters]
keys=form01

""" + REFERENCE_SECTIONS

PYTHON_FILE = r"""
import json, logging, logging.config, sys, io, os
if sys.version_info < (3, 12):  # the current reference's formatters: with their defaults (3.12+)
    def _create_formatters(cp):
        flist = cp["formatters"]["keys"]
        if not len(flist):
            return {}
        formatters = {}
        for form in logging.config._strip_spaces(flist.split(",")):
            sectname = "formatter_%s" % form
            fs = cp.get(sectname, "format", raw=True, fallback=None)
            dfs = cp.get(sectname, "datefmt", raw=True, fallback=None)
            stl = cp.get(sectname, "style", raw=True, fallback='%')
            defaults = cp.get(sectname, "defaults", raw=True, fallback=None)
            c = logging.Formatter
            class_name = cp[sectname].get("class")
            if class_name:
                c = logging.config._resolve(class_name)
            if defaults is not None:
                defaults = eval(defaults, vars(logging))
                formatters[form] = c(fs, dfs, stl, defaults=defaults)
            else:
                formatters[form] = c(fs, dfs, stl)
        return formatters
    logging.config._create_formatters = _create_formatters
def chain(e):
    parts = []
    while e is not None:
        parts.append(str(e) if type(e) is ValueError else f"{type(e).__name__}: {e}")
        e = e.__cause__
    return ": ".join(parts)
text, records = json.load(sys.stdin)
out = {"outcome": None, "handlers": {}}
try:
    logging.config.fileConfig(io.StringIO(text))
except Exception as e:
    out["outcome"] = chain(e)
else:
    for name, level, msg in records:
        logging.getLogger(None if name == "root" else name).log(level, msg)
    for name, h in logging._handlers.items():
        attrs = {k: v for k, v in vars(h).items()
                 if isinstance(v, (str, int, float, bool, type(None), tuple, list))}
        out["handlers"][name] = {"class": type(h).__name__, "level": h.level, **attrs}
    logging.shutdown()
sys.stdout.flush()
print("\n" + json.dumps(out))
"""

def level_json(level):
    """How a handler's config reads a level back: its name, or the number without one."""
    name = logging.getLevelName(level)
    return level if name.startswith("Level ") else name


def mount_in(directory, make_mount):
    """A mount whose daemon starts in directory: relative file names are found there."""
    import conftest
    cwd, binary = os.getcwd(), conftest.OSFS
    conftest.OSFS = os.path.abspath(binary)
    os.chdir(directory)
    try:
        return make_mount()
    finally:
        os.chdir(cwd)
        conftest.OSFS = binary


TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")


def python_file_config(text, records, cwd):
    r = subprocess.run([sys.executable, "-c", PYTHON_FILE], input=json.dumps([text, records]),
                       text=True, capture_output=True, check=True, cwd=cwd)
    *printed, result = r.stdout.split("\n")
    while not result and printed:
        result = printed.pop()
    return json.loads(result), "\n".join(printed)


# What osfs's readback calls the attributes Python has (where it keeps them).
ATTRIBUTES = {"SocketHandler": {"host": "host", "port": "port"},
              "DatagramHandler": {"host": "host", "port": "port"},
              "SMTPHandler": {"mailhost": "mailhost", "fromaddr": "fromaddr", "toaddrs": "toaddrs",
                              "subject": "subject", "timeout": "timeout"},
              "MemoryHandler": {"capacity": "capacity", "flushLevel": "flushLevel"},
              "HTTPHandler": {"host": "host", "url": "url", "method": "method", "secure": "secure"},
              "FileHandler": {"mode": "mode"},
              "SysLogHandler": {"facility": "facility"}}


@pytest.mark.parametrize("text", [HOWTO, REFERENCE])
def test_documentation_examples_like_pythons(tmp_path, make_mount, text):
    """Each example is accepted or refused as Python does (the reference's handler
    sections name formatters form02 to form09 it does not show: refused, KeyError;
    with form01 for all, accepted), and the handlers it makes have Python's
    classes, levels and arguments; the records to the console read the same but
    for the time."""
    variants = [text, re.sub(r"formatter=form0[2-9]", "formatter=form01", text)]
    variants = variants[:1] if variants[1] == text else variants
    m = mount_in(tmp_path, make_mount)  # python.log is relative: both resolve it here
    for variant in variants:
        records = [("root", 20, "root info"), ("compiler.parser", 10, "parser debug"),
                   ("simpleExample", 30, "simple warning")]
        want, printed = python_file_config(variant, records, tmp_path)
        ours = write_doc(m, "fileconfig", variant)
        if want["outcome"] is not None:
            assert ours is not None and want["outcome"] in ours, (ours, want)
            continue
        assert ours is None, ours
        for name in ("compiler.parser", "simpleExample"):  # made after, as Python's getLogger
            os.makedirs(m.p("logging", "loggers", name), exist_ok=True)
        before = m.output()
        for name, level, msg in records:
            with open(m.p("logging", "loggers", name, "log"), "w") as f:
                f.write({10: "DEBUG", 20: "INFO", 30: "WARNING"}[level] + " " + msg + "\n")
        deadline = time.time() + 5
        lines = [line for line in printed.splitlines() if not line.startswith("The Python Win32")]
        while time.time() < deadline:
            got = m.output()[len(before):].splitlines()
            if len(got) >= len(lines):
                break
            time.sleep(0.02)
        assert [TIME.sub("T", line) for line in got] == [TIME.sub("T", line) for line in lines]
        for name, attrs in want["handlers"].items():
            config = json.loads(m.read("logging", "handlers", name, "config"))
            assert config["class"].rsplit(".", 1)[1] == attrs["class"], name
            assert config["level"] == level_json(attrs["level"]), name
            for py_name, our_name in ATTRIBUTES.get(attrs["class"], {}).items():
                if py_name in attrs:
                    value = config.get(our_name)
                    if py_name in ("host", "port") and "mailhost" not in config:
                        value = config.get(py_name)
                    if py_name == "mailhost":
                        continue
                    assert value == attrs[py_name] or (py_name == "flushLevel" and value == attrs[py_name]) \
                        or (py_name == "secure" and bool(value) == bool(attrs[py_name])), (name, py_name)
    m.unmount()


FILE_ERRORS = [
    "[formatters]\nkeys=\n[handlers]\nkeys=\n[loggers]\nkeys=root\n",  # no [logger_root]
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=StreamHandler\nargs=(sys.stdot,)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=StreamHandler\nargs=(nosuch,)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=FileHandler\nargs=('a', 'b', 'c', 'd', 'e', 'f')\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=handlers.SysLogHandler\nargs=(('localhost', handlers.SYSLOG_UDP_PORT), "
    "handlers.SysLogHandler.LOG_NOPE)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\nlevel=10\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h,\n"
    "[handler_h]\nclass=NullHandler\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root,a\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\n[logger_a]\nqualname=a\nhandlers=\npropagate=yes\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\n[handler_h]\nclass=NullHandler\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\nclass=StreamHandler\n",
    "keys=root\n",
    "[formatters]\nkeys=f\n[handlers]\nkeys=\n[loggers]\nkeys=root\n[logger_root]\nhandlers=\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=StreamHandler\nargs=(sys.stdout,\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=StreamHandler\nargs=%(nokey)s\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=handlers.MemoryHandler\nargs=(10, ERROR)\ntarget=nope\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=FileHandler\nargs=('x.log',)\nkwargs={'mode': 'a', 'bogus': 1}\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=handlers.SMTPHandler\nargs=('localhost', 'a@b', ['x@y' 'z@w'], 'subject')\n"
    "kwargs={'timeout': 1 / 0}\n",
    # the Formatter's own ValueError, with its section
    "[formatters]\nkeys=f\n[formatter_f]\nformat=%(message)s\nstyle={\n[handlers]\nkeys=\n"
    "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n",
    "[formatters]\nkeys=f\n[formatter_f]\nformat=%(message)s\nstyle=%%%%\n[handlers]\nkeys=\n"
    "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n",
    "[formatters]\nkeys=f\n[formatter_f]\nformat={message!x}\nstyle={\n[handlers]\nkeys=\n"
    "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n",
    "[formatters]\nkeys=f\n[formatter_f]\nformat=$$\nstyle=$\n[handlers]\nkeys=\n"
    "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n",
    # an index past what Py_ssize_t holds, and one within it
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\nargs=([1][2**63],)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\nargs=((1, 2)[2**62],)\n",
]

FILE_ACCEPTED = [
    # ; is no inline comment in configparser; continuation lines; DEFAULT and interpolation
    "[DEFAULT]\nlevel=INFO\nname=app ;not a comment\n[formatters]\nkeys=f\n[formatter_f]\n"
    "format=%(name)s ; %(message)s\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\n"
    "handlers=h\n[handler_h]\nclass=StreamHandler\nformatter=f\nargs=(\n  sys.stdout,\n  )\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=handlers.RotatingFileHandler\nargs=('r.log', 'a', 1024 * 1024, 5)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=handlers.SysLogHandler\nargs=tuple()\nkwargs=dict(facility=handlers.SysLogHandler.LOG_LOCAL0)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h,m\n[loggers]\nkeys=root\n[logger_root]\nhandlers=m\n"
    "[handler_h]\nclass=logging.handlers.WatchedFileHandler\nargs=['w.log']\n"
    "[handler_m]\nclass=handlers.MemoryHandler\nargs=(10, ERROR)\ntarget=h\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=handlers.TimedRotatingFileHandler\nargs=('t.log', 'midnight', 1, 7, None, True)\n",
    "[formatters]\nkeys=\n[handlers]\nkeys=h\n[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n"
    "[handler_h]\nclass=NullHandler\nargs=(WARN,)\n",
]


@pytest.mark.parametrize("text", FILE_ERRORS + FILE_ACCEPTED)
def test_fileconfig_like_pythons(tmp_path, make_mount, text):
    """Accepted or refused as Python does; a refusal names Python's error (with the
    section and option where it is)."""
    m = mount_in(tmp_path, make_mount)
    want, _ = python_file_config(text, [], tmp_path)
    ours = write_doc(m, "fileconfig", text)
    if want["outcome"] is None:
        assert ours is None, ours
        for name, attrs in want["handlers"].items():
            config = json.loads(m.read("logging", "handlers", name, "config"))
            assert config["level"] == level_json(attrs["level"]), name
    else:
        # (the errors log is one line a refusal; configparser names the source '<string>')
        expected = " ".join(want["outcome"].split(" (<string>")[0].replace("'<???>'", "'<string>'").split())
        assert ours is not None and expected in " ".join(ours.split()), (ours, want)
    m.unmount()


@pytest.mark.parametrize("text", [
    '{"version": {"a": 1, "b": [1.0, 2], "a": 2}}',  # a key twice: its last value, first place
    '{"version": 1, "x": {"k": 1, "k": "cfg://x"}, "handlers": {"h": {"class": "logging.NullHandler",'
    ' "level": "cfg://x.k"}}}',
    '{"version": 1, "handlers": {"h": {"class": "logging.NullHandler", "level": NaN}}}',
    '{"version": 1, "handlers": {"h": {"class": "logging.NullHandler", "level": 10.0}}}',
    '{"version": 1, "handlers": {"h": {"class": "logging.NullHandler", "level": true}}}',
])
def test_json_as_python_reads_it(fresh, text):
    """The document as json.loads reads it (duplicate keys, floats, NaN) and then the
    configurator: the same answer as Python's for the same text."""
    r = subprocess.run([sys.executable, "-c", PYTHON_DICT], text=True, capture_output=True, check=True,
                       input=json.dumps([[json.loads(text), []]]))
    assert write_doc(fresh, "config", text) == json.loads(r.stdout.splitlines()[-1])[0]


# --- fileConfig's configparser, over random files (fixed seed) ---------------------

from conftest import OSFS  # noqa: E402

INI_DUMP = os.path.join(os.path.dirname(os.path.dirname(OSFS)), "tests", "unit", "ini_dump")
INI_SECTIONS = ["[a]", "[b]", "[DEFAULT]", "[ c ]", "[a]b]", "[]", "[x y]", "[loggers]", "[é]"]
INI_KEYS = ["k", "K", " k ", "k k", "", "level", "x", "é", "a", "Key2"]
INI_DELIMITERS = ["=", ":", " = ", " : ", "=:", ":="]
INI_VALUES = ["", "v", " v ", "a;b", "#x", "%(k)s", "%%", "%(nokey)s", "%", "%(K)s", "é", "a=b",
              "v ;c", "\u00a0v\u00a0", "v\x1c", "%(level)s%(x)s", "%(a", "%x", "1, 2"]
INI_OTHER = ["", "   ", "#c", ";c", "  #c", "  cont", "\tcont", "    ", "junk", "  ", "\u00a0",
             "rem ; x"]


def random_ini(rng):
    """A file of sections, options, blank and comment lines, continuation lines
    (indented, or with odd whitespace), and lines configparser refuses."""
    def line():
        r = rng.random()
        if r < 0.15:
            return rng.choice(INI_SECTIONS)
        if r < 0.6:
            return rng.choice(INI_KEYS) + rng.choice(INI_DELIMITERS) + rng.choice(INI_VALUES)
        return rng.choice(INI_OTHER)
    newline = rng.choice(["\n", "\n", "\r\n", "\r"])
    lines = ([rng.choice(INI_SECTIONS)] if rng.random() < 0.9 else []) + \
        [line() for _ in range(rng.randrange(1, 12))]
    return newline.join(lines) + (newline if rng.random() < 0.8 else "")


INI_PYTHON = r"""
import configparser, io, json, sys
for text in json.load(sys.stdin):
    cp = configparser.ConfigParser()  # as fileConfig makes it; a file is read with universal newlines
    try:
        cp.read_file(io.StringIO(text, newline=None), source="<string>")
    except Exception as e:
        print(json.dumps(f"error: {type(e).__name__}: {e}\n"))
        continue
    out = ""
    for s in cp.sections():
        out += f"[{s}]\n"
        for k in cp.options(s):
            try:
                out += f"  {k} = {cp.get(s, k)}\n"
            except Exception as e:
                out += f"  {k} ! {type(e).__name__}: {e}\n"
    print(json.dumps(out))
"""


def test_configparser_reads_as_pythons():
    """Every section, option, value and interpolation fileConfig's parser reads, and
    every refusal, as configparser's for the same file: random files from a fixed seed
    (OSFS_INI_FILES=N for more than 600)."""
    rng = random.Random(20261129)
    texts = [random_ini(rng) for _ in range(int(os.environ.get("OSFS_INI_FILES", "600")))]
    r = subprocess.run([sys.executable, "-c", INI_PYTHON], input=json.dumps(texts), text=True,
                       capture_output=True, check=True)
    want = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(want) == len(texts)
    differ = []
    for text, expected in zip(texts, want):
        got = subprocess.run([INI_DUMP], input=text.encode(), capture_output=True, check=True)
        if got.stdout.decode() != expected:
            differ.append((text, expected, got.stdout.decode()))
    assert not differ, f"{len(differ)} of {len(texts)} differ; the first: {differ[0]}"


def test_file_encodings_taken_as_codecs_names_them(fresh, tmp_path):
    """A FileHandler's encoding is taken where codecs.lookup names it UTF-8 (any
    alias, any spelling encodings' search normalizes), refused otherwise: every alias
    Python has, in random spellings (fixed seed)."""
    import codecs
    import encodings.aliases
    rng = random.Random(7)
    names = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()))
    spelled = []
    for name in names:
        spelled.append(name)
        spelled.append("".join(c.upper() if rng.random() < 0.5 else c for c in name)
                       .replace("_", rng.choice(["-", " ", "_", "--"])))
    for name in spelled:
        try:
            want = codecs.lookup(name).name == "utf-8"
        except LookupError:
            want = False
        doc = json.dumps({"version": 1, "handlers": {"f": {
            "class": "logging.FileHandler", "filename": str(tmp_path / "e.log"), "encoding": name}}})
        fd = os.open(fresh.p("logging", "config"), os.O_RDWR)
        try:
            os.write(fd, doc.encode())
            reply = os.read(fd, 65536).decode()
        except OSError as e:
            reply = str(e)
        finally:
            os.close(fd)
        assert reply.startswith("ok") == want, (name, reply)
