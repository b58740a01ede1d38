"""ffi/: calls answered as Python's ctypes answers the same call; a crash or a hang
is an answer, not a dead mount; absent without -o ffi; the owner's alone."""
import ctypes
import ctypes.util
import errno
import os
import stat
import subprocess

import pytest

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libm = ctypes.CDLL("libm.so.6", use_errno=True)


class Call:
    def __init__(self, m):
        self.fd = os.open(m.p("ffi", "call"), os.O_RDWR)

    def __call__(self, request):
        try:
            os.write(self.fd, (request + "\n").encode())
            err = None
        except OSError as e:
            err = e.errno
        answer = os.read(self.fd, 65536).decode()
        return err, dict(line.split("=", 1) for line in answer.splitlines()) if err is None else answer

    def close(self):
        os.close(self.fd)


@pytest.fixture
def ffi(make_mount):
    m = make_mount("-o", "ffi,ffi_timeout=700")
    call = Call(m)
    try:
        yield m, call
    finally:
        call.close()


def ctypes_call(lib, name, restype, *args):
    fn = getattr(lib, name)
    fn.restype = restype
    ctypes.set_errno(0)
    ret = fn(*args)
    return ret, ctypes.get_errno()


MATH = [("cos", 1.0), ("sin", 0.5), ("sqrt", 2.0), ("exp", 1.0), ("log", 10.0), ("tan", 1e-3),
        ("atan", -3.5), ("floor", -2.5), ("cbrt", 27.0), ("log1p", 1e-10)]


def test_math_functions(ffi):
    m, call = ffi
    for name, x in MATH:
        fn = getattr(libm, name)
        fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double]
        err, got = call(f"libm.so.6 {name} double double:{x!r}")
        assert err is None and got["ret"] == repr(fn(x)), name
    fn = libm.pow
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double, ctypes.c_double]
    assert call("libm.so.6 pow double double:2 double:0.5")[1]["ret"] == repr(fn(2, 0.5))
    fn = libm.sqrtf
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    assert call("libm.so.6 sqrtf float float:2")[1]["ret"] == repr(fn(2.0))


def test_integers_strings_and_errno(ffi):
    m, call = ffi
    assert call('libc.so.6 strlen size_t str:"hello"')[1]["ret"] == "5"
    assert call('libc.so.6 strlen size_t str:"tab\\there\\x00hidden"')[1]["ret"] == "8"
    assert call("libc.so.6 abs int int:-42")[1]["ret"] == str(libc.abs(-42))
    assert call("libc.so.6 labs long long:-9223372036854775807")[1]["ret"] == "9223372036854775807"
    assert call("libc.so.6 toupper int int:97")[1]["ret"] == "65"
    ret, err_no = ctypes_call(libc, "close", ctypes.c_int, -1)
    got = call("libc.so.6 close int int:-1")[1]
    assert got == {"ret": str(ret), "errno": str(err_no)} and err_no == errno.EBADF
    # ctypes' use_errno: a call that leaves errno alone reports the copy it had
    ctypes.set_errno(0)
    libc.close(-1)
    libc.getpid()
    assert call("libc.so.6 getpid int")[1]["errno"] == str(ctypes.get_errno()) == str(errno.EBADF)


def test_variadic_and_out_arguments(ffi):
    m, call = ffi
    buf = ctypes.create_string_buffer(64)
    n = libc.snprintf(buf, 64, b"%d-%s-%.2f", 5, b"x", ctypes.c_double(1.5))
    got = call('libc.so.6 snprintf int buf:64 size_t:64 str:"%d-%s-%.2f" ... int:5 str:"x" double:1.5')[1]
    assert got["ret"] == str(n) and got["out.1"] == '"' + buf.value.decode() + '"'
    # a float after ... is promoted to double, a char to int, as C does
    got = call('libc.so.6 snprintf int buf:32 size_t:32 str:"%.1f %c" ... float:2.5 char:65')[1]
    assert got["out.1"] == '"2.5 A"'
    end = ctypes.c_char_p()
    v = libc.strtol(b"123abc", ctypes.byref(end), 10)
    got = call('libc.so.6 strtol long str:"123abc" out:ptr int:10')[1]
    assert got["ret"] == str(v) and int(got["out.2"]) > 0  # c_void_p's value: an int
    got = call("libc.so.6 memset ptr xbuf:4 int:171 size_t:3")[1]
    assert got["out.1"] == "abababab"[:6] + "00"
    got = call('libc.so.6 sscanf int str:"41 2.5" str:"%d %lf" ... out:int out:double')[1]
    assert got["ret"] == "2" and got["out.3"] == "41" and got["out.4"] == "2.5"  # '...' is no argument


