"""Single-task executions: the ``.flytegen.<task>`` workflow and launch plan Flyte Admin wraps around a task.

CreateExecution with ``spec.launch_plan.resource_type == TASK`` runs one task as a workflow of one node. Flyte Admin
(``util/single_task_execution.go``) gets or creates, at the task's version:

* a workflow ``.flytegen.<task name>`` whose interface is the task's, with one task node (its id derived from the
  task name by :func:`node_id_for_task`, retries from the task's metadata or 3) bound to every workflow input, and
  the workflow outputs bound to the node's outputs; registered through CreateWorkflow (so it is compiled and
  stored like any other), ALREADY_EXISTS from a concurrent creator being fine;
* a launch plan ``.flytegen.<task name>`` of that workflow, with no defaults and no fixed inputs (every task input
  is required), stored INACTIVE like any registration;

and marks both named entities SYSTEM_GENERATED (so listings that hide generated names hide them).

Quirk kept on purpose: Flyte Admin writes the *task's* name into the generated launch plan's ``spec.workflow_id``
(the row itself points at the ``.flytegen`` workflow); GetLaunchPlan of a generated launch plan shows it so.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import grpc
from flyteidl.admin import common_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, literals_pb2, types_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from sqlalchemy import Connection, and_, insert, update

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.errors import AdminError, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.managers.launch_plans import _EXISTING as _LP_EXISTING
from flyteplane.admin.managers.launch_plans import _validate_spec, launch_plan_from_row, schedule_type
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.store import schema

__all__ = ["FLYTEGEN_PREFIX", "SingleTaskEntities", "flytegen_name", "get_or_create", "node_id_for_task"]

FLYTEGEN_PREFIX = ".flytegen."
# Node ids become Kubernetes names in Flyte: Flyte Admin keeps the last 63 characters of the task name.
_MAX_NODE_ID_LENGTH = 63
_DEFAULT_RETRIES = 3

_T = schema.tasks
_W = schema.workflows
_LP = schema.launch_plans
_M = schema.named_entity_metadata

_TASK = reg.by_key(_T, _T.c.id, _T.c.closure)
_WORKFLOW = reg.by_key(_W, _W.c.id, _W.c.closure)
_LAUNCH_PLAN = reg.by_key(_LP, _LP.c.id, _LP.c.spec, _LP.c.closure, _LP.c.state, _LP.c.created_at, _LP.c.updated_at)


def flytegen_name(task_name: str) -> str:
    """``.flytegen.<task name>``: the generated workflow's and launch plan's name."""
    return FLYTEGEN_PREFIX + task_name


def node_id_for_task(task_name: str) -> str:
    """Flyte Admin's generateNodeNameFromTask: at most the last 63 characters of the task name, keeping only
    letters, digits and ``-`` (``my_module.my_task`` -> ``mymodulemytask``)."""
    if len(task_name) >= _MAX_NODE_ID_LENGTH:
        task_name = task_name[len(task_name) - _MAX_NODE_ID_LENGTH :]
    return "".join(c for c in task_name if c == "-" or c.isalpha() or c.isnumeric())


@dataclass(frozen=True)
class SingleTaskEntities:
    """What a single-task execution runs: the task's row id, and the generated workflow and launch plan."""

    task_row_id: int
    workflow_row_id: int
    workflow_id: identifier_pb2.Identifier
    compiled: compiler_pb2.CompiledWorkflowClosure
    launch_plan: launch_plan_pb2.LaunchPlan


