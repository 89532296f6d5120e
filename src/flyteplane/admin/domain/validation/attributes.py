"""Matchable attribute requests, with Flyte Admin's messages (``validation/attributes_validator.go``)."""

from __future__ import annotations

from typing import Any

from flyteidl.admin import matchable_resource_pb2

from flyteplane.admin.domain.validation.common import validate_max_bytes
from flyteplane.admin.errors import invalid_argument

__all__ = ["checked_resource_type", "matching_resource_type", "validate_workflow_name"]

# The MatchingAttributes oneof member -> the resource type it is stored under. quality_of_service has no entry:
# Flyte Admin refuses it ("Unrecognized matching attributes type").
_TARGET_TYPES: dict[str, int] = {
    "task_resource_attributes": matchable_resource_pb2.TASK_RESOURCE,
    "cluster_resource_attributes": matchable_resource_pb2.CLUSTER_RESOURCE,
    "execution_queue_attributes": matchable_resource_pb2.EXECUTION_QUEUE,
    "execution_cluster_label": matchable_resource_pb2.EXECUTION_CLUSTER_LABEL,
    "plugin_overrides": matchable_resource_pb2.PLUGIN_OVERRIDE,
    "workflow_execution_config": matchable_resource_pb2.WORKFLOW_EXECUTION_CONFIG,
    "cluster_assignment": matchable_resource_pb2.CLUSTER_ASSIGNMENT,
}
_MAX_NAME_BYTES = 255


def checked_resource_type(resource_type: int) -> str:
    """A request's resource type as it is stored (its enum name); INVALID_ARGUMENT for an unknown number."""
    if resource_type not in matchable_resource_pb2.MatchableResource.values():
        raise invalid_argument("invalid value for resource_type")
    return matchable_resource_pb2.MatchableResource.Name(resource_type)


def matching_resource_type(attributes: Any, identifier: str) -> int:
    """Flyte Admin's validateMatchingAttributes: the resource type implied by the oneof member that is set
    (``identifier`` names the request's scope in the message: "p", "p-d", "p-d-wf")."""
    if not attributes.HasField("matching_attributes"):
        raise invalid_argument("missing matching_attributes")
    target = attributes.matching_attributes.WhichOneof("target")
    if target not in _TARGET_TYPES:
        raise invalid_argument(f"Unrecognized matching attributes type for request {identifier}")
    return _TARGET_TYPES[target]


def validate_workflow_name(workflow: str) -> None:
    """A workflow-level scope names a workflow, of at most 255 bytes."""
    if not workflow:
        raise invalid_argument("missing name")
    validate_max_bytes(workflow, "workflow", _MAX_NAME_BYTES)
