# SPDX-License-Identifier: MIT
"""The hostile desired-state corpus of test_hostile_desired.py: a table of files that someone set
on breaking asyncfg could drop into the desired-state directory, each with what must happen to
it: "error" (a located `path:line:col: error:`), "skip" (not a desired-state file: no word
about it, nothing loaded) or "ok" (odd but valid: loaded like any other file).

make_corpus(directory) writes every case below directory and returns [(rel, expect, label)]:
rel is the path the diagnostic must name (a file, or a directory that cannot be read)."""

import os
import stat

GOOD = ("apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\nmetadata:\n  name: {name}\n"
        "spec:\n  provider: aws\n  function: {name}\n  maxRetryAttempts: 1\n")


def good(name):
    return GOOD.format(name=name)


def spec_with(name, line):
    """A document whose spec has one hostile line (a wrong type, an unknown key...)."""
    return good(name) + "  " + line + "\n"


def billion_laughs(levels=9):
    out = ['lol0: &l0 "lol"']
    for i in range(1, levels + 1):
        out.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return ("\n".join(out) + "\n").encode()


def many_keys(n):
    return "".join(f"k{i:x}: 1\n" for i in range(n)).encode()


# (label, expect, content): content is bytes or str written as the file.
SYNTAX = [
    ("unclosed-flow-seq", "error", "a: ["),
    ("unclosed-flow-map", "error", "a: {b: 1"),
    ("stray-close", "error", "a: ]\n"),
    ("unclosed-quote", "error", 'a: "never closed\n'),
    ("unclosed-single-quote", "error", "a: 'never closed\n"),
    ("bad-indent", "error", "a:\n  b: 1\n c: 2\n"),
    ("tab-indent", "error", "a:\n\tb: 1\n"),
    ("bad-escape", "error", 'a: "\\q"\n'),
    ("mapping-in-scalar", "error", "a: b: c\n"),
    ("seq-then-map", "error", "- a\nb: c\n"),
    ("bad-directive", "error", "%YAML 9.9\n---\na: 1\n"),
    ("unknown-tag-handle", "error", "a: !e!x 1\n"),
    ("undefined-alias", "error", "a: *nope\n"),
    ("colon-only", "error", ": :\n"),
    ("question-key", "error", "? [a, b]\n: c\n"),
    ("broken-second-doc", "error", good("syntax-second") + "---\na: [\n"),
    ("dup-key", "error", good("dupkey") + "  maxRetryAttempts: 2\n"),
    ("block-scalar-bad", "error", "a: |\n b\nc\n d: [\n"),
    ("flow-in-key", "error", "{a: 1}: 2\n"),
    ("only-dashes-garbage", "error", "---\n--- [\n"),
]

TYPES = [
    ("top-scalar", "error", "just a string\n"),
    ("top-seq", "error", "- 1\n- 2\n"),
    ("top-null", "error", "~\n"),
    ("apiversion-int", "error", good("t-api").replace("asyncfg.io/v1", "5")),
    ("apiversion-wrong", "error", good("t-api2").replace("asyncfg.io/v1", "asyncfg.io/v9")),
    ("kind-seq", "error", good("t-kind").replace("AsyncInvokeConfig", "[x]")),
    ("kind-wrong", "error", good("t-kind2").replace("AsyncInvokeConfig", "Deployment")),
    ("metadata-string", "error", "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
     "metadata: name\nspec: {provider: aws, function: f}\n"),
    ("spec-int", "error", "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
     "metadata: {name: t-spec}\nspec: 3\n"),
    ("no-spec", "error", "apiVersion: asyncfg.io/v1\nkind: AsyncInvokeConfig\n"
     "metadata: {name: t-nospec}\n"),
    ("retries-string", "error", spec_with("t-r1", "maxEventAgeSeconds: lots")),
    ("retries-float", "error", good("t-r2").replace("maxRetryAttempts: 1", "maxRetryAttempts: 1.5")),
    ("retries-negative", "error", good("t-r3").replace("maxRetryAttempts: 1", "maxRetryAttempts: -1")),
    ("retries-huge", "error", good("t-r4").replace("maxRetryAttempts: 1",
                                                   "maxRetryAttempts: 99999999999999999999999")),
    ("retries-bool", "error", good("t-r5").replace("maxRetryAttempts: 1", "maxRetryAttempts: true")),
    ("retries-null", "error", good("t-r6").replace("maxRetryAttempts: 1", "maxRetryAttempts: [1]")),
    ("retries-hex-is-an-int", "ok", good("t-r7").replace("maxRetryAttempts: 1", "maxRetryAttempts: 0x2")),
    ("age-map", "error", spec_with("t-age", "maxEventAgeSeconds: {a: 1}")),
    ("age-out-of-range", "error", spec_with("t-age2", "maxEventAgeSeconds: 999999999")),
    ("onsuccess-int", "error", spec_with("t-dest", "onSuccess: 7")),
    ("destination-map", "error", spec_with("t-dest2", "onFailure: {destination: {a: b}}")),
    ("destination-bad-arn", "error", spec_with("t-dest3", "onFailure: {destination: 'arn:x'}")),
    ("provider-unknown", "error", good("t-prov").replace("provider: aws", "provider: gcp")),
    ("function-map", "error", good("t-fn").replace("function: t-fn", "function: {a: b}")),
    ("function-empty", "error", good("t-fn2").replace("function: t-fn2", "function: ''")),
    ("labels-seq", "error", good("t-lab").replace("  name: t-lab\n", "  name: t-lab\n  labels: [a]\n")),
    ("management-maybe", "error", spec_with("t-man", "management: maybe")),
    ("deletion-int", "error", spec_with("t-del", "deletionPolicy: 1")),
    ("ignore-scalar-unknown", "error", spec_with("t-ign", "ignore: [nothing]")),
    ("resync-forever", "error", spec_with("t-res", "resyncInterval: forever")),
    ("unknown-key", "error", spec_with("t-unk", "maxRetryAttemps: 1")),
    ("alicloud-field-on-aws", "error", spec_with("t-ali", "asyncTask: true")),
    ("name-invalid", "error", good("t-name").replace("name: t-name", "name: 'Not A Label!'")),
    ("account-unknown", "ok", spec_with("t-acct", "account: nobody")),
    ("foreign-arn", "ok", good("t-arn").replace(
        "function: t-arn", "function: 'arn:aws:lambda:eu-west-1:999999999999:function:t-arn'")),
]

