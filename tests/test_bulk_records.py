"""Many records in one write(): the lines of a write share their writer, their
logger and their moment, and osfs formats what they share once per write
(modules/logging/format.c: log_format_shared).  Random formats over the fields a
record reads directly, written in random chunks (lines split between writes,
lines past the daemon's 32 KiB copy, levels changing inside a write), each
compared with Python's logging.Formatter over the same records."""
import ast
import json
import logging
import os
import random

from test_logging import TRANSPORT, TRANSPORT_KEYS, config

SEED = 1313
# The fields a record of a written line holds as plain values, by style.
STR_FIELDS = ["name", "message", "levelname", "pathname", "filename", "module", "threadName",
              "processName"]
INT_FIELDS = ["levelno", "lineno", "thread", "process"]
DATEFMTS = [None, None, "%Y-%m-%dT%H:%M:%S", "%H:%M:%S %%"]


def literal(rnd, style):
    text = "".join(rnd.choice(["-", " ", "|", "ä", "x", "[", "]", ":", "\t"])
                   for _ in range(rnd.randint(0, 4)))
    return text.replace("%", "%%") if style == "%" else text.replace("$", "$$") if style == "$" \
        else text.replace("{", "{{").replace("}", "}}")


def field(rnd, style):
    name = rnd.choice(STR_FIELDS + INT_FIELDS + ["asctime", "asctime", "message", "message"])
    if style == "%":
        return f"%({name})" + ("d" if name in INT_FIELDS and rnd.random() < 0.5 else "s")
    if style == "{":
        return "{" + name + "}"
    return rnd.choice(["$" + name, "${" + name + "}"])


def random_format(rnd):
    style = rnd.choice("%%{$")
    fmt = "".join(literal(rnd, style) + field(rnd, style) for _ in range(rnd.randint(1, 6)))
    return style, fmt + literal(rnd, style), rnd.choice(DATEFMTS)


def chunks(rnd, data):
    """data cut at random places: lines split between writes, several in one."""
    out, at = [], 0
    while at < len(data):
        n = rnd.choice([1, 7, 100, 4096, 40000, 70000])
        out.append(data[at:at + n])
        at += n
    return out


def test_bulk_writes_format_as_python(fresh, tmp_path):
    rnd = random.Random(SEED)
    formats = [random_format(rnd) for _ in range(12)]
    formats.append(("%", "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s", None))
    doc = {"version": 1, "formatters": {"t": {"format": TRANSPORT}}, "handlers": {
        "t": {"class": "logging.FileHandler", "filename": str(tmp_path / "t.log"), "formatter": "t"}},
        "loggers": {"app.bulk": {"level": "DEBUG", "handlers": ["t"]}}}
    for i, (style, fmt, datefmt) in enumerate(formats):
        doc["formatters"][f"f{i}"] = {"format": fmt, "style": style, "datefmt": datefmt}
        doc["handlers"][f"h{i}"] = {"class": "logging.FileHandler", "formatter": f"f{i}",
                                    "filename": str(tmp_path / f"{i}.log")}
        doc["loggers"]["app.bulk"]["handlers"].append(f"h{i}")
    assert config(fresh, doc) == (None, "ok\n")

    words = ["request", "naïve", "%s", "{x}", "$y", "'q'", "\"dq\"", "tab\tin", "   ", ""]
    plain = [" ".join(rnd.choice(words) for _ in range(rnd.randint(0, 6))) for _ in range(3000)]
    plain[1234] = "long " * 9000  # past the daemon's 32 KiB copy of whole lines
    levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "15", "25"]
    logged = [f"{rnd.choice(levels)} {m}" for m in plain[:500]]  # levels change inside a write
    written = []  # (first line's index, lines) of each write() that ended a line
    for path, lines in (("info", plain), ("log", logged)):
        fd = os.open(fresh.p("logging", "loggers", "app.bulk", path), os.O_WRONLY)
        try:
            done = 0
            for piece in chunks(rnd, "".join(m + "\n" for m in lines).encode()):
                os.write(fd, piece)
                ended = piece.count(b"\n")
                if ended:
                    written.append(ended)
                done += ended
        finally:
            os.close(fd)
    transported = (tmp_path / "t.log").read_text().split("\n")[:-1]
    assert len(transported) == len(plain) + len(logged)
    records = []
    for line in transported:
        attrs = dict(zip(TRANSPORT_KEYS, [ast.literal_eval(x) for x in line.split("\t")]))
        attrs["levelname"] = logging.getLevelName(attrs["levelno"])
        attrs["args"] = ()
        record = logging.makeLogRecord(attrs)
        record.filename = os.path.basename(record.pathname)
        record.module = os.path.splitext(record.filename)[0]
        records.append(record)
    assert [r.getMessage() for r in records] == plain + [m.split(" ", 1)[1].lstrip(" \t")
                                                         for m in logged]
    assert [r.lineno for r in records] == list(range(1, 3001)) + list(range(1, 501))
    # the lines one write() ended are one moment: the write's
    at = 0
    for n in written:
        assert len({r.created for r in records[at:at + n]}) == 1
        at += n
    for i, (style, fmt, datefmt) in enumerate(formats):
        formatter = logging.Formatter(fmt, datefmt, style)
        want = "".join(formatter.format(r) + "\n" for r in records)
        assert (tmp_path / f"{i}.log").read_text() == want, (style, fmt, datefmt)


def test_one_write_two_writers(fresh, tmp_path):
    """A descriptor written by two processes: each write's records are its writer's."""
    doc = {"version": 1, "formatters": {"f": {"format": "%(process)d %(lineno)d %(message)s"}},
           "handlers": {"h": {"class": "logging.FileHandler", "formatter": "f",
                              "filename": str(tmp_path / "f.log")}},
           "loggers": {"two": {"level": "INFO", "handlers": ["h"]}}}
    assert config(fresh, doc) == (None, "ok\n")
    fd = os.open(fresh.p("logging", "loggers", "two", "info"), os.O_WRONLY)
    try:
        os.write(fd, b"a1\na2\npart")
        pid = os.fork()
        if pid == 0:
            try:
                os.write(fd, b"-of-child\nc1\nc2\n")
            finally:
                os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        os.write(fd, b"p1\np2\n")
    finally:
        os.close(fd)
    me = os.getpid()
    assert (tmp_path / "f.log").read_text().splitlines() == [
        f"{me} 1 a1", f"{me} 2 a2", f"{me} 3 part", f"{pid} 4 -of-child", f"{pid} 5 c1",
        f"{pid} 6 c2", f"{me} 7 p1", f"{me} 8 p2"]
