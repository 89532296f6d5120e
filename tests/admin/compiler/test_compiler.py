"""The compiler against real flytekit output: workflows are written with flytekit, serialized with its translator,
compiled here, and the result is checked for the shape Flyte Admin serves and read back with flytekit's own
``FlyteWorkflow.promote_from_closure`` (what ``FlyteRemote.fetch_workflow`` uses).

Negative cases start from the same serialized protos and break one thing each.
"""

from __future__ import annotations

import datetime
import enum
import typing
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flyteidl.admin import launch_plan_pb2
from flyteidl.core import (
    compiler_pb2,
    identifier_pb2,
    interface_pb2,
    tasks_pb2,
    types_pb2,
    workflow_pb2,
)
from flytekit import LaunchPlan, approve, conditional, map_task, sleep, task, wait_for_input, workflow
from flytekit.configuration import ImageConfig, SerializationSettings
from flytekit.core.array_node import array_node
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.core.compiler import CompiledWorkflowClosure as FlytekitClosure
from flytekit.models.core.identifier import Identifier as FlytekitIdentifier
from flytekit.models.launch_plan import LaunchPlan as FlytekitLaunchPlan
from flytekit.models.launch_plan import LaunchPlanSpec as FlytekitLaunchPlanSpec
from flytekit.models.task import TaskSpec
from flytekit.remote.entities import FlyteWorkflow
from flytekit.tools.translator import get_serializable
from flytekit.types.error import FlyteError
from google.protobuf import json_format, struct_pb2

from flyteplane.admin.compiler import (
    END_NODE_ID,
    START_NODE_ID,
    CompileError,
    ErrorCode,
    IdentifierKey,
    are_types_castable,
    compile_task,
    compile_workflow,
    identifier_key,
    workflow_requirements,
)
from flyteplane.admin.compiler._task import is_dns1123_label, is_k8s_quantity

SETTINGS = SerializationSettings(
    image_config=ImageConfig.auto_default_image(), project="proj", domain="dev", version="v1"
)

# ----------------------------------------------------------------------------------------------------------------------
# Workflows, written the way users write them.


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@task
def summ(a: int, b: int) -> int:
    return a + b


@task
def to_text(x: int) -> str:
    return str(x)


@task
def say_hello() -> None:
    print("hello")


@task
def pick(x: int, factor: int = 3) -> int:
    return x * factor


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@task
def paint(c: Color) -> str:
    return c.value


@task
def clean_up(x: int, err: typing.Optional[FlyteError] = None) -> None:
    print(x, err)


@workflow
def linear(x: int) -> str:
    return to_text(x=double(x=add_one(x=x)))


@workflow
def fan(x: int) -> int:
    a = add_one(x=x)
    b = double(x=x)
    return summ(a=a, b=b)


@workflow
def with_orphan(x: int) -> int:
    say_hello()
    return add_one(x=x)


@workflow
def inner(x: int) -> int:
    return double(x=add_one(x=x))


@workflow
def outer(x: int) -> int:
    return add_one(x=inner(x=x))


inner_lp = LaunchPlan.get_or_create(inner, name="inner_lp")


@workflow
def pick_wf(x: int, factor: int = 5) -> int:
    return pick(x=x, factor=factor)


pick_lp = LaunchPlan.get_or_create(pick_wf, name="pick_lp", default_inputs={"factor": 7})


@workflow
def calls_lp(x: int) -> int:
    y = inner_lp(x=x)
    return pick_lp(x=y)


@workflow
def branching(x: int) -> int:
    y = add_one(x=x)
    return conditional("test").if_(y > 5).then(double(x=y)).elif_(y < 0).then(summ(a=y, b=x)).else_().then(add_one(x=x))


@task
def maybe(x: int) -> typing.Optional[int]:
    return x if x > 0 else None


@task
def halve(n: float) -> float:
    return n / 2


@workflow
def nested_branches(v: float) -> float:
    return (
        conditional("outer")
        .if_((v > 0.1) & (v < 1.0))
        .then(conditional("inner").if_(v < 0.5).then(halve(n=v)).else_().fail("only < 0.5"))
        .else_()
        .then(halve(n=v))
    )


@workflow
def none_check(x: int) -> int:
    m = maybe(x=x)
    return conditional("missing").if_(m.is_none()).then(add_one(x=x)).else_().then(double(x=x))


@workflow
def branching_fail(x: int) -> int:
    y = add_one(x=x)
    return conditional("only_big").if_(y > 5).then(double(x=y)).else_().fail("too small")


@workflow(on_failure=clean_up)
def guarded(x: int) -> int:
    return double(x=add_one(x=x))


@workflow
def mapped(xs: list[int]) -> list[int]:
    return map_task(add_one)(x=xs)


@workflow
def lp_array(xs: list[int]) -> list[int]:
    return array_node(inner_lp)(x=xs)


@workflow
def gated(x: int) -> int:
    y = add_one(x=x)
    approved = approve(y, "check-y", timeout=datetime.timedelta(hours=1))
    extra = wait_for_input("extra", timeout=datetime.timedelta(hours=1), expected_type=int)
    pause = sleep(datetime.timedelta(seconds=5))
    z = summ(a=approved, b=extra)
    pause >> z
    return z


@workflow
def colors() -> str:
    return paint(c=Color.GREEN)


@workflow
def everything(x: int) -> int:
    a = add_one(x=x)
    b = inner(x=a)
    c = inner_lp(x=b)
    return conditional("sign").if_(c > 0).then(double(x=c)).else_().then(add_one(x=c))


# ----------------------------------------------------------------------------------------------------------------------
# Serialization helpers: flytekit entities -> the protos a CreateWorkflow request carries, plus the store contents.


