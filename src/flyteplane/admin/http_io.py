"""What the admin's HTTP routes share on top of Starlette: a request seen from a worker thread, plain answers,
streamed files, and the framing checks h11 leaves to the application.

The route logic (the data proxy, the task logs, the S3 endpoint, the auth pages) is blocking code: it reads and
writes the blob store's files. It runs in a worker thread (:func:`blocking`), sees its request as an
:class:`HttpCall` whose :attr:`~HttpCall.body` is a blocking stream over the ASGI ``receive`` channel (so a body is
read in the pieces the server hands over, never whole), and returns a Starlette response.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any

import anyio
import anyio.from_thread
import anyio.to_thread
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BODY_TIMEOUT",
    "CHUNK",
    "DRAIN_LIMIT",
    "MAX_HEAD_BYTES",
    "FileStream",
    "FramingCheck",
    "HttpCall",
    "RequestBody",
    "RequestHeaders",
    "blocking",
    "declared_length",
    "text_response",
]

CHUNK = 256 * 1024  # what a streamed file is sent in: a few of these per reader in memory, never a whole file
BODY_TIMEOUT = 120.0  # a client that stalls mid-body (or stops reading an answer) frees its slot after this long
# A refusal answered before the body was read: the server discards what the client still sends (so a client that
# sends the whole body before reading the answer, as requests does, sees the answer and not a reset), up to this
# much; a longer or unsized body closes the connection instead.
DRAIN_LIMIT = 64 * 1024 * 1024
MAX_HEAD_BYTES = 64 * 1024
"""The most a request line or the request headers may take (Python's http.server allowed 64 KiB a line)."""
_DIGITS = re.compile(r"[0-9]{1,18}")  # more than 18 digits is more than any disk holds
_SINGLE_HEADERS = {b"host": "Host", b"content-type": "Content-Type", b"content-md5": "Content-MD5",
                   b"authorization": "Authorization"}  # fmt: skip


class RequestHeaders(Headers):
    """A request's headers (case-insensitive), with ``email.message.Message``'s ``get_all`` as well."""

    def get_all(self, key: str) -> list[str] | None:
        """Every value of ``key`` in order, or None if there is none (as ``Message.get_all``)."""
        return self.getlist(key) or None


class RequestBody:
    """A request body as a blocking binary stream, for code in a worker thread started by :func:`blocking`.

    Each read takes the next piece from the ASGI ``receive`` channel on the event loop; a client that sends nothing
    for :data:`BODY_TIMEOUT` seconds raises :class:`TimeoutError`, one that hung up :class:`ConnectionError`.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._buffer = memoryview(b"")
        self._more = True
        self.count = 0
        """How many body bytes were read so far."""

    async def _next(self) -> Message:
        with anyio.fail_after(BODY_TIMEOUT):
            return await self._receive()

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes (all that is left if negative); ``b""`` at the end of the body."""
        while not self._buffer and self._more:
            message = anyio.from_thread.run(self._next)
            if message["type"] == "http.disconnect":
                raise ConnectionError("the client went away before sending the whole body")
            self._buffer = memoryview(message.get("body", b""))
            self._more = bool(message.get("more_body", False))
        if size < 0:
            parts = [bytes(self._buffer)]
            self._buffer = memoryview(b"")
            while chunk := self.read(CHUNK):
                parts.append(chunk)
            data = b"".join(parts)
        else:
            data = bytes(self._buffer[:size])
            self._buffer = self._buffer[size:]
        self.count += len(data)
        return data

    def read_exactly(self, size: int) -> bytes:
        """``size`` bytes; :class:`ConnectionError` if the body ends before."""
        parts = []
        while size > 0:
            chunk = self.read(size)
            if not chunk:
                raise ConnectionError("the body ended before its announced length")
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)


@dataclass
class HttpCall:
    """One request as the blocking route code sees it."""

    method: str
    raw_path: str
    """The path as sent (still %-encoded), without the query."""
    raw_query: str
    headers: RequestHeaders
    body: RequestBody
    scheme: str
    """``http`` or ``https``."""

    @classmethod
    def of(cls, request: Request) -> HttpCall:
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode()
        return cls(
            method=request.method,
            raw_path=raw_path.decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=RequestHeaders(scope=scope),
            body=RequestBody(request.receive),
            scheme=scope.get("scheme", "http"),
        )

    @property
    def target(self) -> str:
        """The request target as sent: the raw path and query."""
        return f"{self.raw_path}?{self.raw_query}" if self.raw_query else self.raw_path


def declared_length(headers: Headers) -> int | None:
    """The ``Content-Length`` (the server checked it is digits), or None."""
    text = headers.get("content-length")
    return int(text) if text is not None else None


