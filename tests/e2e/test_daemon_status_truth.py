# SPDX-License-Identifier: MIT
"""/status says what is true, and says the same as /metrics, STATUS= and `asyncfg status`: a
directory error clears in every view when the files come back; "drift" means drifted now, not
once; a failed SIGHUP reload shows in /status and in asyncfg_config_last_reload_successful;
/readyz is 503 while desiredDir does not exist."""

import os
import shutil
import signal
import subprocess

from daemonlib import BUILD, doc, fake, http_get, make_daemon, read_state, wait_for  # noqa: F401

CLI = os.path.join(BUILD, "asyncfg")


def cli_status(d):
    p = subprocess.run([CLI, "status", "--endpoint", f"http://127.0.0.1:{d.port}"],
                       capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout, p.stderr


def views(d):
    """What each view says about the desired files: (/status, /metrics, STATUS=, asyncfg status)."""
    s = d.status()
    bad_entries = sum(1 for f in s["files"] if f["state"] == "error")
    rc, out, _ = cli_status(d)
    return {
        "directory_error": s["summary"]["directory_error"],
        "summary_files_error": s["summary"]["files"]["error"],
        "files_entries_in_error": bad_entries,
        "metric_files_error": d.metric('asyncfg_desired_files{state="error"}'),
        "status_line": d.notify.values("STATUS")[-1],
        "cli": (rc, out.strip().splitlines()[-1]),
    }


def test_files_moved_out_and_back_clear_the_error_in_every_view(fake, make_daemon, tmp_path):
    fake.create("mv1", "mv2")
    d = make_daemon(resync="1m")
    d.write("mv1.yaml", doc("mv1", deletion="delete"))
    d.write("mv2.yaml", doc("mv2", deletion="delete"))
    d.start()
    d.wait_state("mv1", "in_sync")
    d.wait_state("mv2", "in_sync")
    hold = tmp_path / "hold"
    hold.mkdir()
    # mv desired/*.yaml hold/
    for name in ("mv1.yaml", "mv2.yaml"):
        os.rename(os.path.join(d.desired, name), hold / name)
    wait_for(lambda: d.status()["summary"]["directory_error"], 5, what="directory error")
    # Every view says it, and says the same count.
    wait_for(lambda: views(d)["metric_files_error"] == 1, 5, what="the metric")
    # STATUS= follows within its 200 ms interval
    wait_for(lambda: "unusable" in d.notify.values("STATUS")[-1], 5, what="STATUS=")
    v = views(d)
    assert v["summary_files_error"] == v["files_entries_in_error"] == v["metric_files_error"] == 1
    assert "desired-state directory unusable" in v["status_line"]
    assert v["cli"][0] == 1 and "1 with errors" in v["cli"][1], v
    # mv hold/*.yaml desired/ (the same inodes and mtimes as before: nothing to re-parse)
    for name in ("mv1.yaml", "mv2.yaml"):
        os.rename(hold / name, os.path.join(d.desired, name))

    def cleared():
        v = views(d)
        return (v["directory_error"] is None and v["summary_files_error"] == 0 and
                v["files_entries_in_error"] == 0 and v["metric_files_error"] == 0 and
                "unusable" not in v["status_line"] and v["cli"][0] == 0 and
                "2 files, 0 with errors" in v["cli"][1]) and v
    # Without SIGHUP: the change that brought the files back clears it everywhere.
    wait_for(cleared, 5, what="the directory error cleared in every view")
    assert fake.count("DELETE") == 0
    assert {r["state"] for r in d.status()["resources"]} == {"in_sync"}
    assert d.stop() == 0


def test_drift_is_false_once_corrected(fake, make_daemon):
    fake.create("dr")
    d = make_daemon(resync="1s")
    d.write("dr.yaml", doc("dr", retries=1))
    d.start()
    d.wait_state("dr", "in_sync")
    r = d.resource("dr")
    assert r["drift"] is False and r["last_drift"] is None
    fake.drift("dr", {"MaximumRetryAttempts": 0})
    wait_for(lambda: d.resource("dr")["last_drift"], 5, what="drift detected")
    wait_for(lambda: fake.configs()["dr"]["MaximumRetryAttempts"] == 1, 5, what="corrected")
    d.wait_state("dr", "in_sync", 5)
    r = d.resource("dr")
    # Corrected: in sync, nothing differs, not drifted now; when it last drifted and how stay.
    assert r["state"] == "in_sync" and r["diff"] == []
    assert r["drift"] is False, r
    assert r["last_drift"] and r["last_drift_diff"][0]["field"] == "maxRetryAttempts"
    assert d.metric('asyncfg_resource_drifted{name="dr"}') is None  # in sync: no series
    assert d.metric('asyncfg_drift_detected_total{provider="aws"}') == 1
    assert d.stop() == 0


def test_failed_reload_in_status_and_metrics(fake, make_daemon):
    fake.create("rl")
    d = make_daemon(resync="1m")
    d.write("rl.yaml", doc("rl"))
    d.start()
    d.wait_state("rl", "in_sync")
    last = d.status()["summary"]["last_reload"]
    assert last["successful"] is True and last["at"] and last["error"] is None
    assert d.metric("asyncfg_config_last_reload_successful") == 1
    started = d.metric("asyncfg_config_last_reload_success_timestamp_seconds")
    assert started > 0
    good = open(d.config).read()

    d.write_config("desiredDir: [not, a, string]\naccounts: 3\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.metric("asyncfg_config_last_reload_successful") == 0, 5,
             what="the failed reload in the metric")
    last = d.status()["summary"]["last_reload"]
    assert last["successful"] is False and last["at"], last
    assert d.config in last["error"] and "desiredDir" in last["error"], last
    assert d.metric("asyncfg_config_last_reload_success_timestamp_seconds") == started
    assert d.state_of("rl") == "in_sync"  # the old configuration stays in force

    d.write_config(good)
    os.utime(d.config, None)
    reloads = d.ready_count()
    # The success timestamp is in whole seconds: let it move.
    wait_for(lambda: int(__import__("time").time()) > started, 2, what="a second to pass")
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.ready_count() > reloads, 5, what="READY=1 after the good reload")
    wait_for(lambda: d.metric("asyncfg_config_last_reload_successful") == 1, 5,
             what="the good reload in the metric")
    last = d.status()["summary"]["last_reload"]
    assert last["successful"] is True and last["error"] is None, last
    assert d.metric("asyncfg_config_last_reload_success_timestamp_seconds") > started
    assert d.stop() == 0


