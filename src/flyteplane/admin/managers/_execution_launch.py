"""CreateExecution's pipeline, shared by CreateExecution, RelaunchExecution, RecoverExecution and the engine's child
launches (Flyte Admin's ``flyteadmin/pkg/manager/impl/execution_manager.go``; Flyte Admin's
``launchExecutionAndPrepareModel``).

:meth:`ExecutionCreator.create` validates the request, resolves what runs (a launch plan and its workflow, or a
task through its ``.flytegen`` workflow and launch plan), checks the inputs, resolves the execution settings
(request -> launch plan -> matchable WORKFLOW_EXECUTION_CONFIG -> server defaults), offloads the inputs to the
blob store and inserts the ``executions`` row (phase UNDEFINED) and its ``execution_tags``. It returns what the
workflow engine needs to start the run; handing it over is the caller's job, after the row exists, because the
engine reports the run's progress against that row.

Two specs come out of it. The *stored* spec is what Flyte Admin stores and GetExecution returns: the request's
spec with the principal, the system metadata, the resolved security context (and, for launch plans, the resolved
max parallelism). The *effective* spec is what the engine runs with: the stored spec plus every resolved setting
(labels merged with the launch plan's and the project's, annotations, environment variables, raw output location,
interruptible, overwrite cache), as Flyte Admin hands them to propeller in the workflow's custom resource.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any, cast

import grpc
from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, matchable_resource_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2, security_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.names import execution_name, namespace_of
from flyteplane.admin.domain.times import timestamp, utcnow
from flyteplane.admin.domain.validation.common import check_project_and_domain
from flyteplane.admin.domain.validation.executions import check_and_fetch_inputs, validate_create_request
from flyteplane.admin.engine.port import RunRequest
from flyteplane.admin.errors import AdminError, already_exists, invalid_argument, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.managers._flytegen import SingleTaskWorkflows
from flyteplane.admin.managers.attributes import merge_into_exec_config
from flyteplane.admin.managers.run_data import offload_literal_map
from flyteplane.admin.store import schema
from flyteplane.admin.store.attributes import resolve
from flyteplane.admin.store.db import Tx
from flyteplane.admin.store.executions import (
    DuplicateExecution,
    ExecutionChange,
    ExecutionRepository,
    NewExecution,
)
from flyteplane.admin.store.node_executions import NodeExecutionRepository, missing_node_execution
from flyteplane.admin.store.projects import ProjectRepository
from flyteplane.admin.store.registry import LaunchPlanRepository, WorkflowRepository
from flyteplane.admin.store.registry_rows import identifier_of

__all__ = ["DuplicateExecution", "ExecutionCreator"]

_LP = schema.launch_plans
Mode = execution_pb2.ExecutionMetadata
Phase = core_execution_pb2.WorkflowExecution
WorkflowExecutionConfig = matchable_resource_pb2.WorkflowExecutionConfig


@dataclass
class _Target:
    """What an execution runs, as resolved from its launch plan or task reference."""

    launch_plan: launch_plan_pb2.LaunchPlan
    workflow_id: identifier_pb2.Identifier
    workflow_row_id: int
    compiled: compiler_pb2.CompiledWorkflowClosure
    launch_plan_row_id: int | None
    task_row_id: int | None

    @property
    def is_task(self) -> bool:
        return self.task_row_id is not None


class ExecutionCreator:
    """Creates execution rows the way Flyte Admin's CreateExecution does.

    ``single_tasks`` finds or registers the generated workflow and launch plan of a task run on its own.
    """

    def __init__(self, ctx: AdminContext, *, single_tasks: SingleTaskWorkflows) -> None:
        self._ctx = ctx
        self._single_tasks = single_tasks
        self._executions = ExecutionRepository(ctx.store)
        self._nodes = NodeExecutionRepository(ctx.store)
        self._projects = ProjectRepository(ctx.store)
        self._launch_plans = LaunchPlanRepository(ctx.store)
        self._workflows = WorkflowRepository(ctx.store)

    def create(
        self, request: execution_pb2.ExecutionCreateRequest, *, source_execution_row_id: int | None = None
    ) -> RunRequest:
        """Create the execution ``request`` describes (CreateExecution has already moved deprecated ``spec.inputs``
        into ``inputs`` when ``inputs`` was empty).

        ``source_execution_row_id`` (relaunch, recover) is recorded as ``source_execution_id``, replacing the one a
        child execution inherits. Raises AdminError with Flyte Admin's code and message on every failure;
        :class:`DuplicateExecution` when the name is taken.
        """
        ctx = self._ctx
        domains = ctx.config.domains
        validate_create_request(
            request,
            lambda project, domain: check_project_and_domain(project, domain, self._projects.state(project), domains),
        )
        target, inputs = self._target(request)
        execution_id = identifier_pb2.WorkflowExecutionIdentifier(
            project=request.project, domain=request.domain, name=execution_name(request.name)
        )

        spec = execution_pb2.ExecutionSpec()
        spec.CopyFrom(request.spec)
        spec.metadata.principal = ""  # the authenticated user; there is no authentication here
        if not target.is_task:
            del spec.metadata.artifact_ids[:]
        with ctx.store.read() as tx:
            parent_node_row_id, source_row_id = self._inherit(tx, spec)
            config = _execution_config(ctx, tx, request, None if target.is_task else target.launch_plan)
            cluster_assignment = _cluster_assignment(tx, request)
        project_labels = self._project_labels(request.project)
        if source_execution_row_id is not None:
            source_row_id = source_execution_row_id

        notifications = _notifications(spec, target.launch_plan)
        if not target.is_task:  # Flyte Admin writes the resolved value back only on the launch plan path
            spec.max_parallelism = config.max_parallelism
        spec.metadata.system_metadata.CopyFrom(
            execution_pb2.SystemMetadata(execution_cluster="", namespace=namespace_of(request.project, request.domain))
        )
        spec.security_context.CopyFrom(config.security_context)
        effective = _effective_spec(spec, config, target, project_labels)
        effective.ClearField("cluster_assignment")
        if cluster_assignment is not None:
            effective.cluster_assignment.CopyFrom(cluster_assignment)

        now = utcnow()
        closure = execution_pb2.ExecutionClosure(
            phase=Phase.UNDEFINED,  # until the engine reports QUEUED
            notifications=notifications,
            workflow_id=target.workflow_id,
        )
        closure.created_at.CopyFrom(timestamp(now))
        closure.updated_at.CopyFrom(timestamp(now))
        closure.state_change_details.state = execution_pb2.EXECUTION_ACTIVE
        closure.state_change_details.principal = spec.metadata.principal
        closure.state_change_details.occurred_at.CopyFrom(timestamp(now))

        self._insert(
            execution_id,
            spec,
            closure,
            target,
            inputs,
            request.inputs,
            now=now,
            parent_node_row_id=parent_node_row_id,
            source_row_id=source_row_id,
        )
        metadata = spec.metadata
        recover_from = None
        if metadata.mode == Mode.RECOVERED and metadata.HasField("reference_execution"):
            recover_from = identifier_pb2.WorkflowExecutionIdentifier()
            recover_from.CopyFrom(metadata.reference_execution)
        return RunRequest(execution_id, target.compiled, inputs, effective, recover_from)

    # --- what runs -----------------------------------------------------------------------------------------------

    def _target(self, request: execution_pb2.ExecutionCreateRequest) -> tuple[_Target, literals_pb2.LiteralMap]:
        """What runs, and the inputs it runs with, checked in Flyte Admin's order: for a task, its generated
        workflow and launch plan first; for a launch plan, the inputs before the workflow (a bad input wins over a
        missing workflow)."""
        reference = request.spec.launch_plan
        if reference.resource_type == identifier_pb2.TASK:
            entities = self._single_tasks.get_or_create(reference, request.spec)
            target = _Target(
                launch_plan=entities.launch_plan,
                workflow_id=entities.workflow_id,
                workflow_row_id=entities.workflow_row_id,
                compiled=entities.compiled,
                launch_plan_row_id=None,
                task_row_id=entities.task_row_id,
            )
            return target, _inputs(request, target.launch_plan)
        with self._ctx.store.read() as tx:
            stored_plan = self._launch_plans.get_stored_in(tx, reference)
            if stored_plan is None:
                raise not_found(reg.missing_entity("LAUNCH_PLAN", reference))
            plan = stored_plan.entity
            inputs = _inputs(request, plan)
            workflow_ref = plan.spec.workflow_id
            workflow = self._workflows.get_stored_in(tx, workflow_ref)
        if workflow is None:
            raise not_found(reg.missing_entity("WORKFLOW", workflow_ref))
        target = _Target(
            launch_plan=plan,
            workflow_id=identifier_of(workflow_ref, identifier_pb2.WORKFLOW),
            workflow_row_id=workflow.row_id,
            compiled=workflow.entity.closure.compiled_workflow,
            launch_plan_row_id=stored_plan.row_id,
            task_row_id=None,
        )
        return target, inputs

    # --- the row -------------------------------------------------------------------------------------------------

    def _insert(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        spec: execution_pb2.ExecutionSpec,
        closure: execution_pb2.ExecutionClosure,
        target: _Target,
        inputs: literals_pb2.LiteralMap,
        user_inputs: literals_pb2.LiteralMap,
        *,
        now: _dt.datetime,
        parent_node_row_id: int | None,
        source_row_id: int | None,
    ) -> None:
        """Offload the inputs and insert the row and its tags, in one write transaction.

        The name is checked first, inside the transaction, so a duplicate request never overwrites the inputs of
        the execution that owns the name (Flyte Admin offloads before its insert fails).
        """
        parts = (execution_id.project, execution_id.domain, execution_id.name)
        with self._ctx.store.begin() as tx:
            if self._executions.exists(tx, execution_id):
                raise DuplicateExecution()
            if not target.is_task and target.launch_plan.spec.HasField("concurrency_policy"):
                self._check_concurrency(tx, target.launch_plan)
            self._executions.create(
                tx,
                NewExecution(
                    execution_id=execution_id,
                    spec=spec,
                    closure=closure,
                    launch_plan_row_id=target.launch_plan_row_id,
                    workflow_row_id=target.workflow_row_id,
                    task_row_id=target.task_row_id,
                    inputs_uri=offload_literal_map(self._ctx, (*parts, "inputs"), inputs),
                    user_inputs_uri=offload_literal_map(self._ctx, (*parts, "user_inputs"), user_inputs),
                    source_row_id=source_row_id,
                    parent_node_row_id=parent_node_row_id,
                    created_at=now,
                    tags=_tags(spec),
                ),
            )

    def fail(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, error: BaseException) -> None:
        """Record that the engine refused the execution: phase FAILED with the error, as Flyte Admin creates the
        row when handing the workflow to propeller fails."""
        if isinstance(error, AdminError):
            code = error.code
            failure = _execution_error(code, error.message)
        else:
            failure = _execution_error(grpc.StatusCode.UNKNOWN, str(error) or type(error).__name__)
        with self._ctx.store.begin() as tx:
            record = self._executions.get_for_update(tx, execution_id)
            if record is None:
                return
            closure = record.closure
            closure.phase = Phase.FAILED
            closure.error.CopyFrom(failure)
            # Only the phase and the closure: Flyte Admin's row of a refused workflow keeps its creation times.
            self._executions.update(tx, record.row_id, ExecutionChange(closure=closure, phase="FAILED"))

    # --- what the row records beyond the request -------------------------------------------------------------------

    def _inherit(self, tx: Tx, spec: execution_pb2.ExecutionSpec) -> tuple[int | None, int | None]:
        """Flyte Admin's getInheritedExecMetadata, for executions launched by a node of another execution: the
        parent node execution's and the parent execution's row ids; the principal and cluster label are inherited
        and the nesting is the parent's plus one."""
        metadata = spec.metadata
        if not metadata.HasField("parent_node_execution"):
            return None, None
        parent = metadata.parent_node_execution
        node_row_id = self._nodes.find_id(tx, parent)
        if node_row_id is None:
            raise missing_node_execution(parent)
        source = self._executions.get_stored(tx, parent.execution_id)
        source_spec = source.execution.spec
        metadata.principal = source.user
        metadata.nesting = source_spec.metadata.nesting + 1 if source_spec.HasField("metadata") else 1
        if source_spec.HasField("execution_cluster_label"):
            spec.execution_cluster_label.CopyFrom(source_spec.execution_cluster_label)
        return node_row_id, source.row_id

    def _project_labels(self, project: str) -> dict[str, str]:
        """The project's labels (every execution of a project carries them; the request's and launch plan's win)."""
        with self._ctx.store.read() as tx:
            return self._projects.labels_in(tx, project)

    def _check_concurrency(self, tx: Tx, plan: launch_plan_pb2.LaunchPlan) -> None:
        """The launch plan's concurrency policy: with ``max`` executions of any of its versions QUEUED or RUNNING,
        SKIP answers ALREADY_EXISTS."""
        policy = plan.spec.concurrency_policy
        active = self._executions.count_active(tx, plan.id.project, plan.id.domain, plan.id.name)
        if active < policy.max:
            return
        if policy.behavior == launch_plan_pb2.CONCURRENCY_LIMIT_BEHAVIOR_SKIP:
            raise already_exists(
                f"concurrency limit ({policy.max}) reached for launch plan {plan.id.name}; skipping execution"
            )
        if policy.behavior != launch_plan_pb2.CONCURRENCY_LIMIT_BEHAVIOR_UNSPECIFIED:
            raise AdminError(grpc.StatusCode.INTERNAL, f"unsupported concurrency-limit behavior: {policy.behavior}")


