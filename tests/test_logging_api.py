"""The rest of Python's logging API as files, each compared with /usr/bin/python3:
basicConfig, isEnabledFor, hasHandlers, getChildren (3.12's, applied to 3.11's
loggers), getHandlerNames, getLevelNamesMapping and getLevelName, lastResort,
shutdown, makeLogRecord + Logger.handle (logging/handle, fed by Python's own
SocketHandler through a receiver), and exc_text / stack_info / args in records.

Every expected answer comes from Python, run in a subprocess of its own (its
logging state is global): grids and random cases with fixed seeds.
"""
import errno
import json
import os
import random
import subprocess
import time

import pytest

PY = "/usr/bin/python3"


def write(m, path, text):
    fd = os.open(m.p(*path.split("/")), os.O_WRONLY | (os.O_CREAT if "/levels/" in path else 0))
    try:
        os.write(fd, text.encode("utf-8", "surrogatepass"))
    finally:
        os.close(fd)


def document(m, path, text):
    """Writes a document, reads its outcome: 'ok' or 'error: ERRNAME: message'."""
    fd = os.open(m.p(*path.split("/")), os.O_RDWR)
    try:
        try:
            os.write(fd, text.encode())
        except OSError:
            pass  # the outcome says why
        return os.read(fd, 65536).decode().rstrip("\n")
    finally:
        os.close(fd)


