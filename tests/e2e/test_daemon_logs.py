# SPDX-License-Identifier: MIT
"""asyncfgd's log as an operator reads it off the journal (issue 14): one sentence per event
with the local time first, no journal fields in the text, the drift in words and before the
PUT that corrects it, a file that is valid again and a reload that succeeded, the account of
an account error named once, and a missing directory said to be missing."""
import os
import re
import signal

from daemonlib import doc, fake, make_daemon, wait_for  # noqa: F401

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (.*)$")


def sentences(d):
    """The log's lines without their timestamps; every line must have one."""
    out = []
    for line in d.logtext().splitlines():
        m = STAMP.match(line)
        assert m, f"no timestamp: {line!r}"
        out.append(m.group(1))
    return out


def index_of(lines, text):
    for i, line in enumerate(lines):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not logged:\n" + "\n".join(lines))


def test_drift_in_words_before_the_put_with_timestamps_and_no_fields(fake, make_daemon):
    fake.create("orders")
    d = make_daemon(resync="1s")
    d.write("orders.yaml", doc("orders", retries=2))
    d.start()
    d.wait_state("orders", "in_sync")
    fake.drift("orders", {"MaximumRetryAttempts": 0})
    wait_for(lambda: fake.configs()["orders"]["MaximumRetryAttempts"] == 2, 10, what="corrected")
    d.wait_state("orders", "in_sync")
    lines = sentences(d)
    drift = index_of(lines, "orders: drift on maxRetryAttempts: 0 → 2 (someone changed the "
                            "cloud); correcting")
    assert lines[drift] == ("orders: drift on maxRetryAttempts: 0 → 2 (someone changed the "
                            "cloud); correcting")
    # What happened, in that order: the drift is found, then the PUT that corrects it goes out.
    put = index_of(lines[drift:], "orders: in_sync → changing: PUT in flight")
    assert put == 1, lines[drift:]
    # The journal's fields (RESOURCE=, FILE=, ...) do not repeat what the sentence says.
    assert not [x for x in lines if re.search(r"\b[A-Z]+=", x)], lines
    assert not [x for x in lines if '"field"' in x], lines
    assert d.stop() == 0


def test_valid_again_and_reload_logged(fake, make_daemon):
    fake.create("a", "b")
    d = make_daemon()
    d.write("a.yaml", doc("a"))
    path = d.write("b.yaml", doc("b"))
    d.start()
    d.wait_state("b", "in_sync")
    d.write("b.yaml", "apiVersion: [\n")
    wait_for(lambda: f"'{path}' is not valid" in d.logtext(), 5, what="the error")
    assert "valid again" not in d.logtext()
    d.write("b.yaml", doc("b", retries=2))
    wait_for(lambda: f"'{path}' is valid again; 1 resource in force." in sentences(d), 5,
             what=f"the recovery ({d.logtext()[-1500:]})")
    d.signal(signal.SIGHUP)
    wait_for(lambda: f"Reloaded '{d.config}': 1 account, 2 resources." in sentences(d), 5,
             what=f"the reload ({d.logtext()[-1500:]})")
    assert d.stop() == 0


def test_account_without_credentials_named_once(fake, make_daemon, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    fake.create("lost")
    d = make_daemon(extra_accounts=("  - name: nocreds\n    provider: aws\n"
                                    "    region: us-east-1\n"
                                    f"    endpoint: http://127.0.0.1:{fake.port}\n"
                                    "    credentials: {source: systemd}\n"))
    d.write("lost.yaml", doc("lost", extra="  account: nocreds\n"))
    d.start()
    d.wait_state("lost", "error")
    want = ("account 'nocreds': no usable credentials: $CREDENTIALS_DIRECTORY is not set (no "
            "LoadCredential= in the unit?)")
    lines = [x for x in sentences(d) if "nocreds" in x]
    assert lines and all(x.count("nocreds") == 1 for x in lines), lines
    assert f"{want}; nothing is reconciled through it." in lines
    assert d.resource("lost")["last_error"]["message"] == want
    assert d.stop() == 0


def test_missing_directory_said_to_be_missing(fake, make_daemon):
    d = make_daemon()
    os.rmdir(d.desired)
    d.start()
    lines = sentences(d)
    index_of(lines, f"desired-state directory '{d.desired}' does not exist; nothing is removed")
    assert not [x for x in lines if ":1:1:" in x], lines
    assert d.stop() == 0