def _inputs(request: execution_pb2.ExecutionCreateRequest, plan: launch_plan_pb2.LaunchPlan) -> literals_pb2.LiteralMap:
    return check_and_fetch_inputs(request.inputs, plan.spec.fixed_inputs, plan.closure.expected_inputs)


def _execution_error(code: grpc.StatusCode, message: str) -> core_execution_pb2.ExecutionError:
    kind = (
        core_execution_pb2.ExecutionError.USER
        if code == grpc.StatusCode.INVALID_ARGUMENT
        else core_execution_pb2.ExecutionError.SYSTEM
    )
    return core_execution_pb2.ExecutionError(code=_go_code_name(code), message=message, kind=kind)


_GO_CODE_NAMES = {
    "OK": "OK",
    "CANCELLED": "Canceled",
    "UNKNOWN": "Unknown",
    "INVALID_ARGUMENT": "InvalidArgument",
    "DEADLINE_EXCEEDED": "DeadlineExceeded",
    "NOT_FOUND": "NotFound",
    "ALREADY_EXISTS": "AlreadyExists",
    "PERMISSION_DENIED": "PermissionDenied",
    "RESOURCE_EXHAUSTED": "ResourceExhausted",
    "FAILED_PRECONDITION": "FailedPrecondition",
    "ABORTED": "Aborted",
    "OUT_OF_RANGE": "OutOfRange",
    "UNIMPLEMENTED": "Unimplemented",
    "INTERNAL": "Internal",
    "UNAVAILABLE": "Unavailable",
    "DATA_LOSS": "DataLoss",
    "UNAUTHENTICATED": "Unauthenticated",
}


