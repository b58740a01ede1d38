"""fileConfig, the state file, logging_config at start and SIGHUP reload."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import OSFS

INI = """\
[DEFAULT]
logdir={dir}

[loggers]
keys=root, app, app_db

[handlers]
keys=file,errs

[formatters]
keys=simple,braces

[logger_root]
level=WARNING
handlers=errs

[logger_app]
level=DEBUG
handlers=file
qualname=app

[logger_app_db]
level=INFO
handlers=
qualname=app.db
propagate=1

[handler_file]
class=FileHandler
level=DEBUG
formatter=simple
args=('%(logdir)s/{prefix}app.log', 'w')

[handler_errs]
class=logging.FileHandler
level=ERROR
formatter=braces
args=('%(logdir)s/{prefix}errs.log',)
kwargs={{'mode': 'a', 'delay': True}}

[formatter_simple]
format=%(levelname)-7s %(name)s: %(message)s

[formatter_braces]
format={{levelname}} {{name!r}} {{message}}
style={{
"""

RECORDS = [("app", "debug"), ("app", "error"), ("app.db", "debug"), ("app.db", "info"),
           ("app.db", "critical"), ("root", "warning"), ("root", "error"), ("other", "error")]

PYTHON = r"""
import logging, logging.config, sys
logging.config.fileConfig(sys.argv[1])
for i, (name, level) in enumerate(eval(sys.argv[2])):
    logger = logging.getLogger(None if name == "root" else name)
    getattr(logger, level)(f"record {i} to {name}")
logging.shutdown()
"""


def test_fileconfig_equals_pythons(fresh, tmp_path):
    (tmp_path / "py.ini").write_text(INI.format(dir=tmp_path, prefix="py-"))
    subprocess.run([sys.executable, "-c", PYTHON, str(tmp_path / "py.ini"), repr(RECORDS)], check=True)
    for name in ("app", "app.db", "pre"):
        os.mkdir(fresh.p("logging", "loggers", name))
    fd = os.open(fresh.p("logging", "fileconfig"), os.O_RDWR)
    try:
        os.write(fd, INI.format(dir=tmp_path, prefix="osfs-").encode())
        assert os.read(fd, 100) == b"ok\n"  # applied at the first read
    finally:
        os.close(fd)
    os.mkdir(fresh.p("logging", "loggers", "other"))  # made after, as Python's getLogger is
    for i, (name, level) in enumerate(RECORDS):
        with open(fresh.p("logging", "loggers", name, level), "w") as f:
            f.write(f"record {i} to {name}\n")
    for f in ("app.log", "errs.log"):
        assert (tmp_path / f"osfs-{f}").read_text() == (tmp_path / f"py-{f}").read_text(), f
    assert (tmp_path / "osfs-app.log").read_text()
    # "pre" existed before the fileConfig and is not named: disabled, as in Python
    assert fresh.read("logging", "loggers", "pre", "disabled") == "1\n"
    assert fresh.read("logging", "loggers", "other", "disabled") == "0\n"


def test_fileconfig_errors_change_nothing(fresh, tmp_path):
    before = fresh.read("logging", "config")
    bad = INI.format(dir=tmp_path, prefix="x-").replace("class=FileHandler", "class=NoSuchHandler")
    subprocess.run(["bash", "-c", f"cat > {fresh.p('logging', 'fileconfig')}"], input=bad,
                   text=True, check=False)
    deadline = time.time() + 5  # applied at close, which FUSE delivers asynchronously
    while not fresh.errors() and time.time() < deadline:
        time.sleep(0.01)
    assert "[handler_file] class: no module named 'NoSuchHandler'" in fresh.errors()[-1]
    assert fresh.read("logging", "config") == before
    assert not (tmp_path / "x-app.log").exists()


def test_fuzz_findings_are_refusals(fresh):
    """What tests/fuzz found: an INI without [loggers] freed its key list twice; a
    section that is a JSON list, not an object, reached a NULL logger name; a width
    of 10**17 padded for ever; a capacity of 10**106 overflowed its cast."""
    def refused(node, text):
        before = len(fresh.errors())
        subprocess.run(["bash", "-c", f"cat > {fresh.p('logging', node)}"], input=text,
                       text=True, check=False)
        deadline = time.time() + 5  # applied at close, delivered asynchronously
        while len(fresh.errors()) == before and time.time() < deadline:
            time.sleep(0.01)
        return fresh.errors()[-1]

    ini = "[formatters]\nkeys=\n[handlers]\nkeys=\n[lgegros]\nkeys=root\n"
    assert "KeyError: 'loggers'" in refused("fileconfig", ini)  # Python's error
    for section in ("formatters", "filters", "handlers", "loggers"):  # Python's errors
        doc = json.dumps({"version": 1, section: ["m"]})
        assert (f"Unable to configure {section[:-1]} 'm': TypeError: list indices must be "
                "integers or slices, not str") in refused("config", doc)
    doc = json.dumps({"version": 1, "root": ["m"]})
    assert ("Unable to configure root logger: AttributeError: 'ConvertingList' object has no "
            "attribute 'get'") in refused("config", doc)
    for fmt, style in (("%(message)99999999999999999s", "%"), ("{message:>99999999999}", "{")):
        doc = json.dumps({"version": 1, "formatters": {"f": {"format": fmt, "style": style}}})
        assert "width or precision too big" in refused("config", doc)
    doc = json.dumps({"version": 1, "handlers": {"m": {"class": "logging.handlers.MemoryHandler",
                                                       "capacity": 2.5}}})
    assert "capacity must be an integer" in refused("config", doc)
    assert fresh.proc.poll() is None
    assert fresh.read("errno", "EINVAL") == "22\n"


def test_state_file_across_restarts(make_mount, tmp_path):
    state = tmp_path / "state.json"
    log = tmp_path / "s.log"
    m = make_mount("-o", f"state={state}")
    os.mkdir(m.p("logging", "loggers", "svc"))
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {"h": {"class": "logging.FileHandler", "filename": str(log)}},
                   "loggers": {"svc": {"level": "INFO", "handlers": ["h"]}}}, f)
    with open(m.p("logging", "levels", "TRACE"), "w") as f:
        f.write("5\n")
    with open(m.p("time", "tz"), "w") as f:
        f.write("Asia/Tokyo\n")
    with open(m.p("os", "environ", "KEPT"), "w") as f:
        f.write("yes\n")
    with open(m.p("logging", "disable"), "w") as f:
        f.write("DEBUG\n")
    saved = json.loads(state.read_text())  # saved on every change, whole
    assert saved["tz"] == "Asia/Tokyo" and saved["environ"]["KEPT"] == "yes"
    assert os.stat(state).st_mode & 0o777 == 0o600
    assert m.unmount() == 0
    m = make_mount("-o", f"state={state}")
    assert m.read("time", "tz") == "Asia/Tokyo\n"
    assert m.read("os", "environ", "KEPT") == "yes\n"
    assert m.read("logging", "levels", "TRACE") == "5\n"
    assert m.read("logging", "disable") == "DEBUG\n"
    assert m.read("logging", "loggers", "svc", "level") == "INFO\n"
    with open(m.p("logging", "loggers", "svc", "info"), "w") as f:
        f.write("after restart\n")
    assert log.read_text() == "after restart\n"
    assert m.unmount() == 0


def test_logging_config_at_start_and_sighup(make_mount, tmp_path):
    log1, log2 = tmp_path / "one.log", tmp_path / "two.log"
    cfg = tmp_path / "logging.json"
    cfg.write_text(json.dumps({"version": 1, "handlers": {
        "h": {"class": "logging.FileHandler", "filename": str(log1)}}, "root": {"handlers": ["h"]}}))
    m = make_mount("-o", f"logging_config={cfg}")
    with open(m.p("logging", "loggers", "root", "warning"), "w") as f:
        f.write("first\n")
    assert log1.read_text() == "first\n"
    cfg.write_text(json.dumps({"version": 1, "handlers": {
        "h": {"class": "logging.FileHandler", "filename": str(log2)}}, "root": {"handlers": ["h"]}}))
    m.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while str(log2) not in m.read("logging", "config") and time.time() < deadline:
        time.sleep(0.02)
    with open(m.p("logging", "loggers", "root", "warning"), "w") as f:
        f.write("second\n")
    assert log2.read_text() == "second\n" and log1.read_text() == "first\n"
    assert m.unmount() == 0


def test_bad_logging_config_refuses_to_start(tmp_path):
    from conftest import OSFS
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"version": 1, "handlers": {"h": {"class": "nope"}}}')
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run([OSFS, str(mnt), "-f", "-o", f"logging_config={cfg}"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode != 0 and "Cannot resolve 'nope'" in r.stderr
    assert not os.path.ismount(mnt)


def test_stream_handler_to_the_daemons_stdout(fresh):
    with open(fresh.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {"out": {"class": "logging.StreamHandler",
                                                      "stream": "ext://sys.stdout"}},
                   "root": {"handlers": ["out"]}}, f)
    with open(fresh.p("logging", "loggers", "root", "error"), "w") as f:
        f.write("to the daemon's stdout\n")
    assert "to the daemon's stdout\n" in fresh.output()


def test_converted_values_and_attributes_survive_a_restart(make_mount, tmp_path):
    """What ext://, cfg:// and the '.' key made is saved as values a restart reads
    back the same: a level without a name as its number, the attributes under '.'."""
    state = tmp_path / "state.json"
    log = tmp_path / "t.log"
    m = make_mount("-o", f"state={state}")
    doc = {"version": 1, "paths": {"log": str(log)},
           "handlers": {"h": {"class": "logging.FileHandler", "filename": "cfg://paths.log",
                              "level": "ext://logging.handlers.SysLogHandler.LOG_LOCAL0",
                              ".": {"terminator": " ;\n"}}},
           "root": {"handlers": ["h"], "level": "ext://logging.DEBUG"}}
    with open(m.p("logging", "config"), "w") as f:
        json.dump(doc, f)
    before = json.loads(m.read("logging", "config"))
    assert before["handlers"]["h"]["level"] == 16 and before["handlers"]["h"]["."] == {"terminator": " ;\n"}
    assert m.unmount() == 0
    m = make_mount("-o", f"state={state}")
    assert json.loads(m.read("logging", "config")) == before
    with open(m.p("logging", "loggers", "root", "info"), "w") as f:
        f.write("kept\n")
    assert log.read_text() == "kept ;\n"
    assert m.unmount() == 0


def test_inline_semicolons_and_continuations_as_configparser(fresh, tmp_path):
    """configparser keeps ' ; text' in a value (inih took it for a comment) and joins
    indented lines; the same file gives the same lines as Python's fileConfig."""
    ini = """[loggers]
keys=root
[handlers]
keys=h
[formatters]
keys=f
[logger_root]
level=INFO
handlers=h
[handler_h]
class=FileHandler
formatter=f
args=(
  PATH,
  'a')
[formatter_f]
format=%(levelname)s ; %(message)s
"""
    for side in ("py", "osfs"):
        text = ini.replace("PATH", repr(str(tmp_path / f"{side}.log")))
        if side == "py":
            script = ("import io, logging, logging.config, sys; logging.config.fileConfig(io.StringIO("
                      "sys.stdin.read())); logging.getLogger().warning('hello'); logging.shutdown()")
            subprocess.run([sys.executable, "-c", script], input=text, text=True, check=True)
        else:
            fd = os.open(fresh.p("logging", "fileconfig"), os.O_RDWR)
            try:
                os.write(fd, text.encode())
                assert os.read(fd, 100) == b"ok\n"
            finally:
                os.close(fd)
            with open(fresh.p("logging", "loggers", "root", "warning"), "w") as f:
                f.write("hello\n")
    assert (tmp_path / "osfs.log").read_text() == (tmp_path / "py.log").read_text() == "WARNING ; hello\n"


def test_handler_attribute_files_take_numbers(fresh):
    """A handler's level file takes a number or a name (its JSON is built from the text)."""
    os.mkdir(fresh.p("logging", "handlers", "h"))
    for written, shown in (("10", "DEBUG"), ("ERROR", "ERROR"), ("25", "25")):
        with open(fresh.p("logging", "handlers", "h", "level"), "w") as f:
            f.write(written + "\n")
        assert fresh.read("logging", "handlers", "h", "level") == shown + "\n"


UNBOUNDED_PY = r"""
import json, logging, logging.config, os, sys
doc, records = json.loads(sys.argv[1]), json.loads(sys.argv[2])
logging.config.dictConfig(doc)
for level, msg in records:
    logging.getLogger("app").log(level, msg)
logging.shutdown()
"""


@pytest.mark.parametrize("big", [2**62, 2**63 - 1, 2**63, 10**30, 7 * 10**106, -(2**63) - 1, -(10**30)])
def test_integer_options_past_2_63_as_python(fresh, tmp_path, big):
    """Python's integers have no bound: a capacity, maxBytes or interval of 10**30
    (or -10**30) configures, and the handlers behave as Python's do with it."""
    records = [[20, "one"], [20, "two"], [40, "three"], [20, "four"]]
    results = {}
    for who in ("py", "osfs"):
        d = tmp_path / who
        d.mkdir()
        handlers = {
            "file": {"class": "logging.FileHandler", "filename": f"{d}/mem.log"},
            "mem": {"class": "logging.handlers.MemoryHandler", "capacity": big,
                    "flushLevel": 40, "target": "file"},
            "rot": {"class": "logging.handlers.RotatingFileHandler", "filename": f"{d}/rot.log",
                    "maxBytes": big, "backupCount": 2},
            "timed": {"class": "logging.handlers.TimedRotatingFileHandler",
                      "filename": f"{d}/timed.log", "when": "S", "interval": big} if big > 0 else
                     {"class": "logging.FileHandler", "filename": f"{d}/timed.log"},
        }
        doc = {"version": 1, "disable_existing_loggers": False, "handlers": handlers,
               "loggers": {"app": {"level": "DEBUG", "handlers": ["mem", "rot", "timed"]}}}
        if who == "py":
            subprocess.run(["/usr/bin/python3", "-c", UNBOUNDED_PY,
                            json.dumps(doc), json.dumps(records)], check=True)
        else:
            fresh.write("logging/config", json.dumps(doc))
            for level, msg in records:
                fresh.write("logging/loggers/app/log", f"{level} {msg}\n")
            fresh.write("logging/shutdown", "1\n")
        results[who] = {name: (d / name).read_text() for name in sorted(os.listdir(d))}
    assert results["py"]["rot.log"].count("\n") == 4 and results["py"]["mem.log"]
    assert results["osfs"] == results["py"]


STATE_KEYS = ["levels", "environ", "tz", "disable", "raise_exceptions", "last_resort", "access",
              "spool", "tail_formatters", "version", "logging"]


@pytest.mark.parametrize("shape", [[1], ["x", {"a": 1}], "s", 5, None, True, {"": 1},
                                   {"a": [1]}, {"a": {"mode": 7, "gid": "x"}}, {"x": None},
                                   {"a": 1e300, "b": {"mode": "644", "gid": 1e300}}])
def test_a_state_file_of_any_shape_starts(make_mount, tmp_path, shape):
    """A state file edited by hand: whatever each of its keys holds, osfs starts,
    serves, and saves a state of its own again at the next change -- or, where the
    logging configuration in it is an object dictConfig refuses, does not start,
    says why, and leaves the file as it was."""
    state = tmp_path / "state.json"
    text = json.dumps({key: shape for key in STATE_KEYS})
    state.write_text(text)
    if isinstance(shape, dict):
        p = subprocess.run([OSFS, "-f", str(tmp_path), "-o", f"state={state}"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 1 and f"osfs: {state}: dictionary doesn't specify a version" in p.stderr
        assert state.read_text() == text and not os.path.ismount(tmp_path)
        state.write_text(json.dumps({key: shape for key in STATE_KEYS if key != "logging"}))
    m = make_mount("-o", f"state={state}")
    assert m.read("errno", "ENOENT") == "2\n"
    m.write("logging/disable", "INFO\n")
    assert m.unmount() == 0
    m.check_output()
    assert json.loads(state.read_text())["disable"] == "INFO"


def test_filenames_are_made_absolute_as_abspath_does(fresh, tmp_path):
    """FileHandler's baseFilename is os.path.abspath(filename): lexical, so
    'link/../f.log' is the f.log beside the link, not beside the link's target."""
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "sub")
    names = [f"{tmp_path}/link/../a.log", f"{tmp_path}//real/./sub/../b.log", f"{tmp_path}/c.log/."]
    for who in ("py", "osfs"):
        doc = {"version": 1, "handlers": {f"h{i}": {"class": "logging.FileHandler", "filename": name,
                                                   "delay": True}
                                         for i, name in enumerate(names)},
               "loggers": {"app": {"handlers": [f"h{i}" for i in range(len(names))]}}}
        if who == "py":
            subprocess.run(["/usr/bin/python3", "-c", "import json, logging.config, sys\n"
                            "logging.config.dictConfig(json.loads(sys.argv[1]))\n"
                            "logging.getLogger('app').warning('py')", json.dumps(doc)], check=True)
            made = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.log"))
            for p in tmp_path.rglob("*.log"):
                p.unlink()
        else:
            fresh.write("logging/config", json.dumps(doc))
            fresh.write("logging/loggers/app/warning", "osfs\n")
            assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.log")) == made
    assert made == ["a.log", "c.log", "real/b.log"]
