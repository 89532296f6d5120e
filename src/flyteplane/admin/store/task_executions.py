"""The ``task_executions`` table: Flyte Admin's task execution repository
(``flyteadmin/pkg/repositories/gormimpl/task_execution_repo.go``) and its row <-> message mapping
(``flyteadmin/pkg/repositories/transformers/task_execution.go``).

One row per attempt (``retry_attempt``) of a task node, keyed by the task version and the node execution.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from flyteidl.admin import task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from google.protobuf.message import DecodeError
from sqlalchemy import Select, bindparam, select

from flyteplane.admin.domain.earlier_runs import OpenAttempt, RecordedAttempt
from flyteplane.admin.domain.phases import TASK_OPEN_NAMES
from flyteplane.admin.errors import AdminError, not_found
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import listing
from flyteplane.admin.store.db import Store, Tx
from flyteplane.admin.store.execution_schema import node_executions, task_executions
from flyteplane.admin.store.executions import fill_closure_times
from flyteplane.admin.store.keys import execution_params, where_execution
from flyteplane.admin.store.node_executions import ids_with_children, node_params
from flyteplane.admin.store.paging import page_rows
from flyteplane.admin.store.statements import insert_row, update_by_id

__all__ = [
    "NewTaskExecution",
    "TaskAttempt",
    "TaskExecutionChange",
    "TaskExecutionRecord",
    "TaskExecutionRepository",
    "missing_task_execution",
]

_TE = task_executions
_IN_EXECUTION = where_execution(_TE)
_IN_NODE = _IN_EXECUTION & (_TE.c.node_id == bindparam("node"))
_KEY = (
    _IN_NODE
    & (_TE.c.project == bindparam("tp"))
    & (_TE.c.domain == bindparam("td"))
    & (_TE.c.name == bindparam("tn"))
    & (_TE.c.version == bindparam("tv"))
    & (_TE.c.retry_attempt == bindparam("attempt"))
)
# What a TaskExecution message is made of.
_MESSAGE_COLUMNS = (
    _TE.c.project,
    _TE.c.domain,
    _TE.c.name,
    _TE.c.version,
    _TE.c.execution_project,
    _TE.c.execution_domain,
    _TE.c.execution_name,
    _TE.c.node_id,
    _TE.c.retry_attempt,
    _TE.c.input_uri,
    _TE.c.closure,
)
# Statements built once (task events are the most frequent ones).
_GET = select(_TE.c.id, *_MESSAGE_COLUMNS).where(_KEY)
_ID = select(_TE.c.id).where(_KEY)
_FOR_UPDATE = select(
    _TE.c.id, _TE.c.phase, _TE.c.phase_version, _TE.c.input_uri, _TE.c.closure, _TE.c.started_at
).where(_KEY)
_ATTEMPTS = (
    select(
        _TE.c.project,
        _TE.c.domain,
        _TE.c.name,
        _TE.c.version,
        _TE.c.retry_attempt,
        _TE.c.closure,
        _TE.c.task_execution_created_at,
        _TE.c.task_execution_updated_at,
        _TE.c.started_at,
        _TE.c.duration,
    )
    .where(_IN_NODE)
    .order_by(_TE.c.retry_attempt, _TE.c.id)
)
_OPEN = select(
    _TE.c.project, _TE.c.domain, _TE.c.name, _TE.c.version, _TE.c.node_id, _TE.c.retry_attempt, _TE.c.phase_version
).where(_IN_EXECUTION, _TE.c.phase.in_(TASK_OPEN_NAMES))

_RECORDED = (
    select(
        _TE.c.project,
        _TE.c.domain,
        _TE.c.name,
        _TE.c.version,
        _TE.c.node_id,
        _TE.c.retry_attempt,
        _TE.c.phase,
        _TE.c.phase_version,
        _TE.c.closure,
    )
    .where(_IN_EXECUTION)
    .order_by(_TE.c.node_id, _TE.c.retry_attempt, _TE.c.id)
)


def _params(identifier: Any) -> dict[str, Any]:
    task = identifier.task_id
    return {
        **node_params(identifier.node_execution_id),
        "tp": task.project,
        "td": task.domain,
        "tn": task.name,
        "tv": task.version,
        "attempt": identifier.retry_attempt,
    }


def _task_id(row: Any) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=row.project, domain=row.domain, name=row.name, version=row.version
    )


def missing_task_execution(identifier: Any) -> AdminError:
    """NOT_FOUND as Flyte Admin's repository prints it: the task without its resource type, and no retry attempt."""
    task, node = identifier.task_id, identifier.node_execution_id
    execution = node.execution_id
    shown = identifier_pb2.TaskExecutionIdentifier(
        task_id=identifier_pb2.Identifier(
            project=task.project, domain=task.domain, name=task.name, version=task.version
        ),
        node_execution_id=identifier_pb2.NodeExecutionIdentifier(
            node_id=node.node_id,
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                project=execution.project, domain=execution.domain, name=execution.name
            ),
        ),
    )
    return not_found(f"missing entity of type task execution with identifier {go_text(shown)}")