def _go_code_name(code: grpc.StatusCode) -> str:
    """A status code as Go's ``codes.Code.String()`` spells it (``InvalidArgument``), as Flyte Admin writes it
    into ``closure.error.code`` when an execution cannot be handed to the workflow engine."""
    return _GO_CODE_NAMES.get(code.name, "Unknown")


# --- pieces of the pipeline ------------------------------------------------------------------------------------------


def _auth_role(request: execution_pb2.ExecutionCreateRequest, plan: launch_plan_pb2.LaunchPlan | None) -> Any:
    """Flyte Admin's resolveAuthRole: the request's, else the launch plan's (from its deprecated fields)."""
    if request.spec.HasField("auth_role"):
        return request.spec.auth_role
    if plan is None:
        return common_pb2.AuthRole()
    lp_spec = plan.spec
    if lp_spec.HasField("auth_role"):
        return lp_spec.auth_role
    if lp_spec.HasField("auth"):
        return common_pb2.AuthRole(
            assumable_iam_role=lp_spec.auth.assumable_iam_role,
            kubernetes_service_account=lp_spec.auth.kubernetes_service_account,
        )
    if lp_spec.role:
        return common_pb2.AuthRole(assumable_iam_role=lp_spec.role)
    return common_pb2.AuthRole()


