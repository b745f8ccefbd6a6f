# SPDX-License-Identifier: MIT
"""A real etcd cluster for tests: 1 or 3 members of /usr/bin/etcd (Debian's etcd-server, 3.4)
on 127.0.0.1, on free ports, with data directories under the test's tmp_path, started and
stopped by the test (by PID). It talks to etcd through the v3 JSON gateway with http.client,
so the checkers need no etcd client library.

    cluster = EtcdCluster(tmp_path, members=3)   # started, quorum reached, leader elected
    cluster.endpoints          # ["http://127.0.0.1:P0", ...] (client URLs of every member)
    cluster.leader()           # index of the leader (among the running members)
    cluster.kill(i)            # SIGKILL; cluster.stop(i) SIGTERM; cluster.start(i) again
    cluster.history("/asyncfg/prod/")  # every PUT/DELETE under the prefix, oldest first
    cluster.close()            # stops every member (also a pytest finaliser's job)
"""

import atexit
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time

ETCD = os.environ.get("ETCD", "/usr/bin/etcd")
ETCDCTL = os.environ.get("ETCDCTL", "/usr/bin/etcdctl")


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def unb64(s):
    return base64.b64decode(s or "")


def prefix_end(prefix):
    """The range end that covers every key starting with prefix."""
    p = bytearray(prefix.encode() if isinstance(prefix, str) else prefix)
    while p and p[-1] == 0xFF:
        p.pop()
    if not p:
        return b"\0"
    p[-1] += 1
    return bytes(p)


