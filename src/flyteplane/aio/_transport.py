"""The asyncio raw client ``flyteplane.aio.FlyteRemote`` talks through, until ``flyteplane.aio.RawFlyteClient``.

:func:`raw_client` returns ``flyteplane.aio.RawFlyteClient`` when this flyteplane has it (the full call pipeline:
retries, auth, ``insecure_skip_verify``). Without it, :class:`MinimalAioClient`: one ``grpc.aio`` channel made by
the first call in the event loop that awaits it, the channel settings of :func:`flyteplane.clients.channel
.channel_options`, a deadline on every call, and the same error mapping as the blocking clients; it sends no
credentials, so an admin that asks for them answers UNAUTHENTICATED, which is raised as such.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flyteplane.errors import FlyteAssertion, from_grpc_error

if TYPE_CHECKING:
    import grpc.aio

    from flyteplane.configuration import PlatformConfig

__all__ = ["MinimalAioClient", "raw_client"]

# The raw methods FlyteRemote's operations call: flytekit's raw method name -> (service, RPC).
_METHODS = {
    "get_task": ("AdminService", "GetTask"),
    "get_workflow": ("AdminService", "GetWorkflow"),
    "get_launch_plan": ("AdminService", "GetLaunchPlan"),
    "create_launch_plan": ("AdminService", "CreateLaunchPlan"),
    "list_tasks_paginated": ("AdminService", "ListTasks"),
    "list_workflows_paginated": ("AdminService", "ListWorkflows"),
    "list_launch_plans_paginated": ("AdminService", "ListLaunchPlans"),
    "list_task_ids_paginated": ("AdminService", "ListTaskIds"),
    "list_workflow_ids_paginated": ("AdminService", "ListWorkflowIds"),
    "list_launch_plan_ids_paginated": ("AdminService", "ListLaunchPlanIds"),
    "create_execution": ("AdminService", "CreateExecution"),
    "get_execution": ("AdminService", "GetExecution"),
    "get_execution_data": ("AdminService", "GetExecutionData"),
    "terminate_execution": ("AdminService", "TerminateExecution"),
    "list_node_executions_paginated": ("AdminService", "ListNodeExecutions"),
    "get_dynamic_node_workflow": ("AdminService", "GetDynamicNodeWorkflow"),
    "get_node_execution_data": ("AdminService", "GetNodeExecutionData"),
    "list_task_executions_paginated": ("AdminService", "ListTaskExecutions"),
    "get_task_execution_data": ("AdminService", "GetTaskExecutionData"),
}
_SERVICE_MODULES = {"AdminService": "flyteidl.service.admin_pb2"}


def raw_client(cfg: PlatformConfig) -> Any:
    """``flyteplane.aio.RawFlyteClient(cfg)`` if this flyteplane has it, else a :class:`MinimalAioClient`."""
    try:
        module = importlib.import_module("flyteplane.aio.raw")
    except ImportError:
        return MinimalAioClient(cfg)
    return module.RawFlyteClient(cfg)


class MinimalAioClient:
    """The raw methods FlyteRemote's operations use, as coroutines on one ``grpc.aio`` channel.

    ``await client.get_execution(request, timeout=5)``. The channel belongs to the event loop of the first call;
    :meth:`close` closes it (a later call opens a new one).
    """

    def __init__(self, cfg: PlatformConfig) -> None:
        self._cfg = cfg
        self._channel: grpc.aio.Channel | None = None
        self._stubs: dict[str, Any] = {}
        self.channels_opened = 0

    @property
    def channel(self) -> grpc.aio.Channel | None:
        """The open channel (None before the first call and after :meth:`close`)."""
        return self._channel

    def _ensure_channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            import grpc
            import grpc.aio

            from flyteplane.clients.channel import channel_options

            options = channel_options(self._cfg)
            if self._cfg.insecure:
                self._channel = grpc.aio.insecure_channel(self._cfg.endpoint, options=options)
            else:
                if getattr(self._cfg, "insecure_skip_verify", False):
                    raise FlyteAssertion(
                        "insecure_skip_verify needs flyteplane.aio.RawFlyteClient, which this flyteplane lacks; "
                        "give the server's CA as ca_cert_file_path instead"
                    )
                root = None
                ca_path = getattr(self._cfg, "ca_cert_file_path", None)
                if ca_path:
                    with open(ca_path, "rb") as f:
                        root = f.read()
                credentials = grpc.ssl_channel_credentials(root_certificates=root)
                self._channel = grpc.aio.secure_channel(self._cfg.endpoint, credentials, options=options)
            self._stubs = {}
            self.channels_opened += 1
        return self._channel

    def _stub(self, method: str) -> Any:
        stub = self._stubs.get(method)
        if stub is None:
            from google.protobuf import message_factory

            service, rpc = _METHODS[method]
            descriptor = importlib.import_module(_SERVICE_MODULES[service]).DESCRIPTOR.services_by_name[service]
            md = descriptor.methods_by_name[rpc]
            request_cls = message_factory.GetMessageClass(md.input_type)
            response_cls = message_factory.GetMessageClass(md.output_type)
            stub = self._ensure_channel().unary_unary(
                f"/{descriptor.full_name}/{rpc}",
                request_serializer=request_cls.SerializeToString,
                response_deserializer=response_cls.FromString,
            )
            self._stubs[method] = stub
        return stub

    def __getattr__(self, method: str) -> Any:
        if method not in _METHODS:
            raise AttributeError(method)

        async def call(request: Any, *, timeout: float | None = None) -> Any:
            stub = self._stub(method)
            limit = timeout if timeout is not None else self._cfg.rpc_timeout
            try:
                return await stub(request, timeout=limit)
            except Exception as e:
                if not hasattr(e, "code") or not callable(e.code):
                    raise
                from flyteplane.clients.raw import describe

                rpc = _METHODS[method][1]
                raise from_grpc_error(e, rpc, describe(request), request=request, endpoint=self._cfg.endpoint) from e  # type: ignore[arg-type]

        return call

    async def close(self, grace: float | None = None) -> None:
        """Close the channel; calls in flight are cancelled (or given ``grace`` seconds)."""
        channel, self._channel = self._channel, None
        self._stubs = {}
        if channel is not None:
            await channel.close(grace)
