"""logging/: records written through osfs, formatted exactly as Python's logging
formats the same records; Python's level, filter and propagation semantics;
dictConfig all or nothing; every refusal an errno and a line in errors."""
import ast
import errno
import json
import logging
import logging.config
import os
import random
import subprocess
import sys
import threading
import time

import pytest

# Every attribute, as Python literals: how the test learns what osfs put in a record.
TRANSPORT = ("%(created)r\t%(msecs)r\t%(relativeCreated)r\t%(process)r\t%(thread)r\t"
             "%(threadName)r\t%(processName)r\t%(pathname)r\t%(lineno)r\t%(levelno)r\t"
             "%(name)r\t%(msg)r")
TRANSPORT_KEYS = ["created", "msecs", "relativeCreated", "process", "thread", "threadName",
                  "processName", "pathname", "lineno", "levelno", "name", "msg"]

FORMATS = [
    ("%", "%(asctime)s %(levelname)-8s %(name)s %(process)d %(message)s", None, None),
    ("%", "%(name)-12s|%(levelno)5d|%(levelname).3s|%(msecs)03d|%(created)f|"
          "%(relativeCreated).1f|%(thread)x|%(lineno)04d|%(filename)s|%(module)s|%(pathname)s|"
          "%(funcName)s|%(threadName)s|%(processName)s|%(message)r|%(msg)s|%(args)s|"
          "%(exc_info)s|%(exc_text)s|%(stack_info)s", None, None),
    ("%", "%(created)e %(created)g %(created)E %(created).3G %(levelno)o %(levelno)#o "
          "%(levelno)#x %(levelno)X %(levelno)+d %(levelno) d %(levelno)-6d|%(message)10s|"
          "%(message)-10s|%(message)a|%(message).2s %%", None, None),
    ("%", "[%(asctime)s] %(message)s", "%d/%m/%Y %H:%M:%S", None),
    ("%", "%(asctime)s|%(message)s", "%s %j %U %a %b %Z", None),
    ("{", "{asctime} {levelname:<8} {name:^10} {levelno:>5} {message!r} {created:.3f} "
          "{msecs:03.0f} {process:d} {thread:#x} {lineno:+05d} {relativeCreated:,.2f} "
          "{levelno:b} {message:*^20} {created:e} {created:g} {created} {funcName} "
          "{levelno:%} {levelno:_>8,} {message!s:>12.3} {message!a}", None, None),
    ("{", "{asctime}: {message}", "%H:%M", None),
    ("$", "$asctime ${levelname} $name ${message} $$ $process", None, None),
    ("%", "%(message)s %(custom)s %(n)s", None, {"custom": "dflt", "n": 7}),
    ("{", "{message} {custom!r} {n:04d}", None, {"custom": "dflt", "n": 7}),
]

STRUCTURED = [
    {"msg": "hello", "user": "bob", "n": 5},
    {"msg": "typed", "custom": "mine", "n": 12, "f": 1.5, "b": True, "none": None,
     "lst": [1, "a", None, 2.0], "obj": {"k": 2.5, "s": "q'uote"}},
    {"msg": 42, "levelname": "ERROR", "n": -3},
]
EXTRA_FORMAT = ("%", "%(message)s|%(user)s|%(n)d|%(n)r", None, {"user": "-", "n": 0})
TYPED_FORMAT = ("%", "%(f).2f %(b)s %(none)s %(lst)s %(obj)s %(f)r %(custom)r", None,
                {"f": 0.0, "b": False, "none": 1, "lst": [], "obj": {}, "custom": ""})



def config(m, doc):
    """Writes a dictConfig document; returns the outcome line."""
    fd = os.open(m.p("logging", "config"), os.O_RDWR)
    try:
        try:
            os.write(fd, json.dumps(doc).encode())
            err = None
        except OSError as e:
            err = e.errno
        return err, os.read(fd, 4096).decode()
    finally:
        os.close(fd)


def formatter_entry(style, fmt, datefmt, defaults):
    entry = {"format": fmt, "style": style}
    if datefmt:
        entry["datefmt"] = datefmt
    if defaults:
        entry["defaults"] = defaults
    return entry


