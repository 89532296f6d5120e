"""Launch plans: create, get, activate/deactivate, list (flyteadmin-semantics.md §2.3, §3, §4).

A launch plan version is immutable except for its state. Registration stores it INACTIVE; UpdateLaunchPlan makes one
version ACTIVE and, in the same transaction, every other version of that name INACTIVE, so at most one version of a
(project, domain, name) is ever active.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import common_pb2, launch_plan_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, types_pb2
from sqlalchemy import Select, bindparam, select, update

from flyteplane.admin.compiler import are_types_castable
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.cron import CronError, parse_standard
from flyteplane.admin.domain.literal_types import (
    defaults_equivalent,
    literal_type_for_literal,
    validate_literal_type,
)
from flyteplane.admin.domain.phases import WORKFLOW_TERMINAL
from flyteplane.admin.domain.times import MAX_SECONDS, MIN_SECONDS, utcnow
from flyteplane.admin.domain.validation.common import (
    id_text,
    require,
    validate_identifier,
    validate_labels,
    validate_limit,
    validate_project_and_domain,
)
from flyteplane.admin.errors import invalid_argument, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store import listing, schema

__all__ = ["LaunchPlanManager", "launch_plan_from_row"]

_LP = schema.launch_plans
_W = schema.workflows
_ACTIVE = launch_plan_pb2.ACTIVE
_INACTIVE = launch_plan_pb2.INACTIVE

_WORKFLOW = reg.by_key(_W, _W.c.id, _W.c.typed_interface)
_EXISTING = reg.by_key(_LP, _LP.c.digest, _LP.c.spec)
_ROW_COLUMNS = (
    _LP.c.project,
    _LP.c.domain,
    _LP.c.name,
    _LP.c.version,
    _LP.c.spec,
    _LP.c.closure,
    _LP.c.state,
    _LP.c.created_at,
    _LP.c.updated_at,
)
_GET = reg.by_key(_LP, *_ROW_COLUMNS)
_TARGET = reg.by_key(_LP, _LP.c.id, _LP.c.spec)
_GET_ACTIVE = (
    select(*_ROW_COLUMNS)
    .where(
        _LP.c.project == bindparam("p"),
        _LP.c.domain == bindparam("d"),
        _LP.c.name == bindparam("n"),
        _LP.c.state == _ACTIVE,
    )
    .limit(1)
)


def launch_plan_from_row(row: Any) -> launch_plan_pb2.LaunchPlan:
    """A ``launch_plans`` row as Flyte Admin returns it: state, created_at and updated_at come from the columns."""
    plan = launch_plan_pb2.LaunchPlan(id=reg.identifier_of(row, identifier_pb2.LAUNCH_PLAN))
    plan.spec.ParseFromString(row.spec)
    plan.closure.ParseFromString(row.closure)
    plan.closure.state = row.state or _INACTIVE
    plan.closure.created_at.CopyFrom(reg.timestamp(row.created_at))
    plan.closure.updated_at.CopyFrom(reg.timestamp(row.updated_at))
    return plan


def schedule_type(spec: launch_plan_pb2.LaunchPlanSpec) -> str:
    """The ``schedule_type`` column: CRON, RATE or NONE (clients filter on it: ``eq(schedule_type,CRON)``)."""
    schedule = spec.entity_metadata.schedule
    if schedule.cron_expression or schedule.HasField("cron_schedule"):
        return "CRON"
    if schedule.HasField("rate"):
        return "RATE"
    return "NONE"


class LaunchPlanManager:
    """Registers launch plans, switches their active version and answers launch plan reads."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    # --- CreateLaunchPlan --------------------------------------------------------------------------------------

    def create_launch_plan(
        self, request: launch_plan_pb2.LaunchPlanCreateRequest
    ) -> launch_plan_pb2.LaunchPlanCreateResponse:
        spec = request.spec
        has_workflow_id = request.HasField("spec") and spec.HasField("workflow_id")
        validate_identifier(spec.workflow_id, has_workflow_id, identifier_pb2.WORKFLOW)
        with self._ctx.store.read() as conn:
            workflow = conn.execute(_WORKFLOW, reg.key_params(spec.workflow_id)).first()
            if workflow is None:
                raise not_found(reg.missing_entity("WORKFLOW", spec.workflow_id))
            validate_identifier(request.id, request.HasField("id"), identifier_pb2.LAUNCH_PLAN)
            validate_project_and_domain(self._ctx, conn, request.id.project, request.id.domain)
        interface = interface_pb2.TypedInterface.FromString(workflow.typed_interface or b"")
        expected_inputs = _validate_spec(spec, interface)

        final_spec = launch_plan_pb2.LaunchPlanSpec()
        final_spec.CopyFrom(spec)
        final_spec.default_inputs.CopyFrom(expected_inputs)  # the full expected-input map replaces the defaults
        plan = launch_plan_pb2.LaunchPlan(id=request.id, spec=final_spec)
        plan.closure.expected_inputs.CopyFrom(expected_inputs)
        if interface.HasField("outputs"):
            plan.closure.expected_outputs.CopyFrom(interface.outputs)

        kind = schedule_type(final_spec)
        reg.register_version(
            self._ctx.store,
            _LP,
            _EXISTING,
            request.id,
            {
                "spec": final_spec.SerializeToString(),
                "workflow_id": workflow.id,
                "closure": plan.closure.SerializeToString(),
                "state": _INACTIVE,
                "schedule_type": kind,
                "launch_condition_type": "SCHED" if kind != "NONE" else None,
            },
            kind="launch plan",
            now=utcnow(),
            structure=final_spec,
            stored_structure=lambda row: launch_plan_pb2.LaunchPlanSpec.FromString(row.spec),
            digest_of=plan,
            # Flyte Admin 1.16 reports a launch plan whose default inputs are all equal (byte for byte, or the same
            # dataclass as Struct vs MessagePack) as identical, whatever else differs (errors.IsSameDCFormat).
            same_structure=_same_default_inputs,
        )
        return launch_plan_pb2.LaunchPlanCreateResponse()

    # --- UpdateLaunchPlan --------------------------------------------------------------------------------------

    def update_launch_plan(
        self, request: launch_plan_pb2.LaunchPlanUpdateRequest
    ) -> launch_plan_pb2.LaunchPlanUpdateResponse:
        ident = reg.with_resource_type(request, identifier_pb2.LAUNCH_PLAN)
        if request.state == _INACTIVE:
            validate_identifier(ident, request.HasField("id"), identifier_pb2.LAUNCH_PLAN)
            self._set_state(ident, _INACTIVE)
        elif request.state == _ACTIVE:
            # Flyte Admin does not validate the id on activation: an incomplete one is simply not found.
            if not request.HasField("id"):
                raise invalid_argument("missing id")
            self._set_state(ident, _ACTIVE)
        else:
            raise invalid_argument(
                f"Unrecognized launch plan state {request.state} for update for launch plan [{id_text(ident)}]"
            )
        return launch_plan_pb2.LaunchPlanUpdateResponse()

    def _set_state(self, ident: identifier_pb2.Identifier, state: int) -> None:
        now = utcnow()
        with self._ctx.store.begin() as conn:
            target = conn.execute(_TARGET, reg.key_params(ident)).first()
            if target is None:
                raise not_found(reg.missing_entity("LAUNCH_PLAN", ident))
            if state == _ACTIVE:
                # The previously active version (if any) is deactivated in the same transaction.
                conn.execute(
                    update(_LP)
                    .where(
                        _LP.c.project == ident.project,
                        _LP.c.domain == ident.domain,
                        _LP.c.name == ident.name,
                        _LP.c.state == _ACTIVE,
                        _LP.c.id != target.id,
                    )
                    .values(state=_INACTIVE, updated_at=now)
                )
            conn.execute(update(_LP).where(_LP.c.id == target.id).values(state=state, updated_at=now))

    # --- reads -----------------------------------------------------------------------------------------------------

    def get_launch_plan(self, request: common_pb2.ObjectGetRequest) -> launch_plan_pb2.LaunchPlan:
        ident = reg.with_resource_type(request, identifier_pb2.LAUNCH_PLAN)
        validate_identifier(ident, request.HasField("id"), identifier_pb2.LAUNCH_PLAN)
        with self._ctx.store.read() as conn:
            row = conn.execute(_GET, reg.key_params(ident)).first()
        if row is None:
            raise not_found(reg.missing_entity("LAUNCH_PLAN", ident))
        return launch_plan_from_row(row)

    def get_active_launch_plan(self, request: launch_plan_pb2.ActiveLaunchPlanRequest) -> launch_plan_pb2.LaunchPlan:
        ident = request.id
        require(ident.project, "project")
        require(ident.domain, "domain")
        require(ident.name, "name")
        with self._ctx.store.read() as conn:
            row = conn.execute(_GET_ACTIVE, {"p": ident.project, "d": ident.domain, "n": ident.name}).first()
        if row is None:
            raise not_found(f"No active launch plan could be found: {ident.project}:{ident.domain}:{ident.name}")
        return launch_plan_from_row(row)

    def list_launch_plans(self, request: common_pb2.ResourceListRequest) -> launch_plan_pb2.LaunchPlanList:
        rows, token = reg.list_versions(self._ctx.store, request, _LP, "launch_plan", _ROW_COLUMNS, "ListLaunchPlans")
        return launch_plan_pb2.LaunchPlanList(launch_plans=[launch_plan_from_row(r) for r in rows], token=token)

    def list_active_launch_plans(
        self, request: launch_plan_pb2.ActiveLaunchPlanListRequest
    ) -> launch_plan_pb2.LaunchPlanList:
        require(request.project, "project")
        require(request.domain, "domain")
        validate_limit(request.limit)
        ids: Select[Any] = select(_LP.c.id).where(
            _LP.c.project == request.project, _LP.c.domain == request.domain, _LP.c.state == _ACTIVE
        )
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), "launch_plan")
        with self._ctx.store.read() as conn:
            rows, token = reg.page_rows(
                conn, _LP, ids, _ROW_COLUMNS, request.limit, request.token, "ListActiveLaunchPlans"
            )
        return launch_plan_pb2.LaunchPlanList(launch_plans=[launch_plan_from_row(r) for r in rows], token=token)

    def list_launch_plan_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        # Unlike ListTaskIds/ListWorkflowIds, Flyte Admin validates nothing here: a zero limit fails in its
        # repository layer, and a bad token's message names no RPC. ``filters`` is ignored.
        if request.limit == 0:
            raise invalid_argument("missing and/or invalid parameters: limit")
        offset = listing.parse_token(request.token, "")
        query = reg.identifier_query(_LP, request.project, request.domain)
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "launch_plan")
        with self._ctx.store.read() as conn:
            rows = conn.execute(query.limit(request.limit).offset(offset)).all()
        token = listing.next_token(offset, len(rows), request.limit)
        return common_pb2.NamedEntityIdentifierList(entities=reg.named_identifiers(rows), token=token)


