"""Phases of workflow, node and task executions: which end a run, which are still open, and how rows name them.

Flyte Admin's rules (``pkg/common/executions.go`` and the repositories' phase filters of flyteorg/flyte) are
written here once. Rows store a phase by its enum name (``"RUNNING"``), as Flyte Admin's do; the ``*_NAMES`` sets
are the same sets, spelled as the rows spell them, for queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flyteidl.core import execution_pb2

from flyteplane.admin.errors import invalid_argument

__all__ = [
    "NODE_OPEN_NAMES",
    "NODE_SUCCEEDED_NAMES",
    "NODE_TERMINAL",
    "TASK_OPEN_NAMES",
    "TASK_TERMINAL",
    "WORKFLOW_ACTIVE_NAMES",
    "WORKFLOW_OPEN_NAMES",
    "WORKFLOW_TERMINAL",
    "WORKFLOW_TERMINAL_NAMES",
    "NodePhase",
    "TaskPhase",
    "WorkflowPhase",
    "names",
    "phase_name",
    "stored_phase",
]

WorkflowPhase = execution_pb2.WorkflowExecution
NodePhase = execution_pb2.NodeExecution
TaskPhase = execution_pb2.TaskExecution

WORKFLOW_TERMINAL = frozenset(
    {WorkflowPhase.SUCCEEDED, WorkflowPhase.FAILED, WorkflowPhase.TIMED_OUT, WorkflowPhase.ABORTED}
)
"""A workflow execution in one of these has ended; no event moves it again."""
NODE_TERMINAL = frozenset(
    {
        NodePhase.SUCCEEDED,
        NodePhase.FAILED,
        NodePhase.TIMED_OUT,
        NodePhase.ABORTED,
        NodePhase.SKIPPED,
        NodePhase.RECOVERED,
    }
)
TASK_TERMINAL = frozenset({TaskPhase.SUCCEEDED, TaskPhase.FAILED, TaskPhase.ABORTED})


def names(enum: Any, phases: Iterable[int]) -> frozenset[str]:
    """The row spelling of ``phases`` of ``enum`` (``WorkflowPhase.Phase``, ...)."""
    return frozenset(enum.Name(p) for p in phases)


WORKFLOW_TERMINAL_NAMES = names(WorkflowPhase.Phase, WORKFLOW_TERMINAL)
WORKFLOW_OPEN_NAMES = frozenset(WorkflowPhase.Phase.keys()) - WORKFLOW_TERMINAL_NAMES
"""Not ended yet (UNDEFINED, QUEUED, RUNNING, SUCCEEDING, FAILING, ABORTING): what a restart has to settle."""
WORKFLOW_ACTIVE_NAMES = names(WorkflowPhase.Phase, (WorkflowPhase.QUEUED, WorkflowPhase.RUNNING))
"""What counts against a launch plan's concurrency (Flyte Admin's active-executions filter)."""
NODE_OPEN_NAMES = frozenset(NodePhase.Phase.keys()) - names(NodePhase.Phase, NODE_TERMINAL)
NODE_SUCCEEDED_NAMES = names(NodePhase.Phase, (NodePhase.SUCCEEDED, NodePhase.RECOVERED))
"""Nodes whose outputs a recovery may reuse."""
TASK_OPEN_NAMES = frozenset(TaskPhase.Phase.keys()) - names(
    TaskPhase.Phase, (*TASK_TERMINAL, TaskPhase.RETRYABLE_FAILED)
)
"""Attempts still going; a RETRYABLE_FAILED attempt has ended (its node goes on with the next attempt)."""


def phase_name(enum: Any, value: int) -> str:
    """The name the row stores for a phase (``"RUNNING"``); an unknown number is a client's mistake."""
    descriptor = enum.DESCRIPTOR.values_by_number.get(value)
    if descriptor is None:
        raise invalid_argument("invalid value for phase")
    return str(descriptor.name)


def stored_phase(enum: Any, name: str) -> int:
    """The phase a row stores by name (UNDEFINED for a name this flyteidl does not know)."""
    descriptor = enum.DESCRIPTOR.values_by_name.get(name)
    return int(descriptor.number) if descriptor is not None else 0
