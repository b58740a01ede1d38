"""time/: clocks, zones, strftime and strptime, compared with Python's time module."""
import errno
import json
import os
import re
import string
import subprocess
import sys
import time

import pytest

from conftest import Transaction

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
    listed = os.listdir(tm.p("time", "clocks"))
    assert set(names) <= set(listed)
    # the other clocks Linux has, by the C library's header (Python's time lacks them)
    macros = subprocess.run(["cc", "-E", "-dM", "-include", "time.h", "-x", "c", "/dev/null"],
                            capture_output=True, text=True, check=True).stdout
    header = {m[0]: int(m[1]) for m in re.findall(r"#define (CLOCK_\w+) (\d+)\n", macros)}
    for name in listed:  # the clocks this machine has: Python's, and Linux's others
        cid = getattr(time, name) if name in names else header[name]
        assert header[name] == cid
        for key in (name, str(cid)):  # by name and by number
            assert float(tm.read("time", "clocks", key, "resolution")) == time.clock_getres(cid)
            if "CPUTIME" not in name:
                assert abs(float(tm.read("time", "clocks", key, "time")) - time.clock_gettime(cid)) < 1
                assert abs(int(tm.read("time", "clocks", key, "time_ns")) -
                           time.clock_gettime_ns(cid)) < 10**9


def test_a_bad_clock(tm):
    for cid in (99, -1, 2**31 - 1):
        for f in ("time", "time_ns", "resolution"):
            with pytest.raises(OSError) as want:
                (time.clock_getres if f == "resolution" else time.clock_gettime)(cid)
            with pytest.raises(OSError) as e:
                tm.read("time", "clocks", str(cid), f)
            assert e.value.errno == want.value.errno
    with pytest.raises(OSError) as e:
        tm.read("time", "clocks", "CLOCK_NOPE", "time")
    assert e.value.errno == errno.ENOENT


def test_clock_settime_refusals_are_pythons(tm):
    # clocks that cannot be set (the monotonic ones, the CPU clocks), by seconds and
    # by nanoseconds; the system clock itself is never changed by the tests
    for name in ("CLOCK_MONOTONIC", "CLOCK_MONOTONIC_RAW", "CLOCK_BOOTTIME",
                 "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID", "99"):
        cid = int(name) if name.isdigit() else getattr(time, name)
        for f, value, fn in (("time", "12345.5", time.clock_settime),
                             ("time_ns", "12345000000000", time.clock_settime_ns)):
            with pytest.raises(OSError) as want:
                fn(cid, float(value) if f == "time" else int(value))
            with pytest.raises(OSError) as e:
                with open(tm.p("time", "clocks", name, f), "w") as out:
                    out.write(value + "\n")
            assert e.value.errno == want.value.errno, (name, f)
    for bad in ("soon", "nan", "1e300"):
        with pytest.raises(OSError) as e:
            with open(tm.p("time", "clocks", "CLOCK_REALTIME", "time"), "w") as out:
                out.write(bad + "\n")
        assert e.value.errno == (errno.ERANGE if bad == "1e300" else errno.EINVAL)