def python(script, *args, stdin=None):
    """Runs a reference script in a Python of its own; its stdout as JSON."""
    out = subprocess.run([PY, "-c", script, *args], input=stdin, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# ---- basicConfig --------------------------------------------------------------

BASIC_PY = r"""
import json, logging, sys
cases, d = json.loads(sys.stdin.read()), sys.argv[1]
root = logging.getLogger()
STYLE = {"PercentStyle": "%", "StrFormatStyle": "{", "StringTemplateStyle": "$"}

def describe():
    hs = []
    for h in root.handlers:
        f = h.formatter
        hs.append({"name": h.name or "basic_config", "class": type(h).__name__,
                   "file": getattr(h, "baseFilename", None), "mode": getattr(h, "mode", None),
                   "stream": None if isinstance(h, logging.FileHandler) else
                             ("stdout" if h.stream is sys.stdout else "stderr"),
                   "format": f._fmt if f else None, "datefmt": f.datefmt if f else None,
                   "style": STYLE[type(f._style).__name__] if f else None})
    return {"level": root.level, "handlers": hs}

out = []
for i, (pre, kw) in enumerate(cases):
    for h in root.handlers[:]:
        root.removeHandler(h)
        h.close()
    root.setLevel(logging.WARNING)
    named = {}
    for n, fmt in (("pre", "PRE %(message)s"), ("h1", "H1 %(message)s"), ("h2", None)):
        named[n] = logging.FileHandler(f"{d}/py-{n}.log")
        named[n].name = n
        if fmt:
            named[n].setFormatter(logging.Formatter(fmt))
    if pre:
        root.addHandler(named["pre"])
    kw = dict(kw)
    if "stream" in kw and kw["stream"] is not None:
        kw["stream"] = {"ext://sys.stdout": sys.stdout, "ext://sys.stderr": sys.stderr}[kw["stream"]]
    if "handlers" in kw and kw["handlers"] is not None:
        kw["handlers"] = [named[n] for n in kw["handlers"]]
    if "filename" in kw and kw["filename"]:
        kw["filename"] = d + "/" + kw["filename"].replace("@", "py")
    try:
        logging.basicConfig(**kw)
        r = describe()
        if any(h["file"] and "basic-" in h["file"] for h in r["handlers"]):
            root.error("case %d", i)
            for h in root.handlers:
                h.flush()
    except Exception as e:
        r = {"error": str(e)}
    out.append(r)
print(json.dumps(out))
"""

FORMATS = {"%": ["%(levelname)s|%(name)s|%(message)s", "%(message)s!", "%(message)"],
           "{": ["{levelname}-{message}", "{name!r} {message:>10}"],
           "$": ["$levelname $message", "${name}:${message}"]}


def basic_cases(seed, n):
    rnd = random.Random(seed)
    cases = [(False, {}), (True, {}), (True, {"force": True}), (False, {"level": "INFO"}),
             (False, {"stream": "ext://sys.stdout", "filename": "x"}),
             (False, {"handlers": ["h1"], "filename": "x"}),
             (False, {"handlers": ["h2"], "stream": None}),
             (False, {"handlers": ["h1", "h2"], "format": "%(message)s?"}),
             (False, {"handlers": ["h1"], "filemode": "w"}),
             (False, {"style": "x"}), (False, {"level": "LOUD"}), (False, {"level": 1.5}),
             (False, {"level": "20"}), (False, {"bogus": 1, "other": 2}),
             (True, {"bogus": 1}), (False, {"format": "%(message)"}),
             (False, {"filename": "", "stream": "ext://sys.stdout"}),
             (True, {"force": True, "handlers": ["pre"]}),
             (False, {"format": None}), (False, {"format": None, "style": "{"}),
             (False, {"filename": "@basic-null.log", "filemode": None}),
             (False, {"filename": "@basic-five.log", "filemode": 5})]
    for i in range(n):
        kw = {}
        style = rnd.choice([None, "%", "{", "$"])
        if style:
            kw["style"] = style
        if rnd.random() < 0.6:
            kw["format"] = rnd.choice(FORMATS[style or "%"])
        if rnd.random() < 0.3:
            kw["datefmt"] = rnd.choice(["%H:%M", "%Y"])
        target = rnd.choice(["file", "file", "stream", "handlers", "none"])
        if target == "file":
            kw["filename"] = f"@basic-{i}.log"
            if rnd.random() < 0.5:
                kw["filemode"] = rnd.choice(["a", "w"])
            if rnd.random() < 0.3:
                kw["encoding"] = "utf-8"
        elif target == "stream":
            kw["stream"] = rnd.choice(["ext://sys.stdout", "ext://sys.stderr", None])
        elif target == "handlers":
            kw["handlers"] = rnd.sample(["h1", "h2", "pre"], rnd.randint(0, 2))
        if rnd.random() < 0.5:
            kw["level"] = rnd.choice(["DEBUG", "ERROR", 15, 0, "WARN"])
        if rnd.random() < 0.3:
            kw["force"] = rnd.choice([True, False, 1, 0])
        if rnd.random() < 0.1:
            kw["nope"] = 1
        cases.append((rnd.random() < 0.3, kw))
    return cases


def osfs_describe(m, d):
    doc = json.loads(m.read("logging", "config"))
    levels = dict(line.split("=") for line in m.read("logging", "level_names").split())
    root = doc["root"]
    hs = []
    for name in root["handlers"]:
        h = doc["handlers"][name]
        f = doc["formatters"].get(h.get("formatter"))
        cls = h["class"].rsplit(".", 1)[1]
        hs.append({"name": name, "class": cls,
                   "file": h.get("filename"), "mode": h.get("mode", "a") if cls == "FileHandler" else None,
                   "stream": None if cls == "FileHandler" else
                             ("stdout" if h.get("stream") == "ext://sys.stdout" else "stderr"),
                   "format": f["format"] if f else None, "datefmt": f.get("datefmt") if f else None,
                   "style": f["style"] if f else None})
    level = root["level"]
    if not isinstance(level, int):  # a name, or a number the readback gives as it is
        level = int(levels.get(level, level.replace("Level ", "")))
    return {"level": level, "handlers": hs}


def test_basic_config_equals_pythons(fresh, tmp_path):
    cases = basic_cases(15, 150)
    d = str(tmp_path)
    want = python(BASIC_PY, d, stdin=json.dumps(cases))
    m = fresh
    for i, ((pre, kw), expect) in enumerate(zip(cases, want)):
        reset = {"version": 1, "disable_existing_loggers": False,
                 "formatters": {"pf": {"format": "PRE %(message)s"}, "f1": {"format": "H1 %(message)s"}},
                 "handlers": {n: {"class": "logging.FileHandler", "filename": f"{d}/osfs-{n}.log",
                                  **({"formatter": f} if f else {})}
                              for n, f in (("pre", "pf"), ("h1", "f1"), ("h2", None))},
                 "root": {"level": "WARNING", "handlers": ["pre"] if pre else []}}
        assert document(m, "logging/config", json.dumps(reset)) == "ok"
        before = osfs_describe(m, d)
        kw = dict(kw)
        if kw.get("filename"):
            kw["filename"] = os.path.join(d, kw["filename"].replace("@", "osfs"))
        out = document(m, "logging/basic_config", json.dumps(kw))
        ctx = f"case {i}: pre={pre} {kw}"
        if "error" in expect:
            assert out.startswith("error: E") and out.split(": ", 2)[2] == expect["error"], ctx
            assert osfs_describe(m, d) == before, ctx + ": a refused call changed something"
            continue
        assert out == "ok", ctx + ": " + out
        got = osfs_describe(m, d)
        for h in expect["handlers"]:
            if h["file"]:
                h["file"] = h["file"].replace("/py-", "/osfs-").replace("/pybasic-", "/osfsbasic-")
        assert got == expect, ctx
        if any(h["file"] and "basic-" in h["file"] for h in got["handlers"]):
            write(m, "logging/loggers/root/error", f"case {i}\n")
    # the records the files got: the same lines, by the same formatters (Python
    # leaves an empty file behind a call that failed after opening it; osfs none)
    for name in sorted(os.listdir(d)):
        if name.startswith("pybasic-"):
            with open(os.path.join(d, name)) as a:
                want = a.read()
            mine = os.path.join(d, "osfs" + name[2:])
            assert (open(mine).read() if os.path.exists(mine) else "") == want, name


def test_basic_config_key_value_lines(fresh, tmp_path):
    m = fresh
    log = tmp_path / "kv.log"
    out = document(m, "logging/basic_config",
                   f"filename={log}\nformat={{levelname}}/{{message}}\nstyle={{\nlevel=15\n")
    assert out == "ok"
    write(m, "logging/loggers/root/log", "15 fifteen\n14 below\n")
    assert log.read_text() == "Level 15/fifteen\n"
    # the root has a handler now: nothing happens, bad arguments or not (as Python)
    assert document(m, "logging/basic_config", "bogus=1\n") == "ok"
    assert document(m, "logging/basic_config", "force=maybe\n").startswith("error: EINVAL")
    assert document(m, "logging/basic_config", "level INFO\n").startswith("error: EINVAL")
    # force: the old handler goes (closed), a new one takes the name
    assert document(m, "logging/basic_config", f"force=yes\nfilename={log}\nfilemode=w\n") == "ok"
    assert m.read("logging", "handler_names") == "basic_config\n"
    assert m.read("logging", "loggers", "root", "handlers") == "basic_config\n"


# ---- isEnabledFor, hasHandlers, getChildren, getHandlerNames -------------------

TREE_PY = r"""
import json, logging, logging.config, sys
spec = json.loads(sys.stdin.read())
logging.config.dictConfig(spec["config"])
logging.disable(spec["disable"])
for name, flag in spec["disabled"].items():
    logging.getLogger(name).disabled = flag

def getChildren(self):  # Python 3.12's Logger.getChildren, on 3.11's loggers
    def _hierlevel(logger):
        if logger is logger.manager.root:
            return 0
        return 1 + logger.name.count('.')
    d = self.manager.loggerDict
    return set([item for item in d.values()
                if isinstance(item, logging.Logger) and item.parent is self and
                _hierlevel(item) == 1 + _hierlevel(item.parent)])

out = {"handlers": sorted(logging._handlers.keys()), "loggers": {}}
for name in spec["names"]:
    lg = logging.getLogger(None if name == "root" else name)
    out["loggers"][name] = {
        "enabled": {str(l): lg.isEnabledFor(l) for l in spec["levels"]},
        "has_handlers": lg.hasHandlers(),
        "children": sorted(c.name for c in getChildren(lg)),
    }
print(json.dumps(out))
"""


def random_tree(rnd):
    parts = ["a", "b", "c", "d"]
    names = set()
    for _ in range(rnd.randint(3, 10)):
        names.add(".".join(rnd.choice(parts) for _ in range(rnd.randint(1, 4))))
    handlers = {f"h{i}": {"class": "logging.NullHandler"} for i in range(3)}
    loggers = {}
    for n in sorted(names):
        e = {}
        if rnd.random() < 0.5:
            e["level"] = rnd.choice(["DEBUG", "INFO", "WARNING", "ERROR", 5, 35])
        if rnd.random() < 0.4:
            e["handlers"] = rnd.sample(sorted(handlers), rnd.randint(1, 2))
        if rnd.random() < 0.3:
            e["propagate"] = False
        loggers[n] = e
    root = {"level": rnd.choice(["WARNING", "DEBUG", "NOTSET", 25])}
    if rnd.random() < 0.5:
        root["handlers"] = ["h0"]
    return sorted(names), {"version": 1, "disable_existing_loggers": False, "handlers": handlers,
                           "loggers": loggers, "root": root}


@pytest.mark.parametrize("seed", range(6))
def test_logger_queries_equal_pythons(fresh, seed):
    rnd = random.Random(seed)
    names, config = random_tree(rnd)
    disable = rnd.choice([0, 0, 10, 20, 30])
    disabled = {n: True for n in names if rnd.random() < 0.15}
    levels = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 50, 60]
    want = python(TREE_PY, stdin=json.dumps({"config": config, "disable": disable, "disabled": disabled,
                                             "names": names + ["root"], "levels": levels}))
    m = fresh
    for n in names:
        os.mkdir(m.p("logging", "loggers", n))
    assert document(m, "logging/config", json.dumps(config)) == "ok"
    write(m, "logging/disable", f"{disable}\n")
    for n in disabled:
        write(m, f"logging/loggers/{n}/disabled", "1\n")
    assert m.read("logging", "handler_names").split() == want["handlers"]
    for name, w in want["loggers"].items():
        got = {"enabled": {str(l): m.read("logging", "loggers", name, "enabled", str(l)) == "1\n"
                           for l in levels},
               "has_handlers": m.read("logging", "loggers", name, "has_handlers") == "1\n",
               "children": m.read("logging", "loggers", name, "children").split()}
        assert got == w, f"seed {seed}, logger {name}"
    # by name too: enabled/INFO is enabled/20
    assert m.read("logging", "loggers", "root", "enabled", "INFO") == \
        m.read("logging", "loggers", "root", "enabled", "20")
    with pytest.raises(FileNotFoundError):
        m.read("logging", "loggers", "root", "enabled", "LOUD")


