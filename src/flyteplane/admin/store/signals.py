"""The ``signals`` table: Flyte Admin's signal repository (``flyteadmin/pkg/repositories/gormimpl/signal_repo.go``)
and its row <-> message mapping (``flyteadmin/pkg/repositories/transformers/signal.go``)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, NamedTuple

from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from sqlalchemy import Row, Select, bindparam, insert, select, update

from flyteplane.admin.errors import already_exists
from flyteplane.admin.store import listing
from flyteplane.admin.store.db import Store, Tx
from flyteplane.admin.store.execution_schema import signals
from flyteplane.admin.store.keys import execution_params, where_execution

__all__ = ["SignalRecord", "SignalRepository", "signal_from_row"]

_S = signals
_KEY = where_execution(_S) & (_S.c.signal_id == bindparam("signal"))
_GET = select(_S).where(_KEY)
_TYPE = select(_S.c.id, _S.c.type).where(_KEY)


def _params(identifier: Any) -> dict[str, str]:
    return {**execution_params(identifier.execution_id), "signal": identifier.signal_id}


def signal_from_row(row: Row[Any]) -> signal_pb2.Signal:
    signal = signal_pb2.Signal(
        id=identifier_pb2.SignalIdentifier(
            signal_id=row.signal_id,
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                project=row.execution_project, domain=row.execution_domain, name=row.execution_name
            ),
        ),
        type=types_pb2.LiteralType.FromString(row.type),
    )
    if row.value is not None:
        signal.value.ParseFromString(row.value)
    return signal


class SignalRecord(NamedTuple):
    """A signal's row id and the serialized LiteralType it was created with, read before setting its value."""

    row_id: int
    type_bytes: bytes


class SignalRepository:
    """Signals of gate nodes."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get_or_create(self, identifier: Any, type_bytes: bytes, now: _dt.datetime) -> signal_pb2.Signal:
        """The signal, created with ``type_bytes`` when missing. Flyte Admin's GetOrCreate matches on the type too,
        so an existing signal of another type is its insert's duplicate-key error (ALREADY_EXISTS)."""
        params = _params(identifier)
        with self._store.begin() as tx:
            row = tx.execute(_GET, params).first()
            if row is None:
                execution = identifier.execution_id
                tx.execute(
                    insert(_S).values(
                        execution_project=execution.project,
                        execution_domain=execution.domain,
                        execution_name=execution.name,
                        signal_id=identifier.signal_id,
                        type=type_bytes,
                        value=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
                row = tx.execute(_GET, params).one()
            elif row.type != type_bytes:
                raise already_exists(
                    'value with matching already exists (duplicate key value violates unique constraint "signals_pkey")'
                )
            return signal_from_row(row)

    def list_page(self, execution_id: Any, request: Any) -> tuple[list[signal_pb2.Signal], str]:
        """One page of an execution's signals; ``request`` carries filters, sort_by, limit and token."""
        query: Select[Any] = select(_S).where(
            _S.c.execution_project == execution_id.project,
            _S.c.execution_domain == execution_id.domain,
            _S.c.execution_name == execution_id.name,
        )
        query, _ = listing.apply_filters(query, request.filters, "signal")
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "signal", [_S.c.id.asc()])
        with self._store.read() as tx:
            rows, token = listing.paginate(tx, query, request.limit, request.token, "ListSignals")
        return [signal_from_row(row) for row in rows], token

    def get_for_update(self, tx: Tx, identifier: Any) -> SignalRecord | None:
        row = tx.execute(_TYPE, _params(identifier)).first()
        return None if row is None else SignalRecord(row.id, row.type)

    def set_value(self, tx: Tx, row_id: int, value: literals_pb2.Literal, now: _dt.datetime) -> None:
        tx.execute(update(_S).where(_S.c.id == row_id).values(value=value.SerializeToString(), updated_at=now))
