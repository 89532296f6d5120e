"""Executions (Flyte Admin's ``flyteadmin/pkg/manager/impl/execution_manager.go``): CreateExecution's validation,
inputs, names and rows, the
single-task ``.flytegen`` path, listing, archiving, termination, relaunch, recovery, execution data and metrics.

The unit tests drive :class:`ExecutionManager` directly with a recording stand-in for the workflow engine, and move
executions on with the real :class:`EventRecorder`, as the engine would. The gRPC tests put flytekit in front
(``FlyteRemote.execute`` of a task and of a launch plan, ``SynchronousFlyteClient``'s execution calls).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import (
    cluster_assignment_pb2,
    common_pb2,
    event_pb2,
    execution_pb2,
    launch_plan_pb2,
    matchable_resource_pb2,
    project_domain_attributes_pb2,
    task_pb2,
    workflow_pb2,
)
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, types_pb2
from flyteidl.event import event_pb2 as flyte_event_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit import LaunchPlan, task, workflow
from flytekit.clients.friendly import SynchronousFlyteClient
from flytekit.configuration import Config, PlatformConfig
from flytekit.exceptions.user import FlyteInvalidInputException
from flytekit.models import filters as flyte_filters
from flytekit.models import literals as flyte_literals
from flytekit.models.admin.common import Sort
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.common import Annotations, Labels
from flytekit.models.launch_plan import LaunchPlan as LaunchPlanModel
from flytekit.models.task import TaskSpec
from flytekit.remote import FlyteRemote
from google.protobuf import timestamp_pb2
from sqlalchemy import select
from tests.flytekit_entities import serialize

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.domain.names import child_execution_name
from flyteplane.admin.domain.validation.executions import check_and_fetch_inputs
from flyteplane.admin.engine.port import RunRequest
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers import _flytegen
from flyteplane.admin.managers._execution_launch import ExecutionCreator
from flyteplane.admin.managers._flytegen import SingleTaskWorkflows
from flyteplane.admin.managers.attributes import AttributesManager
from flyteplane.admin.managers.engine_port import EngineAdmin
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.executions import ExecutionManager
from flyteplane.admin.managers.launch_plans import LaunchPlanManager
from flyteplane.admin.managers.named_entities import NamedEntityManager
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.managers.tasks import TaskManager
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.store import schema
from flyteplane.admin.store.execution_schema import execution_tags, executions

P, D = "flytesnacks", "development"
WF = core_execution_pb2.WorkflowExecution
NODE = core_execution_pb2.NodeExecution
TASK = core_execution_pb2.TaskExecution
INVALID = grpc.StatusCode.INVALID_ARGUMENT


# --- entities (flytekit serializes them, as `pyflyte register` would) -------------------------------------------


@task
def exec_greet(name: str, times: int) -> str:
    return name * times


@workflow
def exec_greet_wf(name: str, times: int = 2) -> str:
    return exec_greet(name=name, times=times)


@task
def exec_nothing() -> int:
    return 1


@workflow
def exec_nothing_wf() -> int:
    return exec_nothing()


@task
def exec_sleepy(seconds: int) -> int:
    time.sleep(seconds)
    return seconds


@workflow
def exec_sleepy_wf(seconds: int = 120) -> int:
    return exec_sleepy(seconds=seconds)


greet_lp = LaunchPlan.get_or_create(
    exec_greet_wf,
    "exec_greet_lp",
    labels=Labels({"team": "lp-team", "lp-only": "yes"}),
    annotations=Annotations({"note": "from-lp"}),
)
greet_fixed_lp = LaunchPlan.get_or_create(exec_greet_wf, "exec_greet_fixed_lp", fixed_inputs={"times": 3})
nothing_lp = LaunchPlan.get_or_create(exec_nothing_wf, "exec_nothing_lp", max_parallelism=7)
sleepy_lp = LaunchPlan.get_or_create(exec_sleepy_wf, "exec_sleepy_lp")


def _register(ctx: AdminContext, version: str, *entities: Any) -> dict[str, identifier_pb2.Identifier]:
    """Register what flytekit serializes for ``entities`` through the registry managers; returns ids by name."""
    ids: dict[str, identifier_pb2.Identifier] = {}
    for model in serialize(version, *entities, project=P, domain=D):
        if isinstance(model, TaskSpec):
            spec = model.to_flyte_idl()
            try:
                TaskManager(ctx).create_task(task_pb2.TaskCreateRequest(id=spec.template.id, spec=spec))
            except AdminError as e:
                assert e.code == grpc.StatusCode.ALREADY_EXISTS
            ids[spec.template.id.name] = spec.template.id
        elif isinstance(model, WorkflowSpec):
            wf = model.to_flyte_idl()
            try:
                WorkflowManager(ctx).create_workflow(workflow_pb2.WorkflowCreateRequest(id=wf.template.id, spec=wf))
            except AdminError as e:
                assert e.code == grpc.StatusCode.ALREADY_EXISTS
            ids[wf.template.id.name] = wf.template.id
        elif isinstance(model, LaunchPlanModel):
            lp = model.to_flyte_idl()
            LaunchPlanManager(ctx).create_launch_plan(launch_plan_pb2.LaunchPlanCreateRequest(id=lp.id, spec=lp.spec))
            ids[lp.id.name] = lp.id
    return ids


# --- a stand-in for the workflow engine ---------------------------------------------------------------------------


@dataclass
class Launched:
    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    closure: Any
    inputs: literals_pb2.LiteralMap
    spec: execution_pb2.ExecutionSpec
    recover_from: identifier_pb2.WorkflowExecutionIdentifier | None


@dataclass
class RecordingEngine:
    """Records what the manager hands over; ``refuse`` makes launch raise it."""

    launched: list[Launched] = field(default_factory=list)
    terminated: list[tuple[str, str]] = field(default_factory=list)
    refuse: Exception | None = None

    def launch(self, request: RunRequest) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.launched.append(
            Launched(request.execution_id, request.closure, request.inputs, request.spec, request.recover_from)
        )

    def terminate(self, execution_id: Any, cause: str) -> None:
        self.terminated.append((execution_id.name, cause))

    def last(self) -> Launched:
        return self.launched[-1]


@dataclass
class Admin:
    ctx: AdminContext
    manager: ExecutionManager
    engine: RecordingEngine
    ids: dict[str, identifier_pb2.Identifier]

    def create(self, spec: execution_pb2.ExecutionSpec | None = None, **kwargs: Any) -> str:
        request = execution_pb2.ExecutionCreateRequest(project=P, domain=D, **kwargs)
        if spec is not None:
            request.spec.CopyFrom(spec)
        return self.manager.create_execution(request).id.name

    def get(self, name: str) -> execution_pb2.Execution:
        return self.manager.get_execution(execution_pb2.WorkflowExecutionGetRequest(id=exec_id(name)))

    def row(self, name: str) -> Any:
        with self.ctx.store.read() as conn:
            return conn.execute(select(executions).where(executions.c.execution_name == name)).one()

    def list(self, **kwargs: Any) -> execution_pb2.ExecutionList:
        kwargs.setdefault("limit", 100)
        return self.manager.list_executions(
            common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), **kwargs)
        )


@pytest.fixture
def admin(ctx: AdminContext) -> Admin:
    ids = _register(ctx, "v1", greet_lp, greet_fixed_lp, nothing_lp)
    engine = RecordingEngine()
    return Admin(ctx, _manager(ctx, engine), engine, ids)


def _creator(ctx: AdminContext) -> ExecutionCreator:
    """CreateExecution's pipeline over ``ctx``, wired as :mod:`flyteplane.admin.wiring` wires it."""
    return ExecutionCreator(ctx, single_tasks=SingleTaskWorkflows(ctx.store, WorkflowManager(ctx).create_workflow))


