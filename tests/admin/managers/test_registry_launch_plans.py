"""LaunchPlanManager: CreateLaunchPlan's checks and messages (inputs, types, schedules, notifications), expected inputs,
identical/different re-registration, activation (at most one ACTIVE version), GetActiveLaunchPlan and the listings
(Flyte Admin's ``flyteadmin/pkg/manager/impl/launch_plan_manager.go``). Plus the cron parser and the literal-type rules
behind them.

Workflows are inserted as rows with the interface a test needs: launch plan registration reads only that."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
import msgpack
import pytest
from flyteidl.admin import common_pb2, launch_plan_pb2, schedule_pb2
from flyteidl.core import (
    artifact_id_pb2,
    execution_pb2,
    identifier_pb2,
    interface_pb2,
    literals_pb2,
    types_pb2,
)
from google.protobuf import any_pb2, struct_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.cron import CronError, parse_standard
from flyteplane.admin.domain.literal_types import literal_type_for_literal, validate_literal_type
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.launch_plans import LaunchPlanManager
from flyteplane.admin.store import schema

P, D = "flytesnacks", "development"
INT = types_pb2.LiteralType(simple=types_pb2.INTEGER)
STR = types_pb2.LiteralType(simple=types_pb2.STRING)
FLOAT = types_pb2.LiteralType(simple=types_pb2.FLOAT)
DATETIME = types_pb2.LiteralType(simple=types_pb2.DATETIME)
STRUCT = types_pb2.LiteralType(simple=types_pb2.STRUCT)


def _interface(inputs: dict[str, types_pb2.LiteralType], outputs: dict[str, types_pb2.LiteralType] | None = None):  # type: ignore[no-untyped-def]
    iface = interface_pb2.TypedInterface()
    for name, kind in inputs.items():
        iface.inputs.variables[name].type.CopyFrom(kind)
        iface.inputs.variables[name].description = f"the {name}"
    for name, kind in (outputs or {}).items():
        iface.outputs.variables[name].type.CopyFrom(kind)
    return iface


def add_workflow(ctx: AdminContext, name: str, iface: interface_pb2.TypedInterface) -> None:
    now = dt.datetime(2024, 1, 1)
    with ctx.store.begin() as conn:
        conn.execute(
            schema.workflows.insert().values(
                project=P,
                domain=D,
                name=name,
                version="v1",
                typed_interface=iface.SerializeToString(),
                closure=b"",
                digest="-",
                created_at=now,
                updated_at=now,
            )
        )


@pytest.fixture
def ctx(ctx: AdminContext) -> AdminContext:
    """The shared context (conftest.py) with the workflows most tests launch."""
    add_workflow(ctx, "wf", _interface({"a": INT, "b": STR, "c": FLOAT}, {"o0": INT}))
    add_workflow(ctx, "no_inputs", _interface({}))
    add_workflow(ctx, "scheduled", _interface({"kickoff": DATETIME, "n": INT}))
    return ctx


@pytest.fixture
def lps(ctx: AdminContext) -> LaunchPlanManager:
    return LaunchPlanManager(ctx)


def wf_id(name: str = "wf") -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name=name, version="v1"
    )


def lp_id(name: str = "lp", version: str = "v1") -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name=name, version=version
    )


def integer(value: int) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=value)))


def string(value: str) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=value)))


def param(kind: types_pb2.LiteralType, default: literals_pb2.Literal | None = None, required: bool = False):  # type: ignore[no-untyped-def]
    p = interface_pb2.Parameter(var=interface_pb2.Variable(type=kind))
    if default is not None:
        p.default.CopyFrom(default)
    elif required:
        p.required = True
    return p


def spec(workflow: str = "wf", **fields: Any) -> launch_plan_pb2.LaunchPlanSpec:
    return launch_plan_pb2.LaunchPlanSpec(workflow_id=wf_id(workflow), **fields)


def create(
    lps: LaunchPlanManager, s: launch_plan_pb2.LaunchPlanSpec, ident: identifier_pb2.Identifier | None = None
) -> None:
    lps.create_launch_plan(launch_plan_pb2.LaunchPlanCreateRequest(id=ident or lp_id(), spec=s))


def create_error(
    lps: LaunchPlanManager, s: launch_plan_pb2.LaunchPlanSpec | None, ident: Any = "default"
) -> AdminError:
    request = launch_plan_pb2.LaunchPlanCreateRequest()
    if ident == "default":
        request.id.CopyFrom(lp_id())
    elif ident is not None:
        request.id.CopyFrom(ident)
    if s is not None:
        request.spec.CopyFrom(s)
    with pytest.raises(AdminError) as info:
        lps.create_launch_plan(request)
    return info.value


def get(lps: LaunchPlanManager, ident: identifier_pb2.Identifier | None = None) -> launch_plan_pb2.LaunchPlan:
    return lps.get_launch_plan(common_pb2.ObjectGetRequest(id=ident or lp_id()))


# --- identifiers and the workflow ----------------------------------------------------------------------------------


def test_workflow_is_checked_first(lps: LaunchPlanManager) -> None:
    assert create_error(lps, None).message == "missing id"  # no spec, so no workflow id
    wrong = spec()
    wrong.workflow_id.resource_type = identifier_pb2.TASK
    assert create_error(lps, wrong).message.startswith("unexpected resource type task for identifier [")
    err = create_error(lps, spec("nope"))
    assert (err.code, err.message) == (
        grpc.StatusCode.NOT_FOUND,
        f'missing entity of type WORKFLOW with identifier project:"{P}" domain:"{D}" name:"nope" version:"v1"',
    )


@pytest.mark.parametrize(
    ("ident", "message"),
    [
        (None, "missing id"),
        (identifier_pb2.Identifier(project=P, domain=D, name="n", version="v"), "unexpected resource type unspecified"),
        (lp_id(version=""), "missing version"),
        (
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.LAUNCH_PLAN, project="x", domain=D, name="n", version="v"
            ),
            "failed to validate that project [x] and domain [development] are registered",
        ),
    ],
)
def test_launch_plan_id_checks(lps: LaunchPlanManager, ident: Any, message: str) -> None:
    err = create_error(lps, spec(), ident)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message.startswith(message)


# --- inputs --------------------------------------------------------------------------------------------------------


def test_expected_inputs_replace_default_inputs(lps: LaunchPlanManager) -> None:
    s = spec(
        default_inputs=interface_pb2.ParameterMap(parameters={"a": param(INT, integer(1))}),
        fixed_inputs=literals_pb2.LiteralMap(literals={"b": string("fixed")}),
    )
    create(lps, s)
    plan = get(lps)
    expected = plan.closure.expected_inputs.parameters
    assert set(expected) == {"a", "c"}
    assert expected["a"].default.scalar.primitive.integer == 1
    assert expected["c"].required and expected["c"].var.type == FLOAT and expected["c"].var.description == "the c"
    assert plan.spec.default_inputs == plan.closure.expected_inputs
    assert set(plan.closure.expected_outputs.variables) == {"o0"}
    assert plan.spec.fixed_inputs.literals["b"].scalar.primitive.string_value == "fixed"
    assert plan.closure.state == launch_plan_pb2.INACTIVE
    assert plan.closure.created_at.seconds > 0 and plan.closure.updated_at == plan.closure.created_at
    assert plan.id == lp_id()


def _defaults(**params: interface_pb2.Parameter) -> interface_pb2.ParameterMap:
    return interface_pb2.ParameterMap(parameters=params)


def _fixed(**literals: literals_pb2.Literal) -> literals_pb2.LiteralMap:
    return literals_pb2.LiteralMap(literals=literals)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fixed_inputs": _fixed(a=literals_pb2.Literal())}, "missing valid literal in fixed_inputs a"),
        (
            {
                "fixed_inputs": _fixed(
                    a=literals_pb2.Literal(
                        scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(datetime={"seconds": -62135596801}))
                    )
                )
            },
            "timestamp (seconds:-62135596801) before 0001-01-01",
        ),
        (
            {
                "default_inputs": _defaults(
                    a=interface_pb2.Parameter(
                        var=interface_pb2.Variable(type=INT), artifact_query=artifact_id_pb2.ArtifactQuery(uri="x")
                    )
                )
            },
            "artifact mode not enabled but query found default_inputs a",
        ),
        (
            {"default_inputs": _defaults(a=interface_pb2.Parameter(default=integer(1)))},
            "The Variable component of the Parameter a in default_inputs either is missing, or has a missing Type",
        ),
        (
            {"default_inputs": _defaults(a=param(INT))},
            "Invalid variable a in default_inputs - variable has neither default, nor is required. "
            "One must be specified",
        ),
        (
            {"default_inputs": _defaults(a=param(INT, string("x")))},
            "Type mismatch for Parameter a in default_inputs has type simple:INTEGER, expected simple:STRING",
        ),
        (
            {
                "default_inputs": _defaults(
                    a=param(INT, literals_pb2.Literal(scalar=literals_pb2.Scalar(blob=literals_pb2.Blob(uri="s3://x"))))
                )
            },
            "Flyte encountered an issue while determining\nthe type of the default value for Parameter 'a' in "
            "'default_inputs'.\nRegistered type: [simple:INTEGER].\nFlyte needs to support the latest FlyteIDL to "
            "support this type.\nSuggested solution: Please update all of your Flyte images to the latest version and "
            "try again.",
        ),
        ({"default_inputs": _defaults(z=param(INT, integer(1)))}, "unexpected default_input z"),
        ({"fixed_inputs": _fixed(z=integer(1))}, "unexpected fixed_input z"),
        (
            {"default_inputs": _defaults(a=param(STR, string("x")))},
            "invalid default_input wrong type a, expected simple:STRING, got simple:INTEGER instead",
        ),
        (
            {"fixed_inputs": _fixed(a=string("x"))},
            "invalid fixed_input wrong type a, expected simple:INTEGER, got simple:STRING instead",
        ),
        (
            {
                "fixed_inputs": _fixed(
                    a=literals_pb2.Literal(scalar=literals_pb2.Scalar(blob=literals_pb2.Blob(uri="s3://x")))
                )
            },
            "Failed to validate literal type for [a] with err: got unknown literal type: [<nil>].\nSuggested solution: "
            "Please update all your Flyte deployment images to the latest version and try again",
        ),
        (
            {"labels": common_pb2.Labels(values={f"k{i}": "v" for i in range(17)})},
            "labels map cannot exceed 16 entries",
        ),
    ],
)
def test_input_checks(lps: LaunchPlanManager, fields: dict[str, Any], message: str) -> None:
    err = create_error(lps, spec(**fields))
    assert (err.code, err.message) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_workflow_without_inputs_takes_none(lps: LaunchPlanManager) -> None:
    err = create_error(lps, spec("no_inputs", default_inputs=_defaults(a=param(INT, integer(1)))))
    assert err.message == "invalid launch plan default inputs, expected none but found 1"
    err = create_error(lps, spec("no_inputs", fixed_inputs=_fixed(a=integer(1), b=integer(2))))
    assert err.message == "invalid launch plan fixed inputs, expected none but found 2"
    create(lps, spec("no_inputs"))
    assert not get(lps).closure.expected_inputs.parameters


# --- schedules, notifications, launch conditions -------------------------------------------------------------------


def _scheduled(schedule: schedule_pb2.Schedule, **fields: Any) -> launch_plan_pb2.LaunchPlanSpec:
    return spec("scheduled", entity_metadata=launch_plan_pb2.LaunchPlanMetadata(schedule=schedule), **fields)


def _cron(expression: str, kickoff: str = "kickoff") -> schedule_pb2.Schedule:
    return schedule_pb2.Schedule(
        cron_schedule=schedule_pb2.CronSchedule(schedule=expression), kickoff_time_input_arg=kickoff
    )


N_DEFAULT = _defaults(n=param(INT, integer(3)))


@pytest.mark.parametrize(
    ("s", "message"),
    [
        (
            _scheduled(_cron("0 * * * *")),
            "Cannot create a launch plan with a schedule if there is an unbound required input. [n] is required",
        ),
        (
            _scheduled(_cron("0 * * * *", kickoff="nope"), default_inputs=N_DEFAULT),
            "Cannot create a launch plan with a schedule if there is an unbound required input. [kickoff] is required",
        ),
        (
            _scheduled(
                _cron("0 * * * *"),
                default_inputs=N_DEFAULT,
                fixed_inputs=_fixed(
                    kickoff=literals_pb2.Literal(
                        scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(datetime={"seconds": 1}))
                    )
                ),
            ),
            "Cannot create a schedule with a KickoffTimeInputArg that does not point to a free input. [kickoff] is "
            "not free or does not exist.",
        ),
        (
            _scheduled(_cron("0 10 * * ? *"), default_inputs=N_DEFAULT),
            "Invalid cron expression: expected exactly 5 fields, found 6: [0 10 * * ? *]",
        ),
        (
            _scheduled(_cron("61 * * * *"), default_inputs=N_DEFAULT),
            "Invalid cron expression: end of range (61) above maximum (59): 61",
        ),
    ],
)
def test_schedule_checks(lps: LaunchPlanManager, s: launch_plan_pb2.LaunchPlanSpec, message: str) -> None:
    err = create_error(lps, s)
    assert (err.code, err.message) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def _old_cron(expression: str) -> schedule_pb2.Schedule:
    return schedule_pb2.Schedule(cron_expression=expression, kickoff_time_input_arg="kickoff")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 10 * * ? *", "Invalid cron expression: expected exactly 5 fields, found 6: [0 10 * * ? *]"),
        ("cron(0 10 * * ? *)", "Invalid cron expression: expected exactly 5 fields, found 6: [cron(0 10 * * ? *)]"),
        ("0 25 * * *", "Invalid cron expression: end of range (25) above maximum (23): 25"),
    ],
)
def test_old_style_cron_expressions_are_parsed_too(lps: LaunchPlanManager, expression: str, message: str) -> None:
    # Flyte Admin parses cron_expression before cron_schedule, with the same five-field parser.
    err = create_error(lps, _scheduled(_old_cron(expression), default_inputs=N_DEFAULT))
    assert (err.code, err.message) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_an_empty_cron_schedule_is_not_parsed(lps: LaunchPlanManager) -> None:
    create(lps, _scheduled(_cron(""), default_inputs=N_DEFAULT))
    assert get(lps, lp_id()).spec.entity_metadata.schedule.HasField("cron_schedule")


def test_kickoff_must_be_a_datetime(ctx: AdminContext, lps: LaunchPlanManager) -> None:
    add_workflow(ctx, "int_kickoff", _interface({"kickoff": INT}))
    s = spec("int_kickoff", entity_metadata=launch_plan_pb2.LaunchPlanMetadata(schedule=_cron("@daily")))
    assert (
        create_error(lps, s).message
        == "KickoffTimeInputArg must reference a datetime input. [kickoff] is a [simple:INTEGER]"
    )


def test_scheduled_launch_plans_record_their_schedule_type(ctx: AdminContext, lps: LaunchPlanManager) -> None:
    create(lps, _scheduled(_cron("*/5 * * * MON-FRI"), default_inputs=N_DEFAULT), lp_id("cron"))
    rate = schedule_pb2.Schedule(rate=schedule_pb2.FixedRate(value=10, unit=schedule_pb2.MINUTE))
    create(
        lps,
        _scheduled(
            rate,
            default_inputs=_defaults(
                n=param(INT, integer(3)),
                kickoff=param(
                    DATETIME,
                    literals_pb2.Literal(
                        scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(datetime={"seconds": 0}))
                    ),
                ),
            ),
        ),
        lp_id("rate"),
    )
    create(lps, spec("no_inputs"), lp_id("plain"))
    with ctx.store.read() as conn:
        rows = conn.execute(schema.launch_plans.select().order_by(schema.launch_plans.c.name)).all()
    assert [(r.name, r.schedule_type, r.launch_condition_type) for r in rows] == [
        ("cron", "CRON", "SCHED"),
        ("plain", "NONE", None),
        ("rate", "RATE", "SCHED"),
    ]
    listed = lps.list_launch_plans(
        common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10, filters="eq(schedule_type,CRON)"
        )
    )
    assert [p.id.name for p in listed.launch_plans] == ["cron"]


@pytest.mark.parametrize(
    ("notification", "message"),
    [
        (
            common_pb2.Notification(phases=[execution_pb2.WorkflowExecution.FAILED]),
            "invalid value for notification type",
        ),
        (common_pb2.Notification(email=common_pb2.EmailNotification()), "missing recipients"),
        (
            common_pb2.Notification(slack=common_pb2.SlackNotification(recipients_email=["a@b.c", ""])),
            "missing recipient",
        ),
        (
            common_pb2.Notification(
                pager_duty=common_pb2.PagerDutyNotification(recipients_email=["a@b.c"]),
                phases=[execution_pb2.WorkflowExecution.RUNNING],
            ),
            "invalid value for phase",
        ),
    ],
)
def test_notification_checks(lps: LaunchPlanManager, notification: common_pb2.Notification, message: str) -> None:
    s = spec("no_inputs", entity_metadata=launch_plan_pb2.LaunchPlanMetadata(notifications=[notification]))
    assert create_error(lps, s).message == message


def test_launch_conditions_must_be_empty(lps: LaunchPlanManager) -> None:
    s = spec(
        "no_inputs", entity_metadata=launch_plan_pb2.LaunchPlanMetadata(launch_conditions=any_pb2.Any(type_url="x/y"))
    )
    assert create_error(lps, s).message == 'Launch condition must be empty, found type_url:"x/y"'


# --- re-registration -----------------------------------------------------------------------------------------------


def test_identical_and_different_structure(lps: LaunchPlanManager) -> None:
    s = spec(default_inputs=_defaults(a=param(INT, integer(1))))
    create(lps, s)
    err = create_error(lps, s)
    assert (err.code, err.message) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "launch plan with identical structure already exists",
    )
    err = create_error(lps, spec(default_inputs=_defaults(a=param(INT, integer(2)))))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message == (
        "lp launch plan with different structure already exists. (Please register a new version of the launch "
        "plan):\n/default_inputs/parameters/a/default/scalar/primitive/integer:\n\t- 1 \n\t+ 2"
    )


def _different(
    lps: LaunchPlanManager, first: launch_plan_pb2.LaunchPlanSpec, again: launch_plan_pb2.LaunchPlanSpec
) -> str:
    """Register ``first``, then ``again`` under the same version: Flyte Admin's different-structure answer."""
    create(lps, first)
    err = create_error(lps, again)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    prefix = (
        "lp launch plan with different structure already exists. (Please register a new version of the launch plan):\n"
    )
    assert err.message.startswith(prefix)
    return err.message[len(prefix) :]


