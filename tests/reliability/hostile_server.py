# SPDX-License-Identifier: MIT
"""A small hostile HTTP server for test_hostile_cloud.py: it listens on 127.0.0.1 port 0, logs
the method and path of every request it receives, and answers each with one of the hostile
behaviours of ANSWERS (raw bytes on the socket, so that it can break HTTP itself)."""

import gzip
import socket
import socketserver
import threading
import time
import zlib

MB = 1024 * 1024


def head(status, headers=(), reason="OK"):
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def full(status, body, ctype="application/json", extra=(), reason="OK"):
    body = body if isinstance(body, bytes) else body.encode()
    return head(status, [("Content-Type", ctype), ("Content-Length", len(body)), *extra],
                reason) + body


def send_enormous(sock, chunked):
    """100 MB of a JSON string, announced (Content-Length) or chunked; stops when the client
    gives up."""
    total = 100 * MB
    block = b"a" * (256 * 1024)
    if chunked:
        sock.sendall(head(200, [("Content-Type", "application/json"),
                                ("Transfer-Encoding", "chunked")]))
    else:
        sock.sendall(head(200, [("Content-Type", "application/json"),
                                ("Content-Length", total + 2)]))
    prefix = b'{"MaximumRetryAttempts": "'
    sock.sendall(prefix if not chunked else b"%x\r\n%s\r\n" % (len(prefix), prefix))
    sent = 0
    while sent < total:
        data = block if not chunked else b"%x\r\n%s\r\n" % (len(block), block)
        sock.sendall(data)
        sent += len(block)


def send_drip(sock, headers_too):
    """One byte at a time, every 0.5 s, for ever (the client must time out)."""
    data = (head(200, [("Content-Type", "application/json"), ("Content-Length", 100000)])
            + b'{"MaximumRetryAttempts": 1' + b" " * 100000)
    start = 0 if headers_too else len(head(200, [("Content-Type", "application/json"),
                                                 ("Content-Length", 100000)]))
    if start:
        sock.sendall(data[:start])
    for i in range(start, len(data)):
        sock.sendall(data[i:i + 1])
        time.sleep(0.5)


def gzip_bomb():
    """256 MiB of zeros, gzip-compressed to about 256 KB, built once (make_bombs())."""
    if not hasattr(gzip_bomb, "data"):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = bytes(16 * MB)
        gzip_bomb.data = b"".join(c.compress(chunk) for _ in range(16)) + c.flush()
    return gzip_bomb.data


def nested_gzip():
    if not hasattr(nested_gzip, "data"):
        nested_gzip.data = gzip.compress(gzip.compress(b'{"MaximumRetryAttempts": 1}'
                                                       + bytes(8 * MB)))
    return nested_gzip.data


def make_bombs():
    """Builds the compressed answers before the clock of a test starts."""
    gzip_bomb()
    nested_gzip()


ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"

# name → (what the client must conclude, a function(sock) that answers one request)
ANSWERS = {
    "malformed-json": lambda s: s.sendall(full(200, '{"MaximumRetryAttempts": 1,')),
    "json-array": lambda s: s.sendall(full(200, "[1, 2, 3]")),
    "json-string": lambda s: s.sendall(full(200, '"MaximumRetryAttempts"')),
    "empty-200": lambda s: s.sendall(full(200, b"")),
    "nul-bytes": lambda s: s.sendall(full(200, b'{"MaximumRetryAttempts"\0: 1}')),
    "deep-json": lambda s: s.sendall(full(200, "[" * 100000 + "]" * 100000)),
    "html-200": lambda s: s.sendall(full(200, "<html><body>Welcome to nginx!</body></html>",
                                         "text/html")),
    "html-502": lambda s: s.sendall(full(502, "<html><body>Bad Gateway</body></html>",
                                         "text/html", reason="Bad Gateway")),
    "wrong-types": lambda s: s.sendall(full(200, '{"MaximumRetryAttempts": "two", '
                                                 '"MaximumEventAgeInSeconds": [60]}')),
    "wrong-type-destination": lambda s: s.sendall(full(
        200, '{"MaximumRetryAttempts": 1, "DestinationConfig": {"OnFailure": {"Destination": 7}}}')),
    "number-overflow": lambda s: s.sendall(full(200, '{"MaximumRetryAttempts": 1e400}')),
    "huge-integer": lambda s: s.sendall(full(200, '{"MaximumRetryAttempts": 99999999999999999999999}')),
    "error-without-fields": lambda s: s.sendall(full(400, "{}", reason="Bad Request")),
    "404-without-type": lambda s: s.sendall(full(404, '{"message": "no such thing"}',
                                                 reason="Not Found")),
    "404-html": lambda s: s.sendall(full(404, "<h1>Not Found</h1>", "text/html",
                                         reason="Not Found")),
    "redirect-302": None,  # set by the test: Location on another server
    "redirect-307-https": None,
    "chunked-garbage": lambda s: s.sendall(head(200, [("Content-Type", "application/json"),
                                                      ("Transfer-Encoding", "chunked")])
                                           + b"zz\r\n{}\r\n-5\r\n"),
    "chunked-truncated": lambda s: s.sendall(head(200, [("Transfer-Encoding", "chunked")])
                                             + b"ffffff\r\n{\"Max"),
    "content-length-lie": lambda s: s.sendall(head(200, [("Content-Length", 1000)])
                                              + b'{"MaximumRetryAttempts": 1}'),
    "two-content-lengths": lambda s: s.sendall(head(200, [("Content-Length", 27),
                                                          ("Content-Length", 5)])
                                               + b'{"MaximumRetryAttempts": 1}'),
    "gzip-bomb": lambda s: s.sendall(full(200, gzip_bomb(), extra=[("Content-Encoding", "gzip")])),
    "nested-gzip": lambda s: s.sendall(full(200, nested_gzip(),
                                            extra=[("Content-Encoding", "gzip, gzip")])),
    "enormous": lambda s: send_enormous(s, chunked=False),
    "enormous-chunked": lambda s: send_enormous(s, chunked=True),
    "header-bomb": lambda s: s.sendall(head(200, [(f"X-H{i}", "v" * 100) for i in range(100000)])),
    "garbage-status": lambda s: s.sendall(b"HELLO THERE\r\n\r\n{}"),
    "status-999": lambda s: s.sendall(full(999, '{"MaximumRetryAttempts": 1}', reason="What")),
    "reset": lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0"),
    "close-silently": lambda s: None,
    "drip-body": lambda s: send_drip(s, headers_too=False),
    "drip-headers": lambda s: send_drip(s, headers_too=True),
}


class HostileServer:
    """Answers every request with ANSWERS[case]; self.log holds (method, path, headers)."""

    def __init__(self, case, answer=None):
        self.case = case
        self.answer = answer or ANSWERS[case]
        self.log = []
        self.lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                sock = self.request
                sock.settimeout(120)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 1 * MB:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    first, _, rest = data.partition(b"\r\n")
                    parts = first.decode(errors="replace").split()
                    with outer.lock:
                        outer.log.append((parts[0] if parts else "?", parts[1] if len(parts) > 1
                                          else "?", rest.split(b"\r\n\r\n")[0].decode(errors="replace")))
                    outer.answer(sock)
                except OSError:
                    pass  # the client gave up: what a hostile server expects

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def methods(self):
        with self.lock:
            return [m for m, _, _ in self.log]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