def test_formats_equal_pythons(fresh, tmp_path):
    formats = FORMATS + [EXTRA_FORMAT, TYPED_FORMAT]
    doc = {"version": 1, "formatters": {"t": {"format": TRANSPORT}}, "handlers": {
        "t": {"class": "logging.FileHandler", "filename": str(tmp_path / "t.log"), "formatter": "t"}},
        "loggers": {"app.sub": {"level": "DEBUG", "handlers": ["t"]}}}
    for i, f in enumerate(formats):
        doc["formatters"][f"f{i}"] = formatter_entry(*f)
        doc["handlers"][f"h{i}"] = {"class": "logging.FileHandler", "formatter": f"f{i}",
                                    "filename": str(tmp_path / f"{i}.log")}
        doc["loggers"]["app.sub"]["handlers"].append(f"h{i}")
    assert config(fresh, doc) == (None, "ok\n")
    plain = ["disk full", "naïve — ünïcode", "quote ' and \" both", "tab\there", "{braces} %s $x",
             "", "  leading space"]
    lines = {"debug": plain[:3], "info": plain[3:], "critical": ["last"]}
    for level, msgs in lines.items():
        fresh.write(f"logging/loggers/app.sub/{level}", "".join(m + "\n" for m in msgs))
    fresh.write("logging/loggers/app.sub/warning",
          "".join(json.dumps(s) + "\n" for s in STRUCTURED))
    fresh.write("logging/loggers/app.sub/log", "ERROR via log\n25 numeric level\n")
    transported = (tmp_path / "t.log").read_text().splitlines()
    assert len(transported) == 3 + 4 + 1 + 3 + 2  # every record arrived once
    records = []
    kinds = [None] * 8 + STRUCTURED + [None, None]
    for line, kind in zip(transported, kinds):
        attrs = dict(zip(TRANSPORT_KEYS, [ast.literal_eval(x) for x in line.split("\t")]))
        attrs["levelname"] = logging.getLevelName(attrs["levelno"])
        attrs["args"] = ()
        if kind:
            attrs.update({k: v for k, v in kind.items() if k not in ("msg", "levelname")})
            attrs["msg"] = str(kind["msg"])
        record = logging.makeLogRecord(attrs)
        record.filename = os.path.basename(record.pathname)
        record.module = os.path.splitext(record.filename)[0]
        record.funcName = None
        records.append(record)
    assert records[0].process == os.getpid()
    assert records[0].pathname == os.path.realpath(sys.executable)
    assert [r.lineno for r in records[:3]] == [1, 2, 3]
    assert records[-1].levelno == 25 and records[-2].levelname == "ERROR"
    for i, (style, fmt, datefmt, defaults) in enumerate(formats):
        formatter = logging.Formatter(fmt, datefmt, style, defaults=defaults)
        want, got = [], (tmp_path / f"{i}.log").read_text()
        for r in records:
            try:
                want.append(formatter.format(r) + "\n")
            except (KeyError, ValueError, TypeError):
                want.append(None)  # Python's handleError: nothing written
        assert got == "".join(w for w in want if w is not None), fmt