def test_other_parts_of_the_spec_make_a_different_structure(lps: LaunchPlanManager) -> None:
    # Flyte Admin 1.16 compares digests of the whole launch plan: equal defaults do not make it identical.
    same_defaults = _defaults(a=param(INT, integer(1)))
    diff = _different(lps, spec(default_inputs=same_defaults), spec(default_inputs=same_defaults, max_parallelism=3))
    assert diff == "/max_parallelism:\n\t- <nil> \n\t+ 3"


def test_another_fixed_input_is_a_different_structure(lps: LaunchPlanManager) -> None:
    def fixed(value: int) -> launch_plan_pb2.LaunchPlanSpec:
        return spec(fixed_inputs=literals_pb2.LiteralMap(literals={"a": integer(value)}))

    assert _different(lps, fixed(1), fixed(2)) == "/fixed_inputs/literals/a/scalar/primitive/integer:\n\t- 1 \n\t+ 2"


def test_another_schedule_is_a_different_structure(lps: LaunchPlanManager) -> None:
    def scheduled(cron: str) -> launch_plan_pb2.LaunchPlanSpec:
        schedule = schedule_pb2.Schedule(cron_schedule=schedule_pb2.CronSchedule(schedule=cron))
        return spec("no_inputs", entity_metadata=launch_plan_pb2.LaunchPlanMetadata(schedule=schedule))

    diff = _different(lps, scheduled("0 10 * * *"), scheduled("0 11 * * *"))
    assert diff == "/entity_metadata/schedule/cron_schedule/schedule:\n\t- 0 10 * * * \n\t+ 0 11 * * *"


