"""FlyteClient: the friendly Flyte Admin client for asyncio, models in and out.

Every method of :class:`~flyteplane.clients.friendly.SynchronousFlyteClient` (flytekit's names and signatures),
as a coroutine: ``await client.get_task(id)``; the ``iter_*`` methods return an
:class:`~flyteplane.clients.pager.AsyncPager` (``async for``). The methods are the synchronous client's own request
builders and response converters (:mod:`flyteplane.clients.operations`), called through a
:class:`~flyteplane.aio.raw.RawFlyteClient` (``client.raw``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flyteplane.aio.raw import RawFlyteClient
from flyteplane.clients.friendly import platform_config
from flyteplane.clients.operations import FriendlyOperations, RawPassthrough
from flyteplane.clients.rpcs import Rpc

if TYPE_CHECKING:
    import grpc.aio

    from flyteplane.aio.pipeline import AsyncInterceptor
    from flyteplane.clients.interceptors import AuthProvider
    from flyteplane.clients.retry import Retry
    from flyteplane.configuration import PlatformConfig

__all__ = ["FlyteClient"]


class FlyteClient(FriendlyOperations, RawPassthrough):
    """The friendly asynchronous Flyte Admin client.

    ``FlyteClient(PlatformConfig(...))`` or ``FlyteClient("host:port", insecure=True)`` (a string endpoint keeps
    the config file's and ``FLYTE_*`` environment's other settings). The keyword arguments are
    :class:`~flyteplane.aio.raw.RawFlyteClient`'s. Use ``async with`` or ``await client.close()``.
    """

    def __init__(
        self,
        cfg: PlatformConfig | str,
        insecure: bool | None = None,
        *,
        auth: AuthProvider | None = None,
        interceptors: Sequence[AsyncInterceptor] = (),
        grpc_interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        metadata: Sequence[tuple[str, str]] = (),
        retry: Retry | None = None,
        **channel_kwargs: Any,
    ) -> None:
        self._raw = RawFlyteClient(
            platform_config(cfg, insecure),
            auth=auth,
            interceptors=interceptors,
            grpc_interceptors=grpc_interceptors,
            metadata=metadata,
            retry=retry,
            **channel_kwargs,
        )

    async def _acall(self, rpc: Rpc[Any, Any], request: Any, timeout: float | None = None) -> Any:
        # The one way a friendly method reaches the wire: through the raw client's pipeline.
        return await self._raw._acall(rpc, request, timeout)

    @property
    def raw(self) -> RawFlyteClient:
        """The raw client this one makes its calls through (same channel, same pipeline)."""
        return self._raw

    @property
    def url(self) -> str:
        """The endpoint this client talks to."""
        return self._raw.url

    @property
    def config(self) -> PlatformConfig:
        """The configuration this client was made with."""
        return self._raw.config

    async def close(self, grace: float | None = None) -> None:
        """Close the channel; in-flight calls are cancelled (or given ``grace`` seconds)."""
        await self._raw.close(grace)

    async def __aenter__(self) -> FlyteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"FlyteClient({self.url!r})"
