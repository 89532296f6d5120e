"""What the engine finds in the store when it starts: runs a previous process left unfinished, and the node
outputs of an execution being recovered.

The engine does not resume runs: task processes died with the admin (or are killed now, see
:class:`~.task_runner.ProcessTable`), and their attempts cannot be joined again. Each unfinished run is settled
through the recorder instead, as propeller's events would have: its non-terminal task and node executions and the
execution itself end FAILED with the reason (ABORTED for an execution that was being aborted).
"""

from __future__ import annotations

import datetime as _dt
import logging

from flyteidl.admin import execution_pb2, node_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.event import event_pb2
from google.protobuf.message import DecodeError
from sqlalchemy import and_, select

from flyteplane.admin.blobs import BlobError, BlobStore
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.phases import (
    NODE_OPEN_NAMES,
    NODE_SUCCEEDED_NAMES,
    TASK_OPEN_NAMES,
    WORKFLOW_OPEN_NAMES,
    WORKFLOW_TERMINAL,
    stored_phase,
)
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.state import ChildOutcome, RecoveredNode
from flyteplane.admin.store import execution_schema as xs

__all__ = ["RESTART_MESSAGE", "child_outcome", "recovered_nodes", "settle_unfinished"]

log = logging.getLogger("flyteplane.admin.engine")

RESTART_MESSAGE = "the admin restarted while this execution was running"

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution


def _execution_where(table, project: str, domain: str, name: str):  # type: ignore[no-untyped-def]
    return and_(
        table.c.execution_project == project, table.c.execution_domain == domain, table.c.execution_name == name
    )


def settle_unfinished(
    ctx: AdminContext, emitter: Emitter, before: _dt.datetime, skip: set[tuple[str, str, str]]
) -> list[identifier_pb2.WorkflowExecutionIdentifier]:
    """End every execution created before ``before`` that is still open (except those in ``skip``, which this
    engine runs); return their ids."""
    with ctx.store.read() as conn:
        rows = conn.execute(
            select(
                xs.executions.c.execution_project,
                xs.executions.c.execution_domain,
                xs.executions.c.execution_name,
                xs.executions.c.phase,
            ).where(xs.executions.c.phase.in_(WORKFLOW_OPEN_NAMES), xs.executions.c.execution_created_at < before)
        ).all()
    settled = []
    for project, domain, name, phase in rows:
        if (project, domain, name) in skip:
            continue
        eid = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)
        aborting = phase == "ABORTING"
        _settle_one(ctx, emitter, eid, aborting)
        settled.append(eid)
    return settled


def _settle_one(
    ctx: AdminContext, emitter: Emitter, eid: identifier_pb2.WorkflowExecutionIdentifier, aborting: bool
) -> None:
    error = core_execution_pb2.ExecutionError(
        code="AdminRestarted", message=RESTART_MESSAGE, kind=core_execution_pb2.ExecutionError.SYSTEM
    )
    with ctx.store.read() as conn:
        tasks = conn.execute(
            select(xs.task_executions).where(
                _execution_where(xs.task_executions, eid.project, eid.domain, eid.name),
                xs.task_executions.c.phase.in_(TASK_OPEN_NAMES),
            )
        ).all()
        nodes = conn.execute(
            select(xs.node_executions.c.node_id).where(
                _execution_where(xs.node_executions, eid.project, eid.domain, eid.name),
                xs.node_executions.c.phase.in_(NODE_OPEN_NAMES),
            )
        ).all()
    for task in tasks:
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=task.retry_attempt,
            phase=_T.ABORTED if aborting else _T.FAILED,
            phase_version=task.phase_version,
            reason=RESTART_MESSAGE,
        )
        ev.task_id.CopyFrom(
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK,
                project=task.project,
                domain=task.domain,
                name=task.name,
                version=task.version,
            )
        )
        ev.parent_node_execution_id.node_id = task.node_id
        ev.parent_node_execution_id.execution_id.CopyFrom(eid)
        if not aborting:
            ev.error.CopyFrom(error)
        emitter.task(ev, force=True)
    for (node_id,) in nodes:
        node_ev = event_pb2.NodeExecutionEvent(phase=_N.ABORTED if aborting else _N.FAILED)
        node_ev.id.node_id = node_id
        node_ev.id.execution_id.CopyFrom(eid)
        node_ev.error.CopyFrom(error)
        emitter.node(node_ev, force=True)
    if aborting:
        emitter.workflow(eid, _W.ABORTED, force=True)
    else:
        emitter.workflow(eid, _W.FAILED, error=error, force=True)
    log.warning("execution %s/%s/%s: %s", eid.project, eid.domain, eid.name, RESTART_MESSAGE)


def recovered_nodes(ctx: AdminContext, source: identifier_pb2.WorkflowExecutionIdentifier) -> dict[str, RecoveredNode]:
    """The nodes (by node execution id) that succeeded in ``source``, with where their inputs and outputs are."""
    with ctx.store.read() as conn:
        rows = conn.execute(
            select(xs.node_executions.c.node_id, xs.node_executions.c.input_uri, xs.node_executions.c.closure).where(
                _execution_where(xs.node_executions, source.project, source.domain, source.name),
                xs.node_executions.c.phase.in_(NODE_SUCCEEDED_NAMES),
            )
        ).all()
    found: dict[str, RecoveredNode] = {}
    for node_id, input_uri, closure_bytes in rows:
        try:
            closure = node_execution_pb2.NodeExecutionClosure.FromString(closure_bytes)
        except DecodeError:
            continue
        if closure.output_uri:
            found[node_id] = RecoveredNode(input_uri=input_uri or "", output_uri=closure.output_uri)
    return found


def child_outcome(ctx: AdminContext, child: identifier_pb2.WorkflowExecutionIdentifier) -> ChildOutcome | None:
    """The outcome of a child execution if it has ended, else None; outputs are read from its closure's URI."""
    with ctx.store.read() as conn:
        row = conn.execute(
            select(xs.executions.c.phase, xs.executions.c.closure).where(
                xs.executions.c.execution_project == child.project,
                xs.executions.c.execution_domain == child.domain,
                xs.executions.c.execution_name == child.name,
            )
        ).first()
    if row is None:
        return ChildOutcome(
            _W.FAILED,
            error=core_execution_pb2.ExecutionError(
                code="ChildNotFound",
                message=f"child execution [{child.name}] does not exist",
                kind=core_execution_pb2.ExecutionError.SYSTEM,
            ),
        )
    phase = stored_phase(_W.Phase, row.phase)
    if phase not in WORKFLOW_TERMINAL:
        return None
    closure = execution_pb2.ExecutionClosure.FromString(row.closure)
    outcome = ChildOutcome(phase)
    if closure.HasField("error"):
        outcome.error = closure.error
    if phase == _W.SUCCEEDED:
        blobs = BlobStore.for_context(ctx)
        uri = closure.outputs.uri if closure.HasField("outputs") else ""
        key = blobs.key_from_native_url(uri) if uri else None
        try:
            outcome.outputs = literals_pb2.LiteralMap.FromString(blobs.get(key) if key else b"")
        except (BlobError, DecodeError):
            outcome.phase = _W.FAILED
            outcome.error = core_execution_pb2.ExecutionError(
                code="OutputsNotFound",
                message=f"the outputs of child execution [{child.name}] cannot be read",
                kind=core_execution_pb2.ExecutionError.SYSTEM,
            )
    return outcome
