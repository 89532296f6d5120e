"""``flyteplane sandbox --state-dir``: runs survive the admin being killed (SIGKILL) or stopped (SIGTERM), and go on
when it starts again, as they go on in Flyte when propeller and Flyte Admin restart."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from flyteidl.admin import execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.service import admin_pb2_grpc, signal_pb2_grpc
from flytekit import LaunchPlan

from flyteplane.admin.engine.resume import INTERRUPTED_CODE
from tests.admin.engine.test_engine import _register, ints
from tests.admin.engine_resume_workflows import sleeps_then_adds, three_steps, waits_for_a_number
from tests.cli.support import SandboxProcess, free_ports, start_sandbox

PROJECT, DOMAIN = "flytesnacks", "development"
WF = core_execution_pb2.WorkflowExecution
WAIT = 90.0


def _eventually(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def _sandbox(tmp_path: Path, state: Path, name: str) -> tuple[SandboxProcess, admin_pb2_grpc.AdminServiceStub, Any]:
    port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path, "--port", str(port), "--http-port", str(http_port), "--state-dir", str(state), name=name
    ).wait_ready()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    return sandbox, admin_pb2_grpc.AdminServiceStub(channel), signal_pb2_grpc.SignalServiceStub(channel)


def _execute(stub: admin_pb2_grpc.AdminServiceStub, entity: Any, marks: Path, version: str, **inputs: int) -> Any:
    lp_id = _register(stub, LaunchPlan.get_or_create(entity), version)
    spec = execution_pb2.ExecutionSpec(launch_plan=lp_id)
    spec.envs.values.add(key="MARKS", value=str(marks))
    request = execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec, inputs=ints(**inputs))
    return stub.CreateExecution(request).id


def _phase(stub: admin_pb2_grpc.AdminServiceStub, eid: Any) -> int:
    return stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=eid)).closure.phase


def _node(stub: admin_pb2_grpc.AdminServiceStub, eid: Any, node_id: str) -> Any:
    request = node_execution_pb2.NodeExecutionGetRequest(
        id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=eid)
    )
    return stub.GetNodeExecution(request)


def _attempts(stub: admin_pb2_grpc.AdminServiceStub, eid: Any, node_id: str) -> list[Any]:
    request = task_execution_pb2.TaskExecutionListRequest(
        node_execution_id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=eid), limit=10
    )
    return sorted(stub.ListTaskExecutions(request).task_executions, key=lambda t: t.id.retry_attempt)


def _marks(marks: Path, op: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(marks.glob(f"{op}-*"))]


def _output(stub: admin_pb2_grpc.AdminServiceStub, eid: Any) -> int:
    data = stub.GetExecutionData(execution_pb2.WorkflowExecutionGetDataRequest(id=eid))
    return int(data.full_outputs.literals["o0"].scalar.primitive.integer)


def test_runs_go_on_after_the_sandbox_is_killed(tmp_path: Path) -> None:
    state, marks = tmp_path / "state", tmp_path / "marks"
    marks.mkdir()
    first, stub, _ = _sandbox(tmp_path, state, "first")
    try:
        steps = _execute(stub, three_steps, marks, "k1", x=49)  # the second task sleeps (49 + 1) / 10 = 5 s
        slept = _execute(stub, sleeps_then_adds, marks, "k2", x=1)  # a 4 s sleep gate, then add_one
        waits = _execute(stub, waits_for_a_number, marks, "k3", x=1)  # waits for the signal "bump"
        _eventually(lambda: _marks(marks, "sleepy"))
        _eventually(lambda: _node(stub, slept, "n0").closure.phase == core_execution_pb2.NodeExecution.RUNNING)
        _eventually(lambda: _node(stub, waits, "n0").closure.phase == core_execution_pb2.NodeExecution.RUNNING)
        sleep_started = _node(stub, slept, "n0").closure.started_at.ToNanoseconds() / 1e9
        assert len(_marks(marks, "add_one")) == 1  # only the three steps' first task has run
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    (sleepy,) = _marks(marks, "sleepy")
    assert "end" not in sleepy  # killed with the admin (or when the next one starts)

    second, stub, signals = _sandbox(tmp_path, state, "second")
    try:
        _eventually(lambda: _phase(stub, steps) in (WF.SUCCEEDED, WF.FAILED))
        assert _phase(stub, steps) == WF.SUCCEEDED
        assert _output(stub, steps) == 100
        assert len([m for m in _marks(marks, "add_one") if m.get("attempt") == 0]) == 2  # three steps' + the gate's
        assert sorted(m["attempt"] for m in _marks(marks, "sleepy")) == [0, 1]
        interrupted, again = _attempts(stub, steps, "n1")
        assert interrupted.closure.phase == core_execution_pb2.TaskExecution.FAILED
        assert interrupted.closure.error.code == INTERRUPTED_CODE
        assert again.closure.phase == core_execution_pb2.TaskExecution.SUCCEEDED
        assert len(_attempts(stub, steps, "n0")) == 1  # the first task's node did not run again

        _eventually(lambda: _phase(stub, slept) == WF.SUCCEEDED)
        gate = _node(stub, slept, "n0").closure
        # The sleep kept its deadline: it ended four seconds after its recorded start, not after the restart.
        assert gate.started_at.ToNanoseconds() / 1e9 == sleep_started
        assert 4.0 <= gate.duration.ToTimedelta().total_seconds() < 8.0

        assert _phase(stub, waits) == WF.RUNNING
        value = literals_pb2.Literal()
        value.scalar.primitive.integer = 41
        signals.SetSignal(
            signal_pb2.SignalSetRequest(
                id=identifier_pb2.SignalIdentifier(signal_id="bump", execution_id=waits), value=value
            )
        )
        _eventually(lambda: _phase(stub, waits) == WF.SUCCEEDED)
        assert _output(stub, waits) == 42
    finally:
        assert second.stop() == 0, second.stderr


def test_runs_go_on_after_the_sandbox_is_stopped(tmp_path: Path) -> None:
    state, marks = tmp_path / "state", tmp_path / "marks"
    marks.mkdir()
    first, stub, _ = _sandbox(tmp_path, state, "first")
    try:
        steps = _execute(stub, three_steps, marks, "t1", x=49)
        _eventually(lambda: _marks(marks, "sleepy"))
    finally:
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=60) == 0, first.stderr

    second, stub, _ = _sandbox(tmp_path, state, "second")
    try:
        _eventually(lambda: _phase(stub, steps) == WF.SUCCEEDED)
        assert _output(stub, steps) == 100
        assert len(_marks(marks, "add_one")) == 1
        assert sorted(m["attempt"] for m in _marks(marks, "sleepy")) == [0, 1]
    finally:
        assert second.stop() == 0, second.stderr
