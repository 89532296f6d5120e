"""Runs survive the admin stopping: a later engine over the same state resumes the executions an earlier one left.

Each test runs a workflow on a first engine, stops it while the run is in the middle (as the admin's stop does:
task processes killed, nothing more recorded), and starts a second engine over the same store and state directory.
Every event of both goes through a :class:`Tap`: neither engine may send an event Flyte Admin's rules refuse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, workflow_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.remote import FlyteRemote
from sqlalchemy import select
from tests.admin import engine_dynamic_workflows as dw
from tests.admin import engine_map_workflows as mw
from tests.admin import engine_resume_workflows as rw
from tests.admin import engine_workflows as wf
from tests.admin.engine import test_dynamic as dyn
from tests.admin.engine.test_array_nodes import compile_map, int_list, values
from tests.admin.engine.test_engine import DOMAIN, PROJECT, REPO, Harness, compile_entity, eventually, ints, output

from flyteplane.admin import AdminServer
from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.domain.names import child_execution_name
from flyteplane.admin.engine import ChildLaunch, RunRequest
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.port import LaunchedChild
from flyteplane.admin.engine.resume import INTERRUPTED_CODE, load_run, run_prefix, save_run
from flyteplane.admin.engine.settle import RESTART_MESSAGE
from flyteplane.admin.errors import already_exists
from flyteplane.admin.store import execution_schema as xs

WF = core_execution_pb2.WorkflowExecution
NODE = core_execution_pb2.NodeExecution
TASK = core_execution_pb2.TaskExecution
WAIT = 60.0


class ResumingHarness(Harness):
    """A harness whose launch-plan nodes find the child an earlier launch of the same node created, as the admin's
    CreateExecution answers a child name that exists (propeller's child names are deterministic)."""

    def launch_child(self, launch: ChildLaunch) -> LaunchedChild:
        parent = launch.parent_node_execution_id
        name = f"{parent.execution_id.name}-{parent.node_id}"
        with self.ctx.store.read() as conn:
            found = conn.execute(select(xs.executions.c.id).where(xs.executions.c.execution_name == name)).first()
        if found is not None:
            return LaunchedChild(
                identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name=name), None
            )
        launched = super().launch_child(launch)
        assert launched.run is not None
        launched.run.spec.metadata.parent_node_execution.CopyFrom(parent)  # as CreateExecution records a child
        return launched


@pytest.fixture
def restart(make_ctx: Callable[..., AdminContext], tmp_path: Path) -> Iterator[Callable[[], ResumingHarness]]:
    """``restart()``: a new harness (a new engine, started) over one store and state directory; the one before is
    stopped first, as the admin stops. Every harness made is stopped after the test."""
    config = AdminConfig(state_dir=tmp_path / "state", task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5)
    ctx = make_ctx(config)
    made: list[ResumingHarness] = []

    def make() -> ResumingHarness:
        if made:
            made[-1].engine.stop()
        harness = ResumingHarness(ctx, tmp_path / "marks")
        harness.children["resume_sleeps_lp"] = compile_entity(rw.sleeps)
        harness._names = len(made) * 100  # new runs of a later harness get names of their own
        harness.engine.start()
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.engine.stop()


def _phases(harness: Harness, eid: Any) -> dict[str, str]:
    with harness.ctx.store.read() as conn:
        rows = conn.execute(select(xs.node_executions).where(xs.node_executions.c.execution_name == eid.name)).all()
    return {row.node_id: row.phase for row in rows}


def _attempts(harness: Harness, eid: Any, node_id: str) -> list[Any]:
    with harness.ctx.store.read() as conn:
        return list(
            conn.execute(
                select(xs.task_executions)
                .where(xs.task_executions.c.execution_name == eid.name, xs.task_executions.c.node_id == node_id)
                .order_by(xs.task_executions.c.retry_attempt)
            )
        )


def _wait_end(harness: Harness, eid: Any) -> str:
    assert harness.engine.wait(eid, WAIT), "the resumed run did not end in time"
    return harness.execution(eid)[0]


