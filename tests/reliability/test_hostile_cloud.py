# SPDX-License-Identifier: MIT
"""Suite 5, hostile cloud (issue 15): one daemon with an account per hostile behaviour of
hostile_server.py (malformed JSON, HTML, 100 MB bodies announced and chunked, endless drips of
the body and of the headers, wrong types, missing fields, redirects to elsewhere, chunked
garbage, gzip bombs, header bombs, resets...) and one account on build/fakecloud. Per case: the
resource shows a clear error in /status within a bound, the hostile server only ever received
GETs (no PUT or DELETE is based on what it said), a redirect's target received nothing; over the
whole run the daemon's memory (VmHWM) stays bounded, it never exits, it stops cleanly, and the
fakecloud account's drift is corrected meanwhile, again and again.

The daemon's HTTP limits (lib/http.c): 8 MiB per response, 60 s per transfer, below 1 byte/s
for 30 s is a timeout. So the drips take up to a minute; everything else is over in seconds."""

import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

from daemonlib import Daemon, Fake, doc, wait_for  # noqa: E402
from hostile_server import ANSWERS, HostileServer, full, make_bombs  # noqa: E402
from rellib import write_figures  # noqa: E402

# One variant, whatever the scale: the same run in `make check` and `make reliability`.
SUITE = ("hostile-cloud", {"title": "Hostile cloud", "scale": "only",
                        "command": "pytest tests/reliability/test_hostile_cloud.py"})
HWM_KB = 200 * 1024       # the daemon's peak RSS over the whole run
ERROR_SECONDS = 20        # every case but the drips shows its error within this
DRIP_SECONDS = 100        # the drips: the 60 s transfer cap, plus backoff and scheduling
STOP_SECONDS = 15         # SIGTERM with drips still in flight
DRIPS = ("drip-body", "drip-headers")
GOOD = [f"good-{i}" for i in range(4)]


def redirect(status, location):
    return lambda s: s.sendall(full(status, "{}", extra=[("Location", location)],
                                    reason="Moved"))


def account(name, url, creds):
    return (f"  - name: {name}\n    provider: aws\n    region: us-east-1\n"
            f"    endpoint: {url}\n    rateLimit: {{qps: 100, burst: 100}}\n"
            f"    credentials: {{source: file, path: {creds}}}\n")


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))


@pytest.fixture
def servers():
    make_bombs()
    elsewhere = HostileServer("elsewhere", lambda s: s.sendall(full(200, "{}")))
    made = {"elsewhere": elsewhere}
    try:
        for case, answer in ANSWERS.items():
            if case == "redirect-302":
                answer = redirect(302, f"{elsewhere.url}/steal")
            elif case == "redirect-307-https":
                answer = redirect(307, f"https://127.0.0.1:{elsewhere.port}/steal")
            made[case] = HostileServer(case, answer)
        yield made
    finally:
        for s in made.values():
            s.close()


def test_hostile_answers_decide_nothing(servers, tmp_path):
    fake = Fake()
    d = None
    try:
        fake.create(*GOOD)
        cases = [c for c in servers if c != "elsewhere"]
        d = Daemon(tmp_path, fake, resync="2s", concurrency=16, extra_accounts="".join(
            account(f"hostile-{c}", servers[c].url, str(tmp_path / "creds")) for c in cases))
        for name in GOOD:
            d.write(f"{name}.yaml", doc(name, extra="  account: aws-test\n"))
        for c in cases:
            d.write(f"h-{c}.yaml", doc(f"h-{c}", extra=f"  account: hostile-{c}\n"))
        start = time.monotonic()
        d.start()
        for name in GOOD:
            d.wait_state(name, "in_sync", 20)

        first_error = {}
        drifts = corrected = 0
        deadline = start + DRIP_SECONDS
        while time.monotonic() < deadline and len(first_error) < len(cases):
            assert d.proc.poll() is None, d.logtext()[-3000:]
            for r in d.status()["resources"]:
                c = r["name"][2:]
                if r["name"].startswith("h-") and r["last_error"] and c not in first_error:
                    first_error[c] = (time.monotonic() - start, r["state"], r["last_error"])
            # The fakecloud account meanwhile: a drift every round, corrected each time.
            fake.drift(GOOD[drifts % len(GOOD)], {"MaximumRetryAttempts": 0})
            drifts += 1
            wait_for(lambda: all(v.get("MaximumRetryAttempts") == 1 for k, v in
                                 fake.configs().items() if k in GOOD), 10,
                     what="drift corrected while the hostile accounts fail")
            corrected += 1
        missing = sorted(set(cases) - set(first_error))
        assert not missing, f"no error in /status for {missing}"

        for c in cases:
            secs, state, err = first_error[c]
            assert secs < (DRIP_SECONDS if c in DRIPS else ERROR_SECONDS), (c, secs)
            assert state != "in_sync", (c, state)
            assert err["class"] and 0 < len(err["message"]) < 1000, (c, err)
            # The class is its own field; the message does not say it again.
            assert f"{err['class']}:" not in err["message"], (c, err)
            got = servers[c].methods()
            assert got and set(got) == {"GET"}, (c, got)
        assert servers["elsewhere"].log == [], "a redirect was followed"
        assert drifts == corrected and corrected >= 3
        hwm = vm_hwm_kb(d.proc.pid)
        assert hwm < HWM_KB, hwm
        # A clean stop with drips still in flight.
        t = time.monotonic()
        assert d.stop(timeout=STOP_SECONDS) == 0
        stop_secs = time.monotonic() - t
        for c in cases:
            assert set(servers[c].methods()) == {"GET"}, c
        gets = sum(len(servers[c].methods()) for c in cases)
        slowest = max((first_error[c][0], c) for c in cases if c not in DRIPS)
        write_figures(*SUITE, [
            ["hostile answers (one account and one hostile server each)", len(cases)],
            ["requests the hostile servers received", f"{gets} GETs, 0 PUT, 0 DELETE; the "
             "redirects' target: 0"],
            ["first clear error in /status", f"all but the drips within {slowest[0]:.1f} s "
             f"(slowest: {slowest[1]}); drip-headers {first_error['drip-headers'][0]:.0f} s "
             f"(below 1 byte/s for 30 s), drip-body {first_error['drip-body'][0]:.0f} s "
             "(the 60 s transfer cap)"],
            ["daemon's VmHWM over the run (100 MB bodies, 256 MiB gzip bomb, header bomb)",
             f"{hwm // 1024} MiB"],
            ["the fakecloud account meanwhile", f"{corrected} drifts injected, each corrected"],
            ["SIGTERM with drips in flight", f"exit 0 in {stop_secs:.1f} s"],
        ] + [[f"`{c}`", f"{first_error[c][1]}, {first_error[c][2]['class']}: "
              f"{first_error[c][2]['message'][:120]}"] for c in cases])
    finally:
        if d:
            d.close()
        fake.stop()
