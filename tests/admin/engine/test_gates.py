"""Gate nodes, branches that wait for their inputs, and echo tasks, run by the engine.

Workflows are written with flytekit (``engine_gate_workflows.py``). Gates are driven over gRPC on a real admin
(``AdminServer``): the workflows are registered and run with flytekit's FlyteRemote, and their signals are set with
flytekit's and flyteplane's FlyteRemote (``set_signal``, ``approve``, ``reject``) or the raw SignalService. The
rest run on the engine harness of ``test_engine.py`` (an engine over an in-memory admin, its events tapped), where
the compiled closure can be changed before it runs.
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import condition_pb2, identifier_pb2, literals_pb2, types_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.service import admin_pb2_grpc, signal_pb2_grpc
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.exceptions.user import FlyteAssertion
from flytekit.models.types import LiteralType, SimpleType
from flytekit.remote import FlyteRemote
from tests.admin import engine_gate_workflows as gw
from tests.admin import engine_workflows as wf
from tests.admin.engine.test_engine import REPO, Harness, compile_entity, ints

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.engine.dag import nodes_read_by
from flyteplane.admin.engine.echo_task import EchoError, echo_outputs
from flyteplane.admin.engine.gate_node import REJECTED_CODE, REJECTED_MESSAGE
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.managers.signal_waits import SignalWaits
from flyteplane.configuration import Config as PlaneConfig
from flyteplane.remote import FlyteRemote as PlaneRemote

PROJECT, DOMAIN = "flytesnacks", "development"
WF = core_execution_pb2.WorkflowExecution
NODE = core_execution_pb2.NodeExecution
TASK = core_execution_pb2.TaskExecution
WAIT = 60.0
_POLL = datetime.timedelta(seconds=0.2)


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


# ----------------------------------------------------------------------------------------------------------------
# Over gRPC: a real admin, flytekit registering and running, signals set by both FlyteRemotes


class Admin:
    """A running admin with the gate workflows registered (once, by flytekit), and clients for it."""

    def __init__(self, server: AdminServer) -> None:
        self.server = server
        self.channel = grpc.insecure_channel(server.endpoint)
        self.stub = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.signal_stub = signal_pb2_grpc.SignalServiceStub(self.channel)
        self.remote = FlyteRemote(
            Config.for_endpoint(server.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
        )
        self.plane = PlaneRemote(PlaneConfig.for_endpoint(server.endpoint, insecure=True), PROJECT, DOMAIN)
        self.version = uuid.uuid4().hex[:8]
        self.settings = SerializationSettings(
            image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=self.version
        )
        self._registered: dict[str, Any] = {}

    def start(self, workflow: Any, execution_name: str | None = None, **inputs: Any) -> Any:
        """Register ``workflow`` (the first time) and execute it with flytekit; the execution, not waited for."""
        name = workflow.name
        if name not in self._registered:
            self._registered[name] = self.remote.register_workflow(
                workflow, serialization_settings=self.settings, version=self.version
            )
        return self.remote.execute(self._registered[name], inputs=inputs, execution_name=execution_name)

    def wait(self, execution: Any) -> Any:
        return self.remote.wait(execution, timeout=datetime.timedelta(seconds=WAIT), poll_interval=_POLL)

    def signals(self, name: str) -> list[signal_pb2.Signal]:
        listed = self.signal_stub.ListSignals(
            signal_pb2.SignalListRequest(
                workflow_execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                    project=PROJECT, domain=DOMAIN, name=name
                ),
                limit=10,
            )
        )
        return list(listed.signals)

    def signal_created(self, name: str, signal_id: str) -> signal_pb2.Signal:
        """The signal, once the gate node has created it."""
        return eventually(lambda: next((s for s in self.signals(name) if s.id.signal_id == signal_id), None))

    def nodes(self, name: str) -> dict[str, Any]:
        execution_id = identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name=name)
        listed = self.stub.ListNodeExecutions(
            node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=execution_id, limit=50)
        )
        return {n.id.node_id: n for n in listed.node_executions}

    def node_phase(self, name: str, node_id: str) -> str:
        node = self.nodes(name).get(node_id)
        return NODE.Phase.Name(node.closure.phase) if node is not None else ""

    def execution(self, name: str) -> execution_pb2.Execution:
        return self.stub.GetExecution(
            execution_pb2.WorkflowExecutionGetRequest(
                id=identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name=name)
            )
        )

    def close(self) -> None:
        self.plane.close()
        self.channel.close()


@pytest.fixture(scope="module")
def admin() -> Iterator[Admin]:
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),))
    with AdminServer(config=config) as server:
        a = Admin(server)
        yield a
        a.close()


def test_wait_for_input_is_released_by_flytekit_set_signal(admin: Admin) -> None:
    execution = admin.start(gw.ask, x=1)
    name = execution.id.name
    signal = admin.signal_created(name, "title")
    assert signal.type == types_pb2.LiteralType(simple=types_pb2.STRING)
    assert not signal.HasField("value")
    eventually(lambda: admin.node_phase(name, "n0") == "RUNNING")
    assert admin.execution(name).closure.phase == WF.RUNNING

    admin.remote.set_signal("title", name, "my report")
    execution = admin.wait(execution)
    assert execution.outputs["o0"] == "my report"
    node = admin.nodes(name)["n0"]
    assert node.closure.phase == NODE.SUCCEEDED
    assert node.metadata.spec_node_id == "n0" and not node.metadata.is_parent_node
    (listed,) = admin.signals(name)
    assert listed.value.scalar.primitive.string_value == "my report"


def test_wait_for_input_is_released_by_flyteplane_set_signal(admin: Admin) -> None:
    execution = admin.start(gw.ask, x=2)
    name = execution.id.name
    admin.signal_created(name, "title")
    # flyteplane's FlyteRemote finds the signal's type itself (ListSignals) and converts the value to it.
    listed = admin.plane.list_signals(name)
    assert [s.id.signal_id for s in listed] == ["title"]
    admin.plane.set_signal("title", name, "from flyteplane")
    assert admin.wait(execution).outputs["o0"] == "from flyteplane"


def test_a_signal_set_before_the_gate_runs_releases_it_at_once(admin: Admin) -> None:
    # The signal is created and set before the execution exists (its name is chosen here): the gate finds the value
    # on its first look and goes from QUEUED straight to SUCCEEDED, as propeller's first evaluation does.
    name = f"pre{uuid.uuid4().hex[:10]}"
    ident = identifier_pb2.SignalIdentifier(signal_id="review")
    ident.execution_id.CopyFrom(identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name=name))
    admin.signal_stub.GetOrCreateSignal(
        signal_pb2.SignalGetOrCreateRequest(id=ident, type=types_pb2.LiteralType(simple=types_pb2.BOOLEAN))
    )
    true = literals_pb2.Literal()
    true.scalar.primitive.boolean = True
    admin.signal_stub.SetSignal(signal_pb2.SignalSetRequest(id=ident, value=true))
    execution = admin.start(gw.review, execution_name=name, x=5)
    assert admin.wait(execution).outputs["o0"] == 5
    gate = admin.nodes(name)["n1"].closure
    assert gate.phase == NODE.SUCCEEDED and not gate.HasField("started_at")  # never RUNNING


def test_approve_passes_the_upstream_value_through(admin: Admin) -> None:
    execution = admin.start(gw.review, x=7)
    name = execution.id.name
    signal = admin.signal_created(name, "review")
    assert signal.type == types_pb2.LiteralType(simple=types_pb2.BOOLEAN)
    eventually(lambda: admin.node_phase(name, "n1") == "RUNNING")
    admin.plane.approve("review", name)
    execution = admin.wait(execution)
    assert execution.outputs["o0"] == 7
    nodes = admin.nodes(name)
    assert nodes["n1"].closure.phase == NODE.SUCCEEDED
    node_data = admin.stub.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=nodes["n1"].id))
    assert node_data.full_outputs == node_data.full_inputs  # the approved value, unchanged
    assert node_data.full_outputs.literals["o0"].scalar.primitive.integer == 7


@pytest.mark.parametrize("rejecter", ["flytekit", "flyteplane"])
def test_a_rejected_approval_fails_with_propellers_message(admin: Admin, rejecter: str) -> None:
    execution = admin.start(gw.review, x=3)
    name = execution.id.name
    admin.signal_created(name, "review")
    (admin.remote if rejecter == "flytekit" else admin.plane).reject("review", name)
    eventually(lambda: admin.execution(name).closure.phase == WF.FAILED)
    error = admin.execution(name).closure.error
    assert error.code == REJECTED_CODE == "ReceivedRejectSignal"
    assert error.message == REJECTED_MESSAGE == "received a reject signal to disapprove the node input values"
    assert error.kind == core_execution_pb2.ExecutionError.USER
    node = admin.nodes(name)["n1"]
    assert node.closure.phase == NODE.FAILED and node.closure.error.code == "ReceivedRejectSignal"


def test_a_signal_of_the_wrong_type_is_refused_and_the_node_keeps_waiting(admin: Admin) -> None:
    execution = admin.start(gw.ask, x=4)
    name = execution.id.name
    admin.signal_created(name, "title")
    wrong = signal_pb2.SignalSetRequest(value=literals_pb2.Literal())
    wrong.id.signal_id = "title"
    wrong.id.execution_id.CopyFrom(execution.id.to_flyte_idl())
    wrong.value.scalar.primitive.integer = 42
    with pytest.raises(grpc.RpcError) as info:
        admin.signal_stub.SetSignal(wrong)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "is not castable to existing signal type" in (info.value.details() or "")
    with pytest.raises(Exception, match="not castable"):
        admin.remote.set_signal("title", name, 42)  # flytekit converts the int as an int: refused likewise
    time.sleep(0.3)
    assert admin.node_phase(name, "n0") == "RUNNING"
    admin.remote.set_signal("title", name, "right")
    assert admin.wait(execution).outputs["o0"] == "right"


def test_a_non_boolean_approval_value_fails_the_node_as_propeller(admin: Admin) -> None:
    # Castable to BOOLEAN, so SetSignal takes it, but not a boolean: propeller's gate handler refuses it.
    execution = admin.start(gw.review, x=1)
    name = execution.id.name
    admin.signal_created(name, "review")
    union = literals_pb2.Literal()
    union.scalar.union.value.scalar.primitive.boolean = True
    union.scalar.union.type.simple = types_pb2.BOOLEAN
    request = signal_pb2.SignalSetRequest(value=union)
    request.id.signal_id = "review"
    request.id.execution_id.CopyFrom(execution.id.to_flyte_idl())
    admin.signal_stub.SetSignal(request)  # a union of a boolean casts to BOOLEAN
    eventually(lambda: admin.execution(name).closure.phase == WF.FAILED)
    error = admin.execution(name).closure.error
    assert error.code == "RuntimeExecutionError"
    assert error.message == (
        "received a non-boolean approve signal value [scalar:{union:{value:{scalar:{primitive:{boolean:true}}} "
        "type:{simple:BOOLEAN}}}]"
    )
    assert error.kind == core_execution_pb2.ExecutionError.UNKNOWN


def test_two_gates_wanting_one_signal_with_two_types_fail_clearly(admin: Admin) -> None:
    execution = admin.start(gw.clash, x=1)
    name = execution.id.name
    eventually(lambda: admin.execution(name).closure.phase == WF.FAILED)
    error = admin.execution(name).closure.error
    assert error.code == "RuntimeExecutionError" and error.kind == core_execution_pb2.ExecutionError.SYSTEM
    assert error.message.startswith("failed to get or create signal [dup]: ")
    assert "already exists" in error.message
    phases = {node_id: NODE.Phase.Name(n.closure.phase) for node_id, n in admin.nodes(name).items()}
    assert "RUNNING" not in phases.values() and "QUEUED" not in phases.values()


def test_sleep_succeeds_after_its_duration(admin: Admin) -> None:
    began = time.monotonic()
    execution = admin.start(gw.nap, x=9)
    execution = admin.wait(execution)
    assert execution.outputs["o0"] == 9
    assert time.monotonic() - began >= 1.0
    nodes = admin.nodes(execution.id.name)
    gate = nodes["n0"].closure
    assert gate.phase == NODE.SUCCEEDED
    # The deadline is on record: the node's started_at plus the sleep's duration is before the node ended.
    assert gate.started_at.ToNanoseconds() + 1_000_000_000 <= gate.updated_at.ToNanoseconds()
    assert gate.duration.ToNanoseconds() >= 1_000_000_000
    # The echo task after it waited for it.
    assert nodes["n1"].closure.created_at.ToNanoseconds() >= gate.updated_at.ToNanoseconds()


def test_a_gate_timeout_fails_the_node_as_propeller(admin: Admin) -> None:
    execution = admin.start(gw.impatient, x=1)
    name = execution.id.name
    eventually(lambda: admin.execution(name).closure.phase == WF.FAILED)
    error = admin.execution(name).closure.error
    assert error.code == "RetriesExhausted|TimeoutExpired"
    assert error.message == "[1/1] currentAttempt done. Last Error: USER::task execution timeout [1s] expired"
    assert error.kind == core_execution_pb2.ExecutionError.USER
    assert admin.node_phase(name, "n0") == "FAILED"


def test_terminate_while_waiting_aborts_the_gate_at_once(admin: Admin) -> None:
    execution = admin.start(gw.ask, x=6)
    name = execution.id.name
    admin.signal_created(name, "title")
    eventually(lambda: admin.node_phase(name, "n0") == "RUNNING")
    waits = admin.server.services.signals.waits
    assert waits.watched() >= 1  # the gate waits to be woken by SetSignal
    admin.remote.terminate(execution, "no answer needed")
    # The gate's own timeout is ten minutes: the abort itself ended the wait.
    eventually(lambda: admin.execution(name).closure.phase == WF.ABORTED, timeout=10.0)
    nodes = admin.nodes(name)
    phases = {node_id: NODE.Phase.Name(n.closure.phase) for node_id, n in nodes.items()}
    assert phases["n0"] == "ABORTED", phases
    assert "RUNNING" not in phases.values() and "QUEUED" not in phases.values()
    assert nodes["n0"].closure.error.code == "NodeAborted"
    assert nodes["n0"].closure.error.message == "no answer needed"
    # A value set afterwards changes nothing, and nobody is left watching the signal.
    admin.plane.set_signal("title", name, "too late")
    assert admin.execution(name).closure.phase == WF.ABORTED
    eventually(lambda: waits.watched() == 0)


def _slow_wait(admin: Admin, execution: Any) -> Any:
    """Wait for a run whose tasks run flytekit's own pyflyte-execute (a second or more each)."""
    return admin.remote.wait(execution, timeout=datetime.timedelta(seconds=180), poll_interval=_POLL)


