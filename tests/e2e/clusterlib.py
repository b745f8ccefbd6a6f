# SPDX-License-Identifier: MIT
"""Cluster-mode helpers shared by tests/e2e/test_cluster.py and tests/cluster/: asyncfgd members
on one etcd (etcdlib.EtcdCluster) and one build/fakecloud, a monitor that timestamps every claim
event as it happens, and the checker of DESIGN.md §3.13 / §8:

  - every cloud write (the emulator's request log: method PUT/DELETE, member from the
    User-Agent "asyncfg/V member/NAME", start/end) happened inside a claim interval of its
    writer on the resource's bucket;
  - no two members wrote one resource in overlapping claim intervals (claims of one bucket do
    not overlap: etcd creates a claim only if absent; the monitor checks it too).

HoldingProxy stands between a member and etcd and holds the requests a test picks (a save, the
read of one bucket) while the test arranges what happens meanwhile.

The bucket of an identity is reconciler/core/cluster-bucket.c's hash, computed here again
(tests/unit/test-cluster-bucket.c pins the same values)."""

import base64
import http.client
import json
import os
import threading
import time

import pytest

from daemonlib import Daemon, doc, wait_for
from etcdlib import EtcdCluster

M64 = (1 << 64) - 1
BUCKETS = 1024


def _fnv(h, data):
    for c in data:
        h ^= c
        h = (h * 0x100000001b3) & M64
    return h


