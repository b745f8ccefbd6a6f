# SPDX-License-Identifier: MIT
"""Fixtures of the asyncfg end-to-end tests: build/fakecloud started on port 0 (stopped by PID),
a daemon configuration whose accounts point at it with credentials files, and a runner for the
asyncfg CLI. Binaries come from $ASYNCFG_BUILD_DIR (make exports it)."""

import http.client
import json
import os
import signal
import subprocess
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("ASYNCFG_BUILD_DIR") or os.path.join(ROOT, "build")
ASYNCFG = os.path.join(BUILD, "asyncfg")
FAKECLOUD = os.path.join(BUILD, "fakecloud")

# The emulator's default key pairs (tests/fakecloud/README.md).
CREDENTIALS = {
    "aws": ("AKIDFAKE", "fakesecret"),
    "alicloud": ("LTAIFAKE", "fakesecret"),
    "huaweicloud": ("HWAKFAKE", "fakesecret"),
}
HW_PROJECT = "0123456789abcdef0123456789abcdef"
HW_URN = f"urn:fss:cn-north-4:{HW_PROJECT}:function:default"


class FakeCloud:
    def __init__(self, proc, port, scheme="http"):
        self.proc, self.port, self.scheme = proc, port, scheme

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def control(self, method, path, body=None, expect=None):
        if self.scheme == "https":
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request(method, path, body=None if body is None else json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        if expect is not None:
            assert r.status == expect, (method, path, r.status, data)
        return json.loads(data) if data else None

    def configs(self):
        return self.control("GET", "/_fake/configs", expect=200)

    def stats(self):
        return self.control("GET", "/_fake/stats", expect=200)

    def faults(self, **settings):
        return self.control("POST", "/_fake/faults", settings, expect=200)

    def create_functions(self, functions):
        return self.control("POST", "/_fake/functions", functions, expect=201)

    def drift(self, **body):
        return self.control("PUT", "/_fake/drift", body, expect=200)


def start_fakecloud(*args, scheme="http"):
    proc = subprocess.Popen([FAKECLOUD, "--listen", "127.0.0.1:0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        proc.wait()
        pytest.fail(f"fakecloud did not start: {line!r} {proc.stderr.read()}")
    return FakeCloud(proc, int(line.split()[1]), scheme)


def stop_fakecloud(fake):
    os.kill(fake.proc.pid, signal.SIGTERM)
    try:
        assert fake.proc.wait(timeout=10) == 0
    finally:
        if fake.proc.poll() is None:
            os.kill(fake.proc.pid, signal.SIGKILL)
            fake.proc.wait()
        fake.proc.stdout.close()
        fake.proc.stderr.close()


@pytest.fixture
def cloud():
    fake = start_fakecloud()
    yield fake
    stop_fakecloud(fake)


def write_credentials(directory, creds=None):
    """One INI credentials file per provider; returns {provider: path}."""
    creds = {**CREDENTIALS, **(creds or {})}
    paths = {}
    for provider, (akid, secret) in creds.items():
        path = os.path.join(directory, f"{provider}.cred")
        with open(path, "w") as f:
            f.write(f"access_key_id = {akid}\nsecret_access_key = {secret}\n")
        os.chmod(path, 0o600)
        paths[provider] = path
    return paths


def write_config(directory, fake, desired_dir, *, creds=None, ca_file=None, concurrency=8,
                 qps=1000, burst=1000, backoff="{base: 100ms, cap: 1s}", state_dir=None):
    """A daemon configuration with the four accounts of config/asyncfgd.yaml pointing at fake."""
    paths = write_credentials(directory, creds)
    ca = f", caFile: {ca_file}" if ca_file else ""
    state_dir = state_dir or os.path.join(directory, "state")
    os.makedirs(state_dir, exist_ok=True)

    def account(name, provider, extra):
        return (f"  - {{name: {name}, provider: {provider}, endpoint: '{fake.url}', {extra}, "
                f"rateLimit: {{qps: {qps}, burst: {burst}}}, "
                f"credentials: {{source: file, path: {paths[provider]}}}{ca}}}\n")

    text = (f"desiredDir: {desired_dir}\nstateDir: {state_dir}\nlisten: ''\n"
            f"concurrency: {concurrency}\nbackoff: {backoff}\naccounts:\n"
            + account("aws-prod", "aws", "region: us-east-1")
            + account("ali-prod", "alicloud", "region: cn-hangzhou, accountId: '1234567890123456', api: fc3")
            + account("ali-legacy", "alicloud", "region: cn-hangzhou, accountId: '1234567890123456', api: fc2")
            + account("hw-prod", "huaweicloud", f"region: cn-north-4, projectId: {HW_PROJECT}"))
    path = os.path.join(directory, "asyncfgd.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


# Desired state covering the three providers and both Alibaba APIs, every field kind.
DESIRED = {
    "aws.yaml": f"""\
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {{name: orders-worker}}
        spec:
          provider: aws
          account: aws-prod
          function: orders-worker
          maxRetryAttempts: 1
          maxEventAgeSeconds: 3600
          onSuccess: {{destination: "arn:aws:sqs:us-east-1:123456789012:orders-ok"}}
          onFailure: {{destination: "arn:aws:sns:us-east-1:123456789012:orders-failed"}}
        ---
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {{name: orders-audit-live}}
        spec:
          provider: aws
          function: "arn:aws:lambda:us-east-1:123456789012:function:orders-audit:live"
          maxRetryAttempts: 0
          onFailure: {{destination: "arn:aws:s3:::orders-audit-failures"}}
        """,
    "fc3.yaml": """\
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {name: image-resize}
        spec:
          provider: alicloud
          account: ali-prod
          function: image-resize
          qualifier: prod
          maxRetryAttempts: 3
          maxEventAgeSeconds: 86400
          onSuccess: {destination: "acs:mns:cn-hangzhou:1234567890123456:/topics/image-done/messages"}
          asyncTask: true
        """,
    "fc2.yaml": """\
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {name: legacy-billing}
        spec:
          provider: alicloud
          account: ali-legacy
          function: billing/invoice-render
          qualifier: prod
          maxRetryAttempts: 2
          onFailure: {destination: "acs:fc:cn-hangzhou:1234567890123456:functions/invoice-dead-letter"}
          asyncTask: false
        """,
    "hw.yaml": f"""\
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {{name: report-builder}}
        spec:
          provider: huaweicloud
          account: hw-prod
          function: "{HW_URN}:report-builder:latest"
          maxRetryAttempts: 2
          maxEventAgeSeconds: 3600
          onSuccess:
            destination: OBS
            param: {{bucket: reports-archive, prefix: /success, expires: 5}}
          enableAsyncStatusLog: true
        ---
        apiVersion: asyncfg.io/v1
        kind: AsyncInvokeConfig
        metadata: {{name: report-notifier}}
        spec:
          provider: huaweicloud
          function: "{HW_URN}:report-notifier"
          qualifier: v2
          maxRetryAttempts: 0
          onFailure:
            destination: DIS
            param: {{stream_name: report-dlq}}
        """,
}

# The functions of DESIRED, as the emulator's control API creates them.
FUNCTIONS = [
    {"provider": "aws", "function": "orders-worker"},
    {"provider": "aws", "function": "arn:aws:lambda:us-east-1:123456789012:function:orders-audit"},
    {"provider": "alicloud", "function": "image-resize"},
    {"provider": "alicloud", "service": "billing", "function": "invoice-render"},
    {"provider": "huaweicloud", "function": f"{HW_URN}:report-builder"},
    {"provider": "huaweicloud", "function": f"{HW_URN}:report-notifier"},
]


def write_desired(directory, docs=None):
    os.makedirs(directory, exist_ok=True)
    for name, text in (DESIRED if docs is None else docs).items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(textwrap.dedent(text))
    return directory


def run(*args, timeout=60):
    """Runs asyncfg; returns CompletedProcess (text)."""
    env = {**os.environ, "NO_COLOR": "1"}
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID",
              "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"):
        env.pop(k, None)
    return subprocess.run([ASYNCFG, *args], capture_output=True, text=True, timeout=timeout, env=env)


class Setup:
    """A fakecloud with the functions of DESIRED, a config and a desired directory."""

    def __init__(self, fake, tmp_path, **config):
        self.fake = fake
        self.tmp = str(tmp_path)
        self.desired = write_desired(os.path.join(self.tmp, "desired"))
        self.config = write_config(self.tmp, fake, self.desired, **config)
        fake.create_functions(FUNCTIONS)

    def asyncfg(self, verb, *args, **kw):
        return run(verb, "--config", self.config, *args, **kw)


@pytest.fixture
def setup(cloud, tmp_path):
    return Setup(cloud, tmp_path)
