"""Dynamic workflows on the embedded admin: flytekit's ``@dynamic`` tasks run by the engine, read back over gRPC.

The workflows (``tests/admin/engine_dynamic_workflows.py``) are registered with flytekit's FlyteRemote and run on an
in-process admin; every task really runs ``pyflyte-execute``, so a dynamic task writes the ``futures.pb`` flytekit
compiles, and the engine compiles and runs it as propeller's dynamic handler does. The records are read as a client
reads them (ListNodeExecutions with ``unique_parent_id``, GetNodeExecution, GetDynamicNodeWorkflow, ...). Specs
flytekit would never write (corrupt, not compiling) come from a task whose command is swapped for a small program
that writes a given ``futures.pb``.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2, launch_plan_pb2, node_execution_pb2, task_execution_pb2, task_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import (
    dynamic_job_pb2,
    identifier_pb2,
    interface_pb2,
    literals_pb2,
    tasks_pb2,
    types_pb2,
    workflow_pb2,
)
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit import LaunchPlan
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.launch_plan import LaunchPlan as FlytekitLaunchPlan
from flytekit.models.task import TaskSpec
from flytekit.remote import FlyteRemote
from flytekit.tools.translator import get_serializable
from tests.admin import engine_dynamic_workflows as dw

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.engine.dynamic_node import DynamicBuildError, build_dynamic_workflow
from flyteplane.admin.managers.engine_port import EngineAdmin
from flyteplane.configuration import Config as PlaneConfig
from flyteplane.remote import FlyteRemote as PlaneRemote

REPO = Path(__file__).resolve().parents[3]
PROJECT, DOMAIN = "flytesnacks", "development"
NODE = core_execution_pb2.NodeExecution
TASK = core_execution_pb2.TaskExecution
WF = core_execution_pb2.WorkflowExecution
WAIT = datetime.timedelta(seconds=180)
POLL = datetime.timedelta(seconds=0.2)
OPEN_NODE = {NODE.UNDEFINED, NODE.QUEUED, NODE.RUNNING, NODE.DYNAMIC_RUNNING}
OPEN_TASK = {TASK.UNDEFINED, TASK.QUEUED, TASK.RUNNING, TASK.INITIALIZING, TASK.WAITING_FOR_RESOURCES}

# The bad_spec task's container: copies $SPECS/<n>.pb, which the test wrote, to the attempt's futures.pb.
WRITE_SPEC = r"""
import os, shutil, sys
from urllib.parse import urlsplit
from urllib.request import url2pathname
from flyteidl.core import literals_pb2

local = lambda url: url2pathname(urlsplit(url).path)
inputs = literals_pb2.LiteralMap.FromString(open(local(sys.argv[1]), "rb").read())
out = local(sys.argv[2])
os.makedirs(out, exist_ok=True)
n = inputs.literals["n"].scalar.primitive.integer
shutil.copy(os.path.join(os.environ["SPECS"], f"{n}.pb"), os.path.join(out, "futures.pb"))
"""


# ----------------------------------------------------------------------------------------------------------------
# One admin for the module; each test registers its workflow under its own version


class NodeEventTap:
    """The node events the engine sends through its port, as they reach the admin's recorder."""

    def __init__(self) -> None:
        self.events: list[event_pb2.NodeExecutionEvent] = []
        self._lock = threading.Lock()

    def keep(self, event: event_pb2.NodeExecutionEvent) -> None:
        with self._lock:
            self.events.append(event_pb2.NodeExecutionEvent.FromString(event.SerializeToString()))

    def of(self, execution: str, node: str) -> list[event_pb2.NodeExecutionEvent]:
        with self._lock:
            return [e for e in self.events if e.id.execution_id.name == execution and e.id.node_id == node]


@pytest.fixture(scope="module")
def tap() -> Iterator[NodeEventTap]:
    tap = NodeEventTap()
    record = EngineAdmin.record_node_event

    def recording(self: EngineAdmin, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
        record(self, event, request_id)
        tap.keep(event)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EngineAdmin, "record_node_event", recording)
        yield tap


