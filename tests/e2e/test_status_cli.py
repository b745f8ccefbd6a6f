# SPDX-License-Identifier: MIT
"""asyncfg status: fetches /status from the endpoint (a stand-in HTTP server here until the
daemon's own e2e tests cover it) and prints the table or the JSON; unreachable → exit 1."""

import http.server
import json
import os
import threading

import pytest

from conftest import run

DOC = {"summary": {"resources": 1, "states": {"in_sync": 0, "drifted": 1}, "files": {"ok": 1, "error": 0},
                   "ready": True, "last_successful_sync": "2024-05-01T12:00:00Z"},
       "resources": [{"name": "orders-worker", "file": "/d/o.yaml", "line": 1, "provider": "aws",
                      "account": "aws-prod", "function": "orders-worker", "qualifier": "$LATEST",
                      "state": "drifted", "drift": True,
                      "diff": [{"field": "maxRetryAttempts", "from": 2, "to": 1}], "last_error": None}],
       "files": [{"path": "/d/o.yaml", "state": "ok", "diagnostics": []}]}


@pytest.fixture
def endpoint():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            # asyncfg status asks for what it shows: the resources not in sync, a page.
            ok = self.path == ("/status?state=drifted,changing,pending,retrying,error,orphaned"
                               "&limit=1000")
            body = json.dumps(DOC).encode() if ok else b"{}"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_status_table_and_json(endpoint, tmp_path):
    r = run("status", "--endpoint", endpoint)
    assert r.returncode == 0, r.stderr
    assert "orders-worker" in r.stdout and "drifted" in r.stdout and "maxRetryAttempts: 2 -> 1" in r.stdout
    r = run("status", "--endpoint", endpoint, "-o", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == DOC
    port = endpoint.rsplit(":", 1)[1]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"listen: 127.0.0.1:{port}\naccounts: [{{name: a, provider: aws, region: us-east-1}}]\n")
    r = run("status", "--config", str(cfg))
    assert r.returncode == 0 and "orders-worker" in r.stdout, r.stderr


def test_status_unreachable():
    r = run("status", "--endpoint", "http://127.0.0.1:1")
    assert r.returncode == 1 and "cannot reach the daemon at http://127.0.0.1:1/status" in r.stderr
