"""The client's call pipeline: a chain of small interceptors around each RPC.

Every RPC goes through the chain built once per client, outermost first::

    RetryInterceptor -> DeadlineInterceptor -> AuthInterceptor (if any) -> MetadataInterceptor -> the stub

These are plain callables, not ``grpc`` channel interceptors: a gRPC interceptor costs a future and a few
wrapper objects per call, which is most of what flytekit adds on top of the raw stub. User-supplied
``grpc.UnaryUnaryClientInterceptor`` objects are still honoured (they wrap the channel).

An interceptor is ``interceptor(call_next, rpc, request, options) -> response`` where ``options`` is the mutable
:class:`CallOptions` of this one call.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from flyteplane.clients.retry import Retry

__all__ = [
    "AuthInterceptor",
    "AuthProvider",
    "CallOptions",
    "DeadlineInterceptor",
    "Interceptor",
    "MetadataInterceptor",
    "RetryInterceptor",
    "compose",
    "deadline",
]


class CallOptions:
    """Per-call settings that interceptors adjust before the stub is called."""

    __slots__ = ("metadata", "timeout")

    def __init__(self, timeout: float | None = None, metadata: Sequence[tuple[str, str]] = ()) -> None:
        self.timeout = timeout
        self.metadata: list[tuple[str, str]] = list(metadata)


CallNext = Callable[[str, Any, CallOptions], Any]


class Interceptor(Protocol):
    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any: ...


def compose(interceptors: Sequence[Interceptor], terminal: CallNext) -> CallNext:
    """Fold the chain once, at client construction: the first interceptor is the outermost."""
    call = terminal
    for interceptor in reversed(interceptors):
        call = _bind(interceptor, call)
    return call


def _bind(interceptor: Interceptor, call_next: CallNext) -> CallNext:
    def call(rpc: str, request: Any, options: CallOptions) -> Any:
        return interceptor(call_next, rpc, request, options)

    return call


class MetadataInterceptor:
    """Adds fixed metadata (headers) to every call."""

    def __init__(self, metadata: Sequence[tuple[str, str]]) -> None:
        self.metadata = tuple(metadata)

    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        options.metadata.extend(self.metadata)
        return call_next(rpc, request, options)


_scoped_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("flyteplane_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every call made inside the block to finish within ``seconds`` from now (nests: the earliest wins)."""
    until = time.monotonic() + seconds
    outer = _scoped_deadline.get()
    token = _scoped_deadline.set(until if outer is None else min(outer, until))
    try:
        yield
    finally:
        _scoped_deadline.reset(token)


class DeadlineInterceptor:
    """Gives every attempt a deadline: the call's own, the client's default, or a scoped one, the earliest."""

    def __init__(self, default_timeout: float | None) -> None:
        self.default_timeout = default_timeout

    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        timeout = options.timeout if options.timeout is not None else self.default_timeout
        scoped = _scoped_deadline.get()
        if scoped is not None:
            left = max(scoped - time.monotonic(), 0.0)
            timeout = left if timeout is None else min(timeout, left)
        options.timeout = timeout
        return call_next(rpc, request, options)


class AuthProvider(Protocol):
    """The seam where authentication plugs in (see ``flyteplane.clients.auth``).

    ``metadata()`` returns the headers that carry the current credentials (fetching them first if needed);
    ``refresh()`` gets new credentials after the server said UNAUTHENTICATED.
    """

    def metadata(self) -> Sequence[tuple[str, str]]: ...

    def refresh(self) -> None: ...


class AuthInterceptor:
    """Adds credentials; on UNAUTHENTICATED refreshes them once and repeats the call (never on other codes)."""

    def __init__(self, provider: AuthProvider, is_unauthenticated: Callable[[BaseException], bool]) -> None:
        self.provider = provider
        self._is_unauthenticated = is_unauthenticated

    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        base = list(options.metadata)
        options.metadata = base + list(self.provider.metadata())
        try:
            return call_next(rpc, request, options)
        except Exception as e:
            if not self._is_unauthenticated(e):
                raise
            self.provider.refresh()
            options.metadata = base + list(self.provider.metadata())
            return call_next(rpc, request, options)


class RetryInterceptor:
    """Retries what :class:`Retry` allows, pausing with jitter, never past the policy's total deadline."""

    def __init__(self, retry: Retry, code_name: Callable[[BaseException], str | None]) -> None:
        self.retry = retry
        self._code_name = code_name

    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        retry = self.retry
        if retry.attempts == 1:
            return call_next(rpc, request, options)
        give_up_at = None if retry.deadline is None else time.monotonic() + retry.deadline
        pauses = retry.pauses()
        timeout, metadata = options.timeout, list(options.metadata)
        while True:
            attempt = CallOptions(timeout, metadata)
            if give_up_at is not None:
                left = give_up_at - time.monotonic()
                attempt.timeout = left if attempt.timeout is None else min(attempt.timeout, left)
            try:
                return call_next(rpc, request, attempt)
            except Exception as e:
                code = self._code_name(e)
                if code is None or not retry.retries(code):
                    raise
                pause = next(pauses, None)
                if pause is None:
                    raise
                if give_up_at is not None and time.monotonic() + pause >= give_up_at:
                    raise
                time.sleep(pause)
