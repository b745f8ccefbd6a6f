# SPDX-License-Identifier: MIT
"""deploy/git-sync/asyncfg-git-sync against a running asyncfgd and build/fakecloud: a bare
repository with three commits of documents; each sync swaps the daemon's desiredDir (a symlink)
to the new commit's checkout in one rename, the daemon applies that commit, and /status
(summary.revision) and /metrics (asyncfg_desired_revision_info) name it. A sync of the commit in
force changes nothing; old checkouts are removed; a directory with documents in it is never
replaced."""

import os
import re
import shutil
import subprocess

import pytest

from daemonlib import doc, fake, make_daemon, wait_for  # noqa: F401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SYNC = os.path.join(ROOT, "deploy", "git-sync", "asyncfg-git-sync")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


class Repo:
    """A bare repository (the remote) and a clone that commits and pushes to it."""

    def __init__(self, tmp):
        self.bare = os.path.join(tmp, "origin.git")
        self.work = os.path.join(tmp, "work")
        self.git("init", "-q", "--bare", "-b", "main", self.bare, cwd=tmp)
        self.git("init", "-q", "-b", "main", self.work, cwd=tmp)

    def git(self, *args, cwd=None):
        env = dict(os.environ, HOME=cwd or self.work, **GIT_ENV)
        r = subprocess.run(["git", *args], cwd=cwd or self.work, env=env, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout.strip()

    def commit(self, files):
        """files: {path under desired/: text or None to delete}; returns the commit."""
        for rel, text in files.items():
            path = os.path.join(self.work, "desired", rel)
            if text is None:
                os.unlink(path)
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "desired state")
        self.git("push", "-q", self.bare, "HEAD:main")
        return self.git("rev-parse", "HEAD")


def sync(repo, desired, state):
    env = dict(os.environ, ASYNCFG_GIT_URL=repo.bare, ASYNCFG_GIT_BRANCH="main",
               ASYNCFG_GIT_PATH="desired", ASYNCFG_DESIRED_DIR=desired, STATE_DIRECTORY=state,
               HOME=state, **GIT_ENV)
    return subprocess.run(["sh", SYNC], env=env, capture_output=True, text=True, timeout=60)


def retries(fake, name):
    return fake.configs().get(name, {}).get("MaximumRetryAttempts")


def revision_metric(d):
    return [line for line in d.metrics().splitlines()
            if line.startswith("asyncfg_desired_revision_info{")]


def wait_revision(d, commit):
    wait_for(lambda: d.status()["summary"]["revision"] == commit, 10,
             what=f"/status at revision {commit}")
    assert revision_metric(d) == [f'asyncfg_desired_revision_info{{revision="{commit}"}} 1']
    # and `asyncfg status`'s summary line names it
    cli = os.path.join(os.environ.get("ASYNCFG_BUILD_DIR", os.path.join(ROOT, "build")), "asyncfg")
    r = subprocess.run([cli, "status", "--endpoint", f"http://127.0.0.1:{d.port}"], capture_output=True,
                       text=True, timeout=30)
    assert f"with errors at revision {commit}" in r.stdout.strip().splitlines()[-1], r.stdout + r.stderr


