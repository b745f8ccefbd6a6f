# SPDX-License-Identifier: MIT
"""Suite 6, security (issue 15, DESIGN.md §3.11).

test_canaries_never_leak: a canary secret in every credential source — a credentials file,
a systemd credential ($CREDENTIALS_DIRECTORY), the environment (secret and session token), the
vendor's shared credentials file, the instance metadata service (a fake IMDSv2 here: its
session token and the credentials it hands out) and the alert webhook's HMAC secret — plus an
account whose secret the cloud rejects (so error messages and error alerts are made from it).
One daemon runs them all, under strace when it is installed, through a drift, an error alert,
a SIGHUP reload and a clean stop; then no canary appears in its logs (stderr, and the journal
when there is one), /status, /metrics, /healthz, /readyz, the alerts sent, the state store
(state.db, -wal, -shm), nor in what the CLI says about the same configuration (plan, status).
The state files are created 0600 under umask 022. No program is ever executed: strace sees one
execve, the daemon's own (else /proc shows no child).

test_tls_verification_is_always_on: an https endpoint with a self-signed certificate (openssl)
is refused without its CA and with a wrong CA, and works only with the right one."""

import http.client
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

from daemonlib import BUILD, DAEMON, Fake, NotifySocket, doc, free_port, http_get, wait_for  # noqa: E402
from rellib import write_figures  # noqa: E402
from test_daemon_alerts import Receiver  # noqa: E402  (path, headers, JSON, raw body) per POST

# One variant, whatever the scale: the same run in `make check` and `make reliability`.
SUITE = ("security", {"title": "Security", "scale": "only",
                        "command": "pytest tests/reliability/test_security.py"})

ASYNCFG = os.path.join(BUILD, "asyncfg")


def strace_works():
    """strace, if installed and allowed to trace here (a container may forbid ptrace)."""
    path = shutil.which("strace")
    if path and subprocess.run([path, "-f", "-qq", "-o", "/dev/null", "true"],
                               capture_output=True).returncode == 0:
        return path
    return None


STRACE = strace_works()
SOURCES = ("file", "systemd", "env", "shared", "imds", "bad")


class FakeCloud(Fake):
    """build/fakecloud that accepts one AWS key pair (the canary as its secret)."""

    def __init__(self, akid, secret):
        self.proc = subprocess.Popen([os.path.join(BUILD, "fakecloud"), "--listen", "127.0.0.1:0",
                                      "--aws", f"{akid}:{secret}", "--threads", "2"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("LISTENING "), line
        self.port = int(line.split()[1])


class FakeImds:
    """AWS IMDSv2: a session token, one role, credentials for it; every request recorded."""

    def __init__(self, token, akid, secret, session_token):
        self.requests = []
        outer = self
        creds = json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": akid,
                            "SecretAccessKey": secret, "Token": session_token,
                            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                        time.gmtime(time.time() + 6 * 3600)),
                            "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()

        class Handler(BaseHTTPRequestHandler):
            def answer(self, body, status=200):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):
                outer.requests.append(("PUT", self.path, dict(self.headers)))
                self.answer(token.encode() if self.path == "/latest/api/token" else b"", 200)

            def do_GET(self):
                outer.requests.append(("GET", self.path, dict(self.headers)))
                if self.headers.get("x-aws-ec2-metadata-token") != token:
                    return self.answer(b"", 401)
                base = "/latest/meta-data/iam/security-credentials/"
                if self.path == base:
                    return self.answer(b"canary-role")
                if self.path == base + "canary-role":
                    return self.answer(creds)
                self.answer(b"", 404)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def write_secret_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


