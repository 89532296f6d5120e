"""Settling the runs an earlier admin process left open, when the engine starts.

The engine does not resume runs: task processes died with the admin (or are killed now, see
:class:`~.task_runner.ProcessTable`), and their attempts cannot be joined again. Each unfinished run is settled
through events instead, as propeller's would have: its open task attempts and node executions and the execution
itself end FAILED with the reason (ABORTED for an execution that was being aborted).
"""

from __future__ import annotations

import datetime as _dt
import logging

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.port import AdminPort, UnfinishedRun

__all__ = ["RESTART_MESSAGE", "settle_unfinished"]

log = logging.getLogger("flyteplane.admin.engine")

RESTART_MESSAGE = "the admin restarted while this execution was running"

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution


def settle_unfinished(
    port: AdminPort, emitter: Emitter, before: _dt.datetime, skip: set[tuple[str, str, str]]
) -> list[identifier_pb2.WorkflowExecutionIdentifier]:
    """End every execution created before ``before`` that is still open (except those in ``skip``, which this
    engine runs); return their ids."""
    settled = []
    for run in port.unfinished_runs(before):
        eid = run.execution_id
        if (eid.project, eid.domain, eid.name) in skip:
            continue
        _settle_one(emitter, run)
        settled.append(eid)
    return settled


def _settle_one(emitter: Emitter, run: UnfinishedRun) -> None:
    eid, aborting = run.execution_id, run.aborting
    error = core_execution_pb2.ExecutionError(
        code="AdminRestarted", message=RESTART_MESSAGE, kind=core_execution_pb2.ExecutionError.SYSTEM
    )
    for attempt in run.open_attempts:
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=attempt.id.retry_attempt,
            phase=_T.ABORTED if aborting else _T.FAILED,
            phase_version=attempt.phase_version,
            reason=RESTART_MESSAGE,
        )
        ev.task_id.CopyFrom(attempt.id.task_id)
        ev.parent_node_execution_id.CopyFrom(attempt.id.node_execution_id)
        if not aborting:
            ev.error.CopyFrom(error)
        emitter.task(ev, force=True)
    for node_id in run.open_node_ids:
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