@dataclass
class Registered:
    """What Flyte Admin holds when this workflow is registered: the request's spec and the referenced entities."""

    template: workflow_pb2.WorkflowTemplate
    sub_workflows: list[workflow_pb2.WorkflowTemplate]
    tasks: dict[IdentifierKey, compiler_pb2.CompiledTask]
    launch_plans: dict[IdentifierKey, launch_plan_pb2.LaunchPlan]
    flytekit_nodes: list[typing.Any] = field(default_factory=list)

    def compile(self) -> compiler_pb2.CompiledWorkflowClosure:
        return compile_workflow(self.template, self.sub_workflows, self.tasks, self.launch_plans)


def register(entity: typing.Any) -> Registered:
    entities: OrderedDict[typing.Any, typing.Any] = OrderedDict()
    spec = get_serializable(entities, SETTINGS, entity)
    workflows = {w.template.id: w for w in entities.values() if isinstance(w, WorkflowSpec)}
    tasks: dict[IdentifierKey, compiler_pb2.CompiledTask] = {}
    launch_plans: dict[IdentifierKey, launch_plan_pb2.LaunchPlan] = {}
    for value in entities.values():
        if isinstance(value, TaskSpec):
            template = value.template.to_flyte_idl()
            tasks[identifier_key(template.id)] = compile_task(template)
        elif isinstance(value, FlytekitLaunchPlan):
            idl = value.to_flyte_idl()
            # What CreateLaunchPlan stores: expected inputs = the plan's parameters, outputs = the workflow's.
            lp = launch_plan_pb2.LaunchPlan(id=idl.id, spec=idl.spec)
            lp.closure.expected_inputs.CopyFrom(idl.spec.default_inputs)
            target = workflows[value.spec.workflow_id].template.interface.to_flyte_idl()
            lp.closure.expected_outputs.CopyFrom(target.outputs)
            launch_plans[identifier_key(idl.id)] = lp
    idl_spec = spec.to_flyte_idl()
    return Registered(idl_spec.template, list(idl_spec.sub_workflows), tasks, launch_plans, spec.template.nodes)


def connections(compiled: compiler_pb2.CompiledWorkflow) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    conn = compiled.connections
    return (
        {k: list(v.ids) for k, v in conn.upstream.items()},
        {k: list(v.ids) for k, v in conn.downstream.items()},
    )


def node(compiled: compiler_pb2.CompiledWorkflow, node_id: str) -> workflow_pb2.Node:
    return next(n for n in compiled.template.nodes if n.id == node_id)


def compile_error(fn: Callable[[], object]) -> CompileError:
    with pytest.raises(CompileError) as info:
        fn()
    return info.value


def codes(err: CompileError) -> set[ErrorCode]:
    return {issue.code for issue in err.issues}


def promote(closure: compiler_pb2.CompiledWorkflowClosure, registered: Registered) -> FlyteWorkflow:
    """Read the closure back the way FlyteRemote.fetch_workflow does."""
    node_launch_plans = {
        FlytekitIdentifier.from_flyte_idl(lp.id): FlytekitLaunchPlanSpec.from_flyte_idl(lp.spec)
        for lp in registered.launch_plans.values()
    }
    return FlyteWorkflow.promote_from_closure(FlytekitClosure.from_flyte_idl(closure), node_launch_plans)


INT = types_pb2.LiteralType(simple=types_pb2.INTEGER)
STR = types_pb2.LiteralType(simple=types_pb2.STRING)
FLOAT = types_pb2.LiteralType(simple=types_pb2.FLOAT)
NONE = types_pb2.LiteralType(simple=types_pb2.NONE)


def list_of(t: types_pb2.LiteralType) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(collection_type=t)


def map_of(t: types_pb2.LiteralType) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(map_value_type=t)


def union_of(*variants: types_pb2.LiteralType) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=list(variants)))


# ----------------------------------------------------------------------------------------------------------------------
# The compiled shape


def test_linear_chain_gets_start_and_end_nodes_and_edges() -> None:
    registered = register(linear)
    closure = registered.compile()
    primary = closure.primary

    assert [n.id for n in primary.template.nodes] == [START_NODE_ID, END_NODE_ID, "n0", "n1", "n2"]
    start, end = primary.template.nodes[0], primary.template.nodes[1]
    assert start == workflow_pb2.Node(id=START_NODE_ID)  # nothing but the id
    assert list(end.inputs) == list(primary.template.outputs)
    assert end.inputs[0].binding.promise.node_id == "n2"

    upstream, downstream = connections(primary)
    assert upstream == {"n0": [START_NODE_ID], "n1": ["n0"], "n2": ["n1"], END_NODE_ID: ["n2"]}
    assert downstream == {START_NODE_ID: ["n0"], "n0": ["n1"], "n1": ["n2"], "n2": [END_NODE_ID]}

    # flytekit writes workflow inputs as promises on node ""; the compiled form names start-node.
    assert registered.template.nodes[0].inputs[0].binding.promise.node_id == ""
    assert node(primary, "n0").inputs[0].binding.promise.node_id == START_NODE_ID
    assert list(node(primary, "n1").upstream_node_ids) == ["n0"]

    assert primary.template.interface == registered.template.interface
    assert [t.template.id.name for t in closure.tasks] == [
        add_one.name,
        double.name,
        to_text.name,
    ]
    assert not closure.sub_workflows
    assert not closure.launch_plans


def test_fan_out_fan_in_connections() -> None:
    closure = register(fan).compile()
    upstream, downstream = connections(closure.primary)
    assert downstream[START_NODE_ID] == ["n0", "n1"]
    assert upstream["n2"] == ["n0", "n1"]
    assert downstream["n0"] == ["n2"] and downstream["n1"] == ["n2"]
    assert upstream[END_NODE_ID] == ["n2"]
    assert list(node(closure.primary, "n2").upstream_node_ids) == ["n0", "n1"]


