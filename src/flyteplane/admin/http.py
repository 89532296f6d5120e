"""The admin's HTTP side: one ASGI app (Starlette) served by uvicorn in a thread of its own.

Routes::

    GET  /healthcheck                                     200, empty (as Flyte Admin's)
    PUT  /data/<key>?expires=<unix s>[&content_md5=<b64>]&sig=<hex>   upload one object
    GET  /data/<key>?expires=<unix s>&sig=<hex>           download one object
    GET  /logs/<name>                                     the stdout/stderr of one task attempt (text/plain;
                                                          ``Range: bytes=N-`` for what came after byte N)
    *    /<bucket>[/<key>], /                             the S3 endpoint over the blob store
                                                          (:mod:`flyteplane.admin.s3_gateway`)
    with auth on: /oauth2/*, /.well-known/*, /me          (:mod:`flyteplane.admin.auth.routes`)
    mounts                                                what :class:`HttpServer`'s ``mounts`` add

The routes of the data proxy and the logs are :mod:`flyteplane.admin.data_routes`'. Log links are plain (not
signed): the logs of a local admin are no secret. A name is one flat file name that
:class:`~flyteplane.admin.engine.logs.LogStore` makes; anything else is a 404, so the route never reaches outside
the logs directory.

A signed URL plays the part of an S3 presigned URL. ``sig`` is HMAC-SHA256, under a key only this admin knows,
of ``"<METHOD>\\n<key>\\n<expires>\\n<content_md5>"``; so a URL grants one method on one object until
``expires``, and an upload URL signed for an MD5 accepts only content with that MD5. The signing key is random per
admin when the admin keeps its state in memory, and persisted in ``<state_dir>/dataproxy.key`` (mode 0600)
otherwise, so URLs handed out survive a restart until they expire.

With auth on (``AdminServer(auth=...)``, :mod:`flyteplane.admin.auth`) the auth routes are served too, and
``/logs`` needs a bearer token. ``/data`` does not: a signed URL is itself the credential for its one object and
method, as an S3 presigned URL is. ``/healthcheck`` stays open. With TLS (``AdminServer(tls=...)``) the same routes
are served over HTTPS, and signed URLs are ``https://``.

**Mounts.** Other parts of the admin add their routes through ``HttpServer(mounts=...)``, a sequence of Starlette
routes (``starlette.routing.Mount`` / ``Route``) that :mod:`flyteplane.admin.server` fills: the REST API
(``flyteplane.admin.rest``, ``Mount("/api/v1", ...)`` plus the console's ``/login``, ``/callback``, ``/logout``) and
the web console (``flyteplane.console``, ``Mount("/console", ...)``). They are matched after the health check, the
data proxy, the logs and the auth routes, and before the S3 endpoint (which takes ``/`` and ``/<bucket>``): a mount
must not use those paths. Mounted apps run on the server's event loop: blocking work belongs in a worker thread
(``anyio.to_thread`` / Starlette's ``run_in_threadpool``, whose pool is sized to :data:`MAX_CONNECTIONS`), and
they get the same request hardening as every route (below).

**Requests.** uvicorn parses HTTP/1.1 with h11 (no httptools), which refuses malformed request lines and header
fields, non-digit or conflicting ``Content-Length``, transfer codings other than ``chunked``, a missing or repeated
``Host`` and a head that grows past :data:`~flyteplane.admin.http_io.MAX_HEAD_BYTES` unfinished with 400 and a closed
connection; :class:`flyteplane.admin.http_io.FramingCheck` adds what h11 lets through (``Content-Length`` beside
``Transfer-Encoding``, repeated ``Authorization``/``Content-Type``/``Content-MD5``, an HTTP version other than 1.0
and 1.1, a head that arrived whole but too large). At most ``max_connections`` connections are served at once; one
more is answered 503 and closed. A connection that has not sent a whole request head within :data:`HEAD_TIMEOUT`
seconds is closed, so is one idle for :data:`IDLE_TIMEOUT` between requests; a body that stalls for
:data:`~flyteplane.admin.http_io.BODY_TIMEOUT` ends its request. Bodies stream in pieces (uvicorn reads ahead at
most 64 KiB), downloads stream from the file; nothing holds a whole object.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio.to_thread
import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from uvicorn.protocols.http.h11_impl import H11Protocol

from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.data_routes import DATA_PATH, DataRoutes
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.http_io import MAX_HEAD_BYTES, FramingCheck, not_found
from flyteplane.admin.s3_gateway import S3Gateway
from flyteplane.admin.s3_sigv4 import Credential

if TYPE_CHECKING:
    from flyteplane.admin.auth.routes import AuthRoutes
    from flyteplane.admin.config import AdminConfig

__all__ = ["MAX_CONNECTIONS", "HttpServer", "UrlSigner", "build_app"]

log = logging.getLogger("flyteplane.admin.http")

KEY_FILE = "dataproxy.key"
MAX_CONNECTIONS = 256
"""Connections served at once by default; fast-register uploads, s3fs's connection pools (10 per task process)
and the console together stay well below it."""
HEAD_TIMEOUT = 60.0  # a connection must send its request head within this long (slowloris)
IDLE_TIMEOUT = 30  # a keep-alive connection idle this long between requests is closed
_STOP_GRACE = 1  # seconds in-flight requests get when the server stops


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


def build_app(
    blobs: BlobStore,
    signer: UrlSigner,
    logs: LogStore,
    *,
    auth: AuthRoutes | None = None,
    s3: S3Gateway | None = None,
    mounts: Sequence[BaseRoute] = (),
) -> FramingCheck:
    """The admin's HTTP side as one ASGI app (the routes are listed in the module docstring).

    Args:
        blobs: the admin's blob store (shared with the data proxy manager, which signs URLs to it).
        signer: checks the signed URLs the data proxy manager hands out.
        logs: the task logs the engine writes.
        auth: serve the auth routes and require bearer tokens on ``/logs``.
        s3: serve this S3 endpoint; None: none.
        mounts: more routes (the REST API, the console), matched before the S3 endpoint.
    """
    routes: list[BaseRoute] = DataRoutes(blobs, signer, logs, auth).routes()
    if auth is not None:
        routes.extend(auth.routes())
    routes.extend(mounts)
    if s3 is not None:
        routes.append(s3.route())
    # A path no route has: 404; a method a route's path does not take: 405 (Starlette's answers, in plain text).
    return FramingCheck(Starlette(routes=routes, exception_handlers={404: not_found}))


class HttpServer:
    """The HTTP side of one admin: :func:`build_app`'s app on uvicorn, in a daemon thread with its own event loop.

    Args:
        blobs: the admin's blob store (shared with the data proxy manager, which signs URLs to it).
        signer: checks the signed URLs the data proxy manager hands out.
        logs: the task logs the engine writes.
        host: the interface to listen on (an IPv6 address listens on IPv6).
        port: the port (0: a free one; :attr:`port` tells which after :meth:`start`).
        ssl_context: serve HTTPS with this server-side context (see :mod:`flyteplane.admin.tls`); None: HTTP.
        auth: serve the auth routes and require bearer tokens (see :mod:`flyteplane.admin.auth.routes`).
        s3_credential: serve the S3 endpoint (:mod:`flyteplane.admin.s3_gateway`) for the blob store's bucket,
            to requests signed with this credential; None: no S3 endpoint.
        mounts: more routes for the same app (see "Mounts" in the module docstring).
        max_connections: connections served at once; more are answered 503.
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
        mounts: Sequence[BaseRoute] = (),
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.auth = auth
        self.s3 = S3Gateway(blobs, s3_credential) if s3_credential is not None else None
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.blobs = blobs
        self.signer = signer
        self.logs = logs
        self.max_connections = max_connections
        self.app = build_app(blobs, signer, logs, auth=auth, s3=self.s3, mounts=mounts)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HttpServer:
        """Bind and serve; returns once the socket accepts connections."""
        if self._server is not None:
            return self
        sock = self._bind()
        self.port = sock.getsockname()[1]
        context = self.ssl_context
        config = uvicorn.Config(
            self.app,
            http=_Protocol,
            lifespan="off",
            log_config=None,  # the admin's logging stays as the admin set it up
            access_log=False,
            proxy_headers=False,  # no proxy in front: X-Forwarded-* are a client's claims
            server_header=False,
            limit_concurrency=self.max_connections,
            backlog=128,
            timeout_keep_alive=IDLE_TIMEOUT,
            timeout_graceful_shutdown=_STOP_GRACE,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            ssl_context_factory=(lambda _config, _default: context) if context is not None else None,
        )
        server = uvicorn.Server(config)
        failed: list[BaseException] = []

        async def serve() -> None:
            # Blocking route code runs in worker threads: as many as there may be requests.
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.max_connections
            await server.serve(sockets=[sock])

        def run() -> None:
            try:
                asyncio.run(serve())  # not the main thread: uvicorn installs no signal handlers
            except BaseException as e:  # reported by start() if it happens before serving
                failed.append(e)
                log.exception("the admin's HTTP server failed")
            finally:
                sock.close()

        self._server = server
        self._thread = threading.Thread(target=run, name=f"admin-http-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if failed or not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise OSError(f"the HTTP server on {self.host}:{self.port} did not start") from (
                    failed[0] if failed else None
                )
            time.sleep(0.01)
        return self

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)  # many fast-register uploads may arrive together
        except OSError as e:
            sock.close()
            raise OSError(f"cannot listen for HTTP on {self.host}:{self.port} ({e.strerror or e})") from e
        return sock

    def stop(self) -> None:
        """Stop serving (in-flight requests get a second), and delete the blobs if they were temporary."""
        server, self._server = self._server, None
        if server is not None:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_STOP_GRACE + 5)
            self._thread = None
        self.blobs.close()
        self.logs.close()


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol, which also closes a connection that does not send its request head in time (uvicorn
    times out only idle keep-alive connections)."""

    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm_head_deadline()  # a request is being served
        else:
            self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm_head_deadline()  # uvicorn's keep-alive timeout covers the idle time until the next request

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            log.debug("closing an HTTP connection that sent no request head in %s s", HEAD_TIMEOUT)
            self.transport.close()