# --- records -------------------------------------------------------------------------------------------------------


class TaskExecutionRecord(NamedTuple):
    """What a task event reads of an existing attempt inside its write transaction."""

    row_id: int
    phase: str
    phase_version: int
    input_uri: str
    closure: task_execution_pb2.TaskExecutionClosure  # a fresh copy, the caller's to change
    started_at: _dt.datetime | None


@dataclass
class TaskExecutionChange:
    """The columns a task event writes (None: left as stored, or the column's default for a new row)."""

    closure: task_execution_pb2.TaskExecutionClosure
    phase: str
    phase_version: int
    task_execution_updated_at: _dt.datetime
    updated_at: _dt.datetime
    input_uri: str | None = None
    started_at: _dt.datetime | None = None
    duration: int | None = None


class NewTaskExecution(NamedTuple):
    """The row an attempt's first event creates."""

    task_execution_id: identifier_pb2.TaskExecutionIdentifier
    created_at: _dt.datetime  # when the attempt was created (the event's occurred_at)
    columns: TaskExecutionChange


class TaskAttempt(NamedTuple):
    """An attempt as GetExecutionMetrics walks them: its closure's times completed from the row's columns."""

    id: identifier_pb2.TaskExecutionIdentifier
    closure: task_execution_pb2.TaskExecutionClosure


# --- the repository ------------------------------------------------------------------------------------------------