def test_only_the_owner_sets_a_clock(make_mount):
    m = make_mount("-o", "allow_other", public=True)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c",
                        f'echo 0 > {m.p("time", "clocks", "CLOCK_REALTIME", "time")}'],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Permission denied" in r.stderr
    assert m.unmount() == 0


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
        ours = {n: json.loads(tm.read("time", n, "now.json")) for n in ("gmtime", "localtime")}
        call = Transaction(tm.p("time", "asctime"))
        ours.update(asctime=call.ask("")[1].strip(), ctime=tm.read("time", "ctime", "now").strip())
        call.close()
        if int(time.time()) == now:
            break
    want = python(STRUCT_CODE, zone, str(now))
    for key in ("gmtime", "localtime", "asctime", "ctime"):
        assert ours[key] == want[key], key
    assert int(tm.read("time", "timezone")) == want["timezone"]
    assert int(tm.read("time", "altzone")) == want["altzone"]
    assert int(tm.read("time", "daylight")) == want["daylight"]
    assert tm.read("time", "tzname").splitlines() == want["tzname"]
    plain = dict(l.split("=", 1) for l in tm.read("time", "gmtime", "now").splitlines())
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
        err, got = call.ask("%Y\tnan")
        assert err == errno.EINVAL and got == "error: EINVAL: Invalid value NaN (not a number)\n"
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
    # os.environ['TZ'] = zone; time.tzset(): the daemon's os.environ says it too
    assert tm.read("os", "environ", "TZ") == "America/New_York\n"
    assert json.loads(tm.read("os", "environ.json"))["TZ"] == "America/New_York"
    set_tz(tm, "")  # back to the system's zone
    assert tm.read("time", "tz").strip() in ("Etc/UTC", "UTC")
    assert "TZ" not in os.listdir(tm.p("os", "environ"))


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


# ---- every function that takes a time takes it --------------------------------------

LONG = bool(os.environ.get("OSFS_LONG_TESTS"))  # a longer randomized run
SEED = 20261129


