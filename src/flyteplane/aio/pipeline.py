"""The asynchronous call pipeline: the synchronous one's layers (:mod:`flyteplane.clients.interceptors`) awaited.

Every RPC of an async client goes through, outermost first::

    AsyncDeadlineInterceptor -> AsyncRetryInterceptor -> AsyncAuthInterceptor (if any) -> user layers
        -> AsyncMetadataInterceptor -> the grpc.aio stub

The decisions are the synchronous pipeline's own code: :func:`~flyteplane.clients.interceptors.settle_timeout`
for each call's deadline (scoped :func:`~flyteplane.clients.interceptors.deadline` blocks work in tasks too, they
are context variables) and :class:`~flyteplane.clients.interceptors.RetryRun` for what to retry and how long to
pause; only the pause differs (``asyncio.sleep``, which a cancelled task leaves at once).

Auth providers are synchronous (a login may open a browser, a token refresh is an HTTP call): their ``metadata()``
and ``refresh()`` run on one worker thread of the client's, never on the event loop. They run on the same thread
each time because a provider remembers per thread which token it sent, to renew only a rejected one.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from flyteplane.clients.interceptors import AuthProvider, CallOptions, RetryRun, settle_timeout
from flyteplane.clients.retry import Retry

__all__ = [
    "AsyncAuthInterceptor",
    "AsyncCallNext",
    "AsyncDeadlineInterceptor",
    "AsyncInterceptor",
    "AsyncMetadataInterceptor",
    "AsyncRetryInterceptor",
    "compose_async",
]

T = TypeVar("T")

AsyncCallNext = Callable[[str, Any, CallOptions], Awaitable[Any]]
Blocking = Callable[[Callable[[], T]], Awaitable[T]]


class AsyncInterceptor(Protocol):
    """``await interceptor(call_next, rpc, request, options)``: one layer of the async pipeline."""

    def __call__(self, call_next: AsyncCallNext, rpc: str, request: Any, options: CallOptions) -> Awaitable[Any]: ...


def compose_async(interceptors: Sequence[AsyncInterceptor], terminal: AsyncCallNext) -> AsyncCallNext:
    """Fold the chain once, at client construction: the first interceptor is the outermost."""
    call = terminal
    for interceptor in reversed(interceptors):
        call = functools.partial(interceptor, call)
    return call


class AsyncMetadataInterceptor:
    """Adds fixed metadata (headers) to every call."""

    def __init__(self, metadata: Sequence[tuple[str, str]]) -> None:
        self.metadata = tuple(metadata)

    async def __call__(self, call_next: AsyncCallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        options.metadata.extend(self.metadata)
        return await call_next(rpc, request, options)


class AsyncDeadlineInterceptor:
    """Gives every attempt a deadline: the call's own, the client's default, or a scoped one, the earliest."""

    def __init__(self, default_timeout: float | None) -> None:
        self.default_timeout = default_timeout

    async def __call__(self, call_next: AsyncCallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        options.timeout = settle_timeout(options.timeout, self.default_timeout)
        return await call_next(rpc, request, options)


class AsyncRetryInterceptor:
    """Retries what :class:`~flyteplane.clients.retry.Retry` allows, pausing with jitter, within its deadline."""

    def __init__(self, retry: Retry, code_name: Callable[[BaseException], str | None]) -> None:
        self.retry = retry
        self._code_name = code_name

    async def __call__(self, call_next: AsyncCallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        import asyncio

        run = RetryRun(self.retry, options, self._code_name)
        attempt = run.first
        while True:
            try:
                return await call_next(rpc, request, attempt)
            except Exception as e:
                pause, attempt = run.after(e)
            await asyncio.sleep(pause)


class AsyncAuthInterceptor:
    """Adds credentials; on UNAUTHENTICATED refreshes them once and repeats the call (never on other codes).

    Args:
        provider: the (synchronous) auth provider.
        is_unauthenticated: whether a failure is UNAUTHENTICATED.
        blocking: runs a provider method off the event loop and awaits it.
    """

    def __init__(
        self, provider: AuthProvider, is_unauthenticated: Callable[[BaseException], bool], blocking: Blocking[Any]
    ) -> None:
        self.provider = provider
        self._is_unauthenticated = is_unauthenticated
        self._blocking = blocking

    async def _metadata(self) -> list[tuple[str, str]]:
        provider = self.provider
        # The lazy provider of a client that never needed a token says so without a thread hop.
        if getattr(provider, "idle", False):
            return []
        found: Sequence[tuple[str, str]] = await self._blocking(provider.metadata)
        return list(found)

    async def __call__(self, call_next: AsyncCallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        base = list(options.metadata)
        options.metadata = base + await self._metadata()
        try:
            return await call_next(rpc, request, options)
        except Exception as e:
            if not self._is_unauthenticated(e):
                raise
            await self._blocking(self.provider.refresh)
            options.metadata = base + await self._metadata()
            return await call_next(rpc, request, options)
