"""Named entity requests, with Flyte Admin's messages (``validation/named_entity_validator.go``)."""

from __future__ import annotations

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.domain.validation.common import require, require_named_id, validate_limit
from flyteplane.admin.errors import invalid_argument

__all__ = [
    "resource_name",
    "validate_get_request",
    "validate_list_request",
    "validate_resource_type",
    "validate_update_request",
]

# Only tasks and workflows may leave the default (ACTIVE) state, as in Flyte Admin.
_ARCHIVABLE = frozenset({identifier_pb2.TASK, identifier_pb2.WORKFLOW})
_MAX_DESCRIPTION = 300


def resource_name(resource_type: int) -> str:
    """The resource type's enum name, as Flyte Admin prints it (``LAUNCH_PLAN``)."""
    return identifier_pb2.ResourceType.Name(resource_type)  # type: ignore[arg-type]


def validate_resource_type(resource_type: int) -> None:
    if resource_type == identifier_pb2.UNSPECIFIED or resource_type not in identifier_pb2.ResourceType.values():
        raise invalid_argument("invalid value for resource_type")


def validate_get_request(request: common_pb2.NamedEntityGetRequest) -> None:
    """GetNamedEntity: a resource type, then a complete named id."""
    validate_resource_type(request.resource_type)
    require_named_id(request)


def validate_update_request(request: common_pb2.NamedEntityUpdateRequest) -> None:
    """UpdateNamedEntity: resource type, named id, metadata; only tasks and workflows may leave the ACTIVE state,
    and the description is at most 300 characters."""
    validate_resource_type(request.resource_type)
    require_named_id(request)
    if not request.HasField("metadata"):
        raise invalid_argument("missing metadata")
    if request.metadata.state != common_pb2.NAMED_ENTITY_ACTIVE and request.resource_type not in _ARCHIVABLE:
        raise invalid_argument(f"Resource [{resource_name(request.resource_type)}] cannot have its state updated")
    if len(request.metadata.description) > _MAX_DESCRIPTION:
        raise invalid_argument(f"description cannot exceed {_MAX_DESCRIPTION} characters")


def validate_list_request(request: common_pb2.NamedEntityListRequest) -> None:
    """ListNamedEntities: project, domain, resource type, limit — in that order."""
    require(request.project, "project")
    require(request.domain, "domain")
    validate_resource_type(request.resource_type)
    validate_limit(request.limit)