class TaskExecutionRepository:
    """Task executions (attempts)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # reads

    def get(self, identifier: Any) -> task_execution_pb2.TaskExecution:
        """GetTaskExecution's message (NOT_FOUND when there is none)."""
        with self._store.read() as tx:
            row = tx.execute(_GET, _params(identifier)).first()
            if row is None:
                raise missing_task_execution(identifier)
            return self._messages(tx, [row])[0]

    def find_id(self, tx: Tx, identifier: Any) -> int | None:
        """The row id of an attempt, if it exists."""
        row = tx.execute(_ID, _params(identifier)).first()
        return None if row is None else int(row.id)

    def list_page(self, node_execution_id: Any, request: Any) -> tuple[list[task_execution_pb2.TaskExecution], str]:
        """One page of a node execution's attempts; ``request`` carries filters, sort_by, limit and token."""
        execution = node_execution_id.execution_id
        ids: Select[Any] = select(_TE.c.id).where(
            _TE.c.execution_project == execution.project,
            _TE.c.execution_domain == execution.domain,
            _TE.c.execution_name == execution.name,
            _TE.c.node_id == node_execution_id.node_id,
        )
        ids, _ = listing.apply_filters(ids, request.filters, "task_execution")
        # Flyte Admin has no default order (PostgreSQL returns rows as stored); creation order is the same, stably.
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), "task_execution", [_TE.c.id.asc()])
        with self._store.read() as tx:
            rows, token = page_rows(tx, _TE, ids, _MESSAGE_COLUMNS, request.limit, request.token, "ListTaskExecutions")
            return self._messages(tx, rows), token

    def attempts(self, tx: Tx, node_execution_id: Any) -> list[TaskAttempt]:
        """A node execution's attempts, by retry attempt."""
        attempts = []
        for row in tx.execute(_ATTEMPTS, node_params(node_execution_id)):
            closure = task_execution_pb2.TaskExecutionClosure.FromString(row.closure)
            fill_closure_times(
                closure, row.task_execution_created_at, row.task_execution_updated_at, row.started_at, row.duration
            )
            task_id = identifier_pb2.TaskExecutionIdentifier(task_id=_task_id(row), retry_attempt=row.retry_attempt)
            task_id.node_execution_id.CopyFrom(node_execution_id)
            attempts.append(TaskAttempt(task_id, closure))
        return attempts

    def open_attempts(self, execution_id: Any) -> list[OpenAttempt]:
        """An execution's attempts that have not ended (a RETRYABLE_FAILED one has)."""
        with self._store.read() as tx:
            rows = tx.execute(_OPEN, execution_params(execution_id)).all()
        attempts = []
        for row in rows:
            identifier = identifier_pb2.TaskExecutionIdentifier(task_id=_task_id(row), retry_attempt=row.retry_attempt)
            identifier.node_execution_id.node_id = row.node_id
            identifier.node_execution_id.execution_id.CopyFrom(execution_id)
            attempts.append(OpenAttempt(identifier, row.phase_version))
        return attempts

    def recorded_attempts(self, execution_id: Any) -> dict[str, list[RecordedAttempt]]:
        """Node id -> the attempts of an execution's nodes, by retry attempt (what a resumed run goes on from)."""
        with self._store.read() as tx:
            rows = tx.execute(_RECORDED, execution_params(execution_id)).all()
        found: dict[str, list[RecordedAttempt]] = {}
        for row in rows:
            identifier = identifier_pb2.TaskExecutionIdentifier(task_id=_task_id(row), retry_attempt=row.retry_attempt)
            identifier.node_execution_id.node_id = row.node_id
            identifier.node_execution_id.execution_id.CopyFrom(execution_id)
            try:
                error_code = task_execution_pb2.TaskExecutionClosure.FromString(row.closure).error.code
            except DecodeError:
                error_code = ""
            phase = core_execution_pb2.TaskExecution.Phase.Value(row.phase)
            found.setdefault(row.node_id, []).append(RecordedAttempt(identifier, phase, row.phase_version, error_code))
        return found

    # writes

    def get_for_update(self, tx: Tx, identifier: Any) -> TaskExecutionRecord | None:
        row = tx.execute(_FOR_UPDATE, _params(identifier)).first()
        if row is None:
            return None
        return TaskExecutionRecord(
            row_id=row.id,
            phase=row.phase,
            phase_version=row.phase_version,
            input_uri=row.input_uri or "",
            closure=task_execution_pb2.TaskExecutionClosure.FromString(row.closure),
            started_at=row.started_at,
        )

    def create(self, tx: Tx, new: NewTaskExecution) -> None:
        identifier, columns = new.task_execution_id, new.columns
        task, node = identifier.task_id, identifier.node_execution_id
        execution = node.execution_id
        values = _values(columns)
        values.setdefault("input_uri", "")
        insert_row(
            tx,
            _TE,
            dict(
                project=task.project,
                domain=task.domain,
                name=task.name,
                version=task.version,
                execution_project=execution.project,
                execution_domain=execution.domain,
                execution_name=execution.name,
                node_id=node.node_id,
                retry_attempt=identifier.retry_attempt,
                task_execution_created_at=new.created_at,
                created_at=columns.updated_at,
                **values,
            ),
        )

    def update(self, tx: Tx, row_id: int, change: TaskExecutionChange) -> None:
        update_by_id(tx, _TE, row_id, _values(change))

    # mapping

    def _messages(self, tx: Tx, rows: Sequence[Any]) -> list[task_execution_pb2.TaskExecution]:
        """``admin.TaskExecution`` for each row (FromTaskExecutionModel); an attempt with child node executions
        (dynamic tasks, array tasks) is a parent. Error messages stay whole, also in lists (the console shows them
        in full)."""
        parents = ids_with_children(tx, node_executions.c.parent_task_execution_id, [row.id for row in rows])
        messages = []
        for row in rows:
            task = task_execution_pb2.TaskExecution(
                id=identifier_pb2.TaskExecutionIdentifier(
                    task_id=_task_id(row),
                    node_execution_id=identifier_pb2.NodeExecutionIdentifier(
                        node_id=row.node_id,
                        execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                            project=row.execution_project, domain=row.execution_domain, name=row.execution_name
                        ),
                    ),
                    retry_attempt=row.retry_attempt,
                ),
                input_uri=row.input_uri or "",
                is_parent=row.id in parents,
            )
            task.closure.ParseFromString(row.closure)
            messages.append(task)
        return messages


def _values(change: TaskExecutionChange) -> dict[str, Any]:
    values: dict[str, Any] = {
        "phase": change.phase,
        "phase_version": change.phase_version,
        "closure": change.closure.SerializeToString(),
        "task_execution_updated_at": change.task_execution_updated_at,
        "updated_at": change.updated_at,
    }
    for column in ("input_uri", "started_at", "duration"):
        value = getattr(change, column)
        if value is not None:
            values[column] = value
    return values
