"""Waking waiters instead of their polling: events per key that a writer sets after it commits.

A waiter registers *before* it reads the state it waits on, so a change committed between its read and its wait
still wakes it. Only watched keys cost anything. :class:`~.run_endings.RunEndings` (executions ending) and
:class:`~.signal_waits.SignalWaits` (signals being set) are this, keyed by their identifiers.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

__all__ = ["Watchers"]

K = TypeVar("K", bound=Hashable)


class Watchers(Generic[K]):
    """Events that fire when :meth:`notify` is called for their key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[K, list[threading.Event]] = {}

    @contextlib.contextmanager
    def watching(self, key: K) -> Iterator[threading.Event]:
        """An event set whenever ``key`` is notified from now on; unregistered on exit."""
        event = threading.Event()
        with self._lock:
            self._watchers.setdefault(key, []).append(event)
        try:
            yield event
        finally:
            with self._lock:
                events = self._watchers.get(key, [])
                if event in events:
                    events.remove(event)
                if not events:
                    self._watchers.pop(key, None)

    def notify(self, key: K) -> None:
        """Wake everyone watching ``key``."""
        with self._lock:
            events = list(self._watchers.get(key, ()))
        for event in events:
            event.set()

    def watched(self) -> int:
        """How many keys are watched (bounded by the waiters)."""
        with self._lock:
            return len(self._watchers)
