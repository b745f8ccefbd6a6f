# SPDX-License-Identifier: MIT
"""asyncfgd and systemd: READY=1 once loaded and bound, STATUS= with the counts per state,
WATCHDOG=1 from the loop, RELOADING=1 + MONOTONIC_USEC then READY=1 on SIGHUP (an invalid new
configuration is reported and the old one kept), STOPPING=1 and exit 0 on SIGTERM, also while
busy, within the bound."""

import json
import os
import signal
import time

from daemonlib import doc, fake, http_get, make_daemon, read_state, wait_for  # noqa: F401


def test_ready_status_watchdog_reload_stop(fake, make_daemon):
    fake.create("a", "b", "c")
    d = make_daemon()
    d.write("a.yaml", doc("a"))
    d.write("more.yaml", doc("b") + "---\n" + doc("c", retries=2))
    d.start()
    # READY=1 only once the endpoint answers (it was bound before READY).
    assert http_get(d.port, "/healthz") == (200, b"ok\n")
    assert http_get(d.port, "/readyz") == (200, b"ready\n")
    wait_for(lambda: "3 resources: 3 in sync" in d.notify.values("STATUS"), 10, what="STATUS")
    fields = d.notify.fields()
    assert fields.index(("READY", "1")) < fields.index(("STATUS", "3 resources: 3 in sync"))
    assert fake.configs()["c"]["MaximumRetryAttempts"] == 2

    # The watchdog: sd-event pings at a fraction of WATCHDOG_USEC=1s.
    n = len(d.notify.values("WATCHDOG"))
    time.sleep(1.5)
    assert len(d.notify.values("WATCHDOG")) - n >= 2
    assert set(d.notify.values("WATCHDOG")) == {"1"}

    # SIGHUP: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC now), then READY=1.
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.ready_count() == 2, 5, what="READY=1 after reload")
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    msgs = [m for _, m in d.notify.all()]
    reload_msg = [m for m in msgs if "RELOADING=1" in m]
    assert len(reload_msg) == 1
    usec = int(dict(l.split("=", 1) for l in reload_msg[0].split("\n"))["MONOTONIC_USEC"])
    assert before <= usec <= after
    assert msgs.index(reload_msg[0]) < len(msgs) - 1 - msgs[::-1].index("READY=1")

    # SIGTERM: STOPPING=1, exit 0.
    assert d.stop() == 0
    assert d.notify.values("STOPPING") == ["1"]


def test_status_is_rate_limited_and_ends_on_the_last_counts(fake, make_daemon):
    """During a sync the counts change at every loop iteration: STATUS= goes out at most every
    200 ms (sd_notify() costs a socket each time), and the last counts always arrive."""
    names = [f"sr-{i}" for i in range(400)]
    fake.create(*names)
    fake.faults(latencyMs=20)  # a sync that lasts long enough to change the counts often
    d = make_daemon(concurrency=4)
    for k in range(0, len(names), 50):
        d.write(f"f{k}.yaml", "---\n".join(doc(n) for n in names[k:k + 50]))
    d.start()
    wait_for(lambda: "400 resources: 400 in sync" in d.notify.values("STATUS"), 60,
             what="the final STATUS=")
    sent = [(t, m) for t, m in d.notify.all() if m.startswith("STATUS=")]
    assert len(sent) >= 3, sent  # the sync took over a second: several lines, not one
    gaps = [b[0] - a[0] for a, b in zip(sent, sent[1:])]
    assert min(gaps) >= 0.15, (min(gaps), len(sent))
    assert d.stop() == 0


def test_invalid_config_on_reload_keeps_the_old(fake, make_daemon):
    fake.create("a")
    d = make_daemon()
    d.write("a.yaml", doc("a", retries=1))
    d.start()
    d.wait_state("a", "in_sync")
    d.write_config("desiredDir: [not, a, string]\naccounts: 3\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.ready_count() == 2, 5, what="READY=1 after reload")
    assert "is not usable" in d.logtext()
    assert d.proc.poll() is None
    # The old configuration (accounts, directory) still works.
    d.write("a.yaml", doc("a", retries=2))
    wait_for(lambda: fake.configs()["a"].get("MaximumRetryAttempts") == 2, 5, what="PUT")
    assert d.stop() == 0


def test_reload_reads_new_accounts(fake, make_daemon):
    fake.create("a")
    d = make_daemon()
    d.write("a.yaml", doc("a") .replace("  management", "  account: aws-other\n  management"))
    d.start()
    # The account does not exist yet: the file is invalid, nothing of it is applied.
    wait_for(lambda: d.status()["summary"]["files"]["error"] == 1, 5, what="file in error")
    assert d.resource("a") is None
    d.extra_accounts = d.config_text().split("accounts:\n", 1)[1].replace("aws-test", "aws-other")
    d.write_config()
    d.signal(signal.SIGHUP)
    d.wait_state("a", "in_sync", 10)
    assert fake.configs()["a"]["MaximumRetryAttempts"] == 1
    assert d.stop() == 0


def test_sigterm_while_busy_exits_within_the_bound(fake, make_daemon):
    names = [f"f{i}" for i in range(40)]
    fake.create(*names)
    d = make_daemon(concurrency=8)
    for n in names:
        d.write(f"{n}.yaml", doc(n))
    fake.faults(latencyMs=15000)  # every request hangs well past the 10 s bound
    d.start()
    wait_for(lambda: d.status()["summary"]["in_flight"] == 8, 5, what="8 requests in flight")
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    rc = d.proc.wait(timeout=14)
    took = time.monotonic() - t0
    assert rc == 0
    assert 9 <= took <= 13, took  # waited for the bound, then cancelled
    assert d.notify.values("STOPPING") == ["1"]
    assert "cancelling" in d.logtext()
    assert "Stopped: state saved" in d.logtext()
    # Nothing was acknowledged (every request was cancelled): nothing claims to be in sync.
    assert "in_sync" not in d.logtext()


def test_sigterm_lets_in_flight_requests_finish(fake, make_daemon):
    names = [f"g{i}" for i in range(10)]
    fake.create(*names)
    d = make_daemon(concurrency=4)
    for n in names:
        d.write(f"{n}.yaml", doc(n))
    fake.faults(latencyMs=1500, method="PUT")
    d.start()
    wait_for(lambda: d.status()["summary"]["in_flight"] >= 1 and fake.count("GET") >= 4, 5,
             what="PUTs in flight")
    gets = fake.count("GET")
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    assert d.proc.wait(timeout=8) == 0
    assert time.monotonic() - t0 < 5
    # Nothing new was started after the signal; what was in flight finished (recorded).
    assert fake.count("GET") == gets
    st = json.dumps(read_state(d.state))
    assert sum(1 for n in names if f"/{n}/" in st) == fake.count("PUT")
