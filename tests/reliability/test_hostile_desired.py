# SPDX-License-Identifier: MIT
"""Suite 4, hostile desired state (issue 15): the corpus of hostile_corpus.py (more than 100
files: syntax, types, sizes, depth, aliases, binary, invalid UTF-8, BOMs, symlink loops, FIFOs,
devices, unreadable files and directories, an empty and a comment-only file), then good files
made hostile in place (emptied, broken, replaced by a FIFO, a device, a dangling symlink, their
directory replaced by a file), files vanishing mid-read and 20,000 files at once. Each case is a
located `path:line:col: error:` or a clean skip, other files are unaffected, the last good
versions stay in force (nothing deleted), and memory (VmHWM) and time stay bounded — through
`asyncfg validate`, through the running daemon's inotify path and through SIGHUP.

Root reads everything: the programs run without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
(setpriv) so that a file of mode 000 is unreadable to them too."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import daemonlib  # noqa: E402
from daemonlib import BUILD, Daemon, Fake, wait_for  # noqa: E402
import hostile_corpus  # noqa: E402
from rellib import write_figures  # noqa: E402
from hostile_corpus import good  # noqa: E402

ASYNCFG = os.path.join(BUILD, "asyncfg")
SETPRIV = shutil.which("setpriv")
# Root without these two capabilities is denied a file of mode 000 like anyone else.
DROP_DAC = [SETPRIV, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
UNREADABLE = os.geteuid() != 0 or SETPRIV is not None
LOCATED = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): error: .+$")

# Bounds, an order of magnitude above what a run measures (tests/reliability/RELIABILITY.md).
CORPUS_SECONDS = 30
# One variant, whatever the scale: the same run in `make check` and `make reliability`.
SUITE = ("hostile-desired", {"title": "Hostile desired state", "scale": "only",
                        "command": "pytest tests/reliability/test_hostile_desired.py"})
HWM_KB = 256 * 1024
BULK_FILES = 20000
BULK_SECONDS = 120

GOOD_NAMES = [f"keep-{i}" for i in range(8)]
# Documents of the corpus that are odd but valid: their functions exist in the emulator.
OK_NAMES = ["bom-ok", "bom-16le", "bom-16be", "t-r7", "inner-dir-yaml"]


def unprivileged(argv):
    return (DROP_DAC + argv) if os.geteuid() == 0 and SETPRIV else argv


# Forks and execs argv, waits, writes the child's peak RSS (KiB) to argv[1], exits as it did.
# The peak must be asyncfg's own: Linux carries a process's RSS peak across exec, so a child
# forked straight from pytest reports pytest's size (over 400 MiB after the 1,000-resource
# suites in `make reliability`), whereas this small fresh interpreter's is a few MiB.
MEASURE = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""


def run_measured(argv, timeout=120):
    """Runs argv; returns (returncode, stdout, stderr, seconds, max RSS in KiB). The output goes
    to files: a pipe that nobody reads while the other fills would block the program."""
    import tempfile
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        proc = subprocess.Popen([sys.executable, "-c", MEASURE, rss.name] + unprivileged(argv),
                                stdout=out, stderr=err, start_new_session=True,
                                env={**os.environ, "NO_COLOR": "1"})
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        out.seek(0)
        err.seek(0)
        text = (out.read().decode(), err.read().decode())
        maxrss = int(rss.read() or 0)
    return proc.returncode, text[0], text[1], time.monotonic() - start, maxrss


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def check_located(lines, root, cases):
    """Every error case has a located error naming its path, no skip or ok case has one, and
    every line is `path:line:col: error: message`."""
    named = {}
    for line in lines:
        m = LOCATED.match(line)
        assert m, f"not a located error: {line!r}"
        assert int(m["line"]) >= 1 and int(m["col"]) >= 1, line
        named.setdefault(os.path.relpath(m["path"], root), []).append(line)
    for rel, expect, label in cases:
        if expect == "error":
            assert rel in named, f"{label} ({rel}): no located error"
        else:
            assert rel not in named, f"{label} ({rel}) is a {expect} case: {named[rel]}"
    return named


def write_good(root, name, sub=""):
    path = os.path.join(root, sub, f"{name}.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(good(name).replace("maxRetryAttempts: 1\n",
                                   "maxRetryAttempts: 1\n  deletionPolicy: delete\n"))
    return path


def expectations(cases, daemon):
    """validate without a config cannot know the accounts: the daemon (and validate --config)
    also reject a document naming an unknown account or a function of another region."""
    return [(rel, "error" if daemon and label in ("account-unknown", "foreign-arn") else expect,
             label) for rel, expect, label in cases]


@pytest.fixture
def corpus(tmp_path):
    root = str(tmp_path / "desired")
    cases = hostile_corpus.make_corpus(root, unreadable=UNREADABLE)
    yield root, cases
    hostile_corpus.restore_permissions(str(tmp_path))


def test_corpus_is_big_enough(corpus):
    _, cases = corpus
    assert len(cases) >= 100
    assert sum(1 for c in cases if c[1] == "error") >= 90


def test_validate_locates_every_hostile_file(corpus, tmp_path):
    root, cases = corpus
    for name in GOOD_NAMES:
        write_good(root, name)
    rc, out, err, secs, rss = run_measured([ASYNCFG, "validate", root])
    assert rc == 1, err
    named = check_located((out + err).splitlines(), root, expectations(cases, daemon=False))
    for name in GOOD_NAMES:
        assert f"{name}.yaml" not in named
    assert secs < CORPUS_SECONDS and rss < HWM_KB, (secs, rss)
    # -o json says the same, one object per diagnostic.
    rc, out, err, _, _ = run_measured([ASYNCFG, "validate", "-o", "json", root])
    assert rc == 1, err
    lines = [f"{d['path']}:{d['line']}:{d['column']}: {d['severity']}: {d['message']}"
             for d in json.loads(out)]
    check_located(lines, root, expectations(cases, daemon=False))
    n_error = sum(1 for c in cases if c[1] == "error")
    write_figures(*SUITE, [
        ["hostile inputs in the corpus", f"{len(cases)} ({n_error} errors, "
         f"{sum(1 for c in cases if c[1] == 'skip')} skipped names, "
         f"{sum(1 for c in cases if c[1] == 'ok')} odd but valid)"],
        ["asyncfg validate: located errors, time, max RSS",
         f"{len(named)} paths named, all `path:line:col: error:`; {secs:.2f} s; "
         f"{rss // 1024} MiB"]])


class HostileRun:
    """A daemon (without DAC override when root) on a directory of good files whose functions
    exist in the emulator, each with deletionPolicy delete: a good file wrongly taken for gone
    would DELETE its live config, which the emulator counts."""

    def __init__(self, tmp_path, monkeypatch):
        self.fake = Fake()
        if os.geteuid() == 0 and SETPRIV:
            wrapper = str(tmp_path / "asyncfgd-nodac")
            with open(wrapper, "w") as f:
                f.write("#!/bin/sh\nexec " + " ".join(DROP_DAC) + f' {daemonlib.DAEMON} "$@"\n')
            os.chmod(wrapper, 0o755)
            monkeypatch.setattr(daemonlib, "DAEMON", wrapper)
        self.d = Daemon(tmp_path, self.fake, resync="1m")
        self.fake.create(*GOOD_NAMES, *OK_NAMES)
        for i, name in enumerate(GOOD_NAMES):
            write_good(self.d.desired, name, "sub" if i == 3 else "")

    def start(self):
        self.d.start()
        for name in GOOD_NAMES:
            self.d.wait_state(name, "in_sync")
        self.puts = self.fake.count("PUT")

    def files(self):
        """/status's files by relative path; a path the scan itself also reported (a FIFO, a
        device) has two entries: the file's, and the scan's diagnostics."""
        out = {}
        for f in self.d.status("resources=all")["files"]:
            rel = os.path.relpath(f["path"], self.d.desired)
            out[rel] = {**f, **out.get(rel, {})} if "resources" not in f else {**out.get(rel, {}), **f}
        return out

    def located(self):
        """Every diagnostic of /status as lines (files, then the scan's own)."""
        return [line for f in self.d.status("resources=all")["files"]
                for line in f["diagnostics"]]

    def assert_good_in_force(self):
        assert self.d.proc.poll() is None, self.d.logtext()[-3000:]
        for name in GOOD_NAMES:
            assert self.d.state_of(name) == "in_sync", (name, self.d.resource(name))
        assert self.fake.count("DELETE") == 0
        live = self.fake.configs()
        for name in GOOD_NAMES:
            assert live[name].get("MaximumRetryAttempts") == 1, (name, live[name])

    def close(self):
        self.d.close()
        self.fake.stop()


@pytest.fixture
def hostile_run(tmp_path, monkeypatch):
    run = HostileRun(tmp_path, monkeypatch)
    yield run
    run.close()
    hostile_corpus.restore_permissions(str(tmp_path))


def wait_errors(run, cases, timeout):
    want = {rel for rel, expect, _ in cases if expect == "error"}

    def done():
        lines = run.located()
        got = {os.path.relpath(LOCATED.match(x)["path"], run.d.desired)
               for x in lines if LOCATED.match(x)}
        return want <= got and lines

    return wait_for(done, timeout, interval=0.2, what="every hostile file in error")


def test_daemon_inotify_and_sighup(hostile_run, tmp_path):
    run = hostile_run
    run.start()
    # Through inotify: the corpus dropped into the running daemon's directory.
    start = time.monotonic()
    cases = expectations(hostile_corpus.make_corpus(run.d.desired, unreadable=UNREADABLE),
                         daemon=True)
    lines = wait_errors(run, cases, CORPUS_SECONDS)
    took = time.monotonic() - start
    check_located(lines, run.d.desired, cases)
    for name in OK_NAMES:
        run.d.wait_state(name, "in_sync")
    run.assert_good_in_force()
    assert run.fake.count("PUT") == run.puts + len(OK_NAMES)
    hwm = vm_hwm_kb(run.d.proc.pid)
    assert hwm < HWM_KB, hwm

    # Through SIGHUP: the same verdicts, the same resources in force.
    readies = run.d.ready_count()
    run.d.signal(signal.SIGHUP)
    wait_for(lambda: run.d.ready_count() > readies, 30, what="READY=1 after SIGHUP")
    lines = wait_errors(run, cases, CORPUS_SECONDS)
    check_located(lines, run.d.desired, cases)
    run.assert_good_in_force()
    assert vm_hwm_kb(run.d.proc.pid) < HWM_KB
    write_figures(*SUITE, [
        ["daemon, inotify then SIGHUP: every verdict as validate's, time, VmHWM",
         f"{len(cases)} inputs dropped into the running daemon's directory, all "
         f"located in /status within {took:.2f} s, again after SIGHUP; "
         f"VmHWM {hwm // 1024} MiB; 0 DELETE, 0 PUT but the {len(OK_NAMES)} "
         f"valid odd files' own"]])


def make_good_files_hostile(root):
    """Each good file made hostile in place; returns the paths now in error."""
    open(os.path.join(root, "keep-0.yaml"), "w").close()  # emptied
    with open(os.path.join(root, "keep-1.yaml"), "w") as f:
        f.write("apiVersion: [\n")
    with open(os.path.join(root, "keep-2.yaml"), "wb") as f:
        f.write(b"\x7fELF\0\0\xff")
    # The directory of keep-3 replaced by a file (the old directory moved out of sight).
    with open(os.path.join(root, "sub.new"), "w") as f:
        f.write("not a directory\n")
    os.rename(os.path.join(root, "sub"), os.path.join(root, ".sub.old"))
    os.rename(os.path.join(root, "sub.new"), os.path.join(root, "sub"))
    fifo = os.path.join(root, ".fifo")
    os.mkfifo(fifo)
    os.rename(fifo, os.path.join(root, "keep-4.yaml"))
    link = os.path.join(root, ".zero")
    os.symlink("/dev/zero", link)
    os.rename(link, os.path.join(root, "keep-5.yaml"))
    with open(os.path.join(root, "keep-6.yaml"), "w") as f:
        f.write("# only a comment now\n")
    # A new version that nobody may read (a deploy with a wrong umask).
    locked = os.path.join(root, ".keep-7.new")
    with open(locked, "w") as f:
        f.write(good("keep-7").replace("maxRetryAttempts: 1", "maxRetryAttempts: 2"))
    os.chmod(locked, 0)
    os.rename(locked, os.path.join(root, "keep-7.yaml"))
    return ["keep-0.yaml", "keep-1.yaml", "keep-2.yaml", "sub/keep-3.yaml", "keep-4.yaml",
            "keep-5.yaml", "keep-6.yaml"] + (["keep-7.yaml"] if UNREADABLE else [])


def vanish_mid_read(root, seconds):
    """Files that appear, grow, shrink and vanish while the daemon reads them."""
    big = (good("vanish") + "#" * 900000 + "\n").encode()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        path = os.path.join(root, "vanish.yaml")
        with open(path, "wb") as f:
            f.write(big)
        os.truncate(path, 100)
        os.unlink(path)
        with open(os.path.join(root, "shrink.yaml"), "wb") as f:
            f.write(big[: 1000 + (n * 7919) % len(big)])
        n += 1
    os.unlink(os.path.join(root, "shrink.yaml"))
    return n


def test_good_files_made_hostile_keep_their_last_good_version(hostile_run):
    run = hostile_run
    run.start()
    broken = make_good_files_hostile(run.d.desired)
    wait_for(lambda: {b for b in broken if run.files().get(b, {}).get("state") == "error"}
             == set(broken), 20, interval=0.2,
             what=f"{broken} in error")
    for rel in broken:
        f = run.files()[rel]
        assert f["has_good_version"] and f["resources"] == 1, f
        assert all(LOCATED.match(x) for x in f["diagnostics"]), f
    rounds = vanish_mid_read(run.d.desired, 3)
    assert rounds > 10
    readies = run.d.ready_count()
    run.d.signal(signal.SIGHUP)
    wait_for(lambda: run.d.ready_count() > readies, 30, what="READY=1 after SIGHUP")
    wait_for(lambda: "vanish.yaml" not in run.files(), 10, what="vanish.yaml forgotten")
    run.assert_good_in_force()
    assert run.fake.count("PUT") == run.puts
    for rel in broken:
        assert run.files()[rel]["state"] == "error", rel
    # Made good again: every file ok, nothing written (the live configs never changed).
    os.unlink(os.path.join(run.d.desired, "sub"))
    os.rename(os.path.join(run.d.desired, ".sub.old"), os.path.join(run.d.desired, "sub"))
    for i, name in enumerate(GOOD_NAMES):
        if i != 3:
            os.unlink(os.path.join(run.d.desired, f"{name}.yaml"))
            write_good(run.d.desired, name)
    wait_for(lambda: run.d.status("")["summary"]["files"] == {"ok": 8, "error": 0}, 20,
             what="every file ok again")
    run.assert_good_in_force()
    assert run.fake.count("PUT") == run.puts
    assert run.d.stop() == 0
    write_figures(*SUITE, [
        ["good files made hostile in place (emptied, broken, binary, FIFO, "
         "/dev/zero, comment-only, unreadable, directory replaced by a file), "
         "files vanishing mid-read",
         f"{len(broken)} files: each in error with its last good version in force "
         f"(resources in sync, 0 DELETE, 0 PUT), through SIGHUP too; "
         f"{rounds} create/grow/truncate/unlink rounds in 3 s"]])


def test_twenty_thousand_files_at_once(hostile_run, tmp_path):
    run = hostile_run
    run.start()
    staging = str(tmp_path / "bulk")
    os.makedirs(staging)
    for i in range(BULK_FILES):
        with open(os.path.join(staging, f"bulk-{i:05d}.yaml"), "w") as f:
            f.write(f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: b{i}}}\n"
                    f"spec: {{provider: aws, function: b{i}, maxRetryAttempts: nope}}\n")
    # validate on the same tree: one located error per file.
    rc, out, err, vsecs, vrss = run_measured([ASYNCFG, "validate", staging], timeout=BULK_SECONDS)
    assert rc == 1, err
    lines = (out + err).splitlines()
    assert len(lines) == BULK_FILES
    assert all(LOCATED.match(x) for x in lines)
    # The daemon: all of them at once (one rename), each in error, the good files untouched.
    start = time.monotonic()
    os.rename(staging, os.path.join(run.d.desired, "bulk"))
    slowest = [0.0]

    def errors():
        """/status's count of files in error; None while the load keeps the loop busy (the
        scan reads and parses on the loop: seconds for 20,000 files on a loaded machine)."""
        t = time.monotonic()
        try:
            n = run.d.status("")["summary"]["files"]["error"]
        except OSError:
            n = None
        slowest[0] = max(slowest[0], time.monotonic() - t)
        return n

    wait_for(lambda: errors() == BULK_FILES, BULK_SECONDS, interval=0.5,
             what="20,000 files in error")
    took = time.monotonic() - start
    run.assert_good_in_force()
    assert run.fake.count("PUT") == run.puts and run.fake.stats()["byMethod"].get("GET", 0) > 0
    hwm = vm_hwm_kb(run.d.proc.pid)
    assert hwm < HWM_KB, hwm
    # Gone again (really gone, never good): nothing to delete, nothing in error.
    shutil.rmtree(os.path.join(run.d.desired, "bulk"))
    wait_for(lambda: errors() == 0, BULK_SECONDS, interval=0.5, what="the bulk files forgotten")
    assert run.d.status("")["summary"]["files"] == {"ok": 8, "error": 0}
    run.assert_good_in_force()
    assert run.d.stop() == 0
    write_figures(*SUITE, [
        ["20,000 broken files at once (one rename)",
         f"validate {vsecs:.2f} s, max RSS {vrss // 1024} MiB; daemon: all 20,000 "
         f"in error in {took:.2f} s (slowest /status meanwhile {slowest[0]:.2f} s), "
         f"VmHWM {hwm // 1024} MiB, good files untouched"]])
