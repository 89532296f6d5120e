"""Tasks without a container, run through Flyte's agent protocol, as propeller's agent plugin runs them.

Propeller hands a task whose type no other plugin claims to its agent plugin (flyteorg/flyte
``flyteplugins/go/tasks/plugins/webapi/agent/plugin.go``): the agent serving the task's category (type and version)
is found in the registry it builds from each agent server's ``AgentMetadataService.ListAgents`` (else the configured
default agent); a sync agent runs the task in one ``SyncAgentService.ExecuteTaskSync`` stream (a header with the
template, output prefix and execution metadata, then the inputs); an async agent gets ``AsyncAgentService.CreateTask``,
is polled with ``GetTask`` until its resource reaches a terminal phase, and gets ``DeleteTask`` when the attempt is
aborted or times out. The resource's phase maps to the task execution's (``Status`` in the plugin): QUEUED,
WAITING_FOR_RESOURCES, INITIALIZING and RUNNING are reported with the agent's log links, custom info and message;
SUCCEEDED writes the outputs the resource carries (else the agent wrote ``outputs.pb`` under the output prefix);
FAILED is ``failed to run the job: <message>`` (RETRYABLE_FAILED the same, recoverable), ABORTED ``failed to run
the job with aborted phase.``, the code being the agent error's or ``TaskFailedWithError``.

Here the agent server is the one named by :attr:`~flyteplane.admin.config.AdminConfig.agent_endpoint` (or
``agent_for_task_types`` for one type), else a local ``pyflyte serve agent`` (:mod:`.agent_server`) started on the
first agent task. A task type no agent serves fails naming the type; an agent server that cannot be reached fails
naming the address tried. Nothing is left running: an aborted or timed-out attempt deletes its agent task.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import grpc
from flyteidl.admin import agent_pb2
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import execution_pb2, identifier_pb2, literals_pb2, tasks_pb2
from flyteidl.service import agent_pb2_grpc
from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError

from flyteplane.admin.engine.agent_server import AgentServerError, LocalAgentServer
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.task_runner import (
    OUTPUTS_FILE,
    AttemptPaths,
    AttemptResult,
    ProcessTable,
    RenderError,
    render,
)

if TYPE_CHECKING:
    from flyteplane.admin.config import AdminConfig

__all__ = [
    "AGENT_PLUGIN_ID",
    "LOCAL_TASK_TYPES",
    "AgentAttempt",
    "AgentSettings",
    "AgentTasks",
    "Report",
    "agents_for",
]

log = logging.getLogger("flyteplane.admin.engine")

AGENT_PLUGIN_ID = "agent-service"
"""The plugin id propeller's agent plugin puts in its task events' ``metadata.plugin_identifier``."""

LOCAL_TASK_TYPES = frozenset({"echo"})
"""Task types without a container that the engine runs itself (never sent to an agent)."""

_T = execution_pb2.TaskExecution
_USER = execution_pb2.ExecutionError.USER
_SYSTEM = execution_pb2.ExecutionError.SYSTEM
_TERMINAL = {_T.SUCCEEDED, _T.FAILED, _T.RETRYABLE_FAILED, _T.ABORTED}
_FIRST_POLL_SECONDS = 0.05
# An agent on this machine is dialled directly: an http_proxy of the environment must not be used for it.
_LOOPBACK_OPTIONS = [("grpc.enable_http_proxy", 0)]
_LOOPBACK_HOSTS = ("127.0.0.1:", "localhost:", "[::1]:")
# The deprecated ``Resource.state`` of older agents, read when ``phase`` is UNDEFINED (propeller does the same).
_STATE_PHASES = {
    agent_pb2.PENDING: _T.INITIALIZING,
    agent_pb2.RUNNING: _T.RUNNING,
    agent_pb2.SUCCEEDED: _T.SUCCEEDED,
    agent_pb2.PERMANENT_FAILURE: _T.FAILED,
    agent_pb2.RETRYABLE_FAILURE: _T.RETRYABLE_FAILED,
}


class Report(Protocol):
    """How the plugin reports a non-terminal phase of the attempt (a task execution event); True if recorded."""

    def __call__(
        self,
        phase: int,
        *,
        version: int = 0,
        logs: list[execution_pb2.TaskLog] | None = None,
        reason: str = "",
        custom_info: struct_pb2.Struct | None = None,
    ) -> bool: ...


@dataclass(frozen=True)
class AgentSettings:
    """Where agents are and how they are polled (from :class:`~flyteplane.admin.config.AdminConfig`)."""

    endpoint: str | None = None
    """The default agent server (``host:port``); None: the local one, if allowed."""
    endpoints_by_task_type: Mapping[str, str] = field(default_factory=dict)
    """Task type -> agent server, as propeller's ``agentForTaskTypes`` (the task goes there even if not listed)."""
    poll_interval: float = 1.0
    """Most seconds between two GetTask calls (the first comes sooner, the gap doubling up to this)."""
    rpc_timeout: float = 30.0
    """Seconds a CreateTask, GetTask, DeleteTask or ListAgents call may take."""


