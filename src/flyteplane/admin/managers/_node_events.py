"""Node execution events (Flyte Admin's ``flyteadmin/pkg/manager/impl/node_execution_manager.go``): Flyte Admin's
CreateNodeEvent rules.

The first event of a node creates its row, whatever its phase; later ones move it on. Used through
:class:`~flyteplane.admin.managers.event_recorder.EventRecorder`.
"""

from __future__ import annotations

from flyteidl.admin import node_execution_pb2
from flyteidl.core import catalog_pb2, identifier_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from google.protobuf import timestamp_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.phases import NODE_TERMINAL, phase_name, stored_phase
from flyteplane.admin.domain.times import duration_of, naive, utcnow
from flyteplane.admin.domain.validation.events import check_cluster, terminal_state_error, validate_node_event
from flyteplane.admin.errors import already_exists, not_found
from flyteplane.admin.managers.run_data import offload_literal_map, store_message
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.db import Tx
from flyteplane.admin.store.executions import ExecutionRepository, missing_execution
from flyteplane.admin.store.node_executions import (
    NewNodeExecution,
    NodeExecutionChange,
    NodeExecutionRecord,
    NodeExecutionRepository,
    missing_node_execution,
)
from flyteplane.admin.store.task_executions import TaskExecutionRepository, missing_task_execution

__all__ = ["NodeEvents"]

_NODE = core_execution_pb2.NodeExecution


class NodeEvents:
    """Records node execution events."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._executions = ExecutionRepository(ctx.store)
        self._nodes = NodeExecutionRepository(ctx.store)
        self._tasks = TaskExecutionRepository(ctx.store)

    def record(self, event: event_pb2.NodeExecutionEvent, request_id: str) -> None:
        """Create or update the node execution ``event.id`` (see the module docstring)."""
        validate_node_event(event)
        node_id = event.id
        phase = phase_name(_NODE.Phase, event.phase)
        with self._ctx.store.begin() as tx:
            cluster = self._executions.cluster_of(tx, node_id.execution_id)
            if cluster is None:
                inner = missing_execution(node_id.execution_id)
                raise not_found(
                    f"Failed to get existing execution id: [{go_text(node_id.execution_id)}] with err: {inner.message}"
                )
            check_cluster(cluster, event.producer_id)
            dynamic_ref = self._store_dynamic_workflow(event)
            record = self._nodes.get_for_update(tx, node_id)
            if record is None:
                self._create(tx, event, phase, dynamic_ref)
            else:
                self._update(tx, record, event, phase, dynamic_ref)
            self._nodes.add_event(
                tx, node_id, request_id=request_id, occurred_at=naive(event.occurred_at), phase=phase, now=utcnow()
            )

    def _store_dynamic_workflow(self, event: event_pb2.NodeExecutionEvent) -> str:
        """Upload a dynamic node's compiled workflow to ``metadata/admin/<p>/<d>/<exec>/<node>/<p>_<d>_<n>_<v>``."""
        if not (event.HasField("task_node_metadata") and event.task_node_metadata.HasField("dynamic_workflow")):
            return ""
        dynamic = event.task_node_metadata.dynamic_workflow
        execution, wf = event.id.execution_id, dynamic.id
        name = f"{wf.project}_{wf.domain}_{wf.name}_{wf.version}"
        parts = ("admin", execution.project, execution.domain, execution.name, event.id.node_id, name)
        return store_message(self._ctx, parts, dynamic.compiled_workflow)

    def _create(self, tx: Tx, event: event_pb2.NodeExecutionEvent, phase: str, dynamic_ref: str) -> None:
        """The row a node's first event creates (Flyte Admin's CreateNodeExecutionModel)."""
        node_id = event.id
        parent_task_execution_id = None
        if event.HasField("parent_task_metadata"):
            parent_task = event.parent_task_metadata.id
            parent_task_execution_id = self._tasks.find_id(tx, parent_task)
            if parent_task_execution_id is None:
                raise missing_task_execution(parent_task)
        parent_id = None
        if event.HasField("parent_node_metadata"):
            parent_node = identifier_pb2.NodeExecutionIdentifier(
                execution_id=node_id.execution_id, node_id=event.parent_node_metadata.node_id
            )
            parent_id = self._nodes.find_id(tx, parent_node)
            if parent_id is None:
                raise missing_node_execution(parent_node)

        reported = _reported_at(event)
        closure = node_execution_pb2.NodeExecutionClosure(
            phase=event.phase, created_at=event.occurred_at, updated_at=reported
        )
        change = NodeExecutionChange(
            closure=closure,
            phase=phase,
            node_execution_updated_at=naive(reported),
            updated_at=utcnow(),
            input_uri=_input_uri(self._ctx, event),
            metadata=node_execution_pb2.NodeExecutionMetaData(
                retry_group=event.retry_group,
                spec_node_id=event.spec_node_id,
                is_parent_node=event.is_parent,
                is_dynamic=event.is_dynamic,
                is_array=event.is_array,
                is_eager=event.is_eager,
            ),
            dynamic_workflow_reference=dynamic_ref or None,
        )
        if event.phase == _NODE.RUNNING:
            _running(event, closure, change)
        if event.phase in NODE_TERMINAL:
            _terminal(self._ctx, event, closure, change)
        # Only a task node's metadata is kept from a first event; a child execution's id comes with a later one.
        if event.HasField("task_node_metadata"):
            _task_node_metadata(event, closure, change)
        self._nodes.create(
            tx,
            NewNodeExecution(
                node_execution_id=node_id,
                created_at=naive(event.occurred_at),
                parent_id=parent_id,
                parent_task_execution_id=parent_task_execution_id,
                event_version=event.event_version,
                columns=change,
            ),
        )

    def _update(
        self, tx: Tx, record: NodeExecutionRecord, event: event_pb2.NodeExecutionEvent, phase: str, dynamic_ref: str
    ) -> None:
        """Move an existing node on (Flyte Admin's updateNodeExecutionWithEvent and UpdateNodeExecutionModel)."""
        current = stored_phase(_NODE.Phase, record.phase)
        current_name = _NODE.Phase.Name(current)
        if current == event.phase:
            raise already_exists(f"This phase was already recorded {current_name} for {go_text(event.id)}")
        if current in NODE_TERMINAL:
            # Flyte Admin names the node by its row id here, and reports the event's phase in the detail.
            raise terminal_state_error(
                f"Invalid phase change from {current_name} to {phase} for node execution {record.row_id}", phase
            )
        child = None
        if event.HasField("workflow_node_metadata"):
            child = event.workflow_node_metadata.execution_id
            if not self._executions.exists(tx, child):
                raise missing_execution(child)

        closure = record.closure
        reported = _reported_at(event)
        closure.phase = event.phase
        closure.updated_at.CopyFrom(reported)
        change = NodeExecutionChange(
            closure=closure, phase=phase, node_execution_updated_at=naive(reported), updated_at=utcnow()
        )
        if not record.input_uri:  # inputs never change once recorded
            input_uri = _input_uri(self._ctx, event)
            if input_uri:
                change.input_uri = input_uri
        if event.phase == _NODE.RUNNING:
            _running(event, closure, change)
        if event.phase in NODE_TERMINAL:
            _terminal(self._ctx, event, closure, change)
        if child is not None and not closure.HasField("workflow_node_metadata"):
            closure.workflow_node_metadata.executionId.CopyFrom(child)
        if event.HasField("task_node_metadata"):
            _task_node_metadata(event, closure, change)
            dynamic = event.task_node_metadata.dynamic_workflow
            if event.task_node_metadata.HasField("dynamic_workflow") and dynamic.dynamic_job_spec_uri:
                closure.dynamic_job_spec_uri = dynamic.dynamic_job_spec_uri
        if dynamic_ref:
            change.dynamic_workflow_reference = dynamic_ref
        # Propeller sets these bits on some events only (a dynamic node's DYNAMIC_RUNNING), so they only ever turn on.
        if event.is_parent or event.is_dynamic or event.is_array or event.is_eager:
            metadata = record.metadata()
            metadata.is_parent_node = metadata.is_parent_node or event.is_parent
            metadata.is_dynamic = metadata.is_dynamic or event.is_dynamic
            metadata.is_array = metadata.is_array or event.is_array
            metadata.is_eager = metadata.is_eager or event.is_eager
            change.metadata = metadata
        self._nodes.update(tx, record.row_id, change)


