"""The Flyte compiler, as Flyte Admin runs it on registration: pure functions over flyteidl messages.

``compile_task`` validates a ``TaskTemplate`` (CreateTask); ``workflow_requirements`` lists what a workflow needs
loaded and ``compile_workflow`` turns a ``WorkflowTemplate`` plus its sub-workflows, tasks and launch plans into the
``CompiledWorkflowClosure`` that GetWorkflow returns (CreateWorkflow). Behaviour and messages follow Flyte's Go
compiler (``flytepropeller/pkg/compiler``), which is what flytekit and the console expect to read back. Nothing
here touches a database or the network; failures raise :class:`CompileError` listing every problem.

    >>> tasks, launch_plans = workflow_requirements(spec.template, spec.sub_workflows)
    >>> closure = compile_workflow(
    ...     spec.template, spec.sub_workflows,
    ...     {identifier_key(t): store.compiled_task(t) for t in tasks},
    ...     {identifier_key(lp): store.launch_plan(lp) for lp in launch_plans},
    ... )
"""

from flyteplane.admin.compiler._errors import CompileError, CompileIssue, ErrorCode
from flyteplane.admin.compiler._task import compile_task
from flyteplane.admin.compiler._types import are_types_castable, literal_type_for_scalar
from flyteplane.admin.compiler._workflow import (
    END_NODE_ID,
    START_NODE_ID,
    IdentifierKey,
    LaunchPlanInterface,
    compile_workflow,
    identifier_key,
    workflow_requirements,
)

__all__ = [
    "END_NODE_ID",
    "START_NODE_ID",
    "CompileError",
    "CompileIssue",
    "ErrorCode",
    "IdentifierKey",
    "LaunchPlanInterface",
    "are_types_castable",
    "compile_task",
    "compile_workflow",
    "identifier_key",
    "literal_type_for_scalar",
    "workflow_requirements",
]
