"""Tasks without a container and raw containers the engine tests run, written with flytekit.

Besides flytekit's own ``FileSensor``, this module defines two test agents, registered in flytekit's agent registry
when the module is imported: the local agent server imports it (``AdminConfig.agent_modules``, ``--modules`` of
``pyflyte serve agent``), so they are served there as any installed agent would be.

- ``countdown`` (async, task type ``flyteplane_countdown``): CreateTask starts a job that is RUNNING (with a log
  link and custom info) for ``seconds`` and then SUCCEEDS with ``o0 = n * 10``; a negative ``n`` FAILS it.
  DeleteTask leaves ``deleted-<job>`` in the ``marks`` directory, so a test can see that an abort deleted the job.
- ``add_hundred`` (sync, task type ``flyteplane_add_hundred``): ExecuteTaskSync answers ``o0 = x + 100`` at once.
- ``not_served`` (task type ``flyteplane_nobody``): a task without a container that no agent serves.
"""

from __future__ import annotations

import json
import time
import typing
import uuid
from dataclasses import dataclass
from pathlib import Path

from flyteidl.core.execution_pb2 import TaskExecution, TaskLog
from flytekit import ContainerTask, kwtypes, workflow
from flytekit.configuration import SerializationSettings
from flytekit.core.base_task import PythonTask
from flytekit.core.interface import Interface
from flytekit.core.workflow import ImperativeWorkflow
from flytekit.extend.backend.base_agent import (
    AgentRegistry,
    AsyncAgentBase,
    AsyncAgentExecutorMixin,
    Resource,
    ResourceMeta,
    SyncAgentBase,
    SyncAgentExecutorMixin,
)
from flytekit.models.literals import LiteralMap
from flytekit.models.task import TaskTemplate
from flytekit.sensor.file_sensor import FileSensor

COUNTDOWN_TYPE = "flyteplane_countdown"
ADD_HUNDRED_TYPE = "flyteplane_add_hundred"
NOBODY_TYPE = "flyteplane_nobody"


# -- the async agent ----------------------------------------------------------------------------------------------
@dataclass
class CountdownJob(ResourceMeta):
    job: str
    n: int
    ready_at: float
    marks: str


class CountdownAgent(AsyncAgentBase):
    name = "Countdown Agent"

    def __init__(self) -> None:
        super().__init__(task_type_name=COUNTDOWN_TYPE, metadata_type=CountdownJob)

    def create(
        self, task_template: TaskTemplate, output_prefix: str, inputs: LiteralMap | None = None, **kwargs: typing.Any
    ) -> CountdownJob:
        """Start a job; what the agent was given (its output prefix and execution metadata) goes to a mark."""
        assert inputs is not None
        values = inputs.literals
        job = CountdownJob(
            job=uuid.uuid4().hex[:8],
            n=values["n"].scalar.primitive.integer,
            ready_at=time.time() + values["seconds"].scalar.primitive.float_value,
            marks=values["marks"].scalar.primitive.string_value,
        )
        metadata = kwargs.get("task_execution_metadata")
        seen = {
            "output_prefix": output_prefix,
            "namespace": metadata.namespace if metadata else None,
            "labels": dict(metadata.labels) if metadata else None,
            "env": dict(metadata.environment_variables) if metadata else None,
            "execution": metadata.task_execution_id.node_execution_id.execution_id.name if metadata else None,
            "custom": dict(task_template.custom or {}),
        }
        Path(job.marks, f"created-{job.job}").write_text(json.dumps(seen))
        return job

    def get(self, resource_meta: CountdownJob, **kwargs: typing.Any) -> Resource:
        if time.time() < resource_meta.ready_at:
            link = TaskLog(uri=f"https://jobs.example/{resource_meta.job}", name="countdown job")
            return Resource(
                phase=TaskExecution.RUNNING,
                log_links=[link],
                custom_info={"job": resource_meta.job},
                message="counting",
            )
        if resource_meta.n < 0:
            return Resource(phase=TaskExecution.FAILED, message=f"cannot count from {resource_meta.n}")
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": resource_meta.n * 10})

    def delete(self, resource_meta: CountdownJob, **kwargs: typing.Any) -> None:
        Path(resource_meta.marks, f"deleted-{resource_meta.job}").write_text("deleted")


