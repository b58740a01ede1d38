"""logging.handlers: the file family, run side by side with Python's handlers."""
import json
import os
import subprocess
import sys

import pytest

PYTHON = r"""
import json, logging, logging.config, sys
cfg, records = json.loads(sys.argv[1]), json.loads(sys.argv[2])
logging.config.dictConfig(cfg)
log = logging.getLogger("app")
for r in records:
    log.info(r)
logging.shutdown()
"""


def config(m, doc):
    with open(m.p("logging", "config"), "w") as f:
        json.dump(doc, f)
    assert m.read("logging", "config").startswith("{")


def files_of(d):
    return {name: open(os.path.join(d, name), encoding="utf-8").read() for name in sorted(os.listdir(d))}


@pytest.mark.parametrize("max_bytes,backups,batch", [(200, 3, 1), (200, 3, 7), (64, 0, 1),
                                                     (1000, 2, 50), (1, 2, 3)])
def test_rotating_equals_pythons(fresh, tmp_path, max_bytes, backups, batch):
    ours, theirs = tmp_path / "osfs", tmp_path / "python"
    ours.mkdir()
    theirs.mkdir()
    records = [f"record {i:03d} " + "x" * (i % 17) + ("é" if i % 5 == 0 else "") for i in range(60)]

    def doc(d):
        return {"version": 1, "handlers": {"r": {
            "class": "logging.handlers.RotatingFileHandler", "filename": str(d / "app.log"),
            "maxBytes": max_bytes, "backupCount": backups}},
            "loggers": {"app": {"level": "INFO", "handlers": ["r"]}}}

    subprocess.run([sys.executable, "-c", PYTHON, json.dumps(doc(theirs)), json.dumps(records)],
                   check=True)
    os.mkdir(fresh.p("logging", "loggers", "app"))
    config(fresh, doc(ours))
    fd = os.open(fresh.p("logging", "loggers", "app", "info"), os.O_WRONLY)
    try:
        for i in range(0, len(records), batch):
            os.write(fd, "".join(r + "\n" for r in records[i:i + batch]).encode())
    finally:
        os.close(fd)
    assert files_of(ours) == files_of(theirs)
    assert len(files_of(ours)) == (backups + 1 if max_bytes < 1000 else 2)


def test_watched_reopens_after_logrotate(fresh, tmp_path):
    log = tmp_path / "app.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    config(fresh, {"version": 1, "handlers": {"w": {
        "class": "logging.handlers.WatchedFileHandler", "filename": str(log)}},
        "loggers": {"app": {"level": "INFO", "handlers": ["w"]}}})
    with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("before rotation\n")
    conf = tmp_path / "logrotate.conf"
    conf.write_text(f"{log} {{\n  rotate 2\n  create\n  missingok\n}}\n")
    subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"), str(conf)], check=True)
    assert (tmp_path / "app.log.1").read_text() == "before rotation\n"
    with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("after rotation\n")
    assert log.read_text() == "after rotation\n"
    os.unlink(log)  # deleted: reopened, created anew
    with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("after delete\n")
    assert log.read_text() == "after delete\n"
    assert (tmp_path / "app.log.1").read_text() == "before rotation\n"


from conftest import OSFS  # noqa: E402

# The schedule helper of the build under test (build/ or build-asan/).
ROLLOVER = os.path.join(os.path.dirname(os.path.dirname(OSFS)), "tests", "unit", "rollover")
SCHEDULE = r"""
import datetime, json, logging.handlers, sys, tempfile
out = []
for when, interval, utc, at, times in json.loads(sys.argv[1]):
    at = datetime.time(*map(int, at.split(":"))) if at else None
    h = logging.handlers.TimedRotatingFileHandler(tempfile.mktemp(), when=when, interval=interval,
                                                  utc=bool(utc), atTime=at, delay=True)
    out.append([h.computeRollover(t) for t in times])
print(json.dumps(out))
"""
TIMES = [0, 1710054000, 1711846800, 1711850400, 1730000000, 1730595600, 1795698382, 1795702399]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney"])
def test_rollover_schedule_equals_pythons(zone):
    env = dict(os.environ, TZ=zone)
    combos = [[when, interval, utc, at, TIMES]
              for when in ("S", "M", "H", "D", "midnight", "MIDNIGHT", "W0", "W3", "W6")
              for interval in (1, 3) for utc in (0, 1)
              for at in (None, "04:30:00", "23:59:59", "00:00:00")]
    wants = json.loads(subprocess.run([sys.executable, "-c", SCHEDULE, json.dumps(combos)], env=env,
                                      check=True, capture_output=True, text=True).stdout)
    for (when, interval, utc, at, times), want in zip(combos, wants):
        got = subprocess.run([ROLLOVER, when, str(interval), str(utc), at or "-"] +
                             [str(t) for t in times], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        assert [int(g) for g in got] == want, (zone, when, interval, utc, at)


def test_rollover_bad_when(fresh):
    with pytest.raises(OSError) as e:  # refused in the write that completes the document
        with open(fresh.p("logging", "config"), "w") as f:
            json.dump({"version": 1, "handlers": {"t": {
                "class": "logging.handlers.TimedRotatingFileHandler", "filename": "/tmp/x.log",
                "when": "W9"}}}, f)
    assert e.value.errno == 22
    assert "Invalid day specified for weekly rollover: W9" in fresh.errors()[-1]


def test_timed_rotation_every_second(fresh, tmp_path):
    import re
    import time
    log = tmp_path / "app.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    config(fresh, {"version": 1, "handlers": {"t": {
        "class": "logging.handlers.TimedRotatingFileHandler", "filename": str(log),
        "when": "S", "backupCount": 2}},
        "loggers": {"app": {"level": "INFO", "handlers": ["t"]}}})
    written = {}  # contents -> the seconds during which its write was handled
    for i in range(4):
        before = int(time.time())
        with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
            f.write(f"record {i}\n")
        written[f"record {i}\n"] = range(before, int(time.time()) + 1)
        time.sleep(1.1)
    with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("last\n")
    names = sorted(os.listdir(tmp_path))
    rotated = [n for n in names if n != "app.log"]
    assert log.read_text() == "last\n"
    assert len(rotated) == 2  # backupCount: the oldest are deleted
    for name in rotated:
        assert re.fullmatch(r"app\.log\.\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d", name), name
        suffix = time.mktime(time.strptime(name[len("app.log."):], "%Y-%m-%d_%H-%M-%S"))
        contents = (tmp_path / name).read_text()
        assert int(suffix) in written[contents]  # named for the second its record was written