SIZES = [
    ("huge-file", "error", b"a" * (2 * 1024 * 1024)),
    ("huge-file-valid-start", "error", good("s-big").encode() + b"#" * (1024 * 1024) + b"\n"),
    ("huge-scalar", "error", good("s-scalar").replace("function: s-scalar",
                                                      "function: " + "x" * 200000)),
    ("huge-key", "error", "k" * 100000 + ": 1\n"),
    ("keys-100k", "error", many_keys(100000)),
    ("keys-100k-flow", "error", ("{" + ",".join(f"k{i:x}: 1" for i in range(100000)) + "}\n")),
    ("documents-2000", "error", "---\na: 1\n" * 2000),
    ("long-line-no-newline", "error", b"a: " + b"b" * 900000),
    ("labels-1000", "error", good("s-labels").replace(
        "  name: s-labels\n", "  name: s-labels\n  labels:\n"
        + "".join(f"    l{i}: v\n" for i in range(1000)))),
]

DEPTH = [
    ("flow-seq-100k", "error", "[" * 100000),
    ("flow-map-50k", "error", "{a: " * 50000),
    ("block-map-1k", "error", "".join(" " * i + "a:\n" for i in range(1000)) + " " * 1000 + "b\n"),
    ("block-seq-500", "error", "".join("  " * i + "-\n" for i in range(500)) + "  " * 500 + "x\n"),
    ("mixed-deep", "error", "a: " + "[{b: " * 5000),
]

ALIASES = [
    ("billion-laughs", "error", billion_laughs()),
    ("alias-in-spec", "error", good("a-spec").replace("maxRetryAttempts: 1", "maxRetryAttempts: &x 1\n"
                                                       "  maxEventAgeSeconds: *x")),
    ("merge-key", "error", "base: &b {provider: aws}\nspec:\n  <<: *b\n"),
    ("anchor-only", "error", "&a\n"),
    ("alias-chain-deep", "error", billion_laughs(30)),
]

BINARY = [
    ("nul-bytes", "error", b"\0" * 4096),
    ("nul-in-doc", "error", good("b-nul").encode().replace(b"maxRetryAttempts", b"max\0Retry")),
    ("elf", "error", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8),
    ("gzip", "error", b"\x1f\x8b\x08\x00" + bytes(range(255, -1, -1)) * 8),
    ("png", "error", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)),
    ("random", "error", bytes((i * 7919 + 13) % 256 for i in range(65536))),
    ("control-chars", "error", b"a: \x01\x02\x03\x1b[31m\n"),
    ("del-char", "error", b"a: \x7f\x7f\n"),
]

UTF8 = [
    ("lone-ff", "error", b"a: \xff\n"),
    ("overlong-slash", "error", b"a: \xc0\xaf\n"),
    ("surrogate", "error", b"a: \xed\xa0\x80\n"),
    ("truncated-seq", "error", b"a: \xe2\x82\n"),
    ("bad-in-key", "error", b"\xfe\xfe: 1\n"),
    ("bad-in-comment", "error", b"# \xff\xfe\n" + good("u-comment").encode()),
    ("bad-in-name", "error", good("u-name").encode().replace(b"name: u-name", b"name: u-\xc3\x28")),
    ("over-max-codepoint", "error", b"a: \xf4\x90\x80\x80\n"),
    ("valid-utf8-name", "error", good("u-ok").replace("name: u-ok", "name: \u00fcml\u00e4ut")),
]