def test_a_stopped_run_resumes_without_running_the_finished_task_again(restart: Callable[[], Harness]) -> None:
    first = restart()
    eid = first.start(compile_entity(rw.three_steps), ints(x=29))  # sleepy sleeps (29 + 1) / 10 = 3 s
    eventually(lambda: first.marked("sleepy") and "RUNNING" in first.tap.task_phases(eid.name, "n1", 0))
    assert len(first.marked("add_one")) == 1

    second = restart()
    assert _wait_end(second, eid) == "SUCCEEDED"
    assert output(second.outputs(eid)) == 60
    assert len(second.marked("add_one")) == 1  # not run again
    assert sorted(m["attempt"] for m in second.marked("sleepy")) == [0, 1]
    assert len(second.marked("double")) == 1
    # The second engine said nothing of n0 and did not queue the run or n1 again.
    assert second.tap.node_events(eid.name, "n0") == []
    assert second.tap.workflow_phases(eid.name) == ["SUCCEEDED"]
    assert second.tap.node_phases(eid.name, "n1") == ["SUCCEEDED"]
    interrupted, again = _attempts(second, eid, "n1")
    assert (interrupted.phase, again.phase, again.retry_attempt) == ("FAILED", "SUCCEEDED", 1)
    error = task_execution_pb2.TaskExecutionClosure.FromString(interrupted.closure).error
    assert error.code == INTERRUPTED_CODE and error.kind == core_execution_pb2.ExecutionError.SYSTEM
    assert second.tap.task_phases(eid.name, "n1", 0) == ["FAILED"]
    assert [a.retry_attempt for a in _attempts(second, eid, "n0")] == [0]
    first.no_refusals()
    second.no_refusals()


def test_an_interrupted_attempt_does_not_use_up_the_retries(restart: Callable[[], Harness]) -> None:
    # sleepy has no retries: its interrupted attempts are system failures, counted apart, up to three.
    harness = restart()
    eid = harness.start(compile_entity(wf.long_sleep), ints(x=600))
    for attempt in range(3):
        running = harness
        eventually(lambda: "RUNNING" in running.tap.task_phases(eid.name, "n0", attempt))  # noqa: B023
        harness = restart()
    assert _wait_end(harness, eid) == "FAILED"
    error = harness.error(eid)
    assert error.code == f"RetriesExhausted|{INTERRUPTED_CODE}"
    assert error.message.startswith("[3/3] currentAttempt done. Last Error: SYSTEM::the admin stopped")
    assert [a.phase for a in _attempts(harness, eid, "n0")] == ["FAILED"] * 3
    harness.no_refusals()


def test_a_sleep_keeps_its_deadline_across_a_restart(restart: Callable[[], Harness]) -> None:
    first = restart()
    eid = first.start(compile_entity(rw.sleeps_then_adds), ints(x=1))
    eventually(lambda: "RUNNING" in first.tap.node_phases(eid.name, "n0"))
    started = first.tap.node_events(eid.name, "n0")[-1].occurred_at.ToNanoseconds() / 1e9
    time.sleep(1.0)

    second = restart()
    assert _wait_end(second, eid) == "SUCCEEDED"
    assert output(second.outputs(eid)) == 2
    (ended,) = second.tap.node_events(eid.name, "n0")
    assert NODE.Phase.Name(ended.phase) == "SUCCEEDED"
    # Four seconds after the recorded start, not four seconds after the restart.
    assert 4.0 <= ended.occurred_at.ToNanoseconds() / 1e9 - started < 5.0
    first.no_refusals()
    second.no_refusals()


def test_a_signal_gate_keeps_waiting_and_set_signal_releases_it(restart: Callable[[], Harness]) -> None:
    first = restart()
    eid = first.start(compile_entity(rw.waits_for_a_number), ints(x=1))
    eventually(lambda: "RUNNING" in first.tap.node_phases(eid.name, "n0"))

    second = restart()
    time.sleep(0.5)
    assert _phases(second, eid)["n0"] == "RUNNING"
    assert second.engine.is_running(eid)
    value = literals_pb2.Literal()
    value.scalar.primitive.integer = 41
    signal_id = identifier_pb2.SignalIdentifier(signal_id="bump", execution_id=eid)
    # The admin's own SignalManager, whose SetSignal wakes the engine's gate nodes.
    second.port.real._signals.set_signal(signal_pb2.SignalSetRequest(id=signal_id, value=value))
    assert _wait_end(second, eid) == "SUCCEEDED"
    assert output(second.outputs(eid)) == 42
    assert second.tap.node_phases(eid.name, "n0") == ["SUCCEEDED"]
    first.no_refusals()
    second.no_refusals()


