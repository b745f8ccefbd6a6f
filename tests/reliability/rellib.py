# SPDX-License-Identifier: MIT
"""What the reliability suites share: a daemon with one account per API (AWS, FC3, FC2,
FunctionGraph) against build/fakecloud, N generated resources spread over them, the
emulator's request log (GET /_fake/log) and the checks made on it, and the figures each suite
writes for RELIABILITY.md (tests/reliability/render.py).

Scale: ASYNCFG_RELIABILITY_SCALE=short (100 resources, part of `make check`) or long (1,000,
`make reliability`)."""

import json
import os
import platform
import select
import socket
import struct
import threading
import time

from daemonlib import AKID, SECRET, Daemon, wait_for
from test_daemon_alerts import Receiver as AlertReceiver

HW_PROJECT = "0123456789abcdef0123456789abcdef"
HW_URN = f"urn:fss:cn-north-4:{HW_PROJECT}:function:default"
LONG = os.environ.get("ASYNCFG_RELIABILITY_SCALE", "short") == "long"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("ASYNCFG_RELIABILITY_OUT") or os.path.join(
    os.environ.get("ASYNCFG_BUILD_DIR") or os.path.join(ROOT, "build"), "reliability",
    *([] if LONG else ["short"]))  # only the long variants' figures go into RELIABILITY.md

# (account, provider, api) and what a resource of it looks like on the wire and in the log.
APIS = ("lambda", "fc3", "fc2", "functiongraph")
ACCOUNT = {"lambda": "aws-r", "fc3": "fc3-r", "fc2": "fc2-r", "functiongraph": "hw-r"}
PROVIDER = {"lambda": "aws", "fc3": "alicloud", "fc2": "alicloud", "functiongraph": "huaweicloud"}
QUALIFIER = {"lambda": "$LATEST", "fc3": "LATEST", "fc2": "LATEST", "functiongraph": "latest"}
RETRIES_KEY = {"lambda": "MaximumRetryAttempts", "fc3": "maxAsyncRetryAttempts",
               "fc2": "maxAsyncRetryAttempts", "functiongraph": "max_async_retry_attempts"}
AGE_KEY = {"lambda": "MaximumEventAgeInSeconds", "fc3": "maxAsyncEventAgeInSeconds",
           "fc2": "maxAsyncEventAgeInSeconds", "functiongraph": "max_async_event_age_in_seconds"}
CREDS = {"aws": (AKID, SECRET), "alicloud": ("LTAIFAKE", "fakesecret"),
         "huaweicloud": ("HWAKFAKE", "fakesecret")}


class Resource:
    """Resource i of the suite: api = APIS[i % 4]."""

    def __init__(self, i):
        self.i, self.api = i, APIS[i % 4]
        self.name = f"r{i:05d}"
        self.provider, self.account = PROVIDER[self.api], ACCOUNT[self.api]
        if self.api == "lambda":
            self.log_function = self.spec_function = f"fa{i}"
        elif self.api == "fc3":
            self.log_function = self.spec_function = f"fc{i}"
        elif self.api == "fc2":
            self.log_function = self.spec_function = f"svc/fd{i}"
        else:
            self.log_function = f"{HW_URN}:fh{i}"
            self.spec_function = f"{HW_URN}:fh{i}:latest"
        self.key = (self.api, self.log_function, QUALIFIER[self.api])

    def create_body(self):
        if self.api == "fc2":
            return {"provider": "alicloud", "service": "svc", "function": f"fd{self.i}"}
        return {"provider": self.provider, "function": self.log_function}

    def drift(self, fake):
        """Changes its retries in the cloud out of band (PUT /_fake/drift)."""
        body = {**self.create_body(), "config": {RETRIES_KEY[self.api]: (self.values()[0] + 1) % 3}}
        st, answer = fake.control("PUT", "/_fake/drift", body)
        assert st == 200, answer

    def values(self, gen=0):
        """(maxRetryAttempts, maxEventAgeSeconds) of generation gen: in every provider's range,
        different from one generation to the next."""
        return (self.i + gen) % 3, 3600 + 60 * ((self.i + gen) % 50) + gen

    def doc(self, gen=0):
        retries, age = self.values(gen)
        return (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata:\n"
                f"  name: {self.name}\nspec:\n  provider: {self.provider}\n"
                f"  account: {self.account}\n  function: \"{self.spec_function}\"\n"
                f"  maxRetryAttempts: {retries}\n  maxEventAgeSeconds: {age}\n")

    def live_equals(self, config, gen=0):
        retries, age = self.values(gen)
        return (config is not None and config.get(RETRIES_KEY[self.api]) == retries
                and config.get(AGE_KEY[self.api]) == age)


