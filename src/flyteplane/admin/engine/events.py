"""The engine's only way to change run state: events to the recorder, as propeller sends them to Flyte Admin.

:class:`Emitter` stamps each event (``occurred_at``, ``reported_at``, ``producer_id``) and hands it to the
:class:`~flyteplane.admin.managers.event_recorder.EventRecorder`. A rejected event (the recorder raises
``AdminError``, e.g. ALREADY_EXISTS for a repeated phase, FAILED_PRECONDITION after a terminal phase) is logged and
reported as ``False``, as propeller logs and drops events Flyte Admin refuses; it never breaks the run.

An event the store cannot take (it raises anything else: a full disk, a database locked past its timeout) is not
dropped: the thread that sends it retries with a growing pause (:data:`RETRY_FIRST_PAUSE` doubling up to
:data:`RETRY_MAX_PAUSE`) until it is recorded, as propeller retries a failed event on its next round. The sender
waits meanwhile, so a run never gets ahead of its records: a node is not reported ended before its start is on
record, and a run's terminal event (sent by the run's own thread) is recorded before the run lets go of the
execution, so no execution stays RUNNING once its tasks have ended. Memory stays bounded: each waiting thread holds
its one event. Once the engine stops (``halted()``), a waiting event is given up: the run stays open in the store
and is resumed when the engine starts again (:mod:`.resume`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from flyteidl.core import execution_pb2, identifier_pb2
from flyteidl.event import event_pb2
from google.protobuf import timestamp_pb2

from flyteplane.admin.errors import AdminError

__all__ = ["PRODUCER_ID", "RETRY_FIRST_PAUSE", "RETRY_MAX_PAUSE", "Emitter", "Recorder", "now"]

log = logging.getLogger("flyteplane.admin.engine")

PRODUCER_ID = "propeller"
"""What propeller puts in ``producer_id`` when it names no cluster; Flyte Admin skips its cluster check for it."""

RETRY_FIRST_PAUSE = 0.05
"""Seconds before an event the store could not take is sent again (doubling each time)."""
RETRY_MAX_PAUSE = 2.0
"""The longest pause between two tries of the same event."""
# A failing store is logged at the first failure and then every this many seconds, not at each try.
_LOG_EVERY = 30.0

WorkflowPhase = execution_pb2.WorkflowExecution
NodePhase = execution_pb2.NodeExecution
TaskPhase = execution_pb2.TaskExecution


class Recorder(Protocol):
    """What the engine needs of the EventRecorder."""

    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None: ...

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None: ...

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None: ...


def now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(time.time_ns())
    return ts


class Emitter:
    """Sends stamped events to the recorder unless ``halted()``; each method returns whether it was recorded.

    Args:
        recorder: the admin's event recorder (through the engine's port).
        halted: whether the engine has stopped (nothing more is recorded; a retried event is given up).
        sleep: how a retry waits (``time.sleep``; tests pass their own).
    """

    def __init__(
        self, recorder: Recorder, halted: Callable[[], bool], *, sleep: Callable[[float], object] = time.sleep
    ) -> None:
        self._recorder = recorder
        self._halted = halted
        self._sleep = sleep

    def workflow(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        phase: int,
        *,
        output_uri: str = "",
        error: execution_pb2.ExecutionError | None = None,
        force: bool = False,
    ) -> bool:
        event = event_pb2.WorkflowExecutionEvent(producer_id=PRODUCER_ID, phase=phase, occurred_at=now())
        event.execution_id.CopyFrom(execution_id)
        if output_uri:
            event.output_uri = output_uri
        elif error is not None:
            event.error.CopyFrom(error)
        return self._send(self._recorder.record_workflow_event, event, force)

    def node(self, event: event_pb2.NodeExecutionEvent, *, force: bool = False) -> bool:
        self._stamp(event)
        return self._send(self._recorder.record_node_event, event, force)

    def task(self, event: event_pb2.TaskExecutionEvent, *, force: bool = False) -> bool:
        self._stamp(event)
        return self._send(self._recorder.record_task_event, event, force)

    @staticmethod
    def _stamp(event: Any) -> None:
        stamp = now()
        if not event.HasField("occurred_at"):
            event.occurred_at.CopyFrom(stamp)
        event.reported_at.CopyFrom(stamp)
        if not event.producer_id:
            event.producer_id = PRODUCER_ID

    def _send(self, record: Callable[..., None], event: Any, force: bool) -> bool:
        pause, tries, logged_at = RETRY_FIRST_PAUSE, 0, 0.0
        # One request id for every try: the same event, however many times the store failed to take it.
        request_id = uuid.uuid4().hex
        while True:
            if self._halted() and (tries or not force):
                if tries:
                    log.warning("event %s given up after %d tries: the engine stopped", _describe(event), tries)
                return False
            try:
                record(event, request_id)
            except AdminError as e:
                log.info("event %s refused: %s %s", _describe(event), e.code.name, e.message)
                return False
            except Exception as e:
                # The store cannot take it now (a full disk, a locked database): try again until it can.
                tries += 1
                if time.monotonic() - logged_at >= _LOG_EVERY:
                    logged_at = time.monotonic()
                    log.warning("recording event %s failed (try %d), retrying: %r", _describe(event), tries, e)
                self._sleep(pause)
                pause = min(pause * 2, RETRY_MAX_PAUSE)
                continue
            if tries:
                log.warning("event %s recorded after %d failed tries", _describe(event), tries)
            return True


def _describe(event: Any) -> str:
    if isinstance(event, event_pb2.WorkflowExecutionEvent):
        return f"workflow {event.execution_id.name} {WorkflowPhase.Phase.Name(event.phase)}"
    if isinstance(event, event_pb2.NodeExecutionEvent):
        return f"node {event.id.execution_id.name}/{event.id.node_id} {NodePhase.Phase.Name(event.phase)}"
    if isinstance(event, event_pb2.TaskExecutionEvent):
        node = event.parent_node_execution_id
        return (
            f"task {node.execution_id.name}/{node.node_id}#{event.retry_attempt} "
            f"{TaskPhase.Phase.Name(event.phase)} v{event.phase_version}"
        )
    return type(event).__name__
