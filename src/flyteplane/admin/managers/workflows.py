"""Workflows: CreateWorkflow, GetWorkflow, ListWorkflows, ListWorkflowIds (flyteadmin-semantics.md §2.2, §3).

Flyte Admin keeps a workflow's compiled closure in blob storage and only its interface in the database; the
embedded admin keeps the closure in the row (one transaction, nothing to lose between two stores) and records the
URI Flyte Admin would have used. GetWorkflow returns the full closure; ListWorkflows returns Flyte Admin's stub
closure (created_at and the interface only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flyteidl.admin import common_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from sqlalchemy import Connection

from flyteplane.admin import compiler
from flyteplane.admin.compiler import CompileError
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import id_text, validate_identifier
from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store import schema

__all__ = ["WorkflowManager", "workflow_from_row", "workflow_stub_from_row"]

_W = schema.workflows
_TASKS = schema.tasks
_LPS = schema.launch_plans

_GET = reg.by_key(_W, _W.c.closure, _W.c.created_at, _W.c.short_description)
_EXISTING = reg.by_key(_W, _W.c.digest, _W.c.closure)
_TASK_CLOSURE = reg.by_key(_TASKS, _TASKS.c.closure)
_LP_CLOSURE = reg.by_key(_LPS, _LPS.c.closure)
_LIST_COLUMNS = (
    _W.c.project,
    _W.c.domain,
    _W.c.name,
    _W.c.version,
    _W.c.typed_interface,
    _W.c.created_at,
    _W.c.short_description,
)


def workflow_from_row(row: Any, identifier: Any | None = None) -> workflow_pb2.Workflow:
    """The full ``admin.Workflow``: id, the stored closure with the row's created_at, the short description."""
    workflow = workflow_pb2.Workflow(
        id=reg.identifier_of(identifier if identifier is not None else row, identifier_pb2.WORKFLOW),
        short_description=row.short_description or "",
    )
    workflow.closure.ParseFromString(row.closure)
    workflow.closure.created_at.CopyFrom(reg.timestamp(row.created_at))
    return workflow


def workflow_stub_from_row(row: Any) -> workflow_pb2.Workflow:
    """What ListWorkflows returns: created_at and ``compiled_workflow.primary.template.interface`` only."""
    workflow = workflow_pb2.Workflow(
        id=reg.identifier_of(row, identifier_pb2.WORKFLOW), short_description=row.short_description or ""
    )
    workflow.closure.created_at.CopyFrom(reg.timestamp(row.created_at))
    interface = workflow.closure.compiled_workflow.primary.template.interface
    interface.SetInParent()
    if row.typed_interface:
        interface.ParseFromString(row.typed_interface)
    return workflow