@pytest.fixture(scope="module")
def admin(tap: NodeEventTap) -> Iterator[AdminServer]:
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5)
    with AdminServer(config=config) as server:
        yield server


@pytest.fixture(scope="module")
def remote(admin: AdminServer) -> FlyteRemote:
    return FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )


@pytest.fixture(scope="module")
def stub(admin: AdminServer) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))


def settings(version: str) -> SerializationSettings:
    return SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=version
    )


def run(remote: FlyteRemote, workflow: Any, version: str, **inputs: Any) -> Any:
    """Register ``workflow`` (flytekit's register_workflow), run it and wait for its end."""
    registered = remote.register_workflow(workflow, serialization_settings=settings(version), version=version)
    execution = remote.execute(registered, inputs=inputs)
    return remote.wait(execution, timeout=WAIT, poll_interval=POLL, sync_nodes=False)


def execution_id(execution: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
    return execution.id.to_flyte_idl()


def children(
    stub: admin_pb2_grpc.AdminServiceStub, eid: identifier_pb2.WorkflowExecutionIdentifier, parent: str = ""
) -> dict[str, node_execution_pb2.NodeExecution]:
    listed = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=eid, unique_parent_id=parent, limit=100)
    )
    return {n.id.node_id: n for n in listed.node_executions}


def node_id(eid: identifier_pb2.WorkflowExecutionIdentifier, node: str) -> identifier_pb2.NodeExecutionIdentifier:
    return identifier_pb2.NodeExecutionIdentifier(execution_id=eid, node_id=node)


def attempts(stub: admin_pb2_grpc.AdminServiceStub, node: identifier_pb2.NodeExecutionIdentifier) -> list[Any]:
    listed = stub.ListTaskExecutions(task_execution_pb2.TaskExecutionListRequest(node_execution_id=node, limit=100))
    return list(listed.task_executions)


def tree(
    stub: admin_pb2_grpc.AdminServiceStub, eid: identifier_pb2.WorkflowExecutionIdentifier, parent: str = ""
) -> dict[str, node_execution_pb2.NodeExecution]:
    """Every node execution of a run, children of parent nodes included, by node execution id."""
    out = {}
    for nid, node in children(stub, eid, parent).items():
        out[nid] = node
        if node.metadata.is_parent_node:
            out.update(tree(stub, eid, nid))
    return out


def assert_nothing_open(stub: admin_pb2_grpc.AdminServiceStub, eid: identifier_pb2.WorkflowExecutionIdentifier) -> None:
    for nid, node in tree(stub, eid).items():
        assert node.closure.phase not in OPEN_NODE, f"node {nid} is {NODE.Phase.Name(node.closure.phase)}"
        for attempt in attempts(stub, node.id):
            assert attempt.closure.phase not in OPEN_TASK, (
                f"an attempt of {nid} is {TASK.Phase.Name(attempt.closure.phase)}"
            )


