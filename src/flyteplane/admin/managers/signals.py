"""SignalService: GetOrCreateSignal, ListSignals, SetSignal (flyteadmin-semantics.md §5.13).

A gate node waiting for a signal creates it (GetOrCreateSignal, with the type it expects); a user answers it
(SetSignal, with a value castable to that type); the waiting node reads the value back.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from sqlalchemy import Row, Select, insert, select, update

from flyteplane.admin.compiler import are_types_castable
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.literal_types import literal_type_for_literal
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import validate_limit
from flyteplane.admin.errors import AdminError, already_exists, invalid_argument
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store import listing

__all__ = ["SignalManager"]

_S = xs.signals


def _validate_signal_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateSignalIdentifier: id, execution_id, signal_id, then the execution's fields."""
    if not present:
        raise invalid_argument("missing id")
    if not identifier.HasField("execution_id"):
        raise invalid_argument("missing execution_id")
    if not identifier.signal_id:
        raise invalid_argument("missing signal_id")
    rec.validate_workflow_execution_identifier(identifier.execution_id, True)


def _key(identifier: Any) -> dict[str, str]:
    return {**rec.execution_key(identifier.execution_id), "signal_id": identifier.signal_id}


def _signal(row: Row[Any]) -> signal_pb2.Signal:
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


def _key_text(identifier: Any) -> str:
    """Go's ``%v`` of Flyte Admin's SignalKey struct: ``{{project domain name} signal_id}``."""
    execution = identifier.execution_id
    return f"{{{{{execution.project} {execution.domain} {execution.name}}} {identifier.signal_id}}}"


class SignalManager:
    """Serves the SignalService RPCs."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def get_or_create_signal(self, request: signal_pb2.SignalGetOrCreateRequest) -> signal_pb2.Signal:
        """The signal, created with ``request.type`` when missing. A signal already created with another type is
        a duplicate key, as in Flyte Admin (whose lookup matches on the type too)."""
        _validate_signal_identifier(request.id, request.HasField("id"))
        if not request.HasField("type"):
            raise invalid_argument("missing type")
        type_bytes = request.type.SerializeToString(deterministic=True)
        key = _key(request.id)
        with self._ctx.store.begin() as conn:
            row = conn.execute(select(_S).where(rec.where_key(_S, key))).first()
            if row is None:
                now = utcnow()
                conn.execute(insert(_S).values(**key, type=type_bytes, value=None, created_at=now, updated_at=now))
                row = conn.execute(select(_S).where(rec.where_key(_S, key))).one()
            elif row.type != type_bytes:
                raise already_exists(
                    'value with matching already exists (duplicate key value violates unique constraint "signals_pkey")'
                )
            return _signal(row)

    def list_signals(self, request: signal_pb2.SignalListRequest) -> signal_pb2.SignalList:
        try:
            rec.validate_workflow_execution_identifier(
                request.workflow_execution_id, request.HasField("workflow_execution_id")
            )
        except AdminError:
            raise invalid_argument("missing execution_id") from None
        validate_limit(request.limit)
        query: Select[Any] = select(_S).where(rec.where_key(_S, rec.execution_key(request.workflow_execution_id)))
        query, _ = listing.apply_filters(query, request.filters, "signal")
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), "signal", [_S.c.id.asc()])
        with self._ctx.store.read() as conn:
            rows, token = listing.paginate(conn, query, request.limit, request.token, "ListSignals")
        return signal_pb2.SignalList(signals=[_signal(row) for row in rows], token=token)

    def set_signal(self, request: signal_pb2.SignalSetRequest) -> signal_pb2.SignalSetResponse:
        """Store the value, which must cast to the signal's type (a signal may be set again)."""
        _validate_signal_identifier(request.id, request.HasField("id"))
        if not request.HasField("value"):
            raise invalid_argument("missing value")
        key = _key(request.id)
        with self._ctx.store.begin() as conn:
            row = conn.execute(select(_S.c.id, _S.c.type).where(rec.where_key(_S, key))).first()
            if row is None:
                raise invalid_argument(
                    f"failed to validate that signal [{_key_text(request.id)}] exists, err: [signal does not exist]"
                )
            if not _castable(row.type, request.value):
                # Flyte Admin prints the stored type as it holds it: the bytes of the serialized LiteralType.
                raise invalid_argument(
                    f"requested signal value [{go_text(request.value)}] is not castable to existing signal type "
                    f"[{rec.go_bytes(row.type)}]"
                )
            conn.execute(
                update(_S).where(_S.c.id == row.id).values(value=request.value.SerializeToString(), updated_at=utcnow())
            )
        return signal_pb2.SignalSetResponse()


def _castable(type_bytes: bytes, value: literals_pb2.Literal) -> bool:
    # Flyte Admin asks whether the signal's type casts to the value's type (AreTypesCastable(signal, value)).
    return are_types_castable(types_pb2.LiteralType.FromString(type_bytes), literal_type_for_literal(value))
