"""The ``description_entities`` table: the documentation registered with task and workflow versions.

CreateTask / CreateWorkflow write a row (through :mod:`.registry`, in the entity's own transaction) when the spec
carries ``description``; GetDescriptionEntity and ListDescriptionEntities read them (Flyte Admin:
``repositories/gormimpl/description_entity_repo.go``).
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from flyteidl.admin import description_entity_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import Select, bindparam, select

from flyteplane.admin.store import listing, schema
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.registry_rows import VersionKey, identifier_of

__all__ = ["DescriptionRepository", "description_entity_from_row", "description_values"]

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
        id=identifier_of(row, row.resource_type),
        short_description=row.short_description or "",
        source_code=description_entity_pb2.SourceCode(link=row.link or ""),
    )
    entity.long_description.SetInParent()
    if row.long_description:
        entity.long_description.ParseFromString(row.long_description)
    return entity


def description_values(
    description: description_entity_pb2.DescriptionEntity, key: VersionKey, resource_type: int, now: _dt.datetime
) -> dict[str, Any]:
    """The ``description_entities`` row a registration carrying ``spec.description`` writes next to the entity."""
    return {
        "resource_type": resource_type,
        "project": key.project,
        "domain": key.domain,
        "name": key.name,
        "version": key.version,
        "short_description": description.short_description,
        "long_description": description.long_description.SerializeToString()
        if description.HasField("long_description")
        else None,
        "link": description.source_code.link if description.HasField("source_code") else "",
        "source_code": description.source_code.SerializeToString() if description.HasField("source_code") else None,
        "tags": json.dumps(list(description.tags)) if description.tags else None,
        "created_at": now,
        "updated_at": now,
    }


class DescriptionRepository:
    """Reads description entities (they are written only together with their task or workflow version)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, ident: identifier_pb2.Identifier) -> description_entity_pb2.DescriptionEntity | None:
        """The description of ``ident`` (its resource type included), or None."""
        params = {
            "rt": ident.resource_type,
            "p": ident.project,
            "d": ident.domain,
            "n": ident.name,
            "v": ident.version,
        }
        with self._store.read() as conn:
            row = conn.execute(_GET, params).first()
        return description_entity_from_row(row) if row is not None else None

    def list(
        self, request: description_entity_pb2.DescriptionEntityListRequest
    ) -> tuple[list[description_entity_pb2.DescriptionEntity], str]:
        """One page of the descriptions of a name (of one resource type unless UNSPECIFIED), filtered and sorted."""
        ident = request.id
        query: Select[Any] = select(*_COLUMNS).where(
            _D.c.project == ident.project, _D.c.domain == ident.domain, _D.c.name == ident.name
        )
        if request.resource_type != identifier_pb2.UNSPECIFIED:
            query = query.where(_D.c.resource_type == request.resource_type)
        query, _ = listing.apply_filters(query, request.filters, "description_entity")
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "description_entity")
        with self._store.read() as conn:
            # Flyte Admin names ListWorkflows in this RPC's bad-token message; kept so the wire reads the same.
            rows, token = listing.paginate(conn, query, request.limit, request.token, "ListWorkflows")
        return [description_entity_from_row(row) for row in rows], token
