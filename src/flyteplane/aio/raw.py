"""RawFlyteClient: one coroutine method per Flyte Admin RPC on ``grpc.aio``, flyteidl messages in and out.

The asynchronous twin of :class:`~flyteplane.clients.raw.RawSynchronousFlyteClient`: the same RPC table, the same
settings (:class:`~flyteplane.clients.raw.ClientSettings`), the same pipeline decisions
(:mod:`flyteplane.aio.pipeline`) and the same error mapping. Construction imports neither grpc nor any service
module; the ``grpc.aio`` channel is made by the first call, in the event loop that awaits it, and belongs to that
loop (use one client per loop).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from flyteplane.aio.pipeline import (
    AsyncAuthInterceptor,
    AsyncDeadlineInterceptor,
    AsyncInterceptor,
    AsyncMetadataInterceptor,
    AsyncRetryInterceptor,
    compose_async,
)
from flyteplane.clients.interceptors import AuthProvider, CallOptions
from flyteplane.clients.raw import ClientSettings, _code_name, _is_unauthenticated, map_error
from flyteplane.clients.rpcs import Rpc, RpcTable
from flyteplane.errors import FlyteException

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    import grpc
    import grpc.aio

    from flyteplane.clients.retry import Retry
    from flyteplane.configuration import PlatformConfig

__all__ = ["RawFlyteClient"]

log = logging.getLogger("flyteplane.clients")

T = TypeVar("T")


class RawFlyteClient(RpcTable):
    """A thin asynchronous client for Flyte Admin's gRPC services: ``await client.get_task(request)``.

    Args:
        cfg: where and how to connect (``PlatformConfig``).
        auth: an authentication provider (synchronous, run off the event loop); ``None`` builds the one
            ``cfg.auth_mode`` asks for, lazily.
        interceptors: extra :class:`~flyteplane.aio.pipeline.AsyncInterceptor` layers, run inside the retry and
            deadline layers (so once per attempt).
        grpc_interceptors: ``grpc.aio`` client interceptors given to the channel.
        metadata: headers sent with every call.
        retry: the retry policy (default: from ``cfg.rpc_retries`` and ``cfg.rpc_retry_deadline``).
        credentials, root_certificates, private_key, certificate_chain, compression, options: channel settings,
            as :class:`~flyteplane.clients.raw.RawSynchronousFlyteClient` takes them.
    """

    def __init__(
        self,
        cfg: PlatformConfig,
        *,
        auth: AuthProvider | None = None,
        interceptors: Sequence[AsyncInterceptor] = (),
        grpc_interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        metadata: Sequence[tuple[str, str]] = (),
        retry: Retry | None = None,
        **channel_kwargs: Any,
    ) -> None:
        self._settings = settings = ClientSettings(
            cfg, auth, interceptors, grpc_interceptors, metadata, retry, channel_kwargs, self._discovery_channel
        )
        self._cfg = cfg
        self._retry = settings.retry
        self._channel: grpc.aio.Channel | None = None
        self._stubs: dict[str, Callable[..., Any]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._discovery: grpc.Channel | None = None
        chain: list[AsyncInterceptor] = [
            AsyncDeadlineInterceptor(settings.timeout),
            AsyncRetryInterceptor(settings.retry, _code_name),
        ]
        if settings.auth is not None:
            chain.append(AsyncAuthInterceptor(settings.auth, _is_unauthenticated, self._blocking))
        chain.extend(interceptors)
        if metadata:
            chain.append(AsyncMetadataInterceptor(metadata))
        self._invoke = compose_async(chain, self._send)

    # -- plumbing ------------------------------------------------------------------------------------------
    async def _blocking(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the client's one worker thread (auth providers block: logins, token requests)."""
        import asyncio

        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flyteplane-aio-auth")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _discovery_channel(self) -> grpc.Channel:
        """A synchronous channel for the auth provider's discovery calls (it runs on the worker thread)."""
        if self._discovery is None:
            from flyteplane.clients.channel import make_channel

            self._discovery = make_channel(self._cfg, **self._settings.channel_kwargs)
        return self._discovery

    async def _ensure_channel(self) -> grpc.aio.Channel:
        channel = self._channel
        if channel is None:
            if self._cfg.insecure_skip_verify and not self._settings.channel_kwargs.get("credentials"):
                # Fetching the server's certificate is a blocking handshake: keep it off the event loop.
                security = await self._blocking(self._security)
            else:
                security = self._security()
            channel = self._channel
            if channel is None:  # another task may have made it while this one waited
                channel = self._channel = self._make_channel(*security)
        return channel

    def _security(self) -> tuple[grpc.ChannelCredentials | None, list[tuple[str, Any]]]:
        from flyteplane.clients.channel import channel_security

        kwargs = {k: v for k, v in self._settings.channel_kwargs.items() if k != "compression"}
        return channel_security(self._cfg, **kwargs)

    def _make_channel(
        self, credentials: grpc.ChannelCredentials | None, options: list[tuple[str, Any]]
    ) -> grpc.aio.Channel:
        # The first import of grpc is paid here, on the first call, not when the client is built.
        import grpc.aio

        settings = self._settings
        compression = settings.channel_kwargs.get("compression")
        interceptors = list(settings.grpc_interceptors) or None
        log.debug("Flyte aio client connecting -> %s", self._cfg.endpoint)
        if credentials is None:
            return grpc.aio.insecure_channel(
                self._cfg.endpoint, options=options, compression=compression, interceptors=interceptors
            )
        return grpc.aio.secure_channel(
            self._cfg.endpoint, credentials, options=options, compression=compression, interceptors=interceptors
        )

    async def _stub(self, rpc: Rpc[Any, Any]) -> None:
        channel = await self._ensure_channel()
        if rpc.name not in self._stubs:
            request_cls, response_cls = rpc.classes()
            self._stubs[rpc.name] = channel.unary_unary(
                rpc.path,
                request_serializer=request_cls.SerializeToString,
                response_deserializer=response_cls.FromString,
            )

    async def _send(self, rpc: str, request: Any, options: CallOptions) -> Any:
        return await self._stubs[rpc](request, timeout=options.timeout, metadata=options.metadata or None)

    async def _acall(self, rpc: Rpc[Any, Any], request: Any, timeout: float | None = None) -> Any:
        """One call through the pipeline; gRPC failures come out as :mod:`flyteplane.errors` exceptions."""
        request = rpc.request_of(request)
        if rpc.name not in self._stubs:
            await self._stub(rpc)
        try:
            return await self._invoke(rpc.name, request, CallOptions(timeout))
        except FlyteException:
            raise
        except Exception as e:
            mapped = map_error(e, rpc.name, request, self._cfg.endpoint)
            if mapped is e:
                raise
            raise mapped from e

    # -- the client ----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The endpoint this client talks to."""
        return self._cfg.endpoint

    @property
    def config(self) -> PlatformConfig:
        """The configuration this client was made with."""
        return self._cfg

    @property
    def channel(self) -> grpc.aio.Channel | None:
        """The ``grpc.aio`` channel, once the first call made it (None before, and after :meth:`close`)."""
        return self._channel

    async def close(self, grace: float | None = None) -> None:
        """Close the channel (in-flight calls are cancelled, or given ``grace`` seconds) and the auth thread.

        A closed client can be used again: the next call opens a new channel.
        """
        channel, self._channel = self._channel, None
        self._stubs.clear()
        discovery, self._discovery = self._discovery, None
        executor, self._executor = self._executor, None
        try:
            if channel is not None:
                await channel.close(grace)
        finally:
            if discovery is not None:
                discovery.close()
            if executor is not None:
                executor.shutdown(wait=False)

    async def __aenter__(self) -> RawFlyteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"RawFlyteClient({self.url!r})"
