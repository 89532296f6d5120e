"""Workflow compilation: Flyte's ``workflow_compiler.go`` and its validators, over flyteidl messages.

The output is what Flyte Admin stores and serves as ``WorkflowClosure.compiled_workflow``. The shape follows the Go
compiler exactly, because clients (flytekit's ``FlyteWorkflow.promote_from_closure``, the console, propeller) read
it:

* the primary template's ``nodes`` become ``[start-node, end-node, <the workflow's nodes in order>]``; ``start-node``
  has no fields, ``end-node`` carries the workflow's output bindings as its inputs;
* promises with an empty ``node_id`` (flytekit's way of saying "a workflow input") are rewritten to ``start-node``,
  in node inputs and in the workflow's ``outputs``;
* the then/else nodes of a branch are renamed ``<branch id>-<their id>`` (flytekit numbers them from ``n0`` again
  inside each branch, so without this they would collide with top-level nodes); they are not top-level nodes;
* ``upstream_node_ids`` are kept as the client sent them, sorted;
* ``connections.upstream[n]`` / ``connections.downstream[n]`` list (sorted) the nodes ``n`` depends on / that depend
  on ``n``, from explicit ``upstream_node_ids`` and from bindings; nodes without dependencies hang off
  ``start-node`` and nodes nothing depends on feed ``end-node``, so every node runs before the workflow ends.
  Branch sub-nodes and the failure node only get ``upstream`` entries (they run inside their parent / on failure);
* ``sub_workflows`` repeats the given sub-workflows in order, each one that is referenced compiled the same way;
  ``tasks`` holds the referenced tasks and ``launch_plans`` the referenced launch plans' interfaces, both sorted by
  identifier like the Go compiler's requirement lists.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeAlias

from flyteidl.admin import launch_plan_pb2
from flyteidl.core import (
    compiler_pb2,
    condition_pb2,
    identifier_pb2,
    interface_pb2,
    literals_pb2,
    types_pb2,
    workflow_pb2,
)

from flyteplane.admin.compiler._errors import ErrorCode, _Errors
from flyteplane.admin.compiler._types import (
    are_types_castable,
    literal_type_for_primitive,
    literal_type_for_scalar,
)
from flyteplane.admin.prototext import go_text

__all__ = [
    "END_NODE_ID",
    "START_NODE_ID",
    "IdentifierKey",
    "LaunchPlanInterface",
    "compile_workflow",
    "identifier_key",
    "workflow_requirements",
]

START_NODE_ID = "start-node"
END_NODE_ID = "end-node"

IdentifierKey: TypeAlias = tuple[int, str, str, str, str]
"""``(resource_type, project, domain, name, version)``: how tasks and launch plans are looked up."""

LaunchPlanInterface: TypeAlias = interface_pb2.TypedInterface | launch_plan_pb2.LaunchPlan
"""What a launch-plan node needs to know about its launch plan.