def _mix(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M64
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def bucket_of(key):
    return _mix(_fnv(0xcbf29ce484222325, key.encode())) % BUCKETS


def score(member, bucket):
    return _mix(_fnv(_fnv(0xcbf29ce484222325, member.encode() + b"\0"),
                     bucket.to_bytes(4, "big")))


def owner(members, bucket):
    return max(sorted(members), key=lambda m: score(m, bucket))


def aws_key(function, qualifier="$LATEST", account="aws-test"):
    return f"aws/{account}/{function}/{qualifier}"


class Member(Daemon):
    """asyncfgd as member `name` of cluster `cluster` on etcd endpoints."""

    def __init__(self, tmp, fake, name, endpoints, cluster="t", ttl="2s", **kw):
        os.makedirs(str(tmp), exist_ok=True)
        self.member = name
        eps = ", ".join(f"'{e}'" for e in endpoints)
        extra = (f"cluster:\n  etcd: [{eps}]\n  name: {cluster}\n  member: {name}\n"
                 f"  leaseTTL: {ttl}\n")
        super().__init__(tmp, fake, extra_config=extra, **kw)

    def cluster_status(self):
        return self.status("")["summary"]["cluster"]

    def held(self):
        return set(self.cluster_status()["held"])


class ClaimMonitor:
    """Watches /asyncfg/<cluster>/claims/ from revision 1 in a thread and stamps every event
    with CLOCK_REALTIME on arrival (etcd keeps no times). It moves to another endpoint when
    one dies and resumes after the last revision it saw."""

    def __init__(self, etcd, cluster="t"):
        self.etcd = etcd
        self.prefix = f"/asyncfg/{cluster}/claims/"
        self.events = []  # (time, type, bucket, holder, revision, create_revision)
        self.last_rev = 0
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _stream(self, port):
        # No timeout: a timeout inside readline() loses the part of a line already read.
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        end = bytearray(self.prefix.encode())
        end[-1] += 1
        body = {"create_request": {"key": base64.b64encode(self.prefix.encode()).decode(),
                                   "range_end": base64.b64encode(bytes(end)).decode(),
                                   "start_revision": str(self.last_rev + 1)}}
        c.request("POST", "/v3/watch", body=json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        c.sock.settimeout(None)
        while self.running:
            line = r.readline()
            if not line:
                return
            if line.strip():
                self._message(json.loads(line), time.time())

    def _message(self, msg, now):
        for ev in msg.get("result", {}).get("events", []):
            kv = ev["kv"]
            key = base64.b64decode(kv["key"]).decode()
            holder = base64.b64decode(kv.get("value", "")).decode()
            rev = int(kv.get("mod_revision", 0))
            with self.lock:
                self.events.append((now, ev.get("type", "PUT"), int(key[len(self.prefix):]),
                                    holder, rev, int(kv.get("create_revision", 0))))
                self.last_rev = max(self.last_rev, rev)

    def _run(self):
        i = 0
        while self.running:
            port = self.etcd.client_ports[i % len(self.etcd.client_ports)]
            i += 1
            try:
                self._stream(port)
            except (OSError, ValueError, http.client.HTTPException):
                time.sleep(0.05)

    def close(self):
        self.running = False
        self.thread.join(timeout=3)

    def intervals(self, until=None):
        """{bucket: [(holder, start, end)]}; end None for a claim still held."""
        out, open_ = {}, {}
        with self.lock:
            events = list(self.events)
        for t, typ, b, holder, rev, crev in events:
            if typ == "PUT":
                assert b not in open_, f"bucket {b} claimed twice at once: {open_[b]}, {holder}"
                open_[b] = (holder, t)
            elif b in open_:
                h, s = open_.pop(b)
                out.setdefault(b, []).append((h, s, t))
        for b, (h, s) in open_.items():
            out.setdefault(b, []).append((h, s, until))
        return out

    def handovers(self, member, after):
        """Claims created after time `after` (not by member): their times."""
        with self.lock:
            return [t for t, typ, b, h, rev, crev in self.events
                    if typ == "PUT" and t >= after and h != member]


def member_of(entry):
    for part in entry.get("userAgent", "").split():
        if part.startswith("member/"):
            return part[len("member/"):]
    return None


def cloud_writes(fake):
    """Every PUT/DELETE the emulator logged: (function, qualifier, member, start, end, status)."""
    out, after = [], 0
    while True:
        st, body = fake.control("GET", f"/_fake/log?after={after}&limit=100000")
        assert st == 200, body
        for e in body["entries"]:
            if e["method"] in ("PUT", "DELETE") and e["provider"] == "aws":
                out.append((e["function"], e["qualifier"], member_of(e), e["start"], e["end"],
                            e["status"]))
        if body["next"] == after:
            return out
        after = body["next"]


def check_writes(fake, monitor, slack=0.25):
    """The rules above; returns the writes checked. slack: the monitor's lag in stamping a
    claim's creation (a member writes only after its claim txn succeeded, but the monitor
    stamps the creation when its watch delivers it, tens of ms later on a busy machine). The
    end of a write is held to the stamped end of its claim: that lag only ever makes it
    later, never earlier, so the end check is as strict as the stamps are late."""
    intervals = monitor.intervals()
    writes = cloud_writes(fake)
    problems = []
    for fn, q, member, start, end, status in writes:
        b = bucket_of(aws_key(fn, q))
        ok = any(h == member and s - slack <= start and (e is None or end <= e)
                 for h, s, e in intervals.get(b, []))
        if not ok:
            problems.append(f"{member} wrote {fn} (bucket {b}) at [{start:.3f}, {end:.3f}] "
                            f"outside its claims: {intervals.get(b)}")
    assert not problems, "\n".join(problems[:20])
    return writes


def write_docs(members, names):
    for m in members:
        for n in names:
            m.write(f"{n}.yaml", doc(n))


def wait_split(members, timeout=20):
    """Until the live members hold every bucket between them, each the rendezvous owner's."""
    names = [m.member for m in members]

    def done():
        held = {m.member: m.held() for m in members}
        return all(held[owner(names, b)].__contains__(b) for b in range(BUCKETS)) and \
            sum(len(h) for h in held.values()) == BUCKETS and held
    return wait_for(done, timeout, interval=0.1, what="the buckets split between members")

# The fixtures of the short cluster tests (tests/e2e/test_cluster*.py import them): one etcd
# member, and members made on it, closed at the end.
@pytest.fixture
def etcd(tmp_path):
    e = EtcdCluster(tmp_path, members=1)
    yield e
    e.close()


@pytest.fixture
def members(tmp_path, fake, etcd):
    made = []

    def make(name, **kw):
        m = Member(tmp_path / name, fake, name, etcd.endpoints, **kw)
        made.append(m)
        return m
    yield make
    for m in made:
        m.close()


class HoldingProxy:
    """A TCP proxy to one etcd endpoint, on 127.0.0.1 and a port chosen at run time, that holds
    the member's requests matching hold(path, body) (set by the test) until it no longer
    matches: a save of state records, or the read of one bucket, held while a test arranges
    what happens meanwhile. Only unary calls are looked at (the JSON gateway's POSTs with a
    Content-Length); a watch (POST /v3/watch) is piped through as it is."""

    def __init__(self, endpoint):
        import socket
        self.upstream = endpoint.split("//", 1)[1].rsplit(":", 1)
        self.hold = lambda path, body: False
        self.held = 0  # requests that waited
        self.changed = threading.Condition()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set_hold(self, fn):
        with self.changed:
            self.hold = fn
            self.changed.notify_all()

    def close(self):
        self.closed = True
        self.set_hold(lambda path, body: False)
        self.sock.close()

    def _accept(self):
        import socket
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            up = socket.create_connection((self.upstream[0], int(self.upstream[1])))
            threading.Thread(target=self._pipe, args=(up, client), daemon=True).start()
            threading.Thread(target=self._requests, args=(client, up), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        HoldingProxy._shut(src, dst)

    @staticmethod
    def _shut(*socks):
        for s in socks:
            try:
                s.shutdown(2)
            except OSError:
                pass

    def _requests(self, client, up):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = client.recv(65536)
                    if not data:
                        raise OSError
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = [int(v.split(":", 1)[1]) for v in lines[1:]
                          if v.lower().startswith("content-length:")]
                if not length:  # a streaming body (the watch): pipe the rest as it comes
                    up.sendall(head + b"\r\n\r\n" + buf)
                    self._pipe(client, up)
                    return
                while len(buf) < length[0]:
                    data = client.recv(65536)
                    if not data:
                        raise OSError
                    buf += data
                body, buf = buf[:length[0]], buf[length[0]:]
                with self.changed:
                    if self.hold(path, body):
                        self.held += 1
                        self.changed.notify_all()
                        while self.hold(path, body):
                            self.changed.wait()
                up.sendall(head + b"\r\n\r\n" + body)
        except OSError:
            pass
        self._shut(client, up)

    def wait_held(self, n, timeout=10):
        return wait_for(lambda: self.held >= n, timeout, what=f"{n} request(s) held at the proxy")
