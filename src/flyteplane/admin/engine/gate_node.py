"""Gate nodes (flytekit's ``wait_for_input``, ``approve`` and ``sleep``), as propeller runs them: its gate handler
(``flytepropeller/pkg/controller/nodes/gate/handler.go``) under its node executor's deadlines
(``flytepropeller/pkg/controller/nodes/executor.go``).

* ``signal`` (``wait_for_input``): the node creates its signal with the expected type (GetOrCreateSignal through
  the engine's port) and waits until SetSignal gives it a value, which becomes the node's output under the
  condition's ``output_variable_name`` (``o0`` from flytekit).
* ``approve``: the same with a BOOLEAN signal; ``True`` hands the node's inputs (the upstream value being
  approved) on as its outputs, ``False`` fails the node with propeller's ``ReceivedRejectSignal``.
* ``sleep``: the node succeeds once ``duration`` has passed since its attempt started. That start is the
  ``occurred_at`` of the node's RUNNING event, which the admin keeps as the node execution's ``started_at``: the
  deadline (``started_at + duration``) is on record, as propeller keeps its ``lastAttemptStartedAt`` in the
  workflow's status, and the timer runs on that wall-clock time.

Events: QUEUED, RUNNING while waiting, then SUCCEEDED (straight from QUEUED when the signal had its value already,
as propeller's first evaluation finds it). Waiting reads the signal once, then again each time SetSignal wakes it
(:meth:`~.port.AdminPort.watch_signal`); a cancellation (TerminateExecution, a sibling's failure) wakes it too and
the node ends ABORTED at once.

Timeouts follow propeller's compiler and node executor: the node's ``metadata.timeout`` (flytekit's gate
``timeout``, one hour by default) is each attempt's execution deadline, a retryable failure ``task execution timeout
[..] expired``; with no attempt left (``metadata.retries + 1`` attempts) the node FAILS with
``RetriesExhausted|TimeoutExpired``. Twice the timeout from the node's start is its active deadline, after which it
is TIMED_OUT (``task active timeout [..] expired``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2, workflow_pb2

from flyteplane.admin.engine.events import now
from flyteplane.admin.engine.runtime import execution_error as _error
from flyteplane.admin.engine.runtime import go_duration_text, seconds_of
from flyteplane.admin.engine.state import NodeOutcome
from flyteplane.admin.errors import AdminError
from flyteplane.admin.prototext import go_text

if TYPE_CHECKING:
    from flyteplane.admin.engine.nodes import NodeRunner

__all__ = ["REJECTED_CODE", "REJECTED_MESSAGE", "GateNode"]

REJECTED_CODE = "ReceivedRejectSignal"
REJECTED_MESSAGE = "received a reject signal to disapprove the node input values"
"""Propeller's error for an approve gate whose signal is ``False`` (kind USER)."""

_N = core_execution_pb2.NodeExecution
_USER = core_execution_pb2.ExecutionError.USER
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM
_UNKNOWN = core_execution_pb2.ExecutionError.UNKNOWN
_BOOLEAN = types_pb2.LiteralType(simple=types_pb2.BOOLEAN)


class _AttemptTimedOut:
    """The attempt's execution deadline passed (propeller: a retryable failure)."""


_ATTEMPT_TIMED_OUT = _AttemptTimedOut()
_AttemptResult = NodeOutcome | _AttemptTimedOut


