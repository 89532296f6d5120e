"""Projects and domains: RegisterProject, UpdateProject, GetProject, ListProjects, GetDomains.

Behaviour follows Flyte Admin's project_manager.go / project_validator.go
(``flyteadmin/pkg/manager/impl/project_manager.go``): projects are global (domains are system wide and filled in from
the config on every read), an update is partial (empty strings and an absent ``labels`` leave the stored values alone,
``state`` is always written), and listing hides archived projects unless the caller filters."""

from __future__ import annotations

from collections.abc import Iterable

from flyteidl.admin import project_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.projects import validate_project, validate_register_request, validate_seed_id
from flyteplane.admin.errors import already_exists, echo, invalid_argument, not_found
from flyteplane.admin.store.projects import ProjectRepository

__all__ = ["SEED_DESCRIPTION", "ProjectManager"]

# What the Flyte sandbox writes for the projects it seeds (``flytesnacks``).
SEED_DESCRIPTION = "Default project setup."


class ProjectManager:
    """Serves the project and domain RPCs of AdminService."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._projects = ProjectRepository(ctx.store)

    # -- RPCs ----------------------------------------------------------------------------------------------
    def register_project(self, request: project_pb2.ProjectRegisterRequest) -> project_pb2.ProjectRegisterResponse:
        validate_register_request(request)
        if not self._projects.create(request.project, utcnow()):
            raise already_exists(
                'value with matching already exists (duplicate key value violates unique constraint "projects_pkey")'
            )
        return project_pb2.ProjectRegisterResponse()

    def update_project(self, request: project_pb2.Project) -> project_pb2.ProjectUpdateResponse:
        # Flyte Admin looks the project up before validating, so an empty id is NOT_FOUND, not "missing".
        if self._projects.state(request.id) is None:
            raise not_found(f"project [{echo(request.id)}] not found")
        validate_project(request)
        if not self._projects.update(request, utcnow()):
            raise not_found(f"project [{echo(request.id)}] not found")
        return project_pb2.ProjectUpdateResponse()

    def get_project(self, request: project_pb2.ProjectGetRequest) -> project_pb2.Project:
        if not request.id:
            raise invalid_argument("missing project_id")
        project = self._projects.get(request.id)
        if project is None:
            raise not_found(f"project [{echo(request.id)}] not found")
        return self._with_domains(project)

    def list_projects(self, request: project_pb2.ProjectListRequest) -> project_pb2.Projects:
        projects, token = self._projects.list(request, hide_archived=not request.filters)
        return project_pb2.Projects(projects=[self._with_domains(p) for p in projects], token=token)

    def get_domains(self, request: project_pb2.GetDomainRequest) -> project_pb2.GetDomainsResponse:
        return project_pb2.GetDomainsResponse(domains=self._domains())

    # -- server start --------------------------------------------------------------------------------------
    def seed(self, project_ids: Iterable[str]) -> list[str]:
        """Register the projects that are missing (as ``flytectl demo`` seeds ``flytesnacks``); returns them."""
        ids = list(project_ids)
        for project_id in ids:
            validate_seed_id(project_id)
        seeds = [
            project_pb2.Project(
                id=project_id, name=project_id, description=SEED_DESCRIPTION, state=project_pb2.Project.ACTIVE
            )
            for project_id in ids
        ]
        return self._projects.create_missing(seeds, utcnow())

    # -- helpers -------------------------------------------------------------------------------------------
    def _domains(self) -> list[project_pb2.Domain]:
        return [project_pb2.Domain(id=d, name=d) for d in self._ctx.config.domains]

    def _with_domains(self, project: project_pb2.Project) -> project_pb2.Project:
        project.domains.extend(self._domains())
        return project
