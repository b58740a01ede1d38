"""io/: the defaults of Python's io module.  osfs follows the current reference,
where UTF-8 mode is the default (PEP 686), so Python here runs with -X utf8."""
import io
import json
import subprocess
import sys

PROBE = r"""
import io, json, locale, sys
print(json.dumps({
    "default_buffer_size": io.DEFAULT_BUFFER_SIZE,
    "text_encoding": io.text_encoding(None),
    "preferred": locale.getpreferredencoding(False),
    "filesystem": sys.getfilesystemencoding(),
    "filesystem_errors": sys.getfilesystemencodeerrors(),
    "stdin": sys.stdin.encoding, "stdin_errors": sys.stdin.errors,
    "stdout": sys.stdout.encoding, "stdout_errors": sys.stdout.errors,
    "stderr": sys.stderr.encoding, "stderr_errors": sys.stderr.errors,
}))
"""


def reference():
    for locale in ("C", "C.UTF-8"):  # UTF-8 mode makes the locale irrelevant
        r = subprocess.run([sys.executable, "-X", "utf8", "-c", PROBE], capture_output=True,
                           text=True, check=True, stdin=subprocess.PIPE,
                           env={"LC_ALL": locale, "PATH": "/usr/bin:/bin"})
        yield json.loads(r.stdout)


def test_default_buffer_size_is_the_current_references(osfs):
    # Python 3.14 raised io.DEFAULT_BUFFER_SIZE from 8 KiB to 128 KiB (gh-117151)
    assert osfs.read("io", "default_buffer_size") == f"{128 * 1024}\n"
    if sys.version_info >= (3, 14):
        assert int(osfs.read("io", "default_buffer_size")) == io.DEFAULT_BUFFER_SIZE


def test_io_defaults(osfs):
    for want in reference():
        assert osfs.read("io", "text_encoding") == want["text_encoding"] + "\n"
        enc = json.loads(osfs.read("io", "encodings.json"))
        assert enc == {k: v for k, v in want.items() if k != "default_buffer_size"}
        plain = dict(line.split("=", 1) for line in osfs.read("io", "encodings").splitlines())
        assert plain == enc