Prefer the stored ``admin.LaunchPlan``: its ``closure.expected_inputs`` says which inputs are required (and so must
be bound by the node) and which have defaults. A bare ``TypedInterface`` cannot say that, so with one only the
inputs the node binds are checked and no input is reported as unbound.
"""


def identifier_key(id: identifier_pb2.Identifier) -> IdentifierKey:
    """The lookup key of an identifier: ``(resource_type, project, domain, name, version)`` (``org`` is ignored)."""
    return (id.resource_type, id.project, id.domain, id.name, id.version)


class _Direction(enum.Enum):
    """Which connection maps a dependency is recorded in (Go's ``EdgeDirection``)."""

    BOTH = "both"
    UPSTREAM = "upstream"


# --------------------------------------------------------------------------------------------------------------------
# Requirements


def workflow_requirements(
    template: workflow_pb2.WorkflowTemplate,
    sub_workflows: Sequence[workflow_pb2.WorkflowTemplate],
) -> tuple[list[identifier_pb2.Identifier], list[identifier_pb2.Identifier]]:
    """The tasks and launch plans a workflow needs, to be loaded before :func:`compile_workflow`.

    Walks task nodes, launch-plan nodes, sub-workflow nodes (into the given sub-workflows, recursively), the
    cases and else of branch nodes, the sub-node of array nodes and the failure node. Each list is de-duplicated and
    sorted by :func:`identifier_key`, which is also the order of ``tasks`` in the compiled closure. A sub-workflow
    reference that is not among ``sub_workflows`` is skipped here; :func:`compile_workflow` reports it.

    Raises:
        CompileError: two of ``sub_workflows`` share an id.
    """
    errs = _Errors()
    index = _index_sub_workflows(sub_workflows, errs)
    errs.raise_if_any()
    # Missing sub-workflows are collected into a throwaway scope: Go's GetRequirements ignores them too.
    return _requirements(template, {key: cw.template for key, cw in index.items()}, _Errors())


def _index_sub_workflows(
    sub_workflows: Iterable[workflow_pb2.WorkflowTemplate | compiler_pb2.CompiledWorkflow], errs: _Errors
) -> dict[IdentifierKey, compiler_pb2.CompiledWorkflow]:
    index: dict[IdentifierKey, compiler_pb2.CompiledWorkflow] = {}
    for item in sub_workflows:
        if isinstance(item, compiler_pb2.CompiledWorkflow):
            compiled = item
        else:
            compiled = compiler_pb2.CompiledWorkflow()
            compiled.template.CopyFrom(item)
        if not compiled.template.HasField("id"):
            errs.add(ErrorCode.VALUE_REQUIRED, "root", "Value required [SubWorkflow.Id].")
            continue
        key = identifier_key(compiled.template.id)
        if key in index:
            errs.add(
                ErrorCode.DUPLICATE_NODE_ID,
                go_text(compiled.template.id),
                "Trying to insert two nodes with the same id.",
            )
        else:
            index[key] = compiled
    return index


def _requirements(
    template: workflow_pb2.WorkflowTemplate,
    sub_workflows: Mapping[IdentifierKey, workflow_pb2.WorkflowTemplate],
    errs: _Errors,
) -> tuple[list[identifier_pb2.Identifier], list[identifier_pb2.Identifier]]:
    tasks: dict[IdentifierKey, identifier_pb2.Identifier] = {}
    launch_plans: dict[IdentifierKey, identifier_pb2.Identifier] = {}
    # Guards against a sub-workflow that (directly or not) contains itself; Go would recurse forever.
    entered: set[IdentifierKey] = set()

    def visit_workflow(wf: workflow_pb2.WorkflowTemplate) -> None:
        for node in wf.nodes:
            visit_node(node)
        if wf.HasField("failure_node"):
            visit_node(wf.failure_node)

    def visit_node(node: workflow_pb2.Node) -> None:
        target = node.WhichOneof("target")
        if target == "task_node" and node.task_node.HasField("reference_id"):
            tasks.setdefault(identifier_key(node.task_node.reference_id), node.task_node.reference_id)
        elif target == "workflow_node":
            wn = node.workflow_node
            if wn.HasField("launchplan_ref"):
                launch_plans.setdefault(identifier_key(wn.launchplan_ref), wn.launchplan_ref)
            elif wn.HasField("sub_workflow_ref"):
                key = identifier_key(wn.sub_workflow_ref)
                sub = sub_workflows.get(key)
                if sub is None:
                    errs.add(
                        ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND,
                        node.id,
                        f"Referenced Workflow [{go_text(wn.sub_workflow_ref)}] not found.",
                    )
                elif key not in entered:
                    entered.add(key)
                    visit_workflow(sub)
        elif target == "branch_node":
            if_else = node.branch_node.if_else
            if if_else.case.HasField("then_node"):
                visit_node(if_else.case.then_node)
            for other in if_else.other:
                if other.HasField("then_node"):
                    visit_node(other.then_node)
            if if_else.HasField("else_node"):
                visit_node(if_else.else_node)
        elif target == "array_node" and node.array_node.HasField("node"):
            visit_node(node.array_node.node)

    visit_workflow(template)

    def copies(ids: dict[IdentifierKey, identifier_pb2.Identifier]) -> list[identifier_pb2.Identifier]:
        result = []
        for key in sorted(ids):
            copy = identifier_pb2.Identifier()
            copy.CopyFrom(ids[key])
            result.append(copy)
        return result

    return copies(tasks), copies(launch_plans)


# --------------------------------------------------------------------------------------------------------------------
# Compilation


@dataclass
class _LaunchPlanInfo:
    """A launch plan as a node sees it: which inputs it has (and which are required) and its outputs."""

    id: identifier_pb2.Identifier
    inputs: interface_pb2.ParameterMap | None  # None: only a TypedInterface was given, required-ness unknown
    input_variables: interface_pb2.VariableMap
    outputs: interface_pb2.VariableMap

    @classmethod
    def of(cls, id: identifier_pb2.Identifier, value: LaunchPlanInterface) -> _LaunchPlanInfo:
        if isinstance(value, launch_plan_pb2.LaunchPlan):
            params = value.closure.expected_inputs
            variables = interface_pb2.VariableMap()
            for name, param in params.parameters.items():
                variables.variables[name].CopyFrom(param.var)
            return cls(id, params, variables, value.closure.expected_outputs)
        return cls(id, None, value.inputs, value.outputs)


@dataclass
class _Context:
    """What every workflow builder of one compilation shares."""

    tasks: dict[IdentifierKey, compiler_pb2.CompiledTask]
    launch_plans: dict[IdentifierKey, _LaunchPlanInfo]
    sub_workflows: dict[IdentifierKey, compiler_pb2.CompiledWorkflow]
    # Sub-workflows compiled (or being compiled): each is compiled once, even if several nodes use it.
    compiled: set[IdentifierKey] = field(default_factory=set)


class _Node:
    """A node under compilation: the (mutable, in-closure) message plus what the compiler learned about it."""

    def __init__(self, msg: workflow_pb2.Node) -> None:
        self.msg = msg
        self.iface: interface_pb2.TypedInterface | None = None
        self.iface_result: bool | None = None  # None until the interface was worked out once
        self.renamed = False
        self._children: dict[tuple[str, int], _Node] = {}

    @property
    def id(self) -> str:
        return self.msg.id

    def child(self, key: tuple[str, int], msg: workflow_pb2.Node) -> _Node:
        """The node wrapper for a branch case or array sub-node, created once so that what is learned sticks."""
        node = self._children.get(key)
        if node is None:
            node = self._children[key] = _Node(msg)
        return node


class _Binding(NamedTuple):
    type: types_pb2.LiteralType | None
    upstream: list[str]
    ok: bool


_FAILED = _Binding(None, [], False)

# A promise's ``var`` is an output name, optionally indexed into a list output (``o0[2]``).
_VAR_NAME = re.compile(r"([^\[\]]+)(?:\[(\d+)\])?")


def compile_workflow(
    template: workflow_pb2.WorkflowTemplate,
    sub_workflows: Sequence[workflow_pb2.WorkflowTemplate],
    tasks: Mapping[IdentifierKey, compiler_pb2.CompiledTask],
    launch_plans: Mapping[IdentifierKey, LaunchPlanInterface],
) -> compiler_pb2.CompiledWorkflowClosure:
    """Compile a workflow into the ``CompiledWorkflowClosure`` Flyte Admin stores for it.

    ``tasks`` and ``launch_plans`` are keyed by :func:`identifier_key` and must hold everything
    :func:`workflow_requirements` lists (entries beyond that are ignored); a task node's interface is its task
    template's, a launch-plan node's its launch plan's, a sub-workflow node's its sub-workflow template's. Inputs are
    not modified.

    Validates: references to tasks, launch plans and sub-workflows; unique node ids; every binding (the node or
    workflow input it reads exists and has that output, its type is castable to the input's type, enum literals are
    legal, no input bound twice, no required input unbound, union bindings unambiguous); the workflow's output
    bindings; branch nodes (a first case, conditions whose operands exist and agree in type, every case's node
    compiled, an else node or error); gate and array nodes; the failure node; output aliases; cycles and nodes
    unreachable from the start.

    Raises:
        CompileError: with every problem found, in Go's wording and order.
    """
    errs = _Errors()
    closure = compiler_pb2.CompiledWorkflowClosure()
    closure.primary.template.CopyFrom(template)
    for sub in sub_workflows:
        closure.sub_workflows.add().template.CopyFrom(sub)
    sub_index = _index_sub_workflows(closure.sub_workflows, errs)
    errs.raise_if_any()

    task_ids, launch_plan_ids = _requirements(template, {k: cw.template for k, cw in sub_index.items()}, errs)
    for lp_id in launch_plan_ids:
        if identifier_key(lp_id) not in launch_plans:
            errs.add(
                ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND,
                START_NODE_ID,
                f"Referenced Workflow [{go_text(lp_id)}] not found.",
            )
    for task_id in task_ids:
        if identifier_key(task_id) not in tasks:
            errs.add(
                ErrorCode.TASK_REFERENCE_NOT_FOUND, START_NODE_ID, f"Referenced Task [{go_text(task_id)}] not found."
            )
    errs.raise_if_any()

    ctx = _Context(tasks={}, launch_plans={}, sub_workflows=sub_index)
    for task_id in task_ids:
        key = identifier_key(task_id)
        if not tasks[key].template.HasField("id"):
            errs.add(ErrorCode.VALUE_REQUIRED, "task", "Value required [Template.Id].")
            continue
        compiled_task = closure.tasks.add()
        compiled_task.CopyFrom(tasks[key])
        ctx.tasks[key] = compiled_task
    for lp_id in launch_plan_ids:
        key = identifier_key(lp_id)
        info = _LaunchPlanInfo.of(lp_id, launch_plans[key])
        ctx.launch_plans[key] = info
        lp_template = closure.launch_plans.add().template
        lp_template.id.CopyFrom(lp_id)
        lp_template.interface.inputs.CopyFrom(info.input_variables)
        lp_template.interface.outputs.CopyFrom(info.outputs)
    errs.raise_if_any()

    _WorkflowBuilder(ctx, closure.primary).validate(errs.scope())
    errs.raise_if_any()
    return closure


class _WorkflowBuilder:
    """Compiles one workflow template (the primary or a sub-workflow) in place."""

    def __init__(self, ctx: _Context, compiled: compiler_pb2.CompiledWorkflow) -> None:
        self.ctx = ctx
        self.compiled = compiled
        self.template = compiled.template
        self.nodes: dict[str, _Node] = {}
        self.upstream: dict[str, set[str]] = {}
        self.downstream: dict[str, set[str]] = {}

    # -- the workflow as a whole -------------------------------------------------------------------------------

    def validate(self, errs: _Errors) -> None:
        """Validate the template and rewrite it into its compiled form (nodes, promises, connections)."""
        tmpl = self.template
        if not tmpl.nodes:
            wf_id = go_text(tmpl.id)
            errs.add(ErrorCode.NO_NODES_FOUND, wf_id, f"Can't find any nodes in workflow [{wf_id}].")
            return
        tmpl.interface.SetInParent()
        if not _validate_interface(START_NODE_ID, tmpl.interface, errs.scope()):
            return

        # Copied out before the list is rebuilt: references into a cleared repeated field are not safe to keep.
        originals = list(tmpl.nodes)
        detached = [workflow_pb2.Node() for _ in originals]
        for copy, original in zip(detached, originals, strict=True):
            copy.CopyFrom(original)
        del tmpl.nodes[:]

        start = self._add(START_NODE_ID)
        start.iface = interface_pb2.TypedInterface(outputs=tmpl.interface.inputs)
        start.iface.inputs.SetInParent()
        end = self._add(END_NODE_ID)
        end.iface = interface_pb2.TypedInterface(inputs=tmpl.interface.outputs)
        end.iface.outputs.SetInParent()
        end.msg.inputs.extend(tmpl.outputs)

        # All nodes are indexed before any is validated, so a binding may name a node further down the list.
        top_level: list[_Node] = []
        for original in detached:
            if original.id in self.nodes:
                errs.add(ErrorCode.DUPLICATE_NODE_ID, original.id, "Trying to insert two nodes with the same id.")
                continue
            msg = tmpl.nodes.add()
            msg.CopyFrom(original)
            node = self.nodes[msg.id] = _Node(msg)
            top_level.append(node)

        # Interfaces first, so that validating one node's bindings can rely on every other node's outputs.
        for node in top_level:
            self._interface(node, errs.scope())
        for node in top_level:
            self._validate_node(node, errs.scope())
        for node in (*top_level, end):
            self._add_edges(node, _Direction.BOTH, errs.scope())

        if tmpl.HasField("failure_node"):
            failure = _Node(tmpl.failure_node)
            self._validate_node(failure, errs.scope())
            self._add_edges(failure, _Direction.UPSTREAM, errs.scope())

        for node in top_level:
            # Nodes that depend on nothing start with the workflow; nodes nothing depends on must still finish
            # before it ends.
            if node.id not in self.upstream:
                self._add_edge(START_NODE_ID, node.id)
            if node.id not in self.downstream:
                self._add_edge(node.id, END_NODE_ID)

        self._validate_reachable(errs.scope())

        # Go's end node shares its bindings with the template's outputs, so promise rewrites show in both.
        del tmpl.outputs[:]
        tmpl.outputs.extend(end.msg.inputs)
        connections = self.compiled.connections
        connections.Clear()
        for node_id, ids in self.upstream.items():
            connections.upstream[node_id].ids.extend(sorted(ids))
        for node_id, ids in self.downstream.items():
            connections.downstream[node_id].ids.extend(sorted(ids))

    def _add(self, node_id: str) -> _Node:
        msg = self.template.nodes.add()
        msg.id = node_id
        node = self.nodes[node_id] = _Node(msg)
        return node

    def _validate_reachable(self, errs: _Errors) -> None:
        """Report a cycle reachable from the start, or else the nodes the start cannot reach."""
        visited: set[str] = set()
        on_path: list[str] = [START_NODE_ID]
        on_path_set = {START_NODE_ID}
        stack = [iter(sorted(self.downstream.get(START_NODE_ID, ())))]
        visited.add(START_NODE_ID)
        while stack:
            next_id = next(stack[-1], None)
            if next_id is None:
                stack.pop()
                on_path_set.discard(on_path.pop())
                continue
            if next_id in on_path_set:
                cycle = ">".join([*on_path, next_id])
                errs.add(
                    ErrorCode.CYCLE_DETECTED,
                    START_NODE_ID,
                    f"A cycle has been detected while traversing the Workflow [{cycle}].",
                )
                return
            if next_id in visited:
                continue  # fully explored before: no cycle through it
            visited.add(next_id)
            on_path.append(next_id)
            on_path_set.add(next_id)
            stack.append(iter(sorted(self.downstream.get(next_id, ()))))
        unreachable = sorted(set(self.nodes) - visited - {END_NODE_ID})
        if unreachable:
            errs.add(
                ErrorCode.UNREACHABLE_NODES,
                START_NODE_ID,
                f"The Workflow contain unreachable nodes [{','.join(unreachable)}].",
            )

    # -- edges -------------------------------------------------------------------------------------------------

    def _add_upstream_edge(self, provider: str, dependent: str) -> None:
        self.upstream.setdefault(dependent, set()).add(provider or START_NODE_ID)

    def _add_downstream_edge(self, provider: str, dependent: str) -> None:
        self.downstream.setdefault(provider or START_NODE_ID, set()).add(dependent)

    def _add_edge(self, provider: str, dependent: str) -> None:
        self._add_downstream_edge(provider, dependent)
        self._add_upstream_edge(provider, dependent)

    def _add_edges(self, node: _Node, direction: _Direction, errs: _Errors) -> None:
        """Record a node's explicit dependencies and validate its bindings (which records the implicit ones)."""
        if node.iface is None:
            return  # its interface failed; that is already reported
        if direction is _Direction.BOTH:
            for upstream_id in node.msg.upstream_node_ids:
                self._add_edge(upstream_id, node.id)
        self._validate_bindings(node, node.msg.inputs, node.iface.inputs.variables, True, direction, errs.scope())

    # -- nodes -------------------------------------------------------------------------------------------------

    def _validate_node(self, node: _Node, errs: _Errors) -> bool:
        if not node.id:
            errs.add(ErrorCode.VALUE_REQUIRED, "<node>", "Value required [Id].")
        if node.id in (START_NODE_ID, END_NODE_ID):
            return True
        _, iface_ok = self._interface(node, errs.scope())
        if iface_ok:
            self._effective_outputs(node, errs.scope())
        # Sorted so that the compiled output does not depend on the order a client happened to list them in.
        upstream_ids = sorted(node.msg.upstream_node_ids)
        del node.msg.upstream_node_ids[:]
        node.msg.upstream_node_ids.extend(upstream_ids)

        target = node.msg.WhichOneof("target")
        if target == "branch_node":
            sub_nodes, ok = self._validate_branch_node(node, errs.scope())
            if ok:
                for sub_node in sub_nodes:
                    self._add_edges(sub_node, _Direction.UPSTREAM, errs.scope())
        elif target == "workflow_node" and node.msg.workflow_node.HasField("sub_workflow_ref"):
            ref = node.msg.workflow_node.sub_workflow_ref
            key = identifier_key(ref)
            if key not in self.ctx.compiled:
                sub = self.ctx.sub_workflows.get(key)
                if sub is None:
                    errs.add(
                        ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND,
                        node.id,
                        f"Referenced Workflow [{go_text(ref)}] not found.",
                    )
                else:
                    self.ctx.compiled.add(key)
                    _WorkflowBuilder(self.ctx, sub).validate(errs.scope())
        elif target == "task_node" and node.msg.task_node.HasField("reference_id"):
            ref = node.msg.task_node.reference_id
            if identifier_key(ref) not in self.ctx.tasks:
                errs.add(ErrorCode.TASK_REFERENCE_NOT_FOUND, node.id, f"Referenced Task [{go_text(ref)}] not found.")
        return not errs.has_errors

    def _interface(self, node: _Node, errs: _Errors) -> tuple[interface_pb2.TypedInterface | None, bool]:
        """Work out (once) the interface of the thing a node runs; ``(interface, ok)``."""
        if node.iface_result is not None:
            return node.iface, node.iface_result
        if node.iface is not None:  # start-node / end-node
            return node.iface, True
        iface: interface_pb2.TypedInterface | None = None
        target = node.msg.WhichOneof("target")
        if target == "task_node":
            iface = self._task_interface(node, errs)
        elif target == "workflow_node":
            iface = self._workflow_node_interface(node, errs)
        elif target == "branch_node":
            iface = self._branch_interface(node, errs.scope())
        elif target == "gate_node":
            iface = self._gate_interface(node, errs)
        elif target == "array_node":
            iface = self._array_interface(node, errs)
        else:
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [Target].")
        if iface is not None:
            _validate_interface(node.id, iface, errs.scope())
        ok = not errs.has_errors
        if ok:
            node.iface = iface
        node.iface_result = ok
        return node.iface, ok

    def _task_interface(self, node: _Node, errs: _Errors) -> interface_pb2.TypedInterface | None:
        task_node = node.msg.task_node
        if not task_node.HasField("reference_id"):
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [TaskNode.ReferenceId].")
            return None
        task = self.ctx.tasks.get(identifier_key(task_node.reference_id))
        if task is None:
            errs.add(
                ErrorCode.TASK_REFERENCE_NOT_FOUND,
                node.id,
                f"Referenced Task [{go_text(task_node.reference_id)}] not found.",
            )
            return None
        if task.template.HasField("interface"):
            # The closure's own copy: like Go, normalising it (empty inputs/outputs made explicit) shows in the
            # closure's tasks.
            return task.template.interface
        return interface_pb2.TypedInterface()

    def _workflow_node_interface(self, node: _Node, errs: _Errors) -> interface_pb2.TypedInterface | None:
        workflow_node = node.msg.workflow_node
        reference = workflow_node.WhichOneof("reference")
        if reference == "launchplan_ref":
            ref = workflow_node.launchplan_ref
            info = self.ctx.launch_plans.get(identifier_key(ref))
            if info is None:
                errs.add(
                    ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND, node.id, f"Referenced Workflow [{go_text(ref)}] not found."
                )
                return None
            return _launch_plan_node_interface(node, info)
        if reference == "sub_workflow_ref":
            ref = workflow_node.sub_workflow_ref
            sub = self.ctx.sub_workflows.get(identifier_key(ref))
            if sub is None:
                errs.add(
                    ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND, node.id, f"Referenced Workflow [{go_text(ref)}] not found."
                )
                return None
            if not sub.template.HasField("interface"):
                errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [WorkflowNode.Template.Interface].")
                return None
            return sub.template.interface
        errs.add(ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND, node.id, "Referenced Workflow [<nil>/<nil>] not found.")
        return None

    def _gate_interface(self, node: _Node, errs: _Errors) -> interface_pb2.TypedInterface | None:
        gate = node.msg.gate_node
        condition = gate.WhichOneof("condition")
        if condition == "approve":
            # An approval passes its inputs through unchanged, so whatever is bound is both input and output.
            resolved, _ = self._validate_bindings(node, node.msg.inputs, {}, False, _Direction.UPSTREAM, errs.scope())
            iface = interface_pb2.TypedInterface()
            iface.inputs.SetInParent()
            for name, variable in resolved.items():
                iface.inputs.variables[name].CopyFrom(variable)
            iface.outputs.CopyFrom(iface.inputs)
            return iface
        if condition == "signal":
            signal = gate.signal
            if not signal.HasField("type"):
                errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [GateNode.Signal.Type].")
                return None
            if not signal.output_variable_name:
                errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [GateNode.Signal.OutputVariableName].")
                return None
            iface = interface_pb2.TypedInterface()
            iface.inputs.SetInParent()
            iface.outputs.variables[signal.output_variable_name].type.CopyFrom(signal.type)
            return iface
        if condition == "sleep":
            return interface_pb2.TypedInterface()
        errs.add(ErrorCode.NO_CONDITION_FOUND, node.id, f"Can't find any condition in gate node [{node.id}].")
        return None

    def _array_interface(self, node: _Node, errs: _Errors) -> interface_pb2.TypedInterface | None:
        array = node.msg.array_node
        if not array.HasField("node"):
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [ArrayNode.Node].")
            return None
        sub_iface, ok = self._interface(node.child(("array", 0), array.node), errs.scope())
        if not ok or sub_iface is None:
            return None
        if not (array.HasField("is_original_sub_node_interface") and array.is_original_sub_node_interface.value):
            # flytekit already gave the sub-node (a map task) list-typed inputs and outputs.
            return sub_iface
        # The sub-node keeps its own interface (e.g. a launch plan); the array node maps it over lists, except for
        # the inputs bound once for all elements.
        bound = set(array.bound_inputs)
        iface = interface_pb2.TypedInterface()
        iface.inputs.SetInParent()
        iface.outputs.SetInParent()
        for name, var in sub_iface.inputs.variables.items():
            iface.inputs.variables[name].CopyFrom(var if name in bound else _as_collection(var))
        for name, var in sub_iface.outputs.variables.items():
            iface.outputs.variables[name].CopyFrom(_as_collection(var))
        return iface

    def _effective_outputs(self, node: _Node, errs: _Errors) -> dict[str, interface_pb2.Variable] | None:
        """A node's outputs after applying its output aliases (``None`` if its interface is unknown)."""
        aliases: dict[str, str] = {}
        for alias in node.msg.output_aliases:
            if alias.var in aliases:
                errs.add(
                    ErrorCode.DUPLICATE_ALIAS,
                    node.id,
                    f"Duplicate alias [{alias.alias}] found. An output alias can only be used once in the Workflow.",
                )
            else:
                aliases[alias.var] = alias.alias
        if node.iface is None:
            return None
        outputs: dict[str, interface_pb2.Variable] = {}
        for name, var in node.iface.outputs.variables.items():
            outputs[aliases.pop(name, name)] = var
        for alias_name in aliases.values():
            errs.add(ErrorCode.PARAMETER_NOT_BOUND, node.id, f"Parameter not bound [{alias_name}].")
        return outputs

    # -- branches ----------------------------------------------------------------------------------------------

    def _branch_cases(self, node: _Node) -> list[tuple[tuple[str, int], workflow_pb2.IfBlock]]:
        if_else = node.msg.branch_node.if_else
        cases: list[tuple[tuple[str, int], workflow_pb2.IfBlock]] = []
        if if_else.HasField("case"):
            cases.append((("case", 0), if_else.case))
        cases.extend((("other", i), block) for i, block in enumerate(if_else.other))
        return cases

    def _branch_interface(self, node: _Node, errs: _Errors) -> interface_pb2.TypedInterface | None:
        """A branch exposes the outputs all its cases agree on; its inputs are whatever it binds (for conditions)."""
        branch = node.msg.branch_node
        if not branch.HasField("if_else"):
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [Branch.IfElse].")
            return None
        if_else = branch.if_else
        if not if_else.HasField("case"):
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [Branch.IfElse.Case].")
            return None
        if not if_else.case.HasField("then_node"):
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [Branch.IfElse.Case.ThenNode].")
            return None

        blocks: list[_Node] = []
        for key, block in self._branch_cases(node):
            if not block.HasField("then_node"):
                errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [IfElse.Case.ThenNode].")
                continue
            blocks.append(node.child(key, block.then_node))
        if if_else.HasField("else_node"):
            blocks.append(node.child(("else", 0), if_else.else_node))

        outputs: dict[str, interface_pb2.Variable] | None = None
        common: set[str] = set()
        for block_node in blocks:
            if not block_node.renamed:
                # Case nodes are numbered from n0 inside each branch; prefixing keeps node ids unique.
                block_node.msg.id = f"{node.id}-{block_node.id}"
                block_node.renamed = True
            block_iface, ok = self._interface(block_node, errs.scope())
            if not ok or block_iface is None:
                continue
            block_outputs = block_iface.outputs.variables
            if outputs is None:
                outputs = dict(block_outputs)
                common = set(outputs)
                continue
            common &= set(block_outputs)
            for name in sorted(common):
                if outputs[name].type != block_outputs[name].type:
                    errs.add(
                        ErrorCode.MISMATCHING_TYPES,
                        block_node.id,
                        f"Variable [{name}] (type [{go_text(outputs[name].type)}]) doesn't match expected type "
                        f"[{go_text(block_outputs[name].type)}].",
                    )

        # The branch's inputs are discovered from its bindings; conditions are checked against them later.
        resolved, _ = self._validate_bindings(node, node.msg.inputs, {}, False, _Direction.UPSTREAM, errs.scope())
        if errs.has_errors or outputs is None:
            return None
        iface = interface_pb2.TypedInterface()
        iface.inputs.SetInParent()
        for name, variable in resolved.items():
            iface.inputs.variables[name].CopyFrom(variable)
        iface.outputs.SetInParent()
        for name in common:
            iface.outputs.variables[name].CopyFrom(outputs[name])
        return iface

    def _validate_branch_node(self, node: _Node, errs: _Errors) -> tuple[list[_Node], bool]:
        """Validate conditions and compile every case's node; returns the case nodes that compiled."""
        if not node.msg.branch_node.HasField("if_else"):
            return [], False  # reported by _branch_interface
        if_else = node.msg.branch_node.if_else
        if not if_else.HasField("case"):
            errs.add(
                ErrorCode.BRANCH_NODE_HAS_NO_CONDITION,
                node.id,
                "One of the branches on the node doesn't have a condition.",
            )
        sub_nodes: list[_Node] = []
        for key, block in self._branch_cases(node):
            condition = block.condition if block.HasField("condition") else None
            self._validate_boolean_expression(node, condition, errs.scope())
            if block.HasField("then_node"):
                sub_nodes.append(node.child(key, block.then_node))
            else:
                errs.add(ErrorCode.BRANCH_NODE_ID_NOT_FOUND, node.id, "BranchNode not assigned")
        if if_else.HasField("else_node"):
            sub_nodes.append(node.child(("else", 0), if_else.else_node))
        elif not if_else.HasField("error"):
            errs.add(
                ErrorCode.BRANCH_NODE_HAS_NO_DEFAULT,
                node.id,
                "Branch Node must have either the else case set or a default error.",
            )
        compiled = [sub for sub in sub_nodes if self._validate_node(sub, errs.scope())]
        return compiled, not errs.has_errors

    def _validate_boolean_expression(
        self, node: _Node, expr: condition_pb2.BooleanExpression | None, errs: _Errors
    ) -> None:
        if expr is None:
            errs.add(
                ErrorCode.BRANCH_NODE_HAS_NO_CONDITION,
                node.id,
                "One of the branches on the node doesn't have a condition.",
            )
            return
        kind = expr.WhichOneof("expr")
        if kind == "comparison":
            comparison = expr.comparison
            right = comparison.right_value if comparison.HasField("right_value") else None
            left = comparison.left_value if comparison.HasField("left_value") else None
            right_type, right_ok = self._validate_operand(node, "RightValue", right, errs.scope())
            left_type, left_ok = self._validate_operand(node, "LeftValue", left, errs.scope())
            if right_ok and left_ok and not _comparable(left_type, right_type):
                errs.add(
                    ErrorCode.MISMATCHING_TYPES,
                    node.id,
                    f"Variable [RightValue] (type [{_type_text(right_type)}]) doesn't match expected type "
                    f"[{_type_text(left_type)}].",
                )
        elif kind == "conjunction":
            conjunction = expr.conjunction
            for side in ("left_expression", "right_expression"):
                sub_expr = getattr(conjunction, side) if conjunction.HasField(side) else None
                self._validate_boolean_expression(node, sub_expr, errs.scope())
        else:
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [Expr].")

    def _validate_operand(
        self, node: _Node, name: str, operand: condition_pb2.Operand | None, errs: _Errors
    ) -> tuple[types_pb2.LiteralType | None, bool]:
        literal_type: types_pb2.LiteralType | None = None
        kind = operand.WhichOneof("val") if operand is not None else None
        if operand is None:
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, f"Value required [{name}].")
        elif kind == "primitive":
            literal_type = literal_type_for_primitive(operand.primitive)
        elif kind == "scalar":
            literal_type = literal_type_for_scalar(operand.scalar)
        elif kind == "var" and operand.var:
            if node.iface is None:
                errs.add(ErrorCode.VALUE_REQUIRED, node.id, f"Value required [{operand.var}].")
            else:
                variable = node.iface.inputs.variables.get(operand.var)
                if variable is not None:
                    literal_type = variable.type
                elif not any(binding.var == operand.var for binding in node.msg.inputs):
                    # Conditions may only use what the branch node binds.
                    errs.add(
                        ErrorCode.VARIABLE_NAME_NOT_FOUND,
                        node.id,
                        f"Variable [{operand.var}] not found on node [{node.id}].",
                    )
        else:
            errs.add(ErrorCode.VALUE_REQUIRED, node.id, f"Value required [{name}.Val].")
        return literal_type, not errs.has_errors

    # -- bindings ----------------------------------------------------------------------------------------------

    def _validate_bindings(
        self,
        node: _Node,
        bindings: Iterable[literals_pb2.Binding],
        params: Mapping[str, interface_pb2.Variable],
        validate_types: bool,
        direction: _Direction,
        errs: _Errors,
    ) -> tuple[dict[str, interface_pb2.Variable], bool]:
        """Check a node's bindings against the variables it declares and record the dependencies they create.

        With ``validate_types`` false (branch and approval nodes, which take whatever they are given) the variables
        are discovered from the bindings instead; the result maps each bound name to the type bound to it.
        """
        resolved: dict[str, interface_pb2.Variable] = {}
        provided: set[str] = set()
        for binding in bindings:
            param = params.get(binding.var)
            if param is None and validate_types:
                errs.add(
                    ErrorCode.VARIABLE_NAME_NOT_FOUND,
                    node.id,
                    f"Variable [{binding.var}] not found on node [{node.id}].",
                )
            elif not binding.HasField("binding"):
                errs.add(ErrorCode.VALUE_REQUIRED, node.id, "Value required [Binding].")
            elif binding.var in provided:
                errs.add(
                    ErrorCode.PARAMETER_BOUND_MORE_THAN_ONCE, node.id, f"Input [{binding.var}] is bound more than once."
                )
            else:
                expected = param.type if param is not None else types_pb2.LiteralType(simple=types_pb2.NONE)
                provided.add(binding.var)
                result = self._validate_binding(
                    node, binding.var, binding.binding, expected, errs.scope(), validate_types
                )
                if result.ok:
                    for upstream_id in result.upstream:
                        if direction is _Direction.BOTH:
                            self._add_edge(upstream_id, node.id)
                        else:
                            self._add_upstream_edge(upstream_id, node.id)
                    variable = interface_pb2.Variable()
                    if result.type is not None:
                        variable.type.CopyFrom(result.type)
                    resolved[binding.var] = variable
        for name, variable in params.items():
            if name not in provided and not _is_optional(variable):
                errs.add(ErrorCode.PARAMETER_NOT_BOUND, node.id, f"Parameter not bound [{name}].")
        return resolved, not errs.has_errors

    def _validate_binding(
        self,
        node: _Node,
        param: str,
        binding: literals_pb2.BindingData,
        expected: types_pb2.LiteralType,
        errs: _Errors,
        validate_types: bool,
    ) -> _Binding:
        kind = binding.WhichOneof("value")
        if kind not in ("scalar", "promise") and expected.HasField("union_type"):
            # A collection or map literal has no type of its own to compare with a union: try each variant and
            # require exactly one to accept it. (Scalars and promises have a type; the union rules handle them.)
            match: types_pb2.LiteralType | None = None
            matched = _FAILED
            for variant in expected.union_type.variants:
                attempt = self._validate_binding(node, param, binding, variant, _Errors(), validate_types)
                if not attempt.ok:
                    continue
                if match is not None:
                    errs.add(
                        ErrorCode.AMBIGUOUS_BINDING_UNION_VALUE,
                        node.id,
                        f"Input [{param}] on node [{node.id}] expects bindings of union type [{go_text(expected)}].  "
                        f"Received [{go_text(binding)}] which is ambiguous as both variants [{go_text(match)}] and "
                        f"[{go_text(variant)}] match.",
                    )
                    return _FAILED
                match, matched = variant, attempt
            if match is not None:
                return matched
            errs.add(
                ErrorCode.INCOMPATIBLE_BINDING_UNION_VALUE,
                node.id,
                f"Input [{param}] on node [{node.id}] expects bindings of union type [{go_text(expected)}].  "
                f"Received [{go_text(binding)}] which does not match any of the variants.",
            )
            return _FAILED

        if kind == "collection":
            if expected.HasField("collection_type"):
                return self._validate_items(
                    node, param, binding.collection.bindings, expected.collection_type, "collection_type", errs,
                    validate_types,
                )  # fmt: skip
            self._mismatching_bindings(node, param, expected, go_text(binding.collection), errs)
            return _FAILED
        if kind == "map":
            if expected.HasField("map_value_type"):
                items = [binding.map.bindings[key] for key in sorted(binding.map.bindings)]
                return self._validate_items(
                    node, param, items, expected.map_value_type, "map_value_type", errs, validate_types
                )
            self._mismatching_bindings(node, param, expected, go_text(binding.map), errs)
            return _FAILED
        if kind == "promise":
            return self._validate_promise(node, param, binding.promise, expected, errs, validate_types)
        if kind == "scalar":
            return self._validate_scalar(node, param, binding.scalar, expected, errs, validate_types)
        received = "*core.BindingData_OffloadedMetadata" if kind == "offloaded_metadata" else ""
        self._mismatching_bindings(node, param, expected, received, errs)
        return _FAILED

    def _mismatching_bindings(
        self, node: _Node, param: str, expected: types_pb2.LiteralType, received: str, errs: _Errors
    ) -> None:
        errs.add(
            ErrorCode.MISMATCHING_BINDINGS,
            node.id,
            f"Input [{param}] on node [{node.id}] expects bindings of type [{go_text(expected)}].  "
            f"Received [{received}]",
        )

    def _validate_items(
        self,
        node: _Node,
        param: str,
        items: Iterable[literals_pb2.BindingData],
        item_type: types_pb2.LiteralType,
        container_field: str,
        errs: _Errors,
        validate_types: bool,
    ) -> _Binding:
        upstream: list[str] = []
        resolved_item: types_pb2.LiteralType | None = None
        for item in items:
            result = self._validate_binding(node, param, item, item_type, errs.scope(), validate_types)
            if result.ok:
                upstream.extend(result.upstream)
                resolved_item = result.type
        resolved = types_pb2.LiteralType()
        getattr(resolved, container_field).SetInParent()
        if resolved_item is not None:
            getattr(resolved, container_field).CopyFrom(resolved_item)
        return _Binding(resolved, upstream, not errs.has_errors)

    def _validate_promise(
        self,
        node: _Node,
        param: str,
        promise: types_pb2.OutputReference,
        expected: types_pb2.LiteralType,
        errs: _Errors,
        validate_types: bool,
    ) -> _Binding:
        upstream = self._node_by_id(promise.node_id, errs.scope())
        if upstream is not None:
            parsed = _VAR_NAME.fullmatch(promise.var)
            if parsed is None:
                errs.add(ErrorCode.SYNTAX_ERROR, node.id, f"Failed to parse element [{promise.var}].")
                return _FAILED
            var_name, index = parsed.group(1), parsed.group(2)
            # Messages name variables by entity name where there is one, e.g. "my_module.t1.x".
            input_var = f"{node.msg.metadata.name}.{param}" if node.msg.HasField("metadata") else param
            output_var = (
                f"{upstream.msg.metadata.name}.{promise.var}" if upstream.msg.HasField("metadata") else promise.var
            )
            source_var, status = self._output_var(upstream, var_name, errs.scope())
            if status == "unknown":
                return _FAILED  # the upstream node's interface failed; that is what gets reported
            if source_var is not None:
                source = source_var.type
                if index is not None:
                    if source.HasField("collection_type"):
                        source = source.collection_type
                    else:
                        self._mismatching_variables(node, output_var, source, input_var, expected, errs)
                for attr in promise.attr_path:
                    if source.HasField("collection_type"):
                        source = source.collection_type
                    elif source.HasField("map_value_type"):
                        source = source.map_value_type
                    elif source.HasField("structure") and source.structure.dataclass_type:
                        field_type = source.structure.dataclass_type.get(attr.string_value)
                        if field_type is None:
                            errs.add(
                                ErrorCode.FIELD_NOT_FOUND,
                                node.id,
                                f"Variable [{promise.var}] (type [{go_text(source)}]) doesn't have field "
                                f"[{attr.string_value}].",
                            )
                            return _FAILED
                        source = field_type
                if not validate_types or are_types_castable(source, expected):
                    promise.node_id = upstream.id  # "" (a workflow input) becomes "start-node"
                    return _Binding(source_var.type, [upstream.id], True)
                self._mismatching_variables(node, output_var, source, input_var, expected, errs)
                return _FAILED
        errs.add(ErrorCode.PARAMETER_NOT_BOUND, node.id, f"Parameter not bound [{param}].")
        return _FAILED

    def _mismatching_variables(
        self,
        node: _Node,
        output_var: str,
        source: types_pb2.LiteralType,
        input_var: str,
        expected: types_pb2.LiteralType,
        errs: _Errors,
    ) -> None:
        errs.add(
            ErrorCode.MISMATCHING_TYPES,
            node.id,
            f"The output variable '{output_var}' has type [{_type_text(source)}], but it's assigned to the input "
            f"variable '{input_var}' which has type type [{_type_text(expected)}].",
        )

    def _validate_scalar(
        self,
        node: _Node,
        param: str,
        scalar: literals_pb2.Scalar,
        expected: types_pb2.LiteralType,
        errs: _Errors,
        validate_types: bool,
    ) -> _Binding:
        literal_type = literal_type_for_scalar(scalar)
        if literal_type is None:
            errs.add(ErrorCode.UNRECOGNIZED_VALUE, node.id, f"Unrecognized value [{scalar.WhichOneof('value')}].")
        elif validate_types and not are_types_castable(literal_type, expected):
            errs.add(
                ErrorCode.MISMATCHING_TYPES,
                node.id,
                f"Variable [{param}] (type [{_type_text(literal_type)}]) doesn't match expected type "
                f"[{_type_text(expected)}].",
            )
        if expected.HasField("enum_type"):
            value = scalar.primitive.string_value
            allowed = list(expected.enum_type.values)
            if value not in allowed:
                errs.add(
                    ErrorCode.ILLEGAL_ENUM_VALUE,
                    node.id,
                    f"Input [{param}] on node [{node.id}] is an Enum and expects value to be one of "
                    f"[[{' '.join(allowed)}]].  Received [{value}]",
                )
        return _Binding(literal_type, [], not errs.has_errors)

    def _node_by_id(self, node_id: str, errs: _Errors) -> _Node | None:
        if not node_id:
            return self.nodes[START_NODE_ID]
        node = self.nodes.get(node_id)
        if node is None:
            errs.add(ErrorCode.NODE_REFERENCE_NOT_FOUND, node_id, f"Referenced node [{node_id}] not found.")
        return node

    def _output_var(self, node: _Node, name: str, errs: _Errors) -> tuple[interface_pb2.Variable | None, str]:
        """Look up an output of ``node``: ``(variable, "found")``, ``(None, "missing")`` or ``(None, "unknown")``."""
        if node.iface is None:
            # Not worked out yet (e.g. a branch case reading a node listed after the branch); do it now.
            self._interface(node, errs.scope())
        aliases_errs = errs.scope()
        outputs = self._effective_outputs(node, aliases_errs)
        if outputs is None:
            return None, "unknown"
        if aliases_errs.has_errors:
            return None, "missing"
        variable = outputs.get(name)
        if variable is None:
            errs.add(ErrorCode.VARIABLE_NAME_NOT_FOUND, node.id, f"Variable [{name}] not found on node [{node.id}].")
            return None, "missing"
        return variable, "found"


