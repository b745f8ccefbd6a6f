# SPDX-License-Identifier: MIT
"""README.md is the operator's guide, and every command in it works (issue 14 §7).

Conventions of README.md, checked here:
- ```sh blocks are commands an operator types; every one is run, in README order, on one scratch
  host: a scratch root standing in for /, build/fakecloud standing in for the three clouds (it
  accepts only the README's example keys), and a local bare repository standing in for the
  desired-state repository. A command exits 0 unless its comment says "# exit N".
- ```yaml blocks are asyncfg documents (apiVersion:) or daemon configurations (accounts:), each
  validated by `asyncfg validate`; a first line "# /path" makes the block that file's content
  and "# append to /path" adds it to that file, at that point of the run.
- ```text blocks are illustrative only (a synopsis); ILLUSTRATIVE lists them.

Paths under /etc/asyncfg, /var/lib/asyncfg, /usr/... of asyncfg and the daemon's 127.0.0.1:9733
are mapped into the scratch root (MAPPED); the accounts get an endpoint: at the emulator. What
cannot run here (systemd, apt, Alertmanager) is emulated from the installed files or checked to
exist, each case in Host.run_one() with its reason; make demo and make check run elsewhere."""

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest
import yaml

from conftest import ASYNCFG, BUILD, FAKECLOUD, FUNCTIONS, ROOT
from daemonlib import NotifySocket, free_port, http_get, wait_for
from test_unit import NOBODY, parse_unit

README = os.path.join(ROOT, "README.md")

# The README's example keys (section 2): the emulator accepts these and no others.
KEYS = {"aws": "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "alicloud": "LTAI5tEXAMPLE:EXAMPLEalibabaSecret0123456789",
        "huaweicloud": "HWEXAMPLEAK0123456789:EXAMPLEhuaweiSecret0123456789"}
GIT_URL = "https://git.example.com/ops/asyncfg-desired.git"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
# The blocks that are only illustrations, by their first line.
ILLUSTRATIVE = {"asyncfg validate [--config FILE] PATH...     exit 0 valid, 1 invalid",
                "etcdctl user add root                     # once per etcd cluster, then:"}
# Run by other tests, not here: make check runs this very file; test_demo.py runs make demo.
ELSEWHERE = {"make check": "tests/e2e/test_readme.py is part of make check itself",
             "make demo": "tests/e2e/test_demo.py runs tests/demo, what make demo runs"}
# Units of other packages: the README checks their files (promtool, amtool) before reloading.
FOREIGN_UNITS = {"prometheus", "prometheus-alertmanager"}
UNIT_DIRS = ("etc/systemd/system", "usr/local/lib/systemd/system", "lib/systemd/system",
             "usr/lib/systemd/system")