# ---- level names ----------------------------------------------------------------

LEVELS_PY = r"""
import json, logging, sys
spec = json.loads(sys.stdin.read())
for level, name in spec["add"]:
    logging.addLevelName(level, name)
out = {"mapping": list(logging.getLevelNamesMapping().items()),
       # X is asked as a number where it is written as str(int) writes one
       "names": {str(x): str(logging.getLevelName(
           int(x) if x.lstrip("-").isdigit() and str(int(x)) == x else x)) for x in spec["ask"]}}
print(json.dumps(out))
"""


def test_level_names_equal_pythons(fresh):
    add = [(25, "NOTICE"), (5, "TRACE"), (20, "INFORMATION"), (45, "SEVERE"), (60, "FATALITY")]
    ask = ([str(n) for n in range(-5, 66)] + ["INFO", "WARN", "FATAL", "NOTICE", "TRACE",
                                                "INFORMATION", "LOUD", "info", "Level 5", "SEVERE",
                                                "+10", "010", "-0", "+0", "00", "1_0", " 10", "10 ",
                                                "2147483648", "-2147483649"])
    want = python(LEVELS_PY, stdin=json.dumps({"add": add, "ask": ask}))
    m = fresh
    for level, name in add:
        write(m, f"logging/levels/{name}", f"{level}\n")
    got = [tuple(line.split("=")) for line in m.read("logging", "level_names").splitlines()]
    assert [(k, int(v)) for k, v in got] == [tuple(x) for x in want["mapping"]]
    assert json.loads(m.read("logging", "level_names.json")) == dict(want["mapping"])
    for x in ask:
        assert m.read("logging", "level_name", x) == want["names"][x] + "\n", x


