"""Node executions: GetNodeExecution, ListNodeExecutions, ListNodeExecutionsForTask, GetNodeExecutionData,
GetDynamicNodeWorkflow (flyteadmin-semantics.md §5.11, §3).

The rows are written by the :class:`~flyteplane.admin.managers.execution_records.EventRecorder`; this manager only
reads them. A listing without ``unique_parent_id`` shows the top level of a run (nodes with neither a parent node
nor a parent task execution); with it, the children of that node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flyteidl.admin import common_pb2, node_execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2
from sqlalchemy import Connection, Row, Select, select

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.validation.common import validate_limit
from flyteplane.admin.errors import AdminError, invalid_argument, not_found
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store import listing

__all__ = ["NodeExecutionManager", "output_literal_map"]

_NE = xs.node_executions
_COLUMNS = (
    _NE.c.execution_project,
    _NE.c.execution_domain,
    _NE.c.execution_name,
    _NE.c.node_id,
    _NE.c.input_uri,
    _NE.c.closure,
    _NE.c.node_execution_metadata,
    _NE.c.internal_data,
    _NE.c.dynamic_workflow_remote_closure_reference,
)


def output_literal_map(ctx: AdminContext, closure: Any) -> literals_pb2.LiteralMap:
    """A node or task execution's outputs, as Flyte Admin's GetOutputs reads them: inline data under the size limit,
    else the map at the output URI, else an empty map."""
    if closure.HasField("output_data"):
        if closure.output_data.ByteSize() < rec.MAX_OUTPUT_BYTES:
            outputs = literals_pb2.LiteralMap()
            outputs.CopyFrom(closure.output_data)
            return outputs
        return literals_pb2.LiteralMap()
    return rec.read_literal_map(ctx, closure.output_uri)


class NodeExecutionManager:
    """Answers the node execution reads."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    # --- single node executions ----------------------------------------------------------------------------------

    def get_node_execution(
        self, request: node_execution_pb2.NodeExecutionGetRequest
    ) -> node_execution_pb2.NodeExecution:
        with self._ctx.store.read() as conn:
            row = self._row(conn, request)
            return self._messages(conn, [row], trim=False)[0]

    def get_node_execution_data(
        self, request: node_execution_pb2.NodeExecutionGetDataRequest
    ) -> node_execution_pb2.NodeExecutionGetDataResponse:
        with self._ctx.store.read() as conn:
            row = self._row(conn, request)
            node = self._messages(conn, [row], trim=False)[0]
        response = node_execution_pb2.NodeExecutionGetDataResponse(
            # Signed URLs are off, as in Flyte Admin's default configuration: present but empty.
            inputs=common_pb2.UrlBlob(),
            outputs=common_pb2.UrlBlob(),
            full_inputs=rec.read_literal_map(self._ctx, node.input_uri),
            full_outputs=output_literal_map(self._ctx, node.closure),
            flyte_urls=rec.flyte_urls(node.id, None, bool(node.closure.deck_uri)),
        )
        reference = row.dynamic_workflow_remote_closure_reference
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
        with self._ctx.store.read() as conn:
            row = self._row(conn, request)
        reference = row.dynamic_workflow_remote_closure_reference
        if not reference:
            raise not_found("node does not contain dynamic workflow")
        return node_execution_pb2.DynamicNodeWorkflowResponse(compiled_workflow=self._dynamic_closure(reference))

    def _row(self, conn: Connection, request: Any) -> Row[Any]:
        # Flyte Admin only logs identifier problems here; an incomplete id is simply not found. Without an id or
        # its execution id there is nothing to look up.
        if not request.HasField("id"):
            raise invalid_argument("missing id")
        if not request.id.HasField("execution_id"):
            raise invalid_argument("missing execution_id")
        row = rec.node_row(conn, request.id, _NE.c.id, *_COLUMNS)
        if row is None:
            raise rec.missing_node_execution(request.id)
        return row

    def _dynamic_closure(self, reference: str) -> compiler_pb2.CompiledWorkflowClosure:
        closure = rec.read_message(self._ctx, reference, compiler_pb2.CompiledWorkflowClosure)
        if closure is None:
            raise rec.internal_error(f"Unable to read WorkflowClosure from location {reference} : object not found")
        if not closure.HasField("primary") or not closure.primary.HasField("template"):
            raise rec.internal_error("Empty primary workflow template in loaded dynamic workflow model.")
        return closure

    # --- listings ------------------------------------------------------------------------------------------------

    def list_node_executions(
        self, request: node_execution_pb2.NodeExecutionListRequest
    ) -> node_execution_pb2.NodeExecutionList:
        execution = request.workflow_execution_id
        try:
            rec.validate_workflow_execution_identifier(execution, request.HasField("workflow_execution_id"))
        except AdminError:  # Flyte Admin says this for any problem with the identifier
            raise invalid_argument("missing execution_id") from None
        validate_limit(request.limit)
        ids: Select[Any] = select(_NE.c.id).where(rec.where_key(_NE, rec.execution_key(execution)))
        with self._ctx.store.read() as conn:
            if request.unique_parent_id:
                parent_id = identifier_pb2.NodeExecutionIdentifier(
                    execution_id=execution, node_id=request.unique_parent_id
                )
                parent = rec.node_row(conn, parent_id, _NE.c.id)
                if parent is None:
                    raise rec.missing_node_execution(parent_id)
                ids = ids.where(_NE.c.parent_id == parent.id)
            else:
                ids = ids.where(_NE.c.parent_task_execution_id.is_(None), _NE.c.parent_id.is_(None))
            return self._page(conn, ids, request, "ListNodeExecutions")

    def list_node_executions_for_task(
        self, request: node_execution_pb2.NodeExecutionForTaskListRequest
    ) -> node_execution_pb2.NodeExecutionList:
        task_execution = rec.with_task_resource_type(request.task_execution_id)
        rec.validate_task_execution_identifier(task_execution, request.HasField("task_execution_id"))
        validate_limit(request.limit)
        execution = task_execution.node_execution_id.execution_id
        with self._ctx.store.read() as conn:
            parent = rec.task_row(conn, task_execution, xs.task_executions.c.id)
            if parent is None:
                raise rec.missing_task_execution(task_execution)
            ids: Select[Any] = select(_NE.c.id).where(
                rec.where_key(_NE, rec.execution_key(execution)), _NE.c.parent_task_execution_id == parent.id
            )
            return self._page(conn, ids, request, "ListNodeExecutions")

    def _page(self, conn: Connection, ids: Select[Any], request: Any, rpc: str) -> node_execution_pb2.NodeExecutionList:
        ids, _ = listing.apply_filters(ids, request.filters, "node_execution")
        # Flyte Admin has no default order (PostgreSQL returns rows as stored); creation order is the same, stably.
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), "node_execution", [_NE.c.id.asc()])
        rows, token = reg.page_rows(conn, _NE, ids, _COLUMNS, request.limit, request.token, rpc)
        return node_execution_pb2.NodeExecutionList(node_executions=self._messages(conn, rows, trim=True), token=token)

    # --- messages ------------------------------------------------------------------------------------------------

    def _messages(
        self, conn: Connection, rows: Sequence[Row[Any]], *, trim: bool
    ) -> list[node_execution_pb2.NodeExecution]:
        """``admin.NodeExecution`` for each row. Lists cut error messages to 100 bytes, as Flyte Admin's do."""
        messages = []
        legacy = []  # rows from events without an event_version: their parent bit comes from their children
        for row in rows:
            node = node_execution_pb2.NodeExecution(
                id=identifier_pb2.NodeExecutionIdentifier(
                    node_id=row.node_id,
                    execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                        project=row.execution_project, domain=row.execution_domain, name=row.execution_name
                    ),
                ),
                input_uri=row.input_uri or "",
            )
            node.closure.ParseFromString(row.closure)
            node.metadata.ParseFromString(row.node_execution_metadata or b"")
            if trim and node.closure.HasField("error") and node.closure.error.message:
                node.closure.error.message = rec.trim_error_message(node.closure.error.message)
            metadata = node.metadata
            if rec.event_version_of(row.internal_data) == 0 and not (metadata.is_parent_node or metadata.is_dynamic):
                legacy.append((row, node))
            messages.append(node)
        if legacy:
            parents = rec.ids_with_children(conn, _NE.c.parent_id, [row.id for row, _ in legacy])
            for row, node in legacy:
                if row.id in parents:
                    node.metadata.is_parent_node = True
                    if row.dynamic_workflow_remote_closure_reference:
                        node.metadata.is_dynamic = True
        return messages