def test_git_sync_applies_each_commit(fake, make_daemon, tmp_path):
    fake.create("gs-a", "gs-b")
    repo = Repo(str(tmp_path))
    state = os.path.join(str(tmp_path), "git-sync")
    c1 = repo.commit({"a.yaml": doc("gs-a", retries=1)})
    d = make_daemon(resync="1s")
    # A fresh install: an empty desiredDir, which the first sync replaces by the symlink.
    d.start()
    assert d.status()["summary"]["revision"] is None and revision_metric(d) == []

    r = sync(repo, d.desired, state)
    assert r.returncode == 0, r.stderr
    assert f"is now at {c1}" in r.stdout
    assert os.readlink(d.desired) == os.path.join(state, "rev", c1)
    wait_for(lambda: retries(fake, "gs-a") == 1, 10, what="commit 1 applied")
    wait_revision(d, c1)

    c2 = repo.commit({"a.yaml": doc("gs-a", retries=2), "b.yaml": doc("gs-b", retries=0)})
    r = sync(repo, d.desired, state)
    assert r.returncode == 0 and f"is now at {c2} (was {c1})" in r.stdout, r.stdout + r.stderr
    wait_for(lambda: retries(fake, "gs-a") == 2 and retries(fake, "gs-b") == 0, 10,
             what="commit 2 applied")
    wait_revision(d, c2)

    # The swap keeps the checkout it replaced (the daemon may still be reading it) until the
    # next run. Nothing new: no swap, and only the checkout in force is left.
    assert sorted(os.listdir(os.path.join(state, "rev"))) == sorted([c1, c2])
    r = sync(repo, d.desired, state)
    assert r.returncode == 0 and "already" in r.stdout, r.stdout + r.stderr
    assert os.listdir(os.path.join(state, "rev")) == [c2]
    assert os.readlink(d.desired) == os.path.join(state, "rev", c2)

    # A document removed: its resource is orphaned; the oldest checkout is removed.
    c3 = repo.commit({"b.yaml": None, "a.yaml": doc("gs-a", retries=1)})
    r = sync(repo, d.desired, state)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: retries(fake, "gs-a") == 1, 10, what="commit 3 applied")
    d.wait_state("gs-b", "orphaned")
    wait_revision(d, c3)
    assert sorted(os.listdir(os.path.join(state, "rev"))) == sorted([c2, c3])
    assert f"The desired state is at revision '{c3}'." in d.logtext()


def test_git_sync_refuses_a_directory_with_documents(tmp_path):
    repo = Repo(str(tmp_path))
    repo.commit({"a.yaml": doc("gs-a")})
    desired = os.path.join(str(tmp_path), "desired.d")
    os.makedirs(desired)
    with open(os.path.join(desired, "mine.yaml"), "w") as f:
        f.write(doc("mine"))
    r = sync(repo, desired, os.path.join(str(tmp_path), "state"))
    assert r.returncode == 1
    assert "is a directory with files in it, not a symlink" in r.stderr
    assert os.listdir(desired) == ["mine.yaml"]


def test_git_sync_unknown_branch_keeps_the_directory(tmp_path):
    repo = Repo(str(tmp_path))
    c1 = repo.commit({"a.yaml": doc("gs-a")})
    desired = os.path.join(str(tmp_path), "desired.d")
    state = os.path.join(str(tmp_path), "state")
    assert sync(repo, desired, state).returncode == 0
    env = dict(os.environ, ASYNCFG_GIT_URL=repo.bare, ASYNCFG_GIT_BRANCH="nope",
               ASYNCFG_DESIRED_DIR=desired, STATE_DIRECTORY=state, HOME=state, **GIT_ENV)
    r = subprocess.run(["sh", SYNC], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "cannot fetch branch 'nope'" in r.stderr, r.stderr
    assert os.readlink(desired) == os.path.join(state, "rev", c1)
    with open(os.path.join(desired, ".asyncfg-revision")) as f:
        assert f.read() == c1 + "\n"


def test_git_sync_installs(tmp_path):
    subprocess.run(["make", "-s", "-C", ROOT, "install-git-sync", f"DESTDIR={tmp_path}",
                    "PREFIX=/opt/af", "SYSCONFDIR=/opt/af/etc"], check=True, capture_output=True)
    script = tmp_path / "opt/af/lib/asyncfg/asyncfg-git-sync"
    assert os.access(script, os.X_OK)
    assert (tmp_path / "opt/af/share/doc/asyncfg/git-sync.env.example").exists()
    assert (tmp_path / "opt/af/lib/systemd/system/asyncfg-git-sync.timer").exists()
    unit = (tmp_path / "opt/af/lib/systemd/system/asyncfg-git-sync.service").read_text()
    assert "ExecStart=/opt/af/lib/asyncfg/asyncfg-git-sync\n" in unit and "@GITSYNCDIR@" not in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_git_sync_units_verify_and_are_hardened(tmp_path):
    text = open(os.path.join(ROOT, "deploy/git-sync/asyncfg-git-sync.service")).read()
    (tmp_path / "asyncfg-git-sync.service").write_text(
        text.replace("@GITSYNCDIR@", os.path.dirname(SYNC)))
    shutil.copy(os.path.join(ROOT, "deploy/git-sync/asyncfg-git-sync.timer"), tmp_path)
    r = subprocess.run(["systemd-analyze", "verify", "asyncfg-git-sync.service",
                        "asyncfg-git-sync.timer"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        "asyncfg-git-sync.service"], cwd=tmp_path, capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
    assert m and float(m.group(1)) <= 2.0, r.stdout + r.stderr


def signed_sync(repo, desired, state, verify, signers):
    env = dict(os.environ, ASYNCFG_GIT_URL=repo.bare, ASYNCFG_GIT_BRANCH="main",
               ASYNCFG_GIT_PATH="desired", ASYNCFG_DESIRED_DIR=desired, STATE_DIRECTORY=state,
               HOME=state, ASYNCFG_GIT_VERIFY=verify, ASYNCFG_GIT_SIGNERS=signers, **GIT_ENV)
    return subprocess.run(["sh", SYNC], env=env, capture_output=True, text=True, timeout=60)


def ssh_key(tmp, name):
    key = os.path.join(tmp, name)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key], check=True)
    with open(key + ".pub") as f:
        return key, f.read().strip()


