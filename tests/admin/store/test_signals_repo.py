"""SignalRepository against a real in-memory store."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.signals import SignalRepository

T0 = _dt.datetime(2024, 1, 2, 3, 4, 5)
EXECUTION = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="e1")
BOOL = types_pb2.LiteralType(simple=types_pb2.BOOLEAN)
INT = types_pb2.LiteralType(simple=types_pb2.INTEGER)


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(None)
    yield store
    store.close()


def _signal_id(name: str) -> identifier_pb2.SignalIdentifier:
    return identifier_pb2.SignalIdentifier(execution_id=EXECUTION, signal_id=name)


def test_get_or_create_is_idempotent_for_one_type(store: Store) -> None:
    repo = SignalRepository(store)
    created = repo.get_or_create(_signal_id("approve"), BOOL.SerializeToString(deterministic=True), T0)
    assert created.id == _signal_id("approve") and created.type == BOOL and not created.HasField("value")
    again = repo.get_or_create(_signal_id("approve"), BOOL.SerializeToString(deterministic=True), T0)
    assert again == created
    with pytest.raises(AdminError) as raised:
        repo.get_or_create(_signal_id("approve"), INT.SerializeToString(deterministic=True), T0)
    assert raised.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert '"signals_pkey"' in raised.value.message


def test_set_and_list(store: Store) -> None:
    repo = SignalRepository(store)
    for name in ("a", "b"):
        repo.get_or_create(_signal_id(name), BOOL.SerializeToString(deterministic=True), T0)
    value = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=True)))
    with store.begin() as tx:
        found = repo.get_for_update(tx, _signal_id("b"))
        assert found is not None and types_pb2.LiteralType.FromString(found.type_bytes) == BOOL
        repo.set_value(tx, found.row_id, value, T0)
        assert repo.get_for_update(tx, _signal_id("missing")) is None
    page, token = repo.list_page(EXECUTION, signal_pb2.SignalListRequest(limit=1))
    assert [s.id.signal_id for s in page] == ["a"] and token == "1"
    page, token = repo.list_page(EXECUTION, signal_pb2.SignalListRequest(limit=1, token=token))
    assert [s.id.signal_id for s in page] == ["b"] and page[0].value == value
