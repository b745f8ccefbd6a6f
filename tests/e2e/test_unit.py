# SPDX-License-Identifier: MIT
"""The shipped unit, proven (issue 14): `make install` into a scratch root, then the installed
asyncfgd.service is parsed and its ExecStartPre=, ExecStart=, ExecReload= and stop run the way
systemd would run them: as an unprivileged user standing in for DynamicUser= (setpriv as
nobody), with $CREDENTIALS_DIRECTORY holding what LoadCredential= would give (one INI file per
account, named after it), $STATE_DIRECTORY, a NOTIFY_SOCKET, WATCHDOG_USEC and the unit's UMask=;
on a fresh install (an empty desired.d) and with a real one against build/fakecloud. The paths
of the scratch root stand in for /usr/bin, /etc/asyncfg and /var/lib/asyncfg. Also
systemd-analyze verify and security --offline=true on the installed unit."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import CREDENTIALS, FUNCTIONS, ROOT, write_desired
from daemonlib import NotifySocket, free_port, http_get, wait_for

NOBODY = 65534
UNIT = "lib/systemd/system/asyncfgd.service"
ACCOUNTS = {"aws-prod": "aws", "ali-prod": "alicloud", "ali-legacy": "alicloud",
            "hw-prod": "huaweicloud"}


def parse_unit(text):
    """{section: {key: [values]}}: systemd's syntax as far as the unit uses it (repeated keys
    accumulate, an empty assignment resets, comments and continuation lines)."""
    sections, cur = {}, None
    text = re.sub(r"\\\n", " ", text)
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            cur = sections.setdefault(line.strip("[]"), {})
            continue
        key, value = line.split("=", 1)
        values = cur.setdefault(key.strip(), [])
        if value.strip():
            values.append(value.strip())
        else:
            values.clear()
    return sections


class Host:
    """A scratch root with `make install` in it, readable by nobody, and the directories
    systemd would make for the service."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix="asyncfg-unit-")
        os.chmod(self.top, 0o755)
        self.root = os.path.join(self.top, "root")
        subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={self.root}", "PREFIX=/usr",
                        "SYSCONFDIR=/etc", "UNITDIR=/lib/systemd/system",
                        "TMPFILESDIR=/usr/lib/tmpfiles.d"], check=True, capture_output=True)
        self.unit_text = open(os.path.join(self.root, UNIT)).read()
        self.unit = parse_unit(self.unit_text)
        self.state = self.service_dir("state", 0o700)
        self.creds = self.service_dir("credentials", 0o500)
        self.port = free_port()

    def service_dir(self, name, mode):
        path = os.path.join(self.top, name)
        os.mkdir(path)
        os.chown(path, NOBODY, NOBODY)
        os.chmod(path, mode)
        return path

    def map_paths(self, text):
        """The installed paths, as the scratch root holds them."""
        return (text.replace("/usr/bin/", f"{self.root}/usr/bin/")
                .replace("/etc/asyncfg/", f"{self.root}/etc/asyncfg/")
                .replace("/var/lib/asyncfg", self.state))

    def configure(self, endpoint=None):
        """The installed configuration as an operator leaves it: its own port, and (with a
        cloud) every account's endpoint pointing at the emulator."""
        path = os.path.join(self.root, "etc/asyncfg/asyncfgd.yaml")
        text = self.map_paths(open(path).read())
        text = text.replace("listen: 127.0.0.1:9733", f"listen: 127.0.0.1:{self.port}")
        if endpoint:
            text = re.sub(r"\n    endpoint: \S+[^\n]*", "", text)
            text = re.sub(r"(\n    region: \S+)", rf"\1\n    endpoint: {endpoint}", text)
        with open(path, "w") as f:
            f.write(text)

    def load_credentials(self):
        """What LoadCredential=NAME:/etc/asyncfg/credentials/NAME hands the service."""
        for name, provider in ACCOUNTS.items():
            path = os.path.join(self.creds, name)
            akid, secret = CREDENTIALS[provider]
            with open(path, "w") as f:
                f.write(f"access_key_id = {akid}\nsecret_access_key = {secret}\n")
            os.chown(path, NOBODY, NOBODY)
            os.chmod(path, 0o400)

    def service(self, key):
        return self.unit["Service"].get(key, [])

    def argv(self, command, mainpid=None):
        command = command.lstrip("-")
        if mainpid is not None:
            command = command.replace("$MAINPID", str(mainpid))
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--no-new-privs", "--", *self.map_paths(command).split()]

    def env(self, notify):
        watchdog = self.service("WatchdogSec")[-1]
        assert watchdog.endswith("s")
        return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG": "C.UTF-8", "HOME": "/", "CREDENTIALS_DIRECTORY": self.creds,
                "STATE_DIRECTORY": self.state, "NOTIFY_SOCKET": notify.path,
                "WATCHDOG_USEC": str(int(watchdog[:-1]) * 1000000)}

    def umask(self):
        mask = int(self.service("UMask")[-1], 8)
        return lambda: os.umask(mask)

    def run(self, key, notify, mainpid=None):
        """Every command of key in order, as systemd runs them; returns the results."""
        out = []
        for command in self.service(key):
            p = subprocess.run(self.argv(command, mainpid), env=self.env(notify),
                               capture_output=True, text=True, timeout=60,
                               preexec_fn=self.umask())
            out.append(p)
            assert p.returncode == 0 or command.startswith("-"), (key, command, p.stderr)
        return out

    def close(self):
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture
def host():
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is missing: cannot stand in for DynamicUser=")
    h = Host()
    yield h
    h.close()