def levels_scenario():
    """A configuration and a sequence of records exercising levels, propagation,
    disabled loggers, filters and handler levels."""
    doc = {"version": 1,
           "formatters": {"p": {"format": "%(name)s %(levelname)s %(message)s"}},
           "filters": {"only_a_b": {"name": "a.b"}},
           "handlers": {
               "all": {"class": "logging.FileHandler", "filename": "ALL", "formatter": "p"},
               "errs": {"class": "logging.FileHandler", "filename": "ERRS", "formatter": "p",
                        "level": "ERROR"},
               "ab": {"class": "logging.FileHandler", "filename": "AB", "formatter": "p",
                      "filters": ["only_a_b"]}},
           "loggers": {"a": {"level": "INFO", "handlers": ["all", "ab"]},
                       "a.b": {"handlers": ["errs"]},
                       "a.b.c": {"level": "DEBUG"},
                       "quiet": {"level": "DEBUG", "handlers": ["all"], "propagate": False},
                       "a.nop": {"level": "WARNING"}},
           "root": {"level": "WARNING", "handlers": ["errs"]}}
    records = [(name, level, f"{name} {level} {i}") for i, (name, level) in enumerate(
        [(n, l) for n in ("a", "a.b", "a.b.c", "a.nop", "quiet", "root", "a.bx")
         for l in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")])]
    return doc, records


PYTHON_LEVELS = r"""
import json, logging, logging.config, os, sys
doc, records, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
for h in doc["handlers"].values():
    h["filename"] = os.path.join(out, h["filename"])
logging.config.dictConfig(doc)
for name, level, msg in records:
    logging.getLogger(None if name == "root" else name).log(getattr(logging, level), msg)
logging.shutdown()
"""


def test_levels_filters_propagation_equal_pythons(fresh, tmp_path):
    doc, records = levels_scenario()
    ours, theirs = tmp_path / "osfs", tmp_path / "python"
    ours.mkdir()
    theirs.mkdir()
    subprocess.run([sys.executable, "-c", PYTHON_LEVELS, json.dumps(doc), json.dumps(records),
                    str(theirs)], check=True)
    for h in doc["handlers"].values():
        h["filename"] = str(ours / h["filename"])
    for name in ("a", "a.b", "a.b.c", "a.nop", "quiet", "a.bx"):
        os.mkdir(fresh.p("logging", "loggers", name))
    assert config(fresh, doc) == (None, "ok\n")
    for name, level, msg in records:
        fresh.write(f"logging/loggers/{name}/{level.lower()}", msg + "\n")
    for f in ("ALL", "ERRS", "AB"):
        assert (ours / f).read_text() == (theirs / f).read_text(), f
    assert (ours / "ALL").read_text()  # the scenario really emits something


def test_disable_and_logger_files(fresh, tmp_path):
    os.mkdir(fresh.p("logging", "loggers", "app"))
    log = tmp_path / "out.log"
    assert config(fresh, {"version": 1, "handlers": {"h": {"class": "logging.FileHandler",
                                                           "filename": str(log)}},
                          "loggers": {"app": {"level": "DEBUG", "handlers": ["h"]}}})[0] is None
    d = fresh.p("logging", "loggers", "app")
    assert fresh.read("logging", "loggers", "app", "level") == "DEBUG\n"
    assert fresh.read("logging", "loggers", "app", "handlers") == "h\n"
    assert os.readlink(os.path.join(d, "parent")) == "../root"
    fresh.write("logging/disable", "INFO\n")
    fresh.write("logging/loggers/app/info", "dropped\n")
    fresh.write("logging/loggers/app/warning", "kept\n")
    fresh.write("logging/disable", "NOTSET\n")
    subprocess.run(["bash", "-c", f"echo WARNING >> {d}/level"], check=True)
    assert fresh.read("logging", "loggers", "app", "effective_level") == "WARNING\n"
    fresh.write("logging/loggers/app/info", "below level\n")
    fresh.write("logging/loggers/app/disabled", "yes\n")
    fresh.write("logging/loggers/app/error", "disabled logger\n")
    fresh.write("logging/loggers/app/disabled", "0\n")
    fresh.write("logging/loggers/app/error", "back\n")
    assert log.read_text() == "kept\nback\n"
    stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
    assert stats["records"] == "5" and stats["emitted"] == "2" and stats["dropped"] == "3"


def test_custom_level_names(fresh, tmp_path):
    with open(fresh.p("logging", "levels", "NOTICE"), "w") as f:  # a new name: created
        f.write("25\n")
    assert fresh.read("logging", "levels", "NOTICE") == "25\n"
    assert "NOTICE" in os.listdir(fresh.p("logging", "levels"))
    log = tmp_path / "n.log"
    os.mkdir(fresh.p("logging", "loggers", "n"))
    config(fresh, {"version": 1, "formatters": {"f": {"format": "%(levelname)s:%(levelno)s:%(message)s"}},
                   "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log), "formatter": "f"}},
                   "loggers": {"n": {"level": "NOTICE", "handlers": ["h"]}}})
    fresh.write("logging/loggers/n/log", "NOTICE custom\nINFO below\n35 plain number\n")
    assert log.read_text() == "NOTICE:25:custom\nLevel 35:35:plain number\n"
    os.unlink(fresh.p("logging", "levels", "NOTICE"))
    assert "NOTICE" not in os.listdir(fresh.p("logging", "levels"))
    with pytest.raises(OSError) as e:
        os.unlink(fresh.p("logging", "levels", "DEBUG"))
    assert e.value.errno == errno.EPERM


def test_objects_by_mkdir_and_files(fresh, tmp_path):
    L = lambda *p: fresh.p("logging", *p)
    os.mkdir(L("loggers", "web"))
    os.mkdir(L("formatters", "short"))
    os.mkdir(L("handlers", "out"))
    os.mkdir(L("filters", "webonly"))
    # format and style validate together: one alone would not be a valid formatter
    with pytest.raises(OSError) as e:
        fresh.write("logging/formatters/short/format", "{levelname}/{message}\n")
    assert e.value.errno == errno.EINVAL
    fresh.write("logging/formatters/short/config",
          json.dumps({"format": "{levelname}/{message}", "style": "{"}))
    assert fresh.read("logging", "formatters", "short", "style") == "{\n"
    fresh.write("logging/formatters/short/format", "{levelname}/{message}\n")  # now valid
    log = tmp_path / "web.log"
    fresh.write("logging/handlers/out/config",
          json.dumps({"class": "logging.FileHandler", "filename": str(log)}))
    assert fresh.read("logging", "handlers", "out", "class") == "logging.FileHandler\n"
    assert fresh.read("logging", "handlers", "out", "filename") == f"{log}\n"
    fresh.write("logging/handlers/out/formatter", "short\n")
    fresh.write("logging/filters/webonly/name", "web\n")
    fresh.write("logging/handlers/out/filters", "webonly\n")
    fresh.write("logging/loggers/web/handlers", "out\n")
    fresh.write("logging/loggers/web/warning", "via files\n")
    assert log.read_text() == "WARNING/via files\n"
    with pytest.raises(OSError) as e:
        os.rmdir(L("handlers", "out"))
    assert e.value.errno == errno.EBUSY
    assert "'out' is still used by 'web'" in fresh.errors()[-1]
    fresh.write("logging/loggers/web/handlers", "\n")
    os.rmdir(L("handlers", "out"))
    os.rmdir(L("loggers", "web"))
    assert "web" not in os.listdir(L("loggers"))
    whole = json.loads(fresh.read("logging", "config"))
    assert whole["formatters"]["short"] == {"format": "{levelname}/{message}", "style": "{"}


@pytest.mark.parametrize("doc,message", [
    ("{not json", "not valid JSON"),
    ({"formatters": {}}, "dictionary doesn't specify a version"),
    ({"version": 2}, "Unsupported version"),
    ({"version": 1, "handlers": {"h": {"class": "logging.NoSuchHandler"}}},
     "Unable to configure handler 'h': Cannot resolve 'logging.NoSuchHandler': "
     "No module named 'logging.NoSuchHandler'"),
    ({"version": 1, "handlers": {"h": {"class": "logging.StreamHandler", "formatter": "nope"}}},
     "Unable to configure handler 'h': Unable to set formatter 'nope': KeyError: 'nope'"),
    ({"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": "/tmp/x",
                                       "bogus": 1}}},
     "unexpected keyword argument 'bogus'"),
    ({"version": 1, "formatters": {"f": {"()": "my.Factory"}}}, "custom factories '()'"),
    ({"version": 1, "loggers": {"x": {"level": "LOUD"}}},
     "Unable to configure logger 'x': Unknown level: 'LOUD'"),
    ({"version": 1, "formatters": {"f": {"format": "no fields here"}}},
     "Invalid format 'no fields here' for '%' style"),
    ({"version": 1, "formatters": {"f": {"format": "{}", "style": "{"}}}, "invalid format"),
    ({"version": 1, "formatters": {"f": {"format": "$ bare", "style": "$"}}}, "bare '$' not allowed"),
    ({"version": 1, "loggers": {"x": {"handlers": ["missing"]}}},
     "Unable to configure logger 'x': Unable to add handler 'missing': KeyError: 'missing'"),
])
def test_bad_config_changes_nothing(fresh, tmp_path, doc, message):
    log = tmp_path / "keep.log"
    good = {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log)}},
            "root": {"level": "INFO", "handlers": ["h"]}}
    assert config(fresh, good) == (None, "ok\n")
    before = fresh.read("logging", "config")
    fd = os.open(fresh.p("logging", "config"), os.O_RDWR)
    try:
        with pytest.raises(OSError) as e:
            os.write(fd, (doc if isinstance(doc, str) else json.dumps(doc)).encode())
            os.read(fd, 10)  # an incomplete document is applied at the first read
            raise OSError(0, "not refused")
    finally:
        outcome = os.read(fd, 4096).decode() if not isinstance(doc, str) else None
        os.close(fd)
    if not isinstance(doc, str):
        assert e.value.errno == errno.EINVAL
        assert outcome.startswith("error: EINVAL: ") and message in outcome, outcome
    assert message in "\n".join(fresh.errors()[-2:])
    assert fresh.read("logging", "config") == before
    fresh.write("logging/loggers/root/info", "still configured\n")
    assert log.read_text() == "still configured\n"