def test_sizeof_and_libraries(ffi):
    m, call = ffi
    want = {"int": ctypes.c_int, "long": ctypes.c_long, "short": ctypes.c_short, "char": ctypes.c_char,
            "double": ctypes.c_double, "float": ctypes.c_float, "size_t": ctypes.c_size_t,
            "ssize_t": ctypes.c_ssize_t, "ptr": ctypes.c_void_p, "llong": ctypes.c_longlong,
            "int8": ctypes.c_int8, "uint64": ctypes.c_uint64, "str": ctypes.c_char_p}
    for name, t in want.items():
        assert m.read("ffi", "sizeof", name) == f"{ctypes.sizeof(t)}\n", name
    assert set(os.listdir(m.p("ffi", "sizeof"))) >= set(want)
    call("libm.so.6 cos double double:0")
    call("libc.so.6 getpid int")
    assert m.read("ffi", "libraries").splitlines() == ["libm.so.6", "libc.so.6"]


@pytest.mark.parametrize("request_,message", [
    ("libc.so.6 abs int 5", "argument 1: '5' has no type: write TYPE:VALUE"),
    ("libc.so.6 abs int int:99999999999", "argument 1: 99999999999 is out of range for int"),
    ("libc.so.6 abs int uint8:256", "argument 1: 256 is out of range for uint8"),
    ("libc.so.6 abs int int:x", "argument 1: 'x' is not an integer"),
    ("libc.so.6 abs int wat:1", "argument 1: unknown type 'wat'"),
    ("libc.so.6 abs nope int:1", "the result type: unknown type 'nope'"),
    ("libc.so.6 abs", "expected LIBRARY SYMBOL RESTYPE"),
    ('libc.so.6 strlen size_t str:"open', "argument 1: a string is written"),
    ("set_errno x", "set_errno wants an int, not 'x'"),
    ("set_errno 2147483648", "set_errno wants an int"),
    ("get_errno 1", "get_errno takes nothing"),
    ("struct 9x {int a}", "'9x' is not a name for a layout"),
    ("struct int {int a}", "'int' is a type of its own"),
    ("union u {int a; char a}", "the definition: field 'a' appears twice"),
    ("typedef nosuch t", "the definition: unknown type 'nosuch'"),
    ("sizeof int[", "the type: a number expected at ''"),
    ("alignment struct{int a", "the type: ';' or '}' expected at ''"),
    ("c f int ... int:1 ... int:2", "'...' may appear once"),
    ("from_address int", "write from_address TYPE ADDRESS"),
    ("memory_at 4096 99999999", "memory_at: the size '99999999' is not from 0 to 1048576"),
])
def test_bad_requests(ffi, request_, message):
    m, call = ffi
    err, answer = call(request_)
    assert err == errno.EINVAL and answer.startswith(f"error: EINVAL: {message}")
    assert message in m.errors()[-1]


def test_a_type_that_is_no_file_is_no_such_file(ffi):
    m, call = ffi
    for name in ("nosuchtype", "int[", "struct{int a"):
        with pytest.raises(FileNotFoundError):
            os.stat(m.p("ffi", "sizeof", name))
        with pytest.raises(FileNotFoundError):
            os.stat(m.p("ffi", "alignment", name))
    with pytest.raises(FileNotFoundError):
        os.stat(m.p("ffi", "find_library", "nosuchlibrary"))
    for line in m.errors():  # a refusal logged is worded whole, never garbled
        if "ffi/sizeof" in line or "ffi/alignment" in line:
            assert "unknown type 'nosuchtype'" in line or "expected at" in line, line


def test_unknown_library_and_symbol(ffi):
    m, call = ffi
    assert call("libnope.so.9 f int")[0] == errno.ENOENT
    err, answer = call("libc.so.6 no_such_function int")
    assert err == errno.ENOENT and "has no symbol no_such_function" in answer


def test_crash_and_timeout_are_answers(ffi):
    m, call = ffi
    err, answer = call("libc.so.6 strlen size_t ptr:0")
    assert err == errno.EIO and answer == "error: EIO: worker crashed: SIGSEGV\n"
    assert call("libc.so.6 abs int int:-1")[1]["ret"] == "1"  # a new worker answers
    err, answer = call("libc.so.6 abort void")
    assert err == errno.EIO and "worker crashed: SIGABRT" in answer
    err, answer = call("libc.so.6 sleep uint uint:5")
    assert err == errno.EIO and answer.startswith("error: EIO: worker crashed: timeout")
    assert call("libm.so.6 cos double double:0")[1]["ret"] == "1.0"
    assert m.read("errno", "ENOENT") == "2\n"  # the mount is alive


def test_shell_example(ffi):
    m, call = ffi
    r = subprocess.run(["bash", "-c", f"exec 3<> {m.p('ffi', 'call')}; "
                        "echo 'libm.so.6 cos double double:1.0' >&3; cat <&3"],
                       capture_output=True, text=True, check=True)
    assert r.stdout == f"ret={libm.cos.__call__ and repr(0.5403023058681398)}\nerrno=0\n"


def test_absent_without_the_option(osfs):
    assert "ffi" not in os.listdir(osfs.path)
    with pytest.raises(FileNotFoundError):
        os.stat(osfs.p("ffi", "call"))


def test_owner_only(ffi):
    m, call = ffi
    assert stat.S_IMODE(os.stat(m.p("ffi")).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(m.p("ffi", "call")).st_mode) == 0o600
