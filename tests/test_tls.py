"""SMTPHandler's STARTTLS and HTTPHandler's https against real TLS peers on
loopback: a CA, server and client certificates made by the test; Python's ssl
with http.server, and aiosmtpd with STARTTLS and AUTH.  What osfs sends is
compared with what Python's own handler sends to the same server; the server's
certificate is verified unless the handler says not to, and each way that
fails (unknown CA, another name, expired) is an errors line naming it -- and
Python's default context rejects the same certificates."""
import base64
import datetime
import email
import email.policy
import http.server
import json
import logging
import logging.handlers
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PASSWORD = "s3cret pässword"  # HTTPHandler sends it as UTF-8
SMTP_PASSWORD = "s3cret pass:word"  # smtplib only as ASCII


# ---- the certificates ----

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _issue(ca_key, ca_cert, cn, sans=(), days=(-1, 30), client=False):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(_name(cn))
         .issuer_name(ca_cert.subject if ca_cert else _name(cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1])))
    if ca_cert is None:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                            critical=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage(
            [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH if client
             else x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    cert = b.sign(ca_key or key, hashes.SHA256())
    return key, cert


class PKI:
    """Files: ca.pem; for each of server, wrongname, expired, client: NAME.pem and
    NAME.key; client-combined.pem (certificate and key in one file)."""

    def __init__(self, d):
        self.dir = d
        ca_key, ca = _issue(None, None, "osfs test CA", days=(-2, 60))
        self.ca = str(d / "ca.pem")
        (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        ip = x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))
        for name, sans, days, client in [
                ("server", [ip, x509.DNSName("localhost")], (-1, 30), False),
                ("wrongname", [x509.DNSName("wrong.example")], (-1, 30), False),
                ("expired", [ip], (-20, -10), False),
                ("client", [x509.DNSName("client.example")], (-1, 30), True)]:
            key, cert = _issue(ca_key, ca, f"osfs {name}", [ip] if False else sans, days, client)
            _write_key(d / f"{name}.key", key)
            (d / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        other_key, other = _issue(None, None, "another CA", days=(-2, 60))
        self.other_ca = str(d / "other-ca.pem")  # trusts nothing the servers show
        (d / "other-ca.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))
        (d / "client-combined.pem").write_bytes((d / "client.pem").read_bytes() +
                                                (d / "client.key").read_bytes())
        os.mkdir(d / "capath")  # a c_rehash directory: HASH.0 -> the CA
        import subprocess
        h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", self.ca], check=True,
                           capture_output=True, text=True).stdout.strip()
        os.symlink(self.ca, d / "capath" / f"{h}.0")
        self.capath = str(d / "capath")

    def cert(self, name):
        return str(self.dir / f"{name}.pem"), str(self.dir / f"{name}.key")

    def server_context(self, name="server", want_client=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.cert(name))
        if want_client:
            ctx.verify_mode = ssl.CERT_REQUIRED if want_client == "required" else ssl.CERT_OPTIONAL
            ctx.load_verify_locations(self.ca)
        return ctx


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return PKI(tmp_path_factory.mktemp("pki"))


def configure(m, handler):
    os.makedirs(m.p("logging", "loggers", "app"), exist_ok=True)
    with open(m.p("logging", "config"), "w") as f:
        json.dump({"version": 1, "formatters": {"f": {"format": "%(levelname)s %(message)s"}},
                   "handlers": {"h": dict(handler, formatter="f")},
                   "loggers": {"app": {"level": "DEBUG", "handlers": ["h"]}}}, f)


def log(m, text="disk full", level="error"):
    with open(m.p("logging", "loggers", "app", level), "w") as f:
        f.write(text + "\n")


def wait_for(cond, timeout=5.0):
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.02)
    return cond()


def no_secret_anywhere(m):
    seen = m.read("errors") + m.read("logging", "stats") + m.read("logging", "config") + \
        m.read("logging", "handlers", "h", "config")
    for secret in (PASSWORD, SMTP_PASSWORD):
        assert secret not in seen
        assert base64.b64encode(secret.encode()).decode() not in seen


# ---- HTTPS ----

class Requests(http.server.BaseHTTPRequestHandler):
    def _take(self, body):
        peer = self.connection.getpeercert()
        self.server.seen.append({"method": self.command, "path": self.path, "body": body,
                                 "headers": dict(self.headers),
                                 "peer": dict(x[0] for x in peer["subject"]) if peer else None})
        self.send_response(200)
        self.end_headers()

    def do_GET(self):
        self._take(b"")

    def do_POST(self):
        self._take(self.rfile.read(int(self.headers["Content-Length"])))

    def log_message(self, *args):
        pass


class TLSServer(http.server.ThreadingHTTPServer):
    """The handshake in the request's thread: one that fails stops nothing else."""

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.refused += 1
            return
        super().finish_request(request, client_address)


@pytest.fixture
def https(pki):
    servers = []

    def start(cert="server", want_client=False):
        s = TLSServer(("127.0.0.1", 0), Requests)
        s.context, s.seen, s.refused = pki.server_context(cert, want_client), [], 0
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def http_handler(port, method="GET", **kw):
    return dict({"class": "logging.handlers.HTTPHandler", "host": f"127.0.0.1:{port}",
                 "url": "/log?x=1", "method": method, "secure": True,
                 "credentials": ["user", PASSWORD]}, **kw)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_https_like_pythons(fresh, pki, https, method):
    """osfs's request over TLS, then Python's HTTPHandler sending the record osfs
    sent (its fields, as makeLogRecord takes them): Authorization and body (or
    query) byte for byte."""
    s = https()
    port = s.server_address[1]
    configure(fresh, http_handler(port, method, **{".": {"tls_cafile": pki.ca}}))
    log(fresh, "disk fülL & more")
    assert wait_for(lambda: len(s.seen) == 1), fresh.errors()
    ours = s.seen[0]
    data = ours["body"].decode() if method == "POST" else ours["path"].split("&", 1)[1]
    fields = dict(urllib.parse.parse_qsl(data, keep_blank_values=True))
    assert fields["msg"] == "disk fülL & more" and fields["levelname"] == "ERROR"
    fields.pop("taskName")  # 3.12's; this Python's records have none
    py = logging.handlers.HTTPHandler(f"127.0.0.1:{port}", "/log?x=1", method=method, secure=True,
                                      credentials=("user", PASSWORD),
                                      context=ssl.create_default_context(cafile=pki.ca))
    errors = []
    py.handleError = lambda record: errors.append(repr(__import__("sys").exc_info()[1]))
    py.handle(logging.makeLogRecord(fields))
    assert not errors
    assert len(s.seen) == 2
    theirs = s.seen[1]
    assert ours["headers"]["Authorization"] == theirs["headers"]["Authorization"]
    assert base64.b64decode(ours["headers"]["Authorization"].split()[1]) == \
        f"user:{PASSWORD}".encode()
    without_task = re.sub(r"&taskName=[^&]*", "", data)
    if method == "POST":
        assert ours["headers"]["Content-Type"] == theirs["headers"]["Content-type"]
        assert without_task.encode() == theirs["body"]
    else:
        assert "/log?x=1&" + without_task == theirs["path"]
    no_secret_anywhere(fresh)


def test_https_credentials_grid(fresh, pki, https):
    """Random user names and passwords (a fixed seed): colons, spaces, any Unicode;
    the Authorization header Python's handler sends, byte for byte."""
    import random
    rng = random.Random(20261129)
    alphabet = "abcXYZ019 :@%+&=/é中😀\"'"
    s = https()
    port = s.server_address[1]
    ctx = ssl.create_default_context(cafile=pki.ca)
    for i in range(12):
        user = "".join(rng.choice(alphabet) for _ in range(rng.randint(0 if i else 1, 8)))
        password = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        before = len(s.seen)
        configure(fresh, dict(http_handler(port, credentials=[user, password]),
                              **{".": {"tls_cafile": pki.ca}}))
        log(fresh, f"case {i}")
        py = logging.handlers.HTTPHandler(f"127.0.0.1:{port}", "/log", secure=True,
                                          credentials=(user, password), context=ctx)
        py.handle(logging.makeLogRecord({"msg": f"case {i}"}))
        assert wait_for(lambda: len(s.seen) == before + 2), (i, fresh.errors()[-1:])
        ours, theirs = s.seen[before:]
        assert ours["headers"]["Authorization"] == theirs["headers"]["Authorization"], (user, password)


def test_https_client_certificate(fresh, pki, https):
    """tls_certfile and tls_keyfile: the certificate Python's context gives with
    load_cert_chain; none given, the server that requires one gets nothing."""
    s = https(want_client="required")
    port = s.server_address[1]
    cert, key = pki.cert("client")
    ctx = ssl.create_default_context(cafile=pki.ca)
    ctx.load_cert_chain(cert, key)
    py = logging.handlers.HTTPHandler(f"127.0.0.1:{port}", "/log", secure=True, context=ctx)
    py.handle(logging.makeLogRecord({"msg": "python's"}))
    assert len(s.seen) == 1
    configure(fresh, http_handler(port, **{".": {"tls_cafile": pki.ca, "tls_certfile": cert,
                                                   "tls_keyfile": key}}))
    log(fresh, "ours")
    assert wait_for(lambda: len(s.seen) == 2), fresh.errors()
    assert s.seen[0]["peer"] == s.seen[1]["peer"] == {"commonName": "osfs client"}
    configure(fresh, http_handler(port, **{".": {"tls_cafile": pki.ca}}))
    log(fresh, "no certificate")
    last = fresh.errors()[-1]
    assert f"logging/handlers/h ECONNREFUSED: HTTP to https://127.0.0.1:{port}/log?x=1: " in last
    assert len(s.seen) == 2
    with pytest.raises(OSError):
        configure(fresh, http_handler(port, **{".": {"tls_keyfile": key}}))
    assert "tls_keyfile: ValueError: certfile must be specified" in fresh.errors()[-1]


def python_verifies(pki, port, cafile):
    """What Python's default https context says of the server: None, or the reason."""
    ctx = ssl.create_default_context(cafile=cafile)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                return None
    except ssl.SSLCertVerificationError as e:
        return e.verify_message


FAILURES = [  # the server's certificate, the CA osfs is given, the reason osfs names
    ("server", None, "unable to get local issuer certificate"),
    ("wrongname", "ca", "no alternative certificate subject name matches target host name"),
    ("expired", "ca", "certificate has expired"),
]


@pytest.mark.parametrize("cert,ca,reason", FAILURES)
def test_https_verify_failures(fresh, pki, https, cert, ca, reason):
    s = https(cert)
    port = s.server_address[1]
    cafile = pki.ca if ca else None
    assert python_verifies(pki, port, cafile) is not None  # Python refuses it too
    configure(fresh, http_handler(port, **({".": {"tls_cafile": cafile}} if cafile else {})))
    log(fresh)
    last = fresh.errors()[-1]
    assert f"logging/handlers/h EPROTO: HTTP to https://127.0.0.1:{port}/log?x=1: " in last, last
    assert reason in last, last
    assert s.seen == []
    assert "handler_errors=1" in fresh.read("logging", "stats").splitlines()
    no_secret_anywhere(fresh)


def test_https_verify_off_and_capath(fresh, pki, https):
    """tls_verify false: sent to a server no CA vouches for (what an unverified
    context does); tls_capath: a hashed directory of CAs, as load_verify_locations."""
    s = https("wrongname")
    port = s.server_address[1]
    configure(fresh, http_handler(port, **{".": {"tls_verify": False}}))
    log(fresh, "unverified")
    assert wait_for(lambda: len(s.seen) == 1), fresh.errors()
    t = https("server")
    port = t.server_address[1]
    configure(fresh, http_handler(port, **{".": {"tls_capath": pki.capath}}))
    log(fresh, "by capath")
    assert wait_for(lambda: len(t.seen) == 1), fresh.errors()
    assert "msg=by+capath" in t.seen[0]["path"]
    # the attributes read back in the handler's config, under '.' as given
    got = json.loads(fresh.read("logging", "handlers", "h", "config"))
    assert got["."] == {"tls_capath": pki.capath}
    assert got["credentials"] == ["user", "<redacted>"]
    assert "." not in os.listdir(fresh.p("logging", "handlers", "h"))  # no file named "."


def test_tls_files_refused_when_unreadable(fresh, pki, https):
    port = https().server_address[1]
    missing = str(pki.dir / "nowhere.pem")
    with pytest.raises(OSError):
        configure(fresh, http_handler(port, **{".": {"tls_cafile": missing}}))
    assert f"tls_cafile: cannot read '{missing}': No such file or directory" in fresh.errors()[-1]
    with pytest.raises(OSError):
        configure(fresh, http_handler(port, **{".": {"tls_verify": "yes", "tls_cafile": 3}}))
    assert "tls_cafile must be a str" in fresh.errors()[-1]


@pytest.mark.parametrize("option", ["tls_cafile", "tls_capath"])
def test_mount_wide_trust(make_mount, pki, https, option):
    """-o tls_cafile / tls_capath: the trust of every handler that names none; a
    handler's own tls_cafile replaces it."""
    s = https()
    m = make_mount("-o", f"{option}={pki.ca if option == 'tls_cafile' else pki.capath}")
    try:
        configure(m, http_handler(s.server_address[1]))
        log(m, "mount trust")
        assert wait_for(lambda: len(s.seen) == 1), m.errors()
        configure(m, http_handler(s.server_address[1], **{".": {"tls_cafile": pki.other_ca}}))
        log(m, "the handler's own")
        assert "unable to get local issuer certificate" in m.errors()[-1]
        assert "tls_cafile names a CA" not in m.errors()[-1]
        assert len(s.seen) == 1
    finally:
        assert m.unmount() == 0
    m.check_output()


def test_tls_attributes_kept_in_state(make_mount, pki, https, tmp_path):
    """The '.' attributes are part of the configuration the state file keeps."""
    s = https()
    state = tmp_path / "state.json"
    m = make_mount("-o", f"state={state}")
    try:
        configure(m, http_handler(s.server_address[1], **{".": {"tls_cafile": pki.ca}}))
    finally:
        assert m.unmount() == 0
    assert json.loads(state.read_text())["logging"]["handlers"]["h"]["."] == {"tls_cafile": pki.ca}
    m = make_mount("-o", f"state={state}")
    try:
        log(m, "after restart")
        assert wait_for(lambda: len(s.seen) == 1), m.errors()
    finally:
        assert m.unmount() == 0
    m.check_output()


def test_client_certificate_required(fresh, pki, smtpd):
    """A server that wants a client certificate and gets none: no mail, an errors line."""
    port, keep = smtpd(want_client="required")
    configure(fresh, smtp_handler(port, [], **{".": {"tls_cafile": pki.ca}}))
    log(fresh)
    last = fresh.errors()[-1]
    # TLS 1.3 says so after the handshake: libcurl sees the connection end
    assert f"logging/handlers/h ECONNREFUSED: mail to smtp://127.0.0.1:{port}/" in last, last
    assert keep.got == []
    configure(fresh, smtp_handler(port, [pki.cert("client")[1], pki.cert("client")[0]],
                                  **{".": {"tls_cafile": pki.ca}}))
    log(fresh)
    assert wait_for(lambda: len(keep.got) == 1), fresh.errors()
    assert keep.got[0]["peer"] == {"commonName": "osfs client"}


def test_https_context(fresh, pki, https):
    """context: None is Python's default (taken); an SSLContext cannot be in a
    document (refused, naming what stands for it); with secure false, Python's
    ValueError -- each as Python's HTTPHandler says it."""
    s = https()
    port = s.server_address[1]
    configure(fresh, http_handler(port, context=None, **{".": {"tls_cafile": pki.ca}}))
    log(fresh, "context None")
    assert wait_for(lambda: len(s.seen) == 1), fresh.errors()
    with pytest.raises(ValueError) as e:
        logging.handlers.HTTPHandler("h", "/", secure=False, context=ssl.create_default_context())
    with pytest.raises(OSError):
        configure(fresh, http_handler(port, secure=False, context={"cafile": pki.ca}))
    assert f"ValueError: {e.value}" in fresh.errors()[-1]
    with pytest.raises(OSError):
        configure(fresh, http_handler(port, context={"cafile": pki.ca}))
    assert "context: an ssl.SSLContext has no form in a document; the '.' attributes " \
        "tls_cafile" in fresh.errors()[-1]


def test_mount_wide_cafile_unreadable(tmp_path):
    import subprocess
    from conftest import OSFS
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run([OSFS, str(mnt), "-f", "-o", f"tls_cafile={tmp_path}/none.pem"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert f"osfs: tls_cafile: cannot read '{tmp_path}/none.pem': No such file or directory" \
        in r.stderr
    assert not os.path.ismount(mnt)


# ---- SMTP with STARTTLS ----

@pytest.fixture
def smtpd(pki):
    """aiosmtpd with STARTTLS required before AUTH; each session's commands
    (their arguments as the server read them), the client's certificate, the mail."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult

    controllers = []

    class Keep:
        def __init__(self):
            self.got = []

        async def handle_DATA(self, server, session, envelope):
            peer = server.transport.get_extra_info("peercert")
            self.got.append({"log": list(server.transcript), "tls": session.ssl is not None,
                             "peer": dict(x[0] for x in peer["subject"]) if peer else None,
                             "from": envelope.mail_from, "rcpt": list(envelope.rcpt_tos),
                             "options": envelope.mail_options, "content": envelope.original_content,
                             "login": session.auth_data})
            return "250 OK"

    class NoAuth(Keep):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname  # what aiosmtpd does only without this hook
            return [r for r in responses if not r.upper().startswith("250-AUTH")]

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    class Recording(SMTP):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.transcript = []

        async def smtp_EHLO(self, arg):
            self.transcript.append(("EHLO", arg))
            return await super().smtp_EHLO(arg)

        async def smtp_STARTTLS(self, arg):
            self.transcript.append(("STARTTLS", arg))
            return await super().smtp_STARTTLS(arg)

        async def smtp_AUTH(self, arg):
            self.transcript.append(("AUTH", arg))
            return await super().smtp_AUTH(arg)

        async def smtp_MAIL(self, arg):
            self.transcript.append(("MAIL", arg))
            return await super().smtp_MAIL(arg)

    class Controlled(Controller):
        def factory(self):
            return Recording(self.handler, **self.SMTP_kwargs)

    def start(cert="server", want_client=False, exclude=(), no_auth=False):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))  # aiosmtpd checks its own port: it cannot be 0
        port = probe.getsockname()[1]
        probe.close()
        keep = NoAuth() if no_auth else Keep()
        c = Controlled(keep, hostname="127.0.0.1", port=port,
                       tls_context=pki.server_context(cert, want_client), require_starttls=True,
                       authenticator=check, auth_require_tls=True,
                       auth_exclude_mechanism=list(exclude))
        c.start()
        controllers.append(c)
        return port, keep

    yield start
    for c in controllers:
        c.stop()


def smtp_handler(port, secure, **kw):
    return dict({"class": "logging.handlers.SMTPHandler", "mailhost": ["127.0.0.1", port],
                 "fromaddr": "osfs@example.org", "toaddrs": ["a@example.org", "b@example.org"],
                 "subject": "alert from app", "credentials": ["mailer", SMTP_PASSWORD],
                 "secure": secure}, **kw)


def python_mail(port, secure, text):
    """Python's SMTPHandler, the same record; its handleError's exception, or None."""
    py = logging.handlers.SMTPHandler(("127.0.0.1", port), "osfs@example.org",
                                      ["a@example.org", "b@example.org"], "alert from app",
                                      credentials=("mailer", SMTP_PASSWORD), secure=secure)
    py.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    errors = []
    py.handleError = lambda record: errors.append(__import__("sys").exc_info()[1])
    import warnings
    with warnings.catch_warnings():  # 3.11's starttls(keyfile, certfile) is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        py.handle(logging.makeLogRecord({"msg": text, "levelname": "ERROR", "levelno": 40}))
    return errors[0] if errors else None


def upper_options(log):
    return [(c, re.sub(r"> (.*)", lambda m: "> " + m[1].upper(), a) if c == "MAIL" else a)
            for c, a in log]


def undated(content):
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", content)


SECURES = {  # the secure tuple, as the files are named in the PKI
    "()": lambda pki: (),
    "(keyfile, certfile)": lambda pki: (pki.cert("client")[1], pki.cert("client")[0]),
    "(None, combined)": lambda pki: (None, str(pki.dir / "client-combined.pem")),
}


@pytest.mark.parametrize("secure", list(SECURES))
def test_starttls_like_pythons(fresh, pki, smtpd, secure):
    """EHLO, STARTTLS, EHLO, AUTH PLAIN with its initial response, MAIL: each
    command as Python's sends it, inside TLS, the client's certificate if secure
    names one, and the mail byte for byte but its Date."""
    port, keep = smtpd(want_client=True)
    sec = SECURES[secure](pki)
    assert python_mail(port, sec, "disk fülL") is None
    assert len(keep.got) == 1
    configure(fresh, smtp_handler(port, list(sec), **{".": {"tls_cafile": pki.ca}}))
    log(fresh, "disk fülL")
    assert wait_for(lambda: len(keep.got) == 2), fresh.errors()
    theirs, ours = keep.got
    assert ours["tls"] and theirs["tls"]
    assert [c for c, _ in ours["log"]] == [c for c, _ in theirs["log"]] == \
        ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL"]
    # the EHLO name, AUTH PLAIN <response>, MAIL's SIZE (smtplib writes "size=", libcurl "SIZE=")
    assert upper_options(ours["log"]) == upper_options(theirs["log"])
    assert ours["login"] == theirs["login"]
    want_peer = {"commonName": "osfs client"} if sec else None
    assert ours["peer"] == theirs["peer"] == want_peer
    assert (ours["from"], ours["rcpt"], ours["options"]) == \
        (theirs["from"], theirs["rcpt"], theirs["options"])
    assert undated(ours["content"]) == undated(theirs["content"])
    msg = email.message_from_bytes(ours["content"], policy=email.policy.default)
    assert msg.get_content().rstrip() == "ERROR disk fülL"
    no_secret_anywhere(fresh)


def test_starttls_auth_login(fresh, pki, smtpd):
    """A server that offers AUTH LOGIN only: the user name in the command, as smtplib."""
    port, keep = smtpd(exclude=["PLAIN"])
    assert python_mail(port, (), "x") is None
    configure(fresh, smtp_handler(port, [], **{".": {"tls_cafile": pki.ca}}))
    log(fresh, "x")
    assert wait_for(lambda: len(keep.got) == 2), fresh.errors()
    theirs, ours = keep.got
    assert ("AUTH", "LOGIN " + base64.b64encode(b"mailer").decode()) in theirs["log"]
    assert upper_options(ours["log"]) == upper_options(theirs["log"])
    assert ours["login"] == theirs["login"]


@pytest.mark.parametrize("cert,ca,reason", FAILURES)
def test_starttls_verify_failures(fresh, pki, smtpd, cert, ca, reason):
    """Python's SMTPHandler does not verify (ssl._create_stdlib_context): it
    sends; osfs refuses, naming why -- and sends with tls_verify false."""
    port, keep = smtpd(cert)
    assert python_mail(port, (), "python's") is None and len(keep.got) == 1
    cafile = pki.ca if ca else None
    configure(fresh, smtp_handler(port, [], **({".": {"tls_cafile": cafile}} if cafile else {})))
    log(fresh)
    last = fresh.errors()[-1]
    assert f"logging/handlers/h EPROTO: mail to smtp://127.0.0.1:{port}/" in last, last
    assert reason in last, last
    assert len(keep.got) == 1
    no_secret_anywhere(fresh)
    configure(fresh, smtp_handler(port, [], **{".": {"tls_verify": False}}))
    log(fresh, "unverified")
    assert wait_for(lambda: len(keep.got) == 2), fresh.errors()
    assert keep.got[1]["tls"]


def test_starttls_failures(fresh, pki, smtpd):
    """A wrong password; a server without STARTTLS; secure [keyfile] alone."""
    port, keep = smtpd()
    configure(fresh, smtp_handler(port, [], credentials=["mailer", "wrong"],
                                  **{".": {"tls_cafile": pki.ca}}))
    log(fresh)
    last = fresh.errors()[-1]
    assert "logging/handlers/h EACCES: mail to smtp://" in last and "authentication failed" in last, last
    assert "wrong" not in last
    # [keyfile] alone: ssl's ValueError, at every record in Python; refused here
    key = pki.cert("client")[1]
    err = python_mail(port, (key,), "x")
    assert isinstance(err, ValueError) and str(err) == "certfile must be specified"
    with pytest.raises(OSError):
        configure(fresh, smtp_handler(port, [key]))
    assert "secure: ValueError: certfile must be specified" in fresh.errors()[-1]
    # secure as Python indexes it: True is not subscriptable; "" is () (IndexError: None)
    assert isinstance(python_mail(port, True, "x"), TypeError)
    with pytest.raises(OSError):
        configure(fresh, smtp_handler(port, True))
    assert "secure: TypeError: 'bool' object is not subscriptable" in fresh.errors()[-1]
    assert python_mail(port, "", "x") is None and len(keep.got) == 1
    configure(fresh, smtp_handler(port, "", **{".": {"tls_cafile": pki.ca}}))
    log(fresh, "x")
    assert wait_for(lambda: len(keep.got) == 2), fresh.errors()
    assert upper_options(keep.got[0]["log"]) == upper_options(keep.got[1]["log"])
    keep.got.clear()
    # a password that is not ASCII: smtplib's UnicodeEncodeError, refused here
    err = python_mail(port, (), "x")
    assert err is None and len(keep.got) == 1
    keep.got.clear()
    global SMTP_PASSWORD
    ascii_one, SMTP_PASSWORD = SMTP_PASSWORD, "pässword"
    try:
        assert isinstance(python_mail(port, (), "x"), UnicodeEncodeError)
        with pytest.raises(OSError):
            configure(fresh, smtp_handler(port, []))
        last = fresh.errors()[-1]
        assert "credentials: UnicodeEncodeError: smtplib sends the password as ASCII" in last
        assert "pässword" not in last
    finally:
        SMTP_PASSWORD = ascii_one
    assert keep.got == []


def test_auth_not_offered(fresh, pki, smtpd):
    """STARTTLS but no AUTH in the EHLO answer: smtplib.login's SMTPNotSupportedError
    (libcurl alone would send the mail unauthenticated); no mail either way."""
    port, keep = smtpd(no_auth=True)
    err = python_mail(port, (), "x")
    assert type(err).__name__ == "SMTPNotSupportedError"
    assert str(err) == "SMTP AUTH extension not supported by server."
    configure(fresh, smtp_handler(port, [], **{".": {"tls_cafile": pki.ca}}))
    log(fresh)
    last = fresh.errors()[-1]
    assert f"logging/handlers/h EPROTO: mail to smtp://127.0.0.1:{port}/" in last, last
    assert "SMTP AUTH extension not supported by server" in last
    assert keep.got == []


def test_starttls_not_offered(fresh, pki):
    """The server offers no STARTTLS: smtplib's SMTPNotSupportedError, an EPROTO line."""
    from aiosmtpd.controller import Controller

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    c = Controller(Keep(), hostname="127.0.0.1", port=port, auth_require_tls=False)
    c.start()
    try:
        err = python_mail(port, (), "x")
        assert type(err).__name__ == "SMTPNotSupportedError"
        configure(fresh, smtp_handler(port, [], **{".": {"tls_cafile": pki.ca}}))
        log(fresh)
        last = fresh.errors()[-1]
        assert f"logging/handlers/h EPROTO: mail to smtp://127.0.0.1:{port}/" in last, last
    finally:
        c.stop()
