"""logging.config.listen: osfs takes configurations on Python's wire protocol (a
4-byte big-endian length, then the bytes: JSON for dictConfig, else INI for
fileConfig), from the sender code of CPython's own test (setup_via_listener),
each verified with an HMAC-SHA256 key the way Python's `verify` callable would.
Compared with Python's own listener fed the same bytes; hostile peers (too long,
too slow, too many, cut short) are bounded; stopping is prompt.
"""
import errno
import hmac
import json
import os
import socket
import struct
import subprocess
import textwrap
import time

import pytest
from conftest import OSFS

PY = "/usr/bin/python3"
KEY = b"0123456789abcdef-the-test-key\n"



def stats(m):
    return {k: int(v) for k, v in (line.split("=") for line in m.read("logging", "listen_stats").split())}


def port_of(m):
    return int(m.read("logging", "listen").strip().rsplit(":", 1)[1])


def signed(text, key):
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return data if key is None else hmac.new(key, data, "sha256").digest() + data


def send(port, data, host="localhost"):
    """test_logging.py's setup_via_listener, the sending half."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2.0)
    sock.connect((host, port))
    slen = struct.pack(">L", len(data))
    s = slen + data
    sentsofar = 0
    left = len(s)
    while left > 0:
        sent = sock.send(s[sentsofar:])
        sentsofar += sent
        left -= sent
    sock.close()


def wait_for(m, field, count, timeout=10):
    deadline = time.monotonic() + timeout
    while stats(m)[field] < count:
        assert time.monotonic() < deadline, f"{field} stayed below {count}: {stats(m)}"
        time.sleep(0.02)


@pytest.fixture
def keyfile(tmp_path):
    path = tmp_path / "listen.key"
    path.write_bytes(KEY)
    path.chmod(0o600)
    return path


def dict_config(logfile, fmt):
    return json.dumps({"version": 1, "disable_existing_loggers": False,
                       "formatters": {"f": {"format": fmt}},
                       "handlers": {"h": {"class": "logging.FileHandler", "filename": str(logfile),
                                          "formatter": "f"}},
                       "loggers": {"compiler.parser": {"level": "INFO", "handlers": ["h"]}}})


INI = textwrap.dedent("""\
    [loggers]
    keys=root,parser

    [handlers]
    keys=hand1

    [formatters]
    keys=form1

    [logger_root]
    level=WARNING
    handlers=

    [logger_parser]
    level=DEBUG
    handlers=hand1
    propagate=1
    qualname=compiler.parser

    [handler_hand1]
    class=FileHandler
    level=NOTSET
    formatter=form1
    args=({logfile!r}, 'a')

    [formatter_form1]
    format=%(levelname)s ++ %(message)s
    """)

# Python's own listener, with the verify the key stands for; it applies what it
# gets, then logs the records it is given, as osfs's logger streams get them.
PYTHON_LISTENER = r"""
import hmac, logging, logging.config, sys
key = open(sys.argv[1], "rb").read()
def verify(b):
    tag, body = b[:32], b[32:]
    return body if hmac.compare_digest(tag, hmac.new(key, body, "sha256").digest()) else None
t = logging.config.listen(0, verify)
t.start()
t.ready.wait()
t.ready.clear()
print(t.port, flush=True)
for line in sys.stdin:
    cmd, _, arg = line.rstrip("\n").partition(" ")
    if cmd == "wait":
        t.ready.wait(5)
        t.ready.clear()
    elif cmd == "log":
        level, _, msg = arg.partition(" ")
        getattr(logging.getLogger("compiler.parser"), level)(msg)
    print("done", flush=True)