def test_a_signal_gate_keeps_its_timeout_across_a_restart(restart: Callable[[], Harness]) -> None:
    first = restart()
    eid = first.start(compile_entity(rw.waits_briefly), ints(x=1))
    eventually(lambda: "RUNNING" in first.tap.node_phases(eid.name, "n0"))
    started = first.tap.node_events(eid.name, "n0")[-1].occurred_at.ToNanoseconds() / 1e9
    time.sleep(2.0)

    second = restart()
    assert _wait_end(second, eid) == "FAILED"
    (ended,) = second.tap.node_events(eid.name, "n0")
    assert ended.error.code == "RetriesExhausted|TimeoutExpired"
    # Four seconds after the recorded start, not four seconds after the restart.
    assert 4.0 <= ended.occurred_at.ToNanoseconds() / 1e9 - started < 5.5
    first.no_refusals()
    second.no_refusals()


def test_a_launch_plan_node_keeps_its_one_child(restart: Callable[[], Harness]) -> None:
    first = restart()
    eid = first.start(compile_entity(rw.calls_a_sleeper), ints(x=29))
    eventually(lambda: first.marked("sleepy"))
    child = identifier_pb2.WorkflowExecutionIdentifier(project=eid.project, domain=eid.domain, name=f"{eid.name}-n0")
    assert first.execution(child)[0] == "RUNNING"

    second = restart()
    assert _wait_end(second, eid) == "SUCCEEDED"
    assert output(second.outputs(eid)) == 30
    assert output(second.outputs(child)) == 29
    with second.ctx.store.read() as conn:
        names = conn.execute(select(xs.executions.c.execution_name)).scalars().all()
    assert sorted(names) == sorted([eid.name, child.name])  # one child, resumed, not launched anew
    assert len(first.child_launches) == 1 and second.child_launches == []
    assert second.tap.node_phases(eid.name, "n0") == ["SUCCEEDED"]
    assert sorted(m["attempt"] for m in second.marked("sleepy")) == [0, 1]
    first.no_refusals()
    second.no_refusals()


def test_a_child_whose_parent_does_not_go_on_is_aborted(restart: Callable[[], Harness]) -> None:
    first = restart()
    eid = first.start(compile_entity(rw.calls_a_sleeper), ints(x=600))
    eventually(lambda: first.marked("sleepy"))
    child = identifier_pb2.WorkflowExecutionIdentifier(project=eid.project, domain=eid.domain, name=f"{eid.name}-n0")
    first.blobs.path_of(f"{run_prefix(eid)}/run.pb").unlink()  # the parent cannot be resumed

    second = restart()
    assert second.execution(eid)[0] == "FAILED"
    assert second.execution(child)[0] == "ABORTED"
    assert _phases(second, child)["n0"] == "ABORTED"
    assert not second.engine.is_running(child)
    second.no_refusals()


def test_runs_that_cannot_go_on_are_ended(restart: Callable[[], Harness]) -> None:
    first = restart()
    kept = first.start(compile_entity(wf.long_sleep), ints(x=600))
    lost = first.start(compile_entity(wf.long_sleep), ints(x=600))
    eventually(lambda: len(first.marked("sleepy")) == 2)
    # An admin that kept no request for ``lost`` (an older one, or a failed write): nothing says what to run.
    first.blobs.path_of(f"{run_prefix(lost)}/run.pb").unlink()
    # A run being aborted when the admin stopped ends as TerminateExecution asked.
    with first.ctx.store.begin() as conn:
        conn.execute(xs.executions.update().where(xs.executions.c.execution_name == kept.name).values(phase="ABORTING"))

    second = restart()
    phase, closure = second.execution(lost)
    assert phase == "FAILED"
    assert (closure.error.code, closure.error.message) == ("AdminRestarted", RESTART_MESSAGE)
    assert _phases(second, lost)["n0"] == "FAILED"
    assert second.execution(kept)[0] == "ABORTED"
    assert _phases(second, kept)["n0"] == "ABORTED"
    assert not second.engine.is_running(lost) and not second.engine.is_running(kept)
    second.no_refusals()