def test_node_without_inputs_or_consumers_hangs_between_start_and_end() -> None:
    closure = register(with_orphan).compile()
    upstream, downstream = connections(closure.primary)
    hello = next(n.id for n in closure.primary.template.nodes if n.task_node.reference_id.name.endswith("say_hello"))
    assert upstream[hello] == [START_NODE_ID]
    assert hello in downstream[START_NODE_ID]
    assert downstream[hello] == [END_NODE_ID]
    assert hello in upstream[END_NODE_ID]


def test_sub_workflow_is_compiled_and_its_tasks_included() -> None:
    registered = register(outer)
    closure = registered.compile()

    assert len(closure.sub_workflows) == 1
    sub = closure.sub_workflows[0]
    assert sub.template.id.name == inner.name
    assert [n.id for n in sub.template.nodes] == [START_NODE_ID, END_NODE_ID, "n0", "n1"]
    sub_upstream, sub_downstream = connections(sub)
    assert sub_upstream == {"n0": [START_NODE_ID], "n1": ["n0"], END_NODE_ID: ["n1"]}
    assert sub_downstream[START_NODE_ID] == ["n0"]

    upstream, _ = connections(closure.primary)
    assert upstream["n1"] == ["n0"]
    assert node(closure.primary, "n0").workflow_node.sub_workflow_ref == sub.template.id
    assert [t.template.id.name for t in closure.tasks] == [add_one.name, double.name]

    flyte_wf = promote(closure, registered)
    assert [n.id for n in flyte_wf.nodes] == ["n0", "n1"]
    assert [n.id for n in flyte_wf.flyte_nodes[0].flyte_entity.nodes] == ["n0", "n1"]


def test_branch_cases_are_renamed_and_only_get_upstream_edges() -> None:
    registered = register(branching)
    closure = registered.compile()
    primary = closure.primary

    # Top-level ids are flytekit's; the branch's own nodes (numbered n0.. again by flytekit) are prefixed.
    assert [n.id for n in primary.template.nodes] == [START_NODE_ID, END_NODE_ID, "n0", "n1"]
    original_if_else = registered.template.nodes[1].branch_node.if_else
    assert [original_if_else.case.then_node.id, original_if_else.other[0].then_node.id] == ["n0", "n1"]
    if_else = node(primary, "n1").branch_node.if_else
    assert if_else.case.then_node.id == "n1-n0"
    assert if_else.other[0].then_node.id == "n1-n1"
    assert if_else.else_node.id == "n1-n2"

    upstream, downstream = connections(primary)
    assert upstream["n1-n0"] == ["n0"]
    assert upstream["n1-n1"] == ["n0", START_NODE_ID]
    assert upstream["n1-n2"] == [START_NODE_ID]
    assert not {"n1-n0", "n1-n1", "n1-n2"} & set(downstream)
    assert upstream["n1"] == ["n0"]
    assert downstream["n1"] == [END_NODE_ID]
    # Promises inside the cases get start-node too.
    assert if_else.else_node.inputs[0].binding.promise.node_id == START_NODE_ID

    flyte_wf = promote(closure, registered)
    assert [n.id for n in flyte_wf.nodes] == ["n0", "n1"]
    assert flyte_wf.nodes[1].branch_node.if_else.case.then_node.id == "n1-n0"


def test_nested_branches_are_prefixed_at_every_level() -> None:
    registered = register(nested_branches)
    closure = registered.compile()
    outer_if_else = node(closure.primary, "n0").branch_node.if_else
    inner_node = outer_if_else.case.then_node
    assert inner_node.id == "n0-n0"
    assert inner_node.branch_node.if_else.case.then_node.id == "n0-n0-n0"
    assert outer_if_else.else_node.id == "n0-n1"
    upstream, _ = connections(closure.primary)
    assert {k for k in upstream if k.startswith("n0-")} == {"n0-n0", "n0-n0-n0", "n0-n1"}
    assert promote(closure, registered).nodes[0].id == "n0"


def test_is_none_condition_compares_optional_with_none() -> None:
    registered = register(none_check)
    comparison = registered.template.nodes[1].branch_node.if_else.case.condition.comparison
    assert comparison.right_value.scalar.HasField("none_type")  # how flytekit writes is_none()
    closure = registered.compile()
    assert connections(closure.primary)[0]["n1"] == ["n0"]


def test_branch_with_error_default() -> None:
    closure = register(branching_fail).compile()
    if_else = node(closure.primary, "n1").branch_node.if_else
    assert if_else.WhichOneof("default") == "error"
    assert if_else.case.then_node.id == "n1-n0"


def test_launch_plan_nodes_use_the_plans_interface() -> None:
    registered = register(calls_lp)
    closure = registered.compile()
    assert [lp.template.id.name for lp in closure.launch_plans] == ["inner_lp", "pick_lp"]
    pick = closure.launch_plans[1].template
    assert set(pick.interface.inputs.variables) == {"x", "factor"}
    assert set(pick.interface.outputs.variables) == {"o0"}
    upstream, _ = connections(closure.primary)
    assert upstream["n1"] == ["n0"]
    assert not closure.tasks  # launch plans bring their interface, not their tasks

    flyte_wf = promote(closure, registered)
    assert [n.id for n in flyte_wf.nodes] == ["n0", "n1"]

    # pick_lp's "factor" has a default, so a node may leave it unbound (flytekit happens to bind it anyway).
    lp_node = registered.template.nodes[1]
    assert sorted(b.var for b in lp_node.inputs) == ["factor", "x"]
    kept = [b for b in lp_node.inputs if b.var == "x"]
    del lp_node.inputs[:]
    lp_node.inputs.extend(kept)
    assert [b.var for b in node(registered.compile().primary, "n1").inputs] == ["x"]


