"""Node executions (``flyteidl.admin.node_execution``): one node of a run, its phase and outputs."""

from __future__ import annotations

import datetime as _dt

from flyteidl.admin import node_execution_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity
from flyteplane.models.core.catalog import CatalogCacheStatus, CatalogMetadata
from flyteplane.models.core.compiler import CompiledWorkflowClosure
from flyteplane.models.core.execution import ExecutionError, NodeExecutionPhase
from flyteplane.models.core.identifier import Identifier, NodeExecutionIdentifier, WorkflowExecutionIdentifier
from flyteplane.models.literals import LiteralMap

__all__ = [
    "DynamicWorkflowNodeMetadata",
    "NodeExecution",
    "NodeExecutionClosure",
    "NodeExecutionMetaData",
    "TaskNodeMetadata",
    "WorkflowNodeMetadata",
]


class WorkflowNodeMetadata(FlyteIdlEntity):
    """The run a workflow node started: ``WorkflowNodeMetadata(execution_id)``."""

    _pb_type = _pb.WorkflowNodeMetadata
    execution_id: Field[WorkflowExecutionIdentifier] = Field("executionId", model=WorkflowExecutionIdentifier)


class TaskNodeMetadata(FlyteIdlEntity):
    """What the cache did for a task node: ``TaskNodeMetadata(cache_status, catalog_key, checkpoint_uri=None)``."""

    _pb_type = _pb.TaskNodeMetadata
    cache_status: Field[CatalogCacheStatus] = Field(enum=CatalogCacheStatus)
    catalog_key: Field[CatalogMetadata | None] = Field(model=CatalogMetadata)
    checkpoint_uri: Field[str] = Field()


class DynamicWorkflowNodeMetadata(FlyteIdlEntity):
    """The workflow a dynamic node generated.

    ``DynamicWorkflowNodeMetadata(id, compiled_workflow, dynamic_job_spec_uri=None)``.
    """

    _pb_type = _pb.DynamicWorkflowNodeMetadata
    id: Field[Identifier] = Field(model=Identifier)
    compiled_workflow: Field[CompiledWorkflowClosure] = Field(model=CompiledWorkflowClosure)
    dynamic_job_spec_uri: Field[str] = Field()


class NodeExecutionClosure(FlyteIdlEntity):
    """A node's state.

    ``NodeExecutionClosure(phase, started_at, duration, output_uri=None, deck_uri=None, error=None,
    workflow_node_metadata=None, task_node_metadata=None, created_at=None, updated_at=None, output_data=None,
    dynamic_job_spec_uri=None)``.
    """

    _pb_type = _pb.NodeExecutionClosure
    phase: Field[NodeExecutionPhase] = Field(enum=NodeExecutionPhase)
    started_at: Field[_dt.datetime | None] = Field()
    duration: Field[_dt.timedelta | None] = Field()
    output_uri: Field[str | None] = Field()
    deck_uri: Field[str] = Field()
    error: Field[ExecutionError | None] = Field(model=ExecutionError)
    workflow_node_metadata: Field[WorkflowNodeMetadata | None] = Field(model=WorkflowNodeMetadata)
    task_node_metadata: Field[TaskNodeMetadata | None] = Field(model=TaskNodeMetadata)
    created_at: Field[_dt.datetime | None] = Field()
    updated_at: Field[_dt.datetime | None] = Field()
    output_data: Field[LiteralMap | None] = Field(model=LiteralMap)
    dynamic_job_spec_uri: Field[str] = Field()

    @property
    def target_metadata(self) -> WorkflowNodeMetadata | TaskNodeMetadata | None:
        """Whichever of workflow_node_metadata or task_node_metadata is set."""
        which = self._pb.WhichOneof("target_metadata")
        return None if which is None else getattr(self, which)


class NodeExecutionMetaData(FlyteIdlEntity):
    """How the node relates to others.

    ``NodeExecutionMetaData(retry_group, is_parent_node, spec_node_id, is_dynamic, is_array, is_eager)``.
    """

    _pb_type = _pb.NodeExecutionMetaData
    retry_group: Field[str] = Field()
    is_parent_node: Field[bool] = Field()
    spec_node_id: Field[str] = Field()
    is_dynamic: Field[bool] = Field()
    is_array: Field[bool] = Field()
    is_eager: Field[bool] = Field()


class NodeExecution(FlyteIdlEntity):
    """One node of a run: ``NodeExecution(id, input_uri, closure, metadata)``."""

    _pb_type = _pb.NodeExecution
    id: Field[NodeExecutionIdentifier] = Field(model=NodeExecutionIdentifier)
    input_uri: Field[str] = Field()
    closure: Field[NodeExecutionClosure] = Field(model=NodeExecutionClosure)
    metadata: Field[NodeExecutionMetaData] = Field(model=NodeExecutionMetaData)
