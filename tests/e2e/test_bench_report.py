# SPDX-License-Identifier: MIT
"""`make bench` (tests/bench/bench-report) end to end at small sizes: every phase runs and
BENCHMARKS.md has every figure, measured, with its reference, ratio, target and result, the
machine, the command and the revision (`make bench` is not run by CI; this keeps it working)."""

import os
import re
import subprocess

from conftest import BUILD, ROOT

SMALL = {
    "BENCH_SIZES": "100,300", "BENCH_IDLE_SECONDS": "1", "BENCH_APPLY_RESOURCES": "200",
    "BENCH_CONCURRENCY": "8", "BENCH_SECONDS": "0.3", "BENCH_LATENCY_RESOURCES": "200",
    "BENCH_LATENCY_MS": "20", "BENCH_TF_RESOURCES": "40", "BENCH_RATE_RESOURCES": "60",
    "BENCH_RATE_QPS": "60", "BENCH_RATE_WINDOW": "1", "BENCH_REACT_RESOURCES": "300",
    "BENCH_EDITS": "4", "BENCH_GIT_FILES": "100", "BENCH_MASSIF_RESOURCES": "100",
    "BENCH_COMMAND": "bench smoke test",
}

# Each figure's name as the report writes it, at the sizes above.
FIGURES = [
    r"initial sync 100: converge rate", r"initial sync 300: converge rate",
    r"daemon CPU to converge, 300 / 100", r"bytes written per PUT at 100", r"bytes written per PUT at 300",
    r"peak memory per resource at 300", r"READY at 300",
    r"idle at 300 in sync: wake-ups without a due poll", r"idle at 300 in sync: drift polls",
    r"idle at 300 in sync: CPU",
    r"load: asyncfg validate of 300 documents",
    r"asyncfg apply of 200: CPU per cloud request",
    r"20 ms cloud latency, 200 resources: daemon \(concurrency 64\)",
    r"rate limit: 60 resources at qps 60", r"rate limit: peak over any 1 s",
    r"reaction at 300: file write → PUT, median of 4", r"reaction at 300: file write → PUT, p99 of 4",
    r"git checkout of 100 files at 300: until the last PUT",
    r"heap at its peak at 100 \(massif\)",
]
# ASan and valgrind do not mix: under the sanitizer build the massif phase is left out.
SANITIZED = BUILD.rstrip("/").endswith("/san")
if SANITIZED:
    SMALL["BENCH_MASSIF_RESOURCES"] = "0"
    FIGURES.pop()


def test_bench_report_writes_every_figure(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    env = dict(os.environ, ASYNCFG_BUILD_DIR=os.path.abspath(BUILD), BENCH_OUT=str(out),
               BENCH_WORKDIR=str(tmp_path / "work"), **SMALL)
    r = subprocess.run([os.path.join(ROOT, "tests", "bench", "bench-report")], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 0, (r.stdout, r.stderr[-3000:])
    text = out.read_text()
    for head in ("## Figures", "## Initial sync", "## Growth of each path", "## Where the memory goes"):
        assert head in text, (head, text)
    assert re.search(r"^- \*\*machine\*\*: .+, \d+ cores, [\d.]+ GiB memory, Linux \S+$", text, re.M), text
    assert re.search(r"^- \*\*revision\*\*: [0-9a-f]{40} ", text, re.M), text
    assert "- **command**: `bench smoke test`" in text, text
    assert "Stale references" not in text, text
    for name in FIGURES:
        # | figure | measured | reference | ratio | target | result |, the measured value a number
        m = re.search(rf"^\| {name} \| ([^|]*\d[^|]*) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| (PASS|FAIL|—) \|$",
                      text, re.M)
        assert m, (name, text)
    figures = text.split("## Figures", 1)[1].split("\n## ", 1)[0]  # not the notes' own tables
    assert len(re.findall(r"^\| \S.* \| (PASS|FAIL|—) \|$", figures, re.M)) == len(FIGURES), text
    for n in ("100", "300"):
        assert re.search(rf"^\| {n} \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| \d+ µs \|", text, re.M), text
    if not SANITIZED:  # massif's allocation sites
        assert re.search(r"^\| [\d.]+ MiB \| [\d,]+ B \| `.+` \|$", text, re.M), text
