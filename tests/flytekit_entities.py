"""Real registrable entities, serialized by flytekit (the peer), as flyteidl messages.

Tests register these through flyteplane and through flytekit's own client, so the admin sees exactly what
`pyflyte register` would send. flytekit wants tasks at module level, hence the definitions up here; a test module
that needs more (a launch plan of its own, a workflow calling these) defines it beside its tests and passes it to
:func:`serialize`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2
from flytekit import LaunchPlan, task, workflow
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.launch_plan import LaunchPlan as LaunchPlanModel
from flytekit.models.task import TaskSpec


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@workflow
def chain(x: int = 3) -> int:
    return double(x=add_one(x=x))


def serialize(
    version: str, *entities: Any, project: str = "flytesnacks", domain: str = "development"
) -> list[TaskSpec | WorkflowSpec | LaunchPlanModel]:
    """flytekit's serialization of ``entities`` and everything they reference, dependencies first, as
    ``pyflyte register`` would send them (flytekit models)."""
    from flytekit.configuration import Image, ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    settings = SerializationSettings(
        image_config=ImageConfig(default_image=Image(name="default", fqn="ghcr.io/example/img", tag="v1")),
        project=project,
        domain=domain,
        version=version,
    )
    out: OrderedDict[Any, Any] = OrderedDict()
    for entity in entities:
        get_serializable(out, settings, entity)
    return [v for v in out.values() if isinstance(v, (TaskSpec, WorkflowSpec, LaunchPlanModel))]


@dataclass
class Entities:
    tasks: list[tuple[identifier_pb2.Identifier, task_pb2.TaskSpec]]
    workflow: tuple[identifier_pb2.Identifier, workflow_pb2.WorkflowSpec]
    launch_plan: tuple[identifier_pb2.Identifier, launch_plan_pb2.LaunchPlanSpec]


def build(version: str = "v1", project: str = "flytesnacks", domain: str = "development") -> Entities:
    """Two tasks, a workflow chaining them, and a launch plan with a default input."""
    lp = LaunchPlan.get_or_create(chain, f"chain_lp_{version.replace('.', '_')}", default_inputs={"x": 5})
    tasks = []
    for model in serialize(version, chain, lp, project=project, domain=domain):
        if isinstance(model, TaskSpec):
            pb = model.to_flyte_idl()
            tasks.append((pb.template.id, pb))
        elif isinstance(model, WorkflowSpec):
            wf_pb = model.to_flyte_idl()
        else:
            lp_pb = model.to_flyte_idl()
    return Entities(tasks=tasks, workflow=(wf_pb.template.id, wf_pb), launch_plan=(lp_pb.id, lp_pb.spec))