def test_without_a_state_directory_nothing_is_resumed(make_ctx: Callable[..., AdminContext], tmp_path: Path) -> None:
    ctx = make_ctx(AdminConfig(task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5))
    first = Harness(ctx, tmp_path / "marks")
    first.engine.start()
    eid = first.start(compile_entity(wf.long_sleep), ints(x=600))
    eventually(lambda: first.marked("sleepy"))
    first.engine.stop()
    second = Harness(ctx, tmp_path / "marks")
    second.engine.start()
    try:
        assert second.execution(eid)[0] == "FAILED"
        assert not second.engine.is_running(eid)
    finally:
        second.engine.stop()


@pytest.mark.parametrize("full_state", [True, False], ids=["full-state", "minimal-state"])
def test_an_array_node_resumes_its_unfinished_elements(restart: Callable[[], Harness], full_state: bool) -> None:
    closure = compile_map(mw.throttled)  # two elements at once
    (array,) = [n for n in closure.primary.template.nodes if n.HasField("array_node")]
    if full_state:
        array.array_node.execution_mode = workflow_pb2.ArrayNode.FULL_STATE
    first = restart()
    eid = first.start(closure, int_list("xs", [1, 30, 1]))  # element 1 naps 3 s; 0 and 2 end at once

    def ended(index: int) -> bool:
        if full_state:  # on record, not only done: an element stopped before its end was recorded runs again
            return first.tap.node_phases(eid.name, f"n0-0-n{index}")[-1:] == ["SUCCEEDED"]
        return any(m["index"] == index and "end" in m for m in first.marked("nap"))

    eventually(lambda: ended(0) and ended(2) and any(m["index"] == 1 for m in first.marked("nap")))
    second = restart()
    assert _wait_end(second, eid) == "SUCCEEDED"
    assert values(second.outputs(eid).literals["o0"]) == [1, 30, 1]
    version = max(e.phase_version for e in first.tap.task_events(eid.name, "n0") if e.phase == TASK.RUNNING)
    later = [e for e in second.tap.task_events(eid.name, "n0") if e.phase == TASK.RUNNING]
    assert later and min(e.phase_version for e in later) > version  # the array's one attempt goes on
    assert not [e for e in second.tap.task_events(eid.name, "n0") if e.phase == TASK.QUEUED]
    if full_state:
        # Elements that ended are kept; the interrupted one runs again as its next attempt.
        assert sorted((m["index"], m["attempt"]) for m in second.marked("nap")) == [(0, 0), (1, 0), (1, 1), (2, 0)]
        assert second.tap.node_events(eid.name, "n0-0-n0") == []
        assert second.tap.task_phases(eid.name, "n0-0-n1", 0) == ["FAILED"]
    first.no_refusals()
    second.no_refusals()


# ----------------------------------------------------------------------------------------------------------------
# Events the store cannot take


def _store_read_only(ctx: AdminContext, read_only: bool) -> None:
    """Make SQLite refuse every write ("attempt to write a readonly database"), or take writes again.

    Set outside a write transaction: writes open with BEGIN IMMEDIATE, which a query-only connection refuses. The
    in-memory store has one connection, so this is the writers' connection."""
    with ctx.store.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")


