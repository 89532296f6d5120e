"""The registry RPCs over real gRPC, with flytekit as the peer: its SynchronousFlyteClient registers and lists, its
typed exceptions come out of our status codes, and FlyteRemote fetches what ``@task``/``@workflow`` registered."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, launch_plan_pb2, workflow_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit import LaunchPlan
from flytekit.clients.friendly import SynchronousFlyteClient
from flytekit.configuration import Config, PlatformConfig
from flytekit.exceptions.user import FlyteEntityAlreadyExistsException, FlyteInvalidInputException
from flytekit.models import filters as flyte_filters
from flytekit.models import interface as flyte_interface
from flytekit.models import literals as flyte_literals
from flytekit.models import task as flyte_task
from flytekit.models import types as flyte_types
from flytekit.models.admin.common import Sort
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.common import NamedEntityIdentifier
from flytekit.models.core import identifier as flyte_id
from flytekit.models.launch_plan import LaunchPlanState
from flytekit.models.task import TaskSpec
from flytekit.remote import FlyteRemote
from google.rpc import status_pb2
from tests.flytekit_entities import chain, serialize

from flyteplane.admin import AdminServer

P, D = "flytesnacks", "development"


chain_lp = LaunchPlan.get_or_create(chain, "grpc_chain_lp", default_inputs={"x": 5})


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    with AdminServer() as server:  # seeds the flytesnacks project
        yield server


@pytest.fixture(scope="module")
def client(admin: AdminServer) -> SynchronousFlyteClient:
    return SynchronousFlyteClient(PlatformConfig(endpoint=admin.endpoint, insecure=True))


@pytest.fixture(scope="module")
def stub(admin: AdminServer) -> Iterator[admin_pb2_grpc.AdminServiceStub]:
    with grpc.insecure_channel(admin.endpoint) as channel:
        yield admin_pb2_grpc.AdminServiceStub(channel)


def seed_task(
    name: str = "my_example_task", version: str = "1.0.0", image: str = "ghcr.io/flyteorg/flytekit:py3.9-latest"
):  # type: ignore[no-untyped-def]
    """The seed document's example task, written with flytekit's models."""
    task_id = flyte_id.Identifier(flyte_id.ResourceType.TASK, P, D, name, version)
    integer = flyte_types.LiteralType(simple=flyte_types.SimpleType.INTEGER)
    template = flyte_task.TaskTemplate(
        id=task_id,
        type="python-task",
        metadata=flyte_task.TaskMetadata(
            discoverable=False,
            runtime=flyte_task.RuntimeMetadata(flyte_task.RuntimeMetadata.RuntimeType.FLYTE_SDK, "1.16.0", "python"),
            timeout=dt.timedelta(0),
            retries=flyte_literals.RetryStrategy(0),
            interruptible=False,
            discovery_version="",
            deprecated_error_message="",
            cache_serializable=False,
            pod_template_name="",
            cache_ignore_input_vars=(),
        ),
        interface=flyte_interface.TypedInterface(
            inputs={"x": flyte_interface.Variable(integer, "x")},
            outputs={"y": flyte_interface.Variable(integer, "y")},
        ),
        custom={},
        container=flyte_task.Container(
            image=image,
            command=["python"],
            args=["-c", "print('hello world')"],
            resources=flyte_task.Resources(requests=[], limits=[]),
            env={},
            config={},
        ),
    )
    return task_id, flyte_task.TaskSpec(template)


def test_seed_task_registers_and_reads_back(client: SynchronousFlyteClient) -> None:
    task_id, spec = seed_task()
    client.create_task(task_id, spec)
    got = client.get_task(task_id)
    assert got.id == task_id
    assert got.closure.compiled_task.template.container.image == "ghcr.io/flyteorg/flytekit:py3.9-latest"
    tasks, _token = client.list_tasks_paginated(NamedEntityIdentifier(P, D), limit=10)
    assert task_id in [t.id for t in tasks]


def test_reregistration_exceptions(client: SynchronousFlyteClient) -> None:
    task_id, spec = seed_task("reregistered")
    client.create_task(task_id, spec)
    with pytest.raises(FlyteEntityAlreadyExistsException, match="task with identical structure already exists"):
        client.create_task(task_id, spec)
    _, changed = seed_task("reregistered", image="ghcr.io/flyteorg/flytekit:py3.12-latest")
    with pytest.raises(FlyteInvalidInputException) as info:
        client.create_task(task_id, changed)
    text = str(info.value)
    assert "reregistered task with different structure already exists" in text
    assert "py3.12-latest" in text


def test_listing_hundreds_of_tasks(client: SynchronousFlyteClient) -> None:
    names = [f"bulk.t{i:03d}" for i in range(100)]
    for name in names:
        for version in ("a", "b", "c"):
            task_id, spec = seed_task(name, version)
            client.create_task(task_id, spec)

    # Every version of every bulk task, 40 per page, newest first, through the token.
    seen: list[tuple[str, str]] = []
    token = ""
    pages = 0
    while True:
        page, token = client.list_tasks_paginated(
            NamedEntityIdentifier(P, D),
            limit=40,
            token=token,
            filters=[flyte_filters.Contains("name", ["bulk."])],
            sort_by=Sort("created_at", Sort.Direction.DESCENDING),
        )
        seen.extend((t.id.name, t.id.version) for t in page)
        pages += 1
        if not token:
            break
    assert pages == 8 and len(seen) == 300 and len(set(seen)) == 300
    assert seen[0] == ("bulk.t099", "c") and seen[-1] == ("bulk.t000", "a")

    only_b, token = client.list_tasks_paginated(
        NamedEntityIdentifier(P, D),
        limit=500,
        filters=[flyte_filters.Equal("version", "b"), flyte_filters.ValueIn("name", ["bulk.t001", "bulk.t002"])],
        sort_by=Sort("name", Sort.Direction.ASCENDING),
    )
    assert [(t.id.name, t.id.version) for t in only_b] == [("bulk.t001", "b"), ("bulk.t002", "b")] and token == ""

    ids, token = client.list_task_ids_paginated(P, D, limit=50, sort_by=Sort("name", Sort.Direction.ASCENDING))
    assert len(ids) == 50 and token == "50"
    assert [i.name for i in ids if i.name.startswith("bulk.")][:2] == ["bulk.t000", "bulk.t001"]


def test_bad_list_requests_are_invalid_argument(stub: admin_pb2_grpc.AdminServiceStub) -> None:
    base = common_pb2.NamedEntityIdentifier(project=P, domain=D)
    for request, message in (
        (common_pb2.ResourceListRequest(id=base), "invalid value for limit"),
        (common_pb2.ResourceListRequest(id=base, limit=1, filters="eq(nope,1)"), "'t.nope' is invalid filter"),
        (common_pb2.ResourceListRequest(id=base, limit=1, token="abc"), "invalid pagination token abc for ListTasks"),
    ):
        with pytest.raises(grpc.RpcError) as info:
            stub.ListTasks(request)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details() == message


def _serialized(version: str) -> list[Any]:
    return serialize(version, chain, chain_lp)


def _register(client: SynchronousFlyteClient, models: list[Any]) -> None:
    for model in models:
        if isinstance(model, TaskSpec):
            client.create_task(model.template.id, model)
        elif isinstance(model, WorkflowSpec):
            client.create_workflow(model.template.id, model)
        else:
            client.create_launch_plan(model.id, model.spec)


def test_flytekit_workflow_and_launch_plan_round_trip(admin: AdminServer, client: SynchronousFlyteClient) -> None:
    _register(client, _serialized("wf1"))
    remote = FlyteRemote(Config.for_endpoint(admin.endpoint, insecure=True), default_project=P, default_domain=D)
    name = chain.name

    fetched = remote.fetch_workflow(P, D, name, "wf1")
    assert fetched.id.name == name and fetched.id.version == "wf1"
    assert list(fetched.interface.inputs) == ["x"] and list(fetched.interface.outputs) == ["o0"]
    assert {n.id for n in fetched.flyte_nodes} >= {"n0", "n1"}
    latest = remote.fetch_workflow(P, D, name)  # no version: ListWorkflows (stub closures), newest first
    assert latest.id.version == "wf1"

    plan = remote.fetch_launch_plan(P, D, "grpc_chain_lp", "wf1")
    assert plan.workflow_id.name == name
    assert plan.default_inputs.parameters["x"].default.scalar.primitive.integer == 5
    assert remote.fetch_active_launchplan(P, D, "grpc_chain_lp") is None
    client.update_launch_plan(plan.id, LaunchPlanState.ACTIVE)
    active = remote.fetch_active_launchplan(P, D, "grpc_chain_lp")
    assert active is not None and active.id.version == "wf1"


def _status_details(error: grpc.RpcError) -> list[Any]:
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            reasons = []
            for detail in status.details:
                reason = workflow_pb2.CreateWorkflowFailureReason()
                assert detail.Unpack(reason)
                reasons.append(reason)
            return reasons
    return []


def test_workflow_conflicts_carry_status_details(
    client: SynchronousFlyteClient, stub: admin_pb2_grpc.AdminServiceStub
) -> None:
    models = _serialized("wf2")
    _register(client, models)
    wf = next(m for m in models if isinstance(m, WorkflowSpec)).to_flyte_idl()
    request = workflow_pb2.WorkflowCreateRequest(id=wf.template.id, spec=wf)
    with pytest.raises(grpc.RpcError) as info:
        stub.CreateWorkflow(request)
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    (reason,) = _status_details(info.value)
    assert reason.exists_identical_structure.id == wf.template.id

    request.spec.template.metadata.on_failure = 1  # FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
    with pytest.raises(grpc.RpcError) as info:
        stub.CreateWorkflow(request)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "/primary/template/metadata/on_failure" in info.value.details()
    (reason,) = _status_details(info.value)
    assert reason.exists_different_structure.id == wf.template.id


def test_named_entities_and_launch_plan_ids_over_grpc(
    client: SynchronousFlyteClient, stub: admin_pb2_grpc.AdminServiceStub
) -> None:
    _register(client, _serialized("wf3"))
    name = chain.name
    entity_id = common_pb2.NamedEntityIdentifier(project=P, domain=D, name=name)
    stub.UpdateNamedEntity(
        common_pb2.NamedEntityUpdateRequest(
            resource_type=identifier_pb2.WORKFLOW,
            id=entity_id,
            metadata=common_pb2.NamedEntityMetadata(description="chains two tasks"),
        )
    )
    got = stub.GetNamedEntity(common_pb2.NamedEntityGetRequest(resource_type=identifier_pb2.WORKFLOW, id=entity_id))
    assert got.metadata.description == "chains two tasks"
    listed = stub.ListNamedEntities(
        common_pb2.NamedEntityListRequest(resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, limit=100)
    )
    assert name in [e.id.name for e in listed.entities]
    ids = stub.ListLaunchPlanIds(common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=100))
    assert "grpc_chain_lp" in [e.name for e in ids.entities]
    plans = stub.ListLaunchPlans(
        common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="grpc_chain_lp"), limit=10
        )
    )
    assert {p.id.version for p in plans.launch_plans} >= {"wf3"}
    with pytest.raises(grpc.RpcError) as info:
        stub.GetActiveLaunchPlan(
            launch_plan_pb2.ActiveLaunchPlanRequest(
                id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="none")
            )
        )
    assert (info.value.code(), info.value.details()) == (
        grpc.StatusCode.NOT_FOUND,
        f"No active launch plan could be found: {P}:{D}:none",
    )


def test_get_task_throughput(admin: AdminServer, client: SynchronousFlyteClient) -> None:
    """A smoke check of the cached GetTask path under 8 client threads (the real benchmark lives elsewhere)."""
    task_id, spec = seed_task("hot", "v1")
    client.create_task(task_id, spec)
    request = common_pb2.ObjectGetRequest(id=task_id.to_flyte_idl())
    calls = 400
    errors: list[BaseException] = []

    def work() -> None:
        with grpc.insecure_channel(admin.endpoint) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            try:
                for _ in range(calls):
                    assert stub.GetTask(request).id.name == "hot"
            except BaseException as e:  # surfaced below
                errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    assert not errors
    assert 8 * calls / elapsed > 200  # generous floor: a regression to per-call database work would still pass it
