"""time/: clocks, zones, strftime and strptime, compared with Python's time module."""
import errno
import json
import os
import string
import subprocess
import sys
import time

import pytest

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "America/St_Johns", "EST5EDT,M3.2.0,M11.1.0", "<+03>-3"]
STAMPS = [0, 951782400, 1710054000, 1730000000, -946771200, 2147483648, 1795698382,
          1000000000.75, 1288488600]
# Every letter glibc may know, its E and O modifiers, and its flags.
DIRECTIVES = ([f"%{c}" for c in string.ascii_letters] + ["%%", "%+"] +
              [f"%E{c}" for c in "cCxXyY"] + [f"%O{c}" for c in "deHImMSuUVwWy"] +
              ["%-d", "%_d", "%0e", "%^a", "%#b", "%10Y", "%-j"])


def python(code, tz="UTC", *args):
    env = dict(os.environ, TZ=tz)
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                       env=env, check=True)
    return json.loads(r.stdout)


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


@pytest.fixture(scope="module")
def tm(tmp_path_factory):
    """A mount of this module's own: the tests change its zone."""
    from conftest import serving
    with serving(tmp_path_factory) as m:
        yield m


def set_tz(m, zone):
    with open(m.p("time", "tz"), "w") as f:
        f.write(zone + "\n")


def test_clocks_now(tm):
    for name, fn in [("time", time.time), ("monotonic", time.monotonic),
                     ("perf_counter", time.perf_counter)]:
        text = tm.read("time", name).strip()
        assert len(text.split(".")[1]) == 9, text  # 9 decimals
        assert abs(float(text) - fn()) < 1.0, name
        assert abs(int(tm.read("time", name + "_ns")) / 1e9 - fn()) < 1.0, name


def test_cpu_clocks_are_the_callers(tm):
    code = r"""
import json, sys, time
root = sys.argv[1]
deadline = time.process_time() + 0.3
while time.process_time() < deadline:
    pass
read = lambda n: float(open(f"{root}/time/{n}").read())
b = (time.process_time(), time.thread_time())
ours = (read("process_time"), read("thread_time"))
a = (time.process_time(), time.thread_time())
print(json.dumps([b, ours, a]))
"""
    before, ours, after = python(code, "UTC", tm.path)
    for i in range(2):
        assert before[i] - 0.02 <= ours[i] <= after[i] + 0.02
    assert ours[0] > 0.25  # the child's time, not the daemon's


def test_clocks_table(tm):
    names = sorted(n for n in dir(time) if n.startswith("CLOCK_"))
    assert sorted(os.listdir(tm.p("time", "clocks"))) == names
    for name in names:
        cid = getattr(time, name)
        assert float(tm.read("time", "clocks", name, "resolution")) == time.clock_getres(cid)
        if "CPUTIME" not in name:
            assert abs(float(tm.read("time", "clocks", name, "time")) - time.clock_gettime(cid)) < 1
            assert abs(int(tm.read("time", "clocks", name, "time_ns")) -
                       time.clock_gettime_ns(cid)) < 10**9


def test_clock_info(tm):
    names = ["time", "monotonic", "perf_counter", "process_time", "thread_time"]
    assert sorted(os.listdir(tm.p("time", "clock_info"))) == sorted(names)
    for name in names:
        info = time.get_clock_info(name)
        d = lambda f: tm.read("time", "clock_info", name, f).strip()
        assert d("implementation") == info.implementation
        assert d("monotonic") == str(int(info.monotonic))
        assert d("adjustable") == str(int(info.adjustable))
        assert float(d("resolution")) == info.resolution


STRUCT_CODE = r"""
import json, sys, time
t = float(sys.argv[1])
fields = lambda s: {k: getattr(s, k) for k in ("tm_year", "tm_mon", "tm_mday", "tm_hour",
    "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst", "tm_zone", "tm_gmtoff")}
print(json.dumps({"gmtime": fields(time.gmtime(t)), "localtime": fields(time.localtime(t)),
    "asctime": time.asctime(time.localtime(t)), "ctime": time.ctime(t),
    "timezone": time.timezone, "altzone": time.altzone, "daylight": time.daylight,
    "tzname": list(time.tzname)}))
"""


