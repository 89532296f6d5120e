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


# What h11 (uvicorn's parser) refuses itself is answered with uvicorn's fixed message; the rest by the admin's
# FramingCheck, which says why.
_H11_REFUSES = b"Invalid HTTP request received."


_FRAMING_CASES = [  # (headers, what the answer says); status 400 unless what it says starts with a status
    ("Content-Length: 1_0", _H11_REFUSES),
    ("Content-Length: +3", _H11_REFUSES),
    ("Content-Length: -0", _H11_REFUSES),
    ("Content-Length: \u0663", _H11_REFUSES),  # an Arabic-Indic three, as UTF-8 bytes
    ("Content-Length: 99999999999999999999999", _H11_REFUSES),
    ("Content-Length: 9999999999999999999", b"invalid Content-Length '9999999999999999999'"),  # h11 takes 20
    ("Content-Length: 3\nContent-Length: 4", _H11_REFUSES),
    ("Content-Length: 3\nTransfer-Encoding: chunked", b"both Content-Length and Transfer-Encoding"),
    ("Transfer-Encoding: gzip", _H11_REFUSES),
    ("Transfer-Encoding: chunked\nTransfer-Encoding: chunked", _H11_REFUSES),
    ("Host: a\nHost: b", _H11_REFUSES),
    ("Authorization: Bearer a\nAuthorization: Bearer b", b"conflicting Authorization headers"),
    ("Content-Type: a\nContent-Type: b", b"conflicting Content-Type headers"),
    ("Content-MD5: a\nContent-MD5: b", b"conflicting Content-MD5 headers"),
    ("X-Long: " + "a" * 70_000, b"431 the request headers are too large"),  # a head over 64 KiB, sent whole
    ("Bad Header: x", _H11_REFUSES),
]


@pytest.mark.parametrize(
    "method",
    [
        "GET /healthcheck",
        "PUT /data/x?expires=1&sig=00",
        "POST /oauth2/token",
        "GET /logs/x.log",
        "PUT /my-s3-bucket/k",  # the S3 endpoint
        "GET /elsewhere",
    ],
)
def test_ambiguous_framing_is_refused_on_every_route_kind(flyte_admin: AdminServer, method: str) -> None:
    for headers, problem in _FRAMING_CASES:
        host = "" if headers.startswith("Host") else "Host: a\n"
        head = f"{method} HTTP/1.1\n{host}{headers}"
        status, answer = _raw(flyte_admin, head.encode("utf-8").decode("latin-1"), b"abcd")
        expected_status, _, message = problem.partition(b" ") if problem[:3].isdigit() else (b"400", b"", problem)
        assert status == int(expected_status), (headers, answer)
        assert message in answer, headers
        assert b"connection: close" in answer.lower(), headers


_BAD_LINES = [("GET /healthcheck HTTP/1.1 extra", 400), ("GET  /healthcheck HTTP/1.1", 400),
     ("G\x01T /healthcheck HTTP/1.1", 400), ("GET /a b HTTP/1.1", 400),
     ("GET /healthcheck HTTP/9.9", 505), ("/healthcheck", 400),
     ("GET /" + "a" * 70_000 + " HTTP/1.1", 414)]  # fmt: skip


def test_bad_request_lines_are_refused(flyte_admin: AdminServer) -> None:
    for line, expected in _BAD_LINES:
        status, answer = _raw(flyte_admin, f"{line}\nHost: a")
        assert status == expected, (line[:40], answer)
        assert b"connection: close" in answer.lower()
    assert _raw(flyte_admin, "GET /healthcheck HTTP/1.1\nHost: a\nConnection: close")[0] == 200  # still serving


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
