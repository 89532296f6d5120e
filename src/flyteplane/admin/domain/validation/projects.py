"""Project requests, with Flyte Admin's messages (``validation/project_validator.go``)."""

from __future__ import annotations

from flyteidl.admin import project_pb2

from flyteplane.admin.domain.validation.common import dns1123_label_errors, go_list, validate_labels, validate_max_bytes
from flyteplane.admin.errors import echo, invalid_argument

__all__ = ["validate_project", "validate_register_request", "validate_seed_id"]

_MAX_NAME_BYTES = 64
_MAX_DESCRIPTION_BYTES = 300
_MAX_ORG_BYTES = 63
_KNOWN_STATES = frozenset(project_pb2.Project.ProjectState.values())


def validate_project(project: project_pb2.Project) -> None:
    """Flyte Admin's ValidateProject, in its order, plus the checks Go gets from its types (state, org)."""
    if not project.id:
        raise invalid_argument("missing project_id")
    if project.HasField("labels"):
        validate_labels(project.labels)
    errs = dns1123_label_errors(project.id)
    if errs:
        raise invalid_argument(f"invalid project id [{echo(project.id)}]: {go_list(errs)}")
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


def validate_register_request(request: project_pb2.ProjectRegisterRequest) -> None:
    """RegisterProject: a project with a name, valid as :func:`validate_project` checks."""
    if not request.HasField("project"):
        raise invalid_argument("missing project")
    if not request.project.name:
        raise invalid_argument("missing project_name")
    validate_project(request.project)


def validate_seed_id(project_id: str) -> None:
    """A project id the server seeds at start must be a DNS-1123 label (a configuration error, not a request's)."""
    errs = dns1123_label_errors(project_id)
    if errs:
        raise ValueError(f"cannot seed project [{project_id}]: {go_list(errs)}")
