"""The admin's HTTP side: the health check, the data proxy's signed URLs and the task logs.

Routes::

    GET  /healthcheck                                     200, empty (as Flyte Admin's)
    PUT  /data/<key>?expires=<unix s>[&content_md5=<b64>]&sig=<hex>   upload one object
    GET  /data/<key>?expires=<unix s>&sig=<hex>           download one object
    GET  /logs/<name>                                     the stdout/stderr of one task attempt (text/plain)
    *    /<bucket>[/<key>], /                             the S3 endpoint over the blob store
                                                          (:mod:`flyteplane.admin.s3_gateway`)

Log links are plain (not signed): the logs of a local admin are no secret. A name is one flat file name that
:class:`~flyteplane.admin.engine.logs.LogStore` makes; anything else is a 404, so the route never reaches outside
the logs directory.

A signed URL plays the part of an S3 presigned URL. ``sig`` is HMAC-SHA256, under a key only this admin knows,
of ``"<METHOD>\\n<key>\\n<expires>\\n<content_md5>"``; so a URL grants one method on one object until
``expires``, and an upload URL signed for an MD5 accepts only content with that MD5. Answers follow S3's:
403 for a bad or expired signature, 400 when ``Content-MD5`` is missing, malformed, not the signed one or not the
body's, 404 for a missing object, 200 with an ``ETag`` on success.

With auth on (``AdminServer(auth=...)``, :mod:`flyteplane.admin.auth`) the auth routes (``/oauth2/*``,
``/.well-known/*``, ``/me``) are served too, and ``/logs`` needs a bearer token. ``/data`` does not: a signed URL is
itself the credential for its one object and method, as an S3 presigned URL is. ``/healthcheck`` stays open.

With TLS (``AdminServer(tls=...)``) the same routes are served over HTTPS, and signed URLs are ``https://``; the TLS
handshake runs in the request's thread, never in the one accepting connections.

The signing key is random per admin when the admin keeps its state in memory, and persisted in
``<state_dir>/dataproxy.key`` (mode 0600) otherwise, so URLs handed out survive a restart until they expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from flyteplane.admin.blobs import BlobConflict, BlobNotFound, BlobStore, DigestMismatch, IncompleteBody, InvalidKey
from flyteplane.admin.blobs import check_key as _check_key
from flyteplane.admin.engine.logs import LOGS_PATH, LogStore
from flyteplane.admin.s3_gateway import S3Gateway
from flyteplane.admin.s3_sigv4 import Credential

if TYPE_CHECKING:
    from flyteplane.admin.auth.routes import AuthRoutes
    from flyteplane.admin.config import AdminConfig

__all__ = ["HttpServer", "UrlSigner"]

log = logging.getLogger("flyteplane.admin.http")

DATA_PATH = "/data/"
KEY_FILE = "dataproxy.key"
# An early refusal of an upload still reads (and drops) up to this much of the body, so that a client that sends
# the whole body before reading the answer (requests does) sees the 403/400 and not a reset connection.
_DRAIN_LIMIT = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_SOCKET_TIMEOUT = 120.0  # a stalled client frees its thread after this long
_HANDSHAKE_TIMEOUT = 30.0  # the same for a client that stalls in the TLS handshake


class UrlSigner:
    """Makes and checks the signed URLs of one admin (see the module docstring for the scheme)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the signing key must have at least 32 bytes")
        self._secret = secret

    @classmethod
    def for_config(cls, config: AdminConfig) -> UrlSigner:
        """The signer of an admin with ``config``: its key persisted under the state directory if there is one,
        so that URLs signed before a restart stay valid."""
        state_dir = config.state_dir
        return cls(_load_or_create_key(Path(state_dir) / KEY_FILE) if state_dir else secrets.token_bytes(32))

    def signature(self, method: str, key: str, expires: int, content_md5: str = "") -> str:
        message = f"{method}\n{key}\n{expires}\n{content_md5}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, base: str, method: str, key: str, expires: int, content_md5: str = "") -> str:
        """A URL under ``base`` (``http://host:port``) granting ``method`` on ``key`` until ``expires``."""
        query = f"expires={expires}"
        if content_md5:
            query += f"&content_md5={quote(content_md5, safe='')}"
        query += f"&sig={self.signature(method, key, expires, content_md5)}"
        return f"{base.rstrip('/')}{DATA_PATH}{quote(key, safe='/=')}?{query}"

    def check(self, method: str, key: str, query: dict[str, list[str]], now: float | None = None) -> str | None:
        """None if the query signs ``method`` on ``key`` and has not expired; else why not (for the 403 body)."""
        expires_text = _single(query, "expires")
        sig = _single(query, "sig")
        content_md5 = _single(query, "content_md5") or ""
        if expires_text is None or sig is None:
            return "the URL is not signed"
        try:
            expires = int(expires_text)
        except ValueError:
            return "the URL is not signed"
        expected = self.signature(method, key, expires, content_md5)
        if not hmac.compare_digest(expected, sig):
            return "the signature does not match"
        if (time.time() if now is None else now) > expires:
            return "the URL has expired"
        return None


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values and len(values) == 1 else None


