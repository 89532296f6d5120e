"""The scheduler fires active launch plans' schedules through CreateExecution, on a real admin over gRPC.

One test runs in real time (an ``@every 1s`` cron schedule, then deactivation); the catch-up tests give a second
scheduler over the same store a clock minutes ahead, so that missed times are due without waiting for them.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, schedule_pb2, task_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2, workflow_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.domain.schedules import execution_name
from flyteplane.admin.services.scheduler import Scheduler
from flyteplane.admin.store.schedules import ScheduleRepository

PROJECT, DOMAIN = "flytesnacks", "development"
UTC = _dt.UTC
# A task that only honors the container contract: an empty outputs.pb under {{.outputPrefix}}.
NOOP = "import os, sys; os.makedirs(sys.argv[1], exist_ok=True); open(os.path.join(sys.argv[1], 'outputs.pb'), 'wb')"
DATETIME = types_pb2.LiteralType(simple=types_pb2.DATETIME)


def _id(kind: int, name: str, version: str = "v1") -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(resource_type=kind, project=PROJECT, domain=DOMAIN, name=name, version=version)


def _kickoff_interface() -> interface_pb2.TypedInterface:
    iface = interface_pb2.TypedInterface()
    iface.inputs.variables["kickoff"].type.CopyFrom(DATETIME)
    return iface


def register(
    stub: admin_pb2_grpc.AdminServiceStub, name: str, schedule: schedule_pb2.Schedule
) -> identifier_pb2.Identifier:
    """A one-task workflow taking ``kickoff: datetime``, and a launch plan ``name`` with ``schedule``."""
    task_id = _id(identifier_pb2.TASK, f"{name}_task")
    template = tasks_pb2.TaskTemplate(id=task_id, type="raw-container", interface=_kickoff_interface())
    template.metadata.runtime.type = tasks_pb2.RuntimeMetadata.FLYTE_SDK
    template.metadata.runtime.version = "1.16.0"
    template.container.image = "local"
    template.container.command.extend([sys.executable, "-c", NOOP, "{{.outputPrefix}}"])
    stub.CreateTask(task_pb2.TaskCreateRequest(id=task_id, spec=task_pb2.TaskSpec(template=template)), timeout=10)

    wf_id = _id(identifier_pb2.WORKFLOW, f"{name}_wf")
    wf = workflow_pb2.WorkflowTemplate(id=wf_id, interface=_kickoff_interface())
    node = wf.nodes.add(id="n0")
    node.metadata.name = "t"
    node.task_node.reference_id.CopyFrom(task_id)
    binding = node.inputs.add(var="kickoff")
    binding.binding.promise.node_id = "start-node"
    binding.binding.promise.var = "kickoff"
    stub.CreateWorkflow(
        admin_workflow_pb2.WorkflowCreateRequest(id=wf_id, spec=admin_workflow_pb2.WorkflowSpec(template=wf)),
        timeout=10,
    )

    lp_id = _id(identifier_pb2.LAUNCH_PLAN, name)
    spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=wf_id)
    spec.default_inputs.parameters["kickoff"].var.type.CopyFrom(DATETIME)
    if schedule.kickoff_time_input_arg and schedule.HasField("cron_schedule"):
        spec.default_inputs.parameters["kickoff"].required = True
    else:  # only cron schedules set the kickoff input: a fixed rate's launch plan needs a default
        spec.default_inputs.parameters["kickoff"].default.scalar.primitive.datetime.FromSeconds(0)
    spec.entity_metadata.schedule.CopyFrom(schedule)
    stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=lp_id, spec=spec), timeout=10)
    return lp_id


def set_state(stub: admin_pb2_grpc.AdminServiceStub, lp_id: identifier_pb2.Identifier, state: int) -> None:
    stub.UpdateLaunchPlan(launch_plan_pb2.LaunchPlanUpdateRequest(id=lp_id, state=state), timeout=10)


def scheduled_executions(stub: admin_pb2_grpc.AdminServiceStub, lp_name: str) -> list[execution_pb2.Execution]:
    request = common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=1000
    )
    found = stub.ListExecutions(request, timeout=10).executions
    return [
        e
        for e in found
        if e.spec.launch_plan.name == lp_name and e.spec.metadata.mode == execution_pb2.ExecutionMetadata.SCHEDULED
    ]


def cron(expression: str) -> schedule_pb2.Schedule:
    return schedule_pb2.Schedule(
        cron_schedule=schedule_pb2.CronSchedule(schedule=expression), kickoff_time_input_arg="kickoff"
    )


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[AdminServer]:
    with AdminServer(state_dir=tmp_path / "state") as server:
        yield server


@pytest.fixture
def stub(admin: AdminServer) -> Iterator[admin_pb2_grpc.AdminServiceStub]:
    with grpc.insecure_channel(admin.endpoint) as channel:
        yield admin_pb2_grpc.AdminServiceStub(channel)


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_an_active_schedule_fires_on_time_and_stops_when_deactivated(stub: admin_pb2_grpc.AdminServiceStub) -> None:
    lp_id = register(stub, "every_second", cron("@every 1s"))
    time.sleep(1.5)
    assert scheduled_executions(stub, "every_second") == []  # registered launch plans are INACTIVE: no firing

    set_state(stub, lp_id, launch_plan_pb2.ACTIVE)
    _wait_for(lambda: len(scheduled_executions(stub, "every_second")) >= 3)
    set_state(stub, lp_id, launch_plan_pb2.INACTIVE)
    time.sleep(0.5)  # a firing already past its last check may still land
    fired = scheduled_executions(stub, "every_second")
    time.sleep(2.5)
    assert len(scheduled_executions(stub, "every_second")) == len(fired)

    times = sorted(e.spec.metadata.scheduled_at.ToDatetime(tzinfo=UTC) for e in fired)
    assert all(b - a == _dt.timedelta(seconds=1) for a, b in itertools.pairwise(times))
    for e in fired:
        moment = e.spec.metadata.scheduled_at.ToDatetime(tzinfo=UTC)
        assert e.id.name == execution_name(lp_id, moment)
        assert e.spec.launch_plan.name == "every_second"
    # The kickoff input is the scheduled time, and the executions really run.
    got = stub.GetExecutionData(
        execution_pb2.WorkflowExecutionGetDataRequest(id=fired[0].id), timeout=10
    ).full_inputs.literals["kickoff"]
    assert got.scalar.primitive.datetime == fired[0].spec.metadata.scheduled_at
    _wait_for(
        lambda: (
            stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=fired[0].id), timeout=10).closure.phase == 4
        )  # SUCCEEDED
    )


def test_missed_times_are_caught_up_once_even_across_restarts(tmp_path: Path) -> None:
    # The admin's own scheduler is off: only the schedulers made here, with their clocks, fire.
    config = AdminConfig(seed_projects=(PROJECT,), state_dir=tmp_path, scheduler=False)
    with AdminServer(config=config) as admin, grpc.insecure_channel(admin.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        assert admin.services is not None
        store, create = admin.services.context.store, admin.services.executions.create_execution
        lp_id = register(stub, "every_minute", cron("* * * * *"))
        rate = schedule_pb2.Schedule(rate=schedule_pb2.FixedRate(value=1, unit=schedule_pb2.MINUTE))
        fixed = register(stub, "fixed_rate", rate)
        set_state(stub, lp_id, launch_plan_pb2.ACTIVE)
        set_state(stub, fixed, launch_plan_pb2.ACTIVE)
        activated = {p.id.name: p.activated_at.replace(tzinfo=UTC) for p in ScheduleRepository(store).active()}
        start = max(activated.values())

        def clock(minutes: int):  # type: ignore[no-untyped-def]
            return lambda: start + _dt.timedelta(minutes=minutes)

        # Three minutes later (as after an admin that was down): each missed time fires once, oldest first.
        ahead = Scheduler(ScheduleRepository(store), create, clock=clock(3))
        ahead.run_pass()
        every_minute = scheduled_executions(stub, "every_minute")
        minute_marks = int((start + _dt.timedelta(minutes=3)).timestamp() // 60)
        assert len(every_minute) == minute_marks - int(activated["every_minute"].timestamp() // 60)
        times = sorted(e.spec.metadata.scheduled_at.ToDatetime(tzinfo=UTC) for e in every_minute)
        assert all(t.second == 0 and t.microsecond == 0 for t in times)
        assert all(b - a == _dt.timedelta(minutes=1) for a, b in itertools.pairwise(times))
        # A fixed rate counts from the activation: one firing per minute after it.
        assert len(scheduled_executions(stub, "fixed_rate")) == 3
        fired = len(every_minute)

        # Another pass, and a scheduler made anew over the same store (a restart), fire nothing more.
        ahead.run_pass()
        Scheduler(ScheduleRepository(store), create, clock=clock(3)).run_pass()
        assert len(scheduled_executions(stub, "every_minute")) == fired
        assert len(scheduled_executions(stub, "fixed_rate")) == 3

        # Had the last firing not been recorded, the repeated firings are refused as duplicates by name.
        ScheduleRepository(store).record_fired(lp_id, _dt.datetime(2000, 1, 1))
        Scheduler(ScheduleRepository(store), create, clock=clock(3)).run_pass()
        assert len(scheduled_executions(stub, "every_minute")) == fired

        # A deactivated launch plan's missed times never fire; the other one's do.
        set_state(stub, lp_id, launch_plan_pb2.INACTIVE)
        Scheduler(ScheduleRepository(store), create, clock=clock(6)).run_pass()
        assert len(scheduled_executions(stub, "every_minute")) == fired
        assert len(scheduled_executions(stub, "fixed_rate")) == 6


def test_the_scheduler_can_be_turned_off() -> None:
    config = AdminConfig(seed_projects=(PROJECT,), scheduler=False)
    with AdminServer(config=config) as server, grpc.insecure_channel(server.endpoint) as channel:
        assert server.services is not None and server.services.scheduler is None
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        lp_id = register(stub, "never", cron("@every 1s"))
        set_state(stub, lp_id, launch_plan_pb2.ACTIVE)
        time.sleep(2.5)
        assert scheduled_executions(stub, "never") == []