class Service:
    """ExecStart= running under a NOTIFY_SOCKET that nobody may write to."""

    def __init__(self, host, notify):
        self.host = host
        self.notify = notify
        self.log = open(os.path.join(host.top, "asyncfgd.log"), "w")
        (start,) = host.service("ExecStart")
        self.proc = subprocess.Popen(host.argv(start), env=host.env(self.notify),
                                     stdout=self.log, stderr=self.log, preexec_fn=host.umask())

    def logtext(self):
        return open(self.log.name).read()

    def wait_ready(self, n=1):
        wait_for(lambda: self.notify.values("READY").count("1") >= n or self.proc.poll() is not None,
                 20, what=f"READY=1 #{n}")
        assert self.proc.poll() is None, self.logtext()

    def status(self):
        st, body = http_get(self.host.port, "/status")
        assert st == 200
        return json.loads(body)

    def stop(self):
        """systemd's stop: KillSignal= (SIGTERM by default), then TimeoutStopSec= at most."""
        timeout = int(self.host.service("TimeoutStopSec")[-1].rstrip("s"))
        sig = self.host.service("KillSignal")[-1] if self.host.service("KillSignal") else "SIGTERM"
        self.proc.send_signal(getattr(signal, sig))
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()
        self.log.close()


def start_and_reload(host):
    """ExecStartPre=, ExecStart= until READY=1, ExecReload= until READY=1 again."""
    notify = NotifySocket(os.path.join(host.top, "notify.sock"))
    os.chmod(notify.path, 0o777)
    svc = None
    try:
        pre = host.run("ExecStartPre", notify)
        svc = Service(host, notify)
        svc.wait_ready(1)
        # The process runs as nobody (DynamicUser=), not as root.
        assert os.stat(f"/proc/{svc.proc.pid}").st_uid == NOBODY
        reload = host.run("ExecReload", svc.notify, mainpid=svc.proc.pid)
        svc.wait_ready(2)
        assert "RELOADING=1" in [f"{k}={v}" for k, v in svc.notify.fields()]
        return svc, pre, reload
    except BaseException:
        if svc:
            print(svc.logtext())
            svc.close()
        else:
            notify.close()
        raise


def test_fresh_install_starts_reloads_and_stops(host):
    """An empty desired.d: ExecStartPre= passes (with a warning), the daemon gets ready with
    nothing to manage, reloads, and stops with exit 0."""
    host.configure()
    host.load_credentials()
    desired = os.path.join(host.root, "etc/asyncfg/desired.d")
    assert os.listdir(desired) == []
    svc, pre, reload = start_and_reload(host)
    try:
        assert pre[0].stdout.endswith("0 resources in 0 files, valid\n"), pre[0].stdout
        assert "warning: no *.yaml or *.yml files yet" in pre[0].stderr
        assert reload[0].returncode == 0 and reload[1].returncode == 0
        assert svc.status()["summary"]["resources"] == 0
        assert svc.stop() == 0
        assert "STOPPING=1" in [f"{k}={v}" for k, v in svc.notify.fields()]
    finally:
        svc.close()


def test_real_install_reconciles_with_loaded_credentials(host, cloud):
    """The shipped configuration's four accounts read their secrets from $CREDENTIALS_DIRECTORY
    (credentials: {source: systemd}) and converge the example documents against the emulator;
    the state store lands in $STATE_DIRECTORY."""
    cloud.create_functions(FUNCTIONS)
    host.configure(endpoint=cloud.url)
    host.load_credentials()
    write_desired(os.path.join(host.root, "etc/asyncfg/desired.d"))
    svc, pre, _ = start_and_reload(host)
    try:
        assert pre[0].stdout.endswith("6 resources in 4 files, valid\n"), pre[0].stdout
        wait_for(lambda: svc.status()["summary"]["states"].get("in_sync") == 6, 30,
                 what="6 resources in sync")
        assert len(cloud.configs()) == 6
        stored = os.listdir(host.state)
        assert stored, "nothing in $STATE_DIRECTORY"
        assert all(os.stat(os.path.join(host.state, f)).st_uid == NOBODY for f in stored)
        assert svc.stop() == 0
    finally:
        svc.close()


def test_start_is_refused_without_a_valid_configuration(host):
    """ExecStartPre= is the gate: a broken configuration stops the start before ExecStart=."""
    host.configure()
    with open(os.path.join(host.root, "etc/asyncfg/asyncfgd.yaml"), "a") as f:
        f.write("nope: 1\n")
    (pre,) = host.service("ExecStartPre")
    p = subprocess.run(host.argv(pre), capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 1
    assert "error: unknown key 'nope' in configuration" in p.stderr


def test_installed_unit_verifies_and_is_hardened(host):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing (Debian's systemd package)")
    assert "Documentation=man:asyncfgd(8) man:asyncfg.yaml(5) " \
           "file:///usr/share/doc/asyncfg/README.md" in host.unit_text
    assert os.path.exists(os.path.join(host.root, "usr/share/doc/asyncfg/README.md"))
    # verify resolves ExecStart= and the man pages on this host: point both into the root.
    unit_dir = os.path.join(host.top, "units")
    os.mkdir(unit_dir)
    unit = os.path.join(unit_dir, "asyncfgd.service")
    with open(unit, "w") as f:
        f.write(host.map_paths(host.unit_text))
    env = dict(os.environ, MANPATH=os.path.join(host.root, "usr/share/man"))
    p = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == "", p.stderr
    p = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        os.path.join(host.root, UNIT)], capture_output=True, text=True, timeout=120)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout + p.stderr)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) <= 2.0, p.stdout
    print(f"exposure {m.group(1)}")