GIT_ENV = {"GIT_AUTHOR_NAME": "ops", "GIT_AUTHOR_EMAIL": "ops@example.com",
           "GIT_COMMITTER_NAME": "ops", "GIT_COMMITTER_EMAIL": "ops@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}


def blocks(text=None):
    """Every fenced block: (line of its opening fence, info string, body)."""
    lines = (text if text is not None else open(README).read()).split("\n")
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(.*)$", lines[i])
        if not m:
            i += 1
            continue
        start, info, body = i + 1, m.group(1).strip(), []
        i += 1
        while not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        out.append((start, info, "\n".join(body) + "\n"))
        i += 1
    return out


def commands(body, first_line):
    """The commands of a sh block: (line, text, expected exit status); heredocs and
    backslash continuations belong to their command."""
    lines, out, i = body.rstrip("\n").split("\n"), [], 0
    while i < len(lines):
        line, lineno = lines[i], first_line + 1 + i
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\"):
            line = line[:-1] + lines[i]
            i += 1
        here = re.search(r"<<-?'?(\w+)'?", line)
        if here:
            while lines[i] != here.group(1):
                line += "\n" + lines[i]
                i += 1
            line += "\n" + lines[i]
            i += 1
        m = re.search(r"#\s*exit (\d+)", line.split("\n")[0])
        out.append((lineno, line, int(m.group(1)) if m else 0))
    return out


def yaml_target(body):
    """(mode, path) of a YAML block: ("file"|"append", path), or (None, None)."""
    first = body.split("\n", 1)[0]
    m = re.match(r"# (append to )?(/\S+)$", first)
    if not m:
        return None, None
    return ("append" if m.group(1) else "file"), m.group(2)


def yaml_kind(body):
    """document, config (asyncfg's), or foreign (another tool's file, checked by a command)."""
    path = yaml_target(body)[1]
    if path and not path.startswith("/etc/asyncfg/"):
        return "foreign"
    data = list(yaml.safe_load_all(body))
    if all(isinstance(d, dict) and "apiVersion" in d for d in data):
        return "document"
    if len(data) == 1 and isinstance(data[0], dict) and \
            set(data[0]) & {"accounts", "alerts", "alerting"}:
        return "config"
    pytest.fail(f"neither an asyncfg document nor a configuration:\n{body}")


class Mapper:
    """The host's paths and addresses of the README, as the scratch host holds them."""

    def __init__(self, root, port, extra=None):
        self.table = {"/etc/asyncfg": f"{root}/etc/asyncfg",
                      "/etc/systemd/system": f"{root}/etc/systemd/system",
                      "/etc/prometheus": f"{root}/etc/prometheus",
                      "/var/lib/asyncfg-git-sync": f"{root}/var/lib/asyncfg-git-sync",
                      "/var/lib/asyncfg": f"{root}/var/lib/asyncfg",
                      "/usr/share/doc/asyncfg": f"{root}/usr/share/doc/asyncfg",
                      "/usr/share/asyncfg": f"{root}/usr/share/asyncfg",
                      "/usr/lib/asyncfg": f"{root}/usr/lib/asyncfg",
                      "/usr/bin/asyncfg": f"{root}/usr/bin/asyncfg",
                      "/usr/local/bin/asyncfg": f"{root}/usr/local/bin/asyncfg",
                      "/usr/local/lib/asyncfg": f"{root}/usr/local/lib/asyncfg",
                      "127.0.0.1:9733": f"127.0.0.1:{port}", **(extra or {})}
        keys = sorted(self.table, key=len, reverse=True)
        self.rx = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(k) for k in keys) + ")")

    def __call__(self, text):
        return self.rx.sub(lambda m: self.table[m.group(1)], text)


