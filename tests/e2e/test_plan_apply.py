# SPDX-License-Identifier: MIT
"""asyncfg plan and apply against build/fakecloud: what lands on the wire, exit codes, drift,
JSON output, the state store."""

import json
import os
import pty
import re
import subprocess

from conftest import ASYNCFG, HW_URN, run, write_config, write_desired
from daemonlib import read_state

# What the emulator must hold after apply: exactly the managed fields (DESIRED in conftest),
# in each cloud's wire format; server-side fields (ARNs, timestamps) are left out here.
EXPECTED = {
    ("lambda", "orders-worker", "$LATEST"): {
        "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:123456789012:orders-ok"},
                              "OnFailure": {"Destination": "arn:aws:sns:us-east-1:123456789012:orders-failed"}}},
    ("lambda", "orders-audit", "live"): {
        "MaximumRetryAttempts": 0,
        "DestinationConfig": {"OnSuccess": {},
                              "OnFailure": {"Destination": "arn:aws:s3:::orders-audit-failures"}}},
    ("fc3", "image-resize", "prod"): {
        "maxAsyncRetryAttempts": 3, "maxAsyncEventAgeInSeconds": 86400, "asyncTask": True,
        "destinationConfig": {
            "onSuccess": {"destination": "acs:mns:cn-hangzhou:1234567890123456:/topics/image-done/messages"},
            "onFailure": {"destination": None}}},
    ("fc2", "invoice-render", "prod"): {
        "maxAsyncRetryAttempts": 2, "maxAsyncEventAgeInSeconds": None, "statefulInvocation": False,
        "destinationConfig": {
            "onSuccess": {"destination": None},
            "onFailure": {"destination": "acs:fc:cn-hangzhou:1234567890123456:functions/invoice-dead-letter"}}},
    ("functiongraph", f"{HW_URN}:report-builder", "latest"): {
        "max_async_retry_attempts": 2, "max_async_event_age_in_seconds": 3600,
        "enable_async_status_log": True,
        "destination_config": {
            "on_success": {"destination": "OBS",
                           "param": {"bucket": "reports-archive", "expires": 5, "prefix": "/success"}},
            "on_failure": {"destination": "", "param": ""}}},
    ("functiongraph", f"{HW_URN}:report-notifier", "v2"): {
        "max_async_retry_attempts": 0, "enable_async_status_log": False,
        "destination_config": {
            "on_success": {"destination": "", "param": ""},
            "on_failure": {"destination": "DIS", "param": {"stream_name": "report-dlq"}}}},
}

SERVER_FIELDS = {"FunctionArn", "LastModified", "functionArn", "createdTime", "lastModifiedTime",
                 "service", "function", "qualifier", "func_urn", "created_time", "last_modified"}


def wire_state(fake):
    """{(api, function, qualifier): config without server-side fields; Huawei params parsed}."""
    out = {}
    for item in fake.configs():
        config = {k: v for k, v in item["config"].items() if k not in SERVER_FIELDS}
        for d in (config.get("destination_config") or {}).values():
            if d.get("param"):
                d["param"] = json.loads(d["param"])
        out[(item["api"], item["function"], item["qualifier"])] = config
    return out


def test_plan_shows_creates_then_apply_converges(setup):
    r = setup.asyncfg("plan")
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout.count("create ") == 6, r.stdout
    assert "Plan: 6 to create, 0 to update, 0 in sync, 0 errors." in r.stdout
    assert "maxRetryAttempts: (none) → 1" in r.stdout
    assert setup.fake.stats()["byMethod"].get("PUT", 0) == 0, "plan must never write"

    r = setup.asyncfg("apply")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Apply: 6 created, 0 updated, 0 in sync" in r.stdout
    assert wire_state(setup.fake) == EXPECTED
    stats = setup.fake.stats()
    assert stats["byMethod"]["PUT"] == 6 and "POST" not in stats["byMethod"] and "DELETE" not in stats["byMethod"]

    r = setup.asyncfg("plan")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Plan: 0 to create, 0 to update, 6 in sync, 0 errors." in r.stdout

    # A second apply changes nothing and writes nothing.
    r = setup.asyncfg("apply")
    assert r.returncode == 0 and "0 created, 0 updated, 6 in sync" in r.stdout
    assert setup.fake.stats()["byMethod"]["PUT"] == 6


