# SPDX-License-Identifier: MIT
"""The daemon's HTTP endpoint under attack (reconciler/daemon/endpoint.c): request smuggling
by two Content-Length values is refused; slowloris clients and idle connections never keep a
Prometheus scrape out."""

import socket

from daemonlib import fake, make_daemon  # noqa: F401


def raw_request(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return out
            out += chunk


def status_line(answer):
    return answer.split(b"\r\n", 1)[0].decode()


def test_two_different_content_lengths_are_400(fake, make_daemon):
    d = make_daemon().start()
    for lengths in (("0", "5"), ("5", "0"), ("3", "03x")):
        req = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n"
               b"Content-Length: %s\r\nConnection: close\r\n\r\nhello" % tuple(
                   v.encode() for v in lengths))
        assert status_line(raw_request(d.port, req)).startswith("HTTP/1.1 400"), lengths
    # The same value twice is one length (RFC 9110 §8.6 allows merging it); 0 is no body.
    req = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n"
           b"Connection: close\r\n\r\n")
    assert status_line(raw_request(d.port, req)) == "HTTP/1.1 200 OK"
    assert d.stop() == 0
