"""Signal checks with Flyte Admin's messages (``pkg/manager/impl/validation/signal_validator.go``)."""

from __future__ import annotations

from typing import Any

from flyteplane.admin.domain.validation.executions import validate_workflow_execution_identifier
from flyteplane.admin.errors import invalid_argument

__all__ = ["signal_key_text", "validate_signal_identifier"]


def validate_signal_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateSignalIdentifier: id, execution_id, signal_id, then the execution's fields."""
    if not present:
        raise invalid_argument("missing id")
    if not identifier.HasField("execution_id"):
        raise invalid_argument("missing execution_id")
    if not identifier.signal_id:
        raise invalid_argument("missing signal_id")
    validate_workflow_execution_identifier(identifier.execution_id, True)


def signal_key_text(identifier: Any) -> str:
    """Go's ``%v`` of Flyte Admin's SignalKey struct: ``{{project domain name} signal_id}``."""
    execution = identifier.execution_id
    return f"{{{{{execution.project} {execution.domain} {execution.name}}} {identifier.signal_id}}}"
