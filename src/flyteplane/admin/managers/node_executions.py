"""Node executions: GetNodeExecution, ListNodeExecutions, ListNodeExecutionsForTask, GetNodeExecutionData,
GetDynamicNodeWorkflow (Flyte Admin's ``flyteadmin/pkg/manager/impl/node_execution_manager.go``).

The rows are written by the :class:`~flyteplane.admin.managers.event_recorder.EventRecorder`; this manager only
reads them. A listing without ``unique_parent_id`` shows the top level of a run (nodes with neither a parent node
nor a parent task execution); with it, the children of that node.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import common_pb2, node_execution_pb2
from flyteidl.core import compiler_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.flyte_urls import flyte_urls
from flyteplane.admin.domain.validation.common import validate_limit
from flyteplane.admin.domain.validation.executions import validate_workflow_execution_identifier
from flyteplane.admin.domain.validation.task_executions import (
    validate_task_execution_identifier,
    with_task_resource_type,
)
from flyteplane.admin.errors import AdminError, invalid_argument, not_found
from flyteplane.admin.managers.run_data import internal_error, output_literal_map, read_literal_map, read_message
from flyteplane.admin.store.node_executions import NodeExecutionRepository, StoredNodeExecution
from flyteplane.admin.store.task_executions import TaskExecutionRepository, missing_task_execution

__all__ = ["NodeExecutionManager", "output_literal_map"]


class NodeExecutionManager:
    """Answers the node execution reads."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._nodes = NodeExecutionRepository(ctx.store)
        self._tasks = TaskExecutionRepository(ctx.store)

    # --- single node executions ----------------------------------------------------------------------------------

    def get_node_execution(
        self, request: node_execution_pb2.NodeExecutionGetRequest
    ) -> node_execution_pb2.NodeExecution:
        return self._get(request).node_execution

    def get_node_execution_data(
        self, request: node_execution_pb2.NodeExecutionGetDataRequest
    ) -> node_execution_pb2.NodeExecutionGetDataResponse:
        stored = self._get(request)
        node = stored.node_execution
        response = node_execution_pb2.NodeExecutionGetDataResponse(
            # Signed URLs are off, as in Flyte Admin's default configuration: present but empty.
            inputs=common_pb2.UrlBlob(),
            outputs=common_pb2.UrlBlob(),
            full_inputs=read_literal_map(self._ctx, node.input_uri),
            full_outputs=output_literal_map(self._ctx, node.closure),
            flyte_urls=flyte_urls(node.id, None, bool(node.closure.deck_uri)),
        )
        reference = stored.dynamic_workflow_reference
        if reference:
            closure = self._dynamic_closure(reference)
            response.dynamic_workflow.CopyFrom(
                node_execution_pb2.DynamicWorkflowNodeMetadata(
                    id=closure.primary.template.id,
                    compiled_workflow=closure,
                    dynamic_job_spec_uri=node.closure.dynamic_job_spec_uri,
                )
            )
        return response

    def get_dynamic_node_workflow(
        self, request: node_execution_pb2.GetDynamicNodeWorkflowRequest
    ) -> node_execution_pb2.DynamicNodeWorkflowResponse:
        reference = self._get(request).dynamic_workflow_reference
        if not reference:
            raise not_found("node does not contain dynamic workflow")
        return node_execution_pb2.DynamicNodeWorkflowResponse(compiled_workflow=self._dynamic_closure(reference))

    def _get(self, request: Any) -> StoredNodeExecution:
        # Flyte Admin only logs identifier problems here; an incomplete id is simply not found. Without an id or
        # its execution id there is nothing to look up.
        if not request.HasField("id"):
            raise invalid_argument("missing id")
        if not request.id.HasField("execution_id"):
            raise invalid_argument("missing execution_id")
        return self._nodes.get(request.id)

    def _dynamic_closure(self, reference: str) -> compiler_pb2.CompiledWorkflowClosure:
        closure = read_message(self._ctx, reference, compiler_pb2.CompiledWorkflowClosure)
        if closure is None:
            raise internal_error(f"Unable to read WorkflowClosure from location {reference} : object not found")
        if not closure.HasField("primary") or not closure.primary.HasField("template"):
            raise internal_error("Empty primary workflow template in loaded dynamic workflow model.")
        return closure

    # --- listings ------------------------------------------------------------------------------------------------

    def list_node_executions(
        self, request: node_execution_pb2.NodeExecutionListRequest
    ) -> node_execution_pb2.NodeExecutionList:
        execution = request.workflow_execution_id
        try:
            validate_workflow_execution_identifier(execution, request.HasField("workflow_execution_id"))
        except AdminError:  # Flyte Admin says this for any problem with the identifier
            raise invalid_argument("missing execution_id") from None
        validate_limit(request.limit)
        nodes, token = self._nodes.list_page(execution, request, parent_node_id=request.unique_parent_id)
        return node_execution_pb2.NodeExecutionList(node_executions=nodes, token=token)

    def list_node_executions_for_task(
        self, request: node_execution_pb2.NodeExecutionForTaskListRequest
    ) -> node_execution_pb2.NodeExecutionList:
        task_execution = with_task_resource_type(request.task_execution_id)
        validate_task_execution_identifier(task_execution, request.HasField("task_execution_id"))
        validate_limit(request.limit)
        with self._ctx.store.read() as tx:
            parent = self._tasks.find_id(tx, task_execution)
        if parent is None:
            raise missing_task_execution(task_execution)
        execution = task_execution.node_execution_id.execution_id
        nodes, token = self._nodes.list_page(execution, request, parent_task_row_id=parent)
        return node_execution_pb2.NodeExecutionList(node_executions=nodes, token=token)
