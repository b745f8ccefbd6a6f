# SPDX-License-Identifier: MIT
"""asyncfgd against the cloud: drift corrected in enforce and only reported in observe; drift
told from change; throttling slows the daemon down and it recovers; a failed read triggers no
write; kill -9 and restart converge without re-applying what is in sync."""

import json
import os
import signal
import time

from daemonlib import doc, fake, make_daemon, read_state, wait_for  # noqa: F401


def retries(fake, name):
    return fake.configs().get(name, {}).get("MaximumRetryAttempts")


def test_drift_corrected_in_enforce_reported_in_observe(fake, make_daemon):
    fake.create("enf", "obs")
    # The observed one exists already as desired (adopted: observe never writes).
    fake.drift("obs", {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600})
    d = make_daemon(resync="1s")
    d.write("enf.yaml", doc("enf", retries=1))
    d.write("obs.yaml", doc("obs", retries=1, management="observe"))
    d.start()
    d.wait_state("enf", "in_sync")
    d.wait_state("obs", "in_sync")
    puts = fake.count("PUT")
    fake.drift("enf", {"MaximumRetryAttempts": 0})
    fake.drift("obs", {"MaximumRetryAttempts": 0})
    # Enforce: detected at the next poll and corrected with one PUT.
    wait_for(lambda: retries(fake, "enf") == 1, 5, what="drift corrected")
    assert fake.count("PUT") == puts + 1
    # Observe: reported, never written; it was seen in sync first, so the difference is known
    # to be drift (reconcile.h: the baseline of the last agreement).
    d.wait_state("obs", "drifted", 5)
    r = d.resource("obs")
    assert [(e["field"], e["from"], e["to"]) for e in r["diff"]] == [("maxRetryAttempts", 0, 1)]
    assert r["diff"][0]["drift"] is True and r["drift"] is True
    time.sleep(1.5)  # another poll or two
    assert retries(fake, "obs") == 0
    assert fake.count("PUT") == puts + 1
    assert d.metric('asyncfg_resource_drifted{name="obs"}') == 1
    assert d.metric('asyncfg_resource_drifted{name="enf"}') is None  # in sync: no series
    assert d.metric('asyncfg_drift_detected_total{provider="aws"}') >= 1
    assert d.metric('asyncfg_resources{state="drifted"}') == 1
    # STATUS= follows within its 200 ms interval
    wait_for(lambda: "1 drifted" in d.notify.values("STATUS")[-1], 5, what="STATUS= with the drift")
    enf = d.resource("enf")
    assert enf["last_drift"] and enf["last_drift_diff"][0]["drift"] is True
    log = d.logtext()
    assert "enf: drift on maxRetryAttempts: 0 → 1 (someone changed the cloud); correcting" in log
    assert ("obs: drift on maxRetryAttempts: 0 → 1 (someone changed the cloud); observe mode, "
            "not corrected") in log
    assert d.stop() == 0


def test_drift_versus_change(fake, make_daemon):
    fake.create("dc")
    d = make_daemon(resync="1s")
    d.write("dc.yaml", doc("dc", retries=1))
    d.start()
    d.wait_state("dc", "in_sync")
    # Someone changed the cloud: drift (live differs from what was last applied).
    fake.drift("dc", {"MaximumEventAgeInSeconds": 600})
    wait_for(lambda: d.resource("dc")["last_drift"], 5, what="drift detected")
    wait_for(lambda: fake.configs()["dc"]["MaximumEventAgeInSeconds"] == 3600, 5, what="corrected")
    wait_for(lambda: d.resource("dc")["last_write_diff"], 5, what="the write recorded")
    r = d.resource("dc")
    assert r["last_write_diff"] == [{"field": "maxEventAgeSeconds", "from": 600, "to": 3600,
                                     "drift": True, "change": False}]
    assert r["last_drift_diff"] == r["last_write_diff"]
    drifts = d.metric('asyncfg_drift_detected_total{provider="aws"}')
    assert drifts == 1
    # Someone changed the YAML: a change (desired differs from last applied), not a drift.
    d.write("dc.yaml", doc("dc", retries=2))
    wait_for(lambda: fake.configs()["dc"]["MaximumRetryAttempts"] == 2, 5, what="change applied")
    wait_for(lambda: d.resource("dc")["last_write_diff"][0]["field"] == "maxRetryAttempts", 5,
             what="the change recorded")
    r = d.resource("dc")
    assert r["last_write_diff"] == [{"field": "maxRetryAttempts", "from": 1, "to": 2,
                                     "drift": False, "change": True}]
    assert r["drift"] is False
    assert d.metric('asyncfg_drift_detected_total{provider="aws"}') == drifts
    assert ("dc: drift on maxEventAgeSeconds: 600 → 3600 (someone changed the cloud); correcting"
            in d.logtext())
    assert d.stop() == 0


