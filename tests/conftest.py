"""pytest harness: mounts a real osfs in a temporary directory.

As libfuse's test/util.py: wait for the mount while checking the daemon is alive,
always unmount in `finally`, assert a clean exit, and scan the daemon's output for
warnings, sanitizer reports and crash lines (libfuse's OutputChecker).
"""
import contextlib
import itertools
import os
import pwd
import re
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OSFS = os.environ.get("OSFS_BIN", os.path.join(ROOT, "build", "mount", "osfs"))

# Lines that fail a test wherever they appear in the daemon's output.
BAD_OUTPUT = re.compile(
    r"(ERROR: \w+Sanitizer|runtime error:|LeakSanitizer|Segmentation fault|"
    r"Aborted|[Ww]arning|WARNING|assertion|Assertion)"
)


def default_sigint():
    """The daemon starts with SIGINT at its default, as from a terminal.  A script's
    background job (CI may be one) inherits SIGINT ignored, and libfuse, rightly,
    keeps a signal that was ignored at start ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def in_mount_table(path):
    """Whether path is a mount point in /proc/self/mounts, reachable or not."""
    want = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        # (the kernel escapes a space in a path as \040)
        return any(line.split()[1].replace("\\040", " ") == want for line in f)


class Mount:
    """A running osfs: .path is the mount point, .proc the daemon."""

    def __init__(self, path, *options, foreground=True, env=None):
        self.path = str(path)
        self.log_path = self.path + ".log"
        self.log = open(self.log_path, "w+")
        argv = [OSFS, self.path]
        if foreground:
            argv.append("-f")
        argv += list(options)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env,
                                     preexec_fn=default_sigint)
        self.wait_mounted()

    def wait_mounted(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.ismount(self.path):
                return
            code = self.proc.poll()
            # (a launcher that daemonized exits 0: the mount may show a moment later)
            if code is not None and (code != 0 or "-f" in self.proc.args):
                if os.path.ismount(self.path):
                    return
                raise RuntimeError(f"osfs exited with {code} before mounting:\n{self.output()}")
            time.sleep(0.02)
        raise TimeoutError(f"osfs did not mount {self.path} within {timeout}s")

    def p(self, *parts):
        return os.path.join(self.path, *parts)

    def read(self, *parts):
        with open(self.p(*parts), "rb") as f:
            return f.read().decode()

    def write(self, path, text):
        """Writes text to the node at path ("a/b/c") in one write(), as a script's
        echo does, and closes it (a refusal raises OSError)."""
        fd = os.open(self.p(*path.split("/")), os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)

    def errors(self):
        return self.read("errors").splitlines()

    def output(self):
        if not self.log.closed:
            self.log.flush()
        # The daemon's stderr carries what scripts logged to it, hostile bytes too.
        with open(self.log_path, errors="backslashreplace") as f:
            return f.read()

    def unmount(self, how="fusermount"):
        """Stops the daemon (fusermount3 -u, or a signal) and returns its exit status."""
        try:
            if how == "fusermount":
                subprocess.run(["fusermount3", "-u", self.path], check=True)
            else:
                self.proc.send_signal(how)
            status = self.proc.wait(timeout=10)
            if status != 0:  # what the daemon said last, in the failing test's report
                self.log.flush()
                self.log.seek(0)
                print(f"osfs exited with {status}; the end of its output:",
                      *self.log.read().splitlines()[-40:], sep="\n")
            return status
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if in_mount_table(self.path):  # (a dead daemon's mount is no ismount)
                subprocess.run(["fusermount3", "-u", "-z", self.path], check=False)
            self.log.close()

    def check_output(self):
        bad = [line for line in self.output().splitlines() if BAD_OUTPUT.search(line)]
        assert not bad, "daemon output:\n" + "\n".join(bad)


@contextlib.contextmanager
def serving(tmp_path_factory, *options):
    """A mount for the duration of a with-block: stopped, then checked for a clean exit."""
    path = tmp_path_factory.mktemp("osfs") / "mnt"
    path.mkdir()
    m = Mount(path, *options)
    try:
        yield m
    finally:
        code = m.unmount()
        m.check_output()
        assert code == 0, f"osfs exited with {code}"


@pytest.fixture(scope="session")
def osfs(tmp_path_factory):
    """One mount shared by the tests that only read."""
    with serving(tmp_path_factory) as m:
        yield m


@pytest.fixture
def fresh(tmp_path_factory):
    """A mount of the test's own, for tests that look at `errors` or the daemon."""
    with serving(tmp_path_factory) as m:
        yield m


@pytest.fixture
def make_mount(tmp_path_factory):
    """Mounts with options; the test stops it, or it is stopped after the test."""
    made = []

    def make(*options, public=False, **kw):
        # public: a mount point every user can reach (pytest's own tree is 0700)
        base = tempfile.mkdtemp(prefix="osfs-") if public else tmp_path_factory.mktemp("osfs")
        os.chmod(base, 0o755)
        path = os.path.join(base, "mnt")
        os.mkdir(path)
        m = Mount(path, *options, **kw)
        made.append(m)
        return m

    try:
        yield make
    finally:
        for m in made:
            if m.proc.poll() is None:
                m.unmount()


@pytest.fixture
def sleeper():
    """A process of the test's own (root's) to signal."""
    p = subprocess.Popen(["sleep", "60"])
    try:
        yield p
    finally:
        p.kill()
        p.wait()


_users = itertools.count()


@pytest.fixture(scope="module")
def stranger():
    """A second user, made for the module's tests (a system user, no home) and
    removed after them with whatever it left running."""
    name = f"osfs-u{os.getpid()}-{next(_users)}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", name],
                   check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        subprocess.run(["userdel", name], check=False)


class Transaction:
    """One open file of a transaction node: write a request, read the response."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR)

    def ask(self, request):
        try:
            os.write(self.fd, (request + "\n").encode())
            err = None
        except OSError as e:
            err = e.errno
        return err, os.read(self.fd, 1 << 16).decode()

    def close(self):
        os.close(self.fd)
