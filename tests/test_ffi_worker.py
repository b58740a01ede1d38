"""The ffi worker as a sandbox and the channel to it as an untrusted peer: the
worker has its own session and process group, only its socket, no new
privileges, the daemon's death as its own, no core dumps, no processes (as a user
that is not root) and a bounded address space; frames that are not the answer
expected (a length of 0xFFFFFFFF, an empty frame, garbage, a second answer after a
fork) replace the worker and never hang or bloat the daemon."""
import ctypes
import errno
import os
import signal
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import OSFS
import ffi_util
from ffi_util import Call

ffi = ffi_util.ffi  # the fixture

ASAN = "libasan" in subprocess.run(["ldd", OSFS], capture_output=True, text=True).stdout
MAGIC = 0x6F736669


def workers_of(pid):
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                continue
            if ppid == pid and b"--ffi-worker" in cmd:
                found.append(int(p))
    return found


def worker(m, call):
    call.ok("c getpid int")
    (w,) = workers_of(m.proc.pid)
    return w


def status_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def limits_of(pid):
    with open(f"/proc/{pid}/limits") as f:
        return {line[:26].strip(): line[26:].split()[:2] for line in f.readlines()[1:]}


def test_worker_is_confined(make_mount, tmp_path):
    log = tmp_path / "app.log"
    conf = tmp_path / "log.json"
    conf.write_text('{"version": 1, "handlers": {"f": {"class": "logging.FileHandler", "filename": "%s"}},'
                    ' "root": {"handlers": ["f"]}}' % log)
    m = make_mount("-o", f"ffi,logging_config={conf}")
    call = Call(m)
    try:
        w = worker(m, call)
        daemon_fds = os.listdir(f"/proc/{m.proc.pid}/fd")
        assert len(daemon_fds) > 4  # /dev/fuse, the log file, ...: none of them reaches the worker
        fds = {fd: os.readlink(f"/proc/{w}/fd/{fd}") for fd in os.listdir(f"/proc/{w}/fd")}
        assert set(fds) == {"0", "1", "2", "3", "4"}  # requests come on 3, answers go on 4
        assert fds["0"] == fds["1"] == fds["2"] == "/dev/null"
        assert fds["3"].startswith("socket:") and fds["4"].startswith("socket:")
        assert os.getpgid(w) == os.getsid(w) == w != os.getpgid(m.proc.pid)
        st = status_of(w)
        assert st["NoNewPrivs"] == "1" and int(st["SigBlk"], 16) == 0
        lim = limits_of(w)
        assert lim["Max processes"] == ["0", "0"] and lim["Max core file size"] == ["0", "0"]
        if not ASAN:  # ASan reserves terabytes of address space: no RLIMIT_AS there
            assert lim["Max address space"] == [str(1 << 30)] * 2
            assert call.ok("c malloc ptr size_t:2000000000") == {"ret": "None", "errno": str(errno.ENOMEM)}
        # what a call starts does not inherit the channel
        for fd in (3, 4):
            assert call.ok(f"c fcntl int int:{fd} int:1")["ret"] == "1"  # F_GETFD: FD_CLOEXEC
    finally:
        call.close()


def test_memory_bound_is_an_option(make_mount):
    if ASAN:
        pytest.skip("no RLIMIT_AS under AddressSanitizer")
    m = make_mount("-o", "ffi,ffi_memory=300")
    call = Call(m)
    try:
        assert limits_of(worker(m, call))["Max address space"] == [str(300 << 20)] * 2
        assert call.ok("c malloc ptr size_t:400000000")["ret"] == "None"
    finally:
        call.close()
    m = make_mount("-o", "ffi,ffi_memory=0")
    call = Call(m)
    try:
        assert limits_of(worker(m, call))["Max address space"] == ["unlimited", "unlimited"]
    finally:
        call.close()


