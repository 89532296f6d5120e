"""GetExecutionMetrics: an execution broken down into a tree of spans (Flyte Admin's
``flyteadmin/pkg/manager/impl/metrics_manager.go``).

Flyte Admin's MetricsManager, over the rows of node and task executions. The root span covers the execution
(``created_at`` to ``updated_at``, ``workflow_id`` = the execution's id). With ``depth`` other than 0 it gets
children: operation spans for the overhead between steps (``WORKFLOW_SETUP``, ``NODE_TRANSITION``, ``TASK_RUNTIME``,
...) and one span per node execution (``node_id``), which in turn holds its task attempts (``task_id``), its
branch / sub-workflow / dynamic children, or the child execution a launch-plan node started, each level using
one unit of depth (a negative depth never runs out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, metrics_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from flyteplane.admin.compiler import END_NODE_ID, START_NODE_ID
from flyteplane.admin.config import AdminContext
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.run_data import read_message
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.db import Tx
from flyteplane.admin.store.node_executions import NodeExecutionRepository
from flyteplane.admin.store.node_executions import TreeNode as _Node
from flyteplane.admin.store.task_executions import TaskAttempt as _Task
from flyteplane.admin.store.task_executions import TaskExecutionRepository

__all__ = ["ExecutionMetrics"]

NODE_IDLE = "NODE_IDLE"
NODE_RESET = "NODE_RESET"
NODE_SETUP = "NODE_SETUP"
NODE_TEARDOWN = "NODE_TEARDOWN"
NODE_TRANSITION = "NODE_TRANSITION"
TASK_RUNTIME = "TASK_RUNTIME"
TASK_SETUP = "TASK_SETUP"
TASK_TEARDOWN = "TASK_TEARDOWN"
WORKFLOW_SETUP = "WORKFLOW_SETUP"
WORKFLOW_TEARDOWN = "WORKFLOW_TEARDOWN"


_EMPTY_TIME = timestamp_pb2.Timestamp()


def _internal(message: str) -> AdminError:
    # Inconsistent records (a node the workflow does not have): Flyte Admin fails with a plain Go error.
    return AdminError(grpc.StatusCode.INTERNAL, message)


def _key(ts: timestamp_pb2.Timestamp) -> tuple[int, int]:
    return ts.seconds, ts.nanos


def _not_before(a: timestamp_pb2.Timestamp, b: timestamp_pb2.Timestamp) -> bool:
    """Go's ``!a.Before(b)``."""
    return _key(a) >= _key(b)