class CanaryRun:
    def __init__(self, tmp):
        self.tmp = tmp
        tag = secrets.token_hex(8)
        # Every secret the daemon is given: a distinct, greppable canary.
        self.canary = {k: f"CANARY{k}{tag}" for k in
                       ("file", "systemd", "env", "envtoken", "shared", "imdstoken", "imds",
                        "imdssession", "bad", "hmac")}
        self.akid = {s: f"AKID{s.upper()}" for s in SOURCES}
        secret_of = {"file": "file", "systemd": "systemd", "env": "env", "shared": "shared",
                     "imds": "imds", "bad": "file"}  # "bad" signs with another secret
        self.fakes = {s: FakeCloud(self.akid[s] if s != "bad" else self.akid["file"],
                                   self.canary[secret_of[s]]) for s in SOURCES}
        self.akid["bad"] = self.akid["file"]
        for s in SOURCES:
            self.fakes[s].create(f"sec-{s}")
        self.imds = FakeImds(self.canary["imdstoken"], self.akid["imds"], self.canary["imds"],
                             self.canary["imdssession"])
        self.rx = Receiver()
        self.desired = os.path.join(tmp, "desired")
        self.state = os.path.join(tmp, "state")
        os.makedirs(self.desired)
        os.makedirs(self.state, mode=0o755)  # as StateDirectory= would; the files are the daemon's
        credsdir = os.path.join(tmp, "credentials")
        os.makedirs(credsdir)
        write_secret_file(os.path.join(credsdir, "acct-systemd"),
                          f"access_key_id = {self.akid['systemd']}\n"
                          f"secret_access_key = {self.canary['systemd']}\n")
        files = {}
        for s in ("file", "bad"):
            files[s] = os.path.join(tmp, f"{s}.cred")
            write_secret_file(files[s], f"access_key_id = {self.akid[s]}\n"
                                        f"secret_access_key = {self.canary[s]}\n")
        shared = os.path.join(tmp, "aws-shared-credentials")
        write_secret_file(shared, f"[default]\naws_access_key_id = {self.akid['shared']}\n"
                                  f"aws_secret_access_key = {self.canary['shared']}\n")
        source = {"file": f"{{source: file, path: {files['file']}}}",
                  "bad": f"{{source: file, path: {files['bad']}}}",
                  "systemd": "{source: systemd}", "env": "{source: env}",
                  "shared": "{source: shared-file}", "imds": "{source: metadata}"}
        self.port = free_port()
        accounts = "".join(
            f"  - {{name: acct-{s}, provider: aws, region: us-east-1, "
            f"endpoint: 'http://127.0.0.1:{self.fakes[s].port}', credentials: {source[s]}}}\n"
            for s in SOURCES)
        self.config = os.path.join(tmp, "asyncfgd.yaml")
        with open(self.config, "w") as f:
            f.write(f"desiredDir: {self.desired}\nstateDir: {self.state}\n"
                    f"listen: 127.0.0.1:{self.port}\nresyncInterval: 1s\n"
                    f"backoff: {{base: 100ms, cap: 1s}}\naccounts:\n{accounts}"
                    f"alerts:\n  - {{name: hook, type: webhook, "
                    f"url: 'http://127.0.0.1:{self.rx.port}/hook', secret: {self.canary['hmac']}}}\n"
                    f"alerting: {{fireAfter: 2, remindEvery: 1h}}\n")
        for s in SOURCES:
            with open(os.path.join(self.desired, f"sec-{s}.yaml"), "w") as f:
                f.write(doc(f"sec-{s}", extra=f"  account: acct-{s}\n"))
        # Observed, not enforced: its drift stays, so it is alerted on.
        self.fakes["file"].create("sec-obs")
        self.fakes["file"].drift("sec-obs", {"MaximumRetryAttempts": 1,
                                             "MaximumEventAgeInSeconds": 3600})
        with open(os.path.join(self.desired, "sec-obs.yaml"), "w") as f:
            f.write(doc("sec-obs", management="observe", extra="  account: acct-file\n"))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "ALIBABA_", "HUAWEICLOUD_")) and
               k not in ("JOURNAL_STREAM", "WATCHDOG_USEC", "CREDENTIALS_DIRECTORY")}
        env.update(AWS_ACCESS_KEY_ID=self.akid["env"], AWS_SECRET_ACCESS_KEY=self.canary["env"],
                   AWS_SESSION_TOKEN=self.canary["envtoken"], CREDENTIALS_DIRECTORY=credsdir,
                   AWS_SHARED_CREDENTIALS_FILE=shared,
                   AWS_EC2_METADATA_SERVICE_ENDPOINT=self.imds.url, NO_COLOR="1",
                   ASYNCFG_DEBOUNCE_MSEC="50")
        self.env = env
        self.proc = None
        self.notify = None

    def start(self):
        self.notify = NotifySocket(os.path.join(self.tmp, "notify.sock"))
        self.log_path = os.path.join(self.tmp, "asyncfgd.log")
        self.trace = os.path.join(self.tmp, "execve.trace")
        argv = [DAEMON, "--config", self.config]
        if STRACE:
            argv = [STRACE, "-f", "-qq", "-e", "trace=execve", "-o", self.trace] + argv
        old = os.umask(0o022)  # the usual umask: the daemon must not rely on a strict one
        try:
            self.proc = subprocess.Popen(argv, env={**self.env, "NOTIFY_SOCKET": self.notify.path},
                                         stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        finally:
            os.umask(old)
        wait_for(lambda: "1" in self.notify.values("READY") or self.proc.poll() is not None, 20,
                 what="READY=1")
        assert self.proc.poll() is None, self.logtext()
        self.pid = self.daemon_pid()

    def daemon_pid(self):
        """The daemon's pid (strace's child when traced)."""
        if not STRACE:
            return self.proc.pid
        kids = wait_for(lambda: open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
                        .read().split(), 5, what="the traced daemon")
        return int(kids[0])

    def children(self):
        """The daemon's child processes now (without strace, the check that nothing is run)."""
        kids = []
        for task in os.listdir(f"/proc/{self.pid}/task"):
            with open(f"/proc/{self.pid}/task/{task}/children") as f:
                kids += f.read().split()
        return kids

    def logtext(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def status(self):
        st, data = http_get(self.port, "/status?resources=all")
        assert st == 200
        return json.loads(data)

    def state_of(self, name):
        return next((r["state"] for r in self.status()["resources"] if r["name"] == name), None)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.notify:
            self.notify.close()
        for f in self.fakes.values():
            f.stop()
        self.imds.close()
        self.rx.close()


@pytest.fixture
def canary_run(tmp_path):
    run = CanaryRun(str(tmp_path))
    yield run
    run.close()


def cli(run, *args):
    return subprocess.run([ASYNCFG, *args], capture_output=True, text=True, timeout=60,
                          env=run.env)


def test_canaries_never_leak(canary_run):
    run = canary_run
    run.start()
    good = [s for s in SOURCES if s != "bad"]
    for s in good:
        wait_for(lambda: run.state_of(f"sec-{s}") == "in_sync", 20,
                 what=f"sec-{s} in sync ({run.logtext()[-2000:]})")
    assert run.children() == []
    # The IMDS was asked with its session token, as IMDSv2 wants.
    assert any(m == "PUT" for m, _, _ in run.imds.requests)
    # The wrong secret: an error (auth), and an error alert made of it.
    wait_for(lambda: run.state_of("sec-bad") == "error", 20, what="sec-bad in error")
    wait_for(lambda: any(b"sec-bad" in p[3] for p in run.rx.posts), 20, what="an error alert")
    # A drift: reported and alerted on.
    wait_for(lambda: run.state_of("sec-obs") == "in_sync", 20, what="sec-obs in sync")
    run.fakes["file"].drift("sec-obs", {"MaximumRetryAttempts": 0})
    wait_for(lambda: any(b"sec-obs" in p[3] for p in run.rx.posts), 20, what="a drift alert")
    readies = run.notify.values("READY").count("1")
    os.kill(run.pid, signal.SIGHUP)
    wait_for(lambda: run.notify.values("READY").count("1") > readies, 20, what="READY after SIGHUP")
    for s in good:
        wait_for(lambda: run.state_of(f"sec-{s}") == "in_sync", 20, what=f"sec-{s} after reload")

    assert run.children() == []
    # What an operator or an attacker on the host can see while it runs.
    seen = {}
    for path in ("/status?resources=all", "/status", "/metrics", "/healthz", "/readyz"):
        seen[path] = http_get(run.port, path)[1]
    seen["asyncfg status"] = cli(run, "status", "--endpoint",
                                 f"http://127.0.0.1:{run.port}").stdout.encode()
    plan = cli(run, "plan", "--config", run.config)
    assert plan.returncode == 1 and "sec-bad" in plan.stdout + plan.stderr, plan
    seen["asyncfg plan"] = (plan.stdout + plan.stderr).encode()
    modes = {}
    for name in sorted(os.listdir(run.state)):
        p = os.path.join(run.state, name)
        modes[name] = stat.S_IMODE(os.stat(p).st_mode)
        with open(p, "rb") as f:
            seen[f"state/{name}"] = f.read()
    assert {"state.db", "state.db-wal", "state.db-shm"} <= set(modes), modes
    assert all(m == 0o600 for m in modes.values()), {k: oct(v) for k, v in modes.items()}

    os.kill(run.pid, signal.SIGTERM)
    assert run.proc.wait(timeout=30) == 0
    for name in sorted(os.listdir(run.state)):
        with open(os.path.join(run.state, name), "rb") as f:
            seen[f"state/{name} after stop"] = f.read()
    seen["log"] = run.logtext().encode()
    for i, (path, headers, _, body) in enumerate(run.rx.posts):
        seen[f"alert {i} {path}"] = repr(headers).encode() + body
    if os.path.exists("/run/systemd/journal/socket") and shutil.which("journalctl"):
        seen["journal"] = subprocess.run(["journalctl", "--no-pager", "-o", "verbose",
                                          f"_PID={run.pid}"], capture_output=True).stdout
    assert len(run.rx.posts) >= 2 and len(seen["log"]) > 0
    leaks = [(where, name) for where, data in seen.items() for name, c in run.canary.items()
             if c.encode() in data]
    assert not leaks, leaks

    # No program was ever run: one execve, the daemon's own.
    if STRACE:
        with open(run.trace) as f:
            execs = [x for x in f if "execve(" in x]
        assert len(execs) == 1 and DAEMON in execs[0], execs
    write_figures(*SUITE, [
        ["canary secrets", f"{len(run.canary)}: credentials file, systemd credential, "
         "environment (secret and session token), shared credentials file, IMDSv2 (its session "
         "token, the secret and token it hands out), alert webhook HMAC secret, a secret the "
         "cloud rejects"],
        ["places searched", f"{len(seen)} ({sum(len(v) for v in seen.values())} bytes): "
         + ", ".join(sorted({k.split(' ')[0] if k.startswith('alert') else k for k in seen}))],
        ["leaks", len(leaks)],
        ["state files under umask 022", ", ".join(f"{k} {oct(v)[2:]}" for k, v in
                                                 sorted(modes.items()))],
        ["execve during the run (strace -f)", f"{len(execs)} (the daemon's own)" if STRACE
         else "strace not usable here: no child process seen in /proc at two moments"],
    ])


def make_self_signed(d, name, san="IP:127.0.0.1"):
    key, crt = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", f"subjectAltName={san}",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    return key, crt


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls_verification_is_always_on(tmp_path):
    """The same https endpoint (a self-signed certificate) for three accounts: without a CA,
    with a wrong CA (another self-signed certificate), with its own certificate as the CA.
    Only the last one reads and writes; the others are errors that name the certificate."""
    d = str(tmp_path)
    key, crt = make_self_signed(d, "server")
    _, wrong = make_self_signed(d, "wrong")
    proc = subprocess.Popen([os.path.join(BUILD, "fakecloud"), "--listen", "127.0.0.1:0", "--aws",
                             "AKIDTLS:tls-secret", "--tls-cert", crt, "--tls-key", key],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    daemon = None
    notify = NotifySocket(os.path.join(d, "notify.sock"))
    try:
        line = proc.stdout.readline()
        assert line.startswith("LISTENING "), line
        port = int(line.split()[1])
        creds = os.path.join(d, "creds")
        write_secret_file(creds, "access_key_id = AKIDTLS\nsecret_access_key = tls-secret\n")
        desired = os.path.join(d, "desired")
        os.makedirs(desired)
        os.makedirs(os.path.join(d, "state"))
        refused = {}
        cas = {"none": "", "wrong": f", caFile: {wrong}", "right": f", caFile: {crt}"}
        accounts = "".join(
            f"  - {{name: tls-{k}, provider: aws, region: us-east-1, "
            f"endpoint: 'https://127.0.0.1:{port}', credentials: {{source: file, path: {creds}}}"
            f"{v}}}\n" for k, v in cas.items())
        lport = free_port()
        config = os.path.join(d, "asyncfgd.yaml")
        with open(config, "w") as f:
            f.write(f"desiredDir: {desired}\nstateDir: {d}/state\nlisten: 127.0.0.1:{lport}\n"
                    f"resyncInterval: 1s\nbackoff: {{base: 100ms, cap: 1s}}\naccounts:\n{accounts}")
        for k in cas:
            with open(os.path.join(desired, f"tls-{k}.yaml"), "w") as f:
                f.write(doc(f"tls-{k}", retries=2, extra=f"  account: tls-{k}\n"))
        ctl = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                          context=__import__("ssl")._create_unverified_context())
        ctl.request("POST", "/_fake/functions", json.dumps(
            [{"provider": "aws", "function": f"tls-{k}"} for k in cas]))
        resp = ctl.getresponse()
        resp.read()
        assert resp.status == 201
        env = {k: v for k, v in os.environ.items()
               if k not in ("JOURNAL_STREAM", "WATCHDOG_USEC", "SSL_CERT_FILE", "SSL_CERT_DIR",
                            "CURL_CA_BUNDLE")}
        daemon = subprocess.Popen([DAEMON, "--config", config], env={**env,
                                  "NOTIFY_SOCKET": notify.path}, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(d, "asyncfgd.log"), "w"))

        def resources():
            try:
                st, data = http_get(lport, "/status?resources=all")
            except OSError:
                return {}
            return {r["name"]: r for r in json.loads(data)["resources"]} if st == 200 else {}

        wait_for(lambda: resources().get("tls-right", {}).get("state") == "in_sync", 20,
                 what="tls-right in sync")
        for k in ("none", "wrong"):
            r = wait_for(lambda: (resources().get(f"tls-{k}") or {}).get("last_error"), 20,
                         what=f"tls-{k} refused")
            msg = r["message"].lower()
            assert "certificate" in msg or "ssl" in msg, (k, r)
            # A refused certificate is configuration: permanent, not retried with backoff.
            assert r["class"] == "permanent", (k, r)
            assert resources()[f"tls-{k}"]["state"] == "error"
            refused[k] = r["message"]
        ctl.request("GET", "/_fake/configs")
        live = {c["function"]: c["config"] for c in json.loads(ctl.getresponse().read())}
        assert live["tls-right"].get("MaximumRetryAttempts") == 2
        assert live.get("tls-none", {}).get("MaximumRetryAttempts") is None
        assert live.get("tls-wrong", {}).get("MaximumRetryAttempts") is None
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        write_figures(*SUITE, [
            ["https endpoint, self-signed certificate",
             f"no caFile: refused ({refused['none']}); wrong caFile: refused "
             f"({refused['wrong']}); its own certificate as caFile: in sync"]])
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        notify.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
