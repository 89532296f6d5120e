"""The ``node_executions`` table (with ``node_execution_events``): Flyte Admin's node execution repository
(``flyteadmin/pkg/repositories/gormimpl/node_execution_repo.go``) and its row <-> message mapping
(``flyteadmin/pkg/repositories/transformers/node_execution.go``).

A node execution belongs to a workflow execution; sub-workflow and branch children point at their parent node
(``parent_id``), dynamic and array children at the task attempt that produced them (``parent_task_execution_id``).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from flyteidl.admin import node_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from google.protobuf.message import DecodeError
from sqlalchemy import Select, bindparam, select

from flyteplane.admin.domain.earlier_runs import RecordedAttempt, RecordedNode, RecoveredNode
from flyteplane.admin.domain.phases import NODE_OPEN_NAMES, NODE_SUCCEEDED_NAMES
from flyteplane.admin.errors import AdminError, not_found
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import listing
from flyteplane.admin.store.db import Store, Tx
from flyteplane.admin.store.execution_schema import node_execution_events, node_executions
from flyteplane.admin.store.executions import error_kind_name, fill_closure_times, trim_error_message
from flyteplane.admin.store.keys import execution_params, where_execution
from flyteplane.admin.store.paging import FETCH_CHUNK, page_rows
from flyteplane.admin.store.statements import insert_row, update_by_id

__all__ = [
    "NewNodeExecution",
    "NodeExecutionChange",
    "NodeExecutionRecord",
    "NodeExecutionRepository",
    "StoredNodeExecution",
    "TreeNode",
    "ids_with_children",
    "missing_node_execution",
    "node_params",
]

_NE = node_executions
_IN_EXECUTION = where_execution(_NE)
_KEY = _IN_EXECUTION & (_NE.c.node_id == bindparam("node"))
# What a NodeExecution message is made of.
_MESSAGE_COLUMNS = (
    _NE.c.execution_project,
    _NE.c.execution_domain,
    _NE.c.execution_name,
    _NE.c.node_id,
    _NE.c.input_uri,
    _NE.c.closure,
    _NE.c.node_execution_metadata,
    _NE.c.internal_data,
    _NE.c.dynamic_workflow_remote_closure_reference,
)
# Statements built once (node events run several times per node).
_GET = select(_NE.c.id, *_MESSAGE_COLUMNS).where(_KEY)
_ID = select(_NE.c.id).where(_KEY)
_FOR_UPDATE = select(_NE.c.id, _NE.c.phase, _NE.c.input_uri, _NE.c.closure, _NE.c.node_execution_metadata).where(_KEY)
_TREE_COLUMNS = (
    _NE.c.id,
    _NE.c.node_id,
    _NE.c.closure,
    _NE.c.node_execution_metadata,
    _NE.c.node_execution_created_at,
    _NE.c.node_execution_updated_at,
    _NE.c.started_at,
    _NE.c.duration,
    _NE.c.dynamic_workflow_remote_closure_reference,
)
_TOP_LEVEL = (
    select(*_TREE_COLUMNS)
    .where(_IN_EXECUTION, _NE.c.parent_id.is_(None), _NE.c.parent_task_execution_id.is_(None))
    .order_by(_NE.c.id)
)
_CHILDREN = select(*_TREE_COLUMNS).where(_IN_EXECUTION, _NE.c.parent_id == bindparam("parent")).order_by(_NE.c.id)
_OPEN = select(_NE.c.node_id).where(_IN_EXECUTION, _NE.c.phase.in_(NODE_OPEN_NAMES))
_RECORDED = select(_NE.c.node_id, _NE.c.phase, _NE.c.input_uri, _NE.c.closure).where(_IN_EXECUTION).order_by(_NE.c.id)
_SUCCEEDED = select(_NE.c.node_id, _NE.c.input_uri, _NE.c.closure).where(
    _IN_EXECUTION, _NE.c.phase.in_(NODE_SUCCEEDED_NAMES)
)


def node_params(identifier: Any) -> dict[str, str]:
    """The binds of the node execution key, from a NodeExecutionIdentifier."""
    return {**execution_params(identifier.execution_id), "node": identifier.node_id}


def _shown(identifier: Any) -> identifier_pb2.NodeExecutionIdentifier:
    execution = identifier.execution_id
    return identifier_pb2.NodeExecutionIdentifier(
        node_id=identifier.node_id,
        execution_id=identifier_pb2.WorkflowExecutionIdentifier(
            project=execution.project, domain=execution.domain, name=execution.name
        ),
    )


def missing_node_execution(identifier: Any) -> AdminError:
    """NOT_FOUND ``missing entity of type node execution with identifier ...`` (the repository's
    GetMissingEntityError)."""
    return not_found(f"missing entity of type node execution with identifier {go_text(_shown(identifier))}")


# --- the internal_data column ----------------------------------------------------------------------------------------


def internal_data(event_version: int) -> bytes:
    """What the ``internal_data`` column keeps (Flyte Admin: NodeExecutionInternalData{event_version})."""
    return json.dumps({"event_version": event_version}).encode()


def event_version_of(data: bytes | None) -> int:
    if not data:
        return 0
    try:
        return int(json.loads(data).get("event_version", 0))
    except (ValueError, AttributeError, TypeError):
        return 0


def ids_with_children(tx: Tx, column: Any, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` have child node executions through ``column`` (parent_id or parent_task_execution_id)."""
    found: set[int] = set()
    for start in range(0, len(ids), FETCH_CHUNK):
        chunk = list(ids[start : start + FETCH_CHUNK])
        rows = tx.execute(select(column).where(column.in_(chunk)).distinct())
        found.update(row[0] for row in rows)
    return found


