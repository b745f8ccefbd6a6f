# SPDX-License-Identifier: MIT
"""`asyncfg validate`: exit codes, the text and JSON formats, the summary line."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("ASYNCFG_BUILD_DIR", ROOT / "build"))
ASYNCFG = str(BUILD / "asyncfg")


def run(*args):
    return subprocess.run([ASYNCFG, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_shipped_examples_are_valid():
    p = run("validate", "--config", "config/asyncfgd.yaml", "config/desired")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert p.stdout.startswith("config/desired: ")
    assert p.stdout.endswith(" files, valid\n")
    assert len(p.stdout.splitlines()) == 1


def test_broken_file_text_and_json(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: x}\n"
                 "spec:\n  provider: aws\n  function: f\n  maxRetryAttempts: 3\n")
    p = run("validate", str(f))
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr == (f"{f}:7:21: error: 'maxRetryAttempts' must be between 0 and 2 for "
                        "provider aws, got 3\n")
    p = run("validate", "-o", "json", str(f))
    assert p.returncode == 1
    d = json.loads(p.stdout)
    assert d == [{"path": str(f), "line": 7, "column": 21, "severity": "error",
                  "message": "'maxRetryAttempts' must be between 0 and 2 for provider aws, got 3"}]


def test_valid_json_is_empty_array():
    p = run("validate", "--output", "json", "config/desired/aws.yaml")
    assert p.returncode == 0
    assert json.loads(p.stdout) == []


def test_wrong_account_with_config(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {name: x}\n"
                 "spec:\n  provider: aws\n  account: hw-prod\n  function: f\n")
    p = run("validate", "--config", "config/asyncfgd.yaml", str(f))
    assert p.returncode == 1
    assert p.stderr == f"{f}:6:12: error: account 'hw-prod' is a huaweicloud account, not aws\n"


def test_usage():
    assert run("--version").stdout.startswith("asyncfg ")
    assert run("--help").returncode == 0
    assert run("validate").returncode == 1
    assert run("plan").returncode == 1
    assert run("frobnicate").returncode == 1


def _config_naming(tmp_path, desired):
    """The shipped configuration with its desiredDir pointed at desired."""
    text = (ROOT / "config/asyncfgd.yaml").read_text()
    assert "desiredDir: /etc/asyncfg/desired.d\n" in text
    config = tmp_path / "asyncfgd.yaml"
    config.write_text(text.replace("desiredDir: /etc/asyncfg/desired.d",
                                   f"desiredDir: {desired}"))
    return str(config)


def test_config_alone_checks_the_directory_it_names(tmp_path):
    """The unit's ExecStartPre=/ExecReload=: `validate --config FILE` with no PATH (issue 14)."""
    desired = tmp_path / "desired.d"
    desired.mkdir()
    for f in (ROOT / "config/desired").glob("*.yaml"):
        (desired / f.name).write_text(f.read_text())
    config = _config_naming(tmp_path, desired)
    p = run("validate", "--config", config)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"{desired}: ") and p.stdout.endswith(" files, valid\n")
    (desired / "broken.yaml").write_text("apiVersion: [\n")
    # The daemon starts with a broken file (it keeps the file's last good version), so the
    # unit's check must not block the start: a warning, exit 0.
    p = run("validate", "--config", config)
    assert p.returncode == 0, p.stderr
    assert p.stderr.startswith(f"{desired}/broken.yaml:2:1: warning: ")
    assert "the daemon starts all the same" in p.stderr
    # Named explicitly, the same file is an error (CI: validate what is about to be pushed).
    p = run("validate", "--config", config, str(desired))
    assert p.returncode == 1
    assert p.stderr.startswith(f"{desired}/broken.yaml:2:1: error: ")


def test_fresh_install_empty_directory_is_valid_with_a_warning(tmp_path):
    """The daemon starts (READY=1) with an empty desired.d, so validate must pass it too."""
    desired = tmp_path / "desired.d"
    desired.mkdir()
    config = _config_naming(tmp_path, desired)
    for args in (("--config", config), ("--config", config, str(desired)), (str(desired),)):
        p = run("validate", *args)
        assert p.returncode == 0, (args, p.stderr)
        assert p.stdout == f"{desired}: 0 resources in 0 files, valid\n"
        # A directory has no line to point at (issue 14: no "path:1:1:" for a path as a whole).
        assert p.stderr == (f"{desired}: warning: no *.yaml or *.yml files yet; the daemon "
                            "starts with this directory and manages nothing until files appear\n")


def test_config_alone_fails_on_a_missing_directory_or_a_bad_config(tmp_path):
    config = _config_naming(tmp_path, tmp_path / "missing")
    p = run("validate", "--config", config)
    assert p.returncode == 1
    assert str(tmp_path / "missing") in p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("accounts: []\nnope: 1\n")
    p = run("validate", "--config", str(bad))
    assert p.returncode == 1
    assert f"{bad}:2:1: error: unknown key 'nope' in configuration" in p.stderr


def test_a_missing_path_is_reported_as_missing(tmp_path):
    """Issue 14: not "path:1:1: error: cannot read file: ...", and no word of what the daemon
    would (not) remove."""
    missing = tmp_path / "nonexistent-dir"
    p = run("validate", "--config", _config_naming(tmp_path, missing))
    assert p.returncode == 1
    assert p.stderr == f"{missing}: error: the desired-state directory does not exist\n"
    p = run("validate", str(missing))
    assert p.returncode == 1
    assert p.stderr == f"{missing}: error: does not exist\n"
    p = run("validate", "-o", "json", str(missing))
    assert json.loads(p.stdout) == [{"path": str(missing), "line": 0, "column": 0,
                                     "severity": "error", "message": "does not exist"}]
    p = run("validate", "--config", str(tmp_path / "nope.yaml"))
    assert p.returncode == 1
    assert p.stderr == f"{tmp_path}/nope.yaml: error: the configuration file does not exist\n"


def test_neither_path_nor_config_is_a_usage_error():
    p = run("validate")
    assert p.returncode == 1
    assert p.stderr == ("asyncfg: validate: a PATH or --config FILE is needed.\n"
                        "see 'asyncfg validate --help'\n")