def test_observe_tells_drift_from_change(fake, make_daemon):
    # An observe resource is never written, so nothing is ever "applied": the first time the
    # cloud and the YAML agree, what is live is recorded as the baseline, and later
    # differences are drift (the cloud moved) or change (the YAML moved).
    fake.create("ob")
    fake.drift("ob", {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 3600})
    d = make_daemon(resync="1s")
    d.write("ob.yaml", doc("ob", retries=1, management="observe"))
    d.start()
    # Never seen in agreement: the difference is reported, neither drift nor change.
    d.wait_state("ob", "drifted")
    r = d.resource("ob")
    assert r["diff"] == [{"field": "maxRetryAttempts", "from": 0, "to": 1}]
    assert r["drift"] is False
    # The cloud comes to agree (someone applied it by hand): the baseline is recorded.
    fake.drift("ob", {"MaximumRetryAttempts": 1})
    d.wait_state("ob", "in_sync", 5)
    wait_for(lambda: len(read_state(d.state)["resources"]) == 1, 5, what="baseline saved")
    rec = next(iter(read_state(d.state)["resources"].values()))
    assert rec["created"] is False and rec["config"]["maxRetryAttempts"] == 1
    # The cloud changes: drift.
    fake.drift("ob", {"MaximumEventAgeInSeconds": 600})
    d.wait_state("ob", "drifted", 5)
    r = d.resource("ob")
    assert r["diff"] == [{"field": "maxEventAgeSeconds", "from": 600, "to": 3600,
                          "drift": True, "change": False}]
    assert r["drift"] is True and r["last_drift"]
    assert d.metric('asyncfg_resource_drifted{name="ob"}') == 1
    drifts = d.metric('asyncfg_drift_detected_total{provider="aws"}')
    assert drifts >= 1
    fake.drift("ob", {"MaximumEventAgeInSeconds": 3600})  # put back by hand
    d.wait_state("ob", "in_sync", 5)
    n = d.metric('asyncfg_drift_detected_total{provider="aws"}')
    # The YAML changes: a change, not a drift (and still never written).
    d.write("ob.yaml", doc("ob", retries=2, management="observe"))
    wait_for(lambda: d.resource("ob")["diff"] and d.state_of("ob") == "drifted", 5,
             what="the change seen")
    r = d.resource("ob")
    assert r["diff"] == [{"field": "maxRetryAttempts", "from": 1, "to": 2,
                          "drift": False, "change": True}]
    assert r["drift"] is False
    assert d.metric('asyncfg_drift_detected_total{provider="aws"}') == n
    assert fake.count("PUT") == 0
    assert d.stop() == 0


def test_throttling_slows_down_and_recovers(fake, make_daemon):
    names = [f"t{i}" for i in range(20)]
    fake.create(*names)
    d = make_daemon(qps=50, burst=10)
    for n in names:
        d.write(f"{n}.yaml", doc(n))
    fake.faults(throttle=1.0, retryAfter=1)
    d.start()
    t0 = time.monotonic()
    time.sleep(3)
    n_throttled = fake.stats()["requests"]
    elapsed = time.monotonic() - t0
    # Without backoff, Retry-After and the halving bucket this would be thousands.
    assert n_throttled <= 3 * len(names) + 10, (n_throttled, elapsed)
    st = d.status()["summary"]["states"]
    assert st["retrying"] > 0 and st["in_sync"] == 0
    assert d.metric("asyncfg_workqueue_retries_total") > 0
    assert "throttled" in json.dumps(d.resource("t0")["last_error"])
    fake.faults()  # the throttling ends
    # From the floor the rate recovers 10 % a 10 s; every GET and PUT takes its token (issue
    # 13 §3), twice what one token per reconcile took.
    wait_for(lambda: d.status()["summary"]["states"]["in_sync"] == len(names), 30,
             what="all in sync after the throttling")
    assert all(retries(fake, n) == 1 for n in names)
    assert d.stop() == 0