def test_launch_plan_given_as_typed_interface() -> None:
    registered = register(calls_lp)
    interfaces: dict[IdentifierKey, interface_pb2.TypedInterface] = {}
    for key, lp in registered.launch_plans.items():
        iface = interface_pb2.TypedInterface()
        for name, param in lp.closure.expected_inputs.parameters.items():
            iface.inputs.variables[name].CopyFrom(param.var)
        iface.outputs.CopyFrom(lp.closure.expected_outputs)
        interfaces[key] = iface
    closure = compile_workflow(registered.template, registered.sub_workflows, registered.tasks, interfaces)
    assert connections(closure.primary)[0]["n1"] == ["n0"]


def test_failure_node_is_compiled_but_not_a_graph_node() -> None:
    registered = register(guarded)
    closure = registered.compile()
    primary = closure.primary
    assert primary.template.failure_node.id == "fn0"
    assert "fn0" not in [n.id for n in primary.template.nodes]
    upstream, downstream = connections(primary)
    assert upstream["fn0"] == [START_NODE_ID]
    assert "fn0" not in downstream
    x_binding = next(b for b in primary.template.failure_node.inputs if b.var == "x")
    assert x_binding.binding.promise.node_id == START_NODE_ID
    assert clean_up.name in [t.template.id.name for t in closure.tasks]

    flyte_wf = promote(closure, registered)
    assert [n.id for n in flyte_wf.nodes] == ["n0", "n1", "fn0"]


def test_map_task_array_node() -> None:
    registered = register(mapped)
    closure = registered.compile()
    array = node(closure.primary, "n0").array_node
    assert array.node.task_node.reference_id.name.endswith("arraynode")
    assert any(t.template.id == array.node.task_node.reference_id for t in closure.tasks)
    upstream, downstream = connections(closure.primary)
    assert upstream["n0"] == [START_NODE_ID]
    assert downstream["n0"] == [END_NODE_ID]


def test_array_node_over_launch_plan_maps_its_interface_over_lists() -> None:
    registered = register(lp_array)
    closure = registered.compile()
    assert node(closure.primary, "n0").array_node.node.workflow_node.launchplan_ref.name == "inner_lp"

    # Binding a single int where the array node expects List[int] is a type error.
    broken = register(lp_array)
    binding = broken.template.nodes[0].inputs[0].binding
    binding.Clear()
    binding.scalar.primitive.integer = 3
    err = compile_error(broken.compile)
    assert ErrorCode.MISMATCHING_TYPES in codes(err)


def test_gate_nodes() -> None:
    registered = register(gated)
    closure = registered.compile()
    gates = {
        n.id: n.gate_node.WhichOneof("condition") for n in closure.primary.template.nodes if n.HasField("gate_node")
    }
    assert sorted(gates.values()) == ["approve", "signal", "sleep"]
    approve_id = next(k for k, v in gates.items() if v == "approve")
    sleep_id = next(k for k, v in gates.items() if v == "sleep")
    signal_id = next(k for k, v in gates.items() if v == "signal")
    upstream, _ = connections(closure.primary)
    assert upstream[approve_id] == ["n0"]
    summ_id = next(n.id for n in closure.primary.template.nodes if n.task_node.reference_id.name.endswith("summ"))
    assert upstream[summ_id] == sorted([approve_id, signal_id, sleep_id])


def test_enum_constant_binding() -> None:
    closure = register(colors).compile()
    assert node(closure.primary, "n0").inputs[0].binding.scalar.primitive.string_value == "green"


def test_promote_from_closure_keeps_ids_and_dependencies() -> None:
    registered = register(everything)
    closure = registered.compile()
    flyte_wf = promote(closure, registered)
    expected = [(n.id, sorted(n.upstream_node_ids)) for n in registered.flytekit_nodes]
    assert [(n.id, sorted(u.id for u in n.upstream_nodes)) for n in flyte_wf.nodes] == expected
    assert {t.id.name for t in flyte_wf.flyte_tasks} == {t.template.id.name for t in closure.tasks}


def test_compilation_is_deterministic_and_leaves_inputs_alone() -> None:
    registered = register(everything)
    before = registered.template.SerializeToString(deterministic=True)
    first = registered.compile().SerializeToString(deterministic=True)
    second = registered.compile().SerializeToString(deterministic=True)
    assert first == second
    assert registered.template.SerializeToString(deterministic=True) == before


def test_long_chain_compiles_without_recursion_limits() -> None:
    count = 3000
    add_one_task = next(t for k, t in register(linear).tasks.items() if k[3].endswith("add_one"))
    task_id = add_one_task.template.id
    template = workflow_pb2.WorkflowTemplate(id=identifier_pb2.Identifier(resource_type=identifier_pb2.WORKFLOW))
    template.interface.inputs.variables["x"].type.simple = types_pb2.INTEGER
    template.interface.outputs.variables["o0"].type.simple = types_pb2.INTEGER
    previous = ""  # the first node reads the workflow input
    for i in range(count):
        n = template.nodes.add(id=f"n{i}")
        n.task_node.reference_id.CopyFrom(task_id)
        promise = n.inputs.add(var="x").binding.promise
        promise.node_id, promise.var = previous, ("o0" if previous else "x")
        previous = n.id
    out = template.outputs.add(var="o0").binding.promise
    out.node_id, out.var = previous, "o0"

    closure = compile_workflow(template, [], {identifier_key(task_id): add_one_task}, {})
    upstream, downstream = connections(closure.primary)
    assert len(closure.primary.template.nodes) == count + 2
    assert upstream[END_NODE_ID] == [f"n{count - 1}"]
    assert downstream[START_NODE_ID] == ["n0"]
    assert upstream["n1500"] == ["n1499"]


