# SPDX-License-Identifier: MIT
"""DESIGN.md §3.12, the right function or none: a function ARN/URN of another region, account or
project is a validation error at spec.function, and `plan` sends nothing for it — never a
request to the same-named function of the account's own region (issue 11, part 1)."""
import os
import textwrap

import pytest

from conftest import HW_PROJECT, run, write_config

AWS_OWN = "123456789012"  # the emulator's --aws-account


def doc(provider, account, function):
    return textwrap.dedent(f"""\
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {{name: foreign}}
        spec:
          provider: {provider}
          account: {account}
          function: "{function}"
          maxRetryAttempts: 0
        """)


def cloud_requests(cloud):
    """The emulator's cloud API traffic (its control requests, these included, left out)."""
    s = cloud.stats()
    s.pop("controlRequests", None)
    return s


def with_aws_account_id(config):
    """The aws-prod account of write_config() with its accountId known."""
    text = open(config).read().replace("region: us-east-1,",
                                       f"region: us-east-1, accountId: '{AWS_OWN}',")
    with open(config, "w") as f:
        f.write(text)


# (provider, account, function, the message after "path:7:13: error: ")
FOREIGN = [
    ("aws", "aws-prod", "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker",
     "function 'arn:aws:lambda:eu-west-1:999999999999:function:orders-worker' is in region "
     "'eu-west-1', but account 'aws-prod' is in region 'us-east-1'"),
    ("aws", "aws-prod", "arn:aws:lambda:us-east-1:999999999999:function:orders-worker:live",
     "function 'arn:aws:lambda:us-east-1:999999999999:function:orders-worker:live' belongs to "
     f"AWS account 999999999999, but account 'aws-prod' is AWS account {AWS_OWN}"),
    ("aws", "aws-prod", "999999999999:function:orders-worker",
     "function '999999999999:function:orders-worker' belongs to AWS account 999999999999, but "
     f"account 'aws-prod' is AWS account {AWS_OWN}"),
    ("huaweicloud", "hw-prod", f"urn:fss:cn-east-3:{HW_PROJECT}:function:default:report-builder",
     f"function 'urn:fss:cn-east-3:{HW_PROJECT}:function:default:report-builder' is in region "
     "'cn-east-3', but account 'hw-prod' is in region 'cn-north-4'"),
    ("huaweicloud", "hw-prod", "urn:fss:cn-north-4:ffff:function:default:report-builder:latest",
     "function 'urn:fss:cn-north-4:ffff:function:default:report-builder:latest' is in project "
     f"'ffff', but account 'hw-prod' has project '{HW_PROJECT}'"),
    ("alicloud", "ali-prod", "acs:fc:cn-shanghai:1234567890123456:functions/image-resize",
     "function 'acs:fc:cn-shanghai:1234567890123456:functions/image-resize' is an ARN: Function "
     "Compute functions are named by name ('name', FC2 'service/function'), in the account's "
     "region"),
]


@pytest.mark.parametrize("provider,account,function,message", FOREIGN)
def test_validate_and_plan_refuse_a_foreign_function(cloud, tmp_path, provider, account,
                                                     function, message):
    desired = tmp_path / "desired"
    desired.mkdir()
    path = desired / "foreign.yaml"
    path.write_text(doc(provider, account, function))
    config = write_config(str(tmp_path), cloud, str(desired))
    with_aws_account_id(config)
    # the namesakes exist in the account's own region and project
    cloud.create_functions([
        {"provider": "aws", "function": "orders-worker"},
        {"provider": "alicloud", "function": "image-resize"},
        {"provider": "huaweicloud",
         "function": f"urn:fss:cn-north-4:{HW_PROJECT}:function:default:report-builder"},
    ])

    p = run("validate", "--config", config, str(path))
    assert p.returncode == 1
    # the alicloud ARN is refused by the parser, before any account is known: at the same place
    assert p.stderr == f"{path}:7:13: error: {message}\n"

    before = cloud_requests(cloud)
    p = run("plan", "--config", config, str(desired))
    assert p.returncode not in (0, 2), p.stdout
    assert f"{path}:7:13: error: {message}" in p.stderr
    assert cloud_requests(cloud) == before  # not one request
    assert cloud.configs() == []   # and certainly no write to a namesake


def test_the_accounts_own_arn_is_sent_as_that_arn(cloud, tmp_path):
    """The ARN of the account's own region and account plans and applies: requests name that
    ARN, which the emulator (like Lambda) resolves to exactly that function."""
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "own.yaml").write_text(
        doc("aws", "aws-prod", f"arn:aws:lambda:us-east-1:{AWS_OWN}:function:orders-worker"))
    config = write_config(str(tmp_path), cloud, str(desired))
    with_aws_account_id(config)
    cloud.create_functions([{"provider": "aws", "function": "orders-worker"}])

    assert run("validate", "--config", config, str(desired)).returncode == 0
    p = run("apply", "--config", config, str(desired))
    assert p.returncode == 0, p.stderr
    p = run("plan", "--config", config, str(desired))
    assert p.returncode == 0, p.stdout + p.stderr


def test_import_refuses_a_foreign_arn(cloud, tmp_path):
    config = write_config(str(tmp_path), cloud, str(tmp_path / "desired"))
    cloud.create_functions([{"provider": "aws", "function": "orders-worker"}])
    before = cloud_requests(cloud)
    p = run("import", "--config", config, "--account", "aws-prod", "--function",
            "arn:aws:lambda:eu-west-1:999999999999:function:orders-worker")
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr == ("error: function 'arn:aws:lambda:eu-west-1:999999999999:function:"
                        "orders-worker' is in region 'eu-west-1', but account 'aws-prod' is in "
                        "region 'us-east-1'\n")
    assert cloud_requests(cloud) == before


def test_aws_account_id_must_be_12_digits(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("accounts:\n  - {name: a, provider: aws, region: us-east-1, "
                      "accountId: '12345'}\n")
    p = run("validate", "--config", str(config), str(tmp_path))
    assert p.returncode == 1
    assert (f"{config}:2:60: error: 'accountId' of an aws account must be its 12-digit AWS "
            "account id") in p.stderr
