"""Ending, at start, the runs an earlier admin process left open that are not resumed (:mod:`.resume`).

Most runs are resumed. A few cannot go on, and are ended through events instead, as propeller's would have ended
them: a run that was being aborted (phase ABORTING) ends ABORTED, as TerminateExecution asked; a child execution
whose parent does not go on ends ABORTED, as propeller aborts a launch-plan node's child with its parent; a run whose
request was not kept whole (launched by an admin that kept none, or a failed write) ends FAILED with the reason.
Their open task attempts and node executions end first, in the same phase.
"""

from __future__ import annotations

import logging

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.port import UnfinishedRun

__all__ = ["ABORTED_PARENT_MESSAGE", "RESTART_MESSAGE", "settle_run"]

log = logging.getLogger("flyteplane.admin.engine")

RESTART_MESSAGE = "the admin restarted while this execution was running, and it cannot be resumed"
"""Why a run that cannot be resumed failed (its request was not kept: nothing says what to run)."""
ABORTED_PARENT_MESSAGE = "the admin restarted and the parent execution of this execution does not go on"
"""Why a child execution whose parent is not resumed was aborted."""

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution


def settle_run(emitter: Emitter, run: UnfinishedRun, *, abort: bool, message: str) -> None:
    """End ``run`` and what is open inside it: ABORTED with ``abort``, else FAILED with ``message`` (code
    ``AdminRestarted``, kind SYSTEM)."""
    eid = run.execution_id
    error = core_execution_pb2.ExecutionError(
        code="AdminRestarted", message=message, kind=core_execution_pb2.ExecutionError.SYSTEM
    )
    for attempt in run.open_attempts:
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=attempt.id.retry_attempt,
            phase=_T.ABORTED if abort else _T.FAILED,
            phase_version=attempt.phase_version,
            reason=message,
        )
        ev.task_id.CopyFrom(attempt.id.task_id)
        ev.parent_node_execution_id.CopyFrom(attempt.id.node_execution_id)
        if not abort:
            ev.error.CopyFrom(error)
        emitter.task(ev, force=True)
    for node_id in run.open_node_ids:
        node_ev = event_pb2.NodeExecutionEvent(phase=_N.ABORTED if abort else _N.FAILED)
        node_ev.id.node_id = node_id
        node_ev.id.execution_id.CopyFrom(eid)
        node_ev.error.CopyFrom(error)
        emitter.node(node_ev, force=True)
    if abort:
        emitter.workflow(eid, _W.ABORTED, force=True)
    else:
        emitter.workflow(eid, _W.FAILED, error=error, force=True)
    log.warning("execution %s/%s/%s: %s", eid.project, eid.domain, eid.name, message)
