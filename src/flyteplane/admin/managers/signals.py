"""SignalService: GetOrCreateSignal, ListSignals, SetSignal (Flyte Admin's
``flyteadmin/pkg/manager/impl/signal_manager.go``).

A gate node waiting for a signal creates it (GetOrCreateSignal, with the type it expects); a user answers it
(SetSignal, with a value castable to that type); the waiting node reads the value back. The engine's gate nodes
reach these through :class:`~.engine_port.EngineAdmin`, and are woken by SetSignal through :class:`SignalWaits`.
"""

from __future__ import annotations

from flyteidl.admin import signal_pb2
from flyteidl.core import literals_pb2, types_pb2

from flyteplane.admin.compiler import are_types_castable
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.literal_types import literal_type_for_literal
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import validate_limit
from flyteplane.admin.domain.validation.executions import validate_workflow_execution_identifier
from flyteplane.admin.domain.validation.signals import signal_key_text, validate_signal_identifier
from flyteplane.admin.errors import AdminError, echo, invalid_argument
from flyteplane.admin.managers.signal_waits import SignalWaits
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.signals import SignalRepository

__all__ = ["SignalManager"]


def _go_bytes(data: bytes) -> str:
    """Go's ``%v`` of a ``[]byte``: ``[8 1]``."""
    return "[" + " ".join(str(b) for b in data) + "]"


class SignalManager:
    """Serves the SignalService RPCs."""

    def __init__(self, ctx: AdminContext, waits: SignalWaits | None = None) -> None:
        self._ctx = ctx
        self._signals = SignalRepository(ctx.store)
        self.waits = waits if waits is not None else SignalWaits()
        """Who waits for a signal's value; SetSignal wakes them."""

    def get_or_create_signal(self, request: signal_pb2.SignalGetOrCreateRequest) -> signal_pb2.Signal:
        """The signal, created with ``request.type`` when missing. A signal already created with another type is
        a duplicate key, as in Flyte Admin (whose lookup matches on the type too)."""
        validate_signal_identifier(request.id, request.HasField("id"))
        if not request.HasField("type"):
            raise invalid_argument("missing type")
        return self._signals.get_or_create(request.id, request.type.SerializeToString(deterministic=True), utcnow())

    def list_signals(self, request: signal_pb2.SignalListRequest) -> signal_pb2.SignalList:
        try:
            validate_workflow_execution_identifier(
                request.workflow_execution_id, request.HasField("workflow_execution_id")
            )
        except AdminError:
            raise invalid_argument("missing execution_id") from None
        validate_limit(request.limit)
        signals, token = self._signals.list_page(request.workflow_execution_id, request)
        return signal_pb2.SignalList(signals=signals, token=token)

    def set_signal(self, request: signal_pb2.SignalSetRequest) -> signal_pb2.SignalSetResponse:
        """Store the value, which must cast to the signal's type (a signal may be set again)."""
        validate_signal_identifier(request.id, request.HasField("id"))
        if not request.HasField("value"):
            raise invalid_argument("missing value")
        with self._ctx.store.begin() as tx:
            found = self._signals.get_for_update(tx, request.id)
            if found is None:
                raise invalid_argument(
                    f"failed to validate that signal [{signal_key_text(request.id)}] exists, err: "
                    "[signal does not exist]"
                )
            if not _castable(found.type_bytes, request.value):
                # Flyte Admin prints the stored type as it holds it: the bytes of the serialized LiteralType.
                raise invalid_argument(
                    f"requested signal value [{go_text(request.value)}] is not castable to existing signal type "
                    f"[{echo(_go_bytes(found.type_bytes))}]"
                )
            self._signals.set_value(tx, found.row_id, request.value, utcnow())
        self.waits.changed(request.id)  # after the commit: a woken gate node reads the value
        return signal_pb2.SignalSetResponse()


def _castable(type_bytes: bytes, value: literals_pb2.Literal) -> bool:
    # Flyte Admin asks whether the signal's type casts to the value's type (AreTypesCastable(signal, value)).
    return are_types_castable(types_pb2.LiteralType.FromString(type_bytes), literal_type_for_literal(value))