# --- validation (Flyte Admin's launch_plan_validator.go, in its order) ------------------------------------------------


def _validate_spec(
    spec: launch_plan_pb2.LaunchPlanSpec, interface: interface_pb2.TypedInterface
) -> interface_pb2.ParameterMap:
    """Check the spec against the workflow's interface; returns the expected inputs (what a launch must or may
    supply: every workflow input that is not fixed)."""
    validate_labels(spec.labels)
    _validate_fixed_inputs(spec.fixed_inputs)
    _validate_default_inputs(spec.default_inputs)
    expected = _expected_inputs(interface.inputs, spec.fixed_inputs, spec.default_inputs)
    _validate_schedule(spec, expected)
    if spec.HasField("entity_metadata"):
        _validate_notifications(spec.entity_metadata.notifications)
        if spec.entity_metadata.HasField("launch_conditions"):
            raise invalid_argument(
                f"Launch condition must be empty, found {reg.go_text(spec.entity_metadata.launch_conditions)}"
            )
    return expected


def _check_datetime(literal: literals_pb2.Literal) -> None:
    """A datetime literal must hold a representable instant (protobuf's Timestamp.CheckValid)."""
    value = literal.scalar.primitive.datetime
    text = reg.go_text(value)
    if value.seconds < MIN_SECONDS:
        raise invalid_argument(f"timestamp ({text}) before 0001-01-01")
    if value.seconds > MAX_SECONDS:
        raise invalid_argument(f"timestamp ({text}) after 9999-12-31")
    if not 0 <= value.nanos < 1_000_000_000:
        raise invalid_argument(f"timestamp ({text}) has out-of-range nanos")


