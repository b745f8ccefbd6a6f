# SPDX-License-Identifier: MIT
"""The daemon's HTTP endpoint under attack (reconciler/daemon/endpoint.c): request smuggling
by two Content-Length values is refused; slowloris clients and idle connections never keep a
Prometheus scrape out."""

import errno
import resource
import selectors
import socket
import threading
import time

from conftest import BUILD
from daemonlib import fake, http_get, make_daemon, wait_for  # noqa: F401


def raw_request(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return out
            out += chunk


def status_line(answer):
    return answer.split(b"\r\n", 1)[0].decode()


def test_two_different_content_lengths_are_400(fake, make_daemon):
    d = make_daemon().start()
    for lengths in (("0", "5"), ("5", "0"), ("3", "03x")):
        req = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n"
               b"Content-Length: %s\r\nConnection: close\r\n\r\nhello" % tuple(
                   v.encode() for v in lengths))
        assert status_line(raw_request(d.port, req)).startswith("HTTP/1.1 400"), lengths
    # The same value twice is one length (RFC 9110 §8.6 allows merging it); 0 is no body.
    req = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n"
           b"Connection: close\r\n\r\n")
    assert status_line(raw_request(d.port, req)) == "HTTP/1.1 200 OK"
    assert d.stop() == 0


class Attack:
    """n_idle connections that never send a byte and n_slow that send one byte of a request
    header every `every` seconds, each reconnected `redial` s after the daemon closes it, driven
    by one thread with a selector. Counts what the daemon closed."""

    HEADER = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slowloris: " + b"a" * 4000

    def __init__(self, port, n_idle, n_slow, every=3.0, redial=0.5):
        self.port, self.every, self.redial = port, every, redial
        self.sel = selectors.DefaultSelector()
        self.closed_by_daemon = 0
        self.connected = 0
        self.sent = 0
        self.pending = [(0.0, "idle")] * n_idle + [(0.0, "slow")] * n_slow  # (when, kind)
        self.running = True
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _dial(self, kind):
        s = socket.socket()
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", self.port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.pending.append((time.monotonic() + self.redial, kind))
            return
        self.connected += 1
        # A slow client's next byte is due at once, then every `every` seconds.
        self.sel.register(s, selectors.EVENT_READ, [kind, time.monotonic(), 0])

    def _on_readable(self, key):
        try:
            data = key.fileobj.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            return
        self.sel.unregister(key.fileobj)
        key.fileobj.close()
        self.closed_by_daemon += 1
        self.pending.append((time.monotonic() + self.redial, key.data[0]))

    def _trickle(self, now):
        for key in list(self.sel.get_map().values()):
            kind, due, pos = key.data
            if kind != "slow" or due > now or pos >= len(self.HEADER):
                continue
            try:
                key.fileobj.send(self.HEADER[pos:pos + 1])
                key.data[2] += 1
                self.sent += 1
            except OSError:
                pass  # closed: the selector reports it
            key.data[1] = now + self.every

    def _run(self):
        while self.running:
            now = time.monotonic()
            due = [p for p in self.pending if p[0] <= now]
            self.pending = [p for p in self.pending if p[0] > now]
            for _, kind in due:
                self._dial(kind)
            for key, _ in self.sel.select(timeout=0.05):
                self._on_readable(key)
            self._trickle(now)

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def test_scrapes_answered_under_slowloris_and_idle_flood(fake, make_daemon):
    """100 slowloris clients (a header byte every 3 s) and 1,000 idle connections, all
    redialled when closed: 5 /metrics scrapes each answered within 2 s."""
    # The attackers' descriptors are this process's; the daemon (a child) inherits the limit
    # and takes at most half of it for its connections, as under LimitNOFILE=65536.
    assert raise_nofile(4096) >= 2400
    d = make_daemon().start()
    attack = Attack(d.port, n_idle=1000, n_slow=100)
    try:
        # Every attacker dialled, and long enough for the slow ones to have sent a few bytes
        # and for the first header deadlines (5 s) to have passed: the attack's steady state.
        wait_for(lambda: attack.connected >= 1100 and time.monotonic() - attack.started >= 7,
                 30, what="1,100 attacking connections for 7 s")
        times = []
        for _ in range(5):
            t0 = time.monotonic()
            st, data = http_get(d.port, "/metrics", timeout=2)
            times.append(time.monotonic() - t0)
            assert st == 200 and b"asyncfg_" in data
            time.sleep(0.5)  # pacing between scrapes, not a synchronisation
        assert max(times) < 2.0, times
        assert attack.closed_by_daemon >= 1000 and attack.sent >= 200
        # 512 connections of at most 16 KiB of header each: the flood costs megabytes (ASan's
        # shadow memory and quarantine are not the daemon's).
        peak = vm_hwm_kib(d.proc.pid)
        assert peak < 128 * 1024 or BUILD.rstrip("/").endswith("/san"), peak
        print(f"scrape times under attack: {[round(t, 3) for t in times]}, "
              f"connections closed by the daemon: {attack.closed_by_daemon}, "
              f"slowloris bytes sent: {attack.sent}, daemon peak RSS: {peak} KiB")
    finally:
        attack.stop()
    assert d.proc.poll() is None
    # Said once (a line a minute at most), not once per connection.
    assert d.logtext().count("The endpoint is closing connections") == 1, d.logtext()[-2000:]
    assert d.stop() == 0