@dataclass(frozen=True)
class AgentAttempt:
    """One attempt of a task run by an agent."""

    task: tasks_pb2.TaskTemplate
    inputs: literals_pb2.LiteralMap
    paths: AttemptPaths
    """``output_prefix_url`` is the agent's output prefix; ``output_dir`` the same directory, read here."""
    task_execution_id: identifier_pb2.TaskExecutionIdentifier
    env: dict[str, str]
    max_attempts: int = 1
    timeout: float | None = None
    """Seconds this attempt may run (the task's or node's ``timeout``)."""
    deadline: float | None = None
    """``time.monotonic()`` by which the whole node must be done."""
    run_spec: admin_execution_pb2.ExecutionSpec | None = None
    """The run's spec: its labels, annotations and service account go to the agent as a pod's would."""


@dataclass(frozen=True)
class _Route:
    endpoint: str
    is_sync: bool
    agent: str


class _AgentFailure(Exception):
    def __init__(self, code: str, message: str, kind: int = _SYSTEM) -> None:
        super().__init__(message)
        self.code, self.message, self.kind = code, message, kind

    def result(self) -> AttemptResult:
        error = execution_pb2.ExecutionError(code=self.code, message=self.message, kind=self.kind)
        return AttemptResult("failed", error=error)


def _rpc_text(e: grpc.RpcError) -> str:
    code = e.code() if hasattr(e, "code") else None
    details = e.details() if hasattr(e, "details") else str(e)
    return f"{code.name if code is not None else 'UNKNOWN'}: {details}"