def _is_datetime(literal: literals_pb2.Literal) -> bool:
    return (
        literal.WhichOneof("value") == "scalar"
        and literal.scalar.WhichOneof("value") == "primitive"
        and literal.scalar.primitive.WhichOneof("value") == "datetime"
    )


def _validate_fixed_inputs(fixed: literals_pb2.LiteralMap) -> None:
    for name in sorted(fixed.literals):
        literal = fixed.literals[name]
        if not name:
            raise invalid_argument("missing key in fixed_inputs")
        if literal.WhichOneof("value") is None:
            raise invalid_argument(f"missing valid literal in fixed_inputs {name}")
        if _is_datetime(literal):
            _check_datetime(literal)


def _validate_default_inputs(defaults: interface_pb2.ParameterMap) -> None:
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
                f"Registered type: [{reg.go_text(declared)}].\n"
                "Flyte needs to support the latest FlyteIDL to support this type.\n"
                "Suggested solution: Please update all of your Flyte images to the latest version and try again."
            )
        if not are_types_castable(default_type, declared):
            raise invalid_argument(
                f"Type mismatch for Parameter {name} in default_inputs has type {reg.go_text(declared)}, "
                f"expected {reg.go_text(default_type)}"
            )
        if declared.WhichOneof("type") == "simple" and declared.simple == types_pb2.DATETIME:
            _check_datetime(parameter.default)


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
                f"invalid default_input wrong type {name}, expected {reg.go_text(declared)}, "
                f"got {reg.go_text(wanted)} instead"
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
                f"invalid fixed_input wrong type {name}, expected {reg.go_text(wanted)}, "
                f"got {reg.go_text(actual)} instead"
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
                f"KickoffTimeInputArg must reference a datetime input. [{kickoff}] is a [{reg.go_text(declared)}]"
            )
    if schedule.HasField("cron_schedule"):
        # The native scheduler parses the expression with robfig/cron's standard parser.
        try:
            parse_standard(schedule.cron_schedule.schedule)
        except CronError as e:
            raise invalid_argument(f"Invalid cron expression: {e}") from None


def _validate_notifications(notifications: Any) -> None:
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


def _same_default_inputs(old: launch_plan_pb2.LaunchPlanSpec, new: launch_plan_pb2.LaunchPlanSpec) -> bool:
    old_params, new_params = old.default_inputs.parameters, new.default_inputs.parameters
    if set(old_params) != set(new_params):
        return False
    return all(defaults_equivalent(old_params[name], new_params[name]) for name in old_params)
