"""ffi against ctypes on this machine: layouts over a generated grid of structures,
unions and arrays; values of every type written in and read back; the libc calls
ctypes users reach for (gettimeofday, clock_gettime, uname, getrlimit, div/ldiv,
qsort/bsearch with libc comparators, poll on a pipe, inet_ntoa by value); errno as
use_errno keeps it; find_library; the memory verbs.  Every expected answer comes
from ctypes (or, for the POSIX types ctypes lacks, from the C compiler)."""
import ctypes
import ctypes.util
import errno
import os
import random
import re
import resource
import subprocess
import time

import pytest

import ffi_util
from ffi_util import Call, flatten, quote, shown, wquote

ffi = ffi_util.ffi  # the fixture

SEED = 20261129
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libm = ctypes.CDLL("libm.so.6", use_errno=True)

# osfs's fundamental types and the ctypes type of each
SCALARS = {
    "bool": ctypes.c_bool, "char": ctypes.c_char, "wchar": ctypes.c_wchar,
    "int8": ctypes.c_int8, "int16": ctypes.c_int16, "int32": ctypes.c_int32, "int64": ctypes.c_int64,
    "uint8": ctypes.c_uint8, "uint16": ctypes.c_uint16, "uint32": ctypes.c_uint32,
    "uint64": ctypes.c_uint64, "uchar": ctypes.c_ubyte, "short": ctypes.c_short,
    "ushort": ctypes.c_ushort, "int": ctypes.c_int, "uint": ctypes.c_uint, "long": ctypes.c_long,
    "ulong": ctypes.c_ulong, "llong": ctypes.c_longlong, "ullong": ctypes.c_ulonglong,
    "size_t": ctypes.c_size_t, "ssize_t": ctypes.c_ssize_t, "intptr": ctypes.c_ssize_t,
    "uintptr": ctypes.c_size_t, "float": ctypes.c_float, "double": ctypes.c_double,
    "longdouble": ctypes.c_longdouble, "ptr": ctypes.c_void_p, "str": ctypes.c_char_p,
    "wstr": ctypes.c_wchar_p,
}
POSIX = ["time_t", "off_t", "pid_t", "uid_t", "gid_t", "mode_t", "socklen_t"]


def test_fundamental_sizes_and_alignments(ffi):
    m, call = ffi
    for name, t in SCALARS.items():
        assert m.read("ffi", "sizeof", name) == f"{ctypes.sizeof(t)}\n", name
        assert m.read("ffi", "alignment", name) == f"{ctypes.alignment(t)}\n", name
    listed = set(os.listdir(m.p("ffi", "sizeof")))
    assert listed == set(SCALARS) | set(POSIX)