def test_refusals_of_files(fresh):
    os.mkdir(fresh.p("logging", "loggers", "app"))
    r = subprocess.run(["bash", "-c", f"echo LOUD > {fresh.p('logging', 'loggers', 'app', 'level')}"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    assert "logging/loggers/app/level EINVAL: unknown level 'LOUD'" in fresh.errors()[-1]
    with pytest.raises(OSError) as e:
        fresh.write("logging/loggers/app/handlers", "ghost\n")
    assert e.value.errno == errno.ENOENT
    with pytest.raises(OSError) as e:
        os.mkdir(fresh.p("logging", "loggers", "app"))
    assert e.value.errno == errno.EEXIST
    with pytest.raises(OSError) as e:
        os.rmdir(fresh.p("logging", "loggers", "root"))
    assert e.value.errno == errno.EPERM
    with pytest.raises(OSError) as e:
        fresh.write("logging/loggers/app/log", "LOUD message\n")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        fresh.write("logging/loggers/app/info", '{"msg": "x", "process": 1}\n')
    assert e.value.errno == errno.EINVAL
    assert "Attempt to overwrite 'process' in LogRecord" in fresh.errors()[-1]


def test_failing_handler(fresh, tmp_path):
    good = tmp_path / "good.log"
    config(fresh, {"version": 1, "handlers": {
        "full": {"class": "logging.StreamHandler", "stream": "/dev/full"},
        "good": {"class": "logging.FileHandler", "filename": str(good)}},
        "root": {"handlers": ["full", "good"]}})
    fresh.write("logging/loggers/root/error", "one\n")  # succeeds: counted and logged
    assert good.read_text() == "one\n"
    assert "logging/handlers/full ENOSPC: write: No space left on device" in fresh.errors()[-1]
    stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
    assert stats["handler_errors"] == "1" and stats["handler.full.errors"] == "1"
    fresh.write("logging/raise_exceptions", "on\n")
    with pytest.raises(OSError) as e:
        fresh.write("logging/loggers/root/error", "two\n")
    assert e.value.errno == errno.EIO
    assert good.read_text() == "one\ntwo\n"  # the other handler still got it


def test_partial_line_at_close_and_durability(fresh, tmp_path):
    log = tmp_path / "d.log"
    config(fresh, {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log)}},
                   "root": {"level": "DEBUG", "handlers": ["h"]}})
    fd = os.open(fresh.p("logging", "loggers", "root", "info"), os.O_WRONLY)
    os.write(fd, b"first\nsec")
    assert log.read_text() == "first\n"  # taken in the write that completed it
    os.write(fd, b"ond\nthi")
    assert log.read_text() == "first\nsecond\n"
    os.close(fd)
    deadline = time.time() + 5
    while log.read_text() != "first\nsecond\nthi\n" and time.time() < deadline:
        time.sleep(0.01)  # close is asynchronous in FUSE
    assert log.read_text() == "first\nsecond\nthi\n"


