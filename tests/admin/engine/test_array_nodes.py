"""Array nodes (flytekit's ``map_task``): elements, bound inputs, concurrency, success criteria, retries, launch
plans, the records propeller leaves, flytekit's and flyteplane's FlyteRemote reading them, and termination.

Workflows are in ``engine_map_workflows.py``. As in ``test_engine.py``, most runs swap each task's command for
:data:`FAKE_MAP`, a ``python -c`` program honoring the same contract as ``pyflyte-map-execute`` (the array's inputs
in, the element's index from ``$BATCH_JOB_ARRAY_INDEX_VAR_NAME``, its own ``outputs.pb`` or ``error.pb`` out); the
bound-input and FlyteRemote tests run flytekit's real ``pyflyte-map-execute``.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import compiler_pb2, literals_pb2, types_pb2, workflow_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.remote import FlyteRemote
from sqlalchemy import select
from tests.admin import engine_map_workflows as mw
from tests.admin.engine.test_engine import (
    DOMAIN,
    NODE,
    PROJECT,
    REPO,
    TASK,
    WAIT,
    WF,
    Harness,
    compile_entity,
    eventually,
)
from tests.admin.engine.test_engine import harness as harness  # the fixture

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.engine.array_node import (
    LOCAL_ELEMENT_LIMIT,
    ArraySpecError,
    array_size,
    element_inputs,
    required_successes,
)
from flyteplane.admin.store import execution_schema as xs

_POLL = datetime.timedelta(seconds=0.2)

# pyflyte-map-execute's contract in a few lines: argv = op, {{.input}}, {{.outputPrefix}}. In an array the inputs
# are the array's: list inputs are indexed by the element's index, the others taken whole. Each process leaves
# "<op>-<index>-<attempt>" in $MARKS with its start and end times.
FAKE_MAP = r"""
import json, os, sys, time
from urllib.parse import urlsplit
from urllib.request import url2pathname
from flyteidl.core import errors_pb2, literals_pb2

op, inputs_url, out_url = sys.argv[1:4]
local = lambda url: url2pathname(urlsplit(url).path)
out = local(out_url)
os.makedirs(out, exist_ok=True)
inputs = literals_pb2.LiteralMap.FromString(open(local(inputs_url), "rb").read())
attempt = int(os.environ["FLYTE_ATTEMPT_NUMBER"])
var = os.environ.get("BATCH_JOB_ARRAY_INDEX_VAR_NAME")
index = int(os.environ[var]) if var else None
record = {"start": time.time(), "attempt": attempt, "pid": os.getpid(), "index": index}
mark = os.path.join(os.environ["MARKS"], f"{op}-{index}-{attempt}")

def save():
    tmp = mark + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, mark)

save()

def arg(name):
    literal = inputs.literals[name]
    if literal.WhichOneof("value") == "collection":
        literal = literal.collection.literals[index]
    return literal.scalar.primitive.integer

def done(value):
    result = literals_pb2.LiteralMap()
    result.literals["o0"].scalar.primitive.integer = value
    open(os.path.join(out, "outputs.pb"), "wb").write(result.SerializeToString())
    record["end"] = time.time()
    save()

def fail(message):
    doc = errors_pb2.ErrorDocument()
    doc.error.code = "USER:ValueError"
    doc.error.message = message
    doc.error.kind = errors_pb2.ContainerError.NON_RECOVERABLE
    doc.error.origin = 1  # USER
    open(os.path.join(out, "error.pb"), "wb").write(doc.SerializeToString())

if op == "square":
    done(arg("x") * arg("x"))
elif op == "picky":
    if arg("x") < 0:
        fail(f"negative input {arg('x')}")
    else:
        done(arg("x") + 100)
elif op == "flaky_element":
    if attempt < arg("x"):
        sys.exit(f"flaky attempt {attempt}")
    done(attempt)
elif op in ("nap", "slow_element"):
    time.sleep(arg("x") / 10 if op == "nap" else arg("x"))
    done(arg("x"))
else:
    sys.exit(f"unknown op {op}")
"""

_MAP_NAME = re.compile(r"\.map_(?P<op>\w+?)_[0-9a-f]{32}-arraynode$")


def compile_map(entity: Any) -> compiler_pb2.CompiledWorkflowClosure:
    """flytekit's serialization of ``entity``, compiled, every task running :data:`FAKE_MAP`."""
    closure = compile_entity(entity, fast=False)
    for task in closure.tasks:
        template = task.template
        name = template.id.name
        match = _MAP_NAME.search(name)
        op = match.group("op") if match else name.rsplit(".", 1)[-1]
        template.container.ClearField("command")
        template.container.args[:] = ["python", "-c", FAKE_MAP, op, "{{.input}}", "{{.outputPrefix}}"]
    return closure