def test_flytekits_signal_integration_workflow_approved_and_rejected(admin: Admin) -> None:
    data = [1.0, 2.0, 3.0, 4.0, 5.0]
    string = LiteralType(simple=SimpleType.STRING)
    execution = admin.start(gw.signal_test_wf, data=data)
    name = execution.id.name
    admin.signal_created(name, "title-input")
    admin.remote.set_input("title-input", name, value="my report", python_type=str, literal_type=string)
    admin.signal_created(name, "review-passes")
    admin.remote.approve("review-passes", name)
    assert _slow_wait(admin, execution).outputs["o0"] == {"title": "my report", "data": data}

    execution = admin.start(gw.signal_test_wf, data=data)
    name = execution.id.name
    admin.signal_created(name, "title-input")
    admin.remote.set_input("title-input", name, value="my report", python_type=str, literal_type=string)
    admin.signal_created(name, "review-passes")
    admin.remote.reject("review-passes", name)
    execution = _slow_wait(admin, execution)
    with pytest.raises(FlyteAssertion, match="Outputs could not be found because the execution ended in failure"):
        execution.outputs  # noqa: B018
    assert execution.error.code == "ReceivedRejectSignal"


def test_flytekits_conditional_integration_workflow_runs(admin: Admin) -> None:
    # Its second branch's case reads nop's output, which the compiled upstream of the branch does not list.
    cases = ((False, True, 0.5, 3.14), (True, False, 0.785, 0.5))  # flags, then each branch's output
    for get_area, get_circumference, area_out, circumference_out in cases:
        flags = {"get_area": get_area, "get_circumference": get_circumference}
        execution = admin.start(gw.conditional_wf, radius=0.5, **flags)
        execution = _slow_wait(admin, execution)
        assert execution.closure.phase == WF.SUCCEEDED, execution.closure.error
        nodes = admin.nodes(execution.id.name)
        for branch_id, expected in (("n1", area_out), ("n2", circumference_out)):
            data = admin.stub.GetNodeExecutionData(
                node_execution_pb2.NodeExecutionGetDataRequest(id=nodes[branch_id].id)
            )
            assert data.full_outputs.literals["o0"].scalar.primitive.float_value == pytest.approx(expected)