# 8 writers of 50-record writes; 64 writers (the fault list's) of one record each
@pytest.mark.parametrize("writers,n,per_write", [(8, 2000, 50), (64, 300, 1)])
def test_concurrent_writers_sequence(fresh, tmp_path, writers, n, per_write):
    log = tmp_path / "seq.log"
    config(fresh, {"version": 1, "formatters": {"f": {"format": "%(thread)d %(message)s"}},
                   "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log), "formatter": "f"}},
                   "root": {"level": "DEBUG", "handlers": ["h"]}})

    def writer(k):
        fd = os.open(fresh.p("logging", "loggers", "root", "info"), os.O_WRONLY)
        try:
            batch = []
            for i in range(n):
                batch.append(f"w{k} {i}\n")
                if len(batch) == per_write or i == n - 1:
                    os.write(fd, "".join(batch).encode())
                    batch = []
        finally:
            os.close(fd)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen = {}
    for line in log.read_text().splitlines():
        _, w, i = line.split()
        seen.setdefault(w, []).append(int(i))
    assert set(seen) == {f"w{k}" for k in range(writers)}
    for w, seq in seen.items():
        assert seq == list(range(n)), w  # each exactly once, in order per writer


def test_incremental_and_existing_loggers(fresh, tmp_path):
    log = tmp_path / "i.log"
    for name in ("keep", "other"):
        os.mkdir(fresh.p("logging", "loggers", name))
    base = {"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log),
                                             "level": "DEBUG"}},
            "loggers": {"keep": {"level": "DEBUG", "handlers": ["h"]}},
            "disable_existing_loggers": False}
    assert config(fresh, base) == (None, "ok\n")
    assert fresh.read("logging", "loggers", "other", "disabled") == "0\n"  # kept enabled
    # incremental: levels change, handlers and files stay as they are
    assert config(fresh, {"version": 1, "incremental": True,
                          "handlers": {"h": {"level": "ERROR"}},
                          "loggers": {"keep": {"level": "INFO", "propagate": False}}}) == (None, "ok\n")
    assert fresh.read("logging", "handlers", "h", "level") == "ERROR\n"
    assert fresh.read("logging", "loggers", "keep", "level") == "INFO\n"
    assert fresh.read("logging", "loggers", "keep", "propagate") == "0\n"
    fresh.write("logging/loggers/keep/warning", "below the handler\n")
    fresh.write("logging/loggers/keep/error", "kept\n")
    assert log.read_text() == "kept\n"
    err, out = config(fresh, {"version": 1, "incremental": True, "handlers": {"nope": {"level": "INFO"}}})
    assert err == errno.EINVAL and "No handler found with name 'nope'" in out
    # non-incremental again with the default: existing loggers not named are disabled
    assert config(fresh, {"version": 1}) == (None, "ok\n")
    assert fresh.read("logging", "loggers", "keep", "disabled") == "1\n"


