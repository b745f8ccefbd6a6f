# SPDX-License-Identifier: MIT
"""`asyncfg status --cluster --config FILE` against a real etcd (tests/e2e/etcdlib.py) whose
members/, claims/ and state/ keys the test writes as the daemons do: members on leases,
claims holding the owner's name (create revision = epoch), state records per bucket."""

import json
import os
import subprocess

import pytest

from conftest import ASYNCFG
from daemonlib import fake, free_port  # noqa: F401  (fixture)
from etcdlib import EtcdCluster, b64, etcd_available

pytestmark = pytest.mark.skipif(not etcd_available(), reason="no /usr/bin/etcd")

N_RESOURCES = 40


def write_setup(tmp_path, endpoints, name="prod", credentials=""):
    desired = tmp_path / "desired"
    desired.mkdir()
    docs = []
    for i in range(N_RESOURCES):
        docs.append(f"""apiVersion: asyncfg.io/v1
kind: AsyncInvokeConfig
metadata: {{name: fn-{i}}}
spec:
  provider: aws
  account: aws-prod
  function: fn-{i}
  maxRetryAttempts: 1
""")
    (desired / "fns.yaml").write_text("---\n".join(docs))
    cred = tmp_path / "aws.cred"
    cred.write_text("access_key_id = AKIDFAKE\nsecret_access_key = fakesecret\n")
    os.chmod(cred, 0o600)
    eps = ", ".join(endpoints)
    config = tmp_path / "asyncfgd.yaml"
    config.write_text(f"""desiredDir: {desired}
stateDir: {tmp_path / "state"}
listen: ''
accounts:
  - {{name: aws-prod, provider: aws, region: us-east-1, endpoint: 'http://127.0.0.1:9',
     credentials: {{source: file, path: {cred}}}}}
cluster:
  etcd: [{eps}]
  name: {name}
  member: host-a
  leaseTTL: 5s
{credentials}""")
    return str(config)


def status(config, *extra):
    return subprocess.run([ASYNCFG, "status", "--cluster", "--config", config, *extra],
                          capture_output=True, text=True, timeout=60)


def lease(cluster, ttl=60):
    return int(cluster.call("lease/grant", {"TTL": str(ttl)})["ID"])


def test_members_buckets_resources_and_last_handover(tmp_path):
    cluster = EtcdCluster(tmp_path, members=1)
    try:
        config = write_setup(tmp_path, cluster.endpoints)
        la, lb = lease(cluster), lease(cluster)
        cluster.put("/asyncfg/prod/members/host-a", "host-a", lease=la)
        cluster.put("/asyncfg/prod/members/host-b", "host-b", lease=lb)
        cluster.put("/asyncfg/other/members/host-z", "host-z")  # another cluster
        # host-a holds the even buckets but 1000, host-b the odd ones; 1000 is unclaimed.
        for b in range(1024):
            if b != 1000:
                owner, l = ("host-a", la) if b % 2 == 0 else ("host-b", lb)
                cluster.put(f"/asyncfg/prod/claims/{b}", owner, lease=l)
        cluster.call("kv/deleterange", {"key": b64("/asyncfg/prod/claims/5")})
        last = cluster.put("/asyncfg/prod/claims/5", "host-a", lease=la)  # a handover
        for i in range(3):
            cluster.put(f"/asyncfg/prod/state/2/aws/aws-prod/f{i}/$LATEST", "{}")
        cluster.put("/asyncfg/prod/state/5/aws/aws-prod/g/$LATEST", "{}")
        cluster.put("/asyncfg/prod/state/9/aws/aws-prod/h/$LATEST", "{}")

        r = status(config, "-o", "json")
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["cluster"] == "prod"
        assert doc["revision"] >= last
        members = {m["member"]: m for m in doc["members"]}
        assert sorted(members) == ["host-a", "host-b"]
        a, b = members["host-a"], members["host-b"]
        assert a["live"] and b["live"]
        assert a["lease"] == la and b["lease"] == lb
        assert len(a["held"]) == 512  # the evens but 1000, and 5
        assert 5 in a["held"] and 1000 not in a["held"] and a["buckets"] == 512
        assert len(b["held"]) == 511
        assert doc["unclaimed"]["buckets"] == 1
        assert a["resources"] + b["resources"] + doc["unclaimed"]["resources"] == N_RESOURCES
        assert a["state_records"] == 4  # buckets 2 and 5
        assert b["state_records"] == 1  # bucket 9
        assert doc["last_handover"] == {"bucket": 5, "member": "host-a", "revision": last}

        r = status(config)
        assert r.returncode == 0, r.stderr
        assert "cluster 'prod': 2 members, 1023 of 1024 buckets held" in r.stdout
        assert "last handover: bucket 5 to host-a" in r.stdout
        line_a = next(l for l in r.stdout.splitlines() if l.startswith("host-a"))
        assert line_a.split()[1:4] == ["512", str(a["resources"]), "4"]
    finally:
        cluster.close()


