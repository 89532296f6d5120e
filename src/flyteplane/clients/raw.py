"""RawSynchronousFlyteClient: one method per Flyte Admin RPC, flyteidl messages in and out.

It owns the channel and the call pipeline (see :mod:`flyteplane.clients.interceptors`): default metadata, a
deadline on every call, retries with backoff and jitter on UNAVAILABLE / RESOURCE_EXHAUSTED only, the seam for
authentication, and the mapping of gRPC failures to :mod:`flyteplane.errors` (one place, with the RPC, the entity
and the server's message; the ``grpc.RpcError`` stays as ``__cause__``).

Most code wants :class:`~flyteplane.clients.friendly.SynchronousFlyteClient` or ``FlyteRemote`` instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flyteplane.clients.interceptors import (
    AuthInterceptor,
    AuthProvider,
    CallOptions,
    DeadlineInterceptor,
    Interceptor,
    MetadataInterceptor,
    RetryInterceptor,
    compose,
)
from flyteplane.clients.retry import Retry
from flyteplane.clients.rpcs import Rpc, RpcTable
from flyteplane.errors import FlyteException, from_grpc_error

if TYPE_CHECKING:
    import grpc

    from flyteplane.configuration import PlatformConfig
    from flyteplane.configuration.auth_type import AuthType

__all__ = ["RawSynchronousFlyteClient"]

log = logging.getLogger("flyteplane.clients")


def _code_name(error: BaseException) -> str | None:
    code = getattr(error, "code", None)
    if code is None or not callable(code):
        return None
    try:
        return str(code().name)
    except Exception:
        return None


def _is_unauthenticated(error: BaseException) -> bool:
    return _code_name(error) == "UNAUTHENTICATED"


def _has_cached_token(endpoint: str) -> bool:
    """Whether ``flyteplane.clients.auth.token_cache`` holds a token for ``endpoint``, without importing it.

    Mirrors its layout: ``~/.flyteplane/tokens/<sha256(endpoint)>.json`` (the file) or ``.keyring`` (a marker
    next to a keyring entry). A test checks the two stay in step.
    """
    import hashlib
    import os.path

    # os.path, not pathlib: this runs while a client is built, and importing pathlib costs milliseconds.
    home = os.path.expanduser("~")
    if home == "~":  # no home directory
        return False
    stem = os.path.join(home, ".flyteplane", "tokens", hashlib.sha256(endpoint.encode("utf-8")).hexdigest())
    return os.path.exists(stem + ".json") or os.path.exists(stem + ".keyring")


class _LazyAuth:
    """The auth provider, built on first need so that a client that never needs a token never imports
    ``flyteplane.clients.auth`` (nor ``keyring``).

    Needed up front, before the first call: ClientSecret and ExternalCommand (they need no human, and flytekit's
    "first call without a token, then retry" costs every process a failed call), a ``proxy_command``, and PKCE /
    DeviceFlow when the token cache has a token for this endpoint. Otherwise (PKCE / DeviceFlow never logged in)
    the first UNAUTHENTICATED answer starts the login: against an admin without auth, that never happens.
    """

    __slots__ = ("_cfg", "_channel", "_provider", "_up_front")

    def __init__(self, cfg: PlatformConfig, channel: Callable[[], grpc.Channel]) -> None:
        self._cfg = cfg
        # A factory: discovery needs a channel, but only when a provider is built (never, without auth).
        self._channel = channel
        self._provider: AuthProvider | None = None
        # Decided on the first call (a look at the token cache, which needs hashlib): building a client costs
        # nothing but this object.
        self._up_front: bool | None = None

    def _build(self) -> AuthProvider:
        if self._provider is None:
            # One provider per client even when threads race here: two would mean two logins.
            with _BUILD_LOCK:
                if self._provider is None:
                    from flyteplane.clients.auth.factory import provider_for

                    self._provider = provider_for(self._cfg, self._channel()) or _NO_AUTH
        return self._provider

    @property
    def idle(self) -> bool:
        """True while :meth:`metadata` adds nothing and needs nothing built (the async pipeline skips it then)."""
        if self._provider is None and self._up_front is None:
            self._up_front = _token_up_front(self._cfg)
        return self._provider is None and not self._up_front

    def metadata(self) -> Sequence[tuple[str, str]]:
        provider = self._provider
        if provider is None:
            if self._up_front is None:
                self._up_front = _token_up_front(self._cfg)
            if not self._up_front:
                return ()
            provider = self._build()
        return provider.metadata()

    def refresh(self) -> None:
        self._build().refresh()


class _NoAuth:
    def metadata(self) -> Sequence[tuple[str, str]]:
        return ()

    def refresh(self) -> None:
        return None


_NO_AUTH = _NoAuth()
_BUILD_LOCK = threading.Lock()


def _auth_type(cfg: PlatformConfig) -> AuthType:
    """``cfg.auth_mode`` as an AuthType, also from a duck-typed config (flytekit's enum has the same values)."""
    from flyteplane.configuration.auth_type import AuthType

    mode = getattr(cfg, "auth_mode", AuthType.STANDARD)
    return AuthType.parse(getattr(mode, "value", mode))


def _token_up_front(cfg: PlatformConfig) -> bool:
    from flyteplane.configuration.auth_type import AuthType

    mode = _auth_type(cfg).canonical
    if mode in (AuthType.CLIENTSECRET, AuthType.EXTERNALCOMMAND) or getattr(cfg, "proxy_command", None):
        return True
    return _has_cached_token(cfg.endpoint)


def _wants_auth(cfg: PlatformConfig) -> bool:
    from flyteplane.configuration.auth_type import AuthType

    return _auth_type(cfg) is not AuthType.NONE or bool(getattr(cfg, "proxy_command", None))


def describe(request: Any) -> str | None:
    """A short rendering of what a request is about, for error messages (only computed on failure)."""
    for field in ("id", "workflow_execution_id", "node_execution_id", "task_execution_id", "identifier"):
        try:
            if request.HasField(field):
                return _render_id(getattr(request, field))
        except (ValueError, AttributeError):
            continue
    parts = [getattr(request, f, "") for f in ("project", "domain", "name")]
    if any(isinstance(p, str) and p for p in parts):
        return ":".join(p for p in parts if isinstance(p, str))
    return None


def _enum_name(field: Any, value: int) -> str:
    known = field.enum_type.values_by_number.get(value)
    return str(known.name) if known is not None else str(value)


def _render_id(message: Any) -> str:
    if message.DESCRIPTOR.full_name == "flyteidl.core.Identifier":
        # flytekit's TASK:project:domain:name:version, empty parts kept so a missing one shows.
        kind = _enum_name(message.DESCRIPTOR.fields_by_name["resource_type"], message.resource_type)
        return ":".join([kind, message.project, message.domain, message.name, message.version])
    parts = []
    for fd, value in message.ListFields():
        if fd.message_type is not None:
            parts.append(_render_id(value))
        elif fd.enum_type is not None:
            parts.append(_enum_name(fd, value))
        else:
            parts.append(str(value))
    return ":".join(parts)


def map_error(error: Exception, rpc: str, request: Any, endpoint: str) -> Exception:
    """The flyteplane exception for a failed call (raise it ``from error``); ``error`` itself when it is not a gRPC
    status (a bug, a TypeError): one place for both clients."""
    if _code_name(error) is None:
        return error
    return from_grpc_error(error, rpc, describe(request), request=request, endpoint=endpoint)  # type: ignore[arg-type]


class ClientSettings:
    """What a raw client is made of, decided at construction without importing grpc: the config, the retry
    policy, the default timeout, the auth provider (or the lazy one), the extra layers and headers.

    Shared by :class:`RawSynchronousFlyteClient` and :class:`flyteplane.aio.RawFlyteClient`.
    """

    __slots__ = ("auth", "cfg", "channel_kwargs", "grpc_interceptors", "interceptors", "metadata", "retry", "timeout")

    def __init__(
        self,
        cfg: PlatformConfig,
        auth: AuthProvider | None,
        interceptors: Sequence[Any],
        grpc_interceptors: Sequence[Any],
        metadata: Sequence[tuple[str, str]],
        retry: Retry | None,
        channel_kwargs: dict[str, Any],
        discovery_channel: Callable[[], grpc.Channel],
    ) -> None:
        self.cfg = cfg
        if retry is None:
            retry = Retry(
                attempts=max(int(getattr(cfg, "rpc_retries", 3)), 0) + 1,
                deadline=getattr(cfg, "rpc_retry_deadline", 60.0),
            )
        self.retry = retry
        self.timeout: float | None = getattr(cfg, "rpc_timeout", 30.0)
        if auth is None and _wants_auth(cfg):
            auth = _LazyAuth(cfg, discovery_channel)
        self.auth = auth
        self.interceptors = tuple(interceptors)
        self.grpc_interceptors = tuple(grpc_interceptors)
        self.metadata = tuple(metadata)
        self.channel_kwargs = channel_kwargs


class RawSynchronousFlyteClient(RpcTable):
    """A thin synchronous client for Flyte Admin's gRPC services: one method per RPC (see
    :class:`~flyteplane.clients.rpcs.RpcTable`), flyteidl messages in and out.

    Args:
        cfg: where and how to connect (``PlatformConfig``).
        auth: an authentication provider for the call pipeline; ``None`` (the default) builds the one
            ``cfg.auth_mode`` asks for (see :mod:`flyteplane.clients.auth`), lazily; ``AuthType.NONE`` means none.
        interceptors: extra :class:`~flyteplane.clients.interceptors.Interceptor` callables, run inside the
            retry and deadline layers (so once per attempt).
        grpc_interceptors: ``grpc`` client interceptors applied to the channel.
        metadata: headers sent with every call.
        retry: the retry policy (default: from ``cfg.rpc_retries`` and ``cfg.rpc_retry_deadline``).
        credentials, root_certificates, private_key, certificate_chain, compression, options: channel
            settings, as flytekit's constructor takes them (``options`` are appended to the defaults).

    Constructing a client imports nothing and makes no network call: grpc, the channel and each RPC's stub are
    made on first use, and the channel connects on the first RPC.
    """

    def __init__(
        self,
        cfg: PlatformConfig,
        *,
        auth: AuthProvider | None = None,
        interceptors: Sequence[Interceptor] = (),
        grpc_interceptors: Sequence[grpc.UnaryUnaryClientInterceptor[Any, Any]] = (),
        metadata: Sequence[tuple[str, str]] = (),
        retry: Retry | None = None,
        **channel_kwargs: Any,
    ) -> None:
        self._settings = settings = ClientSettings(
            cfg, auth, interceptors, grpc_interceptors, metadata, retry, channel_kwargs, lambda: self.channel
        )
        self._cfg = cfg
        self._retry = settings.retry
        self._channel: grpc.Channel | None = None
        self._channel_lock = threading.Lock()
        self._stubs: dict[str, Callable[..., Any]] = {}
        chain: list[Interceptor] = [
            DeadlineInterceptor(settings.timeout),
            RetryInterceptor(settings.retry, _code_name),
        ]
        if settings.auth is not None:
            chain.append(AuthInterceptor(settings.auth, _is_unauthenticated))
        chain.extend(interceptors)
        if metadata:
            chain.append(MetadataInterceptor(metadata))
        self._invoke = compose(chain, self._send)

    # -- plumbing ------------------------------------------------------------------------------------------
    def _stub(self, rpc: Rpc[Any, Any]) -> Callable[..., Any]:
        stub = self._stubs.get(rpc.name)
        if stub is None:
            request_cls, response_cls = rpc.classes()
            stub = self._stubs[rpc.name] = self.channel.unary_unary(
                rpc.path,
                request_serializer=request_cls.SerializeToString,
                response_deserializer=response_cls.FromString,
            )
        return stub

    def _send(self, rpc: str, request: Any, options: CallOptions) -> Any:
        return self._stubs[rpc](request, timeout=options.timeout, metadata=options.metadata or None)

    def _call(self, rpc: Rpc[Any, Any], request: Any, timeout: float | None = None) -> Any:
        """One call through the pipeline; gRPC failures come out as :mod:`flyteplane.errors` exceptions."""
        request = rpc.request_of(request)
        if rpc.name not in self._stubs:
            self._stub(rpc)
        try:
            return self._invoke(rpc.name, request, CallOptions(timeout))
        except FlyteException:
            raise
        except Exception as e:
            mapped = map_error(e, rpc.name, request, self._cfg.endpoint)
            if mapped is e:
                raise
            raise mapped from e

    @property
    def url(self) -> str:
        """The endpoint this client talks to."""
        return self._cfg.endpoint

    @property
    def config(self) -> PlatformConfig:
        """The configuration this client was made with."""
        return self._cfg

    @property
    def channel(self) -> grpc.Channel:
        """The underlying gRPC channel (with any gRPC interceptors), made on first use."""
        channel = self._channel
        if channel is None:
            with self._channel_lock:
                channel = self._channel
                if channel is None:
                    channel = self._channel = self._make_channel()
        return channel

    def _make_channel(self) -> grpc.Channel:
        # The first import of grpc is paid here, on the first call, not when the client is built.
        import grpc

        from flyteplane.clients.channel import make_channel

        settings = self._settings
        channel = make_channel(self._cfg, **settings.channel_kwargs)
        if settings.grpc_interceptors:
            channel = grpc.intercept_channel(channel, *settings.grpc_interceptors)
        log.debug(
            "Flyte client connecting -> %s in %s mode",
            self._cfg.endpoint,
            "insecure" if self._cfg.insecure else "secure",
        )
        return channel

    @classmethod
    def with_root_certificate(cls, cfg: PlatformConfig, root_cert_file: str) -> RawSynchronousFlyteClient:
        """A client of this class trusting the CA certificates in ``root_cert_file``."""
        from pathlib import Path

        return cls(cfg, root_certificates=Path(root_cert_file).read_bytes())

    def close(self) -> None:
        """Close the channel, if one was made; in-flight calls are cancelled."""
        with self._channel_lock:
            channel, self._channel = self._channel, None
            self._stubs.clear()
        if channel is not None:
            channel.close()

    def __enter__(self) -> RawSynchronousFlyteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
