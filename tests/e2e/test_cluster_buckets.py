# SPDX-License-Identifier: MIT
"""Cluster mode: what a member does with the buckets it takes and gives up, on a real etcd.

- A state record in etcd whose document is gone becomes an orphan when its bucket is read, as
  the single-host store's records do at start (DESIGN.md §3.2): at a restart, and when the
  bucket is taken over from another member.
- Each member serves its own /status (DESIGN.md §8): the resources of the buckets it holds,
  counted in STATUS=, /status's summary and asyncfg_resources{state}; of the others only how
  many there are (summary.cluster.resources_elsewhere, which `asyncfg status` prints), never
  their stale last state.
- A write conflict ends at the member that hands its resource over.
- A bucket taken again drops what the member had not saved of it from before."""

import json
import os
import subprocess
import time

import pytest

from clusterlib import (HoldingProxy, Member, aws_key, bucket_of, etcd, members,  # noqa: F401
                        owner, wait_split, write_docs)
from daemonlib import BUILD, doc, fake, wait_for  # noqa: F401  (fixture)
from etcdlib import b64, etcd_available, unb64
from test_daemon_conflicts import Writer

pytestmark = pytest.mark.skipif(not etcd_available(), reason="no /usr/bin/etcd")

N = 24
NAMES = [f"fn-{i:03d}" for i in range(N)]
STATE = "/asyncfg/t/state/"
PAIR = ["host-a", "host-b"]
CLI = os.path.join(BUILD, "asyncfg")


def records(etcd):
    return {k[len(STATE):].split("/", 1)[1]: json.loads(kv["value"])
            for k, kv in etcd.get_prefix(STATE).items()}


def configured(fake, names):
    return all(fake.configs().get(n, {}).get("MaximumRetryAttempts") == 1 for n in names)


def mine(member, names=NAMES):
    return [n for n in names if owner(PAIR, bucket_of(aws_key(n))) == member]


def listed(m):
    return sorted(r["name"] for r in m.status()["resources"])


