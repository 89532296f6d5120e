"""WorkflowManager: CreateWorkflow (dependencies from the store, compilation, identical/different re-registration with
Flyte Admin's status details), GetWorkflow's full closure, ListWorkflows' stub closure, ListWorkflowIds (Flyte Admin's
``flyteadmin/pkg/manager/impl/workflow_manager.go``). Entities are serialized by flytekit, as ``pyflyte register`` would
send them."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2
from flytekit import LaunchPlan, workflow
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.task import TaskSpec
from tests import flytekit_entities
from tests.flytekit_entities import add_one, chain, double

from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.launch_plans import LaunchPlanManager
from flyteplane.admin.managers.tasks import TaskManager
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.wiring import build_context

P, D = "flytesnacks", "development"


chain_lp = LaunchPlan.get_or_create(chain, "chain_lp", default_inputs={"x": 5})


@workflow
def outer(y: int) -> int:
    return chain_lp(x=y)


@workflow
def chain_changed(x: int = 3) -> int:
    return add_one(x=double(x=x))


def serialize(version: str = "v1", *entities: Any) -> list[Any]:
    """flytekit's serialization of ``entities`` (default: ``outer``, which reaches everything else)."""
    return flytekit_entities.serialize(version, *(entities or (outer,)))


class Registry:
    def __init__(self, ctx: AdminContext) -> None:
        self.tasks = TaskManager(ctx)
        self.workflows = WorkflowManager(ctx)
        self.launch_plans = LaunchPlanManager(ctx)

    def register(self, models: list[Any]) -> None:
        for model in models:
            if isinstance(model, TaskSpec):
                pb = model.to_flyte_idl()
                self.tasks.create_task(task_pb2.TaskCreateRequest(id=pb.template.id, spec=pb))
            elif isinstance(model, WorkflowSpec):
                pb = model.to_flyte_idl()
                self.workflows.create_workflow(workflow_pb2.WorkflowCreateRequest(id=pb.template.id, spec=pb))
            else:
                pb = model.to_flyte_idl()
                self.launch_plans.create_launch_plan(launch_plan_pb2.LaunchPlanCreateRequest(id=pb.id, spec=pb.spec))


@pytest.fixture
def registry(ctx: AdminContext) -> Registry:
    return Registry(ctx)


def wf_id(name: str, version: str = "v1") -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name=name, version=version
    )


def error_of(call: Any, request: Any) -> AdminError:
    with pytest.raises(AdminError) as info:
        call(request)
    return info.value


def _workflow_request(name: str, models: list[Any]) -> workflow_pb2.WorkflowCreateRequest:
    for model in models:
        if isinstance(model, WorkflowSpec) and model.template.id.name == name:
            pb = model.to_flyte_idl()
            return workflow_pb2.WorkflowCreateRequest(id=pb.template.id, spec=pb)
    raise KeyError(name)


def test_register_and_get_full_closure(registry: Registry) -> None:
    registry.register(serialize())
    got = registry.workflows.get_workflow(common_pb2.ObjectGetRequest(id=wf_id(chain.name)))
    assert got.id == wf_id(chain.name)
    primary = got.closure.compiled_workflow.primary
    assert [n.id for n in primary.template.nodes][:2] == ["start-node", "end-node"]
    assert {t.template.id.name for t in got.closure.compiled_workflow.tasks} == {
        add_one.name,
        double.name,
    }
    assert got.closure.created_at.seconds > 0
    # A launch plan node: the launch plan's interface is part of the compiled closure.
    outer_wf = registry.workflows.get_workflow(common_pb2.ObjectGetRequest(id=wf_id(outer.name)))
    assert [lp.template.id.name for lp in outer_wf.closure.compiled_workflow.launch_plans] == ["chain_lp"]


def test_get_workflow_validation_and_not_found(registry: Registry) -> None:
    registry.register(serialize())
    # UNSPECIFIED resource type is read as WORKFLOW (Flyte Admin's RPC layer fills it in).
    unspecified = identifier_pb2.Identifier(project=P, domain=D, name=chain.name, version="v1")
    assert registry.workflows.get_workflow(common_pb2.ObjectGetRequest(id=unspecified)).id == wf_id(chain.name)
    err = error_of(registry.workflows.get_workflow, common_pb2.ObjectGetRequest(id=wf_id(chain.name, version="")))
    assert (err.code, err.message) == (grpc.StatusCode.INVALID_ARGUMENT, "missing version")
    err = error_of(registry.workflows.get_workflow, common_pb2.ObjectGetRequest(id=wf_id(f"{__name__}.nope")))
    assert err.code == grpc.StatusCode.NOT_FOUND
    assert err.message == (
        f'missing entity of type WORKFLOW with identifier project:"{P}" domain:"{D}" name:"{__name__}.nope" '
        'version:"v1"'
    )
    task_typed = identifier_pb2.Identifier()
    task_typed.CopyFrom(wf_id(chain.name))
    task_typed.resource_type = identifier_pb2.TASK
    err = error_of(registry.workflows.get_workflow, common_pb2.ObjectGetRequest(id=task_typed))
    assert err.message.startswith("unexpected resource type task for identifier [")