class GateNode:
    """A gate node's run: attempts until one ends the node (see the module docstring)."""

    def __init__(self, runner: NodeRunner) -> None:
        self.r = runner
        node = runner.node
        self.gate: workflow_pb2.GateNode = node.gate_node
        self.timeout = seconds_of(node.metadata.timeout) if node.metadata.HasField("timeout") else None
        self.active_timeout = 2 * self.timeout if self.timeout else None
        retries = node.metadata.retries.retries if node.metadata.HasField("retries") else 0
        self.max_attempts = retries + 1
        self.queued_at = time.monotonic()  # the node has just been reported QUEUED

    def run(self) -> NodeOutcome:
        r = self.r
        kind = self.gate.WhichOneof("condition")
        attempt_run: Callable[[], _AttemptResult]
        if kind == "approve":
            attempt_run = partial(self._wait_for_signal, self.gate.approve.signal_id, _BOOLEAN, self._approved)
        elif kind == "signal":
            signal = self.gate.signal
            attempt_run = partial(self._wait_for_signal, signal.signal_id, signal.type, self._signalled)
        elif kind == "sleep":
            attempt_run = self._sleep
        else:
            return r.finish(
                _N.FAILED,
                error=_error(
                    "BadSpecificationError", "gateNode does not have a supported condition reference", _SYSTEM
                ),
            )
        attempt = 0
        while True:
            result = attempt_run()
            if isinstance(result, NodeOutcome):
                return result
            # The execution deadline passed: retried while attempts remain, as propeller's isEligibleForRetry.
            attempt += 1
            if attempt < self.max_attempts:
                continue
            assert self.timeout is not None
            message = f"task execution timeout [{go_duration_text(self.timeout)}] expired"
            return r.finish(
                _N.FAILED,
                error=_error(
                    "RetriesExhausted|TimeoutExpired",
                    f"[{attempt}/{self.max_attempts}] currentAttempt done. Last Error: USER::{message}",
                    _USER,
                ),
            )

    # -- deadlines ------------------------------------------------------------------------------------------------
    def _expired(self, attempt_started: float) -> _AttemptResult | None:
        """The node's end when a deadline has passed (the active one first, as propeller checks them)."""
        at = time.monotonic()
        if self.active_timeout is not None and at >= self.queued_at + self.active_timeout:
            message = f"task active timeout [{go_duration_text(self.active_timeout)}] expired"
            return self.r.finish(_N.TIMED_OUT, error=_error("TimeoutExpired", message))
        if self.timeout is not None and at >= attempt_started + self.timeout:
            return _ATTEMPT_TIMED_OUT
        return None

    def _until_deadline(self, attempt_started: float) -> float | None:
        """Seconds until the next deadline, None when the node has none."""
        deadlines = []
        if self.active_timeout is not None:
            deadlines.append(self.queued_at + self.active_timeout)
        if self.timeout is not None:
            deadlines.append(attempt_started + self.timeout)
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    # -- signals --------------------------------------------------------------------------------------------------
    def _wait_for_signal(
        self,
        signal_id: str,
        literal_type: types_pb2.LiteralType,
        on_value: Callable[[literals_pb2.Literal], NodeOutcome],
    ) -> _AttemptResult:
        r = self.r
        signals = r.state.services.signals
        ident = identifier_pb2.SignalIdentifier(signal_id=signal_id)
        ident.execution_id.CopyFrom(r.state.execution_id)
        started = time.monotonic()
        # Watch before each read, and let a cancellation wake the same wait: no value and no abort is missed.
        with signals.watch_signal(ident) as woken, r.token.waking(woken):
            while True:
                woken.clear()
                try:
                    signal = signals.get_or_create_signal(ident, literal_type)
                except AdminError as e:
                    message = f"failed to get or create signal [{signal_id}]: {e.message}"
                    return r.finish(_N.FAILED, error=_error("RuntimeExecutionError", message, _SYSTEM))
                if signal.HasField("value") and signal.value.WhichOneof("value") is not None:
                    return on_value(signal.value)
                if r.token.cancelled:
                    return r.finish(_N.ABORTED)
                r.mark_running()
                expired = self._expired(started)
                if expired is not None:
                    return expired
                woken.wait(self._until_deadline(started))

    def _signalled(self, value: literals_pb2.Literal) -> NodeOutcome:
        outputs = literals_pb2.LiteralMap()
        outputs.literals[self.gate.signal.output_variable_name].CopyFrom(value)
        return self.r.finish(_N.SUCCEEDED, outputs=outputs)

    def _approved(self, value: literals_pb2.Literal) -> NodeOutcome:
        r = self.r
        approved = _boolean(value)
        if approved is None:
            message = f"received a non-boolean approve signal value [{go_text(value)}]"
            return r.finish(_N.FAILED, error=_error("RuntimeExecutionError", message, _UNKNOWN))
        if not approved:
            return r.finish(_N.FAILED, error=_error(REJECTED_CODE, REJECTED_MESSAGE, _USER))
        outputs = literals_pb2.LiteralMap()
        outputs.CopyFrom(r.inputs)  # the approved upstream value passes through
        return r.finish(_N.SUCCEEDED, outputs=outputs)

    # -- sleep ----------------------------------------------------------------------------------------------------
    def _sleep(self) -> _AttemptResult:
        r = self.r
        started = time.monotonic()
        started_at = now()
        # The RUNNING event's occurred_at is the recorded start (the node execution's started_at); the deadline is
        # that wall-clock time plus the duration, so it can be computed again from the record.
        r.mark_running(occurred_at=started_at)
        wake_at = started_at.ToNanoseconds() / 1e9 + (seconds_of(self.gate.sleep.duration) or 0.0)
        while True:
            remaining = wake_at - time.time()
            if remaining <= 0:
                return r.finish(_N.SUCCEEDED)
            if r.token.cancelled:
                return r.finish(_N.ABORTED)
            expired = self._expired(started)
            if expired is not None:
                return expired
            deadline = self._until_deadline(started)
            r.token.wait(remaining if deadline is None else min(remaining, deadline))


def _boolean(value: literals_pb2.Literal) -> bool | None:
    """The boolean a literal holds, or None when it holds something else (propeller's ``getBoolean``)."""
    if value.WhichOneof("value") == "scalar" and value.scalar.WhichOneof("value") == "primitive":
        primitive = value.scalar.primitive
        if primitive.WhichOneof("value") == "boolean":
            return primitive.boolean
    return None