# ----------------------------------------------------------------------------------------------------------------------
# Requirements


def test_requirements_walk_sub_workflows_branches_arrays_and_failure_nodes() -> None:
    def names(entity: typing.Any) -> tuple[list[str], list[str]]:
        r = register(entity)
        task_ids, lp_ids = workflow_requirements(r.template, r.sub_workflows)
        return [t.name for t in task_ids], [lp.name for lp in lp_ids]

    assert names(outer) == ([add_one.name, double.name], [])
    assert names(branching) == ([add_one.name, double.name, summ.name], [])
    assert names(guarded) == ([add_one.name, clean_up.name, double.name], [])
    assert names(lp_array) == ([], ["inner_lp"])
    mapped_tasks, _ = names(mapped)
    assert len(mapped_tasks) == 1 and mapped_tasks[0].endswith("arraynode")
    everything_tasks, everything_lps = names(everything)
    assert everything_tasks == [add_one.name, double.name]  # de-duplicated, sorted
    assert everything_lps == ["inner_lp"]


def test_requirements_reject_duplicate_sub_workflows() -> None:
    r = register(outer)
    err = compile_error(lambda: workflow_requirements(r.template, [*r.sub_workflows, *r.sub_workflows]))
    assert codes(err) == {ErrorCode.DUPLICATE_NODE_ID}


def test_requirements_skip_unknown_sub_workflows() -> None:
    r = register(outer)
    task_ids, lp_ids = workflow_requirements(r.template, [])
    # Only outer's own task: inner's tasks are unknown without inner's template.
    assert [t.name for t in task_ids] == [add_one.name]
    assert lp_ids == []


# ----------------------------------------------------------------------------------------------------------------------
# Workflow validation failures


def test_missing_task_is_reported_with_its_identifier() -> None:
    r = register(linear)
    missing = next(k for k in r.tasks if k[3].endswith("double"))
    del r.tasks[missing]
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.TASK_REFERENCE_NOT_FOUND}
    assert err.errors == [
        "Code: TaskReferenceNotFound, Node Id: start-node, Description: Referenced Task [resource_type:TASK "
        f'project:"proj" domain:"dev" name:"{double.name}" version:"v1"] not found.'
    ]
    assert str(err).startswith("Collected Errors: 1\n\tError 0: Code: TaskReferenceNotFound")


def test_missing_launch_plan_and_sub_workflow() -> None:
    r = register(calls_lp)
    r.launch_plans.clear()
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND}
    assert any('name:"inner_lp"' in e for e in err.errors)

    r = register(outer)
    err = compile_error(lambda: compile_workflow(r.template, [], r.tasks, {}))
    assert codes(err) == {ErrorCode.WORKFLOW_REFERENCE_NOT_FOUND}
    assert err.issues[0].node_id == "n0"


def test_duplicate_node_ids() -> None:
    r = register(fan)
    r.template.nodes[1].id = "n0"
    err = compile_error(r.compile)
    assert ErrorCode.DUPLICATE_NODE_ID in codes(err)
    assert any(issue.node_id == "n0" for issue in err.issues if issue.code is ErrorCode.DUPLICATE_NODE_ID)


def test_binding_to_unknown_node_or_output() -> None:
    r = register(linear)
    r.template.nodes[1].inputs[0].binding.promise.node_id = "ghost"
    err = compile_error(r.compile)
    assert ErrorCode.NODE_REFERENCE_NOT_FOUND in codes(err)
    assert "Referenced node [ghost] not found." in " ".join(err.errors)

    r = register(linear)
    r.template.nodes[1].inputs[0].binding.promise.var = "o7"
    err = compile_error(r.compile)
    assert ErrorCode.VARIABLE_NAME_NOT_FOUND in codes(err)
    assert any("Variable [o7] not found on node [n0]" in e for e in err.errors)


def test_output_aliases_rename_outputs() -> None:
    r = register(linear)
    r.template.nodes[0].output_aliases.add(var="o0", alias="first")
    err = compile_error(r.compile)  # n1 still reads n0.o0, which is now called "first"
    assert any("Variable [o0] not found on node [n0]" in e for e in err.errors)

    r.template.nodes[1].inputs[0].binding.promise.var = "first"
    assert connections(r.compile().primary)[0]["n1"] == ["n0"]

    r.template.nodes[0].output_aliases.add(var="o9", alias="ghost")
    err = compile_error(r.compile)
    assert any("Parameter not bound [ghost]" in e and "Node Id: n0" in e for e in err.errors)


def test_node_may_not_reuse_a_reserved_id() -> None:
    r = register(linear)
    r.template.nodes[2].id = START_NODE_ID
    err = compile_error(r.compile)
    assert ErrorCode.DUPLICATE_NODE_ID in codes(err)


def test_binding_type_mismatch() -> None:
    r = register(linear)
    # Pretend `double` takes a string: n0's int output no longer fits.
    key = next(k for k in r.tasks if k[3].endswith("double"))
    r.tasks[key].template.interface.inputs.variables["x"].type.simple = types_pb2.STRING
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.MISMATCHING_TYPES}
    assert err.issues[0].node_id == "n1"
    assert "has type [simple:INTEGER]" in err.errors[0] and "[simple:STRING]" in err.errors[0]


