# SPDX-License-Identifier: MIT
"""The figures of suites 4–7 for RELIABILITY.md, in the form tests/reliability/render.py reads:
$ASYNCFG_RELIABILITY_OUT (else build/reliability)/<suite>.json =
{"suite", "scale", "date", "machine", "title", "command", "rows": [[what, value], ...],
"notes": [...]}. Several tests of one suite each add their rows. These suites have one
variant, the one `make check` runs."""

import json
import os
import platform
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("ASYNCFG_RELIABILITY_OUT") or os.path.join(
    os.environ.get("ASYNCFG_BUILD_DIR") or os.path.join(ROOT, "build"), "reliability")


def record(suite, title, command, rows, notes=()):
    """Adds rows ([what, value]) to OUT/<suite>.json; a row of the same "what" is replaced."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"{suite}.json")
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        doc = {"rows": [], "notes": []}
    names = {r[0] for r in rows}
    doc.update(suite=suite, scale="only", title=title, command=command,
               date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               machine=f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.release()}")
    doc["rows"] = [r for r in doc["rows"] if r[0] not in names] + [list(r) for r in rows]
    doc["notes"] = doc["notes"] + [n for n in notes if n not in doc["notes"]]
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
