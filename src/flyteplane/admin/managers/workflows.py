"""Workflows: CreateWorkflow, GetWorkflow, ListWorkflows, ListWorkflowIds (Flyte Admin's
``flyteadmin/pkg/manager/impl/workflow_manager.go``).

Flyte Admin keeps a workflow's compiled closure in blob storage and only its interface in the database; the
embedded admin keeps the closure in the row (one transaction, nothing to lose between two stores) and records the
URI Flyte Admin would have used. GetWorkflow returns the full closure; ListWorkflows returns Flyte Admin's stub
closure (created_at and the interface only).
"""

from __future__ import annotations

from collections.abc import Iterable

from flyteidl.admin import common_pb2, launch_plan_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from flyteplane.admin import compiler
from flyteplane.admin.compiler import CompileError
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import timestamp, utcnow
from flyteplane.admin.domain.validation.common import (
    id_text,
    validate_create_request,
    validate_identifier,
    validate_identifier_list_request,
    validate_resource_list_request,
)
from flyteplane.admin.domain.validation.workflows import validate_workflow_limits
from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store.db import Tx
from flyteplane.admin.store.projects import ProjectRepository
from flyteplane.admin.store.registry import LaunchPlanRepository, TaskRepository, WorkflowRepository

__all__ = ["WorkflowManager"]


class WorkflowManager:
    """Compiles and registers workflows, and answers workflow reads."""

    def __init__(self, ctx: AdminContext, *, cache_size: int = 1024) -> None:
        self._ctx = ctx
        self._store = ctx.store
        self._workflows = WorkflowRepository(ctx.store)
        self._tasks = TaskRepository(ctx.store)
        self._launch_plans = LaunchPlanRepository(ctx.store)
        self._projects = ProjectRepository(ctx.store)
        self._cache: reg.ResponseCache[tuple[str, str, str, str], workflow_pb2.Workflow] = reg.ResponseCache(
            cache_size, ctx.config.response_cache_bytes
        )

    # --- CreateWorkflow ----------------------------------------------------------------------------------------

    def create_workflow(self, request: workflow_pb2.WorkflowCreateRequest) -> workflow_pb2.WorkflowCreateResponse:
        validate_create_request(request, identifier_pb2.WORKFLOW, self._projects.state, self._ctx.config.domains)

        template = core_workflow_pb2.WorkflowTemplate()
        template.CopyFrom(request.spec.template)
        template.id.CopyFrom(request.id)
        compiled = self._compile(request.id, template, request.spec.sub_workflows)
        config = self._ctx.config
        validate_workflow_limits(
            request.id, compiled, size_limit=config.workflow_size_limit, node_limit=config.workflow_node_limit
        )

        now = utcnow()
        closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
        closure.created_at.CopyFrom(timestamp(now))
        reg.check_entity_size("workflow", request.id, closure, config.max_entity_bytes)
        ident = request.id
        remote_closure_identifier = "/".join(
            (
                self._ctx.config.storage_prefix.rstrip("/"),
                "metadata",
                "admin",
                ident.project,
                ident.domain,
                ident.name,
                ident.version,
            )
        )

        def failure_reason(identical: bool) -> workflow_pb2.CreateWorkflowFailureReason:
            if identical:
                return workflow_pb2.CreateWorkflowFailureReason(
                    exists_identical_structure=workflow_pb2.WorkflowErrorExistsIdenticalStructure(id=ident)
                )
            return workflow_pb2.CreateWorkflowFailureReason(
                exists_different_structure=workflow_pb2.WorkflowErrorExistsDifferentStructure(id=ident)
            )

        version_digest = reg.digest(compiled)
        existing = self._workflows.create(
            ident,
            closure,
            typed_interface=template.interface if template.HasField("interface") else None,
            remote_closure_identifier=remote_closure_identifier,
            digest=version_digest,
            description=request.spec.description if request.spec.HasField("description") else None,
            now=now,
        )
        reg.check_new_version(
            existing,
            ident,
            kind="workflow",
            digest=version_digest,
            structure=compiled,
            failure_reason=failure_reason,
        )
        return workflow_pb2.WorkflowCreateResponse()

    def _compile(
        self,
        workflow_id: identifier_pb2.Identifier,
        template: core_workflow_pb2.WorkflowTemplate,
        sub_workflows: Iterable[core_workflow_pb2.WorkflowTemplate],
    ) -> compiler_pb2.CompiledWorkflowClosure:
        """Fetch what the workflow references (tasks, launch plans' interfaces) and compile it; any failure is
        Flyte Admin's ``failed to compile workflow for [<id>] with err: ...``."""
        subs = list(sub_workflows)
        try:
            task_ids, launch_plan_ids = compiler.workflow_requirements(template, subs)
            with self._store.read() as tx:  # one snapshot for every reference
                tasks = {compiler.identifier_key(t): self._compiled_task(tx, t) for t in task_ids}
                launch_plans = {compiler.identifier_key(lp): self._launch_plan(tx, lp) for lp in launch_plan_ids}
            return compiler.compile_workflow(template, subs, tasks, launch_plans)
        except (CompileError, _MissingDependency) as e:
            raise invalid_argument(f"failed to compile workflow for [{id_text(workflow_id)}] with err: {e}") from None

    def _compiled_task(self, tx: Tx, task_id: identifier_pb2.Identifier) -> compiler_pb2.CompiledTask:
        task = self._tasks.get_in(tx, task_id)
        if task is None:
            raise _MissingDependency(reg.missing_entity("TASK", task_id))
        return task.closure.compiled_task

    def _launch_plan(self, tx: Tx, launch_plan_id: identifier_pb2.Identifier) -> launch_plan_pb2.LaunchPlan:
        """The stored launch plan as a launch plan node sees it: its closure's expected inputs (which are required,
        which have defaults) and expected outputs."""
        plan = self._launch_plans.get_in(tx, launch_plan_id)
        if plan is None:
            raise _MissingDependency(reg.missing_entity("LAUNCH_PLAN", launch_plan_id))
        return plan

    # --- reads -----------------------------------------------------------------------------------------------------

    def get_workflow(self, request: common_pb2.ObjectGetRequest) -> workflow_pb2.Workflow:
        """The workflow version with its full closure; the returned message is shared and must not be modified."""
        ident = reg.with_resource_type(request, identifier_pb2.WORKFLOW)
        validate_identifier(ident, request.HasField("id"), identifier_pb2.WORKFLOW)
        return reg.get_cached(self._cache, ident, "WORKFLOW", self._workflows.get)

    def list_workflows(self, request: common_pb2.ResourceListRequest) -> workflow_pb2.WorkflowList:
        validate_resource_list_request(request)
        workflows, token = self._workflows.list(request, "ListWorkflows")
        return workflow_pb2.WorkflowList(workflows=workflows, token=token)

    def list_workflow_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        validate_identifier_list_request(request)
        return self._workflows.list_names(request, "ListWorkflowIdentifiers")


class _MissingDependency(Exception):
    """A task or launch plan the workflow references is not registered (its text is Flyte Admin's NOT_FOUND)."""