def _reported_at(event: event_pb2.NodeExecutionEvent) -> timestamp_pb2.Timestamp:
    reported = event.reported_at
    if event.HasField("reported_at") and (reported.seconds or reported.nanos):
        return reported
    return event.occurred_at


def _input_uri(ctx: AdminContext, event: event_pb2.NodeExecutionEvent) -> str:
    if event.input_uri:
        return str(event.input_uri)
    if event.HasField("input_data"):
        execution = event.id.execution_id
        parts = (execution.project, execution.domain, execution.name, event.id.node_id, "offloaded_inputs")
        return offload_literal_map(ctx, parts, event.input_data)
    return ""


def _running(
    event: event_pb2.NodeExecutionEvent, closure: node_execution_pb2.NodeExecutionClosure, change: NodeExecutionChange
) -> None:
    change.started_at = naive(event.occurred_at)
    closure.started_at.CopyFrom(event.occurred_at)
    closure.deck_uri = event.deck_uri


def _terminal(
    ctx: AdminContext,
    event: event_pb2.NodeExecutionEvent,
    closure: node_execution_pb2.NodeExecutionClosure,
    change: NodeExecutionChange,
) -> None:
    """Duration (when the node was seen running), the outputs or the error, and the deck."""
    if closure.HasField("started_at"):
        change.duration, duration = duration_of(closure.started_at, event.occurred_at)
        closure.duration.CopyFrom(duration)
    if event.output_uri:
        closure.output_uri = event.output_uri
    elif event.HasField("output_data"):
        execution = event.id.execution_id
        parts = (execution.project, execution.domain, execution.name, event.id.node_id, "offloaded_outputs")
        closure.output_uri = offload_literal_map(ctx, parts, event.output_data)
    elif event.HasField("error"):
        closure.error.CopyFrom(event.error)
        change.error = event.error
    closure.deck_uri = event.deck_uri


def _task_node_metadata(
    event: event_pb2.NodeExecutionEvent, closure: node_execution_pb2.NodeExecutionClosure, change: NodeExecutionChange
) -> None:
    """A task node's cache status, catalog key and checkpoint (the cache status also as a column, for filters)."""
    reported = event.task_node_metadata
    kept = node_execution_pb2.TaskNodeMetadata(checkpoint_uri=reported.checkpoint_uri)
    if reported.HasField("catalog_key"):
        kept.cache_status = reported.cache_status
        kept.catalog_key.CopyFrom(reported.catalog_key)
        status = catalog_pb2.CatalogCacheStatus.DESCRIPTOR.values_by_number.get(reported.cache_status)
        change.cache_status = status.name if status is not None else str(reported.cache_status)
    closure.task_node_metadata.CopyFrom(kept)
