# SPDX-License-Identifier: MIT
"""Found at scale (issue 13 §4): `concurrency` means what it says (not libcurl's 8 connections
per host), /status pages and filters and streams the full list, /metrics has per-resource
series only for what is wrong, the desired-file limit is configurable and never leads to a
READY with nothing loaded, and the work queue reports how late it runs."""

import contextlib
import http.client
import json
import os
import signal
import socket

from daemonlib import Daemon, Fake, http_get, wait_for


def aws_docs(names):
    return "".join(f"---\napiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: {n}}}\n"
                   f"spec: {{provider: aws, account: aws-test, function: {n}, maxRetryAttempts: 1}}\n"
                   for n in names)


def write_desired(d, names, per_file=50):
    for i in range(0, len(names), per_file):
        d.write(f"f{i // per_file:03}.yaml", aws_docs(names[i:i + per_file]))


@contextlib.contextmanager
def fleet(tmp_path, n, missing=(), latency_ms=0, **kw):
    """n AWS resources fn000... in files of 50 (those in missing have no function: error) and a
    daemon started on them, stopped at the end."""
    fake = Fake()
    d = Daemon(tmp_path, fake, **{"qps": 10000, "burst": 10000, "resync": "10m", **kw})
    try:
        names = [f"fn{i:03}" for i in range(n)]
        fake.create(*[x for x in names if x not in missing])
        write_desired(d, names)
        if latency_ms:
            fake.faults(latencyMs=latency_ms)
        d.start()
        yield fake, d, names
    finally:
        d.close()
        fake.stop()


def test_concurrency_is_not_capped_by_connections_per_host(tmp_path):
    """All accounts of a region share one host: with 50 ms of latency the emulator sees as many
    requests at once as `concurrency` says, more than 8 (libcurl's default cap per host, which
    held before), and a reload that raises it takes effect."""
    n = 200
    with fleet(tmp_path, n, latency_ms=50, concurrency=4) as (fake, d, names):
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


def test_metrics_have_per_resource_series_only_for_what_is_wrong(tmp_path):
    n = 300
    with fleet(tmp_path, n, missing={"fn299"}, resync="1s") as (fake, d, names):
        wait_for(lambda: d.metric('asyncfg_resources{state="in_sync"}') == n - 1, 30,
                 what="the fleet in sync")
        wait_for(lambda: d.metric('asyncfg_resources{state="error"}') == 1, 10, what="one error")
        series = [l for l in d.metrics().splitlines() if l.startswith("asyncfg_resource_drifted{")]
        assert series == ['asyncfg_resource_drifted{name="fn299"} 0'], series[:5]


def test_workqueue_oldest_due_shows_lag(tmp_path):
    """asyncfg_workqueue_depth counts every scheduled item; the age of the oldest due item is
    what shows the queue running late (set on a scrape too, as it grows with time alone)."""
    n = 20
    with fleet(tmp_path, n, latency_ms=300, concurrency=1) as (fake, d, names):
        wait_for(lambda: (d.metric("asyncfg_workqueue_oldest_due_seconds") or 0) > 1.5, 10,
                 what="the lag seen")
        fake.faults()
        wait_for(lambda: d.metric('asyncfg_resources{state="in_sync"}') == n, 30, what="in sync")
        assert d.metric("asyncfg_workqueue_oldest_due_seconds") == 0
        assert d.metric("asyncfg_workqueue_depth") == n  # the polls, all scheduled


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


def get_json(d, path):
    st, data = http_get(d.port, path)
    assert st == 200, (path, st, data)
    return json.loads(data)


def test_status_summary_filters_pages_and_streams(tmp_path):
    n = 250
    broken = {"fn007", "fn100", "fn201"}  # their functions do not exist: error
    with fleet(tmp_path, n, missing=broken) as (fake, d, names):
        wait_for(lambda: d.metric('asyncfg_resources{state="in_sync"}') == n - 3, 30, what="in sync")
        wait_for(lambda: d.metric('asyncfg_resources{state="error"}') == 3, 10, what="errors")

        # By default a summary: no resource list, the files in error only.
        doc = get_json(d, "/status")
        assert "resources" not in doc and doc["files"] == [], doc.keys()
        assert doc["summary"]["resources"] == n and doc["summary"]["states"]["error"] == 3

        errors = get_json(d, "/status?state=error")
        assert [r["name"] for r in errors["resources"]] == sorted(broken)
        assert errors["next"] is None
        assert [r["name"] for r in get_json(d, "/status?state=error,in_sync&account=aws-test")
                ["resources"]] == names
        assert get_json(d, "/status?account=nope")["resources"] == []

        # Pages of 100 in name order, each after the last name of the one before; together
        # they are the full list, which is streamed (chunked, never built whole).
        pages, after = [], None
        while True:
            page = get_json(d, "/status?limit=100" + (f"&after={after}" if after else ""))
            pages.append(page["resources"])
            after = page["next"]
            if after is None:
                break
            assert after == page["resources"][-1]["name"]
        assert [len(p) for p in pages] == [100, 100, 50]
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        c.request("GET", "/status?resources=all")
        resp = c.getresponse()
        assert resp.getheader("Transfer-Encoding") == "chunked"
        full = json.loads(resp.read())
        c.close()
        assert [r for p in pages for r in p] == full["resources"]
        assert len(full["files"]) == n // 50 and full["next"] is None

        for bad in ("limit=0", "limit=x", "state=happy", "resources=some"):
            st, body = http_get(d.port, "/status?" + bad)
            assert st == 400 and body.startswith(b"bad query: "), (bad, st, body)

        # A client that reads the full list slowly holds up nothing: the loop answers others.
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"GET /status?resources=all HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(100)
        assert http_get(d.port, "/healthz", timeout=2) == (200, b"ok\n")
        s.close()
