"""The registry's repositories (tasks, workflows, launch plans) against a real in-memory store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flyteidl.admin import common_pb2, description_entity_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, tasks_pb2, types_pb2

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.descriptions import DescriptionRepository
from flyteplane.admin.store.registry import (
    ExistingVersion,
    LaunchPlanRepository,
    TaskRepository,
    WorkflowRepository,
)

P, D = "flytesnacks", "development"
NOW = dt.datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store(None)
    yield s
    s.close()


def _id(resource_type: int, name: str, version: str = "v1", project: str = P) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=resource_type,  # type: ignore[arg-type]
        project=project,
        domain=D,
        name=name,
        version=version,
    )


def _task_closure(ident: identifier_pb2.Identifier, image: str = "img:v1") -> task_pb2.TaskClosure:
    template = tasks_pb2.TaskTemplate(id=ident, type="python-task", container=tasks_pb2.Container(image=image))
    return task_pb2.TaskClosure(compiled_task=compiler_pb2.CompiledTask(template=template))


def _add_task(
    tasks: TaskRepository,
    name: str,
    version: str = "v1",
    *,
    digest: str = "d1",
    image: str = "img:v1",
    description: description_entity_pb2.DescriptionEntity | None = None,
    now: dt.datetime = NOW,
) -> ExistingVersion[compiler_pb2.CompiledTask] | None:
    ident = _id(identifier_pb2.TASK, name, version)
    return tasks.create(
        ident, _task_closure(ident, image), task_type="python-task", digest=digest, description=description, now=now
    )


def _interface() -> interface_pb2.TypedInterface:
    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    return interface_pb2.TypedInterface(
        inputs=interface_pb2.VariableMap(variables={"x": interface_pb2.Variable(type=integer)}),
        outputs=interface_pb2.VariableMap(variables={"o0": interface_pb2.Variable(type=integer)}),
    )


def _add_workflow(workflows: WorkflowRepository, name: str, version: str = "v1") -> None:
    ident = _id(identifier_pb2.WORKFLOW, name, version)
    compiled = compiler_pb2.CompiledWorkflowClosure()
    compiled.primary.template.id.CopyFrom(ident)
    compiled.primary.template.interface.CopyFrom(_interface())
    closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
    assert (
        workflows.create(
            ident,
            closure,
            typed_interface=_interface(),
            remote_closure_identifier=f"s3://x/{name}",
            digest="wd",
            description=None,
            now=NOW,
        )
        is None
    )


def _plan(name: str, version: str = "v1", workflow: str = "wf") -> launch_plan_pb2.LaunchPlan:
    spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=_id(identifier_pb2.WORKFLOW, workflow))
    return launch_plan_pb2.LaunchPlan(id=_id(identifier_pb2.LAUNCH_PLAN, name, version), spec=spec)


def _list(project: str = P, name: str = "", **kwargs: object) -> common_pb2.ResourceListRequest:
    return common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=project, domain=D, name=name),
        **kwargs,  # type: ignore[arg-type]
    )


# --- tasks -----------------------------------------------------------------------------------------------------------


def test_task_register_then_get(store: Store) -> None:
    tasks = TaskRepository(store)
    assert _add_task(tasks, "t") is None
    ident = _id(identifier_pb2.TASK, "t")
    got = tasks.get(ident)
    assert got is not None
    assert got.id == ident
    assert got.closure.compiled_task.template.container.image == "img:v1"
    assert got.closure.created_at.ToDatetime() == NOW
    stored = tasks.get_stored(ident)
    assert stored is not None and stored.row_id > 0 and stored.entity == got


def test_task_get_fills_the_resource_type_and_misses_are_none(store: Store) -> None:
    tasks = TaskRepository(store)
    _add_task(tasks, "t")
    unspecified = _id(identifier_pb2.UNSPECIFIED, "t")
    got = tasks.get(unspecified)
    assert got is not None and got.id.resource_type == identifier_pb2.TASK
    assert tasks.get(_id(identifier_pb2.TASK, "t", "v2")) is None
    assert tasks.get(_id(identifier_pb2.TASK, "other")) is None
    assert tasks.get_stored(_id(identifier_pb2.TASK, "other")) is None


def test_task_duplicate_returns_the_stored_version_and_writes_nothing(store: Store) -> None:
    tasks = TaskRepository(store)
    assert _add_task(tasks, "t", digest="first") is None
    existing = _add_task(tasks, "t", digest="second", image="img:v2", now=NOW + dt.timedelta(hours=1))
    assert existing is not None
    assert existing.digest == "first"
    assert existing.structure.template.container.image == "img:v1"
    got = tasks.get(_id(identifier_pb2.TASK, "t"))
    assert got is not None and got.closure.compiled_task.template.container.image == "img:v1"


def test_task_description_is_written_with_the_version(store: Store) -> None:
    tasks = TaskRepository(store)
    described = description_entity_pb2.DescriptionEntity(
        short_description="short",
        long_description=description_entity_pb2.Description(value="long"),
        source_code=description_entity_pb2.SourceCode(link="https://example.com/t.py"),
    )
    assert _add_task(tasks, "t", description=described) is None
    assert _add_task(tasks, "plain", description=None) is None
    got = tasks.get(_id(identifier_pb2.TASK, "t"))
    assert got is not None and got.short_description == "short"
    entity = DescriptionRepository(store).get(_id(identifier_pb2.TASK, "t"))
    assert entity is not None
    assert entity.short_description == "short"
    assert entity.long_description.value == "long"
    assert entity.source_code.link == "https://example.com/t.py"
    assert DescriptionRepository(store).get(_id(identifier_pb2.TASK, "plain")) is None
    assert DescriptionRepository(store).get(_id(identifier_pb2.WORKFLOW, "t")) is None  # keyed by resource type too


def test_task_list_filters_sorts_and_pages(store: Store) -> None:
    tasks = TaskRepository(store)
    for i in range(5):
        _add_task(tasks, "t", f"v{i}", now=NOW + dt.timedelta(minutes=i))
    _add_task(tasks, "other", "v0")
    newest_first = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING)
    page, token = tasks.list(_list(name="t", limit=2, sort_by=newest_first), "ListTasks")
    assert [t.id.version for t in page] == ["v4", "v3"]
    assert token == "2"
    page, token = tasks.list(_list(name="t", limit=2, token=token, sort_by=newest_first), "ListTasks")
    assert [t.id.version for t in page] == ["v2", "v1"]
    page, token = tasks.list(_list(name="t", limit=2, token=token, sort_by=newest_first), "ListTasks")
    assert [t.id.version for t in page] == ["v0"] and token == ""
    page, _ = tasks.list(_list(limit=10, filters="eq(name,other)"), "ListTasks")
    assert [t.id.name for t in page] == ["other"]
    ascending = common_pb2.Sort(key="version", direction=common_pb2.Sort.ASCENDING)
    page, _ = tasks.list(_list(name="t", limit=10, sort_by=ascending), "ListTasks")
    assert [t.id.version for t in page] == [f"v{i}" for i in range(5)]
    assert tasks.list(_list(project="elsewhere", limit=10), "ListTasks") == ([], "")
    with pytest.raises(AdminError, match="invalid pagination token x for ListTasks"):
        tasks.list(_list(limit=10, token="x"), "ListTasks")


def test_task_list_names(store: Store) -> None:
    tasks = TaskRepository(store)
    for name in ("b", "a", "c"):
        _add_task(tasks, name, "v1")
        _add_task(tasks, name, "v2")
    request = common_pb2.NamedEntityIdentifierListRequest(
        project=P, domain=D, limit=2, sort_by=common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
    )
    names = tasks.list_names(request, "ListUniqueTaskIdentifiers")
    assert [e.name for e in names.entities] == ["a", "b"] and names.token == "2"


def test_get_in_joins_the_callers_transaction(store: Store) -> None:
    tasks = TaskRepository(store)
    _add_task(tasks, "t")
    with store.read() as tx:
        got = tasks.get_in(tx, _id(identifier_pb2.TASK, "t"))
        missing = tasks.get_in(tx, _id(identifier_pb2.TASK, "nope"))
    assert got is not None and missing is None


# --- workflows -------------------------------------------------------------------------------------------------------


def test_workflow_get_has_the_closure_and_list_the_stub(store: Store) -> None:
    workflows = WorkflowRepository(store)
    _add_workflow(workflows, "wf")
    ident = _id(identifier_pb2.WORKFLOW, "wf")
    got = workflows.get(ident)
    assert got is not None
    assert got.closure.compiled_workflow.primary.template.id == ident
    listed, _ = workflows.list(_list(limit=10), "ListWorkflows")
    assert len(listed) == 1
    stub = listed[0]
    assert stub.id == ident
    assert stub.closure.compiled_workflow.primary.template.interface == _interface()
    assert not stub.closure.compiled_workflow.primary.template.HasField("id")
    interface = workflows.get_interface(ident)
    assert interface is not None and interface.entity == _interface()
    stored = workflows.get_stored(ident)
    assert stored is not None and interface.row_id == stored.row_id
    assert workflows.get_interface(_id(identifier_pb2.WORKFLOW, "nope")) is None


def test_workflow_duplicate(store: Store) -> None:
    workflows = WorkflowRepository(store)
    _add_workflow(workflows, "wf")
    existing = workflows.create(
        _id(identifier_pb2.WORKFLOW, "wf"),
        workflow_pb2.WorkflowClosure(),
        typed_interface=None,
        remote_closure_identifier="",
        digest="other",
        description=None,
        now=NOW,
    )
    assert existing is not None and existing.digest == "wd"
    assert existing.structure.primary.template.interface == _interface()


# --- launch plans ----------------------------------------------------------------------------------------------------


def _launch_plans(store: Store) -> tuple[LaunchPlanRepository, int]:
    workflows = WorkflowRepository(store)
    _add_workflow(workflows, "wf")
    stored = workflows.get_stored(_id(identifier_pb2.WORKFLOW, "wf"))
    assert stored is not None
    return LaunchPlanRepository(store), stored.row_id


def test_launch_plan_register_get_and_duplicate(store: Store) -> None:
    plans, workflow_row = _launch_plans(store)
    plan = _plan("lp")
    assert plans.create(plan, workflow_row_id=workflow_row, digest="p1", now=NOW) is None
    got = plans.get(plan.id)
    assert got is not None
    assert got.spec == plan.spec
    assert got.closure.state == launch_plan_pb2.INACTIVE
    assert got.closure.updated_at.ToDatetime() == NOW
    existing = plans.create(plan, workflow_row_id=workflow_row, digest="p2", now=NOW)
    assert existing is not None and existing.digest == "p1" and existing.structure == plan.spec
    assert plans.get(_id(identifier_pb2.LAUNCH_PLAN, "nope")) is None


def test_launch_plan_schedule_type_column_is_filterable(store: Store) -> None:
    plans, workflow_row = _launch_plans(store)
    scheduled = _plan("cron")
    scheduled.spec.entity_metadata.schedule.cron_schedule.schedule = "* * * * *"
    plans.create(scheduled, workflow_row_id=workflow_row, digest="c", now=NOW)
    plans.create(_plan("plain"), workflow_row_id=workflow_row, digest="p", now=NOW)
    listed, _ = plans.list(_list(limit=10, filters="eq(schedule_type,CRON)"), "ListLaunchPlans")
    assert [p.id.name for p in listed] == ["cron"]


def test_launch_plan_activation_keeps_one_active_version(store: Store) -> None:
    plans, workflow_row = _launch_plans(store)
    for version in ("v1", "v2"):
        plans.create(_plan("lp", version), workflow_row_id=workflow_row, digest=version, now=NOW)
    later = NOW + dt.timedelta(minutes=1)
    assert plans.get_active(P, D, "lp") is None
    assert plans.set_state(_id(identifier_pb2.LAUNCH_PLAN, "lp", "v1"), launch_plan_pb2.ACTIVE, later)
    active = plans.get_active(P, D, "lp")
    assert active is not None and active.id.version == "v1" and active.closure.updated_at.ToDatetime() == later
    assert plans.set_state(_id(identifier_pb2.LAUNCH_PLAN, "lp", "v2"), launch_plan_pb2.ACTIVE, later)
    active = plans.get_active(P, D, "lp")
    assert active is not None and active.id.version == "v2"
    v1 = plans.get(_id(identifier_pb2.LAUNCH_PLAN, "lp", "v1"))
    assert v1 is not None and v1.closure.state == launch_plan_pb2.INACTIVE
    page, token = plans.list_active(launch_plan_pb2.ActiveLaunchPlanListRequest(project=P, domain=D, limit=10))
    assert [p.id.version for p in page] == ["v2"] and token == ""
    assert plans.set_state(_id(identifier_pb2.LAUNCH_PLAN, "lp", "v2"), launch_plan_pb2.INACTIVE, later)
    assert plans.get_active(P, D, "lp") is None
    assert not plans.set_state(_id(identifier_pb2.LAUNCH_PLAN, "lp", "v9"), launch_plan_pb2.ACTIVE, later)


def test_launch_plan_list_names_reads_the_token_first(store: Store) -> None:
    plans, workflow_row = _launch_plans(store)
    for name in ("a", "b"):
        plans.create(_plan(name), workflow_row_id=workflow_row, digest=name, now=NOW)
    request = common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=1)
    first = plans.list_names(request)
    assert len(first.entities) == 1 and first.token == "1"
    bad = common_pb2.NamedEntityIdentifierListRequest(
        project=P, domain=D, limit=1, token="x", sort_by=common_pb2.Sort(key="nope")
    )
    with pytest.raises(AdminError, match=r"^invalid pagination token x$"):
        plans.list_names(bad)