def _manager(ctx: AdminContext, engine: RecordingEngine) -> ExecutionManager:
    return ExecutionManager(ctx, creator=_creator(ctx), engine=engine, workflows=WorkflowManager(ctx))


def exec_id(name: str) -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name=name)


def lp_spec(admin: Admin, name: str = "exec_greet_lp", **kwargs: Any) -> execution_pb2.ExecutionSpec:
    return execution_pb2.ExecutionSpec(launch_plan=admin.ids[name], **kwargs)


def string(value: str) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=value)))


def integer(value: int) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=value)))


def inputs(**values: literals_pb2.Literal) -> literals_pb2.LiteralMap:
    return literals_pb2.LiteralMap(literals=values)


def now_ts(offset_s: float = 0.0) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=offset_s))
    return ts


def record_phases(ctx: AdminContext, name: str, *phases: int, at: float = 0.0, **result: Any) -> None:
    """Move an execution on as the engine does, through the recorder; ``result`` goes on the last event, ``at``
    shifts the events' times (seconds from now)."""
    recorder = EventRecorder(ctx)
    for index, phase in enumerate(phases):
        event = flyte_event_pb2.WorkflowExecutionEvent(
            execution_id=exec_id(name), phase=phase, producer_id="propeller", occurred_at=now_ts(at + index * 0.001)
        )
        if index == len(phases) - 1:
            for key, value in result.items():
                getattr(event, key).CopyFrom(value)
        recorder.record_workflow_event(event)


def expect(code: grpc.StatusCode, message: str, fn: Callable[[], Any]) -> AdminError:
    with pytest.raises(AdminError) as info:
        fn()
    assert (info.value.code, info.value.message) == (code, message)
    return info.value


# --- CreateExecution: validation, in Flyte Admin's order ----------------------------------------------------------


def test_request_validation_messages(admin: Admin, add_project: Callable[..., None]) -> None:
    good = lp_spec(admin)
    create = admin.manager.create_execution
    cases: list[tuple[execution_pb2.ExecutionCreateRequest, str]] = [
        (execution_pb2.ExecutionCreateRequest(domain=D, spec=good), "missing project"),
        (execution_pb2.ExecutionCreateRequest(project=P, spec=good), "missing domain"),
        (
            execution_pb2.ExecutionCreateRequest(project=P, domain=D, name="9lives", spec=good),
            "invalid name format: 9lives, does not match regex '^[a-z][a-z\\-0-9]*$'",
        ),
        (
            execution_pb2.ExecutionCreateRequest(project=P, domain=D, name="has_underscore", spec=good),
            "invalid name format: has_underscore, does not match regex '^[a-z][a-z\\-0-9]*$'",
        ),
        (
            execution_pb2.ExecutionCreateRequest(project=P, domain=D, name="A" * 64, spec=good),
            f"size of name exceeded length 63 : {'a' * 64}",
        ),
        (
            execution_pb2.ExecutionCreateRequest(project="nope", domain=D, spec=good),
            "failed to validate that project [nope] and domain [development] are registered, err: "
            "[project [nope] not found]",
        ),
        (
            execution_pb2.ExecutionCreateRequest(project="archived", domain=D, spec=good),
            "project [archived] is not active",
        ),
        (
            execution_pb2.ExecutionCreateRequest(project=P, domain="qa", spec=good),
            "domain [qa] is unrecognized by system",
        ),
        (execution_pb2.ExecutionCreateRequest(project=P, domain=D), "missing spec"),
        (execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=execution_pb2.ExecutionSpec()), "missing id"),
    ]
    for field_name in ("project", "domain", "name", "version"):
        spec = execution_pb2.ExecutionSpec()
        spec.CopyFrom(good)
        setattr(spec.launch_plan, field_name, "")
        cases.append((execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=spec), f"missing {field_name}"))
    workflow_ref = execution_pb2.ExecutionSpec()
    workflow_ref.CopyFrom(good)
    workflow_ref.launch_plan.resource_type = identifier_pb2.WORKFLOW
    cases.append(
        (
            execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=workflow_ref),
            "Invalid reference entity resource type [WORKFLOW], only [map[TASK:<nil> LAUNCH_PLAN:<nil>]] allowed",
        )
    )
    empty_literal = execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=good)
    empty_literal.inputs.literals["name"].SetInParent()
    cases.append((empty_literal, "missing valid literal in inputs name"))
    bad_phase = execution_pb2.ExecutionSpec()
    bad_phase.CopyFrom(good)
    bad_phase.notifications.notifications.add(
        phases=[WF.RUNNING], email=common_pb2.EmailNotification(recipients_email=["a@b.c"])
    )
    cases.append((execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=bad_phase), "invalid value for phase"))
    bad_label = execution_pb2.ExecutionSpec()
    bad_label.CopyFrom(good)
    bad_label.labels.values["bad key!"] = "v"
    cases.append(
        (
            execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=bad_label),
            "invalid label key [bad key!]: [name part must consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
            "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]",
        )
    )
    for request, message in cases:
        error = expect(INVALID, message, lambda r=request: create(r))  # type: ignore[misc]
        assert error.code == INVALID
    assert admin.engine.launched == []
    with admin.ctx.store.read() as conn:
        assert conn.execute(select(executions.c.id)).all() == []


def test_missing_launch_plan_task_and_workflow_are_not_found(admin: Admin) -> None:
    missing = identifier_pb2.Identifier(
        resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name="nope", version="v9"
    )
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type LAUNCH_PLAN with identifier project:"flytesnacks" domain:"development" name:"nope" '
        'version:"v9"',
        lambda: admin.create(execution_pb2.ExecutionSpec(launch_plan=missing)),
    )
    missing.resource_type = identifier_pb2.TASK
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type TASK with identifier project:"flytesnacks" domain:"development" name:"nope" '
        'version:"v9"',
        lambda: admin.create(execution_pb2.ExecutionSpec(launch_plan=missing)),
    )


# --- inputs -------------------------------------------------------------------------------------------------------


def test_inputs_unknown_missing_wrong_type_and_fixed(admin: Admin) -> None:
    expect(
        INVALID,
        "invalid input nickname",
        lambda: admin.create(lp_spec(admin), inputs=inputs(name=string("x"), nickname=string("y"))),
    )
    expect(INVALID, "expected_inputs name missing", lambda: admin.create(lp_spec(admin)))
    expect(
        INVALID,
        "invalid times input wrong type. Expected simple:INTEGER, but got simple:STRING",
        lambda: admin.create(lp_spec(admin), inputs=inputs(name=string("x"), times=string("3"))),
    )
    # A fixed input is not an expected one, so a user value for it is an unknown input, as in Flyte Admin...
    expect(
        INVALID,
        "invalid input times",
        lambda: admin.create(lp_spec(admin, "exec_greet_fixed_lp"), inputs=inputs(name=string("x"), times=integer(1))),
    )
    assert admin.engine.launched == []
    # ...and the override check only bites when a launch plan lists a name as both expected and fixed.
    expected = interface_pb2.ParameterMap()
    expected.parameters["times"].var.type.simple = types_pb2.INTEGER
    expected.parameters["times"].required = True
    expect(
        INVALID,
        "fixed_inputs times cannot be overridden",
        lambda: check_and_fetch_inputs(inputs(times=integer(1)), inputs(times=integer(2)), expected),
    )


