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
