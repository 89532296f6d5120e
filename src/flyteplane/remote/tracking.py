"""The executions collaborator of FlyteRemote: refresh, the wait schedule, the node tree, inputs and outputs.

Every method that talks to Flyte Admin is an operation (see :mod:`flyteplane.remote._io`), driven by the sync and
the async FlyteRemote alike; ``wait`` yields its pauses, so the async one awaits with the same schedule.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, literals_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from flyteplane.errors import FlyteEntityNotExistException, FlyteTimeout
from flyteplane.remote._io import Call, Offload, Op, Sleep
from flyteplane.remote.catalog import PAGE, TASK, Catalog
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, RemoteEntity
from flyteplane.remote.executions import (
    ExecutionSession,
    FlyteNodeExecution,
    FlyteTaskExecution,
    FlyteWorkflowExecution,
)
from flyteplane.types import FileAccess, LiteralsResolver

__all__ = ["Tracker", "WaitSchedule", "seconds"]

DEFAULT_RPC_TIMEOUT = 60.0
Resolvers = tuple[LiteralsResolver, LiteralsResolver]


def seconds(value: _dt.timedelta | float | int | None) -> float | None:
    """A duration in seconds (None stays None)."""
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return float(value)


class WaitSchedule:
    """When ``wait`` polls: every 50 ms at first (a no-op task finishes in ~60 ms on the embedded admin), then
    every fifth of the time waited so far, up to 10 s, so a finish is seen at most ~20% late and a long execution
    is polled rarely. An explicit ``poll_interval`` is used as is."""

    FIRST = 0.05
    MAX = 10.0
    FRACTION = 0.2

    def __init__(self, timeout: float | None, poll_interval: float | None) -> None:
        self.timeout = timeout
        self.fixed = poll_interval
        self.start = time.monotonic()
        self.until = None if timeout is None else self.start + timeout

    def left(self) -> float | None:
        """Seconds until the deadline (None: no deadline)."""
        return None if self.until is None else self.until - time.monotonic()

    def rpc_timeout(self) -> float:
        """The deadline of the next poll: at most 60 s and never past the wait's own."""
        left = self.left()
        return DEFAULT_RPC_TIMEOUT if left is None else max(min(left, DEFAULT_RPC_TIMEOUT), 0.001)

    def next_delay(self) -> float:
        """The pause before the next poll."""
        if self.fixed is not None:
            delay = self.fixed
        else:
            delay = min(max((time.monotonic() - self.start) * self.FRACTION, self.FIRST), self.MAX)
        left = self.left()
        return delay if left is None else max(min(delay, left), 0.0)


