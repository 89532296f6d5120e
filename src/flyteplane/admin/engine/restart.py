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

from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.event import event_pb2
from google.protobuf.message import DecodeError
from sqlalchemy import select

from flyteplane.admin.blobs import BlobError, BlobStore
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.phases import WORKFLOW_TERMINAL, stored_phase
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.state import ChildOutcome, RecoveredNode
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store.executions import ExecutionRepository
from flyteplane.admin.store.node_executions import NodeExecutionRepository
from flyteplane.admin.store.task_executions import TaskExecutionRepository

__all__ = ["RESTART_MESSAGE", "child_outcome", "recovered_nodes", "settle_unfinished"]

log = logging.getLogger("flyteplane.admin.engine")

RESTART_MESSAGE = "the admin restarted while this execution was running"

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution


def settle_unfinished(
    ctx: AdminContext, emitter: Emitter, before: _dt.datetime, skip: set[tuple[str, str, str]]
) -> list[identifier_pb2.WorkflowExecutionIdentifier]:
    """End every execution created before ``before`` that is still open (except those in ``skip``, which this
    engine runs); return their ids."""
    settled = []
    for run in ExecutionRepository(ctx.store).open_runs(created_before=before):
        eid = run.execution_id
        if (eid.project, eid.domain, eid.name) in skip:
            continue
        _settle_one(ctx, emitter, eid, aborting=run.phase == "ABORTING")
        settled.append(eid)
    return settled


def _settle_one(
    ctx: AdminContext, emitter: Emitter, eid: identifier_pb2.WorkflowExecutionIdentifier, aborting: bool
) -> None:
    error = core_execution_pb2.ExecutionError(
        code="AdminRestarted", message=RESTART_MESSAGE, kind=core_execution_pb2.ExecutionError.SYSTEM
    )
    tasks = TaskExecutionRepository(ctx.store).open_attempts(eid)
    nodes = NodeExecutionRepository(ctx.store).open_node_ids(eid)
    for task in tasks:
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=task.id.retry_attempt,
            phase=_T.ABORTED if aborting else _T.FAILED,
            phase_version=task.phase_version,
            reason=RESTART_MESSAGE,
        )
        ev.task_id.CopyFrom(task.id.task_id)
        ev.parent_node_execution_id.CopyFrom(task.id.node_execution_id)
        if not aborting:
            ev.error.CopyFrom(error)
        emitter.task(ev, force=True)
    for node_id in nodes:
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
    found = NodeExecutionRepository(ctx.store).succeeded_outputs(source)
    return {
        node_id: RecoveredNode(input_uri=outputs.input_uri, output_uri=outputs.output_uri)
        for node_id, outputs in found.items()
    }


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