def test_file_handler_mode_delay_and_null(fresh, tmp_path):
    w, d = tmp_path / "w.log", tmp_path / "delayed.log"
    w.write_text("old content\n")
    assert config(fresh, {"version": 1, "handlers": {
        "w": {"class": "logging.FileHandler", "filename": str(w), "mode": "w"},
        "d": {"class": "logging.FileHandler", "filename": str(d), "delay": True, "encoding": "utf-8"},
        "n": {"class": "logging.NullHandler"}},
        "root": {"handlers": ["w", "d", "n"]}}) == (None, "ok\n")
    assert w.read_text() == "" and not d.exists()  # 'w' truncates; delay opens on first record
    fresh.write("logging/loggers/root/error", "first\n")
    assert w.read_text() == "first\n" and d.read_text() == "first\n"
    fresh.write("logging/handlers/d/flush", "now\n")
    stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
    assert stats["handler.n.emitted"] == "1" and stats["handler_errors"] == "0"
    # a relative filename starts where osfs was started, as Python's does at its cwd
    assert config(fresh, {"version": 1, "handlers": {"x": {"class": "logging.FileHandler",
                                                           "filename": "relative.log"}}})[0] is None
    assert fresh.read("logging", "handlers", "x", "filename") == \
        os.path.join(os.getcwd(), "relative.log") + "\n"
    os.unlink("relative.log")


