"""Workflow executions (``flyteidl.admin.execution``): specs, closures, and the GetData/GetMetrics responses."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.admin import execution_pb2 as _pb
from flyteidl.admin import node_execution_pb2 as _node_pb
from flyteidl.admin import task_execution_pb2 as _task_pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.common import (
    Annotations,
    AuthRole,
    Envs,
    FlyteURLs,
    Labels,
    Notification,
    RawOutputDataConfig,
    UrlBlob,
)
from flyteplane.models.core.execution import ExecutionError, QualityOfService, WorkflowExecutionPhase
from flyteplane.models.core.identifier import Identifier, NodeExecutionIdentifier, WorkflowExecutionIdentifier
from flyteplane.models.core.metrics import Span
from flyteplane.models.literals import LiteralMap
from flyteplane.models.matchable_resource import ClusterAssignment, ExecutionClusterLabel
from flyteplane.models.node_execution import DynamicWorkflowNodeMetadata
from flyteplane.models.security import SecurityContext

__all__ = [
    "AbortMetadata",
    "ClusterAssignment",
    "Execution",
    "ExecutionClosure",
    "ExecutionClusterLabel",
    "ExecutionMetadata",
    "ExecutionSpec",
    "ExecutionState",
    "ExecutionStateChangeDetails",
    "LiteralMapBlob",
    "NodeExecutionGetDataResponse",
    "NotificationList",
    "SystemMetadata",
    "TaskExecutionGetDataResponse",
    "WorkflowExecutionGetDataResponse",
    "WorkflowExecutionGetMetricsResponse",
]


class ExecutionState(IdlEnum):
    """Whether an execution is listed or archived (``flyteidl.admin.ExecutionState``)."""

    EXECUTION_ACTIVE = 0
    EXECUTION_ARCHIVED = 1


class SystemMetadata(FlyteIdlEntity):
    """Where the execution ran: ``SystemMetadata(execution_cluster, namespace="")``."""

    _pb_type = _pb.SystemMetadata
    execution_cluster: Field[str] = Field()
    namespace: Field[str] = Field()


class ExecutionMetadata(FlyteIdlEntity):
    """Who launched an execution, how, and from where.

    ``ExecutionMetadata(mode, principal, nesting, scheduled_at=None, parent_node_execution=None,
    reference_execution=None, system_metadata=None, artifact_ids=None)``.
    """

    class ExecutionMode(IdlEnum):
        """How the execution was started."""

        MANUAL = 0
        SCHEDULED = 1
        SYSTEM = 2
        RELAUNCH = 3
        CHILD_WORKFLOW = 4
        RECOVERED = 5
        TRIGGER = 6

    _pb_type = _pb.ExecutionMetadata
    mode: Field[ExecutionMetadata.ExecutionMode] = Field(enum=ExecutionMode)
    principal: Field[str] = Field()
    nesting: Field[int] = Field()
    scheduled_at: Field[_dt.datetime | None] = Field()
    parent_node_execution: Field[NodeExecutionIdentifier | None] = Field(model=NodeExecutionIdentifier)
    reference_execution: Field[WorkflowExecutionIdentifier | None] = Field(model=WorkflowExecutionIdentifier)
    system_metadata: Field[SystemMetadata | None] = Field(model=SystemMetadata)
    artifact_ids: Field[list[Any]] = Field()


class NotificationList(FlyteIdlEntity):
    """Notifications overriding the launch plan's: ``NotificationList(notifications)``."""

    _pb_type = _pb.NotificationList
    notifications: Field[list[Notification]] = Field(model=Notification)


class ExecutionSpec(FlyteIdlEntity):
    """How to run an execution.

    ``ExecutionSpec(launch_plan, metadata, notifications=None, disable_all=None, labels=None, annotations=None,
    auth_role=None, raw_output_data_config=None, max_parallelism=None, security_context=None,
    overwrite_cache=None, interruptible=None, envs=None, tags=None, cluster_assignment=None,
    execution_cluster_label=None)``, then ``quality_of_service`` and the deprecated ``inputs``. As in flytekit,
    ``labels``, ``annotations`` and ``auth_role`` are sent empty when not given.
    """

    _pb_type = _pb.ExecutionSpec
    launch_plan: Field[Identifier] = Field(model=Identifier)
    metadata: Field[ExecutionMetadata] = Field(model=ExecutionMetadata)
    notifications: Field[NotificationList | None] = Field(model=NotificationList)
    disable_all: Field[bool | None] = Field()
    # flytekit always sends labels, annotations and auth_role, empty when not given.
    labels: Field[Labels | None] = Field(model=Labels, default={})
    annotations: Field[Annotations | None] = Field(model=Annotations, default={})
    auth_role: Field[AuthRole | None] = Field(model=AuthRole, default={})
    raw_output_data_config: Field[RawOutputDataConfig | None] = Field(model=RawOutputDataConfig)
    max_parallelism: Field[int] = Field()
    security_context: Field[SecurityContext | None] = Field(model=SecurityContext)
    overwrite_cache: Field[bool] = Field()
    interruptible: Field[bool | None] = Field()
    envs: Field[Envs | None] = Field(model=Envs)
    tags: Field[list[str]] = Field()
    cluster_assignment: Field[ClusterAssignment | None] = Field(model=ClusterAssignment)
    execution_cluster_label: Field[ExecutionClusterLabel | None] = Field(model=ExecutionClusterLabel)
    quality_of_service: Field[QualityOfService | None] = Field(model=QualityOfService)
    inputs: Field[LiteralMap | None] = Field(model=LiteralMap)