# ---- lastResort -------------------------------------------------------------------

def test_last_resort(make_mount):
    m = make_mount()
    try:
        os.mkdir(m.p("logging", "loggers", "lonely"))
        assert m.read("logging", "last_resort") == "WARNING\n"
        write(m, "logging/loggers/lonely/info", "not shown\n")
        write(m, "logging/loggers/lonely/warning", "shown %s\n")
        write(m, "logging/loggers/lonely/error",
              json.dumps({"msg": "with %d", "args": [7], "exc_info": "Traceback (most recent call last):\n"
                          "ValueError: x\n"}) + "\n")
        write(m, "logging/last_resort", "ERROR\n")
        write(m, "logging/loggers/lonely/warning", "below ERROR now\n")
        write(m, "logging/last_resort", "None\n")
        write(m, "logging/loggers/lonely/critical", "nobody\n")
        write(m, "logging/loggers/lonely/critical", "nobody again\n")
        assert m.read("logging", "last_resort") == "None\n"
        with pytest.raises(OSError) as e:
            write(m, "logging/last_resort", "LOUD\n")
        assert e.value.errno == errno.EINVAL
        time.sleep(0.1)
    finally:
        assert m.unmount() == 0
    # Python's lastResort (a _StderrHandler at WARNING, %(message)s) says the same
    want = subprocess.run([PY, "-c", r"""
import logging
lg = logging.getLogger("lonely")
lg.info("not shown"); lg.warning("shown %s")
try:
    raise ValueError("x")
except ValueError:
    r = lg.makeRecord("lonely", 40, "", 0, "with %d", (7,), None)
    r.exc_text = "Traceback (most recent call last):\nValueError: x"
    lg.handle(r)
logging.lastResort.setLevel(logging.ERROR); lg.warning("below ERROR now")
logging.lastResort = None
lg.critical("nobody"); lg.critical("nobody again")
"""], capture_output=True, text=True).stderr
    assert m.output() == want


