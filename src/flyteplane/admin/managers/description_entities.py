"""Description entities: GetDescriptionEntity, ListDescriptionEntities.

A description entity is the documentation a task or workflow version was registered with (``spec.description``):
a short description, a long description and a link to the source. CreateTask / CreateWorkflow write it; these
RPCs only read it.
"""

from __future__ import annotations

from flyteidl.admin import common_pb2, description_entity_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.validation.descriptions import validate_get_request, validate_list_request
from flyteplane.admin.errors import not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store.descriptions import DescriptionRepository

__all__ = ["DescriptionEntityManager"]


class DescriptionEntityManager:
    """Reads the descriptions registered with task and workflow versions."""

    def __init__(self, ctx: AdminContext) -> None:
        self._descriptions = DescriptionRepository(ctx.store)

    def get_description_entity(self, request: common_pb2.ObjectGetRequest) -> description_entity_pb2.DescriptionEntity:
        # Flyte Admin's RPC layer reads an UNSPECIFIED resource type as TASK.
        ident = reg.with_resource_type(request, identifier_pb2.TASK)
        validate_get_request(request.HasField("id"), ident)
        entity = self._descriptions.get(ident)
        if entity is None:
            raise not_found("entry not found")
        return entity

    def list_description_entities(
        self, request: description_entity_pb2.DescriptionEntityListRequest
    ) -> description_entity_pb2.DescriptionEntityList:
        validate_list_request(request)
        entities, token = self._descriptions.list(request)
        # The proto names this field in camelCase (``descriptionEntities``); so does its JSON.
        answer = description_entity_pb2.DescriptionEntityList(token=token)
        answer.descriptionEntities.extend(entities)
        return answer