def int_list(name: str, values: list[int]) -> literals_pb2.LiteralMap:
    out = literals_pb2.LiteralMap()
    items = out.literals[name].collection
    items.SetInParent()
    for value in values:
        items.literals.add().scalar.primitive.integer = value
    return out


def values(literal: literals_pb2.Literal) -> list[int | None]:
    return [
        None if item.scalar.HasField("none_type") else item.scalar.primitive.integer
        for item in literal.collection.literals
    ]


def array_task_events(harness: Harness, name: str, node_id: str = "n0") -> list[Any]:
    return harness.tap.task_events(name, node_id, 0)


def final_resources(
    harness: Harness, name: str, node_id: str = "n0"
) -> tuple[dict[int, Any], task_execution_pb2.TaskExecutionClosure]:
    """The array's task execution as the admin keeps it, with its external resources by index (the last attempt
    of each: they are kept sorted by index and attempt)."""
    with harness.ctx.store.read() as conn:
        row = conn.execute(
            select(xs.task_executions).where(
                xs.task_executions.c.execution_name == name, xs.task_executions.c.node_id == node_id
            )
        ).one()
    closure = task_execution_pb2.TaskExecutionClosure.FromString(row.closure)
    return {r.index: r for r in closure.metadata.external_resources}, closure


# ----------------------------------------------------------------------------------------------------------------
# The pieces


def test_array_size_and_element_inputs_follow_propellers_rules() -> None:
    inputs = int_list("x", [1, 2, 3])
    inputs.literals["k"].scalar.primitive.integer = 7
    assert array_size(inputs, []) == 3
    one = element_inputs(inputs, 1, [])
    assert one.literals["x"].scalar.primitive.integer == 2 and one.literals["k"].scalar.primitive.integer == 7
    # A bound list is given whole.
    bound = int_list("x", [1, 2, 3])
    bound.literals["ys"].CopyFrom(int_list("ys", [5, 6]).literals["ys"])
    assert array_size(bound, ["ys"]) == 3
    assert values(element_inputs(bound, 2, ["ys"]).literals["ys"]) == [5, 6]
    with pytest.raises(ArraySpecError, match="input arrays have different lengths: expecting '3' found '2'"):
        array_size(bound, [])
    with pytest.raises(ArraySpecError, match="no input array provided"):
        array_size(literals_pb2.LiteralMap(literals={"k": inputs.literals["k"]}), [])
    assert array_size(literals_pb2.LiteralMap(literals={"k": inputs.literals["k"]}), ["k"]) == 1


def test_an_offloaded_input_is_refused_clearly() -> None:
    inputs = literals_pb2.LiteralMap()
    inputs.literals["x"].offloaded_metadata.uri = "s3://bucket/big"
    with pytest.raises(ArraySpecError, match=r"input \[x\] is an offloaded literal"):
        array_size(inputs, [])


def test_required_successes() -> None:
    from flyteidl.core import workflow_pb2

    assert required_successes(workflow_pb2.ArrayNode(), 7) == 7
    assert required_successes(workflow_pb2.ArrayNode(min_successes=2), 7) == 2
    assert required_successes(workflow_pb2.ArrayNode(min_success_ratio=0.5), 7) == 4


# ----------------------------------------------------------------------------------------------------------------
# Runs


def test_a_map_task_runs_each_element_and_collects_the_outputs(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.squares), int_list("xs", [1, 2, 3, 4]))
    assert values(harness.outputs(eid).literals["o0"]) == [1, 4, 9, 16]
    assert harness.tap.node_phases(eid.name, "n0") == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert all(e.is_array and not e.is_parent for e in harness.tap.node_events(eid.name, "n0"))
    assert harness.node_row(eid, "n0").phase == "SUCCEEDED"
    # Each element knew its index and read the array's inputs file.
    assert sorted(m["index"] for m in harness.marked("square")) == [0, 1, 2, 3]
    # MINIMAL_STATE: the elements are not node executions of their own.
    assert harness.tap.node_ids(eid.name) == {"start-node", "n0", "end-node"}
    harness.no_refusals()