# ----------------------------------------------------------------------------------------------------------------
# On the harness: the compiled closure as flytekit makes it (or changed), events tapped


@pytest.fixture
def harness(make_ctx: Callable[..., AdminContext], tmp_path: Path) -> Iterator[Harness]:
    config = AdminConfig(task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5)
    h = Harness(make_ctx(config), tmp_path / "marks")
    h.engine.start()
    yield h
    h.engine.stop()


def test_gate_node_events_are_propellers(harness: Harness) -> None:
    eid = harness.run(compile_entity(wf.gated), ints(x=1))
    assert harness.outputs(eid).literals["o0"].scalar.primitive.integer == 2
    assert harness.tap.node_phases(eid.name, "n0") == ["QUEUED", "RUNNING", "SUCCEEDED"]
    events = harness.tap.node_events(eid.name, "n0")
    assert not events[-1].output_uri  # a sleep has no outputs
    assert all(not e.is_parent and not e.HasField("target_entity") for e in events)
    assert harness.tap.task_events(eid.name, "n0") == []
    harness.no_refusals()


def _only_gate(closure: Any) -> workflow_pb2.Node:
    (gate,) = [n for n in closure.primary.template.nodes if n.WhichOneof("target") == "gate_node"]
    return gate


def test_a_gate_with_retries_times_out_at_its_active_deadline(harness: Harness) -> None:
    closure = compile_entity(gw.impatient)
    _only_gate(closure).metadata.retries.retries = 3  # attempts of 1s each; the node as a whole gets 2s
    began = time.monotonic()
    eid = harness.run(closure, ints(x=1))
    assert 1.9 <= time.monotonic() - began < 10
    assert harness.tap.node_phases(eid.name, "n0") == ["QUEUED", "RUNNING", "TIMED_OUT"]
    last = harness.tap.node_events(eid.name, "n0")[-1]
    assert last.error.code == "TimeoutExpired" and last.error.message == "task active timeout [2s] expired"
    error = harness.error(eid)
    assert error.code == "Timeout"
    harness.no_refusals()


