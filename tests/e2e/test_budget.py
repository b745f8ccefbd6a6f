# SPDX-License-Identifier: MIT
"""The API budget (DESIGN.md §3.8, §3.9; issue 13 §3): rateLimit.qps counts requests (every
GET and PUT takes its token), for asyncfg apply and for the daemon; an account whose rate
limit cannot poll all its resources within resyncInterval has its polls stretched (reported
in /status, as a gauge and in the log) without exceeding the budget, and a YAML change made
meanwhile is written within seconds. The request rate is measured from the emulator's
counters, sampled from a thread."""

import os
import re
import threading
import time

from conftest import run
from daemonlib import Daemon, Fake, wait_for


def aws_docs(names, retries=1):
    return "".join(f"---\napiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: {n}}}\n"
                   f"spec: {{provider: aws, account: aws-test, function: {n}, "
                   f"maxRetryAttempts: {retries}}}\n" for n in names)


def write_desired(d, names, per_file=100):
    for i in range(0, len(names), per_file):
        d.write(f"f{i // per_file:03}.yaml", aws_docs(names[i:i + per_file]))


class Sampler:
    """Samples the emulator's request count (every method) every 50 ms."""

    def __init__(self, fake):
        self.fake, self.samples, self.running = fake, [], True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            n = sum(self.fake.stats()["byMethod"].values())
            self.samples.append((time.monotonic(), n))
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        return self.samples

    def max_in_window(self, window):
        """The most requests seen within any `window` seconds (sample to sample)."""
        best, j, s = 0, 0, self.samples
        for i in range(len(s)):
            while s[i][0] - s[j][0] > window:
                j += 1
            best = max(best, s[i][1] - s[j][1])
        return best


def budget(qps, burst, window):
    # The bucket allows its burst plus qps per second; one request of slack for the sampling
    # (a sample can fall between a request's arrival at the server and its count).
    return burst + qps * window + 1


def test_apply_counts_every_request_and_reports_progress_off_a_terminal(tmp_path):
    fake = Fake()
    try:
        d = Daemon(tmp_path, fake, qps=10, burst=2)
        names = [f"fn{i:03}" for i in range(40)]
        fake.create(*names)
        write_desired(d, names, per_file=20)
        sampler = Sampler(fake)
        t0 = time.monotonic()
        p = run("apply", "--config", d.config, timeout=120)
        took = time.monotonic() - t0
        sampler.stop()
        assert p.returncode == 0, p.stderr
        assert fake.count("PUT") == 40 and fake.count("GET") == 40
        # 80 requests at 10 per second (burst 2): about 8 s, never faster than the budget.
        # Before, a reconcile took one token for its GET and its PUT: 20 requests/s.
        assert took >= 7.0, took
        for w in (1.0, 2.0, 5.0):
            assert sampler.max_in_window(w) <= budget(10, 2, w), (w, sampler.max_in_window(w))
        # Off a terminal: a progress line every few seconds, with an estimate of what is left.
        lines = [l for l in p.stderr.splitlines() if l.startswith("apply: ")]
        assert lines, p.stderr
        assert re.match(r"apply: \d+/40 resources, \d+ in flight, about \S+ left$", lines[0]), lines
        assert "\r" not in p.stderr and "\033[" not in p.stderr
    finally:
        fake.stop()


def test_daemon_stretches_polls_to_the_budget_and_keeps_room_for_changes(tmp_path):
    n, qps, burst, resync = 2000, 5, 5, 60
    fake = Fake()
    d = None
    try:
        d = Daemon(tmp_path, fake, resync=f"{resync}s", qps=qps, burst=burst, concurrency=8)
        names = [f"fn{i:04}" for i in range(n)]
        for i in range(0, n, 500):
            fake.create(*names[i:i + 500])
        write_desired(d, names)
        # Everything applied (and recorded) beforehand, at a rate that takes no time.
        fast = os.path.join(str(tmp_path), "fast.yaml")
        with open(fast, "w") as f:
            f.write(d.config_text().replace(f"qps: {qps}, burst: {burst}", "qps: 5000, burst: 5000"))
        p = run("apply", "--config", fast, timeout=120)
        assert p.returncode == 0, p.stderr
        puts = fake.count("PUT")
        assert puts == n

        sampler = Sampler(fake)
        d.start()
        time.sleep(8)  # polls run, spread over the interval (not a sweep of every resource)
        assert fake.count("GET") > 0  # polls run from the start, spread over the interval
        # A YAML change while stretched is written within seconds, not after a sweep.
        t0 = time.monotonic()
        d.write("f000.yaml", aws_docs(names[:100]).replace(
            "function: fn0007, maxRetryAttempts: 1", "function: fn0007, maxRetryAttempts: 2"))
        wait_for(lambda: fake.configs().get("fn0007", {}).get("MaximumRetryAttempts") == 2, 6,
                 what="the change written")
        reaction = time.monotonic() - t0
        time.sleep(4)
        samples = sampler.stop()
        assert reaction < 5, reaction
        for w in (1.0, 5.0):
            assert sampler.max_in_window(w) <= budget(qps, burst, w), (w, sampler.max_in_window(w))
        span = samples[-1][0] - samples[0][0]
        assert samples[-1][1] - samples[0][1] <= burst + qps * span + 1
        # 2000 polls per 60 s is 33 GETs/s; 80 % of 5 requests/s polls every 500 s.
        expected = n / (qps * 0.8)
        acc = wait_for(lambda: d.status()["summary"].get("accounts", {}).get("aws-test"), 5,
                       what="accounts in /status")
        assert acc["stretched"] is True and acc["resources"] == n, acc
        assert abs(acc["poll_interval_seconds"] - resync) < 0.01, acc
        assert abs(acc["effective_poll_interval_seconds"] - expected) < 1, acc
        gauge = d.metric('asyncfg_drift_poll_interval_seconds{account="aws-test"}')
        assert gauge is not None and abs(gauge - expected) < 1, gauge
        assert "drift polls are stretched to every" in d.logtext()
    finally:
        if d:
            d.stop()
        fake.stop()