def _unreachable(e: grpc.RpcError) -> bool:
    code = e.code() if hasattr(e, "code") else None
    return code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class AgentTasks:
    """The engine's agent plugin: which tasks go to agents, and running one attempt of such a task.

    Args:
        settings: where the agents are and how they are polled.
        local_server: the agent server to start when no endpoint is configured; None: agents only at
            ``settings.endpoint`` / ``settings.endpoints_by_task_type``.
    """

    def __init__(self, settings: AgentSettings, local_server: LocalAgentServer | None = None) -> None:
        self.settings = settings
        self.local_server = local_server
        self._lock = threading.Lock()
        self._channels: dict[str, grpc.Channel] = {}

    # -- which tasks ----------------------------------------------------------------------------------------------
    def serves(self, task: tasks_pb2.TaskTemplate) -> bool:
        """Whether ``task`` runs through an agent: its type is configured for agents, or it has no container (nor
        pod) and the engine has no local way to run it (as propeller, where a plugin-less type goes to agents)."""
        if task.type in self.settings.endpoints_by_task_type:
            return True
        return task.WhichOneof("target") not in ("container", "k8s_pod") and task.type not in LOCAL_TASK_TYPES

    def stop(self) -> None:
        """Close the channels and stop the local agent server, if one was started."""
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            channel.close()
        if self.local_server is not None:
            self.local_server.stop()

    # -- one attempt ----------------------------------------------------------------------------------------------
    def run(self, attempt: AgentAttempt, token: CancelToken, report: Report) -> AttemptResult:
        """Run ``attempt`` on its agent to a terminal phase; report the phases on the way. Cancelling ``token``
        (abort) or running past the timeout deletes the agent's task."""
        try:
            route = self._route(attempt.task)
            template = self._rendered(attempt)
        except _AgentFailure as failure:
            return failure.result()
        if token.cancelled:  # aborted while a local agent server was starting: nothing was created
            return AttemptResult("aborted")
        attempt.paths.output_dir.mkdir(parents=True, exist_ok=True)  # where a file-writing agent puts outputs.pb
        if route.is_sync:
            return self._run_sync(route, attempt, template, token, report)
        return self._run_async(route, attempt, template, token, report)

    def _channel(self, endpoint: str) -> grpc.Channel:
        with self._lock:
            channel = self._channels.get(endpoint)
            if channel is None:
                options = _LOOPBACK_OPTIONS if endpoint.startswith(_LOOPBACK_HOSTS) else []
                channel = self._channels[endpoint] = grpc.insecure_channel(endpoint, options=options)
            return channel

    def _route(self, task: tasks_pb2.TaskTemplate) -> _Route:
        """The agent serving the task's category (propeller's getFinalAgent over its ListAgents registry)."""
        name, version = task.type, task.task_type_version
        mapped = self.settings.endpoints_by_task_type.get(name)
        if mapped:
            endpoint = mapped
        elif self.settings.endpoint:
            endpoint = self.settings.endpoint
        elif self.local_server is not None:
            try:
                endpoint = self.local_server.endpoint()
            except AgentServerError as e:
                raise _AgentFailure("AgentServerNotStarted", f"task type [{name}] needs an agent: {e}") from e
        else:
            raise _AgentFailure(
                "UnsupportedTaskType",
                f"task type [{name}] has no container and no agent is configured to run it: set "
                "AdminConfig.agent_endpoint (or agent_for_task_types), or allow start_local_agent",
            )
        try:
            listed = agent_pb2_grpc.AgentMetadataServiceStub(self._channel(endpoint)).ListAgents(
                agent_pb2.ListAgentsRequest(), timeout=self.settings.rpc_timeout
            )
        except grpc.RpcError as e:
            if _unreachable(e):
                raise _AgentFailure(
                    "AgentUnreachable",
                    f"cannot reach the agent server at [{endpoint}] for task type [{name}]: {_rpc_text(e)}",
                ) from e
            # An agent server without the metadata service: it is the default agent for every type (propeller).
            return _Route(endpoint, False, "")
        served: list[str] = []
        for agent in listed.agents:
            categories = [(c.name, c.version) for c in agent.supported_task_categories] or [
                (t, 0) for t in agent.supported_task_types
            ]
            if (name, version) in categories:
                return _Route(endpoint, agent.is_sync, agent.name)
            served.extend(f"{n}" if v == 0 else f"{n} v{v}" for n, v in categories)
        if mapped:
            return _Route(endpoint, False, "")
        raise _AgentFailure(
            "UnsupportedTaskType",
            f"no agent serves task type [{name}] (version {version}): the agent server at [{endpoint}] serves "
            f"[{', '.join(sorted(set(served))) or 'nothing'}]",
        )

    def _rendered(self, attempt: AgentAttempt) -> tasks_pb2.TaskTemplate:
        """The template sent to the agent: a container's args have their placeholders filled (propeller's Create)."""
        template = tasks_pb2.TaskTemplate()
        template.CopyFrom(attempt.task)
        if template.HasField("container"):
            paths = attempt.paths
            values = {
                "input": paths.inputs_url,
                "inputPrefix": paths.input_prefix_url,
                "outputPrefix": paths.output_prefix_url,
                "rawOutputDataPrefix": paths.raw_output_prefix,
                "checkpointOutputPrefix": paths.checkpoint_prefix,
                "prevCheckpointPrefix": paths.prev_checkpoint_prefix or '""',
                "perRetryUniqueKey": paths.per_retry_key,
            }
            try:
                args = [render(arg, values, attempt.inputs) for arg in template.container.args]
            except RenderError as e:
                raise _AgentFailure("TemplateRenderError", str(e), _USER) from e
            template.container.args[:] = args
        return template

    def _metadata(self, attempt: AgentAttempt) -> agent_pb2.TaskExecutionMetadata:
        tid = attempt.task_execution_id
        eid = tid.node_execution_id.execution_id
        metadata = agent_pb2.TaskExecutionMetadata(
            namespace=f"{eid.project}-{eid.domain}", max_attempts=attempt.max_attempts
        )
        metadata.task_execution_id.CopyFrom(tid)
        metadata.environment_variables.update(attempt.env)
        metadata.interruptible = attempt.task.metadata.interruptible
        spec = attempt.run_spec
        if spec is not None:
            metadata.labels.update(spec.labels.values)
            metadata.annotations.update(spec.annotations.values)
            run_as = spec.security_context.run_as
            metadata.k8s_service_account = run_as.k8s_service_account or spec.auth_role.kubernetes_service_account
            if spec.security_context.HasField("run_as"):
                metadata.identity.CopyFrom(run_as)
        return metadata

    # -- sync agents ----------------------------------------------------------------------------------------------
    def _run_sync(
        self,
        route: _Route,
        attempt: AgentAttempt,
        template: tasks_pb2.TaskTemplate,
        token: CancelToken,
        report: Report,
    ) -> AttemptResult:
        header = agent_pb2.CreateRequestHeader(
            template=template,
            output_prefix=attempt.paths.output_prefix_url,
            task_execution_metadata=self._metadata(attempt),
        )
        requests = [
            agent_pb2.ExecuteTaskSyncRequest(header=header),
            agent_pb2.ExecuteTaskSyncRequest(inputs=attempt.inputs),
        ]
        stub = agent_pb2_grpc.SyncAgentServiceStub(self._channel(route.endpoint))
        started = time.monotonic()
        limit = _time_left(attempt, started)
        call = stub.ExecuteTaskSync(iter(requests), timeout=limit[0] if limit else None)
        # An abort cancels the stream (the agent sees the call cancelled, as when propeller's context ends).
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                if token.wait(0.05):
                    call.cancel()
                    return

        watcher = threading.Thread(target=watch, daemon=True, name="agent-sync-watch")
        watcher.start()
        try:
            response = next(iter(call))
        except StopIteration:
            return _AgentFailure(
                "AgentResponseMissing", f"the sync agent [{route.agent}] at [{route.endpoint}] sent no response"
            ).result()
        except grpc.RpcError as e:
            if token.cancelled:
                return AttemptResult("aborted")
            code = e.code() if hasattr(e, "code") else None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED and limit is not None:
                return AttemptResult(limit[1])
            if _unreachable(e):
                message = f"cannot reach the agent server at [{route.endpoint}] for task type [{template.type}]"
                return _AgentFailure("AgentUnreachable", f"{message}: {_rpc_text(e)}").result()
            return _AgentFailure(
                "AgentCallFailed",
                f"failed to execute task from agent [{route.agent}] at [{route.endpoint}] with {_rpc_text(e)}",
            ).result()
        finally:
            done.set()
            watcher.join()
        if not response.HasField("header"):
            return _AgentFailure(
                "AgentResponseMissing", "expected header in the response, but got none (ExecuteTaskSync)"
            ).result()
        resource = response.header.resource
        phase = _phase_of(resource)
        if phase not in _TERMINAL:
            return _AgentFailure(
                "AgentBadPhase",
                f"the sync agent [{route.agent}] answered phase {_T.Phase.Name(phase)}, not a terminal one",
            ).result()
        return self._terminal(attempt, resource, phase, report, reported=set())

    # -- async agents ---------------------------------------------------------------------------------------------
    def _run_async(
        self,
        route: _Route,
        attempt: AgentAttempt,
        template: tasks_pb2.TaskTemplate,
        token: CancelToken,
        report: Report,
    ) -> AttemptResult:
        stub = agent_pb2_grpc.AsyncAgentServiceStub(self._channel(route.endpoint))
        category = agent_pb2.TaskCategory(name=template.type, version=template.task_type_version)
        request = agent_pb2.CreateTaskRequest(
            inputs=attempt.inputs,
            template=template,
            output_prefix=attempt.paths.output_prefix_url,
            task_execution_metadata=self._metadata(attempt),
        )
        started = time.monotonic()
        try:
            created = stub.CreateTask(request, timeout=self.settings.rpc_timeout)
        except grpc.RpcError as e:
            return self._call_failed("create", route, template, e).result()
        meta = created.resource_meta
        interval = _FIRST_POLL_SECONDS
        last: tuple[int, bytes] | None = None
        version = 0
        reported: set[int] = {_T.QUEUED}
        while True:
            limit = _time_left(attempt, started)
            if token.cancelled:
                self._delete(stub, route, category, meta)
                return AttemptResult("aborted")
            if limit is not None and limit[0] <= 0:
                self._delete(stub, route, category, meta)
                return AttemptResult(limit[1])
            try:
                got = stub.GetTask(
                    agent_pb2.GetTaskRequest(
                        task_type=template.type,
                        task_category=category,
                        resource_meta=meta,
                        output_prefix=attempt.paths.output_prefix_url,
                    ),
                    timeout=self.settings.rpc_timeout,
                )
            except grpc.RpcError as e:
                self._delete(stub, route, category, meta)
                return self._call_failed("get", route, template, e).result()
            resource = got.resource
            phase = _phase_of(resource)
            if phase in _TERMINAL:
                return self._terminal(attempt, resource, phase, report, reported)
            if phase == _T.UNDEFINED:
                self._delete(stub, route, category, meta)
                return _AgentFailure(
                    "UnknownPhase", f"the agent [{route.agent}] answered an undefined phase for its task"
                ).result()
            # A phase is reported once; the same phase again only when what it shows changed (a new version).
            shown = _shown(resource)
            if last is None or last[0] != phase or last[1] != shown:
                version = version + 1 if phase in reported else 0
                reported.add(phase)
                report(
                    phase,
                    version=version,
                    logs=list(resource.log_links),
                    reason=resource.message,
                    custom_info=resource.custom_info if resource.HasField("custom_info") else None,
                )
                last = (phase, shown)
            wait = interval if limit is None else max(0.0, min(interval, limit[0]))
            token.wait(wait)
            interval = min(interval * 2, self.settings.poll_interval)

    def _delete(
        self, stub: agent_pb2_grpc.AsyncAgentServiceStub, route: _Route, category: agent_pb2.TaskCategory, meta: bytes
    ) -> None:
        """DeleteTask, as propeller's plugin does on abort; a failure is logged (the attempt ends regardless)."""
        try:
            stub.DeleteTask(
                agent_pb2.DeleteTaskRequest(task_type=category.name, task_category=category, resource_meta=meta),
                timeout=self.settings.rpc_timeout,
            )
        except grpc.RpcError as e:
            log.warning("DeleteTask at %s for task type %s failed: %s", route.endpoint, category.name, _rpc_text(e))

    @staticmethod
    def _call_failed(
        operation: str, route: _Route, template: tasks_pb2.TaskTemplate, e: grpc.RpcError
    ) -> _AgentFailure:
        if _unreachable(e):
            return _AgentFailure(
                "AgentUnreachable",
                f"cannot reach the agent server at [{route.endpoint}] for task type [{template.type}]: {_rpc_text(e)}",
            )
        return _AgentFailure(
            "AgentCallFailed",
            f"failed to {operation} task from agent [{route.agent or 'default'}] at [{route.endpoint}] with "
            f"{_rpc_text(e)}",
        )

    # -- the end --------------------------------------------------------------------------------------------------
    def _terminal(
        self,
        attempt: AgentAttempt,
        resource: agent_pb2.Resource,
        phase: int,
        report: Report,
        reported: set[int],
    ) -> AttemptResult:
        """The attempt's result from a terminal resource; its log links are reported first if not yet shown."""
        if (resource.log_links or resource.HasField("custom_info")) and _T.RUNNING not in reported:
            report(
                _T.RUNNING,
                logs=list(resource.log_links),
                reason=resource.message,
                custom_info=resource.custom_info if resource.HasField("custom_info") else None,
            )
        if phase == _T.SUCCEEDED:
            return _outputs(attempt, resource)
        code = resource.agent_error.code if resource.HasField("agent_error") and resource.agent_error.code else ""
        code = code or "TaskFailedWithError"
        kind = _SYSTEM if resource.agent_error.origin == execution_pb2.ExecutionError.SYSTEM else _USER
        if phase == _T.ABORTED:
            message = "failed to run the job with aborted phase."
        elif resource.phase == _T.UNDEFINED:  # the deprecated state's words
            message = f"failed to run the job.\n{resource.message}"
        else:
            message = f"failed to run the job: {resource.message}"
        recoverable = phase == _T.RETRYABLE_FAILED or (
            resource.HasField("agent_error") and resource.agent_error.kind == agent_pb2.AgentError.RECOVERABLE
        )
        error = execution_pb2.ExecutionError(code=code, message=message, kind=kind)
        return AttemptResult("failed", error=error, recoverable=recoverable)