def _plus(start: timestamp_pb2.Timestamp, duration: duration_pb2.Duration) -> timestamp_pb2.Timestamp:
    total = start.seconds * 10**9 + start.nanos + duration.seconds * 10**9 + duration.nanos
    return timestamp_pb2.Timestamp(seconds=total // 10**9, nanos=total % 10**9)


def _operation(start: timestamp_pb2.Timestamp, end: timestamp_pb2.Timestamp | None, operation: str) -> metrics_pb2.Span:
    """An operation span; ``end`` None leaves it open (Flyte Admin's nil time when a record is missing)."""
    span = metrics_pb2.Span(start_time=start, operation_id=operation)
    if end is not None:
        span.end_time.CopyFrom(end)
    return span


class ExecutionMetrics:
    """Builds the span tree of an execution. ``get_execution`` is GetExecution (NOT_FOUND for unknown ids)."""

    def __init__(
        self, ctx: AdminContext, get_execution: Callable[[Any], execution_pb2.Execution], workflows: WorkflowManager
    ) -> None:
        self._ctx = ctx
        self._get_execution = get_execution
        self._nodes_repo = NodeExecutionRepository(ctx.store)
        self._tasks_repo = TaskExecutionRepository(ctx.store)
        self._workflows = workflows  # GetWorkflow, with its cache of compiled closures

    def span(self, execution: execution_pb2.Execution, depth: int) -> metrics_pb2.Span:
        with self._ctx.store.read() as conn:
            return self._execution(conn, execution, depth)

    # --- levels ----------------------------------------------------------------------------------------------

    def _execution(self, conn: Tx, execution: execution_pb2.Execution, depth: int) -> metrics_pb2.Span:
        spans: list[metrics_pb2.Span] = []
        closure = execution.closure
        if depth != 0:
            compiled = self._workflow(conn, closure.workflow_id)
            nodes = self._nodes(conn, execution.id, None)
            start = nodes.get(START_NODE_ID)
            if start is None or not start.closure.HasField("updated_at") or start.closure.updated_at == _EMPTY_TIME:
                spans.append(_operation(closure.created_at, closure.updated_at, WORKFLOW_SETUP))
            else:
                spans.append(_operation(closure.created_at, start.closure.updated_at, WORKFLOW_SETUP))
                self._node_executions(conn, nodes, compiled, spans, depth - 1)
                latest = _latest_upstream(END_NODE_ID, compiled.primary.connections.upstream, nodes)
                if latest is not None and _not_before(closure.updated_at, latest.closure.updated_at):
                    spans.append(_operation(latest.closure.updated_at, closure.updated_at, WORKFLOW_TEARDOWN))
        return metrics_pb2.Span(
            start_time=closure.created_at, end_time=closure.updated_at, workflow_id=execution.id, spans=spans
        )

    def _node_executions(
        self,
        conn: Tx,
        nodes: dict[str, _Node],
        compiled: compiler_pb2.CompiledWorkflowClosure,
        spans: list[metrics_pb2.Span],
        depth: int,
    ) -> None:
        template = compiled.primary.template
        for node_execution in sorted(nodes.values(), key=lambda n: _key(n.closure.created_at)):
            spec_node_id = node_execution.metadata.spec_node_id
            if spec_node_id in (START_NODE_ID, END_NODE_ID):
                continue
            node = next((n for n in reversed(template.nodes) if n.id == spec_node_id), None)
            if node is None:
                raise _internal(
                    f"failed to discover workflow node '{spec_node_id}' in workflow '{go_text(template.id)}'"
                )
            span = self._node(conn, node_execution, node, depth)
            latest = _latest_upstream(spec_node_id, compiled.primary.connections.upstream, nodes)
            if latest is not None:
                span.spans.insert(
                    0, _operation(latest.closure.updated_at, node_execution.closure.created_at, NODE_TRANSITION)
                )
            spans.append(span)

    def _node(self, conn: Tx, node_execution: _Node, node: core_workflow_pb2.Node, depth: int) -> metrics_pb2.Span:
        spans: list[metrics_pb2.Span] = []
        if depth != 0:
            target = node.WhichOneof("target")
            if target == "branch_node":
                self._branch(conn, node_execution, node.branch_node, spans, depth - 1)
            elif target == "gate_node":
                _gate(node_execution, spans)
            elif target == "task_node":
                if node_execution.metadata.is_parent_node:
                    self._dynamic(conn, node_execution, spans, depth - 1)
                else:
                    self._task_node(conn, node_execution, spans, depth - 1)
            elif target == "workflow_node":
                reference = node.workflow_node.WhichOneof("reference")
                if reference == "launchplan_ref":
                    self._launch_plan_node(conn, node_execution, spans, depth - 1)
                elif reference == "sub_workflow_ref":
                    self._sub_workflow(conn, node_execution, node.workflow_node.sub_workflow_ref, spans, depth - 1)
                else:
                    raise _internal(f"failed to identify workflow node type for node: {go_text(node.workflow_node)}")
            # other node types (array nodes) have no breakdown, as in Flyte Admin
        closure = node_execution.closure
        return metrics_pb2.Span(
            start_time=closure.created_at, end_time=closure.updated_at, node_id=node_execution.id, spans=spans
        )

    def _branch(self, conn: Tx, node_execution: _Node, branch: Any, spans: list[metrics_pb2.Span], depth: int) -> None:
        closure = node_execution.closure
        children = self._nodes(conn, node_execution.id.execution_id, node_execution.row_id)
        if not children:
            spans.append(_operation(closure.created_at, closure.updated_at, NODE_SETUP))
            return
        if len(children) != 1:
            raise _internal(f"invalid branch node execution: expected 1 but found {len(children)} node execution(s)")
        child = next(iter(children.values()))
        taken = _branch_node(child.metadata.spec_node_id, branch)
        if taken is None:
            raise _internal(
                f"failed to identify branch node final node definition for nodeID '{child.metadata.spec_node_id}' "
                f"and branchNode '{go_text(branch)}'"
            )
        spans.append(_operation(closure.created_at, child.closure.created_at, NODE_SETUP))
        spans.append(self._node(conn, child, taken, depth))
        if _not_before(closure.updated_at, child.closure.updated_at):
            spans.append(_operation(child.closure.updated_at, closure.updated_at, NODE_TEARDOWN))

    def _dynamic(self, conn: Tx, node_execution: _Node, spans: list[metrics_pb2.Span], depth: int) -> None:
        closure = node_execution.closure
        tasks = self._tasks(conn, node_execution)
        if not tasks:
            spans.append(_operation(closure.created_at, closure.updated_at, NODE_SETUP))
            return
        spans.append(_operation(closure.created_at, tasks[0].closure.created_at, NODE_SETUP))
        _task_spans(tasks, spans, depth)
        children = self._nodes(conn, node_execution.id.execution_id, node_execution.row_id)
        last = tasks[-1]
        if not children:
            if _not_before(closure.updated_at, last.closure.updated_at):
                spans.append(_operation(last.closure.updated_at, closure.updated_at, NODE_RESET))
            return
        start = children.get(START_NODE_ID)
        start_updated = start.closure.updated_at if start is not None else None
        spans.append(_operation(last.closure.updated_at, start_updated, NODE_RESET))
        compiled = self._dynamic_workflow(node_execution)
        self._node_executions(conn, children, compiled, spans, depth)
        latest = _latest_upstream(END_NODE_ID, compiled.primary.connections.upstream, children)
        if latest is not None and _not_before(closure.updated_at, latest.closure.updated_at):
            spans.append(_operation(latest.closure.updated_at, closure.updated_at, NODE_TEARDOWN))

    def _launch_plan_node(self, conn: Tx, node_execution: _Node, spans: list[metrics_pb2.Span], depth: int) -> None:
        closure = node_execution.closure
        if not closure.HasField("workflow_node_metadata"):
            spans.append(_operation(closure.created_at, closure.updated_at, NODE_SETUP))
            return
        child = self._get_execution(
            execution_pb2.WorkflowExecutionGetRequest(id=closure.workflow_node_metadata.execution_id)
        )
        spans.append(_operation(closure.created_at, child.closure.created_at, NODE_SETUP))
        spans.append(self._execution(conn, child, depth))
        if _not_before(closure.updated_at, child.closure.updated_at):
            spans.append(_operation(child.closure.updated_at, closure.updated_at, NODE_TEARDOWN))

    def _sub_workflow(
        self,
        conn: Tx,
        node_execution: _Node,
        workflow_id: identifier_pb2.Identifier,
        spans: list[metrics_pb2.Span],
        depth: int,
    ) -> None:
        closure = node_execution.closure
        children = self._nodes(conn, node_execution.id.execution_id, node_execution.row_id)
        if not children:
            spans.append(_operation(closure.created_at, closure.updated_at, NODE_SETUP))
            return
        start = children.get(START_NODE_ID)
        start_updated = start.closure.updated_at if start is not None else None
        spans.append(_operation(closure.created_at, start_updated, NODE_SETUP))
        compiled = self._workflow(conn, workflow_id)
        self._node_executions(conn, children, compiled, spans, depth)
        latest = _latest_upstream(END_NODE_ID, compiled.primary.connections.upstream, children)
        if latest is not None and _not_before(closure.updated_at, latest.closure.updated_at):
            spans.append(_operation(latest.closure.updated_at, closure.updated_at, NODE_TEARDOWN))

    def _task_node(self, conn: Tx, node_execution: _Node, spans: list[metrics_pb2.Span], depth: int) -> None:
        closure = node_execution.closure
        tasks = self._tasks(conn, node_execution)
        if not tasks:
            spans.append(_operation(closure.created_at, closure.updated_at, NODE_SETUP))
            return
        spans.append(_operation(closure.created_at, tasks[0].closure.created_at, NODE_SETUP))
        _task_spans(tasks, spans, depth)
        last = tasks[-1]
        if _not_before(closure.updated_at, last.closure.updated_at):
            spans.append(_operation(last.closure.updated_at, closure.updated_at, NODE_TEARDOWN))

    # --- records -------------------------------------------------------------------------------------------------

    def _workflow(self, conn: Tx, workflow_id: identifier_pb2.Identifier) -> compiler_pb2.CompiledWorkflowClosure:
        """GetWorkflow's compiled closure (NOT_FOUND as GetWorkflow answers it)."""
        del conn  # the registry reads its own (cached) versions
        workflow = self._workflows.get_workflow(common_pb2.ObjectGetRequest(id=workflow_id))
        return workflow.closure.compiled_workflow

    def _dynamic_workflow(self, node_execution: _Node) -> compiler_pb2.CompiledWorkflowClosure:
        """The workflow a dynamic node generated (stored in the blob store when its event arrived)."""
        found = read_message(self._ctx, node_execution.dynamic_reference, compiler_pb2.CompiledWorkflowClosure)
        return found if found is not None else compiler_pb2.CompiledWorkflowClosure()

    def _nodes(self, conn: Tx, execution_id: Any, parent_row_id: int | None) -> dict[str, _Node]:
        """The node executions of an execution, by spec node id: the top-level ones, or the children of a node."""
        return {node.metadata.spec_node_id: node for node in self._nodes_repo.tree(conn, execution_id, parent_row_id)}

    def _tasks(self, conn: Tx, node_execution: _Node) -> list[_Task]:
        tasks = self._tasks_repo.attempts(conn, node_execution.id)
        tasks.sort(key=lambda t: _key(t.closure.created_at))
        return tasks


def _latest_upstream(node_id: str, upstream: Any, nodes: dict[str, _Node]) -> _Node | None:
    """The upstream node execution of ``node_id`` that was updated last (None if none ran)."""
    latest: _Node | None = None
    latest_key = (0, 0)
    if node_id in upstream:
        for upstream_id in upstream[node_id].ids:
            candidate = nodes.get(upstream_id)
            if candidate is None:
                continue
            key = _key(candidate.closure.updated_at)
            if key > latest_key:
                latest, latest_key = candidate, key
    return latest


def _branch_node(node_id: str, branch: Any) -> core_workflow_pb2.Node | None:
    if_else = branch.if_else
    if if_else.case.then_node.id == node_id:
        return if_else.case.then_node  # type: ignore[no-any-return]
    for other in if_else.other:
        if other.then_node.id == node_id:
            return other.then_node  # type: ignore[no-any-return]
    if if_else.WhichOneof("default") == "else_node" and if_else.else_node.id == node_id:
        return if_else.else_node  # type: ignore[no-any-return]
    return None


def _gate(node_execution: _Node, spans: list[metrics_pb2.Span]) -> None:
    closure = node_execution.closure
    if not closure.HasField("started_at") or closure.started_at == _EMPTY_TIME:
        spans.append(_operation(closure.created_at, closure.updated_at, NODE_SETUP))
        return
    spans.append(_operation(closure.created_at, closure.started_at, NODE_SETUP))
    if not closure.HasField("duration") or closure.duration == duration_pb2.Duration():
        spans.append(_operation(closure.started_at, closure.updated_at, NODE_IDLE))
        return
    end = _plus(closure.started_at, closure.duration)
    spans.append(_operation(closure.started_at, end, NODE_IDLE))
    spans.append(_operation(end, closure.updated_at, NODE_TEARDOWN))


def _task_span(task: _Task) -> metrics_pb2.Span:
    closure = task.closure
    spans: list[metrics_pb2.Span] = []
    if not closure.HasField("started_at") or closure.started_at == _EMPTY_TIME:
        spans.append(_operation(closure.created_at, closure.updated_at, TASK_SETUP))
    else:
        spans.append(_operation(closure.created_at, closure.started_at, TASK_SETUP))
        if not closure.HasField("duration") or closure.duration == duration_pb2.Duration():
            spans.append(_operation(closure.started_at, closure.updated_at, TASK_RUNTIME))
        else:
            end = _plus(closure.started_at, closure.duration)
            spans.append(_operation(closure.started_at, end, TASK_RUNTIME))
            if _not_before(closure.updated_at, end):
                spans.append(_operation(end, closure.updated_at, TASK_TEARDOWN))
    return metrics_pb2.Span(start_time=closure.created_at, end_time=closure.updated_at, task_id=task.id, spans=spans)


def _task_spans(tasks: list[_Task], spans: list[metrics_pb2.Span], depth: int) -> None:
    """The attempts of a task node, with the reset time between consecutive attempts."""
    for index, task in enumerate(tasks):
        if index > 0:
            spans.append(_operation(tasks[index - 1].closure.updated_at, task.closure.created_at, NODE_RESET))
        if depth != 0:
            spans.append(_task_span(task))
