"""Walking one compiled workflow (the run's primary workflow, or a sub-workflow) as a DAG.

``start-node`` hands the workflow's inputs on as its outputs; every other node becomes ready when every node it
depends on has ended (:func:`nodes_read_by`: those ``connections.upstream`` lists for it, its ``upstream_node_ids``,
and every node its bindings read, a branch's case nodes included), and runs in its own thread (how many task and
launch-plan nodes run at once is bounded by the run's max parallelism, see :class:`~.state.RunState`).
``end-node`` resolves the workflow's output bindings once every node has succeeded.

When a node fails (or times out):

* FAIL_IMMEDIATELY (the default): no further node starts, running nodes are aborted ("Some node execution failed,
  auto-abort."), and the workflow fails with the node's error;
* FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: nodes that do not depend on the failure go on; the nodes downstream of it
  are SKIPPED; the workflow fails with the first failure's error once nothing runs.

Then the workflow's failure node (``on_failure``), if any, runs with the workflow's inputs and the error.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from flyteidl.core import compiler_pb2, literals_pb2, types_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteplane.admin.compiler import END_NODE_ID, START_NODE_ID, identifier_key
from flyteplane.admin.engine.bindings import BindingError, error_literal, resolve_bindings
from flyteplane.admin.engine.nodes import NodeRunner, Scope
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.state import NodeOutcome, RunState

__all__ = ["AUTO_ABORT_REASON", "nodes_read_by", "run_workflow"]

_N = core_execution_pb2.NodeExecution
_USER = core_execution_pb2.ExecutionError.USER
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM

AUTO_ABORT_REASON = "Some node execution failed, auto-abort."


def run_workflow(
    state: RunState,
    compiled: compiler_pb2.CompiledWorkflow,
    inputs: literals_pb2.LiteralMap,
    scope: Scope,
    token: CancelToken,
    *,
    on_failing: Callable[[], object] | None = None,
) -> NodeOutcome:
    """Run ``compiled`` to its end; the outcome is SUCCEEDED (with the outputs), FAILED (with the error) or
    ABORTED (``token`` was cancelled). ``on_failing`` is called before the failure node runs."""
    return _Dag(state, compiled, scope, token).run(inputs, on_failing)


class _Dag:
    def __init__(
        self, state: RunState, compiled: compiler_pb2.CompiledWorkflow, scope: Scope, token: CancelToken
    ) -> None:
        self.state = state
        self.template = compiled.template
        self.scope = scope
        self.token = token
        # Cancelled to stop this DAG's running nodes when one fails under FAIL_IMMEDIATELY.
        self.dag_token = token.child()
        self.outputs: dict[str, literals_pb2.LiteralMap] = {}
        self.results: dict[str, NodeOutcome] = {}
        self.nodes = {n.id: n for n in self.template.nodes if n.id not in (START_NODE_ID, END_NODE_ID)}
        upstream = compiled.connections.upstream
        self.upstream = {
            node_id: sorted(
                u
                for u in (set(upstream[node_id].ids) if node_id in upstream else set()) | nodes_read_by(node)
                if (u in self.nodes or u == START_NODE_ID) and u != node_id
            )
            for node_id, node in self.nodes.items()
        }

    def lookup(self, node_id: str) -> literals_pb2.LiteralMap | None:
        return self.outputs.get(node_id)

    def runner(self, node_id: str) -> NodeRunner:
        node = self.nodes.get(node_id) or workflow_pb2.Node(id=node_id)  # start-node and end-node carry nothing
        return NodeRunner(self.state, node, self.scope, self.lookup, self.dag_token)

    def run(self, inputs: literals_pb2.LiteralMap, on_failing: Callable[[], object] | None) -> NodeOutcome:
        start = self.runner(START_NODE_ID).passthrough(inputs)
        self.outputs[START_NODE_ID] = inputs
        self.results[START_NODE_ID] = start
        failure = self._schedule()
        if self.token.cancelled:
            return NodeOutcome(_N.ABORTED)
        if failure is not None:
            failed_id, failed = failure
            error = failed.error or core_execution_pb2.ExecutionError(
                code="UnknownError", message=f"node [{failed_id}] failed", kind=_SYSTEM
            )
            if failed.phase == _N.TIMED_OUT:
                error = core_execution_pb2.ExecutionError(code="Timeout", message="Timeout in node", kind=_USER)
            self._failure_node(failed_id, error, on_failing)
            return NodeOutcome(_N.FAILED, error=error)
        try:
            outputs = resolve_bindings(self.template.outputs, self.lookup)
        except BindingError as e:
            error = core_execution_pb2.ExecutionError(code="BindingResolutionFailure", message=str(e), kind=_SYSTEM)
            self._failure_node(END_NODE_ID, error, on_failing)
            return NodeOutcome(_N.FAILED, error=error)
        end = self.runner(END_NODE_ID).passthrough(outputs)
        return NodeOutcome(_N.SUCCEEDED, outputs=outputs, output_uri=end.output_uri)

    def _schedule(self) -> tuple[str, NodeOutcome] | None:
        """Run the nodes; return the first failure (node id and outcome), if any."""
        pending = list(self.nodes)
        running: dict[str, threading.Thread] = {}
        done: queue.Queue[tuple[str, NodeOutcome]] = queue.Queue()
        first_failure: tuple[str, NodeOutcome] | None = None
        halted = False
        while True:
            if not halted and not self.dag_token.cancelled:
                self._start_ready(pending, running, done)
            if not running:
                return first_failure
            node_id, outcome = done.get()
            running.pop(node_id).join()
            self.results[node_id] = outcome
            if outcome.ok and outcome.outputs is not None:
                self.outputs[node_id] = outcome.outputs
            if outcome.phase in (_N.FAILED, _N.TIMED_OUT):
                if first_failure is None:
                    first_failure = (node_id, outcome)
                if self.state.fail_immediately:
                    halted = True
                    self.dag_token.cancel(AUTO_ABORT_REASON)

    def _start_ready(
        self,
        pending: list[str],
        running: dict[str, threading.Thread],
        done: queue.Queue[tuple[str, NodeOutcome]],
    ) -> None:
        progressed = True
        while progressed:
            progressed = False
            for node_id in list(pending):
                ups = self.upstream[node_id]
                if not all(u in self.results for u in ups):
                    continue
                pending.remove(node_id)
                progressed = True
                if not all(self.results[u].ok for u in ups):
                    # Propeller's predicate: a node after a failed, timed-out or skipped node is skipped.
                    self.results[node_id] = self.runner(node_id).skip()
                    continue
                thread = threading.Thread(
                    target=self._run_node,
                    args=(node_id, done),
                    name=f"node-{self.state.execution_id.name}-{self.scope.node_id(node_id)}",
                    daemon=True,
                )
                running[node_id] = thread
                thread.start()

    def _run_node(self, node_id: str, done: queue.Queue[tuple[str, NodeOutcome]]) -> None:
        try:
            outcome = self.runner(node_id).run()
        except BaseException as e:  # never leave the scheduler waiting
            outcome = NodeOutcome(
                _N.FAILED,
                error=core_execution_pb2.ExecutionError(code="EngineError", message=repr(e), kind=_SYSTEM),
            )
        done.put((node_id, outcome))

    def _failure_node(
        self, failed_id: str, error: core_execution_pb2.ExecutionError, on_failing: Callable[[], object] | None
    ) -> None:
        if not self.template.HasField("failure_node") or self.token.cancelled:
            return
        if on_failing is not None:
            on_failing()
        node = self.template.failure_node
        overrides = failure_node_inputs(self.state, node, self.scope.node_id(failed_id), error.message)
        # The failure node runs even though the DAG's token stopped the other nodes.
        runner = NodeRunner(self.state, node, self.scope, self.lookup, self.token)
        runner.run(overrides)


def failure_node_inputs(
    state: RunState, node: workflow_pb2.Node, failed_node_id: str, message: str
) -> dict[str, literals_pb2.Literal]:
    """The ``err`` input of an ``on_failure`` task: the error, where its interface has an ERROR-typed input."""
    if node.WhichOneof("target") != "task_node":
        return {}
    task = state.tasks.get(identifier_key(node.task_node.reference_id))
    if task is None:
        return {}
    out: dict[str, literals_pb2.Literal] = {}
    for name, variable in task.interface.inputs.variables.items():
        if _accepts_error(variable.type):
            out[name] = error_literal(failed_node_id, message, variable.type)
    return out


def _accepts_error(t: types_pb2.LiteralType) -> bool:
    if t.WhichOneof("type") == "simple":
        return t.simple == types_pb2.ERROR
    if t.WhichOneof("type") == "union_type":
        return any(_accepts_error(v) for v in t.union_type.variants)
    return False


def nodes_read_by(node: workflow_pb2.Node) -> set[str]:
    """The ids of the nodes ``node`` must wait for: its ``upstream_node_ids`` and the node of every promise its
    bindings read; for a branch node, also those of its case nodes (every case, the else node, nested branches).

    ``connections.upstream`` is not enough: it lists what a branch node's own bindings read (its conditions), not
    what its case nodes read (flytekit's ``conditional_workflow`` passes an upstream output to a case). Propeller's
    compiler gives each case node edges of its own to what it reads, and the case node is not run before those
    end; the engine, which runs a branch's case inline, waits for them before it starts the branch.
    """
    ids = set(node.upstream_node_ids)
    pending = [b.binding for b in node.inputs]
    while pending:
        data = pending.pop()
        kind = data.WhichOneof("value")
        if kind == "promise":
            ids.add(data.promise.node_id)
        elif kind == "collection":
            pending.extend(data.collection.bindings)
        elif kind == "map":
            pending.extend(data.map.bindings.values())
    if node.WhichOneof("target") == "branch_node":
        if_else = node.branch_node.if_else
        cases = [if_else.case.then_node, *(case.then_node for case in if_else.other)]
        if if_else.HasField("else_node"):
            cases.append(if_else.else_node)
        for case_node in cases:
            ids |= nodes_read_by(case_node)
    return ids
