"""EventRecorder: the one path by which the state of a run changes (flyteadmin-semantics.md §5.4, §5.11, §5.12).

In Flyte, propeller reports every step of a run to Flyte Admin as events (CreateWorkflowEvent, CreateNodeEvent,
CreateTaskEvent) and Flyte Admin folds them into its executions, node_executions and task_executions rows under
fixed rules: a phase is recorded once, nothing leaves a terminal phase, RUNNING sets ``started_at``, a terminal
phase sets ``duration`` and the outputs or the error. Here the embedded engine plays propeller and reports through
this recorder, and the event RPCs reach the same recorder, so the records are exactly what Flyte Admin would hold.

Each ``record_*`` call validates its event, then checks and applies it inside one write transaction: two events
for the same run never interleave, and a rejected event changes nothing. Literal maps sent inline
(``output_data``, ``input_data``) are offloaded to the blob store and recorded as URIs, Flyte Admin's default
"offload" policy.
"""

from __future__ import annotations

import threading
from typing import Any

from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from sqlalchemy import insert, update

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.errors import already_exists, failed_precondition, invalid_argument
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.managers._node_events import record_node_event
from flyteplane.admin.managers._task_events import record_task_event
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import execution_schema as xs

__all__ = ["EventRecorder"]

_WF = core_execution_pb2.WorkflowExecution
_CONTEXT_ATTR = "_flyteplane_event_recorder"
_context_lock = threading.Lock()


class EventRecorder:
    """Applies workflow, node and task execution events to the run records of one admin."""

    def __init__(self, ctx: AdminContext, endings: RunEndings | None = None) -> None:
        self._ctx = ctx
        self._endings = endings if endings is not None else RunEndings()

    @classmethod
    def for_context(cls, ctx: AdminContext) -> EventRecorder:
        """The recorder of an admin (one per context, shared by the event RPCs and the engine)."""
        with _context_lock:
            recorder = getattr(ctx, _CONTEXT_ATTR, None)
            if recorder is None:
                recorder = cls(ctx)
                setattr(ctx, _CONTEXT_ATTR, recorder)
            assert isinstance(recorder, EventRecorder)
            return recorder

    # --- workflow events (§5.4) ----------------------------------------------------------------------------------

    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None:
        """Apply a workflow execution event, or raise :class:`AdminError` as Flyte Admin answers it."""
        if not event.HasField("execution_id"):
            raise invalid_argument(
                f"Workflow event handler request event doesn't have an execution id - {go_text(event)}"
            )
        if event.HasField("output_data"):
            rec.check_output_size(event.output_data)
        if not event.HasField("occurred_at"):
            raise invalid_argument("missing occurred_at")
        rec.check_timestamp(event.occurred_at, "occurred_at")
        new_name = rec.phase_name(_WF.Phase, event.phase)
        with self._ctx.store.begin() as conn:
            row = rec.execution_row(conn, event.execution_id)
            if row is None:
                raise rec.missing_execution(event.execution_id)
            current = rec.stored_phase(_WF.Phase, row.phase)
            current_name = _WF.Phase.Name(current)
            shown = go_text(event.execution_id)
            # A repeated QUEUED event announces a cluster reassignment, and is allowed.
            if event.phase != _WF.QUEUED:
                if current == event.phase:
                    raise already_exists(
                        f"This phase {current_name} was already recorded for workflow execution {shown}"
                    )
                rec.check_cluster(row.cluster, event.producer_id)
            if current in rec.WORKFLOW_TERMINAL:
                raise rec.terminal_state_error(
                    f"Invalid phase change from {current_name} to {new_name} for workflow execution {shown}",
                    current_name,
                )
            if current == _WF.RUNNING and event.phase == _WF.QUEUED:
                raise failed_precondition(f"Cannot go from {current_name} to {new_name} for workflow execution {shown}")
            if current == _WF.ABORTING and event.phase not in rec.WORKFLOW_TERMINAL:
                raise failed_precondition(
                    f"Invalid phase change from aborting to {new_name} for workflow execution {shown}"
                )
            values = self._apply_workflow_event(row, event, new_name)
            conn.execute(update(xs.executions).where(xs.executions.c.id == row.id).values(**values))
            now = utcnow()
            conn.execute(
                insert(xs.execution_events).values(
                    **rec.execution_key(event.execution_id),
                    request_id=request_id,
                    occurred_at=rec.naive(event.occurred_at),
                    phase=new_name,
                    created_at=now,
                    updated_at=now,
                )
            )
        if event.phase in rec.WORKFLOW_TERMINAL:
            self._endings.ended(event.execution_id)  # after the commit: a woken waiter reads the ended run

    def _apply_workflow_event(
        self, row: Any, event: event_pb2.WorkflowExecutionEvent, new_name: str
    ) -> dict[str, object]:
        """The executions columns an accepted event changes (Flyte Admin's UpdateExecutionModelState)."""
        closure = admin_execution_pb2.ExecutionClosure.FromString(row.closure)
        closure.phase = event.phase
        closure.updated_at.CopyFrom(event.occurred_at)
        values: dict[str, object] = {
            "phase": new_name,
            "execution_updated_at": rec.naive(event.occurred_at),
            "updated_at": utcnow(),
        }
        if event.phase == _WF.RUNNING:
            values["started_at"] = rec.naive(event.occurred_at)
            closure.started_at.CopyFrom(event.occurred_at)
        elif event.phase in rec.WORKFLOW_TERMINAL:
            started_at = row.started_at
            if started_at is not None:
                start = closure.started_at if closure.HasField("started_at") else rec.timestamp(started_at)
                values["duration"], duration = rec.duration_of(start, event.occurred_at)
                closure.duration.CopyFrom(duration)

        producer = event.producer_id
        if producer and producer != rec.DEFAULT_PRODUCER_ID:
            if event.phase in (_WF.UNDEFINED, _WF.QUEUED):
                # A queued execution may move to another cluster; the spec records where it runs.
                spec = admin_execution_pb2.ExecutionSpec.FromString(row.spec)
                spec.metadata.system_metadata.execution_cluster = producer
                values["cluster"] = producer
                values["spec"] = spec.SerializeToString()
            elif row.cluster != producer:
                reason = admin_event_pb2.EventFailureReason(
                    incompatible_cluster=admin_event_pb2.EventErrorIncompatibleCluster(cluster=row.cluster)
                )
                raise failed_precondition(
                    f"Cannot accept events for running/terminated execution [{go_text(event.execution_id)}] from "
                    f"cluster [{producer}],expected events to originate from [{row.cluster}]",
                    [reason],
                )

        if event.output_uri:
            closure.outputs.CopyFrom(admin_execution_pb2.LiteralMapBlob(uri=event.output_uri))
        elif event.HasField("output_data"):
            wid = event.execution_id
            uri = rec.offload_literal_map(
                self._ctx, (wid.project, wid.domain, wid.name, "offloaded_outputs"), event.output_data
            )
            closure.outputs.CopyFrom(admin_execution_pb2.LiteralMapBlob(uri=uri))
        elif event.HasField("error"):
            closure.error.CopyFrom(event.error)
            values["error_kind"] = rec.error_kind(event.error.kind)
            values["error_code"] = event.error.code
        values["closure"] = closure.SerializeToString()
        return values

    # --- node and task events (§5.11, §5.12) -------------------------------------------------------------------

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
        """Apply a node execution event; the first event of a node creates its record."""
        record_node_event(self._ctx, event, request_id)

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None:
        """Apply a task execution event; the first event of an attempt creates its record."""
        record_task_event(self._ctx, event, request_id)
