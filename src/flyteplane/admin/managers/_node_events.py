"""Node execution events (flyteadmin-semantics.md §5.11): Flyte Admin's CreateNodeEvent rules.

The first event of a node creates its row, whatever its phase; later ones move it on. Used through
:class:`~flyteplane.admin.managers.execution_records.EventRecorder`.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import node_execution_pb2
from flyteidl.core import catalog_pb2, identifier_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from google.protobuf import timestamp_pb2
from sqlalchemy import Connection, insert, update

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import validate_identifier
from flyteplane.admin.errors import already_exists, invalid_argument, not_found
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import execution_schema as xs

__all__ = ["record_node_event"]

_NODE = core_execution_pb2.NodeExecution
_NE = xs.node_executions


def record_node_event(ctx: AdminContext, event: event_pb2.NodeExecutionEvent, request_id: str) -> None:
    """Create or update the node execution ``event.id`` (see the module docstring)."""
    _validate(event)
    node_id = event.id
    phase = rec.phase_name(_NODE.Phase, event.phase)
    with ctx.store.begin() as conn:
        execution = rec.execution_row(conn, node_id.execution_id, xs.executions.c.cluster)
        if execution is None:
            inner = rec.missing_execution(node_id.execution_id)
            raise not_found(
                f"Failed to get existing execution id: [{go_text(node_id.execution_id)}] with err: {inner.message}"
            )
        rec.check_cluster(execution.cluster, event.producer_id)
        dynamic_ref = _store_dynamic_workflow(ctx, event)
        row = rec.node_row(conn, node_id)
        if row is None:
            _create(ctx, conn, event, phase, dynamic_ref)
        else:
            _update(ctx, conn, row, event, phase, dynamic_ref)
        now = utcnow()
        conn.execute(
            insert(xs.node_execution_events).values(
                **rec.node_execution_key(node_id),
                request_id=request_id,
                occurred_at=rec.naive(event.occurred_at),
                phase=phase,
                created_at=now,
                updated_at=now,
            )
        )


def _validate(event: event_pb2.NodeExecutionEvent) -> None:
    """What an event must carry to be recorded at all.

    Flyte Admin only logs identifier problems in node events and then stores whatever it can; a node event without
    an id or a time cannot be stored meaningfully, so those are INVALID_ARGUMENT here, with its validator's words.
    """
    rec.validate_node_execution_identifier(event.id, event.HasField("id"))
    if not event.HasField("occurred_at"):
        raise invalid_argument("missing occurred_at")
    rec.check_timestamp(event.occurred_at, "occurred_at")
    if event.HasField("reported_at"):
        rec.check_timestamp(event.reported_at, "reported_at")
    if event.HasField("task_node_metadata") and event.task_node_metadata.HasField("dynamic_workflow"):
        dynamic = event.task_node_metadata.dynamic_workflow
        validate_identifier(dynamic.id, dynamic.HasField("id"), identifier_pb2.WORKFLOW)
        if not dynamic.HasField("compiled_workflow"):
            raise invalid_argument("missing compiled dynamic workflow")
        if not dynamic.compiled_workflow.HasField("primary"):
            raise invalid_argument("missing primary dynamic workflow")
        if not dynamic.compiled_workflow.primary.HasField("template"):
            raise invalid_argument("missing primary dynamic workflow template")
        template = dynamic.compiled_workflow.primary.template
        validate_identifier(template.id, template.HasField("id"), identifier_pb2.WORKFLOW)


def _store_dynamic_workflow(ctx: AdminContext, event: event_pb2.NodeExecutionEvent) -> str:
    """Upload a dynamic node's compiled workflow to ``metadata/admin/<p>/<d>/<exec>/<node>/<p>_<d>_<n>_<v>``."""
    if not (event.HasField("task_node_metadata") and event.task_node_metadata.HasField("dynamic_workflow")):
        return ""
    dynamic = event.task_node_metadata.dynamic_workflow
    execution, wf = event.id.execution_id, dynamic.id
    name = f"{wf.project}_{wf.domain}_{wf.name}_{wf.version}"
    parts = ("admin", execution.project, execution.domain, execution.name, event.id.node_id, name)
    return rec.store_message(ctx, parts, dynamic.compiled_workflow)


