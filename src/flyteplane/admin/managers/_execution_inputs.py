"""CreateExecution's request checks, in Flyte Admin's order and words (Flyte Admin's
``flyteadmin/pkg/manager/impl/validation/execution_validator.go``).

* :func:`validate_create_request` — ``ValidateExecutionRequest``: project, domain, the name's form, that the
  project and domain are registered, the spec, the launch plan (or task) reference, the inputs' literals,
  notifications and labels.

The identifier checks, the name's form and the inputs' check against the launch plan
(``CheckAndFetchInputsForExecution``) are :mod:`flyteplane.admin.domain.validation.executions`'; names are made in
:mod:`flyteplane.admin.domain.names`.

Where Flyte Admin iterates a Go map (and so reports one of several problems at random), names are visited in
sorted order, so the same request always gets the same answer.
"""

from __future__ import annotations

from collections.abc import Callable

from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from flyteplane.admin.domain.validation.common import (
    require,
    validate_labels,
    validate_max_bytes,
)
from flyteplane.admin.domain.validation.executions import validate_name
from flyteplane.admin.domain.validation.launch_plans import check_datetime as _check_datetime
from flyteplane.admin.domain.validation.launch_plans import is_datetime as _is_datetime
from flyteplane.admin.domain.validation.launch_plans import validate_notifications as _validate_notifications
from flyteplane.admin.errors import invalid_argument

__all__ = ["validate_create_request", "validate_literal_map"]

# Go prints this map (``%+v`` of map[ResourceType]interface{}) with its keys in numeric order: TASK=1 < LAUNCH_PLAN=3.
_ACCEPTED_TYPES_TEXT = "map[TASK:<nil> LAUNCH_PLAN:<nil>]"
_ACCEPTED_TYPES = frozenset({identifier_pb2.TASK, identifier_pb2.LAUNCH_PLAN})
# Column sizes of execution_tags (SQLite would store longer strings, PostgreSQL would fail with a database error).
_MAX_TAG_BYTES = 255


def _resource_type_name(value: int) -> str:
    return identifier_pb2.ResourceType.Name(value) if value in identifier_pb2.ResourceType.values() else str(value)


def validate_literal_map(literals: literals_pb2.LiteralMap, field: str) -> None:
    """Flyte Admin's validateLiteralMap: non-empty keys, a value in every literal, and sane datetimes.

    Flyte Admin stops at the first datetime it checks (a quirk of its loop); every datetime is checked here, which
    only ever rejects literals that could not be used anyway.
    """
    for name in sorted(literals.literals):
        literal = literals.literals[name]
        if not name:
            raise invalid_argument(f"missing key in {field}")
        if literal.WhichOneof("value") is None:
            raise invalid_argument(f"missing valid literal in {field} {name}")
        if _is_datetime(literal):
            _check_datetime(literal)


def validate_create_request(
    request: execution_pb2.ExecutionCreateRequest, check_project_and_domain: Callable[[str, str], None]
) -> None:
    """ValidateExecutionRequest. ``request.inputs`` must already hold the inputs to check (Flyte Admin falls back
    to the deprecated ``spec.inputs`` before validating); ``check_project_and_domain(project, domain)`` is the
    registration check (it reads the projects)."""
    require(request.project, "project")
    require(request.domain, "domain")
    if request.name:
        validate_name(request.name)
    check_project_and_domain(request.project, request.domain)
    if not request.HasField("spec"):
        raise invalid_argument("missing spec")
    spec = request.spec
    if not spec.HasField("launch_plan"):
        raise invalid_argument("missing id")
    reference = spec.launch_plan
    require(reference.project, "project")
    require(reference.domain, "domain")
    require(reference.name, "name")
    require(reference.version, "version")
    if reference.resource_type not in _ACCEPTED_TYPES:
        raise invalid_argument(
            f"Invalid reference entity resource type [{_resource_type_name(reference.resource_type)}], "
            f"only [{_ACCEPTED_TYPES_TEXT}] allowed"
        )
    validate_literal_map(request.inputs, "inputs")
    if spec.HasField("notifications"):
        _validate_notifications(spec.notifications.notifications)
    validate_labels(spec.labels)
    # Beyond Flyte Admin: values that would only fail later, in the database, are refused here by name.
    for tag in spec.tags:
        validate_max_bytes(tag, "tag", _MAX_TAG_BYTES)
