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
from sqlalchemy import Connection, Row, Select, select

from flyteplane.admin import compiler, listing
from flyteplane.admin.compiler import CompileError
from flyteplane.admin.config import AdminContext, utcnow
from flyteplane.admin.errors import AdminError, already_exists, invalid_argument, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store import schema
from flyteplane.admin.validation import id_text, validate_identifier, validate_project_and_domain

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


def _workflow_id(source: Any) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW,
        project=source.project,
        domain=source.domain,
        name=source.name,
        version=source.version,
    )


def workflow_from_row(row: Any, identifier: Any | None = None) -> workflow_pb2.Workflow:
    """The full ``admin.Workflow``: id, the stored closure with the row's created_at, the short description."""
    workflow = workflow_pb2.Workflow(
        id=_workflow_id(identifier if identifier is not None else row), short_description=row.short_description or ""
    )
    workflow.closure.ParseFromString(row.closure)
    workflow.closure.created_at.CopyFrom(reg.timestamp(row.created_at))
    return workflow


def workflow_stub_from_row(row: Any) -> workflow_pb2.Workflow:
    """What ListWorkflows returns: created_at and ``compiled_workflow.primary.template.interface`` only."""
    workflow = workflow_pb2.Workflow(id=_workflow_id(row), short_description=row.short_description or "")
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
        validate_identifier(request.id, request.HasField("id"), identifier_pb2.WORKFLOW)
        with self._ctx.store.read() as conn:
            validate_project_and_domain(self._ctx, conn, request.id.project, request.id.domain)
        if not request.HasField("spec") or not request.spec.HasField("template"):
            raise invalid_argument("missing spec")

        template = core_workflow_pb2.WorkflowTemplate()
        template.CopyFrom(request.spec.template)
        template.id.CopyFrom(request.id)
        compiled = self._compile(request.id, template, request.spec.sub_workflows)
        self._check_limits(request.id, compiled)

        now = utcnow()
        closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
        closure.created_at.CopyFrom(reg.timestamp(now))
        workflow_digest = reg.digest(compiled)
        description = None
        short_description = ""
        if request.spec.HasField("description"):
            description = reg.description_row(request.spec.description, request.id, identifier_pb2.WORKFLOW, now)
            short_description = request.spec.description.short_description
        ident = request.id
        values = {
            "project": ident.project,
            "domain": ident.domain,
            "name": ident.name,
            "version": ident.version,
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
            "digest": workflow_digest,
            "short_description": short_description,
            "created_at": now,
            "updated_at": now,
        }

        def conflict(existing: Row[Any]) -> AdminError:
            if existing.digest == workflow_digest:
                reason = workflow_pb2.CreateWorkflowFailureReason(
                    exists_identical_structure=workflow_pb2.WorkflowErrorExistsIdenticalStructure(id=ident)
                )
                return already_exists("workflow with identical structure already exists", [reason])
            old = workflow_pb2.WorkflowClosure.FromString(existing.closure).compiled_workflow
            reason = workflow_pb2.CreateWorkflowFailureReason(
                exists_different_structure=workflow_pb2.WorkflowErrorExistsDifferentStructure(id=ident)
            )
            return invalid_argument(reg.different_structure_message(ident.name, "workflow", old, compiled), [reason])

        reg.insert_version(self._ctx.store, _W, _EXISTING, ident, values, description, conflict)
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
        read from ``AdminConfig.extra``; unset by default, as in Flyte Admin."""
        extra = self._ctx.config.extra
        size_limit = extra.get("workflow_size_limit")
        if isinstance(size_limit, int) and size_limit > 0:
            closure = workflow_pb2.WorkflowClosure(compiled_workflow=compiled)
            if closure.ByteSize() > size_limit:
                raise invalid_argument(f"Workflow closure size exceeds max limit [{size_limit}]")
        node_limit = extra.get("workflow_node_limit")
        if isinstance(node_limit, int) and node_limit > 0:
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
        key = (ident.project, ident.domain, ident.name, ident.version)
        workflow = self._cache.get(key)
        if workflow is not None:
            return workflow
        with self._ctx.store.read() as conn:
            row = conn.execute(_GET, reg.key_params(ident)).first()
        if row is None:
            raise not_found(reg.missing_entity("WORKFLOW", ident))
        workflow = workflow_from_row(row, ident)
        self._cache.put(key, workflow)
        return workflow

    def list_workflows(self, request: common_pb2.ResourceListRequest) -> workflow_pb2.WorkflowList:
        reg.validate_resource_list_request(request)
        ids: Select[Any] = select(_W.c.id).where(_W.c.project == request.id.project, _W.c.domain == request.id.domain)
        if request.id.name:
            ids = ids.where(_W.c.name == request.id.name)
        ids, _ = listing.apply_filters(ids, request.filters, "workflow")
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), "workflow")
        with self._ctx.store.read() as conn:
            rows, token = reg.page_rows(conn, _W, ids, _LIST_COLUMNS, request.limit, request.token, "ListWorkflows")
        return workflow_pb2.WorkflowList(workflows=[workflow_stub_from_row(row) for row in rows], token=token)

    def list_workflow_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        # Flyte Admin ignores ``filters`` here: only project and domain narrow the names.
        reg.validate_identifier_list_request(request)
        query = reg.identifier_query(_W, request.project, request.domain)
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "workflow")
        with self._ctx.store.read() as conn:
            rows, token = listing.paginate(conn, query, request.limit, request.token, "ListWorkflowIdentifiers")
        return common_pb2.NamedEntityIdentifierList(entities=reg.named_identifiers(rows), token=token)


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
