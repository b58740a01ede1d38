"""SMTPHandler against Python's own: the same records, sent by Python's
logging.handlers.SMTPHandler and by osfs's to the same local aiosmtpd server,
must arrive byte for byte the same but for the Date header -- the EHLO name,
the envelope (MAIL FROM, RCPT TO, SIZE) and the message: headers folded as
EmailMessage folds them (RFC 2047 words for a Subject that is not ASCII), the
body in the transfer encoding set_content chooses.  The cases are a grid of
subjects and bodies and random ones from a fixed seed (OSFS_SMTP_CASES=N for a
longer run)."""
import json
import os
import random
import re
import socket
import subprocess
import sys
import time

import pytest

SEED = 20261129

WORDS = ["log", "disk", "full", "ERROR", "héllo", "wörld", "Ünïcödé", "中文字", "😀", "naïve",
         "x" * 90, "é" * 40, "=?utf-8", "a_b", "tab\there", "q=1", "--", "(x)", "é" * 80]

SUBJECTS = [
    "alert from app", "", "x" * 100, "héllo wörld " * 8, "a " * 50, "Ünïcödé",
    "  leading and trailing  ", "tab\tseparated\tsubject", "a" * 77, "a" * 78, "b " * 38 + "end",
    "mixed ascii and ünïcode words that go on and on past the fold " * 2, "😀" * 30,
    "word " * 15 + "é",
]

BODIES = [
    "short", "é" * 10, "a" * 200, "é" * 200, "", "line one\nline two\n\nline four",
    ".leading dot\n.\n..two", "a" * 78, "a" * 79, "trailing space " * 6 + " ",
    "x=1 y=2 " * 20, "\n".join(f"line {i}" for i in range(12)) + "\n" + "z" * 100,
    "\n".join("é" * (60 + i) for i in range(12)), "tab\tat end\t" * 8 + "\t",
    "cr\rand crlf\r\nend", "= at the fold " + "=" * 90, "ok\n" * 11 + "é" * 90,
]

ADDRESSES = [("osfs@example.org", ["a@example.org"]),
             ("Ops Team <ops@example.org>", ["a@example.org", "b@example.org"]),
             ("osfs@example.org", "single@example.org"),
             ("app@example.org", ["Dev Team <dev@example.org>", "c@example.org", "d@example.org"])]


def random_text(rng, lines):
    out = []
    for _ in range(lines):
        n = rng.choice([0, 1, 3, 8, 20])
        out.append(" ".join(rng.choice(WORDS) for _ in range(n)))
    return "\n".join(out)


def cases():
    rng = random.Random(SEED)
    grid = [(f, t, s, b) for (f, t), s, b in
            zip(ADDRESSES * 10, SUBJECTS + SUBJECTS, BODIES * 2)]
    for s in SUBJECTS:
        grid.append((*ADDRESSES[0], s, "body"))
    for b in BODIES:
        grid.append((*ADDRESSES[1], "subject", b))
    for _ in range(int(os.environ.get("OSFS_SMTP_CASES", "20"))):
        f, t = rng.choice(ADDRESSES)
        grid.append((f, t, random_text(rng, 1).replace("\n", " "), random_text(rng, rng.randint(1, 14))))
    return grid


PYTHON = r"""
import json, logging, logging.handlers, sys
cases = json.load(sys.stdin)
port = int(sys.argv[1])
for fromaddr, toaddrs, subject, body in cases:
    h = logging.handlers.SMTPHandler(("127.0.0.1", port), fromaddr, toaddrs, subject)
    h.setFormatter(logging.Formatter("%(message)s"))
    h.handle(logging.makeLogRecord({"msg": body, "levelno": 40, "levelname": "ERROR"}))
"""


@pytest.fixture
def server():
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.got = []

        async def handle_DATA(self, server, session, envelope):
            self.got.append((session.host_name, envelope.mail_from, list(envelope.rcpt_tos),
                             [o.upper() for o in envelope.mail_options], envelope.original_content))
            return "250 OK"

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))  # aiosmtpd checks its own port: it cannot be 0
    port = probe.getsockname()[1]
    probe.close()
    keep = Keep()
    controller = Controller(keep, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, keep
    finally:
        controller.stop()


def undated(mail):
    host, sender, rcpt, options, content = mail
    return host, sender, rcpt, options, re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", content)


def test_mails_equal_pythons(fresh, server):
    port, keep = server
    grid = cases()
    subprocess.run([sys.executable, "-c", PYTHON, str(port)], input=json.dumps(grid), text=True,
                   check=True)
    theirs = list(keep.got)
    keep.got.clear()
    assert len(theirs) == len(grid)
    for i, (fromaddr, toaddrs, subject, body) in enumerate(grid):
        with open(fresh.p("logging", "config"), "w") as f:
            json.dump({"version": 1, "formatters": {"f": {"format": "%(message)s"}},
                       "handlers": {"m": {"class": "logging.handlers.SMTPHandler",
                                          "mailhost": ["127.0.0.1", port], "fromaddr": fromaddr,
                                          "toaddrs": toaddrs, "subject": subject, "formatter": "f"}},
                       "root": {"handlers": ["m"]}}, f)
        with open(fresh.p("logging", "loggers", "root", "error"), "w") as f:
            f.write(json.dumps({"msg": body}) + "\n")  # a structured record: any text as msg
        deadline = time.time() + 5
        while len(keep.got) <= i and time.time() < deadline:
            time.sleep(0.01)
    ours = keep.got
    assert len(ours) == len(grid)
    for case, a, b in zip(grid, theirs, ours):
        assert undated(b) == undated(a), f"case {case!r}:\n{a[4].decode(errors='replace')}\n" \
                                         f"----\n{b[4].decode(errors='replace')}"
        assert re.search(rb"\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n",
                         b[4])
