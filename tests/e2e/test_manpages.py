# SPDX-License-Identifier: MIT
"""The manual pages (issue 14): built by `make man` from doc/*.scd, each renders with `man -l`
without a warning, and none can drift from the code: every option of the CLI's and the daemon's
option tables, every verb, every key of the schema tables (daemon configuration and documents),
every accepted credentials source and alert type, every metric family and every environment
variable the code reads appears in the pages; their examples validate."""

import glob
import os
import re
import subprocess

import pytest

from conftest import ASYNCFG, BUILD, ROOT

PAGES = ("asyncfgd.8", "asyncfg.1", "asyncfg.yaml.5", "asyncfg-desired.5")


def src(path):
    return open(os.path.join(ROOT, path)).read()


def page(name):
    return src(f"doc/{name}.scd")


@pytest.fixture(scope="module")
def built():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    subprocess.run(["make", "-s", "-C", ROOT, "man", f"BUILD={BUILD}"], check=True, env=env,
                   capture_output=True)
    return os.path.join(BUILD, "man")


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_without_warnings(built, name):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    p = subprocess.run(["man", "--warnings", "-l", os.path.join(built, name)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr == "", p.stderr
    title = name.rsplit(".", 1)[0]
    assert p.stdout.lstrip().startswith(f"{title}({name.rsplit('.', 1)[1]})"), p.stdout[:200]
    assert "NAME" in p.stdout and "SEE ALSO" in p.stdout


def long_options(path):
    """The long options of a getopt_long table."""
    return set(re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', src(path)))


def schema_keys(path):
    """The keys of every SchemaField table in path."""
    # A row starts a line, or follows the table's opening brace ("fields[] = { { ...").
    return set(re.findall(r'(?:^\s*|= \{ )\{ "([A-Za-z]+)", (?:schema_|parse_|destination_)',
                          src(path), re.M))


def string_table(path, name):
    body = re.search(name + r"\[[^]]*\] = \{(.*?)\};", src(path), re.S).group(1)
    return set(re.findall(r'"([a-z0-9-]+)"', body))


def test_every_cli_option_and_verb_is_documented():
    text = page("asyncfg.1")
    options = long_options("cmd/asyncfg.c")
    assert {"config", "output", "jobs", "endpoint", "from-tfstate"} <= options
    for o in options:
        assert f"*--{o}*" in text, f"asyncfg(1) does not document --{o}"
    for short in re.findall(r"\{ \"[a-z-]+\", required_argument, NULL, '(\w)' \}",
                            src("cmd/asyncfg.c")):
        assert f"*-{short}*" in text, f"asyncfg(1) does not document -{short}"
    for verb in re.findall(r'^\s*\{ "([a-z]+)", verb_', src("cmd/asyncfg.c"), re.M):
        assert f"*{verb}*" in text or f"*asyncfg {verb}*" in text, verb


def test_every_daemon_option_is_documented():
    text = page("asyncfgd.8")
    options = long_options("cmd/asyncfgd.c")
    assert "config" in options
    for o in options:
        assert f"*--{o}*" in text, f"asyncfgd(8) does not document --{o}"
    for sig in ("SIGHUP", "SIGTERM", "SIGINT"):
        assert f"*{sig}*" in text


def test_every_configuration_key_is_documented():
    text = page("asyncfg.yaml.5")
    keys = schema_keys("reconciler/spec/daemon-config.c")
    keys |= schema_keys("reconciler/spec/cluster-config.c")
    assert {"desiredDir", "accounts", "endpoint", "rateLimit", "qps", "source", "caFile"} <= keys
    for k in keys:
        assert f"*{k}*" in text, f"asyncfg.yaml(5) does not document '{k}'"
    for s in string_table("clouds/credentials/credentials.c", "credential_source_table"):
        assert f"*{s}*" in text, f"asyncfg.yaml(5) does not document credentials source '{s}'"
    for t in string_table("reconciler/spec/daemon-config.c", "alert_type_table"):
        assert f"*{t}*" in text, f"asyncfg.yaml(5) does not document alert type '{t}'"
    default = re.search(r"#define DEFAULT_QPS ([0-9.]+)", src("reconciler/spec/daemon-config.c"))
    burst = re.search(r"#define DEFAULT_BURST (\d+)u", src("reconciler/spec/daemon-config.c"))
    assert f"*{{qps: {float(default.group(1)):g}, burst: {burst.group(1)}}}*" in text
    # Every key the credentials file takes.
    for name in re.findall(r'"([a-z_]+)"', re.search(r"keys_id\[\] = \{(.*?)keys_token.*?\};",
                                                     src("clouds/credentials/static.c"),
                                                     re.S).group(0)):
        assert name.lower() in text.lower(), f"credentials key '{name}'"


def test_every_document_key_is_documented():
    text = page("asyncfg-desired.5")
    keys = schema_keys("reconciler/spec/spec.c") | schema_keys("reconciler/spec/destination.c")
    assert {"apiVersion", "maxRetryAttempts", "ignore", "destination", "param"} <= keys
    for k in keys:
        assert f"*{k}*" in text or f"*spec.{k}*" in text or f"*spec.on" in text and k in text, \
            f"asyncfg-desired(5) does not document '{k}'"
    for table in ("management_table", "deletion_policy_table"):
        for v in string_table("reconciler/spec/spec.c", table):
            assert f"*{v}*" in text, v


def test_every_metric_and_environment_variable_is_documented():
    text = page("asyncfgd.8")
    families = set(re.findall(r'"(asyncfg_[a-z_]+)"', src("reconciler/daemon/metrics-asyncfg.c")))
    assert len(families) >= 15
    for f in families:
        assert f"*{f}" in text, f"asyncfgd(8) does not document metric {f}"
    code = "".join(src(p) for p in glob.glob(os.path.join(ROOT, "**/*.c"), recursive=True)
                   if "/tests/" not in p)
    read = set(re.findall(r'getenv\("([A-Z_]+)"\)', code))
    read |= set(re.findall(r'(?:log_parse_environment|env_nonempty)\("([A-Z_]+)"\)', code))
    # The credential sources' variables, from their tables.
    read |= set(re.findall(r'"((?:AWS|ALIBABA_CLOUD|HUAWEICLOUD)_[A-Z0-9_]+)"', code))
    assert {"ASYNCFG_LOG_LEVEL", "CREDENTIALS_DIRECTORY", "JOURNAL_STREAM"} <= read
    every = "".join(page(p) for p in PAGES)
    for v in read:
        assert v in every, f"no manual page documents ${v}"


def test_examples_validate(tmp_path):
    """The configuration example of asyncfg.yaml(5) and the documents of asyncfg-desired(5)."""
    blocks = re.findall(r"^```\n(.*?)^```", page("asyncfg.yaml.5"), re.M | re.S)
    config = tmp_path / "asyncfgd.yaml"
    config.write_text(blocks[-1].replace("/etc/asyncfg/desired.d", str(tmp_path / "d")))
    docs = re.findall(r"^```\n(apiVersion:.*?)^```", page("asyncfg-desired.5"), re.M | re.S)
    assert len(docs) == 3
    (tmp_path / "d").mkdir()
    for i, d in enumerate(docs):
        (tmp_path / "d" / f"{i}.yaml").write_text(d)
    p = subprocess.run([ASYNCFG, "validate", "--config", str(config)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{tmp_path / 'd'}: 3 resources in 3 files, valid\n"
