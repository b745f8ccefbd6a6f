# SPDX-License-Identifier: MIT
"""The right function, or none (DESIGN.md §3.12) for deletes: a removed document's DELETE
(deletionPolicy: delete) goes exactly where its config was applied — the location its
state-store record remembers — or nowhere. One SIGHUP that moves the account (another region)
and removes the document sends nothing, shows the resource in error with the reason, and keeps
the record; putting the account back lets the DELETE go there. A record written before
locations learns its location on its first run in sync, and one that never did is not deleted
on a guess. The emulator keeps one function per name whatever the region, so a DELETE sent to
the new region would delete its config: counting DELETEs is enough."""

import json
import os
import signal

from daemonlib import doc, fake, make_daemon, read_state, wait_for  # noqa: F401


def state_records(d):
    return read_state(d.state)["resources"]


def record_of(d, name):
    for k, v in state_records(d).items():
        if k.split("/")[2] == name:
            return v
    return None


def reload(d, config_text):
    readies = d.ready_count()
    d.write_config(config_text)
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.ready_count() > readies, 5, what="READY=1 after the reload")


def start_with_orders(fake, make_daemon, **kw):
    fake.create("orders", "other")
    d = make_daemon(**kw)
    d.write("orders.yaml", doc("orders", retries=2, deletion="delete"))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("orders", "in_sync")
    d.wait_state("other", "in_sync")
    wait_for(lambda: record_of(d, "orders"), 3, what="the record saved")
    return d


def test_region_changed_and_document_removed_deletes_nothing(fake, make_daemon):
    d = start_with_orders(fake, make_daemon, resync="1s")
    east = d.config_text()
    # One SIGHUP: the account now in eu-west-1, and the document gone.
    os.unlink(os.path.join(d.desired, "orders.yaml"))
    reload(d, east.replace("region: us-east-1", "region: eu-west-1"))
    wait_for(lambda: d.state_of("orders") == "error" or fake.count("DELETE") > 0, 10,
             what="the delete decided")
    assert fake.count("DELETE") == 0
    err = d.resource("orders")["last_error"]
    assert err["class"] == "permanent", err
    assert ("not deleting: the config was applied in us-east-1, account 'aws-test' is now in "
            "eu-west-1") in err["message"], err
    assert "orders: " in d.logtext() and "not deleting" in d.logtext()
    # The check runs again at each resync (an error run counted each time): still nothing.
    errors = d.metric("asyncfg_reconcile_errors_total")
    wait_for(lambda: d.metric("asyncfg_reconcile_errors_total") > errors, 5,
             what="the delete checked again at the resync")
    assert fake.count("DELETE") == 0
    assert fake.configs()["orders"]["MaximumRetryAttempts"] == 2
    assert d.state_of("orders") == "error"
    # The record is kept (the config in us-east-1 is still asyncfg's), held as an orphan.
    wait_for(lambda: (record_of(d, "orders") or {}).get("orphanedAtUsec"), 3,
             what="the record held")
    assert d.resource("orders")["orphaned_since"]
    assert record_of(d, "orders")["location"] == {
        "account": "aws-test", "api": "lambda", "region": "us-east-1",
        "endpoint": f"http://127.0.0.1:{fake.port}"}
    # The account put back as it was: the DELETE goes there, once.
    reload(d, east)
    wait_for(lambda: "orders" not in fake.configs(), 5, what="the DELETE in us-east-1")
    assert fake.count("DELETE") == 1
    wait_for(lambda: d.resource("orders") is None, 5, what="orders forgotten")
    wait_for(lambda: record_of(d, "orders") is None, 3, what="its record dropped")
    assert "other" in fake.configs()
    assert d.stop() == 0


