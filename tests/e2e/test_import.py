# SPDX-License-Identifier: MIT
"""asyncfg import: live configs of every provider round-trip through validate and plan; every
version and alias through the list API (with pagination); Terraform state files."""

import glob
import os
import time

import pytest

from conftest import HW_URN, ROOT, run, write_config, write_desired

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


def test_import_takes_a_token_per_request(setup, tmp_path):
    """Every request of an import, each page of a list too, takes a token of the account's
    rateLimit (DESIGN.md §3.8): two pages at qps 2, burst 1, take half a second at least."""
    docs = {f"aws-{i}.yaml": (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: a{i}}}\n"
                              f"spec: {{provider: aws, function: 'orders-worker:a{i:02d}', maxRetryAttempts: 1}}\n")
            for i in range(60)}
    r = setup.asyncfg("apply", write_desired(str(tmp_path / "many"), docs))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    qps = 2
    os.makedirs(tmp_path / "slow")
    slow = write_config(str(tmp_path / "slow"), setup.fake, setup.desired, qps=qps, burst=1)
    before = setup.fake.stats()["requests"]
    t0 = time.monotonic()
    r = run("import", "--config", slow, "--account", "aws-prod", "--function", "orders-worker")
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("kind: AsyncInvokeConfig") == 60, r.stderr
    requests = setup.fake.stats()["requests"] - before
    assert requests >= 2  # pages of 50
    assert took >= 0.9 * (requests - 1) / qps, (took, requests)


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


# Import of a function with configs on its default qualifier, an alias and a version, for
# every provider, with list answers that carry the qualifier and with ones that leave it out
# (FC3's documented bare functionArn, moto's unqualified Lambda FunctionArn): the output has
# one document per identity, validates, and plans in sync (DESIGN.md §3.12).
QUALIFIED_IMPORT = [
    # account, provider, function as written, emulator spec, the three qualifiers
    ("aws-prod", "aws", "billing", {"provider": "aws", "function": "billing"}, ["$LATEST", "prod", "1"]),
    ("ali-prod", "alicloud", "billing", {"provider": "alicloud", "function": "billing"}, ["LATEST", "prod", "1"]),
    ("ali-legacy", "alicloud", "payments/billing",
     {"provider": "alicloud", "service": "payments", "function": "billing"}, ["LATEST", "prod", "1"]),
    ("hw-prod", "huaweicloud", f"{HW_URN}:billing", {"provider": "huaweicloud", "function": f"{HW_URN}:billing"},
     ["latest", "prod", "1"]),
]


def identities(text):
    """(function, qualifier) of every document of an import's output."""
    import yaml
    return [(d["spec"]["function"], str(d["spec"].get("qualifier")))
            for d in yaml.safe_load_all(text) if d]


def billing_docs(account, provider, function, qualifiers):
    docs = {}
    for i, q in enumerate(qualifiers):
        docs[f"b{i}.yaml"] = (f"apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata: {{name: billing-{i}}}\n"
                              f"spec: {{provider: {provider}, account: {account}, function: '{function}', "
                              f"qualifier: '{q}', maxRetryAttempts: {i}}}\n")
    return docs


@pytest.mark.parametrize("unqualified", [False, True], ids=["qualified-lists", "unqualified-lists"])
@pytest.mark.parametrize("account,provider,function,spec,qualifiers", QUALIFIED_IMPORT,
                         ids=[c[0] for c in QUALIFIED_IMPORT])
def test_import_default_alias_and_version(setup, tmp_path, unqualified, account, provider, function, spec,
                                          qualifiers):
    setup.fake.create_functions([{**spec, "qualifiers": qualifiers[1:]}])
    src = write_desired(str(tmp_path / "src"), billing_docs(account, provider, function, qualifiers))
    r = setup.asyncfg("apply", src)
    assert r.returncode == 0, r.stdout + r.stderr
    setup.fake.control("PUT", "/_fake/settings", {"unqualifiedLists": unqualified}, expect=200)
    r = setup.asyncfg("import", "--account", account, "--function", function)
    assert r.returncode == 0, r.stderr
    ids = identities(r.stdout)
    assert len(ids) == 3 and len(set(ids)) == 3, r.stdout
    assert sorted(q for _, q in ids) == sorted(qualifiers), r.stdout
    out = tmp_path / "imported"
    out.mkdir()
    (out / "imported.yaml").write_text(r.stdout)
    r = run("validate", "--config", setup.config, str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    r = setup.asyncfg("plan", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Plan: 0 to create, 0 to update, 3 in sync, 0 errors." in r.stdout


def test_import_unqualified_list_ambiguous(setup):
    """A config whose qualifier no version or alias list names (an alias deleted, its config
    left behind), in a list that does not say qualifiers: nothing imported, exit 1."""
    setup.fake.create_functions([{"provider": "aws", "function": "billing", "qualifiers": ["prod"]}])
    for q in ("$LATEST", "prod", "gone"):
        setup.fake.drift(provider="aws", function="billing", qualifier=q, config={"MaximumRetryAttempts": 1})
    setup.fake.control("PUT", "/_fake/settings", {"unqualifiedLists": True}, expect=200)
    r = setup.asyncfg("import", "--account", "aws-prod", "--function", "billing")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == ""
    assert "does not say which version or alias 3 of its 3 configs belong to" in r.stderr, r.stderr
    assert "found only 2" in r.stderr, r.stderr


def test_fakecloud_unqualified_lists_flag(tmp_path):
    """--unqualified-lists starts the emulator with the switch on."""
    from conftest import start_fakecloud, stop_fakecloud
    fake = start_fakecloud("--unqualified-lists")
    try:
        assert fake.control("GET", "/_fake/settings", expect=200) == {"unqualifiedLists": True}
        fake.control("PUT", "/_fake/settings", {"nope": 1}, expect=400)
    finally:
        stop_fakecloud(fake)
