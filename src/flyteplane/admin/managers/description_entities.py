"""Description entities: GetDescriptionEntity, ListDescriptionEntities.

A description entity is the documentation a task or workflow version was registered with (``spec.description``):
a short description, a long description and a link to the source. CreateTask / CreateWorkflow write it; these
RPCs only read it.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import common_pb2, description_entity_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import Select, bindparam, select

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.validation.common import require, require_named_id, validate_limit
from flyteplane.admin.errors import invalid_argument, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store import listing, schema

__all__ = ["DescriptionEntityManager", "description_entity_from_row"]

_D = schema.description_entities
_COLUMNS = (
    _D.c.resource_type,
    _D.c.project,
    _D.c.domain,
    _D.c.name,
    _D.c.version,
    _D.c.short_description,
    _D.c.long_description,
    _D.c.link,
)
_GET = select(*_COLUMNS).where(
    _D.c.resource_type == bindparam("rt"),
    _D.c.project == bindparam("p"),
    _D.c.domain == bindparam("d"),
    _D.c.name == bindparam("n"),
    _D.c.version == bindparam("v"),
)


def description_entity_from_row(row: Any) -> description_entity_pb2.DescriptionEntity:
    """As Flyte Admin returns it: the long description and the source link are always present, maybe empty."""
    entity = description_entity_pb2.DescriptionEntity(
        id=reg.identifier_of(row, row.resource_type),
        short_description=row.short_description or "",
        source_code=description_entity_pb2.SourceCode(link=row.link or ""),
    )
    entity.long_description.SetInParent()
    if row.long_description:
        entity.long_description.ParseFromString(row.long_description)
    return entity


class DescriptionEntityManager:
    """Reads the descriptions registered with task and workflow versions."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def get_description_entity(self, request: common_pb2.ObjectGetRequest) -> description_entity_pb2.DescriptionEntity:
        # Flyte Admin's RPC layer reads an UNSPECIFIED resource type as TASK.
        ident = reg.with_resource_type(request, identifier_pb2.TASK)
        if not request.HasField("id"):
            raise invalid_argument("missing id")
        if ident.resource_type not in identifier_pb2.ResourceType.values():
            raise invalid_argument("invalid value for resource_type")
        require(ident.project, "project")
        require(ident.domain, "domain")
        require(ident.name, "name")
        require(ident.version, "version")
        params = {"rt": ident.resource_type, **reg.key_params(ident)}
        with self._ctx.store.read() as conn:
            row = conn.execute(_GET, params).first()
        if row is None:
            raise not_found("entry not found")
        return description_entity_from_row(row)

    def list_description_entities(
        self, request: description_entity_pb2.DescriptionEntityListRequest
    ) -> description_entity_pb2.DescriptionEntityList:
        require_named_id(request)
        validate_limit(request.limit)
        ident = request.id
        query: Select[Any] = select(*_COLUMNS).where(
            _D.c.project == ident.project, _D.c.domain == ident.domain, _D.c.name == ident.name
        )
        if request.resource_type != identifier_pb2.UNSPECIFIED:
            query = query.where(_D.c.resource_type == request.resource_type)
        query, _ = listing.apply_filters(query, request.filters, "description_entity")
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "description_entity")
        with self._ctx.store.read() as conn:
            # Flyte Admin names ListWorkflows in this RPC's bad-token message; kept so the wire reads the same.
            rows, token = listing.paginate(conn, query, request.limit, request.token, "ListWorkflows")
        # The proto names this field in camelCase (``descriptionEntities``); so does its JSON.
        answer = description_entity_pb2.DescriptionEntityList(token=token)
        answer.descriptionEntities.extend(description_entity_from_row(row) for row in rows)
        return answer
