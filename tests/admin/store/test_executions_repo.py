"""ExecutionRepository against a real in-memory store."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import func, select

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.executions import (
    DuplicateExecution,
    ExecutionChange,
    ExecutionRepository,
    NewExecution,
)

WF = core_execution_pb2.WorkflowExecution
T0 = _dt.datetime(2024, 1, 2, 3, 4, 5)


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(None)
    yield store
    store.close()


def _id(name: str) -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name=name)


def _create(store: Store, name: str, *, at: _dt.datetime = T0, principal: str = "alice", tags=()) -> None:  # type: ignore[no-untyped-def]
    spec = execution_pb2.ExecutionSpec(metadata=execution_pb2.ExecutionMetadata(principal=principal))
    closure = execution_pb2.ExecutionClosure(phase=WF.UNDEFINED)
    with store.begin() as tx:
        ExecutionRepository(store).create(
            tx,
            NewExecution(
                execution_id=_id(name),
                spec=spec,
                closure=closure,
                launch_plan_row_id=None,
                workflow_row_id=None,
                task_row_id=None,
                inputs_uri=f"mem://{name}/inputs",
                user_inputs_uri=f"mem://{name}/user_inputs",
                source_row_id=None,
                parent_node_row_id=None,
                created_at=at,
                tags=tags,
            ),
        )


def test_create_then_read_it_back_as_flyte_admin_returns_it(store: Store) -> None:
    repo = ExecutionRepository(store)
    _create(store, "e1", tags=[("team", "ml"), ("nightly", "")])
    execution = repo.get(_id("e1"), default_namespace="p-d")
    assert execution.id == _id("e1")
    assert execution.spec.metadata.principal == "alice"
    assert execution.spec.metadata.system_metadata.namespace == "p-d"
    # No state change details stored: the defaults Flyte Admin derives (ACTIVE, by the row's user, at creation).
    details = execution.closure.state_change_details
    assert details.state == execution_pb2.EXECUTION_ACTIVE and details.principal == "alice"
    with store.read() as tx:
        stored = repo.get_stored(tx, _id("e1"))
        assert stored.inputs_uri == "mem://e1/inputs" and stored.user_inputs_uri == "mem://e1/user_inputs"
        assert stored.user == "alice"
        assert repo.find_id(tx, _id("e1")) == stored.row_id
        assert repo.exists(tx, _id("e1")) and not repo.exists(tx, _id("nope"))
        assert repo.cluster_of(tx, _id("e1")) == "" and repo.cluster_of(tx, _id("nope")) is None
        assert repo.count_active(tx, "p", "d", "any-plan") == 0  # no launch plan behind it
        tags = tx.execute(select(func.count()).select_from(xs.execution_tags)).scalar_one()
    assert tags == 2


def test_a_missing_execution_is_not_found_in_flyte_admins_words(store: Store) -> None:
    with pytest.raises(AdminError) as raised:
        ExecutionRepository(store).get(_id("missing"))
    assert raised.value.code == grpc.StatusCode.NOT_FOUND
    assert raised.value.message == (
        'missing entity of type execution with identifier project:"p" domain:"d" name:"missing"'
    )


def test_a_taken_name_is_a_duplicate(store: Store) -> None:
    _create(store, "e1")
    with pytest.raises(DuplicateExecution) as raised:
        _create(store, "e1")
    assert raised.value.code == grpc.StatusCode.ALREADY_EXISTS


def test_state_changes_and_events_in_one_transaction(store: Store) -> None:
    repo = ExecutionRepository(store)
    _create(store, "e1")
    with store.begin() as tx:
        record = repo.get_for_update(tx, _id("e1"))
        assert record is not None and record.phase == "UNDEFINED" and record.started_at is None
        closure = record.closure
        closure.phase = WF.FAILED
        error = core_execution_pb2.ExecutionError(code="Boom", message="x" * 300, kind=1)
        closure.error.CopyFrom(error)
        spec = record.spec()
        spec.metadata.system_metadata.execution_cluster = "c1"
        repo.update(
            tx,
            record.row_id,
            ExecutionChange(
                closure=closure,
                updated_at=T0,
                phase="FAILED",
                started_at=T0,
                duration=5,
                cluster="c1",
                spec=spec,
                error=error,
            ),
        )
        repo.add_event(tx, _id("e1"), request_id="r1", occurred_at=T0, phase="FAILED", now=T0)
    with store.read() as tx:
        row = tx.execute(select(xs.executions)).one()
        events = tx.execute(select(xs.execution_events.c.phase, xs.execution_events.c.request_id)).all()
    assert (row.phase, row.cluster, row.duration, row.error_kind, row.error_code) == ("FAILED", "c1", 5, "USER", "Boom")
    assert [tuple(e) for e in events] == [("FAILED", "r1")]
    got = repo.get(_id("e1"))
    assert got.closure.error.message == "x" * 300  # GetExecution keeps the whole message
    assert got.spec.metadata.system_metadata.execution_cluster == "c1"
    assert repo.open_runs(T0 + _dt.timedelta(days=1)) == []  # FAILED has ended


def test_open_runs_are_the_unfinished_ones_created_before_the_cutoff(store: Store) -> None:
    repo = ExecutionRepository(store)
    _create(store, "old")
    _create(store, "new", at=T0 + _dt.timedelta(hours=1))
    _create(store, "aborting")
    with store.begin() as tx:
        record = repo.get_for_update(tx, _id("aborting"))
        assert record is not None
        repo.update(tx, record.row_id, ExecutionChange(closure=record.closure, phase="ABORTING", abort_cause="stop"))
    runs = repo.open_runs(T0 + _dt.timedelta(minutes=1))
    assert sorted((run.execution_id.name, run.phase) for run in runs) == [
        ("aborting", "ABORTING"),
        ("old", "UNDEFINED"),
    ]


def test_list_pages_active_executions_with_trimmed_errors(store: Store) -> None:
    repo = ExecutionRepository(store)
    for name in ("a", "b", "c"):
        _create(store, name)
    with store.begin() as tx:
        record = repo.get_for_update(tx, _id("b"))
        assert record is not None
        closure = record.closure
        closure.error.message = "é" * 100  # 200 bytes: cut to 100, on a character boundary
        repo.update(tx, record.row_id, ExecutionChange(closure=closure))
        archived = repo.get_for_update(tx, _id("c"))
        assert archived is not None
        repo.update(tx, archived.row_id, ExecutionChange(closure=archived.closure, state=1))
    request = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project="p", domain="d"), limit=1)
    first, token = repo.list_page(request)
    assert [e.id.name for e in first] == ["a"] and token == "1"
    request.token = token
    second, token = repo.list_page(request)
    assert [e.id.name for e in second] == ["b"] and second[0].closure.error.message == "é" * 50
    request.token = token
    third, token = repo.list_page(request)
    assert third == [] and token == ""  # "c" is archived
    request.token, request.filters, request.limit = "", "eq(state,1)", 10
    archived_only, _ = repo.list_page(request)
    assert [e.id.name for e in archived_only] == ["c"]