def test_scalar_binding_type_mismatch_and_illegal_enum() -> None:
    r = register(linear)
    binding = r.template.nodes[0].inputs[0].binding
    binding.Clear()
    binding.scalar.primitive.string_value = "seven"
    err = compile_error(r.compile)
    assert ErrorCode.MISMATCHING_TYPES in codes(err)

    r = register(colors)
    r.template.nodes[0].inputs[0].binding.scalar.primitive.string_value = "purple"
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.ILLEGAL_ENUM_VALUE}
    assert "Received [purple]" in err.errors[0]


def test_unbound_extra_and_duplicate_inputs() -> None:
    r = register(fan)
    summ_node = r.template.nodes[2]
    del summ_node.inputs[1]  # b
    err = compile_error(r.compile)
    assert ErrorCode.PARAMETER_NOT_BOUND in codes(err)
    assert any("Parameter not bound [b]" in e and "Node Id: n2" in e for e in err.errors)

    r = register(fan)
    extra = r.template.nodes[2].inputs.add(var="c")
    extra.binding.scalar.primitive.integer = 1
    err = compile_error(r.compile)
    assert ErrorCode.VARIABLE_NAME_NOT_FOUND in codes(err)

    r = register(fan)
    r.template.nodes[2].inputs.append(r.template.nodes[2].inputs[0])
    err = compile_error(r.compile)
    assert ErrorCode.PARAMETER_BOUND_MORE_THAN_ONCE in codes(err)


def test_optional_inputs_may_stay_unbound() -> None:
    r = register(guarded)
    failure = r.template.failure_node
    kept = [b for b in failure.inputs if b.var != "err"]
    del failure.inputs[:]
    failure.inputs.extend(kept)
    assert r.compile().primary.template.failure_node.inputs[0].var == "x"


def test_required_launch_plan_input_must_be_bound() -> None:
    r = register(calls_lp)
    del r.template.nodes[1].inputs[:]  # pick_lp's x is required
    err = compile_error(r.compile)
    assert ErrorCode.PARAMETER_NOT_BOUND in codes(err)
    assert any("Parameter not bound [x]" in e for e in err.errors)


def test_workflow_outputs_are_validated() -> None:
    r = register(linear)
    del r.template.outputs[:]
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.PARAMETER_NOT_BOUND}
    assert err.issues[0].node_id == END_NODE_ID

    r = register(linear)
    r.template.interface.outputs.variables["o0"].type.simple = types_pb2.INTEGER  # but n2 returns a string
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.MISMATCHING_TYPES}
    assert err.issues[0].node_id == END_NODE_ID


def test_cycle_detected() -> None:
    r = register(linear)
    r.template.nodes[0].upstream_node_ids.append("n2")
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.CYCLE_DETECTED}
    assert "A cycle has been detected while traversing the Workflow [start-node>n0>n1>n2>n0]." in err.errors[0]


def test_unreachable_nodes() -> None:
    r = register(with_orphan)
    hello = next(n for n in r.template.nodes if n.task_node.reference_id.name.endswith("say_hello"))
    hello.upstream_node_ids.append("nowhere")
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.UNREACHABLE_NODES}
    assert f"unreachable nodes [{hello.id}]" in err.errors[0]


def test_empty_workflow() -> None:
    r = register(linear)
    del r.template.nodes[:]
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.NO_NODES_FOUND}


def test_branch_without_default_or_with_bad_condition() -> None:
    r = register(branching)
    r.template.nodes[1].branch_node.if_else.ClearField("else_node")
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.BRANCH_NODE_HAS_NO_DEFAULT}
    assert err.issues[0].node_id == "n1"

    r = register(branching)
    r.template.nodes[1].branch_node.if_else.case.condition.comparison.left_value.var = "not_bound"
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.VARIABLE_NAME_NOT_FOUND}
    assert "Variable [not_bound] not found on node [n1]" in err.errors[0]

    r = register(branching)
    right = r.template.nodes[1].branch_node.if_else.case.condition.comparison.right_value
    right.Clear()
    right.primitive.string_value = "five"
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.MISMATCHING_TYPES}
    assert "Variable [RightValue] (type [simple:STRING]) doesn't match expected type [simple:INTEGER]" in err.errors[0]

    r = register(branching)
    r.template.nodes[1].branch_node.if_else.ClearField("case")
    err = compile_error(r.compile)
    assert ErrorCode.VALUE_REQUIRED in codes(err)


def test_branch_case_nodes_are_validated_under_their_new_ids() -> None:
    r = register(branching)
    then_node = r.template.nodes[1].branch_node.if_else.case.then_node
    then_node.inputs[0].binding.promise.var = "o9"
    err = compile_error(r.compile)
    assert ErrorCode.VARIABLE_NAME_NOT_FOUND in codes(err)
    assert any(issue.node_id == "n1-n0" for issue in err.issues)


def test_branch_cases_must_agree_on_output_types() -> None:
    r = register(branching)
    key = next(k for k in r.tasks if k[3].endswith("summ"))
    r.tasks[key].template.interface.outputs.variables["o0"].type.simple = types_pb2.STRING
    err = compile_error(r.compile)
    assert ErrorCode.MISMATCHING_TYPES in codes(err)
    assert any(issue.node_id == "n1-n1" for issue in err.issues)


def test_gate_node_problems() -> None:
    r = register(gated)
    signal = next(n for n in r.template.nodes if n.gate_node.HasField("signal"))
    signal.gate_node.signal.ClearField("type")
    err = compile_error(r.compile)
    assert ErrorCode.VALUE_REQUIRED in codes(err)
    assert any("GateNode.Signal.Type" in e for e in err.errors)

    r = register(gated)
    sleeper = next(n for n in r.template.nodes if n.gate_node.HasField("sleep"))
    sleeper.gate_node.ClearField("sleep")
    err = compile_error(r.compile)
    assert ErrorCode.NO_CONDITION_FOUND in codes(err)