def test_the_array_task_execution_carries_each_elements_state(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.squares), int_list("xs", [5, 6, 7]))
    events = array_task_events(harness, eid.name)
    phases = [(TASK.Phase.Name(e.phase), e.phase_version) for e in events]
    assert phases[0] == ("QUEUED", 0) and phases[-1] == ("SUCCEEDED", 0)
    running = [v for p, v in phases if p == "RUNNING"]
    assert running == list(range(len(running))) and running  # one bump per round of changes
    first = events[0]
    assert first.task_type == "container_array" and first.metadata.plugin_identifier == "k8s-array"
    assert first.input_uri and [r.index for r in first.metadata.external_resources] == [0, 1, 2]
    assert {r.phase for r in first.metadata.external_resources} == {TASK.UNDEFINED}
    resources, closure = final_resources(harness, eid.name)
    assert TASK.Phase.Name(closure.phase) == "SUCCEEDED"
    assert closure.output_uri  # the array's outputs, each a collection over the elements
    assert sorted(resources) == [0, 1, 2]
    for index, resource in resources.items():
        assert resource.phase == TASK.SUCCEEDED and resource.retry_attempt == 0
        assert resource.external_id.endswith(f"-n{index}-0")
        (link,) = resource.logs
        assert link.name == f"stdout/stderr-{index}"
    assert values(harness.read(closure.output_uri).literals["o0"]) == [25, 36, 49]
    harness.no_refusals()


def test_full_state_records_each_element_as_a_node_execution(harness: Harness) -> None:
    closure = compile_map(mw.squares)
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    array.array_node.execution_mode = workflow_pb2.ArrayNode.FULL_STATE  # what flytekit sets for task subclasses
    eid = harness.run(closure, int_list("xs", [2, 3]))
    assert values(harness.outputs(eid).literals["o0"]) == [4, 9]
    for index in range(2):
        node_id = f"n0-0-n{index}"
        events = harness.tap.node_events(eid.name, node_id)
        assert [NODE.Phase.Name(e.phase) for e in events] == ["QUEUED", "RUNNING", "SUCCEEDED"]
        assert {(e.parent_node_metadata.node_id, e.retry_group, e.spec_node_id) for e in events} == {
            ("n0", "0", f"n{index}")
        }
        assert harness.tap.task_phases(eid.name, node_id, 0) == ["QUEUED", "RUNNING", "SUCCEEDED"]
        assert harness.node_row(eid, node_id).parent_id is not None
    # The array's own task execution is there too, with the elements as external resources.
    resources, closure_record = final_resources(harness, eid.name)
    assert sorted(resources) == [0, 1] and TASK.Phase.Name(closure_record.phase) == "SUCCEEDED"
    harness.no_refusals()


def test_individual_input_files_give_each_element_its_own_inputs(harness: Harness) -> None:
    closure = compile_map(mw.squares)
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    array.array_node.data_mode = (
        workflow_pb2.ArrayNode.INDIVIDUAL_INPUT_FILES
    )  # what flytekit sets for a reference task
    eid = harness.run(closure, int_list("xs", [4, 5]))
    assert values(harness.outputs(eid).literals["o0"]) == [16, 25]
    for index, x in enumerate([4, 5]):
        key = f"metadata/propeller/{PROJECT}-{DOMAIN}-{eid.name}/n0-0-n{index}/data/inputs.pb"
        assert literals_pb2.LiteralMap.FromString(harness.blobs.get(key)).literals["x"].scalar.primitive.integer == x
    harness.no_refusals()


def test_run_all_sub_nodes_runs_every_element_before_failing(harness: Harness) -> None:
    closure = compile_map(mw.strict)
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    array.array_node.run_all_sub_nodes = True
    array.array_node.parallelism = 1  # one at a time: without run_all_sub_nodes the first failure would stop them
    eid = harness.run(closure, int_list("xs", [-1, 2, 3]))
    error = harness.error(eid)
    assert error.message.startswith("array node failed: 2 of 3 elements succeeded (1 failed); at least 3 must")
    assert sorted(m["index"] for m in harness.marked("picky")) == [0, 1, 2]
    harness.no_refusals()


