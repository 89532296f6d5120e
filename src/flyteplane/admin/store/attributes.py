"""Matchable attributes: the ``resources`` table (Flyte Admin: ``repositories/gormimpl/resource_repo.go``).

One row per (project, domain, workflow, launch_plan, resource_type); an empty key column means "any". A lookup
returns the matching row of highest priority (project 5, project-domain 10, workflow 100, launch plan 1000), which
is how a workflow-level read can answer with a project-domain row.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, NamedTuple

from flyteidl.admin import matchable_resource_pb2
from sqlalchemy import ColumnElement, Row, and_, bindparam, or_, select

from flyteplane.admin.store import schema
from flyteplane.admin.store.db import Store, Tx

__all__ = ["AttributesRepository", "MatchedAttributes", "ResourceKey", "lookup", "resolve"]

MatchingAttributes = matchable_resource_pb2.MatchingAttributes
_R = schema.resources


class ResourceKey(NamedTuple):
    """The key of one row: its scope ("" = any) and the resource type's enum name (``TASK_RESOURCE``)."""

    resource_type: str
    project: str
    domain: str = ""
    workflow: str = ""
    launch_plan: str = ""


class MatchedAttributes(NamedTuple):
    """The row a lookup matched: its own scope (which may be wider than asked for) and its attributes."""

    project: str
    domain: str
    workflow: str
    launch_plan: str
    resource_type: str
    attributes: matchable_resource_pb2.MatchingAttributes


def _type_name(resource_type: int | str) -> str:
    """The stored form of a resource type: its enum name (Go's ``MatchableResource.String()``)."""
    if isinstance(resource_type, str):
        return resource_type
    return matchable_resource_pb2.MatchableResource.Name(resource_type)


def _matched(row: Row[Any]) -> MatchedAttributes:
    return MatchedAttributes(
        project=row.project,
        domain=row.domain,
        workflow=row.workflow,
        launch_plan=row.launch_plan,
        resource_type=row.resource_type,
        attributes=MatchingAttributes.FromString(row.attributes),
    )


def _where(key: ResourceKey) -> ColumnElement[bool]:
    return and_(
        _R.c.project == key.project,
        _R.c.domain == key.domain,
        _R.c.workflow == key.workflow,
        _R.c.launch_plan == key.launch_plan,
        _R.c.resource_type == key.resource_type,
    )


def _scope_matches(column: Any, name: str) -> ColumnElement[bool]:
    return or_(column == "", column == bindparam(name))


# Built once: a statement built per call (``in_`` over a fresh set each time) cost more in SQLAlchemy's cache-key
# walk than SQLite spends answering it, and CreateExecution and the engine look attributes up several times a run.
_LOOKUP = (
    select(_R)
    .where(
        _R.c.resource_type == bindparam("resource_type"),
        _scope_matches(_R.c.project, "project"),
        _scope_matches(_R.c.domain, "domain"),
        _scope_matches(_R.c.workflow, "workflow"),
        _scope_matches(_R.c.launch_plan, "launch_plan"),
    )
    .order_by(_R.c.priority.desc(), _R.c.id.asc())
    .limit(1)
)


def lookup(
    tx: Tx,
    resource_type: int | str,
    project: str,
    domain: str,
    workflow: str = "",
    launch_plan: str = "",
) -> MatchedAttributes | None:
    """The most specific row for this scope: each key column may match exactly or be "any" ("")."""
    params = {
        "resource_type": _type_name(resource_type),
        "project": project,
        "domain": domain,
        "workflow": workflow,
        "launch_plan": launch_plan,
    }
    row = tx.execute(_LOOKUP, params).first()
    return _matched(row) if row is not None else None


def resolve(
    tx: Tx,
    resource_type: int | str,
    project: str,
    domain: str,
    workflow: str = "",
    launch_plan: str = "",
) -> matchable_resource_pb2.MatchingAttributes | None:
    """The most specific MatchingAttributes for this scope, or None when nothing is configured."""
    matched = lookup(tx, resource_type, project, domain, workflow, launch_plan)
    return matched.attributes if matched is not None else None


class AttributesRepository:
    """Reads and writes matchable attributes. The methods taking ``tx`` join the caller's transaction, so a
    request's scope checks and its write commit together."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def lookup_in(
        self, tx: Tx, resource_type: int | str, project: str, domain: str, workflow: str = "", launch_plan: str = ""
    ) -> MatchedAttributes | None:
        """:func:`lookup`: the most specific row for a scope."""
        return lookup(tx, resource_type, project, domain, workflow, launch_plan)

    def get(self, key: ResourceKey) -> matchable_resource_pb2.MatchingAttributes | None:
        """The attributes stored under exactly this key (no wider scope), or None."""
        with self._store.read() as tx:
            return self.get_in(tx, key)

    def get_in(self, tx: Tx, key: ResourceKey) -> matchable_resource_pb2.MatchingAttributes | None:
        """:meth:`get` inside the caller's transaction."""
        row = tx.execute(select(_R.c.attributes).where(_where(key)).limit(1)).first()
        return MatchingAttributes.FromString(row.attributes) if row is not None else None

    def put_in(
        self,
        tx: Tx,
        key: ResourceKey,
        attributes: matchable_resource_pb2.MatchingAttributes,
        *,
        priority: int,
        now: _dt.datetime,
    ) -> None:
        """Store ``attributes`` under ``key``: replace the row's attributes, or insert it with ``priority``."""
        serialized = attributes.SerializeToString()
        changed = tx.execute(_R.update().where(_where(key)).values(attributes=serialized, updated_at=now)).rowcount
        if changed:
            return
        tx.execute(
            _R.insert().values(
                project=key.project,
                domain=key.domain,
                workflow=key.workflow,
                launch_plan=key.launch_plan,
                resource_type=key.resource_type,
                priority=priority,
                attributes=serialized,
                created_at=now,
                updated_at=now,
            )
        )

    def delete_in(self, tx: Tx, key: ResourceKey) -> None:
        """Delete like Flyte Admin's gorm ``Where(&Resource{...}).Delete``: empty key fields are not part of the
        condition, so deleting project-domain attributes also deletes the workflow-level rows under them."""
        conditions = [_R.c.resource_type == key.resource_type]
        for column, value in (
            ("project", key.project),
            ("domain", key.domain),
            ("workflow", key.workflow),
            ("launch_plan", key.launch_plan),
        ):
            if value:
                conditions.append(_R.c[column] == value)
        tx.execute(_R.delete().where(*conditions))

    def list(self, resource_type: str) -> list[matchable_resource_pb2.MatchableAttributesConfiguration]:
        """Every row of a resource type, most specific first (ListMatchableAttributes)."""
        query = select(_R).where(_R.c.resource_type == resource_type).order_by(_R.c.priority.desc(), _R.c.id.asc())
        with self._store.read() as tx:
            rows = tx.execute(query).all()
        return [
            matchable_resource_pb2.MatchableAttributesConfiguration(
                attributes=MatchingAttributes.FromString(row.attributes),
                project=row.project,
                domain=row.domain,
                workflow=row.workflow,
                launch_plan=row.launch_plan,
            )
            for row in rows
        ]
