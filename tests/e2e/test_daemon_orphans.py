# SPDX-License-Identifier: MIT
"""Orphans: a resource whose document is gone under deletionPolicy orphan (or in observe mode),
and a state-store record that no document declares after a restart, are listed as `orphaned`
in /status, asyncfg_resources{state="orphaned"} and STATUS=, until orphanRetention ends (then
forgotten, record and all) or their document comes back (managed again)."""

import json
import os
import time

from daemonlib import doc, fake, make_daemon, read_state, wait_for  # noqa: F401


def state_records(d):
    return read_state(d.state)["resources"]


def record_of(d, name):
    for k, v in state_records(d).items():
        if k.split("/")[2] == name:
            return v
    return None


def test_orphan_listed_survives_restart_and_comes_back(fake, make_daemon):
    fake.create("orph", "other")
    d = make_daemon(resync="1m")
    d.write("orph.yaml", doc("orph", retries=2))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("orph", "in_sync")
    os.unlink(os.path.join(d.desired, "orph.yaml"))
    d.wait_state("orph", "orphaned", 5)
    r = d.resource("orph")
    assert (r["provider"], r["account"], r["function"], r["qualifier"]) == \
        ("aws", "aws-test", "orph", "$LATEST")
    assert r["orphaned_since"]
    assert d.metric('asyncfg_resources{state="orphaned"}') == 1
    wait_for(lambda: "1 orphaned" in (d.notify.values("STATUS") or [""])[-1], 5,
             what="STATUS= counts the orphan")
    assert d.status()["summary"]["states"]["orphaned"] == 1
    wait_for(lambda: (record_of(d, "orph") or {}).get("orphanedAtUsec"), 3,
             what="the record marked orphaned")
    rec = record_of(d, "orph")
    assert rec["resource"]["name"] == "orph" and rec["config"]["maxRetryAttempts"] == 2
    assert fake.count("DELETE") == 0
    # A restart keeps listing it, from the record alone.
    assert d.stop() == 0
    d.start()
    d.wait_state("other", "in_sync")
    r = d.resource("orph")
    assert r and r["state"] == "orphaned" and r["function"] == "orph"
    assert d.metric('asyncfg_resources{state="orphaned"}') == 1
    # The document comes back: managed again, found in sync, nothing written.
    puts = fake.count("PUT")
    d.write("orph.yaml", doc("orph", retries=2))
    d.wait_state("orph", "in_sync", 5)
    assert fake.count("PUT") == puts
    assert d.metric('asyncfg_resources{state="orphaned"}') == 0
    wait_for(lambda: "orphanedAtUsec" not in (record_of(d, "orph") or {"orphanedAtUsec": 1}), 3,
             what="the orphan mark cleared")
    assert d.stop() == 0


def test_record_without_document_after_restart_then_forgotten(fake, make_daemon):
    fake.create("gone", "stay")
    d = make_daemon(resync="1m", extra_config="orphanRetention: 3s\n")
    d.write("gone.yaml", doc("gone", retries=0))
    d.write("stay.yaml", doc("stay"))
    d.start()
    d.wait_state("gone", "in_sync")
    d.wait_state("stay", "in_sync")
    assert d.stop() == 0
    # Removed while the daemon was down.
    os.unlink(os.path.join(d.desired, "gone.yaml"))
    d.start()
    r = d.resource("gone")
    assert r and r["state"] == "orphaned", d.status()
    assert (r["name"], r["provider"], r["function"], r["qualifier"]) == \
        ("gone", "aws", "gone", "$LATEST")
    assert d.status()["summary"]["states"]["orphaned"] == 1
    wait_for(lambda: "1 orphaned" in (d.notify.values("STATUS") or [""])[-1], 5,
             what="STATUS= counts the orphan")
    # orphanRetention: forgotten, and its record dropped (ownership given up).
    wait_for(lambda: d.resource("gone") is None, 8, what="forgotten after orphanRetention")
    assert d.metric('asyncfg_resources{state="orphaned"}') == 0
    wait_for(lambda: record_of(d, "gone") is None, 3, what="record dropped")
    assert fake.configs()["gone"]["MaximumRetryAttempts"] == 0  # never touched
    assert fake.count("DELETE") == 0
    assert d.stop() == 0


def test_zero_retention_forgets_at_once(fake, make_daemon):
    fake.create("z", "other")
    d = make_daemon(resync="1m", extra_config="orphanRetention: 0s\n")
    d.write("z.yaml", doc("z"))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("z", "in_sync")
    os.unlink(os.path.join(d.desired, "z.yaml"))
    wait_for(lambda: d.resource("z") is None, 5, what="z forgotten")
    wait_for(lambda: record_of(d, "z") is None, 3, what="record dropped")
    assert "z" in fake.configs()
    assert d.stop() == 0
