"""Workflow structure (``flyteidl.core.workflow``): templates, nodes and their targets.

``TaskTemplate`` is re-exported from :mod:`flyteplane.models.task`, where flytekit's seed also finds it.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.core import workflow_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.core.condition import BooleanExpression
from flyteplane.models.core.execution import QualityOfService
from flyteplane.models.core.identifier import Identifier
from flyteplane.models.interface import TypedInterface
from flyteplane.models.literals import Binding, LiteralMap, RetryStrategy
from flyteplane.models.task import K8sPod, Resources, TaskTemplate, _retry_strategy, _timeout
from flyteplane.models.types import Error, LiteralType

__all__ = [
    "Alias",
    "ApproveCondition",
    "ArrayNode",
    "BranchNode",
    "GateNode",
    "IfBlock",
    "IfElseBlock",
    "LaunchPlanTemplate",
    "Node",
    "NodeMetadata",
    "SignalCondition",
    "SleepCondition",
    "TaskNode",
    "TaskNodeOverrides",
    "TaskTemplate",
    "WorkflowMetadata",
    "WorkflowMetadataDefaults",
    "WorkflowNode",
    "WorkflowTemplate",
]


class Alias(FlyteIdlEntity):
    """Expose a node output under another name: ``Alias(var, alias)``."""

    _pb_type = _pb.Alias
    var: Field[str] = Field()
    alias: Field[str] = Field()


class NodeMetadata(FlyteIdlEntity):
    """How a node runs.

    ``NodeMetadata(name, timeout=None, retries=None, interruptible=None, cacheable=None, cache_version=None,
    cache_serializable=None, config=None)``; ``retries`` takes a count or a RetryStrategy (zero when not given,
    as flytekit sends), ``timeout`` a ``timedelta`` or seconds (zero leaves it unset, as in flytekit).
    """

    _pb_type = _pb.NodeMetadata
    name: Field[str] = Field()
    timeout: Field[_dt.timedelta | None] = Field(coerce=_timeout)
    # flytekit always sends a retry strategy, zero retries when not given.
    retries: Field[RetryStrategy | None] = Field(model=RetryStrategy, coerce=_retry_strategy, default=0)
    interruptible: Field[bool | None] = Field()
    cacheable: Field[bool | None] = Field()
    cache_version: Field[str | None] = Field()
    cache_serializable: Field[bool | None] = Field()
    config: Field[dict[str, str]] = Field()


class TaskNodeOverrides(FlyteIdlEntity):
    """Per-node overrides of a task's resources and image.

    ``TaskNodeOverrides(resources, extended_resources, container_image=None, pod_template=None)``;
    ``extended_resources`` is a ``flyteidl.core.ExtendedResources`` message and ``pod_template`` a
    :class:`~flyteplane.models.task.K8sPod` (flytekit takes its own PodTemplate there).
    """

    _pb_type = _pb.TaskNodeOverrides
    resources: Field[Resources | None] = Field(model=Resources)
    extended_resources: Field[Any] = Field()
    container_image: Field[str] = Field()
    pod_template: Field[K8sPod | None] = Field(model=K8sPod)


class TaskNode(FlyteIdlEntity):
    """Run a task: ``TaskNode(reference_id, overrides=None)``."""

    _pb_type = _pb.TaskNode
    reference_id: Field[Identifier] = Field(model=Identifier)
    overrides: Field[TaskNodeOverrides | None] = Field(model=TaskNodeOverrides)


class WorkflowNode(FlyteIdlEntity):
    """Run a launch plan or a sub-workflow: ``WorkflowNode(launchplan_ref=None, sub_workflow_ref=None)``."""

    _pb_type = _pb.WorkflowNode
    launchplan_ref: Field[Identifier | None] = Field(model=Identifier)
    sub_workflow_ref: Field[Identifier | None] = Field(model=Identifier)

    @property
    def reference(self) -> Identifier | None:
        """Whichever of launchplan_ref or sub_workflow_ref is set."""
        which = self._pb.WhichOneof("reference")
        return None if which is None else getattr(self, which)


class IfBlock(FlyteIdlEntity):
    """Run ``then_node`` when ``condition`` holds: ``IfBlock(condition, then_node)``."""

    _pb_type = _pb.IfBlock
    condition: Field[BooleanExpression] = Field(model=BooleanExpression)
    then_node: Field[Node] = Field(model=lambda: Node)


class IfElseBlock(FlyteIdlEntity):
    """The first matching case runs, else ``else_node`` or ``error``.

    ``IfElseBlock(case, other=None, else_node=None, error=None)``.
    """

    _pb_type = _pb.IfElseBlock
    case: Field[IfBlock] = Field(model=IfBlock)
    other: Field[list[IfBlock]] = Field(model=IfBlock)
    else_node: Field[Node | None] = Field(model=lambda: Node)
    error: Field[Error | None] = Field(model=Error)


class BranchNode(FlyteIdlEntity):
    """Conditional execution: ``BranchNode(if_else)``."""

    _pb_type = _pb.BranchNode
    if_else: Field[IfElseBlock] = Field(model=IfElseBlock)


class ApproveCondition(FlyteIdlEntity):
    """Wait for a yes/no approval: ``ApproveCondition(signal_id)``."""

    _pb_type = _pb.ApproveCondition
    signal_id: Field[str] = Field()


class SignalCondition(FlyteIdlEntity):
    """Wait for a typed value: ``SignalCondition(signal_id, type, output_variable_name)``."""

    _pb_type = _pb.SignalCondition
    signal_id: Field[str] = Field()
    type: Field[LiteralType] = Field(model=LiteralType)
    output_variable_name: Field[str] = Field()


class SleepCondition(FlyteIdlEntity):
    """Wait a fixed time: ``SleepCondition(duration)``."""

    _pb_type = _pb.SleepCondition
    duration: Field[_dt.timedelta | None] = Field()


class GateNode(FlyteIdlEntity):
    """Pause until a condition is met: ``GateNode(signal=None, sleep=None, approve=None)``; set exactly one."""

    _pb_type = _pb.GateNode
    signal: Field[SignalCondition | None] = Field(model=SignalCondition)
    sleep: Field[SleepCondition | None] = Field(model=SleepCondition)
    approve: Field[ApproveCondition | None] = Field(model=ApproveCondition)

    @property
    def condition(self) -> SignalCondition | SleepCondition | ApproveCondition | None:
        """Whichever condition is set."""
        which = self._pb.WhichOneof("condition")
        return None if which is None else getattr(self, which)


class ArrayNode(FlyteIdlEntity):
    """Map a node over its list inputs.

    ``ArrayNode(node, parallelism=None, min_successes=None, min_success_ratio=None, execution_mode=None,
    is_original_sub_node_interface=False, data_mode=None, bound_inputs=None, run_all_sub_nodes=False)``. As in
    flytekit, ``is_original_sub_node_interface`` is always written and ``bound_inputs`` sorted.
    """

    class ExecutionMode(IdlEnum):
        """How much state the array node keeps."""

        MINIMAL_STATE = 0
        FULL_STATE = 1

    class DataMode(IdlEnum):
        """How sub-nodes receive their inputs."""

        SINGLE_INPUT_FILE = 0
        INDIVIDUAL_INPUT_FILES = 1

    _pb_type = _pb.ArrayNode
    node: Field[Node] = Field(model=lambda: Node)
    parallelism: Field[int | None] = Field()
    min_successes: Field[int | None] = Field()
    min_success_ratio: Field[float | None] = Field()
    execution_mode: Field[ArrayNode.ExecutionMode] = Field(enum=ExecutionMode)
    is_original_sub_node_interface: Field[bool | None] = Field(default=False)
    data_mode: Field[ArrayNode.DataMode] = Field(enum=DataMode)
    bound_inputs: Field[list[str]] = Field(coerce=lambda v: sorted(v) or None)
    run_all_sub_nodes: Field[bool] = Field()


class Node(FlyteIdlEntity):
    """One step of a workflow.

    ``Node(id, metadata, inputs, upstream_node_ids, output_aliases, task_node=None, workflow_node=None,
    branch_node=None, gate_node=None, array_node=None)``; set exactly one target. :attr:`target` returns it.
    """

    _pb_type = _pb.Node
    id: Field[str] = Field()
    metadata: Field[NodeMetadata] = Field(model=NodeMetadata)
    inputs: Field[list[Binding]] = Field(model=Binding)
    upstream_node_ids: Field[list[str]] = Field()
    output_aliases: Field[list[Alias]] = Field(model=Alias)
    task_node: Field[TaskNode | None] = Field(model=TaskNode)
    workflow_node: Field[WorkflowNode | None] = Field(model=WorkflowNode)
    branch_node: Field[BranchNode | None] = Field(model=BranchNode)
    gate_node: Field[GateNode | None] = Field(model=GateNode)
    array_node: Field[ArrayNode | None] = Field(model=ArrayNode)

    @property
    def target(self) -> TaskNode | WorkflowNode | BranchNode | GateNode | ArrayNode | None:
        """Whichever of task_node, workflow_node, branch_node, gate_node or array_node is set."""
        which = self._pb.WhichOneof("target")
        return None if which is None else getattr(self, which)


class WorkflowMetadata(FlyteIdlEntity):
    """Workflow-wide settings: ``WorkflowMetadata(on_failure=None, quality_of_service=None, tags=None)``."""

    class OnFailurePolicy(IdlEnum):
        """What happens to running nodes when one fails."""

        FAIL_IMMEDIATELY = 0
        FAIL_AFTER_EXECUTABLE_NODES_COMPLETE = 1

    _pb_type = _pb.WorkflowMetadata
    on_failure: Field[WorkflowMetadata.OnFailurePolicy] = Field(enum=OnFailurePolicy)
    quality_of_service: Field[QualityOfService | None] = Field(model=QualityOfService)
    tags: Field[dict[str, str]] = Field()


class WorkflowMetadataDefaults(FlyteIdlEntity):
    """Defaults for every node of the workflow: ``WorkflowMetadataDefaults(interruptible=None)``."""

    _pb_type = _pb.WorkflowMetadataDefaults
    interruptible: Field[bool] = Field()


class WorkflowTemplate(FlyteIdlEntity):
    """A workflow's structure.

    ``WorkflowTemplate(id, metadata, metadata_defaults, interface, nodes, outputs, failure_node=None)``.
    """

    _pb_type = _pb.WorkflowTemplate
    id: Field[Identifier] = Field(model=Identifier)
    metadata: Field[WorkflowMetadata] = Field(model=WorkflowMetadata)
    metadata_defaults: Field[WorkflowMetadataDefaults | None] = Field(model=WorkflowMetadataDefaults)
    interface: Field[TypedInterface] = Field(model=TypedInterface)
    nodes: Field[list[Node]] = Field(model=Node)
    outputs: Field[list[Binding]] = Field(model=Binding)
    failure_node: Field[Node | None] = Field(model=Node)


class LaunchPlanTemplate(FlyteIdlEntity):
    """A launch plan as a compiled workflow references it: ``LaunchPlanTemplate(id, interface, fixed_inputs)``."""

    _pb_type = _pb.LaunchPlanTemplate
    id: Field[Identifier] = Field(model=Identifier)
    interface: Field[TypedInterface] = Field(model=TypedInterface)
    fixed_inputs: Field[LiteralMap] = Field(model=LiteralMap)