def test_defaults_and_fixed_inputs_are_applied(admin: Admin) -> None:
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("hi")))
    assert dict(admin.engine.last().inputs.literals) == {"name": string("hi"), "times": integer(2)}
    fixed = admin.create(lp_spec(admin, "exec_greet_fixed_lp"), inputs=inputs(name=string("yo")))
    assert dict(admin.engine.last().inputs.literals) == {"name": string("yo"), "times": integer(3)}

    # The full inputs and the user's own are both offloaded; GetExecutionData returns the full ones.
    blobs = admin.ctx.blobs
    row = admin.row(fixed)
    assert row.inputs_uri == blobs.native_url(f"metadata/{P}/{D}/{fixed}/inputs")
    assert row.user_inputs_uri == blobs.native_url(f"metadata/{P}/{D}/{fixed}/user_inputs")
    user = literals_pb2.LiteralMap.FromString(blobs.get(f"metadata/{P}/{D}/{fixed}/user_inputs"))
    assert dict(user.literals) == {"name": string("yo")}
    data = admin.manager.get_execution_data(execution_pb2.WorkflowExecutionGetDataRequest(id=exec_id(fixed)))
    assert dict(data.full_inputs.literals) == {"name": string("yo"), "times": integer(3)}
    assert data.HasField("inputs") and data.HasField("outputs") and data.inputs.url == ""
    assert data.full_outputs == literals_pb2.LiteralMap()
    assert name != fixed


def test_deprecated_spec_inputs_are_used_when_inputs_are_empty(admin: Admin) -> None:
    spec = lp_spec(admin)
    spec.inputs.literals["name"].CopyFrom(string("old-client"))
    admin.create(spec)
    assert admin.engine.last().inputs.literals["name"] == string("old-client")


# --- names --------------------------------------------------------------------------------------------------------


def test_generated_and_given_names(admin: Admin) -> None:
    generated = {admin.create(lp_spec(admin), inputs=inputs(name=string("a"))) for _ in range(5)}
    assert len(generated) == 5
    assert all(re.fullmatch(r"a[bcdfghjklmnpqrstvwxz2456789]{19}", n) for n in generated)
    # The name is checked lowercased but kept as sent.
    assert admin.create(lp_spec(admin), name="MyRun-1", inputs=inputs(name=string("a"))) == "MyRun-1"
    assert admin.get("MyRun-1").id.name == "MyRun-1"
    assert admin.create(lp_spec(admin), name="x" * 63, inputs=inputs(name=string("a"))) == "x" * 63


def test_duplicate_name_is_already_exists_and_keeps_the_original(admin: Admin) -> None:
    admin.create(lp_spec(admin), name="twice", inputs=inputs(name=string("first")))
    expect(
        grpc.StatusCode.ALREADY_EXISTS,
        'value with matching already exists (duplicate key value violates unique constraint "executions_pkey")',
        lambda: admin.create(lp_spec(admin), name="twice", inputs=inputs(name=string("second"))),
    )
    data = admin.manager.get_execution_data(execution_pb2.WorkflowExecutionGetDataRequest(id=exec_id("twice")))
    assert data.full_inputs.literals["name"] == string("first")
    assert len(admin.engine.launched) == 1


# --- the row, spec and closure ---------------------------------------------------------------------------------


def test_created_execution_row_spec_and_closure(admin: Admin) -> None:
    spec = lp_spec(admin)
    spec.metadata.principal = "placeholder"  # flytekit sends this; Flyte Admin replaces it
    spec.metadata.mode = execution_pb2.ExecutionMetadata.MANUAL
    name = admin.create(spec, name="row-check", inputs=inputs(name=string("a")))
    execution = admin.get(name)
    row = admin.row(name)

    assert execution.id == exec_id(name)
    assert execution.spec.launch_plan == admin.ids["exec_greet_lp"]
    assert execution.spec.metadata.principal == ""
    assert execution.spec.metadata.system_metadata == execution_pb2.SystemMetadata(namespace=f"{P}-{D}")
    assert execution.spec.max_parallelism == 25  # the server default
    assert execution.spec.HasField("security_context") and execution.spec.security_context.HasField("run_as")
    closure = execution.closure
    assert closure.phase == WF.UNDEFINED
    assert closure.created_at == closure.updated_at and closure.created_at.seconds > 0
    assert not closure.HasField("started_at") and not closure.HasField("duration")
    assert closure.workflow_id == identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW,
        project=P,
        domain=D,
        name=exec_greet_wf.name,
        version="v1",
    )
    assert closure.state_change_details.state == execution_pb2.EXECUTION_ACTIVE
    assert closure.state_change_details.occurred_at == closure.created_at
    assert list(closure.notifications) == []

    assert row.phase == "UNDEFINED"
    assert row.launch_entity == "launch_plan"
    assert row.launch_plan_id is not None and row.task_id is None and row.workflow_id is not None
    assert row.execution_created_at == row.execution_updated_at == row.created_at
    assert row.mode == execution_pb2.ExecutionMetadata.MANUAL and row.state == 0 and row.user == ""
    assert row.source_execution_id is None and row.parent_node_execution_id is None


def test_labels_annotations_envs_tags_and_settings(admin: Admin) -> None:
    with admin.ctx.store.begin() as conn:
        conn.execute(
            schema.projects.update()
            .where(schema.projects.c.identifier == P)
            .values(labels=common_pb2.Labels(values={"team": "project-team", "cost": "center-1"}).SerializeToString())
        )
    spec = lp_spec(admin)
    spec.labels.values["team"] = "request-team"
    spec.annotations.values["why"] = "testing"
    spec.envs.values.add(key="FOO", value="bar")
    spec.tags.extend(["nightly", "nightly", "team"])
    spec.raw_output_data_config.output_location_prefix = "file:///tmp/raw"
    spec.interruptible.value = True
    spec.overwrite_cache = True
    name = admin.create(spec, name="labelled", inputs=inputs(name=string("a")))

    with admin.ctx.store.read() as conn:
        tags = conn.execute(
            select(execution_tags.c.key, execution_tags.c.value).where(execution_tags.c.execution_name == name)
        ).all()
    # The request's labels (key, value) and tags (tag, ""), each pair once.
    assert sorted(tuple(t) for t in tags) == [("nightly", ""), ("team", ""), ("team", "request-team")]

    stored = admin.get(name).spec
    assert dict(stored.labels.values) == {"team": "request-team"}  # the request's, as stored by Flyte Admin
    assert dict(stored.annotations.values) == {"why": "testing"}
    assert [(e.key, e.value) for e in stored.envs.values] == [("FOO", "bar")]
    assert list(stored.tags) == ["nightly", "nightly", "team"]
    effective = admin.engine.last().spec
    # What the run uses: request labels win over the project's; the launch plan's are not merged under them.
    assert dict(effective.labels.values) == {"team": "request-team", "cost": "center-1"}
    assert dict(effective.annotations.values) == {"why": "testing"}
    assert [(e.key, e.value) for e in effective.envs.values] == [("FOO", "bar")]
    assert effective.raw_output_data_config.output_location_prefix == "file:///tmp/raw"
    assert effective.interruptible.value is True and effective.overwrite_cache is True
    assert effective.max_parallelism == 25 and not effective.HasField("inputs")


