"""Running the synchronous clients' tests against the asynchronous clients too.

:class:`Blocking` drives a :mod:`flyteplane.aio` client from synchronous test code on one event loop: every
coroutine method becomes a blocking call, every :class:`~flyteplane.clients.pager.AsyncPager` a
:class:`BlockingPager` (``for``, ``pages()``, ``all()``, ``first()`` through ``async for``). The same test body
then checks both clients, over the same embedded admin.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

from flyteplane.aio import FlyteClient, RawFlyteClient
from flyteplane.clients.pager import AsyncPager


class BlockingPager:
    """An AsyncPager walked from synchronous code (each page fetched by ``async for`` on the loop)."""

    def __init__(self, pager: AsyncPager[Any], loop: asyncio.AbstractEventLoop) -> None:
        self.pager = pager
        self._loop = loop

    def _drain(self, iterator: Any) -> Iterator[Any]:
        while True:
            try:
                yield self._loop.run_until_complete(iterator.__anext__())
            except StopAsyncIteration:
                return

    def __iter__(self) -> Iterator[Any]:
        return self._drain(self.pager.__aiter__())

    def pages(self) -> Iterator[list[Any]]:
        return self._drain(self.pager.pages())

    def all(self) -> list[Any]:
        return self._loop.run_until_complete(self.pager.all())

    def first(self) -> Any:
        return self._loop.run_until_complete(self.pager.first())


class Blocking:
    """An async client seen through blocking calls (see the module docstring)."""

    def __init__(self, client: FlyteClient | RawFlyteClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if isinstance(attr, RawFlyteClient):
            return Blocking(attr, self.loop)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if isinstance(result, AsyncPager):
                return BlockingPager(result, self.loop)
            if inspect.isawaitable(result):
                return self.loop.run_until_complete(result)
            return result

        return call

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def blocking(client: FlyteClient | RawFlyteClient) -> Iterator[Blocking]:
    """A fixture body: the client on a fresh loop, closed (and the loop too) afterwards."""
    loop = asyncio.new_event_loop()
    wrapped = Blocking(client, loop)
    try:
        yield wrapped
    finally:
        wrapped.close()
        loop.close()
