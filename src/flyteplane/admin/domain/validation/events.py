"""Event checks with Flyte Admin's messages: what a workflow, node or task execution event must carry to be
recorded (``pkg/manager/impl/validation/execution_validator.go``, ``task_execution_validator.go``, and the event
managers' checks), and the failures shared by the three kinds of events.
"""

from __future__ import annotations

import grpc
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.domain.times import check_timestamp
from flyteplane.admin.domain.validation.common import validate_identifier
from flyteplane.admin.domain.validation.node_executions import validate_node_execution_identifier
from flyteplane.admin.domain.validation.task_executions import validate_task_execution_identifier
from flyteplane.admin.errors import AdminError, failed_precondition, invalid_argument
from flyteplane.admin.prototext import go_text

__all__ = [
    "DEFAULT_PRODUCER_ID",
    "MAX_OUTPUT_BYTES",
    "check_cluster",
    "check_output_size",
    "terminal_state_error",
    "validate_node_event",
    "validate_task_event",
    "validate_workflow_event",
]

# Flyte Admin's remoteData.maxSizeInBytes default: inline output data above this is refused.
MAX_OUTPUT_BYTES = 2 * 1024 * 1024
# Older propellers hard-code this producer id; like an empty one, it says nothing about the cluster.
DEFAULT_PRODUCER_ID = "propeller"


def check_output_size(output_data: literals_pb2.LiteralMap) -> None:
    """RESOURCE_EXHAUSTED for inline output data larger than the platform's threshold."""
    size = output_data.ByteSize()
    if size > MAX_OUTPUT_BYTES:
        raise AdminError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"Output data size exceeds platform configured threshold ({size} > {MAX_OUTPUT_BYTES})",
        )


def check_cluster(cluster_in_db: str, cluster_in_event: str) -> None:
    """Flyte Admin's ValidateCluster: an event names the cluster (producer) the execution runs on, or none."""
    if not cluster_in_event or cluster_in_event == DEFAULT_PRODUCER_ID:
        return
    if cluster_in_event != cluster_in_db:
        reason = admin_event_pb2.EventFailureReason(
            incompatible_cluster=admin_event_pb2.EventErrorIncompatibleCluster(cluster=cluster_in_event)
        )
        raise failed_precondition(
            f"Cluster/producer from event [{cluster_in_event}] does not match existing workflow execution "
            f"clusterInDB: [{cluster_in_db}]",
            [reason],
        )


def terminal_state_error(message: str, phase: str) -> AdminError:
    """FAILED_PRECONDITION with the ``EventFailureReason{already_in_terminal_state}`` detail Flyte Admin attaches."""
    reason = admin_event_pb2.EventFailureReason(
        already_in_terminal_state=admin_event_pb2.EventErrorAlreadyInTerminalState(current_phase=phase)
    )
    return failed_precondition(message, [reason])


def validate_workflow_event(event: event_pb2.WorkflowExecutionEvent) -> None:
    """CreateWorkflowEvent's checks, in Flyte Admin's order: the execution id, the output size, the time."""
    if not event.HasField("execution_id"):
        raise invalid_argument(f"Workflow event handler request event doesn't have an execution id - {go_text(event)}")
    if event.HasField("output_data"):
        check_output_size(event.output_data)
    if not event.HasField("occurred_at"):
        raise invalid_argument("missing occurred_at")
    check_timestamp(event.occurred_at, "occurred_at")


def validate_node_event(event: event_pb2.NodeExecutionEvent) -> None:
    """What a node event must carry to be recorded at all.

    Flyte Admin only logs identifier problems in node events and then stores whatever it can; a node event without
    an id or a time cannot be stored meaningfully, so those are INVALID_ARGUMENT here, with its validator's words.
    """
    validate_node_execution_identifier(event.id, event.HasField("id"))
    if not event.HasField("occurred_at"):
        raise invalid_argument("missing occurred_at")
    check_timestamp(event.occurred_at, "occurred_at")
    if event.HasField("reported_at"):
        check_timestamp(event.reported_at, "reported_at")
    if event.HasField("task_node_metadata") and event.task_node_metadata.HasField("dynamic_workflow"):
        dynamic = event.task_node_metadata.dynamic_workflow
        validate_identifier(dynamic.id, dynamic.HasField("id"), identifier_pb2.WORKFLOW)
        if not dynamic.HasField("compiled_workflow"):
            raise invalid_argument("missing compiled dynamic workflow")
        if not dynamic.compiled_workflow.HasField("primary"):
            raise invalid_argument("missing primary dynamic workflow")
        if not dynamic.compiled_workflow.primary.HasField("template"):
            raise invalid_argument("missing primary dynamic workflow template")
        template = dynamic.compiled_workflow.primary.template
        validate_identifier(template.id, template.HasField("id"), identifier_pb2.WORKFLOW)


def validate_task_event(event: event_pb2.TaskExecutionEvent) -> None:
    """Flyte Admin's ValidateTaskExecutionRequest, in its order."""
    if not event.HasField("occurred_at"):
        raise invalid_argument("missing occurred_at")
    check_timestamp(event.occurred_at, "occurred_at")
    if event.HasField("reported_at"):
        check_timestamp(event.reported_at, "reported_at")
    if event.HasField("output_data"):
        check_output_size(event.output_data)
    identifier = identifier_pb2.TaskExecutionIdentifier(
        task_id=event.task_id if event.HasField("task_id") else None,
        node_execution_id=event.parent_node_execution_id if event.HasField("parent_node_execution_id") else None,
        retry_attempt=event.retry_attempt,
    )
    validate_task_execution_identifier(identifier, True)
