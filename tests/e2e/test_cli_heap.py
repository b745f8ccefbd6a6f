# SPDX-License-Identifier: MIT
"""The CLI's heap faults in transparent huge pages (lib/heap.h): a large desired tree costs a
few page faults per megabyte, not one per 4 KiB page. On the virtual machines asyncfg runs on a
fault costs 10-14 us, as much as a request: an apply of 10,000 resources took 4,700 of them."""

import os
import subprocess

import pytest

from conftest import ASYNCFG, BUILD

THP = "/sys/kernel/mm/transparent_hugepage/enabled"
DOCS = 10000


def _faults(*args):
    """The minor page faults of one run of the CLI, from the kernel's rusage of the child."""
    proc = subprocess.Popen([ASYNCFG, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.returncode == 0, err
    return usage.ru_minflt


def _huge_pages_available():
    try:
        with open(THP) as f:
            mode = f.read()
    except OSError:
        return False
    return "[never]" not in mode


def _tcmalloc_linked():
    out = subprocess.run(["ldd", ASYNCFG], capture_output=True, text=True).stdout
    return "tcmalloc" in out


def test_a_large_tree_faults_in_huge_pages(tmp_path):
    if not _huge_pages_available():
        pytest.skip(f"{THP}: transparent huge pages are off on this machine")
    if not _tcmalloc_linked():
        pytest.skip(f"{BUILD}/asyncfg is built with glibc's malloc (make MALLOC=libc)")
    desired = tmp_path / "desired"
    desired.mkdir()
    for f in range(DOCS // 100):
        docs = []
        for i in range(f * 100, f * 100 + 100):
            docs.append(
                "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
                f"metadata: {{name: r{i}}}\n"
                f"spec: {{provider: aws, account: aws, function: fn-{i}, maxRetryAttempts: {i % 3}, "
                f"maxEventAgeSeconds: {60 + i}, onFailure: {{destination: "
                f"'arn:aws:sqs:us-east-1:123456789012:dlq-{i}'}}}}\n")
        (desired / f"r{f:03d}.yaml").write_text("---\n".join(docs))
    start = _faults("--version")
    loaded = _faults("validate", str(desired))
    # Loading 10,000 documents grows the heap by about 9 MiB: 2,100 faults in 4 KiB pages,
    # a handful in 2 MiB ones. Allow for the libraries' own mappings and the first touches of
    # loader threads' stacks, well below the 4 KiB figure.
    assert loaded - start < DOCS // 10, (start, loaded)