def test_list_workflows_returns_the_stub_closure(registry: Registry) -> None:
    registry.register(serialize())
    listed = registry.workflows.list_workflows(
        common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10)
    )
    by_name = {w.id.name: w for w in listed.workflows}
    stub = by_name[chain.name]
    assert stub.closure.HasField("created_at")
    template = stub.closure.compiled_workflow.primary.template
    assert list(template.nodes) == [] and not template.HasField("id")
    assert set(template.interface.inputs.variables) == {"x"}
    assert not stub.closure.compiled_workflow.tasks
    assert listed.token == ""


def test_list_workflow_ids(registry: Registry) -> None:
    registry.register(serialize())
    registry.register(serialize("v2"))
    ids = registry.workflows.list_workflow_ids(
        common_pb2.NamedEntityIdentifierListRequest(
            project=P, domain=D, limit=10, sort_by=common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
        )
    )
    assert [e.name for e in ids.entities] == sorted([chain.name, outer.name])
    err = error_of(
        registry.workflows.list_workflow_ids,
        common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=1, token="x"),
    )
    assert err.message == "invalid pagination token x for ListWorkflowIdentifiers"


def test_missing_task_fails_compilation(registry: Registry) -> None:
    models = serialize()
    err = error_of(registry.workflows.create_workflow, _workflow_request(chain.name, models))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message == (
        f'failed to compile workflow for [resource_type:WORKFLOW project:"{P}" domain:"{D}" name:"{chain.name}" '
        f'version:"v1"] with err: missing entity of type TASK with identifier project:"{P}" domain:"{D}" '
        f'name:"{add_one.name}" version:"v1"'
    )


def test_missing_launch_plan_fails_compilation(registry: Registry) -> None:
    models = serialize()
    registry.register([m for m in models if isinstance(m, TaskSpec)])
    registry.workflows.create_workflow(_workflow_request(chain.name, models))
    err = error_of(registry.workflows.create_workflow, _workflow_request(outer.name, models))  # chain_lp is missing
    assert err.message.endswith(
        f'with err: missing entity of type LAUNCH_PLAN with identifier project:"{P}" domain:"{D}" '
        'name:"chain_lp" version:"v1"'
    )


def test_compile_error_is_reported(registry: Registry) -> None:
    models = serialize()
    registry.register(models[:2])  # the two tasks
    request = _workflow_request(chain.name, models)
    request.spec.template.nodes[0].inputs[0].binding.promise.var = "no_such_input"
    err = error_of(registry.workflows.create_workflow, request)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message.startswith(f'failed to compile workflow for [resource_type:WORKFLOW project:"{P}"')
    assert "with err: " in err.message and "no_such_input" in err.message


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.ClearField("id"), "missing id"),
        (lambda r: setattr(r.id, "resource_type", identifier_pb2.TASK), "unexpected resource type task"),
        (lambda r: setattr(r.id, "version", ""), "missing version"),
        (lambda r: setattr(r.id, "project", "nope"), "failed to validate that project [nope]"),
        (lambda r: r.ClearField("spec"), "missing spec"),
        (lambda r: r.spec.ClearField("template"), "missing spec"),
    ],
)
def test_create_workflow_request_checks(registry: Registry, mutate: Any, message: str) -> None:
    request = _workflow_request(chain.name, serialize())
    mutate(request)
    err = error_of(registry.workflows.create_workflow, request)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message.startswith(message)


def test_identical_and_different_structure(registry: Registry) -> None:
    models = serialize()
    registry.register(models)
    err = error_of(registry.workflows.create_workflow, _workflow_request(chain.name, models))
    assert (err.code, err.message) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "workflow with identical structure already exists",
    )
    (detail,) = err.details
    assert isinstance(detail, workflow_pb2.CreateWorkflowFailureReason)
    assert detail.exists_identical_structure.id == wf_id(chain.name)

    # Same name and version, different structure (the nodes swap order).
    changed = _workflow_request(chain_changed.name, serialize("v1", chain_changed))
    changed.id.name = changed.spec.template.id.name = chain.name
    err = error_of(registry.workflows.create_workflow, changed)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message.startswith(
        f"{chain.name} workflow with different structure already exists. "
        "(Please register a new version of the workflow):\n/"
    )
    assert "\n\t- " in err.message and " \n\t+ " in err.message
    (detail,) = err.details
    assert detail.exists_different_structure.id == changed.id


def test_node_limit_from_config(ctx: AdminContext) -> None:
    limited = build_context(AdminConfig(workflow_node_limit=1), ctx.store)
    registry = Registry(limited)
    models = serialize()
    registry.register(models[:2])
    err = error_of(registry.workflows.create_workflow, _workflow_request(chain.name, models))
    assert err.message == (
        f'number of nodes in workflow [resource_type:WORKFLOW project:"{P}" domain:"{D}" name:"{chain.name}" '
        'version:"v1"] exceeds limit (2 > 1)'
    )
