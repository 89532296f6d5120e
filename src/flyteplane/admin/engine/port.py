"""The engine's port: everything the engine needs from the rest of the admin, and the words it says it in.

The engine plays propeller. Propeller talks to Flyte Admin through events (CreateWorkflowEvent, CreateNodeEvent,
CreateTaskEvent), CreateExecution for a launch-plan node's child, reads of executions it watches, and
GetOrCreateSignal for a gate node's signal; the engine does the same through :class:`AdminPort`, implemented on the
admin side by :class:`flyteplane.admin.managers.engine_port.EngineAdmin`. Nothing under ``engine/`` imports a
manager or the store: this module is the whole contract, so the engine can be run against any implementation
(tests use one that records what the engine asked for).
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from flyteidl.admin import execution_pb2, launch_plan_pb2, signal_pb2
from flyteidl.core import catalog_pb2, compiler_pb2, identifier_pb2, literals_pb2, types_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.domain.catalog_keys import ArtifactKey
from flyteplane.admin.domain.earlier_runs import OpenAttempt, RecoveredNode

__all__ = [
    "AdminPort",
    "CacheEntry",
    "CacheReservation",
    "ChildLaunch",
    "ChildOutcome",
    "GateSignals",
    "LaunchedChild",
    "OpenAttempt",
    "RecoveredNode",
    "RunRequest",
    "TaskCatalog",
    "UnfinishedRun",
]


class RunRequest(NamedTuple):
    """An execution to run: its record exists (phase UNDEFINED); this is what the run needs."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    closure: compiler_pb2.CompiledWorkflowClosure
    inputs: literals_pb2.LiteralMap
    spec: execution_pb2.ExecutionSpec
    """The effective spec: the stored spec plus every setting the admin resolved (labels, envs, raw output...)."""
    recover_from: identifier_pb2.WorkflowExecutionIdentifier | None = None
    """Reuse the outputs of this execution's succeeded nodes (RecoverExecution)."""


class ChildLaunch(NamedTuple):
    """What a launch-plan node asks the admin to start (propeller's launch-plan executor's CreateExecution)."""

    parent_node_execution_id: identifier_pb2.NodeExecutionIdentifier
    launch_plan_id: identifier_pb2.Identifier
    inputs: literals_pb2.LiteralMap
    parent_spec: execution_pb2.ExecutionSpec


class LaunchedChild(NamedTuple):
    """The child execution of a launch-plan node; ``run`` is None when an earlier launch of the same node
    created it already (propeller's child names are deterministic, so a retry finds the first one)."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    run: RunRequest | None


@dataclass
class ChildOutcome:
    """How a child execution ended: its workflow phase, and its outputs or error."""

    phase: int
    outputs: literals_pb2.LiteralMap | None = None
    error: core_execution_pb2.ExecutionError | None = None


class UnfinishedRun(NamedTuple):
    """An execution an earlier admin process left open, with what is still open inside it."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    aborting: bool
    """It was being aborted (phase ABORTING): it ends ABORTED rather than FAILED."""
    open_attempts: list[OpenAttempt]
    open_node_ids: list[str]


class GateSignals(Protocol):
    """The part of :class:`AdminPort` gate nodes use (see its methods of the same names)."""

    def get_or_create_signal(
        self, signal_id: identifier_pb2.SignalIdentifier, literal_type: types_pb2.LiteralType
    ) -> signal_pb2.Signal: ...

    def watch_signal(self, signal_id: identifier_pb2.SignalIdentifier) -> AbstractContextManager[threading.Event]: ...


class CacheEntry(NamedTuple):
    """Cached outputs found in the catalog, with what node events report of them."""

    outputs: literals_pb2.LiteralMap
    metadata: catalog_pb2.CatalogMetadata
    """The dataset, the artifact's tag and id, and the task execution that computed it."""


class CacheReservation(NamedTuple):
    """Who holds the reservation of a cache key (datacatalog's Reservation)."""

    owner_id: str
    heartbeat_seconds: float
    """How often the owner must extend it before it expires."""