def test_events_the_store_refuses_for_a_while_are_recorded_once_it_takes_them(
    make_ctx: Callable[..., AdminContext], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = make_ctx(AdminConfig(task_pythonpath=(str(REPO),)))
    harness = Harness(ctx, tmp_path / "marks")
    harness.engine.start()
    try:
        eid = harness.start(compile_entity(rw.three_steps), ints(x=9))  # sleepy sleeps 1 s
        eventually(lambda: harness.marked("sleepy"))
        _store_read_only(ctx, True)  # nothing can be written when sleepy ends
        eventually(lambda: "end" in harness.marked("sleepy")[0])
        time.sleep(1.5)
        # The run waits for its event (it never gets ahead of its records): still running, double not started.
        assert harness.execution(eid)[0] == "RUNNING"
        assert harness.engine.is_running(eid)
        assert harness.marked("double") == []
        _store_read_only(ctx, False)
        assert harness.engine.wait(eid, WAIT)
        assert harness.execution(eid)[0] == "SUCCEEDED"
        assert output(harness.outputs(eid)) == 20
        assert set(_phases(harness, eid).values()) == {"SUCCEEDED"}
        assert [a.phase for a in _attempts(harness, eid, "n1")] == ["SUCCEEDED"]  # recorded once, not run again
        assert "readonly database" in caplog.text and "recorded after" in caplog.text  # retried, then recorded
        harness.no_refusals()
    finally:
        harness.engine.stop()


class Recorder:
    """Fails ``failures`` times with ``error``, then records."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.tries = 0
        self.recorded: list[tuple[Any, str]] = []

    def _record(self, event: Any, request_id: str = "") -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error
        self.recorded.append((event, request_id))

    record_workflow_event = record_node_event = record_task_event = _record


def _eid() -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n")


def test_the_emitter_retries_with_growing_pauses_until_the_event_is_recorded() -> None:
    recorder = Recorder(6, OSError("database is locked"))
    pauses: list[float] = []
    emitter = Emitter(recorder, lambda: False, sleep=pauses.append)
    assert emitter.workflow(_eid(), WF.SUCCEEDED, output_uri="file:///o") is True
    assert recorder.tries == 7
    ((event, request_id),) = recorder.recorded
    assert event.phase == WF.SUCCEEDED and event.output_uri == "file:///o"
    assert request_id  # one request id for every try of the event
    assert pauses == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]
    many = Recorder(20, OSError("disk full"))
    pauses.clear()
    assert Emitter(many, lambda: False, sleep=pauses.append).node(event_pb2.NodeExecutionEvent(phase=NODE.RUNNING))
    assert max(pauses) == 2.0 and pauses[-1] == 2.0


def test_the_emitter_drops_what_the_admin_refuses_and_gives_up_once_halted() -> None:
    refused = Recorder(1, already_exists("This phase was already recorded"))
    assert Emitter(refused, lambda: False, sleep=lambda _: None).task(event_pb2.TaskExecutionEvent()) is False
    assert refused.tries == 1  # a refusal is Flyte Admin's answer: never retried
    halted = threading.Event()
    failing = Recorder(1_000_000, OSError("disk full"))

    def pause(_: float) -> None:
        if failing.tries >= 3:
            halted.set()  # the engine stops while the event waits

    assert Emitter(failing, halted.is_set, sleep=pause).workflow(_eid(), WF.RUNNING) is False
    assert failing.tries == 3 and failing.recorded == []
    # A halted engine sends nothing, except what it forces (the settling of runs at start): tried once at least.
    stopped = Recorder(0, OSError())
    assert Emitter(stopped, lambda: True).workflow(_eid(), WF.FAILED) is False and stopped.tries == 0
    assert Emitter(stopped, lambda: True).workflow(_eid(), WF.FAILED, force=True) is True


# ----------------------------------------------------------------------------------------------------------------
# A dynamic node, through the admin (pyflyte-execute writes the dynamic spec)


def test_a_dynamic_node_resumes_its_children_without_running_the_task_again(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5)
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="naps"
    )
    with AdminServer(state, config=config) as first:
        remote = FlyteRemote(Config.for_endpoint(first.endpoint, insecure=True), PROJECT, DOMAIN)
        registered = remote.register_workflow(dw.naps_wf, serialization_settings=settings, version="naps")
        eid = remote.execute(registered, inputs={"n": 2, "seconds": 6}).id.to_flyte_idl()
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(first.endpoint))

        def naps_running() -> bool:
            try:
                kids = dyn.children(stub, eid, "n0")
            except grpc.RpcError:
                return False
            naps = [k for k in kids.values() if k.metadata.spec_node_id.startswith("dn")]
            return len(naps) == 2 and all(
                any(a.closure.phase == TASK.RUNNING for a in dyn.attempts(stub, k.id)) for k in naps
            )

        eventually(naps_running, timeout=120)
    with AdminServer(state, config=config) as second:
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(second.endpoint))

        def ended() -> Any:
            got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=eid))
            return got if got.closure.phase not in (WF.RUNNING, WF.QUEUED) else None

        assert eventually(ended, timeout=120).closure.phase == WF.SUCCEEDED
        # The dynamic task ran once; each child's interrupted attempt was followed by a second one.
        parent_attempts = dyn.attempts(stub, dyn.node_id(eid, "n0"))
        assert [a.closure.phase for a in parent_attempts] == [TASK.SUCCEEDED]
        naps = [k for k in dyn.children(stub, eid, "n0").values() if k.metadata.spec_node_id.startswith("dn")]
        assert len(naps) == 2
        for kid in naps:
            tries = sorted(dyn.attempts(stub, kid.id), key=lambda a: a.id.retry_attempt)
            assert [a.closure.phase for a in tries] == [TASK.FAILED, TASK.SUCCEEDED]
            assert tries[0].closure.error.code == INTERRUPTED_CODE
        dyn.assert_nothing_open(stub, eid)


def test_a_launch_plan_node_keeps_its_one_child_through_the_admin(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5)
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="lp"
    )
    with AdminServer(state, config=config) as first:
        remote = FlyteRemote(Config.for_endpoint(first.endpoint, insecure=True), PROJECT, DOMAIN)
        registered = remote.register_workflow(rw.calls_a_napper, serialization_settings=settings, version="lp")
        eid = remote.execute(registered, inputs={"x": 6}).id.to_flyte_idl()
        child = identifier_pb2.WorkflowExecutionIdentifier(
            project=PROJECT, domain=DOMAIN, name=child_execution_name(eid.name, "n0")
        )
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(first.endpoint))

        def napping() -> bool:
            try:
                return any(a.closure.phase == TASK.RUNNING for a in dyn.attempts(stub, dyn.node_id(child, "n0")))
            except grpc.RpcError:  # NOT_FOUND until the child and its node exist
                return False

        eventually(napping, timeout=120)
    with AdminServer(state, config=config) as second:
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(second.endpoint))

        def ended() -> Any:
            got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=eid))
            return got if got.closure.phase not in (WF.RUNNING, WF.QUEUED) else None

        assert eventually(ended, timeout=120).closure.phase == WF.SUCCEEDED
        project = common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN)
        listed = stub.ListExecutions(common_pb2.ResourceListRequest(id=project, limit=10))
        assert sorted(e.id.name for e in listed.executions) == sorted([eid.name, child.name])  # one child
        node = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=dyn.node_id(eid, "n0")))
        assert node.closure.workflow_node_metadata.executionId == child
        assert stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=child)).closure.phase == WF.SUCCEEDED
        tries = sorted(dyn.attempts(stub, dyn.node_id(child, "n0")), key=lambda a: a.id.retry_attempt)
        assert [a.closure.phase for a in tries] == [TASK.FAILED, TASK.SUCCEEDED]
        dyn.assert_nothing_open(stub, eid)


def test_a_kept_request_reads_back_whole_or_not_at_all(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    eid = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="kept")
    closure = compile_entity(rw.three_steps)
    spec = execution_pb2.ExecutionSpec(max_parallelism=3)
    source = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="source")
    save_run(blobs, RunRequest(eid, closure, ints(x=1), spec, source))
    kept = load_run(blobs, eid)
    assert kept == RunRequest(eid, closure, ints(x=1), spec, source)
    save_run(blobs, RunRequest(eid, closure, ints(x=1), spec))
    assert load_run(blobs, eid) == RunRequest(eid, closure, ints(x=1), spec, None)
    missing = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="missing")
    assert load_run(blobs, missing) is None
    blobs.put(f"{run_prefix(eid)}/run.pb", b"\xff not a literal map")
    assert load_run(blobs, eid) is None  # unreadable: the run is ended, not resumed with half a request
    blobs.put(f"{run_prefix(eid)}/run.pb", literals_pb2.LiteralMap().SerializeToString())
    assert load_run(blobs, eid) is None