# --------------------------------------------------------------------------------------------------------------------
# Helpers


def _validate_interface(node_id: str, iface: interface_pb2.TypedInterface, errs: _Errors) -> bool:
    """Make inputs/outputs explicit (as Go does) and check every variable has a name and a type."""
    iface.inputs.SetInParent()
    iface.outputs.SetInParent()
    for variables in (iface.inputs.variables, iface.outputs.variables):
        for name, variable in variables.items():
            if not name:
                errs.add(ErrorCode.VALUE_REQUIRED, node_id, "Value required [paramName].")
            if not variable.HasField("type"):
                errs.add(ErrorCode.VALUE_REQUIRED, node_id, "Value required [param.Type].")
    return not errs.has_errors


def _launch_plan_node_interface(node: _Node, info: _LaunchPlanInfo) -> interface_pb2.TypedInterface:
    """A launch-plan node must bind the plan's required inputs and may override the ones with defaults."""
    bound = {binding.var for binding in node.msg.inputs}
    iface = interface_pb2.TypedInterface()
    iface.inputs.SetInParent()
    iface.outputs.CopyFrom(info.outputs)
    if info.inputs is not None:
        for name, parameter in info.inputs.parameters.items():
            if parameter.required or name in bound:
                iface.inputs.variables[name].CopyFrom(parameter.var)
    else:
        for name, variable in info.input_variables.variables.items():
            if name in bound:
                iface.inputs.variables[name].CopyFrom(variable)
    return iface


