# SPDX-License-Identifier: MIT
"""valgrind finds no leaks in a daemon run (docs/style.md): build/asyncfgd under memcheck
against the emulator for a short cycle — the documents of the three providers (both Alibaba
APIs) loaded and reconciled, a drift injected and corrected, a document removed (orphaned), hostile
files (a syntax error, an alias, a FIFO), a SIGHUP reload, SIGTERM — exits 0
with no error and nothing definitely or indirectly lost. Skipped under the sanitizer build
(ASan and valgrind do not mix) and when valgrind is not installed."""

import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import BUILD, FUNCTIONS, start_fakecloud, write_config, write_desired
from daemonlib import NotifySocket, free_port, http_get, wait_for

VALGRIND = shutil.which("valgrind")
HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = [
    pytest.mark.skipif(BUILD.rstrip("/").endswith("/san"), reason="sanitizer build"),
    pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed"),
]


def test_daemon_run_under_valgrind(tmp_path):
    import json

    fake = start_fakecloud()
    proc = None
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    try:
        fake.create_functions(FUNCTIONS)
        desired = write_desired(str(tmp_path / "desired"))
        config = write_config(str(tmp_path), fake, desired)
        port = free_port()
        with open(config) as f:
            text = f.read().replace("listen: ''", f"listen: 127.0.0.1:{port}\nresyncInterval: 1s")
        with open(config, "w") as f:
            f.write(text)
        log = str(tmp_path / "valgrind.log")
        env = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_USEC", "JOURNAL_STREAM")}
        env.update(NOTIFY_SOCKET=notify.path, ASYNCFG_DEBOUNCE_MSEC="50")
        proc = subprocess.Popen([VALGRIND, f"--suppressions={os.path.join(HERE, 'valgrind.supp')}",
                                 "--leak-check=full",
                                 "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                                 f"--log-file={log}", os.path.join(BUILD, "asyncfgd"),
                                 "--config", config],
                                env=env, stdout=subprocess.DEVNULL,
                                stderr=open(str(tmp_path / "asyncfgd.log"), "w"))

        def status():
            st, data = http_get(port, "/status?resources=all")  # the streamed list too
            return json.loads(data) if st == 200 else None

        def states():
            try:
                return (status() or {}).get("summary", {}).get("states", {})
            except OSError:
                return {}

        wait_for(lambda: "1" in notify.values("READY") or proc.poll() is not None, 20, what="READY=1")
        assert proc.poll() is None
        wait_for(lambda: states().get("in_sync") == 6, 20, what="6 resources in sync")
        # Drift, corrected at the next poll.
        fake.drift(provider="aws", function="orders-worker", config={"MaximumRetryAttempts": 0})
        wait_for(lambda: next(c for c in fake.configs() if c["function"] == "orders-worker")
                 ["config"].get("MaximumRetryAttempts") == 1, 15, what="drift corrected")
        # A document removed (deletionPolicy orphan): listed as orphaned.
        os.unlink(os.path.join(desired, "fc2.yaml"))
        wait_for(lambda: states().get("orphaned") == 1, 15, what="an orphan")
        # Hostile files (the loader's error paths: syntax, an alias, a FIFO), kept over the reload.
        with open(os.path.join(desired, "broken.yaml"), "w") as f:
            f.write("a: [\n")
        with open(os.path.join(desired, "alias.yaml"), "w") as f:
            f.write("a: &x 1\nb: *x\n")
        os.mkfifo(os.path.join(desired, "fifo.yaml"))
        wait_for(lambda: ((status() or {}).get("summary") or {}).get("files", {}).get("error", 0) >= 3,
                 15, what="3 files in error")
        # Reload.
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: notify.values("READY").count("1") >= 2, 15, what="READY=1 after SIGHUP")
        wait_for(lambda: states().get("in_sync") == 5 and states().get("orphaned") == 1, 15,
                 what="in sync after the reload")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        report = open(log).read()
        assert rc == 0, report[-5000:]  # 99: memcheck found errors or leaks
        assert "ERROR SUMMARY: 0 errors" in report, report[-5000:]
        # memcheck saw the daemon's allocations: the programs link tcmalloc (the Makefile's
        # MALLOC), and an allocator memcheck did not replace would leave the checks below blind.
        allocs = re.search(r"total heap usage: ([\d,]+) allocs", report)
        assert allocs and int(allocs.group(1).replace(",", "")) > 1000, report[-5000:]
        # Nothing lost (no LEAK SUMMARY at all means every block was freed).
        for kind in ("definitely lost", "indirectly lost"):
            m = re.search(kind + r": ([\d,]+) bytes", report)
            assert m is None or m.group(1) == "0", report[-5000:]
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        notify.close()
        fake.proc.send_signal(signal.SIGTERM)
        fake.proc.wait(timeout=10)