def gpg_key(tmp, name, homes):
    """A signing key in its own GnuPG home (appended to homes, whose gpg-agents the test stops);
    returns (home, fingerprint, armored public key file)."""
    home = os.path.join(tmp, "gpg-" + name)
    homes.append(home)
    os.makedirs(home, mode=0o700)
    env = dict(os.environ, GNUPGHOME=home)
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                    f"{name} <{name}@example.com>", "ed25519", "sign", "never"], env=env, check=True,
                   capture_output=True)
    out = subprocess.run(["gpg", "--list-secret-keys", "--with-colons"], env=env, check=True,
                         capture_output=True, text=True).stdout
    fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
    pub = os.path.join(tmp, name + ".asc")
    with open(pub, "w") as f:
        f.write(subprocess.run(["gpg", "--armor", "--export", fpr], env=env, check=True,
                               capture_output=True, text=True).stdout)
    return home, fpr, pub


def commit_signed(repo, files, *config, env=None):
    """repo.commit() with a signature made under the given git -c settings."""
    for rel, text in files.items():
        path = os.path.join(repo.work, "desired", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    repo.git("add", "-A")
    e = dict(os.environ, HOME=repo.work, **GIT_ENV, **(env or {}))
    args = ["git"] + [a for c in config for a in ("-c", c)] + ["commit", "-q", "-S", "-m", "signed"]
    r = subprocess.run(args, cwd=repo.work, env=e, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    repo.git("push", "-q", repo.bare, "HEAD:main")
    return repo.git("rev-parse", "HEAD")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen missing (openssh-client)")
def test_git_sync_verifies_ssh_signatures(tmp_path):
    """ASYNCFG_GIT_VERIFY=ssh: a head signed by an allowed key is applied; an unsigned head, or
    one signed by a key not in the allowed-signers file, is refused and the directory stays at
    the last verified commit."""
    tmp = str(tmp_path)
    repo = Repo(tmp)
    good, good_pub = ssh_key(tmp, "ops")
    bad, _ = ssh_key(tmp, "intruder")
    allowed = os.path.join(tmp, "allowed_signers")
    with open(allowed, "w") as f:
        f.write(f"t@example.com namespaces=\"git\" {good_pub}\n")
    desired, state = os.path.join(tmp, "desired.d"), os.path.join(tmp, "state")

    c1 = commit_signed(repo, {"a.yaml": doc("gs-a", retries=1)}, "gpg.format=ssh", f"user.signingkey={good}")
    r = signed_sync(repo, desired, state, "ssh", allowed)
    assert r.returncode == 0 and f"is now at {c1}" in r.stdout, r.stdout + r.stderr

    for name, make in (("unsigned", lambda: repo.commit({"a.yaml": doc("gs-a", retries=2)})),
                       ("intruder", lambda: commit_signed(repo, {"a.yaml": doc("gs-a", retries=3)},
                                                          "gpg.format=ssh", f"user.signingkey={bad}"))):
        c = make()
        r = signed_sync(repo, desired, state, "ssh", allowed)
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        assert f"commit {c}, the head of branch 'main', has no good ssh signature" in r.stderr, r.stderr
        assert os.readlink(desired) == os.path.join(state, "rev", c1), name
        assert not os.path.exists(os.path.join(state, "rev", c)), name  # never checked out

    c4 = commit_signed(repo, {"a.yaml": doc("gs-a", retries=4)}, "gpg.format=ssh", f"user.signingkey={good}")
    r = signed_sync(repo, desired, state, "ssh", allowed)
    assert r.returncode == 0 and f"is now at {c4} (was {c1})" in r.stdout, r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg missing (gnupg)")
@pytest.fixture
def gpg_homes():
    """GnuPG homes made by the test: the gpg-agent that key generation started in each is
    stopped at the end (gpgconf --kill), so the test leaves no process behind."""
    homes = []
    yield homes
    for home in homes:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, timeout=30)


def test_git_sync_verifies_gpg_signatures(tmp_path, gpg_homes):
    """ASYNCFG_GIT_VERIFY=gpg: only the keys in ASYNCFG_GIT_SIGNERS count, imported afresh at
    each run: a key dropped from the file stops being trusted at the next run, even for the
    commit in force."""
    tmp = str(tmp_path)
    repo = Repo(tmp)
    home, fpr, pub = gpg_key(tmp, "ops", gpg_homes)
    other_home, other_fpr, other_pub = gpg_key(tmp, "other", gpg_homes)
    desired, state = os.path.join(tmp, "desired.d"), os.path.join(tmp, "state")

    c1 = commit_signed(repo, {"a.yaml": doc("gs-a", retries=1)}, "gpg.format=openpgp",
                       f"user.signingkey={fpr}", env={"GNUPGHOME": home})
    r = signed_sync(repo, desired, state, "gpg", pub)
    assert r.returncode == 0 and f"is now at {c1}" in r.stdout, r.stdout + r.stderr

    c2 = commit_signed(repo, {"a.yaml": doc("gs-a", retries=2)}, "gpg.format=openpgp",
                       f"user.signingkey={other_fpr}", env={"GNUPGHOME": other_home})
    r = signed_sync(repo, desired, state, "gpg", pub)
    assert r.returncode == 1 and f"commit {c2}, the head of branch 'main', has no good gpg signature" in r.stderr, \
        r.stderr
    assert os.readlink(desired) == os.path.join(state, "rev", c1)

    # The other key trusted instead: c2 goes in. Then the file goes back to the first key only:
    # the head (c2, in force) is refused, loudly, and nothing is swapped.
    r = signed_sync(repo, desired, state, "gpg", other_pub)
    assert r.returncode == 0 and f"is now at {c2}" in r.stdout, r.stdout + r.stderr
    r = signed_sync(repo, desired, state, "gpg", pub)
    assert r.returncode == 1 and "has no good gpg signature" in r.stderr, r.stderr
    assert os.readlink(desired) == os.path.join(state, "rev", c2)
    # The sync's own keyring needs no gpg-agent and leaves none running.
    agents = subprocess.run(["pgrep", "-f", f"gpg-agent --homedir {state}"], capture_output=True, text=True)
    assert agents.stdout == "", agents.stdout


def test_git_sync_verify_settings_are_checked(tmp_path):
    repo = Repo(str(tmp_path))
    repo.commit({"a.yaml": doc("gs-a")})
    desired, state = os.path.join(str(tmp_path), "desired.d"), os.path.join(str(tmp_path), "state")
    r = signed_sync(repo, desired, state, "pgp", "")
    assert r.returncode == 1 and "ASYNCFG_GIT_VERIFY is 'pgp'; it is none, ssh or gpg." in r.stderr, r.stderr
    r = signed_sync(repo, desired, state, "ssh", "")
    assert r.returncode == 1 and "needs ASYNCFG_GIT_SIGNERS" in r.stderr, r.stderr
    r = signed_sync(repo, desired, state, "ssh", os.path.join(str(tmp_path), "nope"))
    assert r.returncode == 1 and "cannot read ASYNCFG_GIT_SIGNERS" in r.stderr, r.stderr
    assert not os.path.exists(desired)
