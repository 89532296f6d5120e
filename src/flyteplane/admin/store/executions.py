"""The ``executions`` table (with ``execution_tags`` and ``execution_events``): Flyte Admin's execution repository
(``flyteadmin/pkg/repositories/gormimpl/execution_repo.go``) and its row <-> message mapping
(``flyteadmin/pkg/repositories/transformers/execution.go``).

Every way an execution row is found, written or turned into an ``admin.Execution`` lives here; managers and the
engine get messages and small frozen records back, never rows.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc
from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from google.protobuf import duration_pb2
from sqlalchemy import Select, and_, func, insert, select
from sqlalchemy.exc import IntegrityError

from flyteplane.admin.domain.phases import WORKFLOW_ACTIVE_NAMES, WORKFLOW_OPEN_NAMES
from flyteplane.admin.domain.times import timestamp
from flyteplane.admin.errors import AdminError, not_found
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import listing, schema
from flyteplane.admin.store.db import Store, Tx
from flyteplane.admin.store.execution_schema import execution_events, execution_tags, executions
from flyteplane.admin.store.keys import execution_params, where_execution
from flyteplane.admin.store.paging import page_rows
from flyteplane.admin.store.statements import insert_row, update_by_id

__all__ = [
    "TRIMMED_ERROR_BYTES",
    "DuplicateExecution",
    "ExecutionChange",
    "ExecutionRecord",
    "ExecutionRepository",
    "NewExecution",
    "OpenRun",
    "StoredExecution",
    "error_kind_name",
    "execution_from_row",
    "execution_id_of",
    "fill_closure_times",
    "missing_execution",
    "trim_error_message",
]

_E = executions
# Flyte Admin's list responses cut error messages to this many bytes (transformers.trimmedErrMessageLen).
TRIMMED_ERROR_BYTES = 100

# What execution_from_row reads.
_MESSAGE_COLUMNS = (
    _E.c.execution_project,
    _E.c.execution_domain,
    _E.c.execution_name,
    _E.c.phase,
    _E.c.spec,
    _E.c.closure,
    _E.c.abort_cause,
    _E.c.user,
    _E.c.created_at,
)
_KEY = where_execution(_E)
# Statements built once: SQLAlchemy compiles each one a single time and reuses it (events run ~15 per execution).
_GET = select(_E.c.id, _E.c.inputs_uri, _E.c.user_inputs_uri, *_MESSAGE_COLUMNS).where(_KEY)
_FOR_UPDATE = select(_E.c.id, _E.c.phase, _E.c.cluster, _E.c.closure, _E.c.spec, _E.c.started_at).where(_KEY)
_ID = select(_E.c.id).where(_KEY)
_CLUSTER = select(_E.c.cluster).where(_KEY)


# --- errors --------------------------------------------------------------------------------------------------------


class DuplicateExecution(AdminError):
    """An execution of that (project, domain, name) exists: Flyte Admin's answer to the unique-key violation of
    its insert (``executions_pkey``), ALREADY_EXISTS."""

    def __init__(self) -> None:
        super().__init__(
            grpc.StatusCode.ALREADY_EXISTS,
            'value with matching already exists (duplicate key value violates unique constraint "executions_pkey")',
        )


def missing_execution(identifier: Any) -> AdminError:
    """NOT_FOUND ``missing entity of type execution with identifier project:"p" domain:"d" name:"n"`` (the
    repository's GetMissingEntityError)."""
    shown = identifier_pb2.WorkflowExecutionIdentifier(
        project=identifier.project, domain=identifier.domain, name=identifier.name
    )
    return not_found(f"missing entity of type execution with identifier {go_text(shown)}")


# --- mapping -------------------------------------------------------------------------------------------------------


def trim_error_message(message: str) -> str:
    """Flyte Admin's TrimErrorMessage: at most 100 bytes, still valid UTF-8 (a cut character is dropped)."""
    data = message.encode()
    if len(data) <= TRIMMED_ERROR_BYTES:
        return message
    return data[:TRIMMED_ERROR_BYTES].decode(errors="ignore")


def error_kind_name(kind: int) -> str:
    """The ``error_kind`` column: the ExecutionError.ErrorKind name (Go's String() of the enum)."""
    descriptor = core_execution_pb2.ExecutionError.ErrorKind.DESCRIPTOR.values_by_number.get(kind)
    return descriptor.name if descriptor is not None else str(kind)


def execution_id_of(row: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
    """The identifier of a run row (any table with the ``execution_*`` columns)."""
    return identifier_pb2.WorkflowExecutionIdentifier(
        project=row.execution_project, domain=row.execution_domain, name=row.execution_name
    )


def execution_from_row(row: Any, *, trim_error: bool = False, default_namespace: str = "") -> execution_pb2.Execution:
    """An executions row as Flyte Admin returns it (transformers.FromExecutionModel).

    ``trim_error`` (ListExecutions) shortens ``closure.error.message``; ``default_namespace`` (GetExecution) fills
    ``spec.metadata.system_metadata.namespace`` when it is empty. Rows without state change details get the
    defaults Flyte Admin derives (ACTIVE, by the row's user, at its creation), and an ABORTED execution without
    abort metadata gets one from the ``abort_cause`` column.
    """
    execution = execution_pb2.Execution(id=execution_id_of(row))
    execution.spec.ParseFromString(row.spec)
    if default_namespace and not execution.spec.metadata.system_metadata.namespace:
        execution.spec.metadata.system_metadata.namespace = default_namespace
    closure = execution.closure
    closure.ParseFromString(row.closure)
    if trim_error and closure.WhichOneof("output_result") == "error" and closure.error.message:
        closure.error.message = trim_error_message(closure.error.message)
    if not closure.HasField("state_change_details"):
        details = closure.state_change_details
        details.state = execution_pb2.EXECUTION_ACTIVE
        details.principal = row.user or ""
        details.occurred_at.CopyFrom(timestamp(row.created_at))
    if row.phase == "ABORTED" and closure.WhichOneof("output_result") != "abort_metadata":
        closure.abort_metadata.CopyFrom(execution_pb2.AbortMetadata(cause=row.abort_cause or ""))
    return execution


# --- records -------------------------------------------------------------------------------------------------------


class StoredExecution(NamedTuple):
    """An execution with what only the row knows: its row id (the ``source_execution_id`` of relaunches and the
    parent of child executions), the URIs of its inputs, and the user who created it."""

    row_id: int
    execution: execution_pb2.Execution
    inputs_uri: str
    user_inputs_uri: str
    user: str


class ExecutionRecord(NamedTuple):
    """What a state change reads of an execution inside its write transaction."""

    row_id: int
    phase: str  # the stored phase name, e.g. "RUNNING"
    cluster: str
    closure: execution_pb2.ExecutionClosure  # a fresh copy, the caller's to change
    spec_bytes: bytes
    started_at: _dt.datetime | None

    def spec(self) -> execution_pb2.ExecutionSpec:
        return execution_pb2.ExecutionSpec.FromString(self.spec_bytes)


@dataclass
class ExecutionChange:
    """The columns a state change writes (None: left as stored; the closure always). ``error`` fills
    ``error_kind``/``error_code``."""

    closure: execution_pb2.ExecutionClosure
    updated_at: _dt.datetime | None = None
    phase: str | None = None
    execution_updated_at: _dt.datetime | None = None
    started_at: _dt.datetime | None = None
    duration: int | None = None
    cluster: str | None = None
    spec: execution_pb2.ExecutionSpec | None = None
    error: core_execution_pb2.ExecutionError | None = None
    state: int | None = None
    abort_cause: str | None = None


class NewExecution(NamedTuple):
    """A row CreateExecution inserts (phase UNDEFINED until the engine reports QUEUED)."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    spec: execution_pb2.ExecutionSpec
    closure: execution_pb2.ExecutionClosure
    launch_plan_row_id: int | None
    workflow_row_id: int | None
    task_row_id: int | None
    inputs_uri: str
    user_inputs_uri: str
    source_row_id: int | None
    parent_node_row_id: int | None
    created_at: _dt.datetime
    tags: Sequence[tuple[str, str]] = ()


class OpenRun(NamedTuple):
    """An execution that has not ended (what a restarting engine settles)."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    phase: str


# --- the repository ------------------------------------------------------------------------------------------------


class ExecutionRepository:
    """Executions, their tags and their events."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # reads

    def get(self, identifier: Any, *, default_namespace: str = "") -> execution_pb2.Execution:
        """GetExecution's message (NOT_FOUND when there is no such execution)."""
        with self._store.read() as tx:
            return self.get_stored(tx, identifier, default_namespace=default_namespace).execution

    def get_stored(self, tx: Tx, identifier: Any, *, default_namespace: str = "") -> StoredExecution:
        """The execution with its row id, input URIs and user (NOT_FOUND when there is none)."""
        row = tx.execute(_GET, execution_params(identifier)).first()
        if row is None:
            raise missing_execution(identifier)
        return StoredExecution(
            row_id=row.id,
            execution=execution_from_row(row, default_namespace=default_namespace),
            inputs_uri=row.inputs_uri or "",
            user_inputs_uri=row.user_inputs_uri or "",
            user=row.user or "",
        )

    def find_id(self, tx: Tx, identifier: Any) -> int | None:
        """The row id of the execution, if it exists."""
        row = tx.execute(_ID, execution_params(identifier)).first()
        return None if row is None else int(row.id)

    def exists(self, tx: Tx, identifier: Any) -> bool:
        return self.find_id(tx, identifier) is not None

    def cluster_of(self, tx: Tx, identifier: Any) -> str | None:
        """The cluster the execution runs on ("" before any event named one); None if it does not exist."""
        row = tx.execute(_CLUSTER, execution_params(identifier)).first()
        return None if row is None else str(row.cluster or "")

    def list_page(self, request: common_pb2.ResourceListRequest) -> tuple[list[execution_pb2.Execution], str]:
        """ListExecutions: a project and domain (and name); ACTIVE ones unless a filter names ``state``; error
        messages cut to 100 bytes (``ListExecutions`` of execution_repo.go and FromExecutionModels)."""
        ids: Select[Any] = select(_E.c.id).where(
            _E.c.execution_project == request.id.project, _E.c.execution_domain == request.id.domain
        )
        if request.id.name:
            ids = ids.where(_E.c.execution_name == request.id.name)
        ids, fields = listing.apply_filters(ids, request.filters, "execution")
        if "state" not in fields:
            ids = ids.where(_E.c.state == execution_pb2.EXECUTION_ACTIVE)
        # Flyte Admin has no default order; the id keeps pages stable.
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), "execution", [_E.c.id.asc()])
        with self._store.read() as tx:
            rows, token = page_rows(tx, _E, ids, _MESSAGE_COLUMNS, request.limit, request.token, "ListExecutions")
        return [execution_from_row(row, trim_error=True) for row in rows], token

    def count_active(self, tx: Tx, project: str, domain: str, launch_plan_name: str) -> int:
        """Executions of any version of a launch plan that are QUEUED or RUNNING (the concurrency policy's count,
        Flyte Admin's active-executions filter)."""
        plans = schema.launch_plans
        query = (
            select(func.count(_E.c.id))
            .select_from(_E.join(plans, _E.c.launch_plan_id == plans.c.id))
            .where(
                and_(
                    _E.c.execution_project == project,
                    _E.c.execution_domain == domain,
                    plans.c.name == launch_plan_name,
                    _E.c.phase.in_(WORKFLOW_ACTIVE_NAMES),
                )
            )
        )
        return int(tx.execute(query).scalar_one())

    def open_runs(self, created_before: _dt.datetime) -> list[OpenRun]:
        """Executions created before ``created_before`` that have not ended."""
        query = select(_E.c.execution_project, _E.c.execution_domain, _E.c.execution_name, _E.c.phase).where(
            _E.c.phase.in_(WORKFLOW_OPEN_NAMES), _E.c.execution_created_at < created_before
        )
        with self._store.read() as tx:
            rows = tx.execute(query).all()
        return [OpenRun(execution_id_of(row), row.phase) for row in rows]

    # writes

    def create(self, tx: Tx, new: NewExecution) -> None:
        """Insert the row and its tags; DuplicateExecution when the name was taken meanwhile."""
        execution_id, spec, now = new.execution_id, new.spec, new.created_at
        try:
            insert_row(
                tx,
                _E,
                dict(
                    execution_project=execution_id.project,
                    execution_domain=execution_id.domain,
                    execution_name=execution_id.name,
                    launch_plan_id=new.launch_plan_row_id,
                    workflow_id=new.workflow_row_id,
                    task_id=new.task_row_id,
                    phase="UNDEFINED",
                    closure=new.closure.SerializeToString(),
                    spec=spec.SerializeToString(),
                    started_at=None,
                    execution_created_at=now,
                    execution_updated_at=now,
                    duration=0,
                    abort_cause="",
                    mode=spec.metadata.mode,
                    source_execution_id=new.source_row_id,
                    parent_node_execution_id=new.parent_node_row_id,
                    cluster="",
                    inputs_uri=new.inputs_uri,
                    user_inputs_uri=new.user_inputs_uri,
                    user=spec.metadata.principal,
                    state=execution_pb2.EXECUTION_ACTIVE,
                    launch_entity="launch_plan" if new.task_row_id is None else "task",
                    created_at=now,
                    updated_at=now,
                ),
            )
        except IntegrityError:
            raise DuplicateExecution() from None
        for key, value in new.tags:
            tx.execute(
                insert(execution_tags).values(
                    execution_project=execution_id.project,
                    execution_domain=execution_id.domain,
                    execution_name=execution_id.name,
                    key=key,
                    value=value,
                    created_at=now,
                    updated_at=now,
                )
            )

    def get_for_update(self, tx: Tx, identifier: Any) -> ExecutionRecord | None:
        """The execution's state, read inside the caller's write transaction (None if it does not exist)."""
        row = tx.execute(_FOR_UPDATE, execution_params(identifier)).first()
        if row is None:
            return None
        return ExecutionRecord(
            row_id=row.id,
            phase=row.phase,
            cluster=row.cluster or "",
            closure=execution_pb2.ExecutionClosure.FromString(row.closure),
            spec_bytes=row.spec,
            started_at=row.started_at,
        )

    def update(self, tx: Tx, row_id: int, change: ExecutionChange) -> None:
        values: dict[str, Any] = {"closure": change.closure.SerializeToString()}
        for column in (
            "updated_at",
            "phase",
            "execution_updated_at",
            "started_at",
            "duration",
            "cluster",
            "state",
            "abort_cause",
        ):
            value = getattr(change, column)
            if value is not None:
                values[column] = value
        if change.spec is not None:
            values["spec"] = change.spec.SerializeToString()
        if change.error is not None:
            values["error_kind"] = error_kind_name(change.error.kind)
            values["error_code"] = change.error.code
        update_by_id(tx, _E, row_id, values)

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
        """One ``execution_events`` row (Flyte Admin keeps one per accepted workflow event)."""
        insert_row(
            tx,
            execution_events,
            dict(
                execution_project=identifier.project,
                execution_domain=identifier.domain,
                execution_name=identifier.name,
                request_id=request_id,
                occurred_at=occurred_at,
                phase=phase,
                created_at=now,
                updated_at=now,
            ),
        )


def fill_closure_times(
    closure: Any,
    created_at: _dt.datetime | None,
    updated_at: _dt.datetime | None,
    started_at: _dt.datetime | None,
    duration_ns: int | None,
) -> None:
    """Fill a node or task closure's times from the row's columns where the stored closure lacks them (rows that
    predate closures carrying every time)."""
    if not closure.HasField("created_at") and created_at is not None:
        closure.created_at.CopyFrom(timestamp(created_at))
    if not closure.HasField("updated_at") and updated_at is not None:
        closure.updated_at.CopyFrom(timestamp(updated_at))
    if not closure.HasField("started_at") and started_at is not None:
        closure.started_at.CopyFrom(timestamp(started_at))
    if not closure.HasField("duration") and duration_ns:
        closure.duration.CopyFrom(duration_pb2.Duration(seconds=duration_ns // 10**9, nanos=duration_ns % 10**9))
