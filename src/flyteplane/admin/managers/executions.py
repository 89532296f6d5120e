"""Executions: CreateExecution, RelaunchExecution, RecoverExecution, GetExecution, UpdateExecution, GetExecutionData,
ListExecutions, TerminateExecution, GetExecutionMetrics (Flyte Admin's
``flyteadmin/pkg/manager/impl/execution_manager.go``).

The workflow engine (:mod:`flyteplane.admin.engine`) plays propeller's part: it reports every state change of a
run as events to the event recorder, as propeller reports events to Flyte Admin. This manager only ever writes
what Flyte Admin writes itself: the row at creation (phase UNDEFINED), the abort request (ABORTING), and the
archive state.

Creation (the pipeline in :mod:`._execution_launch`) inserts the row first and then hands the run to the engine;
if the engine refuses it, the row becomes FAILED with the error, as Flyte Admin records a workflow that propeller
could not accept. The engine creates the child executions of launch-plan nodes through its port
(:mod:`.engine_port`), with the same pipeline.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import grpc
from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.names import namespace_of
from flyteplane.admin.domain.phases import WORKFLOW_TERMINAL_NAMES
from flyteplane.admin.domain.times import timestamp, utcnow
from flyteplane.admin.domain.validation.common import validate_resource_list_request
from flyteplane.admin.domain.validation.events import terminal_state_error
from flyteplane.admin.domain.validation.executions import validate_workflow_execution_identifier
from flyteplane.admin.errors import AdminError, invalid_argument
from flyteplane.admin.managers._execution_launch import ExecutionCreator
from flyteplane.admin.managers._execution_metrics import ExecutionMetrics
from flyteplane.admin.managers.run_data import read_literal_map, read_message
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.store.executions import (
    ExecutionChange,
    ExecutionRepository,
    StoredExecution,
    missing_execution,
)

if TYPE_CHECKING:
    from flyteplane.admin.engine.port import RunRequest

__all__ = ["ExecutionManager"]

log = logging.getLogger("flyteplane.admin")

Mode = execution_pb2.ExecutionMetadata
Phase = core_execution_pb2.WorkflowExecution
# Flyte Admin's remoteData.maxSizeInBytes: inline output data above it is not returned.
MAX_INLINE_OUTPUT_BYTES = 2 * 1024 * 1024


class WorkflowEngine(Protocol):
    """What this manager needs of the engine (:class:`flyteplane.admin.engine.Engine`)."""

    def launch(self, request: RunRequest) -> None: ...

    def terminate(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str) -> None: ...


class ExecutionManager:
    """Creates, reads, lists, archives and terminates executions, handing each created one to the engine."""

    def __init__(
        self, ctx: AdminContext, *, creator: ExecutionCreator, engine: WorkflowEngine, workflows: WorkflowManager
    ) -> None:
        self._ctx = ctx
        self._executions = ExecutionRepository(ctx.store)
        self._creator = creator
        self._metrics = ExecutionMetrics(ctx, self.get_execution, workflows)
        self._engine = engine

    # --- CreateExecution and its variants ------------------------------------------------------------------------

    def create_execution(self, request: execution_pb2.ExecutionCreateRequest) -> execution_pb2.ExecutionCreateResponse:
        create = execution_pb2.ExecutionCreateRequest()
        create.CopyFrom(request)
        if not create.inputs.literals:  # clients before flyteidl 0.15 send the inputs in the spec
            create.inputs.CopyFrom(create.spec.inputs)
        launch = self._creator.create(create)
        self._hand_over(launch)
        return execution_pb2.ExecutionCreateResponse(id=launch.execution_id)

    def relaunch_execution(
        self, request: execution_pb2.ExecutionRelaunchRequest
    ) -> execution_pb2.ExecutionCreateResponse:
        """The original's spec and user inputs, as a new execution in mode RELAUNCH."""
        original, spec, inputs = self._original(request.id)
        spec.metadata.mode = Mode.RELAUNCH
        spec.metadata.reference_execution.CopyFrom(original.execution.id)
        spec.overwrite_cache = request.overwrite_cache
        return self._create_from(request.id, request.name, spec, inputs, original.row_id)

    def recover_execution(
        self, request: execution_pb2.ExecutionRecoverRequest
    ) -> execution_pb2.ExecutionCreateResponse:
        """Like relaunch, in mode RECOVERED: the engine reuses the outputs of the original's succeeded nodes."""
        original, spec, inputs = self._original(request.id)
        if request.HasField("metadata"):
            spec.metadata.ClearField("parent_node_execution")
            if request.metadata.HasField("parent_node_execution"):
                spec.metadata.parent_node_execution.CopyFrom(request.metadata.parent_node_execution)
        spec.metadata.mode = Mode.RECOVERED
        spec.metadata.reference_execution.CopyFrom(original.execution.id)
        return self._create_from(request.id, request.name, spec, inputs, original.row_id)

    def _original(
        self, identifier: Any
    ) -> tuple[StoredExecution, execution_pb2.ExecutionSpec, literals_pb2.LiteralMap]:
        """The execution to relaunch or recover (Flyte Admin looks it up without validating the id), its spec and
        the inputs its user gave."""
        with self._ctx.store.read() as tx:
            original = self._executions.get_stored(tx, identifier)
        spec = original.execution.spec
        uri = original.user_inputs_uri
        if uri:
            inputs = read_message(self._ctx, uri, literals_pb2.LiteralMap)
            if inputs is None:
                raise AdminError(grpc.StatusCode.INTERNAL, f"failed to read the inputs of the execution at {uri}")
        else:  # rows that predate offloaded inputs keep them in the spec
            inputs = literals_pb2.LiteralMap()
            inputs.CopyFrom(spec.inputs)
        return original, spec, inputs

    def _create_from(
        self,
        identifier: Any,
        name: str,
        spec: execution_pb2.ExecutionSpec,
        inputs: literals_pb2.LiteralMap,
        source_row_id: int,
    ) -> execution_pb2.ExecutionCreateResponse:
        request = execution_pb2.ExecutionCreateRequest(
            project=identifier.project, domain=identifier.domain, name=name, spec=spec, inputs=inputs
        )
        launch = self._creator.create(request, source_execution_row_id=source_row_id)
        self._hand_over(launch)
        return execution_pb2.ExecutionCreateResponse(id=launch.execution_id)

    def _hand_over(self, launch: RunRequest) -> None:
        """Give the created execution to the engine; if it cannot take it, the execution fails with the reason."""
        try:
            self._engine.launch(launch)
        except Exception as e:
            log.warning("the engine refused execution %s: %s", launch.execution_id.name, e)
            self._creator.fail(launch.execution_id, e)

    # --- reads ---------------------------------------------------------------------------------------------------

    def get_execution(self, request: execution_pb2.WorkflowExecutionGetRequest) -> execution_pb2.Execution:
        validate_workflow_execution_identifier(request.id, request.HasField("id"))
        return self._executions.get(request.id, default_namespace=namespace_of(request.id.project, request.id.domain))

    def get_execution_data(
        self, request: execution_pb2.WorkflowExecutionGetDataRequest
    ) -> execution_pb2.WorkflowExecutionGetDataResponse:
        """Full inputs and outputs (signed URLs are off, so the URL blobs are present and empty)."""
        with self._ctx.store.read() as tx:
            stored = self._executions.get_stored(tx, request.id)
        response = execution_pb2.WorkflowExecutionGetDataResponse()
        response.inputs.SetInParent()
        response.outputs.SetInParent()
        response.full_inputs.CopyFrom(read_literal_map(self._ctx, stored.inputs_uri))
        response.full_outputs.CopyFrom(_outputs(self._ctx, stored.execution.closure))
        return response

    def list_executions(self, request: common_pb2.ResourceListRequest) -> execution_pb2.ExecutionList:
        """Executions of a project and domain (and name): ACTIVE ones unless a filter names ``state``; error
        messages cut to 100 bytes and the deprecated inputs cleared, as Flyte Admin lists them."""
        validate_resource_list_request(request)
        listed, token = self._executions.list_page(request)
        for execution in listed:
            execution.spec.ClearField("inputs")
            execution.closure.ClearField("computed_inputs")
        return execution_pb2.ExecutionList(executions=listed, token=token)

    def get_execution_metrics(
        self, request: execution_pb2.WorkflowExecutionGetMetricsRequest
    ) -> execution_pb2.WorkflowExecutionGetMetricsResponse:
        get = execution_pb2.WorkflowExecutionGetRequest()
        if request.HasField("id"):
            get.id.CopyFrom(request.id)
        execution = self.get_execution(get)
        return execution_pb2.WorkflowExecutionGetMetricsResponse(span=self._metrics.span(execution, request.depth))

    # --- changes -------------------------------------------------------------------------------------------------

    def update_execution(self, request: execution_pb2.ExecutionUpdateRequest) -> execution_pb2.ExecutionUpdateResponse:
        """Archive or un-archive: the ``state`` column and ``closure.state_change_details``."""
        validate_workflow_execution_identifier(request.id, request.HasField("id"))
        if request.state not in execution_pb2.ExecutionState.values():
            raise invalid_argument("invalid value for state")  # Flyte Admin would store any number
        now = utcnow()
        with self._ctx.store.begin() as tx:
            record = self._executions.get_for_update(tx, request.id)
            if record is None:
                raise missing_execution(request.id)
            closure = record.closure
            closure.state_change_details.CopyFrom(
                execution_pb2.ExecutionStateChangeDetails(state=request.state, principal="", occurred_at=timestamp(now))
            )
            self._executions.update(
                tx, record.row_id, ExecutionChange(closure=closure, updated_at=now, state=request.state)
            )
        return execution_pb2.ExecutionUpdateResponse()

    def terminate_execution(
        self, request: execution_pb2.ExecutionTerminateRequest
    ) -> execution_pb2.ExecutionTerminateResponse:
        """Mark the execution ABORTING with the cause, then have the engine stop it (its ABORTED event ends it)."""
        validate_workflow_execution_identifier(request.id, request.HasField("id"))
        now = utcnow()
        with self._ctx.store.begin() as tx:
            record = self._executions.get_for_update(tx, request.id)
            if record is None:
                raise missing_execution(request.id)
            if record.phase in WORKFLOW_TERMINAL_NAMES:
                raise terminal_state_error("Cannot abort an already terminated workflow execution", record.phase)
            closure = record.closure
            closure.abort_metadata.CopyFrom(execution_pb2.AbortMetadata(cause=request.cause, principal=""))
            closure.phase = Phase.ABORTING
            self._executions.update(
                tx,
                record.row_id,
                ExecutionChange(closure=closure, updated_at=now, phase="ABORTING", abort_cause=request.cause),
            )
        try:
            self._engine.terminate(request.id, request.cause)
        except AdminError:
            raise
        except Exception as e:
            log.warning("the engine failed to terminate execution %s: %s", request.id.name, e)
            raise AdminError(grpc.StatusCode.INTERNAL, f"failed to terminate the execution: {e}") from None
        return execution_pb2.ExecutionTerminateResponse()


def _outputs(ctx: AdminContext, closure: execution_pb2.ExecutionClosure) -> literals_pb2.LiteralMap:
    """Flyte Admin's GetOutputs: inline output data (if small enough), else the map at the outputs URI."""
    inline = None
    if closure.WhichOneof("output_result") == "output_data":
        inline = closure.output_data
    elif closure.WhichOneof("output_result") == "outputs" and closure.outputs.WhichOneof("data") == "values":
        inline = closure.outputs.values
    if inline is not None:
        size = inline.ByteSize()
        if size >= MAX_INLINE_OUTPUT_BYTES:
            raise _too_large(size, MAX_INLINE_OUTPUT_BYTES)
        return inline
    if closure.WhichOneof("output_result") == "outputs" and closure.outputs.uri:
        return read_literal_map(ctx, closure.outputs.uri)
    return literals_pb2.LiteralMap()


def _too_large(size: int, limit: int) -> AdminError:
    """Flyte Admin's answer to inline output data above the response limit."""
    return AdminError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"limit exceeded. {size}b > {limit}b.")