def get_or_create(ctx: AdminContext, task_id: identifier_pb2.Identifier, spec: Any) -> SingleTaskEntities:
    """The generated workflow and launch plan of the task ``task_id`` (created when missing).

    ``spec`` is the execution's spec: a created launch plan takes its ``auth_role`` and ``security_context``, as in
    Flyte Admin. NOT_FOUND ``missing entity of type TASK ...`` when the task is not registered.
    """
    with ctx.store.read() as conn:
        task_row = conn.execute(_TASK, reg.key_params(task_id)).first()
    if task_row is None:
        raise not_found(reg.missing_entity("TASK", task_id))
    template = task_pb2.TaskClosure.FromString(task_row.closure).compiled_task.template

    workflow_id = identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW,
        project=task_id.project,
        domain=task_id.domain,
        name=flytegen_name(task_id.name),
        version=task_id.version,
    )
    workflow_row = _workflow_row(ctx, workflow_id)
    if workflow_row is None:
        _create_workflow(ctx, workflow_id, task_id, template)
        workflow_row = _workflow_row(ctx, workflow_id)
        if workflow_row is None:  # created a moment ago; gone only if the database lost it
            raise not_found(reg.missing_entity("WORKFLOW", workflow_id))
    compiled = workflow_pb2.WorkflowClosure.FromString(workflow_row.closure).compiled_workflow
    interface = compiled.primary.template.interface

    launch_plan = _get_or_create_launch_plan(ctx, task_id, workflow_row.id, interface, spec)
    return SingleTaskEntities(
        task_row_id=task_row.id,
        workflow_row_id=workflow_row.id,
        workflow_id=workflow_id,
        compiled=compiled,
        launch_plan=launch_plan,
    )


def _workflow_row(ctx: AdminContext, workflow_id: identifier_pb2.Identifier) -> Any:
    with ctx.store.read() as conn:
        return conn.execute(_WORKFLOW, reg.key_params(workflow_id)).first()


def _bindings(variables: interface_pb2.VariableMap, node_id: str) -> list[literals_pb2.Binding]:
    """One promise binding per variable, from ``node_id``'s output of that name ("" is the workflow's inputs)."""
    return [
        literals_pb2.Binding(
            var=name,
            binding=literals_pb2.BindingData(promise=types_pb2.OutputReference(node_id=node_id, var=name)),
        )
        for name in sorted(variables.variables)
    ]


def _create_workflow(
    ctx: AdminContext, workflow_id: identifier_pb2.Identifier, task_id: identifier_pb2.Identifier, template: Any
) -> None:
    """Register the one-node workflow through CreateWorkflow and mark its name SYSTEM_GENERATED."""
    node_id = node_id_for_task(task_id.name)
    retries = (
        template.metadata.retries
        if template.metadata.HasField("retries")
        else literals_pb2.RetryStrategy(retries=_DEFAULT_RETRIES)
    )
    task_reference = identifier_pb2.Identifier()
    task_reference.CopyFrom(task_id)
    node = core_workflow_pb2.Node(
        id=node_id,
        metadata=core_workflow_pb2.NodeMetadata(name=node_id, retries=retries),
        inputs=_bindings(template.interface.inputs, ""),
        task_node=core_workflow_pb2.TaskNode(reference_id=task_reference),
    )
    workflow_template = core_workflow_pb2.WorkflowTemplate(
        id=workflow_id,
        interface=template.interface,
        nodes=[node],
        outputs=_bindings(template.interface.outputs, node_id),
    )
    request = workflow_pb2.WorkflowCreateRequest(
        id=workflow_id, spec=workflow_pb2.WorkflowSpec(template=workflow_template)
    )
    try:
        WorkflowManager(ctx).create_workflow(request)
    except AdminError as e:
        if e.code != grpc.StatusCode.ALREADY_EXISTS:  # another execution of this task created it meanwhile
            raise
    with ctx.store.begin() as conn:
        _mark_system_generated(conn, identifier_pb2.WORKFLOW, workflow_id, utcnow())


