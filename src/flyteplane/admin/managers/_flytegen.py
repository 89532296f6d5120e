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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from flyteidl.admin import common_pb2, launch_plan_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, literals_pb2, tasks_pb2, types_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.errors import AdminError, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.managers.launch_plans import build_launch_plan
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.named_entities import NamedEntityRepository
from flyteplane.admin.store.registry import LaunchPlanRepository, Stored, TaskRepository, WorkflowRepository

__all__ = [
    "FLYTEGEN_PREFIX",
    "CreateWorkflow",
    "SingleTaskEntities",
    "SingleTaskWorkflows",
    "flytegen_name",
    "node_id_for_task",
]

FLYTEGEN_PREFIX = ".flytegen."
# Node ids become Kubernetes names in Flyte: Flyte Admin keeps the last 63 characters of the task name.
_MAX_NODE_ID_LENGTH = 63
_DEFAULT_RETRIES = 3

CreateWorkflow = Callable[[workflow_pb2.WorkflowCreateRequest], object]
"""CreateWorkflow (``WorkflowManager.create_workflow``): compiles and registers a workflow, AdminError on failure."""

# What Flyte Admin's UpdateNamedEntity(state=SYSTEM_GENERATED) writes for a generated name: the state, and an empty
# description.
_SYSTEM_GENERATED = common_pb2.NamedEntityMetadata(description="", state=common_pb2.SYSTEM_GENERATED)


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


class SingleTaskWorkflows:
    """Gets or creates the ``.flytegen`` workflow and launch plan of a task.

    ``create_workflow`` registers the generated workflow through CreateWorkflow, so it is compiled and stored like
    any other; everything else is read and written through the registry's repositories over ``store``.
    """

    def __init__(self, store: Store, create_workflow: CreateWorkflow) -> None:
        self._tasks = TaskRepository(store)
        self._workflows = WorkflowRepository(store)
        self._launch_plans = LaunchPlanRepository(store)
        self._named_entities = NamedEntityRepository(store)
        self._create_workflow = create_workflow

    def get_or_create(self, task_id: identifier_pb2.Identifier, spec: Any) -> SingleTaskEntities:
        """The generated workflow and launch plan of the task ``task_id`` (created when missing).

        ``spec`` is the execution's spec: a created launch plan takes its ``auth_role`` and ``security_context``, as
        in Flyte Admin. NOT_FOUND ``missing entity of type TASK ...`` when the task is not registered.
        """
        task = self._tasks.get_stored(task_id)
        if task is None:
            raise not_found(reg.missing_entity("TASK", task_id))
        template = task.entity.closure.compiled_task.template

        workflow_id = _generated_id(task_id, identifier_pb2.WORKFLOW)
        workflow = self._workflows.get_stored(workflow_id)
        if workflow is None:
            self._register_workflow(workflow_id, task_id, template)
            workflow = self._workflows.get_stored(workflow_id)
            if workflow is None:  # created a moment ago; gone only if the database lost it
                raise not_found(reg.missing_entity("WORKFLOW", workflow_id))
        compiled = workflow.entity.closure.compiled_workflow
        interface = compiled.primary.template.interface

        launch_plan = self._get_or_create_launch_plan(task_id, workflow, interface, spec)
        return SingleTaskEntities(
            task_row_id=task.row_id,
            workflow_row_id=workflow.row_id,
            workflow_id=workflow_id,
            compiled=compiled,
            launch_plan=launch_plan,
        )

    def _register_workflow(
        self,
        workflow_id: identifier_pb2.Identifier,
        task_id: identifier_pb2.Identifier,
        template: tasks_pb2.TaskTemplate,
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
            self._create_workflow(request)
        except AdminError as e:
            if e.code != grpc.StatusCode.ALREADY_EXISTS:  # another execution of this task created it meanwhile
                raise
        self._named_entities.set_metadata(identifier_pb2.WORKFLOW, workflow_id, _SYSTEM_GENERATED, utcnow())

    def _get_or_create_launch_plan(
        self,
        task_id: identifier_pb2.Identifier,
        workflow: Stored[workflow_pb2.Workflow],
        interface: interface_pb2.TypedInterface,
        spec: Any,
    ) -> launch_plan_pb2.LaunchPlan:
        plan_id = _generated_id(task_id, identifier_pb2.LAUNCH_PLAN)
        found = self._launch_plans.get(plan_id)
        if found is not None:
            return found

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
        plan = build_launch_plan(plan_id, plan_spec, interface)

        now = utcnow()
        version_digest = reg.digest(plan)
        existing = self._launch_plans.create(plan, workflow_row_id=workflow.row_id, digest=version_digest, now=now)
        if existing is None:
            self._named_entities.set_metadata(identifier_pb2.LAUNCH_PLAN, plan_id, _SYSTEM_GENERATED, now)
        else:
            try:  # a concurrent creator registered the same plan: fine; a different one: the conflict
                reg.check_new_version(existing, plan_id, kind="launch plan", digest=version_digest, structure=plan.spec)
            except AdminError as e:
                if e.code != grpc.StatusCode.ALREADY_EXISTS:
                    raise
        found = self._launch_plans.get(plan_id)
        if found is None:
            raise not_found(reg.missing_entity("LAUNCH_PLAN", plan_id))
        return found


def _generated_id(task_id: identifier_pb2.Identifier, resource_type: int) -> identifier_pb2.Identifier:
    """The id of the task's generated workflow or launch plan: ``.flytegen.<task>``, the task's version."""
    return identifier_pb2.Identifier(
        resource_type=resource_type,
        project=task_id.project,
        domain=task_id.domain,
        name=flytegen_name(task_id.name),
        version=task_id.version,
    )


def _bindings(variables: interface_pb2.VariableMap, node_id: str) -> list[literals_pb2.Binding]:
    """One promise binding per variable, from ``node_id``'s output of that name ("" is the workflow's inputs)."""
    return [
        literals_pb2.Binding(
            var=name,
            binding=literals_pb2.BindingData(promise=types_pb2.OutputReference(node_id=node_id, var=name)),
        )
        for name in sorted(variables.variables)
    ]
