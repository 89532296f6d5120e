"""Compiled workflows (``flyteidl.core.compiler``), as Flyte Admin stores them in closures."""

from __future__ import annotations

from flyteidl.core import compiler_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity
from flyteplane.models.core.workflow import LaunchPlanTemplate, WorkflowTemplate
from flyteplane.models.task import CompiledTask

__all__ = [
    "CompiledLaunchPlan",
    "CompiledTask",
    "CompiledWorkflow",
    "CompiledWorkflowClosure",
    "ConnectionSet",
    "LaunchPlanTemplate",
]


class ConnectionSet(FlyteIdlEntity):
    """The graph's edges by node id: ``ConnectionSet(upstream, downstream)``, each ``dict[str, IdList]``."""

    class IdList(FlyteIdlEntity):
        """Node ids: ``IdList(ids)``."""

        _pb_type = _pb.ConnectionSet.IdList
        ids: Field[list[str]] = Field()

    _pb_type = _pb.ConnectionSet
    upstream: Field[dict[str, ConnectionSet.IdList]] = Field(model=IdList)
    downstream: Field[dict[str, ConnectionSet.IdList]] = Field(model=IdList)


class CompiledWorkflow(FlyteIdlEntity):
    """A workflow template with its computed edges: ``CompiledWorkflow(template, connections)``."""

    _pb_type = _pb.CompiledWorkflow
    template: Field[WorkflowTemplate] = Field(model=WorkflowTemplate)
    connections: Field[ConnectionSet] = Field(model=ConnectionSet)


class CompiledLaunchPlan(FlyteIdlEntity):
    """``CompiledLaunchPlan(template)``."""

    _pb_type = _pb.CompiledLaunchPlan
    template: Field[LaunchPlanTemplate] = Field(model=LaunchPlanTemplate)


class CompiledWorkflowClosure(FlyteIdlEntity):
    """A workflow with everything it runs.

    ``CompiledWorkflowClosure(primary, sub_workflows, tasks, launch_plans=None)``.
    """

    _pb_type = _pb.CompiledWorkflowClosure
    primary: Field[CompiledWorkflow] = Field(model=CompiledWorkflow)
    sub_workflows: Field[list[CompiledWorkflow]] = Field(model=CompiledWorkflow)
    tasks: Field[list[CompiledTask]] = Field(model=CompiledTask)
    launch_plans: Field[list[CompiledLaunchPlan]] = Field(model=CompiledLaunchPlan)