@pytest.mark.parametrize("zone", ZONES)
def test_struct_time_and_zone_facts(tm, zone):
    set_tz(tm, zone)
    assert tm.read("time", "tz") == zone + "\n"
    for _ in range(5):  # the second may turn between the two reads
        now = int(time.time())
        ours = {n: json.loads(tm.read("time", n + ".json")) for n in ("gmtime", "localtime")}
        ours.update(asctime=tm.read("time", "asctime").strip(), ctime=tm.read("time", "ctime").strip())
        if int(time.time()) == now:
            break
    want = python(STRUCT_CODE, zone, str(now))
    for key in ("gmtime", "localtime", "asctime", "ctime"):
        assert ours[key] == want[key], key
    assert int(tm.read("time", "timezone")) == want["timezone"]
    assert int(tm.read("time", "altzone")) == want["altzone"]
    assert int(tm.read("time", "daylight")) == want["daylight"]
    assert tm.read("time", "tzname").splitlines() == want["tzname"]
    plain = dict(l.split("=", 1) for l in tm.read("time", "gmtime").splitlines())
    assert list(plain) == list(ours["gmtime"])


STRFTIME_CODE = r"""
import json, sys, time
fmts, stamps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"local": [[time.strftime(f, time.localtime(t)) for f in fmts] for t in stamps],
                  "utc": [[time.strftime(f, time.gmtime(t)) for f in fmts] for t in stamps]}))
"""


@pytest.mark.parametrize("zone", ZONES)
def test_strftime_every_directive(tm, zone):
    set_tz(tm, zone)
    want = python(STRFTIME_CODE, zone, json.dumps(DIRECTIVES), json.dumps(STAMPS))
    call = Transaction(tm.p("time", "strftime", "call"))
    try:
        for mode in ("local", "utc"):
            for i, t in enumerate(STAMPS):
                for k, fmt in enumerate(DIRECTIVES):
                    err, got = call.ask(f"{fmt}\t{t}\t{mode}")
                    assert err is None, (fmt, t)
                    assert got == want[mode][i][k] + "\n", (zone, mode, t, fmt)
    finally:
        call.close()


def test_strftime_defaults_to_now_local(tm):
    set_tz(tm, "Asia/Kolkata")
    call = Transaction(tm.p("time", "strftime", "call"))
    try:
        for _ in range(5):
            before = python("import json,time; print(json.dumps(time.strftime('%Y-%m-%d %H:%M %Z')))",
                            "Asia/Kolkata")
            got = call.ask("%Y-%m-%d %H:%M %Z")[1].strip()
            path_form = tm.read("time", "strftime", "%Y-%m-%d %H:%M %Z").strip()
            if got == before == path_form:
                break
        assert got == before == path_form
        assert call.ask("")[1] == "\n"  # the empty format: Python's empty answer
    finally:
        call.close()


def test_strftime_bad_request(tm):
    call = Transaction(tm.p("time", "strftime", "call"))
    try:
        err, got = call.ask("%Y\tsoon")
        assert err == errno.EINVAL
        assert got == "error: EINVAL: 'soon' is not a time in seconds since the epoch\n"
        err, got = call.ask("%Y\t0\tmars")
        assert err == errno.EINVAL and got.startswith("error: EINVAL: 'mars': expected utc or local")
        assert call.ask("%Y\t0\tutc") == (None, "1970\n")  # the next request is fine
    finally:
        call.close()


def test_transaction_in_a_shell(tm):
    # The design's example: one descriptor, request then response; a child reading
    # the same open file sees the same response (state per open file, not per pid).
    script = f"""
exec 3<> "{tm.p('time', 'strftime', 'call')}"
printf '%s\\t%s\\t%s\\n' '%Y/%m/%d' 86400 utc >&3
read -r d <&3
echo "$d"
printf '%s\\t%s\\t%s\\n' '%H:%M' 3600 utc >&3
cat <&3
exec 3>&-
"""
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert r.stdout == "1970/01/02\n01:00\n"


