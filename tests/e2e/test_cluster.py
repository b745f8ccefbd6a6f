# SPDX-License-Identifier: MIT
"""Cluster mode, short (make check): one etcd, two asyncfgd members with a 2 s lease on one
emulator. They split the 1024 buckets as the rendezvous hash says, each resource is written
exactly once, by the member holding its bucket inside its claim, and a member that stops
hands its buckets over. The long scenarios (3 etcd members, kill -9, SIGSTOP, a join, quorum
loss) are tests/cluster/."""

import json
import os
import signal
import subprocess
import time
from collections import Counter

import pytest

from clusterlib import (ClaimMonitor, Member, aws_key, bucket_of, check_writes, cloud_writes,
                        etcd, members, owner, wait_split, write_docs)  # noqa: F401 (fixtures)
from daemonlib import doc, fake, wait_for  # noqa: F401  (fixture)
from etcdlib import b64, etcd_available

pytestmark = pytest.mark.skipif(not etcd_available(), reason="no /usr/bin/etcd")

N = 40
NAMES = [f"fn-{i:03d}" for i in range(N)]


def configured(fake, retries=1):
    return all(fake.configs().get(n, {}).get("MaximumRetryAttempts") == retries for n in NAMES)


def start_members(fake, members, *names, **kw):
    """The members started, the buckets split, every function configured: (*members, held)."""
    made = [members(n, **kw) for n in names]
    write_docs(made, NAMES)
    for m in made:
        m.start()
    held = wait_split(made)
    wait_for(lambda: configured(fake), 20, what="every function configured")
    return (*made, held)


