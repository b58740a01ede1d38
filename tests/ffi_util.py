"""What the ffi tests share: one open ffi/call as a function, the `ffi` fixture,
and ctypes values shown as osfs shows them."""
import ctypes
import os

import pytest


class Call:
    """One open ffi/call (one session): call(request) -> (errno or None, answer),
    the answer a dict of its key=value lines, or the error line."""

    def __init__(self, m):
        self.m = m
        self.fd = os.open(m.p("ffi", "call"), os.O_RDWR)

    def __call__(self, request):
        try:
            os.write(self.fd, (request + "\n").encode("utf-8", "surrogateescape"))
            err = None
        except OSError as e:
            err = e.errno
        answer = b""
        while True:
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                break
            answer += chunk
        answer = answer.decode("utf-8", "surrogateescape")
        if err is not None:
            return err, answer
        return None, dict(line.split("=", 1) for line in answer.splitlines())

    def ok(self, request):
        err, got = self(request)
        assert err is None, f"{request!r}: {got}"
        return got

    def close(self):
        os.close(self.fd)


@pytest.fixture
def ffi(make_mount):
    """A mount with ffi and one open ffi/call; at the end a clean exit is asserted
    and the daemon's output checked."""
    m = make_mount("-o", "ffi,ffi_timeout=2000")
    call = Call(m)
    try:
        yield m, call
    finally:
        call.close()
    stopped(m)


def stopped(m):
    code = m.unmount()
    m.check_output()
    assert code == 0, f"osfs exited with {code}"


def quote(data):
    """Bytes as osfs writes a string: "..." with \\" \\\\ \\n \\t \\r, other control
    bytes \\xHH, the rest as they are (the request syntax reads it back)."""
    out = bytearray(b'"')
    for b in data:
        if b in b'"\\':
            out += b"\\" + bytes([b])
        elif b in (9, 10, 13):
            out += {9: b"\\t", 10: b"\\n", 13: b"\\r"}[b]
        elif b < 0x20 or b == 0x7F:
            out += b"\\x%02x" % b
        else:
            out.append(b)
    out += b'"'
    return out.decode("utf-8", "surrogateescape")


def wquote(text):
    return quote(text.encode("utf-8", "surrogatepass"))


def shown(value):
    """A value ctypes gives, as osfs answers it (see README: Differences from Python)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, bytes):
        return quote(value)
    if isinstance(value, str):
        return wquote(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def flatten(prefix, obj, ctype, out):
    """ctypes' view of a value, as osfs's key=value lines (structures field by
    field, arrays element by element, char and wchar arrays as text)."""
    if isinstance(ctype, type) and issubclass(ctype, (ctypes.Structure, ctypes.Union)):
        for name, ftype in ctype._fields_:
            flatten(f"{prefix}.{name}", getattr(obj, name), ftype, out)
    elif isinstance(ctype, type) and issubclass(ctype, ctypes.Array):
        if ctype._type_ in (ctypes.c_char, ctypes.c_wchar):
            out[prefix] = shown(obj.value if hasattr(obj, "value") else obj)
        else:
            for i in range(ctype._length_):
                flatten(f"{prefix}.{i}", obj[i], ctype._type_, out)
    else:
        out[prefix] = shown(obj.value if isinstance(obj, ctypes._SimpleCData) else obj)
    return out