def resources(n):
    return [Resource(i) for i in range(n)]


def create_functions(fake, rs):
    for k in range(0, len(rs), 5000):
        st, body = fake.control("POST", "/_fake/functions", [r.create_body() for r in rs[k:k + 5000]])
        assert st == 201, body


class MultiDaemon(Daemon):
    """asyncfgd with the four accounts; endpoints[api] overrides an account's endpoint."""

    def __init__(self, tmp, fake, endpoints=None, backoff="{base: 200ms, cap: 2s}", qps=1000,
                 burst=1000, alerts="", **kw):
        self.endpoints = endpoints or {}
        self.backoff, self.alerts = backoff, alerts
        self.cred_files = {}
        os.makedirs(str(tmp), exist_ok=True)
        for provider, (ak, sk) in CREDS.items():
            path = os.path.join(str(tmp), f"{provider}.cred")
            with open(path, "w") as f:
                f.write(f"access_key_id = {ak}\nsecret_access_key = {sk}\n")
            os.chmod(path, 0o600)
            self.cred_files[provider] = path
        super().__init__(tmp, fake, qps=qps, burst=burst, **kw)

    def account_text(self, api):
        extra = {"lambda": "region: us-east-1",
                 "fc3": "region: cn-hangzhou, accountId: '1234567890123456', api: fc3",
                 "fc2": "region: cn-hangzhou, accountId: '1234567890123456', api: fc2",
                 "functiongraph": f"region: cn-north-4, projectId: {HW_PROJECT}"}[api]
        endpoint = self.endpoints.get(api, f"http://127.0.0.1:{self.fake.port}")
        return (f"  - {{name: {ACCOUNT[api]}, provider: {PROVIDER[api]}, endpoint: '{endpoint}', "
                f"{extra}, rateLimit: {{qps: {self.qps}, burst: {self.burst}}}, "
                f"credentials: {{source: file, path: {self.cred_files[PROVIDER[api]]}}}}}\n")

    def config_text(self):
        return (self.extra_config + f"desiredDir: {self.desired}\nstateDir: {self.state}\n"
                f"listen: 127.0.0.1:{self.port}\nresyncInterval: {self.resync}\n"
                f"concurrency: {self.concurrency}\nbackoff: {self.backoff}\n" + self.alerts
                + "accounts:\n" + "".join(self.account_text(a) for a in APIS))

    def write_resources(self, rs, gen=0, per_file=100):
        for k in range(0, len(rs), per_file):
            self.write(f"r{k // per_file:04d}.yaml", "---\n".join(r.doc(gen) for r in rs[k:k + per_file]))

    def summary(self):
        return self.status(query="")["summary"]

    def in_sync(self):
        s = self.summary()
        return s["resources"] if s["states"].get("in_sync", 0) == s["resources"] else 0

    def wait_converged(self, n, timeout):
        wait_for(lambda: self.proc.poll() is None and self.summary()["resources"] == n
                 and self.in_sync() == n or self.proc.poll() is not None, timeout, interval=0.2,
                 what=f"{n} resources in sync")
        assert self.proc.poll() is None, "asyncfgd exited:\n" + self.logtext()[-3000:]


def live_configs(fake):
    """{(api, function, qualifier): config} from GET /_fake/configs."""
    out = {}
    for c in fake.control("GET", "/_fake/configs")[1]:
        fn = f"{c['service']}/{c['function']}" if c["api"] == "fc2" else c["function"]
        out[(c["api"], fn, c["qualifier"])] = c["config"]
    return out


def not_live(fake, rs, gen=0):
    """The resources whose config in the emulator is not the desired one."""
    live = live_configs(fake)
    return [r for r in rs if not r.live_equals(live.get(r.key), gen)]


def wait_live(fake, rs, timeout, gen=0):
    """Waits until the cloud holds every desired config; the seconds it took."""
    t0 = time.time()
    wait_for(lambda: not not_live(fake, rs, gen), timeout, interval=0.25,
             what=f"{len(rs)} configs as desired in the cloud")
    return time.time() - t0


def assert_live(fake, rs, gen=0):
    live = live_configs(fake)
    wrong = [r.name for r in rs if not r.live_equals(live.get(r.key), gen)]
    assert not wrong, f"{len(wrong)} resources not as desired in the cloud, e.g. {wrong[:5]}"


