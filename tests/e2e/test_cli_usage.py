# SPDX-License-Identifier: MIT
"""The CLI's exit codes and help (DESIGN.md §6): every usage error, for every verb and flag,
exits 1 with a one-line hint naming the verb's help; only plan ever exits 2, and only for
changes (test_plan_apply.py). `VERB --help` and `help VERB` print that verb's usage, options
and exit codes; `version` and `--version` the version."""

import os

import pytest

from conftest import ROOT, run

VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()

# (verb whose help the hint names, or None for the global one; arguments)
USAGE_ERRORS = [
    # unknown command, no command, unknown global option
    (None, ["valdate", "x"]),
    (None, []),
    (None, ["--bogus"]),
    (None, ["-o", "yaml", "validate", "x"]),
    # validate
    ("validate", ["validate"]),
    ("validate", ["validate", "--confg", "x", "f"]),
    ("validate", ["validate", "-o", "yaml", "f"]),
    ("validate", ["validate", "-c"]),
    ("validate", ["validate", "-j", "2", "f"]),
    ("validate", ["validate", "--account", "a", "f"]),
    ("validate", ["validate", "--function", "f", "f"]),
    ("validate", ["validate", "--qualifier", "q", "f"]),
    ("validate", ["validate", "--from-tfstate", "t", "f"]),
    ("validate", ["validate", "--endpoint", "http://127.0.0.1:1", "f"]),
    ("validate", ["-j", "2", "validate", "f"]),
]
for verb in ("plan", "apply"):
    USAGE_ERRORS += [
        (verb, [verb]),  # no --config
        (verb, [verb, "--confg", "x"]),
        (verb, [verb, "-c"]),
        (verb, [verb, "-c", "x", "-j", "0"]),
        (verb, [verb, "-c", "x", "-j", "abc"]),
        (verb, [verb, "-c", "x", "-j", "65"]),
        (verb, [verb, "-c", "x", "--jobs", ""]),
        (verb, [verb, "-c", "x", "-o", "yaml"]),
        (verb, [verb, "-c", "x", "dir1", "dir2"]),
        (verb, [verb, "-c", "x", "--account", "a"]),
        (verb, [verb, "-c", "x", "--function", "f"]),
        (verb, [verb, "-c", "x", "--qualifier", "q"]),
        (verb, [verb, "-c", "x", "--from-tfstate", "t"]),
        (verb, [verb, "-c", "x", "--endpoint", "http://127.0.0.1:1"]),
    ]
USAGE_ERRORS += [
    # import, both forms
    ("import", ["import"]),
    ("import", ["import", "--account", "a", "--function", "f"]),  # no --config
    ("import", ["import", "-c", "x", "--account", "a"]),
    ("import", ["import", "-c", "x", "--function", "f"]),
    ("import", ["import", "-c", "x", "--qualifier", "q"]),
    ("import", ["import", "-c", "x", "--acount", "a", "--function", "f"]),
    ("import", ["import", "-c", "x", "--account", "a", "--function", "f", "extra"]),
    ("import", ["import", "-c", "x", "--account", "a", "--function", "f", "-j", "2"]),
    ("import", ["import", "-c", "x", "--account", "a", "--function", "f", "-o", "json"]),
    ("import", ["import", "-c", "x", "--account", "a", "--function", "f", "--endpoint", "u"]),
    ("import", ["import", "--from-tfstate"]),
    ("import", ["import", "--from-tfstate", "t", "--account", "a"]),
    ("import", ["import", "--from-tfstate", "t", "--function", "f"]),
    ("import", ["import", "--from-tfstate", "t", "--qualifier", "q"]),
    ("import", ["import", "--from-tfstate", "t", "extra"]),
    # status
    ("status", ["status", "extra"]),
    ("status", ["status", "--endpoint"]),
    ("status", ["status", "-o", "yaml"]),
    ("status", ["status", "-j", "2"]),
    ("status", ["status", "--account", "a"]),
    ("status", ["status", "--function", "f"]),
    ("status", ["status", "--qualifier", "q"]),
    ("status", ["status", "--from-tfstate", "t"]),
    ("status", ["status", "--endpint", "u"]),
    # help, version
    ("help", ["help", "nope"]),
    ("help", ["help", "plan", "apply"]),
    ("help", ["help", "-c", "x"]),
    ("version", ["version", "extra"]),
    ("version", ["version", "-o", "json"]),
]


@pytest.mark.parametrize("verb,args", USAGE_ERRORS, ids=[" ".join(a) or "(none)" for _, a in USAGE_ERRORS])
def test_usage_error_exits_1_with_a_hint(verb, args):
    r = run(*args)
    assert r.returncode == 1, (args, r.returncode, r.stderr)
    hint = f"see 'asyncfg {verb} --help'" if verb else "see 'asyncfg --help'"
    if args:
        assert r.stdout == "", r.stdout
        assert r.stderr.splitlines()[-1] == hint, r.stderr
        assert len(r.stderr.splitlines()) == 2, r.stderr  # what was wrong, then the hint
    else:
        assert r.stderr.startswith(f"asyncfg {VERSION}:")  # the global help, on stderr


# Each verb's options, as its help lists them.
VERB_OPTIONS = {
    "validate": ["--config", "--output"],
    "plan": ["--config", "--output", "--jobs"],
    "apply": ["--config", "--output", "--jobs"],
    "import": ["--config", "--account", "--function", "--qualifier", "--from-tfstate"],
    "status": ["--config", "--output", "--endpoint"],
    "help": [],
    "version": [],
}
ALL_OPTIONS = {o for opts in VERB_OPTIONS.values() for o in opts}


@pytest.mark.parametrize("verb", sorted(VERB_OPTIONS))
def test_verb_help(verb):
    r = run(verb, "--help")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.startswith(f"usage: asyncfg {verb}"), r.stdout
    assert "\nexit status:\n  0  " in r.stdout
    for o in ALL_OPTIONS:
        assert (o in r.stdout) == (o in VERB_OPTIONS[verb]), (verb, o)
    assert "-h, --help" in r.stdout
    assert "commands:" not in r.stdout  # not the global help
    assert run("help", verb).stdout == r.stdout
    assert run(verb, "-h").stdout == r.stdout


def test_plan_help_names_its_exit_codes_and_defaults():
    out = run("plan", "--help").stdout
    assert "  2  changes pending" in out and "  1  any error (usage errors included)" in out
    assert "default: one per CPU" in out and "default: text" in out
    out = run("status", "--help").stdout
    assert "default: the config's" in out and "http://127.0.0.1:9733" in out


def test_global_help_and_version():
    for args in (["--help"], ["-h"], ["help"]):
        r = run(*args)
        assert r.returncode == 0 and r.stdout.startswith(f"asyncfg {VERSION}:"), args
        for verb in VERB_OPTIONS:
            assert f"\n  {verb} " in r.stdout, verb
    for args in (["version"], ["--version"], ["plan", "--version"]):
        r = run(*args)
        assert r.returncode == 0 and r.stdout == f"asyncfg {VERSION}\n", (args, r.stdout)
