"""The ``projects`` table (Flyte Admin: ``repositories/gormimpl/project_repo.go``).

Projects are global: their domains are system wide, so the messages read here carry none (the caller fills them
in from its config).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

from flyteidl.admin import common_pb2, project_pb2
from sqlalchemy import Row, bindparam, select

from flyteplane.admin.store import schema
from flyteplane.admin.store.db import Store, Tx
from flyteplane.admin.store.listing import apply_filters, apply_sort, paginate

__all__ = ["ProjectRepository", "project_state"]

_P = schema.projects
_GET = select(_P).where(_P.c.identifier == bindparam("identifier"))
_STATE = select(_P.c.state).where(_P.c.identifier == bindparam("identifier"))
_LABELS = select(_P.c.labels).where(_P.c.identifier == bindparam("identifier"))


def project_state(tx: Tx, identifier: str) -> int | None:
    """A project's state (``admin.Project.ProjectState``), or None when it is not registered."""
    row = tx.execute(_STATE, {"identifier": identifier}).first()
    return row.state if row is not None else None


def _project(row: Row[Any]) -> project_pb2.Project:
    project = project_pb2.Project(
        id=row.identifier,
        name=row.name,
        description=row.description or "",
        state=row.state,
        org=row.org or "",
    )
    if row.labels is not None:
        project.labels.CopyFrom(common_pb2.Labels.FromString(row.labels))
        project.labels.SetInParent()  # an explicitly empty Labels stays present, as Flyte Admin returns it
    return project


class ProjectRepository:
    """Registers, updates and reads projects."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- reads ---------------------------------------------------------------------------------------------------

    def get(self, identifier: str) -> project_pb2.Project | None:
        """The project (without domains), or None."""
        with self._store.read() as tx:
            row = tx.execute(_GET, {"identifier": identifier}).first()
        return _project(row) if row is not None else None

    def state(self, identifier: str) -> int | None:
        """The project's state, or None when it is not registered."""
        with self._store.read() as tx:
            return project_state(tx, identifier)

    def state_in(self, tx: Tx, identifier: str) -> int | None:
        """:meth:`state` inside the caller's transaction (a check that must hold for the write that follows)."""
        return project_state(tx, identifier)

    def labels_in(self, tx: Tx, identifier: str) -> dict[str, str]:
        """The project's labels ({} when it has none or is not registered)."""
        row = tx.execute(_LABELS, {"identifier": identifier}).first()
        if row is None or row.labels is None:
            return {}
        return dict(common_pb2.Labels.FromString(row.labels).values)

    # --- writes --------------------------------------------------------------------------------------------------

    def create(self, project: project_pb2.Project, now: _dt.datetime) -> bool:
        """Register ``project`` (its id, name, description, labels when set, state and org); False, writing nothing,
        when a project of that id exists."""
        with self._store.begin() as tx:
            if project_state(tx, project.id) is not None:
                return False
            self._insert(tx, project, now)
        return True

    def create_missing(self, projects: Iterable[project_pb2.Project], now: _dt.datetime) -> list[str]:
        """Register, in one transaction, those of ``projects`` whose id is not registered; returns their ids."""
        created = []
        with self._store.begin() as tx:
            for project in projects:
                if project_state(tx, project.id) is not None:
                    continue
                self._insert(tx, project, now)
                created.append(project.id)
        return created

    def update(self, project: project_pb2.Project, now: _dt.datetime) -> bool:
        """Update a project as Flyte Admin's gorm ``Updates(struct)`` does: it skips zero values, so empty strings
        and absent labels keep what is stored, while ``state`` is always written. False when it does not exist."""
        values: dict[str, object] = {"state": project.state, "updated_at": now}
        if project.name:
            values["name"] = project.name
        if project.description:
            values["description"] = project.description
        if project.HasField("labels"):
            values["labels"] = project.labels.SerializeToString()
        with self._store.begin() as tx:
            changed = tx.execute(_P.update().where(_P.c.identifier == project.id).values(**values)).rowcount
        return bool(changed)

    @staticmethod
    def _insert(tx: Tx, project: project_pb2.Project, now: _dt.datetime) -> None:
        tx.execute(
            _P.insert().values(
                identifier=project.id,
                name=project.name,
                description=project.description,
                labels=project.labels.SerializeToString() if project.HasField("labels") else None,
                state=project.state,
                org=project.org,
                created_at=now,
                updated_at=now,
            )
        )

    # --- listing (last: a method named ``list`` shadows the builtin in the annotations after it) ---------------

    def list(
        self, request: project_pb2.ProjectListRequest, *, hide_archived: bool
    ) -> tuple[list[project_pb2.Project], str]:
        """One page of projects (without domains), filtered and sorted by the request, by identifier when it names
        no order; ``hide_archived`` leaves ARCHIVED projects out. ListProjects is the one list RPC where limit 0
        means "everything"."""
        # Flyte Admin's order: filters, then sort, then the token (read by paginate).
        query, _ = apply_filters(select(_P), request.filters, "project")
        if hide_archived:
            query = query.where(_P.c.state != project_pb2.Project.ARCHIVED)
        has_sort = request.HasField("sort_by")
        query = apply_sort(query, request.sort_by if has_sort else None, has_sort, "project", [_P.c.identifier.asc()])
        with self._store.read() as tx:
            rows, token = paginate(tx, query, request.limit, request.token, "ListProjects", allow_unlimited=True)
        return [_project(row) for row in rows], token