def test_launch_plan_settings_apply_when_the_request_has_none(admin: Admin) -> None:
    admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    effective = admin.engine.last().spec
    assert dict(effective.labels.values) == {"team": "lp-team", "lp-only": "yes"}
    assert dict(effective.annotations.values) == {"note": "from-lp"}
    name = admin.create(lp_spec(admin, "exec_nothing_lp"))
    assert admin.engine.last().spec.max_parallelism == 7
    assert admin.get(name).spec.max_parallelism == 7


def test_max_parallelism_from_request_then_matchable_then_server(make_ctx: Callable[..., AdminContext]) -> None:
    ctx = make_ctx(AdminConfig(max_parallelism=11))
    ids = _register(ctx, "v1", greet_lp)
    engine = RecordingEngine()
    manager = _manager(ctx, engine)

    def run(spec: execution_pb2.ExecutionSpec) -> int:
        request = execution_pb2.ExecutionCreateRequest(project=P, domain=D, spec=spec, inputs=inputs(name=string("a")))
        manager.create_execution(request)
        return engine.last().spec.max_parallelism

    assert run(execution_pb2.ExecutionSpec(launch_plan=ids["exec_greet_lp"])) == 11
    AttributesManager(ctx).update_project_domain_attributes(
        project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest(
            attributes=project_domain_attributes_pb2.ProjectDomainAttributes(
                project=P,
                domain=D,
                matching_attributes=matchable_resource_pb2.MatchingAttributes(
                    workflow_execution_config=matchable_resource_pb2.WorkflowExecutionConfig(max_parallelism=4)
                ),
            )
        )
    )
    assert run(execution_pb2.ExecutionSpec(launch_plan=ids["exec_greet_lp"])) == 4
    assert run(execution_pb2.ExecutionSpec(launch_plan=ids["exec_greet_lp"], max_parallelism=9)) == 9


def test_cluster_pool_must_match_the_configured_one(admin: Admin) -> None:
    pool = execution_pb2.ExecutionSpec()
    pool.CopyFrom(lp_spec(admin))
    pool.cluster_assignment.cluster_pool_name = "gpu"
    admin.create(pool, inputs=inputs(name=string("a")))  # nothing configured: the request's pool
    assert admin.engine.last().spec.cluster_assignment.cluster_pool_name == "gpu"
    AttributesManager(admin.ctx).update_project_domain_attributes(
        project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest(
            attributes=project_domain_attributes_pb2.ProjectDomainAttributes(
                project=P,
                domain=D,
                matching_attributes=matchable_resource_pb2.MatchingAttributes(
                    cluster_assignment=cluster_assignment_pb2.ClusterAssignment(cluster_pool_name="cpu")
                ),
            )
        )
    )
    expect(
        INVALID,
        'execution with project "flytesnacks" and domain "development" cannot run on cluster pool "gpu", because '
        'its configured to run on pool "cpu"',
        lambda: admin.create(pool, inputs=inputs(name=string("a"))),
    )
    admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    assert admin.engine.last().spec.cluster_assignment.cluster_pool_name == "cpu"


def test_notifications_come_from_request_or_launch_plan(admin: Admin) -> None:
    spec = lp_spec(admin)
    spec.notifications.notifications.add(
        phases=[WF.FAILED], email=common_pb2.EmailNotification(recipients_email=["me@example.com"])
    )
    name = admin.create(spec, inputs=inputs(name=string("a")))
    assert [n.email.recipients_email[0] for n in admin.get(name).closure.notifications] == ["me@example.com"]
    off = admin.create(lp_spec(admin, disable_all=True), inputs=inputs(name=string("a")))
    assert list(admin.get(off).closure.notifications) == []


def test_concurrency_policy_skips_over_the_limit(admin: Admin) -> None:
    plan = LaunchPlanManager(admin.ctx).get_launch_plan(common_pb2.ObjectGetRequest(id=admin.ids["exec_nothing_lp"]))
    spec = launch_plan_pb2.LaunchPlanSpec()
    spec.CopyFrom(plan.spec)
    spec.concurrency_policy.max = 1
    spec.concurrency_policy.behavior = launch_plan_pb2.CONCURRENCY_LIMIT_BEHAVIOR_SKIP
    lp_id = identifier_pb2.Identifier()
    lp_id.CopyFrom(plan.id)
    lp_id.version = "limited"
    LaunchPlanManager(admin.ctx).create_launch_plan(launch_plan_pb2.LaunchPlanCreateRequest(id=lp_id, spec=spec))
    first = admin.create(execution_pb2.ExecutionSpec(launch_plan=lp_id))
    admin.create(execution_pb2.ExecutionSpec(launch_plan=lp_id))  # the first is still UNDEFINED: not counted
    record_phases(admin.ctx, first, WF.QUEUED)
    expect(
        grpc.StatusCode.ALREADY_EXISTS,
        "concurrency limit (1) reached for launch plan exec_nothing_lp; skipping execution",
        lambda: admin.create(execution_pb2.ExecutionSpec(launch_plan=lp_id)),
    )
    record_phases(admin.ctx, first, WF.RUNNING, WF.SUCCEEDED)
    admin.create(execution_pb2.ExecutionSpec(launch_plan=lp_id))


# --- the engine's answer ------------------------------------------------------------------------------------------


def test_engine_refusal_fails_the_execution(admin: Admin) -> None:
    admin.engine.refuse = AdminError(INVALID, "cannot run this")
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    execution = admin.get(name)
    assert execution.closure.phase == WF.FAILED
    assert execution.closure.error == core_execution_pb2.ExecutionError(
        code="InvalidArgument", message="cannot run this", kind=core_execution_pb2.ExecutionError.USER
    )
    admin.engine.refuse = RuntimeError("boom")
    other = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    assert admin.get(other).closure.error.code == "Unknown"
    assert admin.get(other).closure.error.kind == core_execution_pb2.ExecutionError.SYSTEM
    assert admin.row(other).phase == "FAILED"


def test_without_an_engine_the_execution_fails_as_unavailable(make_services: Any) -> None:
    services = make_services()
    ids = _register(services.context, "v1", nothing_lp)
    manager = services.executions  # its engine is never started
    response = manager.create_execution(
        execution_pb2.ExecutionCreateRequest(
            project=P, domain=D, spec=execution_pb2.ExecutionSpec(launch_plan=ids["exec_nothing_lp"])
        )
    )
    closure = manager.get_execution(execution_pb2.WorkflowExecutionGetRequest(id=response.id)).closure
    assert (closure.phase, closure.error.code) == (WF.FAILED, "Unavailable")


# --- single-task executions ---------------------------------------------------------------------------------------