class LiteralMapBlob(FlyteIdlEntity):
    """Outputs inline or at a URI: ``LiteralMapBlob(values=None, uri=None)``."""

    _pb_type = _pb.LiteralMapBlob
    values: Field[LiteralMap | None] = Field(model=LiteralMap)
    uri: Field[str | None] = Field()


class AbortMetadata(FlyteIdlEntity):
    """Why and by whom an execution was aborted: ``AbortMetadata(cause, principal)``."""

    _pb_type = _pb.AbortMetadata
    cause: Field[str] = Field()
    principal: Field[str] = Field()


class ExecutionStateChangeDetails(FlyteIdlEntity):
    """The last archive/unarchive: ``ExecutionStateChangeDetails(state, occurred_at, principal)``."""

    _pb_type = _pb.ExecutionStateChangeDetails
    state: Field[ExecutionState] = Field(enum=ExecutionState)
    occurred_at: Field[_dt.datetime | None] = Field()
    principal: Field[str] = Field()


class ExecutionClosure(FlyteIdlEntity):
    """An execution's state and result.

    ``ExecutionClosure(phase, started_at, duration, error=None, outputs=None, abort_metadata=None,
    created_at=None, updated_at=None)``, then ``computed_inputs``, ``notifications``, ``workflow_id``,
    ``abort_cause``, ``output_data`` and ``state_change_details``. :attr:`output_result` is whichever of outputs,
    error, abort_cause, abort_metadata or output_data is set.
    """

    _pb_type = _pb.ExecutionClosure
    phase: Field[WorkflowExecutionPhase] = Field(enum=WorkflowExecutionPhase)
    started_at: Field[_dt.datetime | None] = Field()
    duration: Field[_dt.timedelta | None] = Field()
    error: Field[ExecutionError | None] = Field(model=ExecutionError)
    outputs: Field[LiteralMapBlob | None] = Field(model=LiteralMapBlob)
    abort_metadata: Field[AbortMetadata | None] = Field(model=AbortMetadata)
    created_at: Field[_dt.datetime | None] = Field()
    updated_at: Field[_dt.datetime | None] = Field()
    computed_inputs: Field[LiteralMap | None] = Field(model=LiteralMap)
    notifications: Field[list[Notification]] = Field(model=Notification)
    workflow_id: Field[Identifier | None] = Field(model=Identifier)
    abort_cause: Field[str | None] = Field()
    output_data: Field[LiteralMap | None] = Field(model=LiteralMap)
    state_change_details: Field[ExecutionStateChangeDetails | None] = Field(model=ExecutionStateChangeDetails)

    @property
    def output_result(self) -> LiteralMapBlob | ExecutionError | str | AbortMetadata | LiteralMap | None:
        """Whichever of outputs, error, abort_cause, abort_metadata or output_data is set."""
        which = self._pb.WhichOneof("output_result")
        return None if which is None else getattr(self, which)


class Execution(FlyteIdlEntity):
    """A workflow execution, as GetExecution and ListExecutions return it: ``Execution(id, spec, closure)``."""

    _pb_type = _pb.Execution
    id: Field[WorkflowExecutionIdentifier] = Field(model=WorkflowExecutionIdentifier)
    spec: Field[ExecutionSpec] = Field(model=ExecutionSpec)
    closure: Field[ExecutionClosure] = Field(model=ExecutionClosure)


class _CommonDataResponse(FlyteIdlEntity):
    """The fields the three GetData responses share; each subclass binds them to its own message."""

    inputs: Field[UrlBlob | None] = Field(model=UrlBlob)
    outputs: Field[UrlBlob | None] = Field(model=UrlBlob)
    full_inputs: Field[LiteralMap | None] = Field(model=LiteralMap)
    full_outputs: Field[LiteralMap | None] = Field(model=LiteralMap)


class WorkflowExecutionGetDataResponse(_CommonDataResponse):
    """An execution's inputs and outputs.

    ``WorkflowExecutionGetDataResponse(inputs, outputs, full_inputs, full_outputs)``.
    """

    _pb_type = _pb.WorkflowExecutionGetDataResponse


class TaskExecutionGetDataResponse(_CommonDataResponse):
    """A task attempt's inputs and outputs.

    ``TaskExecutionGetDataResponse(inputs, outputs, full_inputs, full_outputs, flyte_urls=None)``.
    """

    _pb_type = _task_pb.TaskExecutionGetDataResponse
    flyte_urls: Field[FlyteURLs | None] = Field(model=FlyteURLs)


class NodeExecutionGetDataResponse(_CommonDataResponse):
    """A node's inputs and outputs.

    ``NodeExecutionGetDataResponse(inputs, outputs, full_inputs, full_outputs, dynamic_workflow=None,
    flyte_urls=None)``.
    """

    _pb_type = _node_pb.NodeExecutionGetDataResponse
    dynamic_workflow: Field[DynamicWorkflowNodeMetadata | None] = Field(model=DynamicWorkflowNodeMetadata)
    flyte_urls: Field[FlyteURLs | None] = Field(model=FlyteURLs)


class WorkflowExecutionGetMetricsResponse(FlyteIdlEntity):
    """The timing spans of an execution: ``WorkflowExecutionGetMetricsResponse(span)``."""

    _pb_type = _pb.WorkflowExecutionGetMetricsResponse
    span: Field[Span] = Field(model=Span)
