"""EngineAdmin: the admin's side of the engine's port (:class:`flyteplane.admin.engine.port.AdminPort`).

Propeller reaches Flyte Admin through events, CreateExecution for a launch-plan node's child, and reads of the
executions it watches; the engine reaches the admin through this one object, built by
:mod:`flyteplane.admin.wiring`. Events go to the event recorder; a child is created by the same pipeline as
CreateExecution (:mod:`._execution_launch`), with the parent's settings; the end of a child is learnt from the
recorder through :class:`~.run_endings.RunEndings`, so no one polls the store for it.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable

from flyteidl.admin import execution_pb2, node_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.event import event_pb2
from google.protobuf.message import DecodeError
from sqlalchemy import and_, select

from flyteplane.admin.blobs import BlobError
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.names import child_execution_name
from flyteplane.admin.domain.phases import (
    NODE_OPEN_NAMES,
    NODE_SUCCEEDED_NAMES,
    TASK_OPEN_NAMES,
    WORKFLOW_OPEN_NAMES,
    WORKFLOW_TERMINAL,
    stored_phase,
)
from flyteplane.admin.engine.port import (
    ChildLaunch,
    ChildOutcome,
    LaunchedChild,
    OpenAttempt,
    RecoveredNode,
    UnfinishedRun,
)
from flyteplane.admin.managers._execution_launch import DuplicateExecution, ExecutionCreator
from flyteplane.admin.managers.execution_records import EventRecorder
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.store import execution_schema as xs

__all__ = ["EngineAdmin"]

_W = core_execution_pb2.WorkflowExecution
Mode = execution_pb2.ExecutionMetadata
# How often a waiting launch-plan node checks whether it should stop waiting (its parent aborted, the engine
# halted); the child's end itself wakes it at once.
_STOP_CHECK_SECONDS = 0.25
# What a child execution inherits from its parent's spec (propeller's launch-plan executor copies these).
_INHERITED = (
    "labels",
    "annotations",
    "security_context",
    "raw_output_data_config",
    "interruptible",
    "envs",
    "cluster_assignment",
)


class EngineAdmin:
    """The admin as the engine sees it (see :class:`~flyteplane.admin.engine.port.AdminPort`)."""

    def __init__(
        self, ctx: AdminContext, *, recorder: EventRecorder, creator: ExecutionCreator, endings: RunEndings
    ) -> None:
        self._ctx = ctx
        self._recorder = recorder
        self._creator = creator
        self._endings = endings

    # -- events ---------------------------------------------------------------------------------------------------
    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None:
        self._recorder.record_workflow_event(event, request_id)

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
        self._recorder.record_node_event(event, request_id)

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None:
        self._recorder.record_task_event(event, request_id)

    # -- child executions -------------------------------------------------------------------------------------------
    def create_child_execution(self, child: ChildLaunch) -> LaunchedChild:
        """CreateExecution of the launch plan with the parent's settings, named as propeller names it; a repeated
        launch of the same node finds the execution the first one created."""
        parent_node = child.parent_node_execution_id
        parent_execution = parent_node.execution_id
        parent_spec = child.parent_spec
        plan_id = identifier_pb2.Identifier()
        plan_id.CopyFrom(child.launch_plan_id)
        if plan_id.resource_type == identifier_pb2.UNSPECIFIED:
            plan_id.resource_type = identifier_pb2.LAUNCH_PLAN
        spec = execution_pb2.ExecutionSpec(
            launch_plan=plan_id,
            metadata=execution_pb2.ExecutionMetadata(
                mode=Mode.CHILD_WORKFLOW,
                principal=parent_spec.metadata.principal,
                nesting=parent_spec.metadata.nesting + 1,
                parent_node_execution=parent_node,
            ),
            max_parallelism=parent_spec.max_parallelism,
            overwrite_cache=parent_spec.overwrite_cache,
        )
        for field in _INHERITED:
            if parent_spec.HasField(field):
                getattr(spec, field).CopyFrom(getattr(parent_spec, field))
        spec.execution_env_assignments.extend(parent_spec.execution_env_assignments)
        name = child_execution_name(parent_execution.name, parent_node.node_id)
        request = execution_pb2.ExecutionCreateRequest(
            project=parent_execution.project, domain=parent_execution.domain, name=name, spec=spec, inputs=child.inputs
        )
        try:
            run = self._creator.create(request)
        except DuplicateExecution:
            existing = identifier_pb2.WorkflowExecutionIdentifier(
                project=parent_execution.project, domain=parent_execution.domain, name=name
            )
            return LaunchedChild(existing, None)
        return LaunchedChild(run.execution_id, run)

    def wait_for_end(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, stop: Callable[[], bool], timeout: float
    ) -> ChildOutcome | None:
        deadline = time.monotonic() + timeout
        with self._endings.watch(execution_id) as ended:
            while True:
                # Read once now, and once after each wake-up: watching started before the read, so an end
                # recorded in between has set the event.
                outcome = self._outcome(execution_id)
                if outcome is not None:
                    return outcome
                while not ended.wait(min(_STOP_CHECK_SECONDS, max(0.0, deadline - time.monotonic()))):
                    if stop() or time.monotonic() >= deadline:
                        return None
                ended.clear()

    def _outcome(self, child: identifier_pb2.WorkflowExecutionIdentifier) -> ChildOutcome | None:
        """How a child execution ended, or None while it runs; outputs are read from its closure's URI."""
        with self._ctx.store.read() as conn:
            row = conn.execute(
                select(xs.executions.c.phase, xs.executions.c.closure).where(
                    xs.executions.c.execution_project == child.project,
                    xs.executions.c.execution_domain == child.domain,
                    xs.executions.c.execution_name == child.name,
                )
            ).first()
        if row is None:
            return ChildOutcome(
                _W.FAILED,
                error=core_execution_pb2.ExecutionError(
                    code="ChildNotFound",
                    message=f"child execution [{child.name}] does not exist",
                    kind=core_execution_pb2.ExecutionError.SYSTEM,
                ),
            )
        phase = stored_phase(_W.Phase, row.phase)
        if phase not in WORKFLOW_TERMINAL:
            return None
        closure = execution_pb2.ExecutionClosure.FromString(row.closure)
        outcome = ChildOutcome(phase)
        if closure.HasField("error"):
            outcome.error = closure.error
        if phase == _W.SUCCEEDED:
            blobs = self._ctx.blobs
            uri = closure.outputs.uri if closure.HasField("outputs") else ""
            key = blobs.key_from_native_url(uri) if uri else None
            try:
                outcome.outputs = literals_pb2.LiteralMap.FromString(blobs.get(key) if key else b"")
            except (BlobError, DecodeError):
                outcome.phase = _W.FAILED
                outcome.error = core_execution_pb2.ExecutionError(
                    code="OutputsNotFound",
                    message=f"the outputs of child execution [{child.name}] cannot be read",
                    kind=core_execution_pb2.ExecutionError.SYSTEM,
                )
        return outcome

    # -- what a start finds --------------------------------------------------------------------------------------
    def unfinished_runs(self, created_before: _dt.datetime) -> list[UnfinishedRun]:
        ctx = self._ctx
        with ctx.store.read() as conn:
            rows = conn.execute(
                select(
                    xs.executions.c.execution_project,
                    xs.executions.c.execution_domain,
                    xs.executions.c.execution_name,
                    xs.executions.c.phase,
                ).where(
                    xs.executions.c.phase.in_(WORKFLOW_OPEN_NAMES),
                    xs.executions.c.execution_created_at < created_before,
                )
            ).all()
            runs = []
            for project, domain, name, phase in rows:
                eid = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)
                tasks = conn.execute(
                    select(xs.task_executions).where(
                        _execution_where(xs.task_executions, eid), xs.task_executions.c.phase.in_(TASK_OPEN_NAMES)
                    )
                ).all()
                nodes = conn.execute(
                    select(xs.node_executions.c.node_id).where(
                        _execution_where(xs.node_executions, eid), xs.node_executions.c.phase.in_(NODE_OPEN_NAMES)
                    )
                ).all()
                attempts = [
                    OpenAttempt(
                        identifier_pb2.Identifier(
                            resource_type=identifier_pb2.TASK,
                            project=t.project,
                            domain=t.domain,
                            name=t.name,
                            version=t.version,
                        ),
                        t.node_id,
                        t.retry_attempt,
                        t.phase_version,
                    )
                    for t in tasks
                ]
                runs.append(UnfinishedRun(eid, phase == "ABORTING", attempts, [n for (n,) in nodes]))
        return runs

    def recovered_nodes(self, source: identifier_pb2.WorkflowExecutionIdentifier) -> dict[str, RecoveredNode]:
        with self._ctx.store.read() as conn:
            rows = conn.execute(
                select(
                    xs.node_executions.c.node_id, xs.node_executions.c.input_uri, xs.node_executions.c.closure
                ).where(
                    _execution_where(xs.node_executions, source), xs.node_executions.c.phase.in_(NODE_SUCCEEDED_NAMES)
                )
            ).all()
        found: dict[str, RecoveredNode] = {}
        for node_id, input_uri, closure_bytes in rows:
            try:
                closure = node_execution_pb2.NodeExecutionClosure.FromString(closure_bytes)
            except DecodeError:
                continue
            if closure.output_uri:
                found[node_id] = RecoveredNode(input_uri=input_uri or "", output_uri=closure.output_uri)
        return found


def _execution_where(table, eid):  # type: ignore[no-untyped-def]
    return and_(
        table.c.execution_project == eid.project,
        table.c.execution_domain == eid.domain,
        table.c.execution_name == eid.name,
    )