def eventually(check: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


# ----------------------------------------------------------------------------------------------------------------
# A fan-out: outputs, records, the compiled workflow, and both remotes reading the tree


@pytest.fixture(scope="module")
def fanned(remote: FlyteRemote) -> Any:
    return run(remote, dw.fan_out_wf, "fan", n=3)


def test_a_fan_out_runs_its_children_and_binds_their_outputs(fanned: Any) -> None:
    assert fanned.closure.phase == WF.SUCCEEDED
    assert fanned.outputs["o0"] == 0 + 1 + 4  # total(square(0), square(1), square(2))


def test_the_dynamic_node_is_recorded_as_flyte_admin_reports_it(fanned: Any, stub: Any) -> None:
    eid = execution_id(fanned)
    top = children(stub, eid)
    assert set(top) == {"start-node", "n0", "end-node"}  # the children are not at the top level
    node = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(eid, "n0")))
    assert node.closure.phase == NODE.SUCCEEDED
    assert (node.metadata.is_dynamic, node.metadata.is_parent_node) == (True, True)
    assert node.closure.dynamic_job_spec_uri.endswith("/n0/data/0/futures.pb")
    assert node.closure.output_uri.endswith("/n0/data/0/outputs.pb")
    # The parent task's attempt succeeded without outputs of its own: they come from the dynamic workflow.
    (attempt,) = attempts(stub, node.id)
    assert attempt.closure.phase == TASK.SUCCEEDED
    assert not attempt.closure.output_uri

    kids = children(stub, eid, "n0")
    assert set(kids) == {"n0-0-start-node", "n0-0-dn0", "n0-0-dn1", "n0-0-dn2", "n0-0-dn3", "n0-0-end-node"}
    for nid, kid in kids.items():
        assert kid.closure.phase == NODE.SUCCEEDED
        assert (kid.metadata.retry_group, kid.metadata.spec_node_id) == ("0", nid.removeprefix("n0-0-"))
        assert not kid.metadata.is_dynamic
    data = stub.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id(eid, "n0-0-dn3")))
    assert data.full_outputs.literals["o0"].scalar.primitive.integer == 5
    assert [v.scalar.primitive.integer for v in data.full_inputs.literals["values"].collection.literals] == [0, 1, 4]


def test_the_dynamic_node_sends_propellers_events(fanned: Any, stub: Any, tap: NodeEventTap) -> None:
    name = fanned.id.name
    events = tap.of(name, "n0")
    assert [NODE.Phase.Name(e.phase) for e in events] == ["QUEUED", "RUNNING", "DYNAMIC_RUNNING", "SUCCEEDED"]
    assert [(e.is_dynamic, e.is_parent) for e in events] == [
        (False, False),
        (False, False),
        (True, True),
        (True, False),
    ]
    dynamic = events[2].task_node_metadata.dynamic_workflow
    got = stub.GetDynamicNodeWorkflow(
        node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node_id(execution_id(fanned), "n0"))
    )
    assert dynamic.compiled_workflow == got.compiled_workflow
    assert dynamic.id == got.compiled_workflow.primary.template.id
    assert dynamic.dynamic_job_spec_uri.endswith("/n0/data/0/futures.pb")
    assert not any(e.is_in_dynamic_chain for e in events)
    for child in ("n0-0-start-node", "n0-0-dn0", "n0-0-dn3", "n0-0-end-node"):
        child_events = tap.of(name, child)
        assert child_events, child
        for event in child_events:
            assert (event.parent_node_metadata.node_id, event.retry_group) == ("n0", "0")
            assert event.is_in_dynamic_chain and not event.is_dynamic


def test_get_dynamic_node_workflow_returns_the_compiled_closure(fanned: Any, stub: Any) -> None:
    eid = execution_id(fanned)
    got = stub.GetDynamicNodeWorkflow(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node_id(eid, "n0")))
    template = got.compiled_workflow.primary.template
    assert (template.id.resource_type, template.id.project, template.id.name) == (
        identifier_pb2.WORKFLOW,
        PROJECT,
        "dynamic_n0",
    )
    assert len(template.id.version) == 10
    assert [n.id for n in template.nodes if n.id.startswith("dn")] == ["dn0", "dn1", "dn2", "dn3"]
    assert list(template.interface.outputs.variables) == ["o0"] and not template.interface.inputs.variables
    assert {t.template.id.name.rsplit(".", 1)[-1] for t in got.compiled_workflow.tasks} == {"square", "total"}
    assert list(got.compiled_workflow.primary.connections.upstream["dn3"].ids) == ["dn0", "dn1", "dn2"]
    data = stub.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id(eid, "n0")))
    assert data.dynamic_workflow.compiled_workflow == got.compiled_workflow
    assert data.dynamic_workflow.id == template.id
    assert data.dynamic_workflow.dynamic_job_spec_uri.endswith("/n0/data/0/futures.pb")
    assert data.full_outputs.literals["o0"].scalar.primitive.integer == 5
    with pytest.raises(grpc.RpcError) as raised:  # a plain task node has none
        stub.GetDynamicNodeWorkflow(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node_id(eid, "n0-0-dn0")))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_execution_metrics_break_the_dynamic_node_down_into_its_children(fanned: Any, stub: Any) -> None:
    metrics = stub.GetExecutionMetrics(
        execution_pb2.WorkflowExecutionGetMetricsRequest(id=execution_id(fanned), depth=10)
    )

    def spans_of(span: Any) -> Iterator[Any]:
        yield span
        for child in span.spans:
            yield from spans_of(child)

    (dynamic,) = (s for s in spans_of(metrics.span) if s.node_id.node_id == "n0")
    inside = {s.node_id.node_id for s in spans_of(dynamic)} - {""}
    assert {"n0", "n0-0-dn0", "n0-0-dn1", "n0-0-dn2", "n0-0-dn3"} <= inside