def test_a_gate_without_a_condition_fails_as_a_bad_specification(harness: Harness) -> None:
    closure = compile_entity(gw.ask)
    _only_gate(closure).gate_node.ClearField("signal")
    eid = harness.run(closure, ints(x=1))
    error = harness.error(eid)
    assert error.code == "BadSpecificationError" and error.kind == core_execution_pb2.ExecutionError.SYSTEM
    assert error.message == "gateNode does not have a supported condition reference"
    harness.no_refusals()


# -- branches wait for what their cases read ----------------------------------------------------------------------


def test_a_branch_waits_for_the_upstream_node_its_case_reads(harness: Harness) -> None:
    closure = compile_entity(gw.circle)
    branch = next(n for n in closure.primary.template.nodes if n.WhichOneof("target") == "branch_node")
    # flytekit's bindings name only what the condition reads: the compiled upstream does not list n0.
    assert "n0" not in closure.primary.connections.upstream[branch.id].ids
    assert "n0" in nodes_read_by(branch)
    for flag, expected in ((True, 10), (False, 11)):
        inputs = literals_pb2.LiteralMap()
        inputs.literals["get_circumference"].scalar.primitive.boolean = flag
        eid = harness.run(closure, inputs)
        assert harness.outputs(eid).literals["o0"].scalar.primitive.integer == expected
        n0_end = harness.tap.node_events(eid.name, "n0")[-1].occurred_at.ToNanoseconds()
        branch_queued = harness.tap.node_events(eid.name, branch.id)[0].occurred_at.ToNanoseconds()
        assert branch_queued >= n0_end
    harness.no_refusals()


