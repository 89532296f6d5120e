"""AdminServer: the embedded Flyte Admin, wired together and running in background threads.

    with AdminServer() as admin:                       # in-memory state, free ports
        client = SynchronousFlyteClient(admin.endpoint, insecure=True)

    AdminServer(state_dir="~/.flyteplane/sandbox", port=30080, http_port=30081).start()

The gRPC side serves AdminService, DataProxyService and SignalService as Flyte Admin 1.16 does, plus
``grpc.health.v1.Health`` (service ``flyteadmin``) and server reflection. The HTTP side (:mod:`flyteplane.admin.http`:
uvicorn in a thread of its own) serves the health check, the data proxy's signed URLs, the task logs, the S3
endpoint and Flyte Admin's REST API (``/api/v1``, :mod:`flyteplane.admin.rest`). ``start()`` returns once both are
accepting connections.

Its parts are built and connected in one place, :func:`flyteplane.admin.wiring.build_services`; this module adds only
the ports, TLS, the gRPC and HTTP servers and the order of start and stop.

With ``auth`` (:mod:`flyteplane.admin.auth`) it also serves AuthMetadataService and IdentityService, the OAuth2
routes on the HTTP side, and every call but health, reflection and AuthMetadataService needs a bearer token.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from concurrent import futures
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import grpc

from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.rpc.decoding import SafeDecodingInterceptor
from flyteplane.admin.rpc.dispatch import CallCounter, service_handler
from flyteplane.admin.rpc.wire import allow_deep_messages
from flyteplane.admin.state_dir import StateDirLock, prepare_state_dir, private_file
from flyteplane.admin.store.db import Store
from flyteplane.admin.tls import ServerTls, TlsConfig
from flyteplane.admin.tls import prepare as prepare_tls

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from flyteplane.admin.auth.config import AuthConfig
    from flyteplane.admin.auth.runtime import AdminAuth
    from flyteplane.admin.managers.run_listeners import RunListener
    from flyteplane.admin.rest import RestGateway
    from flyteplane.admin.wiring import AdminServices

__all__ = ["AdminServer", "PortInUse"]

log = logging.getLogger("flyteplane.admin")

GRPC_OPTIONS = (
    # Flyte Admin's clients ping every 30 s; accept that instead of answering GOAWAY "too_many_pings".
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.so_reuseport", 0),
)


def grpc_options(config: AdminConfig) -> tuple[tuple[str, int], ...]:
    """The gRPC server's options for ``config``: :data:`GRPC_OPTIONS` and the message size limits."""
    return (
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        *GRPC_OPTIONS,
    )


class PortInUse(OSError):
    """A port the admin was asked to listen on is taken (``busy`` lists each: ``("gRPC", 30080)``)."""

    def __init__(self, host: str, busy: list[tuple[str, int]]) -> None:
        named = " and ".join(f"{side} port {port}" for side, port in busy)
        super().__init__(
            errno.EADDRINUSE, f"cannot listen on {host}: {named} {'is' if len(busy) == 1 else 'are'} in use"
        )
        self.host = host
        self.busy = busy

    def __str__(self) -> str:
        return str(self.strerror)