# --- records -------------------------------------------------------------------------------------------------------


class StoredNodeExecution(NamedTuple):
    """A node execution as GetNodeExecution returns it, and where its dynamic workflow is stored ("" if none)."""

    node_execution: node_execution_pb2.NodeExecution
    dynamic_workflow_reference: str


class NodeExecutionRecord(NamedTuple):
    """What a node event reads of an existing node execution inside its write transaction."""

    row_id: int
    phase: str
    input_uri: str
    closure: node_execution_pb2.NodeExecutionClosure  # a fresh copy, the caller's to change
    metadata_bytes: bytes | None

    def metadata(self) -> node_execution_pb2.NodeExecutionMetaData:
        return node_execution_pb2.NodeExecutionMetaData.FromString(self.metadata_bytes or b"")


@dataclass
class NodeExecutionChange:
    """The columns a node event writes (None: left as stored, or the column's default for a new row).
    ``error`` fills ``error_kind``/``error_code``."""

    closure: node_execution_pb2.NodeExecutionClosure
    phase: str
    node_execution_updated_at: _dt.datetime
    updated_at: _dt.datetime
    input_uri: str | None = None
    started_at: _dt.datetime | None = None
    duration: int | None = None
    error: core_execution_pb2.ExecutionError | None = None
    cache_status: str | None = None
    metadata: node_execution_pb2.NodeExecutionMetaData | None = None
    dynamic_workflow_reference: str | None = None


class NewNodeExecution(NamedTuple):
    """The row a node's first event creates: its key, lineage and creation time, and the event's columns."""

    node_execution_id: identifier_pb2.NodeExecutionIdentifier
    created_at: _dt.datetime  # when the node was created (the event's occurred_at)
    parent_id: int | None
    parent_task_execution_id: int | None
    event_version: int
    columns: NodeExecutionChange


class TreeNode(NamedTuple):
    """A node execution as GetExecutionMetrics walks them: its closure's times completed from the row's columns."""

    row_id: int
    id: identifier_pb2.NodeExecutionIdentifier
    closure: node_execution_pb2.NodeExecutionClosure
    metadata: node_execution_pb2.NodeExecutionMetaData
    dynamic_reference: str


# --- the repository ------------------------------------------------------------------------------------------------


