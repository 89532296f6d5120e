"""FlyteRemote running things on the embedded admin: execute, wait, outputs, errors, terminate, relaunch, recover,
sync with nodes, signals and files. Every execution really runs (task processes under Flyte's container contract).
"""

from __future__ import annotations

import hashlib
import uuid

import pytest
from flyteidl.admin import signal_pb2
from flyteidl.core import types_pb2

from flyteplane.configuration import Config
from flyteplane.errors import FlyteAssertion, FlyteTimeout
from flyteplane.remote import FlyteRemote, FlyteWorkflowExecution
from flyteplane.types import TypeTransformerFailedError
from tests.remote.support import ADD_ONE, DOMAIN, FAIL, PROJECT, SLEEP, contract_task


@pytest.fixture
def remote(flyte_admin):
    with FlyteRemote(Config.for_endpoint(flyte_admin.endpoint, insecure=True), PROJECT, DOMAIN) as r:
        yield r


@pytest.fixture
def add_one(remote):
    return remote.register_task(contract_task(f"add_one_{uuid.uuid4().hex[:6]}", ADD_ONE, "v1"))


def test_execute_wait_and_read_python_values(remote, add_one):
    execution = remote.execute(add_one, inputs={"x": 41}, wait=True)
    assert isinstance(execution, FlyteWorkflowExecution)
    assert execution.is_done and execution.is_successful
    assert execution.phase_name == "SUCCEEDED"
    assert execution.outputs["y"] == 42
    assert execution.inputs["x"] == 41
    assert execution.error is None
    # wait() read the nodes once at the end: the task's node, its attempt, their inputs and outputs.
    nodes = {k: v for k, v in execution.node_executions.items() if k not in ("start-node", "end-node")}
    (node,) = nodes.values()
    assert node.is_done
    (attempt,) = node.task_executions
    assert attempt.is_done and attempt.outputs["y"] == 42
    assert node.inputs["x"] == 41 and node.outputs["y"] == 42
    assert execution.execution_url.endswith(f"/executions/{execution.id.name}")


def test_wait_on_the_execution_object_and_sync(remote, add_one):
    execution = remote.execute(add_one, inputs={"x": 1})
    assert execution.phase_name in ("UNDEFINED", "QUEUED", "RUNNING", "SUCCEEDED")
    execution.wait(timeout=60)
    assert execution.outputs["y"] == 2
    fetched = remote.fetch_execution(name=execution.id.name)
    assert fetched.is_successful and fetched.outputs["y"] == 2 and fetched.inputs["x"] == 1
    assert fetched.sync(sync_nodes=True).node_executions


def test_outputs_of_a_running_execution_say_to_wait(remote):
    task = remote.register_task(contract_task(f"sleep_{uuid.uuid4().hex[:6]}", SLEEP, "v1"))
    execution = remote.execute(task, inputs={"x": 30})
    with pytest.raises(FlyteAssertion, match=r"outputs exist once it succeeds; wait for it with remote.wait"):
        execution.outputs  # noqa: B018
    remote.terminate(execution, "enough")
    remote.wait(execution, timeout=60)
    assert execution.phase_name == "ABORTED"
    with pytest.raises(FlyteAssertion, match=f"execution {execution.id.name} ABORTED, it has no outputs: enough"):
        execution.outputs  # noqa: B018


def test_wait_past_its_timeout_names_the_last_phase(remote):
    task = remote.register_task(contract_task(f"sleep_{uuid.uuid4().hex[:6]}", SLEEP, "v1"))
    execution = remote.execute(task, inputs={"x": 30})
    with pytest.raises(FlyteTimeout) as info:
        remote.wait(execution, timeout=0.5)
    message = str(info.value)
    assert message.startswith(f"execution {execution.id.name} did not finish within 0.5s: it is still ")
    assert message.rsplit(" ", 1)[-1] in ("QUEUED", "RUNNING")
    remote.terminate(execution, "test over")


def test_a_failed_execution_raises_the_tasks_error_on_outputs(remote):
    task = remote.register_task(contract_task(f"fail_{uuid.uuid4().hex[:6]}", FAIL, "v1"))
    execution = remote.execute(task, inputs={"x": 3}, wait=True)
    assert execution.phase_name == "FAILED" and not execution.is_successful
    assert "boom: x was 3" in execution.error.message
    with pytest.raises(FlyteAssertion, match=r"(?s)FAILED, it has no outputs: .*boom: x was 3"):
        execution.outputs  # noqa: B018