def blocking(handler: Callable[[HttpCall], Response]) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running ``handler`` (blocking code) in a worker thread."""

    async def endpoint(request: Request) -> Response:
        return await anyio.to_thread.run_sync(handler, HttpCall.of(request))

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    return endpoint


def text_response(
    status: int,
    message: str = "",
    *,
    etag: str | None = None,
    close: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """A plain-text answer (``message`` and a newline; empty if no message)."""
    all_headers = dict(headers or {})
    if etag is not None:
        all_headers["ETag"] = f'"{etag}"'
    if close:
        all_headers["Connection"] = "close"
    body = (message + "\n").encode() if message else b""
    return Response(body, status, all_headers, media_type="text/plain; charset=utf-8" if body else None)


class FileStream(Response):
    """An open file's bytes ``[start, start + length)`` streamed in :data:`CHUNK` pieces (read in a worker thread,
    never all in memory); the file is closed when the answer ends, however it ends."""

    def __init__(
        self, file: IO[bytes], start: int, length: int, status: int, headers: dict[str, str], media_type: str
    ) -> None:
        super().__init__(None, status, headers, media_type)
        self.headers["content-length"] = str(length)
        self.file = file
        self.start = start
        self.length = length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            remaining = self.length
            offset = self.start
            while remaining > 0:
                chunk = await anyio.to_thread.run_sync(os.pread, self.file.fileno(), min(CHUNK, remaining), offset)
                if not chunk:
                    # The file shrank: end without completing the answer, so the server closes the connection and
                    # the client sees a short body.
                    return
                remaining -= len(chunk)
                offset += len(chunk)
                # A client that stops reading frees its slot after BODY_TIMEOUT (the server then closes it).
                with anyio.move_on_after(BODY_TIMEOUT) as waited:
                    await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
                if waited.cancelled_caught:
                    return
        finally:
            self.file.close()


class FramingCheck:
    """Refuses (then closes) requests whose framing h11 accepts but the admin will not guess at, and closes the
    connection after an answer given before the body was read when the rest of the body cannot be skipped.

    h11 (uvicorn's HTTP/1.1 parser) already refuses what RFC 9112 section 6 forbids outright: a non-digit or
    conflicting ``Content-Length``, a transfer coding other than ``chunked``, malformed request lines and header
    fields, headers over the size limit. What it lets through and this refuses: ``Content-Length`` beside
    ``Transfer-Encoding`` (RFC 9112 6.3 allows a server to refuse it, and a proxy in front may frame it by the
    other header: request smuggling), a ``Content-Length`` longer than any disk, and headers the admin acts on
    repeated with different values (which one counts would be a guess).

    An answer sent before the whole body came (a refused upload): uvicorn then skips the rest of the body so the
    connection can carry the next request. That is only sound when the client will send the rest: not when it
    asked ``Expect: 100-continue`` (RFC 9110 10.1.1: it may then never send the body), and not worth it for more
    than :data:`DRAIN_LIMIT` bytes or an unsized body. Those answers get ``Connection: close``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _refusal(scope)
        if refusal is not None:
            await text_response(*refusal, close=True)(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = declared_length(headers)
        chunked = headers.get("transfer-encoding") is not None
        waiting = "100-continue" in (headers.get("expect") or "").lower()
        received = 0
        complete = not chunked and not length

        async def counting_receive() -> Message:
            nonlocal received, complete
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = complete or not message.get("more_body", False)
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not complete:
                unread = (length or 0) - received
                if waiting or chunked or unread > DRAIN_LIMIT:
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, counting_receive, closing_send)


def _refusal(scope: Scope) -> tuple[int, str] | None:
    """The status and reason refusing a request before any route sees it, or None."""
    if scope.get("http_version") not in ("1.0", "1.1"):
        return 505, "only HTTP/1.0 and HTTP/1.1 are served"
    # h11 bounds what it buffers of an incomplete head; a head that arrived whole is bounded here.
    target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    if target > MAX_HEAD_BYTES:
        return 414, "the request target is too long"
    if sum(len(name) + len(value) + 4 for name, value in scope["headers"]) > MAX_HEAD_BYTES:
        return 431, "the request headers are too large"
    problem = framing_problem(scope["headers"])
    return (400, problem) if problem is not None else None


def framing_problem(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why a request's headers (lower-case names, as the server gives them) frame it ambiguously, or None."""
    seen: dict[bytes, set[bytes]] = {}
    for name, value in headers:
        seen.setdefault(name, set()).add(value)
    for value in seen.get(b"content-length", ()):
        if not _DIGITS.fullmatch(value.decode("latin-1").strip(" \t")):
            return f"invalid Content-Length {value[:40].decode('latin-1')!r}: it must be a decimal number of bytes"
    if b"content-length" in seen and b"transfer-encoding" in seen:
        return "a request cannot have both Content-Length and Transfer-Encoding"
    for name, title in _SINGLE_HEADERS.items():
        if len(seen.get(name, ())) > 1:
            return f"conflicting {title} headers"
    return None


async def not_found(_request: Any, _exc: Exception) -> Response:
    """The answer to a path no route serves (Starlette's 404 handler)."""
    return text_response(404, "not found")
