"""Identifiers of tasks, workflows, launch plans, executions, nodes, task attempts and signals."""

from __future__ import annotations

import enum

from flyteidl.core import identifier_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity

__all__ = [
    "Identifier",
    "NodeExecutionIdentifier",
    "ResourceType",
    "SignalIdentifier",
    "TaskExecutionIdentifier",
    "WorkflowExecutionIdentifier",
]


class ResourceType(enum.IntEnum):
    """What an :class:`Identifier` points at (``flyteidl.core.ResourceType``)."""

    UNSPECIFIED = 0
    TASK = 1
    WORKFLOW = 2
    LAUNCH_PLAN = 3
    DATASET = 4


class Identifier(FlyteIdlEntity):
    """A versioned entity: ``Identifier(ResourceType.TASK, "project", "domain", "name", "version")``.

    Every field is optional, so ``Identifier(project="p", domain="d")`` names a project and domain, as the seed's
    list example does. ``str()`` gives flytekit's ``TASK:project:domain:name:version``.
    """

    _pb_type = _pb.Identifier
    resource_type = Field(enum=ResourceType, doc="TASK, WORKFLOW, LAUNCH_PLAN, ...")
    project = Field()
    domain = Field()
    name = Field()
    version = Field()
    org = Field()

    def __str__(self) -> str:
        return f"{self.resource_type.name}:{self.project}:{self.domain}:{self.name}:{self.version}"


class WorkflowExecutionIdentifier(FlyteIdlEntity):
    """One run: ``WorkflowExecutionIdentifier(project, domain, name)``."""

    _pb_type = _pb.WorkflowExecutionIdentifier
    project = Field()
    domain = Field()
    name = Field()
    org = Field()

    def __str__(self) -> str:
        return f"ex:{self.project}:{self.domain}:{self.name}"


class NodeExecutionIdentifier(FlyteIdlEntity):
    """One node of a run: ``NodeExecutionIdentifier(node_id, execution_id)``."""

    _pb_type = _pb.NodeExecutionIdentifier
    node_id = Field()
    execution_id = Field(model=WorkflowExecutionIdentifier)


class TaskExecutionIdentifier(FlyteIdlEntity):
    """One attempt of a task node: ``TaskExecutionIdentifier(task_id, node_execution_id, retry_attempt)``."""

    _pb_type = _pb.TaskExecutionIdentifier
    task_id = Field(model=Identifier)
    node_execution_id = Field(model=NodeExecutionIdentifier)
    retry_attempt = Field()


class SignalIdentifier(FlyteIdlEntity):
    """A signal (gate node) of a run: ``SignalIdentifier(signal_id, execution_id)``."""

    _pb_type = _pb.SignalIdentifier
    signal_id = Field()
    execution_id = Field(model=WorkflowExecutionIdentifier)
