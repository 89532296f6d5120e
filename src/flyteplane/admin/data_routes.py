"""The health check, the data proxy's signed ``/data/<key>`` URLs and the ``/logs/<name>`` task logs, as Starlette
routes (the scheme of the signed URLs is :class:`flyteplane.admin.http.UrlSigner`'s).

Answers follow S3's for a presigned URL: 403 for a bad or expired signature, 400 when ``Content-MD5`` is missing,
malformed, not the signed one or not the body's, 404 for a missing object, 200 with an ``ETag`` on success; 500
with the reason when the disk refuses a write (full, read-only), so the client may retry later.

``GET /logs/<name>`` answers the log as it is when asked (a running attempt may still be writing; what it writes
later is for the next request), in pieces. ``Range: bytes=N-`` (or ``bytes=a-b``, ``bytes=-n``) asks for a part:
206 with ``Content-Range``; 416 with ``Content-Range: bytes */<size>`` when the log has nothing from ``N`` on, so a
reader that follows a log (``flyteplane logs -f``, the console) asks for ``bytes=<what it has>-`` again and again.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from flyteplane.admin.blobs import BlobConflict, BlobNotFound, BlobStore, DigestMismatch, IncompleteBody, InvalidKey
from flyteplane.admin.blobs import check_key as _check_key
from flyteplane.admin.engine.logs import LOGS_PATH, LogStore
from flyteplane.admin.http_io import FileStream, HttpCall, blocking, text_response

if TYPE_CHECKING:
    from flyteplane.admin.auth.routes import AuthRoutes
    from flyteplane.admin.http import UrlSigner

__all__ = ["DATA_PATH", "DataRoutes"]

log = logging.getLogger("flyteplane.admin.http")

DATA_PATH = "/data/"
_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


class DataRoutes:
    """The routes over the blob store and the logs of one admin.

    Args:
        blobs: the admin's blob store.
        signer: checks the signed URLs the data proxy manager hands out.
        logs: the task logs the engine writes.
        auth: with auth on, ``/logs`` needs a bearer token (``/data`` does not: a signed URL is itself the
            credential for its one object and method, as an S3 presigned URL is).
    """

    def __init__(self, blobs: BlobStore, signer: UrlSigner, logs: LogStore, auth: AuthRoutes | None = None) -> None:
        self.blobs = blobs
        self.signer = signer
        self.logs = logs
        self.auth = auth

    def routes(self) -> list[BaseRoute]:
        """``/healthcheck``, ``/logs/<name>`` and ``/data/<key>``."""
        return [
            Route("/healthcheck", _healthcheck, methods=["GET"]),
            Route(LOGS_PATH + "{name:path}", blocking(self.get_log), methods=["GET"]),
            Route(DATA_PATH + "{key:path}", blocking(self.get_object), methods=["GET"]),
            Route(DATA_PATH + "{key:path}", blocking(self.put_object), methods=["PUT"]),
        ]

    # -- logs ----------------------------------------------------------------------------------------------
    def get_log(self, call: HttpCall) -> Response:
        if self.auth is not None:
            caller = self.auth.authenticate(call)
            if isinstance(caller, Response):
                return caller
        name = unquote(call.raw_path[len(LOGS_PATH) :], errors="replace")
        path = self.logs.path_of(name)
        try:
            f = open(path, "rb") if path is not None else None  # noqa: SIM115 (FileStream closes it)
        except OSError:
            f = None
        if f is None:
            return text_response(404, "no such log")
        try:
            size = os.fstat(f.fileno()).st_size
            headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
            match = _RANGE.fullmatch((call.headers.get("range") or "").strip())
            if match is None or match[1] == match[2] == "":
                # No Range, or not one byte range: the whole log (RFC 9110 14.2 says to ignore such a header).
                return FileStream(f, 0, size, 200, headers, "text/plain; charset=utf-8")
            span = _span(match[1], match[2], size)
            if span is None:
                f.close()
                headers["Content-Range"] = f"bytes */{size}"
                return text_response(
                    416, f"the log has {size} bytes; ask for bytes=N- with N below that", headers=headers
                )
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return FileStream(f, start, end - start + 1, 206, headers, "text/plain; charset=utf-8")
        except BaseException:
            f.close()
            raise

    # -- signed URLs ---------------------------------------------------------------------------------------
    def get_object(self, call: HttpCall) -> Response:
        key, query, refused = self._target(call)
        if refused is not None:
            return refused
        denied = self.signer.check("GET", key, query)
        if denied is not None:
            return text_response(403, denied)
        try:
            f = self.blobs.open_file(key)
        except BlobNotFound:
            return text_response(404, "the object does not exist")
        try:
            size = os.fstat(f.fileno()).st_size
        except BaseException:
            f.close()
            raise
        return FileStream(f, 0, size, 200, {}, "application/octet-stream")

    def put_object(self, call: HttpCall) -> Response:
        key, query, refused = self._target(call)
        if refused is not None:
            return refused
        denied = self.signer.check("PUT", key, query)
        if denied is not None:
            return self._refuse(call, 403, denied)
        if call.headers.get("transfer-encoding") or call.headers.get("content-length") is None:
            return text_response(411, "send the body with a Content-Length", close=True)
        length = int(call.headers["content-length"])
        expected, refused = self._expected_md5(call, query)
        if refused is not None:
            return refused
        try:
            md5 = self.blobs.put(key, call.body, expected, length=length)
        except DigestMismatch:
            return text_response(400, "BadDigest: the Content-MD5 you specified did not match what was received")
        except (IncompleteBody, ConnectionError, TimeoutError):
            # The client went away or stalled: nobody to answer, and what is left of its body cannot be trusted.
            return text_response(400, "the body ended before its announced length", close=True)
        except BlobConflict as e:
            return text_response(409, str(e))
        except OSError as e:  # the disk's fault (full, read-only): the client may retry later
            log.exception("storing an upload of %s failed", key)
            return text_response(500, f"the admin could not store the object: {e.strerror or e}", close=True)
        return text_response(200, etag=md5.hex())

    def _target(self, call: HttpCall) -> tuple[str, dict[str, list[str]], Response | None]:
        """The object key and query of a ``/data/...`` request, or the answer refusing it."""
        try:
            key = _check_key(unquote(call.raw_path[len(DATA_PATH) :], errors="strict"))
        except (InvalidKey, UnicodeDecodeError):
            return "", {}, self._refuse(call, 400, "invalid object key")
        return key, parse_qs(call.raw_query, keep_blank_values=True), None

    def _expected_md5(self, call: HttpCall, query: dict[str, list[str]]) -> tuple[bytes | None, Response | None]:
        """The MD5 the body must have (None: any), or the 400 refusing the request."""
        values = query.get("content_md5")
        signed = values[0] if values and len(values) == 1 else ""
        header = call.headers.get("content-md5")
        if header is None:
            if signed:
                return None, self._refuse(
                    call, 400, "this URL was signed for a Content-MD5; send it in the Content-MD5 header"
                )
            return None, None
        try:
            digest = base64.b64decode(header.strip(), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 16:
            return None, self._refuse(call, 400, "InvalidDigest: the Content-MD5 you specified is not valid")
        if signed and header.strip() != signed:
            return None, self._refuse(call, 400, "the Content-MD5 header is not the one this URL was signed for")
        return digest, None

    @staticmethod
    def _refuse(call: HttpCall, status: int, message: str) -> Response:
        """An answer given before the body was read (the server skips the body, or closes the connection:
        :class:`~flyteplane.admin.http_io.FramingCheck`)."""
        return text_response(status, message)


async def _healthcheck(_request: object) -> Response:
    return Response(b"", 200)


def _span(first: str, last: str, size: int) -> tuple[int, int] | None:
    """The first and last byte of the range ``bytes=<first>-<last>`` of a file of ``size`` bytes, clipped to it;
    None if the file has nothing in it."""
    if first == "":
        n = int(last)
        return (max(0, size - n), size - 1) if n and size else None
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or end < start:
        return None
    return start, end
