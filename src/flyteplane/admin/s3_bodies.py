"""The request bodies of the S3 endpoint (:mod:`flyteplane.admin.s3_gateway`): their length, the digests and
checksums they must match (``Content-MD5``, the signed ``x-amz-content-sha256``, ``x-amz-checksum-*`` headers or
trailers), and botocore's ``aws-chunked`` encoding. A body is a stream read in pieces by the blob store, which runs
the checks before it commits the object, so a body that fails one is never stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable
from typing import Any

from flyteplane.admin.blobs import BlobError, Hasher, IncompleteBody, Readable
from flyteplane.admin.s3_sigv4 import STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, Headers

__all__ = ["CHECKSUM_HEADERS", "AwsChunkedReader", "Body", "BodyError", "Crc32", "fail", "request_body"]

_CHUNK = 1024 * 1024
_CHUNK_LINE_LIMIT = 4096


def request_body(headers: Headers, reader: Readable, payload_hash: str) -> Body:
    """The body of a request with ``headers``, read from ``reader``: a stream with its announced length and the
    checks it must pass (``payload_hash``: the signed ``x-amz-content-sha256``); :class:`BodyError` if the headers
    are wrong."""
    if headers.get("Transfer-Encoding"):
        raise BodyError(411, "MissingContentLength", "send the body with a Content-Length")
    text = headers.get("Content-Length")
    try:
        length = int(text) if text is not None else -1
    except ValueError:
        length = -1
    if length < 0:
        raise BodyError(411, "MissingContentLength", "send the body with a Content-Length")
    body = Body(reader, length)
    md5_header = headers.get("Content-MD5")
    if md5_header is not None:
        try:
            body.md5 = base64.b64decode(md5_header.strip(), validate=True)
        except (binascii.Error, ValueError):
            body.md5 = b""
        if len(body.md5) != 16:
            raise BodyError(400, "InvalidDigest", "the Content-MD5 you specified is not valid")
    if payload_hash == STREAMING_UNSIGNED_TRAILER:
        if "aws-chunked" not in (headers.get("Content-Encoding") or ""):
            raise BodyError(400, "InvalidArgument", f"{STREAMING_UNSIGNED_TRAILER} needs Content-Encoding aws-chunked")
        try:
            decoded = int(headers.get("x-amz-decoded-content-length") or "")
        except ValueError:
            raise BodyError(
                411, "MissingContentLength", "aws-chunked bodies need x-amz-decoded-content-length"
            ) from None
        trailer = (headers.get("x-amz-trailer") or "").strip().lower()
        chunked = AwsChunkedReader(reader, length, trailer)
        body.reader, body.length = chunked, decoded
        body.trailers = chunked.trailers
        body.checks.append(chunked.finish)  # the last chunk and the trailers come after the decoded length
        if trailer:
            body.expect_checksum(trailer, None)
    elif "aws-chunked" in (headers.get("Content-Encoding") or ""):
        raise BodyError(400, "InvalidArgument", f"aws-chunked bodies are signed as {STREAMING_UNSIGNED_TRAILER}")
    elif payload_hash != UNSIGNED_PAYLOAD:
        sha = hashlib.sha256()
        body.digests.append(sha)
        body.checks.append(
            lambda: (
                None
                if sha.hexdigest() == payload_hash
                else fail(400, "XAmzContentSHA256Mismatch", "the body's SHA-256 is not the x-amz-content-sha256 one")
            )
        )
    for name in CHECKSUM_HEADERS:
        value = headers.get(name)
        if value is not None:
            body.expect_checksum(name, value.strip())
    for name in ("x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme"):
        if headers.get(name) is not None or (headers.get("x-amz-trailer") or "").strip().lower() == name:
            raise BodyError(400, "InvalidRequest", f"{name} is not supported; use CRC32, SHA1 or SHA256 checksums")
    return body


class BodyError(BlobError):
    """A request body (or its headers) S3 refuses: HTTP ``status``, S3 ``code``, a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def fail(status: int, code: str, message: str) -> None:
    """Raise :class:`BodyError` (for the checks run while and after a body is stored)."""
    raise BodyError(status, code, message)


CHECKSUM_HEADERS = ("x-amz-checksum-crc32", "x-amz-checksum-sha1", "x-amz-checksum-sha256")


