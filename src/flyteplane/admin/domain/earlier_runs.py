"""What the admin knows of earlier runs that a restart or a recovery acts on: records the store reads and the
engine uses, in one shape for both (the engine's port re-exports them)."""

from __future__ import annotations

from typing import NamedTuple

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from google.protobuf import timestamp_pb2

__all__ = ["OpenAttempt", "RecordedAttempt", "RecordedNode", "RecoveredNode"]


class RecoveredNode(NamedTuple):
    """A node that succeeded (or was recovered) in an earlier execution: where its inputs and outputs are, for a
    recovery to reuse."""

    input_uri: str
    output_uri: str


class OpenAttempt(NamedTuple):
    """A task attempt that had not ended when the admin stopped (a restart settles it)."""

    id: identifier_pb2.TaskExecutionIdentifier
    phase_version: int


class RecordedAttempt(NamedTuple):
    """One task execution (attempt) of a node as the store holds it, for a resumed run to go on from."""

    id: identifier_pb2.TaskExecutionIdentifier
    phase: int
    """A ``core.TaskExecution.Phase``."""
    phase_version: int
    error_code: str
    """The code of its error ("" when it has none)."""


class RecordedNode(NamedTuple):
    """One node execution of an unfinished execution as the store holds it: a resumed run reuses what ended and
    goes on from where what is open stands."""

    node_id: str
    phase: int
    """A ``core.NodeExecution.Phase``."""
    input_uri: str
    output_uri: str
    error: core_execution_pb2.ExecutionError | None
    started_at: timestamp_pb2.Timestamp | None
    """When it was reported RUNNING (a sleep gate's deadline counts from it)."""
    child_execution: identifier_pb2.WorkflowExecutionIdentifier | None
    """The child execution a launch-plan node started."""
    attempts: tuple[RecordedAttempt, ...]
    """Its task executions, by retry attempt."""
