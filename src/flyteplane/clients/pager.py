"""Lazy iteration over every page of a Flyte Admin list call, so callers never handle tokens.

Flyte Admin's token is an offset: a page that comes back exactly full still carries a token, and the next call
returns an empty page with token ``""``. :class:`Pager` stops on an empty token or an empty page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["Pager"]

T = TypeVar("T")

FetchPage = Callable[[int, str], "tuple[list[T], str]"]


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
        if page_size <= 0:
            raise ValueError(f"page_size must be positive, got {page_size}")
        self._fetch = fetch
        self.page_size = page_size
        self.limit = limit

    def pages(self) -> Iterator[list[T]]:
        """Each page as a list, in order."""
        token = ""
        left = self.limit
        while left is None or left > 0:
            size = self.page_size if left is None else min(self.page_size, left)
            items, token = self._fetch(size, token)
            if left is not None:
                items = items[:left]
                left -= len(items)
            if items:
                yield items
            if not token or not items:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page

    def all(self) -> list[T]:
        """Every item, in one list."""
        return list(self)

    def first(self) -> T | None:
        """The first item, fetching one page at most."""
        return next(iter(self), None)
