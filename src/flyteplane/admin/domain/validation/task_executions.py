"""Task execution checks with Flyte Admin's messages (``pkg/manager/impl/validation/task_execution_validator.go``)."""

from __future__ import annotations

from typing import Any

from flyteidl.core import identifier_pb2

from flyteplane.admin.domain.validation.common import validate_identifier
from flyteplane.admin.domain.validation.node_executions import validate_node_execution_identifier
from flyteplane.admin.errors import invalid_argument

__all__ = ["validate_task_execution_identifier", "with_task_resource_type"]


def validate_task_execution_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateTaskExecutionIdentifier: the node execution, then a TASK identifier."""
    if not present:
        raise invalid_argument("missing id")
    if not identifier.HasField("node_execution_id"):
        raise invalid_argument("missing node_execution_id")
    validate_node_execution_identifier(identifier.node_execution_id, True)
    if not identifier.HasField("task_id"):
        raise invalid_argument("missing task_id")
    validate_identifier(identifier.task_id, True, identifier_pb2.TASK)


def with_task_resource_type(identifier: Any) -> Any:
    """A copy whose ``task_id.resource_type`` is TASK when it came UNSPECIFIED (Flyte Admin's RPC layer fills it for
    GetTaskExecution, GetTaskExecutionData and ListNodeExecutionsForTask)."""
    if identifier.HasField("task_id") and identifier.task_id.resource_type == identifier_pb2.UNSPECIFIED:
        filled = identifier_pb2.TaskExecutionIdentifier()
        filled.CopyFrom(identifier)
        filled.task_id.resource_type = identifier_pb2.TASK
        return filled
    return identifier
