"""Lazy iteration over every page of a Flyte Admin list call, so callers never handle tokens.

Flyte Admin's token is an offset: a page that comes back exactly full still carries a token, and the next call
returns an empty page with token ``""``. A pager stops on an empty token or an empty page.

:class:`Pager` (``for``) and :class:`AsyncPager` (``async for``) differ only in how they fetch; the bookkeeping
(page sizes, the overall limit, when to stop) is :class:`PageWalk`, shared by both.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["AsyncPager", "PageWalk", "Pager"]

T = TypeVar("T")

FetchPage = Callable[[int, str], "tuple[list[T], str]"]
AsyncFetchPage = Callable[[int, str], "Awaitable[tuple[list[T], str]]"]


class PageWalk:
    """Where a walk over pages stands: the next page's size and token, and whether it is over."""

    __slots__ = ("done", "left", "page_size", "token")

    def __init__(self, page_size: int, limit: int | None) -> None:
        if page_size <= 0:
            raise ValueError(f"page_size must be positive, got {page_size}")
        if limit is not None and limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        self.page_size = page_size
        self.left = limit
        self.token = ""
        self.done = limit == 0

    def size(self) -> int:
        """How many items to ask for next."""
        return self.page_size if self.left is None else min(self.page_size, self.left)

    def take(self, items: list[T], token: str) -> list[T]:
        """Record a fetched page; returns its items, cut to the overall limit."""
        if self.left is not None:
            items = items[: self.left]
            self.left -= len(items)
        self.token = token
        self.done = not token or not items or self.left == 0
        return items


class Pager(Generic[T]):
    """An iterable over all items of a paginated call, fetching pages only as they are consumed.

    ``for task in client.iter_tasks(...)`` walks the items; ``pager.pages()`` walks whole pages; ``limit``
    stops after that many items in all.

    Args:
        fetch: ``fetch(page_size, token) -> (items, next_token)``.
        page_size: items per request (Flyte Admin requires a limit on most list calls).
        limit: the most items to return in all; ``None`` for all of them.
    """

    def __init__(self, fetch: FetchPage[T], page_size: int = 100, limit: int | None = None) -> None:
        PageWalk(page_size, limit)  # validates now, not on first iteration
        self._fetch = fetch
        self.page_size = page_size
        self.limit = limit

    def pages(self) -> Iterator[list[T]]:
        """Each page as a list, in order."""
        walk = PageWalk(self.page_size, self.limit)
        while not walk.done:
            items = walk.take(*self._fetch(walk.size(), walk.token))
            if items:
                yield items

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page

    def all(self) -> list[T]:
        """Every item, in one list."""
        return list(self)

    def first(self) -> T | None:
        """The first item, fetching one page at most."""
        return next(iter(self), None)


class AsyncPager(Generic[T]):
    """:class:`Pager` for the asynchronous client: ``async for task in client.iter_tasks(...)``.

    Args:
        fetch: ``await fetch(page_size, token) -> (items, next_token)``.
        page_size: items per request.
        limit: the most items to return in all; ``None`` for all of them.
    """

    def __init__(self, fetch: AsyncFetchPage[T], page_size: int = 100, limit: int | None = None) -> None:
        PageWalk(page_size, limit)
        self._fetch = fetch
        self.page_size = page_size
        self.limit = limit

    async def pages(self) -> AsyncGenerator[list[T], None]:
        """Each page as a list, in order."""
        walk = PageWalk(self.page_size, self.limit)
        while not walk.done:
            items = walk.take(*await self._fetch(walk.size(), walk.token))
            if items:
                yield items

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page:
                yield item

    async def all(self) -> list[T]:
        """Every item, in one list."""
        return [item async for item in self]

    async def first(self) -> T | None:
        """The first item, fetching one page at most."""
        pages = self.pages()
        try:
            async for page in pages:
                return page[0]
            return None
        finally:
            await pages.aclose()