def read_log(fake, after=0):
    """Every request-log entry after seq `after` (GET /_fake/log, paged)."""
    entries = []
    while True:
        st, page = fake.control("GET", f"/_fake/log?after={after}&limit=100000")
        assert st == 200, page
        assert page["dropped"] == 0
        if not page["entries"]:
            return entries
        entries += page["entries"]
        after = page["next"]


def log_key(e):
    return (e["api"], e["function"], e["qualifier"])


WRITES = ("PUT", "DELETE", "POST")


def read_ok(e):
    """A GET that read the config: 200 or a real 404 ("absent"), with no fault but latency."""
    return e["method"] == "GET" and e["status"] in (200, 404) and e["fault"] in ("none", "latency")


def dropped(e):
    """A request whose connection the emulator closed without handling it (no effect)."""
    return e["status"] == 0 and e["fault"] == "drop"


def writes_on_failed_reads(entries):
    """The writes (PUT/DELETE/POST) of a resource whose latest GET before it, since that
    resource's previous write, did not succeed (or that no GET preceded). A dropped write is
    not a previous write: it had no effect, and libcurl itself sends a request again on a fresh
    connection when a reused one dies before any answer (the same request, based on the same
    read)."""
    last_read = {}
    bad = []
    for e in sorted(entries, key=lambda e: e["seq"]):
        if not e["qualifier"]:
            continue  # a list, versions or aliases: no resource's read
        k = log_key(e)
        if e["method"] == "GET":
            last_read[k] = read_ok(e)
        elif e["method"] in WRITES:
            if not last_read.get(k):
                bad.append(e)
            if not dropped(e):
                last_read[k] = False
    return bad


def history(entries, e):
    """The requests of e's resource up to e, one line each (for assertion messages)."""
    return "\n".join(f"  {x['seq']} {x['method']} {x['status']} {x['fault']}" for x in entries
                     if log_key(x) == log_key(e) and x["seq"] <= e["seq"])


def rate(entries, t0, t1, method=None):
    n = sum(1 for e in entries if t0 <= e["start"] < t1 and (method is None or e["method"] == method))
    return n / (t1 - t0)


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs{', ' + model if model else ''}"


def write_figures(suite, figures, rows=None, out=None):
    """figures: {"title", "command", "rows": [[what, value], ...], "notes": [...], "scale"}
    into OUT (or out)/<suite>.json, the form render.py reads. With rows, a suite of several
    tests adds its rows to what its other tests wrote (a row of the same "what" is replaced)."""
    out = out or OUT
    path = os.path.join(out, f"{suite}.json")
    os.makedirs(out, exist_ok=True)
    doc = {"suite": suite, "scale": "long" if LONG else "short",
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
           "rows": [], **figures}
    if rows is not None:
        try:
            with open(path) as f:
                old = json.load(f)
        except (OSError, ValueError):
            old = {}
        names = {r[0] for r in rows}
        doc["rows"] = [r for r in old.get("rows", []) if r[0] not in names] + [list(r) for r in rows]
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


class Receiver(AlertReceiver):
    """The alert tests' webhook sink on 127.0.0.1, port 0 (tests/e2e/test_daemon_alerts.py)."""

    def alerts(self, status, kind="error"):
        """The bodies of the alerts posted with this status and kind."""
        with self.lock:
            return [p[2] for p in self.posts if p[2].get("status") == status and p[2].get("kind") == kind]


class Proxy:
    """A TCP proxy on 127.0.0.1, port 0, in front of another port. down(): every open
    connection is cut and every new one is reset as soon as it is accepted (SO_LINGER 0), its
    time recorded in `attempts`; up(): it forwards again."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1024)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.forwarding, self.running = True, True
        self.attempts, self.accepted = [], 0
        self.conns, self.lock = set(), threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            if not self.forwarding:
                self.attempts.append(time.time())
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
                continue
            threading.Thread(target=self._pump, args=(c,), daemon=True).start()

    def _pump(self, c):
        try:
            u = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            c.close()
            return
        with self.lock:
            self.conns.add((c, u))
        try:
            while self.running:
                r, _, _ = select.select([c, u], [], [], 0.5)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (u if s is c else c).sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.conns.discard((c, u))
            c.close()
            u.close()

    def down(self):
        self.forwarding = False
        with self.lock:
            conns = list(self.conns)
        for c, u in conns:
            for s in (c, u):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def up(self):
        self.forwarding = True

    def close(self):
        self.running = False
        self.down()
        self.lsock.close()
        self.thread.join(timeout=2)