# ---- shutdown ---------------------------------------------------------------------

def test_shutdown_flushes_closes_and_reopens(fresh, tmp_path):
    m = fresh
    os.mkdir(m.p("logging", "loggers", "app"))
    a, b, q = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "q.log"
    doc = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"file": {"class": "logging.FileHandler", "filename": str(a)},
                        "target": {"class": "logging.FileHandler", "filename": str(b)},
                        "mem": {"class": "logging.handlers.MemoryHandler", "capacity": 100,
                                "target": "target"},
                        "keep": {"class": "logging.handlers.MemoryHandler", "capacity": 100,
                                 "target": "target", "flushOnClose": False},
                        "qt": {"class": "logging.FileHandler", "filename": str(q)},
                        "queue": {"class": "logging.handlers.QueueHandler", "handlers": ["qt"]}},
           "loggers": {"app": {"level": "DEBUG", "handlers": ["file", "mem", "queue"]},
                       "root": {"handlers": ["keep"], "level": "DEBUG"}}}
    assert document(m, "logging/config", json.dumps(doc)) == "ok"
    write(m, "logging/loggers/app/info", "".join(f"r{i}\n" for i in range(50)))
    assert b.read_text() == ""  # held by mem and keep
    os.rename(a, tmp_path / "a.old")  # as logrotate moves it away
    write(m, "logging/shutdown", "now\n")
    # mem flushed to its target; keep (flushOnClose False) keeps its records, as in Python
    assert b.read_text() == "".join(f"r{i}\n" for i in range(50))
    assert q.read_text() == "".join(f"r{i}\n" for i in range(50))
    assert (tmp_path / "a.old").read_text().count("\n") == 50
    # closed, and opened again by the next record: the file logrotate left behind
    write(m, "logging/loggers/app/info", "after\n")
    assert a.read_text() == "after\n"
    assert (tmp_path / "a.old").read_text().count("\n") == 50
    write(m, "logging/handlers/keep/flush", "x\n")
    assert b.read_text().count("r0\n") == 2  # keep's copies, now flushed


# ---- exc_text, stack_info, args ----------------------------------------------------

EXC_PY = r"""
import json, logging, sys
spec = json.loads(sys.stdin.read())
out = []
for fmt, style, rec in spec:
    f = logging.Formatter(fmt, style=style)
    r = logging.makeLogRecord({"name": "app", "levelno": 40, "levelname": "ERROR"})
    r.msg = rec.get("msg", "")
    args = rec.get("args", [])  # the call's *args: a list, or its one argument
    args = tuple(args) if isinstance(args, list) else (args,)
    if args and len(args) == 1 and isinstance(args[0], dict) and args[0]:
        args = args[0]
    r.args = args
    if rec.get("exc_info"):  # osfs's form of exc_info: the exception's text
        r.exc_text = rec["exc_info"][:-1] if rec["exc_info"].endswith("\n") else rec["exc_info"]
    if "exc_text" in rec:
        r.exc_text = rec["exc_text"]
    r.stack_info = rec.get("stack_info") or None  # stack_info="" asks for nothing
    try:
        out.append(f.format(r))
    except Exception as e:
        out.append(None)
print(json.dumps(out))
"""


def exc_records(rnd, n):
    tb = ["Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: bad\n",
          "NoneType: None", "", "line one\n\nline three", "ends\n"]
    st = ["Stack (most recent call last):\n  File \"x.py\", line 2, in f", "", "s\n"]
    msgs = ["plain", "ends with newline\n", "%s and %d", "%(a)s %(b)r", "%%s %s", "%-5s|%5.2f",
            "", "%c%x", "%s %s %s"]
    argsets = [[], ["x", 3], [{"a": 1, "b": "q"}], {"a": [1, 2], "b": None}, [1.5], "text", 7,
               [None], [[1, 2]], ["%s"], [65, 255], ["a", "b"], [{}]]
    out = []
    for _ in range(n):
        rec = {"msg": rnd.choice(msgs)}
        if rnd.random() < 0.7:
            rec["args"] = rnd.choice(argsets)
        if rnd.random() < 0.5:
            rec[rnd.choice(["exc_info", "exc_text"])] = rnd.choice(tb)
        if rnd.random() < 0.4:
            rec["stack_info"] = rnd.choice(st)
        out.append(rec)
    return out