class NodeExecutionRepository:
    """Node executions and their events."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # reads

    def get(self, identifier: Any) -> StoredNodeExecution:
        """GetNodeExecution's message (NOT_FOUND when there is none)."""
        with self._store.read() as tx:
            row = tx.execute(_GET, node_params(identifier)).first()
            if row is None:
                raise missing_node_execution(identifier)
            node = self._messages(tx, [row], trim=False)[0]
        return StoredNodeExecution(node, row.dynamic_workflow_remote_closure_reference or "")

    def find_id(self, tx: Tx, identifier: Any) -> int | None:
        """The row id of a node execution, if it exists."""
        row = tx.execute(_ID, node_params(identifier)).first()
        return None if row is None else int(row.id)

    def list_page(
        self,
        execution_id: Any,
        request: Any,
        *,
        parent_node_id: str = "",
        parent_task_row_id: int | None = None,
        rpc: str = "ListNodeExecutions",
    ) -> tuple[list[node_execution_pb2.NodeExecution], str]:
        """One page of an execution's node executions: the children of ``parent_node_id`` (NOT_FOUND if there is
        no such node), of the task attempt ``parent_task_row_id``, or else the top level (neither a parent node
        nor a parent task). ``request`` carries filters, sort_by, limit and token."""
        ids: Select[Any] = select(_NE.c.id).where(
            _NE.c.execution_project == execution_id.project,
            _NE.c.execution_domain == execution_id.domain,
            _NE.c.execution_name == execution_id.name,
        )
        with self._store.read() as tx:
            if parent_task_row_id is not None:
                ids = ids.where(_NE.c.parent_task_execution_id == parent_task_row_id)
            elif parent_node_id:
                parent = identifier_pb2.NodeExecutionIdentifier(execution_id=execution_id, node_id=parent_node_id)
                parent_row_id = self.find_id(tx, parent)
                if parent_row_id is None:
                    raise missing_node_execution(parent)
                ids = ids.where(_NE.c.parent_id == parent_row_id)
            else:
                ids = ids.where(_NE.c.parent_task_execution_id.is_(None), _NE.c.parent_id.is_(None))
            ids, _ = listing.apply_filters(ids, request.filters, "node_execution")
            # Flyte Admin has no default order (PostgreSQL returns rows as stored); creation order is the same,
            # stably.
            ids = listing.apply_sort(
                ids, request.sort_by, request.HasField("sort_by"), "node_execution", [_NE.c.id.asc()]
            )
            rows, token = page_rows(tx, _NE, ids, _MESSAGE_COLUMNS, request.limit, request.token, rpc)
            return self._messages(tx, rows, trim=True), token

    def tree(self, tx: Tx, execution_id: Any, parent_row_id: int | None) -> list[TreeNode]:
        """The node executions of an execution in creation order: the top-level ones, or the children of a node."""
        params = execution_params(execution_id)
        if parent_row_id is None:
            rows = tx.execute(_TOP_LEVEL, params)
        else:
            rows = tx.execute(_CHILDREN, {**params, "parent": parent_row_id})
        nodes = []
        for row in rows:
            closure = node_execution_pb2.NodeExecutionClosure.FromString(row.closure)
            fill_closure_times(
                closure, row.node_execution_created_at, row.node_execution_updated_at, row.started_at, row.duration
            )
            metadata = node_execution_pb2.NodeExecutionMetaData()
            if row.node_execution_metadata:
                metadata.ParseFromString(row.node_execution_metadata)
            node_id = identifier_pb2.NodeExecutionIdentifier(node_id=row.node_id)
            node_id.execution_id.CopyFrom(execution_id)
            nodes.append(
                TreeNode(row.id, node_id, closure, metadata, row.dynamic_workflow_remote_closure_reference or "")
            )
        return nodes

    def open_node_ids(self, execution_id: Any) -> list[str]:
        """The node ids of an execution's node executions that have not ended."""
        with self._store.read() as tx:
            return [row.node_id for row in tx.execute(_OPEN, execution_params(execution_id))]

    def succeeded_outputs(self, execution_id: Any) -> dict[str, RecoveredNode]:
        """Node id -> inputs and outputs of an execution's node executions that succeeded (or were recovered)
        with outputs."""
        with self._store.read() as tx:
            rows = tx.execute(_SUCCEEDED, execution_params(execution_id)).all()
        found: dict[str, RecoveredNode] = {}
        for node_id, input_uri, closure_bytes in rows:
            try:
                closure = node_execution_pb2.NodeExecutionClosure.FromString(closure_bytes)
            except DecodeError:
                continue
            if closure.output_uri:
                found[node_id] = RecoveredNode(input_uri=input_uri or "", output_uri=closure.output_uri)
        return found

    def recorded_nodes(self, execution_id: Any, attempts: dict[str, list[RecordedAttempt]]) -> dict[str, RecordedNode]:
        """Node id -> every node execution of an execution as recorded (phase, data, error, start, child), with
        its attempts from ``attempts`` (by node id): what a resumed run goes on from."""
        with self._store.read() as tx:
            rows = tx.execute(_RECORDED, execution_params(execution_id)).all()
        found: dict[str, RecordedNode] = {}
        for node_id, phase, input_uri, closure_bytes in rows:
            try:
                closure = node_execution_pb2.NodeExecutionClosure.FromString(closure_bytes)
            except DecodeError:
                closure = node_execution_pb2.NodeExecutionClosure()
            child = closure.workflow_node_metadata.executionId if closure.HasField("workflow_node_metadata") else None
            found[node_id] = RecordedNode(
                node_id=node_id,
                phase=core_execution_pb2.NodeExecution.Phase.Value(phase),
                input_uri=input_uri or "",
                output_uri=closure.output_uri,
                error=closure.error if closure.HasField("error") else None,
                started_at=closure.started_at if closure.HasField("started_at") else None,
                child_execution=child if child is not None and child.name else None,
                attempts=tuple(attempts.get(node_id, ())),
            )
        return found

    # writes

    def get_for_update(self, tx: Tx, identifier: Any) -> NodeExecutionRecord | None:
        row = tx.execute(_FOR_UPDATE, node_params(identifier)).first()
        if row is None:
            return None
        return NodeExecutionRecord(
            row_id=row.id,
            phase=row.phase,
            input_uri=row.input_uri or "",
            closure=node_execution_pb2.NodeExecutionClosure.FromString(row.closure),
            metadata_bytes=row.node_execution_metadata,
        )

    def create(self, tx: Tx, new: NewNodeExecution) -> None:
        identifier, columns = new.node_execution_id, new.columns
        execution = identifier.execution_id
        values = _values(columns)
        values.setdefault("input_uri", "")
        insert_row(
            tx,
            _NE,
            dict(
                execution_project=execution.project,
                execution_domain=execution.domain,
                execution_name=execution.name,
                node_id=identifier.node_id,
                node_execution_created_at=new.created_at,
                parent_task_execution_id=new.parent_task_execution_id,
                parent_id=new.parent_id,
                internal_data=internal_data(new.event_version),
                created_at=columns.updated_at,
                **values,
            ),
        )

    def update(self, tx: Tx, row_id: int, change: NodeExecutionChange) -> None:
        update_by_id(tx, _NE, row_id, _values(change))

    def add_event(
        self,
        tx: Tx,
        identifier: Any,
        *,
        request_id: str,
        occurred_at: _dt.datetime,
        phase: str,
        now: _dt.datetime,
    ) -> None:
        """One ``node_execution_events`` row (Flyte Admin keeps one per accepted node event)."""
        execution = identifier.execution_id
        insert_row(
            tx,
            node_execution_events,
            dict(
                execution_project=execution.project,
                execution_domain=execution.domain,
                execution_name=execution.name,
                node_id=identifier.node_id,
                request_id=request_id,
                occurred_at=occurred_at,
                phase=phase,
                created_at=now,
                updated_at=now,
            ),
        )

    # mapping

    def _messages(self, tx: Tx, rows: Sequence[Any], *, trim: bool) -> list[node_execution_pb2.NodeExecution]:
        """``admin.NodeExecution`` for each row (FromNodeExecutionModel). Lists cut error messages to 100 bytes, as
        Flyte Admin's do."""
        messages = []
        legacy = []  # rows from events without an event_version: their parent bit comes from their children
        for row in rows:
            node = node_execution_pb2.NodeExecution(
                id=identifier_pb2.NodeExecutionIdentifier(
                    node_id=row.node_id,
                    execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                        project=row.execution_project, domain=row.execution_domain, name=row.execution_name
                    ),
                ),
                input_uri=row.input_uri or "",
            )
            node.closure.ParseFromString(row.closure)
            node.metadata.ParseFromString(row.node_execution_metadata or b"")
            if trim and node.closure.HasField("error") and node.closure.error.message:
                node.closure.error.message = trim_error_message(node.closure.error.message)
            metadata = node.metadata
            if event_version_of(row.internal_data) == 0 and not (metadata.is_parent_node or metadata.is_dynamic):
                legacy.append((row, node))
            messages.append(node)
        if legacy:
            parents = ids_with_children(tx, _NE.c.parent_id, [row.id for row, _ in legacy])
            for row, node in legacy:
                if row.id in parents:
                    node.metadata.is_parent_node = True
                    if row.dynamic_workflow_remote_closure_reference:
                        node.metadata.is_dynamic = True
        return messages


def _values(change: NodeExecutionChange) -> dict[str, Any]:
    values: dict[str, Any] = {
        "phase": change.phase,
        "closure": change.closure.SerializeToString(),
        "node_execution_updated_at": change.node_execution_updated_at,
        "updated_at": change.updated_at,
    }
    for column in ("input_uri", "started_at", "duration", "cache_status"):
        value = getattr(change, column)
        if value is not None:
            values[column] = value
    if change.error is not None:
        values["error_kind"] = error_kind_name(change.error.kind)
        values["error_code"] = change.error.code
    if change.metadata is not None:
        values["node_execution_metadata"] = change.metadata.SerializeToString()
    if change.dynamic_workflow_reference is not None:
        values["dynamic_workflow_remote_closure_reference"] = change.dynamic_workflow_reference
    return values
