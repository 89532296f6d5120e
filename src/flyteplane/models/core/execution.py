"""Execution phases, errors, task logs and quality of service (``flyteidl.core.execution``)."""

from __future__ import annotations

import datetime as _dt

from flyteidl.core import execution_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum

__all__ = [
    "ExecutionError",
    "NodeExecutionPhase",
    "QualityOfService",
    "QualityOfServiceSpec",
    "TaskExecutionPhase",
    "TaskLog",
    "WorkflowExecutionPhase",
]


class WorkflowExecutionPhase(IdlEnum):
    """Phase of a workflow execution (``flyteidl.core.WorkflowExecution.Phase``)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDING = 3
    SUCCEEDED = 4
    FAILING = 5
    FAILED = 6
    ABORTED = 7
    TIMED_OUT = 8
    ABORTING = 9


class NodeExecutionPhase(IdlEnum):
    """Phase of a node execution (``flyteidl.core.NodeExecution.Phase``)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILING = 4
    FAILED = 5
    ABORTED = 6
    SKIPPED = 7
    TIMED_OUT = 8
    DYNAMIC_RUNNING = 9
    RECOVERED = 10


class TaskExecutionPhase(IdlEnum):
    """Phase of one task attempt (``flyteidl.core.TaskExecution.Phase``)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    ABORTED = 4
    FAILED = 5
    INITIALIZING = 6
    WAITING_FOR_RESOURCES = 7
    RETRYABLE_FAILED = 8


class ExecutionError(FlyteIdlEntity):
    """Why an execution failed: ``ExecutionError(code, message, error_uri, kind)``."""

    class ErrorKind(IdlEnum):
        """Whose fault the error is."""

        UNKNOWN = 0
        USER = 1
        SYSTEM = 2

    _pb_type = _pb.ExecutionError
    code: Field[str] = Field()
    message: Field[str] = Field()
    error_uri: Field[str] = Field()
    kind: Field[ExecutionError.ErrorKind] = Field(enum=ErrorKind)
    timestamp: Field[_dt.datetime | None] = Field()
    worker: Field[str] = Field()


class TaskLog(FlyteIdlEntity):
    """A link to the logs of a task attempt: ``TaskLog(uri, name, message_format=None, ttl=None)``."""

    class MessageFormat(IdlEnum):
        """How the log lines are encoded."""

        UNKNOWN = 0
        CSV = 1
        JSON = 2

    _pb_type = _pb.TaskLog
    uri: Field[str] = Field()
    name: Field[str] = Field()
    message_format: Field[TaskLog.MessageFormat] = Field(enum=MessageFormat)
    ttl: Field[_dt.timedelta | None] = Field()
    show_while_pending: Field[bool] = Field("ShowWhilePending")
    hide_once_finished: Field[bool] = Field("HideOnceFinished")


class QualityOfServiceSpec(FlyteIdlEntity):
    """An explicit queueing budget: ``QualityOfServiceSpec(queueing_budget)``."""

    _pb_type = _pb.QualityOfServiceSpec
    queueing_budget: Field[_dt.timedelta | None] = Field()


class QualityOfService(FlyteIdlEntity):
    """Either a named tier or an explicit spec: ``QualityOfService(tier=QualityOfService.Tier.HIGH)``."""

    class Tier(IdlEnum):
        """Named quality-of-service tiers."""

        UNDEFINED = 0
        HIGH = 1
        MEDIUM = 2
        LOW = 3

    _pb_type = _pb.QualityOfService
    tier: Field[QualityOfService.Tier | None] = Field(enum=Tier)
    spec: Field[QualityOfServiceSpec | None] = Field(model=QualityOfServiceSpec)
