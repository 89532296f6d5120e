"""Projects and domains: RegisterProject, UpdateProject, GetProject, ListProjects, GetDomains.

Behaviour follows Flyte Admin's project_manager.go / project_validator.go (flyteadmin-semantics.md §6, §3):
projects are global (domains are system wide and filled in from the config on every read), an update is partial
(empty strings and an absent ``labels`` leave the stored values alone, ``state`` is always written), and listing
hides archived projects unless the caller filters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flyteidl.admin import common_pb2, project_pb2
from sqlalchemy import Connection, Row, select

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import dns1123_label_errors, go_list, validate_labels, validate_max_bytes
from flyteplane.admin.errors import already_exists, invalid_argument, not_found
from flyteplane.admin.store import schema
from flyteplane.admin.store.listing import apply_filters, apply_sort, paginate

__all__ = ["SEED_DESCRIPTION", "ProjectManager"]

# What the Flyte sandbox writes for the projects it seeds (``flytesnacks``).
SEED_DESCRIPTION = "Default project setup."

_MAX_NAME_BYTES = 64
_MAX_DESCRIPTION_BYTES = 300
_MAX_ORG_BYTES = 63
_KNOWN_STATES = frozenset(project_pb2.Project.ProjectState.values())


def _validate_project(project: project_pb2.Project) -> None:
    """Flyte Admin's ValidateProject, in its order, plus the checks Go gets from its types (state, org)."""
    if not project.id:
        raise invalid_argument("missing project_id")
    if project.HasField("labels"):
        validate_labels(project.labels)
    errs = dns1123_label_errors(project.id)
    if errs:
        raise invalid_argument(f"invalid project id [{project.id}]: {go_list(errs)}")
    validate_max_bytes(project.name, "project_name", _MAX_NAME_BYTES)
    validate_max_bytes(project.description, "project_description", _MAX_DESCRIPTION_BYTES)
    if len(project.domains) > 0:
        raise invalid_argument(
            "Domains are currently only set system wide. Please retry without domains included in your request."
        )
    # proto3 enums are open: an unknown number would otherwise be stored and echoed back.
    if project.state not in _KNOWN_STATES:
        raise invalid_argument("invalid value for state")
    validate_max_bytes(project.org, "org", _MAX_ORG_BYTES)


class ProjectManager:
    """Serves the project and domain RPCs of AdminService."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    # -- RPCs ----------------------------------------------------------------------------------------------
    def register_project(self, request: project_pb2.ProjectRegisterRequest) -> project_pb2.ProjectRegisterResponse:
        if not request.HasField("project"):
            raise invalid_argument("missing project")
        project = request.project
        if not project.name:
            raise invalid_argument("missing project_name")
        _validate_project(project)
        with self._ctx.store.begin() as conn:
            if _find(conn, project.id) is not None:
                raise already_exists(
                    "value with matching already exists "
                    '(duplicate key value violates unique constraint "projects_pkey")'
                )
            _insert(
                conn,
                identifier=project.id,
                name=project.name,
                description=project.description,
                labels=project.labels.SerializeToString() if project.HasField("labels") else None,
                state=project.state,
                org=project.org,
            )
        return project_pb2.ProjectRegisterResponse()

    def update_project(self, request: project_pb2.Project) -> project_pb2.ProjectUpdateResponse:
        with self._ctx.store.begin() as conn:
            # Flyte Admin looks the project up before validating, so an empty id is NOT_FOUND, not "missing".
            if _find(conn, request.id) is None:
                raise not_found(f"project [{request.id}] not found")
            _validate_project(request)
            # gorm's Updates(struct) skips zero values: empty strings and absent labels keep what is stored.
            values: dict[str, Any] = {"state": request.state, "updated_at": utcnow()}
            if request.name:
                values["name"] = request.name
            if request.description:
                values["description"] = request.description
            if request.HasField("labels"):
                values["labels"] = request.labels.SerializeToString()
            conn.execute(schema.projects.update().where(schema.projects.c.identifier == request.id).values(**values))
        return project_pb2.ProjectUpdateResponse()

    def get_project(self, request: project_pb2.ProjectGetRequest) -> project_pb2.Project:
        if not request.id:
            raise invalid_argument("missing project_id")
        with self._ctx.store.read() as conn:
            row = _find(conn, request.id)
        if row is None:
            raise not_found(f"project [{request.id}] not found")
        return self._to_proto(row)

    def list_projects(self, request: project_pb2.ProjectListRequest) -> project_pb2.Projects:
        projects = schema.projects
        # Flyte Admin's order: filters, then sort, then the token (read by paginate).
        query, _ = apply_filters(select(projects), request.filters, "project")
        if not request.filters:
            query = query.where(projects.c.state != project_pb2.Project.ARCHIVED)
        has_sort = request.HasField("sort_by")
        query = apply_sort(
            query, request.sort_by if has_sort else None, has_sort, "project", [projects.c.identifier.asc()]
        )
        with self._ctx.store.read() as conn:
            # ListProjects is the one list RPC where limit 0 means "everything".
            rows, token = paginate(conn, query, request.limit, request.token, "ListProjects", allow_unlimited=True)
        return project_pb2.Projects(projects=[self._to_proto(row) for row in rows], token=token)

    def get_domains(self, request: project_pb2.GetDomainRequest) -> project_pb2.GetDomainsResponse:
        return project_pb2.GetDomainsResponse(domains=self._domains())

    # -- server start --------------------------------------------------------------------------------------
    def seed(self, project_ids: Iterable[str]) -> list[str]:
        """Register the projects that are missing (as ``flytectl demo`` seeds ``flytesnacks``); returns them."""
        created = []
        with self._ctx.store.begin() as conn:
            for project_id in project_ids:
                errs = dns1123_label_errors(project_id)
                if errs:
                    raise ValueError(f"cannot seed project [{project_id}]: {go_list(errs)}")
                if _find(conn, project_id) is not None:
                    continue
                _insert(
                    conn,
                    identifier=project_id,
                    name=project_id,
                    description=SEED_DESCRIPTION,
                    labels=None,
                    state=project_pb2.Project.ACTIVE,
                    org="",
                )
                created.append(project_id)
        return created

    # -- helpers -------------------------------------------------------------------------------------------
    def _domains(self) -> list[project_pb2.Domain]:
        return [project_pb2.Domain(id=d, name=d) for d in self._ctx.config.domains]

    def _to_proto(self, row: Row[Any]) -> project_pb2.Project:
        project = project_pb2.Project(
            id=row.identifier,
            name=row.name,
            description=row.description or "",
            state=row.state,
            org=row.org or "",
            domains=self._domains(),
        )
        if row.labels is not None:
            project.labels.CopyFrom(common_pb2.Labels.FromString(row.labels))
            project.labels.SetInParent()  # an explicitly empty Labels stays present, as Flyte Admin returns it
        return project


def _find(conn: Connection, identifier: str) -> Row[Any] | None:
    return conn.execute(select(schema.projects).where(schema.projects.c.identifier == identifier)).first()


def _insert(
    conn: Connection, *, identifier: str, name: str, description: str, labels: bytes | None, state: int, org: str
) -> None:
    now = utcnow()
    conn.execute(
        schema.projects.insert().values(
            identifier=identifier,
            name=name,
            description=description,
            labels=labels,
            state=state,
            org=org,
            created_at=now,
            updated_at=now,
        )
    )
