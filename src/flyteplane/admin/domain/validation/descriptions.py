"""Description entity requests, with Flyte Admin's messages (``validation/description_entity_validator.go``)."""

from __future__ import annotations

from flyteidl.admin import description_entity_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.domain.validation.common import require, require_named_id, validate_limit
from flyteplane.admin.errors import invalid_argument

__all__ = ["validate_get_request", "validate_list_request"]


def validate_get_request(has_id: bool, ident: identifier_pb2.Identifier) -> None:
    """GetDescriptionEntity: an id (its resource type already defaulted) with a known resource type, project,
    domain, name and version."""
    if not has_id:
        raise invalid_argument("missing id")
    if ident.resource_type not in identifier_pb2.ResourceType.values():
        raise invalid_argument("invalid value for resource_type")
    require(ident.project, "project")
    require(ident.domain, "domain")
    require(ident.name, "name")
    require(ident.version, "version")


def validate_list_request(request: description_entity_pb2.DescriptionEntityListRequest) -> None:
    """ListDescriptionEntities: a complete named id, then the limit."""
    require_named_id(request)
    validate_limit(request.limit)