class Tracker:
    """Follows executions: phases, nodes and data.

    Args:
        catalog: fetches what an execution runs (its interface types its data).
        files: the FileAccess reading data of a project and domain.
    """

    def __init__(self, catalog: Catalog, files: Callable[[str, str], FileAccess]) -> None:
        self._catalog = catalog
        self._files = files

    # -- phase ------------------------------------------------------------------------------------------------
    def get(
        self, ident: identifier_pb2.WorkflowExecutionIdentifier, timeout: float | None = None
    ) -> Op[execution_pb2.Execution]:
        """GetExecution."""
        pb: execution_pb2.Execution = yield Call(
            "get_execution", execution_pb2.WorkflowExecutionGetRequest(id=ident), timeout=timeout
        )
        return pb

    def wait(self, execution: FlyteWorkflowExecution, schedule: WaitSchedule, on_poll: Callable[[], None]) -> Op[None]:
        """Poll the execution's phase until it is done; ``on_poll`` runs after each poll (progress display).

        Raises:
            FlyteTimeout: the schedule's timeout passed first; the message names the last phase seen.
        """
        ident = execution.to_flyte_idl().id
        while True:
            try:
                execution.update((yield from self.get(ident, schedule.rpc_timeout())))
            except FlyteTimeout:
                left = schedule.left()
                if left is None or left > 0:
                    raise
                _timed_out(execution, schedule.timeout)
            on_poll()
            if execution.is_done:
                return
            left = schedule.left()
            if left is not None and left <= 0:
                _timed_out(execution, schedule.timeout)
            yield Sleep(schedule.next_delay())

    # -- what an execution runs ---------------------------------------------------------------------------------
    def entity_of(self, execution: FlyteWorkflowExecution) -> Op[RemoteEntity]:
        """The task or launch plan an execution runs (the one it was launched with, or fetched, cached)."""
        if execution.flyte_entity is not None:
            return execution.flyte_entity
        target = execution.to_flyte_idl().spec.launch_plan
        entity: RemoteEntity
        if target.resource_type == TASK:
            entity = FlyteTask.from_flyte_idl((yield from self._catalog.task_template(target)))
        else:
            entity = self._catalog.launch_plan((yield from self._catalog.launch_plan_message(target)))
        return entity

    def closure_of(self, entity: RemoteEntity | None) -> Op[compiler_pb2.CompiledWorkflowClosure | None]:
        """The compiled workflow a launch plan runs (None for a single task)."""
        if not isinstance(entity, FlyteLaunchPlan):
            return None
        closure = yield from self._catalog.workflow_closure(entity.to_flyte_idl().spec.workflow_id)
        return closure

    # -- sync ---------------------------------------------------------------------------------------------------
    def sync(
        self,
        execution: FlyteWorkflowExecution,
        session: ExecutionSession,
        sync_nodes: bool,
        timeout: float | None,
    ) -> Op[None]:
        """Refresh ``execution`` in place; with ``sync_nodes`` read its node tree too."""
        pb = yield from self.get(execution.to_flyte_idl().id, timeout)
        if not sync_nodes:
            execution.update(pb, session=session)
            return
        execution.update(pb, session=session)
        entity: RemoteEntity | None
        try:
            entity = yield from self.entity_of(execution)
        except FlyteEntityNotExistException:
            entity = None
        closure = None if pb.spec.launch_plan.resource_type == TASK else (yield from self.closure_of(entity))
        nodes = yield from self.node_tree(pb.id, None, closure, None, session)
        execution.update(pb, nodes, entity=entity if isinstance(entity, (FlyteTask, FlyteLaunchPlan)) else None)

    def node_tree(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        parent: str | None,
        closure: compiler_pb2.CompiledWorkflowClosure | None,
        template: core_workflow_pb2.WorkflowTemplate | None,
        session: ExecutionSession,
    ) -> Op[dict[str, FlyteNodeExecution]]:
        """The node executions under ``parent`` (top level: None), each with what ran under it."""
        template = template if template is not None else (closure.primary.template if closure is not None else None)
        by_id = {n.id: n for n in template.nodes} if template is not None else {}
        out: dict[str, FlyteNodeExecution] = {}
        token = ""
        while True:
            request = node_execution_pb2.NodeExecutionListRequest(
                workflow_execution_id=execution_id, limit=PAGE, token=token, unique_parent_id=parent or ""
            )
            page = yield Call("list_node_executions_paginated", request)
            for pb in page.node_executions:
                out[pb.id.node_id] = yield from self._node(pb, execution_id, closure, by_id, session)
            token = page.token
            if not token:
                return out

    def _node(
        self,
        pb: node_execution_pb2.NodeExecution,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        closure: compiler_pb2.CompiledWorkflowClosure | None,
        by_id: Mapping[str, core_workflow_pb2.Node],
        session: ExecutionSession,
    ) -> Op[FlyteNodeExecution]:
        spec_node = by_id.get(pb.metadata.spec_node_id or pb.id.node_id)
        interface = _node_interface(spec_node, closure)
        tasks: list[FlyteTaskExecution] | None = None
        children: dict[str, FlyteNodeExecution] | None = None
        launched: list[FlyteWorkflowExecution] | None = None
        if pb.closure.HasField("workflow_node_metadata"):
            child = FlyteWorkflowExecution.bound(
                execution_pb2.Execution(id=pb.closure.workflow_node_metadata.executionId), session
            )
            yield from self.sync(child, session, True, None)
            launched = [child]
        if pb.metadata.is_parent_node and pb.metadata.is_dynamic:
            # A dynamic node: its task attempt(s), and the children of the workflow it generated, read with that
            # workflow's closure (GetDynamicNodeWorkflow).
            tasks = yield from self._attempts(pb.id, interface, session)
            request = node_execution_pb2.GetDynamicNodeWorkflowRequest(id=pb.id)
            dynamic = yield Call("get_dynamic_node_workflow", request)
            children = yield from self.node_tree(execution_id, pb.id.node_id, dynamic.compiled_workflow, None, session)
        elif pb.metadata.is_parent_node:
            sub_template = _sub_template(spec_node, closure)
            children = yield from self.node_tree(execution_id, pb.id.node_id, closure, sub_template, session)
        elif pb.id.node_id not in ("start-node", "end-node"):
            tasks = yield from self._attempts(pb.id, interface, session)
        return FlyteNodeExecution.bound(
            pb,
            session,
            interface,
            task_executions=tasks,
            subworkflow_node_executions=children,
            workflow_executions=launched,
        )

    def _attempts(
        self,
        node_id: identifier_pb2.NodeExecutionIdentifier,
        interface: interface_pb2.TypedInterface | None,
        session: ExecutionSession,
    ) -> Op[list[FlyteTaskExecution]]:
        request = task_execution_pb2.TaskExecutionListRequest(node_execution_id=node_id, limit=PAGE)
        page = yield Call("list_task_executions_paginated", request)
        return [FlyteTaskExecution.bound(pb, session, interface) for pb in page.task_executions]

    # -- data ---------------------------------------------------------------------------------------------------
    def execution_data(self, execution: FlyteWorkflowExecution) -> Op[Resolvers]:
        """The inputs and outputs of an execution, typed by what it runs and its type hints."""
        pb = execution.to_flyte_idl()
        entity = yield from self.entity_of(execution)
        interface = entity._interface_pb()
        data = yield Call("get_execution_data", execution_pb2.WorkflowExecutionGetDataRequest(id=pb.id))
        return (yield from self._pair(data, pb.id, interface, execution.type_hints or {}))

    def node_data(self, node: FlyteNodeExecution) -> Op[Resolvers]:
        pb = node.to_flyte_idl()
        data = yield Call("get_node_execution_data", node_execution_pb2.NodeExecutionGetDataRequest(id=pb.id))
        return (yield from self._pair(data, pb.id.execution_id, node.interface, {}))

    def task_data(self, attempt: FlyteTaskExecution) -> Op[Resolvers]:
        pb = attempt.to_flyte_idl()
        data = yield Call("get_task_execution_data", task_execution_pb2.TaskExecutionGetDataRequest(id=pb.id))
        return (yield from self._pair(data, pb.id.node_execution_id.execution_id, attempt.interface, {}))

    def data(self, target: FlyteWorkflowExecution | FlyteNodeExecution | FlyteTaskExecution) -> Op[Resolvers]:
        """The inputs and outputs of any of the three."""
        if isinstance(target, FlyteWorkflowExecution):
            return (yield from self.execution_data(target))
        if isinstance(target, FlyteNodeExecution):
            return (yield from self.node_data(target))
        return (yield from self.task_data(target))

    def _pair(
        self,
        data: Any,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        interface: interface_pb2.TypedInterface | None,
        hints: Mapping[str, type],
    ) -> Op[Resolvers]:
        files = self._files(execution_id.project, execution_id.domain)
        inputs = yield from self._resolver(
            data.full_inputs, data.inputs, interface.inputs if interface else None, hints, files
        )
        outputs = yield from self._resolver(
            data.full_outputs, data.outputs, interface.outputs if interface else None, hints, files
        )
        return inputs, outputs

    def _resolver(
        self,
        full: literals_pb2.LiteralMap,
        blob: Any,
        variables: interface_pb2.VariableMap | None,
        hints: Mapping[str, type],
        files: FileAccess,
    ) -> Op[LiteralsResolver]:
        literals = full
        if not full.literals and blob.url and blob.bytes:
            # Too large to come inline: Flyte Admin gives the blob's location instead.
            target: str = yield Offload(lambda: files.get(blob.url, is_dir=False))
            literals = literals_pb2.LiteralMap()
            literals.ParseFromString(Path(target).read_bytes())
        types = {n: v.type for n, v in variables.variables.items()} if variables is not None else None
        wanted = {n: t for n, t in hints.items() if n in literals.literals}
        return LiteralsResolver(dict(literals.literals), types, wanted or None, files)


