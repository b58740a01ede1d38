"""Faults: hostile bytes to every writable node, the daemon killed mid-write, a full
disk, a receiver killed mid-stream.  (64 writers on one logger: test_logging.py's
test_concurrent_writers_sequence.)"""
import errno
import json
import os
import random
import signal
import socket
import socketserver
import stat
import subprocess
import threading
import time


def writable_nodes(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("self",)]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if stat.S_IMODE(os.lstat(path).st_mode) & 0o222:
                yield path


HOSTILE = [b"", b"\n", b"\x00", b"\x00\x00\n", b"\xff\xfe\xfd", b"A" * 70000, b"%s%n%p" * 50,
           b"{" * 5000, b'{"version": 1, "handlers": {"h": {"class": "' + b"x" * 10000 + b'"}}}',
           b"\n" * 1000, b"-1 KILL\n", b"1 KILL\n", b"\xc3\x28\n", b"LOUD\n", b"[x]\nkeys=\n"]


def test_hostile_bytes_to_every_writable_node(fresh):
    os.mkdir(fresh.p("logging", "loggers", "app"))
    os.mkdir(fresh.p("logging", "handlers", "h"))
    os.mkdir(fresh.p("logging", "formatters", "f"))
    nodes = sorted(writable_nodes(fresh.path))
    assert len(nodes) > 30
    rng = random.Random(7)
    refusals = 0
    for path in nodes:
        payloads = HOSTILE + [bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
                              for _ in range(5)]
        for data in payloads:
            if path.endswith(("/kill", "/killpg")) and \
                    data.strip().split(b" ")[0] in (b"-1", b"0", b"1"):
                continue  # a real kill of init, of everything or of pytest's group is not a fault test
            if "/time/clocks/" in path and data.strip().lstrip(b"-+").replace(b".", b"").isdigit():
                continue  # a time the system clock would be set to
            try:
                fd = os.open(path, os.O_WRONLY)
            except OSError:
                continue
            t0 = time.time()
            try:
                os.write(fd, data)
            except OSError as e:  # refused: with its errno, and a line in errors
                refusals += 1
                # (the close of the last descriptor is served asynchronously: its own
                # refusal, a partial line's, may come just before or after this one)
                added = [line.split(" ", 4)[2:4] for line in fresh.errors()
                         if float(line.split(" ", 1)[0]) >= t0 - 0.01]
                node = os.path.relpath(path, fresh.path)
                assert [node, errno.errorcode[e.errno] + ":"] in added, (node, data[:40], added)
            finally:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if path.endswith("/basic_config"):  # basicConfig() points the root at stderr:
                with open(fresh.p("logging", "loggers", "root", "handlers"), "w") as f:
                    f.write("\n")  # its WARNING:app: lines are no warnings of the daemon
        assert fresh.proc.poll() is None, path
    assert refusals > 100, refusals
    print(f"{len(nodes)} writable nodes, {refusals} refused writes")
    assert fresh.read("errno", "ENOENT") == "2\n"
    for line in fresh.errors():
        assert line.split(" ", 4)[3].rstrip(":").startswith("E"), line  # each refusal named


def test_sigkill_mid_write_loses_nothing_acknowledged(make_mount, tmp_path):
    log = tmp_path / "k.log"
    m = make_mount()
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {"h": {"class": "logging.FileHandler",
                                                    "filename": str(log)}},
                   "root": {"level": "DEBUG", "handlers": ["h"]}}, f)
    acked = []
    stop = threading.Event()

    def writer():
        fd = os.open(m.p("logging", "loggers", "root", "info"), os.O_WRONLY)
        i = 0
        try:
            while not stop.is_set():
                os.write(fd, "".join(f"{k}\n" for k in range(i, i + 10)).encode())
                acked.append(i + 9)  # every record of this write was acknowledged
                i += 10
        except OSError:
            pass

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5)
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait()
    stop.set()
    t.join()
    subprocess.run(["fusermount3", "-u", "-z", m.path])
    written = [int(x) for x in log.read_text().split()]
    assert acked and written[:acked[-1] + 1] == list(range(acked[-1] + 1))


def test_disk_full(fresh, tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], check=True)
    try:
        with open(fresh.p("logging", "config"), "w") as f:
            json.dump({"version": 1, "handlers": {
                "full": {"class": "logging.FileHandler", "filename": str(d / "x.log")},
                "other": {"class": "logging.FileHandler", "filename": str(tmp_path / "ok.log")}},
                "root": {"handlers": ["full", "other"]}}, f)
        for i in range(100):
            with open(fresh.p("logging", "loggers", "root", "error"), "w") as f:
                f.write(f"{i} " + "x" * 2000 + "\n")  # every write succeeds
        assert any("ENOSPC" in line for line in fresh.errors())
        assert len((tmp_path / "ok.log").read_text().splitlines()) == 100  # the other goes on
        stats = dict(l.split("=") for l in fresh.read("logging", "stats").splitlines())
        assert int(stats["handler.full.errors"]) > 0
    finally:
        subprocess.run(["umount", "-l", str(d)])


def test_receiver_killed_mid_stream(fresh):
    got, conns = [], []

    class Take(socketserver.StreamRequestHandler):
        def handle(self):
            conns.append(self.connection)
            try:
                while self.connection.recv(65536):
                    got.append(1)
            except OSError:
                pass  # closed under us: the receiver died

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Take)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(fresh.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "handlers": {"s": {"class": "logging.handlers.SocketHandler",
                                                    "host": "127.0.0.1",
                                                    "port": server.server_address[1],
                                                    "retryStart": 0.1}},
                   "root": {"handlers": ["s"]}}, f)
    for i in range(50):
        with open(fresh.p("logging", "loggers", "root", "error"), "w") as f:
            f.write(f"{i}\n")
        if i == 20:  # the receiver goes away mid-stream: listener and connection
            server.shutdown()
            server.server_close()
            for c in conns:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
    assert got and fresh.proc.poll() is None
    stats = dict(line.split("=") for line in fresh.read("logging", "stats").splitlines())
    # the records after it wait in the spool (tests/test_spool.py), none lost
    assert stats["handler.s.errors"] == "0"
    assert int(stats["handler.s.waiting"]) + int(stats["handler.s.unacked"]) > 0
    assert int(stats["handler.s.emitted"]) + int(stats["handler.s.waiting"]) == 50  # (emitted: unacked too)
    assert fresh.read("errno", "EIO") == "5\n"
