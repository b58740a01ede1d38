"""Shared pieces of the benchmarks: build, mount a daemon (pinned or not), measure.

Every figure is a ratio against a reference measured in the same run: this machine
is shared and noisy, absolute times drift, ratios hold.  Rounds are interleaved and
the median kept.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("OSFS_BUILD", os.path.join(TOP, "build"))
OSFS = os.path.join(BUILD, "mount", "osfs")
MINIMAL = os.path.join(BUILD, "tests", "bench", "minimal")
READLOOP = os.path.join(BUILD, "tests", "bench", "readloop")
PIN = ["taskset", "-c", "0"]


def build():
    subprocess.run(["bash", "-c", f'. "{TOP}/mount/deps.sh" && osfs_deps tests && '
                    f'osfs_build "{BUILD}" -Dbuildtype=release'], check=True)


class Daemon:
    """A FUSE daemon mounted in a temporary directory, stopped by stop()."""

    def __init__(self, argv, pinned):
        self.dir = tempfile.mkdtemp(prefix="osfs-bench-")
        self.path = os.path.join(self.dir, "mnt")
        os.mkdir(self.path)
        cmd = (PIN if pinned else []) + argv[:1] + [self.path, "-f"] + argv[1:]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.ismount(self.path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not mount")
            time.sleep(0.02)

    def p(self, *parts):
        return os.path.join(self.path, *parts)

    def stop(self):
        subprocess.run(["fusermount3", "-u", self.path], check=False)
        code = self.proc.wait(timeout=10)
        os.rmdir(self.path)
        os.rmdir(self.dir)
        if code != 0:
            raise RuntimeError(f"daemon exited with {code}")


def readloop(path, seconds, pinned):
    out = subprocess.run((PIN if pinned else []) + [READLOOP, str(seconds), path],
                         check=True, capture_output=True, text=True).stdout
    return float(out)


def rounds(measures, count):
    """Runs each named measure `count` times, interleaved; the median of each."""
    results = {name: [] for name in measures}
    for _ in range(count):
        for name, fn in measures.items():
            results[name].append(fn())
    return {name: statistics.median(v) for name, v in results.items()}


def verdict(ratio, target, better="lower"):
    ok = ratio <= target if better == "lower" else ratio >= target
    return "meets" if ok else "MISSES"


def progress(text):
    print(text, file=sys.stderr, flush=True)