def _phase_of(resource: agent_pb2.Resource) -> int:
    if resource.phase != _T.UNDEFINED:
        return int(resource.phase)
    return _STATE_PHASES.get(resource.state, _T.UNDEFINED)


def _shown(resource: agent_pb2.Resource) -> bytes:
    """What a non-terminal resource shows (message, logs, custom info), to tell whether it changed."""
    shown = agent_pb2.Resource(message=resource.message)
    shown.log_links.extend(resource.log_links)
    if resource.HasField("custom_info"):
        shown.custom_info.CopyFrom(resource.custom_info)
    return shown.SerializeToString(deterministic=True)


def _time_left(attempt: AgentAttempt, started: float) -> tuple[float, str] | None:
    """Seconds until the first of the attempt's timeout and the node's deadline, and the outcome when it passes."""
    now = time.monotonic()
    limits: list[tuple[float, str]] = []
    if attempt.timeout is not None:
        limits.append((started + attempt.timeout - now, "timed_out"))
    if attempt.deadline is not None:
        limits.append((attempt.deadline - now, "node_timed_out"))
    return min(limits) if limits else None


def _outputs(attempt: AgentAttempt, resource: agent_pb2.Resource) -> AttemptResult:
    """Propeller's writeOutput: the resource's outputs, else ``outputs.pb`` the agent wrote under the prefix."""
    expected = list(attempt.task.interface.outputs.variables)
    if resource.HasField("outputs"):
        outputs = resource.outputs
    elif not expected:
        return AttemptResult("succeeded", outputs=literals_pb2.LiteralMap())
    else:
        path = attempt.paths.output_dir / OUTPUTS_FILE
        if not path.is_file():
            error = execution_pb2.ExecutionError(
                code="OutputsNotFound",
                message=f"the agent returned no outputs and wrote no {OUTPUTS_FILE} under "
                f"{attempt.paths.output_prefix_url}",
                kind=_USER,
            )
            return AttemptResult("failed", error=error)
        try:
            outputs = literals_pb2.LiteralMap.FromString(path.read_bytes())
        except (OSError, DecodeError) as e:
            error = execution_pb2.ExecutionError(
                code="OutputsUnreadable", message=f"the agent wrote an unreadable {OUTPUTS_FILE}: {e}", kind=_SYSTEM
            )
            return AttemptResult("failed", error=error)
    missing = sorted(set(expected) - set(outputs.literals))
    if missing:
        error = execution_pb2.ExecutionError(
            code="OutputsNotFound", message=f"the agent's outputs lack [{', '.join(missing)}]", kind=_USER
        )
        return AttemptResult("failed", error=error)
    return AttemptResult("succeeded", outputs=outputs)


def agents_for(
    config: AdminConfig, python: str, pythonpath: tuple[str, ...], engine_dir: Path, processes: ProcessTable
) -> AgentTasks:
    """The agent plugin of an engine with ``config``: agents at ``agent_endpoint`` / ``agent_for_task_types``, else
    a local agent server of the task environment (``engine_dir/agent``) when ``start_local_agent`` allows it."""
    settings = AgentSettings(
        endpoint=config.agent_endpoint,
        endpoints_by_task_type=dict(config.agent_for_task_types or {}),
        poll_interval=config.agent_poll_interval_seconds,
    )
    server = None
    if config.start_local_agent and not config.agent_endpoint:
        server = LocalAgentServer(
            python,
            pythonpath,
            config.agent_modules,
            engine_dir / "agent",
            processes,
            start_timeout=config.agent_start_timeout_seconds,
            kill_grace=config.task_kill_grace_seconds,
        )
    return AgentTasks(settings, server)