def _timed_out(execution: FlyteWorkflowExecution, limit: float | None) -> None:
    raise FlyteTimeout(
        f"execution {execution.to_flyte_idl().id.name} did not finish within {limit or 0:g}s: it is still "
        f"{execution.phase_name}"
    )


def _sub_template(
    node: core_workflow_pb2.Node | None, closure: compiler_pb2.CompiledWorkflowClosure | None
) -> core_workflow_pb2.WorkflowTemplate | None:
    if node is None or closure is None or not node.HasField("workflow_node"):
        return None
    ref = node.workflow_node.sub_workflow_ref
    for sub in closure.sub_workflows:
        if sub.template.id == ref:
            return sub.template
    return None


def _node_interface(
    node: core_workflow_pb2.Node | None, closure: compiler_pb2.CompiledWorkflowClosure | None
) -> interface_pb2.TypedInterface | None:
    if node is None or closure is None:
        return None
    if node.HasField("array_node"):
        # A map task's template already has the array's list interface; a sub-node that kept its own interface
        # (is_original_sub_node_interface) does not, and its values are read without types.
        if node.array_node.is_original_sub_node_interface.value:
            return None
        node = node.array_node.node
    if not node.HasField("task_node"):
        return None
    ref = node.task_node.reference_id
    for task in closure.tasks:
        if task.template.id == ref:
            return task.template.interface
    return None