def _execution_config(
    ctx: AdminContext,
    tx: Tx,
    request: execution_pb2.ExecutionCreateRequest,
    plan: launch_plan_pb2.LaunchPlan | None,
) -> Any:
    """Flyte Admin's getExecutionConfig: each setting from the first level that sets it — the request, the launch
    plan, the most specific matchable WORKFLOW_EXECUTION_CONFIG, the project's, then the server's defaults.

    The security context falls back to the (deprecated) auth role, and is never absent in the result."""
    # The specs have every field a WorkflowExecutionConfig has, under the same names, which is all the merge reads.
    config = merge_into_exec_config(WorkflowExecutionConfig(), cast(Any, request.spec))
    workflow_name = ""
    if plan is not None:
        config = merge_into_exec_config(config, cast(Any, plan.spec))
        workflow_name = plan.spec.workflow_id.name
    wec_type = matchable_resource_pb2.WORKFLOW_EXECUTION_CONFIG
    for scope in ((request.domain, workflow_name), ("", "")):
        matched = resolve(tx, wec_type, request.project, *scope)
        if matched is not None and matched.HasField("workflow_execution_config"):
            config = merge_into_exec_config(config, matched.workflow_execution_config)

    role = _auth_role(request, plan)
    if not config.HasField("security_context") and (role.kubernetes_service_account or role.assumable_iam_role):
        config.security_context.CopyFrom(
            security_pb2.SecurityContext(
                run_as=security_pb2.Identity(
                    iam_role=role.assumable_iam_role, k8s_service_account=role.kubernetes_service_account
                )
            )
        )
    config = merge_into_exec_config(config, WorkflowExecutionConfig(max_parallelism=ctx.config.max_parallelism))
    config.security_context.run_as.SetInParent()  # present, even when empty: downstream expects one
    return config