PY_TREE = r"""
import json, logging, sys
m = logging.Manager(logging.RootLogger(logging.WARNING))
out = {}
for name, level in json.loads(sys.argv[1]):
    m.getLogger(name).setLevel(level)
for name, _ in json.loads(sys.argv[1]):
    lg = m.getLogger(name)
    out[name] = [lg.parent.name, logging.getLevelName(lg.getEffectiveLevel())]
print(json.dumps(out))
"""


def test_tree_equals_pythons(fresh):
    """Loggers made and removed in random order, in the middle of the tree too, and
    names with empty components (made by dictConfig, as Python's walk up a name
    treats them its own way): each logger's parent and effective level are those
    of Python's Manager holding the same loggers."""
    rnd = random.Random(13)
    parts = ["a", "b", "c"]
    alive = {}  # name -> level, in creation order

    def check():
        want = json.loads(subprocess.run([sys.executable, "-c", PY_TREE,
                                          json.dumps(list(alive.items()))],
                                         check=True, capture_output=True, text=True).stdout)
        for name, (parent, effective) in want.items():
            d = fresh.p("logging", "loggers", name)
            assert os.readlink(os.path.join(d, "parent")) == f"../{parent}", name
            assert fresh.read("logging", "loggers", name, "effective_level") == effective + "\n", name

    for step in range(240):
        if alive and rnd.random() < 0.3:
            name = rnd.choice(list(alive))
            os.rmdir(fresh.p("logging", "loggers", name))
            del alive[name]
        else:
            odd = rnd.random() < 0.15
            name = ".".join(rnd.choice(parts) for _ in range(rnd.randint(1, 4)))
            if odd:
                name = rnd.choice(["a..", "b.", ".", "a.b..", "..c."]) + name
            if name in alive or name == "root":
                continue
            level = rnd.choice([0, 0, 0, 10, 20, 30, 40])
            if odd:  # not a directory name mkdir takes: made through a document
                assert config(fresh, {"version": 1, "incremental": True,
                                      "loggers": {name: {"level": level}}}) == (None, "ok\n")
            else:
                os.mkdir(fresh.p("logging", "loggers", name))
                fresh.write(f"logging/loggers/{name}/level", f"{level}\n")
            alive[name] = level
        if step % 60 == 59:
            check()
    check()


PY_EXISTING = r"""
import json, logging, logging.config, sys
existing, doc1, doc2 = json.loads(sys.argv[1])
for name in existing:
    logging.getLogger(name)
logging.config.dictConfig(doc1)
logging.config.dictConfig(doc2)
out = {}
for name, lg in sorted(logging.root.manager.loggerDict.items()):
    if isinstance(lg, logging.Logger):
        out[name] = [logging.getLevelName(lg.level), lg.propagate, lg.disabled,
                     [h.name for h in lg.handlers]]
r = logging.root
out["root"] = [logging.getLevelName(r.level), True, False, [h.name for h in r.handlers]]
print(json.dumps(out))
"""