def test_other_labels_are_a_different_structure(lps: LaunchPlanManager) -> None:
    def labelled(team: str) -> launch_plan_pb2.LaunchPlanSpec:
        return spec("no_inputs", labels=common_pb2.Labels(values={"team": team}))

    assert _different(lps, labelled("a"), labelled("b")) == "/labels/values/team:\n\t- a \n\t+ b"


def _struct_default(values: dict[str, Any]) -> literals_pb2.Literal:
    generic = struct_pb2.Struct()
    generic.update(values)
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=generic))


def _msgpack_default(values: dict[str, Any]) -> literals_pb2.Literal:
    binary = literals_pb2.Binary(value=msgpack.packb(values), tag="msgpack")
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(binary=binary))


def test_dataclass_defaults_in_another_format_differ(ctx: AdminContext, lps: LaunchPlanManager) -> None:
    add_workflow(ctx, "dc", _interface({"d": STRUCT}))
    create(lps, spec("dc", default_inputs=_defaults(d=param(STRUCT, _struct_default({"s": "x", "f": 1.5})))))
    # The same dataclass as MessagePack bytes is another structure to Flyte Admin 1.16 (its digest differs).
    again = spec("dc", default_inputs=_defaults(d=param(STRUCT, _msgpack_default({"s": "x", "f": 1.5}))))
    assert create_error(lps, again).code == grpc.StatusCode.INVALID_ARGUMENT
    other = spec("dc", default_inputs=_defaults(d=param(STRUCT, _msgpack_default({"s": "y", "f": 1.5}))))
    assert create_error(lps, other).code == grpc.StatusCode.INVALID_ARGUMENT