def _reported_at(event: event_pb2.NodeExecutionEvent) -> timestamp_pb2.Timestamp:
    reported = event.reported_at
    if event.HasField("reported_at") and (reported.seconds or reported.nanos):
        return reported
    return event.occurred_at


def _create(
    ctx: AdminContext, conn: Connection, event: event_pb2.NodeExecutionEvent, phase: str, dynamic_ref: str
) -> None:
    """The row a node's first event creates (Flyte Admin's CreateNodeExecutionModel)."""
    node_id = event.id
    parent_task_execution_id = None
    if event.HasField("parent_task_metadata"):
        parent_task = event.parent_task_metadata.id
        found = rec.task_row(conn, parent_task, xs.task_executions.c.id)
        if found is None:
            raise rec.missing_task_execution(parent_task)
        parent_task_execution_id = found.id
    parent_id = None
    if event.HasField("parent_node_metadata"):
        parent_node = identifier_pb2.NodeExecutionIdentifier(
            execution_id=node_id.execution_id, node_id=event.parent_node_metadata.node_id
        )
        found = rec.node_row(conn, parent_node, _NE.c.id)
        if found is None:
            raise rec.missing_node_execution(parent_node)
        parent_id = found.id

    reported = _reported_at(event)
    closure = node_execution_pb2.NodeExecutionClosure(
        phase=event.phase, created_at=event.occurred_at, updated_at=reported
    )
    metadata = node_execution_pb2.NodeExecutionMetaData(
        retry_group=event.retry_group,
        spec_node_id=event.spec_node_id,
        is_parent_node=event.is_parent,
        is_dynamic=event.is_dynamic,
        is_array=event.is_array,
        is_eager=event.is_eager,
    )
    values: dict[str, Any] = {"input_uri": _input_uri(ctx, event)}
    if event.phase == _NODE.RUNNING:
        _running(event, closure, values)
    if event.phase in rec.NODE_TERMINAL:
        _terminal(ctx, event, closure, values)
    # Only a task node's metadata is kept from a first event; a child execution's id comes with a later one.
    if event.HasField("task_node_metadata"):
        _task_node_metadata(event, closure, values)
    now = utcnow()
    conn.execute(
        insert(_NE).values(
            **rec.node_execution_key(node_id),
            phase=phase,
            closure=closure.SerializeToString(),
            node_execution_metadata=metadata.SerializeToString(),
            node_execution_created_at=rec.naive(event.occurred_at),
            node_execution_updated_at=rec.naive(reported),
            parent_task_execution_id=parent_task_execution_id,
            parent_id=parent_id,
            dynamic_workflow_remote_closure_reference=dynamic_ref or None,
            internal_data=rec.internal_data(event.event_version),
            created_at=now,
            updated_at=now,
            **values,
        )
    )