def random_stamps(rng, n):
    """Times in every era: years 1..9999 and beyond (0, -1, 12345 ...), the edges of
    what the C library's gmtime takes, fractions, and what Python refuses."""
    year = 31556952
    fixed = [0, -1, 1.5, -0.5, -62135596800, -62135596801, -62167219200 - 1, 253402300799,
             253402300800, 327429907200, 10**15, -10**15, 67767976233532799, 67767976233532800,
             -67768040609740800, -67768040609740801, 2**63 - 1, 2**63, -2**63, "1e300", "-1e300",
             "1e3", "nan", "inf", "soon", "12abc", "9.223372036854776e18", "-9.223372036854776e18",
             "9.223372036854775e18"]
    spread = [rng.randint(-10000 * year, 20000 * year) for _ in range(n)]
    normal = [rng.randint(-62135596800, 253402300799) for _ in range(n)]
    return fixed + spread + normal + [round(rng.uniform(-1e10, 1e10), 3) for _ in range(n // 4)]


AT_CODE = r"""
import json, sys, time
out = []
fields = lambda s: {k: getattr(s, k) for k in ("tm_year", "tm_mon", "tm_mday", "tm_hour",
    "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst", "tm_zone", "tm_gmtoff")}
def call(fn, t):
    arg = t
    if isinstance(t, str):
        try:
            arg = float(t)
        except ValueError:
            return ["TypeError"]
    try:
        v = fn(arg)
        return ["ok", fields(v) if isinstance(v, time.struct_time) else v]
    except OSError as e:
        return ["OSError", e.errno]
    except (ValueError, OverflowError) as e:
        return [type(e).__name__, str(e)]
for t in json.loads(sys.argv[1]):
    out.append([call(time.gmtime, t), call(time.localtime, t), call(time.ctime, t)])
print(json.dumps(out))
"""

ERRNO_OF = {"ValueError": errno.EINVAL, "TypeError": errno.EINVAL, "OverflowError": errno.ERANGE}


def read_or_errno(m, *path):
    try:
        return ["ok", m.read(*path)]
    except OSError as e:
        return ["err", e.errno]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Australia/Sydney"])
def test_gmtime_localtime_ctime_of_any_time(tm, zone):
    import random
    set_tz(tm, zone)
    stamps = random_stamps(random.Random(SEED), 400 if LONG else 40)
    want = python(AT_CODE, zone, json.dumps(stamps))
    for t, answers in zip(stamps, want):
        name = str(t) if not isinstance(t, float) else repr(t)
        for node, w in zip(("gmtime", "localtime", "ctime"), answers):
            got = read_or_errno(tm, "time", node, name + (".json" if node != "ctime" else ""))
            if w[0] == "ok":
                assert got[0] == "ok", (node, t, got)
                assert (json.loads(got[1]) if node != "ctime" else got[1]) == \
                    (w[1] if node != "ctime" else w[1] + "\n"), (node, t)
            elif w[0] == "TypeError":
                assert got == ["err", errno.ENOENT], (node, t)  # not a time: no such entry
            else:
                assert got == ["err", w[1] if w[0] == "OSError" else ERRNO_OF[w[0]]], (node, t, w)
    # the plain form holds the same fields
    plain = dict(l.split("=", 1) for l in tm.read("time", "localtime", "1700000000").splitlines())
    assert list(plain) == list(json.loads(tm.read("time", "localtime", "1700000000.json")))


STRFTIME_AT_CODE = r"""
import json, sys, time
out = []
for t in json.loads(sys.argv[1]):
    row = []
    for convert in (time.localtime, time.gmtime):
        try:
            when = float(t) if isinstance(t, str) else t
            row.append(["ok", time.strftime("%Y|%c|%F|%G|%y", convert(when))])
        except OSError as e:
            row.append(["OSError", e.errno])
        except (ValueError, OverflowError) as e:
            row.append([type(e).__name__, str(e)])
    out.append(row)
print(json.dumps(out))
"""


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_strftime_of_any_time(tm, zone):
    """strftime(format, localtime(t)) and of gmtime(t): a year past a C int is
    Python's OverflowError (ERANGE) in strftime, not a year wrapped round."""
    import random
    set_tz(tm, zone)
    stamps = [t for t in random_stamps(random.Random(SEED), 40) if t not in ("soon", "12abc")]
    want = python(STRFTIME_AT_CODE, zone, json.dumps(stamps))
    call = Transaction(tm.p("time", "strftime", "call"))
    try:
        for t, answers in zip(stamps, want):
            for mode, w in zip(("local", "utc"), answers):
                err, got = call.ask(f"%Y|%c|%F|%G|%y\t{t}\t{mode}")
                if w[0] == "ok":
                    assert (err, got) == (None, w[1] + "\n"), (t, mode)
                else:
                    code = w[1] if w[0] == "OSError" else ERRNO_OF[w[0]]
                    assert err == code, (t, mode, w, got)
                    if w[0] != "OSError":
                        assert got.endswith(f": {w[1]}\n"), (t, mode, w, got)
    finally:
        call.close()


def random_fields(rng, n):
    """struct_time tuples: valid ones, each field past its range, Python's 0 for
    the lowest month/day/yday, wday of any sign, and the C int's edges."""
    out = [[2024, 2, 29, 13, 45, 0, 3, 60, -1], [1, 1, 1, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0],
           [12345, 12, 31, 23, 59, 61, 6, 366, 1], [-1, 1, 1, 0, 0, 0, -1, 1, 0],
           [2024, 13, 1, 0, 0, 0, 0, 1, 0], [2024, 1, 32, 0, 0, 0, 0, 1, 0], [2024, 1, 1, 24, 0, 0, 0, 1, 0],
           [2024, 1, 1, 0, 60, 0, 0, 1, 0], [2024, 1, 1, 0, 0, 62, 0, 1, 0], [2024, 1, 1, 0, 0, 0, -2, 1, 0],
           [2024, 1, 1, 0, 0, 0, 0, 367, 0], [2**31 - 1, 1, 1, 0, 0, 0, 0, 1, 0], [-2**31, 1, 1, 0, 0, 0, 0, 1, 0],
           [-2**31 + 1899, 1, 1, 0, 0, 0, 0, 1, 0], [2**31, 1, 1, 0, 0, 0, 0, 1, 0], [2**63, 1, 1, 0, 0, 0, 0, 1, 0],
           [2024, -1, 1, 0, 0, 0, 0, 1, 0], [2024, 6, 15, 12, 0, 0, 100, -5, 5], [2024, 1, 1]]
    for _ in range(n):
        f = [rng.randint(-3000, 12000), rng.randint(1, 12), rng.randint(1, 31), rng.randint(0, 23),
             rng.randint(0, 59), rng.randint(0, 61), rng.randint(0, 6), rng.randint(1, 366),
             rng.choice([-1, 0, 1])]
        if rng.random() < 0.3:
            k = rng.randrange(9)
            f[k] = rng.choice([-1, 0, 1, 2**31 - 1, -2**31, f[k] + 100, -f[k] - 100])
        out.append(f)
    return out


FIELDS_CODE = r"""
import json, sys, time
out = []
for f in json.loads(sys.argv[1]):
    row = []
    for fn in (time.asctime, time.mktime):
        try:
            row.append(["ok", fn(tuple(f))])
        except (ValueError, OverflowError, TypeError) as e:
            row.append([type(e).__name__, str(e)])
    out.append(row)
print(json.dumps(out))
"""


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_asctime_and_mktime_of_fields(tm, zone):
    import random
    set_tz(tm, zone)
    cases = random_fields(random.Random(SEED), 300 if LONG else 60)
    want = python(FIELDS_CODE, zone, json.dumps(cases))
    asctime, mktime = Transaction(tm.p("time", "asctime")), Transaction(tm.p("time", "mktime"))
    lines = ["tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday",
             "tm_isdst"]
    try:
        for f, (w_asc, w_mk) in zip(cases, want):
            forms = [" ".join(map(str, f)), "(" + ", ".join(map(str, f)) + ")"]
            if len(f) == 9:
                forms.append("\n".join(f"{k}={v}" for k, v in zip(lines, f)))
            for form in forms:
                for call, w in ((asctime, w_asc), (mktime, w_mk)):
                    err, got = call.ask(form)
                    if w[0] == "ok":
                        assert err is None, (f, got)
                        if call is asctime:
                            assert got == w[1] + "\n", f
                        else:
                            assert float(got) == w[1] and len(got.split(".")[1]) == 10, f
                    else:
                        assert err == ERRNO_OF[w[0]], (f, w, got)
                        if w[0] != "TypeError":
                            assert got == f"error: {errno.errorcode[err]}: {w[1]}\n", (f, w)
        assert asctime.ask("")[1].count(":") == 2  # no fields: now
        err, got = mktime.ask("2024 1 1 0 0 0 0 1 zero")
        assert err == errno.EINVAL and "cannot be interpreted as an integer" in got
    finally:
        asctime.close()
        mktime.close()


# Every directive glibc knows and Python passes through, over random times in every era.
STRFTIME_RANDOM_CODE = r"""
import json, sys, time
fmts, stamps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = []
for t in stamps:
    row = []
    for conv in (time.gmtime, time.localtime):
        try:
            tt = conv(t)
        except (OSError, OverflowError, ValueError) as e:
            row.append(None)
            continue
        row.append([time.strftime(f, tt) for f in fmts])
    out.append(row)
print(json.dumps(out))
"""


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_strftime_random_times_every_directive(tm, zone):
    import random
    rng = random.Random(SEED)
    set_tz(tm, zone)
    stamps = [-62135596801, -62167219200, -62198755200, 327429907200, 253402300800] + \
        [s for s in random_stamps(rng, 150 if LONG else 30) if isinstance(s, int) and abs(s) < 2**55]
    fmts = DIRECTIVES + ["%Y-%m-%d %H:%M:%S %z %Z", "%c|%x|%X", "%G-W%V-%u", "%C%y"]
    want = python(STRFTIME_RANDOM_CODE, zone, json.dumps(fmts), json.dumps(stamps))
    call = Transaction(tm.p("time", "strftime", "call"))
    try:
        for t, rows in zip(stamps, want):
            for mode, row in zip(("utc", "local"), rows):
                if row is None:
                    err, got = call.ask(f"%Y\t{t}\t{mode}")
                    assert err is not None, (t, mode)
                    continue
                for fmt, w in zip(fmts, row):
                    err, got = call.ask(f"{fmt}\t{t}\t{mode}")
                    assert err is None and got == w + "\n", (zone, mode, t, fmt)
    finally:
        call.close()


def random_formats(rng, n):
    directives = list("aAbBcdfHIjmMpSUwWxXyYzZGVu") + ["%"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 5)):
            parts.append("%" + rng.choice(directives))
            parts.append(rng.choice(["", " ", "-", ":", "/", "T", ".", "  ", "é", "(x)",
                                     "\u00a0", "\u3000 ", "\u2003", "\x85"]))
        out.append("".join(parts))
    return out


STRPTIME_RANDOM_CODE = r"""
import json, sys, time
cases = json.loads(sys.argv[1])
out = []
for s, f in cases:
    try:
        t = time.strptime(s, f)
        out.append({k: getattr(t, k) for k in ("tm_year", "tm_mon", "tm_mday", "tm_hour",
            "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst", "tm_zone", "tm_gmtoff")})
    except Exception as e:
        out.append({"error": str(e)})
print(json.dumps(out))
"""

STRFTIME_PAIRS_CODE = r"""
import json, sys, time
fmts, stamps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps([[time.strftime(f, time.gmtime(t)), f] for f, t in zip(fmts, stamps)]))
"""


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "<+03>-3"])
def test_strptime_random_against_python(tm, zone):
    """Strings strftime made from random times (years 1..9999 and beyond) and random
    formats, some with a repeated directive, then mangled: every answer, and every
    error message, is Python's."""
    import random
    rng = random.Random(SEED)
    set_tz(tm, zone)
    n = 600 if LONG else 150
    fmts = random_formats(rng, n)
    stamps = [rng.randint(-62135596800 - 10**11, 253402300799 + 10**11) for _ in range(n)]
    pairs = python(STRFTIME_PAIRS_CODE, zone, json.dumps(fmts), json.dumps(stamps))
    cases = []
    for s, f in pairs:
        if "\t" in s or "\n" in s or "\t" in f:
            continue
        cases.append((s, f))
        if s and rng.random() < 0.5:  # a character changed, dropped or added
            k = rng.randrange(len(s))
            cases.append((s[:k] + rng.choice("0 9aZ:+-\u00a0\u2009\u2028") + s[k + 1:], f))
            cases.append((s[:k] + s[k + 1:], f))
            cases.append((s + rng.choice(["1", " ", "x"]), f))
    want = python(STRPTIME_RANDOM_CODE, zone, json.dumps(cases))
    call = Transaction(tm.p("time", "strptime"))
    try:
        for (s, f), w in zip(cases, want):
            err, got = call.ask(f"{s}\t{f}")
            if "error" in w:
                assert err == errno.EINVAL and got == f"error: EINVAL: {w['error']}\n", (s, f)
            else:
                assert err is None, (s, f, got)
                fields = dict(line.split("=", 1) for line in got.splitlines())
                assert fields == {k: "" if v is None else str(v) for k, v in w.items()}, (s, f)
    finally:
        call.close()


def test_strptime_repeated_directives_are_pythons_error(tm):
    set_tz(tm, "Europe/Paris")
    formats = ["%d %d", "%Y%Y", "%c %Y", "%x %d", "%X %H", "%z %z", "%Z %Z", "%p %p", "%a %A %a",
               "é%dé%d", "%m.%m", "%c %c", "%j (%j)", "%Y %G %Y", "%f%f"]
    cases = [("1", f) for f in formats]
    want = python(STRPTIME_RANDOM_CODE, "Europe/Paris", json.dumps(cases))
    call = Transaction(tm.p("time", "strptime"))
    try:
        for (s, f), w in zip(cases, want):
            assert "redefinition of group name" in w["error"]
            assert call.ask(f"{s}\t{f}") == (errno.EINVAL, f"error: EINVAL: {w['error']}\n"), f
    finally:
        call.close()
