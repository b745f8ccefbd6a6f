# SPDX-License-Identifier: MIT
"""Helpers for the daemon's end-to-end tests: build/fakecloud and build/asyncfgd as processes, a
test-owned NOTIFY_SOCKET that records every message systemd would receive, the endpoint, the
emulator's control API, and writing desired-state files."""

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time

BUILD = os.environ.get("ASYNCFG_BUILD_DIR",
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))
FAKE = os.path.join(BUILD, "fakecloud")
DAEMON = os.path.join(BUILD, "asyncfgd")
AKID, SECRET = "AKIDDAEMON", "daemon-e2e-secret"


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def read_state(state_dir):
    """The state store (stateDir/state.db) as the state.json document it replaced:
    {"format", "version", "resources": {key: record}}; empty if there is no database yet. It
    reads the rows directly (not through asyncfg), with the daemon running or not."""
    path = os.path.join(state_dir, "state.db")
    resources = {}
    if os.path.exists(path):
        db = sqlite3.connect(path, timeout=10)
        try:
            for key, record in db.execute("SELECT key, record FROM resources ORDER BY key"):
                resources[key] = json.loads(record)
        finally:
            db.close()
    return {"format": "asyncfg-state", "version": 1, "resources": resources}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(port, path, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


class Fake:
    """build/fakecloud with the test's AWS key pair."""

    def __init__(self):
        self.proc = subprocess.Popen([FAKE, "--listen", "127.0.0.1:0", "--aws", f"{AKID}:{SECRET}",
                                      "--threads", "2"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("LISTENING "), line
        self.port = int(line.split()[1])

    def control(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request(method, path, body=None if body is None else json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data else None)

    def create(self, *functions):
        st, _ = self.control("POST", "/_fake/functions",
                             [{"provider": "aws", "function": f} for f in functions])
        assert st == 201

    def configs(self):
        return {c["function"]: c["config"] for c in self.control("GET", "/_fake/configs")[1]
                if c["provider"] == "aws"}

    def drift(self, function, config, mode="merge"):
        st, _ = self.control("PUT", "/_fake/drift", {"provider": "aws", "function": function,
                                                     "mode": mode, "config": config})
        assert st == 200

    def faults(self, **kw):
        st, body = self.control("POST", "/_fake/faults", kw)
        assert st == 200, body

    def stats(self):
        return self.control("GET", "/_fake/stats")[1]

    def count(self, method):
        return self.stats()["byMethod"].get(method, 0)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's: records (monotonic time, message)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode()))

    def all(self):
        with self.lock:
            return list(self.messages)

    def fields(self):
        """Every KEY=VALUE line received, in order, as (key, value)."""
        out = []
        for _, m in self.all():
            for line in m.split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    out.append((k, v))
        return out

    def values(self, key):
        return [v for k, v in self.fields() if k == key]

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class Daemon:
    """build/asyncfgd with a test config, a desired-state directory and a notify socket."""

    def __init__(self, tmp, fake, resync="2s", concurrency=8, extra_accounts="", watchdog=True,
                 qps=100, burst=100, listen_port=None, extra_config=""):
        self.tmp = str(tmp)
        self.fake = fake
        self.desired = os.path.join(self.tmp, "desired")
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.desired, exist_ok=True)
        os.makedirs(self.state, exist_ok=True)
        self.creds = os.path.join(self.tmp, "creds")
        with open(self.creds, "w") as f:
            f.write(f"access_key_id = {AKID}\nsecret_access_key = {SECRET}\n")
        self.port = listen_port or free_port()
        self.config = os.path.join(self.tmp, "asyncfgd.yaml")
        self.resync, self.concurrency, self.qps, self.burst = resync, concurrency, qps, burst
        self.extra_accounts = extra_accounts
        self.extra_config = extra_config  # top-level keys, "key: value\n" lines
        self.write_config()
        self.watchdog = watchdog
        self.notify = None
        self.proc = None
        self.stderr_path = os.path.join(self.tmp, "asyncfgd.log")

    def config_text(self):
        return (self.extra_config + f"desiredDir: {self.desired}\nstateDir: {self.state}\n"
                f"listen: 127.0.0.1:{self.port}\nresyncInterval: {self.resync}\n"
                f"concurrency: {self.concurrency}\nbackoff: {{base: 200ms, cap: 2s}}\n"
                f"accounts:\n  - name: aws-test\n    provider: aws\n    region: us-east-1\n"
                f"    endpoint: http://127.0.0.1:{self.fake.port}\n"
                f"    rateLimit: {{qps: {self.qps}, burst: {self.burst}}}\n"
                f"    credentials: {{source: file, path: {self.creds}}}\n" + self.extra_accounts)

    def write_config(self, text=None):
        with open(self.config, "w") as f:
            f.write(text if text is not None else self.config_text())

    def start(self, wait_ready=True):
        if self.notify is None:
            self.notify = NotifySocket(os.path.join(self.tmp, "notify.sock"))
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path, ASYNCFG_DEBOUNCE_MSEC="50")
        env.pop("JOURNAL_STREAM", None)
        argv = [DAEMON, "--config", self.config]
        if self.watchdog:
            env["WATCHDOG_USEC"] = "1000000"
            # WATCHDOG_PID must name the daemon: the shell execs it, keeping its own pid.
            argv = ["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"', *argv]
        self.log = open(self.stderr_path, "a")
        readies = self.ready_count()
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=self.log)
        if wait_ready:
            wait_for(lambda: self.ready_count() > readies or self.proc.poll() is not None, 10,
                     what="READY=1")
            assert self.proc.poll() is None, self.logtext()
        return self

    def ready_count(self):
        return self.notify.values("READY").count("1") if self.notify else 0

    def logtext(self):
        with open(self.stderr_path) as f:
            return f.read()

    def status(self, query="resources=all"):
        """/status?query (the whole document by default: every resource and file)."""
        st, data = http_get(self.port, "/status?" + query if query else "/status")
        assert st == 200
        return json.loads(data)

    def resource(self, name):
        for r in self.status()["resources"]:
            if r["name"] == name:
                return r
        return None

    def state_of(self, name):
        r = self.resource(name)
        return r and r["state"]

    def wait_state(self, name, state, timeout=10):
        return wait_for(lambda: self.state_of(name) == state, timeout,
                        what=f"{name} in state {state} ({self.logtext()[-2000:]})")

    def metrics(self):
        st, data = http_get(self.port, "/metrics")
        assert st == 200
        return data.decode()

    def metric(self, series):
        for line in self.metrics().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return None

    def write(self, rel, text):
        path = os.path.join(self.desired, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path)  # atomic, as editors and git do
        return path

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout=timeout)
        else:
            rc = self.proc.returncode if self.proc else 0
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=5)

    def close(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
        finally:
            if self.notify:
                self.notify.close()


def doc(name, function=None, retries=1, age=3600, management="enforce", deletion="orphan",
        extra=""):
    return (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata:\n  name: {name}\n"
            f"spec:\n  provider: aws\n  function: {function or name}\n"
            f"  maxRetryAttempts: {retries}\n  maxEventAgeSeconds: {age}\n"
            f"  management: {management}\n  deletionPolicy: {deletion}\n{extra}")


import pytest  # noqa: E402


@pytest.fixture
def fake():
    f = Fake()
    yield f
    f.stop()


@pytest.fixture
def make_daemon(tmp_path, fake):
    made = []

    def make(**kw):
        d = Daemon(tmp_path, fake, **kw)
        made.append(d)
        return d
    yield make
    for d in made:
        d.close()