logging.config.stopListening()
t.join()
logging.shutdown()
"""


class PythonListener:
    def __init__(self, keyfile):
        self.p = subprocess.Popen([PY, "-c", PYTHON_LISTENER, str(keyfile)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline())

    def do(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline() == "done\n"

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=10) == 0


def test_listener_equals_pythons(make_mount, keyfile, tmp_path):
    m = make_mount(f"-ologging_listen=0,logging_listen_key={keyfile}")
    os.mkdir(m.p("logging", "loggers", "compiler.parser"))
    py = PythonListener(keyfile)
    try:
        records = [("info", "one"), ("debug", "two"), ("error", "three")]
        docs = [
            dict_config("@DIR@/dict.log", "%(name)s %(levelname)s %(message)s"),
            INI.replace("{logfile!r}", "'@DIR@/ini.log'"),
            # not verified (another key): both ignore it; the last one stays
            (dict_config("@DIR@/never.log", "%(message)s"), b"another key, not the listener's"),
        ]
        applied = unverified = 0
        for doc in docs:
            doc, key = doc if isinstance(doc, tuple) else (doc, KEY)
            for who, port in (("py", py.port), ("osfs", port_of(m))):
                send(port, signed(doc.replace("@DIR@", str(tmp_path / who)), key))
            py.do("wait")
            if key == KEY:
                applied += 1
                wait_for(m, "applied", applied)
            else:
                unverified += 1
                wait_for(m, "unverified", unverified)
            for level, msg in records:
                py.do(f"log {level} {msg}")
                m.write(f"logging/loggers/compiler.parser/{level}", msg + "\n")
    finally:
        py.close()
    for name in ("dict.log", "ini.log"):
        want = (tmp_path / "py" / name).read_text()
        assert want and (tmp_path / "osfs" / name).read_text() == want, name
    assert not (tmp_path / "osfs" / "never.log").exists()
    assert not (tmp_path / "py" / "never.log").exists()
    assert any("logging/listen EACCES" in e and "does not verify" in e for e in m.errors())
    assert stats(m)["failed"] == 0


@pytest.fixture
def both_dirs(tmp_path):
    for who in ("py", "osfs"):
        (tmp_path / who).mkdir()
    return tmp_path


test_listener_equals_pythons = pytest.mark.usefixtures("both_dirs")(test_listener_equals_pythons)


def test_unverified_opt_out_takes_cpythons_test_sender(make_mount, tmp_path):
    """logging_listen_key=none: configurations unverified, as listen(port) without
    verify; the bytes CPython's test sends, JSON and INI."""
    m = make_mount("-ologging_listen=localhost:0,logging_listen_key=none")
    os.mkdir(m.p("logging", "loggers", "compiler.parser"))
    assert m.read("logging", "listen_key") == "none\n"
    send(port_of(m), dict_config(tmp_path / "a.log", "%(message)s!").encode())
    wait_for(m, "applied", 1)
    m.write("logging/loggers/compiler.parser/info", "json\n")
    send(port_of(m), INI.format(logfile=str(tmp_path / "b.log")).encode())
    wait_for(m, "applied", 2)
    m.write("logging/loggers/compiler.parser/info", "ini\n")
    assert (tmp_path / "a.log").read_text() == "json!\n"
    assert (tmp_path / "b.log").read_text() == "INFO ++ ini\n"
    # a configuration with an error changes nothing, and says so
    send(port_of(m), b'{"version": 1, "handlers": {"h": {"class": "logging.Nope"}}}')
    wait_for(m, "failed", 1)
    assert "Unable to configure handler 'h'" in m.errors()[-1]  # Python's ValueError
    m.write("logging/loggers/compiler.parser/info", "still ini\n")
    assert (tmp_path / "b.log").read_text().endswith("INFO ++ still ini\n")


def test_a_key_is_required(make_mount, fresh, tmp_path, keyfile):
    m = fresh
    assert m.read("logging", "listen") == "\n"
    with pytest.raises(OSError) as e:
        m.write("logging/listen", "0\n")
    assert e.value.errno == errno.EACCES
    assert "needs a key" in m.errors()[-1]
    loose = tmp_path / "loose.key"
    loose.write_bytes(KEY)
    loose.chmod(0o644)
    short = tmp_path / "short.key"
    short.write_bytes(b"tiny")
    short.chmod(0o600)
    os.symlink(keyfile, tmp_path / "link.key")
    for path, err in [(loose, errno.EPERM), (short, errno.EINVAL), (tmp_path / "link.key", errno.ELOOP),
                      (tmp_path / "missing.key", errno.ENOENT)]:
        with pytest.raises(OSError) as e:
            m.write("logging/listen_key", f"{path}\n")
        assert e.value.errno == err, path
    m.write("logging/listen_key", f"{keyfile}\n")
    m.write("logging/listen", "127.0.0.1:0\n")
    assert m.read("logging", "listen").startswith("127.0.0.1:")
    with pytest.raises(OSError) as e:  # not while it runs
        m.write("logging/listen_key", "\n")
    assert e.value.errno == errno.EBUSY
    for bad in ("host.example:1", "1.2.3.4:99999", "x", "[::1]"):
        with pytest.raises(OSError) as e:
            m.write("logging/listen", bad + "\n")
        assert e.value.errno == errno.EINVAL, bad
    assert m.read("logging", "listen").startswith("127.0.0.1:")  # a refused address changes nothing
    st = os.stat(m.p("logging", "listen_key"))
    assert st.st_mode & 0o777 == 0o600
    # at start: refused loudly, nothing mounted
    out = subprocess.run([OSFS, str(tmp_path), "-f",
                          "-ologging_listen=0"], capture_output=True, text=True, timeout=10)
    assert out.returncode != 0 and "logging_listen" in out.stderr and "needs a key" in out.stderr


