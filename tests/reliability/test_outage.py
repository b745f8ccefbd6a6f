# SPDX-License-Identifier: MIT
"""Suite 2, outage (RELIABILITY.md): the AWS account's endpoint (a TCP proxy in front of
build/fakecloud) cuts its connections and resets every new one for a while, then comes back.
The other accounts keep reconciling (their drift is corrected during the outage); the failing
one backs off to its cap (its connection attempts, counted at the proxy, fall to the rate the
cap allows); the error alert fires for it and only for it, and resolves; everything converges."""

import collections
import os
import time

from rellib import (LONG, MultiDaemon, Proxy, Receiver, assert_live, create_functions, not_live,
                    resources, wait_for, write_figures)

N = 1000 if LONG else 100
OUTAGE = 30 if LONG else 20  # seconds
CAP = 4  # the backoff cap, seconds
RESYNC = 5  # seconds: drift on the other accounts is found during the outage


def test_outage(fake, tmp_path):
    rs = resources(N)
    aws = [r for r in rs if r.api == "lambda"]
    others = [r for r in rs if r.api != "lambda"]
    create_functions(fake, rs)
    proxy, rx = Proxy(fake.port), Receiver()
    alerts = (f"alerts:\n  - {{name: hook, type: webhook, url: 'http://127.0.0.1:{rx.port}/hook'}}\n"
              f"alerting: {{errorAfter: 3, fireAfter: 2, remindEvery: 1h}}\n")
    d = MultiDaemon(os.path.join(str(tmp_path), "d"), fake,
                    endpoints={"lambda": f"http://127.0.0.1:{proxy.port}"},
                    backoff=f"{{base: 200ms, cap: {CAP}s}}", resync=f"{RESYNC}s", concurrency=16,
                    alerts=alerts)
    try:
        d.write_resources(rs)
        d.start()
        d.wait_converged(N, 120)
        assert rx.posts == []

        proxy.down()
        t_down = time.time()
        # Drift on the other accounts is corrected while the AWS account is out.
        drifted = others[::max(1, len(others) // 15)]
        time.sleep(2)
        for r in drifted:
            r.drift(fake)
        t_drift = time.time()
        wait_for(lambda: not not_live(fake, drifted), OUTAGE - 4, interval=0.25,
                 what="drift corrected on the other accounts during the outage")
        corrected_s = time.time() - t_drift
        firing = wait_for(lambda: rx.alerts("firing"), OUTAGE - 4, what="an error alert")
        wait_for(lambda: time.time() >= t_down + OUTAGE, OUTAGE + 5, interval=0.5, what="the outage")
        t_up = time.time()
        assert d.proc.poll() is None
        firing = rx.alerts("firing")
        assert {p["resource"]["account"] for p in firing} == {"aws-r"}, firing[:3]
        # One alert per resource for one outage, however the connection failed (refused, reset).
        per_resource = collections.Counter(p["resource"]["name"] for p in firing)
        assert max(per_resource.values()) == 1, (per_resource.most_common(2),
                                                 sorted({p["summary"] for p in firing}))
        status = d.status(query="account=fc3-r&resources=all")
        assert all(r["state"] == "in_sync" for r in status["resources"])

        # The attempts at the proxy: at the cap, each resource retries about every CAP/2 s
        # (full jitter), so 2 * len(aws) / CAP per second ...
        first = sum(1 for t in proxy.attempts if t < t_down + 1)
        tail0 = t_down + OUTAGE / 2
        tail = sum(1 for t in proxy.attempts if t >= tail0) / (t_up - tail0)
        at_cap = 2 * len(aws) / CAP
        assert 0.5 * at_cap <= tail <= 1.5 * at_cap, (tail, at_cap, first)
        # ... and each of them has failed often enough for its bound to be the cap:
        # 200 ms * 2^n >= CAP from n = 5 on.
        attempts = sorted(r.get("attempts", 0) for r in
                          d.status(query="account=aws-r&resources=all")["resources"])
        assert attempts[len(attempts) // 2] >= 5, attempts

        proxy.up()
        d.wait_converged(N, 60 + 2 * CAP)
        converge_s = time.time() - t_up
        assert_live(fake, rs)
        fired = {p["fingerprint"] for p in firing}
        wait_for(lambda: fired <= {p["fingerprint"] for p in rx.alerts("resolved")}, 30,
                 what="every error alert resolved")
        assert d.proc.poll() is None
    finally:
        d.close()
        proxy.close()
        rx.close()

    write_figures("outage", {
        "title": "Outage",
        "command": "make reliability (tests/reliability/test_outage.py)",
        "rows": [
            ["resources", f"{N}: {len(aws)} in the failing AWS account, {len(others)} in FC3, FC2 "
                          "and FunctionGraph accounts"],
            ["outage", f"{OUTAGE} s: open connections cut, every new one reset at accept"],
            ["drift on the other accounts during the outage",
             f"{len(drifted)} resources, corrected in {corrected_s:.1f} s (resyncInterval {RESYNC} s)"],
            ["connection attempts of the failing account",
             f"{len(proxy.attempts)} in all; {tail:.1f}/s in the second half (backoff cap {CAP} s: "
             f"{at_cap:.1f}/s expected); median failures per resource {attempts[len(attempts) // 2]}"],
            ["error alerts fired / resolved",
             f"{len(fired)} / {len(fired)}: one per resource of the AWS account, none elsewhere"],
            ["time to converge after the outage", f"{converge_s:.1f} s"],
            ["daemon exits", 0],
        ],
    })