def test_a_branch_whose_case_is_a_sub_workflow_waits_for_its_inputs(harness: Harness) -> None:
    closure = compile_entity(gw.nested_circle)
    inputs = ints(x=5)
    inputs.literals["outer"].scalar.primitive.boolean = True
    inputs.literals["inner"].scalar.primitive.boolean = False
    eid = harness.run(closure, inputs)
    assert harness.outputs(eid).literals["o0"].scalar.primitive.integer == 6  # add_one(sleepy(5))
    harness.no_refusals()


def _promise_binding(var: str, node_id: str) -> literals_pb2.Binding:
    binding = literals_pb2.Binding(var=var)
    binding.binding.promise.node_id = node_id
    binding.binding.promise.var = "o0"
    return binding


def test_nodes_read_by_follows_collections_maps_and_nested_branches() -> None:
    inner_case = workflow_pb2.Node(id="deep", inputs=[_promise_binding("v", "n5")])
    inner_branch = workflow_pb2.Node(id="inner")
    inner_branch.branch_node.if_else.case.then_node.CopyFrom(inner_case)
    inner_branch.branch_node.if_else.case.condition.comparison.operator = condition_pb2.ComparisonExpression.EQ
    inner_branch.branch_node.if_else.else_node.CopyFrom(workflow_pb2.Node(id="e", upstream_node_ids=["n6"]))
    outer = workflow_pb2.Node(id="outer", upstream_node_ids=["n0"], inputs=[_promise_binding("c", "n1")])
    outer.branch_node.if_else.case.then_node.CopyFrom(inner_branch)
    other = outer.branch_node.if_else.other.add()
    listed = workflow_pb2.Node(id="listed")
    collection = listed.inputs.add(var="xs").binding.collection
    collection.bindings.add().promise.node_id = "n2"
    mapped = listed.inputs.add(var="m").binding.map
    mapped.bindings["k"].promise.node_id = "n3"
    listed.inputs.add(var="s").binding.scalar.primitive.integer = 1
    other.then_node.CopyFrom(listed)
    outer.branch_node.if_else.error.message = "none"
    assert nodes_read_by(outer) == {"n0", "n1", "n2", "n3", "n5", "n6"}