def test_array_node_without_sub_node() -> None:
    r = register(mapped)
    r.template.nodes[0].array_node.ClearField("node")
    err = compile_error(r.compile)
    assert ErrorCode.VALUE_REQUIRED in codes(err)
    assert any("ArrayNode.Node" in e for e in err.errors)


def test_failure_node_bindings_are_validated() -> None:
    r = register(guarded)
    x_binding = next(b for b in r.template.failure_node.inputs if b.var == "x")
    x_binding.binding.promise.var = "missing"
    err = compile_error(r.compile)
    assert ErrorCode.VARIABLE_NAME_NOT_FOUND in codes(err)
    assert any(issue.node_id == "fn0" for issue in err.issues)


def test_union_collection_binding_must_pick_one_variant() -> None:
    r = register(linear)
    key = next(k for k in r.tasks if k[3].endswith("add_one"))
    variable = r.tasks[key].template.interface.inputs.variables["x"]
    binding = r.template.nodes[0].inputs[0].binding
    binding.Clear()
    binding.collection.bindings.add().scalar.primitive.integer = 1

    variable.type.CopyFrom(union_of(list_of(INT), list_of(INT)))
    err = compile_error(r.compile)
    assert ErrorCode.AMBIGUOUS_BINDING_UNION_VALUE in codes(err)

    variable.type.CopyFrom(union_of(STR, INT))
    err = compile_error(r.compile)
    assert ErrorCode.INCOMPATIBLE_BINDING_UNION_VALUE in codes(err)

    variable.type.CopyFrom(union_of(STR, list_of(INT)))
    compiled = r.compile()
    # n0 now only binds a literal, so it hangs off start-node.
    assert connections(compiled.primary)[0]["n0"] == [START_NODE_ID]


def test_all_problems_are_reported_together_and_sorted() -> None:
    r = register(fan)
    r.template.nodes[0].inputs[0].binding.promise.node_id = "ghost"
    del r.template.nodes[2].inputs[1]
    err = compile_error(r.compile)
    assert len(err.errors) >= 2
    assert [issue.code.value for issue in err.issues] == sorted(issue.code.value for issue in err.issues)
    assert str(err).startswith(f"Collected Errors: {len(err.errors)}\n")


# ----------------------------------------------------------------------------------------------------------------------
# Tasks


def test_compile_task_accepts_flytekit_tasks() -> None:
    template = get_serializable(OrderedDict(), SETTINGS, add_one).template.to_flyte_idl()
    compiled = compile_task(template)
    assert compiled == compiler_pb2.CompiledTask(template=template)


def test_compile_task_lists_every_problem() -> None:
    template = tasks_pb2.TaskTemplate()
    template.interface.inputs.variables["x"].type.simple = types_pb2.INTEGER
    template.container.SetInParent()
    template.container.resources.requests.add(name=tasks_pb2.Resources.CPU, value="lots")
    template.container.resources.limits.add(name=tasks_pb2.Resources.MEMORY, value="1Gi")
    err = compile_error(lambda: compile_task(template))
    assert err.errors == [
        "Code: UnrecognizedValue, Node Id: resources.CPU, Description: Unrecognized value [lots].",
        "Code: ValueRequired, Node Id: container, Description: Value required [command].",
        "Code: ValueRequired, Node Id: container, Description: Value required [image].",
        "Code: ValueRequired, Node Id: root, Description: Value required [Id].",
        "Code: ValueRequired, Node Id: root, Description: Value required [type].",
    ]


def test_compile_task_container_without_interface_needs_no_command() -> None:
    template = tasks_pb2.TaskTemplate(id=identifier_pb2.Identifier(name="t"), type="raw-container")
    template.container.image = "alpine"
    assert compile_task(template).template == template


def test_compile_task_k8s_pod_container_names() -> None:
    template = tasks_pb2.TaskTemplate(id=identifier_pb2.Identifier(name="t"), type="sidecar")
    template.k8s_pod.pod_spec.update({"containers": [{"name": "primary"}, {"name": "Bad_Name"}]})
    err = compile_error(lambda: compile_task(template))
    assert err.errors == [
        "Code: InvalidValue, Node Id: root, Description: Invalid value [k8s pod spec container name]."
    ]

    template.k8s_pod.pod_spec.Clear()
    template.k8s_pod.pod_spec.update({"containers": "not-a-list"})
    assert "k8s pod spec]" in compile_error(lambda: compile_task(template)).errors[0]

    template.k8s_pod.pod_spec.Clear()
    template.k8s_pod.pod_spec.update({"containers": [{"name": "primary"}]})
    compile_task(template)


@pytest.mark.parametrize("value", ["500m", "1Gi", "2", "1.5", ".5", "1e3", "+1", "-1", "2Ki", "0.5Ei", "10M", "1E-2"])
def test_k8s_quantities_accepted(value: str) -> None:
    assert is_k8s_quantity(value)


@pytest.mark.parametrize("value", ["", "lots", "1 Gi", "1gi", "1.2.3", "Gi", "1KiB", "1e"])
def test_k8s_quantities_rejected(value: str) -> None:
    assert not is_k8s_quantity(value)


@pytest.mark.parametrize(
    ("name", "ok"),
    [("primary", True), ("a-b-1", True), ("a" * 63, True), ("a" * 64, False), ("-a", False), ("A", False), ("", False)],
)
def test_dns1123_labels(name: str, ok: bool) -> None:
    assert is_dns1123_label(name) is ok


# ----------------------------------------------------------------------------------------------------------------------
# Type compatibility


def blob(fmt: str) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(blob=types_pb2.BlobType(format=fmt))