@pytest.mark.parametrize("seed", range(3))
def test_exc_stack_args_equal_pythons(fresh, tmp_path, seed):
    rnd = random.Random(seed)
    fmts = [("%(levelname)s:%(message)s", "%"), ("{message}|{exc_text!r}|{stack_info!r}", "{"),
            ("%(args)r %(msg)r", "%"), ("$message", "$")]
    recs = exc_records(rnd, 60)
    cases = [(f, s, r) for f, s in fmts for r in recs]
    want = python(EXC_PY, stdin=json.dumps(cases))
    m = fresh
    os.mkdir(m.p("logging", "loggers", "app"))
    doc = {"version": 1, "formatters": {}, "handlers": {}, "loggers": {"app": {"handlers": []}}}
    for i, (f, s) in enumerate(fmts):
        doc["formatters"][f"f{i}"] = {"format": f, "style": s}
        doc["handlers"][f"h{i}"] = {"class": "logging.FileHandler", "formatter": f"f{i}",
                                    "filename": str(tmp_path / f"{seed}-{i}.log")}
        doc["loggers"]["app"]["handlers"].append(f"h{i}")
    assert document(m, "logging/config", json.dumps(doc)) == "ok"
    # one record a line, each with a marker line after it to split the files on
    text = "".join(json.dumps(r) + "\n" + json.dumps({"msg": f"--{k}--"}) + "\n"
                   for k, r in enumerate(recs))
    write(m, "logging/loggers/app/error", text)
    for i in range(len(fmts)):
        body = (tmp_path / f"{seed}-{i}.log").read_text()
        expect = []
        for k in range(len(recs)):
            w = want[i * len(recs) + k]
            if w is not None:
                expect.append(w + "\n")
            mark = {"%": f"ERROR:--{k}--", "{": f"--{k}--|None|None", "$": f"--{k}--"}[fmts[i][1]]
            if i == 2:
                mark = f"() '--{k}--'"
            expect.append(mark + "\n")
        assert body == "".join(expect), fmts[i]


def test_structured_keyword_refusals(fresh):
    m = fresh
    os.mkdir(m.p("logging", "loggers", "app"))
    for line, why in [({"msg": "x", "stack_info": True}, "stack"),
                      ({"msg": "x", "exc_text": 5}, "traceback"),
                      ({"msg": "x", "funcName": "f"}, "Attempt to overwrite 'funcName'")]:
        with pytest.raises(OSError) as e:
            write(m, "logging/loggers/app/info", json.dumps(line) + "\n")
        assert e.value.errno == errno.EINVAL
        assert why in m.errors()[-1]


# ---- logging/handle: makeLogRecord + Logger.handle ------------------------------------

HANDLE_FORMATS = ["%(name)s %(levelname)s %(levelno)d %(message)s",
                  "%(pathname)s|%(filename)s|%(module)s|%(lineno)d|%(funcName)s",
                  "%(created)f %(msecs)d %(relativeCreated)r %(asctime)s",
                  "%(process)s %(thread)s %(threadName)s %(processName)s %(taskName)s",
                  "{msg!r} {args!r} {exc_text!r} {stack_info!r}",
                  "%(user)s %(message)s"]

HANDLE_PY = r"""
import json, logging, logging.config, sys
spec = json.loads(sys.stdin.read())
logging.config.dictConfig(spec["config"])
for h in logging._handlerList:  # dictConfig takes formatters' defaults from 3.12 on
    h = h()
    if h and h.formatter:
        f = h.formatter
        h.setFormatter(logging.Formatter(f._fmt, f.datefmt, style=f._style.default_format[0],
                                         defaults={"user": "-"}))
for line in spec["records"]:
    d = json.loads(line)
    if isinstance(d.get("args"), list):
        d["args"] = tuple(d["args"])
    d.setdefault("taskName", None)  # 3.12's LogRecord has it (3.11's not)
    if isinstance(d.get("exc_info"), str):  # osfs's form of an exception: its text
        t = d.pop("exc_info")
        if not d.get("exc_text"):  # as Formatter.format: `if not record.exc_text`
            d["exc_text"] = t[:-1] if t.endswith("\n") else t
    logging.getLogger(d.get("name")).handle(logging.makeLogRecord(d))
logging.shutdown()
print("[]")
"""


