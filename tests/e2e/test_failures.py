# SPDX-License-Identifier: MIT
"""asyncfg plan and apply when things go wrong: refused credentials, a missing function, faults
on the wire, failed reads, TLS with the right and the wrong CA."""

import json
import os
import subprocess
import time

import pytest

from conftest import ASYNCFG, FUNCTIONS, HW_PROJECT, Setup, run, start_fakecloud, stop_fakecloud, write_config, write_desired


def test_wrong_credentials(cloud, tmp_path):
    s = Setup(cloud, tmp_path, creds={"aws": ("AKIDFAKE", "not-the-secret")})
    r = s.asyncfg("apply")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [l for l in r.stdout.splitlines() if "aws.yaml" in l]
    assert len(lines) == 2, r.stdout
    for l in lines:
        assert ": error: get of '" in l and "auth: HTTP 403 InvalidSignatureException" in l, l
    assert "not-the-secret" not in r.stdout + r.stderr
    assert "4 created" in r.stdout and "2 errors" in r.stdout
    # Permanent: tried once each, never retried, never written.
    stats = cloud.stats()
    assert stats["signatureRejectedByProvider"]["aws"] == 2
    assert not [d for d in stats["detail"] if d["provider"] == "aws" and d["method"] == "PUT"]


def test_missing_credentials_file(cloud, tmp_path):
    s = Setup(cloud, tmp_path)
    os.unlink(os.path.join(s.tmp, "huaweicloud.cred"))
    r = s.asyncfg("plan")
    assert r.returncode == 1
    assert "error: account 'hw-prod': no usable credentials" in r.stdout, r.stdout
    assert "hw.yaml:1:1: error:" in r.stdout


def test_missing_function_names_the_document(cloud, tmp_path):
    s = Setup(cloud, tmp_path)
    with open(os.path.join(s.desired, "more.yaml"), "w") as f:
        f.write("# a comment\napiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                "metadata: {name: ghost}\nspec: {provider: aws, account: aws-prod, function: ghost,"
                " maxRetryAttempts: 1}\n")
    r = s.asyncfg("plan")
    assert r.returncode == 1
    assert ("more.yaml:2:1: error: function 'ghost' (qualifier '$LATEST') does not exist in "
            "account 'aws-prod'") in r.stdout, r.stdout
    r = s.asyncfg("apply")
    assert r.returncode == 1 and "6 created" in r.stdout and "1 error." in r.stdout


def test_faults_apply_converges(cloud, tmp_path):
    s = Setup(cloud, tmp_path)
    cloud.faults(error5xx=0.1, throttle=0.1, retryAfter=1, drop=0.1, truncate=0.1, seed=7)
    start = time.monotonic()
    r = s.asyncfg("apply", timeout=90)
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stdout + r.stderr
    assert elapsed < 60
    cloud.faults()
    faults = cloud.stats()["faults"]
    assert faults["error5xx"] + faults["throttle"] + faults["drop"] + faults["truncate"] > 0
    r = s.asyncfg("plan")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("jobs", [[], ["--jobs", "4"]], ids=["one-worker", "four-workers"])
def test_many_faults_many_resources(cloud, tmp_path, jobs):
    """30 % of all requests fail (5xx, 429 with Retry-After, truncated bodies, dropped
    connections) over 60 resources: apply still converges, in bounded time; also with the
    resources dealt out to four worker threads."""
    docs, functions = {}, []
    for i in range(60):
        docs[f"r{i}.yaml"] = (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: r{i}}}\n"
                              f"spec: {{provider: aws, account: aws-prod, function: fn{i}, maxRetryAttempts: {i % 3}}}\n")
        functions.append({"provider": "aws", "function": f"fn{i}"})
    desired = write_desired(os.path.join(tmp_path, "desired"), docs)
    config = write_config(str(tmp_path), cloud, desired, concurrency=16)
    cloud.create_functions(functions)
    # Throttling is kept rare: each 429 halves the account's rate (DESIGN.md §3.8), which is
    # right, but slow to recover from in a test.
    cloud.faults(error5xx=0.12, errorStatus=503, throttle=0.03, retryAfter=1, drop=0.08, truncate=0.07,
                 seed=3)
    start = time.monotonic()
    r = run("apply", "--config", config, *jobs, timeout=90)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert time.monotonic() - start < 60
    cloud.faults()
    assert len(cloud.configs()) == 60
    assert run("plan", "--config", config).returncode == 0