def test_flytekit_remote_syncs_the_dynamic_children(fanned: Any, remote: FlyteRemote) -> None:
    synced = remote.sync_execution(fanned, sync_nodes=True)
    node = synced.node_executions["n0"]
    kids = node.subworkflow_node_executions
    assert {"n0-0-dn0", "n0-0-dn1", "n0-0-dn2", "n0-0-dn3"} <= set(kids)
    assert [kids[f"n0-0-dn{i}"].outputs["o0"] for i in range(3)] == [0, 1, 4]
    assert kids["n0-0-dn3"].outputs["o0"] == 5
    assert node.outputs["o0"] == 5


def test_flyteplane_remote_reads_the_dynamic_tree(fanned: Any, admin: AdminServer) -> None:
    with PlaneRemote(PlaneConfig.for_endpoint(admin.endpoint, insecure=True), PROJECT, DOMAIN) as plane:
        execution = plane.fetch_execution(name=fanned.id.name).sync(sync_nodes=True)
        assert execution.outputs["o0"] == 5
        node = execution.node_executions["n0"]
        assert node.outputs["o0"] == 5
        (attempt,) = node.task_executions
        assert attempt.closure.phase == TASK.SUCCEEDED
        kids = node.subworkflow_node_executions
        assert [kids[f"n0-0-dn{i}"].outputs["o0"] for i in range(4)] == [0, 1, 4, 5]
        assert [kids[f"n0-0-dn{i}"].inputs["x"] for i in range(3)] == [0, 1, 2]
        assert len(kids["n0-0-dn0"].task_executions) == 1


# ----------------------------------------------------------------------------------------------------------------
# What a dynamic may hold: dynamics, branches, sub-workflows, launch plans (and map tasks)


def test_a_dynamic_inside_a_dynamic(remote: FlyteRemote, stub: Any, tap: NodeEventTap) -> None:
    execution = run(remote, dw.nested_wf, "nested", n=2)
    assert execution.outputs["o0"] == [0, 1]  # [fan_out(1), fan_out(2)]
    eid = execution_id(execution)
    outer = children(stub, eid, "n0")
    inner = outer["n0-0-dn1"]
    assert (inner.metadata.is_dynamic, inner.metadata.is_parent_node) == (True, True)
    assert inner.closure.dynamic_job_spec_uri.endswith("/n0-0-dn1/data/0/futures.pb")
    grandchildren = children(stub, eid, "n0-0-dn1")
    assert {"n0-0-dn1-0-dn0", "n0-0-dn1-0-dn1", "n0-0-dn1-0-dn2"} <= set(grandchildren)
    assert grandchildren["n0-0-dn1-0-dn2"].closure.phase == NODE.SUCCEEDED
    got = stub.GetDynamicNodeWorkflow(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=inner.id))
    assert got.compiled_workflow.primary.template.id.name == "dynamic_n0-0-dn1"
    (event,) = tap.of(execution.id.name, "n0-0-dn1-0-dn2")[-1:]
    assert event.parent_node_metadata.node_id == "n0-0-dn1" and event.is_in_dynamic_chain
    synced = remote.sync_execution(execution, sync_nodes=True)
    nested = synced.node_executions["n0"].subworkflow_node_executions["n0-0-dn1"]
    assert nested.subworkflow_node_executions["n0-0-dn1-0-dn2"].outputs["o0"] == 1
    assert_nothing_open(stub, eid)


