"""Named entities: ListNamedEntities, GetNamedEntity, UpdateNamedEntity (flyteadmin-semantics.md §2.4, §3).

A named entity — (resource type, project, domain, name) of a task, workflow or launch plan — has no create call:
it exists exactly when at least one version of it is registered. Its optional ``named_entity_metadata`` row
(description, state) is written only by UpdateNamedEntity; without one, the entity reads as ACTIVE with an empty
description.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import Select, Table, and_, insert, literal, select, update

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import require, require_named_id, validate_limit
from flyteplane.admin.errors import invalid_argument, not_found
from flyteplane.admin.store import listing, schema

__all__ = ["NamedEntityManager"]

_M = schema.named_entity_metadata
_TABLES: dict[int, Table] = {
    identifier_pb2.TASK: schema.tasks,
    identifier_pb2.WORKFLOW: schema.workflows,
    identifier_pb2.LAUNCH_PLAN: schema.launch_plans,
}
# Only tasks and workflows may leave the default (ACTIVE) state, as in Flyte Admin.
_ARCHIVABLE = frozenset({identifier_pb2.TASK, identifier_pb2.WORKFLOW})
# flytekit names the workflows it generates around single tasks ".flytegen.<task>"; lists hide them by default.
_DEFAULT_FILTER = "not_like(name,.flytegen%)"
_MAX_DESCRIPTION = 300


def _validate_resource_type(resource_type: int) -> None:
    if resource_type == identifier_pb2.UNSPECIFIED or resource_type not in identifier_pb2.ResourceType.values():
        raise invalid_argument("invalid value for resource_type")


def _resource_name(resource_type: int) -> str:
    return identifier_pb2.ResourceType.Name(resource_type)  # type: ignore[arg-type]


def _named_entities(
    resource_type: int, table: Table, project: str, domain: str, name: str | None
) -> tuple[Select[Any], Any]:
    """The distinct names of ``table`` in a project and domain, left-joined with their metadata rows; returns the
    query and the grouped subquery (the listing module's ``named_entity`` selectable)."""
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


def _named_entity(resource_type: int, row: Any) -> common_pb2.NamedEntity:
    return common_pb2.NamedEntity(
        resource_type=resource_type,  # type: ignore[arg-type]
        id=common_pb2.NamedEntityIdentifier(project=row.project, domain=row.domain, name=row.name),
        metadata=common_pb2.NamedEntityMetadata(description=row.description or "", state=row.state or 0),
    )


class NamedEntityManager:
    """Lists and describes named entities and keeps their metadata."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def _table(self, resource_type: int, verb: str) -> Table:
        table = _TABLES.get(resource_type)
        if table is None:
            raise invalid_argument(f"Cannot {verb} for resource type: {_resource_name(resource_type)}")
        return table

    def _find(self, resource_type: int, ident: common_pb2.NamedEntityIdentifier) -> common_pb2.NamedEntity:
        table = self._table(resource_type, "get NamedEntityMetadata")
        query, _ = _named_entities(resource_type, table, ident.project, ident.domain, ident.name)
        with self._ctx.store.read() as conn:
            row = conn.execute(query.limit(1)).first()
        if row is None:
            raise not_found("entry not found")
        return _named_entity(resource_type, row)

    def get_named_entity(self, request: common_pb2.NamedEntityGetRequest) -> common_pb2.NamedEntity:
        _validate_resource_type(request.resource_type)
        require_named_id(request)
        return self._find(request.resource_type, request.id)

    def update_named_entity(self, request: common_pb2.NamedEntityUpdateRequest) -> common_pb2.NamedEntityUpdateResponse:
        _validate_resource_type(request.resource_type)
        require_named_id(request)
        if not request.HasField("metadata"):
            raise invalid_argument("missing metadata")
        state = request.metadata.state
        if state != common_pb2.NAMED_ENTITY_ACTIVE and request.resource_type not in _ARCHIVABLE:
            raise invalid_argument(f"Resource [{_resource_name(request.resource_type)}] cannot have its state updated")
        if len(request.metadata.description) > _MAX_DESCRIPTION:
            raise invalid_argument(f"description cannot exceed {_MAX_DESCRIPTION} characters")
        self._find(request.resource_type, request.id)  # NOT_FOUND unless a version exists

        ident, now = request.id, utcnow()
        key = and_(
            _M.c.resource_type == request.resource_type,
            _M.c.project == ident.project,
            _M.c.domain == ident.domain,
            _M.c.name == ident.name,
        )
        with self._ctx.store.begin() as conn:
            changed = conn.execute(
                update(_M).where(key).values(description=request.metadata.description, state=state, updated_at=now)
            ).rowcount
            if not changed:
                conn.execute(
                    insert(_M).values(
                        resource_type=request.resource_type,
                        project=ident.project,
                        domain=ident.domain,
                        name=ident.name,
                        description=request.metadata.description,
                        state=state,
                        created_at=now,
                        updated_at=now,
                    )
                )
        return common_pb2.NamedEntityUpdateResponse()

    def list_named_entities(self, request: common_pb2.NamedEntityListRequest) -> common_pb2.NamedEntityList:
        require(request.project, "project")
        require(request.domain, "domain")
        _validate_resource_type(request.resource_type)
        validate_limit(request.limit)
        table = self._table(request.resource_type, "list entity names")
        query, entities = _named_entities(request.resource_type, table, request.project, request.domain, None)
        tables = {"named_entity": entities, "named_entity_metadata": _M}
        # Without filters, Flyte Admin hides flytekit's generated ".flytegen" names; a filter on ``state`` compares
        # COALESCE(state, 0) so names without a metadata row count as ACTIVE (the listing module's null default).
        query, _ = listing.apply_filters(query, request.filters or _DEFAULT_FILTER, "named_entity", tables)
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "named_entity", tables=tables)
        with self._ctx.store.read() as conn:
            rows, token = listing.paginate(conn, query, request.limit, request.token, "ListNamedEntities")
        return common_pb2.NamedEntityList(
            entities=[_named_entity(request.resource_type, row) for row in rows], token=token
        )