def _update(
    ctx: AdminContext, conn: Connection, row: Any, event: event_pb2.NodeExecutionEvent, phase: str, dynamic_ref: str
) -> None:
    """Move an existing node on (Flyte Admin's updateNodeExecutionWithEvent and UpdateNodeExecutionModel)."""
    current = rec.stored_phase(_NODE.Phase, row.phase)
    current_name = _NODE.Phase.Name(current)
    if current == event.phase:
        raise already_exists(f"This phase was already recorded {current_name} for {go_text(event.id)}")
    if current in rec.NODE_TERMINAL:
        # Flyte Admin names the node by its row id here, and reports the event's phase in the detail.
        raise rec.terminal_state_error(
            f"Invalid phase change from {current_name} to {phase} for node execution {row.id}", phase
        )
    child = None
    if event.HasField("workflow_node_metadata"):
        child = event.workflow_node_metadata.execution_id
        if rec.execution_row(conn, child, xs.executions.c.id) is None:
            raise rec.missing_execution(child)

    closure = node_execution_pb2.NodeExecutionClosure.FromString(row.closure)
    reported = _reported_at(event)
    closure.phase = event.phase
    closure.updated_at.CopyFrom(reported)
    values: dict[str, Any] = {
        "phase": phase,
        "node_execution_updated_at": rec.naive(reported),
        "updated_at": utcnow(),
    }
    if not row.input_uri:  # inputs never change once recorded
        input_uri = _input_uri(ctx, event)
        if input_uri:
            values["input_uri"] = input_uri
    if event.phase == _NODE.RUNNING:
        _running(event, closure, values)
    if event.phase in rec.NODE_TERMINAL:
        _terminal(ctx, event, closure, values)
    if child is not None and not closure.HasField("workflow_node_metadata"):
        closure.workflow_node_metadata.executionId.CopyFrom(child)
    if event.HasField("task_node_metadata"):
        _task_node_metadata(event, closure, values)
        dynamic = event.task_node_metadata.dynamic_workflow
        if event.task_node_metadata.HasField("dynamic_workflow") and dynamic.dynamic_job_spec_uri:
            closure.dynamic_job_spec_uri = dynamic.dynamic_job_spec_uri
    if dynamic_ref:
        values["dynamic_workflow_remote_closure_reference"] = dynamic_ref
    # Propeller sets these bits on some events only (a dynamic node's DYNAMIC_RUNNING), so they only ever turn on.
    if event.is_parent or event.is_dynamic or event.is_array or event.is_eager:
        metadata = node_execution_pb2.NodeExecutionMetaData()
        if row.node_execution_metadata:
            metadata.ParseFromString(row.node_execution_metadata)
        metadata.is_parent_node = metadata.is_parent_node or event.is_parent
        metadata.is_dynamic = metadata.is_dynamic or event.is_dynamic
        metadata.is_array = metadata.is_array or event.is_array
        metadata.is_eager = metadata.is_eager or event.is_eager
        values["node_execution_metadata"] = metadata.SerializeToString()
    values["closure"] = closure.SerializeToString()
    conn.execute(update(_NE).where(_NE.c.id == row.id).values(**values))


def _input_uri(ctx: AdminContext, event: event_pb2.NodeExecutionEvent) -> str:
    if event.input_uri:
        return str(event.input_uri)
    if event.HasField("input_data"):
        execution = event.id.execution_id
        parts = (execution.project, execution.domain, execution.name, event.id.node_id, "offloaded_inputs")
        return rec.offload_literal_map(ctx, parts, event.input_data)
    return ""


def _running(
    event: event_pb2.NodeExecutionEvent, closure: node_execution_pb2.NodeExecutionClosure, values: dict[str, Any]
) -> None:
    values["started_at"] = rec.naive(event.occurred_at)
    closure.started_at.CopyFrom(event.occurred_at)
    closure.deck_uri = event.deck_uri


def _terminal(
    ctx: AdminContext,
    event: event_pb2.NodeExecutionEvent,
    closure: node_execution_pb2.NodeExecutionClosure,
    values: dict[str, Any],
) -> None:
    """Duration (when the node was seen running), the outputs or the error, and the deck."""
    if closure.HasField("started_at"):
        values["duration"], duration = rec.duration_of(closure.started_at, event.occurred_at)
        closure.duration.CopyFrom(duration)
    if event.output_uri:
        closure.output_uri = event.output_uri
    elif event.HasField("output_data"):
        execution = event.id.execution_id
        parts = (execution.project, execution.domain, execution.name, event.id.node_id, "offloaded_outputs")
        closure.output_uri = rec.offload_literal_map(ctx, parts, event.output_data)
    elif event.HasField("error"):
        closure.error.CopyFrom(event.error)
        values["error_kind"] = rec.error_kind(event.error.kind)
        values["error_code"] = event.error.code
    closure.deck_uri = event.deck_uri


def _task_node_metadata(
    event: event_pb2.NodeExecutionEvent, closure: node_execution_pb2.NodeExecutionClosure, values: dict[str, Any]
) -> None:
    """A task node's cache status, catalog key and checkpoint (the cache status also as a column, for filters)."""
    reported = event.task_node_metadata
    kept = node_execution_pb2.TaskNodeMetadata(checkpoint_uri=reported.checkpoint_uri)
    if reported.HasField("catalog_key"):
        kept.cache_status = reported.cache_status
        kept.catalog_key.CopyFrom(reported.catalog_key)
        status = catalog_pb2.CatalogCacheStatus.DESCRIPTOR.values_by_number.get(reported.cache_status)
        values["cache_status"] = status.name if status is not None else str(reported.cache_status)
    closure.task_node_metadata.CopyFrom(kept)