def test_a_dynamic_with_a_branch_a_sub_workflow_and_a_launch_plan(
    remote: FlyteRemote, stub: Any, tap: NodeEventTap
) -> None:
    # The launch plan the dynamic calls must exist: propeller reads it from Flyte Admin to compile the dynamic.
    remote.register_launch_plan(dw.squared_negated_lp, version="mixed", serialization_settings=settings("mixed"))
    execution = run(remote, dw.mixed_wf, "mixed", n=2)
    # [square(0) (else), negate(1) (then), squared_negated(2), the launch plan's squared_negated(3)]
    assert execution.outputs["o0"] == [0, -1, -4, -9]
    eid = execution_id(execution)
    got = stub.GetDynamicNodeWorkflow(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node_id(eid, "n0")))
    kinds = {n.id: n.WhichOneof("target") for n in got.compiled_workflow.primary.template.nodes}
    by_kind: dict[str, list[str]] = {}
    for nid, kind in kinds.items():
        by_kind.setdefault(kind or "", []).append(nid)
    assert len(by_kind["branch_node"]) == 2 and len(by_kind["workflow_node"]) == 2
    assert len(got.compiled_workflow.sub_workflows) == 1 and len(got.compiled_workflow.launch_plans) == 1
    kids = children(stub, eid, "n0")
    for branch in by_kind["branch_node"]:
        node = kids[f"n0-0-{branch}"]
        assert node.metadata.is_parent_node and node.closure.phase == NODE.SUCCEEDED
        (case,) = children(stub, eid, node.id.node_id).values()
        assert case.closure.phase == NODE.SUCCEEDED
    workflow_nodes = {
        nid: next(n for n in got.compiled_workflow.primary.template.nodes if n.id == nid).workflow_node
        for nid in by_kind["workflow_node"]
    }
    (sub_id,) = (nid for nid, w in workflow_nodes.items() if w.HasField("sub_workflow_ref"))
    (lp_id,) = (nid for nid, w in workflow_nodes.items() if w.HasField("launchplan_ref"))
    sub_node, lp_node = kids[f"n0-0-{sub_id}"], kids[f"n0-0-{lp_id}"]
    assert sub_node.metadata.is_parent_node
    sub_children = children(stub, eid, sub_node.id.node_id)
    assert {n.closure.phase for n in sub_children.values()} == {NODE.SUCCEEDED}
    for nid in sub_children:  # a sub-workflow inside a dynamic is in the dynamic chain too
        assert all(e.is_in_dynamic_chain for e in tap.of(execution.id.name, nid))
    child = lp_node.closure.workflow_node_metadata.executionId
    launched = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=child))
    assert launched.closure.phase == WF.SUCCEEDED
    assert launched.spec.metadata.parent_node_execution.node_id == lp_node.id.node_id
    assert_nothing_open(stub, eid)


def test_map_task_in_a_dynamic_runs_once_array_nodes_are_merged(remote: FlyteRemote, stub: Any) -> None:
    """Runs once the engine has array nodes (another branch adds them): the dynamic's map task is an array node
    run through NodeRunner like any child."""
    execution = run(remote, dw.mapped_wf, "mapped", n=3)
    assert execution.closure.phase == WF.SUCCEEDED, execution.closure.error
    assert execution.outputs["o0"] == 0 + 1 + 4
    assert_nothing_open(stub, execution_id(execution))
    synced = remote.sync_execution(execution, sync_nodes=True)
    assert synced.node_executions["n0"].outputs["o0"] == 5