def test_workers_share_accounts_and_unusable_ones(cloud, tmp_path):
    """Three workers take the resources of four accounts from one pool, a few at a time: every
    resource gets exactly one result, in file order; an account without usable credentials
    makes its resources errors without a request; the others are written exactly once each."""
    docs, functions = {}, []
    accounts = [("aws", "aws-prod", "fn{i}"), ("alicloud", "ali-prod", "fn{i}"),
                ("alicloud", "ali-legacy", "svc/fn{i}"), ("huaweicloud", "hw-prod", None)]
    for i in range(80):
        provider, account, fn = accounts[(i // 7) % 4]  # runs of seven per account
        if fn is None:
            fn = f"urn:fss:cn-north-4:{HW_PROJECT}:function:default:fn{i}"
        else:
            fn = fn.format(i=i)
        docs[f"r{i:02d}.yaml"] = (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                                  f"metadata: {{name: r{i}}}\nspec: {{provider: {provider}, "
                                  f"account: {account}, function: '{fn}', maxRetryAttempts: 1}}\n")
        if provider != "huaweicloud":
            f = {"provider": provider, "function": fn.split("/")[-1]}
            if "/" in fn:
                f["service"] = fn.split("/")[0]
            functions.append(f)
    desired = write_desired(os.path.join(tmp_path, "desired"), docs)
    config = write_config(str(tmp_path), cloud, desired, concurrency=6)
    os.unlink(os.path.join(str(tmp_path), "huaweicloud.cred"))
    cloud.create_functions(functions)
    r = run("apply", "--config", config, "-o", "json", "--jobs", "3")
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    doc = json.loads(r.stdout)
    assert [x["name"] for x in doc["resources"]] == [f"r{i}" for i in range(80)]
    hw = [x for x in doc["resources"] if x["account"] == "hw-prod"]
    n_hw = sum(1 for i in range(80) if (i // 7) % 4 == 3)
    assert len(hw) == n_hw and all(x["action"] == "error" for x in hw)
    assert all("no usable credentials" in x["error"]["message"] for x in hw), hw[0]
    others = [x for x in doc["resources"] if x["account"] != "hw-prod"]
    assert all(x["action"] == "created" for x in others), [x for x in others if x["action"] != "created"][:2]
    assert doc["summary"]["created"] == 80 - n_hw and doc["summary"]["error"] == n_hw
    stats = cloud.stats()
    assert stats["byMethod"]["PUT"] == 80 - n_hw and stats["byMethod"]["GET"] == 80 - n_hw, stats
    assert len(cloud.configs()) == 80 - n_hw


def test_a_slow_account_does_not_hold_up_the_others(cloud, tmp_path):
    """An account held to 2 requests per second does not hold up another's resources: with
    its 20 resources first in file order, and the resources taken from the pool by two
    workers, the other account's 40 are all written within three seconds, long before the slow one is done (the run
    is stopped then: the slow one would take ten seconds more)."""
    docs, functions = {}, []
    for i in range(60):
        provider, account = ("aws", "aws-prod") if i < 20 else ("alicloud", "ali-prod")
        docs[f"r{i:02d}.yaml"] = (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                                  f"metadata: {{name: r{i}}}\nspec: {{provider: {provider}, "
                                  f"account: {account}, function: fn{i}, maxRetryAttempts: 1}}\n")
        functions.append({"provider": provider, "function": f"fn{i}"})
    desired = write_desired(os.path.join(tmp_path, "desired"), docs)
    config = write_config(str(tmp_path), cloud, desired, concurrency=8)
    text = open(config).read().splitlines(keepends=True)
    text = [l.replace("rateLimit: {qps: 1000, burst: 1000}", "rateLimit: {qps: 2, burst: 1}")
            if "name: aws-prod" in l else l for l in text]
    open(config, "w").write("".join(text))
    cloud.create_functions(functions)
    p = subprocess.Popen([ASYNCFG, "apply", "--config", config, "--jobs", "2"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 3
        fc3 = 0
        while fc3 < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
            fc3 = sum(1 for c in cloud.configs() if c["provider"] == "alicloud")
        aws = sum(1 for c in cloud.configs() if c["provider"] == "aws")
        assert fc3 == 40 and aws < 20, (fc3, aws)
    finally:
        p.terminate()
        p.wait(timeout=30)


def test_failed_reads_never_write(cloud, tmp_path):
    s = Setup(cloud, tmp_path)
    # Every GET fails (5xx, dropped, throttled); no PUT may follow any of them.
    cloud.faults(error5xx=0.6, drop=0.2, throttle=0.2, method="GET", retryAfter=0)
    r = s.asyncfg("apply", timeout=90)
    assert r.returncode == 1
    stats = cloud.stats()
    assert stats["byMethod"].get("GET", 0) >= 6 * 2, stats  # retried
    assert stats["byMethod"].get("PUT", 0) == 0, stats
    assert cloud.configs() == []
    assert r.stdout.count("error: get of '") == 6, r.stdout


def test_malformed_reads_never_write(cloud, tmp_path):
    s = Setup(cloud, tmp_path)
    assert s.asyncfg("apply").returncode == 0
    cloud.drift(provider="aws", function="orders-worker", config={"MaximumRetryAttempts": 0})
    cloud.drift(provider="alicloud", function="image-resize", qualifier="prod", config={"asyncTask": False})
    puts = cloud.stats()["byMethod"]["PUT"]
    # Every GET answers 200 with half a body: unknown, not absent, not different.
    cloud.faults(truncate=1.0, method="GET")
    r = s.asyncfg("apply", timeout=90)
    assert r.returncode == 1
    assert r.stdout.count("error: get of '") == 6, r.stdout
    stats = cloud.stats()
    assert stats["faults"]["truncate"] >= 6 * 2
    assert stats["byMethod"]["PUT"] == puts, stats


def make_ca(d, name="ca"):
    key, crt = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN=asyncfg test {name}", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return key, crt


def make_server_cert(d, ca_key, ca_crt):
    key, csr, crt = (os.path.join(d, f"server.{x}") for x in ("key", "csr", "crt"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", key, "-out", csr], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt],
                   check=True, capture_output=True)
    return key, crt


@pytest.fixture
def tls_cloud(tmp_path):
    d = str(tmp_path / "pki")
    os.makedirs(d)
    ca_key, ca_crt = make_ca(d)
    _, other_ca = make_ca(d, "other")
    key, crt = make_server_cert(d, ca_key, ca_crt)
    fake = start_fakecloud("--tls-cert", crt, "--tls-key", key, scheme="https")
    yield fake, ca_crt, other_ca
    stop_fakecloud(fake)


def test_https_right_and_wrong_ca(tls_cloud, tmp_path):
    fake, ca, other = tls_cloud
    good = tmp_path / "good"
    good.mkdir()
    s = Setup(fake, good, ca_file=ca)
    r = s.asyncfg("apply")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(fake.configs()) == 6

    bad = tmp_path / "bad"
    bad.mkdir()
    desired = write_desired(str(bad / "desired"))
    config = write_config(str(bad), fake, desired, ca_file=other)
    before = fake.stats()["requests"]
    r = run("plan", "--config", config)
    assert r.returncode == 1
    assert "get of '" in r.stdout and ("certificate" in r.stdout.lower() or "ssl" in r.stdout.lower()
                                       or "tls" in r.stdout.lower()), r.stdout
    assert fake.stats()["requests"] == before