# --- activation ----------------------------------------------------------------------------------------------------


def _update(lps: LaunchPlanManager, ident: identifier_pb2.Identifier, state: int) -> None:
    lps.update_launch_plan(launch_plan_pb2.LaunchPlanUpdateRequest(id=ident, state=state))  # type: ignore[arg-type]


def _active(lps: LaunchPlanManager, name: str = "lp") -> launch_plan_pb2.LaunchPlan:
    return lps.get_active_launch_plan(
        launch_plan_pb2.ActiveLaunchPlanRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name=name))
    )


def test_at_most_one_active_version(lps: LaunchPlanManager) -> None:
    for version in ("v1", "v2"):
        create(lps, spec("no_inputs", max_parallelism=int(version[1])), lp_id(version=version))
    with pytest.raises(AdminError) as info:
        _active(lps)
    assert (info.value.code, info.value.message) == (
        grpc.StatusCode.NOT_FOUND,
        f"No active launch plan could be found: {P}:{D}:lp",
    )
    _update(lps, lp_id(version="v1"), launch_plan_pb2.ACTIVE)
    assert _active(lps).id.version == "v1"
    _update(lps, lp_id(version="v2"), launch_plan_pb2.ACTIVE)
    assert _active(lps).id.version == "v2"
    assert get(lps, lp_id(version="v1")).closure.state == launch_plan_pb2.INACTIVE
    _update(lps, lp_id(version="v2"), launch_plan_pb2.ACTIVE)  # re-activating is fine
    active = lps.list_active_launch_plans(launch_plan_pb2.ActiveLaunchPlanListRequest(project=P, domain=D, limit=10))
    assert [(p.id.version, p.closure.state) for p in active.launch_plans] == [("v2", launch_plan_pb2.ACTIVE)]
    _update(lps, lp_id(version="v2"), launch_plan_pb2.INACTIVE)
    _update(lps, lp_id(version="v2"), launch_plan_pb2.INACTIVE)  # idempotent
    assert not lps.list_active_launch_plans(
        launch_plan_pb2.ActiveLaunchPlanListRequest(project=P, domain=D, limit=10)
    ).launch_plans
    plan = get(lps, lp_id(version="v2"))
    assert plan.closure.updated_at.ToDatetime() >= plan.closure.created_at.ToDatetime()