class Crc32:
    """CRC32 with hashlib's ``update``/``digest`` (what ``x-amz-checksum-crc32`` carries, big-endian)."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes, /) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


class Body:
    """A request body: its stream and length, and the digests and checks the store runs over it."""

    def __init__(self, reader: Readable, length: int) -> None:
        self.reader: Readable = reader
        self.length = length
        self.md5: bytes | None = None
        self.digests: list[Hasher] = []
        self.checks: list[Callable[[], None]] = []
        self.checksum_headers: dict[str, str] = {}
        self.trailers: dict[str, str] = {}

    def expect_checksum(self, header: str, value: str | None) -> None:
        """Check the body against an ``x-amz-checksum-*`` value (None: the one the trailer will carry)."""
        hasher: Crc32 | Any = Crc32() if header.endswith("crc32") else hashlib.new(header.rsplit("-", 1)[1])
        self.digests.append(hasher)

        def check() -> None:
            expected = value if value is not None else self.trailers.get(header)
            actual = base64.b64encode(hasher.digest()).decode()
            if expected is None:
                fail(400, "InvalidRequest", f"the announced {header} trailer is missing")
            if expected != actual:
                fail(400, "BadDigest", f"the body's {header} is not the announced one")
            self.checksum_headers[header] = actual

        self.checks.append(check)

    def check(self) -> None:
        for check in self.checks:
            check()

    def read_all(self) -> bytes:
        buf = bytearray()
        remaining = self.length
        while remaining > 0:
            chunk = self.reader.read(min(_CHUNK, remaining))
            if not chunk:
                raise IncompleteBody(f"the body ended {remaining} bytes early")
            buf += chunk
            remaining -= len(chunk)
        for d in self.digests:
            d.update(bytes(buf))
        self.check()
        return bytes(buf)


class AwsChunkedReader:
    """Decodes an ``aws-chunked`` body (``<hex size>\\r\\n<data>\\r\\n`` ... ``0\\r\\n<trailers>\\r\\n``), as
    botocore sends over TLS with ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``; reads at most ``length`` raw bytes."""

    def __init__(self, raw: Readable, length: int, trailer: str) -> None:
        self._raw = raw
        self._left = length  # raw bytes not read yet
        self._chunk_left = 0
        self._done = False
        self._trailer = trailer
        self.trailers: dict[str, str] = {}

    def _line(self) -> bytes:
        line = bytearray()
        while not line.endswith(b"\r\n"):
            if len(line) > _CHUNK_LINE_LIMIT or self._left <= 0:
                fail(400, "IncompleteBody", "a chunk header of the aws-chunked body is malformed")
            b = self._raw.read(1)
            if not b:
                fail(400, "IncompleteBody", "the aws-chunked body ended early")
            self._left -= 1
            line += b
        return bytes(line[:-2])

    def read(self, size: int = -1, /) -> bytes:
        if self._done:
            return b""
        if self._chunk_left == 0:
            header = self._line().split(b";", 1)[0]
            try:
                self._chunk_left = int(header, 16)
            except ValueError:
                fail(400, "IncompleteBody", "a chunk size of the aws-chunked body is not hexadecimal")
            if self._chunk_left == 0:
                self._read_trailers()
                return b""
        want = self._chunk_left if size < 0 else min(size, self._chunk_left)
        data = self._raw.read(min(want, self._left))
        if not data:
            fail(400, "IncompleteBody", "the aws-chunked body ended early")
        self._left -= len(data)
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and self._line() != b"":
            fail(400, "IncompleteBody", "a chunk of the aws-chunked body is longer than announced")
        return data

    def finish(self) -> None:
        """Read the rest of the body: nothing more than the closing chunk and its trailers may be left."""
        if not self._done and self.read(1):
            fail(400, "IncompleteBody", "the aws-chunked body is longer than x-amz-decoded-content-length")

    def _read_trailers(self) -> None:
        while (line := self._line()) != b"":
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or len(self.trailers) > 8:
                fail(400, "IncompleteBody", "a trailer of the aws-chunked body is malformed")
            self.trailers[name.strip().lower()] = value.strip()
        if self._left != 0:
            fail(400, "IncompleteBody", "the aws-chunked body has bytes after its trailers")
        self._done = True