def cli_status(m):
    p = subprocess.run([CLI, "status", "--endpoint", f"http://127.0.0.1:{m.port}"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p
    return p.stdout


def start_alone(fake, etcd, m, names=NAMES):
    """m alone writes every record of names."""
    write_docs([m], names)
    m.start()
    wait_split([m])
    wait_for(lambda: configured(fake, names), 20, what="every function configured")
    wait_for(lambda: len(records(etcd)) == len(names), 10, what="every record in etcd")


def test_record_without_document_is_orphaned_at_restart(fake, etcd, members):
    fake.create(*NAMES)
    a = members("host-a")
    start_alone(fake, etcd, a)
    assert a.stop() == 0
    gone = NAMES[3]
    os.unlink(os.path.join(a.desired, f"{gone}.yaml"))
    a.start()
    wait_split([a])
    a.wait_state(gone, "orphaned", timeout=15)
    r = a.resource(gone)
    assert r["orphaned_since"] and r["function"] == gone, r
    assert a.status("")["summary"]["states"]["orphaned"] == 1
    # Its record is kept, marked orphaned: the listing survives the next start too.
    wait_for(lambda: records(etcd)[aws_key(gone)].get("orphanedAtUsec"), 10,
             what="the record marked orphaned in etcd")
    assert fake.configs()[gone].get("MaximumRetryAttempts") == 1  # left alone


def test_orphan_taken_over_from_another_member(fake, etcd, members):
    """host-a orphaned a record; host-b, started without that document, takes its bucket and
    lists the orphan from the record alone (its time of orphaning kept)."""
    fake.create(*NAMES)
    gone = mine("host-b")[0]
    a = members("host-a")
    start_alone(fake, etcd, a)
    os.unlink(os.path.join(a.desired, f"{gone}.yaml"))
    a.wait_state(gone, "orphaned")
    since = wait_for(lambda: records(etcd)[aws_key(gone)].get("orphanedAtUsec"), 10,
                     what="the record marked orphaned in etcd")
    b = members("host-b")
    write_docs([b], [n for n in NAMES if n != gone])
    b.start()
    wait_split([a, b])
    b.wait_state(gone, "orphaned", timeout=15)
    # host-b's first runs are over: the orphan was not run as a change of its own.
    wait_for(lambda: all(b.state_of(n) == "in_sync" for n in mine("host-b") if n != gone), 15,
             what="host-b's resources in sync")
    assert b.resource(gone)["orphaned_since"] == \
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(since) // 1000000)), b.resource(gone)
    assert records(etcd)[aws_key(gone)]["orphanedAtUsec"] == since


def test_each_member_reports_its_own_buckets(fake, etcd, members):
    fake.create(*NAMES)
    a = members("host-a")
    start_alone(fake, etcd, a)  # host-a has seen every resource in sync
    b = members("host-b")
    write_docs([b], NAMES)
    b.start()
    wait_split([a, b])
    for m in (a, b):
        own = mine(m.member)
        assert 0 < len(own) < N

        def reports_own(m=m, own=own):
            st = m.status()
            s = st["summary"]
            return (sorted(r["name"] for r in st["resources"]) == sorted(own) and
                    s["resources"] == len(own) and s["states"]["in_sync"] == len(own) and
                    s["cluster"]["resources_elsewhere"] == N - len(own))
        wait_for(reports_own, 20, what=f"{m.member}'s /status of its own buckets")
        assert m.metric('asyncfg_resources{state="in_sync"}') == len(own)
        want = f"{N - len(own)} resources elsewhere; {len(own)} resources: {len(own)} in sync"
        # STATUS= follows within its 200 ms interval
        wait_for(lambda m=m, want=want: want in m.notify.values("STATUS")[-1], 5, what="STATUS=")
        last = m.notify.values("STATUS")[-1]
        assert last.startswith(f"member {m.member}: ") and want in last, last
        # A page filtered by state lists only its own too.
        assert sorted(r["name"] for r in m.status("state=in_sync")["resources"]) == sorted(own)
        # asyncfg status says how many it leaves out, and where to see them.
        out = cli_status(m)
        held = m.status("")["summary"]["cluster"]["buckets_held"]
        assert (f"Member {m.member} holds {held} of 1024 buckets; {N - len(own)} resources in "
                "other members' buckets are not listed or counted here") in out, out
        assert out.strip().splitlines()[-1].startswith(f"{len(own)} resources: "), out
    # host-b leaves: host-a holds every bucket and reports every resource again.
    assert b.stop() == 0
    wait_split([a])
    wait_for(lambda: a.status("")["summary"]["resources"] == N and
             a.status("")["summary"]["cluster"]["resources_elsewhere"] == 0, 20,
             what="host-a reports every resource")
    assert listed(a) == sorted(NAMES)


def test_a_bucket_taken_back_shows_no_stale_state(fake, etcd, members):
    """host-a saw a resource fail (its PUTs refused) and alerted on it; host-b takes it, and
    host-a's alert ends. host-b holds it while the cloud comes back and writes it, and host-a
    takes it back: what host-a saw before (retrying, the error) is not reported again, not even
    for the moment until host-a observes it anew."""
    fake.create(*NAMES)
    x = mine("host-b")[0]
    fake.faults(error5xx=1.0, errorStatus=503, method="PUT", provider="aws")
    a = members("host-a")
    write_docs([a], NAMES)
    a.start()
    wait_split([a])
    a.wait_state(x, "retrying")
    assert a.resource(x)["last_error"], a.resource(x)
    wait_for(lambda: f"Alert AsyncfgError firing for '{x}'" in a.logtext(), 15,
             what="host-a's error alert of it")
    b = members("host-b")
    write_docs([b], NAMES)
    b.start()
    wait_split([a, b])
    wait_for(lambda: a.status("")["summary"]["cluster"]["resources_elsewhere"] ==
             len(mine("host-b")), 10, what="host-a handed host-b's resources over")
    assert x not in listed(a)
    # host-b watches it now: host-a's alert ends (else it reminds for as long as host-b holds it).
    wait_for(lambda: f"Alert AsyncfgError resolved for '{x}'" in a.logtext(), 10,
             what="host-a's alert of it resolved")
    fake.faults()
    b.wait_state(x, "in_sync", timeout=15)
    wait_for(lambda: aws_key(x) in records(etcd), 10, what="host-b's record of it")
    wait_for(lambda: all(a.state_of(n) == "in_sync" for n in mine("host-a")), 15,
             what="host-a's own resources in sync")
    seen = len(a.notify.values("STATUS"))
    assert b.stop() == 0
    wait_split([a])
    wait_for(lambda: a.status("")["summary"]["cluster"]["resources_elsewhere"] == 0, 10,
             what="host-a holds every resource again")
    r = a.resource(x)
    assert r["last_error"] is None and r["state"] in ("pending", "in_sync"), r
    # Every STATUS= since (host-a's own resources are in sync): never the stale "retrying" of
    # x, as its bucket comes back (a few buckets per scan) and before its next poll.
    wait_for(lambda: any(" 0 resources elsewhere;" in v for v in a.notify.values("STATUS")[seen:]), 5,
             what="STATUS= of every resource")  # within STATUS='s 200 ms interval
    after = a.notify.values("STATUS")[seen:]
    assert not any("retrying" in v for v in after), after


def test_a_write_conflict_ends_when_its_bucket_is_handed_over(fake, etcd, members):
    """host-a fights another writer over x (a write conflict: its writes held, counted in its
    summary); host-b takes x's bucket: the fight is host-b's to see now, and host-a's conflict
    ends (else host-a counted it, and held x's writes by it when x came back, for as long as the
    old conflict's window lasted)."""
    fake.create(*NAMES)
    x = mine("host-b")[0]
    a = members("host-a")
    start_alone(fake, etcd, a)
    a.wait_state(x, "in_sync")
    writer = Writer(fake, x, {"MaximumRetryAttempts": 0})
    try:
        fake.drift(x, {"MaximumRetryAttempts": 0})  # the create came before the writer
        wait_for(lambda: a.resource(x).get("conflict"), 20, what="host-a's write conflict")
        assert a.status("")["summary"]["conflicts"] == 1
    finally:
        writer.stop()
    b = members("host-b")
    write_docs([b], NAMES)
    b.start()
    wait_split([a, b])
    wait_for(lambda: a.status("")["summary"]["conflicts"] == 0, 10,
             what="host-a's conflict over")
    assert f"{x}: write conflict over: its bucket is another member's" in a.logtext(), \
        a.logtext()[-3000:]
    # Back at host-a, x is written at once: no conflict of before holds its write.
    assert b.stop() == 0
    wait_split([a])
    wait_for(lambda: a.state_of(x) == "in_sync", 15, what="host-a observes x again")
    fake.drift(x, {"MaximumRetryAttempts": 0})
    wait_for(lambda: fake.configs()[x].get("MaximumRetryAttempts") == 1, 15,
             what="host-a writes x again")
    assert "conflict" not in a.resource(x), a.resource(x)


def saves_state(path, body):
    """A txn of the member's save: its ops write state records."""
    if path != "/v3/kv/txn":
        return False
    ops = json.loads(body).get("success", [])
    keys = [op.get("request_put", op.get("request_delete_range", {})).get("key", "") for op in ops]
    return any(unb64(k).startswith(STATE.encode()) for k in keys)


def reads_bucket(bucket):
    key = b64(f"{STATE}{bucket}/")
    return lambda path, body: path == "/v3/kv/range" and json.loads(body).get("key") == key


def test_a_removal_not_saved_is_dropped_when_its_bucket_is_taken_again(tmp_path, fake, etcd,
                                                                      members):
    """host-a forgets x (its document removed, orphanRetention 0s) while host-b holds x's
    bucket and host-a's save is in flight (held at a proxy between host-a and etcd), so the
    removal waits unsaved. host-b leaves, host-a takes the bucket back: the removal is of a
    record of host-b's time, and must not be written under host-a's new claim. It used to be,
    by a save before the bucket's read came back (held at the proxy here), deleting the
    record host-b wrote."""
    fake.create(*NAMES)
    x, (w, v) = mine("host-b")[0], mine("host-a")[:2]
    proxy = HoldingProxy(etcd.endpoints[0])
    a = Member(tmp_path / "host-a", fake, "host-a", [proxy.url])
    a.extra_config += "orphanRetention: 0s\n"
    a.write_config()
    try:
        start_alone(fake, etcd, a)
        b = members("host-b")
        write_docs([b], NAMES)
        b.start()
        wait_split([a, b])
        # host-a's save of w's removal waits at the proxy; x's removal comes after it.
        proxy.set_hold(saves_state)
        os.unlink(os.path.join(a.desired, f"{w}.yaml"))
        proxy.wait_held(1)
        os.unlink(os.path.join(a.desired, f"{x}.yaml"))
        wait_for(lambda: any(line.split(" ", 2)[1:2] == [f"{x}:"] and "document removed" in line
                             for line in a.logtext().splitlines()), 10, what="host-a forgets x")
        read = reads_bucket(bucket_of(aws_key(x)))
        proxy.set_hold(lambda path, body: saves_state(path, body) or read(path, body))
        held = proxy.held
        assert b.stop() == 0
        proxy.wait_held(held + 1)  # host-a took x's bucket and reads it
        # host-a's saves go on while the read waits: w's removal is written, then v's, removed
        # now (each save takes every change pending, so x's removal would be written by then).
        proxy.set_hold(read)
        wait_for(lambda: aws_key(w) not in records(etcd), 10, what="host-a's save of w")
        os.unlink(os.path.join(a.desired, f"{v}.yaml"))
        wait_for(lambda: aws_key(v) not in records(etcd), 10, what="host-a's save of v")
        assert aws_key(x) in records(etcd), "host-a deleted x's record under its new claim"
    finally:
        proxy.close()
        a.close()
