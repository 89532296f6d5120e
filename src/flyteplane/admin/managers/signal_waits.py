"""Who is waiting for which signal to get a value, so SetSignal can wake them instead of their polling.

A gate node (``wait_for_input``, ``approve``) waits for its signal. :class:`~.signals.SignalManager` calls
:meth:`SignalWaits.changed` after SetSignal commits a value; a waiter registers *before* it reads the signal, so a
value set between its read and its wait still wakes it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from flyteidl.core import identifier_pb2

__all__ = ["SignalWaits"]

_Key = tuple[str, str, str, str]


def _key(signal_id: identifier_pb2.SignalIdentifier) -> _Key:
    execution = signal_id.execution_id
    return (execution.project, execution.domain, execution.name, signal_id.signal_id)


class SignalWaits:
    """Events that fire when a signal is set; only watched signals cost anything."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[_Key, list[threading.Event]] = {}

    @contextlib.contextmanager
    def watch(self, signal_id: identifier_pb2.SignalIdentifier) -> Iterator[threading.Event]:
        """An event set whenever ``signal_id`` is given a value from now on; unregistered on exit."""
        key, event = _key(signal_id), threading.Event()
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

    def changed(self, signal_id: identifier_pb2.SignalIdentifier) -> None:
        """Wake everyone watching ``signal_id`` (SetSignal calls this after its value is committed)."""
        with self._lock:
            events = list(self._watchers.get(_key(signal_id), ()))
        for event in events:
            event.set()

    def watched(self) -> int:
        """How many signals are watched (bounded by the gate nodes waiting)."""
        with self._lock:
            return len(self._watchers)
