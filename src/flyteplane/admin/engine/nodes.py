"""Running one node of a workflow, of any kind, and reporting it as propeller does.

Every node goes QUEUED (its inputs resolved and stored) -> RUNNING -> a terminal phase, each step a node event;
task nodes add one task execution per attempt (QUEUED -> RUNNING with the log link -> SUCCEEDED, FAILED (also when
another attempt follows), or ABORTED). Kinds:

* task nodes run the task as local processes, with retries and timeouts (:mod:`.task_node`);
* sub-workflow nodes run the sub-workflow's DAG (:mod:`.dag`) with child node ids ``<node>-0-<child>``;
* launch-plan nodes start a child execution through the executions manager and wait for its outcome;
* branch nodes pick a case (:mod:`.branches`) and run its node as their child;
* a task node whose attempt returns a dynamic workflow runs it as its children (:mod:`.dynamic_node`);
* gate nodes wait for a signal (approve, wait_for_input) or a timer (sleep) (:mod:`.gate_node`);
* array nodes run their sub-node once per element (:mod:`.array_node`).

An aborted node (the run is terminated, or a sibling failed under FAIL_IMMEDIATELY) ends ABORTED with propeller's
error code ``NodeAborted`` and the reason as message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, workflow_pb2
from flyteidl.event import event_pb2
from google.protobuf import timestamp_pb2

from flyteplane.admin.blobs import BlobError
from flyteplane.admin.compiler import identifier_key
from flyteplane.admin.engine.bindings import BindingError, OutputsLookup, resolve_bindings
from flyteplane.admin.engine.branches import BranchError, decide_branch
from flyteplane.admin.engine.caching import cache_hit
from flyteplane.admin.engine.port import ChildLaunch
from flyteplane.admin.engine.runtime import CancelToken, child_node_id
from flyteplane.admin.engine.runtime import execution_error as _error
from flyteplane.admin.engine.state import NodeOutcome, RunState
from flyteplane.admin.engine.task_runner import OUTPUTS_FILE
from flyteplane.admin.errors import AdminError

__all__ = ["NodeRunner", "Scope"]

log = logging.getLogger("flyteplane.admin.engine")

_N = core_execution_pb2.NodeExecution
_W = core_execution_pb2.WorkflowExecution
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM
_UNKNOWN = core_execution_pb2.ExecutionError.UNKNOWN
_SLOT_POLL = 0.1


@dataclass(frozen=True)
class Scope:
    """Where a node sits: top level, or inside the parent node ``parent_id`` (a sub-workflow, branch or dynamic
    node). ``in_dynamic_chain``: some node above is dynamic (propeller's ``IsInDynamicChain`` of the parent info)."""

    parent_id: str | None = None
    parent_attempt: int = 0
    in_dynamic_chain: bool = False

    def node_id(self, spec_node_id: str) -> str:
        return child_node_id(self.parent_id, self.parent_attempt, spec_node_id)

    def inside(self, parent_id: str, parent_attempt: int, *, dynamic: bool = False) -> Scope:
        """The scope of the children of node ``parent_id`` of this scope (propeller's ``CreateParentInfo``)."""
        return Scope(parent_id, parent_attempt, self.in_dynamic_chain or dynamic)


class NodeRunner:
    """One node's run in one scope. :meth:`run` blocks until the node is done and returns its outcome.

    ``lookup`` gives the outputs of the nodes of the same DAG (by spec id) for the bindings; ``token`` is cancelled
    when the node must stop (the run is aborted, or a sibling failed under FAIL_IMMEDIATELY).
    """

    def __init__(
        self, state: RunState, node: workflow_pb2.Node, scope: Scope, lookup: OutputsLookup, token: CancelToken
    ) -> None:
        self.state = state
        self.node = node
        self.scope = scope
        self.lookup = lookup
        self.token = token
        self.uid = scope.node_id(node.id)
        self.input_uri = ""
        self.inputs = literals_pb2.LiteralMap()
        self._running_sent = False
        # This node's record when the run resumes one an earlier admin process left (None: not recorded).
        self.recorded = state.resumed.nodes.get(self.uid) if state.resumed is not None else None
        self.is_dynamic = False
        """Set once a task attempt produced a dynamic workflow: every later event says so (:mod:`.dynamic_node`)."""
        self.task_node_metadata: event_pb2.TaskNodeMetadata | None = None
        """What a cached task node's events report (cache status, catalog key, reservation; :mod:`.caching`)."""

    # -- events -----------------------------------------------------------------------------------------------
    def event(self, phase: int, **fields: Any) -> event_pb2.NodeExecutionEvent:
        node = self.node
        ev = event_pb2.NodeExecutionEvent(
            phase=phase,
            spec_node_id=node.id,
            node_name=node.metadata.name or node.id,
            input_uri=self.input_uri,
            event_version=1,
        )
        ev.id.node_id = self.uid
        ev.id.execution_id.CopyFrom(self.state.execution_id)
        if self.scope.parent_id is not None:
            ev.parent_node_metadata.node_id = self.scope.parent_id
            ev.retry_group = str(self.scope.parent_attempt)
        ev.is_in_dynamic_chain = self.scope.in_dynamic_chain
        ev.is_dynamic = self.is_dynamic
        target = node.WhichOneof("target")
        if target == "task_node":
            ev.target_entity.CopyFrom(node.task_node.reference_id)
        elif target == "workflow_node":
            if node.workflow_node.HasField("launchplan_ref"):
                ev.target_entity.CopyFrom(node.workflow_node.launchplan_ref)
            else:
                ev.is_parent = True
        elif target == "branch_node":
            ev.is_parent = True
        elif target == "array_node":
            ev.is_array = True  # propeller marks every event of an array node (never is_parent: flytekit's remote)
        if self.task_node_metadata is not None:
            ev.task_node_metadata.CopyFrom(self.task_node_metadata)
        for name, value in fields.items():
            if value is None or value == "":
                continue
            if isinstance(value, (str, bool, int)):
                setattr(ev, name, value)
            else:
                getattr(ev, name).CopyFrom(value)
        return ev

    def emit(self, phase: int, **fields: Any) -> bool:
        return self.state.services.emitter.node(self.event(phase, **fields))

    def mark_running(self, **fields: Any) -> None:
        """Report RUNNING, once (retries of a task node keep the node RUNNING, as in propeller)."""
        if not self._running_sent:
            self._running_sent = True
            self.emit(_N.RUNNING, **fields)

    def finish(
        self,
        phase: int,
        *,
        outputs: literals_pb2.LiteralMap | None = None,
        error: core_execution_pb2.ExecutionError | None = None,
        output_uri: str = "",
        **fields: Any,
    ) -> NodeOutcome:
        """Record the node's terminal phase (storing its outputs if it has them) and return its outcome.
        ``fields`` are more fields of the event (a task node's ``deck_uri``, ``is_eager``)."""
        if phase == _N.SUCCEEDED and outputs is not None and not output_uri:
            output_uri = self.state.put_literal_map(self.state.node_key(self.uid, 0, OUTPUTS_FILE), outputs)
        if phase == _N.ABORTED and error is None:
            # As propeller's abort event: code NodeAborted, the reason as message, no kind.
            error = _error("NodeAborted", self.token.reason or "the node was aborted", _UNKNOWN)
        self.emit(phase, output_uri=output_uri, error=None if output_uri else error, **fields)
        return NodeOutcome(phase, outputs=outputs, error=error, output_uri=output_uri)

    def skip(self) -> NodeOutcome:
        """An upstream node failed or was skipped: this node never runs (FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)."""
        self.emit(_N.SKIPPED)
        return NodeOutcome(_N.SKIPPED)

    def passthrough(self, values: literals_pb2.LiteralMap) -> NodeOutcome:
        """The start and end nodes: they only hand values on (inputs of the workflow, outputs of the workflow)."""
        uri = self.state.put_literal_map(self.state.node_key(self.uid, 0, OUTPUTS_FILE), values)
        self.input_uri = uri
        # Propeller's start and end handlers succeed on their first Handle (nodes/start, nodes/end) and need no
        # finalize, so the node goes QUEUED -> SUCCEEDED with no RUNNING event in between (nodes/executor.go).
        self.emit(_N.QUEUED)
        self.emit(_N.SUCCEEDED, output_uri=uri)
        return NodeOutcome(_N.SUCCEEDED, outputs=values, output_uri=uri)

    # -- the node's life --------------------------------------------------------------------------------------
    def run(self, overrides: Mapping[str, literals_pb2.Literal] | None = None) -> NodeOutcome:
        resumed = self.resumed_outcome()
        if resumed is not None:
            return resumed
        recovered = self._recover()
        if recovered is not None:
            return recovered
        try:
            self.inputs = resolve_bindings(self.node.inputs, self.lookup)
        except BindingError as e:
            return self.finish(_N.FAILED, error=_error("BindingResolutionFailure", str(e), _SYSTEM))
        for name, literal in (overrides or {}).items():
            self.inputs.literals[name].CopyFrom(literal)
        self.input_uri = self.state.put_literal_map(self.state.node_key(self.uid, "inputs.pb"), self.inputs)
        if self.token.cancelled:
            return NodeOutcome(_N.ABORTED)  # never started: propeller records nothing for it
        hit = cache_hit(self)  # a cached task's outputs: SUCCEEDED at once, never QUEUED (propeller)
        if hit is not None:
            return hit
        self.emit(_N.QUEUED)
        try:
            return self._dispatch()
        except Exception as e:  # the engine's own bug: the node fails, the run goes on to its end
            log.exception("node %s of %s failed in the engine", self.uid, self.state.execution_id.name)
            return self.finish(
                _N.FAILED, error=_error("EngineError", f"the engine failed running this node: {e!r}", _SYSTEM)
            )

    def _dispatch(self) -> NodeOutcome:
        node = self.node
        target = node.WhichOneof("target")
        if target == "task_node":
            from flyteplane.admin.engine.task_node import TaskNode

            return TaskNode(self).run()
        if target == "workflow_node":
            if node.workflow_node.HasField("launchplan_ref"):
                return self._launch_plan()
            return self._sub_workflow()
        if target == "branch_node":
            return self._branch()
        if target == "gate_node":
            from flyteplane.admin.engine.gate_node import GateNode

            return GateNode(self).run()
        if target == "array_node":
            from flyteplane.admin.engine.array_node import ArrayNode

            return ArrayNode(self).run()
        return self.finish(_N.FAILED, error=_error("BadSpecification", f"node [{node.id}] has no target", _SYSTEM))

    # -- a resumed run (see :mod:`.resume`) ----------------------------------------------------------------------
    def resumed_outcome(self) -> NodeOutcome | None:
        """The outcome on record, when the run resumes and this node had ended: it does not run again."""
        if self.recorded is None or self.state.resumed is None or self.state.resumed.ended(self.uid) is None:
            return None
        from flyteplane.admin.engine.resume import recorded_outcome

        self.input_uri = self.recorded.input_uri
        return recorded_outcome(self.recorded, self.state.services.blobs)

    def resume_attempts(self) -> tuple[int, int] | NodeOutcome:
        """For a task node of a resumed run: end the attempts the admin's stop interrupted and return the next
        attempt number and how many attempts were interrupted so far (they do not count against the retries); or
        the node's end, when it was interrupted too often (see :mod:`.resume`)."""
        if self.recorded is None:
            return 0, 0
        from flyteplane.admin.engine.resume import MAX_SYSTEM_FAILURES, end_interrupted

        message = "the admin stopped while this attempt was running; the node goes on with its next attempt"
        attempt, interrupted, error = end_interrupted(self.state.services.emitter, self.recorded, message)
        if error is None or interrupted < MAX_SYSTEM_FAILURES:
            return attempt, interrupted
        self._running_sent = True  # the node is RUNNING on record
        return self.finish(
            _N.FAILED,
            error=_error(
                f"RetriesExhausted|{error.code}",
                f"[{interrupted}/{MAX_SYSTEM_FAILURES}] currentAttempt done. Last Error: SYSTEM::{error.message}",
                _SYSTEM,
            ),
        )

    def resumed_dynamic_attempt(self) -> int | None:
        """The attempt whose dynamic workflow was running, when the run resumes a dynamic node (DYNAMIC_RUNNING on
        record, its last attempt SUCCEEDED): the workflow goes on and the task does not run again."""
        recorded = self.recorded
        if recorded is None or recorded.phase != _N.DYNAMIC_RUNNING or not recorded.attempts:
            return None
        last = max(recorded.attempts, key=lambda a: a.id.retry_attempt)
        return last.id.retry_attempt if last.phase == core_execution_pb2.TaskExecution.SUCCEEDED else None

    def recorded_start(self) -> timestamp_pb2.Timestamp | None:
        """When this node was reported RUNNING, if the run resumes and it was."""
        return self.recorded.started_at if self.recorded is not None else None

    def _recover(self) -> NodeOutcome | None:
        """Reuse the outputs of this node from the execution being recovered, if it succeeded there."""
        found = self.state.recovered.get(self.uid)
        if found is None:
            return None
        blobs = self.state.services.blobs
        try:
            output_key = blobs.key_from_native_url(found.output_uri)
            if output_key is None:
                return None
            outputs = literals_pb2.LiteralMap.FromString(blobs.get(output_key))
            input_key = blobs.key_from_native_url(found.input_uri) if found.input_uri else None
            inputs = literals_pb2.LiteralMap.FromString(blobs.get(input_key)) if input_key else None
        except (BlobError, ValueError) as e:
            log.info("node %s cannot be recovered (%s); it runs again", self.uid, e)
            return None
        if inputs is not None:
            self.input_uri = self.state.put_literal_map(self.state.node_key(self.uid, "inputs.pb"), inputs)
        uri = self.state.put_literal_map(self.state.node_key(self.uid, 0, OUTPUTS_FILE), outputs)
        self.emit(_N.RECOVERED, output_uri=uri)
        return NodeOutcome(_N.RECOVERED, outputs=outputs, output_uri=uri)

    def acquire_slot(self) -> bool:
        """Wait for one of the run's parallelism slots; False if the node is cancelled meanwhile. The caller
        releases the slot (``state.slots.release()``)."""
        while not self.token.cancelled:
            if self.state.slots.acquire(timeout=_SLOT_POLL):
                return True
        return False

    # -- sub-workflows, launch plans, branches ------------------------------------------------------------------
    def _sub_workflow(self) -> NodeOutcome:
        ref = self.node.workflow_node.sub_workflow_ref
        compiled = self.state.sub_workflows.get(identifier_key(ref))
        if compiled is None:
            return self.finish(
                _N.FAILED,
                error=_error("SubWorkflowNotFound", f"sub-workflow [{ref.name}] is not in the closure", _SYSTEM),
            )
        self.mark_running()
        from flyteplane.admin.engine.dag import run_workflow

        outcome = run_workflow(self.state, compiled, self.inputs, self.scope.inside(self.uid, 0), self.token.child())
        return self._settle_child(outcome)

    def _settle_child(self, outcome: NodeOutcome) -> NodeOutcome:
        if outcome.phase in (_N.SUCCEEDED, _N.RECOVERED):
            return self.finish(_N.SUCCEEDED, outputs=outcome.outputs or literals_pb2.LiteralMap())
        if outcome.phase == _N.ABORTED or self.token.cancelled:
            return self.finish(_N.ABORTED)
        return self.finish(outcome.phase, error=outcome.error)

    def _branch(self) -> NodeOutcome:
        self.mark_running()
        try:
            chosen = decide_branch(self.node.branch_node.if_else, self.inputs)
        except BranchError as e:
            return self.finish(_N.FAILED, error=_error(e.code, str(e)))
        child = NodeRunner(self.state, chosen, self.scope.inside(self.uid, 0), self.lookup, self.token)
        return self._settle_child(child.run())

    def _launch_plan(self) -> NodeOutcome:
        services = self.state.services
        lp = self.node.workflow_node.launchplan_ref
        if not self.acquire_slot():
            return self.finish(_N.ABORTED)
        try:
            node_execution = identifier_pb2.NodeExecutionIdentifier(node_id=self.uid)
            node_execution.execution_id.CopyFrom(self.state.execution_id)
            launch = ChildLaunch(node_execution, lp, self.inputs, self.state.spec)
            try:
                child = services.launch_child(launch)
            except AdminError as e:
                return self.finish(
                    _N.FAILED, error=_error("LaunchPlanLaunchFailed", f"cannot launch [{lp.name}]: {e.message}")
                )
            metadata = event_pb2.WorkflowNodeMetadata(execution_id=child)
            self.mark_running(workflow_node_metadata=metadata)
            result = services.wait_child(child, self.token)
        finally:
            self.state.slots.release()
        if self.token.cancelled:
            return self.finish(_N.ABORTED)
        if result.phase == _W.SUCCEEDED:
            return self.finish(_N.SUCCEEDED, outputs=result.outputs or literals_pb2.LiteralMap())
        if result.phase == _W.TIMED_OUT:
            return self.finish(
                _N.TIMED_OUT, error=result.error or _error("Timeout", f"execution [{child.name}] timed out")
            )
        if result.phase == _W.ABORTED:
            return self.finish(_N.FAILED, error=_error("ChildAborted", f"child execution [{child.name}] was aborted"))
        error = result.error or _error("ChildFailed", f"child execution [{child.name}] failed")
        return self.finish(_N.FAILED, error=error)
