"""Task executions (``flyteidl.admin.task_execution``): one attempt of a task node."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.admin import task_execution_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity
from flyteplane.models.core.execution import ExecutionError, TaskExecutionPhase, TaskLog
from flyteplane.models.core.identifier import TaskExecutionIdentifier
from flyteplane.models.literals import LiteralMap

__all__ = ["Reason", "TaskExecution", "TaskExecutionClosure"]


class Reason(FlyteIdlEntity):
    """One reason for a phase change: ``Reason(occurred_at, message)``."""

    _pb_type = _pb.Reason
    occurred_at: Field[_dt.datetime | None] = Field()
    message: Field[str] = Field()


class TaskExecutionClosure(FlyteIdlEntity):
    """A task attempt's state and result.

    ``TaskExecutionClosure(phase, logs, started_at, duration, created_at, updated_at, output_uri=None,
    error=None, metadata=None)``, then ``output_data``, ``custom_info`` (a dict), ``reason``, ``task_type``,
    ``event_version``, ``reasons`` and ``log_context``. ``metadata`` is a ``flyteidl.event.TaskExecutionMetadata``
    message and ``log_context`` a ``flyteidl.core.LogContext`` message.
    """

    _pb_type = _pb.TaskExecutionClosure
    phase: Field[TaskExecutionPhase] = Field(enum=TaskExecutionPhase)
    logs: Field[list[TaskLog]] = Field(model=TaskLog)
    started_at: Field[_dt.datetime | None] = Field()
    duration: Field[_dt.timedelta | None] = Field()
    created_at: Field[_dt.datetime | None] = Field()
    updated_at: Field[_dt.datetime | None] = Field()
    output_uri: Field[str | None] = Field()
    error: Field[ExecutionError | None] = Field(model=ExecutionError)
    metadata: Field[Any] = Field()
    output_data: Field[LiteralMap | None] = Field(model=LiteralMap)
    custom_info: Field[dict[str, Any] | None] = Field()
    reason: Field[str] = Field()
    task_type: Field[str] = Field()
    event_version: Field[int] = Field()
    reasons: Field[list[Reason]] = Field(model=Reason)
    log_context: Field[Any] = Field()


class TaskExecution(FlyteIdlEntity):
    """One attempt of a task node: ``TaskExecution(id, input_uri, closure, is_parent)``."""

    _pb_type = _pb.TaskExecution
    id: Field[TaskExecutionIdentifier] = Field(model=TaskExecutionIdentifier)
    input_uri: Field[str] = Field()
    closure: Field[TaskExecutionClosure] = Field(model=TaskExecutionClosure)
    is_parent: Field[bool] = Field()