def test_a_failure_stops_the_elements_not_yet_started(harness: Harness) -> None:
    closure = compile_map(mw.strict)
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    array.array_node.parallelism = 1
    eid = harness.run(closure, int_list("xs", [-1, 2, 3]))
    error = harness.error(eid)
    assert error.message.startswith("array node failed: 0 of 3 elements succeeded (1 failed, 2 not started)")
    assert [m["index"] for m in harness.marked("picky")] == [0]
    resources, _ = final_resources(harness, eid.name)
    assert [TASK.Phase.Name(resources[i].phase) for i in range(3)] == ["FAILED", "UNDEFINED", "UNDEFINED"]
    harness.no_refusals()


def test_bound_and_partial_inputs_reach_every_element_through_pyflyte_map_execute(harness: Harness) -> None:
    closure = compile_entity(mw.scaled, fast=False)
    inputs = int_list("xs", [1, 2, 3])
    inputs.literals["factor"].scalar.primitive.integer = 10
    eid = harness.run(closure, inputs)
    assert values(harness.outputs(eid).literals["o0"]) == [11, 21, 31]
    harness.no_refusals()


def test_a_map_over_a_list_inside_a_dataclass_runs_each_element(harness: Harness) -> None:
    from flytekit import FlyteContextManager
    from flytekit.core.type_engine import TypeEngine

    numbers = TypeEngine.to_literal(
        FlyteContextManager.current_context(), mw.Numbers(), mw.Numbers, TypeEngine.to_literal_type(mw.Numbers)
    )
    assert numbers.scalar.binary.tag == "msgpack"
    inputs = literals_pb2.LiteralMap()
    inputs.literals["n"].CopyFrom(numbers.to_flyte_idl())
    eid = harness.run(compile_entity(mw.squares_of_attribute, fast=False), inputs)
    assert values(harness.outputs(eid).literals["o0"]) == [1, 4, 9]
    harness.no_refusals()


def test_concurrency_bounds_the_elements_running_at_once(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.throttled), int_list("xs", [3, 3, 3, 3, 3]))
    assert values(harness.outputs(eid).literals["o0"]) == [3, 3, 3, 3, 3]
    marks = harness.marked("nap")
    assert len(marks) == 5
    most = max(sum(1 for m in marks if m["start"] <= t["start"] < m["end"]) for t in marks)
    assert most <= 2
    assert LOCAL_ELEMENT_LIMIT >= 4
    harness.no_refusals()


def test_min_success_ratio_turns_failed_elements_into_none(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.tolerant), int_list("xs", [1, -2, 3, -4]))
    assert values(harness.outputs(eid).literals["o0"]) == [101, None, 103, None]
    resources, closure = final_resources(harness, eid.name)
    assert [TASK.Phase.Name(resources[i].phase) for i in range(4)] == ["SUCCEEDED", "FAILED", "SUCCEEDED", "FAILED"]
    assert TASK.Phase.Name(closure.phase) == "SUCCEEDED"
    harness.no_refusals()


def test_too_many_failures_fail_the_node_with_the_count(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.tolerant), int_list("xs", [1, -2, -3, -4]))
    error = harness.error(eid)
    assert error.code == "ArrayNodeFailing"
    # After the third failure the array cannot succeed: element 0 is aborted unless it was done by then.
    assert re.match(r"array node failed: [01] of 4 elements succeeded \(3 failed", error.message)
    assert "at least 2 must succeed" in error.message
    assert "negative input -2" in error.message
    assert harness.tap.node_phases(eid.name, "n0")[-1] == "FAILED"
    resources, closure = final_resources(harness, eid.name)
    assert TASK.Phase.Name(closure.phase) == "FAILED" and closure.error.message == error.message
    # Nothing is left running: each element ended, or never started.
    assert {TASK.Phase.Name(r.phase) for r in resources.values()} <= {"SUCCEEDED", "FAILED", "ABORTED", "UNDEFINED"}
    harness.no_refusals()


def test_without_a_ratio_one_failure_fails_the_node(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.strict), int_list("xs", [1, -2, 3]))
    error = harness.error(eid)
    assert "at least 3 must succeed" in error.message and "[1]: negative input -2" in error.message
    harness.no_refusals()


def test_lists_of_different_lengths_fail_the_node(harness: Harness) -> None:
    closure = compile_entity(mw.scaled, fast=False)
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    # Unbind factor: now a list of the wrong length.
    del array.array_node.bound_inputs[:]
    inputs = int_list("xs", [1, 2, 3])
    inputs.literals["factor"].CopyFrom(int_list("f", [1, 2]).literals["f"])
    eid = harness.run(closure, inputs)
    error = harness.error(eid)
    assert error.code == "InvalidArrayLength"
    assert error.message == "input arrays have different lengths: expecting '2' found '3'"
    assert harness.marked("scale") == []
    harness.no_refusals()


