"""SysLogHandler: the bytes Python's handler sends, over a Unix socket, UDP and TCP;
and a real rsyslog, started by the test on loopback, receiving every record."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

FORMAT = "%(name)s[%(levelname)s]: %(message)s"
RECORDS = [("debug", "d"), ("info", "i with ünïcode"), ("warning", "w"), ("error", "e"),
           ("critical", "c"), ("log", "25 custom level")]
PYTHON = r"""
import json, logging, logging.config, socket, sys
cfg = json.loads(sys.argv[1])
h = cfg["handlers"]["s"]
if isinstance(h.get("address"), list):
    h["address"] = tuple(h["address"])
logging.config.dictConfig(cfg)
log = logging.getLogger("app")
for level, msg in json.loads(sys.argv[2]):
    if level == "log":
        n, msg = msg.split(" ", 1)
        log.log(int(n), msg)
    else:
        getattr(log, level)(msg)
logging.shutdown()
"""


def doc(address, **extra):
    return {"version": 1, "formatters": {"f": {"format": FORMAT}},
            "handlers": {"s": dict({"class": "logging.handlers.SysLogHandler", "address": address,
                                    "formatter": "f"}, **extra)},
            "loggers": {"app": {"level": "DEBUG", "handlers": ["s"]}}}


class Receiver:
    """Collects what arrives on a socket, in a thread."""

    def __init__(self, family, kind, address):
        self.sock = socket.socket(family, kind)
        self.sock.bind(address)
        self.address = self.sock.getsockname()
        self.kind, self.got, self.done = kind, [], False
        if kind == socket.SOCK_STREAM:
            self.sock.listen()
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conns = []
        while not self.done:
            try:
                if self.kind == socket.SOCK_STREAM:
                    c, _ = self.sock.accept()
                    c.settimeout(0.2)
                    conns.append(c)
                else:
                    self.got.append(self.sock.recv(65536))
            except OSError:
                pass
            for c in conns:
                try:
                    data = c.recv(65536)
                    if data:
                        self.got.append(data)
                except OSError:
                    pass

    def wait_for(self, messages, timeout=5):
        """Everything received, once `messages` NUL-ended messages are in."""
        deadline = time.time() + timeout
        while b"".join(self.got).count(b"\0") < messages and time.time() < deadline:
            time.sleep(0.01)
        return b"".join(self.got)

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()


def send_through_osfs(m, address, **extra):
    os.makedirs(m.p("logging", "loggers", "app"), exist_ok=True)
    with open(m.p("logging", "config"), "w") as f:
        json.dump(doc(address, **extra), f)
    for level, msg in RECORDS:
        with open(m.p("logging", "loggers", "app", level), "w") as f:
            f.write(msg + "\n")


@pytest.mark.parametrize("transport", ["unix", "udp", "tcp"])
def test_same_bytes_as_python(fresh, tmp_path, transport):
    if transport == "unix":
        mk = lambda name: Receiver(socket.AF_UNIX, socket.SOCK_DGRAM, str(tmp_path / name))
        addr = lambda r: r.address
        extra = {}
    else:
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        mk = lambda name: Receiver(socket.AF_INET, kind, ("127.0.0.1", 0))
        addr = lambda r: list(r.address)
        extra = {"socktype": "ext://socket.SOCK_STREAM"} if transport == "tcp" else {}
    ours, theirs = mk("osfs.sock"), mk("python.sock")
    try:
        subprocess.run([sys.executable, "-c", PYTHON, json.dumps(doc(addr(theirs), **extra)),
                        json.dumps(RECORDS)], check=True)
        want = theirs.wait_for(len(RECORDS))
        send_through_osfs(fresh, addr(ours), **extra)
        got = ours.wait_for(len(RECORDS))
        assert got == want
        assert want.count(b"\0") == len(RECORDS) and b"<15>app[DEBUG]: d\0" in want
    finally:
        ours.close()
        theirs.close()


def test_facility_and_receiver_down(fresh, tmp_path):
    r = Receiver(socket.AF_UNIX, socket.SOCK_DGRAM, str(tmp_path / "s.sock"))
    try:
        send_through_osfs(fresh, r.address, facility="local3")
        got = r.wait_for(1)
        assert got.startswith(b"<159>app[DEBUG]: d\0")  # local3 (19) << 3 | debug (7)
    finally:
        r.close()
    os.unlink(tmp_path / "s.sock")
    with open(fresh.p("logging", "loggers", "app", "error"), "w") as f:
        f.write("nobody listens\n")  # the write succeeds; the record is spooled
    stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
    assert stats["handler.s.waiting"] == "1" and stats["handler.s.errors"] == "0"
    assert "records are spooled" in fresh.errors()[-1]
    with open(fresh.p("logging", "handlers", "s", "spool"), "w") as f:
        f.write("0\n")  # no spool: Python's behaviour
    with open(fresh.p("logging", "loggers", "app", "error"), "w") as f:
        f.write("nobody listens\n")  # the write succeeds; the failure is counted
    stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
    assert int(stats["handler.s.errors"]) >= 1
    assert "logging/handlers/s" in fresh.errors()[-1]


RSYSLOG_CONF = """
global(workDirectory="{dir}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{port}")
template(name="plain" type="string" string="%syslogfacility-text%.%syslogseverity-text% %rawmsg%\\n")
action(type="omfile" file="{out}" template="plain")
"""


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_rsyslog_receives_every_record(fresh, tmp_path):
    port, out = free_udp_port(), tmp_path / "rsyslog.out"
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(dir=tmp_path, port=port, out=out))
    daemon = subprocess.Popen(["rsyslogd", "-n", "-f", str(conf), "-i", str(tmp_path / "pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        assert daemon.poll() is None, daemon.stderr.read()
        os.mkdir(fresh.p("logging", "loggers", "seq"))
        with open(fresh.p("logging", "config"), "w") as f:
            json.dump({"version": 1, "formatters": {"f": {"format": "seq %(message)s"}},
                       "handlers": {"s": {"class": "logging.handlers.SysLogHandler",
                                          "address": ["127.0.0.1", port], "facility": "local0",
                                          "formatter": "f"}},
                       "loggers": {"seq": {"level": "INFO", "handlers": ["s"]}}}, f)
        n = 500
        fd = os.open(fresh.p("logging", "loggers", "seq", "warning"), os.O_WRONLY)
        for i in range(0, n, 50):
            os.write(fd, "".join(f"{k}\n" for k in range(i, i + 50)).encode())
            time.sleep(0.01)  # UDP: let the receiver keep up
        os.close(fd)
        deadline = time.time() + 10
        while (not out.exists() or out.read_text().count("\n") < n) and time.time() < deadline:
            time.sleep(0.05)
        import re
        lines = out.read_text().splitlines()
        seen = [int(re.search(r"seq (\d+)", l).group(1)) for l in lines
                if l.startswith("local0.warning")]
        assert sorted(seen) == list(range(n))  # seq_check: each exactly once
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
