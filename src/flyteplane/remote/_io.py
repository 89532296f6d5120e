"""The one implementation behind the sync and the async FlyteRemote: operations that do no I/O themselves.

An operation is a generator function. Where it needs the outside world it *yields an effect* -- a Flyte Admin RPC
(:class:`Call`), a pause (:class:`Sleep`) or blocking local work such as an upload (:class:`Offload`) -- and
receives the result (or has the error thrown into it, so ``try/except`` around a ``yield`` works as around a call).
A driver performs the effects: :func:`run_sync` with a blocking client and ``time.sleep``, :func:`run_async` with
an asyncio client and ``asyncio.sleep``. Operations compose with ``yield from``. No method body is written twice:
``flyteplane.remote.FlyteRemote`` and ``flyteplane.aio.FlyteRemote`` drive the same operations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, Union

from google.protobuf.message import Message

__all__ = [
    "AsyncInvoker",
    "Call",
    "Effect",
    "Offload",
    "Op",
    "Sleep",
    "SyncInvoker",
    "run_async",
    "run_sync",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One RPC, named by the raw client's method (flytekit's raw names: ``get_execution``,
    ``list_tasks_paginated``, ...), with its request message.

    The answer is the response message; a failure is the :mod:`flyteplane.errors` exception the clients raise.
    ``timeout`` bounds this call (seconds); None leaves the client's default.
    """

    method: str
    request: Message
    timeout: float | None = None


@dataclass(frozen=True)
class Sleep:
    """Pause for ``seconds`` (``time.sleep`` or ``asyncio.sleep``: an awaiting task gives the loop back)."""

    seconds: float


@dataclass(frozen=True)
class Offload:
    """Blocking local work (file uploads and downloads, flytekit serialization): run inline by the sync driver, in
    a worker thread by the async one so the event loop keeps serving other tasks."""

    fn: Callable[[], Any]


Effect = Union[Call, Sleep, Offload]
#: An operation: yields effects, receives their results, returns a ``T``.
Op = Generator[Effect, Any, T]


class SyncInvoker(Protocol):
    """Performs one RPC by raw method name and returns the response."""

    def __call__(self, method: str, request: Any, timeout: float | None) -> Any: ...


class AsyncInvoker(Protocol):
    """Performs one RPC by raw method name on the event loop and returns the response."""

    def __call__(self, method: str, request: Any, timeout: float | None) -> Awaitable[Any]: ...


def run_sync(op: Op[T], invoke: SyncInvoker) -> T:
    """Drive ``op`` to its end on this thread; returns what it returns, raises what it raises."""
    send: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = op.throw(error) if error is not None else op.send(send)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        send, error = None, None
        try:
            if isinstance(effect, Call):
                send = invoke(effect.method, effect.request, effect.timeout)
            elif isinstance(effect, Sleep):
                time.sleep(effect.seconds)
            else:
                send = effect.fn()
        except Exception as e:  # handed to the operation, which may handle it; KeyboardInterrupt is not
            error = e


async def run_async(op: Op[T], invoke: AsyncInvoker) -> T:
    """Drive ``op`` to its end on the running event loop.

    Cancelling the awaiting task cancels the RPC or sleep in flight and closes the operation (its ``finally``
    blocks run); nothing is left running.
    """
    send: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                effect = op.throw(error) if error is not None else op.send(send)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            send, error = None, None
            try:
                if isinstance(effect, Call):
                    send = await invoke(effect.method, effect.request, effect.timeout)
                elif isinstance(effect, Sleep):
                    await asyncio.sleep(effect.seconds)
                else:
                    send = await asyncio.to_thread(effect.fn)
            except Exception as e:
                error = e
    finally:
        op.close()


def sync_invoker(client: Any) -> SyncInvoker:
    """The invoker of a blocking client: its raw methods (``client.raw`` for the friendly client), each call
    bounded by the call's timeout when it has one."""
    raw = getattr(client, "raw", client)

    def invoke(method: str, request: Any, timeout: float | None) -> Any:
        call: Callable[[Any], Any] = getattr(raw, method)
        if timeout is None:
            return call(request)
        from flyteplane.clients.interceptors import deadline

        with deadline(timeout):
            return call(request)

    return invoke


def async_invoker(client: Any) -> AsyncInvoker:
    """The invoker of an asyncio raw client (``await client.get_execution(request, timeout=...)``)."""

    async def invoke(method: str, request: Any, timeout: float | None) -> Any:
        call: Callable[..., Awaitable[Any]] = getattr(client, method)
        return await call(request, timeout=timeout)

    return invoke