def test_posix_types_as_the_c_compiler_lays_them_out(ffi, tmp_path):
    m, call = ffi
    src = tmp_path / "t.c"
    src.write_text("#include <stdio.h>\n#include <sys/types.h>\n#include <sys/socket.h>\n#include <time.h>\n"
                   "int main(void) {\n" + "".join(
                       f'printf("{n} %zu %zu %d\\n", sizeof({n}), _Alignof({n}), ({n})-1 < 0);\n'
                       for n in POSIX) + "}\n")
    subprocess.run(["cc", "-o", str(tmp_path / "t"), str(src)], check=True)
    for line in subprocess.run([str(tmp_path / "t")], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        name, size, align, signed = line.split()
        assert m.read("ffi", "sizeof", name) == size + "\n"
        assert m.read("ffi", "alignment", name) == align + "\n"
        top = 2 ** (8 * int(size) - (signed == "1")) - 1
        assert call.ok(f"libc.so.6 memmove ptr out:{name} in:{name}:{top} size_t:{size}")["out.1"] == str(top)
        err, answer = call(f"libc.so.6 memmove ptr out:{name} in:{name}:-1 size_t:{size}")
        if signed == "1":
            assert answer["out.1"] == "-1"
        else:
            assert err == errno.EINVAL and "out of range" in answer


# A grid of structures, unions and arrays, generated with a fixed seed.
LAYOUT_SCALARS = [n for n in SCALARS]


def gen_type(rng, depth, in_union=False):
    r = rng.random()
    if depth < 3 and r < 0.25:
        return gen_aggregate(rng, depth + 1, in_union)
    if depth < 3 and r < 0.4:
        text, ct = gen_type(rng, depth + 1, in_union)
        n = rng.choice([0, 1, 2, 3, 5, 8])
        return f"{text}[{n}]", ct * n
    # in a union the other members are read from the first one's bytes: no pointers
    # to follow there, no long double (6 of its 16 bytes are unspecified padding) and
    # no wchar (ctypes raises on a code point past U+10FFFF)
    names = [n for n in LAYOUT_SCALARS if not (in_union and n in ("str", "wstr", "longdouble", "wchar"))]
    name = rng.choice(names)
    return name, SCALARS[name]


def gen_aggregate(rng, depth=0, in_union=False):
    union = rng.random() < 0.3
    pack = rng.choice([0, 0, 0, 1, 2, 4, 8, 16, 3])
    fields, texts = [], []
    for i in range(rng.randint(0, 6)):
        text, ct = gen_type(rng, depth, in_union or union)
        fields.append((f"f{i}", ct))
        texts.append(f"{text} f{i}")
    base = ctypes.Union if union else ctypes.Structure
    ns = {"_fields_": fields}
    if pack:
        ns["_pack_"] = pack
    ct = type("U" if union else "S", (base,), ns)
    head = ("union" if union else "struct") + (f"(pack={pack})" if pack else "")
    return head + "{" + "; ".join(texts) + "}", ct


def ctypes_offsets(ct, prefix="offset", base=0, out=None):
    out = {} if out is None else out
    for name, ftype in ct._fields_:
        off = base + getattr(ct, name).offset
        out[f"{prefix}.{name}"] = str(off)
        if isinstance(ftype, type) and issubclass(ftype, (ctypes.Structure, ctypes.Union)):
            ctypes_offsets(ftype, f"{prefix}.{name}", off, out)
    return out


def test_layouts_over_a_grid(ffi):
    m, call = ffi
    rng = random.Random(SEED)
    for i in range(300):
        text, ct = gen_aggregate(rng)
        got = call.ok(f"typedef {text} t{i % 100}")  # redefined: a session keeps at most 256
        want = {"type": text, "size": str(ctypes.sizeof(ct)), "align": str(ctypes.alignment(ct))}
        want.update(ctypes_offsets(ct))
        assert got == want, text
        assert call.ok(f"sizeof t{i % 100}[3]") == {"ret": str(3 * ctypes.sizeof(ct))}
        assert call.ok(f"alignment t{i % 100}") == {"ret": str(ctypes.alignment(ct))}


def gen_value(rng, ct):
    """A value for ctypes type ct, and its text in the request syntax."""
    if isinstance(ct, type) and issubclass(ct, (ctypes.Structure, ctypes.Union)):
        obj, parts = ct(), []
        fields = ct._fields_[:1] if issubclass(ct, ctypes.Union) else ct._fields_
        for name, ftype in fields:
            v, text = gen_value(rng, ftype)
            setattr(obj, name, v)
            parts.append(f"{name}={text}" if rng.random() < 0.5 else text)
        if issubclass(ct, ctypes.Union) or any("=" in p for p in parts):
            parts = [p if "=" in p else f"{n}={p}" for p, (n, _) in zip(parts, fields)]
        return obj, "{" + ", ".join(parts) + "}"
    if isinstance(ct, type) and issubclass(ct, ctypes.Array):
        if ct._type_ is ctypes.c_char:
            data = bytes(rng.randrange(1, 256) for _ in range(rng.randint(0, ct._length_)))
            return data, quote(data)
        if ct._type_ is ctypes.c_wchar:
            text = "".join(rng.choice("aé☃\U0001F600\t\"") for _ in range(rng.randint(0, ct._length_)))
            return text, wquote(text)
        obj, parts = ct(), []
        for i in range(ct._length_):
            v, text = gen_value(rng, ct._type_)
            obj[i] = v
            parts.append(text)
        return obj, "{" + ", ".join(parts) + "}"
    size = ctypes.sizeof(ct)
    if ct is ctypes.c_bool:
        v = rng.random() < 0.5
        return v, rng.choice(["1", "true", "yes", "on"] if v else ["0", "false", "no", "off"])
    if ct is ctypes.c_char:
        b = bytes([rng.randrange(256)])
        return b, quote(b)
    if ct is ctypes.c_wchar:
        c = rng.choice("aZé☃\U0001F600")
        return c, wquote(c)
    if ct in (ctypes.c_float, ctypes.c_double, ctypes.c_longdouble):
        v = rng.choice([0.0, -0.0, 1.5, 1e300, -2.5e-300, rng.uniform(-1e6, 1e6), rng.random()])
        return v, repr(v)
    if ct is ctypes.c_void_p:
        v = rng.choice([0, 1, 2 ** 63, 2 ** 64 - 1, rng.randrange(2 ** 48)])
        return v, str(v) if v or rng.random() < 0.5 else "NULL"
    if ct is ctypes.c_char_p:
        data = bytes(rng.randrange(1, 256) for _ in range(rng.randint(0, 6)))
        return data, quote(data)
    if ct is ctypes.c_wchar_p:
        text = "".join(rng.choice("bé☃\n") for _ in range(rng.randint(0, 4)))
        return text, wquote(text)
    signed = ct(-1).value == -1
    lo, hi = (-2 ** (8 * size - 1), 2 ** (8 * size - 1) - 1) if signed else (0, 2 ** (8 * size) - 1)
    v = rng.choice([lo, hi, 0, rng.randint(lo, hi)])
    return v, rng.choice([str(v), hex(v) if v >= 0 else str(v)])


def test_values_written_and_read_back_over_a_grid(ffi):
    """memmove(out, in, size): what osfs read into C memory and shows back, against
    ctypes' own view of the same value."""
    m, call = ffi
    rng = random.Random(SEED + 1)
    for i in range(250):
        if i < len(SCALARS):
            name = list(SCALARS)[i]
            text, ct = name, SCALARS[name]
        else:
            text, ct = gen_aggregate(rng)
        obj, value = gen_value(rng, ct)
        if not isinstance(obj, (ctypes.Structure, ctypes.Union, ctypes.Array, ctypes._SimpleCData)):
            obj = ct(obj)
        got = call.ok(f"libc.so.6 memmove ptr out:{text} in:{text}:{value} size_t:{ctypes.sizeof(ct)}")
        want = flatten("out.1", obj, ct, {})
        assert {k: v for k, v in got.items() if k.startswith("out.")} == want, (text, value)


def test_out_of_range_and_malformed_values_are_refused(ffi):
    m, call = ffi
    for name, ct in SCALARS.items():
        if name in ("bool", "char", "wchar", "float", "double", "longdouble", "ptr", "str", "wstr"):
            continue
        size, signed = ctypes.sizeof(ct), ct(-1).value == -1
        lo, hi = (-2 ** (8 * size - 1), 2 ** (8 * size - 1) - 1) if signed else (0, 2 ** (8 * size) - 1)
        for bad in (lo - 1, hi + 1):
            err, answer = call(f"libc.so.6 abs int {name}:{bad}")
            assert err == errno.EINVAL and f"{bad} is out of range for {name}" in answer
    for req, msg in [
        ("c f int char:\"ab\"", "a char is one byte"),
        ("c f int int[2]:1,2,3", "more values than the 2 elements"),
        ("c f int in:struct{int a}:{b=1}", "no field 'b'"),
        ("c f int in:union{int a; long b}:{1,2}", "a union takes one value"),
        ("c f int char[2]:\"abc\"", "a string of 3 is too long for 2"),
        ("c f int union{int a}:{1}", "a union is passed by pointer"),
        ("c f int struct(pack=1){char a; int b}:{1,2}", "a packed structure with a field out of its alignment"),
        ("c f int struct{int a; int a}:{1}", "field 'a' appears twice"),
        ("c f int[2]", "a function cannot return an array"),
        ("c f int out:nosuch", "unknown type 'nosuch'"),
        ("c f int struct{int a:{1}", "has no type"),
        ("c f int struct{int a}:{1", "',' or '}' expected"),
        ("c f int buf:0", "buf:N wants a size"),
        ("c f int buf:2:\"abc\"", "too long for 2"),
        ("string_at 0", "the address is NULL"),
        ("memory_at 4096", "write memory_at ADDRESS SIZE"),
        ("sizeof void", "void has no size"),
        ("typedef int int", "'int' is a type of its own"),
    ]:
        err, answer = call(req)
        assert err == errno.EINVAL and msg in answer, (req, answer)
        assert msg in m.errors()[-1]


def ctypes_errno_call(fn, restype, argtypes, *args):
    fn.restype, fn.argtypes = restype, argtypes
    return fn(*args), ctypes.get_errno()


def test_errno_as_use_errno_keeps_it(ffi):
    """A private copy per open file, swapped in before each call and out after:
    a call that leaves errno alone reports the previous value, as ctypes does."""
    m, call = ffi
    other = Call(m)
    ctypes.set_errno(0)  # this thread's copy, as fresh as the open file's
    try:
        steps = [("set", 7), ("c getpid int", libc.getpid, ctypes.c_int, [], ()),
                 ("c close int int:-1", libc.close, ctypes.c_int, [ctypes.c_int], (-1,)),
                 ("c getpid int", libc.getpid, ctypes.c_int, [], ()),
                 ("set", 0), ("m sqrt double double:-1", libm.sqrt, ctypes.c_double, [ctypes.c_double], (-1.0,)),
                 ("c getppid int", libc.getppid, ctypes.c_int, [], ())]
        for step in steps:
            if step[0] == "set":
                old = ctypes.set_errno(step[1])
                assert call.ok(f"set_errno {step[1]}") == {"ret": str(old)}
                continue
            ret, err = ctypes_errno_call(*step[1:4], *step[4])
            got = call.ok(step[0])
            assert got["errno"] == str(err), step[0]
            assert call.ok("get_errno") == {"ret": str(ctypes.get_errno())}
        assert other.ok("get_errno") == {"ret": "0"}  # another open file: its own copy
        assert other.ok("c getpid int")["errno"] == "0"
    finally:
        other.close()


def test_results_as_ctypes_returns_them(ffi):
    m, call = ffi
    cases = [
        ("c toupper char int:97", libc.toupper, ctypes.c_char, [ctypes.c_int], (97,)),
        ("c getenv ptr str:\"OSFS_NO_SUCH_VARIABLE\"", libc.getenv, ctypes.c_void_p, [ctypes.c_char_p],
         (b"OSFS_NO_SUCH_VARIABLE",)),
        ("c getenv str str:\"OSFS_NO_SUCH_VARIABLE\"", libc.getenv, ctypes.c_char_p, [ctypes.c_char_p],
         (b"OSFS_NO_SUCH_VARIABLE",)),
        ("c strchr str str:\"hello\" int:108", libc.strchr, ctypes.c_char_p, [ctypes.c_char_p, ctypes.c_int],
         (b"hello", 108)),
        ("c wcschr wstr wstr:\"h\u00e9llo\" wchar:\"l\"", libc.wcschr, ctypes.c_wchar_p,
         [ctypes.c_wchar_p, ctypes.c_wchar], ("h\u00e9llo", "l")),
        ("c wcslen size_t wstr:\"h\u00e9\u2603\U0001F600\"", libc.wcslen, ctypes.c_size_t, [ctypes.c_wchar_p],
         ("h\u00e9\u2603\U0001F600",)),
        ("m sqrtl longdouble longdouble:2", libm.sqrtl, ctypes.c_longdouble, [ctypes.c_longdouble], (2.0,)),
        ("m ldexpl longdouble longdouble:1.5 int:70", libm.ldexpl, ctypes.c_longdouble,
         [ctypes.c_longdouble, ctypes.c_int], (1.5, 70)),
        ("m nextafterf float float:1 float:2", libm.nextafterf, ctypes.c_float, [ctypes.c_float, ctypes.c_float],
         (1.0, 2.0)),
        ("c abs int int:-2147483647", libc.abs, ctypes.c_int, [ctypes.c_int], (-2147483647,)),
        ("c labs long long:-9223372036854775807", libc.labs, ctypes.c_long, [ctypes.c_long],
         (-9223372036854775807,)),
        ("c strtoul ulong str:\"18446744073709551615\" ptr:NULL int:10", libc.strtoul, ctypes.c_ulong,
         [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int], (b"18446744073709551615", None, 10)),
        ("c getuid uid_t", libc.getuid, ctypes.c_uint, [], ()),
        ("c getgid gid_t", libc.getgid, ctypes.c_uint, [], ()),
        ("c lseek off_t int:-1 off_t:0 int:0", libc.lseek, ctypes.c_long, [ctypes.c_int, ctypes.c_long, ctypes.c_int],
         (-1, 0, 0)),
        ("c inet_ntoa str struct{uint32 s_addr}:{16777343}", libc.inet_ntoa, ctypes.c_char_p,
         [type("in_addr", (ctypes.Structure,), {"_fields_": [("s_addr", ctypes.c_uint32)]})], None),
    ]
    for req, fn, restype, argtypes, args in cases:
        fn.restype, fn.argtypes = restype, argtypes
        if args is None:
            args = (argtypes[0](16777343),)
        ctypes.set_errno(0)
        call.ok("set_errno 0")
        want = fn(*args)
        got = call.ok(req)
        assert got["ret"] == shown(want), req
        assert got["errno"] == str(ctypes.get_errno()), req
    ptr = call.ok("c malloc ptr size_t:16")["ret"]
    assert re.fullmatch(r"[1-9][0-9]*", ptr)  # c_void_p: an int, in decimal
    assert abs(int(call.ok("c time time_t ptr:NULL")["ret"]) - time.time()) <= 2
    assert call.ok("None getpid int")["ret"] == call.ok("c getpid pid_t")["ret"]  # CDLL(None)


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Utsname(ctypes.Structure):
    _fields_ = [(n, ctypes.c_char * 65) for n in ("sysname", "nodename", "release", "version", "machine",
                                                   "domainname")]


class Rlimit(ctypes.Structure):
    _fields_ = [("rlim_cur", ctypes.c_ulong), ("rlim_max", ctypes.c_ulong)]


def test_struct_calls_against_ctypes(ffi):
    m, call = ffi
    call.ok("struct timeval {long tv_sec; long tv_usec}")
    call.ok("struct timespec {long tv_sec; long tv_nsec}")
    tv = Timeval()
    assert libc.gettimeofday(ctypes.byref(tv), None) == 0
    got = call.ok("c gettimeofday int out:timeval ptr:NULL")
    assert got["ret"] == "0" and abs(int(got["out.1.tv_sec"]) - tv.tv_sec) <= 2
    assert 0 <= int(got["out.1.tv_usec"]) < 1000000
    for clock in (time.CLOCK_REALTIME, time.CLOCK_MONOTONIC, time.CLOCK_BOOTTIME):
        ts = Timespec()
        assert libc.clock_gettime(clock, ctypes.byref(ts)) == 0
        got = call.ok(f"c clock_gettime int int:{clock} out:timespec")
        assert got["ret"] == "0" and abs(int(got["out.2.tv_sec"]) - ts.tv_sec) <= 2
        res = Timespec()
        libc.clock_getres(clock, ctypes.byref(res))
        assert call.ok(f"c clock_getres int int:{clock} out:timespec") == flatten(
            "out.2", res, Timespec, {"ret": "0", "errno": "0"})
    u = Utsname()
    assert libc.uname(ctypes.byref(u)) == 0
    utsname = "struct{" + "; ".join(f"char[65] {n}" for n, _ in Utsname._fields_) + "}"
    assert call.ok(f"c uname int out:{utsname}") == flatten("out.1", u, Utsname, {"ret": "0", "errno": "0"})
    # the worker's own limits (AS, NPROC, CORE) are its sandbox's; the others are inherited
    for res in ("RLIMIT_NOFILE", "RLIMIT_STACK", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_MEMLOCK"):
        r = Rlimit()
        assert libc.getrlimit(getattr(resource, res), ctypes.byref(r)) == 0
        got = call.ok(f"c getrlimit int int:{getattr(resource, res)} out:struct{{ulong rlim_cur; ulong rlim_max}}")
        assert got == flatten("out.2", r, Rlimit, {"ret": "0", "errno": "0"}), res
    got = call.ok(f"c getrlimit int int:{resource.RLIMIT_NPROC} out:struct{{ulong rlim_cur; ulong rlim_max}}")
    assert got["out.2.rlim_cur"] == got["out.2.rlim_max"] == "0"


def test_div_ldiv_lldiv_return_structures_by_value(ffi):
    m, call = ffi
    rng = random.Random(SEED + 2)
    for fn, c, bits in (("div", ctypes.c_int, 32), ("ldiv", ctypes.c_long, 64), ("lldiv", ctypes.c_longlong, 64)):
        cname = {32: "int", 64: "long"}[bits] if fn != "lldiv" else "llong"

        class Div(ctypes.Structure):
            _fields_ = [("quot", c), ("rem", c)]
        f = getattr(libc, fn)
        f.restype, f.argtypes = Div, [c, c]
        for _ in range(20):
            a, b = rng.randint(-2 ** (bits - 1) + 1, 2 ** (bits - 1) - 1), rng.choice([1, -1, 7, -13, rng.randint(1, 2 ** 20)])
            want = f(a, b)
            got = call.ok(f"c {fn} struct{{{cname} quot; {cname} rem}} {cname}:{a} {cname}:{b}")
            assert got == flatten("ret", want, Div, {"errno": got["errno"]}), (fn, a, b)


CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def test_qsort_and_bsearch_with_libc_comparators(ffi):
    m, call = ffi
    rng = random.Random(SEED + 3)
    words = ["pear", "Apple", "fig", "kiwi", "apple", "file10", "file9", "FIG", "banana", "b"]
    for comparator in ("strcmp", "strcasecmp", "strverscmp", "strcoll"):
        sample = rng.sample(words, 7)
        arr = (ctypes.c_char * 8 * len(sample))()
        for i, w in enumerate(sample):
            arr[i].value = w.encode()
        cmp = ctypes.cast(getattr(libc, comparator), ctypes.c_void_p).value
        libc.qsort.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
        libc.qsort.restype = None
        libc.qsort(arr, len(sample), 8, cmp)
        init = "{" + ", ".join(quote(w.encode()) for w in sample) + "}"
        got = call.ok(f"c qsort void inout:char[8][{len(sample)}]:{init} size_t:{len(sample)} size_t:8 "
                      f"fn:libc.so.6:{comparator}")
        assert [got[f"out.1.{i}"] for i in range(len(sample))] == [shown(a.value) for a in arr], comparator
    # wide strings with wcscmp
    sample = ["\u00e9t\u00e9", "abc", "\u2603", "ab"]
    arr = (ctypes.c_wchar * 6 * 4)()
    for i, w in enumerate(sample):
        arr[i].value = w
    libc.qsort(arr, 4, ctypes.sizeof(ctypes.c_wchar * 6), ctypes.cast(libc.wcscmp, ctypes.c_void_p).value)
    got = call.ok("c qsort void inout:wchar[6][4]:{" + ", ".join(wquote(w) for w in sample) + "} size_t:4 "
                  f"size_t:{ctypes.sizeof(ctypes.c_wchar * 6)} fn:c:wcscmp")
    assert [got[f"out.1.{i}"] for i in range(4)] == [wquote(a.value) for a in arr]
    # bsearch over sorted memory of the worker's own: the index found, and what is there
    sorted_words = sorted(w.encode() for w in words)
    base = int(call.ok(f"c malloc ptr size_t:{8 * len(words)}")["ret"])
    call.ok(f"c memcpy ptr ptr:{base} in:char[8][{len(words)}]:{{{', '.join(quote(w) for w in sorted_words)}}} "
            f"size_t:{8 * len(words)}")
    arr = (ctypes.c_char * 8 * len(words))()
    for i, w in enumerate(sorted_words):
        arr[i].value = w
    libc.bsearch.restype = ctypes.c_void_p
    libc.bsearch.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
    for key in [b"fig", b"kiwi", b"nope", b"Apple", b"a"]:
        found = libc.bsearch(key, arr, len(words), 8, ctypes.cast(libc.strcmp, ctypes.c_void_p).value)
        got = call.ok(f"c bsearch ptr str:{quote(key)} ptr:{base} size_t:{len(words)} size_t:8 fn:c:strcmp")["ret"]
        if found is None:
            assert got == "None", key
        else:
            assert (int(got) - base) // 8 == (found - ctypes.addressof(arr)) // 8, key
            assert call.ok(f"string_at {got}") == {"ret": quote(key)}


def test_poll_on_a_pipe(ffi):
    m, call = ffi

    class Pollfd(ctypes.Structure):
        _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]
    rfd, wfd = os.pipe()
    try:
        fds = (Pollfd * 1)(Pollfd(rfd, 1, 0))
        before = libc.poll(fds, 1, 0), fds[0].revents
        os.write(wfd, b"x")
        after = libc.poll(fds, 1, 0), fds[0].revents
    finally:
        os.close(rfd)
        os.close(wfd)
    got = call.ok("c pipe int out:int[2]")
    r, w = got["out.1.0"], got["out.1.1"]
    pollfd = "struct{int fd; short events; short revents}"
    got = call.ok(f"c poll int inout:{pollfd}[1]:{{{{{r}, 1, 0}}}} ulong:1 int:0")
    assert (int(got["ret"]), int(got["out.1.0.revents"])) == before
    call.ok(f"c write ssize_t int:{w} str:\"x\" size_t:1")
    got = call.ok(f"c poll int inout:{pollfd}[1]:{{{{.fd={r}, .events=1}}}} ulong:1 int:0")
    assert (int(got["ret"]), int(got["out.1.0.revents"])) == after
    assert call.ok(f"c read ssize_t int:{r} buf:4 size_t:4")["out.2"] == '"x"'


def test_memory_verbs(ffi):
    m, call = ffi
    rng = random.Random(SEED + 4)
    data = bytes(rng.randrange(256) for _ in range(64)) + b"\0tail"
    base = int(call.ok("c malloc ptr size_t:128")["ret"])
    call.ok(f"c memcpy ptr ptr:{base} in:char[{len(data)}]:{quote(data)} size_t:{len(data)}")
    buf = ctypes.create_string_buffer(data, len(data))
    addr = ctypes.addressof(buf)
    assert call.ok(f"memory_at {base} {len(data)}") == {"ret": data.hex()}
    assert call.ok(f"string_at {base}") == {"ret": shown(ctypes.string_at(addr))}
    assert call.ok(f"string_at {base} 20") == {"ret": shown(ctypes.string_at(addr, 20))}
    text = "w\u00e9\u2603\U0001F600"
    wbuf = ctypes.create_unicode_buffer(text)
    wbase = int(call.ok(f"c wcsdup ptr wstr:{wquote(text)}")["ret"])
    assert call.ok(f"wstring_at {wbase}") == {"ret": wquote(ctypes.wstring_at(ctypes.addressof(wbuf)))}
    assert call.ok(f"wstring_at {wbase} 2") == {"ret": wquote(ctypes.wstring_at(ctypes.addressof(wbuf), 2))}
    ct = type("S", (ctypes.Structure,), {"_fields_": [("a", ctypes.c_int), ("b", ctypes.c_char * 3),
                                                     ("c", ctypes.c_double)]})
    got = call.ok(f"from_address struct{{int a; char[3] b; double c}} {base}")
    assert got == flatten("ret", ct.from_buffer(buf), ct, {})
    err, answer = call("string_at 1")
    assert err == errno.EIO and "worker crashed: SIGSEGV" in answer  # the worker's fault, not the daemon's


def test_buffers_with_initial_content(ffi):
    m, call = ffi
    for n, init in [(16, b"abc"), (4, b"abcd"), (None, b"x\ty")]:
        buf = ctypes.create_string_buffer(init, n) if n else ctypes.create_string_buffer(init)
        spec = f"{n}:{quote(init)}" if n else quote(init)
        size = ctypes.sizeof(buf)
        got = call.ok(f"c strnlen size_t buf:{spec} size_t:{size}")
        assert got["ret"] == str(libc.strnlen(buf, size)) and got["out.1"] == shown(buf.value)
        got = call.ok(f"c strnlen size_t xbuf:{spec} size_t:{size}")
        assert got["out.1"] == buf.raw.hex()
    got = call.ok('c strcat str buf:12:"ab" str:"cd"')
    assert got["ret"] == got["out.1"] == '"abcd"'


def test_named_layouts_per_session_and_global(ffi):
    m, call = ffi
    with open(m.p("ffi", "struct", "ts"), "w") as f:
        f.write("struct{long tv_sec; long tv_nsec}\n")
    assert os.listdir(m.p("ffi", "struct")) == ["ts"]
    assert m.read("ffi", "sizeof", "ts") == f"{ctypes.sizeof(Timespec)}\n"
    assert m.read("ffi", "struct", "ts") == ("type=struct{long tv_sec; long tv_nsec}\nsize=16\nalign=8\n"
                                              "offset.tv_sec=0\noffset.tv_nsec=8\n")
    assert "ts" in os.listdir(m.p("ffi", "sizeof"))
    call.ok("struct pair {ts a; ts[2] b; char c}")  # per session, built on the global one
    assert call.ok("sizeof pair")["ret"] == str(ctypes.sizeof(
        type("P", (ctypes.Structure,), {"_fields_": [("a", Timespec), ("b", Timespec * 2), ("c", ctypes.c_char)]})))
    got = call.ok("c clock_getres int int:1 out:pair")
    assert got["out.2.a.tv_nsec"] == "1" and got["out.2.b.1.tv_sec"] == "0"
    other = Call(m)
    try:
        err, answer = other("sizeof pair")  # another open file does not see it
        assert err == errno.EINVAL and "unknown type 'pair'" in answer
        assert other.ok("sizeof ts")["ret"] == "16"
    finally:
        other.close()
    with open(m.p("ffi", "struct", "ts"), "w") as f:  # redefining: what was built on it keeps its layout
        f.write("struct{int tv_sec}")
    assert call.ok("sizeof pair")["ret"] == "56"
    assert call.ok("sizeof ts")["ret"] == "4", (m.read("ffi", "struct", "ts"), m.errors()[-3:])
    with pytest.raises(OSError) as e, open(m.p("ffi", "struct", "ts"), "w") as f:
        f.write("struct{nosuch x}")
    assert e.value.errno == errno.EINVAL
    os.unlink(m.p("ffi", "struct", "ts"))
    assert os.listdir(m.p("ffi", "struct")) == []
    assert not os.path.exists(m.p("ffi", "sizeof", "ts"))


def test_find_library_as_ctypes_util(ffi, make_mount, tmp_path):
    m, call = ffi
    names = sorted({re.match(r"lib(.+?)\.so", line.split()[0]).group(1)
                    for line in subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True,
                                               check=True).stdout.splitlines()[1:]
                    if re.match(r"lib(.+?)\.so", line.split()[0])})
    rng = random.Random(SEED + 5)
    sample = rng.sample(names, min(40, len(names))) + ["c", "m", "cuda", "gcc", "nosuchlib", "c_nonshared"]
    for name in sample:
        want = ctypes.util.find_library(name)
        path = m.p("ffi", "find_library", name)
        if want is None:
            assert not os.path.exists(path), name
        else:
            assert m.read("ffi", "find_library", name) == want + "\n", name
        assert call.ok(f"find_library {name}") == {"ret": want or "None"}
    # LD_LIBRARY_PATH, where Python's last resort (ld) finds a library by its SONAME
    lib = tmp_path / "libosfszz.so"
    lib.write_bytes(open("/lib/x86_64-linux-gnu/libm.so.6", "rb").read())
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path))
    want = subprocess.run(["/usr/bin/python3", "-c", "import ctypes.util; print(ctypes.util.find_library('osfszz'))"],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()
    other = make_mount("-o", "ffi", env=env)
    assert other.read("ffi", "find_library", "osfszz") == want + "\n" == "libm.so.6\n"


def test_short_names_none_and_rtld_global(ffi):
    m, call = ffi
    assert call.ok("m cos double double:0")["ret"] == "1.0"
    err, answer = call("nosuchlibxyz f int")
    assert err == errno.ENOENT and "find_library('nosuchlibxyz') finds none" in answer
    z = ctypes.CDLL(ctypes.util.find_library("z"))
    z.zlibVersion.restype = ctypes.c_char_p
    err, answer = call("None zlibVersion str")  # not loaded globally yet
    assert err == errno.ENOENT
    assert call.ok("global:z zlibVersion str")["ret"] == shown(z.zlibVersion())
    assert call.ok("None zlibVersion str")["ret"] == shown(z.zlibVersion())  # RTLD_GLOBAL: in the main scope
    assert call("c abort void")[0] == errno.EIO
    assert call.ok("None zlibVersion str")["ret"] == shown(z.zlibVersion())  # a new worker loads it again
    call.ok("libc.so.6 getpid int")
    assert m.read("ffi", "libraries").splitlines() == ["libm.so.6", "libz.so.1", "None", "libc.so.6"]


C_SPELLINGS = ["int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
               "uint64_t", "intptr_t", "uintptr_t", "wchar_t", "_Bool", "unsigned", "signed",
               "int*", "void*", "char*", "char**", "wchar_t*", "double*"]


def test_c_spellings_as_the_c_compiler_lays_them_out(ffi, tmp_path):
    """A type as a C header spells it, where one word (and its stars) says it: size,
    alignment and signedness as the C compiler has them; char* answers as a string
    (c_char_p), any other pointer as an address."""
    m, call = ffi
    src = tmp_path / "c.c"
    src.write_text("#include <stdio.h>\n#include <stdint.h>\n#include <wchar.h>\n#include <time.h>\n"
                   "int main(void) {\n" + "".join(
                       f'printf("%zu %zu\\n", sizeof({n}), _Alignof({n}));\n' for n in C_SPELLINGS)
                   + "}\n")
    subprocess.run(["cc", "-o", str(tmp_path / "c"), str(src)], check=True)
    lines = subprocess.run([str(tmp_path / "c")], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for name, line in zip(C_SPELLINGS, lines):
        size, align = line.split()
        assert m.read("ffi", "sizeof", name) == size + "\n", name
        assert m.read("ffi", "alignment", name) == align + "\n", name
        assert m.read("ffi", "sizeof", f"struct{{char c; {name} a}}") == \
            str(int(align) + max(int(size), int(align))) + "\n", name
    libc.strerror.restype = ctypes.c_char_p
    assert call.ok("libc.so.6 strerror char* int:2")["ret"] == shown(libc.strerror(2))
    libc.getenv.restype = ctypes.c_char_p
    assert call.ok('libc.so.6 getenv char* char*:"PATH"')["ret"] == shown(libc.getenv(b"PATH"))
    assert call.ok("libc.so.6 abs int32_t int32_t:-5")["ret"] == "5"
    assert call.ok("libc.so.6 labs long intptr_t:-7")["ret"] == "7"