def _go_quote(value: str) -> str:
    """Go's ``%q`` for the strings of a message (printable text; escapes for quotes and backslashes)."""
    return json.dumps(value, ensure_ascii=False)


def _cluster_assignment(tx: Tx, request: execution_pb2.ExecutionCreateRequest) -> Any:
    """Flyte Admin's getClusterAssignment: the project-domain's CLUSTER_ASSIGNMENT unless the request names a pool;
    a request for another pool than the configured one is refused."""
    matched = resolve(tx, matchable_resource_pb2.CLUSTER_ASSIGNMENT, request.project, request.domain)
    stored = matched.cluster_assignment if matched is not None and matched.HasField("cluster_assignment") else None
    requested = request.spec.cluster_assignment.cluster_pool_name
    stored_pool = stored.cluster_pool_name if stored is not None else ""
    if not requested:
        return stored
    if not stored_pool:
        return request.spec.cluster_assignment
    if requested != stored_pool:
        raise invalid_argument(
            f"execution with project {_go_quote(request.project)} and domain {_go_quote(request.domain)} cannot run "
            f"on cluster pool {_go_quote(requested)}, because its configured to run on pool {_go_quote(stored_pool)}"
        )
    return stored


def _notifications(spec: execution_pb2.ExecutionSpec, plan: launch_plan_pb2.LaunchPlan) -> list[Any]:
    """The request's notifications if it has any; none if it disables them all; else the launch plan's."""
    if spec.notifications.notifications:
        return list(spec.notifications.notifications)
    if spec.disable_all:
        return []
    return list(plan.spec.entity_metadata.notifications)


def _effective_spec(
    spec: execution_pb2.ExecutionSpec,
    config: Any,
    target: _Target,
    project_labels: dict[str, str],
) -> execution_pb2.ExecutionSpec:
    """The settings the run uses (what Flyte Admin puts into the workflow's custom resource)."""
    effective = execution_pb2.ExecutionSpec()
    effective.CopyFrom(spec)
    effective.ClearField("inputs")
    labels = dict(config.labels.values) if config.labels.values else {}
    if not labels and not target.is_task:
        labels = dict(target.launch_plan.spec.labels.values)
    for key, value in project_labels.items():
        labels.setdefault(key, value)
    effective.labels.values.clear()
    effective.labels.values.update(labels)
    annotations = dict(config.annotations.values)
    if not annotations and not target.is_task:
        annotations = dict(target.launch_plan.spec.annotations.values)
    effective.annotations.values.clear()
    effective.annotations.values.update(annotations)
    effective.max_parallelism = config.max_parallelism
    effective.security_context.CopyFrom(config.security_context)
    effective.ClearField("envs")
    if config.HasField("envs"):
        effective.envs.CopyFrom(config.envs)  # a list of key/value pairs, in the client's order
    if config.HasField("raw_output_data_config"):
        effective.raw_output_data_config.CopyFrom(config.raw_output_data_config)
    if config.HasField("interruptible"):
        effective.interruptible.CopyFrom(config.interruptible)
    effective.overwrite_cache = config.overwrite_cache
    del effective.execution_env_assignments[:]
    effective.execution_env_assignments.extend(config.execution_env_assignments)
    return effective


def _tags(spec: execution_pb2.ExecutionSpec) -> list[tuple[str, str]]:
    """The ``execution_tags`` rows: the request's labels (key, value) and its tags (tag, ""), each pair once (Flyte
    Admin would fail the whole creation on a repeated pair)."""
    pairs = sorted(spec.labels.values.items()) + [(tag, "") for tag in spec.tags]
    return list(dict.fromkeys(pairs))
