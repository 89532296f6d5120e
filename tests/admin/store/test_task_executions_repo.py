"""TaskExecutionRepository against a real in-memory store."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.node_executions import NewNodeExecution, NodeExecutionChange, NodeExecutionRepository
from flyteplane.admin.store.task_executions import NewTaskExecution, TaskExecutionChange, TaskExecutionRepository

TASK = core_execution_pb2.TaskExecution
T0 = _dt.datetime(2024, 1, 2, 3, 4, 5)
EXECUTION = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1")
NODE_ID = identifier_pb2.NodeExecutionIdentifier(execution_id=EXECUTION, node_id="n0")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(None)
    yield store
    store.close()


def _attempt(retry: int) -> identifier_pb2.TaskExecutionIdentifier:
    return identifier_pb2.TaskExecutionIdentifier(
        task_id=identifier_pb2.Identifier(
            resource_type=identifier_pb2.TASK, project="p", domain="d", name="t", version="v1"
        ),
        node_execution_id=NODE_ID,
        retry_attempt=retry,
    )


def _create(store: Store, retry: int, phase: int) -> None:
    closure = task_execution_pb2.TaskExecutionClosure(phase=phase)
    with store.begin() as tx:
        TaskExecutionRepository(store).create(
            tx,
            NewTaskExecution(
                task_execution_id=_attempt(retry),
                created_at=T0,
                columns=TaskExecutionChange(
                    closure=closure,
                    phase=TASK.Phase.Name(phase),
                    phase_version=0,
                    task_execution_updated_at=T0,
                    updated_at=T0,
                    input_uri="mem://inputs",
                ),
            ),
        )


def test_attempts_read_back_with_their_identifiers(store: Store) -> None:
    repo = TaskExecutionRepository(store)
    _create(store, 0, TASK.RETRYABLE_FAILED)
    _create(store, 1, TASK.RUNNING)
    task = repo.get(_attempt(1))
    assert task.id == _attempt(1) and task.input_uri == "mem://inputs" and not task.is_parent
    listed, token = repo.list_page(NODE_ID, task_execution_pb2.TaskExecutionListRequest(limit=10))
    assert [t.id.retry_attempt for t in listed] == [0, 1] and token == ""
    with store.read() as tx:
        attempts = repo.attempts(tx, NODE_ID)
        assert repo.find_id(tx, _attempt(2)) is None
    assert [a.id.retry_attempt for a in attempts] == [0, 1]
    assert attempts[0].closure.created_at.ToDatetime() == T0  # from the row's column
    # A RETRYABLE_FAILED attempt has ended; only the running one is open.
    assert [(a.id, a.phase_version) for a in repo.open_attempts(EXECUTION)] == [(_attempt(1), 0)]


def test_a_missing_attempt_is_not_found_without_its_retry_attempt(store: Store) -> None:
    with pytest.raises(AdminError) as raised:
        TaskExecutionRepository(store).get(_attempt(3))
    assert raised.value.code == grpc.StatusCode.NOT_FOUND
    assert "retry_attempt" not in raised.value.message and "resource_type" not in raised.value.message
    assert raised.value.message.startswith("missing entity of type task execution with identifier task_id:")


def test_an_attempt_with_child_nodes_is_a_parent(store: Store) -> None:
    repo = TaskExecutionRepository(store)
    _create(store, 0, TASK.RUNNING)
    with store.begin() as tx:
        parent = repo.find_id(tx, _attempt(0))
        NodeExecutionRepository(store).create(
            tx,
            NewNodeExecution(
                node_execution_id=identifier_pb2.NodeExecutionIdentifier(execution_id=EXECUTION, node_id="n0-0-dn0"),
                created_at=T0,
                parent_id=None,
                parent_task_execution_id=parent,
                event_version=1,
                columns=NodeExecutionChange(
                    closure=node_execution_pb2.NodeExecutionClosure(),
                    phase="QUEUED",
                    node_execution_updated_at=T0,
                    updated_at=T0,
                ),
            ),
        )
    assert repo.get(_attempt(0)).is_parent


def test_update_in_the_callers_transaction(store: Store) -> None:
    repo = TaskExecutionRepository(store)
    _create(store, 0, TASK.QUEUED)
    with store.begin() as tx:
        record = repo.get_for_update(tx, _attempt(0))
        assert record is not None and record.phase == "QUEUED" and record.started_at is None
        closure = record.closure
        closure.phase = TASK.SUCCEEDED
        closure.output_uri = "mem://outputs"
        repo.update(
            tx,
            record.row_id,
            TaskExecutionChange(
                closure=closure,
                phase="SUCCEEDED",
                phase_version=2,
                task_execution_updated_at=T0,
                updated_at=T0,
                started_at=T0,
                duration=7,
            ),
        )
        updated = repo.get_for_update(tx, _attempt(0))
    assert updated is not None
    assert (updated.phase, updated.phase_version, updated.started_at) == ("SUCCEEDED", 2, T0)
    assert repo.get(_attempt(0)).closure.output_uri == "mem://outputs"
    assert repo.open_attempts(EXECUTION) == []
