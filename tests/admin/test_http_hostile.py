"""The admin's HTTP side under hostile input: ambiguous request framing, and large logs read by many at once.

Real HTTP on loopback to an embedded admin: raw sockets for requests no well-behaved client sends, urllib for
the log route.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import tracemalloc
import urllib.request
from urllib.parse import urlsplit

import pytest

from flyteplane.admin import AdminServer

_MB = 1024 * 1024


def _raw(admin: AdminServer, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """(status, whole answer) of one request sent byte for byte as ``head`` + blank line + ``body``."""
    parts = urlsplit(admin.http_endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ("Content-Length: 1_0", b"invalid Content-Length '1_0'"),
        ("Content-Length: +3", b"invalid Content-Length '+3'"),
        ("Content-Length: -0", b"invalid Content-Length '-0'"),
        ("Content-Length: \u0663", b"invalid Content-Length"),  # an Arabic-Indic three, as UTF-8 bytes
        ("Content-Length: 99999999999999999999999", b"invalid Content-Length"),
        ("Content-Length: 3\nContent-Length: 4", b"conflicting Content-Length headers"),
        ("Content-Length: 3\nTransfer-Encoding: chunked", b"both Content-Length and Transfer-Encoding"),
        ("Host: a\nHost: b", b"conflicting Host headers"),
    ],
)
@pytest.mark.parametrize("method", ["GET /healthcheck", "PUT /data/x?expires=1&sig=00", "POST /oauth2/token"])
def test_ambiguous_framing_is_400(flyte_admin: AdminServer, headers: str, problem: bytes, method: str) -> None:
    host = "" if headers.startswith("Host") else "Host: a\n"
    head = f"{method} HTTP/1.1\n{host}{headers}"
    status, answer = _raw(flyte_admin, head.encode("utf-8").decode("latin-1"), b"abcd")
    assert status == 400, answer
    assert problem in answer
    assert b"Connection: close" in answer


def test_a_repeated_equal_content_length_is_fine(flyte_admin: AdminServer) -> None:
    head = "GET /healthcheck HTTP/1.1\nHost: a\nContent-Length: 2\nContent-Length: 2"
    status, answer = _raw(flyte_admin, head, b"ab")
    assert status == 200, answer


def test_large_logs_are_streamed_not_read_whole(flyte_admin: AdminServer) -> None:
    assert flyte_admin.context is not None
    logs = flyte_admin.context.logs
    name = logs.name_for("flytesnacks", "development", "big", "n0", 0)
    path = logs.path_of(name)
    assert path is not None
    block = hashlib.sha256(b"log").hexdigest().encode() * 1024  # 64 KiB
    with path.open("wb") as f:
        for _ in range(640):  # 40 MiB
            f.write(block)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    digests: list[str] = []

    def read() -> None:
        digest = hashlib.sha256()
        with urllib.request.urlopen(f"{flyte_admin.http_endpoint}/logs/{name}", timeout=30) as response:
            assert response.headers["Content-Length"] == str(40 * _MB)
            while chunk := response.read(256 * 1024):
                digest.update(chunk)
        digests.append(digest.hexdigest())

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        readers = [threading.Thread(target=read) for _ in range(4)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digests == [expected] * 4
    # Reading the log whole would hold 40 MiB per reader; streamed, a few chunks in all.
    assert peak < 16 * _MB, f"4 readers of a 40 MiB log made the admin hold {peak / _MB:.0f} MiB"


def test_a_log_being_written_is_served_as_it_was_when_asked(flyte_admin: AdminServer) -> None:
    assert flyte_admin.context is not None
    logs = flyte_admin.context.logs
    name = logs.name_for("flytesnacks", "development", "growing", "n0", 0)
    path = logs.path_of(name)
    assert path is not None
    path.write_bytes(b"first line\n")
    with urllib.request.urlopen(f"{flyte_admin.http_endpoint}/logs/{name}", timeout=10) as response:
        with path.open("ab") as f:
            f.write(b"second line\n")
        assert response.read() == b"first line\n"
