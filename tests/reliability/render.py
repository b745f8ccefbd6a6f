#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Renders RELIABILITY.md from the figures the suites write (build/reliability/<suite>.json,
rellib.write_figures): python3 tests/reliability/render.py [DIR] [OUT]. `make reliability`
runs it after the suites.

A suite's file: {"title", "command", "date", "machine", "scale", "rows": [[what, value], ...],
"notes": [paragraph, ...] (optional)}. A suite without a file keeps a placeholder."""

import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# (number, file name, title, what it proves, notes on the method): the sections, in order.
SUITES = [
    (1, "faults", "Faults",
     "Resources across AWS, FC3, FC2 and FunctionGraph converge through injected 5xx, 429 with "
     "Retry-After, dropped connections, truncated bodies and latency; the daemon never exits; "
     "the emulator's request log (`GET /_fake/log`) proves that no PUT or DELETE followed a "
     "failed read (for every write, the latest GET of that resource since its previous write "
     "answered 200 or a real 404 without a fault); the requests stay within a stated multiple of "
     "the fault-free count measured in the same test; once the faults stop, the request rate is "
     "the drift-poll rate. `tests/reliability/test_faults.py`.",
     ["Convergence is the cloud's view: the moment every desired config is stored in the "
      "emulator (`GET /_fake/configs`, polled every 250 ms); requests are counted up to it, "
      "drift polls included. The daemon's own view (every resource `in_sync` in `/status`) is "
      "checked once the faults stop: while a third of all requests fail, a drift poll that "
      "fails puts its resource in `retrying` for a moment, so \"all in sync at one instant\" "
      "is no end point while the faults go on.",
      "A write answered by a dropped connection (status 0, fault `drop`) had no effect, and "
      "libcurl itself sends a request again on a fresh connection when a reused one dies "
      "before any answer: that resend directly follows the dropped write and is based on the "
      "same read, so the check does not count the dropped copy as a previous write. The first "
      "runs found exactly this pattern (GET 404, PUT dropped, PUT) and nothing else.",
      "Most of the time to converge with faults is the per-account rate limit: it halves on "
      "every 429 of a request sent after the last decrease and recovers by 10 % of `qps` every "
      "10 s (DESIGN.md §3.8). The emulator throttles 10 % of requests whatever the rate, as no "
      "real cloud does, so the rate stays low for the whole run (the row \"request rate while "
      "converging with faults\"); the request count (the cost to the cloud) is what the "
      "suite bounds."]),
    (2, "outage", "Outage",
     "One account's endpoint (a TCP proxy in the test in front of build/fakecloud) cuts its open "
     "connections and resets every new one at accept, counting them, for a while. The other "
     "accounts keep reconciling (drift injected on them is corrected during the outage); the "
     "failing account backs off to its cap; its error alerts fire (webhook sink on a test HTTP "
     "server) and resolve; everything converges after. `tests/reliability/test_outage.py`.",
     ["The proxy accepts and then resets (SO_LINGER 0) rather than refusing at SYN, so that it "
      "can count every attempt; to libcurl both are a connection error. At the cap, full "
      "jitter retries each resource after uniform(0, cap), so the expected rate is "
      "2 · resources / cap. The suite found that an error alert's content held the errno, so a "
      "resource whose connections were refused, then reset, fired a new alert (and resolved "
      "the old one) at every change: up to 8 per resource in a 20 s outage. Fixed; the suite "
      "asserts one alert per resource."]),
    (3, "crashes", "Crashes",
     "kill -9 at random moments while the daemon syncs, restarting it each time; after each "
     "kill the state store opens read-only and passes `PRAGMA integrity_check`; everything "
     "converges; the request log shows that nothing already in sync was written again. "
     "`tests/reliability/test_crashes.py`.",
     ["Every second restart writes new desired values (another generation), so every kill "
      "falls in a sync; a PUT belongs to the generation of the process it arrived during, and "
      "a second PUT of one resource in one generation, after one the cloud answered 200, would "
      "be a rewrite of values already in sync. 20 ms ± 10 ms of latency stretches the sync."]),
    (4, "hostile-desired", "Hostile desired state", None, []),
    (5, "hostile-cloud", "Hostile cloud", None, []),
    (6, "security", "Security", None, []),
    (7, "fuzzing", "Fuzzing and sanitizers", None, []),
]

HEAD = """# Reliability

The suites of issue 15, with their figures from a real run. Regenerate this file with
`make reliability` (the long variants, then `tests/reliability/render.py`); `make check` runs
the short variants (100 resources) of suites 1–3 as `make check-reliability-short`. Each suite
writes its figures to `build/reliability/<suite>.json`; this file is rendered from them.
"""


def cell(v):
    return str(v).replace("|", "\\|").replace("\n", " ")


def section(n, name, title, proves, notes, doc):
    out = [f"## {n}. {title}", ""]
    if proves:
        out += [proves, ""]
    if doc is None:
        out += [f"_Placeholder: no figures yet (`build/reliability/{name}.json` was not written; "
                f"suites 4–7 are added by another change)._", ""]
        return out
    out += [f"Run: `{doc['command']}`, {doc['scale']} variant, {doc['date']}, on {doc['machine']}.",
            "", "| | |", "|---|---|"]
    out += [f"| {cell(k)} | {cell(v)} |" for k, v in doc["rows"]]
    out += [""] + [p + "\n" for p in notes + doc.get("notes", [])]
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "reliability")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "RELIABILITY.md")
    lines = [HEAD]
    for n, name, title, proves, notes in SUITES:
        path = os.path.join(src, f"{name}.json")
        doc = json.load(open(path)) if os.path.exists(path) else None
        lines += section(n, name, title, proves, notes, doc)
    with open(dst, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