def test_reload_says_what_only_a_restart_changes(fake, make_daemon, tmp_path):
    """stateDir and `cluster:` take effect at start only: a reload that changes them logs it
    (and keeps the store where it is: the next record still goes to the old stateDir), and a
    reload that changes nothing of them says nothing."""
    fake.create("so-a", "so-b")
    d = make_daemon(resync="1m")
    d.write("a.yaml", doc("so-a"))
    d.start()
    d.wait_state("so-a", "in_sync")
    reloads = d.ready_count()
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.ready_count() > reloads, 5, what="READY=1 after a plain reload")
    assert "until asyncfgd restarts" not in d.logtext()

    other = str(tmp_path / "other-state")
    os.makedirs(other)
    text = d.config_text().replace(f"stateDir: {d.state}\n", f"stateDir: {other}\n")
    text = "cluster: {etcd: ['http://127.0.0.1:1'], name: t}\n" + text
    d.write_config(text)
    reloads = d.ready_count()
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.ready_count() > reloads, 5, what="READY=1 after the reload")
    log = d.logtext()
    assert (f"stateDir is now '{other}' in '{d.config}', but the state store stays in '{d.state}' "
            "until asyncfgd restarts.") in log, log
    assert (f"The 'cluster:' block of '{d.config}' changed, but the daemon stays alone, without "
            "cluster mode, until asyncfgd restarts.") in log, log
    # The store stays where it was opened: a new resource's record lands there.
    d.write("b.yaml", doc("so-b"))
    d.wait_state("so-b", "in_sync")
    assert d.stop() == 0
    assert os.listdir(other) == []
    assert "aws/aws-test/so-b/$LATEST" in read_state(d.state)["resources"]


def test_readyz_is_503_while_the_desired_directory_is_missing(fake, make_daemon):
    fake.create("rz")
    d = make_daemon(resync="1m")
    shutil.rmtree(d.desired)
    d.start()
    st, body = http_get(d.port, "/readyz")
    assert st == 503, body
    assert body.decode().startswith("not ready: ") and d.desired in body.decode(), body
    assert d.status()["summary"]["ready"] is False
    # The directory appears with a file: loaded, then ready.
    os.mkdir(d.desired)
    d.write("rz.yaml", doc("rz"))
    wait_for(lambda: http_get(d.port, "/readyz") == (200, b"ready\n"), 5, what="ready")
    assert d.status()["summary"]["ready"] is True
    d.wait_state("rz", "in_sync")
    # Gone again: not ready again (what it declared stays, nothing is deleted).
    shutil.rmtree(d.desired)
    wait_for(lambda: http_get(d.port, "/readyz")[0] == 503, 5, what="not ready again")
    assert fake.count("DELETE") == 0
    assert d.stop() == 0