def test_failed_read_triggers_no_write(fake, make_daemon):
    fake.create("fr")
    d = make_daemon(resync="1s")
    d.write("fr.yaml", doc("fr", retries=1, deletion="delete"))
    d.start()
    d.wait_state("fr", "in_sync")
    fake.drift("fr", {"MaximumRetryAttempts": 0})
    puts = fake.count("PUT")
    for faults in ({"error5xx": 1.0, "errorStatus": 503, "method": "GET"},
                   {"truncate": 1.0, "method": "GET"},
                   {"drop": 1.0, "method": "GET"}):
        fake.faults(**faults)
        n = fake.stats()["requests"]
        wait_for(lambda: fake.stats()["requests"] >= n + 2, 8, what=f"reads under {faults}")
        d.wait_state("fr", "retrying", 5)
        assert fake.count("PUT") == puts and fake.count("DELETE") == 0
        assert d.resource("fr")["last_error"]["class"] == "transient"
    fake.faults()
    wait_for(lambda: retries(fake, "fr") == 1, 10, what="drift corrected after the reads work")
    assert d.stop() == 0


def test_kill9_and_restart_converge_without_reapplying(fake, make_daemon):
    names = [f"k{i}" for i in range(30)]
    fake.create(*names)
    d = make_daemon(resync="1m")
    for n in names:
        d.write(f"{n}.yaml", doc(n, retries=2))
    d.start()
    wait_for(lambda: d.status()["summary"]["states"]["in_sync"] == len(names), 10,
             what="converged")
    puts = fake.count("PUT")
    assert puts == len(names)
    d.kill()
    # The store is never half written.
    state = read_state(d.state)
    assert state["format"] == "asyncfg-state" and len(state["resources"]) == len(names)
    # Restarted: every resource is read, none is written again.
    fake.drift("k0", {"MaximumRetryAttempts": 0})  # and this one is drift, known as drift
    d.start()
    wait_for(lambda: d.status()["summary"]["states"]["in_sync"] == len(names), 10,
             what="converged again")
    assert fake.count("PUT") == puts + 1
    assert d.resource("k0")["last_drift_diff"][0]["drift"] is True
    assert d.stop() == 0


def test_kill9_during_writes_loses_nothing_acknowledged(fake, make_daemon):
    names = [f"w{i}" for i in range(60)]
    fake.create(*names)
    d = make_daemon(concurrency=4)
    for n in names:
        d.write(f"{n}.yaml", doc(n))
    fake.faults(latencyMs=50)
    d.start()
    wait_for(lambda: d.status()["summary"]["states"]["in_sync"] >= 10, 10, what="some in sync")
    acked = {r["name"] for r in d.status()["resources"] if r["state"] == "in_sync"}
    d.kill()
    state = read_state(d.state)
    recorded = {k.split("/")[2] for k in state["resources"]}
    assert acked <= recorded  # everything reported in sync was on disk
    fake.faults()
    d.start()
    wait_for(lambda: d.status()["summary"]["states"]["in_sync"] == len(names), 15,
             what="converged after the crash")
    # Each function was written at most once (a PUT whose record was lost is found in sync).
    assert fake.count("PUT") == len(names)
    assert d.stop() == 0


def test_changing_exactly_while_the_put_is_in_flight(fake, make_daemon):
    fake.create("slow")
    d = make_daemon(resync="1m")
    d.write("slow.yaml", doc("slow", retries=1))
    d.start()
    d.wait_state("slow", "in_sync")
    # A slow GET is not a write: the resource is not changing while it is read.
    fake.faults(latencyMs=1500, method="GET")
    d.write("slow.yaml", doc("slow", retries=2))
    d.wait_state("slow", "pending", 3)
    time.sleep(0.7)
    assert d.state_of("slow") == "pending"
    # A slow PUT: changing from the moment it is sent until it is applied.
    fake.faults(latencyMs=1500, method="PUT")
    d.wait_state("slow", "changing", 5)
    time.sleep(0.6)
    assert d.state_of("slow") == "changing"  # the answer is still on its way
    d.wait_state("slow", "in_sync", 5)
    assert retries(fake, "slow") == 2
    assert d.stop() == 0
