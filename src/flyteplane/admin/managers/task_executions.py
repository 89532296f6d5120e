"""Task executions: GetTaskExecution, ListTaskExecutions, GetTaskExecutionData (Flyte Admin's
``flyteadmin/pkg/manager/impl/task_execution_manager.go``).

One row per attempt of a task node, written by the
:class:`~flyteplane.admin.managers.event_recorder.EventRecorder`; this manager only reads them.
"""

from __future__ import annotations

from flyteidl.admin import common_pb2, task_execution_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.flyte_urls import flyte_urls
from flyteplane.admin.domain.validation.common import validate_limit
from flyteplane.admin.domain.validation.node_executions import validate_node_execution_identifier
from flyteplane.admin.domain.validation.task_executions import (
    validate_task_execution_identifier,
    with_task_resource_type,
)
from flyteplane.admin.managers.run_data import output_literal_map, read_literal_map
from flyteplane.admin.store.task_executions import TaskExecutionRepository

__all__ = ["TaskExecutionManager"]


class TaskExecutionManager:
    """Answers the task execution reads."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._tasks = TaskExecutionRepository(ctx.store)

    def get_task_execution(
        self, request: task_execution_pb2.TaskExecutionGetRequest
    ) -> task_execution_pb2.TaskExecution:
        identifier = with_task_resource_type(request.id)
        validate_task_execution_identifier(identifier, request.HasField("id"))
        return self._tasks.get(identifier)

    def get_task_execution_data(
        self, request: task_execution_pb2.TaskExecutionGetDataRequest
    ) -> task_execution_pb2.TaskExecutionGetDataResponse:
        task = self.get_task_execution(task_execution_pb2.TaskExecutionGetRequest(id=request.id))
        identifier = with_task_resource_type(request.id)
        return task_execution_pb2.TaskExecutionGetDataResponse(
            # Signed URLs are off, as in Flyte Admin's default configuration: present but empty.
            inputs=common_pb2.UrlBlob(),
            outputs=common_pb2.UrlBlob(),
            full_inputs=read_literal_map(self._ctx, task.input_uri),
            full_outputs=output_literal_map(self._ctx, task.closure),
            flyte_urls=flyte_urls(identifier.node_execution_id, identifier.retry_attempt, False),
        )

    def list_task_executions(
        self, request: task_execution_pb2.TaskExecutionListRequest
    ) -> task_execution_pb2.TaskExecutionList:
        node = request.node_execution_id
        validate_node_execution_identifier(node, request.HasField("node_execution_id"))
        validate_limit(request.limit)
        tasks, token = self._tasks.list_page(node, request)
        return task_execution_pb2.TaskExecutionList(task_executions=tasks, token=token)
