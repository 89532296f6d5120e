"""Execution checks with Flyte Admin's messages (``pkg/manager/impl/validation/execution_validator.go``).

* :func:`validate_workflow_execution_identifier` — ValidateWorkflowExecutionIdentifier.
* :func:`validate_name` — CheckValidExecutionID.
* :func:`check_and_fetch_inputs` — CheckAndFetchInputsForExecution: the user's inputs against the launch plan's
  expected and fixed inputs; returns the full input map the run starts with.

Where Flyte Admin iterates a Go map (and so reports one of several problems at random), names are visited in
sorted order, so the same request always gets the same answer.
"""

from __future__ import annotations

import re
from typing import Any

from flyteidl.core import interface_pb2, literals_pb2

from flyteplane.admin.compiler import are_types_castable
from flyteplane.admin.domain.literal_types import literal_type_for_literal, validate_literal_type
from flyteplane.admin.domain.validation.common import require
from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.prototext import go_text

__all__ = [
    "MAX_NAME_LENGTH",
    "check_and_fetch_inputs",
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
        raise invalid_argument(f"size of name exceeded length {MAX_NAME_LENGTH} : {lowered}")
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