# ----------------------------------------------------------------------------------------------------------------
# Failures and termination


def test_a_failing_child_fails_the_dynamic_node_with_its_error(remote: FlyteRemote, stub: Any) -> None:
    execution = run(remote, dw.one_child_fails_wf, "fails", n=3)
    assert execution.closure.phase == WF.FAILED
    eid = execution_id(execution)
    kids = children(stub, eid, "n0")
    failed = [k for k in kids.values() if k.closure.phase == NODE.FAILED]
    assert [k.metadata.spec_node_id for k in failed] == ["dn2"]  # explode(2)
    # Listings trim error messages, as Flyte Admin's do: the whole error comes with GetNodeExecution.
    child = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=failed[0].id))
    assert "cannot take 2" in child.closure.error.message
    node = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(eid, "n0")))
    assert node.closure.phase == NODE.FAILED
    assert node.closure.error == child.closure.error
    assert node.metadata.is_dynamic
    assert execution.closure.error.code == child.closure.error.code
    assert "total" not in {k.metadata.spec_node_id for k in kids.values()}  # downstream of the failure: never ran
    assert_nothing_open(stub, eid)


def test_terminating_the_run_aborts_the_dynamic_children(remote: FlyteRemote, stub: Any) -> None:
    registered = remote.register_workflow(dw.naps_wf, serialization_settings=settings("naps"), version="naps")
    execution = remote.execute(registered, inputs={"n": 2, "seconds": 600})
    eid = execution_id(execution)

    def both_running() -> bool:
        try:
            kids = children(stub, eid, "n0")
        except grpc.RpcError:  # NOT_FOUND until n0 itself is recorded
            return False
        naps = [k for nid, k in kids.items() if k.metadata.spec_node_id.startswith("dn")]
        return len(naps) == 2 and all(any(a.closure.phase == TASK.RUNNING for a in attempts(stub, k.id)) for k in naps)

    eventually(both_running)
    stub.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=eid, cause="enough napping"))
    done = remote.wait(execution, timeout=WAIT, poll_interval=POLL)
    assert done.closure.phase == WF.ABORTED
    node = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(eid, "n0")))
    assert node.closure.phase == NODE.ABORTED
    for nid, kid in children(stub, eid, "n0").items():
        if kid.metadata.spec_node_id.startswith("dn"):
            assert kid.closure.phase == NODE.ABORTED, nid
            assert (kid.closure.error.code, kid.closure.error.message) == ("NodeAborted", "enough napping")
            assert [a.closure.phase for a in attempts(stub, kid.id)] == [TASK.ABORTED]
    assert_nothing_open(stub, eid)


def _task_template(name: str, **fields: Any) -> tasks_pb2.TaskTemplate:
    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    template = tasks_pb2.TaskTemplate(
        id=identifier_pb2.Identifier(
            resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=name, version="v1"
        ),
        type="python-task",
        interface=interface_pb2.TypedInterface(
            inputs=interface_pb2.VariableMap(variables={"x": interface_pb2.Variable(type=integer)}),
            outputs=interface_pb2.VariableMap(variables={"o0": interface_pb2.Variable(type=integer)}),
        ),
        container=tasks_pb2.Container(image="python", args=["python", "-c", "pass"]),
    )
    for key, value in fields.items():
        setattr(template, key, value)
    return template


def _promise(node: str, var: str) -> literals_pb2.BindingData:
    return literals_pb2.BindingData(promise=types_pb2.OutputReference(node_id=node, var=var))


