# SPDX-License-Identifier: MIT
"""Suite 1, faults (RELIABILITY.md): resources across AWS, FC3, FC2 and FunctionGraph converge
through 20 % 5xx, 10 % 429 with Retry-After, 2 % dropped connections, 1 % truncated bodies and
50 ± 20 ms of latency; the daemon never exits; the emulator's request log shows that no write
followed a failed read; the requests stay within a stated multiple of the fault-free count
(measured in the same test); once the faults stop, the request rate is the drift-poll rate."""

import json
import os
import time

from rellib import (LONG, history, wait_live, MultiDaemon, assert_live, create_functions, rate, read_log, resources,
                    wait_for, write_figures, writes_on_failed_reads)

N = 1000 if LONG else 100
RESYNC = 30 if LONG else 15  # seconds; short, so the steady poll rate is measurable
MAX_RATIO = 4.0  # requests with faults / requests without, at most
FAULTS = {"error5xx": 0.2, "errorStatus": 503, "throttle": 0.1, "retryAfter": 1, "drop": 0.02,
          "truncate": 0.01, "latencyMs": 30, "jitterMs": 40, "seed": 15}


def sync(fake, tmp, name, rs, faults=None, timeout=120):
    """A fresh emulator and state store, a daemon over rs: (daemon, seconds until the cloud
    held every desired config, the requests until then)."""
    st, _ = fake.control("POST", "/_fake/reset")
    assert st == 200
    create_functions(fake, rs)
    if faults:
        fake.faults(**faults)
    d = MultiDaemon(os.path.join(tmp, name), fake, resync=f"{RESYNC}s", concurrency=16)
    d.write_resources(rs)
    t0 = time.time()
    d.start()
    wait_live(fake, rs, timeout)
    took = time.time() - t0
    assert d.proc.poll() is None, d.logtext()[-3000:]
    log = [e for e in read_log(fake) if e["start"] <= t0 + took]
    return d, took, log


def test_faults(fake, tmp_path):
    rs = resources(N)
    base, base_s, base_log = sync(fake, str(tmp_path), "clean", rs)
    base.wait_converged(N, 60)
    assert base.stop() == 0
    base.close()
    assert writes_on_failed_reads(base_log) == []

    d, took, log = sync(fake, str(tmp_path), "faults", rs, FAULTS, timeout=600 if LONG else 240)
    try:
        injected = fake.stats()["faults"]
        assert_live(fake, rs)
        bad = writes_on_failed_reads(log)
        with open(os.path.join(str(tmp_path), "log.json"), "w") as f:
            json.dump(log, f)
        assert bad == [], (f"{len(bad)} writes after a failed read; the first resource's "
                           f"requests:\n" + "\n--\n".join(history(log, b) for b in bad))
        ratio = len(log) / len(base_log)
        assert ratio <= MAX_RATIO, (len(log), len(base_log))
        assert sum(1 for e in log if e["fault"] not in ("none", "latency")) > N // 10

        # Faults stop: every resource is seen in sync, and after the backoffs run out there
        # are only drift polls, at N per resyncInterval.
        fake.faults()
        t_clear = time.time()
        d.wait_converged(N, 60)
        t0 = max(time.time(), t_clear + 3)  # 3 s: longer than the backoff cap (2 s)
        wait_for(lambda: time.time() >= t0 + RESYNC, RESYNC + 5, interval=0.5, what="a window")
        window = [e for e in read_log(fake) if t0 <= e["start"] < t0 + RESYNC]
        steady = len(window) / RESYNC
        expected = N / RESYNC
        assert 0.6 * expected <= steady <= 1.4 * expected, (steady, expected)
        assert all(e["method"] == "GET" for e in window), {e["method"] for e in window}
        assert d.proc.poll() is None
    finally:
        d.close()

    write_figures("faults", {
        "title": "Faults",
        "command": "make reliability (tests/reliability/test_faults.py)",
        "rows": [
            ["resources (AWS, FC3, FC2, FunctionGraph)", f"{N} ({N // 4} each)"],
            ["faults configured", "20 % 5xx (503), 10 % 429 with Retry-After: 1, 2 % dropped "
                                  "connections, 1 % truncated bodies, 50 ± 20 ms latency"],
            ["faults injected", ", ".join(f"{k} {v}" for k, v in injected.items())],
            ["requests to converge without faults", len(base_log)],
            ["requests to converge with faults", len(log)],
            ["ratio (limit)", f"{ratio:.2f} (≤ {MAX_RATIO})"],
            ["time to converge without / with faults", f"{base_s:.1f} s / {took:.1f} s"],
            ["request rate while converging with faults",
             f"{len(log) / took:.1f}/s over the 4 accounts (rateLimit qps 1000 each; "
             f"{len(base_log) / base_s:.0f}/s without faults)"],
            ["writes based on failed reads", len(bad)],
            ["daemon exits", 0],
            ["request rate once faults stopped (expected N / resyncInterval)",
             f"{steady:.1f}/s over {RESYNC} s ({expected:.1f}/s expected), GETs only"],
        ],
    })


def test_the_check_finds_writes_after_failed_reads():
    """The log check itself: a PUT after a truncated, 5xx or dropped GET is found; one after a
    200 or a 404 is not, nor libcurl's resend of a dropped PUT."""
    def e(seq, method, status, fault="none", fn="f"):
        return {"seq": seq, "api": "lambda", "function": fn, "qualifier": "$LATEST",
                "method": method, "status": status, "fault": fault}
    ok = [e(1, "GET", 404), e(2, "PUT", 0, "drop"), e(3, "PUT", 200), e(4, "GET", 200),
          e(5, "PUT", 503, "error5xx"), e(6, "GET", 200, "latency"), e(7, "PUT", 200)]
    assert writes_on_failed_reads(ok) == []
    for failed in (e(8, "GET", 200, "truncate"), e(8, "GET", 503, "error5xx"),
                   e(8, "GET", 0, "drop"), e(8, "GET", 429, "throttle")):
        assert writes_on_failed_reads(ok + [failed, e(9, "PUT", 200)]) == [e(9, "PUT", 200)]
    # A second write with no read in between, and a write never preceded by a read.
    assert writes_on_failed_reads(ok + [e(8, "PUT", 200)]) == [e(8, "PUT", 200)]
    assert writes_on_failed_reads([e(1, "DELETE", 204, fn="g")]) == [e(1, "DELETE", 204, fn="g")]