# -- bad input: refused before any call -------------------------------------------------------------------------------
def test_a_wrong_input_name_raises_before_any_call(remote, add_one, flyte_admin):
    before = flyte_admin.calls["CreateExecution"]
    with pytest.raises(TypeTransformerFailedError, match=r"unknown input 'z'; the inputs are: x"):
        remote.execute(add_one, inputs={"z": 1})
    with pytest.raises(TypeTransformerFailedError, match=r"missing input 'x' \(int\)"):
        remote.execute(add_one, inputs={})
    with pytest.raises(TypeTransformerFailedError, match=r"input 'x': expected int, got str"):
        remote.execute(add_one, inputs={"x": "a"})
    assert flyte_admin.calls["CreateExecution"] == before


def test_execution_name_and_prefix(remote, add_one):
    name = f"named-{uuid.uuid4().hex[:8]}"
    first = remote.execute(add_one, inputs={"x": 1}, execution_name=name)
    assert first.id.name == name
    # As flytekit: the same name again returns the execution that exists.
    again = remote.execute(add_one, inputs={"x": 1}, execution_name=name)
    assert again.id.name == name
    prefixed = remote.execute(add_one, inputs={"x": 1}, execution_name_prefix="pre")
    assert prefixed.id.name.startswith("pre-") and len(prefixed.id.name) == len("pre-") + 19
    with pytest.raises(FlyteAssertion, match="execution_name and execution_name_prefix are mutually exclusive"):
        remote.execute(add_one, inputs={"x": 1}, execution_name="a", execution_name_prefix="b")
    for e in (first, prefixed):
        remote.wait(e, timeout=60, sync_nodes=False)


def test_options_reach_the_execution_spec(remote, add_one):
    execution = remote.execute(
        add_one,
        inputs={"x": 1},
        labels={"team": "a"},
        annotations={"note": "b"},
        envs={"E": "1"},
        tags=["t1"],
        overwrite_cache=True,
        interruptible=True,
        max_parallelism=3,
        cluster_pool="pool",
    )
    spec = execution.to_flyte_idl().spec
    assert dict(spec.labels.values) == {"team": "a"}
    assert dict(spec.annotations.values) == {"note": "b"}
    assert [(kv.key, kv.value) for kv in spec.envs.values] == [("E", "1")]
    assert list(spec.tags) == ["t1"]
    assert spec.overwrite_cache and spec.interruptible.value and spec.max_parallelism == 3
    assert spec.cluster_assignment.cluster_pool_name == "pool"
    remote.wait(execution, timeout=60, sync_nodes=False)


def test_relaunch_and_recover(remote, add_one):
    done = remote.execute(add_one, inputs={"x": 5}, wait=True)
    again = remote.wait(remote.relaunch(done), timeout=60)
    assert again.id.name != done.id.name and again.outputs["y"] == 6

    task = remote.register_task(contract_task(f"fail_{uuid.uuid4().hex[:6]}", FAIL, "v1"))
    failed = remote.execute(task, inputs={"x": 1}, wait=True)
    recovered = remote.wait(remote.recover(failed), timeout=60)
    assert recovered.id.name != failed.id.name and recovered.phase_name == "FAILED"


def test_recent_executions_newest_first_across_pages(remote, add_one):
    started = [remote.execute(add_one, inputs={"x": i}) for i in range(3)]
    recent = remote.recent_executions(limit=3)
    assert [e.id.name for e in recent] == [e.id.name for e in reversed(started)]
    assert all(e.execution_url for e in recent)  # bound to the remote
    for e in started:
        remote.wait(e, timeout=60, sync_nodes=False)


# -- workflows, sub-workflows and branches (flytekit-serialized, run through pyflyte-execute) -----------------------
def test_a_workflow_with_a_sub_workflow_syncs_its_nested_nodes(remote):
    from tests.admin import engine_workflows as wfs

    workflow = remote.register_workflow(wfs.outer, version=uuid.uuid4().hex[:8])
    execution = remote.execute(workflow, inputs={"x": 3}, wait=True)
    assert execution.is_successful, execution.error
    assert execution.outputs["o0"] == 9  # add_one(double(add_one(3)))
    nodes = execution.node_executions
    sub = next(n for n in nodes.values() if n.subworkflow_node_executions)
    inner = {k: v for k, v in sub.subworkflow_node_executions.items() if not k.endswith(("start-node", "end-node"))}
    assert len(inner) == 2
    assert all(n.task_executions and n.task_executions[0].is_done for n in inner.values())


