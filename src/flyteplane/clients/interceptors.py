"""The client's call pipeline: a chain of small interceptors around each RPC.

Every RPC goes through the chain built once per client, outermost first::

    DeadlineInterceptor -> RetryInterceptor -> AuthInterceptor (if any) -> MetadataInterceptor -> the stub

The deadline layer settles each call's timeout (its own, the client's default, or a scoped one); the retry layer
gives every attempt that timeout, cut to what is left of its total budget.

These are plain callables, not ``grpc`` channel interceptors: a gRPC interceptor costs a future and a few
wrapper objects per call, which is most of what flytekit adds on top of the raw stub. User-supplied
``grpc.UnaryUnaryClientInterceptor`` objects are still honoured (they wrap the channel).

An interceptor is ``interceptor(call_next, rpc, request, options) -> response`` where ``options`` is the mutable
:class:`CallOptions` of this one call.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
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
    "RetryRun",
    "compose",
    "deadline",
    "settle_timeout",
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
    """Fold the chain once, at client construction: the first interceptor is the outermost.

    Each layer is a ``functools.partial`` (a C-level call), not a Python closure: the chain runs on every RPC.
    """
    call = terminal
    for interceptor in reversed(interceptors):
        call = functools.partial(interceptor, call)
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


def settle_timeout(own: float | None, default: float | None) -> float | None:
    """A call's timeout: its own, else the client's default, cut to what is left of a scoped :func:`deadline`.

    Shared by the synchronous and the asynchronous pipelines.
    """
    timeout = own if own is not None else default
    scoped = _scoped_deadline.get()
    if scoped is not None:
        left = max(scoped - time.monotonic(), 0.0)
        timeout = left if timeout is None else min(timeout, left)
    return timeout


class DeadlineInterceptor:
    """Gives every attempt a deadline: the call's own, the client's default, or a scoped one, the earliest."""

    def __init__(self, default_timeout: float | None) -> None:
        self.default_timeout = default_timeout

    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        options.timeout = settle_timeout(options.timeout, self.default_timeout)
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


class RetryRun:
    """The retry decisions for one call, shared by the synchronous and asynchronous pipelines (which only differ
    in how they pause): the first attempt's options, then for each failure either the pause and the next
    attempt's options, or the failure re-raised as final.
    """

    __slots__ = ("_code_name", "_give_up_at", "_metadata", "_pauses", "_retry", "_started", "_timeout", "first")

    def __init__(self, retry: Retry, options: CallOptions, code_name: Callable[[BaseException], str | None]) -> None:
        self._retry = retry
        self._code_name = code_name
        self._started = time.monotonic()
        budget = retry.deadline
        scoped = _scoped_deadline.get()
        if scoped is not None:
            left = max(scoped - self._started, 0.0)
            budget = left if budget is None else min(budget, left)
        self._timeout = options.timeout
        self._metadata = list(options.metadata)
        timeout = options.timeout
        if budget is not None:
            timeout = budget if timeout is None else min(timeout, budget)
        self._give_up_at = None if budget is None else self._started + budget
        self._pauses: Iterator[float] | None = None
        # The first attempt carries no retry bookkeeping: almost every call succeeds or fails for good here.
        self.first = CallOptions(timeout, self._metadata)

    def after(self, error: BaseException) -> tuple[float, CallOptions]:
        """The pause before the next attempt and its options; re-raises ``error`` when it is final."""
        code = self._code_name(error)
        if code is None or not self._retry.retries(code):
            raise error
        if self._pauses is None:
            self._pauses = self._retry.pauses()
        pause = next(self._pauses, None)
        if pause is None or (self._give_up_at is not None and time.monotonic() + pause >= self._give_up_at):
            raise error
        attempt = CallOptions(self._timeout, self._metadata)
        if self._give_up_at is not None:
            left = self._give_up_at - time.monotonic() - pause
            attempt.timeout = left if attempt.timeout is None else min(attempt.timeout, left)
        return pause, attempt


class RetryInterceptor:
    """Retries what :class:`Retry` allows, pausing with jitter, never past the policy's total deadline."""

    def __init__(self, retry: Retry, code_name: Callable[[BaseException], str | None]) -> None:
        self.retry = retry
        self._code_name = code_name

    def __call__(self, call_next: CallNext, rpc: str, request: Any, options: CallOptions) -> Any:
        run = RetryRun(self.retry, options, self._code_name)
        attempt = run.first
        while True:
            try:
                return call_next(rpc, request, attempt)
            except Exception as e:
                pause, attempt = run.after(e)
            time.sleep(pause)
