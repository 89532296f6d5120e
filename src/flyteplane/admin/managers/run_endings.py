"""Who is waiting for which execution to end, so the event recorder can wake them instead of their polling.

A launch-plan node waits for its child execution. The recorder calls :meth:`RunEndings.ended` after it commits a
workflow event with a terminal phase (see :class:`~.watchers.Watchers`).
"""

from __future__ import annotations

import contextlib
import threading

from flyteidl.core import identifier_pb2

from flyteplane.admin.managers.watchers import Watchers

__all__ = ["RunEndings"]

_Key = tuple[str, str, str]


def _key(execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> _Key:
    return (execution_id.project, execution_id.domain, execution_id.name)


class RunEndings(Watchers[_Key]):
    """Events that fire when an execution's terminal phase is recorded; only watched executions cost anything."""

    def watch(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier
    ) -> contextlib.AbstractContextManager[threading.Event]:
        """An event set when ``execution_id`` ends from now on; unregistered on exit."""
        return self.watching(_key(execution_id))

    def ended(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> None:
        """Wake everyone watching ``execution_id`` (the recorder calls this after the terminal event commits)."""
        self.notify(_key(execution_id))