def test_a_launch_plan_node_syncs_the_execution_it_started(remote):
    from tests.admin import engine_workflows as wfs

    workflow = remote.register_workflow(wfs.calls_lp, version=uuid.uuid4().hex[:8])
    execution = remote.execute(workflow, inputs={"x": 3}, wait=True)
    assert execution.is_successful, execution.error
    assert execution.outputs["o0"] == 9  # add_one(inner(3)) = add_one(double(add_one(3)))
    (lp_node,) = [n for n in execution.node_executions.values() if n.workflow_executions]
    (child,) = lp_node.workflow_executions
    assert child.is_successful and child.outputs["o0"] == 8
    assert {k for k in child.node_executions if k not in ("start-node", "end-node")} == {"n0", "n1"}


# -- signals ----------------------------------------------------------------------------------------------------------
def test_approve_reject_and_set_signal(remote, add_one):
    execution = remote.execute(add_one, inputs={"x": 1})
    eid = execution.to_flyte_idl().id
    for signal_id, literal_type in (
        ("ok", types_pb2.LiteralType(simple=types_pb2.BOOLEAN)),
        ("no", types_pb2.LiteralType(simple=types_pb2.BOOLEAN)),
        ("n", types_pb2.LiteralType(simple=types_pb2.INTEGER)),
    ):
        request = signal_pb2.SignalGetOrCreateRequest(type=literal_type)
        request.id.signal_id = signal_id
        request.id.execution_id.CopyFrom(eid)
        remote.client.raw.get_or_create_signal(request)
    remote.approve("ok", eid.name)
    remote.reject("no", eid.name)
    remote.set_signal("n", eid.name, 7)  # converted to the signal's own type
    values = {s.id.signal_id: s.value for s in remote.list_signals(eid.name)}
    assert values["ok"].scalar.primitive.boolean is True
    assert values["no"].scalar.primitive.boolean is False
    assert values["n"].scalar.primitive.integer == 7
    with pytest.raises(TypeTransformerFailedError):
        remote.set_signal("n", eid.name, "seven")
    remote.wait(execution, timeout=60, sync_nodes=False)


# -- files through the data proxy -------------------------------------------------------------------------------------
def test_upload_file_and_download_it_back(remote, tmp_path):
    source = tmp_path / "data.bin"
    source.write_bytes(b"flyte" * 1000)
    md5, native_url = remote.upload_file(source)
    assert md5 == hashlib.md5(source.read_bytes()).digest()
    assert native_url.endswith("/data.bin")
    target = tmp_path / "back" / "data.bin"
    remote.file_access.download_file(native_url, target)
    assert target.read_bytes() == source.read_bytes()


def test_upload_of_something_that_is_not_a_file_is_refused(remote, tmp_path):
    with pytest.raises(FlyteAssertion, match=r"cannot upload \[.*nope\]: it is not a file"):
        remote.upload_file(tmp_path / "nope")


def test_execution_metrics(remote, add_one):
    execution = remote.execute(add_one, inputs={"x": 1}, wait=True)
    span = remote.get_execution_metrics(execution.id)
    assert span is not None


# -- interactive mode through FlyteRemote -----------------------------------------------------------------------------
def double(x: int, factor: int = 2) -> int:
    return x * factor


def test_interactive_mode_with_a_local_upload_location_reuses_the_version(flyte_admin, tmp_path):
    config = Config.for_endpoint(flyte_admin.endpoint, insecure=True)
    remote = FlyteRemote(config, PROJECT, DOMAIN, data_upload_location=str(tmp_path), interactive_mode_enabled=True)
    first = remote.execute(double, inputs={"x": 21}, wait=True)  # factor comes from the function's default
    assert first.outputs["o0"] == 42
    (payload,) = tmp_path.rglob("*.pkl.gz")  # written under data_upload_location, not through the data proxy
    creates = flyte_admin.calls["CreateTask"]
    second = remote.execute(double, inputs={"x": 1, "factor": 5}, wait=True)
    assert second.outputs["o0"] == 5
    assert second.spec.launch_plan.version == first.spec.launch_plan.version
    assert flyte_admin.calls["CreateTask"] == creates  # unchanged code: nothing registered again
    assert list(tmp_path.rglob("*.pkl.gz")) == [payload]


def test_a_local_function_needs_interactive_mode(remote):
    with pytest.raises(FlyteAssertion, match=r"cannot execute the local function 'double': interactive mode is off"):
        remote.execute(double, inputs={"x": 1})
