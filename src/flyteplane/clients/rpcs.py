"""The table of Flyte Admin's RPCs: each RPC written once, as a typed descriptor.

:class:`RpcTable` lists every RPC of the five services a client talks to (AdminService, DataProxyService,
SignalService, AuthMetadataService, IdentityService), under flytekit's raw method names. Both raw clients inherit
it: :class:`~flyteplane.clients.raw.RawSynchronousFlyteClient` (a call returns the response) and
:class:`flyteplane.aio.RawFlyteClient` (a call returns an awaitable). The descriptor decides which by the client
it is read from, so the method list, the RPC names and the message types exist in this one place.

Nothing here imports ``grpc`` or a service module: an :class:`Rpc` finds its request and response classes from the
service descriptor on its first call (then keeps them, for every client of the process).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from flyteidl.admin import (
        common_pb2,
        description_entity_pb2,
        event_pb2,
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
    from flyteidl.service import auth_pb2, dataproxy_pb2, identity_pb2
    from google.protobuf.message import Message

__all__ = ["SERVICE_MODULES", "AsyncCaller", "AsyncRpc", "Rpc", "RpcTable", "SyncCaller", "SyncRpc"]

Req = TypeVar("Req", bound="Message")
Resp = TypeVar("Resp", bound="Message")

# The services a client talks to, and the flyteidl module holding each one's descriptor.
SERVICE_MODULES = {
    "AdminService": "flyteidl.service.admin_pb2",
    "DataProxyService": "flyteidl.service.dataproxy_pb2",
    "SignalService": "flyteidl.service.signal_pb2",
    "AuthMetadataService": "flyteidl.service.auth_pb2",
    "IdentityService": "flyteidl.service.identity_pb2",
}


class SyncCaller(Protocol):
    """What a synchronous client provides to the RPC descriptors: one blocking call through its pipeline."""

    def _call(self, rpc: Rpc[Any, Any], request: Any, timeout: float | None = None) -> Any: ...


class AsyncCaller(Protocol):
    """What an asynchronous client provides to the RPC descriptors: one awaitable call through its pipeline."""

    async def _acall(self, rpc: Rpc[Any, Any], request: Any, timeout: float | None = None) -> Any: ...


class Rpc(Generic[Req, Resp]):
    """One RPC: its service, its name, flytekit's name for the raw method's argument, and what it does.

    Read from a synchronous client it is a method ``(request=None, *, timeout=None) -> response`` (see
    :class:`SyncRpc`); from an asynchronous one, the same returning an awaitable (:class:`AsyncRpc`). ``None``
    as the request sends the empty request message.
    """

    __slots__ = ("_classes", "arg", "doc", "method", "name", "path", "service")

    def __init__(self, service: str, name: str, arg: str, doc: str) -> None:
        self.service = service
        self.name = name
        self.arg = arg
        self.doc = doc
        self.method = ""
        self.path = f"/flyteidl.service.{service}/{name}"
        self._classes: tuple[type[Req], type[Resp]] | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.method = name

    def __repr__(self) -> str:
        return f"Rpc({self.service}.{self.name})"

    def classes(self) -> tuple[type[Req], type[Resp]]:
        """The request and response message classes (the service module is imported on first use)."""
        classes = self._classes
        if classes is None:
            from google.protobuf import message_factory

            module = importlib.import_module(SERVICE_MODULES[self.service])
            method = module.DESCRIPTOR.services_by_name[self.service].methods_by_name[self.name]
            request_cls: type[Req] = message_factory.GetMessageClass(method.input_type)  # type: ignore[assignment]
            response_cls: type[Resp] = message_factory.GetMessageClass(method.output_type)  # type: ignore[assignment]
            classes = self._classes = (request_cls, response_cls)
        return classes

    def request_of(self, request: Req | None) -> Req:
        """``request``, or the empty request for None; any other message type is refused before the wire."""
        expected = self.classes()[0]
        if request is None:
            return expected()
        if type(request) is not expected:
            # Serialized, another message type is just bytes the server may misread; refuse it here instead.
            raise TypeError(f"{self.name} takes a {expected.DESCRIPTOR.full_name}, got {type(request).__name__}")
        return request

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Rpc[Req, Resp]: ...

    @overload
    def __get__(self, obj: AsyncCaller, owner: type | None = None) -> AsyncRpc[Req, Resp]: ...

    @overload
    def __get__(self, obj: SyncCaller, owner: type | None = None) -> SyncRpc[Req, Resp]: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        bound: SyncRpc[Req, Resp] | AsyncRpc[Req, Resp]
        bound = AsyncRpc(self, obj) if hasattr(type(obj), "_acall") else SyncRpc(self, obj)
        # A non-data descriptor: the bound method is kept on the instance, so later reads are a dict lookup.
        obj.__dict__[self.method] = bound
        return bound


class _BoundRpc(Generic[Req, Resp]):
    def __init__(self, rpc: Rpc[Req, Resp], caller: Any) -> None:
        self.rpc = rpc
        self._caller = caller
        self.__doc__ = f"{rpc.name}: {rpc.doc}"
        self.__name__ = rpc.method

    def _request(self, request: Req | None, by_name: dict[str, Req]) -> Req | None:
        if by_name:
            given = by_name.pop(self.rpc.arg, None)
            if by_name or given is None or request is not None:
                raise TypeError(
                    f"{self.rpc.method}() takes one request, positionally or as {self.rpc.arg}=; "
                    f"got {sorted(by_name) or 'both'}"
                )
            request = given
        return request

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.rpc.method} of {self._caller!r}>"


class SyncRpc(_BoundRpc[Req, Resp]):
    """A raw method of a synchronous client: ``client.get_task(request)`` returns the response message."""

    def __call__(self, request: Req | None = None, /, *, timeout: float | None = None, **by_name: Req) -> Resp:
        result: Resp = self._caller._call(self.rpc, self._request(request, by_name), timeout)
        return result


class AsyncRpc(_BoundRpc[Req, Resp]):
    """A raw method of an asynchronous client: ``await client.get_task(request)`` returns the response message."""

    def __call__(
        self, request: Req | None = None, /, *, timeout: float | None = None, **by_name: Req
    ) -> Awaitable[Resp]:
        return self._caller._acall(self.rpc, self._request(request, by_name), timeout)  # type: ignore[no-any-return]


class RpcTable:
    """Every RPC a Flyte client can make, under flytekit's raw method names (66 in all)."""

    create_task: Rpc[task_pb2.TaskCreateRequest, task_pb2.TaskCreateResponse] = Rpc(
        "AdminService", "CreateTask", "task_create_request", "Register a task version."
    )
    get_task: Rpc[common_pb2.ObjectGetRequest, task_pb2.Task] = Rpc(
        "AdminService", "GetTask", "get_object_request", "One task version, with its compiled closure."
    )
    list_task_ids_paginated: Rpc[common_pb2.NamedEntityIdentifierListRequest, common_pb2.NamedEntityIdentifierList] = (
        Rpc(
            "AdminService",
            "ListTaskIds",
            "identifier_list_request",
            "One page of the distinct task names of a project and domain.",
        )
    )
    list_tasks_paginated: Rpc[common_pb2.ResourceListRequest, task_pb2.TaskList] = Rpc(
        "AdminService", "ListTasks", "resource_list_request", "One page of task versions."
    )
    create_workflow: Rpc[workflow_pb2.WorkflowCreateRequest, workflow_pb2.WorkflowCreateResponse] = Rpc(
        "AdminService", "CreateWorkflow", "workflow_create_request", "Register (and compile) a workflow version."
    )
    get_workflow: Rpc[common_pb2.ObjectGetRequest, workflow_pb2.Workflow] = Rpc(
        "AdminService", "GetWorkflow", "get_object_request", "One workflow version, with its compiled closure."
    )
    list_workflow_ids_paginated: Rpc[
        common_pb2.NamedEntityIdentifierListRequest, common_pb2.NamedEntityIdentifierList
    ] = Rpc(
        "AdminService",
        "ListWorkflowIds",
        "identifier_list_request",
        "One page of the distinct workflow names of a project and domain.",
    )
    list_workflows_paginated: Rpc[common_pb2.ResourceListRequest, workflow_pb2.WorkflowList] = Rpc(
        "AdminService",
        "ListWorkflows",
        "resource_list_request",
        "One page of workflow versions (closures trimmed to the interface, as Flyte Admin does).",
    )
    create_launch_plan: Rpc[launch_plan_pb2.LaunchPlanCreateRequest, launch_plan_pb2.LaunchPlanCreateResponse] = Rpc(
        "AdminService",
        "CreateLaunchPlan",
        "launch_plan_create_request",
        "Register a launch plan version (inactive until activated).",
    )
    get_launch_plan: Rpc[common_pb2.ObjectGetRequest, launch_plan_pb2.LaunchPlan] = Rpc(
        "AdminService", "GetLaunchPlan", "object_get_request", "One launch plan version."
    )
    get_active_launch_plan: Rpc[launch_plan_pb2.ActiveLaunchPlanRequest, launch_plan_pb2.LaunchPlan] = Rpc(
        "AdminService", "GetActiveLaunchPlan", "active_launch_plan_request", "The active version of a launch plan."
    )
    update_launch_plan: Rpc[launch_plan_pb2.LaunchPlanUpdateRequest, launch_plan_pb2.LaunchPlanUpdateResponse] = Rpc(
        "AdminService", "UpdateLaunchPlan", "update_request", "Activate or deactivate a launch plan version."
    )
    list_launch_plan_ids_paginated: Rpc[
        common_pb2.NamedEntityIdentifierListRequest, common_pb2.NamedEntityIdentifierList
    ] = Rpc(
        "AdminService",
        "ListLaunchPlanIds",
        "identifier_list_request",
        "One page of the distinct launch plan names of a project and domain.",
    )
    list_launch_plans_paginated: Rpc[common_pb2.ResourceListRequest, launch_plan_pb2.LaunchPlanList] = Rpc(
        "AdminService", "ListLaunchPlans", "resource_list_request", "One page of launch plan versions."
    )
    list_active_launch_plans_paginated: Rpc[
        launch_plan_pb2.ActiveLaunchPlanListRequest, launch_plan_pb2.LaunchPlanList
    ] = Rpc(
        "AdminService", "ListActiveLaunchPlans", "active_launch_plan_list_request", "One page of active launch plans."
    )
    update_named_entity: Rpc[common_pb2.NamedEntityUpdateRequest, common_pb2.NamedEntityUpdateResponse] = Rpc(
        "AdminService",
        "UpdateNamedEntity",
        "update_named_entity_request",
        "Set the description and state of a named entity.",
    )
    get_named_entity: Rpc[common_pb2.NamedEntityGetRequest, common_pb2.NamedEntity] = Rpc(
        "AdminService", "GetNamedEntity", "named_entity_get_request", "One named entity with its metadata."
    )
    list_named_entities: Rpc[common_pb2.NamedEntityListRequest, common_pb2.NamedEntityList] = Rpc(
        "AdminService",
        "ListNamedEntities",
        "named_entity_list_request",
        "One page of named entities of a resource type.",
    )
    create_execution: Rpc[execution_pb2.ExecutionCreateRequest, execution_pb2.ExecutionCreateResponse] = Rpc(
        "AdminService", "CreateExecution", "create_execution_request", "Start an execution of a launch plan or task."
    )
    recover_execution: Rpc[execution_pb2.ExecutionRecoverRequest, execution_pb2.ExecutionCreateResponse] = Rpc(
        "AdminService",
        "RecoverExecution",
        "recover_execution_request",
        "Re-run a failed execution, reusing the outputs of nodes that succeeded.",
    )
    relaunch_execution: Rpc[execution_pb2.ExecutionRelaunchRequest, execution_pb2.ExecutionCreateResponse] = Rpc(
        "AdminService",
        "RelaunchExecution",
        "relaunch_execution_request",
        "Run an execution again with the same inputs.",
    )
    get_execution: Rpc[execution_pb2.WorkflowExecutionGetRequest, execution_pb2.Execution] = Rpc(
        "AdminService", "GetExecution", "get_object_request", "One execution."
    )
    update_execution: Rpc[execution_pb2.ExecutionUpdateRequest, execution_pb2.ExecutionUpdateResponse] = Rpc(
        "AdminService", "UpdateExecution", "update_execution_request", "Archive or un-archive an execution."
    )
    get_execution_data: Rpc[
        execution_pb2.WorkflowExecutionGetDataRequest, execution_pb2.WorkflowExecutionGetDataResponse
    ] = Rpc("AdminService", "GetExecutionData", "get_execution_data_request", "Inputs and outputs of an execution.")
    get_execution_metrics: Rpc[
        execution_pb2.WorkflowExecutionGetMetricsRequest, execution_pb2.WorkflowExecutionGetMetricsResponse
    ] = Rpc("AdminService", "GetExecutionMetrics", "get_execution_metrics_request", "The span tree of an execution.")
    list_executions_paginated: Rpc[common_pb2.ResourceListRequest, execution_pb2.ExecutionList] = Rpc(
        "AdminService", "ListExecutions", "resource_list_request", "One page of executions."
    )
    terminate_execution: Rpc[execution_pb2.ExecutionTerminateRequest, execution_pb2.ExecutionTerminateResponse] = Rpc(
        "AdminService", "TerminateExecution", "terminate_execution_request", "Abort a running execution."
    )
    get_node_execution: Rpc[node_execution_pb2.NodeExecutionGetRequest, node_execution_pb2.NodeExecution] = Rpc(
        "AdminService", "GetNodeExecution", "node_execution_request", "One node execution."
    )
    get_dynamic_node_workflow: Rpc[
        node_execution_pb2.GetDynamicNodeWorkflowRequest, node_execution_pb2.DynamicNodeWorkflowResponse
    ] = Rpc(
        "AdminService",
        "GetDynamicNodeWorkflow",
        "get_dynamic_node_workflow_request",
        "The workflow a dynamic node generated.",
    )
    get_node_execution_data: Rpc[
        node_execution_pb2.NodeExecutionGetDataRequest, node_execution_pb2.NodeExecutionGetDataResponse
    ] = Rpc(
        "AdminService",
        "GetNodeExecutionData",
        "get_node_execution_data_request",
        "Inputs and outputs of a node execution.",
    )
    list_node_executions_paginated: Rpc[
        node_execution_pb2.NodeExecutionListRequest, node_execution_pb2.NodeExecutionList
    ] = Rpc(
        "AdminService",
        "ListNodeExecutions",
        "node_execution_list_request",
        "One page of the node executions of an execution.",
    )
    list_node_executions_for_task_paginated: Rpc[
        node_execution_pb2.NodeExecutionForTaskListRequest, node_execution_pb2.NodeExecutionList
    ] = Rpc(
        "AdminService",
        "ListNodeExecutionsForTask",
        "node_execution_for_task_list_request",
        "One page of the node executions a task execution launched.",
    )
    get_task_execution: Rpc[task_execution_pb2.TaskExecutionGetRequest, task_execution_pb2.TaskExecution] = Rpc(
        "AdminService", "GetTaskExecution", "task_execution_request", "One task execution (one attempt)."
    )
    get_task_execution_data: Rpc[
        task_execution_pb2.TaskExecutionGetDataRequest, task_execution_pb2.TaskExecutionGetDataResponse
    ] = Rpc(
        "AdminService",
        "GetTaskExecutionData",
        "get_task_execution_data_request",
        "Inputs and outputs of a task execution.",
    )
    list_task_executions_paginated: Rpc[
        task_execution_pb2.TaskExecutionListRequest, task_execution_pb2.TaskExecutionList
    ] = Rpc(
        "AdminService",
        "ListTaskExecutions",
        "task_execution_list_request",
        "One page of the task executions (attempts) of a node.",
    )
    create_workflow_event: Rpc[event_pb2.WorkflowExecutionEventRequest, event_pb2.WorkflowExecutionEventResponse] = Rpc(
        "AdminService",
        "CreateWorkflowEvent",
        "workflow_event_request",
        "Report a workflow execution event (what propeller sends).",
    )
    create_node_event: Rpc[event_pb2.NodeExecutionEventRequest, event_pb2.NodeExecutionEventResponse] = Rpc(
        "AdminService", "CreateNodeEvent", "node_event_request", "Report a node execution event."
    )
    create_task_event: Rpc[event_pb2.TaskExecutionEventRequest, event_pb2.TaskExecutionEventResponse] = Rpc(
        "AdminService", "CreateTaskEvent", "task_event_request", "Report a task execution event."
    )
    register_project: Rpc[project_pb2.ProjectRegisterRequest, project_pb2.ProjectRegisterResponse] = Rpc(
        "AdminService", "RegisterProject", "project_register_request", "Register a project."
    )
    update_project: Rpc[project_pb2.Project, project_pb2.ProjectUpdateResponse] = Rpc(
        "AdminService", "UpdateProject", "project", "Update a project's name, description, labels or state."
    )
    get_project: Rpc[project_pb2.ProjectGetRequest, project_pb2.Project] = Rpc(
        "AdminService", "GetProject", "project_get_request", "One project."
    )
    list_projects: Rpc[project_pb2.ProjectListRequest, project_pb2.Projects] = Rpc(
        "AdminService", "ListProjects", "project_list_request", "One page of projects (all of them with no request)."
    )
    get_domains: Rpc[project_pb2.GetDomainRequest, project_pb2.GetDomainsResponse] = Rpc(
        "AdminService", "GetDomains", "get_domain_request", "The domains of this Flyte Admin."
    )
    update_project_domain_attributes: Rpc[
        project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest,
        project_domain_attributes_pb2.ProjectDomainAttributesUpdateResponse,
    ] = Rpc(
        "AdminService",
        "UpdateProjectDomainAttributes",
        "project_domain_attributes_update_request",
        "Set matchable attributes of a project and domain.",
    )
    get_project_domain_attributes: Rpc[
        project_domain_attributes_pb2.ProjectDomainAttributesGetRequest,
        project_domain_attributes_pb2.ProjectDomainAttributesGetResponse,
    ] = Rpc(
        "AdminService",
        "GetProjectDomainAttributes",
        "project_domain_attributes_get_request",
        "Matchable attributes of a project and domain.",
    )
    delete_project_domain_attributes: Rpc[
        project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest,
        project_domain_attributes_pb2.ProjectDomainAttributesDeleteResponse,
    ] = Rpc(
        "AdminService",
        "DeleteProjectDomainAttributes",
        "project_domain_attributes_delete_request",
        "Delete matchable attributes of a project and domain.",
    )
    update_project_attributes: Rpc[
        project_attributes_pb2.ProjectAttributesUpdateRequest, project_attributes_pb2.ProjectAttributesUpdateResponse
    ] = Rpc(
        "AdminService",
        "UpdateProjectAttributes",
        "project_attributes_update_request",
        "Set matchable attributes of a project.",
    )
    get_project_attributes: Rpc[
        project_attributes_pb2.ProjectAttributesGetRequest, project_attributes_pb2.ProjectAttributesGetResponse
    ] = Rpc(
        "AdminService", "GetProjectAttributes", "project_attributes_get_request", "Matchable attributes of a project."
    )
    delete_project_attributes: Rpc[
        project_attributes_pb2.ProjectAttributesDeleteRequest, project_attributes_pb2.ProjectAttributesDeleteResponse
    ] = Rpc(
        "AdminService",
        "DeleteProjectAttributes",
        "project_attributes_delete_request",
        "Delete matchable attributes of a project.",
    )
    update_workflow_attributes: Rpc[
        workflow_attributes_pb2.WorkflowAttributesUpdateRequest,
        workflow_attributes_pb2.WorkflowAttributesUpdateResponse,
    ] = Rpc(
        "AdminService",
        "UpdateWorkflowAttributes",
        "workflow_attributes_update_request",
        "Set matchable attributes of a workflow.",
    )
    get_workflow_attributes: Rpc[
        workflow_attributes_pb2.WorkflowAttributesGetRequest, workflow_attributes_pb2.WorkflowAttributesGetResponse
    ] = Rpc(
        "AdminService",
        "GetWorkflowAttributes",
        "workflow_attributes_get_request",
        "Matchable attributes of a workflow.",
    )
    delete_workflow_attributes: Rpc[
        workflow_attributes_pb2.WorkflowAttributesDeleteRequest,
        workflow_attributes_pb2.WorkflowAttributesDeleteResponse,
    ] = Rpc(
        "AdminService",
        "DeleteWorkflowAttributes",
        "workflow_attributes_delete_request",
        "Delete matchable attributes of a workflow.",
    )
    list_matchable_attributes: Rpc[
        matchable_resource_pb2.ListMatchableAttributesRequest, matchable_resource_pb2.ListMatchableAttributesResponse
    ] = Rpc(
        "AdminService",
        "ListMatchableAttributes",
        "list_matchable_attributes_request",
        "Every matchable attribute of one resource type.",
    )
    get_description_entity: Rpc[common_pb2.ObjectGetRequest, description_entity_pb2.DescriptionEntity] = Rpc(
        "AdminService", "GetDescriptionEntity", "object_get_request", "The description of an entity version."
    )
    list_description_entities: Rpc[
        description_entity_pb2.DescriptionEntityListRequest, description_entity_pb2.DescriptionEntityList
    ] = Rpc("AdminService", "ListDescriptionEntities", "description_entity_list_request", "One page of descriptions.")
    get_version: Rpc[version_pb2.GetVersionRequest, version_pb2.GetVersionResponse] = Rpc(
        "AdminService", "GetVersion", "get_version_request", "The control plane's version."
    )
    create_upload_location: Rpc[
        dataproxy_pb2.CreateUploadLocationRequest, dataproxy_pb2.CreateUploadLocationResponse
    ] = Rpc(
        "DataProxyService",
        "CreateUploadLocation",
        "create_upload_location_request",
        "A signed URL to upload one object to.",
    )
    create_download_location: Rpc[
        dataproxy_pb2.CreateDownloadLocationRequest, dataproxy_pb2.CreateDownloadLocationResponse
    ] = Rpc(
        "DataProxyService",
        "CreateDownloadLocation",
        "create_download_location_request",
        "a signed URL to download one object from (deprecated by Flyte).",
    )
    create_download_link: Rpc[dataproxy_pb2.CreateDownloadLinkRequest, dataproxy_pb2.CreateDownloadLinkResponse] = Rpc(
        "DataProxyService",
        "CreateDownloadLink",
        "create_download_link_request",
        "Signed URLs for an execution artifact (e.g. a deck).",
    )
    get_data: Rpc[dataproxy_pb2.GetDataRequest, dataproxy_pb2.GetDataResponse] = Rpc(
        "DataProxyService", "GetData", "get_data_request", "The data behind a flyte:// URL."
    )
    get_or_create_signal: Rpc[signal_pb2.SignalGetOrCreateRequest, signal_pb2.Signal] = Rpc(
        "SignalService",
        "GetOrCreateSignal",
        "signal_get_or_create_request",
        "A signal of an execution, created if missing.",
    )
    list_signals: Rpc[signal_pb2.SignalListRequest, signal_pb2.SignalList] = Rpc(
        "SignalService", "ListSignals", "signal_list_request", "One page of the signals of an execution."
    )
    set_signal: Rpc[signal_pb2.SignalSetRequest, signal_pb2.SignalSetResponse] = Rpc(
        "SignalService", "SetSignal", "signal_set_request", "Give a signal its value (approve, reject, input)."
    )
    get_oauth2_metadata: Rpc[auth_pb2.OAuth2MetadataRequest, auth_pb2.OAuth2MetadataResponse] = Rpc(
        "AuthMetadataService",
        "GetOAuth2Metadata",
        "oauth2_metadata_request",
        "The OAuth2 authorization server's metadata.",
    )
    get_public_client_config: Rpc[auth_pb2.PublicClientAuthConfigRequest, auth_pb2.PublicClientAuthConfigResponse] = (
        Rpc(
            "AuthMetadataService",
            "GetPublicClientConfig",
            "public_client_auth_config_request",
            "The public OAuth2 client settings for this deployment.",
        )
    )
    user_info: Rpc[identity_pb2.UserInfoRequest, identity_pb2.UserInfoResponse] = Rpc(
        "IdentityService", "UserInfo", "user_info_request", "Who the caller is, by the server's account."
    )
