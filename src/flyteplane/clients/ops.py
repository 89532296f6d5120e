"""Friendly methods written once for both clients: a request builder, an RPC, a response converter.

An :class:`Op` is a descriptor. ``get_task = Op(RpcTable.get_task, build, convert)`` in a class body gives the
synchronous client (:class:`~flyteplane.clients.friendly.SynchronousFlyteClient`) a method
``get_task(*args) -> convert(call(build(*args)))`` and the asynchronous one (:class:`flyteplane.aio.FlyteClient`)
the same method as a coroutine: the builders and converters are plain functions, so no method body exists twice.
:class:`IterOp` does the same for the ``iter_*`` methods, which return a :class:`~flyteplane.clients.pager.Pager`
or an :class:`~flyteplane.clients.pager.AsyncPager` over one shared page builder.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, cast, overload

from flyteplane.clients.pager import AsyncPager, Pager
from flyteplane.clients.rpcs import AsyncCaller, Rpc, SyncCaller

__all__ = ["IterOp", "Op", "Paging"]

P = ParamSpec("P")
Req = TypeVar("Req")
Resp = TypeVar("Resp")
R = TypeVar("R")
T = TypeVar("T")


def _is_async(obj: object) -> bool:
    return hasattr(type(obj), "_acall")


def _named(fn: Callable[..., Any], like: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` dressed as the builder it wraps (signature, docstring), under the method's name."""
    functools.update_wrapper(fn, like)
    fn.__name__ = fn.__qualname__ = name
    return fn


class Op(Generic[P, Req, Resp, R]):
    """A friendly method: ``build(*args) -> request``, the RPC, ``convert(response) -> result``.

    The builder's signature and docstring are the method's (flytekit's parameter names).
    """

    __slots__ = ("build", "convert", "name", "rpc")

    def __init__(self, rpc: Rpc[Any, Any], build: Callable[P, Req], convert: Callable[[Resp], R]) -> None:
        self.rpc = rpc
        self.build = build
        self.convert = convert
        self.name = build.__name__.lstrip("_")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Op[P, Req, Resp, R]: ...

    @overload
    def __get__(self, obj: AsyncCaller, owner: type | None = None) -> Callable[P, Coroutine[Any, Any, R]]: ...

    @overload
    def __get__(self, obj: SyncCaller, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        rpc, build, convert = self.rpc, self.build, self.convert
        method: Callable[..., Any]
        if _is_async(obj):
            acall = cast(AsyncCaller, obj)._acall

            async def method(*args: Any, **kwargs: Any) -> Any:
                return convert(await acall(rpc, build(*args, **kwargs)))

        else:
            call = cast(SyncCaller, obj)._call

            def method(*args: Any, **kwargs: Any) -> Any:
                return convert(call(rpc, build(*args, **kwargs)))

        bound = _named(method, build, self.name)
        obj.__dict__[self.name] = bound  # later reads are a dict lookup
        return bound


@dataclass(frozen=True)
class Paging(Generic[Req]):
    """What an ``iter_*`` builder returns: the request for ``(page_size, token)``, and the walk's bounds."""

    request: Callable[[int, str], Req]
    page_size: int
    limit: int | None


class IterOp(Generic[P, Req, Resp, T]):
    """An ``iter_*`` method: ``query(*args) -> Paging``; each page is one call of the RPC, converted to
    ``(items, next_token)`` by the same converter as the matching ``list_*_paginated`` method."""

    __slots__ = ("convert", "name", "query", "rpc")

    def __init__(
        self, rpc: Rpc[Any, Any], query: Callable[P, Paging[Req]], convert: Callable[[Resp], tuple[list[T], str]]
    ) -> None:
        self.rpc = rpc
        self.query = query
        self.convert = convert
        self.name = query.__name__.lstrip("_")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> IterOp[P, Req, Resp, T]: ...

    @overload
    def __get__(self, obj: AsyncCaller, owner: type | None = None) -> Callable[P, AsyncPager[T]]: ...

    @overload
    def __get__(self, obj: SyncCaller, owner: type | None = None) -> Callable[P, Pager[T]]: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        rpc, query, convert = self.rpc, self.query, self.convert
        method: Callable[..., Any]
        if _is_async(obj):
            acall = cast(AsyncCaller, obj)._acall

            def method(*args: Any, **kwargs: Any) -> AsyncPager[T]:
                paging = query(*args, **kwargs)

                async def fetch(size: int, token: str) -> tuple[list[T], str]:
                    return convert(await acall(rpc, paging.request(size, token)))

                return AsyncPager(fetch, paging.page_size, paging.limit)

        else:
            call = cast(SyncCaller, obj)._call

            def method(*args: Any, **kwargs: Any) -> Pager[T]:
                paging = query(*args, **kwargs)
                return Pager(
                    lambda size, token: convert(call(rpc, paging.request(size, token))), paging.page_size, paging.limit
                )

        bound = _named(method, query, self.name)
        obj.__dict__[self.name] = bound
        return bound
