"""SynchronousFlyteClient against the embedded admin over real gRPC: every method, models in and out."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect

import pytest

from flyteplane.clients.friendly import SynchronousFlyteClient
from flyteplane.clients.operations import FriendlyOperations
from flyteplane.clients.ops import IterOp, Op
from flyteplane.clients.pager import AsyncPager, Pager
from flyteplane.errors import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
)
from flyteplane.models import filters
from flyteplane.models.admin.common import Sort
from flyteplane.models.admin.task_execution import TaskExecution
from flyteplane.models.admin.workflow import Workflow, WorkflowSpec
from flyteplane.models.common import NamedEntityIdentifier
from flyteplane.models.core.identifier import (
    Identifier,
    NodeExecutionIdentifier,
    ResourceType,
    TaskExecutionIdentifier,
    WorkflowExecutionIdentifier,
)
from flyteplane.models.launch_plan import LaunchPlan, LaunchPlanSpec, LaunchPlanState
from flyteplane.models.matchable_resource import (
    ClusterResourceAttributes,
    MatchableResource,
    MatchingAttributes,
)
from flyteplane.models.named_entity import NamedEntityMetadata, NamedEntityState
from flyteplane.models.project import Project
from flyteplane.models.task import Task, TaskSpec
from tests.flytekit_entities import build

P, D = "flytesnacks", "development"


@pytest.fixture(scope="module")
def entities():
    return build("v1")


def _register_all(client: SynchronousFlyteClient, ents) -> None:
    for tid, spec in ents.tasks:
        client.create_task(Identifier.from_flyte_idl(tid), TaskSpec.from_flyte_idl(spec))
    wid, wspec = ents.workflow
    client.create_workflow(Identifier.from_flyte_idl(wid), WorkflowSpec.from_flyte_idl(wspec))
    lid, lspec = ents.launch_plan
    client.create_launch_plan(Identifier.from_flyte_idl(lid), LaunchPlanSpec.from_flyte_idl(lspec))


def test_tasks(flyte_client, entities):
    _register_all(flyte_client, entities)
    tid = Identifier.from_flyte_idl(entities.tasks[0][0])
    task = flyte_client.get_task(tid)
    assert isinstance(task, Task)
    assert task.id == tid
    assert task.closure.compiled_task.template.id.name == tid.name

    ids, token = flyte_client.list_task_ids_paginated(P, D, limit=10)
    assert token == ""
    assert sorted(i.name for i in ids) == sorted(t[0].name for t in entities.tasks)
    assert all(isinstance(i, NamedEntityIdentifier) for i in ids)

    tasks, token = flyte_client.list_tasks_paginated(
        NamedEntityIdentifier(P, D, tid.name),
        limit=10,
        filters=[filters.Equal("version", "v1")],
        sort_by=Sort("created_at", Sort.Direction.DESCENDING),
    )
    assert [t.id for t in tasks] == [tid]
    every = flyte_client.iter_tasks(Identifier(project=P, domain=D), page_size=1).all()
    assert sorted(t.id.name for t in every) == sorted(t[0].name for t in entities.tasks)
    assert len(flyte_client.iter_task_ids(P, D, page_size=1).all()) == len(entities.tasks)

    with pytest.raises(FlyteEntityAlreadyExistsException):
        flyte_client.create_task(tid, TaskSpec.from_flyte_idl(entities.tasks[0][1]))


def test_pages_and_iterators_cover_everything_once(flyte_client, entities):
    from flyteplane.models.core.types import LiteralType, SimpleType
    from flyteplane.models.core.workflow import TaskTemplate
    from flyteplane.models.interface import TypedInterface

    for i in range(25):
        tid = Identifier(ResourceType.TASK, P, D, "paged", f"v{i:02d}")
        flyte_client.create_task(
            tid,
            TaskSpec(
                TaskTemplate(
                    id=tid,
                    type="python-task",
                    metadata={},
                    interface=TypedInterface(inputs={"x": LiteralType(simple=SimpleType.INTEGER)}, outputs={}),
                    container={"image": "img", "args": ["a"]},
                )
            ),
        )
    seen, token, pages = [], "", 0
    while True:
        page, token = flyte_client.list_tasks_paginated(
            NamedEntityIdentifier(P, D, "paged"),
            limit=10,
            token=token,
            sort_by=Sort("version", Sort.Direction.ASCENDING),
        )
        pages += 1
        seen += [t.id.version for t in page]
        if not token:
            break
    assert seen == [f"v{i:02d}" for i in range(25)]
    assert pages == 3
    pager = flyte_client.iter_tasks(
        NamedEntityIdentifier(P, D, "paged"), sort_by=Sort("version", Sort.Direction.ASCENDING), page_size=5
    )
    assert isinstance(getattr(pager, "pager", pager), Pager | AsyncPager)  # AsyncPager for the async client
    assert [t.id.version for t in pager] == seen
    assert [len(p) for p in pager.pages()] == [5] * 5
    assert [
        t.id.version
        for t in flyte_client.iter_tasks(
            NamedEntityIdentifier(P, D, "paged"), limit=7, sort_by=Sort("version", Sort.Direction.ASCENDING)
        )
    ] == seen[:7]


def test_workflows(flyte_client, entities):
    _register_all(flyte_client, entities)
    wid = Identifier.from_flyte_idl(entities.workflow[0])
    wf = flyte_client.get_workflow(wid)
    assert isinstance(wf, Workflow)
    node_ids = {n.id for n in wf.closure.compiled_workflow.primary.template.nodes}
    assert {"start-node", "end-node"} <= node_ids or len(node_ids) >= 2
    ids, _ = flyte_client.list_workflow_ids_paginated(P, D)
    assert [i.name for i in ids] == [wid.name]
    wfs, token = flyte_client.list_workflows_paginated(Identifier(project=P, domain=D), limit=5)
    assert [w.id for w in wfs] == [wid] and token == ""
    assert [w.id for w in flyte_client.iter_workflows(Identifier(project=P, domain=D))] == [wid]
    assert [i.name for i in flyte_client.iter_workflow_ids(P, D)] == [wid.name]


def test_launch_plans(flyte_client, entities):
    _register_all(flyte_client, entities)
    lid = Identifier.from_flyte_idl(entities.launch_plan[0])
    lp = flyte_client.get_launch_plan(lid)
    assert isinstance(lp, LaunchPlan)
    assert lp.closure.state == LaunchPlanState.INACTIVE
    assert "x" in lp.closure.expected_inputs.parameters
    with pytest.raises(FlyteEntityNotExistException):
        flyte_client.get_active_launch_plan(NamedEntityIdentifier(P, D, lid.name))
    flyte_client.update_launch_plan(lid, LaunchPlanState.ACTIVE)
    active = flyte_client.get_active_launch_plan(NamedEntityIdentifier(P, D, lid.name))
    assert active.id == lid
    plans, _ = flyte_client.list_active_launch_plans_paginated(P, D)
    assert [p.id for p in plans] == [lid]
    assert [p.id for p in flyte_client.iter_active_launch_plans(P, D)] == [lid]
    ids, _ = flyte_client.list_launch_plan_ids_paginated(P, D)
    assert lid.name in [i.name for i in ids]
    assert lid.name in [i.name for i in flyte_client.iter_launch_plan_ids(P, D)]
    plans, _ = flyte_client.list_launch_plans_paginated(NamedEntityIdentifier(P, D, lid.name))
    assert [p.id for p in plans] == [lid]
    assert [p.id for p in flyte_client.iter_launch_plans(NamedEntityIdentifier(P, D, lid.name))] == [lid]
    flyte_client.update_launch_plan(lid, LaunchPlanState.INACTIVE)
    assert flyte_client.list_active_launch_plans_paginated(P, D)[0] == []


def test_named_entities(flyte_client, entities):
    _register_all(flyte_client, entities)
    name = entities.workflow[0].name
    flyte_client.update_named_entity(
        ResourceType.WORKFLOW,
        NamedEntityIdentifier(P, D, name),
        NamedEntityMetadata("the chain", NamedEntityState.ACTIVE),
    )
    entity = flyte_client.get_named_entity(ResourceType.WORKFLOW, NamedEntityIdentifier(P, D, name))
    assert entity.metadata.description == "the chain"
    page, _ = flyte_client.list_named_entities_paginated(ResourceType.WORKFLOW, P, D)
    assert [e.id.name for e in page] == [name]
    assert [e.id.name for e in flyte_client.iter_named_entities(ResourceType.WORKFLOW, P, D)] == [name]


def test_description_entities(flyte_client, entities):
    _register_all(flyte_client, entities)
    page, _ = flyte_client.list_description_entities_paginated(
        ResourceType.TASK, NamedEntityIdentifier(P, D, entities.tasks[0][0].name)
    )
    for d in page:
        assert flyte_client.get_description_entity(d.id) == d
    assert len(
        flyte_client.iter_description_entities(
            ResourceType.TASK, NamedEntityIdentifier(P, D, entities.tasks[0][0].name)
        ).all()
    ) == len(page)


def test_projects_and_domains(flyte_client):
    flyte_client.register_project(Project("proj-a", "Project A", "first"))
    assert flyte_client.get_project("proj-a").name == "Project A"
    flyte_client.update_project(Project("proj-a", "Project A", "changed"))
    assert flyte_client.get_project("proj-a").description == "changed"
    projects, _ = flyte_client.list_projects_paginated()
    assert {"flytesnacks", "proj-a"} <= {p.id for p in projects}
    flyte_client.update_project(Project("proj-a", "Project A", "changed", state=Project.ProjectState.ARCHIVED))
    assert "proj-a" not in {p.id for p in flyte_client.iter_projects()}
    assert [d.id for d in flyte_client.get_domains()] == ["development", "staging", "production"]
    with pytest.raises(FlyteInvalidInputException, match="missing project_name"):
        flyte_client.register_project(Project("proj-b", "", ""))


def test_matchable_attributes(flyte_client):
    attrs = MatchingAttributes(cluster_resource_attributes=ClusterResourceAttributes({"cpu": "2"}))
    flyte_client.update_project_attributes(P, attrs)
    assert flyte_client.get_project_attributes(P, MatchableResource.CLUSTER_RESOURCE) == attrs
    assert flyte_client.get_project_domain_attributes(P, D, MatchableResource.CLUSTER_RESOURCE) == attrs
    narrower = MatchingAttributes(cluster_resource_attributes=ClusterResourceAttributes({"cpu": "4"}))
    flyte_client.update_project_domain_attributes(P, D, narrower)
    assert flyte_client.get_workflow_attributes(P, D, "wf", MatchableResource.CLUSTER_RESOURCE) == narrower
    flyte_client.update_workflow_attributes(P, D, "wf", attrs)
    assert flyte_client.get_workflow_attributes(P, D, "wf", MatchableResource.CLUSTER_RESOURCE) == attrs
    configs = flyte_client.list_matchable_attributes(MatchableResource.CLUSTER_RESOURCE)
    assert len(configs) == 3
    flyte_client.delete_workflow_attributes(P, D, "wf", MatchableResource.CLUSTER_RESOURCE)
    flyte_client.delete_project_domain_attributes(P, D, MatchableResource.CLUSTER_RESOURCE)
    flyte_client.delete_project_attributes(P, MatchableResource.CLUSTER_RESOURCE)
    with pytest.raises(FlyteEntityNotExistException):
        flyte_client.get_project_domain_attributes(P, D, MatchableResource.CLUSTER_RESOURCE)


def test_data_proxy_upload_and_download_urls(flyte_client):
    data = b"hello flyte"
    md5 = hashlib.md5(data).digest()
    up = flyte_client.get_upload_signed_url(
        P, D, content_md5=md5, filename="hello.txt", expires_in=dt.timedelta(minutes=5)
    )
    assert up.signed_url and up.native_url.endswith("hello.txt")
    down = flyte_client.get_download_signed_url(up.native_url)
    assert down.signed_url


def test_version(flyte_client):
    assert flyte_client.get_control_plane_version()


def test_execution_methods_reach_the_admin(flyte_admin, flyte_client):
    """Every execution method goes over the wire and comes back as the admin's own answer, mapped cleanly
    (nothing here exists, so: not found, or the request's missing part named)."""
    ex = WorkflowExecutionIdentifier(P, D, "abc")
    node = NodeExecutionIdentifier("n0", ex)
    task_ex = TaskExecutionIdentifier(Identifier(ResourceType.TASK, P, D, "t", "v"), node, 0)
    calls = [
        lambda: flyte_client.create_execution(P, D, "abc", None, None),
        lambda: flyte_client.recover_execution(ex),
        lambda: flyte_client.relaunch_execution(ex),
        lambda: flyte_client.get_execution(ex),
        lambda: flyte_client.get_execution_data(ex),
        lambda: flyte_client.get_execution_metrics(ex),
        lambda: flyte_client.list_executions_paginated(P, D),
        lambda: flyte_client.iter_executions(P, D).all(),
        lambda: flyte_client.terminate_execution(ex, "stop"),
        lambda: flyte_client.update_execution(ex, 1),
        lambda: flyte_client.get_node_execution(node),
        lambda: flyte_client.get_node_execution_data(node),
        lambda: flyte_client.list_node_executions(ex),
        lambda: flyte_client.iter_node_executions(ex).all(),
        lambda: flyte_client.list_node_executions_for_task_paginated(task_ex),
        lambda: flyte_client.iter_node_executions_for_task(task_ex).all(),
        lambda: flyte_client.get_task_execution(task_ex),
        lambda: flyte_client.get_task_execution_data(task_ex),
        lambda: flyte_client.list_task_executions_paginated(node),
        lambda: flyte_client.iter_task_executions(node).all(),
        lambda: flyte_client.list_signals_paginated(ex),
        lambda: flyte_client.get_data("flyte://v1/p/d/e/n0/i"),
        lambda: flyte_client.get_download_artifact_signed_url("n0", P, D, "abc"),
    ]
    flyte_admin.calls.reset()
    for call in calls:
        try:
            result = call()
        except (FlyteEntityNotExistException, FlyteInvalidInputException) as e:
            assert e.code is not None and e.code.name in {"NOT_FOUND", "INVALID_ARGUMENT"}
            assert e.rpc
        else:
            # A list of what does not exist is an empty list, as Flyte Admin answers it.
            assert result in ([], ([], "")), result
    assert sum(flyte_admin.calls.counts.values()) == len(calls)
    assert TaskExecution is not None


def test_every_friendly_method_is_covered_here():
    """Keep this file honest: a new public method of the friendly client needs a test above."""
    source = inspect.getsource(inspect.getmodule(test_tasks))  # type: ignore[arg-type]
    own = {name for name, op in vars(FriendlyOperations).items() if isinstance(op, Op | IterOp)}
    assert own <= set(dir(SynchronousFlyteClient))
    missing = sorted(name for name in own if f".{name}(" not in source)
    assert missing == []


def test_every_rpc_is_reachable_from_the_friendly_clients_by_name():
    """flytekit's friendly client inherits its raw methods; here each RPC is a friendly method or passed through."""
    from flyteplane.aio import FlyteClient
    from flyteplane.clients.operations import RawPassthrough
    from flyteplane.clients.rpcs import Rpc, RpcTable

    rpcs = {name for name, value in vars(RpcTable).items() if isinstance(value, Rpc)}
    assert len(rpcs) == 66
    for cls in (SynchronousFlyteClient, FlyteClient):
        assert rpcs <= set(dir(cls)), sorted(rpcs - set(dir(cls)))
    friendly = {name for name, op in vars(FriendlyOperations).items() if isinstance(op, Op | IterOp)}
    passed = {name for name, value in vars(RawPassthrough).items() if isinstance(value, Rpc)}
    assert not friendly & passed


def test_raw_methods_on_the_friendly_client(flyte_client):
    from flyteidl.admin import project_pb2

    projects = flyte_client.list_projects(project_pb2.ProjectListRequest(limit=10))
    assert "flytesnacks" in [p.id for p in projects.projects]  # a protobuf, as flytekit's inherited raw method
    assert flyte_client.get_version().control_plane_version.Version == flyte_client.get_control_plane_version()
    assert flyte_client.raw.list_projects().projects == flyte_client.list_projects().projects