def _bad_specs() -> dict[int, bytes]:
    """The futures.pb of each bad case, by the bad_spec task's input."""
    task = _task_template("sq")
    node = workflow_pb2.Node(
        id="dn0",
        task_node=workflow_pb2.TaskNode(reference_id=task.id),
        inputs=[literals_pb2.Binding(var="x", binding=_promise("dn9", "o0"))],  # no such node
    )
    unknown_upstream = dynamic_job_pb2.DynamicJobSpec(
        nodes=[node], tasks=[task], outputs=[literals_pb2.Binding(var="o0", binding=_promise("dn0", "o0"))]
    )
    typeless = _task_template("typeless", type="")
    fine_node = workflow_pb2.Node(id="dn0", task_node=workflow_pb2.TaskNode(reference_id=typeless.id))
    fine_node.inputs.add(var="x").binding.scalar.primitive.integer = 1
    bad_task = dynamic_job_pb2.DynamicJobSpec(
        nodes=[fine_node], tasks=[typeless], outputs=[literals_pb2.Binding(var="o0", binding=_promise("dn0", "o0"))]
    )
    missing_lp = identifier_pb2.Identifier(
        resource_type=identifier_pb2.LAUNCH_PLAN, project=PROJECT, domain=DOMAIN, name="nope", version="v1"
    )
    lp_node = workflow_pb2.Node(id="dn0", workflow_node=workflow_pb2.WorkflowNode(launchplan_ref=missing_lp))
    lp_node.inputs.add(var="x").binding.scalar.primitive.integer = 1
    missing = dynamic_job_pb2.DynamicJobSpec(
        nodes=[lp_node], outputs=[literals_pb2.Binding(var="o0", binding=_promise("dn0", "o0"))]
    )
    return {
        1: b"\xff\xff this is not a DynamicJobSpec",
        2: unknown_upstream.SerializeToString(),
        3: bad_task.SerializeToString(),
        4: missing.SerializeToString(),
    }


def _register_bad_spec(stub: admin_pb2_grpc.AdminServiceStub, version: str) -> identifier_pb2.Identifier:
    """bad_spec_wf as pyflyte register would register it, the bad_spec task's command swapped for WRITE_SPEC."""
    entities: OrderedDict[Any, Any] = OrderedDict()
    get_serializable(entities, settings(version), LaunchPlan.get_or_create(dw.bad_spec_wf))
    lp_id = None
    for value in entities.values():
        if isinstance(value, TaskSpec):
            spec = value.to_flyte_idl()
            spec.template.container.ClearField("command")
            spec.template.container.args[:] = ["python", "-c", WRITE_SPEC, "{{.input}}", "{{.outputPrefix}}"]
            stub.CreateTask(task_pb2.TaskCreateRequest(id=spec.template.id, spec=spec))
        elif isinstance(value, WorkflowSpec):
            spec = value.to_flyte_idl()
            stub.CreateWorkflow(admin_workflow_pb2.WorkflowCreateRequest(id=spec.template.id, spec=spec))
        elif isinstance(value, FlytekitLaunchPlan):
            idl = value.to_flyte_idl()
            stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=idl.id, spec=idl.spec))
            lp_id = idl.id
    assert lp_id is not None
    return lp_id


