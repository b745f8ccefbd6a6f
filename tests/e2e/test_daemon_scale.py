# SPDX-License-Identifier: MIT
"""Found at scale (issue 13 §4): `concurrency` means what it says (not libcurl's 8 connections
per host), /status pages and filters and streams the full list, /metrics has per-resource
series only for what is wrong, the desired-file limit is configurable and never leads to a
READY with nothing loaded, and the work queue reports how late it runs."""

import json
import os
import signal

from daemonlib import Daemon, Fake, http_get, wait_for


def aws_docs(names):
    return "".join(f"---\napiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: {n}}}\n"
                   f"spec: {{provider: aws, account: aws-test, function: {n}, maxRetryAttempts: 1}}\n"
                   for n in names)


def write_desired(d, names, per_file=50):
    for i in range(0, len(names), per_file):
        d.write(f"f{i // per_file:03}.yaml", aws_docs(names[i:i + per_file]))


def test_concurrency_is_not_capped_by_connections_per_host(tmp_path):
    """All accounts of a region share one host: with 50 ms of latency the emulator sees as many
    requests at once as `concurrency` says, more than 8 (libcurl's default cap per host, which
    held before), and a reload that raises it takes effect."""
    n = 200
    fake = Fake()
    d = Daemon(tmp_path, fake, concurrency=4, qps=10000, burst=10000, resync="10m")
    try:
        names = [f"fn{i:03}" for i in range(n)]
        fake.create(*names)
        write_desired(d, names)
        fake.faults(latencyMs=50)
        d.start()
        wait_for(lambda: fake.count("PUT") == n, 60, what="every config written")
        assert fake.stats()["maxInFlight"] <= 4, fake.stats()

        d.concurrency = 32
        d.write_config()
        readies = d.ready_count()
        d.signal(signal.SIGHUP)
        wait_for(lambda: d.ready_count() > readies, 10, what="READY=1 after the reload")
        for i in range(0, n, 50):  # a change to every document: n more PUTs
            d.write(f"f{i // 50:03}.yaml", aws_docs(names[i:i + 50]).replace(
                "maxRetryAttempts: 1", "maxRetryAttempts: 2"))
        wait_for(lambda: fake.count("PUT") == 2 * n, 60, what="every change written")
        peak = fake.stats()["maxInFlight"]
        assert 8 < peak <= 32, peak
    finally:
        d.close()
        fake.stop()


def test_metrics_have_per_resource_series_only_for_what_is_wrong(tmp_path):
    n = 300
    fake = Fake()
    d = Daemon(tmp_path, fake, qps=10000, burst=10000, resync="1s")
    try:
        names = [f"fn{i:03}" for i in range(n)]
        fake.create(*names[:-1])  # the last one's function does not exist: error
        write_desired(d, names)
        d.start()
        wait_for(lambda: d.metric('asyncfg_resources{state="in_sync"}') == n - 1, 30,
                 what="the fleet in sync")
        wait_for(lambda: d.metric('asyncfg_resources{state="error"}') == 1, 10, what="one error")
        series = [l for l in d.metrics().splitlines() if l.startswith("asyncfg_resource_drifted{")]
        assert series == [f'asyncfg_resource_drifted{{name="{names[-1]}"}} 0'], series[:5]
    finally:
        d.close()
        fake.stop()


def test_workqueue_oldest_due_shows_lag(tmp_path):
    """asyncfg_workqueue_depth counts every scheduled item; the age of the oldest due item is
    what shows the queue running late (set on a scrape too, as it grows with time alone)."""
    n = 20
    fake = Fake()
    d = Daemon(tmp_path, fake, concurrency=1, qps=10000, burst=10000, resync="10m")
    try:
        names = [f"fn{i:03}" for i in range(n)]
        fake.create(*names)
        write_desired(d, names)
        fake.faults(latencyMs=300)
        d.start()
        wait_for(lambda: (d.metric("asyncfg_workqueue_oldest_due_seconds") or 0) > 1.5, 10,
                 what="the lag seen")
        fake.faults()
        wait_for(lambda: d.metric('asyncfg_resources{state="in_sync"}') == n, 30, what="in sync")
        assert d.metric("asyncfg_workqueue_oldest_due_seconds") == 0
        assert d.metric("asyncfg_workqueue_depth") == n  # the polls, all scheduled
    finally:
        d.close()
        fake.stop()


def test_file_limit_is_configurable_and_never_ready_with_nothing_loaded(tmp_path):
    """limits.files: over it nothing is loaded and nothing is removed; READY=1 is not sent
    while nothing is loaded (/readyz says why), and follows once the tree fits."""
    fake = Fake()
    d = Daemon(tmp_path, fake, qps=10000, burst=10000, resync="10m",
               extra_config="limits: {files: 5}\n")
    try:
        names = [f"fn{i}" for i in range(6)]
        fake.create(*names)
        for n in names[:5]:
            d.write(f"{n}.yaml", aws_docs([n]))
        d.start()
        wait_for(lambda: d.metric('asyncfg_resources{state="in_sync"}') == 5, 10, what="in sync")
        # A sixth file while running: nothing of the tree is taken, nothing is removed.
        d.write("fn5.yaml", aws_docs(["fn5"]))
        wait_for(lambda: http_get(d.port, "/readyz")[0] == 503, 5, what="not ready")
        assert d.status()["summary"]["resources"] == 5
        assert d.stop() == 0
        assert fake.count("DELETE") == 0

        # Started over the limit: nothing loaded, so no READY=1.
        d.start(wait_ready=False)
        wait_for(lambda: "Not reporting ready" in d.logtext(), 10, what="READY=1 held back")
        st, body = http_get(d.port, "/readyz")
        assert st == 503, body
        assert "more YAML files than limits.files (5) allows" in body.decode(), body
        assert f"{d.desired}:1:1: error: more than 5 YAML files (limits.files of the daemon " \
               "configuration); nothing is loaded or removed" in d.logtext()
        assert d.ready_count() == 1  # the first run's only
        summary = d.status()["summary"]
        assert summary["resources"] == 0 and summary["ready"] is False, summary
        assert len(fake.configs()) == 5 and fake.count("DELETE") == 0
        # The tree fits again: loaded, then READY=1.
        os.unlink(os.path.join(d.desired, "fn5.yaml"))
        wait_for(lambda: d.ready_count() == 2, 10, what="READY=1 once loaded")
        wait_for(lambda: http_get(d.port, "/readyz")[0] == 200, 5, what="ready")
        assert d.status()["summary"]["resources"] == 5
    finally:
        d.close()
        fake.stop()
