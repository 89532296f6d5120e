"""CreateWorkflow's checks beyond compilation, with Flyte Admin's messages (``validation/workflow_validator.go``)."""

from __future__ import annotations

from flyteidl.admin import workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2

from flyteplane.admin.domain.validation.common import id_text
from flyteplane.admin.errors import invalid_argument

__all__ = ["validate_workflow_limits"]


def validate_workflow_limits(
    workflow_id: identifier_pb2.Identifier,
    compiled: compiler_pb2.CompiledWorkflowClosure,
    *,
    size_limit: int | None,
    node_limit: int | None,
) -> None:
    """Flyte Admin's optional registration limits (``registration.workflowSizeLimit`` in bytes of the closure,
    ``registration.maxWorkflowNodes``); None is unset, as by default (``AdminConfig`` checks the values)."""
    if size_limit is not None:
        closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
        if closure.ByteSize() > size_limit:
            raise invalid_argument(f"Workflow closure size exceeds max limit [{size_limit}]")
    if node_limit is not None:
        user_nodes = len(compiled.primary.template.nodes) - 2  # start-node and end-node are the platform's
        if user_nodes > node_limit:
            raise invalid_argument(
                f"number of nodes in workflow [{id_text(workflow_id)}] exceeds limit ({user_nodes} > {node_limit})"
            )