def handle_config(d, prefix):
    doc = {"version": 1, "disable_existing_loggers": False, "formatters": {}, "handlers": {},
           "filters": {"only_ab": {"name": "a.b"}},
           "loggers": {"a": {"level": "CRITICAL", "handlers": []},
                       "a.b": {"handlers": [], "propagate": False},
                       "quiet": {"filters": ["only_ab"], "handlers": []}},
           "root": {"level": "CRITICAL", "handlers": []}}
    for i, f in enumerate(HANDLE_FORMATS):
        doc["formatters"][f"f{i}"] = {"format": f, "style": "{" if f.startswith("{") else "%",
                                      "defaults": {"user": "-"}}
        doc["handlers"][f"h{i}"] = {"class": "logging.FileHandler", "formatter": f"f{i}",
                                    "filename": f"{d}/{prefix}{i}.log"}
        doc["root"]["handlers"].append(f"h{i}")
        doc["loggers"]["a.b"]["handlers"].append(f"h{i}")
    doc["handlers"]["errors_only"] = {"class": "logging.FileHandler", "level": "ERROR",
                                      "filename": f"{d}/{prefix}errors.log"}
    doc["root"]["handlers"].append("errors_only")
    return doc


def handle_records(rnd, n):
    names = [None, "", "root", "a", "a.b", "a.b.c", "quiet", "new.logger"]
    out = []
    for i in range(n):
        # the time is always given (else it is the receiver's now, as in Python)
        d = {"levelno": rnd.choice([5, 10, 20, 30, 40, 50, 45]),
             "created": rnd.choice([1700000000.25, 1700000123.999, 1700000000]),
             "msecs": rnd.choice([250.0, 999.0, 1]), "relativeCreated": rnd.choice([12.5, 0, 1e9]),
             # and who made it (else the receiver, in osfs its writer)
             "process": rnd.choice([1234, None]), "thread": rnd.choice([99, None, 2**40]),
             "threadName": rnd.choice(["T", "MainThread", None]), "processName": "MainProcess"}
        name = rnd.choice(names)
        if name is not None or rnd.random() < 0.5:
            d["name"] = name
        d["levelname"] = logging_name(d["levelno"])
        d["msg"] = rnd.choice(["record %d", "x %s %r", 42, "%(k)s", "100%%", ["a", 1], "plain"])
        if rnd.random() < 0.7:
            d["args"] = rnd.choice([[i], [i, "q"], {"k": i}, None, [], "s", [{"k": 1}]])
        for key, values in [("pathname", ["/srv/app.py", ""]), ("filename", ["app.py"]),
                            ("module", ["app"]), ("lineno", [7, None, 0]),
                            ("funcName", ["main", None]), ("taskName", [None, "Task-1"]),
                            ("exc_text", [None, "Traceback (most recent call last):\nKeyError: 1"]),
                            ("stack_info", [None, "Stack (most recent call last):\n  here"]),
                            ("exc_info", ["Traceback:\nE: 1\n"]), ("user", ["bob", 5, [1, 2]])]:
            if rnd.random() < 0.5:
                d[key] = rnd.choice(values)
        out.append(json.dumps(d))
    return out


def logging_name(level):
    names = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
    return names.get(level, f"Level {level}")


def read_logs(d, prefix):
    return {name[len(prefix):]: open(os.path.join(d, name)).read()
            for name in sorted(os.listdir(d)) if name.startswith(prefix)}


def test_handle_equals_pythons_makelogrecord(fresh, tmp_path):
    rnd = random.Random(7)
    records = handle_records(rnd, 200)
    d = str(tmp_path)
    python(HANDLE_PY, stdin=json.dumps({"config": handle_config(d, "py-"), "records": records}))
    m = fresh
    for n in ("a", "a.b", "quiet"):
        os.mkdir(m.p("logging", "loggers", n))
    assert document(m, "logging/config", json.dumps(handle_config(d, "osfs-"))) == "ok"
    write(m, "logging/handle", "".join(r + "\n" for r in records))
    want, got = read_logs(d, "py-"), read_logs(d, "osfs-")
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].splitlines() == want[k].splitlines(), k
    # getLogger made the logger the records named
    assert os.path.isdir(m.p("logging", "loggers", "new.logger"))