def test_single_task_execution_creates_flytegen_workflow_and_launch_plan(admin: Admin) -> None:
    task_id = admin.ids[exec_greet.name]
    generated = ".flytegen." + exec_greet.name
    name = admin.create(
        execution_pb2.ExecutionSpec(launch_plan=task_id), inputs=inputs(name=string("a"), times=integer(2))
    )
    execution = admin.get(name)
    assert execution.spec.launch_plan == task_id  # the TASK id stays (flytekit relies on it)
    assert execution.closure.workflow_id == identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name=generated, version="v1"
    )
    row = admin.row(name)
    assert row.launch_entity == "task" and row.task_id is not None and row.launch_plan_id is None

    workflow = WorkflowManager(admin.ctx).get_workflow(
        common_pb2.ObjectGetRequest(
            id=identifier_pb2.Identifier(
                resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name=generated, version="v1"
            )
        )
    )
    nodes = {n.id: n for n in workflow.closure.compiled_workflow.primary.template.nodes}
    node_id = _flytegen.node_id_for_task(exec_greet.name)
    assert node_id == exec_greet.name.replace(".", "").replace("_", "")
    assert set(nodes) == {"start-node", "end-node", node_id}
    assert nodes[node_id].task_node.reference_id == task_id
    assert sorted(b.var for b in nodes[node_id].inputs) == ["name", "times"]
    assert admin.engine.last().closure == workflow.closure.compiled_workflow

    plan = LaunchPlanManager(admin.ctx).get_launch_plan(
        common_pb2.ObjectGetRequest(
            id=identifier_pb2.Identifier(
                resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name=generated, version="v1"
            )
        )
    )
    assert plan.closure.state == launch_plan_pb2.INACTIVE
    assert {k: p.required for k, p in plan.closure.expected_inputs.parameters.items()} == {
        "name": True,
        "times": True,
    }
    # Flyte Admin's quirk: the generated launch plan names the task in its workflow_id.
    assert plan.spec.workflow_id.name == exec_greet.name

    for resource_type in (identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN):
        entity = NamedEntityManager(admin.ctx).get_named_entity(
            common_pb2.NamedEntityGetRequest(
                resource_type=resource_type, id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name=generated)
            )
        )
        assert entity.metadata.state == common_pb2.SYSTEM_GENERATED

    assert [e.id.name for e in admin.list(filters=f"eq(task.name,{exec_greet.name})").executions] == [name]
    assert [e.id.name for e in admin.list(filters=f"eq(workflow.name,{generated})").executions] == [name]
    # A second execution reuses them; a missing required task input is refused as for any launch plan.
    admin.create(execution_pb2.ExecutionSpec(launch_plan=task_id), inputs=inputs(name=string("b"), times=integer(1)))
    expect(
        INVALID,
        "expected_inputs times missing",
        lambda: admin.create(execution_pb2.ExecutionSpec(launch_plan=task_id), inputs=inputs(name=string("b"))),
    )
    with admin.ctx.store.read() as conn:
        names = conn.execute(select(schema.workflows.c.name).where(schema.workflows.c.name == generated)).all()
    assert len(names) == 1


def test_node_id_for_task() -> None:
    assert _flytegen.node_id_for_task("my_module.my_task") == "mymodulemytask"
    assert _flytegen.node_id_for_task("a-b_c.d9") == "a-bcd9"
    long_name = "m." + "x" * 70 + ".t"
    node_id = _flytegen.node_id_for_task(long_name)
    assert node_id == ("x" * 70 + ".t")[-63:].replace(".", "") == "x" * 61 + "t"


# --- reads and lists ---------------------------------------------------------------------------------------------


def test_get_execution_validation_and_not_found(admin: Admin) -> None:
    get = admin.manager.get_execution
    expect(INVALID, "missing id", lambda: get(execution_pb2.WorkflowExecutionGetRequest()))
    for field_name in ("project", "domain", "name"):
        partial = exec_id("x")
        setattr(partial, field_name, "")
        expect(INVALID, f"missing {field_name}", lambda i=partial: get(execution_pb2.WorkflowExecutionGetRequest(id=i)))
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"ghost"',
        lambda: get(execution_pb2.WorkflowExecutionGetRequest(id=exec_id("ghost"))),
    )


def test_list_filters_paging_archived_and_trimmed_errors(admin: Admin) -> None:
    names = [admin.create(lp_spec(admin), name=f"run-{i}", inputs=inputs(name=string("a"))) for i in range(5)]
    record_phases(admin.ctx, "run-1", WF.QUEUED, WF.RUNNING)
    long_error = core_execution_pb2.ExecutionError(
        code="Boom", message="é" * 80, kind=core_execution_pb2.ExecutionError.USER
    )
    record_phases(admin.ctx, "run-2", WF.QUEUED, WF.RUNNING, WF.FAILED, error=long_error)

    listed = admin.list(sort_by=common_pb2.Sort(key="execution_name", direction=common_pb2.Sort.ASCENDING))
    assert [e.id.name for e in listed.executions] == names and listed.token == ""
    assert [e.id.name for e in admin.list(filters="eq(execution_name,run-3)").executions] == ["run-3"]
    assert [e.id.name for e in admin.list(filters="eq(phase,RUNNING)").executions] == ["run-1"]
    assert [e.id.name for e in admin.list(filters="value_in(phase,RUNNING;FAILED)").executions] == [
        "run-1",
        "run-2",
    ]
    assert len(admin.list(filters="eq(launch_plan.name,exec_greet_lp)").executions) == 5
    assert admin.list(filters="eq(workflow.name,other)").executions == []
    expect(INVALID, "'e.name' is invalid filter", lambda: admin.list(filters="eq(name,run-1)"))

    page = admin.list(limit=2, sort_by=common_pb2.Sort(key="execution_name", direction=common_pb2.Sort.ASCENDING))
    assert ([e.id.name for e in page.executions], page.token) == (["run-0", "run-1"], "2")
    page = admin.list(
        limit=2, token="4", sort_by=common_pb2.Sort(key="execution_name", direction=common_pb2.Sort.ASCENDING)
    )
    assert ([e.id.name for e in page.executions], page.token) == (["run-4"], "")
    expect(INVALID, "invalid pagination token x for ListExecutions", lambda: admin.list(token="x"))
    expect(INVALID, "invalid value for limit", lambda: admin.list(limit=0))

    failed = next(e for e in admin.list().executions if e.id.name == "run-2")
    assert failed.closure.error.message == "é" * 50  # 100 bytes
    assert admin.get("run-2").closure.error.message == "é" * 80

    admin.manager.update_execution(
        execution_pb2.ExecutionUpdateRequest(id=exec_id("run-0"), state=execution_pb2.EXECUTION_ARCHIVED)
    )
    assert "run-0" not in [e.id.name for e in admin.list().executions]
    assert [e.id.name for e in admin.list(filters="eq(state,1)").executions] == ["run-0"]
    with_name = admin.manager.list_executions(
        common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="run-4"), limit=5)
    )
    assert [e.id.name for e in with_name.executions] == ["run-4"]


def test_list_clears_deprecated_inputs_and_filters_tags(admin: Admin) -> None:
    spec = lp_spec(admin)
    spec.inputs.literals["name"].CopyFrom(string("in-spec"))
    spec.labels.values["env"] = "prod"
    spec.tags.append("nightly")
    admin.create(spec, name="old-style")
    admin.create(lp_spec(admin), name="plain", inputs=inputs(name=string("a")))
    listed = admin.list(filters="eq(execution_name,old-style)").executions[0]
    assert not listed.spec.HasField("inputs")
    assert admin.get("old-style").spec.inputs.literals["name"] == string("in-spec")
    assert [
        e.id.name for e in admin.list(filters="eq(execution_tag.key,env)+eq(execution_tag.value,prod)").executions
    ] == ["old-style"]
    assert [e.id.name for e in admin.list(filters="value_in(execution_tag.key,nightly)").executions] == ["old-style"]
    assert [e.id.name for e in admin.list(filters="eq(admin_tag.name,nightly)").executions] == ["old-style"]


