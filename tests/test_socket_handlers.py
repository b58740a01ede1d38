"""SocketHandler and DatagramHandler: Python's wire format, read by a receiver
built as the logging cookbook builds it (length, pickle.loads, makeLogRecord)."""
import json
import logging
import logging.handlers
import os
import pickle
import socket
import socketserver
import struct
import threading
import time

import pytest


class Collector(socketserver.StreamRequestHandler):
    """The logging cookbook's LogRecordStreamHandler, keeping what it reads."""

    def handle(self):
        while True:
            chunk = self.connection.recv(4)
            if len(chunk) < 4:
                break
            slen = struct.unpack(">L", chunk)[0]
            data = b""
            while len(data) < slen:
                more = self.connection.recv(slen - len(data))
                if not more:
                    return
                data += more
            obj = pickle.loads(data)
            self.server.records.append(obj)
            logging.makeLogRecord(obj)  # what a receiver does with it


def tcp_receiver(port=0):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Collector)
    server.daemon_threads = True
    server.records = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def configure(m, handler):
    os.makedirs(m.p("logging", "loggers", "net"), exist_ok=True)
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {"h": handler},
                   "loggers": {"net": {"level": "DEBUG", "handlers": ["h"]}}}, f)


def wait(pred, timeout=5):
    deadline = time.time() + timeout
    while not pred() and time.time() < deadline:
        time.sleep(0.01)
    return pred()


def test_socket_handler_sequence_and_format(fresh):
    server = tcp_receiver()
    try:
        configure(fresh, {"class": "logging.handlers.SocketHandler", "host": "127.0.0.1",
                          "port": server.server_address[1]})
        n = 1000
        fd = os.open(fresh.p("logging", "loggers", "net", "info"), os.O_WRONLY)
        for i in range(0, n, 100):
            os.write(fd, "".join(f"{k}\n" for k in range(i, i + 100)).encode())
        os.close(fd)
        with open(fresh.p("logging", "loggers", "net", "warning"), "w") as f:
            f.write('{"msg": "structured", "user": "bob", "n": 3, "f": 1.5, "ok": true}\n')
        assert wait(lambda: len(server.records) == n + 1)
        assert [int(r["msg"]) for r in server.records[:n]] == list(range(n))  # each once, in order
        last = server.records[-1]
        assert last["msg"] == "structured" and last["user"] == "bob" and last["n"] == 3
        assert last["f"] == 1.5 and last["ok"] is True and last["levelname"] == "WARNING"
        assert last["args"] is None and last["exc_info"] is None and "message" not in last
        assert last["process"] == os.getpid() and last["name"] == "net"
        # Python's own makePickle of the rebuilt record gives the same dict back
        again = pickle.loads(logging.handlers.SocketHandler("h", 0).makePickle(
            logging.makeLogRecord(dict(last)))[4:])
        assert again == last
    finally:
        server.shutdown()
        server.server_close()


def test_socket_handler_backoff_and_reconnect(fresh):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there yet
    configure(fresh, {"class": "logging.handlers.SocketHandler", "host": "127.0.0.1", "port": port,
                      "retryStart": 0.3, "retryFactor": 2.0, "retryMax": 1.0})
    with open(fresh.p("logging", "handlers", "h", "spool"), "w") as f:
        f.write("0\n")  # Python's behaviour: no spool (tests/test_spool.py has one)
    with open(fresh.p("logging", "loggers", "net", "error"), "w") as f:
        f.write("lost 1\n")  # the write succeeds; the failure is counted and logged
    assert "Connection refused" in fresh.errors()[-1]
    with open(fresh.p("logging", "loggers", "net", "error"), "w") as f:
        f.write("lost 2\n")
    assert "is down; next try in" in fresh.errors()[-1]  # within retryStart: no new attempt
    server = tcp_receiver(port)
    try:
        time.sleep(0.35)
        with open(fresh.p("logging", "loggers", "net", "error"), "w") as f:
            f.write("delivered\n")
        assert wait(lambda: [r["msg"] for r in server.records] == ["delivered"])
        stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
        assert stats["handler.h.errors"] == "2" and stats["handler.h.emitted"] == "1"
    finally:
        server.shutdown()
        server.server_close()


def test_datagram_handler(fresh):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    try:
        configure(fresh, {"class": "logging.handlers.DatagramHandler", "host": "127.0.0.1",
                          "port": sock.getsockname()[1]})
        n, got = 200, []
        for i in range(0, n, 20):  # UDP: read each batch before the next overflows the buffer
            with open(fresh.p("logging", "loggers", "net", "info"), "w") as f:
                f.write("".join(f"{k}\n" for k in range(i, i + 20)))
            for _ in range(20):
                data = sock.recv(65536)
                assert struct.unpack(">L", data[:4])[0] == len(data) - 4  # as Python sends it
                got.append(pickle.loads(data[4:]))
        assert sorted(int(r["msg"]) for r in got) == list(range(n))
    finally:
        sock.close()


def test_slow_receiver_never_blocks_past_the_timeout(fresh):
    # A receiver that accepts and never reads: the socket buffers fill, and then
    # each send gives up after the handler's timeout (1 s, as Python's makeSocket).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        configure(fresh, {"class": "logging.handlers.SocketHandler", "host": "127.0.0.1",
                          "port": listener.getsockname()[1]})
        fd = os.open(fresh.p("logging", "loggers", "net", "info"), os.O_WRONLY)
        payload = ("x" * 1000 + "\n") * 500
        started = time.time()
        try:
            for _ in range(40):  # far more than any socket buffer holds
                t = time.time()
                os.write(fd, payload.encode())  # succeeds: failures are counted, not raised
                assert time.time() - t < 2.5  # the 1 s timeout, and some slack
                if any("send to 127.0.0.1" in line for line in fresh.errors()):
                    break
        finally:
            os.close(fd)
        assert time.time() - started < 60
        assert any("send to 127.0.0.1" in line for line in fresh.errors())
    finally:
        listener.close()