def test_an_empty_list_succeeds_with_empty_outputs(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.squares), int_list("xs", []))
    assert values(harness.outputs(eid).literals["o0"]) == []
    assert harness.marked("square") == []
    harness.no_refusals()


def test_a_sub_node_the_engine_cannot_map_fails_clearly(harness: Harness) -> None:
    closure = compile_map(mw.squares)
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    sub = array.array_node.node
    sub.workflow_node.sub_workflow_ref.CopyFrom(sub.task_node.reference_id)  # replaces the task node
    eid = harness.run(closure, int_list("xs", [1]))
    error = harness.error(eid)
    assert error.code == "NotSupported"
    assert error.message == (
        "array nodes over a sub-workflow are not supported: an array node maps a task or a launch plan"
    )
    missing = compile_map(mw.squares)
    del missing.tasks[:]
    error = harness.error(harness.run(missing, int_list("xs", [1])))
    assert error.code == "TaskNotFound" and "is not in the closure" in error.message
    harness.no_refusals()


def test_each_element_retries_on_its_own(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.retried), int_list("xs", [0, 2, 1]))
    # flaky_element returns the attempt that succeeded: element i needs x retries.
    assert values(harness.outputs(eid).literals["o0"]) == [0, 2, 1]
    attempts = sorted((m["index"], m["attempt"]) for m in harness.marked("flaky_element"))
    assert attempts == [(0, 0), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]
    events = array_task_events(harness, eid.name)
    seen = {(r.index, r.retry_attempt, r.phase) for e in events for r in e.metadata.external_resources}
    assert (1, 0, TASK.FAILED) in seen and (1, 2, TASK.SUCCEEDED) in seen
    resources, _ = final_resources(harness, eid.name)
    assert resources[1].retry_attempt == 2 and resources[1].phase == TASK.SUCCEEDED
    harness.no_refusals()


def test_an_element_past_its_timeout_fails(harness: Harness) -> None:
    eid = harness.run(compile_map(mw.timed), int_list("xs", [0, 30]))
    error = harness.error(eid)
    assert "1 of 2 elements succeeded" in error.message
    assert "task execution timeout [1s] expired" in error.message
    harness.no_refusals()


def test_a_map_over_a_launch_plan_runs_child_executions(harness: Harness) -> None:
    harness.children["engine_square_lp"] = compile_map(mw.square_one)
    eid = harness.run(compile_map(mw.over_launch_plan), int_list("xs", [2, 3]))
    assert values(harness.outputs(eid).literals["o0"]) == [4, 9]
    assert len(harness.child_launches) == 2
    # FULL_STATE: every element is a node execution under the array node, with its child execution.
    for index in range(2):
        node_id = f"n0-0-n{index}"
        events = harness.tap.node_events(eid.name, node_id)
        assert [NODE.Phase.Name(e.phase) for e in events] == ["QUEUED", "RUNNING", "SUCCEEDED"]
        assert all(e.parent_node_metadata.node_id == "n0" for e in events)
        assert events[1].workflow_node_metadata.execution_id.name
    assert harness.tap.task_events(eid.name, "n0") == []
    harness.no_refusals()


def test_terminating_a_running_map_kills_the_elements(harness: Harness) -> None:
    eid = harness.start(compile_map(mw.throttled), int_list("xs", [600, 600, 600]))
    marks = eventually(lambda: len(harness.marked("nap")) >= 2 and harness.marked("nap"))
    pids = [m["pid"] for m in marks]
    harness.engine.terminate(eid, "enough")
    assert harness.engine.wait(eid, WAIT)
    assert harness.execution(eid)[0] == "ABORTED"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert harness.tap.node_phases(eid.name, "n0")[-1] == "ABORTED"
    resources, closure = final_resources(harness, eid.name)
    assert TASK.Phase.Name(closure.phase) == "ABORTED"
    assert {TASK.Phase.Name(r.phase) for r in resources.values()} <= {"ABORTED", "UNDEFINED"}
    assert sum(1 for r in resources.values() if r.phase == TASK.ABORTED) == 2
    harness.no_refusals()


# ----------------------------------------------------------------------------------------------------------------
# Over gRPC: flytekit's FlyteRemote and flyteplane's