def _load_or_create_key(path: Path) -> bytes:
    """Read the signing key at ``path``, creating it (mode 0600, contents never logged) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        secret = bytes.fromhex(path.read_text().strip())
        if len(secret) >= 32:
            return secret
        log.warning("the data proxy signing key %s is damaged; making a new one (old URLs stop working)", path)
        path.unlink()
    except FileNotFoundError:
        pass
    except ValueError:
        log.warning("the data proxy signing key %s is damaged; making a new one (old URLs stop working)", path)
        path.unlink()
    secret = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secret.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return secret


class HttpServer:
    """The HTTP side of one admin, serving in a daemon thread.

    Args:
        blobs: the admin's blob store (shared with the data proxy manager, which signs URLs to it).
        signer: checks the signed URLs the data proxy manager hands out.
        logs: the task logs the engine writes.
        host: the interface to listen on.
        port: the port (0: a free one; :attr:`port` tells which after :meth:`start`).
        ssl_context: serve HTTPS with this server-side context (see :mod:`flyteplane.admin.tls`); None: HTTP.
        auth: serve the auth routes and require bearer tokens (see :mod:`flyteplane.admin.auth.routes`).
        s3_credential: serve the S3 endpoint (:mod:`flyteplane.admin.s3_gateway`) for the blob store's bucket,
            to requests signed with this credential; None: no S3 endpoint.
    """

    def __init__(
        self,
        blobs: BlobStore,
        signer: UrlSigner,
        logs: LogStore,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        auth: AuthRoutes | None = None,
        s3_credential: Credential | None = None,
    ) -> None:
        self.auth = auth
        self.s3 = S3Gateway(blobs, s3_credential) if s3_credential is not None else None
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.blobs = blobs
        self.signer = signer
        self.logs = logs
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HttpServer:
        """Bind and serve; returns once the socket accepts connections."""
        if self._server is not None:
            return self
        server_cls = _IPv6Server if ":" in self.host else _Server
        try:
            server = server_cls(
                (self.host, self.port), _make_handler(self.blobs, self.signer, self.logs, self.auth, self.s3)
            )
        except OSError as e:
            raise OSError(f"cannot listen for HTTP on {self.host}:{self.port} ({e.strerror or e})") from e
        server.ssl_context = self.ssl_context
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"admin-http-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, and delete the blobs if they were temporary (the admin keeps no state)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.blobs.close()
        self.logs.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Many fast-register uploads may arrive together; the default backlog of 5 would refuse some.
    request_queue_size = 128
    ssl_context: ssl.SSLContext | None = None

    # With TLS, the accepting thread only wraps the socket; the handshake happens in the request's own thread, so
    # a client that stalls or fails there delays nobody else.
    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            try:
                sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            except OSError:
                sock.close()
                raise
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            request.settimeout(_HANDSHAKE_TIMEOUT)
            try:
                request.do_handshake()
            except (OSError, ValueError) as e:  # wrong CA, no client certificate, plaintext HTTP, a port scan
                log.debug("TLS handshake with %s failed: %s", client_address, e)
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-transfer is routine; anything else is the admin's bug and gets a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("HTTP client %s went away: %r", client_address, exc)
        else:
            log.exception("HTTP request from %s failed", client_address)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


def _make_handler(
    blobs: BlobStore, signer: UrlSigner, logs: LogStore, auth: AuthRoutes | None = None, s3: S3Gateway | None = None
) -> type[BaseHTTPRequestHandler]:
    class Handler(_DataHandler):
        pass

    Handler.blobs = blobs
    Handler.signer = signer
    Handler.logs = logs
    Handler.auth = auth
    Handler.s3 = s3
    return Handler


_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII digits; more than 18 is more than any disk holds
_SINGLE_HEADERS = ("Host", "Content-Type", "Content-MD5", "Authorization")


def _framing_problem(headers: Message) -> str | None:
    """Why a request's headers do not frame it unambiguously (RFC 9112 section 6.3), or None.

    ``Content-Length`` must be ASCII digits only (Python's ``int()`` would also take ``+3``, ``1_0``, ``-0`` and
    non-ASCII digits, which a proxy in front may read differently: request smuggling), given once or repeated
    with the same value, and not beside ``Transfer-Encoding``. Headers the admin acts on must not be repeated with
    different values, since which one counts would be a guess.
    """
    lengths = headers.get_all("Content-Length") or []
    for value in lengths:
        if not _DIGITS.fullmatch(value.strip(" \t")):
            return f"invalid Content-Length {value[:40]!r}: it must be a decimal number of bytes"
    if len({int(v.strip(" \t")) for v in lengths}) > 1:
        return "conflicting Content-Length headers"
    if lengths and headers.get_all("Transfer-Encoding"):
        return "a request cannot have both Content-Length and Transfer-Encoding"
    for name in _SINGLE_HEADERS:
        values = headers.get_all(name) or []
        if len(set(values)) > 1:
            return f"conflicting {name} headers"
    return None


class _DataHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "flyteplane-admin"
    timeout = _SOCKET_TIMEOUT
    blobs: BlobStore
    signer: UrlSigner
    logs: LogStore
    auth: AuthRoutes | None = None
    s3: S3Gateway | None = None

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def parse_request(self) -> bool:
        """The standard parse, then RFC 9112's framing rules, which Python's parser leaves to the application."""
        if not super().parse_request():
            return False
        problem = _framing_problem(self.headers)
        if problem is not None:
            # The body's end is unknown, so nothing after the headers can be trusted: answer and close.
            self.close_connection = True
            self._reply(400, problem)
            return False
        return True

    # -- routing -------------------------------------------------------------------------------------------
    def _s3_request(self) -> bool:
        """Serve the request on the S3 endpoint if it is one of its (True)."""
        path = urlsplit(self.path).path
        if self.s3 is None or path.startswith((DATA_PATH, LOGS_PATH)) or path == "/healthcheck":
            return False
        if not self.s3.owns(self):
            return False
        self.s3.handle(self)
        return True

    def do_HEAD(self) -> None:
        if not self._s3_request():
            self._refuse(404, "not found")

    def do_DELETE(self) -> None:
        if not self._s3_request():
            self._refuse(404, "not found")

    def do_GET(self) -> None:
        if self.auth is not None and self.auth.handle(self):
            return
        if self._s3_request():
            return
        path = urlsplit(self.path).path
        if path == "/healthcheck":
            self._reply(200)
            return
        if path.startswith(LOGS_PATH):
            if self.auth is not None and self.auth.authenticate(self) is None:
                return
            self._send_log(unquote(path[len(LOGS_PATH) :], errors="replace"))
            return
        key, query = self._data_target()
        if key is None:
            return
        denied = self.signer.check("GET", key, query)
        if denied is not None:
            self._reply(403, denied)
            return
        try:
            with self.blobs.open(key) as f:
                self._send_file(f, "application/octet-stream")
        except BlobNotFound:
            self._reply(404, "the object does not exist")

    def do_POST(self) -> None:
        # Only the auth routes take POSTs (the OAuth2 token, device and revocation endpoints, the login forms).
        if self.auth is not None and self.auth.handle(self):
            return
        if self._s3_request():
            return
        self._refuse(404, "not found")

    def do_PUT(self) -> None:
        if self._s3_request():
            return
        key, query = self._data_target()
        if key is None:
            return
        denied = self.signer.check("PUT", key, query)
        if denied is not None:
            self._refuse(403, denied)
            return
        length = self._content_length()
        if length is None:
            return
        ok, expected = self._expected_md5(query)
        if not ok:
            return
        try:
            md5 = self.blobs.put(key, self.rfile, expected, length=length)
        except DigestMismatch:
            self._reply(400, "BadDigest: the Content-MD5 you specified did not match what was received")
            return
        except IncompleteBody:
            self.close_connection = True  # the client went away: nobody to answer
            return
        except BlobConflict as e:
            self._reply(409, str(e))
            return
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            return
        except OSError as e:  # the disk's fault (full, read-only): the client may retry later
            log.exception("storing an upload of %s failed", key)
            self.close_connection = True
            self._reply(500, f"the admin could not store the object: {e.strerror or e}")
            return
        self._reply(200, etag=md5.hex())

    def _send_log(self, name: str) -> None:
        path = self.logs.path_of(name)
        try:
            f = open(path, "rb") if path is not None else None  # noqa: SIM115 (closed below)
        except OSError:
            f = None
        if f is None:
            self._reply(404, "no such log")
            return
        with f:
            # The size when the request came: a running attempt may still be writing, and what it writes later
            # is for the next request. Streamed in chunks, so a reader of a large log costs one chunk of memory.
            self._send_file(f, "text/plain; charset=utf-8")

    def _send_file(self, f: Any, content_type: str) -> None:
        """Answer 200 with the open file ``f`` as it is now, in :data:`_CHUNK` pieces (never all in memory)."""
        size = os.fstat(f.fileno()).st_size
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        # Exactly the announced size, even if the file grew meanwhile.
        remaining = size
        while remaining > 0:
            chunk = f.read(min(_CHUNK, remaining))
            if not chunk:
                break
            self.wfile.write(chunk)
            remaining -= len(chunk)
        if remaining:
            self.close_connection = True  # the file shrank: the client must see a short body

    # -- helpers -------------------------------------------------------------------------------------------
    def _data_target(self) -> tuple[str | None, dict[str, list[str]]]:
        """The object key and query of a ``/data/...`` request; None (after answering) for anything else."""
        parts = urlsplit(self.path)
        if not parts.path.startswith(DATA_PATH):
            self._refuse(404, "not found")
            return None, {}
        try:
            key = _check_key(unquote(parts.path[len(DATA_PATH) :], errors="strict"))
        except (InvalidKey, UnicodeDecodeError):
            self._refuse(400, "invalid object key")
            return None, {}
        return key, parse_qs(parts.query, keep_blank_values=True)

    def _content_length(self) -> int | None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._reply(411, "send the body with a Content-Length")
            return None
        text = self.headers.get("Content-Length")
        try:
            length = int(text) if text is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._reply(411, "send the body with a Content-Length")
            return None
        return length

    def _expected_md5(self, query: dict[str, list[str]]) -> tuple[bool, bytes | None]:
        """(True, the MD5 the body must have or None), or (False, None) after answering 400."""
        signed = _single(query, "content_md5") or ""
        header = self.headers.get("Content-MD5")
        if header is None:
            if signed:
                self._refuse(400, "this URL was signed for a Content-MD5; send it in the Content-MD5 header")
                return False, None
            return True, None
        try:
            digest = base64.b64decode(header.strip(), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 16:
            self._refuse(400, "InvalidDigest: the Content-MD5 you specified is not valid")
            return False, None
        if signed and header.strip() != signed:
            self._refuse(400, "the Content-MD5 header is not the one this URL was signed for")
            return False, None
        return True, digest

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` without acting, after reading (a bounded part of) the request body, if any."""
        text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            remaining = -1
        elif text is None:
            remaining = 0  # no body
        else:
            try:
                remaining = int(text)
            except ValueError:
                remaining = -1
        if 0 <= remaining <= _DRAIN_LIMIT:
            while remaining > 0:
                chunk = self.rfile.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
        else:
            remaining = -1
        if remaining != 0:
            self.close_connection = True  # unread body bytes would be taken for the next request
        self._reply(status, message)

    def _reply(self, status: int, message: str = "", etag: str | None = None) -> None:
        body = (message + "\n").encode() if message else b""
        self.send_response(status)
        if etag is not None:
            self.send_header("ETag", f'"{etag}"')
        if body:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