def validate(args, what):
    p = subprocess.run([ASYNCFG, "validate", *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"{what}: {p.stdout}{p.stderr}"
    return p


def main_config():
    """The README's /etc/asyncfg/asyncfgd.yaml (section 2)."""
    for _, info, body in blocks():
        if info == "yaml" and yaml_target(body) == ("file", "/etc/asyncfg/asyncfgd.yaml"):
            return body
    pytest.fail("README.md has no ```yaml block for /etc/asyncfg/asyncfgd.yaml")


def standalone(tmp_path):
    """A Mapper for validating examples alone: an empty desiredDir, a scratch stateDir."""
    root = str(tmp_path / "root")
    os.makedirs(f"{root}/etc/asyncfg/desired.d")
    os.makedirs(f"{root}/etc/asyncfg/credentials")
    for name in ("aws-prod", "ali-prod", "hw-prod"):
        open(f"{root}/etc/asyncfg/credentials/{name}", "w").close()
    return Mapper(root, 9)


# ---- the shape of the README ------------------------------------------------------------------

def test_every_block_is_sh_yaml_or_listed_text():
    seen = set()
    for line, info, body in blocks():
        assert info in ("sh", "yaml", "text"), f"README.md:{line}: block '{info}' (sh, yaml, text)"
        if info == "text":
            first = body.split("\n", 1)[0]
            assert first in ILLUSTRATIVE, f"README.md:{line}: a text block not in ILLUSTRATIVE"
            seen.add(first)
    assert seen == ILLUSTRATIVE, "ILLUSTRATIVE names a block the README no longer has"


def test_yaml_examples_validate(tmp_path):
    """Documents with `asyncfg validate --config` (the README's configuration: their accounts
    resolve), configurations with `asyncfg validate --config` as the daemon loads them."""
    m = standalone(tmp_path)
    config = tmp_path / "asyncfgd.yaml"
    config.write_text(m(main_config()))
    kinds = {"document": 0, "config": 0, "foreign": 0}
    for i, (line, info, body) in enumerate(b for b in blocks() if b[1] == "yaml"):
        kind, (mode, path) = yaml_kind(body), yaml_target(body)
        kinds[kind] += 1
        where = f"README.md:{line}"
        if kind == "document":
            doc = tmp_path / f"doc{i}.yaml"
            doc.write_text(body)
            p = validate(["--config", str(config), str(doc)], where)
            assert "valid" in p.stdout and p.stderr == "", (where, p.stderr)
        elif kind == "config":
            text = m(main_config() + body) if mode == "append" else m(body)
            f = tmp_path / f"config{i}.yaml"
            f.write_text(text)
            # An example without desiredDir names the default: the scratch one, as a PATH.
            validate(["--config", str(f), m("/etc/asyncfg/desired.d")], where)
        else:  # another tool's file: a command of the README checks it (promtool, amtool)
            assert any(path in b for _, info, b in blocks() if info == "sh"), where
    # An example per provider of each: aws, alicloud fc3 and fc2, huaweicloud.
    examples = [b[2] for b in blocks() if b[1] == "yaml"]
    for needle in ("provider: aws", "api: fc3", "api: fc2", "provider: huaweicloud",
                   "function: billing/invoice-render", "function: image-resize",
                   "function: urn:fss:"):
        assert any(needle in e for e in examples), needle
    assert kinds["document"] >= 5 and kinds["config"] >= 4, kinds


def test_every_schema_key_is_in_the_reference():
    """Every key of the schema tables (documents, destinations, daemon configuration) is named
    in the README's Reference, as in the manual pages."""
    ref = open(README).read().split("## Reference", 1)[1]
    for src in ("reconciler/spec/spec.c", "reconciler/spec/destination.c",
                "reconciler/spec/daemon-config.c"):
        text = open(os.path.join(ROOT, src)).read()
        for key in re.findall(r'^\s*\{ "([A-Za-z]+)", (?:schema_|parse_|destination_)', text,
                              re.M):
            assert re.search(rf"`([\w.]*\.)?{key}`|\b{key}:", ref), f"{src}: key '{key}'"


def test_links_resolve():
    text = open(README).read()
    anchors = set()
    for h in re.findall(r"^#+ (.*)$", text, re.M):
        anchors.add(re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-"))
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        elif not target.startswith("http"):
            assert os.path.exists(os.path.join(ROOT, target)), target


def test_flags_exist():
    """Every option of asyncfg and asyncfgd the README shows is in the programs' option
    tables."""
    longs = set()
    for src in ("cmd/asyncfg.c", "cmd/asyncfgd.c"):
        longs |= set(re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument',
                                open(os.path.join(ROOT, src)).read()))
    text = open(README).read()
    shown = re.findall(r"`(asyncfgd? [^`]*)`", text)
    shown += [b for _, info, body in blocks() if info in ("sh", "text")
              for b in body.split("\n") if re.match(r"asyncfgd? ", b)]
    flags = {f for s in shown for f in re.findall(r"(?<![\w-])--([a-z-]+)", s.split("#")[0])}
    assert flags and flags <= longs, sorted(flags - longs)


# ---- the run ---------------------------------------------------------------------------------

class Host:
    """The scratch host the README's commands run on, and systemd as far as they need it."""

    def __init__(self, top, fake, repo):
        self.top, self.fake, self.repo = top, fake, repo
        self.root = os.path.join(top, "root")
        self.work = os.path.join(top, "checkout")
        self.port = free_port()
        sink = f"http://127.0.0.1:{free_port()}"
        self.map = Mapper(self.root, self.port, {GIT_URL: repo, SLACK_URL: sink + "/slack",
                                                 "http://127.0.0.1:9093": sink})
        os.makedirs(self.root)
        os.makedirs(os.path.join(self.root, "etc/prometheus"))  # the prometheus package's
        git(["clone", "-q", repo, self.work], top)
        self.daemon = self.notify = self.log = None
        self.done = []  # (line, command, how)

    # -- commands --

    def env(self):
        path = ":".join([f"{self.root}/usr/local/bin", f"{self.root}/usr/bin",
                         os.environ["PATH"]])
        env = dict(os.environ, PATH=path, NO_COLOR="1", HOME=self.top,
                   MANPATH=f"{self.root}/usr/share/man", **GIT_ENV)
        for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "SANITIZE"):
            env.pop(k, None)
        return env

    def shell(self, command, cwd, expect):
        p = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=self.env(),
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == expect, \
            f"exit {p.returncode}, expected {expect}:\n{command}\n{p.stdout[-3000:]}{p.stderr[-3000:]}"
        return p

    def run_one(self, line, command, expect):
        words = command.split("#", 1)[0].split()
        head = " ".join(words[:2])
        if head in ELSEWHERE:
            assert re.search(rf"^{words[1]}:", open(os.path.join(ROOT, "Makefile")).read(), re.M)
            return self.note(line, command, ELSEWHERE[head])
        if head == "make deb":
            if not deb_tools():
                return self.note(line, command, "cannot run: no dpkg-buildpackage or a sanitizer build")
            self.shell(command, ROOT, expect)
            return self.note(line, command, "run")
        if head == "make install":
            self.shell(f"{command} DESTDIR={self.root}", ROOT, expect)
            return self.note(line, command, "run with DESTDIR= the scratch root")
        if words[0] == "apt":
            return self.apt(line, command, words)
        if words[0] == "systemctl":
            return self.systemctl(line, command, words[1:])
        if words[0] == "journalctl":
            assert words[1:3] == ["-u", "asyncfgd"] and self.unit_file("asyncfgd.service")
            print(open(self.log.name).read()[-2000:])
            return self.note(line, command, "the daemon's output (no journal here)")
        if words[0] == "amtool":
            return self.amtool(line, command, words)
        self.shell(self.map(command), self.work, expect)
        return self.note(line, command, "run")

    def note(self, line, command, how):
        self.done.append((line, command.split("\n")[0], how))

    def apt(self, line, command, words):
        """apt install ./x.deb: dpkg's unpacking (keeping conffiles that exist, as dpkg does
        with an edited one) and the postinst's systemd-tmpfiles; no apt here."""
        assert words[1] == "install" and len(words) == 3, command
        if deb_tools():
            debs = glob.glob(os.path.join(ROOT, words[2]))
            assert len(debs) == 1, (words[2], debs)
            unpacked = tempfile.mkdtemp(dir=self.top)
            subprocess.run(["dpkg", "-x", debs[0], unpacked], check=True)
            info = tempfile.mkdtemp(dir=self.top)
            subprocess.run(["dpkg-deb", "-e", debs[0], info], check=True)
            for conffile in open(os.path.join(info, "conffiles")).read().split():
                if os.path.exists(self.root + conffile):
                    os.unlink(unpacked + conffile)
            install_tree(unpacked, self.root)
            how = "dpkg -x, conffiles kept, systemd-tmpfiles --root"
        else:
            # No package in a sanitizer build: the same files through debian/rules' own
            # install line, so that the rest of the guide runs all the same.
            self.shell(f"make -s install DESTDIR={self.root} PREFIX=/usr SYSCONFDIR=/etc "
                       "UNITDIR=/lib/systemd/system TMPFILESDIR=/usr/lib/tmpfiles.d", ROOT, 0)
            how = "no package in a sanitizer build: debian/rules' make install, systemd-tmpfiles --root"
        subprocess.run(["systemd-tmpfiles", f"--root={self.root}", "--create",
                        f"{self.root}/usr/lib/tmpfiles.d/asyncfg.conf"], check=True,
                       capture_output=True)
        return self.note(line, command, how)

    def amtool(self, line, command, words):
        path = self.map(words[-1])
        if shutil.which("amtool"):
            self.shell(self.map(command), self.work, 0)
            return self.note(line, command, "run")
        config = yaml.safe_load(open(path))
        names = {r["name"] for r in config["receivers"]}
        assert config["route"]["receiver"] in names
        assert all(r["receiver"] in names for r in config["route"].get("routes", []))
        return self.note(line, command, "no amtool (prometheus-alertmanager): the file parses "
                                        "and every route names a receiver")

    # -- systemd, as far as the README uses it --

    def unit_file(self, name):
        for d in UNIT_DIRS:
            path = os.path.join(self.root, d, name)
            if os.path.exists(path):
                return path
        raise AssertionError(f"no unit {name} installed in the scratch root")

    def unit(self, name):
        """The unit with its drop-ins, as systemd merges them (Service values accumulate)."""
        unit = parse_unit(open(self.unit_file(name)).read())
        for conf in sorted(glob.glob(f"{self.root}/etc/systemd/system/{name}.d/*.conf")):
            for section, keys in parse_unit(open(conf).read()).items():
                for key, values in keys.items():
                    unit.setdefault(section, {}).setdefault(key, []).extend(values)
        return unit

    def systemctl(self, line, command, args):
        verb, names = args[0], [a for a in args[1:] if not a.startswith("-")]
        if verb == "daemon-reload":
            for conf in glob.glob(f"{self.root}/etc/systemd/system/*.d/*.conf"):
                assert parse_unit(open(conf).read()), conf
            return self.note(line, command, "drop-ins parse")
        (name,) = names
        if name in FOREIGN_UNITS:
            return self.note(line, command, "another package's unit: its file is checked above")
        if name == "asyncfg-git-sync.timer":
            assert verb == "enable" and "--now" in args, command
            assert "OnUnitInactiveSec" in self.unit(name)["Timer"]
            self.git_sync()
            return self.note(line, command, "the timer's service run once")
        assert name == "asyncfgd", command
        if verb in ("start", "enable"):
            assert verb == "start" or "--now" in args, command
            self.start()
            how = "ExecStartPre=, LoadCredential=, ExecStart= as the dynamic user, READY=1"
        elif verb == "restart":
            self.stop()
            self.start()
            how = "SIGTERM (exit 0), then as start"
        elif verb == "reload":
            self.reload()
            how = "ExecReload= as the dynamic user, READY=1 again"
        elif verb == "status":
            assert self.daemon and self.daemon.poll() is None, "asyncfgd is not running"
            print(f"asyncfgd: running, pid {self.daemon.pid}, {self.notify.values('STATUS')[-1:]}")
            how = "the service runs"
        else:
            raise AssertionError(f"systemctl {verb} is not emulated")
        return self.note(line, command, how)

    def exec_argv(self, command, mainpid=None):
        command = command.lstrip("-")
        if mainpid:
            command = command.replace("$MAINPID", str(mainpid))
        argv = self.map(command).split()
        if shutil.which("setpriv"):  # DynamicUser=
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    "--no-new-privs", "--", *argv]
        return argv

    def service_env(self):
        return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG": "C.UTF-8", "HOME": "/", "CREDENTIALS_DIRECTORY": self.creds,
                "STATE_DIRECTORY": self.state, "NOTIFY_SOCKET": self.notify.path}

    def service_dir(self, path, mode):
        os.makedirs(path, exist_ok=True)
        os.chown(path, NOBODY, NOBODY)
        os.chmod(path, mode)
        return path

    def start(self):
        """ExecStartPre=, LoadCredential= into $CREDENTIALS_DIRECTORY, ExecStart= until
        READY=1, as the dynamic user."""
        service = self.unit("asyncfgd.service")["Service"]
        os.chmod(self.top, 0o755)
        self.state = self.service_dir(self.map("/var/lib/asyncfg"), 0o700)
        creds = os.path.join(self.top, "credentials")
        shutil.rmtree(creds, ignore_errors=True)
        self.creds = self.service_dir(creds, 0o500)
        for spec in service.get("LoadCredential", []):
            name, source = spec.split(":", 1)
            shutil.copy(self.map(source), os.path.join(creds, name))
            os.chown(os.path.join(creds, name), NOBODY, NOBODY)
            os.chmod(os.path.join(creds, name), 0o400)
        if self.notify is None:
            self.notify = NotifySocket(os.path.join(self.top, "notify.sock"))
            os.chmod(self.notify.path, 0o777)
        for command in service.get("ExecStartPre", []):
            p = subprocess.run(self.exec_argv(command), env=self.service_env(),
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, f"ExecStartPre={command}: {p.stdout}{p.stderr}"
        self.log = open(os.path.join(self.top, "asyncfgd.log"), "a")
        ready = self.notify.values("READY").count("1")
        (start,) = service["ExecStart"]
        self.daemon = subprocess.Popen(self.exec_argv(start), env=self.service_env(),
                                       stdout=self.log, stderr=self.log)
        self.wait_ready(ready)

    def wait_ready(self, before):
        wait_for(lambda: self.notify.values("READY").count("1") > before
                 or self.daemon.poll() is not None, 20, what="READY=1")
        assert self.daemon.poll() is None, open(self.log.name).read()

    def reload(self):
        service = self.unit("asyncfgd.service")["Service"]
        ready = self.notify.values("READY").count("1")
        for command in service["ExecReload"]:
            p = subprocess.run(self.exec_argv(command, self.daemon.pid), env=self.service_env(),
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, f"ExecReload={command}: {p.stdout}{p.stderr}"
        self.wait_ready(ready)

    def stop(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            assert self.daemon.wait(timeout=30) == 0, open(self.log.name).read()

    def git_sync(self):
        """asyncfg-git-sync.service once: its EnvironmentFile=, StateDirectory= and
        ExecStart=; then, as an operator would, wait for the daemon to apply the commit."""
        service = self.unit("asyncfg-git-sync.service")
        (cond,) = service["Unit"]["ConditionPathExists"]
        env_file = self.map(service["Service"]["EnvironmentFile"][-1])
        assert os.path.exists(self.map(cond)) and os.path.exists(env_file)
        env = {"PATH": os.environ["PATH"], "HOME": "/",
               "STATE_DIRECTORY": self.map("/var/lib/asyncfg-git-sync"),
               "ASYNCFG_DESIRED_DIR": self.map("/etc/asyncfg/desired.d")}
        for line in open(env_file).read().splitlines():
            if line.strip() and not line.startswith("#"):
                k, v = line.split("=", 1)
                env[k] = v
        os.makedirs(env["STATE_DIRECTORY"], exist_ok=True)
        (start,) = service["Service"]["ExecStart"]
        p = subprocess.run(self.map(start).split(), env=env, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        head = git(["rev-parse", "main"], self.repo)
        if self.daemon:
            wait_for(lambda: self.summary()["revision"] == head, 20, what=f"revision {head}")

    def summary(self):
        import json
        st, body = http_get(self.port, "/status")
        assert st == 200
        return json.loads(body)["summary"]

    def write_yaml(self, body):
        mode, path = yaml_target(body)
        text = self.map(body)
        if yaml_kind(body) == "config":
            # Every account at the emulator (an operator's accounts talk to the clouds).
            text = re.sub(r"\n(\s+)endpoint: \S+", "", text)
            text = re.sub(r"(\n(\s+)region: \S+)", rf"\1\n\2endpoint: {self.fake.url}", text)
        target = self.map(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a" if mode == "append" else "w") as f:
            f.write(text)

    def close(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        if self.notify:
            self.notify.close()
        if self.log:
            self.log.close()


def git(args, cwd):
    p = subprocess.run(["git", *args], cwd=cwd, env=dict(os.environ, HOME=cwd, **GIT_ENV),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stderr)
    return p.stdout.strip()


def install_tree(src, dest):
    """dpkg's unpacking: directories that exist (or symlinks to them: desired.d after the Git
    sync) are kept, each file is renamed into place (a running binary is not written to)."""
    for d, _, files in os.walk(src):
        target = os.path.join(dest, os.path.relpath(d, src))
        os.makedirs(target, exist_ok=True)
        for f in files:
            tmp = os.path.join(target, f".{f}.dpkg-new")
            shutil.copy2(os.path.join(d, f), tmp)
            os.replace(tmp, os.path.join(target, f))


def deb_tools():
    return os.path.basename(os.path.normpath(BUILD)) != "san" and \
        all(shutil.which(t) for t in ("dpkg-buildpackage", "dh"))


def desired_repository(top):
    """The operator's repository: config/desired/ under desired/ on main, in a bare repo."""
    work, bare = os.path.join(top, "seed"), os.path.join(top, "asyncfg-desired.git")
    git(["init", "-q", "--bare", "-b", "main", bare], top)
    git(["init", "-q", "-b", "main", work], top)
    shutil.copytree(os.path.join(ROOT, "config/desired"), os.path.join(work, "desired"))
    git(["add", "-A"], work)
    git(["commit", "-q", "-m", "desired state"], work)
    git(["push", "-q", bare, "HEAD:main"], work)
    return bare


@pytest.fixture
def host():
    if os.geteuid() != 0:
        pytest.skip("the run stands in for systemd: it needs root (chown to the dynamic user)")
    top = tempfile.mkdtemp(prefix="asyncfg-readme-")
    fake = subprocess.Popen([FAKECLOUD, "--listen", "127.0.0.1:0", "--threads", "2",
                             *[a for p, k in KEYS.items() for a in (f"--{p}", k)]],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    h = None
    try:
        line = fake.stdout.readline()
        assert line.startswith("LISTENING "), line
        from conftest import FakeCloud
        cloud = FakeCloud(fake, int(line.split()[1]))
        # What exists in the clouds: the functions of config/desired, and one to adopt.
        cloud.create_functions(FUNCTIONS + [{"provider": "aws", "function": "payments-refund"}])
        cloud.drift(provider="aws", function="payments-refund", mode="replace",
                    config={"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 600})
        h = Host(top, cloud, desired_repository(top))
        yield h
    finally:
        if h:
            h.close()
        fake.send_signal(signal.SIGTERM)
        fake.wait(timeout=10)
        fake.stdout.close()
        shutil.rmtree(top, ignore_errors=True)


def run_readme(host, text=None):
    for line, info, body in blocks(text):
        if info == "yaml" and yaml_target(body)[0] and yaml_kind(body) != "document":
            host.write_yaml(body)
        if info != "sh":
            continue
        for lineno, command, expect in commands(body, line):
            try:
                host.run_one(lineno, command, expect)
            except (AssertionError, OSError, subprocess.SubprocessError) as e:
                raise AssertionError(f"README.md:{lineno}: {e}") from None


def test_every_command_runs_in_order(host):
    """The guide from install to upgrade on one scratch host: each command as written (paths
    mapped), systemctl as the installed unit says."""
    run_readme(host)
    for line, command, how in host.done:
        print(f"README.md:{line}: {command[:70]:70} {how}")
    # What the guide leads to: the repository's documents (and the adopted one) in force at
    # its head, every resource at the emulator, nothing in error, records kept by the restart.
    summary = host.summary()
    assert summary["revision"] == git(["rev-parse", "main"], host.repo)
    assert summary["resources"] == 7 and summary["states"]["error"] == 0, summary
    assert summary["files"]["error"] == 0, summary
    wait_for(lambda: host.summary()["states"]["in_sync"] >= 6, 30, what="6 in sync")
    assert "payments-refund" in {c["function"] for c in host.fake.configs()}
    host.stop()
    ran = {c for _, c, how in host.done if how != "run"}
    assert any(c.startswith("systemctl enable --now asyncfgd") for c in ran)
    assert any(c.startswith("apt install") for c in ran) or not deb_tools()
