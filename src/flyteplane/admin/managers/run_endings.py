"""Who is waiting for which execution to end, so the event recorder can wake them instead of their polling.

A launch-plan node waits for its child execution. The recorder calls :meth:`RunEndings.ended` after it commits a
workflow event with a terminal phase; a waiter registers *before* it reads the execution once, so an ending that
lands between the read and the wait still wakes it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from flyteidl.core import identifier_pb2

__all__ = ["RunEndings"]

_Key = tuple[str, str, str]


def _key(execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> _Key:
    return (execution_id.project, execution_id.domain, execution_id.name)


class RunEndings:
    """Events that fire when an execution's terminal phase is recorded; only watched executions cost anything."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[_Key, list[threading.Event]] = {}

    @contextlib.contextmanager
    def watch(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> Iterator[threading.Event]:
        """An event set when ``execution_id`` ends from now on; unregistered on exit."""
        key, event = _key(execution_id), threading.Event()
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

    def ended(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> None:
        """Wake everyone watching ``execution_id`` (the recorder calls this after the terminal event commits)."""
        with self._lock:
            events = list(self._watchers.get(_key(execution_id), ()))
        for event in events:
            event.set()

    def watched(self) -> int:
        """How many executions are watched (bounded by the launch-plan nodes running)."""
        with self._lock:
            return len(self._watchers)
