# SPDX-License-Identifier: MIT
"""TLS and basic authentication of the daemon's endpoint (the `web:` block, exporter-toolkit's
web configuration): a self-signed certificate made by openssl in the test, bcrypt hashes made
by libxcrypt; every path protected; 401 with WWW-Authenticate; plain HTTP to the TLS port
fails; `asyncfg status` over https with --ca-file and --user; the warning for an endpoint
beyond loopback without protection."""

import base64
import ctypes
import http.client
import os
import signal
import ssl
import subprocess
import time

import pytest

from conftest import ASYNCFG
from daemonlib import doc, fake, free_port, make_daemon, wait_for  # noqa: F401

PASSWORD = "correct horse battery staple"

_libcrypt = ctypes.CDLL("libcrypt.so.1")
_libcrypt.crypt.restype = ctypes.c_char_p
_libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libcrypt.crypt_gensalt.restype = ctypes.c_char_p
_libcrypt.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p,
                                    ctypes.c_int]


def bcrypt(password, cost=10):
    salt = _libcrypt.crypt_gensalt(b"$2b$", cost, None, 0)
    return _libcrypt.crypt(password.encode(), salt).decode()


@pytest.fixture
def cert(tmp_path):
    crt, key = str(tmp_path / "web.crt"), str(tmp_path / "web.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                    "-out", crt], check=True, capture_output=True)
    return crt, key


def web_block(crt=None, key=None, users=None):
    lines = ["web:\n"]
    if crt:
        lines += [f"  tlsCertFile: {crt}\n", f"  tlsKeyFile: {key}\n"]
    if users:
        lines.append("  basicAuthUsers:\n")
        lines += [f"    {name}: '{h}'\n" for name, h in users.items()]
    return "".join(lines)


def get(port, path, ca=None, auth=None, timeout=10):
    if ca:
        ctx = ssl.create_default_context(cafile=ca)
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(
            f"{auth[0]}:{auth[1]}".encode()).decode()
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, dict(r.getheaders()), body


def status_cli(port, *args, password=None):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("ASYNCFG_PASSWORD", None)
    if password is not None:
        env["ASYNCFG_PASSWORD"] = password
    return subprocess.run([ASYNCFG, "status", "--endpoint", f"https://127.0.0.1:{port}", *args],
                          capture_output=True, text=True, timeout=30, env=env)


def test_tls_and_basic_auth(fake, make_daemon, cert, tmp_path):
    crt, key = cert
    d = make_daemon(extra_config=web_block(crt, key, {"prom": bcrypt(PASSWORD)}))
    fake.create("f1")
    d.write("f1.yaml", doc("f1"))
    d.start()
    assert "over TLS with basic authentication" in d.logtext()
    for path in ("/metrics", "/healthz", "/readyz", "/status"):
        st, headers, _ = get(d.port, path, ca=crt)
        assert st == 401, path  # every path, as exporter-toolkit does
        assert headers["WWW-Authenticate"] == 'Basic realm="asyncfgd"'
    st, _, _ = get(d.port, "/metrics", ca=crt, auth=("prom", "wrong"))
    assert st == 401
    st, _, _ = get(d.port, "/metrics", ca=crt, auth=("nobody", PASSWORD))
    assert st == 401
    st, _, body = get(d.port, "/metrics", ca=crt, auth=("prom", PASSWORD))
    assert st == 200 and b"asyncfg_" in body
    st, _, body = get(d.port, "/healthz", ca=crt, auth=("prom", PASSWORD))
    assert st == 200 and body == b"ok\n"

    # Plain HTTP to the TLS port gets no HTTP answer, and TLS is verified: without the CA the
    # handshake fails.
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        get(d.port, "/healthz", auth=("prom", PASSWORD), timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        c = http.client.HTTPSConnection("127.0.0.1", d.port, timeout=5,
                                        context=ssl.create_default_context())
        c.request("GET", "/healthz")

    # The CLI: https with --ca-file and --user, the password from the environment or a file.
    p = status_cli(d.port, "--ca-file", crt, "--user", "prom", password=PASSWORD)
    assert p.returncode == 0, p.stderr
    assert PASSWORD not in p.stdout + p.stderr
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    p = status_cli(d.port, "--ca-file", crt, "--user", "prom", "--password-file", str(pw))
    assert p.returncode == 0, p.stderr
    p = status_cli(d.port, "--ca-file", crt, "--user", "prom", password="wrong")
    assert p.returncode == 1 and "HTTP 401" in p.stderr
    p = status_cli(d.port, "--ca-file", crt)
    assert p.returncode == 1 and "HTTP 401" in p.stderr
    p = status_cli(d.port, "--user", "prom", password=PASSWORD)  # no CA: not verified
    assert p.returncode == 1 and "cannot reach" in p.stderr
    p = status_cli(d.port, "--ca-file", crt, "--user", "prom")
    assert p.returncode == 1 and "ASYNCFG_PASSWORD" in p.stderr
    # With --config, an endpoint with tlsCertFile is https://.
    p = subprocess.run([ASYNCFG, "status", "--config", d.config, "--ca-file", crt, "--user",
                        "prom"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, ASYNCFG_PASSWORD=PASSWORD))
    assert p.returncode == 0, p.stderr
    assert d.stop() == 0


def test_reload_rereads_the_certificate(fake, make_daemon, cert, tmp_path):
    """A renewed certificate at the same path is served after SIGHUP."""
    crt, key = cert
    d = make_daemon(extra_config=web_block(crt, key))
    d.start()
    assert get(d.port, "/healthz", ca=crt)[0] == 200
    old = str(tmp_path / "old.crt")
    os.rename(crt, old)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                    "-out", crt], check=True, capture_output=True)
    d.signal(signal.SIGHUP)

    def new_served():
        try:
            return get(d.port, "/healthz", ca=crt)[0] == 200
        except (ConnectionError, ssl.SSLError):
            return False
    wait_for(new_served, 10, what="the renewed certificate served")
    with pytest.raises(ssl.SSLCertVerificationError):
        get(d.port, "/healthz", ca=old)
    assert d.stop() == 0