BOMS = [
    ("utf8-bom-valid", "ok", b"\xef\xbb\xbf" + good("bom-ok").encode()),
    ("utf16le-bom-valid", "ok", b"\xff\xfe" + good("bom-16le").encode("utf-16-le")),
    ("utf16be-bom-valid", "ok", b"\xfe\xff" + good("bom-16be").encode("utf-16-be")),
    ("utf32le-bom", "error", b"\xff\xfe\x00\x00" + good("bom-32").encode("utf-32-le")),
    ("bom-mid-file", "error", good("bom-mid").encode() + b"\xef\xbb\xbf  x: 1\n"),
    ("double-bom", "error", b"\xef\xbb\xbf\xef\xbb\xbf" + good("bom-2").encode()),
]

EMPTY = [
    ("empty", "error", b""),
    ("comment-only", "error", "# nothing here\n# at all\n"),
    ("whitespace-only", "error", "   \n\n\t\n"),
    ("dashes-only", "error", "---\n"),
    ("dots-only", "error", "...\n"),
    ("empty-docs", "error", "---\n---\n---\n"),
]

# Names the scan does not take: never read, never reported.
SKIPPED = [
    (".hidden.yaml", "skip", b"\xff[garbage"),
    ("backup.yaml~", "skip", "a: ["),
    (".backup.yaml.swp", "skip", b"\0\0"),
    ("scratch.yaml.swp", "skip", "a: ["),
    ("notes.txt", "skip", "a: ["),
    ("upper.YAML", "skip", "a: ["),
    ("4913", "skip", "a: ["),
    ("file.yaml.bak", "skip", "a: ["),
    ("file.yaml.orig", "skip", "a: ["),
    ("#autosave.yaml#", "skip", "a: ["),
]

TABLES = [SYNTAX, TYPES, SIZES, DEPTH, ALIASES, BINARY, UTF8, BOMS, EMPTY]


def special_cases(root, unreadable):
    """Files that are not plain files: symlink loops, FIFOs, devices, sockets, unreadable
    files and directories. Returns [(rel, expect, label)]."""
    out = []

    def link(rel, target, expect, label):
        os.symlink(target, os.path.join(root, rel))
        out.append((rel, expect, label))

    link("loop-a.yaml", "loop-b.yaml", "error", "symlink loop a")
    link("loop-b.yaml", "loop-a.yaml", "error", "symlink loop b")
    link("self.yaml", "self.yaml", "error", "symlink to itself")
    link("dangling.yaml", "does-not-exist.yaml", "skip", "dangling symlink (nothing there)")
    link("dev-zero.yaml", "/dev/zero", "error", "/dev/zero")
    link("dev-urandom.yaml", "/dev/urandom", "error", "/dev/urandom")
    link("dev-null.yaml", "/dev/null", "error", "/dev/null")
    link("proc-self.yaml", "/proc/self/mem", "error", "/proc/self/mem")
    os.mkfifo(os.path.join(root, "fifo.yaml"))
    out.append(("fifo.yaml", "error", "FIFO"))
    os.makedirs(os.path.join(root, "loopdir"))
    os.symlink("..", os.path.join(root, "loopdir", "up"))
    out.append(("loopdir/up", "skip", "directory symlink loop"))
    os.makedirs(os.path.join(root, "dir.yaml"))
    with open(os.path.join(root, "dir.yaml", "inner-dir-yaml.yaml"), "w") as f:
        f.write(good("inner-dir-yaml"))
    out.append(("dir.yaml/inner-dir-yaml.yaml", "ok", "a directory named *.yaml"))
    if unreadable:
        p = os.path.join(root, "unreadable.yaml")
        with open(p, "w") as f:
            f.write(good("unreadable"))
        os.chmod(p, 0)
        out.append(("unreadable.yaml", "error", "unreadable file"))
        d = os.path.join(root, "locked")
        os.makedirs(d)
        with open(os.path.join(d, "inside.yaml"), "w") as f:
            f.write(good("inside-locked"))
        os.chmod(d, 0)
        out.append(("locked", "error", "unreadable directory"))
    too_deep = os.path.join(root, *["deep"] * 20)
    os.makedirs(too_deep)
    with open(os.path.join(too_deep, "too-deep.yaml"), "w") as f:
        f.write(good("too-deep"))
    out.append((os.path.join(*["deep"] * 17), "error", "directories too deep"))
    return out


def make_corpus(root, unreadable=True):
    os.makedirs(root, exist_ok=True)
    out = []
    for table in TABLES:
        for label, expect, content in table:
            rel = f"hostile-{len(out):03d}-{label}.yaml"
            with open(os.path.join(root, rel), "wb") as f:
                f.write(content if isinstance(content, bytes) else content.encode())
            out.append((rel, expect, label))
    for name, expect, content in SKIPPED:
        with open(os.path.join(root, name), "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        out.append((name, expect, name))
    out.extend(special_cases(root, unreadable))
    return out


def restore_permissions(root):
    """Lets pytest delete the tree: every directory readable again."""
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p) and stat.S_IMODE(os.lstat(p).st_mode) == 0:
                os.chmod(p, 0o755)