def _as_collection(variable: interface_pb2.Variable) -> interface_pb2.Variable:
    wrapped = interface_pb2.Variable()
    wrapped.CopyFrom(variable)
    wrapped.type.Clear()
    wrapped.type.collection_type.CopyFrom(variable.type)
    return wrapped


def _is_optional(variable: interface_pb2.Variable) -> bool:
    """Whether an input may stay unbound: its type is a union with a ``NONE`` variant.

    Go tests ``variant.GetSimple() == NONE``, which is also true of variants that are not simple types at all
    (a list, a map, ...); that leniency is kept so the same workflows are accepted.
    """
    if not variable.type.HasField("union_type"):
        return False
    return any(variant.simple == types_pb2.NONE for variant in variable.type.union_type.variants)


def _comparable(left: types_pb2.LiteralType | None, right: types_pb2.LiteralType | None) -> bool:
    """Whether a condition may compare operands of these types.

    Go required identical types, which cannot hold for flytekit's ``x.is_none()`` (``Optional[int]`` against a
    ``NONE`` scalar) or ``x > 5`` on an ``Optional[int]``; a value of one type being usable as the other, in either
    direction, is accepted instead. ``1 < 2.5`` (int against float) is still rejected, as in Go.
    """
    if left is None or right is None or left == right:
        return True
    return are_types_castable(left, right) or are_types_castable(right, left)


def _type_text(literal_type: types_pb2.LiteralType | None) -> str:
    """A type as Go's ``LiteralTypeToStr`` prints it in binding errors."""
    if literal_type is None:
        return "None"
    if literal_type.WhichOneof("type") == "simple" and literal_type.simple == types_pb2.STRUCT:
        fields = ", ".join(
            f"dataclass_type:{{key:{key} value:{{{_type_text(value)}}}"
            for key, value in sorted(literal_type.structure.dataclass_type.items())
        )
        return f"Simple: STRUCT structure{{{fields}}}"
    return go_text(literal_type)