@pytest.mark.parametrize(
    ("case", "kind", "start"),
    [
        (1, "SYSTEM", "[System] unable to read futures file, maybe corrupted, caused by: "),
        (
            2,
            "USER",
            "[User] malformed dynamic workflow, caused by: Collected Errors: 2\n"
            "\tError 0: Code: NodeReferenceNotFound, Node Id: dn9, Description: Referenced node [dn9] not found.\n",
        ),
        (3, "USER", "[User] failed to compile dynamic tasks, caused by: Collected Errors: 1\n"),
        (
            4,
            "USER",
            "[User] incorrectly specified launchplan flytesnacks:development:nope:v1, caused by: missing entity of "
            "type LAUNCH_PLAN",
        ),
    ],
)
def test_a_dynamic_spec_that_does_not_build_fails_the_node(
    stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path, case: int, kind: str, start: str
) -> None:
    for n, data in _bad_specs().items():
        (tmp_path / f"{n}.pb").write_bytes(data)
    lp_id = _register_bad_spec(stub, f"bad{case}")
    spec = execution_pb2.ExecutionSpec(launch_plan=lp_id)
    spec.envs.values.add(key="SPECS", value=str(tmp_path))
    inputs = literals_pb2.LiteralMap()
    inputs.literals["n"].scalar.primitive.integer = case
    created = stub.CreateExecution(
        execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec, inputs=inputs)
    )
    eid = created.id

    def ended() -> Any:
        got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=eid))
        return got if got.closure.phase in (WF.SUCCEEDED, WF.FAILED, WF.ABORTED) else None

    execution = eventually(ended)
    assert execution.closure.phase == WF.FAILED
    node = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(eid, "n0")))
    error = node.closure.error
    assert (error.code, core_execution_pb2.ExecutionError.ErrorKind.Name(error.kind)) == (
        "DynamicWorkflowBuildFailed",
        kind,
    )
    assert error.message.startswith(start), error.message
    assert execution.closure.error.message == error.message
    assert node.metadata.is_dynamic and not node.metadata.is_parent_node
    assert not children(stub, eid, "n0")
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetDynamicNodeWorkflow(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node.id))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert_nothing_open(stub, eid)
    if case == 3:
        assert "Value required [type]" in error.message


# ----------------------------------------------------------------------------------------------------------------
# The build on its own


def _no_launch_plans(launch_plan_id: identifier_pb2.Identifier) -> Any:
    raise AssertionError(f"no launch plan expected, asked for {launch_plan_id.name}")


def _one_node_spec(task: tasks_pb2.TaskTemplate) -> dynamic_job_pb2.DynamicJobSpec:
    node = workflow_pb2.Node(id="dn0", task_node=workflow_pb2.TaskNode(reference_id=task.id))
    node.inputs.add(var="x").binding.scalar.primitive.integer = 1
    return dynamic_job_pb2.DynamicJobSpec(
        nodes=[node], tasks=[task, task], outputs=[literals_pb2.Binding(var="o0", binding=_promise("dn0", "o0"))]
    )


def test_the_build_passes_the_parent_containers_config_down_to_the_spec_tasks() -> None:
    child = _task_template("child")
    child.container.config.add(key="own", value="1")
    parent = _task_template("parent")
    parent.container.config.add(key="inherited", value="2")
    spec = _one_node_spec(child)
    workflow_id = identifier_pb2.Identifier(resource_type=identifier_pb2.WORKFLOW, name="dynamic_n0", version="v")
    closure = build_dynamic_workflow(spec, workflow_id, parent, _no_launch_plans)
    (compiled,) = closure.tasks  # the spec lists the task twice: compiled once
    assert [(kv.key, kv.value) for kv in compiled.template.container.config] == [("own", "1"), ("inherited", "2")]
    assert [kv.key for kv in spec.tasks[0].container.config] == ["own"]  # the spec itself is left alone
    assert closure.primary.template.id == workflow_id
    assert closure.primary.template.interface.outputs == parent.interface.outputs


def test_the_build_refuses_sub_workflows_sharing_an_id() -> None:
    task = _task_template("child")
    spec = _one_node_spec(task)
    twin = workflow_pb2.WorkflowTemplate(
        id=identifier_pb2.Identifier(resource_type=identifier_pb2.WORKFLOW, project=PROJECT, name="sub", version="v")
    )
    spec.subworkflows.extend([twin, twin])
    workflow_id = identifier_pb2.Identifier(resource_type=identifier_pb2.WORKFLOW, name="dynamic_n0", version="v")
    with pytest.raises(DynamicBuildError) as raised:
        build_dynamic_workflow(spec, workflow_id, _task_template("parent"), _no_launch_plans)
    assert str(raised.value).startswith("[User] failed to Get requirements for subworkflows, caused by: Collected")
    assert raised.value.kind == core_execution_pb2.ExecutionError.USER
