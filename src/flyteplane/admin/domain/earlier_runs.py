"""What the admin knows of earlier runs that a restart or a recovery acts on: records the store reads and the
engine uses, in one shape for both (the engine's port re-exports them)."""

from __future__ import annotations

from typing import NamedTuple

from flyteidl.core import identifier_pb2

__all__ = ["OpenAttempt", "RecoveredNode"]


class RecoveredNode(NamedTuple):
    """A node that succeeded (or was recovered) in an earlier execution: where its inputs and outputs are, for a
    recovery to reuse."""

    input_uri: str
    output_uri: str


class OpenAttempt(NamedTuple):
    """A task attempt that had not ended when the admin stopped (a restart settles it)."""

    id: identifier_pb2.TaskExecutionIdentifier
    phase_version: int
