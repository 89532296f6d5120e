"""RawSynchronousFlyteClient: one method per Flyte Admin RPC, flyteidl messages in and out.

It owns the channel and the call pipeline (see :mod:`flyteplane.clients.interceptors`): default metadata, a
deadline on every call, retries with backoff and jitter on UNAVAILABLE / RESOURCE_EXHAUSTED only, the seam for
authentication, and the mapping of gRPC failures to :mod:`flyteplane.errors` (one place, with the RPC, the entity
and the server's message; the ``grpc.RpcError`` stays as ``__cause__``).

Most code wants :class:`~flyteplane.clients.friendly.SynchronousFlyteClient` or ``FlyteRemote`` instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flyteplane.clients.interceptors import (
    AuthInterceptor,
    AuthProvider,
    CallOptions,
    DeadlineInterceptor,
    Interceptor,
    MetadataInterceptor,
    RetryInterceptor,
    compose,
)
from flyteplane.clients.retry import Retry
from flyteplane.errors import from_grpc_error

if TYPE_CHECKING:
    import grpc
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

    from flyteplane.configuration import PlatformConfig

__all__ = ["RawSynchronousFlyteClient"]

log = logging.getLogger("flyteplane.clients")

# The services a client talks to: (service name, module holding its descriptor).
_SERVICES = (
    ("AdminService", "flyteidl.service.admin_pb2"),
    ("DataProxyService", "flyteidl.service.dataproxy_pb2"),
    ("SignalService", "flyteidl.service.signal_pb2"),
    ("AuthMetadataService", "flyteidl.service.auth_pb2"),
    ("IdentityService", "flyteidl.service.identity_pb2"),
)


def _code_name(error: BaseException) -> str | None:
    code = getattr(error, "code", None)
    if code is None or not callable(code):
        return None
    try:
        return str(code().name)
    except Exception:
        return None


def _is_unauthenticated(error: BaseException) -> bool:
    return _code_name(error) == "UNAUTHENTICATED"


def _has_cached_token(endpoint: str) -> bool:
    """Whether ``flyteplane.clients.auth.token_cache`` holds a token for ``endpoint``, without importing it.

    Mirrors its layout: ``~/.flyteplane/tokens/<sha256(endpoint)>.json`` (the file) or ``.keyring`` (a marker
    next to a keyring entry). A test checks the two stay in step.
    """
    import hashlib
    import os.path

    # os.path, not pathlib: this runs while a client is built, and importing pathlib costs milliseconds.
    home = os.path.expanduser("~")
    if home == "~":  # no home directory
        return False
    stem = os.path.join(home, ".flyteplane", "tokens", hashlib.sha256(endpoint.encode("utf-8")).hexdigest())
    return os.path.exists(stem + ".json") or os.path.exists(stem + ".keyring")


class _LazyAuth:
    """The auth provider, built on first need so that a client that never needs a token never imports
    ``flyteplane.clients.auth`` (nor ``keyring``).

    Needed up front, before the first call: ClientSecret and ExternalCommand (they need no human, and flytekit's
    "first call without a token, then retry" costs every process a failed call), a ``proxy_command``, and PKCE /
    DeviceFlow when the token cache has a token for this endpoint. Otherwise (PKCE / DeviceFlow never logged in)
    the first UNAUTHENTICATED answer starts the login: against an admin without auth, that never happens.
    """

    __slots__ = ("_cfg", "_channel", "_provider", "_up_front")

    def __init__(self, cfg: PlatformConfig, channel: grpc.Channel) -> None:
        self._cfg = cfg
        self._channel = channel
        self._provider: AuthProvider | None = None
        # Decided while the client is built (a look at the token cache), so the first call pays nothing for it.
        self._up_front: bool | None = _token_up_front(cfg)

    def _build(self) -> AuthProvider:
        if self._provider is None:
            # One provider per client even when threads race here: two would mean two logins.
            with _BUILD_LOCK:
                if self._provider is None:
                    from flyteplane.clients.auth.factory import provider_for

                    self._provider = provider_for(self._cfg, self._channel) or _NO_AUTH
        return self._provider

    def metadata(self) -> Sequence[tuple[str, str]]:
        provider = self._provider
        if provider is None:
            if self._up_front is None:
                self._up_front = _token_up_front(self._cfg)
            if not self._up_front:
                return ()
            provider = self._build()
        return provider.metadata()

    def refresh(self) -> None:
        self._build().refresh()


class _NoAuth:
    def metadata(self) -> Sequence[tuple[str, str]]:
        return ()

    def refresh(self) -> None:
        return None


_NO_AUTH = _NoAuth()
_BUILD_LOCK = threading.Lock()


def _auth_type(cfg: PlatformConfig) -> Any:
    """``cfg.auth_mode`` as an AuthType, also from a duck-typed config (flytekit's enum has the same values)."""
    from flyteplane.configuration.auth_type import AuthType

    mode = getattr(cfg, "auth_mode", AuthType.STANDARD)
    return AuthType.parse(getattr(mode, "value", mode))


def _token_up_front(cfg: PlatformConfig) -> bool:
    from flyteplane.configuration.auth_type import AuthType

    mode = _auth_type(cfg).canonical
    if mode in (AuthType.CLIENTSECRET, AuthType.EXTERNALCOMMAND) or getattr(cfg, "proxy_command", None):
        return True
    return _has_cached_token(cfg.endpoint)


def _wants_auth(cfg: PlatformConfig) -> bool:
    from flyteplane.configuration.auth_type import AuthType

    return _auth_type(cfg) is not AuthType.NONE or bool(getattr(cfg, "proxy_command", None))


def describe(request: Any) -> str | None:
    """A short rendering of what a request is about, for error messages (only computed on failure)."""
    for field in ("id", "workflow_execution_id", "node_execution_id", "task_execution_id", "identifier"):
        try:
            if request.HasField(field):
                return _render_id(getattr(request, field))
        except (ValueError, AttributeError):
            continue
    parts = [getattr(request, f, "") for f in ("project", "domain", "name")]
    if any(isinstance(p, str) and p for p in parts):
        return ":".join(p for p in parts if isinstance(p, str))
    return None


def _enum_name(field: Any, value: int) -> str:
    known = field.enum_type.values_by_number.get(value)
    return str(known.name) if known is not None else str(value)


def _render_id(message: Any) -> str:
    if message.DESCRIPTOR.full_name == "flyteidl.core.Identifier":
        # flytekit's TASK:project:domain:name:version, empty parts kept so a missing one shows.
        kind = _enum_name(message.DESCRIPTOR.fields_by_name["resource_type"], message.resource_type)
        return ":".join([kind, message.project, message.domain, message.name, message.version])
    parts = []
    for fd, value in message.ListFields():
        if fd.message_type is not None:
            parts.append(_render_id(value))
        elif fd.enum_type is not None:
            parts.append(_enum_name(fd, value))
        else:
            parts.append(str(value))
    return ":".join(parts)


class RawSynchronousFlyteClient:
    """A thin synchronous client for Flyte Admin's gRPC services.

    Args:
        cfg: where and how to connect (``PlatformConfig``).
        auth: an authentication provider for the call pipeline; ``None`` (the default) builds the one
            ``cfg.auth_mode`` asks for (see :mod:`flyteplane.clients.auth`), lazily; ``AuthType.NONE`` means none.
        interceptors: extra :class:`~flyteplane.clients.interceptors.Interceptor` callables, run inside the
            retry and deadline layers (so once per attempt).
        grpc_interceptors: ``grpc`` client interceptors applied to the channel.
        metadata: headers sent with every call.
        retry: the retry policy (default: from ``cfg.rpc_retries`` and ``cfg.rpc_retry_deadline``).
        credentials, root_certificates, private_key, certificate_chain, compression, options: channel
            settings, as flytekit's constructor takes them (``options`` are appended to the defaults).

    Constructing a client makes no network call; the channel connects on the first RPC.
    """

    def __init__(
        self,
        cfg: PlatformConfig,
        *,
        auth: AuthProvider | None = None,
        interceptors: Sequence[Interceptor] = (),
        grpc_interceptors: Sequence[Any] = (),
        metadata: Sequence[tuple[str, str]] = (),
        retry: Retry | None = None,
        **channel_kwargs: Any,
    ) -> None:
        import importlib

        # The first import of grpc is paid here, not when flyteplane is imported.
        import grpc

        from flyteplane.clients.channel import make_channel

        self._cfg = cfg
        channel = make_channel(cfg, **channel_kwargs)
        if grpc_interceptors:
            channel = grpc.intercept_channel(channel, *grpc_interceptors)
        self._channel = channel
        self._methods: dict[str, Any] = {}
        self._request_types: dict[str, Any] = {}
        from google.protobuf import message_factory

        for service, module_name in _SERVICES:
            module = importlib.import_module(module_name)
            descriptor = module.DESCRIPTOR.services_by_name[service]
            for method in descriptor.methods:
                request_cls = message_factory.GetMessageClass(method.input_type)
                response_cls = message_factory.GetMessageClass(method.output_type)
                self._request_types[method.name] = request_cls
                self._methods[method.name] = channel.unary_unary(
                    f"/{descriptor.full_name}/{method.name}",
                    request_serializer=request_cls.SerializeToString,
                    response_deserializer=response_cls.FromString,
                )
        if retry is None:
            retry = Retry(
                attempts=max(int(getattr(cfg, "rpc_retries", 3)), 0) + 1,
                deadline=getattr(cfg, "rpc_retry_deadline", 60.0),
            )
        self._retry = retry
        chain: list[Interceptor] = [
            DeadlineInterceptor(getattr(cfg, "rpc_timeout", 30.0)),
            RetryInterceptor(retry, _code_name),
        ]
        if auth is None and _wants_auth(cfg):
            auth = _LazyAuth(cfg, channel)
        if auth is not None:
            chain.append(AuthInterceptor(auth, _is_unauthenticated))
        chain.extend(interceptors)
        if metadata:
            chain.append(MetadataInterceptor(metadata))
        self._invoke = compose(chain, self._send)
        log.debug("Flyte client configured -> %s in %s mode", cfg.endpoint, "insecure" if cfg.insecure else "secure")

    # -- plumbing ------------------------------------------------------------------------------------------
    def _send(self, rpc: str, request: Any, options: CallOptions) -> Any:
        return self._methods[rpc](request, timeout=options.timeout, metadata=options.metadata or None)

    def _call(self, service: str, rpc: str, request: Any, timeout: float | None = None) -> Any:
        expected = self._request_types[rpc]
        if request is None:
            request = expected()
        elif type(request) is not expected:
            # Serialized, another message type is just bytes the server may misread; refuse it here instead.
            raise TypeError(f"{rpc} takes a {expected.DESCRIPTOR.full_name}, got {type(request).__name__}")
        try:
            return self._invoke(rpc, request, CallOptions(timeout))
        except Exception as e:
            if _code_name(e) is None:
                raise
            raise from_grpc_error(e, rpc, describe(request), request=request, endpoint=self._cfg.endpoint) from e  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        """The endpoint this client talks to."""
        return self._cfg.endpoint

    @property
    def config(self) -> PlatformConfig:
        return self._cfg

    @property
    def channel(self) -> grpc.Channel:
        """The underlying gRPC channel (with any gRPC interceptors)."""
        return self._channel

    @classmethod
    def with_root_certificate(cls, cfg: PlatformConfig, root_cert_file: str) -> RawSynchronousFlyteClient:
        """A client of this class trusting the CA certificates in ``root_cert_file``."""
        from pathlib import Path

        return cls(cfg, root_certificates=Path(root_cert_file).read_bytes())

    def close(self) -> None:
        """Close the channel; in-flight calls are cancelled."""
        self._channel.close()

    def __enter__(self) -> RawSynchronousFlyteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one method per RPC --------------------------------------------------------------------------------
    def create_task(self, task_create_request: task_pb2.TaskCreateRequest) -> task_pb2.TaskCreateResponse:
        """CreateTask: Register a task version."""
        return self._call("AdminService", "CreateTask", task_create_request)

    def get_task(self, get_object_request: common_pb2.ObjectGetRequest) -> task_pb2.Task:
        """GetTask: One task version, with its compiled closure."""
        return self._call("AdminService", "GetTask", get_object_request)

    def list_task_ids_paginated(
        self, identifier_list_request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        """ListTaskIds: One page of the distinct task names of a project and domain."""
        return self._call("AdminService", "ListTaskIds", identifier_list_request)

    def list_tasks_paginated(self, resource_list_request: common_pb2.ResourceListRequest) -> task_pb2.TaskList:
        """ListTasks: One page of task versions."""
        return self._call("AdminService", "ListTasks", resource_list_request)

    def create_workflow(
        self, workflow_create_request: workflow_pb2.WorkflowCreateRequest
    ) -> workflow_pb2.WorkflowCreateResponse:
        """CreateWorkflow: Register (and compile) a workflow version."""
        return self._call("AdminService", "CreateWorkflow", workflow_create_request)

    def get_workflow(self, get_object_request: common_pb2.ObjectGetRequest) -> workflow_pb2.Workflow:
        """GetWorkflow: One workflow version, with its compiled closure."""
        return self._call("AdminService", "GetWorkflow", get_object_request)

    def list_workflow_ids_paginated(
        self, identifier_list_request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        """ListWorkflowIds: One page of the distinct workflow names of a project and domain."""
        return self._call("AdminService", "ListWorkflowIds", identifier_list_request)

    def list_workflows_paginated(
        self, resource_list_request: common_pb2.ResourceListRequest
    ) -> workflow_pb2.WorkflowList:
        """ListWorkflows: One page of workflow versions (closures trimmed to the interface, as Flyte Admin does)."""
        return self._call("AdminService", "ListWorkflows", resource_list_request)

    def create_launch_plan(
        self, launch_plan_create_request: launch_plan_pb2.LaunchPlanCreateRequest
    ) -> launch_plan_pb2.LaunchPlanCreateResponse:
        """CreateLaunchPlan: Register a launch plan version (inactive until activated)."""
        return self._call("AdminService", "CreateLaunchPlan", launch_plan_create_request)

    def get_launch_plan(self, object_get_request: common_pb2.ObjectGetRequest) -> launch_plan_pb2.LaunchPlan:
        """GetLaunchPlan: One launch plan version."""
        return self._call("AdminService", "GetLaunchPlan", object_get_request)

    def get_active_launch_plan(
        self, active_launch_plan_request: launch_plan_pb2.ActiveLaunchPlanRequest
    ) -> launch_plan_pb2.LaunchPlan:
        """GetActiveLaunchPlan: The active version of a launch plan."""
        return self._call("AdminService", "GetActiveLaunchPlan", active_launch_plan_request)

    def update_launch_plan(
        self, update_request: launch_plan_pb2.LaunchPlanUpdateRequest
    ) -> launch_plan_pb2.LaunchPlanUpdateResponse:
        """UpdateLaunchPlan: Activate or deactivate a launch plan version."""
        return self._call("AdminService", "UpdateLaunchPlan", update_request)

    def list_launch_plan_ids_paginated(
        self, identifier_list_request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        """ListLaunchPlanIds: One page of the distinct launch plan names of a project and domain."""
        return self._call("AdminService", "ListLaunchPlanIds", identifier_list_request)

    def list_launch_plans_paginated(
        self, resource_list_request: common_pb2.ResourceListRequest
    ) -> launch_plan_pb2.LaunchPlanList:
        """ListLaunchPlans: One page of launch plan versions."""
        return self._call("AdminService", "ListLaunchPlans", resource_list_request)

    def list_active_launch_plans_paginated(
        self, active_launch_plan_list_request: launch_plan_pb2.ActiveLaunchPlanListRequest
    ) -> launch_plan_pb2.LaunchPlanList:
        """ListActiveLaunchPlans: One page of active launch plans."""
        return self._call("AdminService", "ListActiveLaunchPlans", active_launch_plan_list_request)

    def update_named_entity(
        self, update_named_entity_request: common_pb2.NamedEntityUpdateRequest
    ) -> common_pb2.NamedEntityUpdateResponse:
        """UpdateNamedEntity: Set the description and state of a named entity."""
        return self._call("AdminService", "UpdateNamedEntity", update_named_entity_request)

    def get_named_entity(self, named_entity_get_request: common_pb2.NamedEntityGetRequest) -> common_pb2.NamedEntity:
        """GetNamedEntity: One named entity with its metadata."""
        return self._call("AdminService", "GetNamedEntity", named_entity_get_request)

    def list_named_entities(
        self, named_entity_list_request: common_pb2.NamedEntityListRequest
    ) -> common_pb2.NamedEntityList:
        """ListNamedEntities: One page of named entities of a resource type."""
        return self._call("AdminService", "ListNamedEntities", named_entity_list_request)

    def create_execution(
        self, create_execution_request: execution_pb2.ExecutionCreateRequest
    ) -> execution_pb2.ExecutionCreateResponse:
        """CreateExecution: Start an execution of a launch plan or task."""
        return self._call("AdminService", "CreateExecution", create_execution_request)

    def recover_execution(
        self, recover_execution_request: execution_pb2.ExecutionRecoverRequest
    ) -> execution_pb2.ExecutionCreateResponse:
        """RecoverExecution: Re-run a failed execution, reusing the outputs of nodes that succeeded."""
        return self._call("AdminService", "RecoverExecution", recover_execution_request)

    def relaunch_execution(
        self, relaunch_execution_request: execution_pb2.ExecutionRelaunchRequest
    ) -> execution_pb2.ExecutionCreateResponse:
        """RelaunchExecution: Run an execution again with the same inputs."""
        return self._call("AdminService", "RelaunchExecution", relaunch_execution_request)

    def get_execution(self, get_object_request: execution_pb2.WorkflowExecutionGetRequest) -> execution_pb2.Execution:
        """GetExecution: One execution."""
        return self._call("AdminService", "GetExecution", get_object_request)

    def update_execution(
        self, update_execution_request: execution_pb2.ExecutionUpdateRequest
    ) -> execution_pb2.ExecutionUpdateResponse:
        """UpdateExecution: Archive or un-archive an execution."""
        return self._call("AdminService", "UpdateExecution", update_execution_request)

    def get_execution_data(
        self, get_execution_data_request: execution_pb2.WorkflowExecutionGetDataRequest
    ) -> execution_pb2.WorkflowExecutionGetDataResponse:
        """GetExecutionData: Inputs and outputs of an execution."""
        return self._call("AdminService", "GetExecutionData", get_execution_data_request)

    def get_execution_metrics(
        self, get_execution_metrics_request: execution_pb2.WorkflowExecutionGetMetricsRequest
    ) -> execution_pb2.WorkflowExecutionGetMetricsResponse:
        """GetExecutionMetrics: The span tree of an execution."""
        return self._call("AdminService", "GetExecutionMetrics", get_execution_metrics_request)

    def list_executions_paginated(
        self, resource_list_request: common_pb2.ResourceListRequest
    ) -> execution_pb2.ExecutionList:
        """ListExecutions: One page of executions."""
        return self._call("AdminService", "ListExecutions", resource_list_request)

    def terminate_execution(
        self, terminate_execution_request: execution_pb2.ExecutionTerminateRequest
    ) -> execution_pb2.ExecutionTerminateResponse:
        """TerminateExecution: Abort a running execution."""
        return self._call("AdminService", "TerminateExecution", terminate_execution_request)

    def get_node_execution(
        self, node_execution_request: node_execution_pb2.NodeExecutionGetRequest
    ) -> node_execution_pb2.NodeExecution:
        """GetNodeExecution: One node execution."""
        return self._call("AdminService", "GetNodeExecution", node_execution_request)

    def get_dynamic_node_workflow(
        self, get_dynamic_node_workflow_request: node_execution_pb2.GetDynamicNodeWorkflowRequest
    ) -> node_execution_pb2.DynamicNodeWorkflowResponse:
        """GetDynamicNodeWorkflow: The workflow a dynamic node generated."""
        return self._call("AdminService", "GetDynamicNodeWorkflow", get_dynamic_node_workflow_request)

    def get_node_execution_data(
        self, get_node_execution_data_request: node_execution_pb2.NodeExecutionGetDataRequest
    ) -> node_execution_pb2.NodeExecutionGetDataResponse:
        """GetNodeExecutionData: Inputs and outputs of a node execution."""
        return self._call("AdminService", "GetNodeExecutionData", get_node_execution_data_request)

    def list_node_executions_paginated(
        self, node_execution_list_request: node_execution_pb2.NodeExecutionListRequest
    ) -> node_execution_pb2.NodeExecutionList:
        """ListNodeExecutions: One page of the node executions of an execution."""
        return self._call("AdminService", "ListNodeExecutions", node_execution_list_request)

    def list_node_executions_for_task_paginated(
        self, node_execution_for_task_list_request: node_execution_pb2.NodeExecutionForTaskListRequest
    ) -> node_execution_pb2.NodeExecutionList:
        """ListNodeExecutionsForTask: One page of the node executions a task execution launched."""
        return self._call("AdminService", "ListNodeExecutionsForTask", node_execution_for_task_list_request)

    def get_task_execution(
        self, task_execution_request: task_execution_pb2.TaskExecutionGetRequest
    ) -> task_execution_pb2.TaskExecution:
        """GetTaskExecution: One task execution (one attempt)."""
        return self._call("AdminService", "GetTaskExecution", task_execution_request)

    def get_task_execution_data(
        self, get_task_execution_data_request: task_execution_pb2.TaskExecutionGetDataRequest
    ) -> task_execution_pb2.TaskExecutionGetDataResponse:
        """GetTaskExecutionData: Inputs and outputs of a task execution."""
        return self._call("AdminService", "GetTaskExecutionData", get_task_execution_data_request)

    def list_task_executions_paginated(
        self, task_execution_list_request: task_execution_pb2.TaskExecutionListRequest
    ) -> task_execution_pb2.TaskExecutionList:
        """ListTaskExecutions: One page of the task executions (attempts) of a node."""
        return self._call("AdminService", "ListTaskExecutions", task_execution_list_request)

    def create_workflow_event(
        self, workflow_event_request: event_pb2.WorkflowExecutionEventRequest
    ) -> event_pb2.WorkflowExecutionEventResponse:
        """CreateWorkflowEvent: Report a workflow execution event (what propeller sends)."""
        return self._call("AdminService", "CreateWorkflowEvent", workflow_event_request)

    def create_node_event(
        self, node_event_request: event_pb2.NodeExecutionEventRequest
    ) -> event_pb2.NodeExecutionEventResponse:
        """CreateNodeEvent: Report a node execution event."""
        return self._call("AdminService", "CreateNodeEvent", node_event_request)

    def create_task_event(
        self, task_event_request: event_pb2.TaskExecutionEventRequest
    ) -> event_pb2.TaskExecutionEventResponse:
        """CreateTaskEvent: Report a task execution event."""
        return self._call("AdminService", "CreateTaskEvent", task_event_request)

    def register_project(
        self, project_register_request: project_pb2.ProjectRegisterRequest
    ) -> project_pb2.ProjectRegisterResponse:
        """RegisterProject: Register a project."""
        return self._call("AdminService", "RegisterProject", project_register_request)

    def update_project(self, project: project_pb2.Project) -> project_pb2.ProjectUpdateResponse:
        """UpdateProject: Update a project's name, description, labels or state."""
        return self._call("AdminService", "UpdateProject", project)

    def get_project(self, project_get_request: project_pb2.ProjectGetRequest) -> project_pb2.Project:
        """GetProject: One project."""
        return self._call("AdminService", "GetProject", project_get_request)

    def list_projects(self, project_list_request: project_pb2.ProjectListRequest | None = None) -> project_pb2.Projects:
        """ListProjects: One page of projects (all of them with no request)."""
        return self._call("AdminService", "ListProjects", project_list_request)

    def get_domains(
        self, get_domain_request: project_pb2.GetDomainRequest | None = None
    ) -> project_pb2.GetDomainsResponse:
        """GetDomains: The domains of this Flyte Admin."""
        return self._call("AdminService", "GetDomains", get_domain_request)

    def update_project_domain_attributes(
        self,
        project_domain_attributes_update_request: project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest,
    ) -> project_domain_attributes_pb2.ProjectDomainAttributesUpdateResponse:
        """UpdateProjectDomainAttributes: Set matchable attributes of a project and domain."""
        return self._call("AdminService", "UpdateProjectDomainAttributes", project_domain_attributes_update_request)

    def get_project_domain_attributes(
        self, project_domain_attributes_get_request: project_domain_attributes_pb2.ProjectDomainAttributesGetRequest
    ) -> project_domain_attributes_pb2.ProjectDomainAttributesGetResponse:
        """GetProjectDomainAttributes: Matchable attributes of a project and domain."""
        return self._call("AdminService", "GetProjectDomainAttributes", project_domain_attributes_get_request)

    def delete_project_domain_attributes(
        self,
        project_domain_attributes_delete_request: project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest,
    ) -> project_domain_attributes_pb2.ProjectDomainAttributesDeleteResponse:
        """DeleteProjectDomainAttributes: Delete matchable attributes of a project and domain."""
        return self._call("AdminService", "DeleteProjectDomainAttributes", project_domain_attributes_delete_request)

    def update_project_attributes(
        self, project_attributes_update_request: project_attributes_pb2.ProjectAttributesUpdateRequest
    ) -> project_attributes_pb2.ProjectAttributesUpdateResponse:
        """UpdateProjectAttributes: Set matchable attributes of a project."""
        return self._call("AdminService", "UpdateProjectAttributes", project_attributes_update_request)

    def get_project_attributes(
        self, project_attributes_get_request: project_attributes_pb2.ProjectAttributesGetRequest
    ) -> project_attributes_pb2.ProjectAttributesGetResponse:
        """GetProjectAttributes: Matchable attributes of a project."""
        return self._call("AdminService", "GetProjectAttributes", project_attributes_get_request)

    def delete_project_attributes(
        self, project_attributes_delete_request: project_attributes_pb2.ProjectAttributesDeleteRequest
    ) -> project_attributes_pb2.ProjectAttributesDeleteResponse:
        """DeleteProjectAttributes: Delete matchable attributes of a project."""
        return self._call("AdminService", "DeleteProjectAttributes", project_attributes_delete_request)

    def update_workflow_attributes(
        self, workflow_attributes_update_request: workflow_attributes_pb2.WorkflowAttributesUpdateRequest
    ) -> workflow_attributes_pb2.WorkflowAttributesUpdateResponse:
        """UpdateWorkflowAttributes: Set matchable attributes of a workflow."""
        return self._call("AdminService", "UpdateWorkflowAttributes", workflow_attributes_update_request)

    def get_workflow_attributes(
        self, workflow_attributes_get_request: workflow_attributes_pb2.WorkflowAttributesGetRequest
    ) -> workflow_attributes_pb2.WorkflowAttributesGetResponse:
        """GetWorkflowAttributes: Matchable attributes of a workflow."""
        return self._call("AdminService", "GetWorkflowAttributes", workflow_attributes_get_request)

    def delete_workflow_attributes(
        self, workflow_attributes_delete_request: workflow_attributes_pb2.WorkflowAttributesDeleteRequest
    ) -> workflow_attributes_pb2.WorkflowAttributesDeleteResponse:
        """DeleteWorkflowAttributes: Delete matchable attributes of a workflow."""
        return self._call("AdminService", "DeleteWorkflowAttributes", workflow_attributes_delete_request)

    def list_matchable_attributes(
        self, list_matchable_attributes_request: matchable_resource_pb2.ListMatchableAttributesRequest
    ) -> matchable_resource_pb2.ListMatchableAttributesResponse:
        """ListMatchableAttributes: Every matchable attribute of one resource type."""
        return self._call("AdminService", "ListMatchableAttributes", list_matchable_attributes_request)

    def get_description_entity(
        self, object_get_request: common_pb2.ObjectGetRequest
    ) -> description_entity_pb2.DescriptionEntity:
        """GetDescriptionEntity: The description of an entity version."""
        return self._call("AdminService", "GetDescriptionEntity", object_get_request)

    def list_description_entities(
        self, description_entity_list_request: description_entity_pb2.DescriptionEntityListRequest
    ) -> description_entity_pb2.DescriptionEntityList:
        """ListDescriptionEntities: One page of descriptions."""
        return self._call("AdminService", "ListDescriptionEntities", description_entity_list_request)

    def get_version(
        self, get_version_request: version_pb2.GetVersionRequest | None = None
    ) -> version_pb2.GetVersionResponse:
        """GetVersion: The control plane's version."""
        return self._call("AdminService", "GetVersion", get_version_request)

    def create_upload_location(
        self, create_upload_location_request: dataproxy_pb2.CreateUploadLocationRequest
    ) -> dataproxy_pb2.CreateUploadLocationResponse:
        """CreateUploadLocation: A signed URL to upload one object to."""
        return self._call("DataProxyService", "CreateUploadLocation", create_upload_location_request)

    def create_download_location(
        self, create_download_location_request: dataproxy_pb2.CreateDownloadLocationRequest
    ) -> dataproxy_pb2.CreateDownloadLocationResponse:
        """CreateDownloadLocation: a signed URL to download one object from (deprecated by Flyte)."""
        return self._call("DataProxyService", "CreateDownloadLocation", create_download_location_request)

    def create_download_link(
        self, create_download_link_request: dataproxy_pb2.CreateDownloadLinkRequest
    ) -> dataproxy_pb2.CreateDownloadLinkResponse:
        """CreateDownloadLink: Signed URLs for an execution artifact (e.g. a deck)."""
        return self._call("DataProxyService", "CreateDownloadLink", create_download_link_request)

    def get_data(self, get_data_request: dataproxy_pb2.GetDataRequest) -> dataproxy_pb2.GetDataResponse:
        """GetData: The data behind a flyte:// URL."""
        return self._call("DataProxyService", "GetData", get_data_request)

    def get_or_create_signal(
        self, signal_get_or_create_request: signal_pb2.SignalGetOrCreateRequest
    ) -> signal_pb2.Signal:
        """GetOrCreateSignal: A signal of an execution, created if missing."""
        return self._call("SignalService", "GetOrCreateSignal", signal_get_or_create_request)

    def list_signals(self, signal_list_request: signal_pb2.SignalListRequest) -> signal_pb2.SignalList:
        """ListSignals: One page of the signals of an execution."""
        return self._call("SignalService", "ListSignals", signal_list_request)

    def set_signal(self, signal_set_request: signal_pb2.SignalSetRequest) -> signal_pb2.SignalSetResponse:
        """SetSignal: Give a signal its value (approve, reject, input)."""
        return self._call("SignalService", "SetSignal", signal_set_request)

    def get_oauth2_metadata(
        self, oauth2_metadata_request: auth_pb2.OAuth2MetadataRequest | None = None
    ) -> auth_pb2.OAuth2MetadataResponse:
        """GetOAuth2Metadata: The OAuth2 authorization server's metadata."""
        return self._call("AuthMetadataService", "GetOAuth2Metadata", oauth2_metadata_request)

    def get_public_client_config(
        self, public_client_auth_config_request: auth_pb2.PublicClientAuthConfigRequest | None = None
    ) -> auth_pb2.PublicClientAuthConfigResponse:
        """GetPublicClientConfig: The public OAuth2 client settings for this deployment."""
        return self._call("AuthMetadataService", "GetPublicClientConfig", public_client_auth_config_request)

    def user_info(self, user_info_request: identity_pb2.UserInfoRequest | None = None) -> identity_pb2.UserInfoResponse:
        """UserInfo: Who the caller is, by the server's account."""
        return self._call("IdentityService", "UserInfo", user_info_request)