def test_signals_to_its_process_group_stay_in_it(ffi):
    m, call = ffi
    w = worker(m, call)
    err, answer = call("c kill int int:0 int:9")
    assert err == errno.EIO and answer == "error: EIO: worker crashed: SIGKILL\n"
    assert m.proc.poll() is None and m.read("errno", "ENOENT") == "2\n"
    assert call.ok("c getpid int")["ret"] != str(w)
    err, answer = call("c killpg int int:0 int:15")
    assert err == errno.EIO and "SIGTERM" in answer
    assert call.ok("m cos double double:0")["ret"] == "1.0"


def test_answers_stay_in_step_after_fork(ffi):
    m, call = ffi
    pid = call.ok("c getpid int")["ret"]
    child = call.ok("c fork int")["ret"]  # root: RLIMIT_NPROC does not bind root
    assert int(child) > 0 and child != pid
    for i in range(30):
        assert call.ok(f"c abs int int:{-i}")["ret"] == str(i)
    assert call.ok("c getpid int")["ret"] == pid  # the same worker, still in step


def send_from_worker(call, data, fd=4):
    """Makes the worker's call write data on its own channel (answers go on fd 4),
    as a call may."""
    init = "{" + ", ".join(str(b) for b in data) + "}"
    return call(f"c write ssize_t int:{fd} in:uint8[{len(data)}]:{init} size_t:{len(data)}")


def in_background(call, request, results):
    """Starts request on its own thread; its outcome (or the OSError) lands in results."""
    def run():
        try:
            results["answer"] = call(request)
        except OSError as e:
            results["answer"] = (e.errno, str(e))
    t = threading.Thread(target=run)
    t.start()
    return t


def daemon_rss_kib(m):
    return int(status_of(m.proc.pid)["VmRSS"].split()[0])


@pytest.mark.parametrize("frame", ["huge", "empty", "garbage", "second"])
def test_frames_out_of_step_replace_the_worker(ffi, frame):
    m, call = ffi
    w = worker(m, call)  # request 1
    seq = 2  # the number of the request the frame arrives in
    data = {
        "huge": struct.pack("=IIIii", MAGIC, seq, 0xFFFFFFFF, 0, 0),
        "empty": struct.pack("=IIIii", MAGIC, seq, 0, 0, 0),
        "garbage": bytes(range(7, 107)),
        "second": struct.pack("=IIIii", MAGIC, seq, 12, 0, 0) + struct.pack("=I", 0) + b"ret=forged\n",
    }[frame]
    rss = daemon_rss_kib(m)
    start = time.monotonic()
    err, answer = send_from_worker(call, data)
    if frame == "second":
        # a frame in the right form, written by the call itself, may pass for the
        # call's answer: then the real one that follows is out of step for the next
        assert (err, answer) == (None, {"ret": "forged"}) or err == errno.EIO
        if err is None:
            err, answer = call("c getpid int")
    assert err == errno.EIO and "out of step" in answer, answer
    assert time.monotonic() - start < 3  # no wait for a frame that never ends
    assert daemon_rss_kib(m) < rss + 10 * 1024  # no 4 GiB buffer, not even tried
    assert m.proc.poll() is None
    assert int(call.ok("c getpid int")["ret"]) != w
    for i in range(10):
        assert call.ok(f"c abs int int:{-i}")["ret"] == str(i)


def test_a_closed_channel_is_a_crash(ffi):
    m, call = ffi
    err, answer = call("c close int int:4")  # its answers' way: this call's answer is lost
    assert err == errno.EIO and answer.startswith("error: EIO: worker crashed")
    assert call.ok("c abs int int:-5")["ret"] == "5"
    # its requests' way: this call answers, the worker then ends, and the next call
    # is taken by a new worker, as it was never sent to the last one
    assert call.ok("c close int int:3")["ret"] == "0"
    for i in range(5):
        assert call.ok(f"c abs int int:{-i}")["ret"] == str(i)


def test_bytes_written_to_the_request_channel_reach_nobody(ffi):
    m, call = ffi
    w = worker(m, call)
    assert send_from_worker(call, b"garbage" * 10, fd=3)[1]["ret"] == "70"
    assert call.ok("c getpid int")["ret"] == str(w)  # the same worker, in step