def test_reload_with_a_refused_certificate_keeps_serving(fake, make_daemon, cert, tmp_path):
    """A SIGHUP whose key does not match the certificate (GnuTLS refuses the pair): the error is
    logged and the endpoint in force serves on, on the same port, with what it had; once the
    pair is right again the next SIGHUP serves it. The port is never let go in between."""
    crt, key = cert
    d = make_daemon(extra_config=web_block(crt, key))
    d.start()
    assert get(d.port, "/healthz", ca=crt)[0] == 200
    saved = str(tmp_path / "saved.key")
    os.rename(key, saved)
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-out", key], check=True, capture_output=True)
    d.signal(signal.SIGHUP)
    wait_for(lambda: "the endpoint in force serves on as before" in d.logtext(), 10,
             what="the refused certificate reported")
    for _ in range(3):
        assert get(d.port, "/healthz", ca=crt)[0] == 200

    os.rename(saved, key)
    served = d.logtext().count("Serving /metrics")
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.logtext().count("Serving /metrics") == served + 1, 10,
             what="the endpoint served again after the fix")
    assert get(d.port, "/healthz", ca=crt)[0] == 200
    assert d.stop() == 0


def test_successful_checks_are_cached_and_failures_budgeted(fake, make_daemon):
    """A cost-12 hash takes a few hundred ms to check: ten scrapes with the same header cost
    one check, not ten. Wrong passwords in a burst are answered 429 beyond the budget (four
    checks of cost 10 a second)."""
    slow, ten = bcrypt(PASSWORD, cost=12), bcrypt(PASSWORD, cost=10)
    d = make_daemon(extra_config=web_block(users={"prom": slow, "ten": ten}))
    d.start()
    t0 = time.monotonic()
    assert get(d.port, "/healthz", auth=("prom", PASSWORD))[0] == 200
    first = time.monotonic() - t0
    t0 = time.monotonic()
    for _ in range(10):
        assert get(d.port, "/healthz", auth=("prom", PASSWORD))[0] == 200
    ten = time.monotonic() - t0
    print(f"first (uncached, cost 12): {first:.3f}s, ten cached: {ten:.3f}s")
    assert ten < 10 * first / 3, (first, ten)

    answers = [get(d.port, "/healthz", auth=("ten", f"wrong{i}")) for i in range(12)]
    codes = [a[0] for a in answers]
    assert set(codes) <= {401, 429} and codes.count(429) >= 2, codes
    assert all(a[1].get("Retry-After") == "1" for a in answers if a[0] == 429)
    assert d.stop() == 0