class AdminServer:
    """An embedded Flyte Admin.

    Args:
        state_dir: where the SQLite database and the blobs live; ``None`` keeps everything in memory.
        port: the gRPC port (0: a free one).
        http_port: the HTTP port for health checks and signed data URLs (0: a free one).
        host: the interface to listen on.
        config: admin settings (domains, seed projects, ...); the default seeds ``flytesnacks``.
        max_workers: gRPC handler threads.
        tls: serve TLS on both sides (see :mod:`flyteplane.admin.tls`); None: plaintext, as the Flyte sandbox.
        auth: authentication (see :mod:`flyteplane.admin.auth`); None: ``config.auth``, by default none. Once
            started, :attr:`auth` is the admin's :class:`~flyteplane.admin.auth.runtime.AdminAuth` (or None).
        run_listener: told of each execution's start and end (:mod:`flyteplane.admin.managers.run_listeners`).
    """

    def __init__(
        self,
        state_dir: str | Path | None = None,
        port: int = 0,
        http_port: int = 0,
        *,
        host: str = "127.0.0.1",
        config: AdminConfig | None = None,
        max_workers: int = 16,
        tls: TlsConfig | None = None,
        auth: AuthConfig | None = None,
        run_listener: RunListener | None = None,
    ) -> None:
        self._run_listener = run_listener
        self.state_dir = Path(state_dir).expanduser() if state_dir is not None else None
        if config is None:
            config = AdminConfig(seed_projects=("flytesnacks",), state_dir=self.state_dir)
        elif config.state_dir is None and self.state_dir is not None:
            import dataclasses

            config = dataclasses.replace(config, state_dir=self.state_dir)
        if auth is not None:
            import dataclasses

            config = dataclasses.replace(config, auth=auth)
        self.config = config
        self.auth: AdminAuth | None = None
        self.host = host
        self._requested_port = port
        self._requested_http_port = http_port
        self._max_workers = max_workers
        self.calls = CallCounter()
        self._grpc: grpc.Server | None = None
        self._http: object | None = None
        self._store: Store | None = None
        self._lock = threading.Lock()
        self.port = 0
        self.http_port = 0
        self.rest: RestGateway | None = None
        """The REST gateway (``/api/v1``, :mod:`flyteplane.admin.rest`) on the HTTP side, once started."""
        self.services: AdminServices | None = None
        """Every part of the admin (:mod:`flyteplane.admin.wiring`), once started."""
        self.tls = tls
        self._tls: ServerTls | None = None
        self._state_lock: StateDirLock | None = None

    # -- endpoints -----------------------------------------------------------------------------------------
    @property
    def http_base(self) -> str:
        """The HTTP side's base URL (:attr:`http_endpoint`): Flyte Admin's REST API is at ``http_base + "/api/v1"``."""
        return self.http_endpoint

    @property
    def endpoint(self) -> str:
        """``host:port`` of the gRPC side, for a client's ``PlatformConfig.endpoint``."""
        return f"{self._client_host}:{self.port}"

    @property
    def http_endpoint(self) -> str:
        """``http://host:port`` of the HTTP side (``https://`` with TLS)."""
        return f"{'https' if self.tls is not None else 'http'}://{self._client_host}:{self.http_port}"

    @property
    def certificate_path(self) -> Path | None:
        """The PEM certificate the admin serves, for a client's ``ca_cert_file_path``; None without TLS or started."""
        return self._tls.certificate_path if self._tls is not None else None

    @property
    def _client_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> AdminServer:
        """Open the store, apply migrations, seed projects, and start serving. Returns when serving."""
        with self._lock:
            if self._grpc is not None:
                return self
            db_path = None
            # Requests may nest as deep as Flyte Admin allows; each is measured before decoding (rpc/wire.py).
            allow_deep_messages()
            try:
                # Private to this user, and to this one admin process (see flyteplane.admin.state_dir). The lock
                # comes before the ports: "in use by PID n" says more than "port in use". It is on the directory
                # of the blobs, logs and engine files (config.state_dir), the database's when given alone.
                files_dir = Path(self.config.state_dir).expanduser() if self.config.state_dir is not None else None
                for directory in dict.fromkeys(d for d in (files_dir, self.state_dir) if d is not None):
                    prepare_state_dir(directory)
                lock_dir = files_dir or self.state_dir
                if lock_dir is not None:
                    self._state_lock = StateDirLock(lock_dir).acquire()
                if self.state_dir is not None:
                    db_path = self.state_dir / "admin.db"
                    private_file(db_path)
                    for suffix in ("-wal", "-shm"):
                        private_file(db_path.with_name(db_path.name + suffix), create=False)
                self._check_ports()
                self._store = Store(db_path)
                if self.tls is not None:
                    self._tls = prepare_tls(self.tls, self.state_dir, self.host)
                from flyteplane.admin.wiring import build_services

                services = build_services(self.config, self._store, run_listener=self._run_listener)
                self.services = services
                self.auth = services.auth
                self._start_http(services)
                services.start()
                self._start_grpc(services)
                if self._state_lock is not None:
                    self._state_lock.announce(self.endpoint, self.http_endpoint)
            except BaseException:
                self._shutdown(grace=None)
                raise
            log.info("flyteplane admin serving gRPC on %s, HTTP on %s", self.endpoint, self.http_endpoint)
        return self

    @property
    def context(self) -> AdminContext | None:
        """The infrastructure the managers share (store, config, blobs, signer, logs), once started."""
        return self.services.context if self.services is not None else None

    def _check_ports(self) -> None:
        """Both requested ports, checked before anything starts, so a clash names every taken port (not only the
        first one bound) and nothing has run yet (no seeding, no engine start)."""
        busy = [
            (side, port)
            for side, port in (("gRPC", self._requested_port), ("HTTP", self._requested_http_port))
            if port and _port_in_use(self.host, port)
        ]
        if busy:
            raise PortInUse(self.host, busy)

    def _start_http(self, services: AdminServices) -> None:
        from flyteplane.admin.http import HttpServer
        from flyteplane.admin.s3_sigv4 import Credential

        ctx = services.context
        ssl_context = self._tls.ssl_context() if self._tls is not None else None
        auth_routes = self.auth.http_routes() if self.auth is not None else None
        http = HttpServer(
            ctx.blobs,
            ctx.signer,
            ctx.logs,
            self.host,
            self._requested_http_port,
            ssl_context=ssl_context,
            auth=auth_routes,
            s3_credential=Credential(ctx.config.s3_access_key_id, ctx.config.s3_secret_access_key),
            mounts=self._http_mounts(services),
        )
        if auth_routes is not None and self.rest is not None:
            # /me and /logs accept the console's session cookie, as flyteadmin's gateway-served /me does.
            auth_routes.session_token = self.rest.cookies.access_token
        try:
            http.start()
        except OSError as e:
            if isinstance(e.__cause__, OSError) and e.__cause__.errno == errno.EADDRINUSE:
                raise PortInUse(self.host, [("HTTP", self._requested_http_port)]) from None
            raise
        self._http = http
        self.http_port = http.port
        if self.auth is not None:
            self.auth.bind(self.http_endpoint)  # the default issuer: the OAuth2 endpoints live on this side
        services.endpoints.http = self.http_endpoint

    def _http_mounts(self, services: AdminServices) -> list[BaseRoute]:
        """The routes other parts of the admin add to the HTTP side (see "Mounts" in :mod:`flyteplane.admin.http`):
        the REST API (``flyteplane.admin.rest``) and the web console (``flyteplane.console``) go here."""
        from flyteplane.admin.rest import RestGateway
        from flyteplane.console import console_routes

        # Flyte Admin's REST API over the same managers, auth and call counter as the gRPC side; the console is a
        # page over that API on this same origin (its session cookie, its TLS).
        self.rest = RestGateway.for_admin(services, counter=self.calls)
        return [*self.rest.mounts(), *console_routes()]

    def _start_grpc(self, services: AdminServices) -> None:
        from flyteidl.service import admin_pb2, dataproxy_pb2, signal_pb2
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc
        from grpc_reflection.v1alpha import reflection

        # Auth first (it refuses a call before its body is read), then safe decoding for gRPC's own handlers.
        interceptors: list[grpc.ServerInterceptor] = [self.auth.interceptor()] if self.auth is not None else []
        interceptors.append(SafeDecodingInterceptor())
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers),
            options=grpc_options(self.config),
            interceptors=interceptors,
        )
        names = []
        for module, service in (
            (admin_pb2, "AdminService"),
            (dataproxy_pb2, "DataProxyService"),
            (signal_pb2, "SignalService"),
        ):
            descriptor = module.DESCRIPTOR.services_by_name[service]
            server.add_generic_rpc_handlers((service_handler(descriptor, services.managers, counter=self.calls),))
            names.append(descriptor.full_name)
        if self.auth is not None:
            from flyteidl.service import auth_pb2, identity_pb2

            auth_managers = self.auth.managers()
            for module, service in ((auth_pb2, "AuthMetadataService"), (identity_pb2, "IdentityService")):
                descriptor = module.DESCRIPTOR.services_by_name[service]
                server.add_generic_rpc_handlers((service_handler(descriptor, auth_managers, counter=self.calls),))
                names.append(descriptor.full_name)
        health_servicer = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        for name in ("", "flyteadmin", *names):
            health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        names.append(health.SERVICE_NAME)
        reflection.enable_server_reflection((*names, reflection.SERVICE_NAME), server)
        address = f"{self.host}:{self._requested_port}"
        try:
            if self._tls is not None:
                self.port = server.add_secure_port(address, self._tls.grpc_credentials())
            else:
                self.port = server.add_insecure_port(address)
        except RuntimeError as e:  # grpc says only "Failed to bind"; a plain bind says why
            self._raise_grpc_bind_error(address, str(e))
        if self.port == 0:
            self._raise_grpc_bind_error(address, "no port")
        server.start()
        self._grpc = server
        # Task processes (an eager task's FlyteRemote) reach the admin here.
        services.endpoints.grpc = self.endpoint
        services.endpoints.certificate = self.certificate_path

    def _raise_grpc_bind_error(self, address: str, grpc_says: str) -> None:
        if self._requested_port and _port_in_use(self.host, self._requested_port):
            raise PortInUse(self.host, [("gRPC", self._requested_port)])
        raise OSError(f"cannot listen for gRPC on {address} ({grpc_says})")

    def stop(self, grace: float | None = 1.0) -> None:
        """Stop serving (in-flight calls get ``grace`` seconds) and close the store."""
        with self._lock:
            self._shutdown(grace)

    def _shutdown(self, grace: float | None) -> None:
        if self.services is not None:
            self.services.stop()
        if self._grpc is not None:
            self._grpc.stop(grace).wait()
            self._grpc = None
        if self._http is not None:
            self._http.stop()  # type: ignore[attr-defined]
            self._http = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._tls is not None:
            self._tls.close()
            self._tls = None
        if self._state_lock is not None:
            self._state_lock.release()  # last: nothing of this admin touches the directory any more
            self._state_lock = None

    def wait(self) -> None:
        """Block until the server stops."""
        server = self._grpc
        if server is not None:
            server.wait_for_termination()

    def __enter__(self) -> AdminServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "serving" if self._grpc is not None else "stopped"
        return f"AdminServer({state}, endpoint={self.endpoint!r}, state_dir={self.state_dir})"


def _port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` fails with "address in use", as the gRPC and HTTP servers would (both set
    SO_REUSEADDR, so a port in TIME_WAIT counts as free)."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return False  # the bind itself will name the bad host
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    return True
    return False
