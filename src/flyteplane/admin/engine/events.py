"""The engine's only way to change run state: events to the recorder, as propeller sends them to Flyte Admin.

:class:`Emitter` stamps each event (``occurred_at``, ``reported_at``, ``producer_id``) and hands it to the
:class:`~flyteplane.admin.managers.event_recorder.EventRecorder`. A rejected event (the recorder raises
``AdminError``, e.g. ALREADY_EXISTS for a repeated phase, FAILED_PRECONDITION after a terminal phase) is logged and
reported as ``False``, as propeller logs and drops events Flyte Admin refuses; it never breaks the run. Once the
engine stops, nothing more is recorded: the runs it leaves behind are settled when the engine starts again.
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

__all__ = ["PRODUCER_ID", "Emitter", "Recorder", "now"]

log = logging.getLogger("flyteplane.admin.engine")

PRODUCER_ID = "propeller"
"""What propeller puts in ``producer_id`` when it names no cluster; Flyte Admin skips its cluster check for it."""

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
    """Sends stamped events to the recorder unless ``halted()``; each method returns whether it was recorded."""

    def __init__(self, recorder: Recorder, halted: Callable[[], bool]) -> None:
        self._recorder = recorder
        self._halted = halted

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
        if self._halted() and not force:
            return False
        try:
            record(event, uuid.uuid4().hex)
        except AdminError as e:
            log.info("event %s refused: %s %s", _describe(event), e.code.name, e.message)
            return False
        except Exception:
            # The store may be closing under a stopping admin; the run must still end cleanly.
            log.exception("recording event %s failed", _describe(event))
            return False
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
