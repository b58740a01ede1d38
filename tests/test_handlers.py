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
