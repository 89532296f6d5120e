"""A seam for whoever embeds the admin to hear of executions starting and ending (``flyteplane sandbox`` prints a
line for each).

The event recorder calls the listener after it commits a workflow event that starts an execution (RUNNING) or ends
it (a terminal phase), as Flyte Admin publishes its execution events after the commit
(flyteadmin/pkg/manager/impl/execution_manager.go, CreateWorkflowEvent). A listener runs on the recorder's thread:
it must return at once; whatever it raises is logged and never fails the event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flyteidl.core import identifier_pb2

__all__ = ["RunListener", "RunNotice", "tell"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunNotice:
    """An execution started or ended."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    phase: str
    """``RUNNING`` for a start; ``SUCCEEDED``, ``FAILED``, ``ABORTED`` or ``TIMED_OUT`` for an end."""
    ended: bool
    launch_plan: str
    """The name of the launch plan it runs (a single task's generated one for a task)."""
    duration: float | None = None
    """Seconds from start to end (an end only; None when it never started)."""
    error: str = ""
    """The error's message (a failure) or the abort cause (an abort)."""


RunListener = Callable[[RunNotice], None]
"""Told of each :class:`RunNotice`; must return at once and should not raise."""


def tell(listener: RunListener | None, notice: RunNotice) -> None:
    """Call ``listener`` with ``notice``, logging (never raising) what it raises."""
    if listener is None:
        return
    try:
        listener(notice)
    except Exception:
        log.exception("the run listener failed on %s %s", notice.execution_id.name, notice.phase)
