"""Projects (``flyteidl.admin.Project``)."""

from __future__ import annotations

from flyteidl.admin import project_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.common import Labels
from flyteplane.models.domain import Domain

__all__ = ["Project"]


class Project(FlyteIdlEntity):
    """A project: ``Project(id, name, description, state=None, labels=None, domains=None, org=None)``.

    ``domains`` is filled in by Flyte Admin when it lists projects; registering ignores it.
    """

    class ProjectState(IdlEnum):
        """Whether the project is listed."""

        ACTIVE = 0
        ARCHIVED = 1
        SYSTEM_GENERATED = 2
        SYSTEM_ARCHIVED = 3

    _pb_type = _pb.Project
    id: Field[str] = Field()
    name: Field[str] = Field()
    description: Field[str] = Field()
    state: Field[Project.ProjectState] = Field(enum=ProjectState)
    labels: Field[Labels | None] = Field(model=Labels)
    domains: Field[list[Domain]] = Field(model=Domain)
    org: Field[str] = Field()
