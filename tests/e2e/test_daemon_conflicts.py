# SPDX-License-Identifier: MIT
"""Write conflicts end to end (issue 15, "what broke" 2): another writer — the test, through the
emulator's PUT /_fake/drift — changes a resource back right after each of asyncfg's PUTs. Before,
asyncfg wrote it again at every poll, forever (a PUT per resyncInterval; an AWS GET answering
only {"FunctionArn": …} did the same). Now the second reversal within the window is a conflict:
writes back off exponentially while polls go on, /status shows it, asyncfg_write_conflicts_total
counts it, one "conflict" alert reaches the webhook sink, one log line tells it, and the number
of PUTs in a minute stays bounded."""

import os
import subprocess
import threading
import time

from daemonlib import BUILD, doc, fake, make_daemon, wait_for  # noqa: F401
from test_daemon_alerts import Receiver

CLI = os.path.join(BUILD, "asyncfg")


class Writer:
    """The other writer: after each PUT the emulator counts, it changes the config back."""

    def __init__(self, fake, function, config, mode="merge"):
        self.fake, self.function, self.config, self.mode = fake, function, config, mode
        self.reverts = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        seen = self.fake.count("PUT")
        while self.running:
            n = self.fake.count("PUT")
            if n > seen:
                seen = n
                self.fake.drift(self.function, self.config, self.mode)
                self.reverts += 1
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)


def hook_alerts(rx, kind, status):
    return [p[2] for p in rx.at("/hook") if p[2]["kind"] == kind and p[2]["status"] == status]


def conflict_lines(d):
    return [line for line in d.logtext().splitlines() if "write conflict:" in line]


def test_writer_that_reverts_every_put_is_a_conflict(fake, make_daemon):
    rx = Receiver()
    writer = None
    try:
        fake.create("fought")
        alerts = f"alerts:\n  - {{name: hook, type: webhook, url: 'http://127.0.0.1:{rx.port}/hook'}}\n"
        d = make_daemon(resync="2s", extra_accounts=alerts)
        d.write("fought.yaml", doc("fought", retries=2))
        puts0 = fake.count("PUT")
        d.start()
        d.wait_state("fought", "in_sync")
        start = time.monotonic()
        writer = Writer(fake, "fought", {"MaximumRetryAttempts": 0})
        # The first PUT (the create) came before the writer started: revert it by hand.
        fake.drift("fought", {"MaximumRetryAttempts": 0})

        c = wait_for(lambda: d.resource("fought").get("conflict"), 20, what="a conflict")
        assert c["fields"] == ["maxRetryAttempts"]
        assert c["count"] >= 2 and c["since"] and c["last_seen"]
        assert d.status("")["summary"]["conflicts"] == 1
        assert d.metric('asyncfg_write_conflicts_total{provider="aws"}') >= 1
        assert d.metric('asyncfg_resource_drifted{name="fought"}') == 1
        fired = wait_for(lambda: hook_alerts(rx, "conflict", "firing"), 10, what="a conflict alert")
        assert "someone keeps changing maxRetryAttempts back" in fired[0]["summary"]
        assert [f["field"] for f in fired[0]["fields"]] == ["maxRetryAttempts"]
        table = subprocess.run([CLI, "status", "--endpoint", f"http://127.0.0.1:{d.port}"],
                               capture_output=True, text=True, timeout=10).stdout
        assert "conflict: maxRetryAttempts changed back" in table, table
        assert "1 in a write conflict" in table, table

        # A minute of the fight: without the backoff asyncfg wrote once a poll (~30 PUTs).
        time.sleep(max(0.0, 60 - (time.monotonic() - start)))
        puts = fake.count("PUT") - puts0
        print(f"PUTs in 60 s against a writer that reverts each one: {puts} "
              f"(reverts {writer.reverts}, reversals {d.resource('fought')['conflict']['count']})")
        assert 3 <= puts <= 12, puts
        assert d.proc.poll() is None
        assert len(hook_alerts(rx, "conflict", "firing")) == 1  # deduplicated on the fields
        assert len(conflict_lines(d)) == 1, conflict_lines(d)

        # A YAML change ends it at once: the new document is written without waiting.
        writer.stop()
        d.write("fought.yaml", doc("fought", retries=1))
        wait_for(lambda: fake.configs()["fought"].get("MaximumRetryAttempts") == 1, 10,
                 what="the new YAML written")
        wait_for(lambda: "conflict" not in d.resource("fought"), 10, what="the conflict over")
        assert d.status("")["summary"]["conflicts"] == 0
        wait_for(lambda: hook_alerts(rx, "conflict", "resolved"), 10, what="resolved")
        assert any("write conflict over" in line for line in d.logtext().splitlines())
        assert d.stop() == 0
    finally:
        if writer:
            writer.stop()
        rx.close()


def test_aws_answer_of_only_function_arn_is_bounded(fake, make_daemon):
    """A GET that answers only {"FunctionArn": …} after each PUT (drift mode replace with {})."""
    writer = None
    fake.create("arnonly")
    d = make_daemon(resync="1s")
    d.write("arnonly.yaml", doc("arnonly", retries=2))
    puts0 = fake.count("PUT")
    d.start()
    d.wait_state("arnonly", "in_sync")
    try:
        writer = Writer(fake, "arnonly", {}, mode="replace")
        fake.drift("arnonly", {}, mode="replace")
        live = fake.configs()["arnonly"]
        assert "MaximumRetryAttempts" not in live and "MaximumEventAgeInSeconds" not in live
        start = time.monotonic()
        c = wait_for(lambda: d.resource("arnonly").get("conflict"), 20, what="a conflict")
        assert c["fields"] == ["maxRetryAttempts", "maxEventAgeSeconds"]
        time.sleep(max(0.0, 30 - (time.monotonic() - start)))
        puts = fake.count("PUT") - puts0
        print(f"PUTs in about 30 s against a GET of only FunctionArn: {puts}")
        # Without the backoff: one a poll, about 30.
        assert puts <= 12, puts
        assert len(conflict_lines(d)) == 1, conflict_lines(d)
    finally:
        if writer:
            writer.stop()
    assert d.stop() == 0
