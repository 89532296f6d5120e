"""The admin's HTTP side as a server: bounded concurrency, timeouts of stalled clients, prompt stop, the mount seam
for other apps, IPv6, and ``Range`` reads of task logs.

Real HTTP on loopback: raw sockets for slow and half-sent requests, urllib for the rest.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from flyteplane.admin import AdminServer
from flyteplane.admin import http as admin_http
from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.http import HttpServer, UrlSigner
from flyteplane.admin.s3_sigv4 import Credential


def _server(host: str = "127.0.0.1", **kwargs: Any) -> HttpServer:
    """An HTTP side of its own (temporary blobs and logs, an S3 endpoint), not started."""
    blobs = BlobStore(None, prefix="s3://my-s3-bucket")
    return HttpServer(
        blobs, UrlSigner(b"k" * 32), LogStore(None), host, 0, s3_credential=Credential("minio", "secret"), **kwargs
    )


@pytest.fixture
def small() -> Iterator[HttpServer]:
    """A server that serves at most 3 connections at once."""
    server = _server(max_connections=3).start()
    yield server
    server.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Message]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def _exchange(port: int, data: bytes, host: str = "127.0.0.1") -> bytes:
    """Send ``data`` on a new connection, half-close it, and read the whole answer."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_more_clients_than_the_limit_get_503_and_the_server_keeps_serving(small: HttpServer) -> None:
    slow = []
    try:
        for _ in range(3):  # slow clients: a request head that never ends
            sock = socket.create_connection(("127.0.0.1", small.port), timeout=10)
            sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: a\r\n")
            slow.append(sock)
        time.sleep(0.2)
        answer = _exchange(small.port, b"GET /healthcheck HTTP/1.1\r\nHost: a\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"connection: close" in answer.lower()
    finally:
        for sock in slow:
            sock.close()
    deadline = time.monotonic() + 5
    while True:  # the server notices the slow clients are gone
        answer = _exchange(small.port, b"GET /healthcheck HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        if answer.startswith(b"HTTP/1.1 200 ") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert answer.startswith(b"HTTP/1.1 200 "), answer


def test_a_client_that_never_finishes_its_request_head_is_closed(
    small: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_http, "HEAD_TIMEOUT", 0.5)
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as sock:
        sock.sendall(b"GET /healthcheck HTTP/1.1\r\n")
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server, without an answer
        assert time.monotonic() - started < 5
    # A keep-alive connection is not cut while its request is served, nor between two requests sent in time.
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: a\r\n\r\n")
            assert sock.recv(1000).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.3)


def test_stop_is_prompt_with_connections_open() -> None:
    server = _server().start()
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    uploading = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        uploading.sendall(b"PUT /data/x?expires=1&sig=00 HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\nab")
        time.sleep(0.2)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
    finally:
        idle.close()
        uploading.close()


def test_mounted_apps_are_served_beside_the_admins_routes() -> None:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"hello {request.path_params['name']} at {request.url.path}")

    async def login(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("login page")

    mounts = [Mount("/api/v1", routes=[Route("/hello/{name}", hello)]), Route("/login", login)]
    server = _server(mounts=mounts).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert _get(f"{base}/api/v1/hello/ada")[:2] == (200, b"hello ada at /api/v1/hello/ada")
        assert _get(f"{base}/login")[:2] == (200, b"login page")
        assert _get(f"{base}/api/v1/nothing")[0] == 404
        assert _get(f"{base}/healthcheck")[:2] == (200, b"")
        assert _get(f"{base}/my-s3-bucket/k")[0] == 403  # the S3 endpoint still has its paths: unsigned is refused
        # Mounted routes get the same request checks as the admin's own.
        answer = _exchange(server.port, b"GET /api/v1/hello/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 "), answer
    finally:
        server.stop()


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_ipv6_and_a_taken_port() -> None:
    if not _has_ipv6_loopback():
        pytest.fail("this machine has no IPv6 loopback (::1) to test the IPv6 listener on")
    server = _server(host="::1").start()
    try:
        assert _exchange(server.port, b"GET /healthcheck HTTP/1.1\r\nHost: a\r\n\r\n", host="::1").startswith(
            b"HTTP/1.1 200 "
        )
        with pytest.raises(OSError, match=r"cannot listen for HTTP on ::1:\d+ \(Address already in use\)"):
            HttpServer(server.blobs, server.signer, server.logs, "::1", server.port).start()
    finally:
        server.stop()


def test_logs_are_read_by_byte_ranges(flyte_admin: AdminServer) -> None:
    assert flyte_admin.context is not None
    logs = flyte_admin.context.logs
    name = logs.name_for("flytesnacks", "development", "ranged", "n0", 0)
    path = logs.path_of(name)
    assert path is not None
    path.write_bytes(b"0123456789")
    url = f"{flyte_admin.http_endpoint}/logs/{name}"

    status, body, headers = _get(url)
    assert (status, body, headers["Accept-Ranges"]) == (200, b"0123456789", "bytes")
    status, body, headers = _get(url, {"Range": "bytes=4-"})
    assert (status, body, headers["Content-Range"]) == (206, b"456789", "bytes 4-9/10")
    status, body, headers = _get(url, {"Range": "bytes=2-4"})
    assert (status, body, headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")
    status, body, headers = _get(url, {"Range": "bytes=-3"})
    assert (status, body, headers["Content-Range"]) == (206, b"789", "bytes 7-9/10")
    # A follower that has everything: nothing new yet (416 tells the size), then what came since.
    status, body, headers = _get(url, {"Range": "bytes=10-"})
    assert (status, headers["Content-Range"]) == (416, "bytes */10")
    with path.open("ab") as f:
        f.write(b"abc")
    status, body, headers = _get(url, {"Range": "bytes=10-"})
    assert (status, body, headers["Content-Range"]) == (206, b"abc", "bytes 10-12/13")
    # What is not one byte range is ignored (RFC 9110 14.2): the whole log.
    for ignored in ("bytes=1-2,4-5", "lines=1-", "bytes=x-"):
        assert _get(url, {"Range": ignored})[:2] == (200, b"0123456789abc"), ignored
    assert _get(url, {"Range": "bytes=5-2"})[0] == 416
    assert _get(f"{flyte_admin.http_endpoint}/logs/nothing-here.log", {"Range": "bytes=0-"})[0] == 404
    assert _get(f"{flyte_admin.http_endpoint}/logs/..%2fadmin.db")[0] == 404