def test_an_old_style_cron_schedule_cannot_be_activated(lps: LaunchPlanManager) -> None:
    # Flyte Admin's native scheduler adds cron_schedule and rate schedules only; the launch plan stays inactive
    # and the version active before stays active.
    create(lps, _scheduled(_cron("0 10 * * *"), default_inputs=N_DEFAULT), lp_id(version="v1"))
    _update(lps, lp_id(version="v1"), launch_plan_pb2.ACTIVE)
    create(lps, _scheduled(_old_cron("0 10 * * *"), default_inputs=N_DEFAULT), lp_id(version="v2"))
    with pytest.raises(AdminError) as info:
        _update(lps, lp_id(version="v2"), launch_plan_pb2.ACTIVE)
    assert (info.value.code, info.value.message) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "failed adding schedule for unknown schedule expression type &{0 10 * * *}",
    )
    assert get(lps, lp_id(version="v2")).closure.state == launch_plan_pb2.INACTIVE
    assert _active(lps).id.version == "v1"
    _update(lps, lp_id(version="v2"), launch_plan_pb2.INACTIVE)  # deactivating it is fine


def test_update_checks(lps: LaunchPlanManager) -> None:
    create(lps, spec("no_inputs"))
    with pytest.raises(AdminError) as info:
        _update(lps, lp_id(version=""), launch_plan_pb2.INACTIVE)
    assert info.value.message == "missing version"
    with pytest.raises(AdminError) as info:
        _update(lps, lp_id(version="v9"), launch_plan_pb2.ACTIVE)
    assert (info.value.code, info.value.message) == (
        grpc.StatusCode.NOT_FOUND,
        f'missing entity of type LAUNCH_PLAN with identifier project:"{P}" domain:"{D}" name:"lp" version:"v9"',
    )
    with pytest.raises(AdminError) as info:
        _update(lps, lp_id(), 7)
    assert info.value.message == (
        "Unrecognized launch plan state 7 for update for launch plan "
        f'[resource_type:LAUNCH_PLAN project:"{P}" domain:"{D}" name:"lp" version:"v1"]'
    )
    # The resource type may be left out.
    _update(lps, identifier_pb2.Identifier(project=P, domain=D, name="lp", version="v1"), launch_plan_pb2.ACTIVE)
    assert _active(lps).id == lp_id()


