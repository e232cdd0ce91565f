"""uvicorn refuses an oversized body before reading it (real web process, raw sockets).

Django's ASGI handler spooled a 2 GiB POST to disk in full before the 400:
now Content-Length over the limit is refused at once, and a chunked body is
refused as soon as it passes the limit, without waiting for its end.
"""
from __future__ import annotations

import json
import os
import socket
import time

import pytest

from tests.workers.processes import database_url_for_children, start_web

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

JSON_LIMIT, UPLOAD_LIMIT = 64 * 1024, 128 * 1024


@pytest.fixture(scope="module")
def web(django_db_setup, django_db_blocker, tmp_path_factory):
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "OMP_NUM_THREADS": "1",
           "NETWEAVE_MAX_REQUEST_BYTES": str(JSON_LIMIT), "NETWEAVE_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    process, url = start_web(env, tmp_path_factory.mktemp("limits"))
    yield url.rsplit(":", 1)[1]
    process.stop()


def _answer(sock: socket.socket) -> tuple[int, dict]:
    """Read an HTTP response (the server closes the connection after it)."""
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _request(port: str, path: str, headers: dict, body: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock


@pytest.mark.parametrize("content_type, limit", [
    ("application/json", JSON_LIMIT),
    ("multipart/form-data; boundary=x", UPLOAD_LIMIT),
])
def test_it_refuses_a_declared_length_over_the_limit_before_any_body(web, content_type, limit):
    # 2 GiB announced, nothing sent: the answer cannot wait for the body.
    started = time.monotonic()
    with _request(web, "/api/graphs/validate", {"Content-Type": content_type,
                                                "Content-Length": str(2 * 1024 ** 3)}, b"") as sock:
        status, body = _answer(sock)
    assert status == 400 and f"the limit is {limit:,} bytes" in body["detail"]
    assert body["errors"][0]["message"] == f"request body over {limit:,} bytes"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("content_type, limit", [
    ("application/json", JSON_LIMIT),
    ("multipart/form-data; boundary=x", UPLOAD_LIMIT),
])
def test_it_stops_reading_a_chunked_body_past_the_limit(web, content_type, limit):
    # Chunks past the limit and no final chunk: only a server that stops
    # reading at the limit can answer.
    chunk = b"x" * 16384
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(limit // len(chunk) + 2))
    with _request(web, "/api/graphs/validate", {"Content-Type": content_type,
                                                "Transfer-Encoding": "chunked"}, chunks) as sock:
        status, body = _answer(sock)
    assert status == 400 and body["detail"].startswith("The request body is larger; the limit is")


def test_a_body_within_the_limit_still_reaches_the_view(web):
    payload = json.dumps({"document": {"schema": "netweave.graph/1", "nodes": [], "edges": []}}).encode()
    with _request(web, "/api/graphs/validate", {"Content-Type": "application/json",
                                                "Content-Length": str(len(payload)),
                                                "Connection": "close"}, payload) as sock:
        status, body = _answer(sock)
    assert status == 403  # anonymous: authentication comes after the body was accepted