class CountdownTask(AsyncAgentExecutorMixin, PythonTask):
    """A task the countdown agent runs (no container: flytekit serializes it without one)."""

    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type=COUNTDOWN_TYPE,
            name=name,
            task_config=None,
            interface=Interface(inputs=kwtypes(n=int, seconds=float, marks=str), outputs=kwtypes(o0=int)),
            **kwargs,
        )

    def get_custom(self, settings: SerializationSettings) -> dict[str, typing.Any]:
        return {"purpose": "flyteplane tests"}


# -- the sync agent -----------------------------------------------------------------------------------------------
class AddHundredAgent(SyncAgentBase):
    name = "Add Hundred Agent"

    def __init__(self) -> None:
        super().__init__(task_type_name=ADD_HUNDRED_TYPE)

    def do(
        self, task_template: TaskTemplate, output_prefix: str, inputs: LiteralMap | None = None, **kwargs: typing.Any
    ) -> Resource:
        assert inputs is not None
        return Resource(
            phase=TaskExecution.SUCCEEDED, outputs={"o0": inputs.literals["x"].scalar.primitive.integer + 100}
        )


class AddHundredTask(SyncAgentExecutorMixin, PythonTask):
    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type=ADD_HUNDRED_TYPE,
            name=name,
            task_config=None,
            interface=Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int)),
            **kwargs,
        )


class NobodyTask(PythonTask):
    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type=NOBODY_TYPE, name=name, task_config=None, interface=Interface(inputs=kwtypes(x=int)), **kwargs
        )


AgentRegistry.register(CountdownAgent(), override=True)
AgentRegistry.register(AddHundredAgent(), override=True)


# -- the tasks and workflows --------------------------------------------------------------------------------------
wait_for_file = FileSensor(name="wait_for_file")
countdown = CountdownTask(name="countdown")
add_hundred = AddHundredTask(name="add_hundred")
not_served = NobodyTask(name="not_served")


@workflow
def sensed(path: str) -> None:
    wait_for_file(path=path)


@workflow
def counted(n: int, seconds: float, marks: str) -> int:
    return countdown(n=n, seconds=seconds, marks=marks)


@workflow
def added(x: int) -> int:
    return add_hundred(x=x)


@workflow
def unserved(x: int) -> None:
    not_served(x=x)


RAW_SCRIPT = (
    'x=$(cat "$1/x") && test -f "$1/inputs.pb" && echo $((x * 2)) > "$2/doubled" && printf "%s" "$3" > "$2/label_seen" '
    '&& (cat "$1/inputs.json" "$1/inputs.yaml" 2>/dev/null || true) > "$2/inputs_doc"'
)


def raw_container(
    name: str, input_dir: str, output_dir: str, fmt: str = "JSON", script: str = RAW_SCRIPT
) -> ContainerTask:
    """A raw container (copilot's data contract): ``sh -c script raw <input dir> <output dir> <label>`` reads ``x``
    from its input directory and writes ``doubled``, ``label_seen`` and ``inputs_doc`` (a file per output)."""
    return ContainerTask(
        name=name,
        image="alpine:3.19",
        input_data_dir=input_dir,
        output_data_dir=output_dir,
        metadata_format=getattr(ContainerTask.MetadataFormat, fmt),
        inputs=kwtypes(x=int, label=str),
        outputs=kwtypes(doubled=int, label_seen=str, inputs_doc=str),
        command=["sh", "-c", script, "raw", input_dir, output_dir, "{{.inputs.label}}"],
    )


def raw_workflow(task: ContainerTask) -> ImperativeWorkflow:
    """A workflow of one raw container node, its inputs and outputs the workflow's."""
    wb = ImperativeWorkflow(name=f"raw_wf_{task.name}")
    wb.add_workflow_input("x", int)
    wb.add_workflow_input("label", str)
    node = wb.add_entity(task, x=wb.inputs["x"], label=wb.inputs["label"])
    for name in task.python_interface.outputs:
        wb.add_workflow_output(name, node.outputs[name])
    return wb
