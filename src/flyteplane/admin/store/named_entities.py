"""Named entities: the (resource type, project, domain, name) of registered versions, with their optional
``named_entity_metadata`` row (Flyte Admin: ``repositories/gormimpl/named_entity_repo.go``).

A named entity exists exactly when at least one version of it is registered; its metadata row (description, state)
is written only by UpdateNamedEntity (and for the ``.flytegen`` entities of single-task executions). Without one
it reads as ACTIVE with an empty description.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import Row, Select, Table, and_, insert, literal, select, update

from flyteplane.admin.store import listing, schema
from flyteplane.admin.store.db import Store

__all__ = ["NAMED_RESOURCE_TYPES", "NamedEntityRepository"]

_M = schema.named_entity_metadata
_TABLES: dict[int, Table] = {
    identifier_pb2.TASK: schema.tasks,
    identifier_pb2.WORKFLOW: schema.workflows,
    identifier_pb2.LAUNCH_PLAN: schema.launch_plans,
}
NAMED_RESOURCE_TYPES = frozenset(_TABLES)
"""The resource types that have named entities (Flyte Admin has no table for the others)."""


def _named_entities(resource_type: int, project: str, domain: str, name: str | None) -> tuple[Select[Any], Any]:
    """The distinct names of the resource type's table in a project and domain, left-joined with their metadata
    rows; returns the query and the grouped subquery (the listing module's ``named_entity`` selectable)."""
    table = _TABLES[resource_type]
    names = select(table.c.project, table.c.domain, table.c.name, literal(resource_type).label("resource_type")).where(
        table.c.project == project, table.c.domain == domain
    )
    if name is not None:
        names = names.where(table.c.name == name)
    entities = names.group_by(table.c.project, table.c.domain, table.c.name).subquery("entities")
    joined = entities.outerjoin(
        _M,
        and_(
            _M.c.resource_type == resource_type,
            _M.c.project == entities.c.project,
            _M.c.domain == entities.c.domain,
            _M.c.name == entities.c.name,
        ),
    )
    query = select(entities.c.project, entities.c.domain, entities.c.name, _M.c.description, _M.c.state).select_from(
        joined
    )
    return query, entities


def _named_entity(resource_type: int, row: Row[Any]) -> common_pb2.NamedEntity:
    return common_pb2.NamedEntity(
        resource_type=resource_type,  # type: ignore[arg-type]
        id=common_pb2.NamedEntityIdentifier(project=row.project, domain=row.domain, name=row.name),
        metadata=common_pb2.NamedEntityMetadata(description=row.description or "", state=row.state or 0),
    )


class NamedEntityRepository:
    """Reads named entities and keeps their metadata. Every method takes a resource type of
    :data:`NAMED_RESOURCE_TYPES` (callers refuse the others with Flyte Admin's messages first)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, resource_type: int, ident: common_pb2.NamedEntityIdentifier) -> common_pb2.NamedEntity | None:
        """The named entity, or None when no version of it is registered."""
        query, _ = _named_entities(resource_type, ident.project, ident.domain, ident.name)
        with self._store.read() as tx:
            row = tx.execute(query.limit(1)).first()
        return _named_entity(resource_type, row) if row is not None else None

    def set_metadata(
        self,
        resource_type: int,
        ident: common_pb2.NamedEntityIdentifier | identifier_pb2.Identifier,
        metadata: common_pb2.NamedEntityMetadata,
        now: _dt.datetime,
    ) -> None:
        """Write the metadata row (description and state) of a name, creating it when missing."""
        key = and_(
            _M.c.resource_type == resource_type,
            _M.c.project == ident.project,
            _M.c.domain == ident.domain,
            _M.c.name == ident.name,
        )
        with self._store.begin() as tx:
            changed = tx.execute(
                update(_M).where(key).values(description=metadata.description, state=metadata.state, updated_at=now)
            ).rowcount
            if not changed:
                tx.execute(
                    insert(_M).values(
                        resource_type=resource_type,
                        project=ident.project,
                        domain=ident.domain,
                        name=ident.name,
                        description=metadata.description,
                        state=metadata.state,
                        created_at=now,
                        updated_at=now,
                    )
                )

    def list(
        self, request: common_pb2.NamedEntityListRequest, filters: str
    ) -> tuple[list[common_pb2.NamedEntity], str]:
        """One page of the names of ``request.resource_type`` in its project and domain, filtered by ``filters``
        (the caller's, or its default) and sorted by the request's rules.

        A filter on ``state`` compares COALESCE(state, 0), so names without a metadata row count as ACTIVE (the
        listing module's null default)."""
        resource_type = request.resource_type
        query, entities = _named_entities(resource_type, request.project, request.domain, None)
        tables = {"named_entity": entities, "named_entity_metadata": _M}
        query, _ = listing.apply_filters(query, filters, "named_entity", tables)
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "named_entity", tables=tables)
        with self._store.read() as tx:
            rows, token = listing.paginate(tx, query, request.limit, request.token, "ListNamedEntities")
        return [_named_entity(resource_type, row) for row in rows], token
