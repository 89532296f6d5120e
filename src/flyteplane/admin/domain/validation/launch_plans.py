"""CreateLaunchPlan's checks of a launch plan spec against its workflow's interface, with Flyte Admin's messages
(``validation/launch_plan_validator.go``, in its order); CreateExecution reuses the literal and notification checks."""

from __future__ import annotations

from typing import Any

from flyteidl.admin import launch_plan_pb2
from flyteidl.core import interface_pb2, literals_pb2, types_pb2

from flyteplane.admin.compiler import are_types_castable
from flyteplane.admin.domain.cron import CronError, parse_standard
from flyteplane.admin.domain.literal_types import literal_type_for_literal, validate_literal_type
from flyteplane.admin.domain.phases import WORKFLOW_TERMINAL
from flyteplane.admin.domain.times import MAX_SECONDS, MIN_SECONDS
from flyteplane.admin.domain.validation.common import validate_labels
from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.prototext import go_text

__all__ = [
    "check_datetime",
    "is_datetime",
    "validate_activation",
    "validate_default_inputs",
    "validate_fixed_inputs",
    "validate_notifications",
    "validate_spec",
]


def validate_spec(
    spec: launch_plan_pb2.LaunchPlanSpec, interface: interface_pb2.TypedInterface
) -> interface_pb2.ParameterMap:
    """Check the spec against the workflow's interface; returns the expected inputs (what a launch must or may
    supply: every workflow input that is not fixed)."""
    validate_labels(spec.labels)
    validate_fixed_inputs(spec.fixed_inputs)
    validate_default_inputs(spec.default_inputs)
    expected = _expected_inputs(interface.inputs, spec.fixed_inputs, spec.default_inputs)
    _validate_schedule(spec, expected)
    if spec.HasField("entity_metadata"):
        validate_notifications(spec.entity_metadata.notifications)
        if spec.entity_metadata.HasField("launch_conditions"):
            raise invalid_argument(
                f"Launch condition must be empty, found {go_text(spec.entity_metadata.launch_conditions)}"
            )
    return expected


def check_datetime(literal: literals_pb2.Literal) -> None:
    """A datetime literal must hold a representable instant (protobuf's Timestamp.CheckValid)."""
    value = literal.scalar.primitive.datetime
    text = go_text(value)
    if value.seconds < MIN_SECONDS:
        raise invalid_argument(f"timestamp ({text}) before 0001-01-01")
    if value.seconds > MAX_SECONDS:
        raise invalid_argument(f"timestamp ({text}) after 9999-12-31")
    if not 0 <= value.nanos < 1_000_000_000:
        raise invalid_argument(f"timestamp ({text}) has out-of-range nanos")


def is_datetime(literal: literals_pb2.Literal) -> bool:
    return (
        literal.WhichOneof("value") == "scalar"
        and literal.scalar.WhichOneof("value") == "primitive"
        and literal.scalar.primitive.WhichOneof("value") == "datetime"
    )


def validate_fixed_inputs(fixed: literals_pb2.LiteralMap) -> None:
    for name in sorted(fixed.literals):
        literal = fixed.literals[name]
        if not name:
            raise invalid_argument("missing key in fixed_inputs")
        if literal.WhichOneof("value") is None:
            raise invalid_argument(f"missing valid literal in fixed_inputs {name}")
        if is_datetime(literal):
            check_datetime(literal)


def validate_default_inputs(defaults: interface_pb2.ParameterMap) -> None:
    names = sorted(defaults.parameters)
    for name in names:  # artifacts are not enabled in the embedded admin
        if defaults.parameters[name].HasField("artifact_query"):
            raise invalid_argument(f"artifact mode not enabled but query found default_inputs {name}")
    for name in names:
        parameter = defaults.parameters[name]
        if not name:
            raise invalid_argument("missing key in default_inputs")
        if not parameter.HasField("var") or not parameter.var.HasField("type"):
            raise invalid_argument(
                f"The Variable component of the Parameter {name} in default_inputs either is missing, "
                "or has a missing Type"
            )
        behavior = parameter.WhichOneof("behavior")
        if behavior != "default" and behavior != "artifact_query" and not parameter.required:
            raise invalid_argument(
                f"Invalid variable {name} in default_inputs - variable has neither default, nor is required. "
                "One must be specified"
            )
        if behavior != "default":
            continue
        default_type = literal_type_for_literal(parameter.default)
        declared = parameter.var.type
        if default_type is None:
            raise invalid_argument(
                "Flyte encountered an issue while determining\n"
                f"the type of the default value for Parameter '{name}' in 'default_inputs'.\n"
                f"Registered type: [{go_text(declared)}].\n"
                "Flyte needs to support the latest FlyteIDL to support this type.\n"
                "Suggested solution: Please update all of your Flyte images to the latest version and try again."
            )
        if not are_types_castable(default_type, declared):
            raise invalid_argument(
                f"Type mismatch for Parameter {name} in default_inputs has type {go_text(declared)}, "
                f"expected {go_text(default_type)}"
            )
        if declared.WhichOneof("type") == "simple" and declared.simple == types_pb2.DATETIME:
            check_datetime(parameter.default)