def enum_of(*values: str) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(enum_type=types_pb2.EnumType(values=list(values)))


def tagged(t: types_pb2.LiteralType, tag: str) -> types_pb2.LiteralType:
    out = types_pb2.LiteralType()
    out.CopyFrom(t)
    out.structure.tag = tag
    return out


def sd(fmt: str = "", **columns: types_pb2.LiteralType) -> types_pb2.LiteralType:
    return types_pb2.LiteralType(
        structured_dataset_type=types_pb2.StructuredDatasetType(
            format=fmt,
            columns=[types_pb2.StructuredDatasetType.DatasetColumn(name=k, literal_type=v) for k, v in columns.items()],
        )
    )


def struct(schema: dict[str, typing.Any] | None) -> types_pb2.LiteralType:
    t = types_pb2.LiteralType(simple=types_pb2.STRUCT)
    if schema is not None:
        t.metadata.CopyFrom(json_format.ParseDict(schema, struct_pb2.Struct()))
    return t


DC_AB = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["a", "b"]}
DC_A = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
DC_A_STR = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


@pytest.mark.parametrize(
    ("upstream", "downstream", "castable"),
    [
        (INT, INT, True),
        (INT, FLOAT, False),
        (INT, STR, False),
        (list_of(INT), list_of(INT), True),
        (list_of(INT), list_of(STR), False),
        (list_of(NONE), list_of(STR), True),  # an empty list fits any list
        (INT, list_of(INT), False),
        (map_of(list_of(INT)), map_of(list_of(INT)), True),
        (map_of(INT), map_of(FLOAT), False),
        (INT, union_of(INT, STR), True),
        (INT, union_of(STR, FLOAT), False),
        (union_of(INT, STR), union_of(STR, INT, FLOAT), True),
        (union_of(INT, FLOAT), union_of(INT, STR), False),
        (union_of(INT), INT, True),  # a one-variant union stands for its variant
        (NONE, union_of(INT, NONE), True),  # None into Optional[int]
        (NONE, INT, False),
        (INT, NONE, False),
        (NONE, NONE, True),
        (blob("csv"), blob("csv"), True),
        (blob("csv"), blob("parquet"), False),
        (blob(""), blob("parquet"), True),
        (blob("csv"), blob(""), True),
        (INT, blob(""), False),
        (enum_of("a", "b"), STR, True),
        (STR, enum_of("a", "b"), True),
        (enum_of("a", "b"), enum_of("a", "b"), True),
        (enum_of("a", "b"), enum_of("a", "c"), False),
        (tagged(INT, "x"), tagged(INT, "x"), True),
        (tagged(INT, "x"), tagged(INT, "y"), False),
        (INT, tagged(INT, "y"), True),
        (sd(a=INT, b=STR), sd(a=INT), True),  # downstream columns are a subset
        (sd(a=INT), sd(a=STR), False),
        (sd(a=INT), sd(c=INT), False),
        (sd("parquet", a=INT), sd(), True),
        (sd("csv"), sd("parquet"), False),
        (sd(""), sd("parquet"), True),
        (NONE, sd(), True),  # structured datasets are nullable
        (struct(None), struct(DC_A), True),  # no schema: accepted
        (struct(DC_A), struct(DC_A), True),
        (struct(DC_AB), struct(DC_A), True),  # upstream provides everything downstream needs
        (struct(DC_A), struct(DC_AB), False),
        (struct(DC_A_STR), struct(DC_A), False),
        (struct(DC_A), INT, False),
    ],
)
def test_type_compatibility(upstream: types_pb2.LiteralType, downstream: types_pb2.LiteralType, castable: bool) -> None:
    assert are_types_castable(upstream, downstream) is castable


def test_type_compatibility_ignores_descriptions() -> None:
    described = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    described.annotation.annotations.update({"note": "x"})
    described.metadata.update({"doc": "an int"})
    assert are_types_castable(described, INT)
    assert are_types_castable(INT, described)


def test_schema_and_structured_dataset_interoperate() -> None:
    column = types_pb2.SchemaType.SchemaColumn
    schema = types_pb2.LiteralType(
        schema=types_pb2.SchemaType(
            columns=[column(name="a", type=column.INTEGER), column(name="b", type=column.STRING)]
        )
    )
    assert are_types_castable(schema, sd(a=INT))
    assert not are_types_castable(schema, sd(a=STR))
    assert not are_types_castable(schema, sd("csv", a=INT))
    assert are_types_castable(
        sd(a=INT, b=STR),
        types_pb2.LiteralType(schema=types_pb2.SchemaType(columns=[column(name="a", type=column.INTEGER)])),
    )
    assert not are_types_castable(sd("csv", a=INT), schema)


def test_scalar_operands_in_conditions_are_typed() -> None:
    # Newer clients may send comparison operands as scalars rather than primitives.
    r = register(branching)
    right = r.template.nodes[1].branch_node.if_else.case.condition.comparison.right_value
    right.Clear()
    right.scalar.primitive.integer = 5
    assert node(r.compile().primary, "n1").branch_node.if_else.case.condition.comparison.right_value == right

    right.scalar.primitive.string_value = "5"
    err = compile_error(r.compile)
    assert codes(err) == {ErrorCode.MISMATCHING_TYPES}


def test_literal_bindings_in_collections_resolve_dependencies() -> None:
    r = register(mapped)
    binding = r.template.nodes[0].inputs[0].binding
    binding.Clear()
    for value in (1, 2):
        binding.collection.bindings.add().scalar.primitive.integer = value
    promised = binding.collection.bindings.add().promise
    promised.var = "xs"  # a whole list where an int is expected
    err = compile_error(r.compile)
    assert ErrorCode.MISMATCHING_TYPES in codes(err)