# -- echo tasks -----------------------------------------------------------------------------------------------------


def test_an_echo_task_hands_its_inputs_on_with_propellers_records(harness: Harness) -> None:
    eid = harness.run(compile_entity(gw.echoed), ints(x=41))
    assert harness.outputs(eid).literals["o0"].scalar.primitive.integer == 42  # add_one(echo(41))
    assert harness.tap.node_phases(eid.name, "n0") == ["QUEUED", "SUCCEEDED"]
    (event,) = harness.tap.task_events(eid.name, "n0")
    assert TASK.Phase.Name(event.phase) == "SUCCEEDED" and event.retry_attempt == 0
    assert event.task_type == "echo"
    assert event.metadata.plugin_identifier == "echo"
    assert event.metadata.generated_name == f"{eid.name}-n0-0"
    assert event.task_id.name == "echo_int"
    assert harness.read(event.output_uri).literals["o0"].scalar.primitive.integer == 41
    assert harness.read(event.input_uri).literals["x"].scalar.primitive.integer == 41
    assert not harness.marked("echo_int")  # no process ran
    harness.no_refusals()


def test_an_echo_task_with_two_inputs_is_refused_as_by_propellers_plugin(harness: Harness) -> None:
    eid = harness.run(compile_entity(gw.echo_two), ints(a=1, b=2))
    error = harness.error(eid)
    assert error.code == "RuntimeExecutionError" and error.kind == core_execution_pb2.ExecutionError.SYSTEM
    assert error.message == (
        "failed to execute handle for plugin [echo]: this plugin does not currently support more than one input "
        "variable"
    )
    assert harness.tap.task_events(eid.name, "n0") == []
    harness.no_refusals()