def test_same_region_on_reload_deletes_once(fake, make_daemon):
    d = start_with_orders(fake, make_daemon, resync="1m")
    assert record_of(d, "orders")["location"]["region"] == "us-east-1"
    # One SIGHUP that changes the account but not its location, and the document gone.
    os.unlink(os.path.join(d.desired, "orders.yaml"))
    reload(d, d.config_text().replace("rateLimit: {qps: 100,", "rateLimit: {qps: 50,"))
    wait_for(lambda: "orders" not in fake.configs(), 5, what="the DELETE")
    wait_for(lambda: d.resource("orders") is None, 5, what="orders forgotten")
    assert fake.count("DELETE") == 1
    assert "other" in fake.configs()
    assert d.stop() == 0


def write_legacy_state(d, name, retries):
    """A state.json as asyncfg wrote it before records had a location."""
    with open(os.path.join(d.state, "state.json"), "w") as f:
        json.dump({"format": "asyncfg-state", "version": 1, "resources": {
            f"aws/aws-test/{name}/$LATEST": {
                "appliedAtUsec": 1700000000000000, "created": True,
                "config": {"maxRetryAttempts": retries, "maxEventAgeSeconds": 3600},
                "resource": {"name": name, "provider": "aws", "account": "aws-test",
                             "function": name, "qualifier": "$LATEST"}}}}, f)


def test_record_without_location_learns_it_in_sync(fake, make_daemon):
    fake.create("orders", "other")
    fake.drift("orders", {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600})
    d = make_daemon(resync="1m")
    write_legacy_state(d, "orders", 2)
    d.write("orders.yaml", doc("orders", retries=2, deletion="delete"))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("orders", "in_sync")
    wait_for(lambda: ((record_of(d, "orders") or {}).get("location") or {}).get("region"), 3,
             what="the location learned")
    assert record_of(d, "orders")["location"]["region"] == "us-east-1"
    assert record_of(d, "orders")["created"] is True  # still asyncfg's own
    assert fake.count("PUT") == 1  # "other" only: orders was found in sync
    os.unlink(os.path.join(d.desired, "orders.yaml"))
    wait_for(lambda: "orders" not in fake.configs(), 5, what="the DELETE")
    assert fake.count("DELETE") == 1
    assert d.stop() == 0


def test_record_without_location_never_confirmed_is_not_deleted(fake, make_daemon):
    fake.create("orders", "other")
    fake.drift("orders", {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600})
    d = make_daemon(resync="1m")
    write_legacy_state(d, "orders", 2)
    d.write("orders.yaml", doc("orders", retries=2, deletion="delete"))
    d.write("other.yaml", doc("other"))  # the directory is not emptied
    fake.faults(error5xx=1.0, errorStatus=503, method="GET")  # no run succeeds
    d.start()
    d.wait_state("orders", "retrying")
    os.unlink(os.path.join(d.desired, "orders.yaml"))
    wait_for(lambda: d.state_of("orders") == "error" or fake.count("DELETE") > 0, 10,
             what="the delete decided")
    assert fake.count("DELETE") == 0
    msg = d.resource("orders")["last_error"]["message"]
    assert "not deleting" in msg and "does not say where" in msg, msg
    assert fake.count("DELETE") == 0
    assert "orders" in fake.configs()
    fake.faults()
    assert d.stop() == 0


def test_never_applied_is_forgotten_without_a_delete(fake, make_daemon):
    fake.create("orders", "other")
    d = make_daemon(resync="1m")
    d.write("orders.yaml", doc("orders", retries=2, deletion="delete"))
    d.write("other.yaml", doc("other"))
    fake.faults(error5xx=1.0, errorStatus=503, method="GET")  # nothing is ever applied
    d.start()
    d.wait_state("orders", "retrying")
    os.unlink(os.path.join(d.desired, "orders.yaml"))
    wait_for(lambda: d.resource("orders") is None, 10, what="orders forgotten")
    assert fake.count("DELETE") == 0
    assert "nothing is deleted" in d.logtext()
    fake.faults()
    assert d.stop() == 0