def _get_or_create_launch_plan(
    ctx: AdminContext,
    task_id: identifier_pb2.Identifier,
    workflow_row_id: int,
    interface: interface_pb2.TypedInterface,
    spec: Any,
) -> launch_plan_pb2.LaunchPlan:
    plan_id = identifier_pb2.Identifier(
        resource_type=identifier_pb2.LAUNCH_PLAN,
        project=task_id.project,
        domain=task_id.domain,
        name=flytegen_name(task_id.name),
        version=task_id.version,
    )
    with ctx.store.read() as conn:
        row = conn.execute(_LAUNCH_PLAN, reg.key_params(plan_id)).first()
    if row is not None:
        return launch_plan_from_row(_KeyedRow(row, plan_id))

    plan_spec = launch_plan_pb2.LaunchPlanSpec(
        # The task's own name, not the generated workflow's: Flyte Admin's quirk (see the module docstring).
        workflow_id=identifier_pb2.Identifier(
            resource_type=identifier_pb2.WORKFLOW,
            project=task_id.project,
            domain=task_id.domain,
            name=task_id.name,
            version=task_id.version,
        ),
        entity_metadata=launch_plan_pb2.LaunchPlanMetadata(),
        default_inputs=interface_pb2.ParameterMap(),
        fixed_inputs=literals_pb2.LiteralMap(),
        labels=common_pb2.Labels(),
        annotations=common_pb2.Annotations(),
    )
    if spec.HasField("auth_role"):
        plan_spec.auth_role.CopyFrom(spec.auth_role)
    if spec.HasField("security_context"):
        plan_spec.security_context.CopyFrom(spec.security_context)
    expected = _validate_spec(plan_spec, interface)
    plan_spec.default_inputs.CopyFrom(expected)
    plan = launch_plan_pb2.LaunchPlan(id=plan_id, spec=plan_spec)
    plan.closure.expected_inputs.CopyFrom(expected)
    if interface.HasField("outputs"):
        plan.closure.expected_outputs.CopyFrom(interface.outputs)

    now = utcnow()
    try:
        reg.register_version(
            ctx.store,
            _LP,
            _LP_EXISTING,
            plan_id,
            {
                "spec": plan_spec.SerializeToString(),
                "workflow_id": workflow_row_id,
                "closure": plan.closure.SerializeToString(),
                "state": launch_plan_pb2.INACTIVE,
                "schedule_type": schedule_type(plan_spec),
                "launch_condition_type": None,
            },
            kind="launch plan",
            now=now,
            structure=plan_spec,
            stored_structure=lambda r: launch_plan_pb2.LaunchPlanSpec.FromString(r.spec),
            digest_of=plan,
        )
    except AdminError as e:
        if e.code != grpc.StatusCode.ALREADY_EXISTS:
            raise
    else:
        with ctx.store.begin() as conn:
            _mark_system_generated(conn, identifier_pb2.LAUNCH_PLAN, plan_id, now)
    with ctx.store.read() as conn:
        row = conn.execute(_LAUNCH_PLAN, reg.key_params(plan_id)).first()
    if row is None:
        raise not_found(reg.missing_entity("LAUNCH_PLAN", plan_id))
    return launch_plan_from_row(_KeyedRow(row, plan_id))


class _KeyedRow:
    """A launch plan row selected without its key columns, read as if it had them."""

    def __init__(self, row: Any, identifier: identifier_pb2.Identifier) -> None:
        self._row = row
        self.project = identifier.project
        self.domain = identifier.domain
        self.name = identifier.name
        self.version = identifier.version

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _mark_system_generated(conn: Connection, resource_type: int, ident: Any, now: _dt.datetime) -> None:
    """What Flyte Admin's UpdateNamedEntity(state=SYSTEM_GENERATED) writes: the state, and an empty description."""
    key = and_(
        _M.c.resource_type == resource_type,
        _M.c.project == ident.project,
        _M.c.domain == ident.domain,
        _M.c.name == ident.name,
    )
    state = common_pb2.SYSTEM_GENERATED
    if conn.execute(update(_M).where(key).values(description="", state=state, updated_at=now)).rowcount:
        return
    conn.execute(
        insert(_M).values(
            resource_type=resource_type,
            project=ident.project,
            domain=ident.domain,
            name=ident.name,
            description="",
            state=state,
            created_at=now,
            updated_at=now,
        )
    )
