"""Log files operated with the usual tools: the real logrotate rotating files that
concurrent writers log into, checked the rsyslog testbench's way (numbered records,
each found exactly once, across every file rotation left); the README's stanzas;
and the controls operators reach for, rollover (against Python's doRollover()) and
reopen."""
import collections
import glob
import gzip
import json
import os
import subprocess
import sys
import threading
import time

import pytest

WRITER = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for i in range(int(sys.argv[3])):
    os.write(fd, f"{sys.argv[2]} {i}\\n".encode())
"""


def configure(m, handlers, logger="app"):
    if not os.path.isdir(m.p("logging", "loggers", logger)):
        os.mkdir(m.p("logging", "loggers", logger))
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "disable_existing_loggers": False, "handlers": handlers,
                   "loggers": {logger: {"level": "INFO", "handlers": list(handlers)}}}, f)


def read_all(directory):
    """Every line of every file there, .gz ones unpacked."""
    lines = []
    for path in glob.glob(os.path.join(directory, "*")):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            lines += f.read().splitlines()
    return lines


def seq_check(lines, writers, per):
    seen = collections.Counter(lines)
    want = [f"w{k} {i}" for k in range(writers) for i in range(per)]
    lost = [r for r in want if seen[r] == 0]
    dup = [r for r, n in seen.items() if n > 1]
    extra = set(seen) - set(want)
    return lost, dup, extra


def rotate_while_writing(m, tmp_path, stanza, writers=4, per=5000):
    """Writers log numbered records while logrotate rotates in a loop: how many
    rotations ran."""
    conf = tmp_path / "logrotate.conf"
    conf.write_text(stanza)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, m.p("logging", "loggers", "app", "info"),
                               f"w{k}", str(per)]) for k in range(writers)]
    rotations = 0
    try:
        while any(p.poll() is None for p in procs):
            r = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"), str(conf)],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            rotations += 1
            time.sleep(0.02)
    finally:
        for p in procs:
            p.wait()
    assert all(p.returncode == 0 for p in procs)
    return rotations


# The README's stanzas ("Running it for real"), with the paths of the test.
WATCHED_STANZA = """{log} {{
    rotate 2000
    create
    missingok
    compress
    delaycompress
}}
"""
REOPEN_STANZA = """{log} {{
    rotate 2000
    create
    missingok
    postrotate
        echo 1 > {reopen}
    endscript
}}
"""


def test_watched_file_handler_under_logrotate_loses_nothing(fresh, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "app.log"
    configure(fresh, {"w": {"class": "logging.handlers.WatchedFileHandler", "filename": str(log)}})
    n = rotate_while_writing(fresh, tmp_path, WATCHED_STANZA.format(log=log))
    assert n >= 5
    names = os.listdir(logs)
    assert not [x for x in names if "backup" in x], names  # never raced logrotate's create
    lost, dup, extra = seq_check(read_all(logs), 4, 5000)
    assert (len(lost), len(dup), extra) == (0, 0, set()), (lost[:10], dup[:10])


def test_file_handler_reopened_by_postrotate_loses_nothing(fresh, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "app.log"
    configure(fresh, {"f": {"class": "logging.FileHandler", "filename": str(log)}})
    stanza = REOPEN_STANZA.format(log=log, reopen=fresh.p("logging", "handlers", "f", "reopen"))
    assert rotate_while_writing(fresh, tmp_path, stanza) >= 5
    lost, dup, extra = seq_check(read_all(logs), 4, 5000)
    assert (len(lost), len(dup), extra) == (0, 0, set()), (lost[:10], dup[:10])
    # after the last rotation's reopen, records go to the new file
    with open(fresh.p("logging", "loggers", "app", "info"), "w") as f:
        f.write("last\n")
    assert log.read_text().splitlines()[-1] == "last"


def log_to(m, text):
    with open(m.p("logging", "loggers", "app", "info"), "w") as f:
        f.write(text)


def test_watched_waits_for_the_rotations_create(fresh, tmp_path):
    # The file renamed away (logrotate's first step): records go on into it, and the
    # handler does not make the name, which is the rotation's to make (its O_EXCL
    # create would find the name taken and move the handler's file aside).
    log = tmp_path / "app.log"
    configure(fresh, {"w": {"class": "logging.handlers.WatchedFileHandler", "filename": str(log)}})
    log_to(fresh, "one\n")
    os.rename(log, tmp_path / "app.log.1")
    log_to(fresh, "two\n")
    assert not log.exists()
    assert (tmp_path / "app.log.1").read_text() == "one\ntwo\n"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)  # logrotate's create
    os.close(fd)
    log_to(fresh, "three\n")
    assert log.read_text() == "three\n"
    # nobody makes it (nocreate): after the grace, the handler does
    os.rename(log, tmp_path / "app.log.2")
    log_to(fresh, "four\n")
    assert not log.exists()
    time.sleep(1.1)
    log_to(fresh, "five\n")
    assert (tmp_path / "app.log.2").read_text() == "three\nfour\n"
    assert log.read_text() == "five\n"
    # deleted: made again at once, as Python does
    os.unlink(log)
    log_to(fresh, "six\n")
    assert log.read_text() == "six\n"


PYTHON_ROLLOVER = r"""
import json, logging, logging.config, sys
cfg, script = json.loads(sys.argv[1]), json.loads(sys.argv[2])
logging.config.dictConfig(cfg)
log = logging.getLogger("app")
for step in script:
    if step == "rollover":
        logging.getLogger("app").handlers[0].doRollover()
    else:
        log.info(step)