def _expected_inputs(
    workflow_inputs: interface_pb2.VariableMap,
    fixed: literals_pb2.LiteralMap,
    defaults: interface_pb2.ParameterMap,
) -> interface_pb2.ParameterMap:
    expected = interface_pb2.ParameterMap()
    variables = workflow_inputs.variables
    if not variables:
        if defaults.parameters:
            raise invalid_argument(
                f"invalid launch plan default inputs, expected none but found {len(defaults.parameters)}"
            )
        if fixed.literals:
            raise invalid_argument(f"invalid launch plan fixed inputs, expected none but found {len(fixed.literals)}")
        return expected
    for name in sorted(defaults.parameters):
        if name not in variables:
            raise invalid_argument(f"unexpected default_input {name}")
        declared = defaults.parameters[name].var.type
        wanted = variables[name].type
        if not are_types_castable(declared, wanted):
            raise invalid_argument(
                f"invalid default_input wrong type {name}, expected {go_text(declared)}, got {go_text(wanted)} instead"
            )
    for name in sorted(fixed.literals):
        if name not in variables:
            raise invalid_argument(f"unexpected fixed_input {name}")
        actual = literal_type_for_literal(fixed.literals[name])
        problem = validate_literal_type(actual)
        if problem is not None or actual is None:
            raise invalid_argument(f"Failed to validate literal type for [{name}] with err: {problem}")
        wanted = variables[name].type
        if not are_types_castable(actual, wanted):
            raise invalid_argument(
                f"invalid fixed_input wrong type {name}, expected {go_text(wanted)}, got {go_text(actual)} instead"
            )
    for name, variable in variables.items():
        if name in defaults.parameters:
            expected.parameters[name].CopyFrom(defaults.parameters[name])
        elif name not in fixed.literals:
            parameter = expected.parameters[name]
            parameter.var.type.CopyFrom(variable.type)
            parameter.var.description = variable.description
            parameter.required = True
    return expected


def _validate_schedule(spec: launch_plan_pb2.LaunchPlanSpec, expected: interface_pb2.ParameterMap) -> None:
    schedule = spec.entity_metadata.schedule
    if not (schedule.cron_expression or schedule.HasField("rate") or schedule.HasField("cron_schedule")):
        return
    kickoff = schedule.kickoff_time_input_arg
    for name in sorted(expected.parameters):
        if expected.parameters[name].required and name != kickoff:
            raise invalid_argument(
                "Cannot create a launch plan with a schedule if there is an unbound required input. "
                f"[{name}] is required"
            )
    if kickoff:
        parameter = expected.parameters.get(kickoff)
        if parameter is None:
            raise invalid_argument(
                "Cannot create a schedule with a KickoffTimeInputArg that does not point to a free input. "
                f"[{kickoff}] is not free or does not exist."
            )
        declared = parameter.var.type
        if not (declared.WhichOneof("type") == "simple" and declared.simple == types_pb2.DATETIME):
            raise invalid_argument(
                f"KickoffTimeInputArg must reference a datetime input. [{kickoff}] is a [{go_text(declared)}]"
            )
    # Either cron form is parsed with robfig/cron's standard parser (five fields), the old cron_expression too:
    # its six-field AWS syntax ("0 10 * * ? *") is refused, as Flyte Admin refuses it. An empty one is not parsed.
    if schedule.cron_expression:
        expression = schedule.cron_expression
    else:
        expression = schedule.cron_schedule.schedule if schedule.HasField("cron_schedule") else ""
    if expression:
        try:
            parse_standard(expression)
        except CronError as e:
            raise invalid_argument(f"Invalid cron expression: {e}") from None


def validate_activation(spec: launch_plan_pb2.LaunchPlanSpec) -> None:
    """UpdateLaunchPlan to ACTIVE: the schedule must be one Flyte Admin's native scheduler can add.

    It adds cron_schedule and rate schedules only; the deprecated ``cron_expression`` (AWS CloudWatch's schedule
    kind) fails its AddSchedule (``scheduler/dbapi/event_scheduler_impl.go``), and the launch plan stays inactive.
    Flyte Admin's answer is INTERNAL; it is the launch plan's fault, so here it is INVALID_ARGUMENT with its text
    (Go prints the oneof wrapper as ``&{<expression>}``).
    """
    expression = spec.entity_metadata.schedule.cron_expression
    if expression:
        raise invalid_argument(f"failed adding schedule for unknown schedule expression type &{{{expression}}}")


def validate_notifications(notifications: Any) -> None:
    for notification in notifications:
        kind = notification.WhichOneof("type")
        if kind is None:
            raise invalid_argument("invalid value for notification type")
        recipients = getattr(notification, kind).recipients_email
        if not recipients:
            raise invalid_argument("missing recipients")
        if any(not recipient for recipient in recipients):
            raise invalid_argument("missing recipient")
        if any(phase not in WORKFLOW_TERMINAL for phase in notification.phases):
            raise invalid_argument("invalid value for phase")
