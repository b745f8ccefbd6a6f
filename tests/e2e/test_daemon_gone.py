# SPDX-License-Identifier: MIT
"""DESIGN.md §3.2: only a file that is really gone removes what it declared. Each way a file can
fail to be read (unreadable file or directory, a directory moved below the depth limit, a
symlink loop, an emptied or comment-only file, a FIFO in its place), reached by each way the
daemon learns of it (inotify hint, full rescan, SIGHUP, restart on the same state store): zero
DELETEs at the emulator, the resources still there, and the failure shown as a located error.

As root, chmod 000 does not stop reading: the daemon then runs as nobody (setpriv)."""

import os
import re
import shutil
import signal
import tempfile
import time

import pytest

from daemonlib import DAEMON, Daemon, NotifySocket, doc, fake, wait_for  # noqa: F401

NOBODY = 65534
DEPTH_LIMIT = 16  # reconciler/spec/limits.h LIMIT_DIRECTORY_DEPTH
GRACE = 2.5       # past the removal's grace (debounce + 1 s) with margin


class UnprivilegedDaemon(Daemon):
    """asyncfgd as nobody when the tests run as root, so that file permissions apply to it."""

    def start(self, wait_ready=True):
        if self.notify is None:
            self.notify = NotifySocket(os.path.join(self.tmp, "notify.sock"))
            os.chmod(self.notify.path, 0o777)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path, ASYNCFG_DEBOUNCE_MSEC="50")
        env.pop("JOURNAL_STREAM", None)
        argv = [DAEMON, "--config", self.config]
        if os.geteuid() == 0:
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
        self.log = open(self.stderr_path, "a")
        readies = self.ready_count()
        self.proc = subprocess_popen(argv, env, self.log)
        if wait_ready:
            wait_for(lambda: self.ready_count() > readies or self.proc.poll() is not None, 10,
                     what="READY=1")
            assert self.proc.poll() is None, self.logtext()
        return self


def subprocess_popen(argv, env, log):
    import subprocess
    return subprocess.Popen(argv, env=env, stdout=log, stderr=log)


def truncate(path, text):
    with open(path, "w") as f:  # in place, as ": > r.yaml" or a failed "envsubst > r.yaml"
        f.write(text)


def break_unreadable_file(d):
    # a new version that cannot be read (a chmod alone leaves the version in force as it is)
    d.write("sub/r.yaml", doc("r", retries=2, deletion="delete"))
    os.chmod(os.path.join(d.desired, "sub/r.yaml"), 0)


def break_unreadable_dir(d):
    os.chmod(os.path.join(d.desired, "sub"), 0)


def break_too_deep(d):
    deep = os.path.join(d.desired, *(["d"] * DEPTH_LIMIT))
    os.makedirs(deep)
    os.rename(os.path.join(d.desired, "sub"), os.path.join(deep, "sub"))


def break_symlink_loop(d):
    os.rename(os.path.join(d.desired, "sub"), os.path.join(d.desired, ".hold"))
    os.symlink("sub", os.path.join(d.desired, "sub"))


def break_emptied(d):
    truncate(os.path.join(d.desired, "sub/r.yaml"), "")


def break_comment_only(d):
    truncate(os.path.join(d.desired, "sub/r.yaml"), "# moved to another repository\n\n")


def break_fifo(d):
    path = os.path.join(d.desired, "sub/r.yaml")
    os.unlink(path)
    os.mkfifo(path, 0o644)


FAILURES = {
    "unreadable-file": break_unreadable_file,
    "unreadable-dir": break_unreadable_dir,
    "too-deep": break_too_deep,
    "symlink-loop": break_symlink_loop,
    "emptied": break_emptied,
    "comment-only": break_comment_only,
    "fifo": break_fifo,
}
PATHS = ["inotify", "rescan", "sighup", "restart"]


@pytest.fixture
def tmp_shared():
    # nobody must reach it: pytest's tmp_path is under a 0700 directory of root's
    t = tempfile.mkdtemp(prefix="asyncfg-gone-")
    os.chmod(t, 0o755)
    yield t
    for root, dirs, _ in os.walk(t):
        for x in dirs:
            try:
                os.chmod(os.path.join(root, x), 0o755, follow_symlinks=False)
            except OSError:
                pass
    shutil.rmtree(t, ignore_errors=True)


def located_errors(d):
    out = []
    for f in d.status()["files"]:
        if f["state"] == "error":
            out += [x for x in f["diagnostics"] if re.search(r":\d+:\d+: error: ", x)]
    return out


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("path", PATHS)
def test_nothing_deleted_unless_gone(tmp_shared, fake, path, failure):  # noqa: F811
    fake.create("keep", "r")
    d = UnprivilegedDaemon(tmp_shared, fake, resync="1h", watchdog=False)
    try:
        if os.geteuid() == 0:
            os.chown(d.state, NOBODY, NOBODY)
        d.write("keep.yaml", doc("keep", deletion="delete"))
        d.write("sub/r.yaml", doc("r", deletion="delete"))
        d.start()
        d.wait_state("keep", "in_sync")
        d.wait_state("r", "in_sync")
        assert fake.count("DELETE") == 0

        if path == "restart":
            assert d.stop() == 0
        FAILURES[failure](d)
        if path == "rescan":
            # a hidden path's event makes the watcher ask for a full rescan
            open(os.path.join(d.desired, ".poke"), "w").close()
        elif path == "sighup":
            d.signal(signal.SIGHUP)
        elif path == "restart":
            d.start()

        # the failure is shown, located, and then nothing is removed past the grace
        wait_for(lambda: located_errors(d), 10, what=f"a located error ({d.logtext()[-1500:]})")
        time.sleep(GRACE)  # a DELETE would be due by now: nothing to poll for
        assert fake.count("DELETE") == 0, d.logtext()
        assert set(fake.configs()) >= {"keep", "r"}
        assert d.proc.poll() is None
        if path != "restart":  # a fresh start has no good version of the broken file
            assert d.resource("r") is not None
            assert d.metric('asyncfg_desired_files{state="error"}') >= 1
    finally:
        d.close()


@pytest.mark.parametrize("content", ["", "# only a comment\n\n", "---\n"])
def test_validate_rejects_file_without_document(tmp_path, content):
    import subprocess
    (tmp_path / "r.yaml").write_text(content)
    p = subprocess.run([os.path.join(os.path.dirname(DAEMON), "asyncfg"), "validate",
                        str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, p.stdout + p.stderr
    assert re.search(r"r\.yaml:1:1: error: the file holds no document", p.stderr), p.stderr