@pytest.mark.parametrize(
    ("ident", "message"),
    [
        (common_pb2.NamedEntityIdentifier(domain=D, name="lp"), "missing project"),
        (common_pb2.NamedEntityIdentifier(project=P, name="lp"), "missing domain"),
        (common_pb2.NamedEntityIdentifier(project=P, domain=D), "missing name"),
    ],
)
def test_get_active_checks(lps: LaunchPlanManager, ident: common_pb2.NamedEntityIdentifier, message: str) -> None:
    with pytest.raises(AdminError) as info:
        lps.get_active_launch_plan(launch_plan_pb2.ActiveLaunchPlanRequest(id=ident))
    assert info.value.message == message


# --- reads and listings --------------------------------------------------------------------------------------------


def test_get_launch_plan_checks(lps: LaunchPlanManager) -> None:
    create(lps, spec("no_inputs"))
    assert get(lps, identifier_pb2.Identifier(project=P, domain=D, name="lp", version="v1")).id == lp_id()
    with pytest.raises(AdminError) as info:
        get(lps, lp_id(version=""))
    assert info.value.message == "missing version"
    with pytest.raises(AdminError) as info:
        get(lps, lp_id("other"))
    assert info.value.code == grpc.StatusCode.NOT_FOUND


def test_list_launch_plans_and_ids(ctx: AdminContext, lps: LaunchPlanManager) -> None:
    for name in ("a", "b"):
        for version in ("v1", "v2"):
            create(lps, spec("no_inputs", max_parallelism=int(version[1])), lp_id(name, version))
    create(
        lps,
        spec(
            "wf",
            fixed_inputs=_fixed(
                a=integer(1),
                b=string("x"),
                c=literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(float_value=1.0))),
            ),
        ),
        lp_id("c"),
    )
    named = common_pb2.NamedEntityIdentifier(project=P, domain=D)
    listed = lps.list_launch_plans(common_pb2.ResourceListRequest(id=named, limit=10, filters="eq(workflow.name,wf)"))
    assert [p.id.name for p in listed.launch_plans] == ["c"]
    by_name = lps.list_launch_plans(
        common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="a"),
            limit=1,
            sort_by=common_pb2.Sort(key="version"),
        )
    )
    assert [p.id.version for p in by_name.launch_plans] == ["v2"] and by_name.token == "1"
    with pytest.raises(AdminError) as info:
        lps.list_launch_plans(common_pb2.ResourceListRequest(id=named, limit=1, token="?"))
    assert info.value.message == "invalid pagination token ? for ListLaunchPlans"

    ids = lps.list_launch_plan_ids(
        common_pb2.NamedEntityIdentifierListRequest(
            project=P, domain=D, limit=2, sort_by=common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
        )
    )
    assert [e.name for e in ids.entities] == ["a", "b"] and ids.token == "2"
    with pytest.raises(AdminError) as info:
        lps.list_launch_plan_ids(common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D))
    assert info.value.message == "missing and/or invalid parameters: limit"
    with pytest.raises(AdminError) as info:
        lps.list_launch_plan_ids(common_pb2.NamedEntityIdentifierListRequest(project=P, domain=D, limit=1, token="x"))
    assert info.value.message == "invalid pagination token x"
    with pytest.raises(AdminError) as info:
        lps.list_active_launch_plans(launch_plan_pb2.ActiveLaunchPlanListRequest(project=P, domain=D))
    assert info.value.message == "invalid value for limit"