def test_hostile_peers_are_bounded(make_mount, keyfile, tmp_path):
    m = make_mount(f"-ologging_listen=0,logging_listen_key={keyfile}")
    port = port_of(m)
    os.mkdir(m.p("logging", "loggers", "app"))
    # too long: refused from its length, before its bytes
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(struct.pack(">L", 2**31))
    s.settimeout(2)
    assert s.recv(1) == b""  # closed by osfs
    s.close()
    wait_for(m, "oversize", 1)
    # cut short
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(struct.pack(">L", 100) + b"{")
    s.close()
    wait_for(m, "incomplete", 1)
    # not UTF-8 (verified, but no text)
    send(port, signed(b"\xff\xfe", KEY))
    wait_for(m, "failed", 1)
    # slow: a peer that sends two bytes and waits; others go on meanwhile
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"\0\0")
    t0 = time.monotonic()
    send(port, signed(dict_config(tmp_path / "ok.log", "%(message)s"), KEY))
    wait_for(m, "applied", 1)
    assert time.monotonic() - t0 < 2
    m.write("logging/loggers/app/warning", "records are not held\n")
    # too many at once: the ones past the bound are closed at once
    many = [socket.create_connection(("127.0.0.1", port)) for _ in range(12)]
    wait_for(m, "busy", 4)
    for s in many:
        s.close()
    slow.settimeout(8)
    assert slow.recv(1) == b""  # cut at the connection's time limit
    assert time.monotonic() - t0 >= 4.5
    slow.close()
    wait_for(m, "timeouts", 1)
    st = stats(m)
    assert st["applied"] == 1 and st["oversize"] == 1 and st["incomplete"] == 1, st
    assert any("more than 1048576" in e or "at most 1048576" in e for e in m.errors())
    assert any("ETIMEDOUT" in e and "logging/listen" in e for e in m.errors())


def test_stop_is_prompt(make_mount, keyfile):
    m = make_mount(f"-ologging_listen=127.0.0.1:0,logging_listen_key={keyfile}")
    port = port_of(m)
    idle = socket.create_connection(("127.0.0.1", port))  # an open connection does not hold it
    t0 = time.monotonic()
    m.write("logging/listen", "\n")
    took = time.monotonic() - t0
    assert took < 0.1, took
    assert m.read("logging", "listen") == "\n"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    idle.settimeout(2)
    assert idle.recv(1) == b""
    idle.close()
    # started again (a new port), then the daemon stops with it running
    m.write("logging/listen", "0\n")
    port = port_of(m)
    socket.create_connection(("127.0.0.1", port)).close()
    idle = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    assert m.unmount() == 0
    assert time.monotonic() - t0 < 3
    idle.close()
    m.check_output()


def test_ipv6_loopback(make_mount, keyfile, tmp_path):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no ::1 here")
    m = make_mount(f"-ologging_listen=[::1]:0,logging_listen_key={keyfile}")
    assert m.read("logging", "listen").startswith("[::1]:")
    os.mkdir(m.p("logging", "loggers", "compiler.parser"))
    send(port_of(m), signed(dict_config(tmp_path / "v6.log", "v6 %(message)s"), KEY), host="::1")
    wait_for(m, "applied", 1)
    m.write("logging/loggers/compiler.parser/info", "x\n")
    assert (tmp_path / "v6.log").read_text() == "v6 x\n"
