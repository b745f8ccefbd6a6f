# SPDX-License-Identifier: MIT
"""asyncfg import: live configs of every provider round-trip through validate and plan; every
version and alias through the list API (with pagination); Terraform state files."""

import glob
import os

import pytest

from conftest import HW_URN, ROOT, run, write_desired

CASES = [
    # account, function, qualifier (None: every config of the function), configs expected
    ("aws-prod", "orders-worker", None, 1),
    ("aws-prod", "arn:aws:lambda:us-east-1:123456789012:function:orders-audit", "live", 1),
    ("ali-prod", "image-resize", None, 1),
    ("ali-legacy", "billing/invoice-render", "prod", 1),
    ("hw-prod", f"{HW_URN}:report-builder:latest", None, 1),
    ("hw-prod", f"{HW_URN}:report-notifier", None, 1),
]


@pytest.mark.parametrize("account,function,qualifier,count", CASES)
def test_import_round_trip(setup, tmp_path, account, function, qualifier, count):
    assert setup.asyncfg("apply").returncode == 0
    args = ["--account", account, "--function", function] + (["--qualifier", qualifier] if qualifier else [])
    r = setup.asyncfg("import", *args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("kind: AsyncInvokeConfig") == count, r.stdout
    assert f"account: {account}" in r.stdout
    out = tmp_path / "imported"
    out.mkdir()
    (out / "imported.yaml").write_text(r.stdout)
    r = run("validate", "--config", setup.config, str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    r = setup.asyncfg("plan", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Plan: 0 to create, 0 to update, {count} in sync, 0 errors." in r.stdout


def test_import_every_version_and_alias(setup, tmp_path):
    """75 aliases of one function (AWS pages at 50) and 25 of an FC3 function (pages of 20),
    written by apply (the emulator's drift API leaves FC3's functionArn unqualified)."""
    docs = {}
    for i in range(75):
        docs[f"aws-{i}.yaml"] = (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: a{i}}}\n"
                                 f"spec: {{provider: aws, function: 'orders-worker:a{i:02d}', "
                                 f"maxRetryAttempts: {i % 3}, maxEventAgeSeconds: {60 + i}}}\n")
    for i in range(25):
        docs[f"fc3-{i}.yaml"] = (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: f{i}}}\n"
                                 f"spec: {{provider: alicloud, account: ali-prod, function: image-resize, "
                                 f"qualifier: v{i}, maxRetryAttempts: {i % 9}}}\n")
    many = write_desired(str(tmp_path / "many"), docs)
    r = setup.asyncfg("apply", many)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    for account, function, n in (("aws-prod", "orders-worker", 75), ("ali-prod", "image-resize", 25)):
        r = setup.asyncfg("import", "--account", account, "--function", function)
        assert r.returncode == 0, r.stderr
        assert r.stdout.count("kind: AsyncInvokeConfig") == n, r.stderr
        d = tmp_path / account
        d.mkdir()
        (d / "all.yaml").write_text(r.stdout)
        r = setup.asyncfg("plan", str(d))
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr
        assert f"{n} in sync, 0 errors." in r.stdout


def test_import_errors(setup):
    r = setup.asyncfg("import", "--account", "nope", "--function", "f")
    assert r.returncode == 1 and "no account 'nope'" in r.stderr
    r = setup.asyncfg("import", "--account", "aws-prod", "--function", "ghost")
    assert r.returncode == 1 and "function-absent" in r.stderr, r.stderr
    r = setup.asyncfg("import", "--account", "aws-prod", "--function", "orders-worker", "--qualifier", "$LATEST")
    assert r.returncode == 1 and "has no async-invocation config" in r.stderr
    r = setup.asyncfg("import", "--account", "ali-legacy", "--function", "image-resize")
    assert r.returncode == 1 and "uses api fc2" in r.stderr
    assert setup.fake.stats()["byMethod"].get("PUT", 0) == 0


TFSTATES = sorted(p for p in glob.glob(os.path.join(ROOT, "tests", "data", "tfstate", "*.json"))
                  if not p.endswith("malformed.json"))


@pytest.mark.parametrize("path", TFSTATES, ids=os.path.basename)
def test_import_tfstate_validates(path, tmp_path):
    r = run("import", "--from-tfstate", path)
    assert r.returncode == 0, r.stderr
    assert "resources imported" in r.stderr or "resource imported" in r.stderr
    assert "skipped" in r.stderr
    (tmp_path / "tf.yaml").write_text(r.stdout)
    r = run("validate", str(tmp_path / "tf.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_tfstate_malformed():
    path = os.path.join(ROOT, "tests", "data", "tfstate", "malformed.json")
    r = run("import", "--from-tfstate", path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "malformed.json:" in r.stderr and "error:" in r.stderr