# --- literal types -------------------------------------------------------------------------------------------------


def _collection(*items: literals_pb2.Literal) -> literals_pb2.Literal:
    return literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=items))


def test_literal_types() -> None:
    assert literal_type_for_literal(integer(1)) == INT
    assert literal_type_for_literal(_collection(integer(1), integer(2))) == types_pb2.LiteralType(collection_type=INT)
    mixed = literal_type_for_literal(_collection(integer(1), string("a")))
    assert mixed is not None and [v.simple for v in mixed.collection_type.union_type.variants] == [
        types_pb2.INTEGER,
        types_pb2.STRING,
    ]
    assert literal_type_for_literal(_collection()) == types_pb2.LiteralType(
        collection_type=types_pb2.LiteralType(simple=types_pb2.NONE)
    )
    as_map = literals_pb2.Literal(map=literals_pb2.LiteralMap(literals={"k": string("v")}))
    assert literal_type_for_literal(as_map) == types_pb2.LiteralType(map_value_type=STR)
    assert literal_type_for_literal(_msgpack_default({"a": 1})) == STRUCT
    assert literal_type_for_literal(literals_pb2.Literal()) is None
    assert validate_literal_type(None) is not None and validate_literal_type(INT) is None


@pytest.mark.parametrize(
    ("declared", "default"),
    [
        (types_pb2.LiteralType(collection_type=INT), _collection(integer(1), integer(2))),
        (types_pb2.LiteralType(collection_type=INT), _collection()),
        (
            types_pb2.LiteralType(map_value_type=STR),
            literals_pb2.Literal(map=literals_pb2.LiteralMap(literals={"k": string("v")})),
        ),
        (
            types_pb2.LiteralType(
                union_type=types_pb2.UnionType(variants=[INT, types_pb2.LiteralType(simple=types_pb2.NONE)])
            ),
            literals_pb2.Literal(
                scalar=literals_pb2.Scalar(
                    union=literals_pb2.Union(
                        value=literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void())),
                        type=types_pb2.LiteralType(simple=types_pb2.NONE),
                    )
                )
            ),
        ),
        (types_pb2.LiteralType(enum_type=types_pb2.EnumType(values=["RED", "BLUE"])), string("RED")),
        (
            types_pb2.LiteralType(blob=types_pb2.BlobType(format="csv")),
            literals_pb2.Literal(
                scalar=literals_pb2.Scalar(
                    blob=literals_pb2.Blob(
                        uri="s3://b/f.csv", metadata=literals_pb2.BlobMetadata(type=types_pb2.BlobType(format=""))
                    )
                )
            ),
        ),
        (
            types_pb2.LiteralType(structured_dataset_type=types_pb2.StructuredDatasetType(format="parquet")),
            literals_pb2.Literal(
                scalar=literals_pb2.Scalar(structured_dataset=literals_pb2.StructuredDataset(uri="s3://x"))
            ),
        ),
        (STRUCT, _struct_default({"a": 1})),
        (STRUCT, _msgpack_default({"a": 1})),
    ],
)
def test_defaults_of_every_kind_are_accepted(
    ctx: AdminContext, lps: LaunchPlanManager, declared: types_pb2.LiteralType, default: literals_pb2.Literal
) -> None:
    add_workflow(ctx, "typed", _interface({"x": declared}))
    create(lps, spec("typed", default_inputs=_defaults(x=param(declared, default))))
    assert get(lps).closure.expected_inputs.parameters["x"].default == default