class WorkflowManager:
    """Compiles and registers workflows, and answers workflow reads."""

    def __init__(self, ctx: AdminContext, *, cache_size: int = 1024) -> None:
        self._ctx = ctx
        self._cache: reg.ResponseCache[tuple[str, str, str, str], workflow_pb2.Workflow] = reg.ResponseCache(cache_size)

    # --- CreateWorkflow ----------------------------------------------------------------------------------------

    def create_workflow(self, request: workflow_pb2.WorkflowCreateRequest) -> workflow_pb2.WorkflowCreateResponse:
        reg.validate_create_request(self._ctx, request, identifier_pb2.WORKFLOW)

        template = core_workflow_pb2.WorkflowTemplate()
        template.CopyFrom(request.spec.template)
        template.id.CopyFrom(request.id)
        compiled = self._compile(request.id, template, request.spec.sub_workflows)
        self._check_limits(request.id, compiled)

        now = utcnow()
        closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
        closure.created_at.CopyFrom(reg.timestamp(now))
        ident = request.id
        columns = {
            "typed_interface": template.interface.SerializeToString() if template.HasField("interface") else None,
            "remote_closure_identifier": "/".join(
                (
                    self._ctx.config.storage_prefix.rstrip("/"),
                    "metadata",
                    "admin",
                    ident.project,
                    ident.domain,
                    ident.name,
                    ident.version,
                )
            ),
            "closure": closure.SerializeToString(),
        }

        def failure_reason(identical: bool) -> workflow_pb2.CreateWorkflowFailureReason:
            if identical:
                return workflow_pb2.CreateWorkflowFailureReason(
                    exists_identical_structure=workflow_pb2.WorkflowErrorExistsIdenticalStructure(id=ident)
                )
            return workflow_pb2.CreateWorkflowFailureReason(
                exists_different_structure=workflow_pb2.WorkflowErrorExistsDifferentStructure(id=ident)
            )

        reg.register_version(
            self._ctx.store,
            _W,
            _EXISTING,
            ident,
            columns,
            kind="workflow",
            now=now,
            structure=compiled,
            stored_structure=lambda row: workflow_pb2.WorkflowClosure.FromString(row.closure).compiled_workflow,
            description=(identifier_pb2.WORKFLOW, request.spec),
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
            with self._ctx.store.read() as conn:
                tasks = {compiler.identifier_key(t): _compiled_task(conn, t) for t in task_ids}
                launch_plans = {compiler.identifier_key(lp): _launch_plan(conn, lp) for lp in launch_plan_ids}
            return compiler.compile_workflow(template, subs, tasks, launch_plans)
        except (CompileError, _MissingDependency) as e:
            raise invalid_argument(f"failed to compile workflow for [{id_text(workflow_id)}] with err: {e}") from None

    def _check_limits(
        self, workflow_id: identifier_pb2.Identifier, compiled: compiler_pb2.CompiledWorkflowClosure
    ) -> None:
        """Flyte Admin's optional registration limits (``registration.maxWorkflowNodes`` / ``workflowSizeLimit``),
        unset by default, as in Flyte Admin."""
        size_limit = self._ctx.config.workflow_size_limit
        if size_limit is not None:
            closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
            if closure.ByteSize() > size_limit:
                raise invalid_argument(f"Workflow closure size exceeds max limit [{size_limit}]")
        node_limit = self._ctx.config.workflow_node_limit
        if node_limit is not None:
            user_nodes = len(compiled.primary.template.nodes) - 2  # start-node and end-node are the platform's
            if user_nodes > node_limit:
                raise invalid_argument(
                    f"number of nodes in workflow [{id_text(workflow_id)}] exceeds limit ({user_nodes} > {node_limit})"
                )

    # --- reads -----------------------------------------------------------------------------------------------------

    def get_workflow(self, request: common_pb2.ObjectGetRequest) -> workflow_pb2.Workflow:
        """The workflow version with its full closure; the returned message is shared and must not be modified."""
        ident = reg.with_resource_type(request, identifier_pb2.WORKFLOW)
        validate_identifier(ident, request.HasField("id"), identifier_pb2.WORKFLOW)
        return reg.get_version(self._ctx.store, self._cache, _GET, ident, "WORKFLOW", workflow_from_row)

    def list_workflows(self, request: common_pb2.ResourceListRequest) -> workflow_pb2.WorkflowList:
        rows, token = reg.list_versions(self._ctx.store, request, _W, "workflow", _LIST_COLUMNS, "ListWorkflows")
        return workflow_pb2.WorkflowList(workflows=[workflow_stub_from_row(row) for row in rows], token=token)

    def list_workflow_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        return reg.list_names(self._ctx.store, request, _W, "workflow", "ListWorkflowIdentifiers")


class _MissingDependency(Exception):
    """A task or launch plan the workflow references is not registered (its text is Flyte Admin's NOT_FOUND)."""


def _compiled_task(conn: Connection, task_id: Any) -> Any:
    row = conn.execute(_TASK_CLOSURE, reg.key_params(task_id)).first()
    if row is None:
        raise _MissingDependency(reg.missing_entity("TASK", task_id))
    return task_pb2.TaskClosure.FromString(row.closure).compiled_task


def _launch_plan(conn: Connection, launch_plan_id: Any) -> launch_plan_pb2.LaunchPlan:
    """The stored launch plan as a launch plan node sees it: its expected inputs (which are required, which have
    defaults) and expected outputs."""
    row = conn.execute(_LP_CLOSURE, reg.key_params(launch_plan_id)).first()
    if row is None:
        raise _MissingDependency(reg.missing_entity("LAUNCH_PLAN", launch_plan_id))
    plan = launch_plan_pb2.LaunchPlan(id=launch_plan_id)
    plan.closure.ParseFromString(row.closure)
    return plan