def test_reload_takes_new_users(fake, make_daemon):
    """A SIGHUP with another password hash: the old password is refused from then on (the
    cache of successful checks goes with the old users), the new one is let in."""
    d = make_daemon(extra_config=web_block(users={"prom": bcrypt("old", cost=4)}))
    d.start()
    assert get(d.port, "/healthz", auth=("prom", "old"))[0] == 200
    d.extra_config = web_block(users={"prom": bcrypt("new", cost=4)})
    d.write_config()
    d.signal(signal.SIGHUP)
    def new_accepted():
        try:  # the endpoint is bound anew: refused for a moment
            return get(d.port, "/healthz", auth=("prom", "new"))[0] == 200
        except ConnectionError:
            return False
    wait_for(new_accepted, 10, what="the new password accepted")
    assert get(d.port, "/healthz", auth=("prom", "old"))[0] == 401
    assert d.stop() == 0


def daemon_on(make_daemon, listen, extra=""):
    d = make_daemon(extra_config=extra)
    d.write_config(d.config_text().replace(f"listen: 127.0.0.1:{d.port}", f"listen: {listen}"))
    return d


WARNING = "beyond loopback, without TLS or basic authentication"


def test_warning_beyond_loopback_without_protection(fake, make_daemon):
    # Bound beyond loopback for the few seconds of the test, on a port chosen at run time.
    d = daemon_on(make_daemon, f"0.0.0.0:{free_port()}")
    d.start()
    wait_for(lambda: WARNING in d.logtext(), 5, what="the warning")
    assert d.logtext().count(WARNING) == 1
    d.signal(signal.SIGHUP)  # said again at every reload
    wait_for(lambda: d.logtext().count(WARNING) == 2, 10, what="the warning after SIGHUP")
    assert d.stop() == 0


@pytest.mark.parametrize("listen", ["0.0.0.0", "127.0.0.1"])
def test_no_warning_with_basic_auth_or_on_loopback(fake, make_daemon, listen):
    extra = web_block(users={"prom": bcrypt(PASSWORD, cost=4)}) if listen == "0.0.0.0" else ""
    d = daemon_on(make_daemon, f"{listen}:{free_port()}", extra)
    d.start()
    d.signal(signal.SIGHUP)
    wait_for(lambda: "Reloaded" in d.logtext() or d.ready_count() >= 2, 10, what="reloaded")
    assert WARNING not in d.logtext()
    assert d.stop() == 0


def test_bad_web_config_is_located(fake, make_daemon, tmp_path):
    d = make_daemon(extra_config=web_block(str(tmp_path / "missing.crt"), "/etc/passwd",
                                           {"prom": "plaintext"}))
    p = subprocess.run([ASYNCFG, "validate", "--config", d.config], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1
    assert f"{d.config}:2:16: error: cannot read 'tlsCertFile'" in p.stderr, p.stderr
    assert f"{d.config}:5:11: error: the password of user 'prom' must be a bcrypt hash" in \
        p.stderr, p.stderr
