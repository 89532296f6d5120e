"""NodeExecutionRepository against a real in-memory store."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import node_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import select

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.node_executions import NewNodeExecution, NodeExecutionChange, NodeExecutionRepository

NODE = core_execution_pb2.NodeExecution
T0 = _dt.datetime(2024, 1, 2, 3, 4, 5)
EXECUTION = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(None)
    yield store
    store.close()


def _node_id(node_id: str) -> identifier_pb2.NodeExecutionIdentifier:
    return identifier_pb2.NodeExecutionIdentifier(execution_id=EXECUTION, node_id=node_id)


def _create(
    store: Store,
    node_id: str,
    phase: int = NODE.RUNNING,
    *,
    parent_id: int | None = None,
    event_version: int = 1,
    output_uri: str = "",
    spec_node_id: str = "",
) -> int:
    repo = NodeExecutionRepository(store)
    closure = node_execution_pb2.NodeExecutionClosure(phase=phase, output_uri=output_uri)
    closure.created_at.FromDatetime(T0)
    with store.begin() as tx:
        repo.create(
            tx,
            NewNodeExecution(
                node_execution_id=_node_id(node_id),
                created_at=T0,
                parent_id=parent_id,
                parent_task_execution_id=None,
                event_version=event_version,
                columns=NodeExecutionChange(
                    closure=closure,
                    phase=NODE.Phase.Name(phase),
                    node_execution_updated_at=T0,
                    updated_at=T0,
                    input_uri=f"mem://{node_id}/inputs",
                    started_at=T0,
                    metadata=node_execution_pb2.NodeExecutionMetaData(spec_node_id=spec_node_id or node_id),
                ),
            ),
        )
        found = repo.find_id(tx, _node_id(node_id))
    assert found is not None
    return found


def test_create_get_and_find(store: Store) -> None:
    repo = NodeExecutionRepository(store)
    _create(store, "n0")
    stored = repo.get(_node_id("n0"))
    node = stored.node_execution
    assert node.id == _node_id("n0") and node.input_uri == "mem://n0/inputs"
    assert node.closure.phase == NODE.RUNNING and node.metadata.spec_node_id == "n0"
    assert stored.dynamic_workflow_reference == ""
    with pytest.raises(AdminError) as raised:
        repo.get(_node_id("missing"))
    assert raised.value.code == grpc.StatusCode.NOT_FOUND
    assert raised.value.message.startswith("missing entity of type node execution with identifier node_id:")


def test_listing_the_top_level_or_the_children_of_a_node(store: Store) -> None:
    repo = NodeExecutionRepository(store)
    parent = _create(store, "n0")
    _create(store, "n0-0-a", parent_id=parent)
    _create(store, "n1")
    request = node_execution_pb2.NodeExecutionListRequest(limit=10)
    top, token = repo.list_page(EXECUTION, request)
    assert [n.id.node_id for n in top] == ["n0", "n1"] and token == ""
    children, _ = repo.list_page(EXECUTION, request, parent_node_id="n0")
    assert [n.id.node_id for n in children] == ["n0-0-a"]
    with pytest.raises(AdminError) as raised:
        repo.list_page(EXECUTION, request, parent_node_id="nope")
    assert raised.value.code == grpc.StatusCode.NOT_FOUND
    with store.read() as tx:
        assert [n.id.node_id for n in repo.tree(tx, EXECUTION, None)] == ["n0", "n1"]
        tree = repo.tree(tx, EXECUTION, parent)
    assert [n.id.node_id for n in tree] == ["n0-0-a"]
    # Times the closure lacks come from the row's columns.
    assert tree[0].closure.updated_at.ToDatetime() == T0 and tree[0].closure.started_at.ToDatetime() == T0


def test_a_legacy_node_with_children_reads_as_a_parent(store: Store) -> None:
    repo = NodeExecutionRepository(store)
    parent = _create(store, "n0", event_version=0)
    _create(store, "n0-0-a", parent_id=parent)
    assert repo.get(_node_id("n0")).node_execution.metadata.is_parent_node


def test_updates_events_and_what_a_restart_reads(store: Store) -> None:
    repo = NodeExecutionRepository(store)
    _create(store, "open")
    _create(store, "done", NODE.SUCCEEDED, output_uri="mem://done/outputs")
    _create(store, "no-outputs", NODE.SUCCEEDED)
    assert sorted(repo.open_node_ids(EXECUTION)) == ["open"]
    outputs = repo.succeeded_outputs(EXECUTION)
    assert list(outputs) == ["done"]
    assert (outputs["done"].input_uri, outputs["done"].output_uri) == ("mem://done/inputs", "mem://done/outputs")

    with store.begin() as tx:
        record = repo.get_for_update(tx, _node_id("open"))
        assert record is not None and record.phase == "RUNNING" and record.input_uri == "mem://open/inputs"
        closure = record.closure
        closure.phase = NODE.FAILED
        error = core_execution_pb2.ExecutionError(code="Boom", kind=core_execution_pb2.ExecutionError.SYSTEM)
        closure.error.CopyFrom(error)
        metadata = record.metadata()
        metadata.is_dynamic = True
        repo.update(
            tx,
            record.row_id,
            NodeExecutionChange(
                closure=closure,
                phase="FAILED",
                node_execution_updated_at=T0,
                updated_at=T0,
                error=error,
                metadata=metadata,
                dynamic_workflow_reference="mem://dynamic",
            ),
        )
        repo.add_event(tx, _node_id("open"), request_id="r", occurred_at=T0, phase="FAILED", now=T0)
        assert repo.get_for_update(tx, _node_id("missing")) is None
    assert repo.open_node_ids(EXECUTION) == []
    stored = repo.get(_node_id("open"))
    assert stored.node_execution.closure.phase == NODE.FAILED and stored.node_execution.metadata.is_dynamic
    assert stored.dynamic_workflow_reference == "mem://dynamic"
    with store.read() as tx:
        row = tx.execute(select(xs.node_executions).where(xs.node_executions.c.node_id == "open")).one()
        events = tx.execute(select(xs.node_execution_events.c.node_id, xs.node_execution_events.c.phase)).all()
    assert (row.error_kind, row.error_code) == ("SYSTEM", "Boom")
    assert [tuple(e) for e in events] == [("open", "FAILED")]
