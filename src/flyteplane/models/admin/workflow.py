"""Registered workflows (``flyteidl.admin.workflow``): what CreateWorkflow takes and GetWorkflow returns."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.admin import workflow_pb2 as _pb
from flyteidl.core import workflow_pb2 as _core_pb

from flyteplane.models._model import Field, FlyteIdlEntity, as_pb
from flyteplane.models.admin.description_entity import Documentation
from flyteplane.models.core.compiler import CompiledWorkflowClosure
from flyteplane.models.core.identifier import Identifier
from flyteplane.models.core.workflow import WorkflowTemplate

__all__ = ["Workflow", "WorkflowClosure", "WorkflowSpec"]


def _sorted_by_name(templates: Any) -> list[Any]:
    # flytekit orders sub-workflows by name; doing the same keeps registrations byte-identical.
    pbs = [as_pb(t, _core_pb.WorkflowTemplate) for t in templates]
    return sorted(pbs, key=lambda t: t.id.name)


class WorkflowSpec(FlyteIdlEntity):
    """What CreateWorkflow registers: ``WorkflowSpec(template, sub_workflows, docs=None)``."""

    _pb_type = _pb.WorkflowSpec
    template: Field[WorkflowTemplate] = Field(model=WorkflowTemplate)
    sub_workflows: Field[list[WorkflowTemplate]] = Field(model=WorkflowTemplate, coerce=_sorted_by_name)
    docs: Field[Documentation | None] = Field("description", model=Documentation)


class WorkflowClosure(FlyteIdlEntity):
    """What Flyte Admin compiled for a registered workflow: ``WorkflowClosure(compiled_workflow, created_at=None)``."""

    _pb_type = _pb.WorkflowClosure
    compiled_workflow: Field[CompiledWorkflowClosure] = Field(model=CompiledWorkflowClosure)
    created_at: Field[_dt.datetime | None] = Field()


class Workflow(FlyteIdlEntity):
    """A registered workflow: ``Workflow(id, closure, short_description=None)``."""

    _pb_type = _pb.Workflow
    id: Field[Identifier] = Field(model=Identifier)
    closure: Field[WorkflowClosure] = Field(model=WorkflowClosure)
    short_description: Field[str] = Field()
