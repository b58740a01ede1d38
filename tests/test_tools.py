"""The tools people point at any directory, run over the whole mount: each ends
within seconds with bounded output, meets no refusal it did not cause, and changes
nothing (no record taken, no signal sent, no setting changed, no errors line).
And the ones that follow what changes: tail -f and tail -F on errors; find -newer,
make and stat on settings and documents."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

LIMIT = 30  # seconds: generous on a busy machine; each takes well under one here
BOUND = 64 << 20  # bytes any whole-tree copy may write


def snapshot(m):
    """What a tool must not change: records and handler counts, errors, the
    settings and documents the daemon keeps."""
    keep = {}
    for parts in (("logging", "stats"), ("errors",), ("logging", "config"), ("time", "tz"),
                  ("logging", "disable"), ("logging", "raise_exceptions"),
                  ("os", "environ.json"), ("logging", "loggers", "root", "level")):
        keep["/".join(parts)] = m.read(*parts)
    return keep


def tool(argv, cwd, **kw):
    start = time.monotonic()
    r = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=LIMIT,
                       stdin=subprocess.DEVNULL, **kw)
    return r, time.monotonic() - start


@pytest.fixture
def pattern_file(tmp_path):
    # grep's pattern from a file: on its command line (os/self/cmdline) it would match
    p = tmp_path / "pattern"
    p.write_text("no such text anywhere 1f0c9e\n")
    return str(p)


WHOLE_TREE = [
    ("grep -r", lambda m, t, pf: ["grep", "-r", "-f", pf, "."], 1),
    ("grep -rl", lambda m, t, pf: ["grep", "-rl", "-e", "a", "."], 0),
    ("cp -r", lambda m, t, pf: ["cp", "-r", ".", str(t / "copy")], 0),
    ("tar c", lambda m, t, pf: ["tar", "cf", str(t / "all.tar"), "."], 0),
    ("du -a", lambda m, t, pf: ["du", "-a", "."], 0),
    ("find -exec cat", lambda m, t, pf: ["find", ".", "-type", "f", "-exec", "cat", "{}", "+"], 0),
    ("rsync -a --dry-run", lambda m, t, pf: ["rsync", "-a", "--dry-run", "./", str(t / "rs")], 0),
    ("md5sum", lambda m, t, pf: ["sh", "-c", "find . -type f -print0 | xargs -0 md5sum"], 0),
]


@pytest.mark.parametrize("options", [(), ("-o", "ffi")], ids=["plain", "ffi"])
def test_whole_tree_tools(make_mount, tmp_path, pattern_file, sleeper, options):
    m = make_mount(*options)
    if options:
        assert os.path.isdir(m.p("ffi"))
    # something to record and to signal, so that a change would show
    os.mkdir(m.p("logging", "loggers", "app"))
    before = snapshot(m)
    for name, argv, want in WHOLE_TREE:
        r, took = tool(argv(m, tmp_path, pattern_file), m.path)
        assert r.returncode == want, f"{name}: {r.returncode}\n{r.stderr.decode()[-2000:]}"
        assert r.stderr == b"", f"{name}: {r.stderr.decode()[-2000:]}"
        assert took < LIMIT and len(r.stdout) < BOUND, name
        assert snapshot(m) == before, name
    assert sleeper.poll() is None  # no signal went anywhere
    written = sum(os.path.getsize(os.path.join(d, f))
                  for d, _, fs in os.walk(tmp_path / "copy") for f in fs)
    assert 0 < written < BOUND
    assert os.path.getsize(tmp_path / "all.tar") < BOUND
    assert m.unmount() == 0
    m.check_output()


def test_probes_and_recursive_reads_leave_no_errors_line(fresh, tmp_path, pattern_file):
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(fresh.path), HOME=str(tmp_path))
    for sub in ("", "errno/strerror", "os/urandom", "logging/loggers/root"):
        cwd = fresh.p(*sub.split("/")) if sub else fresh.path
        subprocess.run(["git", "status"], cwd=cwd, env=env, capture_output=True, timeout=LIMIT)
        # what a pyenv shim and direnv look for, from here up
        for probe in (".python-version", ".envrc", ".tool-versions", "HEAD", "objects", "refs"):
            assert not os.path.exists(os.path.join(cwd, probe))
        subprocess.run(["bash", "--norc", "-c", "compgen -f; compgen -f e; compgen -d l; compgen -f .g"],
                       cwd=cwd, capture_output=True, timeout=LIMIT)
    r, _ = tool(["ls", "-R", "-l", "."], fresh.path)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    r, _ = tool(["grep", "-r", "-f", pattern_file, "."], fresh.path)
    assert r.returncode == 1 and r.stderr == b"", r.stderr
    for name in (".level.swp", ".#level"):  # an editor's swap file and lock
        with pytest.raises(PermissionError):
            open(fresh.p("logging", "loggers", "root", name), "x")
    assert fresh.errors() == []
    # what a user typed that is malformed still gets its line
    with pytest.raises(OSError):
        open(fresh.p("os", "urandom", "99999999999"))
    assert len(fresh.errors()) == 1


def test_unanswerable_nodes_are_not_listed_but_answer(fresh):
    # No terminal here: os/self/terminal_size refuses, so it is not listed; named,
    # it answers as Python's os.get_terminal_size() does.
    r = subprocess.run(["ls", fresh.p("os", "self")], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, start_new_session=True)
    assert "terminal_size" not in r.stdout.split() and "pid" in r.stdout.split()
    r = subprocess.run(["cat", fresh.p("os", "self", "terminal_size")], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    assert r.returncode == 1 and "Inappropriate ioctl for device" in r.stderr
    assert "os/self/terminal_size ENOTTY" in fresh.errors()[-1]  # asked by name: a line
    assert "altsep" not in os.listdir(fresh.p("os"))
    with pytest.raises(OSError):
        fresh.read("os", "altsep")


def test_names_that_are_no_file_names_are_not_listed(fresh):
    """dictConfig takes any string as a logger or handler name; one that no file can
    be named ('a/b', '..', '', 300 bytes) is left out of the listing, which works."""
    odd = ["a/b", ".", "..", "", "x" * 300]
    doc = {"version": 1, "loggers": {name: {"level": "INFO"} for name in odd + ["ok"]},
           "handlers": {name: {"class": "logging.NullHandler"} for name in odd + ["h"]}}
    fresh.write("logging/config", json.dumps(doc))
    assert sorted(os.listdir(fresh.p("logging", "loggers"))) == ["ok", "root"]
    assert os.listdir(fresh.p("logging", "handlers")) == ["h"]
    for argv in (["ls", "-laR"], ["find"], ["grep", "-r", "zzz"], ["du", "-a"]):
        r = subprocess.run(argv + [fresh.p("logging")], capture_output=True, text=True)
        assert r.returncode == (1 if argv[0] == "grep" else 0) and not r.stderr, (argv, r.stderr)


def follow(m, argv, refusals):
    """Runs tail (argv) on errors, makes the refusals one by one, and returns what
    tail printed."""
    out = open(os.path.join(os.path.dirname(m.path), "tail.out"), "w+")
    t = subprocess.Popen(argv + [m.p("errors")], stdout=out, stderr=subprocess.STDOUT)
    try:
        time.sleep(0.5)
        for path in refusals:
            with pytest.raises(OSError):
                open(m.p(*path.split("/")))
            time.sleep(0.4)
        deadline = time.monotonic() + 10  # tail polls each second
        while time.monotonic() < deadline:
            out.seek(0)
            text = out.read()
            if refusals[-1] in text:
                break
            time.sleep(0.1)
        time.sleep(1.2)  # and nothing more comes
        out.seek(0)
        return out.read()
    finally:
        t.send_signal(signal.SIGTERM)
        t.wait()
        out.close()


@pytest.mark.parametrize("how", ["-f", "-F"])
def test_tail_follows_errors(fresh, how):
    with pytest.raises(OSError):
        open(fresh.p("os", "urandom", "99999999990"))
    new = [f"os/urandom/{99999999991 + i}" for i in range(4)]
    text = follow(fresh, ["tail", how], new)
    lines = text.splitlines()
    assert "truncated" not in text and "replaced" not in text, text
    names = [line.split()[2] for line in lines]
    assert names == ["os/urandom/99999999990"] + new, text  # each once, in order


def test_tail_follows_errors_past_the_ring(fresh):
    # more lines than errors keeps: the file's offsets keep growing, and what it
    # dropped is skipped
    for i in range(600):
        with pytest.raises(OSError):
            open(fresh.p("os", "urandom", f"{10**10 + i}"))
    st = os.stat(fresh.p("errors"))
    held = fresh.read("errors")
    assert len(held.splitlines()) == 512
    assert st.st_size > len(held.encode())  # every byte ever logged
    with open(fresh.p("errors"), "rb") as f:  # a read from the start: what is held
        assert f.read(100) + f.read() == held.encode()
    with open(fresh.p("errors"), "rb") as f:  # a read at the end's offsets: the end
        f.seek(st.st_size - 200)
        assert held.encode().endswith(f.read())
    new = [f"os/urandom/{2 * 10**10 + i}" for i in range(3)]
    text = follow(fresh, ["tail", "-n", "2", "-f"], new)
    names = [line.split()[2] for line in text.splitlines()]
    assert names == [f"os/urandom/{10**10 + 598}", f"os/urandom/{10**10 + 599}"] + new, text


def test_errors_grows_and_never_shrinks(fresh):
    a = os.stat(fresh.p("errors"))
    with pytest.raises(OSError):
        open(fresh.p("os", "urandom", "99999999999"))
    b = os.stat(fresh.p("errors"))
    assert b.st_size == a.st_size + len(fresh.read("errors").encode())
    assert b.st_mtime_ns > a.st_mtime_ns
    assert b.st_blocks * 512 >= b.st_size  # not taken for a sparse file


def stat_y(path):
    return int(subprocess.run(["stat", "-c", "%Y", path], capture_output=True, text=True,
                              check=True).stdout)


def test_settings_and_documents_carry_their_change_time(fresh, tmp_path):
    stamp = tmp_path / "stamp"
    stamp.touch()
    time.sleep(1.1)
    assert subprocess.run(["find", fresh.p("time"), fresh.p("logging"), "-newer", str(stamp)],
                          capture_output=True, text=True).stdout == ""
    subprocess.run(["sh", "-c", f"echo Asia/Tokyo > '{fresh.p('time', 'tz')}'"], check=True)
    newer = subprocess.run(["find", fresh.p("time"), fresh.p("logging"), "-newer", str(stamp)],
                           capture_output=True, text=True).stdout.split()
    assert newer == [fresh.p("time", "tz")]  # time's only; logging did not change
    assert stat_y(fresh.p("time", "tz")) >= int(os.stat(stamp).st_mtime) + 1
    config = tmp_path / "config.json"
    config.write_text('{"version": 1, "root": {"level": "INFO"}}\n')
    subprocess.run(["sh", "-c", f"cat '{config}' > '{fresh.p('logging', 'config')}'"], check=True)
    newer = subprocess.run(["find", fresh.p("logging"), "-newer", str(stamp)],
                           capture_output=True, text=True).stdout.split()
    assert fresh.p("logging", "config") in newer
    assert fresh.p("logging", "loggers", "root", "level") in newer  # it changed with it
    st = os.stat(fresh.p("logging", "config"))
    assert st.st_mtime_ns == st.st_ctime_ns
    assert os.stat(fresh.p("errno", "ENOENT")).st_mtime < os.stat(stamp).st_mtime  # values: the mount's


def test_environ_views_carry_their_change_time(fresh, tmp_path):
    """Setting, adding or removing a variable changes os/environ/ (its listing) and
    os/environ.json with it: find -newer and make see them."""
    stamp = tmp_path / "stamp"
    stamp.touch()
    time.sleep(1.1)
    views = [fresh.p("os", "environ"), fresh.p("os", "environ.json")]
    for change in (f"echo v > '{fresh.p('os', 'environ', 'OSFS_T')}'",
                   f"rm '{fresh.p('os', 'environ', 'OSFS_T')}'"):
        assert subprocess.run(["find", *views, "-maxdepth", "0", "-newer", str(stamp)],
                              capture_output=True, text=True).stdout == ""
        subprocess.run(["sh", "-c", change], check=True)
        newer = subprocess.run(["find", *views, "-maxdepth", "0", "-newer", str(stamp)],
                               capture_output=True, text=True).stdout.split()
        assert newer == views, change
        time.sleep(1.1)
        stamp.touch()
        time.sleep(1.1)


def test_make_sees_a_changed_setting(fresh, tmp_path):
    (tmp_path / "Makefile").write_text(
        f"out: {fresh.p('time', 'tz')} {fresh.p('logging', 'config')}\n"
        f"\tcat {fresh.p('time', 'tz')} > out\n")

    def make():
        return subprocess.run(["make", "-C", str(tmp_path)], capture_output=True, text=True).stdout

    assert "cat " in make()
    assert "up to date" in make()
    time.sleep(1.1)  # make compares whole seconds on some file systems
    with open(fresh.p("time", "tz"), "w") as f:
        f.write("Europe/Paris\n")
    assert "cat " in make()
    assert (tmp_path / "out").read_text() == "Europe/Paris\n"
    assert "up to date" in make()
    time.sleep(1.1)
    os.mkdir(fresh.p("logging", "loggers", "db"))  # logging changed: config with it
    assert "cat " in make()


@pytest.mark.parametrize("how", [
    "printf '{{not json' > {doc}",  # a builtin: refused in its write()
    "cat {bad} > {doc}",  # refused when it closes
    "printf '%s' '{{\"version\": 1' | cat > {doc}",  # cut short: refused when it closes
    "python3 -c 'f = open(\"{doc}\", \"w\"); f.write(\"{{\\\"version\\\": 1\"); f.close()'",
])
def test_a_refused_document_fails_the_shell(fresh, tmp_path, how):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "root": {"level": "LOUD"}}')
    before = fresh.read("logging", "config")
    cmd = how.format(doc=fresh.p("logging", "config"), bad=bad)
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert r.returncode != 0, (cmd, r.stderr)
    assert fresh.read("logging", "config") == before
    assert "logging/config EINVAL" in fresh.errors()[-1]


def test_an_ini_document_refused_at_close_fails_the_close(fresh, tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text("[loggers]\nkeys=root\n")
    r = subprocess.run(["bash", "-c", f"cat '{bad}' > '{fresh.p('logging', 'fileconfig')}'"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "Invalid argument" in r.stderr


def test_a_document_written_in_pieces_is_applied_at_the_last_close(fresh, tmp_path):
    # A child that inherits the descriptor, and builtins writing through >&3, do not
    # apply it early: the shell's own last close does.
    ini = ["[loggers]", "keys=root", "[handlers]", "keys=", "[formatters]", "keys=",
           "[logger_root]", "level=ERROR", "handlers="]
    script = (f"exec 3> '{fresh.p('logging', 'fileconfig')}'\n" +
              "".join(f"echo '{line}' >&3; /bin/true\n" for line in ini) +
              "exec 3>&-\n")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert fresh.read("logging", "loggers", "root", "level") == "ERROR\n"
    assert fresh.errors() == []


def test_links_list_no_attributes(osfs):
    link = osfs.p("os", "self", "cwd")
    assert os.listxattr(link, follow_symlinks=False) == []
    r = subprocess.run(["getfattr", "-h", "-d", link], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "" and r.stdout == ""
    assert "user.osfs.doc" in subprocess.run(["getfattr", "-d", osfs.p("version")],
                                             capture_output=True, text=True).stdout


def test_sighup_failure_says_why(make_mount, tmp_path):
    cfg = tmp_path / "logging.json"
    cfg.write_text('{"version": 1, "root": {"level": "INFO"}}')
    m = make_mount("-o", f"logging_config={cfg}")
    cfg.write_text('{"version": 1, "root": {"level": "LOUD"}}')
    # the same message a write of it to logging/config gives
    with pytest.raises(OSError):
        with open(m.p("logging", "config"), "w") as f:
            f.write(cfg.read_text())
    why = m.errors()[-1].split("EINVAL: ", 1)[1]
    m.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while not [l for l in m.errors() if "(SIGHUP)" in l] and time.monotonic() < deadline:
        time.sleep(0.02)
    lines = [l for l in m.errors() if "(SIGHUP)" in l]
    assert len(lines) == 1, m.errors()
    assert " (SIGHUP) EINVAL: " in lines[0] and lines[0].endswith(f"{cfg}: {why}"), lines[0]
    assert f"osfs: SIGHUP: {cfg}: {why}; the configuration is unchanged" in m.output()
    assert m.read("logging", "loggers", "root", "level") == "INFO\n"
    assert m.unmount() == 0


def test_missing_state_directory_is_made(make_mount, tmp_path):
    state = tmp_path / "new" / "deeper" / "state.json"
    m = make_mount("-o", f"state={state}")
    with open(m.p("time", "tz"), "w") as f:
        f.write("UTC\n")
    assert m.unmount() == 0
    assert '"UTC"' in state.read_text()
    assert os.stat(state.parent).st_mode & 0o777 == 0o700
    assert os.stat(state.parent.parent).st_mode & 0o777 == 0o700
