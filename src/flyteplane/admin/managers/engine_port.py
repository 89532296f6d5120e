"""EngineAdmin: the admin's side of the engine's port (:class:`flyteplane.admin.engine.port.AdminPort`).

Propeller reaches Flyte Admin through events, CreateExecution for a launch-plan node's child, and reads of the
executions it watches; the engine reaches the admin through this one object, built by
:mod:`flyteplane.admin.wiring`. Events go to the event recorder; a child is created by the same pipeline as
CreateExecution (:mod:`._execution_launch`), with the parent's settings; the end of a child is learnt from the
recorder through :class:`~.run_endings.RunEndings`, so no one polls the store for it. A gate node's signal goes
through the SignalService's own manager (:class:`~.signals.SignalManager`), whose SetSignal wakes the node.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from flyteidl.admin import execution_pb2, launch_plan_pb2, signal_pb2
from flyteidl.core import catalog_pb2, identifier_pb2, literals_pb2, types_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.catalog_keys import ArtifactKey
from flyteplane.admin.domain.names import child_execution_name
from flyteplane.admin.domain.phases import WORKFLOW_TERMINAL
from flyteplane.admin.engine.port import (
    CacheEntry,
    CacheReservation,
    ChildLaunch,
    ChildOutcome,
    LaunchedChild,
    RecoveredNode,
    UnfinishedRun,
)
from flyteplane.admin.errors import AdminError, not_found
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.managers._execution_launch import DuplicateExecution, ExecutionCreator
from flyteplane.admin.managers.catalog import CatalogManager
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.run_data import read_message
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.managers.signals import SignalManager
from flyteplane.admin.store.executions import ExecutionRepository
from flyteplane.admin.store.node_executions import NodeExecutionRepository
from flyteplane.admin.store.registry import LaunchPlanRepository
from flyteplane.admin.store.task_executions import TaskExecutionRepository

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
        self,
        ctx: AdminContext,
        *,
        recorder: EventRecorder,
        creator: ExecutionCreator,
        endings: RunEndings,
        signals: SignalManager | None = None,
        catalog: CatalogManager | None = None,
    ) -> None:
        self._ctx = ctx
        # The task cache (datacatalog's part); the one ``flyteplane cache`` also reaches, through the store.
        self._catalog = catalog if catalog is not None else CatalogManager(ctx.store)
        # The one that serves SetSignal, so that it wakes the engine's gate nodes.
        self._signals = signals if signals is not None else SignalManager(ctx)
        self._executions = ExecutionRepository(ctx.store)
        self._node_executions = NodeExecutionRepository(ctx.store)
        self._task_executions = TaskExecutionRepository(ctx.store)
        self._launch_plans = LaunchPlanRepository(ctx.store)
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
        try:
            closure = self._executions.get(child).closure
        except AdminError:
            return ChildOutcome(
                _W.FAILED,
                error=_system_error("ChildNotFound", f"child execution [{child.name}] does not exist"),
            )
        if closure.phase not in WORKFLOW_TERMINAL:
            return None
        outcome = ChildOutcome(closure.phase)
        if closure.HasField("error"):
            outcome.error = closure.error
        if closure.phase == _W.SUCCEEDED:
            uri = closure.outputs.uri if closure.HasField("outputs") else ""
            outputs = read_message(self._ctx, uri, literals_pb2.LiteralMap) if uri else literals_pb2.LiteralMap()
            if outputs is None:
                outcome.phase = _W.FAILED
                outcome.error = _system_error(
                    "OutputsNotFound", f"the outputs of child execution [{child.name}] cannot be read"
                )
            outcome.outputs = outputs
        return outcome

    def get_launch_plan(self, launch_plan_id: identifier_pb2.Identifier) -> launch_plan_pb2.LaunchPlan:
        """The launch plan a dynamic workflow calls, as GetLaunchPlan finds it."""
        plan = self._launch_plans.get(launch_plan_id)
        if plan is None:
            raise not_found(reg.missing_entity("LAUNCH_PLAN", launch_plan_id))
        return plan

    # -- signals (gate nodes) ----------------------------------------------------------------------------------
    def get_or_create_signal(
        self, signal_id: identifier_pb2.SignalIdentifier, literal_type: types_pb2.LiteralType
    ) -> signal_pb2.Signal:
        """GetOrCreateSignal, as propeller's gate handler calls it."""
        request = signal_pb2.SignalGetOrCreateRequest(id=signal_id, type=literal_type)
        return self._signals.get_or_create_signal(request)

    def watch_signal(self, signal_id: identifier_pb2.SignalIdentifier) -> AbstractContextManager[threading.Event]:
        return self._signals.waits.watch(signal_id)

    # -- what a start finds --------------------------------------------------------------------------------------
    def unfinished_runs(self, created_before: _dt.datetime) -> list[UnfinishedRun]:
        return [
            UnfinishedRun(
                run.execution_id,
                aborting=run.phase == "ABORTING",
                open_attempts=self._task_executions.open_attempts(run.execution_id),
                open_node_ids=self._node_executions.open_node_ids(run.execution_id),
            )
            for run in self._executions.open_runs(created_before)
        ]

    def recovered_nodes(self, source: identifier_pb2.WorkflowExecutionIdentifier) -> dict[str, RecoveredNode]:
        return self._node_executions.succeeded_outputs(source)

    # -- the task cache ---------------------------------------------------------------------------------------------
    def get_cached(self, key: ArtifactKey) -> CacheEntry | None:
        return self._catalog.get_cached(key)

    def put_cached(
        self,
        key: ArtifactKey,
        outputs: literals_pb2.LiteralMap,
        source: identifier_pb2.TaskExecutionIdentifier,
        *,
        overwrite: bool,
    ) -> catalog_pb2.CatalogMetadata:
        return self._catalog.put_cached(key, outputs, source, overwrite=overwrite)

    def get_or_extend_reservation(self, key: ArtifactKey, owner_id: str, heartbeat_seconds: float) -> CacheReservation:
        return self._catalog.get_or_extend_reservation(key, owner_id, heartbeat_seconds)

    def release_reservation(self, key: ArtifactKey, owner_id: str) -> None:
        self._catalog.release_reservation(key, owner_id)


def _system_error(code: str, message: str) -> core_execution_pb2.ExecutionError:
    return core_execution_pb2.ExecutionError(code=code, message=message, kind=core_execution_pb2.ExecutionError.SYSTEM)
