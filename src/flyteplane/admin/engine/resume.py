"""Resuming the runs an earlier admin process left open: the engine goes on from what the records say.

Propeller keeps a workflow's state in its custom resource, so a restarted propeller picks every running workflow up
where it stood. The engine's counterpart is in two parts:

* **what to run**: the run's request (its compiled closure, inputs, effective spec and the execution it recovers
  from) is written to the blob store when the run starts (:func:`save_run`, by the run's thread: CreateExecution
  does not wait for it), as ``metadata/propeller/<project>-<domain>-<name>/run.pb``, as the admin hands propeller a
  custom resource;
* **where it stood**: every node execution of the run as the store holds it (phase, inputs, outputs, error, start,
  child execution, attempts), which the engine's port reads (:meth:`~.port.AdminPort.unfinished_runs`).

The resumed run walks its workflow again, as propeller's next round does, with the records as a map (:class:`Resumed`,
by node execution id, so nodes under a sub-workflow, a branch, an array or a dynamic node are found the same way):

* a node whose record has ended is not run again: its outcome (the outputs from its output URI, or its error) is
  handed to its downstream nodes, and nothing is reported for it;
* a node whose record is open runs again, and :class:`ResumeEmitter` sends only the events that move its records
  forward: never a phase the record already has, never QUEUED again once it is past QUEUED (a node RUNNING stays
  RUNNING), a task execution's repeated phase with a higher ``phase_version``; the workflow's QUEUED and RUNNING
  likewise;
* a task node's interrupted attempts (open task executions: their processes died with the admin, or were killed
  by :meth:`~.task_runner.ProcessTable.kill_leftovers`) end FAILED with a SYSTEM error
  (:data:`INTERRUPTED_CODE`) and the node goes on with the next attempt number (:func:`end_interrupted`). Such an
  attempt does not consume the node's retries: propeller counts system failures apart from the user's retries
  (``nodeStatus.SystemFailures``, ``isEligibleForRetry`` in ``flytepropeller/pkg/controller/nodes/executor.go``)
  and retries a system failure while fewer than :data:`MAX_SYSTEM_FAILURES` happened (its
  ``max-node-retries-system-failures`` default): the third interruption fails the node
  (``RetriesExhausted|AdminInterrupted``);
* a sleep gate keeps its deadline (its RUNNING event's ``occurred_at`` is the record's ``started_at``); a signal
  gate asks for its signal again and keeps waiting, its timeouts counted from the same recorded start; a
  launch-plan node finds its child execution by its deterministic name (the child is resumed too, as a run of its
  own) and waits for it again;
* a dynamic node (DYNAMIC_RUNNING on record, its last attempt SUCCEEDED) does not run its task again: its workflow
  is built again from the attempt's ``futures.pb`` and its children are found under the same ids;
* an array node's task execution goes on (higher phase versions); in FULL_STATE its elements are node executions,
  and those that ended are kept, the others run again; in MINIMAL_STATE every element runs again.

An attempt whose process had ended but whose end was not recorded yet is interrupted too (the process is gone and
its exit status with it): at least once, as propeller reruns a task whose pod was lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flyteidl.admin import execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from google.protobuf.message import DecodeError

from flyteplane.admin.blobs import BlobError, BlobStore
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.port import RecordedNode, RunRequest
from flyteplane.admin.engine.state import NodeOutcome

__all__ = [
    "INTERRUPTED_CODE",
    "MAX_SYSTEM_FAILURES",
    "ResumeEmitter",
    "Resumed",
    "end_interrupted",
    "load_run",
    "recorded_outcome",
    "run_prefix",
    "save_run",
]

log = logging.getLogger("flyteplane.admin.engine")

INTERRUPTED_CODE = "AdminInterrupted"
"""The error code of a task attempt the admin's stop or crash interrupted (kind SYSTEM)."""
MAX_SYSTEM_FAILURES = 3
"""The interruption that fails a node (propeller's ``max-node-retries-system-failures`` default)."""

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM
_NODE_ENDED = frozenset({_N.SUCCEEDED, _N.FAILED, _N.TIMED_OUT, _N.ABORTED, _N.SKIPPED, _N.RECOVERED})
_TASK_ENDED = frozenset({_T.SUCCEEDED, _T.FAILED, _T.ABORTED, _T.RETRYABLE_FAILED})
_WORKFLOW_ENDED = frozenset({_W.SUCCEEDED, _W.FAILED, _W.TIMED_OUT, _W.ABORTED})
# How far a workflow has gone: an event that would not move it further is not sent again.
_WORKFLOW_RANK = {_W.UNDEFINED: 0, _W.QUEUED: 1, _W.RUNNING: 2, _W.SUCCEEDING: 3, _W.FAILING: 3, _W.ABORTING: 3}


