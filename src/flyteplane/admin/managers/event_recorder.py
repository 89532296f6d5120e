"""EventRecorder: the one path by which the state of a run changes (Flyte Admin's
``flyteadmin/pkg/manager/impl/execution_manager.go`` and its node and task siblings).

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

from collections.abc import Callable

from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.phases import WORKFLOW_TERMINAL, phase_name, stored_phase
from flyteplane.admin.domain.times import duration_of, naive, timestamp, utcnow
from flyteplane.admin.domain.validation.events import (
    DEFAULT_PRODUCER_ID,
    check_cluster,
    terminal_state_error,
    validate_workflow_event,
)
from flyteplane.admin.errors import already_exists, failed_precondition
from flyteplane.admin.managers._node_events import NodeEvents
from flyteplane.admin.managers._task_events import TaskEvents
from flyteplane.admin.managers.run_data import offload_literal_map
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.managers.run_listeners import RunListener, RunNotice, tell
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.executions import ExecutionChange, ExecutionRecord, ExecutionRepository, missing_execution

__all__ = ["EventRecorder"]

_WF = core_execution_pb2.WorkflowExecution


class EventRecorder:
    """Applies workflow, node and task execution events to the run records of one admin."""

    def __init__(
        self,
        ctx: AdminContext,
        endings: RunEndings | None = None,
        *,
        on_ended: Callable[[event_pb2.WorkflowExecutionEvent, ExecutionRecord], None] | None = None,
        run_listener: RunListener | None = None,
    ) -> None:
        """``on_ended`` is told of each committed terminal workflow event with the record it applied to (the
        notifier, which must return at once and never raise); ``run_listener`` of each execution's start and end
        (:mod:`~.run_listeners`)."""
        self._ctx = ctx
        self._endings = endings if endings is not None else RunEndings()
        self._on_ended = on_ended
        self._run_listener = run_listener
        self._executions = ExecutionRepository(ctx.store)
        self._nodes = NodeEvents(ctx)
        self._tasks = TaskEvents(ctx)

    # --- workflow events ---------------------------------------------------------------------------------------------

    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None:
        """Apply a workflow execution event, or raise :class:`AdminError` as Flyte Admin answers it."""
        validate_workflow_event(event)
        new_name = phase_name(_WF.Phase, event.phase)
        with self._ctx.store.begin() as tx:
            record = self._executions.get_for_update(tx, event.execution_id)
            if record is None:
                raise missing_execution(event.execution_id)
            current = stored_phase(_WF.Phase, record.phase)
            current_name = _WF.Phase.Name(current)
            shown = go_text(event.execution_id)
            # A repeated QUEUED event announces a cluster reassignment, and is allowed.
            if event.phase != _WF.QUEUED:
                if current == event.phase:
                    raise already_exists(
                        f"This phase {current_name} was already recorded for workflow execution {shown}"
                    )
                check_cluster(record.cluster, event.producer_id)
            if current in WORKFLOW_TERMINAL:
                raise terminal_state_error(
                    f"Invalid phase change from {current_name} to {new_name} for workflow execution {shown}",
                    current_name,
                )
            if current == _WF.RUNNING and event.phase == _WF.QUEUED:
                raise failed_precondition(f"Cannot go from {current_name} to {new_name} for workflow execution {shown}")
            if current == _WF.ABORTING and event.phase not in WORKFLOW_TERMINAL:
                raise failed_precondition(
                    f"Invalid phase change from aborting to {new_name} for workflow execution {shown}"
                )
            self._executions.update(tx, record.row_id, self._apply_workflow_event(record, event, new_name))
            self._executions.add_event(
                tx,
                event.execution_id,
                request_id=request_id,
                occurred_at=naive(event.occurred_at),
                phase=new_name,
                now=utcnow(),
            )
        if event.phase in WORKFLOW_TERMINAL:
            self._endings.ended(event.execution_id)  # after the commit: a woken waiter reads the ended run
            if self._on_ended is not None:  # Flyte Admin publishes notifications here (publishNotifications)
                self._on_ended(event, record)
        if self._run_listener is not None and (event.phase == _WF.RUNNING or event.phase in WORKFLOW_TERMINAL):
            tell(self._run_listener, _notice(event, record))

    def _apply_workflow_event(
        self, record: ExecutionRecord, event: event_pb2.WorkflowExecutionEvent, new_name: str
    ) -> ExecutionChange:
        """What an accepted event changes (Flyte Admin's UpdateExecutionModelState)."""
        closure = record.closure
        closure.phase = event.phase
        closure.updated_at.CopyFrom(event.occurred_at)
        change = ExecutionChange(
            closure=closure, updated_at=utcnow(), phase=new_name, execution_updated_at=naive(event.occurred_at)
        )
        if event.phase == _WF.RUNNING:
            change.started_at = naive(event.occurred_at)
            closure.started_at.CopyFrom(event.occurred_at)
        elif event.phase in WORKFLOW_TERMINAL:
            started_at = record.started_at
            if started_at is not None:
                start = closure.started_at if closure.HasField("started_at") else timestamp(started_at)
                change.duration, duration = duration_of(start, event.occurred_at)
                closure.duration.CopyFrom(duration)

        producer = event.producer_id
        if producer and producer != DEFAULT_PRODUCER_ID:
            if event.phase in (_WF.UNDEFINED, _WF.QUEUED):
                # A queued execution may move to another cluster; the spec records where it runs.
                spec = record.spec()
                spec.metadata.system_metadata.execution_cluster = producer
                change.cluster = producer
                change.spec = spec
            elif record.cluster != producer:
                reason = admin_event_pb2.EventFailureReason(
                    incompatible_cluster=admin_event_pb2.EventErrorIncompatibleCluster(cluster=record.cluster)
                )
                raise failed_precondition(
                    f"Cannot accept events for running/terminated execution [{go_text(event.execution_id)}] from "
                    f"cluster [{producer}],expected events to originate from [{record.cluster}]",
                    [reason],
                )

        if event.output_uri:
            closure.outputs.CopyFrom(admin_execution_pb2.LiteralMapBlob(uri=event.output_uri))
        elif event.HasField("output_data"):
            wid = event.execution_id
            uri = offload_literal_map(
                self._ctx, (wid.project, wid.domain, wid.name, "offloaded_outputs"), event.output_data
            )
            closure.outputs.CopyFrom(admin_execution_pb2.LiteralMapBlob(uri=uri))
        elif event.HasField("error"):
            closure.error.CopyFrom(event.error)
            change.error = event.error
        return change

    # --- node and task events ----------------------------------------------------------------------------------------

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
        """Apply a node execution event; the first event of a node creates its record."""
        self._nodes.record(event, request_id)

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None:
        """Apply a task execution event; the first event of an attempt creates its record."""
        self._tasks.record(event, request_id)


def _notice(event: event_pb2.WorkflowExecutionEvent, record: ExecutionRecord) -> RunNotice:
    """What the run listener hears of a committed start or end (``record.closure`` holds the applied change)."""
    closure = record.closure
    ended = event.phase in WORKFLOW_TERMINAL
    duration = None
    if ended and closure.HasField("duration"):
        duration = closure.duration.seconds + closure.duration.nanos / 1e9
    error = event.error.message if event.HasField("error") else ""
    if not error and event.phase == _WF.ABORTED:
        error = closure.abort_metadata.cause
    return RunNotice(
        execution_id=event.execution_id,
        phase=phase_name(_WF.Phase, event.phase),
        ended=ended,
        launch_plan=record.spec().launch_plan.name,
        duration=duration,
        error=error,
    )