def _free_ports(n):
    """n distinct free ports (kept bound until all are chosen, so they differ)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def etcd_available():
    return os.access(ETCD, os.X_OK)


class EtcdError(Exception):
    pass


class EtcdCluster:
    def __init__(self, tmp_path, members=3, start=True, timeout=20.0, extra_args=()):
        assert members in (1, 3, 5), members
        self.dir = os.path.join(str(tmp_path), "etcd")
        os.makedirs(self.dir, exist_ok=True)
        self.n = members
        self.names = [f"m{i}" for i in range(members)]
        ports = _free_ports(2 * members)
        self.client_ports = ports[:members]
        self.peer_ports = ports[members:]
        self.client_urls = [f"http://127.0.0.1:{p}" for p in self.client_ports]
        self.peer_urls = [f"http://127.0.0.1:{p}" for p in self.peer_ports]
        self.extra_args = list(extra_args)
        self.procs = [None] * members
        self.logs = [os.path.join(self.dir, f"{n}.log") for n in self.names]
        self.token = None  # after enable_auth(): the root token the helpers send
        self.user = None
        atexit.register(self.close)  # a script that dies half-way leaves no etcd behind
        if start:
            for i in range(members):
                self.start(i, wait=False)
            self.wait_healthy(timeout)

    @property
    def endpoints(self):
        return list(self.client_urls)

    # ---- processes ----

    def _args(self, i):
        initial = ",".join(f"{n}={u}" for n, u in zip(self.names, self.peer_urls))
        return [ETCD, "--name", self.names[i],
                "--data-dir", os.path.join(self.dir, self.names[i]),
                "--listen-client-urls", self.client_urls[i],
                "--advertise-client-urls", self.client_urls[i],
                "--listen-peer-urls", self.peer_urls[i],
                "--initial-advertise-peer-urls", self.peer_urls[i],
                "--initial-cluster", initial,
                "--initial-cluster-token", "asyncfg-test-" + str(os.getpid()),
                "--initial-cluster-state", "new",
                "--heartbeat-interval", "50", "--election-timeout", "500",
                "--logger", "zap", "--log-outputs", self.logs[i]] + self.extra_args

    def start(self, i, wait=True, timeout=20.0):
        """Starts member i (again, on its data directory, after stop() or kill())."""
        assert self.procs[i] is None or self.procs[i].poll() is not None, "already running"
        self.procs[i] = subprocess.Popen(self._args(i), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            self._wait(lambda: self._healthy(i), timeout, f"etcd member {i} healthy")

    def kill(self, i):
        """SIGKILL member i and reap it."""
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)

    def stop(self, i, timeout=10):
        """SIGTERM member i and wait for it (SIGKILL if it hangs)."""
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)

    def pause(self, i):
        self.procs[i].send_signal(signal.SIGSTOP)

    def resume(self, i):
        self.procs[i].send_signal(signal.SIGCONT)

    def running(self, i):
        p = self.procs[i]
        return p is not None and p.poll() is None

    def close(self):
        for i in range(self.n):
            p = self.procs[i]
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGCONT)
                self.stop(i)

    def wipe(self):
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the gateway ----

    def call(self, path, body, member=None, timeout=5.0):
        """POST /v3/<path> to member (default: the first running one); the decoded JSON.
        Raises EtcdError on a gRPC error body, OSError when the member is unreachable."""
        i = member if member is not None else self._first_running()
        c = http.client.HTTPConnection("127.0.0.1", self.client_ports[i], timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"}
            if self.token and not path.startswith("auth/authenticate"):
                headers["Authorization"] = self.token
            c.request("POST", "/v3/" + path, body=json.dumps(body), headers=headers)
            r = c.getresponse()
            data = json.loads(r.read() or b"{}")
        finally:
            c.close()
        if "error" in data or ("code" in data and "message" in data):
            raise EtcdError(f"{path}: {data}")
        return data

    def _first_running(self):
        for i in range(self.n):
            if self.running(i):
                return i
        raise EtcdError("no etcd member is running")

    def status(self, i):
        return self.call("maintenance/status", {}, member=i, timeout=2)

    def _healthy(self, i):
        try:
            st = self.status(i)
            return st.get("leader") not in (None, "0")
        except (OSError, EtcdError, ValueError):
            return False

    def wait_healthy(self, timeout=20.0):
        for i in range(self.n):
            if self.running(i):
                self._wait(lambda i=i: self._healthy(i), timeout, f"etcd member {i} healthy")

    def _wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(0.05)
        logs = ""
        for path in self.logs:
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    logs += f"--- {path}\n" + f.read()[-2000:]
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")

    def member_id(self, i):
        return self.status(i)["header"]["member_id"]

    def leader(self):
        """Index of the leader, asked of the running members; None without one."""
        ids = {}
        leader = None
        for i in range(self.n):
            if not self.running(i):
                continue
            try:
                st = self.status(i)
            except (OSError, EtcdError, ValueError):
                continue
            ids[st["header"]["member_id"]] = i
            if st.get("leader") not in (None, "0"):
                leader = st["leader"]
        return ids.get(leader)

    def db_size(self, i=None):
        st = self.status(i if i is not None else self._first_running())
        return int(st.get("dbSize", 0)), int(st.get("dbSizeInUse", 0))

    def revision(self):
        return int(self.call("kv/range", {"key": b64("\0"), "limit": 1})["header"]["revision"])

    # ---- kv helpers for tests ----

    def put(self, key, value, lease=0):
        body = {"key": b64(key), "value": b64(value)}
        if lease:
            body["lease"] = str(lease)
        return int(self.call("kv/put", body)["header"]["revision"])

    def get(self, key):
        """The value (bytes) of key, or None."""
        kvs = self.call("kv/range", {"key": b64(key)}).get("kvs", [])
        return unb64(kvs[0].get("value")) if kvs else None

    def get_prefix(self, prefix):
        """{key (str): kv dict with value decoded to bytes, revisions as ints}."""
        out = {}
        body = {"key": b64(prefix), "range_end": b64(prefix_end(prefix))}
        for kv in self.call("kv/range", body).get("kvs", []):
            out[unb64(kv["key"]).decode(errors="replace")] = self._kv(kv)
        return out

    def delete_prefix(self, prefix):
        self.call("kv/deleterange", {"key": b64(prefix), "range_end": b64(prefix_end(prefix))})

    def compact(self, revision):
        self.call("kv/compaction", {"revision": str(revision), "physical": True})

    @staticmethod
    def _kv(kv):
        return {"key": unb64(kv.get("key")).decode(errors="replace"),
                "value": unb64(kv.get("value")),
                "create_revision": int(kv.get("create_revision", 0)),
                "mod_revision": int(kv.get("mod_revision", 0)),
                "version": int(kv.get("version", 0)),
                "lease": int(kv.get("lease", 0))}

    def history(self, prefix, timeout=30.0):
        """Every PUT and DELETE of keys under prefix since revision 1 (or the compaction),
        oldest first: [{"type": "PUT"|"DELETE", "key", "value", "revision" (the event's
        mod_revision), "create_revision", "version", "lease"}]. It watches the whole key
        space from revision 1 up to the current revision (every revision has an event), so
        it knows when it has seen everything, and keeps the events under prefix."""
        end = self.revision()
        pfx = prefix.encode() if isinstance(prefix, str) else prefix
        events = []
        i = self._first_running()
        c = http.client.HTTPConnection("127.0.0.1", self.client_ports[i], timeout=timeout)
        try:
            body = {"create_request": {"key": b64("\0"), "range_end": b64("\0"),
                                       "start_revision": "1"}}
            headers = {"Content-Type": "application/json"}
            if self.token:
                headers["Authorization"] = self.token
            c.request("POST", "/v3/watch", body=json.dumps(body), headers=headers)
            r = c.getresponse()
            seen = 0
            deadline = time.monotonic() + timeout
            while seen < end and time.monotonic() < deadline:
                line = r.readline()
                if not line:
                    raise EtcdError("watch stream ended early")
                if not line.strip():
                    continue
                msg = json.loads(line)
                if "error" in msg:
                    raise EtcdError(f"watch: {msg}")
                res = msg.get("result", {})
                if res.get("compact_revision") not in (None, "0"):
                    raise EtcdError(f"history compacted to {res['compact_revision']}")
                for ev in res.get("events", []):
                    kv = self._kv(ev["kv"])
                    seen = max(seen, kv["mod_revision"])
                    if unb64(ev["kv"].get("key")).startswith(pfx):
                        events.append({"type": ev.get("type", "PUT"), "key": kv["key"],
                                       "value": kv["value"], "revision": kv["mod_revision"],
                                       "create_revision": kv["create_revision"],
                                       "version": kv["version"], "lease": kv["lease"]})
            if seen < end:
                raise EtcdError(f"history: saw revision {seen} of {end} in {timeout}s")
        finally:
            c.close()
        return events

    # ---- auth ----

    def enable_auth(self, user="asyncfg", password="s3cret", prefix="/asyncfg/"):
        """Creates root (password "root") and user with read-write on prefix, enables auth;
        the helpers then authenticate as root."""
        self.call("auth/user/add", {"name": "root", "password": "root"})
        self.call("auth/user/grant", {"user": "root", "role": "root"})
        self.call("auth/role/add", {"name": "asyncfg-rw"})
        self.call("auth/role/grant", {
            "name": "asyncfg-rw",
            "perm": {"permType": "READWRITE", "key": b64(prefix),
                     "range_end": b64(prefix_end(prefix))}})
        self.call("auth/user/add", {"name": user, "password": password})
        self.call("auth/user/grant", {"user": user, "role": "asyncfg-rw"})
        self.call("auth/enable", {})
        self.token = self.call("auth/authenticate",
                               {"name": "root", "password": "root"})["token"]
        self.user = (user, password)
        return self.user
