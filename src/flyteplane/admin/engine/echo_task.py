"""Echo tasks (task type ``echo``, flytekit's ``flytekit.core.task.Echo``): outputs = inputs, no process.

Propeller runs them with its echo plugin (``flyteplugins/go/tasks/plugins/testing/echo.go``): it maps each input
variable to an output variable and copies the value, refusing a task whose input and output counts differ or that
has more than one input. With the plugin's default configuration (no sleep) the first evaluation succeeds, so the
attempt's only task event is SUCCEEDED, with the plugin identifier ``echo``; the node goes QUEUED -> SUCCEEDED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import literals_pb2, tasks_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.engine.runtime import execution_error
from flyteplane.admin.engine.state import NodeOutcome
from flyteplane.admin.engine.task_runner import OUTPUTS_FILE

if TYPE_CHECKING:
    from flyteplane.admin.engine.nodes import NodeRunner

__all__ = ["ECHO_TASK_TYPE", "EchoError", "echo_outputs", "run_echo"]

ECHO_TASK_TYPE = "echo"
"""The task type propeller's echo plugin handles; also its plugin identifier in task events."""

_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution


class EchoError(Exception):
    """The echo plugin cannot map this task's inputs to its outputs (the message is the plugin's)."""


def echo_outputs(task: tasks_pb2.TaskTemplate, inputs: literals_pb2.LiteralMap) -> literals_pb2.LiteralMap:
    """The outputs of an echo task: each input's value under the output variable it maps to, as the echo plugin's
    ``compileInputToOutputVariableMappings``; raises :class:`EchoError` where the plugin refuses."""
    in_vars = task.interface.inputs.variables
    out_vars = task.interface.outputs.variables
    if len(in_vars) != len(out_vars):
        raise EchoError(f"the number of input [{len(in_vars)}] and output [{len(out_vars)}] variables does not match")
    if len(in_vars) > 1:
        raise EchoError("this plugin does not currently support more than one input variable")
    outputs = literals_pb2.LiteralMap()
    for in_name, out_name in zip(in_vars, out_vars, strict=True):
        if in_name in inputs.literals:
            outputs.literals[out_name].CopyFrom(inputs.literals[in_name])
    return outputs


def run_echo(runner: NodeRunner, task: tasks_pb2.TaskTemplate) -> NodeOutcome:
    """Run an echo task node: one attempt, SUCCEEDED with outputs = inputs (or the node fails with the plugin's
    refusal, which propeller reports as a runtime error of the plugin, with no task event)."""
    try:
        outputs = echo_outputs(task, runner.inputs)
    except EchoError as e:
        message = f"failed to execute handle for plugin [{ECHO_TASK_TYPE}]: {e}"
        return runner.finish(
            _N.FAILED,
            error=execution_error("RuntimeExecutionError", message, core_execution_pb2.ExecutionError.SYSTEM),
        )
    state = runner.state
    if not runner.acquire_slot():  # an echo task counts against max parallelism, as any task node
        return runner.finish(_N.ABORTED)
    try:
        uri = state.put_literal_map(state.node_key(runner.uid, 0, OUTPUTS_FILE), outputs)
        state.services.emitter.task(_succeeded_event(runner, task, uri))
        return runner.finish(_N.SUCCEEDED, outputs=outputs, output_uri=uri)
    finally:
        state.slots.release()


def _succeeded_event(runner: NodeRunner, task: tasks_pb2.TaskTemplate, output_uri: str) -> event_pb2.TaskExecutionEvent:
    eid = runner.state.execution_id
    ev = event_pb2.TaskExecutionEvent(
        retry_attempt=0,
        phase=_T.SUCCEEDED,
        phase_version=0,
        input_uri=runner.input_uri,
        output_uri=output_uri,
        task_type=task.type,
        event_version=1,
    )
    ev.task_id.CopyFrom(task.id)
    ev.parent_node_execution_id.node_id = runner.uid
    ev.parent_node_execution_id.execution_id.CopyFrom(eid)
    # Propeller's generated name of the attempt, and the id of the plugin that ran it.
    ev.metadata.generated_name = f"{eid.name}-{runner.uid}-0"
    ev.metadata.plugin_identifier = ECHO_TASK_TYPE
    return ev