def test_list_request_validation(admin: Admin) -> None:
    list_ = admin.manager.list_executions
    expect(INVALID, "missing id", lambda: list_(common_pb2.ResourceListRequest(limit=1)))
    expect(
        INVALID,
        "missing project",
        lambda: list_(common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(domain=D), limit=1)),
    )
    expect(
        INVALID,
        "missing domain",
        lambda: list_(common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P), limit=1)),
    )


# --- UpdateExecution -----------------------------------------------------------------------------------------------


def test_update_execution_archives(admin: Admin) -> None:
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    created = admin.get(name).closure.state_change_details
    admin.manager.update_execution(
        execution_pb2.ExecutionUpdateRequest(id=exec_id(name), state=execution_pb2.EXECUTION_ARCHIVED)
    )
    details = admin.get(name).closure.state_change_details
    assert details.state == execution_pb2.EXECUTION_ARCHIVED and details.principal == ""
    assert (details.occurred_at.seconds, details.occurred_at.nanos) >= (
        created.occurred_at.seconds,
        created.occurred_at.nanos,
    )
    assert admin.row(name).state == 1
    admin.manager.update_execution(
        execution_pb2.ExecutionUpdateRequest(id=exec_id(name), state=execution_pb2.EXECUTION_ACTIVE)
    )
    assert admin.row(name).state == 0
    expect(INVALID, "missing id", lambda: admin.manager.update_execution(execution_pb2.ExecutionUpdateRequest()))
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"ghost"',
        lambda: admin.manager.update_execution(execution_pb2.ExecutionUpdateRequest(id=exec_id("ghost"))),
    )


# --- TerminateExecution ------------------------------------------------------------------------------------------


def test_terminate_a_running_execution(admin: Admin) -> None:
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    record_phases(admin.ctx, name, WF.QUEUED, WF.RUNNING)
    admin.manager.terminate_execution(execution_pb2.ExecutionTerminateRequest(id=exec_id(name), cause="user asked"))
    execution = admin.get(name)
    assert execution.closure.phase == WF.ABORTING
    assert execution.closure.abort_metadata == execution_pb2.AbortMetadata(cause="user asked", principal="")
    assert (admin.row(name).phase, admin.row(name).abort_cause) == ("ABORTING", "user asked")
    assert admin.engine.terminated == [(name, "user asked")]
    # The engine's ABORTED event finishes it; the abort metadata stays.
    record_phases(admin.ctx, name, WF.ABORTED)
    finished = admin.get(name).closure
    assert finished.phase == WF.ABORTED and finished.abort_metadata.cause == "user asked"


def test_terminate_a_terminal_execution_fails(admin: Admin) -> None:
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    record_phases(admin.ctx, name, WF.QUEUED, WF.RUNNING, WF.SUCCEEDED)
    error = expect(
        grpc.StatusCode.FAILED_PRECONDITION,
        "Cannot abort an already terminated workflow execution",
        lambda: admin.manager.terminate_execution(execution_pb2.ExecutionTerminateRequest(id=exec_id(name), cause="x")),
    )
    assert error.details == (
        event_pb2.EventFailureReason(
            already_in_terminal_state=event_pb2.EventErrorAlreadyInTerminalState(current_phase="SUCCEEDED")
        ),
    )
    assert admin.engine.terminated == []
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"ghost"',
        lambda: admin.manager.terminate_execution(execution_pb2.ExecutionTerminateRequest(id=exec_id("ghost"))),
    )
    expect(INVALID, "missing id", lambda: admin.manager.terminate_execution(execution_pb2.ExecutionTerminateRequest()))


# --- Relaunch and Recover ------------------------------------------------------------------------------------------


def test_relaunch_reuses_spec_and_user_inputs(admin: Admin) -> None:
    spec = lp_spec(admin)
    spec.labels.values["keep"] = "me"
    original = admin.create(spec, name="orig", inputs=inputs(name=string("again")))
    response = admin.manager.relaunch_execution(
        execution_pb2.ExecutionRelaunchRequest(id=exec_id(original), name="relaunched", overwrite_cache=True)
    )
    assert response.id == exec_id("relaunched")
    relaunched = admin.get("relaunched")
    metadata = relaunched.spec.metadata
    assert metadata.mode == execution_pb2.ExecutionMetadata.RELAUNCH
    assert metadata.reference_execution == exec_id(original)
    assert relaunched.spec.overwrite_cache is True
    assert dict(relaunched.spec.labels.values) == {"keep": "me"}
    assert dict(admin.engine.last().inputs.literals) == {"name": string("again"), "times": integer(2)}
    assert admin.engine.last().recover_from is None
    row = admin.row("relaunched")
    assert row.source_execution_id == admin.row(original).id and row.mode == execution_pb2.ExecutionMetadata.RELAUNCH

    generated = admin.manager.relaunch_execution(execution_pb2.ExecutionRelaunchRequest(id=exec_id(original)))
    assert re.fullmatch(r"a[a-z0-9]{19}", generated.id.name)
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"ghost"',
        lambda: admin.manager.relaunch_execution(execution_pb2.ExecutionRelaunchRequest(id=exec_id("ghost"))),
    )


def test_recover_passes_the_original_to_the_engine(admin: Admin) -> None:
    original = admin.create(lp_spec(admin), name="to-recover", inputs=inputs(name=string("r")))
    record_phases(
        admin.ctx, original, WF.QUEUED, WF.RUNNING, WF.FAILED, error=core_execution_pb2.ExecutionError(message="x")
    )
    response = admin.manager.recover_execution(
        execution_pb2.ExecutionRecoverRequest(id=exec_id(original), name="recovered")
    )
    recovered = admin.get(response.id.name)
    assert recovered.spec.metadata.mode == execution_pb2.ExecutionMetadata.RECOVERED
    assert recovered.spec.metadata.reference_execution == exec_id(original)
    assert admin.engine.last().recover_from == exec_id(original)
    assert admin.engine.last().inputs.literals["name"] == string("r")
    assert admin.row("recovered").source_execution_id == admin.row(original).id
    expect(
        grpc.StatusCode.ALREADY_EXISTS,
        'value with matching already exists (duplicate key value violates unique constraint "executions_pkey")',
        lambda: admin.manager.recover_execution(
            execution_pb2.ExecutionRecoverRequest(id=exec_id(original), name="recovered")
        ),
    )


# --- child executions of launch-plan nodes -------------------------------------------------------------------------


def _record_node(ctx: AdminContext, name: str, node_id: str, phase: int = NODE.RUNNING, offset: float = 0.0) -> None:
    EventRecorder(ctx).record_node_event(
        flyte_event_pb2.NodeExecutionEvent(
            id=identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=exec_id(name)),
            phase=phase,
            producer_id="propeller",
            occurred_at=now_ts(offset),
            spec_node_id=node_id,
            input_uri="",
        )
    )


