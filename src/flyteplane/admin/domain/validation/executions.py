"""Execution checks with Flyte Admin's messages (``pkg/manager/impl/validation/execution_validator.go``).

* :func:`validate_workflow_execution_identifier` — ValidateWorkflowExecutionIdentifier.
* :func:`validate_name` — CheckValidExecutionID.
* :func:`check_and_fetch_inputs` — CheckAndFetchInputsForExecution: the user's inputs against the launch plan's
  expected and fixed inputs; returns the full input map the run starts with.
* :func:`validate_create_request` — ValidateExecutionRequest: project, domain, the name's form, that the project
  and domain are registered, the spec, the launch plan (or task) reference, the inputs' literals, notifications
  and labels.

Where Flyte Admin iterates a Go map (and so reports one of several problems at random), names are visited in
sorted order, so the same request always gets the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2

from flyteplane.admin.compiler import are_types_castable
from flyteplane.admin.domain.literal_types import literal_type_for_literal, validate_literal_type
from flyteplane.admin.domain.validation.common import require, validate_labels, validate_max_bytes
from flyteplane.admin.domain.validation.launch_plans import check_datetime as _check_datetime
from flyteplane.admin.domain.validation.launch_plans import is_datetime as _is_datetime
from flyteplane.admin.domain.validation.launch_plans import validate_notifications as _validate_notifications
from flyteplane.admin.errors import echo, invalid_argument
from flyteplane.admin.prototext import go_text

__all__ = [
    "MAX_NAME_LENGTH",
    "check_and_fetch_inputs",
    "validate_create_request",
    "validate_literal_map",
    "validate_name",
    "validate_workflow_execution_identifier",
]

# A Kubernetes label value at most: the name becomes one on the workflow's resources.
MAX_NAME_LENGTH = 63
_NAME = re.compile(r"^[a-z][a-z\-0-9]*$")
_NAME_PATTERN = r"^[a-z][a-z\-0-9]*$"


def validate_workflow_execution_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateWorkflowExecutionIdentifier: ``missing id``, then project, domain, name."""
    if not present:
        raise invalid_argument("missing id")
    require(identifier.project, "project")
    require(identifier.domain, "domain")
    require(identifier.name, "name")


def validate_name(name: str) -> None:
    """Flyte Admin's CheckValidExecutionID, on the lowercased name: at most 63 characters, then the pattern."""
    lowered = name.lower()
    if len(lowered) > MAX_NAME_LENGTH:
        raise invalid_argument(f"size of name exceeded length {MAX_NAME_LENGTH} : {echo(lowered)}")
    if not _NAME.match(lowered):
        raise invalid_argument(f"invalid name format: {lowered}, does not match regex '{_NAME_PATTERN}'")


def check_and_fetch_inputs(
    user_inputs: literals_pb2.LiteralMap,
    fixed_inputs: literals_pb2.LiteralMap,
    expected_inputs: interface_pb2.ParameterMap,
) -> literals_pb2.LiteralMap:
    """The inputs an execution runs with: the user's (each one expected and of a castable type), the defaults of
    the expected inputs the user left out (a required one missing is an error), and the fixed inputs (which the
    user may not set)."""
    expected = expected_inputs.parameters
    result = literals_pb2.LiteralMap()
    for name in sorted(user_inputs.literals):
        if name not in expected:
            raise invalid_argument(f"invalid input {name}")
        result.literals[name].CopyFrom(user_inputs.literals[name])
    for name in sorted(expected):
        parameter = expected[name]
        if name not in result.literals:
            if parameter.required:
                raise invalid_argument(f"expected_inputs {name} missing")
            # Flyte Admin copies the default even when the parameter has none (a nil literal); an empty literal
            # is what a nil one serializes to.
            result.literals[name].CopyFrom(parameter.default)
            continue
        actual = literal_type_for_literal(result.literals[name])
        problem = validate_literal_type(actual)
        if problem is not None or actual is None:
            raise invalid_argument(f"Failed to validate literal type for [{name}] with err: {problem}")
        if not are_types_castable(actual, parameter.var.type):
            raise invalid_argument(
                f"invalid {name} input wrong type. Expected {go_text(parameter.var.type)}, but got {go_text(actual)}"
            )
    for name in sorted(fixed_inputs.literals):
        if name in result.literals:
            raise invalid_argument(f"fixed_inputs {name} cannot be overridden")
        result.literals[name].CopyFrom(fixed_inputs.literals[name])
    return result


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