def test_tz_setting(tm):
    set_tz(tm, "Europe/Paris")
    r = subprocess.run(["bash", "-c", f'echo America/New_York >> {tm.p("time", "tz")}'])
    assert r.returncode == 0  # >> works as > on a setting
    assert tm.read("time", "tz") == "America/New_York\n"
    r = subprocess.run(["bash", "-c", f'echo Mars/Olympus > {tm.p("time", "tz")}'],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Invalid argument" in r.stderr
    assert "time/tz EINVAL: unknown zone 'Mars/Olympus'" in tm.errors()[-1]
    assert tm.read("time", "tz") == "America/New_York\n"  # unchanged
    for bad in ("../../etc/passwd", "/etc/passwd", "ESTX", "Nowhere", "EST5EDT,M13.1.0,M11.1.0", "<+03"):
        with pytest.raises(OSError) as e:
            set_tz(tm, bad)
        assert e.value.errno == errno.EINVAL, bad
    set_tz(tm, "")  # back to the system's zone
    assert tm.read("time", "tz").strip() in ("Etc/UTC", "UTC")


STRPTIME_CODE = r"""
import json, sys, time
out = []
for s, f in json.loads(sys.argv[1]):
    try:
        t = time.strptime(s, f) if f is not None else time.strptime(s)
        out.append({k: getattr(t, k) for k in ("tm_year", "tm_mon", "tm_mday", "tm_hour",
            "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst", "tm_zone", "tm_gmtoff")})
    except ValueError as e:
        out.append({"error": str(e)})
    except Exception as e:
        out.append({"error": None})
print(json.dumps(out))
"""

ROUNDTRIP_FORMATS = ["%Y-%m-%d %H:%M:%S", "%a %b %d %H:%M:%S %Y", "%A %B %d %Y", "%d/%m/%y",
                     "%I:%M %p", "%j %Y", "%U %w %Y", "%W %a %Y", "%G %V %u", "%c", "%x", "%X",
                     "%y %j", "%Y %m %d %z", "%H:%M:%S %Z", "%%Y %Y", "%b %d", "%S.%f",
                     "%Y-%m-%dT%H:%M:%S%z", "%u %G-W%V"]
EDGE_CASES = [
    ("123", "%d"), ("2024", "%Y"), ("Feb 29", "%b %d"), ("68", "%y"), ("69", "%y"),
    ("  12", "%d"), (" 1", "%d"), ("1 2", "%d %m"), ("1\x0b \x0c2", "%d %m"), ("12", "%d  %m"),
    ("12 PM", "%I %p"), ("12 am", "%I %p"), ("1 pm", "%I %p"), ("11", "%I"),
    ("MONDAY", "%A"), ("sunday 2024 1", "%A %Y %U"), ("jUn", "%b"),
    ("+01:30", "%z"), ("-0130", "%z"), ("Z", "%z"), ("z", "%z"), ("+01:30:15.5", "%z"),
    ("+0130:15", "%z"), ("+013015.123456", "%z"), ("+1", "%z"),
    ("gmt", "%Z"), ("UTC", "%Z"), ("xyz", "%Z"),
    ("2024 53 0", "%Y %U %w"), ("2024 0 1", "%Y %W %w"), ("2023 0 0", "%Y %U %w"),
    ("2021 52 7", "%G %V %u"), ("2021 1 1", "%G %V %u"), ("2020 1", "%G %V"),
    ("2020 10", "%Y %V"), ("2020 10 1", "%G %V %u %j"),
    ("5", "%Q"), ("5", "%"), ("5", "% d"), ("5", "%."), ("30 2", "%d %m"), ("366 2023", "%j %Y"),
    ("366 2024", "%j %Y"), ("000", "%j"), ("2024-01-01T00:00", "%Y-%m-%dT%H:%M"),
    ("a.b(c)", "a.b(c)"), ("%", "%%"), ("12:30", "%H:%M:%S"), ("1999", "%Y %d"),
    ("Thu Nov 26 13:06:22 2026", None), ("61", "%S"), ("24", "%H"), ("0", "%m"),
    ("1234567", "%f"), ("12", "%f"), ("0001", "%Y"), ("9999 12 31", "%Y %m %d"),
    ("Wed 2024 1", "%a %Y %W"), ("1 0 2024", "%u %U %Y"),
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_strptime_against_python(tm, zone):
    set_tz(tm, zone)
    stamps = [0, 951782400, 1710054000, 1795698382, -946771200]
    made = python("import json,sys,time; print(json.dumps([[time.strftime(f, time.gmtime(t)), f] "
                  "for f in json.loads(sys.argv[1]) for t in json.loads(sys.argv[2])]))",
                  zone, json.dumps(ROUNDTRIP_FORMATS), json.dumps(stamps))
    cases = [tuple(c) for c in made] + EDGE_CASES
    want = python(STRPTIME_CODE, zone, json.dumps(cases))
    call = Transaction(tm.p("time", "strptime"))
    try:
        for (s, f), w in zip(cases, want):
            err, got = call.ask(s if f is None else f"{s}\t{f}")
            case = (s, f)
            if "error" in w:
                assert err == errno.EINVAL, case
                if w["error"] is not None:
                    assert got == f"error: EINVAL: {w['error']}\n", case
                continue
            assert err is None, (case, got)
            fields = dict(line.split("=", 1) for line in got.splitlines())
            expect = {k: "" if v is None else str(v) for k, v in w.items()}
            assert fields == expect, case
    finally:
        call.close()
