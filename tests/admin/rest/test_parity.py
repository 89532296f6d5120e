"""Every REST route answers what the gRPC side answers, marshalled as flyteadmin's gateway marshals it.

One admin with auth on (the built-in server, a minted token sent on both sides), seeded with registered entities
(flytekit's serialization of ``chain``), a run reported as propeller reports it, signals and attributes. Each
route of the table has a case: a request message; the test sends it over REST (path variables, query parameters
or JSON body, built from the message) and over gRPC, and compares the JSON. A mutating RPC gets a twin request
for the gRPC side (names ending ``-grpc`` instead of ``-rest``), so both sides do the same thing to different
objects. The set of cases must be the whole route table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest
from flyteidl.admin import (
    common_pb2,
    description_entity_pb2,
    execution_pb2,
    launch_plan_pb2,
    matchable_resource_pb2,
    node_execution_pb2,
    project_attributes_pb2,
    project_domain_attributes_pb2,
    project_pb2,
    signal_pb2,
    task_execution_pb2,
    task_pb2,
    version_pb2,
    workflow_attributes_pb2,
    workflow_pb2,
)
from flyteidl.admin import (
    event_pb2 as admin_event_pb2,
)
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.service import auth_pb2, dataproxy_pb2, identity_pb2
from flytekit import LaunchPlan
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.launch_plan import LaunchPlan as LaunchPlanModel
from flytekit.models.task import TaskSpec
from google.protobuf import json_format, message_factory
from google.rpc import status_pb2
from tests.flytekit_entities import chain, serialize
from tests.rest_support import Served, reference_json, serve_gateway
from tests.run_events import NODE, TASK, WF, insert_execution, literal_map, node_event, node_id, task_event, wf_event
from tests.run_events import task_execution_id as te_id

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig
from flyteplane.admin.rest.errors import http_status
from flyteplane.admin.rest.marshal import to_json_value
from flyteplane.admin.rest.routes import RestRoute, route_table

P, D = "flytesnacks", "development"
rest_lp = LaunchPlan.get_or_create(chain, "rest_chain_lp", default_inputs={"x": 5})
CHAIN = "tests.flytekit_entities.chain"
ADD_ONE = "tests.flytekit_entities.add_one"


def ident(kind: int, name: str, version: str = "v1", domain: str = D) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(resource_type=kind, project=P, domain=domain, name=name, version=version)


def named(name: str = "", domain: str = D) -> common_pb2.NamedEntityIdentifier:
    return common_pb2.NamedEntityIdentifier(project=P, domain=domain, name=name)


def wx(name: str) -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name=name)


@dataclass
class World:
    admin: AdminServer
    served: Served
    token: str
    channel: grpc.Channel
    specs: dict[str, Any] = field(default_factory=dict)

    def grpc_call(self, rest_route: RestRoute, request: Any) -> tuple[grpc.StatusCode, Any]:
        method = rest_route.method
        call = self.channel.unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=message_factory.GetMessageClass(method.output_type).FromString,
        )
        try:
            return grpc.StatusCode.OK, call(request, metadata=(("authorization", f"Bearer {self.token}"),))
        except grpc.RpcError as e:
            return e.code(), e  # type: ignore[attr-defined]


def _create(stub: Any, spec: Any) -> None:
    if isinstance(spec, TaskSpec):
        stub.CreateTask(task_pb2.TaskCreateRequest(id=spec.template.id.to_flyte_idl(), spec=spec.to_flyte_idl()))
    elif isinstance(spec, WorkflowSpec):
        request = workflow_pb2.WorkflowCreateRequest(id=spec.template.id.to_flyte_idl(), spec=spec.to_flyte_idl())
        stub.CreateWorkflow(request)
    elif isinstance(spec, LaunchPlanModel):
        stub.CreateLaunchPlan(
            launch_plan_pb2.LaunchPlanCreateRequest(id=spec.id.to_flyte_idl(), spec=spec.spec.to_flyte_idl())
        )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    from flyteidl.service import admin_pb2_grpc, signal_pb2_grpc

    with AdminServer(auth=AuthConfig.self_issued(default_user="alice")) as admin:
        assert admin.auth is not None and admin.context is not None
        token = admin.auth.mint("alice", claims={"email": "alice@example.com", "name": "Alice"})
        served_iter = serve_gateway(admin)
        served = next(served_iter)
        channel = grpc.insecure_channel(admin.endpoint)
        meta = (("authorization", f"Bearer {token}"),)

        class Authed:
            def __init__(self, stub: Any) -> None:
                self._stub = stub

            def __getattr__(self, name: str) -> Callable[[Any], Any]:
                return lambda request: getattr(self._stub, name)(request, metadata=meta)

        stub: Any = Authed(admin_pb2_grpc.AdminServiceStub(channel))
        signals: Any = Authed(signal_pb2_grpc.SignalServiceStub(channel))
        world = World(admin, served, token, channel)
        for domain in (D, "staging"):
            for spec in serialize("v1", rest_lp, domain=domain):
                _create(stub, spec)
                if domain == D:
                    kind = type(spec).__name__
                    world.specs[kind] = spec
        store = admin.context.store
        run = insert_execution(store, "restrun")
        send = stub
        send.CreateWorkflowEvent(
            admin_event_pb2.WorkflowExecutionEventRequest(request_id="r", event=wf_event(run, WF.RUNNING, 1))
        )
        send.CreateNodeEvent(
            admin_event_pb2.NodeExecutionEventRequest(
                request_id="r", event=node_event(run, "n0", NODE.RUNNING, 2, input_data=literal_map(n=3))
            )
        )
        n0 = node_id(run, "n0")
        send.CreateTaskEvent(
            admin_event_pb2.TaskExecutionEventRequest(
                request_id="r", event=task_event(n0, TASK.RUNNING, 3, input_data=literal_map(n=3))
            )
        )
        for twin in ("rest", "grpc"):
            insert_execution(store, f"term-{twin}", phase="RUNNING")
            insert_execution(store, f"wfev-{twin}")
            for name in (f"ndev-{twin}", f"tkev-{twin}"):
                eid = insert_execution(store, name)
                send.CreateWorkflowEvent(
                    admin_event_pb2.WorkflowExecutionEventRequest(request_id="r", event=wf_event(eid, WF.RUNNING, 1))
                )
            send.CreateNodeEvent(
                admin_event_pb2.NodeExecutionEventRequest(
                    request_id="r", event=node_event(wx(f"tkev-{twin}"), "n9", NODE.RUNNING, 2)
                )
            )
            signals.GetOrCreateSignal(
                signal_pb2.SignalGetOrCreateRequest(
                    id=identifier_pb2.SignalIdentifier(execution_id=run, signal_id=f"approve-{twin}"),
                    type=types_pb2.LiteralType(simple=types_pb2.BOOLEAN),
                )
            )
            stub.RegisterProject(
                project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id=f"twin-{twin}", name=f"twin-{twin}"))
            )
            stub.UpdateProjectAttributes(
                project_attributes_pb2.ProjectAttributesUpdateRequest(
                    attributes=project_attributes_pb2.ProjectAttributes(
                        project=f"twin-{twin}", matching_attributes=QUEUE
                    )
                )
            )
            stub.UpdateWorkflowAttributes(
                workflow_attributes_pb2.WorkflowAttributesUpdateRequest(
                    attributes=workflow_attributes_pb2.WorkflowAttributes(
                        project=P, domain=D, workflow=f"wf-{twin}", matching_attributes=QUEUE
                    )
                )
            )
        for domain in ("staging", "production"):
            stub.UpdateProjectDomainAttributes(
                project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest(
                    attributes=project_domain_attributes_pb2.ProjectDomainAttributes(
                        project=P, domain=domain, matching_attributes=QUEUE
                    )
                )
            )
        try:
            yield world
        finally:
            channel.close()
            served_iter.close()


QUEUE = matchable_resource_pb2.MatchingAttributes(
    execution_queue_attributes=matchable_resource_pb2.ExecutionQueueAttributes(tags=["gpu"])
)
EQ = matchable_resource_pb2.EXECUTION_QUEUE


@dataclass
class Case:
    """What to send: the REST request and (for a mutation) the gRPC side's twin; fields to ignore when comparing
    (a signed URL made a moment later differs)."""

    rest: Any
    grpc: Any = None
    ignore: tuple[str, ...] = ()


def cases(world: World) -> dict[str, Callable[[], Case]]:
    spec = world.specs
    task_spec, wf_spec, lp_spec = spec["TaskSpec"], spec["WorkflowSpec"], spec["LaunchPlan"]
    run = wx("restrun")
    n0 = node_id(run, "n0")
    te = te_id(n0)
    task_id = ident(identifier_pb2.TASK, ADD_ONE)
    wf_id = ident(identifier_pb2.WORKFLOW, CHAIN)
    lp_id = ident(identifier_pb2.LAUNCH_PLAN, "rest_chain_lp")
    sort = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING)

    def twins(make: Callable[[str], Any], ignore: tuple[str, ...] = ()) -> Callable[[], Case]:
        return lambda: Case(make("rest"), make("grpc"), ignore)

    def same(request: Any, ignore: tuple[str, ...] = ()) -> Callable[[], Case]:
        return lambda: Case(request, None, ignore)

    def task_create(t: str) -> Any:
        i = ident(identifier_pb2.TASK, ADD_ONE, f"c-{t}")
        s = task_pb2.TaskSpec()
        s.CopyFrom(task_spec.to_flyte_idl())
        s.template.id.CopyFrom(i)
        return task_pb2.TaskCreateRequest(id=i, spec=s)

    def wf_create(t: str) -> Any:
        i = ident(identifier_pb2.WORKFLOW, CHAIN, f"c-{t}")
        s = workflow_pb2.WorkflowSpec()
        s.CopyFrom(wf_spec.to_flyte_idl())
        s.template.id.CopyFrom(i)
        return workflow_pb2.WorkflowCreateRequest(id=i, spec=s)

    def lp_create(t: str) -> Any:
        return launch_plan_pb2.LaunchPlanCreateRequest(
            id=ident(identifier_pb2.LAUNCH_PLAN, "rest_chain_lp", f"c-{t}"), spec=lp_spec.spec.to_flyte_idl()
        )

    def ex_create(t: str) -> Any:
        spec = execution_pb2.ExecutionSpec(
            launch_plan=ident(identifier_pb2.LAUNCH_PLAN, "rest_chain_lp", domain="staging")
        )
        return execution_pb2.ExecutionCreateRequest(
            project=P, domain="staging", name=f"x1-{t}", spec=spec, inputs=literal_map(x=1)
        )

    def signal_id(name: str) -> identifier_pb2.SignalIdentifier:
        return identifier_pb2.SignalIdentifier(execution_id=run, signal_id=name)

    true = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=True)))
    return {
        "AdminService_CreateTask": twins(task_create),
        "AdminService_GetTask": same(admin_get(task_id)),
        "AdminService_ListTaskIds": same(
            common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=10, sort_by=sort)
        ),
        "AdminService_ListTasks": same(common_pb2.ResourceListRequest(id=named(ADD_ONE), limit=5, sort_by=sort)),
        "AdminService_ListTasks2": same(common_pb2.ResourceListRequest(id=named(), limit=5, filters="eq(version,v1)")),
        "AdminService_CreateWorkflow": twins(wf_create),
        "AdminService_GetWorkflow": same(admin_get(wf_id)),
        "AdminService_ListWorkflowIds": same(
            common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=10)
        ),
        "AdminService_ListWorkflows": same(common_pb2.ResourceListRequest(id=named(CHAIN), limit=5)),
        "AdminService_ListWorkflows2": same(common_pb2.ResourceListRequest(id=named(), limit=5)),
        "AdminService_GetDynamicNodeWorkflow": same(node_execution_pb2.GetDynamicNodeWorkflowRequest(id=n0)),
        "AdminService_CreateLaunchPlan": twins(lp_create),
        "AdminService_GetLaunchPlan": same(admin_get(lp_id)),
        "AdminService_GetActiveLaunchPlan": same(launch_plan_pb2.ActiveLaunchPlanRequest(id=named("rest_chain_lp"))),
        "AdminService_ListActiveLaunchPlans": same(
            launch_plan_pb2.ActiveLaunchPlanListRequest(project=P, domain=D, limit=10)
        ),
        "AdminService_ListLaunchPlanIds": same(
            common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=10)
        ),
        "AdminService_ListLaunchPlans": same(common_pb2.ResourceListRequest(id=named("rest_chain_lp"), limit=5)),
        "AdminService_ListLaunchPlans2": same(common_pb2.ResourceListRequest(id=named(), limit=5)),
        "AdminService_UpdateLaunchPlan": same(
            launch_plan_pb2.LaunchPlanUpdateRequest(id=lp_id, state=launch_plan_pb2.INACTIVE)
        ),
        "AdminService_CreateExecution": twins(ex_create),
        "AdminService_RelaunchExecution": twins(
            lambda t: execution_pb2.ExecutionRelaunchRequest(id=wx("restrun"), name=f"rl-{t}")
        ),
        "AdminService_RecoverExecution": twins(
            lambda t: execution_pb2.ExecutionRecoverRequest(id=wx("restrun"), name=f"rc-{t}")
        ),
        "AdminService_GetExecution": same(execution_pb2.WorkflowExecutionGetRequest(id=run)),
        "AdminService_UpdateExecution": same(
            execution_pb2.ExecutionUpdateRequest(id=wx("term-rest"), state=execution_pb2.EXECUTION_ACTIVE)
        ),
        "AdminService_GetExecutionData": same(execution_pb2.WorkflowExecutionGetDataRequest(id=run)),
        "AdminService_ListExecutions": same(
            common_pb2.ResourceListRequest(id=named(), limit=3, filters="eq(phase,RUNNING)")
        ),
        "AdminService_TerminateExecution": twins(
            lambda t: execution_pb2.ExecutionTerminateRequest(id=wx(f"term-{t}"), cause="stop")
        ),
        "AdminService_GetNodeExecution": same(node_execution_pb2.NodeExecutionGetRequest(id=n0)),
        "AdminService_ListNodeExecutions": same(
            node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=run, limit=10)
        ),
        "AdminService_ListNodeExecutionsForTask": same(
            node_execution_pb2.NodeExecutionForTaskListRequest(task_execution_id=te, limit=10)
        ),
        "AdminService_GetNodeExecutionData": same(node_execution_pb2.NodeExecutionGetDataRequest(id=n0)),
        "AdminService_RegisterProject": twins(
            lambda t: project_pb2.ProjectRegisterRequest(
                project=project_pb2.Project(id=f"new-{t}", name=f"new-{t}", description="d")
            )
        ),
        "AdminService_UpdateProject": same(
            project_pb2.Project(id="twin-rest", name="twin-rest", description="updated")
        ),
        "AdminService_GetProject": same(project_pb2.ProjectGetRequest(id=P)),
        "AdminService_ListProjects": same(
            project_pb2.ProjectListRequest(limit=100, sort_by=common_pb2.Sort(key="identifier"))
        ),
        "AdminService_GetDomains": same(project_pb2.GetDomainRequest()),
        "AdminService_CreateWorkflowEvent": twins(
            lambda t: admin_event_pb2.WorkflowExecutionEventRequest(
                request_id="x", event=wf_event(wx(f"wfev-{t}"), WF.RUNNING, 5)
            )
        ),
        "AdminService_CreateNodeEvent": twins(
            lambda t: admin_event_pb2.NodeExecutionEventRequest(
                request_id="x", event=node_event(wx(f"ndev-{t}"), "n9", NODE.RUNNING, 5)
            )
        ),
        "AdminService_CreateTaskEvent": twins(
            lambda t: admin_event_pb2.TaskExecutionEventRequest(
                request_id="x", event=task_event(node_id(wx(f"tkev-{t}"), "n9"), TASK.RUNNING, 5)
            )
        ),
        "AdminService_GetTaskExecution": same(task_execution_pb2.TaskExecutionGetRequest(id=te)),
        "AdminService_ListTaskExecutions": same(
            task_execution_pb2.TaskExecutionListRequest(node_execution_id=n0, limit=10)
        ),
        "AdminService_GetTaskExecutionData": same(task_execution_pb2.TaskExecutionGetDataRequest(id=te)),
        "AdminService_UpdateProjectDomainAttributes": same(
            project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest(
                attributes=project_domain_attributes_pb2.ProjectDomainAttributes(
                    project=P, domain=D, matching_attributes=QUEUE
                )
            )
        ),
        "AdminService_GetProjectDomainAttributes": same(
            project_domain_attributes_pb2.ProjectDomainAttributesGetRequest(
                project=P, domain="staging", resource_type=EQ
            )
        ),
        "AdminService_DeleteProjectDomainAttributes": lambda: Case(
            project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest(
                project=P, domain="staging", resource_type=EQ
            ),
            project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest(
                project=P, domain="production", resource_type=EQ
            ),
        ),
        "AdminService_UpdateProjectAttributes": same(
            project_attributes_pb2.ProjectAttributesUpdateRequest(
                attributes=project_attributes_pb2.ProjectAttributes(project=P, matching_attributes=QUEUE)
            )
        ),
        "AdminService_GetProjectAttributes": same(
            project_attributes_pb2.ProjectAttributesGetRequest(project="twin-rest", resource_type=EQ)
        ),
        "AdminService_DeleteProjectAttributes": twins(
            lambda t: project_attributes_pb2.ProjectAttributesDeleteRequest(project=f"twin-{t}", resource_type=EQ)
        ),
        "AdminService_UpdateWorkflowAttributes": same(
            workflow_attributes_pb2.WorkflowAttributesUpdateRequest(
                attributes=workflow_attributes_pb2.WorkflowAttributes(
                    project=P, domain=D, workflow=CHAIN, matching_attributes=QUEUE
                )
            )
        ),
        "AdminService_GetWorkflowAttributes": same(
            workflow_attributes_pb2.WorkflowAttributesGetRequest(
                project=P, domain=D, workflow="wf-grpc", resource_type=EQ
            )
        ),
        "AdminService_DeleteWorkflowAttributes": twins(
            lambda t: workflow_attributes_pb2.WorkflowAttributesDeleteRequest(
                project=P, domain=D, workflow=f"wf-{t}", resource_type=EQ
            )
        ),
        "AdminService_ListMatchableAttributes": same(
            matchable_resource_pb2.ListMatchableAttributesRequest(resource_type=EQ)
        ),
        "AdminService_ListNamedEntities": same(
            common_pb2.NamedEntityListRequest(resource_type=identifier_pb2.TASK, project=P, domain=D, limit=10)
        ),
        "AdminService_GetNamedEntity": same(
            common_pb2.NamedEntityGetRequest(resource_type=identifier_pb2.WORKFLOW, id=named(CHAIN))
        ),
        "AdminService_UpdateNamedEntity": same(
            common_pb2.NamedEntityUpdateRequest(
                resource_type=identifier_pb2.WORKFLOW,
                id=named(CHAIN),
                metadata=common_pb2.NamedEntityMetadata(description="chained"),
            )
        ),
        "AdminService_GetVersion": same(version_pb2.GetVersionRequest()),
        "AdminService_GetDescriptionEntity": same(admin_get(ident(identifier_pb2.WORKFLOW, CHAIN))),
        "AdminService_ListDescriptionEntities": same(
            description_entity_pb2.DescriptionEntityListRequest(
                resource_type=identifier_pb2.WORKFLOW, id=named(CHAIN), limit=10
            )
        ),
        "AdminService_ListDescriptionEntities2": same(
            description_entity_pb2.DescriptionEntityListRequest(resource_type=identifier_pb2.TASK, id=named(), limit=10)
        ),
        "AdminService_GetExecutionMetrics": same(execution_pb2.WorkflowExecutionGetMetricsRequest(id=run, depth=3)),
        "AuthMetadataService_GetOAuth2Metadata": same(auth_pb2.OAuth2MetadataRequest()),
        "AuthMetadataService_GetPublicClientConfig": same(auth_pb2.PublicClientAuthConfigRequest()),
        "IdentityService_UserInfo": same(identity_pb2.UserInfoRequest()),
        "DataProxyService_CreateUploadLocation": same(
            dataproxy_pb2.CreateUploadLocationRequest(
                project=P, domain=D, filename="a.txt", content_md5=b"0123456789abcdef"
            ),
            ignore=("signed_url", "expires_at", "headers"),
        ),
        "DataProxyService_CreateDownloadLocation": same(
            dataproxy_pb2.CreateDownloadLocationRequest(native_url="s3://my-s3-bucket/raw/x"),
            ignore=("signed_url", "expires_at"),
        ),
        "DataProxyService_CreateDownloadLink": same(
            dataproxy_pb2.CreateDownloadLinkRequest(
                artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=n0
            ),
            ignore=("signed_url", "expires_at", "expiresAt"),
        ),
        "DataProxyService_GetData": same(dataproxy_pb2.GetDataRequest(flyte_url=f"flyte://v1/{P}/{D}/restrun/n0/i")),
        "SignalService_ListSignals": same(signal_pb2.SignalListRequest(workflow_execution_id=run, limit=10)),
        "SignalService_SetSignal": twins(
            lambda t: signal_pb2.SignalSetRequest(id=signal_id(f"approve-{t}"), value=true)
        ),
    }


def admin_get(identifier: identifier_pb2.Identifier) -> Any:
    from flyteidl.admin import common_pb2 as c

    return c.ObjectGetRequest(id=identifier)


# -- building the REST request from a message, as a client following the annotations would -------------------------
def _get_path(message: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        message = getattr(message, name)
    return message


def _render(message: Any, path: tuple[str, ...]) -> str:
    holder = _get_path(message, path[:-1])
    field = holder.DESCRIPTOR.fields_by_name[path[-1]]
    value = getattr(holder, path[-1])
    if field.enum_type is not None:
        return str(field.enum_type.values_by_number[value].name)
    return str(value)


def _query(message: Any, prefix: str, skip: set[str]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for descriptor, value in message.ListFields():
        key = prefix + descriptor.name
        if key in skip:
            continue
        if descriptor.message_type is not None and not descriptor.is_repeated:
            if descriptor.message_type.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
                params.append((key, json.loads(json_format.MessageToJson(value))))
            else:
                params += _query(value, key + ".", skip)
        elif descriptor.is_repeated:
            params += [(key, str(v)) for v in value]
        elif descriptor.enum_type is not None:
            params.append((key, descriptor.enum_type.values_by_number[value].name))
        elif descriptor.type == descriptor.TYPE_BOOL:
            params.append((key, "true" if value else "false"))
        elif descriptor.type == descriptor.TYPE_BYTES:
            import base64

            params.append((key, base64.b64encode(value).decode()))
        else:
            params.append((key, str(value)))
    return params


def rest_call(http: httpx.Client, world: World, rest_route: RestRoute, request: Any) -> httpx.Response:
    template = rest_route.template
    parts = [s if isinstance(s, str) else _render(request, s) for s in template.segments]
    url = world.served.base + "/" + "/".join(parts)
    headers = {"Authorization": f"Bearer {world.token}", "Accept": "application/json"}
    if rest_route.body == "*":
        body = json_format.MessageToJson(request, preserving_proto_field_name=True)
        headers["Content-Type"] = "application/json"
        return http.request(rest_route.verb, url, content=body, headers=headers)
    skip = {".".join(v) for v in template.variables}
    return http.request(rest_route.verb, url, params=_query(request, "", skip), headers=headers)


def _drop(document: Any, ignore: tuple[str, ...]) -> Any:
    if isinstance(document, dict):
        return {k: _drop(v, ignore) for k, v in document.items() if k not in ignore}
    if isinstance(document, list):
        return [_drop(v, ignore) for v in document]
    return document


def expected_answer(world: World, rest_route: RestRoute, request: Any) -> tuple[int, Any]:
    code, answer = world.grpc_call(rest_route, request)
    if code == grpc.StatusCode.OK:
        assert to_json_value(answer) == reference_json(answer)  # the gateway's encoder, checked independently
        return 200, to_json_value(answer)
    status = status_pb2.Status(code=code.value[0], message=answer.details())
    for key, value in answer.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
    assert to_json_value(status) == reference_json(status)
    return http_status(code), to_json_value(status)


ROUTES = {r.name: r for r in route_table()}


def test_every_route_has_a_case(world: World) -> None:
    assert set(cases(world)) == set(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_rest_answers_what_grpc_answers(world: World, http: httpx.Client, name: str) -> None:
    rest_route = ROUTES[name]
    case = cases(world)[name]()
    reply = rest_call(http, world, rest_route, case.rest)
    assert reply.headers["content-type"].startswith("application/json"), reply.text
    status, expected = expected_answer(world, rest_route, case.grpc if case.grpc is not None else case.rest)
    if case.grpc is not None:
        expected = json.loads(json.dumps(expected).replace("-grpc", "-rest"))
    assert (reply.status_code, _drop(reply.json(), case.ignore)) == (status, _drop(expected, case.ignore))