@pytest.fixture
def admin() -> Iterator[AdminServer]:
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),))
    with AdminServer(config=config) as server:
        yield server


def test_flytekit_remote_waits_syncs_and_reads_a_map_tasks_outputs(admin: AdminServer) -> None:
    remote = FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="m1"
    )
    registered = remote.register_workflow(mw.squares, serialization_settings=settings, version="m1")
    execution = remote.execute(registered, inputs={"xs": [1, 2, 3]})
    execution = remote.wait(execution, timeout=datetime.timedelta(seconds=WAIT), poll_interval=_POLL)
    assert execution.outputs["o0"] == [1, 4, 9]
    execution = remote.sync_execution(execution, sync_nodes=True)
    node = execution.node_executions["n0"]
    assert node.metadata.is_array
    assert node.outputs["o0"] == [1, 4, 9] and node.inputs["x"] == [1, 2, 3]
    (attempt,) = node.task_executions
    assert [r.index for r in attempt.closure.metadata.external_resources] == [0, 1, 2]
    assert attempt.outputs["o0"] == [1, 4, 9]

    # flyteplane's own FlyteRemote reads the same execution: the node tree and the outputs as Python values.
    from flyteplane.configuration import Config as PlaneConfig
    from flyteplane.remote import FlyteRemote as PlaneRemote

    with PlaneRemote(PlaneConfig.for_endpoint(admin.endpoint, insecure=True), PROJECT, DOMAIN) as plane:
        fetched = plane.fetch_execution(name=execution.id.name)
        assert fetched.outputs["o0"] == [1, 4, 9]
        fetched = plane.sync_execution(fetched, sync_nodes=True)
        array = fetched.node_executions["n0"]
        assert array.outputs["o0"] == [1, 4, 9] and array.inputs["x"] == [1, 2, 3]
        assert array.interface is not None  # the map task's list interface types the values
        assert array.interface.outputs.variables["o0"].type.collection_type.simple == types_pb2.INTEGER
        (plane_attempt,) = array.task_executions
        assert plane_attempt.outputs["o0"] == [1, 4, 9]


def test_a_map_over_a_launch_plan_through_the_admin(admin: AdminServer) -> None:
    remote = FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="m3"
    )
    remote.register_launch_plan(mw.square_lp, serialization_settings=settings, version="m3")
    registered = remote.register_workflow(mw.over_launch_plan, serialization_settings=settings, version="m3")
    execution = remote.execute(registered, inputs={"xs": [3, 4]})
    execution = remote.wait(execution, timeout=datetime.timedelta(seconds=WAIT), poll_interval=_POLL)
    assert execution.outputs["o0"] == [9, 16]
    execution = remote.sync_execution(execution, sync_nodes=True)
    assert execution.node_executions["n0"].metadata.is_array
    # Each element is a node execution under the array node, parent of its child execution.
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    children = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(
            workflow_execution_id=execution.id.to_flyte_idl(), limit=10, unique_parent_id="n0"
        )
    ).node_executions
    assert sorted(n.id.node_id for n in children) == ["n0-0-n0", "n0-0-n1"]
    for child in children:
        launched = child.closure.workflow_node_metadata.executionId
        got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=launched))
        assert got.closure.phase == WF.SUCCEEDED
        assert got.spec.metadata.parent_node_execution.node_id == child.id.node_id


def test_a_failed_map_reads_its_error_over_grpc(admin: AdminServer) -> None:
    remote = FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="m2"
    )
    registered = remote.register_workflow(mw.strict, serialization_settings=settings, version="m2")
    execution = remote.execute(registered, inputs={"xs": [1, -1]})
    execution = remote.wait(execution, timeout=datetime.timedelta(seconds=WAIT), poll_interval=_POLL)
    assert execution.closure.phase == WF.FAILED
    # Once element 1 failed the array could not succeed: element 0 was aborted, unless it was done by then.
    assert re.match(r"array node failed: [01] of 2 elements succeeded \(1 failed", execution.error.message)
    assert "at least 2 must succeed\n[1]: " in execution.error.message
    assert "ValueError: negative input -1" in execution.error.message
    execution = remote.sync_execution(execution, sync_nodes=True)
    assert execution.node_executions["n0"].closure.phase == NODE.FAILED
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    nodes = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=execution.id.to_flyte_idl(), limit=10)
    )
    assert {n.id.node_id for n in nodes.node_executions} == {"start-node", "n0"}