def test_drift_is_reported_and_fixed(setup):
    assert setup.asyncfg("apply").returncode == 0
    setup.fake.drift(provider="aws", function="orders-worker", config={"MaximumRetryAttempts": 2})
    setup.fake.drift(provider="huaweicloud", function=f"{HW_URN}:report-builder",
                     config={"enable_async_status_log": False})

    r = setup.asyncfg("plan")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "maxRetryAttempts: 2 → 1   (drift)" in r.stdout, r.stdout
    assert "enableAsyncStatusLog: false → true   (drift)" in r.stdout, r.stdout
    assert "Plan: 0 to create, 2 to update, 4 in sync, 0 errors." in r.stdout

    r = setup.asyncfg("plan", "-o", "json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    updates = {x["name"]: x for x in doc["resources"] if x["action"] == "update"}
    assert set(updates) == {"orders-worker", "report-builder"}
    assert updates["orders-worker"]["diff"] == [
        {"field": "maxRetryAttempts", "from": 2, "to": 1, "drift": True, "change": False}]
    assert updates["orders-worker"]["file"].endswith("/aws.yaml") and updates["orders-worker"]["line"] == 1
    assert doc["summary"] == {"total": 6, "in_sync": 4, "create": 0, "update": 2, "error": 0}

    r = setup.asyncfg("apply")
    assert r.returncode == 0 and "0 created, 2 updated, 4 in sync" in r.stdout, r.stdout
    assert wire_state(setup.fake) == EXPECTED


def test_change_versus_drift_and_state_store(setup):
    assert setup.asyncfg("apply").returncode == 0
    state = read_state(os.path.join(setup.tmp, "state"))
    assert state["format"] == "asyncfg-state" and len(state["resources"]) == 6
    assert all(r["created"] for r in state["resources"].values())

    path = os.path.join(setup.desired, "fc2.yaml")
    text = open(path).read().replace("maxRetryAttempts: 2", "maxRetryAttempts: 5")
    open(path, "w").write(text)
    r = setup.asyncfg("plan")
    assert r.returncode == 2
    assert "maxRetryAttempts: 2 → 5   (change)" in r.stdout, r.stdout


def test_apply_json_and_plan_of_a_single_file(setup):
    r = setup.asyncfg("apply", "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert sorted(x["action"] for x in doc["resources"]) == ["created"] * 6
    assert doc["summary"]["created"] == 6 and doc["summary"]["error"] == 0

    r = setup.asyncfg("plan", "-o", "json", os.path.join(setup.desired, "hw.yaml"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [x["name"] for x in doc["resources"]] == ["report-builder", "report-notifier"]
    assert {x["qualifier"] for x in doc["resources"]} == {"latest", "v2"}


def test_observe_is_never_written(setup):
    path = os.path.join(setup.desired, "fc3.yaml")
    open(path, "a").write("  management: observe\n")
    r = setup.asyncfg("apply")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "observe " in r.stdout and "1 observed (not written)" in r.stdout
    assert not [k for k in wire_state(setup.fake) if k[0] == "fc3"]
    r = setup.asyncfg("plan")
    assert r.returncode == 2 and "apply will not write it" in r.stdout


def test_invalid_desired_state_is_located(setup):
    with open(os.path.join(setup.desired, "bad.yaml"), "w") as f:
        f.write("apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: bad}\n"
                "spec: {provider: aws, function: f, maxRetryAttempts: 7}\n")
    r = setup.asyncfg("plan")
    assert r.returncode == 1
    assert "bad.yaml:4:" in r.stderr and "error:" in r.stderr
    assert setup.fake.stats()["requests"] == 0


def test_parallel_workers_converge(setup):
    """--jobs 3: the resources are dealt out to three worker threads (each its own event loop,
    HTTP engine and accounts); the result is the same as with one: the emulator holds exactly
    the desired configs, every resource is reported in file order, all six are in the state
    store, and a plan with another number of workers finds everything in sync."""
    r = setup.asyncfg("plan", "--jobs", "3")
    assert r.returncode == 2 and "Plan: 6 to create, 0 to update, 0 in sync, 0 errors." in r.stdout

    r = setup.asyncfg("apply", "-o", "json", "--jobs", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert [x["name"] for x in doc["resources"]] == [x["name"] for x in json.loads(
        setup.asyncfg("plan", "-o", "json", "--jobs", "1").stdout)["resources"]]
    assert doc["summary"]["created"] == 6 and doc["summary"]["error"] == 0
    assert wire_state(setup.fake) == EXPECTED
    assert setup.fake.stats()["byMethod"]["PUT"] == 6
    state = read_state(os.path.join(setup.tmp, "state"))
    assert len(state["resources"]) == 6 and all(r["created"] for r in state["resources"].values())

    r = setup.asyncfg("plan", "--jobs", "2")
    assert r.returncode == 0 and "Plan: 0 to create, 0 to update, 6 in sync, 0 errors." in r.stdout


def test_jobs_must_be_a_positive_number(setup):
    for bad in ("0", "-1", "x", "65", "2x", ""):
        r = setup.asyncfg("plan", "--jobs", bad)
        assert r.returncode == 1 and "--jobs" in r.stderr, (bad, r.stderr)
    assert setup.fake.stats()["requests"] == 0


def run_on_terminal(args, timeout=60):
    """Runs asyncfg with stderr on a pseudo-terminal; returns (exit code, what stderr showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([ASYNCFG, *args], stdout=subprocess.DEVNULL, stderr=slave,
                            env={**os.environ, "NO_COLOR": "1"})
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.wait(timeout=timeout), shown.decode()


def test_progress_on_a_terminal(cloud, tmp_path):
    """A long run draws "apply: N/M resources, K in flight" on a terminal (stderr), the counts
    never going back, across two workers; the line is erased at the end. Not on a pipe."""
    n = 1200
    docs = {f"r{f}.yaml": "---\n".join(
        f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: r{i}}}\n"
        f"spec: {{provider: aws, account: aws-prod, function: fn{i}, maxRetryAttempts: 1}}\n"
        for i in range(f * 100, f * 100 + 100)) for f in range(n // 100)}
    desired = write_desired(os.path.join(tmp_path, "desired"), docs)
    config = write_config(str(tmp_path), cloud, desired, concurrency=16)
    cloud.create_functions([{"provider": "aws", "function": f"fn{i}"} for i in range(n)])
    cloud.faults(latencyMs=5)  # 2,400 requests, 16 at a time: about a second

    code, shown = run_on_terminal(["apply", "--config", config, "--jobs", "2"])
    assert code == 0, shown
    frames = re.findall(r"\r\x1b\[Kapply: (\d+)/(\d+) resources, (\d+) in flight", shown)
    assert len(frames) >= 3, shown
    done = [int(f[0]) for f in frames]
    assert all(int(f[1]) == n for f in frames) and done == sorted(done) and done[-1] <= n
    assert all(int(f[2]) <= 16 for f in frames)
    assert shown.endswith("\r\x1b[K"), repr(shown[-80:])

    cloud.faults()
    r = run("plan", "--config", config)  # stderr is a pipe here
    assert r.returncode == 0 and "resources," not in r.stderr, r.stderr