logging.shutdown()
"""


def files_of(d):
    return {name: open(os.path.join(d, name), encoding="utf-8").read() for name in sorted(os.listdir(d))}


@pytest.mark.parametrize("handler", [
    {"class": "logging.handlers.RotatingFileHandler", "maxBytes": 10000, "backupCount": 3},
    {"class": "logging.handlers.RotatingFileHandler", "maxBytes": 0, "backupCount": 2},
    {"class": "logging.handlers.RotatingFileHandler", "maxBytes": 40, "backupCount": 0},
    {"class": "logging.handlers.RotatingFileHandler", "backupCount": 2, "delay": True},
    {"class": "logging.handlers.TimedRotatingFileHandler", "when": "midnight", "backupCount": 3},
    {"class": "logging.handlers.TimedRotatingFileHandler", "when": "D", "interval": 2},
], ids=["rotating", "rotating-no-max", "rotating-no-backups", "rotating-delay", "timed-midnight",
        "timed-2days"])
def test_rollover_equals_pythons_do_rollover(fresh, tmp_path, handler):
    script = ["a", "b", "rollover", "c", "rollover", "rollover", "d", "e", "rollover", "f"]
    ours, theirs = tmp_path / "osfs", tmp_path / "python"
    ours.mkdir()
    theirs.mkdir()

    def doc(d):
        return {"version": 1, "handlers": {"h": dict(handler, filename=str(d / "app.log"))},
                "loggers": {"app": {"level": "INFO", "handlers": ["h"]}}}

    subprocess.run([sys.executable, "-c", PYTHON_ROLLOVER, json.dumps(doc(theirs)), json.dumps(script)],
                   check=True)
    os.mkdir(fresh.p("logging", "loggers", "app"))
    with open(fresh.p("logging", "config"), "w") as f:
        json.dump(doc(ours), f)
    for step in script:
        if step == "rollover":
            with open(fresh.p("logging", "handlers", "h", "rollover"), "w") as f:
                f.write("1\n")
        else:
            log_to(fresh, step + "\n")
    assert files_of(ours) == files_of(theirs)


def test_controls_only_where_the_class_has_them(fresh, tmp_path):
    with open(fresh.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {
            "file": {"class": "logging.FileHandler", "filename": str(tmp_path / "a.log")},
            "rot": {"class": "logging.handlers.RotatingFileHandler", "filename": str(tmp_path / "b.log")},
            "null": {"class": "logging.NullHandler"}}}, f)
    listed = {h: set(os.listdir(fresh.p("logging", "handlers", h))) for h in ("file", "rot", "null")}
    assert "reopen" in listed["file"] and "rollover" not in listed["file"]
    assert {"reopen", "rollover"} <= listed["rot"]
    assert not {"reopen", "rollover"} & listed["null"]
    with pytest.raises(FileNotFoundError):
        os.open(fresh.p("logging", "handlers", "null", "reopen"), os.O_WRONLY)
    with pytest.raises(OSError) as e:
        with open(fresh.p("logging", "handlers", "rot", "rollover"), "w") as f:
            f.write("maybe\n")
    assert e.value.errno == 22
    with open(fresh.p("logging", "handlers", "rot", "rollover"), "w") as f:
        f.write("0\n")  # false: nothing
    assert not (tmp_path / "b.log.1").exists()