# -- what to run ------------------------------------------------------------------------------------------------------
def run_prefix(execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> str:
    """Where a run's data lives in the blob store (propeller's ``metadata/propeller/<project>-<domain>-<name>``)."""
    return f"metadata/propeller/{execution_id.project}-{execution_id.domain}-{execution_id.name}"


def _run_key(execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> str:
    return f"{run_prefix(execution_id)}/run.pb"


def _part(message: Any) -> literals_pb2.Literal:
    literal = literals_pb2.Literal()
    literal.scalar.binary.value = message.SerializeToString()
    literal.scalar.binary.tag = type(message).DESCRIPTOR.full_name
    return literal


def save_run(blobs: BlobStore, request: RunRequest) -> None:
    """Keep what a run needs to be resumed: one blob (a durable write costs a few fsyncs), a literal map whose
    binary literals are the request's parts, tagged with their message types.

    Raises:
        BlobError, OSError: the blob store cannot take it (the run goes on; it just cannot be resumed).
    """
    kept = literals_pb2.LiteralMap()
    kept.literals["closure"].CopyFrom(_part(request.closure))
    kept.literals["inputs"].CopyFrom(_part(request.inputs))
    kept.literals["spec"].CopyFrom(_part(request.spec))
    if request.recover_from is not None:
        kept.literals["recover_from"].CopyFrom(_part(request.recover_from))
    blobs.put(_run_key(request.execution_id), kept.SerializeToString())


def load_run(blobs: BlobStore, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> RunRequest | None:
    """The request a run was launched with, or None when none was kept whole (it cannot be resumed)."""
    key = _run_key(execution_id)
    try:
        if not blobs.exists(key):
            return None
        parts = literals_pb2.LiteralMap.FromString(blobs.get(key)).literals
        spec = execution_pb2.ExecutionSpec.FromString(parts["spec"].scalar.binary.value)
        closure = compiler_pb2.CompiledWorkflowClosure.FromString(parts["closure"].scalar.binary.value)
        inputs = literals_pb2.LiteralMap.FromString(parts["inputs"].scalar.binary.value)
        recover_from = None
        if "recover_from" in parts:
            recover_from = identifier_pb2.WorkflowExecutionIdentifier.FromString(
                parts["recover_from"].scalar.binary.value
            )
    except (BlobError, OSError, DecodeError, KeyError) as e:
        log.warning("the run of %s cannot be resumed: %s", execution_id.name, e)
        return None
    if not closure.HasField("primary"):
        log.warning("the run of %s cannot be resumed: its kept request has no workflow", execution_id.name)
        return None
    eid = identifier_pb2.WorkflowExecutionIdentifier()
    eid.CopyFrom(execution_id)
    return RunRequest(eid, closure, inputs, spec, recover_from)


# -- where it stood ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resumed:
    """What the records say of a run being resumed: its workflow phase and its node executions by node id."""

    phase: int
    nodes: Mapping[str, RecordedNode]

    def ended(self, node_id: str) -> RecordedNode | None:
        """The node's record, if it has ended (the node is not run again)."""
        recorded = self.nodes.get(node_id)
        return recorded if recorded is not None and recorded.phase in _NODE_ENDED else None


def recorded_outcome(recorded: RecordedNode, blobs: BlobStore) -> NodeOutcome:
    """The outcome of a node whose record has ended, with its outputs read back from its output URI."""
    outcome = NodeOutcome(recorded.phase, error=recorded.error, output_uri=recorded.output_uri)
    if recorded.phase not in (_N.SUCCEEDED, _N.RECOVERED):
        return outcome
    if not recorded.output_uri:
        outcome.outputs = literals_pb2.LiteralMap()
        return outcome
    try:
        key = blobs.key_from_native_url(recorded.output_uri)
        if key is None:
            raise BlobError(f"{recorded.output_uri} is not in this admin's blob store")
        outcome.outputs = literals_pb2.LiteralMap.FromString(blobs.get(key))
    except (BlobError, OSError, DecodeError, ValueError) as e:
        # The node ended on record and cannot run again: its downstream nodes cannot have its outputs.
        outcome.phase = _N.FAILED
        outcome.error = core_execution_pb2.ExecutionError(
            code="OutputsNotFound",
            message=f"the outputs of node [{recorded.node_id}] cannot be read after a restart: {e}",
            kind=_SYSTEM,
        )
    return outcome


def end_interrupted(
    emitter: Emitter, recorded: RecordedNode | None, message: str
) -> tuple[int, int, core_execution_pb2.ExecutionError | None]:
    """End a resumed task node's interrupted attempts; return the next attempt number, the node's interruptions so
    far, and the error of the last one (None when there was none)."""
    if recorded is None or not recorded.attempts:
        return 0, 0, None
    error = core_execution_pb2.ExecutionError(code=INTERRUPTED_CODE, message=message, kind=_SYSTEM)
    interrupted = 0
    for attempt in recorded.attempts:
        if attempt.phase in _TASK_ENDED:
            interrupted += attempt.error_code == INTERRUPTED_CODE
            continue
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=attempt.id.retry_attempt,
            phase=_T.FAILED,
            phase_version=attempt.phase_version,
            reason=message,
            event_version=1,
        )
        ev.task_id.CopyFrom(attempt.id.task_id)
        ev.parent_node_execution_id.CopyFrom(attempt.id.node_execution_id)
        ev.error.CopyFrom(error)
        emitter.task(ev)
        interrupted += 1
    next_attempt = max(a.id.retry_attempt for a in recorded.attempts) + 1
    return next_attempt, interrupted, error if interrupted else None


class ResumeEmitter(Emitter):
    """The events of one resumed run: those that would not move its records forward are not sent (and count as
    recorded: the record already says so); everything else goes to the engine's emitter."""

    def __init__(self, inner: Emitter, execution_id: identifier_pb2.WorkflowExecutionIdentifier, resumed: Resumed):
        # No super().__init__: every event goes through ``inner``, which records (and retries) it.
        self._inner = inner
        self._execution = (execution_id.project, execution_id.domain, execution_id.name)
        self._lock = threading.Lock()
        self._workflow = resumed.phase
        self._nodes = {node_id: node.phase for node_id, node in resumed.nodes.items()}
        self._attempts = {
            (node_id, a.id.retry_attempt): (a.phase, a.phase_version)
            for node_id, node in resumed.nodes.items()
            for a in node.attempts
        }

    def workflow(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        phase: int,
        *,
        output_uri: str = "",
        error: core_execution_pb2.ExecutionError | None = None,
        force: bool = False,
    ) -> bool:
        ours = (execution_id.project, execution_id.domain, execution_id.name) == self._execution
        if ours and phase not in _WORKFLOW_ENDED:
            with self._lock:
                if _WORKFLOW_RANK.get(phase, 0) <= _WORKFLOW_RANK.get(self._workflow, 0):
                    return True
        sent = self._inner.workflow(execution_id, phase, output_uri=output_uri, error=error, force=force)
        if ours and sent:
            with self._lock:
                self._workflow = phase
        return sent

    def node(self, event: event_pb2.NodeExecutionEvent, *, force: bool = False) -> bool:
        node_id = event.id.node_id
        with self._lock:
            recorded = self._nodes.get(node_id)
        if recorded is not None and (
            recorded in _NODE_ENDED
            or event.phase == recorded
            or (event.phase == _N.QUEUED and recorded != _N.UNDEFINED)
        ):
            return True
        sent = self._inner.node(event, force=force)
        if sent:
            with self._lock:
                self._nodes[node_id] = event.phase
        return sent

    def task(self, event: event_pb2.TaskExecutionEvent, *, force: bool = False) -> bool:
        key = (event.parent_node_execution_id.node_id, event.retry_attempt)
        with self._lock:
            recorded = self._attempts.get(key)
        if recorded is not None:
            phase, version = recorded
            if phase in _TASK_ENDED or (event.phase == _T.QUEUED and phase != _T.UNDEFINED):
                return True
            if event.phase == phase and event.phase_version <= version:
                event.phase_version = version + 1  # the same phase again reports progress: a newer version
        sent = self._inner.task(event, force=force)
        if sent:
            with self._lock:
                self._attempts[key] = (event.phase, event.phase_version)
        return sent