def test_launch_child_inherits_from_the_parent(admin: Admin) -> None:
    from flyteplane.admin.engine import ChildLaunch  # the engine's contract type

    parent = admin.create(lp_spec(admin), name="parent", inputs=inputs(name=string("p")))
    record_phases(admin.ctx, parent, WF.QUEUED, WF.RUNNING)
    _record_node(admin.ctx, parent, "n0")
    parent_spec = admin.engine.last().spec
    node_id = identifier_pb2.NodeExecutionIdentifier(node_id="n0", execution_id=exec_id(parent))
    child = ChildLaunch(
        parent_node_execution_id=node_id,
        launch_plan_id=admin.ids["exec_nothing_lp"],
        inputs=literals_pb2.LiteralMap(),
        parent_spec=parent_spec,
    )
    port = EngineAdmin(admin.ctx, recorder=EventRecorder(admin.ctx), creator=_creator(admin.ctx), endings=RunEndings())
    launched = port.create_child_execution(child)
    child_id = launched.execution_id
    assert launched.run is not None and launched.run.execution_id == child_id
    assert child_id.name == "parent-n0-0" == child_execution_name("parent", "n0")
    execution = admin.get(child_id.name)
    metadata = execution.spec.metadata
    assert metadata.mode == execution_pb2.ExecutionMetadata.CHILD_WORKFLOW
    assert metadata.nesting == 1 and metadata.parent_node_execution == node_id
    assert dict(launched.run.spec.labels.values) == dict(parent_spec.labels.values)
    row = admin.row(child_id.name)
    assert row.parent_node_execution_id is not None and row.source_execution_id == admin.row(parent).id
    # Launching the same node again finds the execution the first launch created.
    again = port.create_child_execution(child)
    assert again.execution_id == child_id and again.run is None


def test_child_execution_names_are_propellers() -> None:
    assert child_execution_name("abc", "n0") == "abc-n0-0"
    hashed = child_execution_name("a" * 20, "n1", 0)
    assert re.fullmatch(r"f[a-z1-6]{13}", hashed)
    assert hashed == child_execution_name("a" * 20, "n1", 0) != child_execution_name("a" * 20, "n1", 1)


def test_launch_child_without_the_parent_node_is_not_found(admin: Admin) -> None:
    parent = admin.create(lp_spec(admin), name="lonely", inputs=inputs(name=string("p")))
    spec = execution_pb2.ExecutionSpec(launch_plan=admin.ids["exec_nothing_lp"])
    spec.metadata.parent_node_execution.CopyFrom(
        identifier_pb2.NodeExecutionIdentifier(node_id="n9", execution_id=exec_id(parent))
    )
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type node execution with identifier node_id:"n9" execution_id:{project:"flytesnacks" '
        'domain:"development" name:"lonely"}',
        lambda: admin.create(spec),
    )


# --- execution data and metrics -----------------------------------------------------------------------------------


def test_get_execution_data_outputs(admin: Admin) -> None:
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    outputs = inputs(o0=string("aa"))
    record_phases(admin.ctx, name, WF.QUEUED, WF.RUNNING, WF.SUCCEEDED, output_data=outputs)
    data = admin.manager.get_execution_data(execution_pb2.WorkflowExecutionGetDataRequest(id=exec_id(name)))
    assert data.full_outputs == outputs
    assert admin.get(name).closure.outputs.uri  # offloaded by the recorder
    expect(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"ghost"',
        lambda: admin.manager.get_execution_data(execution_pb2.WorkflowExecutionGetDataRequest(id=exec_id("ghost"))),
    )


def test_execution_metrics(admin: Admin) -> None:
    name = admin.create(lp_spec(admin), inputs=inputs(name=string("a")))
    root_only = admin.manager.get_execution_metrics(
        execution_pb2.WorkflowExecutionGetMetricsRequest(id=exec_id(name), depth=0)
    ).span
    closure = admin.get(name).closure
    assert root_only.workflow_id == exec_id(name)
    assert (root_only.start_time, root_only.end_time) == (closure.created_at, closure.updated_at)
    assert list(root_only.spans) == []
    not_started = admin.manager.get_execution_metrics(
        execution_pb2.WorkflowExecutionGetMetricsRequest(id=exec_id(name), depth=2)
    ).span
    assert [s.operation_id for s in not_started.spans] == ["WORKFLOW_SETUP"]

    # A run of the one task node: start-node, n0 with one task attempt, end-node.
    record_phases(admin.ctx, name, WF.QUEUED, WF.RUNNING)
    recorder = EventRecorder(admin.ctx)
    _record_node(admin.ctx, name, "start-node", NODE.SUCCEEDED, 0.01)
    _record_node(admin.ctx, name, "n0", NODE.RUNNING, 0.02)
    task_id = admin.ids[exec_greet.name]
    node_exec = identifier_pb2.NodeExecutionIdentifier(node_id="n0", execution_id=exec_id(name))
    for offset, phase in ((0.03, TASK.RUNNING), (0.05, TASK.SUCCEEDED)):
        recorder.record_task_event(
            flyte_event_pb2.TaskExecutionEvent(
                task_id=task_id,
                parent_node_execution_id=node_exec,
                retry_attempt=0,
                phase=phase,
                producer_id="propeller",
                occurred_at=now_ts(offset),
            )
        )
    _record_node(admin.ctx, name, "n0", NODE.SUCCEEDED, 0.06)
    _record_node(admin.ctx, name, "end-node", NODE.SUCCEEDED, 0.07)
    record_phases(admin.ctx, name, WF.SUCCEEDED, at=0.08)

    span = admin.manager.get_execution_metrics(
        execution_pb2.WorkflowExecutionGetMetricsRequest(id=exec_id(name), depth=10)
    ).span
    kinds = [s.WhichOneof("id") for s in span.spans]
    assert kinds == ["operation_id", "node_id", "operation_id"]
    assert span.spans[0].operation_id == "WORKFLOW_SETUP" and span.spans[2].operation_id == "WORKFLOW_TEARDOWN"
    node_span = span.spans[1]
    assert node_span.node_id == node_exec
    assert [s.operation_id or s.WhichOneof("id") for s in node_span.spans] == [
        "NODE_TRANSITION",
        "NODE_SETUP",
        "task_id",
        "NODE_TEARDOWN",
    ]
    task_span = node_span.spans[2]
    assert task_span.task_id.node_execution_id == node_exec and task_span.task_id.task_id.name == task_id.name
    assert [s.operation_id for s in task_span.spans][:2] == ["TASK_SETUP", "TASK_RUNTIME"]
    # One level less: the node span without its task attempts.
    shallow = admin.manager.get_execution_metrics(
        execution_pb2.WorkflowExecutionGetMetricsRequest(id=exec_id(name), depth=2)
    ).span
    assert [s.operation_id or "task" for s in shallow.spans[1].spans] == [
        "NODE_TRANSITION",
        "NODE_SETUP",
        "NODE_TEARDOWN",
    ]
    expect(
        INVALID,
        "missing id",
        lambda: admin.manager.get_execution_metrics(execution_pb2.WorkflowExecutionGetMetricsRequest()),
    )


# --- lifecycle -----------------------------------------------------------------------------------------------------


def test_the_wiring_starts_and_stops_the_engine_not_the_manager(make_services: Any) -> None:
    services = make_services()
    ids = _register(services.context, "v1", nothing_lp)
    assert services.lifecycle == (services.notifier, services.engine, services.scheduler)
    assert not hasattr(services.executions, "start") and not hasattr(services.executions, "stop")
    request = execution_pb2.ExecutionCreateRequest(
        project=P, domain=D, spec=execution_pb2.ExecutionSpec(launch_plan=ids["exec_nothing_lp"])
    )
    services.start()
    running = services.executions.create_execution(request).id
    assert services.engine.wait(running, 30)
    services.stop()
    stopped = services.executions.create_execution(request).id
    closure = services.executions.get_execution(execution_pb2.WorkflowExecutionGetRequest(id=stopped)).closure
    assert (closure.phase, closure.error.code) == (WF.FAILED, "Unavailable")