def test_two_members_split_and_write_once(tmp_path, fake, etcd, members):
    fake.create(*NAMES)
    monitor = ClaimMonitor(etcd)
    try:
        a, b, held = start_members(fake, members, "host-a", "host-b")
        # About even: rendezvous over 2 members.
        assert 400 < len(held["host-a"]) < 624, {k: len(v) for k, v in held.items()}
        wait_for(lambda: all(m.state_of(n) == "in_sync" for m in (a, b) for n in NAMES
                             if owner(["host-a", "host-b"], bucket_of(aws_key(n))) == m.member),
                 20, what="both members in sync")
        writes = check_writes(fake, monitor)
        per_fn = Counter(w[0] for w in writes if w[5] == 200)
        assert all(per_fn[n] == 1 for n in NAMES), per_fn
        # Each by a member named in the User-Agent (host-a, up first, may have written some of
        # host-b's buckets before host-b joined: inside its claims, as checked above).
        assert {w[2] for w in writes} <= {"host-a", "host-b"}, writes
        summary = a.status("")["summary"]["cluster"]
        assert summary["members"] == ["host-a", "host-b"] and summary["joined"]
        # The account's rate limit (100/s) shared by each member's share of its resources.
        for m in (a, b):
            mine = sum(1 for n in NAMES if owner(["host-a", "host-b"], bucket_of(aws_key(n))) ==
                       m.member)
            wait_for(lambda: abs(m.status("")["summary"]["cluster"]["rate_limits"]["aws-test"] -
                                 100 * mine / N) < 0.01, 5, what=f"{m.member}'s share of the rate")
        assert a.metric("asyncfg_cluster_members") == 2
        assert a.metric("asyncfg_buckets_owned") == len(held["host-a"])
        assert 0 < a.metric("asyncfg_lease_remaining_seconds") <= 2
        # asyncfg status --cluster: members, buckets and resources from etcd.
        p = subprocess.run([os.path.join(os.environ.get("ASYNCFG_BUILD_DIR", "build"), "asyncfg"),
                            "status", "--cluster", "--config", a.config, "-o", "json"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        st = json.loads(p.stdout)
        assert [m["member"] for m in st["members"]] == ["host-a", "host-b"]
        assert {m["member"]: m["buckets"] for m in st["members"]} == \
            {k: len(v) for k, v in held.items()}
        assert sum(m["resources"] for m in st["members"]) == N
        assert st["unclaimed"] == {"buckets": 0, "resources": 0}
        assert st["last_handover"]["member"] in ("host-a", "host-b")
        p = subprocess.run([os.path.join(os.environ.get("ASYNCFG_BUILD_DIR", "build"), "asyncfg"),
                            "status", "--cluster", "--config", a.config],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and "cluster 't': 2 members, 1024 of 1024 buckets held" in \
            p.stdout, p.stdout + p.stderr
        assert any(v.startswith("member host-a: ") and "of 1024 buckets" in v
                   for v in a.notify.values("STATUS")), a.notify.values("STATUS")
    finally:
        monitor.close()


def test_sigterm_hands_over_and_drift_is_corrected(tmp_path, fake, etcd, members):
    fake.create(*NAMES)
    monitor = ClaimMonitor(etcd)
    try:
        a, b, held = start_members(fake, members, "host-a", "host-b")
        t0 = time.time()
        assert a.stop() == 0
        stopped = time.time()
        wait_split([b], timeout=10)
        took = time.time() - t0
        print(f"SIGTERM handover: host-a stopped in {stopped - t0:.2f}s, host-b held every "
              f"bucket {took:.2f}s after the signal")
        assert took < 1 + 2  # the write timeout (TTL/2) plus etcd's round trips, not the TTL
        # host-b now writes what was host-a's.
        ours = [n for n in NAMES if owner(["host-a", "host-b"], bucket_of(aws_key(n))) == "host-a"]
        fake.drift(ours[0], {"MaximumRetryAttempts": 0})
        wait_for(lambda: fake.configs()[ours[0]].get("MaximumRetryAttempts") == 1, 15,
                 what="drift corrected by host-b")
        check_writes(fake, monitor)
    finally:
        monitor.close()


def test_no_writes_past_the_lease_deadline(tmp_path, fake, etcd, members):
    """etcd frozen (SIGSTOP): the member cannot renew its lease; once now + write timeout +
    margin passes the deadline it writes nothing (counted as fenced), and writes again once
    etcd answers and it has re-read its claims."""
    fake.create(*NAMES)
    a, held = start_members(fake, members, "host-a", resync="1s")
    etcd.pause(0)
    try:
        frozen = time.time()
        wait_for(lambda: a.metric("asyncfg_lease_remaining_seconds") == 0, 5,
                 what="the lease's deadline passed")
        fake.drift(NAMES[0], {"MaximumRetryAttempts": 0})
        wait_for(lambda: (a.metric('asyncfg_fenced_writes_total{kind="put"}') or 0) > 0, 10,
                 what="a fenced PUT")
        assert fake.configs()[NAMES[0]].get("MaximumRetryAttempts") == 0
        # Nothing reached the cloud after the deadline (the last renewal was before frozen).
        late = [w for w in cloud_writes(fake) if w[3] > frozen + 2.0]
        assert not late, late
    finally:
        etcd.resume(0)
    wait_for(lambda: fake.configs()[NAMES[0]].get("MaximumRetryAttempts") == 1, 20,
             what="writes again once etcd is back")


def test_etcd_unreachable_at_start_ready_and_writes_nothing(tmp_path, fake):
    """READY=1 comes although etcd cannot be reached (cluster.c says why); the member holds no
    bucket, so it writes nothing, and says so in STATUS= and /status."""
    from daemonlib import free_port
    fake.create(*NAMES[:5])
    m = Member(tmp_path / "alone", fake, "host-a", [f"http://127.0.0.1:{free_port()}"])
    try:
        write_docs([m], NAMES[:5])
        m.start()  # waits for READY=1
        cs = m.cluster_status()
        assert not cs["joined"] and cs["buckets_held"] == 0
        assert any("not joined (writing nothing)" in v for v in m.notify.values("STATUS")), \
            m.notify.values("STATUS")
        time.sleep(1)
        assert cloud_writes(fake) == []
        assert "could not join the cluster" in m.logtext()
    finally:
        m.close()


STATE = "/asyncfg/t/state/"


def state_records(etcd):
    """{identity: record} of the state/ keys, each checked to sit under its own bucket."""
    out = {}
    for key, kv in etcd.get_prefix(STATE).items():
        bucket, ident = key[len(STATE):].split("/", 1)
        assert int(bucket) == bucket_of(ident), key
        out[ident] = json.loads(kv["value"])
    return out


def cluster_status_json(member):
    p = subprocess.run([os.path.join(os.environ.get("ASYNCFG_BUILD_DIR", "build"), "asyncfg"),
                        "status", "--cluster", "--config", member.config, "-o", "json"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_state_in_etcd_read_by_the_new_owner(tmp_path, fake, etcd, members):
    """The records are in etcd, not in each member's state.db: after a kill -9 the new owner
    reads them, so a difference injected while nobody watched is drift, not a change."""
    fake.create(*NAMES)
    a, b, held = start_members(fake, members, "host-a", "host-b", resync="1s")
    wait_for(lambda: len(state_records(etcd)) == N, 10, what="every record in etcd")
    recs = state_records(etcd)
    assert all(r["config"]["maxRetryAttempts"] == 1 for r in recs.values()), recs
    assert sum(m["state_records"] for m in cluster_status_json(b)["members"]) == N
    # Not in SQLite: stateDir holds no state.db in cluster mode.
    assert not any(os.path.exists(os.path.join(m.state, "state.db")) for m in (a, b))
    victim = [n for n in NAMES if owner(["host-a", "host-b"], bucket_of(aws_key(n))) == "host-a"]
    drifts = b.metric('asyncfg_drift_detected_total{provider="aws"}') or 0
    a.kill()
    # Changed while host-a is dead and before host-b holds its buckets: only the record
    # host-a wrote can tell host-b that this is drift.
    fake.drift(victim[0], {"MaximumRetryAttempts": 0})
    wait_split([b], timeout=10)
    wait_for(lambda: fake.configs()[victim[0]].get("MaximumRetryAttempts") == 1, 15,
             what="drift corrected by host-b")
    r = b.resource(victim[0])
    assert r["last_drift"] and r["last_drift_diff"][0]["drift"] is True, r
    assert b.metric('asyncfg_drift_detected_total{provider="aws"}') >= drifts + 1
    assert len(state_records(etcd)) == N


def test_state_write_after_losing_the_claim_is_fenced(tmp_path, fake, etcd, members):
    """The claim deleted behind the member's back while its PUT is in flight: the record of
    that PUT is not written under the epoch that followed, and is counted as fenced."""
    fake.create(*NAMES)
    a, held = start_members(fake, members, "host-a")
    wait_for(lambda: len(state_records(etcd)) == N, 10, what="every record in etcd")
    name = NAMES[0]
    bucket = bucket_of(aws_key(name))
    fake.faults(latencyMs=800, method="PUT", provider="aws")
    a.write(f"{name}.yaml", doc(name, retries=2))
    wait_for(lambda: a.state_of(name) == "changing", 10, what="the PUT under way")
    claim = f"/asyncfg/t/claims/{bucket}"
    assert etcd.get(claim) == b"host-a"
    etcd.call("kv/deleterange", {"key": b64(claim)})
    wait_for(lambda: (a.metric('asyncfg_fenced_writes_total{kind="state"}') or 0) >= 1, 10,
             what="the state write fenced")
    # The PUT reached the cloud, but its record was not written under the new epoch (checked
    # before the faults go: the member, holding the bucket again, writes it anew in > 0.8 s).
    assert fake.configs()[name].get("MaximumRetryAttempts") == 2
    assert state_records(etcd)[aws_key(name)]["config"]["maxRetryAttempts"] == 1
    fake.faults()