@pytest.mark.parametrize(
    ("declared", "default"),
    [
        (types_pb2.LiteralType(collection_type=INT), _collection(string("a"))),
        (
            types_pb2.LiteralType(map_value_type=INT),
            literals_pb2.Literal(map=literals_pb2.LiteralMap(literals={"k": string("v")})),
        ),
        (
            types_pb2.LiteralType(blob=types_pb2.BlobType(format="csv")),
            literals_pb2.Literal(
                scalar=literals_pb2.Scalar(
                    blob=literals_pb2.Blob(
                        uri="s3://x", metadata=literals_pb2.BlobMetadata(type=types_pb2.BlobType(format="parquet"))
                    )
                )
            ),
        ),
        (types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=[INT, FLOAT])), string("x")),
        (INT, literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))),
    ],
)
def test_defaults_of_the_wrong_type_are_refused(
    ctx: AdminContext, lps: LaunchPlanManager, declared: types_pb2.LiteralType, default: literals_pb2.Literal
) -> None:
    add_workflow(ctx, "typed", _interface({"x": declared}))
    err = create_error(lps, spec("typed", default_inputs=_defaults(x=param(declared, default))))
    assert err.message.startswith("Type mismatch for Parameter x in default_inputs has type ")


# --- cron ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *",
        "*/5 * * * *",
        "0 10 * * MON-FRI",
        "0 0 1,15 * ?",
        "0 0 * jan-mar sun",
        "5/15 3-5 * * *",
        "@hourly",
        "@daily",
        "@annually",
        "@every 1h30m",
        "@every 90s",
        "TZ=UTC 0 0 * * *",
        "CRON_TZ=Europe/Paris @daily",
    ],
)
def test_cron_accepts(expression: str) -> None:
    parse_standard(expression)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* 24 * * *", "end of range (24) above maximum (23): 24"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * * 13 *", "end of range (13) above maximum (12): 13"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("*/2/3 * * * *", "too many slashes: */2/3"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("@sometimes", "unrecognized descriptor: @sometimes"),
        ("@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'),
        ("TZ=Nowhere/Land * * * * *", "provided bad location Nowhere/Land: unknown time zone Nowhere/Land"),
    ],
)
def test_cron_rejects(expression: str, message: str) -> None:
    with pytest.raises(CronError) as info:
        parse_standard(expression)
    assert str(info.value) == message
