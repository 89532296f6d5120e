"""Task executions: GetTaskExecution, ListTaskExecutions, GetTaskExecutionData (flyteadmin-semantics.md §5.12, §3).

One row per attempt of a task node, written by the
:class:`~flyteplane.admin.managers.execution_records.EventRecorder`; this manager only reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flyteidl.admin import common_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import Connection, Row, Select, select

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.validation.common import validate_limit
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.managers.node_executions import output_literal_map
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store import listing

__all__ = ["TaskExecutionManager"]

_TE = xs.task_executions
_COLUMNS = (
    _TE.c.project,
    _TE.c.domain,
    _TE.c.name,
    _TE.c.version,
    _TE.c.execution_project,
    _TE.c.execution_domain,
    _TE.c.execution_name,
    _TE.c.node_id,
    _TE.c.retry_attempt,
    _TE.c.input_uri,
    _TE.c.closure,
)


class TaskExecutionManager:
    """Answers the task execution reads."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def get_task_execution(
        self, request: task_execution_pb2.TaskExecutionGetRequest
    ) -> task_execution_pb2.TaskExecution:
        identifier = rec.with_task_resource_type(request.id)
        rec.validate_task_execution_identifier(identifier, request.HasField("id"))
        with self._ctx.store.read() as conn:
            row = rec.task_row(conn, identifier, _TE.c.id, *_COLUMNS)
            if row is None:
                raise rec.missing_task_execution(identifier)
            return self._messages(conn, [row])[0]

    def get_task_execution_data(
        self, request: task_execution_pb2.TaskExecutionGetDataRequest
    ) -> task_execution_pb2.TaskExecutionGetDataResponse:
        task = self.get_task_execution(task_execution_pb2.TaskExecutionGetRequest(id=request.id))
        identifier = rec.with_task_resource_type(request.id)
        return task_execution_pb2.TaskExecutionGetDataResponse(
            # Signed URLs are off, as in Flyte Admin's default configuration: present but empty.
            inputs=common_pb2.UrlBlob(),
            outputs=common_pb2.UrlBlob(),
            full_inputs=rec.read_literal_map(self._ctx, task.input_uri),
            full_outputs=output_literal_map(self._ctx, task.closure),
            flyte_urls=rec.flyte_urls(identifier.node_execution_id, identifier.retry_attempt, False),
        )

    def list_task_executions(
        self, request: task_execution_pb2.TaskExecutionListRequest
    ) -> task_execution_pb2.TaskExecutionList:
        node = request.node_execution_id
        rec.validate_node_execution_identifier(node, request.HasField("node_execution_id"))
        validate_limit(request.limit)
        ids: Select[Any] = select(_TE.c.id).where(rec.where_key(_TE, rec.node_execution_key(node)))
        ids, _ = listing.apply_filters(ids, request.filters, "task_execution")
        # Flyte Admin has no default order (PostgreSQL returns rows as stored); creation order is the same, stably.
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), "task_execution", [_TE.c.id.asc()])
        with self._ctx.store.read() as conn:
            rows, token = reg.page_rows(conn, _TE, ids, _COLUMNS, request.limit, request.token, "ListTaskExecutions")
            return task_execution_pb2.TaskExecutionList(task_executions=self._messages(conn, rows), token=token)

    def _messages(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[task_execution_pb2.TaskExecution]:
        """``admin.TaskExecution`` for each row; an attempt with child node executions (dynamic tasks, array tasks)
        is a parent. Error messages stay whole, also in lists (the console shows them in full)."""
        parents = rec.ids_with_children(conn, xs.node_executions.c.parent_task_execution_id, [row.id for row in rows])
        messages = []
        for row in rows:
            task = task_execution_pb2.TaskExecution(
                id=identifier_pb2.TaskExecutionIdentifier(
                    task_id=identifier_pb2.Identifier(
                        resource_type=identifier_pb2.TASK,
                        project=row.project,
                        domain=row.domain,
                        name=row.name,
                        version=row.version,
                    ),
                    node_execution_id=identifier_pb2.NodeExecutionIdentifier(
                        node_id=row.node_id,
                        execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                            project=row.execution_project, domain=row.execution_domain, name=row.execution_name
                        ),
                    ),
                    retry_attempt=row.retry_attempt,
                ),
                input_uri=row.input_uri or "",
                is_parent=row.id in parents,
            )
            task.closure.ParseFromString(row.closure)
            messages.append(task)
        return messages