@pytest.mark.parametrize("seed", range(12))
def test_dictconfig_on_existing_loggers_equals_pythons(fresh, seed):
    """A second dictConfig over loggers that exist (some named, some below a named
    one or a placeholder, some neither), as Python's: named ones configured, their
    existing children reset, the others disabled or enabled (disable_existing_loggers)."""
    rnd = random.Random(seed)
    names = lambda k, low=1: {".".join(rnd.choice("pqr") for _ in range(rnd.randint(low, 3)))
                              for _ in range(k)}
    existing = sorted(names(10) - {"root"}, key=lambda n: rnd.random())

    def entry():
        e = {}
        if rnd.random() < 0.6:
            e["level"] = rnd.choice(["DEBUG", "INFO", "ERROR", 5])
        if rnd.random() < 0.7:
            e["handlers"] = rnd.sample(["h", "k"], rnd.randint(0, 2))
        if rnd.random() < 0.5:
            e["propagate"] = rnd.random() < 0.5
        return e

    handlers = {"h": {"class": "logging.NullHandler"}, "k": {"class": "logging.NullHandler"}}
    doc1 = {"version": 1, "handlers": handlers, "disable_existing_loggers": rnd.random() < 0.5,
            "loggers": {n: entry() for n in existing if rnd.random() < 0.7}, "root": entry()}
    doc2 = {"version": 1, "handlers": handlers, "loggers": {n: entry() for n in names(3, 2)},
            "root": entry()}
    flag = rnd.choice([True, False, None])
    if flag is not None:
        doc2["disable_existing_loggers"] = flag
    want = json.loads(subprocess.run([sys.executable, "-c", PY_EXISTING,
                                      json.dumps([existing, doc1, doc2])],
                                     check=True, capture_output=True, text=True).stdout)
    for n in existing:
        os.mkdir(fresh.p("logging", "loggers", n))
    assert config(fresh, doc1) == (None, "ok\n")
    assert config(fresh, doc2) == (None, "ok\n")
    for name, (level, propagate, disabled, hs) in want.items():
        got = [fresh.read("logging", "loggers", name, f).strip() for f in
               ("level", "propagate", "disabled", "handlers")]
        assert got[0] == level and got[1] == str(int(propagate)) or name == "root", (name, got, want[name])
        assert got[2] == str(int(disabled)) and got[3].split() == hs, (name, got, want[name])


@pytest.mark.parametrize("path, text", [
    ("logging/config", '{"version": 1, "formatters": {"f": {"format": "[%(message)s]\\u0000t"}}}'),
    ("logging/config", '{"version": 1, "loggers": {"t\\u0000x": {"level": "DEBUG"}}}'),
    ("logging/config", '{"version": 1, "handlers": {"h": {"class": "logging.FileHandler", '
                       '"filename": "@/n\\u0000.log"}}}'),
    ("logging/config", '{"version": 1, "formatters": {"f": {"defaults": {"x": "d\\u0000e"}}}}'),
    ("logging/loggers/app/info", '{"msg": "a\\u0000b"}\n'),
    ("logging/loggers/app/info", '{"msg": "%s", "args": ["c\\u0000d"]}\n'),
    ("logging/loggers/app/info", '{"msg": "m", "extra\\u0000": 1}\n'),
    ("logging/loggers/app/info", '{"msg": "m", "x": "nul\\u0000byte"}\n'),
    ("logging/handle", '{"name": "app\\u0000x", "levelno": 20, "msg": "via handle"}\n'),
    ("logging/basic_config", '{"force": true, "format": "a\\u0000"}'),
])
def test_a_json_string_holding_nul_is_refused_not_cut(fresh, tmp_path, path, text):
    """Where json.loads gives a string with a NUL character, osfs, whose texts are C
    strings, refuses what holds it, as it refuses a NUL byte in a line: it never cuts
    the string short (a name cut short is another logger, a file another file)."""
    log = tmp_path / "app.log"
    config(fresh, {"version": 1, "handlers": {"h": {"class": "logging.FileHandler",
                                                    "filename": str(log)}},
                   "loggers": {"app": {"level": "DEBUG", "handlers": ["h"]}}})
    before = fresh.read("logging", "config")
    with pytest.raises(OSError) as e:
        fresh.write(path, text.replace("@", str(tmp_path)))
    assert e.value.errno == errno.EINVAL
    assert fresh.errors()[-1].endswith("EINVAL: a JSON string holds \\u0000: osfs keeps no NUL "
                                       "character in a text, as a line written holds no NUL byte")
    assert fresh.read("logging", "config") == before
    assert log.read_text() == "" and sorted(os.listdir(tmp_path)) == ["app.log"]
