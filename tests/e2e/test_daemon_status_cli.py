# SPDX-License-Identifier: MIT
"""`asyncfg status` against the real daemon: build/asyncfgd with the emulator, the table and
`-o json` read from its /status, and a broken file's diagnostics shown."""

import json
import os
import re
import subprocess

from daemonlib import BUILD, doc, fake, make_daemon, wait_for  # noqa: F401

CLI = os.path.join(BUILD, "asyncfg")


def status(d, *args):
    p = subprocess.run([CLI, "status", "--endpoint", f"http://127.0.0.1:{d.port}", *args],
                       capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout, p.stderr


def rows(table):
    """The table's rows as {name: [columns]} (columns split on runs of two or more blanks)."""
    lines = table.splitlines()
    header = re.split(r"\s{2,}", lines[0].strip())
    assert header == ["NAME", "PROVIDER", "ACCOUNT", "FUNCTION", "QUALIFIER", "STATE", "DETAIL"]
    out = {}
    for line in lines[1:]:
        if not line.strip() or ":" in line.split()[0] or re.match(r"\d+ resources?:", line):
            break  # the files' diagnostics and the summary follow the rows
        cols = re.split(r"\s{2,}", line.rstrip())
        out[cols[0]] = cols
    return out


def test_status_table_and_json_from_the_daemon(fake, make_daemon):
    fake.create("st-a", "st-b", "st-obs")
    fake.drift("st-obs", {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 3600})
    d = make_daemon(resync="1m")
    d.write("a.yaml", doc("st-a", retries=1))
    d.write("b.yaml", doc("st-b", retries=2, age=120))
    d.write("obs.yaml", doc("st-obs", retries=1, management="observe"))
    d.start()
    d.wait_state("st-a", "in_sync")
    d.wait_state("st-b", "in_sync")
    d.wait_state("st-obs", "drifted")

    # By default the table lists what is not in sync; the summary counts everything.
    rc, out, err = status(d)
    assert rc == 0, err
    assert set(rows(out)) == {"st-obs"}
    assert out.strip().splitlines()[-1].startswith("3 resources: 2 in sync, 1 drifted"), out

    rc, out, err = status(d, "--all")
    assert rc == 0, err
    r = rows(out)
    assert set(r) == {"st-a", "st-b", "st-obs"}
    assert r["st-a"][:6] == ["st-a", "aws", "aws-test", "st-a", "$LATEST", "in_sync"]
    assert r["st-b"][5] == "in_sync"
    assert r["st-obs"][5] == "drifted"
    assert r["st-obs"][6] == "maxRetryAttempts: 0 -> 1"
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("3 resources: 2 in sync, 1 drifted"), summary
    assert "\033[" not in out  # not a terminal: no colour

    rc, out, err = status(d, "-o", "json")
    assert rc == 0, err
    assert [x["name"] for x in json.loads(out)["resources"]] == ["st-obs"]
    rc, out, err = status(d, "-o", "json", "--all")
    assert rc == 0, err
    j = json.loads(out)
    assert j["summary"]["states"]["in_sync"] == 2 and j["summary"]["states"]["drifted"] == 1
    assert j["summary"]["ready"] is True
    by_name = {x["name"]: x for x in j["resources"]}
    assert by_name["st-obs"]["diff"] == [{"field": "maxRetryAttempts", "from": 0, "to": 1}]
    assert by_name["st-a"]["file"].endswith("/a.yaml")
    assert d.stop() == 0


def test_status_shows_a_broken_files_diagnostics(fake, make_daemon):
    fake.create("st-ok")
    d = make_daemon(resync="1m")
    d.write("ok.yaml", doc("st-ok"))
    # maxRetryAttempts 7 is out of AWS's range (0-2): line 8, column 21.
    bad = d.write("bad.yaml", doc("st-bad", retries=7))
    d.start()
    d.wait_state("st-ok", "in_sync")
    wait_for(lambda: d.status()["summary"]["files"]["error"] == 1, 5, what="bad.yaml in error")

    # A health check: a file that fails to load is exit 1, with the table printed all the same.
    rc, out, err = status(d, "--all")
    assert rc == 1, err
    assert err == "error: the daemon reports 0 resources in error, 1 file with errors\n", err
    assert set(rows(out)) == {"st-ok"}
    diag = [l for l in out.splitlines() if l.startswith(bad + ":")]
    assert len(diag) == 1, out
    assert re.match(re.escape(bad) + r":8:21: error: .*maxRetryAttempts", diag[0]), diag
    assert "2 files, 1 with errors" in out.strip().splitlines()[-1], out

    rc, out, err = status(d, "-o", "json")
    assert rc == 1, err
    files = {f["path"]: f for f in json.loads(out)["files"]}
    assert files[bad]["state"] == "error"
    assert files[bad]["diagnostics"] == diag
    assert d.stop() == 0


def test_status_is_a_health_check(fake, make_daemon):
    fake.create("hc-ok")  # hc-gone does not exist in the cloud: that resource goes to error
    d = make_daemon(resync="1m")
    d.write("ok.yaml", doc("hc-ok"))
    d.start()
    d.wait_state("hc-ok", "in_sync")
    rc, out, err = status(d)
    assert rc == 0 and err == "", err
    rc, out, err = status(d, "-o", "json")
    assert rc == 0 and json.loads(out)["summary"]["states"]["in_sync"] == 1
    d.write("gone.yaml", doc("hc-gone"))
    d.wait_state("hc-gone", "error")
    rc, out, err = status(d)
    assert rc == 1 and "1 resource in error" in err, err
    assert rows(out)["hc-gone"][5] == "error"
    rc, out, err = status(d, "-o", "json")
    assert rc == 1 and json.loads(out)["summary"]["states"]["error"] == 1  # JSON as before
    os.unlink(os.path.join(d.desired, "gone.yaml"))
    wait_for(lambda: d.resource("hc-gone") is None or d.state_of("hc-gone") == "orphaned", 5,
             what="hc-gone no longer declared")
    assert status(d)[0] == 0
    assert d.stop() == 0
    rc, out, err = status(d)  # the daemon cannot be reached
    assert rc == 1 and "cannot reach the daemon" in err, err