def test_handle_refusals(fresh):
    m = fresh
    for line, code in [("not json", errno.EINVAL), ("[1, 2]", errno.EINVAL),
                       ('{"name": 5, "levelno": 20}', errno.EINVAL),
                       ('{"name": "x", "levelno": "high"}', errno.EINVAL),
                       ('{"name": "x", "msg": "no level"}', errno.EINVAL),
                       ('{"name": "a/b", "levelno": 20}', errno.EINVAL),
                       ('{"name": "x", "levelno": 20, "osfs_uid": 0}', errno.EINVAL)]:
        with pytest.raises(OSError) as e:
            write(m, "logging/handle", line + "\n")
        assert e.value.errno == code, line
    # a levelname that names a level stands for a missing levelno (Python would fail)
    write(m, "logging/handle", '{"name": "lv", "levelname": "ERROR", "msg": "x"}\n')


RECEIVER = r"""
# The logging cookbook's socket receiver, writing each unpickled dict as one JSON
# line to osfs's logging/handle (not to a logger of its own).
import json, pickle, socketserver, struct, sys

class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        with open(sys.argv[2], "w") as out:
            while True:
                chunk = self.connection.recv(4)
                if len(chunk) < 4:
                    break
                slen = struct.unpack(">L", chunk)[0]
                chunk = self.connection.recv(slen)
                while len(chunk) < slen:
                    chunk = chunk + self.connection.recv(slen - len(chunk))
                d = pickle.loads(chunk)
                out.write(json.dumps(d, default=repr) + "\n")
                out.flush()

server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.handle_request()
"""

SENDER = r"""
import json, logging, logging.handlers, sys
port = int(sys.argv[1])
h = logging.handlers.SocketHandler("127.0.0.1", port)
root = logging.getLogger()
root.addHandler(h)
root.setLevel(logging.DEBUG)
app = logging.getLogger("app.sub")
app.info("hello %s", "world")
app.warning("%(a)s and %(b)d", {"a": "x", "b": 3})
app.debug("with extra", extra={"user": "bob"})
try:
    1 / 0
except ZeroDivisionError:
    app.exception("it failed: %d", 7)
app.error("with stack", stack_info=True)
logging.getLogger().critical("root's")
h.close()
"""

PIPE_PY = r"""
import json, logging, logging.config, sys
spec = json.loads(sys.stdin.read())
logging.config.dictConfig(spec["config"])
for h in logging._handlerList:  # dictConfig takes formatters' defaults from 3.12 on
    h = h()
    if h and h.formatter:
        h.setFormatter(logging.Formatter(h.formatter._fmt, defaults={"user": "-"}))
for line in spec["records"]:
    d = json.loads(line)
    logging.getLogger(d["name"]).handle(logging.makeLogRecord(d))
logging.shutdown()
print("[]")
"""


def test_socket_handler_pipeline_into_handle(fresh, tmp_path):
    """Python's SocketHandler → the cookbook's receiver → logging/handle: osfs is
    the receiving end, and formats as Python's own receiver would."""
    m = fresh
    d = str(tmp_path)
    fmt = {"version": 1, "disable_existing_loggers": False,
           "formatters": {"f": {"format": "%(asctime)s %(name)s %(levelname)s %(funcName)s:%(lineno)d "
                                          "%(message)s %(user)s", "defaults": {"user": "-"}}},
           "handlers": {"h": {"class": "logging.FileHandler", "formatter": "f",
                              "filename": f"{d}/PREFIX.log"}},
           "root": {"level": "DEBUG", "handlers": ["h"]}}
    recv = subprocess.Popen([PY, "-c", RECEIVER, "x", f"{d}/dicts.jsonl"], stdout=subprocess.PIPE,
                            text=True)
    try:
        port = recv.stdout.readline().strip()
        subprocess.run([PY, "-c", SENDER, port], check=True)
        recv.wait(timeout=10)
    finally:
        recv.kill()
    records = open(f"{d}/dicts.jsonl").read().splitlines()
    assert len(records) == 6
    doc = json.dumps(fmt).replace("PREFIX", "osfs")
    assert document(m, "logging/config", doc) == "ok"
    write(m, "logging/handle", "".join(r + "\n" for r in records))
    python(PIPE_PY, stdin=json.dumps({"config": json.loads(json.dumps(fmt).replace("PREFIX", "py")),
                                      "records": records}))
    got, want = open(f"{d}/osfs.log").read(), open(f"{d}/py.log").read()
    assert got == want
    assert "ZeroDivisionError: division by zero" in got and "Stack (most recent call last)" in got
