"""The phase rules, written once: terminal, open and active sets and the names rows store."""

from __future__ import annotations

import grpc
import pytest

from flyteplane.admin.domain import phases
from flyteplane.admin.domain.phases import NodePhase, TaskPhase, WorkflowPhase
from flyteplane.admin.errors import AdminError


def test_terminal_and_open_split_every_workflow_phase() -> None:
    assert {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"} == phases.WORKFLOW_TERMINAL_NAMES
    assert {"UNDEFINED", "QUEUED", "RUNNING", "SUCCEEDING", "FAILING", "ABORTING"} == phases.WORKFLOW_OPEN_NAMES
    assert set(WorkflowPhase.Phase.keys()) == phases.WORKFLOW_OPEN_NAMES | phases.WORKFLOW_TERMINAL_NAMES
    assert {"QUEUED", "RUNNING"} == phases.WORKFLOW_ACTIVE_NAMES


def test_node_phases() -> None:
    assert phases.names(NodePhase.Phase, phases.NODE_TERMINAL) == {
        "SUCCEEDED",
        "FAILED",
        "TIMED_OUT",
        "ABORTED",
        "SKIPPED",
        "RECOVERED",
    }
    assert {"UNDEFINED", "QUEUED", "RUNNING", "FAILING", "DYNAMIC_RUNNING"} == phases.NODE_OPEN_NAMES
    assert {"SUCCEEDED", "RECOVERED"} == phases.NODE_SUCCEEDED_NAMES


def test_a_retryable_failure_is_neither_terminal_nor_open() -> None:
    # The attempt has ended, its node goes on with the next one: a restart settles the node, not the attempt.
    assert TaskPhase.RETRYABLE_FAILED not in phases.TASK_TERMINAL
    assert "RETRYABLE_FAILED" not in phases.TASK_OPEN_NAMES
    assert {"UNDEFINED", "QUEUED", "RUNNING", "INITIALIZING", "WAITING_FOR_RESOURCES"} == phases.TASK_OPEN_NAMES


def test_row_names() -> None:
    assert phases.phase_name(WorkflowPhase.Phase, WorkflowPhase.RUNNING) == "RUNNING"
    assert phases.stored_phase(WorkflowPhase.Phase, "RUNNING") == WorkflowPhase.RUNNING
    assert phases.stored_phase(WorkflowPhase.Phase, "NOT_A_PHASE") == WorkflowPhase.UNDEFINED


def test_an_unknown_phase_number_is_the_clients_mistake() -> None:
    with pytest.raises(AdminError) as raised:
        phases.phase_name(WorkflowPhase.Phase, 999)
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.message == "invalid value for phase"