def test_shutdown_waits_no_longer_than_the_timeout(make_mount):
    """A call that never returns holds one worker until -o ffi_timeout, and the
    daemon's exit (libfuse lets every request finish) no longer than that."""
    m = make_mount("-o", "ffi,ffi_timeout=1500")
    call = Call(m)
    w = worker(m, call)
    results = {}
    t = in_background(call, "c sleep uint uint:100", results)
    time.sleep(0.3)
    start = time.monotonic()
    assert m.unmount(signal.SIGTERM) == 0
    assert time.monotonic() - start < 5
    t.join(10)
    assert results["answer"][0] in (errno.EIO, errno.ENOTCONN, errno.ECONNABORTED)
    assert not os.path.exists(f"/proc/{w}")
    m.check_output()


def test_the_daemons_death_is_the_workers(make_mount):
    m = make_mount("-o", "ffi,ffi_timeout=60000")
    call = Call(m)
    w = worker(m, call)
    t = in_background(call, "c sleep uint uint:100", {})
    time.sleep(0.3)
    m.proc.kill()  # PR_SET_PDEATHSIG: the worker goes with it
    m.proc.wait()
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{w}") and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = not os.path.exists(f"/proc/{w}") or open(f"/proc/{w}/stat").read().split(") ")[1][0] == "Z"
    subprocess.run(["fusermount3", "-u", "-z", m.path], check=False)
    t.join(10)
    assert gone


def test_one_call_at_a_time_bounded_by_the_timeout(make_mount):
    m = make_mount("-o", "ffi,ffi_timeout=800")
    a, b = Call(m), Call(m)
    try:
        results = {}
        t = in_background(a, "c sleep uint uint:30", results)
        time.sleep(0.2)
        start = time.monotonic()
        assert b.ok("c abs int int:-3")["ret"] == "3"  # waits for the worker, within the timeout
        assert time.monotonic() - start < 3
        t.join(5)
        assert results["answer"][0] == errno.EIO and "timeout (800 ms)" in results["answer"][1]
    finally:
        a.close()
        b.close()


def test_as_a_user_the_worker_cannot_fork(stranger):
    """The daemon run by a user who is not root (root mounts /dev/fuse for it and
    passes the descriptor, as fusermount3 would): RLIMIT_NPROC 0 binds."""
    libc = ctypes.CDLL(None, use_errno=True)
    base = tempfile.mkdtemp(prefix="osfs-")
    os.chmod(base, 0o755)
    mnt = os.path.join(base, "mnt")
    os.mkdir(mnt)
    os.chown(mnt, stranger.pw_uid, stranger.pw_gid)
    fd = os.open("/dev/fuse", os.O_RDWR)
    opts = f"fd={fd},rootmode=40000,user_id={stranger.pw_uid},group_id={stranger.pw_gid}".encode()
    assert libc.mount(b"osfs", mnt.encode(), b"fuse.osfs", 0, opts) == 0, ctypes.get_errno()
    as_user = ["setpriv", f"--reuid={stranger.pw_uid}", f"--regid={stranger.pw_gid}",
               "--clear-groups"]
    proc = subprocess.Popen(as_user + [OSFS, f"/dev/fd/{fd}", "-f", "-o", "ffi"], pass_fds=[fd],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    os.close(fd)
    try:
        script = (f"exec 3<> {mnt}/ffi/call; for r in 'c fork int' 'c getuid int'; "
                  'do echo "$r" >&3; cat <&3; done')
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(mnt, "ffi")) and time.monotonic() < deadline:
            time.sleep(0.05)
        r = subprocess.run(as_user + ["bash", "-c", script], capture_output=True, text=True, timeout=20)
        assert r.stdout.splitlines() == ["ret=-1", f"errno={errno.EAGAIN}", f"ret={stranger.pw_uid}",
                                         f"errno={errno.EAGAIN}"], r.stderr
    finally:
        subprocess.run(["umount", mnt], check=False)
        out = proc.communicate(timeout=10)[0].decode()
        os.rmdir(mnt)
        os.rmdir(base)
    assert proc.returncode == 0, out
