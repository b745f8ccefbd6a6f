#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Suite 7's figures for RELIABILITY.md from the last `make fuzz` (build/fuzz/<fuzzer>.log and
the inputs libFuzzer kept, build/fuzz/<fuzzer>-crash-*, -leak-*, -timeout-*, -oom-*):
executions, seconds and findings per fuzzer, into $ASYNCFG_RELIABILITY_OUT (else
build/reliability)/fuzzing.json (rellib.write_figures), whatever the scale: it is the figure
of `make reliability`. `make reliability-fuzz` runs it after `make fuzz FUZZ_SECONDS=N`:
python3 tests/reliability/fuzz_figures.py N."""

import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "e2e")]
from rellib import ROOT, write_figures  # noqa: E402


def main():
    fuzz = os.path.join(ROOT, "build", "fuzz")
    names = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(ROOT, "tests", "fuzz",
                                                                           "fuzz-*.c")))
    rows, total = [], 0
    for name in names:
        try:
            with open(os.path.join(fuzz, f"{name}.log"), errors="replace") as f:
                log = f.read()
        except OSError:
            rows.append([f"`{name}`", "not run"])
            continue
        done = re.search(r"^Done (\d+) runs in (\d+) second", log, re.M)
        found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(fuzz, f"{name}-*"))
                       if re.search(r"-(crash|leak|timeout|oom|slow-unit)-", p))
        runs = int(done.group(1)) if done else 0
        total += runs
        rows.append([f"`{name}`", (f"{runs:,} runs in {done.group(2)} s" if done else
                                   "stopped by a finding")
                     + (f"; findings: {', '.join(found)}" if found else "; no finding")])
    rows.append(["executions in all", f"{total:,}"])
    seconds = sys.argv[1] if len(sys.argv) > 1 else "20"
    write_figures("fuzzing", {"title": "Fuzzing and sanitizers", "scale": "only", "rows": rows,
                              "command": f"make fuzz FUZZ_SECONDS={seconds}"},
                  out=os.environ.get("ASYNCFG_RELIABILITY_OUT") or os.path.join(ROOT, "build",
                                                                                "reliability"))


if __name__ == "__main__":
    main()
