# SPDX-License-Identifier: MIT
"""deploy/grafana/asyncfg.json: a dashboard Grafana 9+ imports (schema 36 or later, a uid, a
data-source variable, panels with gridPos that do not overlap), whose every query is PromQL that
promtool parses and names only metric families that asyncfgd registers
(reconciler/daemon/metrics-asyncfg.c) and really exports on /metrics against build/fakecloud.
Also: asyncfg_resources{state} has every state from the first scrape, zeros included."""

import json
import os
import re
import shutil
import subprocess

import pytest

from daemonlib import doc, fake, make_daemon, wait_for  # noqa: F401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "asyncfg.json")
METRICS_C = os.path.join(ROOT, "reconciler", "daemon", "metrics-asyncfg.c")
STATES = {"pending", "in_sync", "drifted", "changing", "retrying", "error", "orphaned"}

# Families of DESIGN.md §4 that another change registers. Allowed in the dashboard only while
# metrics-asyncfg.c does not register them; once it does, they are checked like the others.
PENDING = {
    "asyncfg_drift_poll_interval_seconds": "the drift-poll budget of issue 13 registers it",
}

# What the dashboard must show (issue 14: resources by state, drift, reconcile rate and
# latency, cloud requests and errors, queue depth, poll interval per account).
REQUIRED = {"asyncfg_resources", "asyncfg_resource_drifted", "asyncfg_drift_detected_total",
            "asyncfg_reconcile_total", "asyncfg_reconcile_time_seconds",
            "asyncfg_cloud_requests_total", "asyncfg_workqueue_depth",
            "asyncfg_drift_poll_interval_seconds",
            # issue 15: writes undone by another writer
            "asyncfg_write_conflicts_total"}

# Families with series only while something is wrong (DESIGN.md §4: the per-resource series
# follow what is wrong, not the fleet): absent from a healthy daemon's /metrics by design.
ONLY_WHEN_WRONG = {"asyncfg_resource_drifted",
                   # a counter with a series once a write conflict was seen
                   "asyncfg_write_conflicts_total"}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def load():
    with open(DASHBOARD) as f:
        return json.load(f)


def queries(dash):
    """(panel title, expr) of every target of every panel."""
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p.get("targets", [])]


def concrete(expr):
    """expr as Prometheus receives it from Grafana: variables replaced."""
    return (expr.replace("$__rate_interval", "5m").replace("$job", ".*")
            .replace("$instance", ".*"))


def metric_names(expr):
    """The metric names an expression selects: strings, label matchers, ranges and grouping
    clauses removed, then every identifier that is not a function call or a keyword."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or m.group(0).lower() in KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def family(name):
    """A histogram's series name → its family."""
    return re.sub(r"_(bucket|sum|count)$", "", name)


def registered():
    """{family: type} registered by metrics_new_asyncfg()."""
    text = open(METRICS_C).read()
    return {name: kind for kind, name in
            re.findall(r'metrics_add_(counter|gauge|histogram)\(\s*r,\s*"(asyncfg_\w+)"', text)}


def test_dashboard_shape():
    dash = load()
    assert isinstance(dash["uid"], str) and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dash["uid"])
    assert dash["title"] and dash["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    ds = [v for v in variables.values() if v["type"] == "datasource"]
    assert len(ds) == 1 and ds[0]["query"] == "prometheus", variables.keys()
    ds_ref = {"type": "prometheus", "uid": "${" + ds[0]["name"] + "}"}
    for v in variables.values():
        if v["type"] == "query":
            assert v["datasource"] == ds_ref, v["name"]
    ids, cells = set(), set()
    assert dash["panels"]
    for p in dash["panels"]:
        assert p["id"] not in ids and p["title"] and p["type"], p
        ids.add(p["id"])
        g = p["gridPos"]
        assert all(isinstance(g[k], int) and g[k] >= 0 for k in "xywh"), p["title"]
        assert g["w"] > 0 and g["h"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panel {p['title']!r} overlaps another at {x},{y}"
                cells.add((x, y))
        if p["type"] == "row":
            continue
        assert p["datasource"] == ds_ref, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(set(refs)) == len(refs), p["title"]
        for t in p["targets"]:
            assert t["datasource"] == ds_ref and t["expr"].strip(), p["title"]


def test_dashboard_queries_are_promql():
    """promtool parses each query (as a recording rule of a throw-away rules file)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: make deps installs Debian's prometheus package"
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"asyncfg:dashboard:{i}", "expr": concrete(e)}
        for i, (_, e) in enumerate(queries(load()))]}]}
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        json.dump(rules, f)  # JSON is YAML
        f.flush()
        r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_metric_names_parse():
    assert metric_names('histogram_quantile(0.9, sum by (le) (rate(x_bucket{a="}"}[5m])))') == \
        {"x_bucket"}
    assert metric_names("time() - max(y{job=~\"$job\"}) > 0 and on (job) z") == {"y", "z"}


def test_dashboard_names_only_registered_families():
    reg = registered()
    assert "asyncfg_resources" in reg and "asyncfg_desired_revision_info" in reg, reg
    used = set()
    for title, expr in queries(load()):
        names = metric_names(expr)
        assert names, f"{title}: no metric in {expr!r}"
        for n in names:
            fam = family(n)
            if fam in PENDING and fam not in reg:
                used.add(fam)
                continue
            assert fam in reg, f"{title}: {n} is not a family of metrics-asyncfg.c"
            assert fam == n or reg[fam] == "histogram", f"{title}: {n} of a {reg[fam]}"
            used.add(fam)
    assert REQUIRED <= used, REQUIRED - used


def scrape_families(text):
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def test_dashboard_metrics_exported_live(fake, make_daemon):
    """Every family the dashboard reads is on a live /metrics: a daemon applies a document
    against build/fakecloud, corrects a drift, and carries a revision."""
    fake.create("dash-a")
    d = make_daemon(resync="1s")
    d.write("a.yaml", doc("dash-a", retries=1))
    with open(os.path.join(d.desired, ".asyncfg-revision"), "w") as f:
        f.write("0123456789abcdef0123456789abcdef01234567\n")
    d.start()
    d.wait_state("dash-a", "in_sync")
    fake.drift("dash-a", {"MaximumRetryAttempts": 0})
    wait_for(lambda: (d.metric('asyncfg_drift_detected_total{provider="aws"}') or 0) >= 1, 10,
             what="a drift detected")
    d.wait_state("dash-a", "in_sync")
    live = scrape_families(d.metrics())
    reg = registered()
    for title, expr in queries(load()):
        for n in metric_names(expr):
            fam = family(n)
            if (fam in PENDING and fam not in reg) or fam in ONLY_WHEN_WRONG:
                continue
            assert fam in live, f"{title}: {fam} is not on /metrics"


def test_every_state_exported_from_the_start(fake, make_daemon):
    """Before any resource has entered them, every state is a series of value 0."""
    d = make_daemon()
    d.write("empty.yaml", "# nothing declared yet\n")
    d.start()
    text = d.metrics()
    states = {m.group(1): float(m.group(2)) for m in
              re.finditer(r'^asyncfg_resources\{state="(\w+)"\} (\S+)$', text, re.M)}
    assert states == {s: 0.0 for s in STATES}, text
