"""A dynamic node: a task node whose attempt wrote ``futures.pb`` (a ``core.DynamicJobSpec``) instead of outputs.

Propeller's dynamic handler (``flytepropeller/pkg/controller/nodes/dynamic/handler.go`` and
``dynamic_workflow.go``) is the model, step by step:

1. The attempt that wrote the spec is SUCCEEDED as a task execution, without outputs (its outputs come later, from
   the spec's workflow); the node stays RUNNING.
2. The spec becomes a workflow template named ``dynamic_<node execution id>`` in the execution's project and domain
   (a random version), whose nodes and output bindings are the spec's and whose interface has the parent task's
   outputs and no inputs. Its tasks are compiled one by one, the launch plans it calls are read from the admin, and
   the whole is compiled (:mod:`flyteplane.admin.compiler`) into a closure. The spec's tasks inherit the parent
   task's container ``config``, as propeller passes it down.
3. The node reports DYNAMIC_RUNNING with ``is_dynamic`` and ``is_parent`` and the compiled closure in
   ``task_node_metadata.dynamic_workflow`` (with ``dynamic_job_spec_uri``, where ``futures.pb`` lies): Flyte Admin
   keeps the closure for GetDynamicNodeWorkflow and GetNodeExecutionData.
4. The closure's workflow runs as the node's children: node execution ids ``<node>-<attempt>-<child>``, events
   with the node as parent, ``retry_group`` the attempt and ``is_in_dynamic_chain``, under the run's failure
   policy. Its outputs (bound as the spec's ``outputs`` say) become the node's outputs, written to
   ``<node>/data/<attempt>/outputs.pb``.

Failures: a spec that cannot be read or compiled fails the node with code ``DynamicWorkflowBuildFailed`` and
propeller's wrapped message (``[User] malformed dynamic workflow, caused by: <the compiler's errors>``); a failed
child fails the node with the child's error; an aborted run aborts the children, then the node. Unlike propeller,
a failed dynamic workflow is never retried as a new attempt of the parent task, and the node's own timeout does not
cover the children.
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Callable
from typing import TYPE_CHECKING

from flyteidl.core import (
    compiler_pb2,
    dynamic_job_pb2,
    identifier_pb2,
    interface_pb2,
    literals_pb2,
    tasks_pb2,
    workflow_pb2,
)
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from google.protobuf.message import DecodeError

from flyteplane.admin.blobs import BlobError
from flyteplane.admin.compiler import (
    CompileError,
    IdentifierKey,
    LaunchPlanInterface,
    compile_task,
    compile_workflow,
    identifier_key,
    workflow_requirements,
)
from flyteplane.admin.engine.runtime import execution_error as _error
from flyteplane.admin.engine.state import NodeOutcome, RunState
from flyteplane.admin.engine.task_runner import FUTURES_FILE, OUTPUTS_FILE
from flyteplane.admin.errors import AdminError

if TYPE_CHECKING:
    from flyteplane.admin.engine.caching import NodeCache
    from flyteplane.admin.engine.nodes import NodeRunner

__all__ = ["DynamicBuildError", "DynamicNode", "build_dynamic_workflow"]

_N = core_execution_pb2.NodeExecution
_USER = core_execution_pb2.ExecutionError.USER
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM
_VERSION_ALPHABET = string.ascii_lowercase + string.digits
BUILD_FAILED = "DynamicWorkflowBuildFailed"


class DynamicBuildError(Exception):
    """The dynamic job spec cannot be turned into a workflow. ``str()`` is propeller's wrapped message:
    ``[User] <what failed>, caused by: <why>`` (``[System]`` when the fault is not the spec's)."""

    def __init__(self, what: str, cause: object, *, user: bool = True) -> None:
        self.kind = _USER if user else _SYSTEM
        super().__init__(f"[{'User' if user else 'System'}] {what}, caused by: {cause}")


def build_dynamic_workflow(
    spec: dynamic_job_pb2.DynamicJobSpec,
    workflow_id: identifier_pb2.Identifier,
    parent_task: tasks_pb2.TaskTemplate,
    launch_plan: Callable[[identifier_pb2.Identifier], LaunchPlanInterface],
) -> compiler_pb2.CompiledWorkflowClosure:
    """Compile a dynamic job spec into the closure its node runs (propeller's ``buildDynamicWorkflow``).

    ``launch_plan`` reads a launch plan the spec calls (raising :class:`AdminError` when there is none).

    Raises:
        DynamicBuildError: a task, a launch plan or the workflow does not compile, with the reason.
    """
    template = workflow_pb2.WorkflowTemplate(
        id=workflow_id,
        nodes=spec.nodes,
        outputs=spec.outputs,
        # Propeller's underlyingInterface: the parent task's outputs, no inputs (the spec binds its own values).
        interface=interface_pb2.TypedInterface(outputs=parent_task.interface.outputs),
    )
    tasks: dict[IdentifierKey, compiler_pb2.CompiledTask] = {}
    for task in spec.tasks:
        key = identifier_key(task.id)
        if key in tasks:
            continue
        inherited = tasks_pb2.TaskTemplate()
        inherited.CopyFrom(task)
        if inherited.HasField("container") and parent_task.HasField("container"):
            # What the parent's container was configured with applies to the tasks it generates.
            inherited.container.config.extend(parent_task.container.config)
        try:
            tasks[key] = compile_task(inherited)
        except CompileError as e:
            raise DynamicBuildError("failed to compile dynamic tasks", e) from None
    try:
        _, launch_plan_ids = workflow_requirements(template, spec.subworkflows)
    except CompileError as e:
        raise DynamicBuildError("failed to Get requirements for subworkflows", e) from None
    launch_plans: dict[IdentifierKey, LaunchPlanInterface] = {}
    for lp_id in launch_plan_ids:
        try:
            launch_plans[identifier_key(lp_id)] = launch_plan(lp_id)
        except AdminError as e:
            name = f"{lp_id.project}:{lp_id.domain}:{lp_id.name}:{lp_id.version}"
            raise DynamicBuildError(f"incorrectly specified launchplan {name}", e.message) from None
    try:
        return compile_workflow(template, spec.subworkflows, tasks, launch_plans)
    except CompileError as e:
        raise DynamicBuildError("malformed dynamic workflow", e) from None


class DynamicNode:
    """The second life of a task node whose attempt ``attempt`` wrote ``futures.pb`` (see the module docstring)."""

    def __init__(
        self, runner: NodeRunner, task: tasks_pb2.TaskTemplate, attempt: int, cache: NodeCache | None = None
    ) -> None:
        self.r = runner
        self.state = runner.state
        self.task = task
        self.attempt = attempt
        self.cache = cache
        """A cached dynamic task's cache: its outputs are cached as a task's (propeller caches the node's)."""

    def run(self) -> NodeOutcome:
        r, state = self.r, self.state
        # From here on every event of the node says it is dynamic (propeller: the dynamic node phase is set).
        r.is_dynamic = True
        futures_key = state.node_key(r.uid, self.attempt, FUTURES_FILE)
        blobs = state.services.blobs
        spec_uri = blobs.native_url(futures_key)
        try:
            closure = self._build(futures_key)
        except DynamicBuildError as e:
            return r.finish(_N.FAILED, error=_error(BUILD_FAILED, str(e), e.kind))
        metadata = event_pb2.TaskNodeMetadata(
            dynamic_workflow=event_pb2.DynamicWorkflowNodeMetadata(
                id=closure.primary.template.id, compiled_workflow=closure, dynamic_job_spec_uri=spec_uri
            )
        )
        r.emit(_N.DYNAMIC_RUNNING, is_parent=True, task_node_metadata=metadata)
        if r.token.cancelled:
            return r.finish(_N.ABORTED)

        from flyteplane.admin.engine.dag import run_workflow

        outcome = run_workflow(
            _with_closure(state, closure),
            closure.primary,
            literals_pb2.LiteralMap(),
            r.scope.inside(r.uid, self.attempt, dynamic=True),
            r.token.child(),
        )
        if r.token.cancelled or outcome.phase == _N.ABORTED:
            return r.finish(_N.ABORTED)
        if not outcome.ok:
            error = outcome.error or _error("DynamicNodeFailing", "Dynamic workflow failed", _SYSTEM)
            return r.finish(_N.FAILED, error=error)
        outputs = outcome.outputs or literals_pb2.LiteralMap()
        missing = sorted(set(self.task.interface.outputs.variables) - set(outputs.literals))
        if missing:  # the compiler checks the bindings; this only guards the node's contract
            message = f"the dynamic workflow produced no output [{', '.join(missing)}]"
            return r.finish(_N.FAILED, error=_error("DynamicWorkflowOutputsNotFound", message, _SYSTEM))
        uri = state.put_literal_map(state.node_key(r.uid, self.attempt, OUTPUTS_FILE), outputs)
        if self.cache is not None:
            self.cache.store(outputs, self.attempt)
        return r.finish(_N.SUCCEEDED, outputs=outputs, output_uri=uri)

    def _build(self, futures_key: str) -> compiler_pb2.CompiledWorkflowClosure:
        r, state = self.r, self.state
        try:
            spec = dynamic_job_pb2.DynamicJobSpec.FromString(state.services.blobs.get(futures_key))
        except (BlobError, OSError, DecodeError) as e:
            raise DynamicBuildError("unable to read futures file, maybe corrupted", e, user=False) from None
        eid = state.execution_id
        workflow_id = identifier_pb2.Identifier(
            resource_type=identifier_pb2.WORKFLOW,
            project=eid.project,
            domain=eid.domain,
            name=f"dynamic_{r.uid}",
            version="".join(secrets.choice(_VERSION_ALPHABET) for _ in range(10)),
        )
        return build_dynamic_workflow(spec, workflow_id, self.task, state.services.launch_plan)


def _with_closure(state: RunState, closure: compiler_pb2.CompiledWorkflowClosure) -> RunState:
    """The run as the dynamic workflow's nodes see it: the same run (events, slots, failure policy, cancellation),
    with the closure's tasks and sub-workflows found by their ids."""
    view = copy.copy(state)  # shallow: the slots, services and recovered nodes are the run's own
    view.tasks = {**state.tasks, **{identifier_key(t.template.id): t.template for t in closure.tasks}}
    view.sub_workflows = {
        **state.sub_workflows,
        **{identifier_key(w.template.id): w for w in closure.sub_workflows},
    }
    return view
