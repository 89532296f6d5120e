"""Launch plans: create, get, activate/deactivate, list (Flyte Admin's
``flyteadmin/pkg/manager/impl/launch_plan_manager.go``).

A launch plan version is immutable except for its state. Registration stores it INACTIVE; UpdateLaunchPlan makes one
version ACTIVE and, in the same transaction, every other version of that name INACTIVE, so at most one version of a
(project, domain, name) is ever active.
"""

from __future__ import annotations

from flyteidl.admin import common_pb2, launch_plan_pb2
from flyteidl.core import identifier_pb2, interface_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import (
    check_project_and_domain,
    id_text,
    require,
    validate_identifier,
    validate_limit,
    validate_named_identifier,
    validate_resource_list_request,
)
from flyteplane.admin.domain.validation.launch_plans import validate_activation, validate_spec
from flyteplane.admin.errors import invalid_argument, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store.projects import ProjectRepository
from flyteplane.admin.store.registry import LaunchPlanRepository, WorkflowRepository

__all__ = ["LaunchPlanManager", "build_launch_plan"]

_ACTIVE = launch_plan_pb2.ACTIVE
_INACTIVE = launch_plan_pb2.INACTIVE


def build_launch_plan(
    ident: identifier_pb2.Identifier, spec: launch_plan_pb2.LaunchPlanSpec, interface: interface_pb2.TypedInterface
) -> launch_plan_pb2.LaunchPlan:
    """The launch plan Flyte Admin stores for ``spec`` of a workflow with ``interface``, after checking the spec:
    the full expected-input map (every workflow input that is not fixed) replaces the spec's defaults and is the
    closure's expected inputs; the workflow's outputs are its expected outputs."""
    expected_inputs = validate_spec(spec, interface)
    final_spec = launch_plan_pb2.LaunchPlanSpec()
    final_spec.CopyFrom(spec)
    final_spec.default_inputs.CopyFrom(expected_inputs)
    plan = launch_plan_pb2.LaunchPlan(id=ident, spec=final_spec)
    plan.closure.expected_inputs.CopyFrom(expected_inputs)
    if interface.HasField("outputs"):
        plan.closure.expected_outputs.CopyFrom(interface.outputs)
    return plan


class LaunchPlanManager:
    """Registers launch plans, switches their active version and answers launch plan reads."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._launch_plans = LaunchPlanRepository(ctx.store)
        self._workflows = WorkflowRepository(ctx.store)
        self._projects = ProjectRepository(ctx.store)

    # --- CreateLaunchPlan --------------------------------------------------------------------------------------

    def create_launch_plan(
        self, request: launch_plan_pb2.LaunchPlanCreateRequest
    ) -> launch_plan_pb2.LaunchPlanCreateResponse:
        spec = request.spec
        has_workflow_id = request.HasField("spec") and spec.HasField("workflow_id")
        validate_identifier(spec.workflow_id, has_workflow_id, identifier_pb2.WORKFLOW)
        workflow = self._workflows.get_interface(spec.workflow_id)
        if workflow is None:
            raise not_found(reg.missing_entity("WORKFLOW", spec.workflow_id))
        validate_identifier(request.id, request.HasField("id"), identifier_pb2.LAUNCH_PLAN)
        project_state = self._projects.state(request.id.project)
        check_project_and_domain(request.id.project, request.id.domain, project_state, self._ctx.config.domains)
        plan = build_launch_plan(request.id, spec, workflow.entity)
        reg.check_entity_size("launch plan", request.id, plan, self._ctx.config.max_entity_bytes)

        version_digest = reg.digest(plan)
        existing = self._launch_plans.create(plan, workflow_row_id=workflow.row_id, digest=version_digest, now=utcnow())
        # The digest covers the whole launch plan (id, spec, expected inputs and outputs), as Flyte Admin's does:
        # any other fixed input, schedule, label... is a different structure, reported with the spec's diff.
        reg.check_new_version(existing, request.id, kind="launch plan", digest=version_digest, structure=plan.spec)
        return launch_plan_pb2.LaunchPlanCreateResponse()

    # --- UpdateLaunchPlan --------------------------------------------------------------------------------------

    def update_launch_plan(
        self, request: launch_plan_pb2.LaunchPlanUpdateRequest
    ) -> launch_plan_pb2.LaunchPlanUpdateResponse:
        ident = reg.with_resource_type(request, identifier_pb2.LAUNCH_PLAN)
        if request.state == _INACTIVE:
            validate_identifier(ident, request.HasField("id"), identifier_pb2.LAUNCH_PLAN)
        elif request.state == _ACTIVE:
            # Flyte Admin does not validate the id on activation: an incomplete one is simply not found.
            if not request.HasField("id"):
                raise invalid_argument("missing id")
            plan = self._launch_plans.get(ident)
            if plan is None:
                raise not_found(reg.missing_entity("LAUNCH_PLAN", ident))
            validate_activation(plan.spec)
        else:
            raise invalid_argument(
                f"Unrecognized launch plan state {request.state} for update for launch plan [{id_text(ident)}]"
            )
        if not self._launch_plans.set_state(ident, request.state, utcnow()):
            raise not_found(reg.missing_entity("LAUNCH_PLAN", ident))
        return launch_plan_pb2.LaunchPlanUpdateResponse()

    # --- reads -----------------------------------------------------------------------------------------------------

    def get_launch_plan(self, request: common_pb2.ObjectGetRequest) -> launch_plan_pb2.LaunchPlan:
        ident = reg.with_resource_type(request, identifier_pb2.LAUNCH_PLAN)
        validate_identifier(ident, request.HasField("id"), identifier_pb2.LAUNCH_PLAN)
        plan = self._launch_plans.get(ident)
        if plan is None:
            raise not_found(reg.missing_entity("LAUNCH_PLAN", ident))
        return plan

    def get_active_launch_plan(self, request: launch_plan_pb2.ActiveLaunchPlanRequest) -> launch_plan_pb2.LaunchPlan:
        ident = request.id
        validate_named_identifier(ident)  # missing project/domain/name, as Flyte Admin; and lengths
        plan = self._launch_plans.get_active(ident.project, ident.domain, ident.name)
        if plan is None:
            raise not_found(f"No active launch plan could be found: {ident.project}:{ident.domain}:{ident.name}")
        return plan

    def list_launch_plans(self, request: common_pb2.ResourceListRequest) -> launch_plan_pb2.LaunchPlanList:
        validate_resource_list_request(request)
        plans, token = self._launch_plans.list(request, "ListLaunchPlans")
        return launch_plan_pb2.LaunchPlanList(launch_plans=plans, token=token)

    def list_active_launch_plans(
        self, request: launch_plan_pb2.ActiveLaunchPlanListRequest
    ) -> launch_plan_pb2.LaunchPlanList:
        require(request.project, "project")
        require(request.domain, "domain")
        validate_limit(request.limit)
        plans, token = self._launch_plans.list_active(request)
        return launch_plan_pb2.LaunchPlanList(launch_plans=plans, token=token)

    def list_launch_plan_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        # Unlike ListTaskIds/ListWorkflowIds, Flyte Admin validates nothing here: a zero limit fails in its
        # repository layer, and a bad token's message names no RPC. ``filters`` is ignored.
        if request.limit == 0:
            raise invalid_argument("missing and/or invalid parameters: limit")
        return self._launch_plans.list_names(request)