MEMORY_PY = r"""
import json, logging, logging.config, sys
cfg, records, path = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
logging.config.dictConfig(cfg)
log, states = logging.getLogger("app"), []
for level, msg in records:
    getattr(log, level)(msg)
    states.append(open(path).read())
print(json.dumps(states))
"""


def memory_doc(path, **extra):
    return {"version": 1, "formatters": {"f": {"format": "%(levelname)s %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                                  "formatter": "f", "level": "CRITICAL"},
                         # flushLevel as a number: Python 3.11's dictConfig passes a name on
                         # unconverted (newer ones convert it; osfs takes both)
                         "mem": dict({"class": "logging.handlers.MemoryHandler", "capacity": 3,
                                      "flushLevel": 40, "target": "file"}, **extra)},
            "loggers": {"app": {"level": "DEBUG", "handlers": ["mem"]}}}


def test_memory_handler_equals_pythons(fresh, tmp_path):
    records = [("debug", "1"), ("info", "2"), ("info", "3"), ("debug", "4"), ("error", "5"),
               ("info", "6"), ("warning", "7")]
    theirs, ours = tmp_path / "py.log", tmp_path / "osfs.log"
    want = json.loads(subprocess.run(
        [sys.executable, "-c", MEMORY_PY, json.dumps(memory_doc(theirs)), json.dumps(records),
         str(theirs)], check=True, capture_output=True, text=True).stdout)
    os.mkdir(fresh.p("logging", "loggers", "app"))
    config(fresh, memory_doc(ours))
    got = []
    for level, msg in records:
        with open(fresh.p("logging", "loggers", "app", level), "w") as f:
            f.write(msg + "\n")
        got.append(ours.read_text())
    assert got == want  # the target's level is not applied: Python's target.handle()
    assert got[-1].endswith("ERROR 5\n")
    with open(fresh.p("logging", "handlers", "mem", "flush"), "w") as f:
        f.write("now\n")
    assert ours.read_text().endswith("INFO 6\nWARNING 7\n")


def test_memory_handler_flushes_on_close(make_mount, tmp_path):
    out = tmp_path / "close.log"
    m = make_mount()
    os.mkdir(m.p("logging", "loggers", "app"))
    config(m, memory_doc(out, capacity=100))
    with open(m.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("kept until the end\n")
    assert out.read_text() == ""
    assert m.unmount() == 0
    assert out.read_text() == "INFO kept until the end\n"


def test_queue_handler_and_listener(fresh, tmp_path):
    import time
    out, high = tmp_path / "q.log", tmp_path / "high.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    config(fresh, {"version": 1,
                   "formatters": {"q": {"format": "<%(message)s>"},
                                  "t": {"format": "%(levelname)s %(msg)s"}},
                   "handlers": {"file": {"class": "logging.FileHandler", "filename": str(out),
                                         "formatter": "t"},
                                "high": {"class": "logging.FileHandler", "filename": str(high),
                                         "formatter": "t", "level": "ERROR"},
                                "queue": {"class": "logging.handlers.QueueHandler", "formatter": "q",
                                          "handlers": ["file", "high"],
                                          "respect_handler_level": True}},
                   "loggers": {"app": {"level": "DEBUG", "handlers": ["queue"]}}})
    n = 3000
    fd = os.open(fresh.p("logging", "loggers", "app", "info"), os.O_WRONLY)
    for i in range(0, n, 300):
        os.write(fd, "".join(f"{k}\n" for k in range(i, i + 300)).encode())
    os.close(fd)
    with open(fresh.p("logging", "loggers", "app", "error"), "w") as f:
        f.write("bad\n")
    deadline = time.time() + 10
    while out.read_text().count("\n") < n + 1 and time.time() < deadline:
        time.sleep(0.02)  # the listener hands records on off the writer's path
    lines = out.read_text().splitlines()
    # prepare(): msg is the QueueHandler's formatted message; the target formats it again
    assert lines == [f"INFO <{k}>" for k in range(n)] + ["ERROR <bad>"]
    assert high.read_text() == "ERROR <bad>\n"  # respect_handler_level


def test_queue_handler_drains_on_reconfigure(fresh, tmp_path):
    out = tmp_path / "d.log"
    os.mkdir(fresh.p("logging", "loggers", "app"))
    doc = {"version": 1, "handlers": {
        "file": {"class": "logging.FileHandler", "filename": str(out)},
        "queue": {"class": "logging.handlers.QueueHandler", "handlers": ["file"]}},
        "loggers": {"app": {"level": "DEBUG", "handlers": ["queue"]}}}
    config(fresh, doc)
    with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("".join(f"{k}\n" for k in range(500)))
    config(fresh, {"version": 1})  # replaces everything: the queue is drained first
    assert out.read_text().splitlines() == [str(k) for k in range(500)]
