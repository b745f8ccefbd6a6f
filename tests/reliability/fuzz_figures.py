#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Suite 7's figures for RELIABILITY.md from the last `make fuzz` (build/fuzz/<fuzzer>.log and
the inputs libFuzzer kept, build/fuzz/<fuzzer>-crash-*, -leak-*, -timeout-*, -oom-*):
executions, seconds and findings per fuzzer, into build/reliability/fuzzing.json
(figures47.record). Run it after `make fuzz FUZZ_SECONDS=N`."""

import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from figures47 import ROOT, record  # noqa: E402


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
    record("fuzzing", "Fuzzing and sanitizers", "make fuzz FUZZ_SECONDS=20", rows)


if __name__ == "__main__":
    main()
