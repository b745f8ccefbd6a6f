# SPDX-License-Identifier: MIT
"""build/fakecloud as a process: the LISTENING line, the control API over HTTP, a signed
request, injected latency / dropped connections / throttling on the wire, HTTPS, SIGTERM."""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

BUILD = os.environ.get("ASYNCFG_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
FAKE = os.path.join(BUILD, "fakecloud")
AKID, SECRET = "AKIDE2E", "e2e-secret"


def start(*args):
    p = subprocess.Popen([FAKE, "--listen", "127.0.0.1:0", "--aws", f"{AKID}:{SECRET}", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("LISTENING "), (line, p.stderr.read() if p.poll() is not None else "")
    return p, int(line.split()[1])


@pytest.fixture
def fake():
    p, port = start()
    yield port
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0


def control(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=None if body is None else json.dumps(body),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data else None)


def sigv4_headers(port, method, path, body=b""):
    """SigV4 for a plain path without a query (enough for these checks)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = f"127.0.0.1:{port}"
    canonical = "\n".join([method, path, "", f"host:{host}", f"x-amz-date:{amz_date}", "", "host;x-amz-date",
                           hashlib.sha256(body).hexdigest()])
    scope = f"{day}/us-east-1/lambda/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in (day, "us-east-1", "lambda", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return {"Host": host, "X-Amz-Date": amz_date,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders=host;x-amz-date, Signature={sig}"}


def lambda_call(port, method, name, body=b""):
    path = f"/2019-09-25/functions/{name}/event-invoke-config"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body or None, headers=sigv4_headers(port, method, path, body))
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def test_listening_and_signed_roundtrip(fake):
    assert control(fake, "POST", "/_fake/functions", {"provider": "aws", "function": "orders"}) == (201, {"created": 1})
    status, _, data = lambda_call(fake, "PUT", "orders", b'{"MaximumRetryAttempts":2}')
    assert status == 200, data
    status, headers, data = lambda_call(fake, "GET", "orders")
    assert status == 200 and json.loads(data)["MaximumRetryAttempts"] == 2
    assert "x-amzn-RequestId" in headers
    status, configs = control(fake, "GET", "/_fake/configs")
    assert [(c["provider"], c["function"], c["qualifier"]) for c in configs] == [("aws", "orders", "$LATEST")]
    # An unsigned request is refused and counted.
    c = http.client.HTTPConnection("127.0.0.1", fake, timeout=10)
    c.request("GET", "/2019-09-25/functions/orders/event-invoke-config")
    r = c.getresponse()
    assert r.status == 403 and r.getheader("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    r.read()
    _, stats = control(fake, "GET", "/_fake/stats")
    assert stats["requests"] == 3 and stats["signatureRejected"] == 1


def test_latency_throttle_drop_on_the_wire(fake):
    control(fake, "POST", "/_fake/functions", {"provider": "aws", "function": "f"})
    lambda_call(fake, "PUT", "f", b"{}")
    assert control(fake, "POST", "/_fake/faults", {"latencyMs": 300})[0] == 200
    t = time.monotonic()
    assert lambda_call(fake, "GET", "f")[0] == 200
    assert time.monotonic() - t >= 0.28
    control(fake, "POST", "/_fake/faults", {"throttle": 1, "retryAfter": 7})
    status, headers, data = lambda_call(fake, "GET", "f")
    assert status == 429 and headers["Retry-After"] == "7"
    assert json.loads(data)["Reason"] == "CallerRateLimitExceeded"
    control(fake, "POST", "/_fake/faults", {"drop": 1})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        lambda_call(fake, "GET", "f")
    control(fake, "POST", "/_fake/faults", {})
    assert lambda_call(fake, "GET", "f")[0] == 200


def test_request_log_on_the_wire(fake):
    """GET /_fake/log: the end of a delayed answer is when it was sent, a dropped connection is
    status 0, the control API is not logged."""
    control(fake, "POST", "/_fake/functions", {"provider": "aws", "function": "f"})
    control(fake, "POST", "/_fake/faults", {"latencyMs": 200})
    assert lambda_call(fake, "PUT", "f", b"{}")[0] == 200
    control(fake, "POST", "/_fake/faults", {"drop": 1})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        lambda_call(fake, "GET", "f")
    control(fake, "POST", "/_fake/faults", {})
    status, log = control(fake, "GET", "/_fake/log")
    assert status == 200 and log["dropped"] == 0
    put, get = log["entries"]
    assert (put["method"], put["function"], put["qualifier"], put["status"], put["fault"]) == \
        ("PUT", "f", "$LATEST", 200, "latency")
    assert 0.19 <= put["end"] - put["start"] < 5 and abs(put["start"] - time.time()) < 60
    assert put["userAgent"] == ""  # http.client sends none
    assert (get["status"], get["fault"], get["seq"]) == (0, "drop", put["seq"] + 1)
    assert log["next"] == get["seq"]
    assert control(fake, "GET", f"/_fake/log?after={get['seq']}")[1]["entries"] == []
    assert control(fake, "POST", "/_fake/reset")[0] == 200
    assert control(fake, "GET", "/_fake/log")[1]["entries"] == []


def test_control_api_refuses_non_loopback_peers():
    addr = None
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: picks the outgoing interface
            addr = s.getsockname()[0]
    except OSError:
        pass
    if not addr or addr.startswith("127."):
        pytest.skip("no non-loopback IPv4 address")
    p = subprocess.Popen([FAKE, "--listen", "0.0.0.0:0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline().split()[1])
        c = http.client.HTTPConnection(addr, port, timeout=10)
        c.request("GET", "/_fake/stats")
        assert c.getresponse().status == 403
        assert control(port, "GET", "/_fake/stats")[0] == 200
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=10) == 0


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")
def test_https(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    p, port = start("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        import ssl
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        c.request("GET", "/_fake/stats")
        assert c.getresponse().status == 200
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0


def test_help_names_the_defaults():
    out = subprocess.run([FAKE, "--help"], capture_output=True, text=True, check=True).stdout
    for s in ("--listen", "AKIDFAKE", "1234567890123456", "0123456789abcdef0123456789abcdef", "--tls-cert", "--threads"):
        assert s in out


@pytest.mark.parametrize("client", ["raw", "libcurl"])
def test_load_generator(client):
    """build/bench/load-fakecloud, both clients, briefly: signed requests all answered 2xx (the
    benchmark's reference figures rest on it)."""
    p = subprocess.Popen([FAKE, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line.startswith("LISTENING "), line
        r = subprocess.run([os.path.join(BUILD, "bench", "load-fakecloud"), "--port", line.split()[1],
                            "--connections", "8", "--threads", "2", "--duration", "0.5",
                            "--client", client], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (r.stdout, r.stderr)
        head = r.stdout.splitlines()[0]
        assert head.startswith(f"fakecloud: {client} client, 8 connections, 2 threads"), head
        n = int(head.split(": ")[2].split()[0])
        assert n > 0 and "(0 not 2xx)" in head, head
        # --requests: stops once that many have been answered (the in-flight ones still land),
        # long before the duration cap
        r = subprocess.run([os.path.join(BUILD, "bench", "load-fakecloud"), "--port", line.split()[1],
                            "--connections", "8", "--threads", "2", "--duration", "60", "--requests", "300",
                            "--client", client], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (r.stdout, r.stderr)
        head = r.stdout.splitlines()[0]
        n = int(head.split(": ")[2].split()[0])
        assert 300 <= n < 300 + 8 and float(head.split(", ")[2].split()[0]) < 30, head
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0


def test_bench_apply_reports_its_figures():
    """tests/bench/bench-apply on a small fixture: the apply creates every resource and the
    script prints each figure, the CPU per request and the budget included (`make bench` is not
    run by CI; this keeps the script working)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, ASYNCFG_BUILD_DIR=os.path.abspath(BUILD), BENCH_RESOURCES="200", BENCH_CONCURRENCY="8",
               BENCH_SECONDS="0.3")
    r = subprocess.run([os.path.join(root, "tests", "bench", "bench-apply")], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    out = r.stdout
    assert "200 resources, concurrency 8: 400 requests (200 GET, 200 PUT)" in out, out
    figures = {
        "ratio": r"^apply: \d+ req/s; emulator: \d+ req/s; ratio (\d+\.\d+)$",
        "libcurl": r"^  libcurl alone: \d+ req/s, ratio \d+\.\d+; apply reaches (\d+\.\d+) of it$",
        "cpu": r"^  CPU per request: apply (\d+\.\d) us, libcurl alone (\d+\.\d) us, "
               r"raw client (\d+\.\d) us; emulator during the apply (\d+\.\d) us$",
        "budget": r"^  for ratio 0\.5 with every CPU busy, the apply may use at most (-?\d+\.\d) us per request$",
        "parts": r"^  of which libcurl alone takes (\d+\.\d) us and loading the YAML \(asyncfg validate\) (\d+\.\d) us$",
        "median": r"^  ratio of the median round (\d+\.\d\d) \(rounds: (\d+\.\d\d) (\d+\.\d\d) (\d+\.\d\d)\)$",
    }
    for name, pattern in figures.items():
        m = re.search(pattern, out, re.M)
        assert m, (name, out)
        if name == "cpu":  # the emulator's share may round to 0 ticks on 400 requests
            assert all(float(x) > 0 for x in m.groups()[:3]), out
        elif name == "parts":
            assert float(m.group(1)) > 0, out
        elif name == "median":  # three rounds by default, the one in the middle reported
            assert float(m.group(1)) == sorted(map(float, m.groups()[1:]))[1], out
        elif name != "budget":
            assert float(m.group(1)) > 0, out
