"""HTTPHandler and SMTPHandler against local servers, beside Python's handlers."""
import base64
import re
import email
import email.policy
import http.server
import json
import logging
import logging.handlers
import os
import threading
import time
import urllib.parse

import pytest


class Requests(http.server.BaseHTTPRequestHandler):
    def _take(self, body):
        self.server.seen.append({"method": self.command, "path": self.path, "body": body,
                                 "headers": dict(self.headers)})
        self.send_response(200)
        self.end_headers()

    def do_GET(self):
        self._take(b"")

    def do_POST(self):
        self._take(self.rfile.read(int(self.headers["Content-Length"])))

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Requests)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def send(m, handler, level="error", text="disk full"):
    os.makedirs(m.p("logging", "loggers", "app"), exist_ok=True)
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {"h": handler},
                   "loggers": {"app": {"level": "DEBUG", "handlers": ["h"]}}}, f)
    with open(m.p("logging", "loggers", "app", level), "w") as f:
        f.write(text + "\n")


def fields(query):
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_http_handler_like_pythons(fresh, web, method):
    host = f"127.0.0.1:{web.server_address[1]}"
    py = logging.handlers.HTTPHandler(host, "/log?x=1", method=method, credentials=("u", "p w"))
    py.handle(logging.makeLogRecord({"name": "app", "msg": "disk full", "levelname": "ERROR",
                                     "levelno": 40}))
    send(fresh, {"class": "logging.handlers.HTTPHandler", "host": host, "url": "/log?x=1",
                 "method": method, "credentials": ["u", "p w"]})
    assert len(web.seen) == 2
    theirs, ours = web.seen
    assert ours["method"] == theirs["method"] == method
    if method == "GET":
        assert ours["path"].split("&")[0] == "/log?x=1"
        q_ours, q_theirs = fields(ours["path"].split("?", 1)[1]), fields(theirs["path"].split("?", 1)[1])
    else:
        assert ours["headers"]["Content-Type"] == theirs["headers"]["Content-type"]
        q_ours, q_theirs = fields(ours["body"].decode()), fields(theirs["body"].decode())
    assert ours["headers"]["Authorization"] == theirs["headers"]["Authorization"] == \
        "Basic " + base64.b64encode(b"u:p w").decode()
    q_theirs.pop("taskName", None)  # 3.12+ records carry it; this Python's do not
    q_ours.pop("taskName")
    assert set(q_ours) == set(q_theirs)  # the same record.__dict__ keys
    for key in ("name", "msg", "args", "levelname", "levelno", "exc_info", "exc_text",
                "stack_info", "funcName"):
        assert q_ours[key] == q_theirs[key], key
    assert q_ours["process"] == str(os.getpid())


def test_http_handler_server_down(fresh):
    send(fresh, {"class": "logging.handlers.HTTPHandler", "host": "127.0.0.1:9", "url": "/"})
    assert "logging/handlers/h ECONNREFUSED: HTTP to http://127.0.0.1:9/" in fresh.errors()[-1]


@pytest.fixture
def mail():
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    import socket
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))  # aiosmtpd checks its own port: it cannot be 0
    port = probe.getsockname()[1]
    probe.close()
    keep = Keep()
    controller = Controller(keep, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, keep
    finally:
        controller.stop()


def test_smtp_handler_like_pythons(fresh, mail):
    controller, keep = mail
    host = ["127.0.0.1", controller.port]
    py = logging.handlers.SMTPHandler(tuple(host), "osfs@example.org", ["a@example.org", "b@example.org"],
                                      "alert from app")
    py.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    py.handle(logging.makeLogRecord({"msg": "disk fülL", "levelname": "ERROR", "levelno": 40}))
    os.makedirs(fresh.p("logging", "loggers", "app"), exist_ok=True)
    with open(fresh.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "formatters": {"f": {"format": "%(levelname)s %(message)s"}},
                   "handlers": {"h": {"class": "logging.handlers.SMTPHandler", "mailhost": host,
                                      "fromaddr": "osfs@example.org", "formatter": "f",
                                      "toaddrs": ["a@example.org", "b@example.org"],
                                      "subject": "alert from app"}},
                   "loggers": {"app": {"level": "DEBUG", "handlers": ["h"]}}}, f)
    with open(fresh.p("logging", "loggers", "app", "error"), "w") as f:
        f.write("disk fülL\n")
    deadline = time.time() + 5
    while len(keep.messages) < 2 and time.time() < deadline:
        time.sleep(0.02)
    theirs, ours = keep.messages
    assert ours.mail_from == theirs.mail_from and ours.rcpt_tos == theirs.rcpt_tos
    a = email.message_from_bytes(theirs.original_content, policy=email.policy.default)
    b = email.message_from_bytes(ours.original_content, policy=email.policy.default)
    assert [k for k in b.keys()] == [k for k in a.keys()]
    for key in a.keys():
        if key != "Date":
            assert b[key] == a[key], key
    assert b["Date"].datetime  # a valid date
    undated = lambda raw: re.sub(rb"\r\nDate: [^\r]*", b"", raw)
    assert undated(ours.original_content) == undated(theirs.original_content)  # byte for byte
    assert b.get_content() == a.get_content()