def test_echo_outputs_map_each_input_to_an_output() -> None:
    closure = compile_entity(gw.echoed)
    task = next(t.template for t in closure.tasks if t.template.type == "echo")
    assert echo_outputs(task, ints(x=3)) == ints(o0=3)
    task.interface.outputs.variables["o1"].type.simple = types_pb2.INTEGER
    with pytest.raises(EchoError, match=r"the number of input \[1\] and output \[2\] variables does not match"):
        echo_outputs(task, ints(x=3))


def test_an_echo_task_runs_through_the_admin_over_grpc(admin: Admin) -> None:
    execution = admin.start(gw.echoed, x=1)
    # add_one runs the fake contract program only on the harness: here it is flytekit's own, so wait longer.
    execution = admin.remote.wait(execution, timeout=datetime.timedelta(seconds=120), poll_interval=_POLL)
    assert execution.outputs["o0"] == 2
    execution = admin.remote.sync_execution(execution, sync_nodes=True)
    (attempt,) = execution.node_executions["n0"].task_executions
    assert attempt.outputs["o0"] == 1 and attempt.inputs["x"] == 1
    # flytekit's model of the attempt's metadata keeps no plugin identifier: read the record itself.
    listed = admin.stub.ListTaskExecutions(
        task_execution_pb2.TaskExecutionListRequest(node_execution_id=admin.nodes(execution.id.name)["n0"].id, limit=5)
    )
    (record,) = listed.task_executions
    assert record.closure.metadata.plugin_identifier == "echo" and record.closure.task_type == "echo"
    assert record.closure.metadata.generated_name == f"{execution.id.name}-n0-0"
    assert record.closure.phase == TASK.SUCCEEDED


# -- the pieces ------------------------------------------------------------------------------------------------------


def test_a_cancel_token_wakes_a_waiting_event() -> None:
    parent = CancelToken()
    child = parent.child()
    woken = threading.Event()
    with child.waking(woken):
        assert not woken.is_set()
        parent.cancel("stop")
        assert woken.is_set()
    late = threading.Event()
    with child.waking(late):  # already cancelled: set at once
        assert late.is_set()
    assert child._wakers == []


def test_signal_waits_wake_only_the_signal_set() -> None:
    waits = SignalWaits()
    a = identifier_pb2.SignalIdentifier(signal_id="a")
    a.execution_id.name = "e1"
    b = identifier_pb2.SignalIdentifier(signal_id="b")
    b.execution_id.name = "e1"
    with waits.watch(a) as woken_a, waits.watch(b) as woken_b:
        assert waits.watched() == 2
        waits.changed(a)
        assert woken_a.is_set() and not woken_b.is_set()
    assert waits.watched() == 0