def test_state_records_in_pages(tmp_path):
    """More state records than one page (10,000): every one is counted."""
    cluster = EtcdCluster(tmp_path, members=1)
    try:
        config = write_setup(tmp_path, cluster.endpoints)
        ops = [{"request_put": {"key": b64(f"/asyncfg/prod/state/{i % 1024}/k{i}"),
                                "value": b64("{}")}} for i in range(10050)]
        for i in range(0, len(ops), 100):  # etcd's default --max-txn-ops is 128
            cluster.call("kv/txn", {"success": ops[i:i + 100]})
        cluster.put("/asyncfg/prod/claims/0", "host-a")
        r = status(config, "-o", "json")
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        (a,) = doc["members"]
        assert a["member"] == "host-a" and not a["live"]  # claims only, no members/ key
        assert a["state_records"] == len([i for i in range(10050) if i % 1024 == 0])
        assert doc["unclaimed"]["buckets"] == 1023
    finally:
        cluster.close()


def test_auth_from_password_file(tmp_path):
    cluster = EtcdCluster(tmp_path, members=1)
    try:
        user, password = cluster.enable_auth()
        pw = tmp_path / "etcd-password"
        pw.write_text(password + "\n")
        cluster.put("/asyncfg/prod/claims/1", "host-b")
        creds = f"  credentials: {{user: {user}, passwordFile: {pw}}}\n"
        config = write_setup(tmp_path, cluster.endpoints, credentials=creds)
        r = status(config, "-o", "json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["members"][0]["held"] == [1]

        pw.write_text("wrong\n")
        r = status(config)
        assert r.returncode == 1
        assert "error: cannot read the members of cluster 'prod'" in r.stderr
    finally:
        cluster.close()


def test_unreachable_etcd_and_no_cluster_block(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    config = write_setup(tmp_path, [dead])
    r = status(config)
    assert r.returncode == 1
    assert f"from etcd at {dead}" in r.stderr
    assert r.stdout == ""

    text = open(config).read()
    open(config, "w").write(text[:text.index("cluster:")])
    r = status(config)
    assert r.returncode == 1
    assert "has no cluster: block" in r.stderr

    r = subprocess.run([ASYNCFG, "status", "--cluster"], capture_output=True, text=True)
    assert r.returncode == 1 and "--cluster takes --config FILE" in r.stderr


def test_agrees_with_the_members(tmp_path, fake):  # noqa: F811 (fixture)
    """Two real members: what status --cluster says each holds is what each one's /status
    says, and the resources per member are those whose bucket the member holds."""
    from clusterlib import Member, aws_key, bucket_of, wait_split, write_docs

    names = [f"fn-{i:03d}" for i in range(30)]
    fake.create(*names)
    cluster = EtcdCluster(tmp_path, members=1)
    a = b = None
    try:
        a = Member(tmp_path / "host-a", fake, "host-a", cluster.endpoints)
        b = Member(tmp_path / "host-b", fake, "host-b", cluster.endpoints)
        write_docs([a, b], names)
        a.write_config()
        a.start()
        b.start()
        held = wait_split([a, b])
        r = status(a.config, "-o", "json")
        assert r.returncode == 0, r.stderr
        view = json.loads(r.stdout)
        got = {m["member"]: m for m in view["members"]}
        assert sorted(got) == ["host-a", "host-b"]
        assert view["unclaimed"] == {"buckets": 0, "resources": 0}
        for name, m in got.items():
            assert m["live"]
            assert set(m["held"]) == held[name] and m["buckets"] == len(held[name])
            assert m["resources"] == sum(1 for n in names if bucket_of(aws_key(n)) in held[name])
        assert view["last_handover"]["member"] in got
    finally:
        for m in (a, b):
            if m:
                m.close()
        cluster.close()
