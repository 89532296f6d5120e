"""Node execution checks with Flyte Admin's messages (``pkg/manager/impl/validation/node_execution_validator.go``)."""

from __future__ import annotations

from typing import Any

from flyteplane.admin.domain.validation.common import require
from flyteplane.admin.domain.validation.executions import validate_workflow_execution_identifier
from flyteplane.admin.errors import invalid_argument

__all__ = ["validate_node_execution_identifier"]


def validate_node_execution_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateNodeExecutionIdentifier: id, execution_id, node_id, then the execution's fields."""
    if not present:
        raise invalid_argument("missing id")
    if not identifier.HasField("execution_id"):
        raise invalid_argument("missing execution_id")
    require(identifier.node_id, "node_id")
    validate_workflow_execution_identifier(identifier.execution_id, True)