class TaskCatalog(Protocol):
    """The task cache, as propeller reaches datacatalog (see :class:`AdminPort`'s methods of the same names)."""

    def get_cached(self, key: ArtifactKey) -> CacheEntry | None: ...

    def put_cached(
        self,
        key: ArtifactKey,
        outputs: literals_pb2.LiteralMap,
        source: identifier_pb2.TaskExecutionIdentifier,
        *,
        overwrite: bool,
    ) -> catalog_pb2.CatalogMetadata: ...

    def get_or_extend_reservation(
        self, key: ArtifactKey, owner_id: str, heartbeat_seconds: float
    ) -> CacheReservation: ...

    def release_reservation(self, key: ArtifactKey, owner_id: str) -> None: ...


class AdminPort(Protocol):
    """What the engine needs of the admin."""

    # -- events: the only way run state changes (Flyte Admin's event RPCs) ---------------------------------------
    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None: ...

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None: ...

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None: ...

    # -- child executions -------------------------------------------------------------------------------------------
    def create_child_execution(self, child: ChildLaunch) -> LaunchedChild:
        """Create the child execution of a launch-plan node, as CreateExecution with the parent's settings.

        Raises:
            AdminError: the admin refuses it (the node fails with the admin's message).
        """
        ...

    def wait_for_end(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, stop: Callable[[], bool], timeout: float
    ) -> ChildOutcome | None:
        """Block until the execution has ended and return how; None when ``stop()`` turns true or ``timeout``
        seconds pass first. Woken by the recorder when the execution's terminal event is recorded (no polling of
        the store); ``stop`` is checked a few times a second."""
        ...

    def get_launch_plan(self, launch_plan_id: identifier_pb2.Identifier) -> launch_plan_pb2.LaunchPlan:
        """A registered launch plan, as GetLaunchPlan returns it (a dynamic workflow that calls it is compiled
        against its interface, as propeller reads it from Flyte Admin).

        Raises:
            AdminError: NOT_FOUND when there is no such launch plan.
        """
        ...

    # -- signals (gate nodes; Flyte Admin's SignalService) -------------------------------------------------------
    def get_or_create_signal(
        self, signal_id: identifier_pb2.SignalIdentifier, literal_type: types_pb2.LiteralType
    ) -> signal_pb2.Signal:
        """The signal (with its value once SetSignal gave it one), created with ``literal_type`` if missing, as
        propeller's gate handler asks GetOrCreateSignal.

        Raises:
            AdminError: the admin refuses it (e.g. the signal exists with another type).
        """
        ...

    def watch_signal(self, signal_id: identifier_pb2.SignalIdentifier) -> AbstractContextManager[threading.Event]:
        """While inside, the event is set whenever SetSignal gives the signal a value: watch first, then read the
        signal, so a value set in between still wakes the waiter (no polling of the store)."""
        ...

    # -- what a start finds --------------------------------------------------------------------------------------
    def unfinished_runs(self, created_before: _dt.datetime) -> list[UnfinishedRun]:
        """Executions created before ``created_before`` (by an earlier admin process) that are still open."""
        ...

    def recovered_nodes(self, source: identifier_pb2.WorkflowExecutionIdentifier) -> dict[str, RecoveredNode]:
        """The nodes (by node execution id) that succeeded in ``source``, with where their data is."""
        ...

    # -- the task cache (propeller's catalog client: datacatalog's artifacts, tags and reservations) ----------------
    def get_cached(self, key: ArtifactKey) -> CacheEntry | None:
        """The outputs cached under ``key``, or None (a miss)."""
        ...

    def put_cached(
        self,
        key: ArtifactKey,
        outputs: literals_pb2.LiteralMap,
        source: identifier_pb2.TaskExecutionIdentifier,
        *,
        overwrite: bool,
    ) -> catalog_pb2.CatalogMetadata:
        """Cache ``outputs`` under ``key`` (with ``overwrite``, replacing what is there, as an execution's
        ``overwrite_cache``); return the catalog metadata of what ``key`` now holds."""
        ...

    def get_or_extend_reservation(self, key: ArtifactKey, owner_id: str, heartbeat_seconds: float) -> CacheReservation:
        """Take or extend the reservation of ``key`` for ``owner_id`` unless another owner holds it unexpired;
        return who holds it (datacatalog's GetOrExtendReservation)."""
        ...

    def release_reservation(self, key: ArtifactKey, owner_id: str) -> None:
        """Release ``owner_id``'s reservation of ``key`` (datacatalog's ReleaseReservation; no error when it holds
        none)."""
        ...
