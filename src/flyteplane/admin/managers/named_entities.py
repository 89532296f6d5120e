"""Named entities: ListNamedEntities, GetNamedEntity, UpdateNamedEntity (Flyte Admin's
``flyteadmin/pkg/manager/impl/named_entity_manager.go``).

A named entity — (resource type, project, domain, name) of a task, workflow or launch plan — has no create call:
it exists exactly when at least one version of it is registered. Its optional metadata (description, state) is
written only by UpdateNamedEntity; without it, the entity reads as ACTIVE with an empty description.
"""

from __future__ import annotations

from flyteidl.admin import common_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.named_entities import (
    resource_name,
    validate_get_request,
    validate_list_request,
    validate_update_request,
)
from flyteplane.admin.errors import invalid_argument, not_found
from flyteplane.admin.store.named_entities import NAMED_RESOURCE_TYPES, NamedEntityRepository

__all__ = ["NamedEntityManager"]

# flytekit names the workflows it generates around single tasks ".flytegen.<task>"; lists hide them by default.
_DEFAULT_FILTER = "not_like(name,.flytegen%)"


def _check_supported(resource_type: int, verb: str) -> None:
    if resource_type not in NAMED_RESOURCE_TYPES:
        raise invalid_argument(f"Cannot {verb} for resource type: {resource_name(resource_type)}")


class NamedEntityManager:
    """Lists and describes named entities and keeps their metadata."""

    def __init__(self, ctx: AdminContext) -> None:
        self._named_entities = NamedEntityRepository(ctx.store)

    def _find(self, resource_type: int, ident: common_pb2.NamedEntityIdentifier) -> common_pb2.NamedEntity:
        _check_supported(resource_type, "get NamedEntityMetadata")
        entity = self._named_entities.get(resource_type, ident)
        if entity is None:
            raise not_found("entry not found")
        return entity

    def get_named_entity(self, request: common_pb2.NamedEntityGetRequest) -> common_pb2.NamedEntity:
        validate_get_request(request)
        return self._find(request.resource_type, request.id)

    def update_named_entity(self, request: common_pb2.NamedEntityUpdateRequest) -> common_pb2.NamedEntityUpdateResponse:
        validate_update_request(request)
        self._find(request.resource_type, request.id)  # NOT_FOUND unless a version exists
        self._named_entities.set_metadata(request.resource_type, request.id, request.metadata, utcnow())
        return common_pb2.NamedEntityUpdateResponse()

    def list_named_entities(self, request: common_pb2.NamedEntityListRequest) -> common_pb2.NamedEntityList:
        validate_list_request(request)
        _check_supported(request.resource_type, "list entity names")
        # Without filters, Flyte Admin hides flytekit's generated ".flytegen" names.
        entities, token = self._named_entities.list(request, request.filters or _DEFAULT_FILTER)
        return common_pb2.NamedEntityList(entities=entities, token=token)