# --- over gRPC, with flytekit as the peer and the real engine -----------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[AdminServer]:
    """An admin whose engine runs this module's tasks with the installed flytekit."""
    here = Path(__file__).resolve()
    config = AdminConfig(
        seed_projects=(P,),
        # pytest imports this module as ``test_executions`` (flytekit names the tasks after it), so the task
        # processes need its directory on their path, and the repository root for ``tests.flytekit_entities``.
        task_pythonpath=(str(here.parent), str(here.parents[3])),
    )
    with AdminServer(config=config) as admin_server:
        yield admin_server


@pytest.fixture(scope="module")
def flyte_client(served: AdminServer) -> SynchronousFlyteClient:
    client = SynchronousFlyteClient(PlatformConfig(endpoint=served.endpoint, insecure=True))
    for model in serialize("grpc1", greet_lp, nothing_lp, sleepy_lp, project=P, domain=D):
        ident = model.id if isinstance(model, LaunchPlanModel) else model.template.id
        if isinstance(model, TaskSpec):
            client.create_task(ident, model)
        elif isinstance(model, WorkflowSpec):
            client.create_workflow(ident, model)
        else:
            client.create_launch_plan(ident, model.spec)
    return client


def _wait_terminal(client: SynchronousFlyteClient, ident: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        execution = client.get_execution(ident)
        if execution.closure.phase in (WF.SUCCEEDED, WF.FAILED, WF.ABORTED, WF.TIMED_OUT):
            return execution
        assert time.monotonic() < deadline, f"execution {ident.name} still {execution.closure.phase}"
        time.sleep(0.2)


def test_flyteremote_executes_a_task_end_to_end(served: AdminServer, flyte_client: SynchronousFlyteClient) -> None:
    remote = FlyteRemote(Config.for_endpoint(served.endpoint, insecure=True), default_project=P, default_domain=D)
    flyte_task = remote.fetch_task(P, D, exec_greet.name, "grpc1")
    execution = remote.execute(flyte_task, inputs={"name": "ab", "times": 3}, execution_name="remote-task-1")
    assert execution.id.name == "remote-task-1"
    assert execution.spec.launch_plan.resource_type == identifier_pb2.TASK
    assert execution.spec.launch_plan.name == exec_greet.name

    # flytekit treats ALREADY_EXISTS as "the same execution" and fetches it.
    again = remote.execute(flyte_task, inputs={"name": "ab", "times": 3}, execution_name="remote-task-1")
    assert again.id.name == "remote-task-1"

    finished = _wait_terminal(flyte_client, execution.id)
    assert finished.closure.phase == WF.SUCCEEDED, finished.closure.error
    data = flyte_client.get_execution_data(execution.id)
    assert data.full_outputs.literals["o0"].scalar.primitive.string_value == "ababab"
    assert data.full_inputs.literals["times"].scalar.primitive.integer == 3


def test_launch_plan_execution_with_flytekit_client(served: AdminServer, flyte_client: SynchronousFlyteClient) -> None:
    remote = FlyteRemote(Config.for_endpoint(served.endpoint, insecure=True), default_project=P, default_domain=D)
    plan = remote.fetch_launch_plan(P, D, "exec_greet_lp", "grpc1")
    execution = remote.execute(plan, inputs={"name": "x"}, execution_name="remote-lp-1", tags=["e2e"])
    finished = _wait_terminal(flyte_client, execution.id)
    assert finished.closure.phase == WF.SUCCEEDED, finished.closure.error
    outputs = flyte_client.get_execution_data(execution.id).full_outputs
    assert outputs.literals["o0"].scalar.primitive.string_value == "xx"  # the launch plan's default times=2

    listed, token = flyte_client.list_executions_paginated(
        P, D, limit=10, filters=[flyte_filters.Equal("execution_tag.key", "e2e")]
    )
    assert [e.id.name for e in listed] == ["remote-lp-1"] and token == ""
    listed, _ = flyte_client.list_executions_paginated(
        P,
        D,
        limit=50,
        filters=[flyte_filters.Equal("phase", "SUCCEEDED")],
        sort_by=Sort("created_at", Sort.Direction.DESCENDING),
    )
    assert "remote-lp-1" in [e.id.name for e in listed]

    span = flyte_client.get_execution_metrics(execution.id, depth=10)
    assert span.workflow_id.name == "remote-lp-1"
    assert any(s.WhichOneof("id") == "node_id" for s in span.spans)

    relaunched = flyte_client.relaunch_execution(execution.id, name="remote-lp-relaunch")
    again = _wait_terminal(flyte_client, relaunched)
    assert again.spec.metadata.mode == execution_pb2.ExecutionMetadata.RELAUNCH
    assert again.closure.phase == WF.SUCCEEDED
    recovered = flyte_client.recover_execution(execution.id, name="remote-lp-recover")
    assert _wait_terminal(flyte_client, recovered).spec.metadata.mode == execution_pb2.ExecutionMetadata.RECOVERED


def test_grpc_errors_and_terminate(served: AdminServer, flyte_client: SynchronousFlyteClient) -> None:
    from flytekit.models import execution as flyte_execution
    from flytekit.models.core import identifier as flyte_id

    lp_id = flyte_id.Identifier(flyte_id.ResourceType.LAUNCH_PLAN, P, D, "exec_greet_lp", "grpc1")
    spec = flyte_execution.ExecutionSpec(lp_id, flyte_execution.ExecutionMetadata(0, "placeholder", 0))
    with pytest.raises(FlyteInvalidInputException, match="expected_inputs name missing"):
        flyte_client.create_execution(P, D, "no-inputs", spec, flyte_literals.LiteralMap({}))

    with grpc.insecure_channel(served.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=exec_id("ghost")))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            stub.CreateExecution(execution_pb2.ExecutionCreateRequest(project=P, domain=D, name="Bad_Name"))
        assert info.value.code() == INVALID
        assert info.value.details() == "invalid name format: bad_name, does not match regex '^[a-z][a-z\\-0-9]*$'"

        # A long-running execution (a task that sleeps) is aborted; a finished one cannot be.
        sleepy = flyte_execution.ExecutionSpec(
            flyte_id.Identifier(flyte_id.ResourceType.LAUNCH_PLAN, P, D, "exec_sleepy_lp", "grpc1"),
            flyte_execution.ExecutionMetadata(0, "placeholder", 0),
        )
        ident = flyte_client.create_execution(P, D, "to-abort", sleepy, flyte_literals.LiteralMap({}))
        deadline = time.monotonic() + 60
        while flyte_client.get_execution(ident).closure.phase != WF.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        flyte_client.terminate_execution(ident, "enough")
        finished = _wait_terminal(flyte_client, ident)
        assert finished.closure.phase == WF.ABORTED
        assert finished.closure.abort_metadata.cause == "enough"
        with pytest.raises(grpc.RpcError) as info:
            stub.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=exec_id("to-abort"), cause="again"))
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert info.value.details() == "Cannot abort an already terminated workflow execution"

        stub.UpdateExecution(
            execution_pb2.ExecutionUpdateRequest(id=exec_id("to-abort"), state=execution_pb2.EXECUTION_ARCHIVED)
        )
        listed, _ = flyte_client.list_executions_paginated(P, D, limit=100)
        assert "to-abort" not in [e.id.name for e in listed]
