"""Who is waiting for which signal to get a value, so SetSignal can wake them instead of their polling.

A gate node (``wait_for_input``, ``approve``) waits for its signal. :class:`~.signals.SignalManager` calls
:meth:`SignalWaits.changed` after SetSignal commits a value (see :class:`~.watchers.Watchers`).
"""

from __future__ import annotations

import contextlib
import threading

from flyteidl.core import identifier_pb2

from flyteplane.admin.managers.watchers import Watchers

__all__ = ["SignalWaits"]

_Key = tuple[str, str, str, str]


def _key(signal_id: identifier_pb2.SignalIdentifier) -> _Key:
    execution = signal_id.execution_id
    return (execution.project, execution.domain, execution.name, signal_id.signal_id)


class SignalWaits(Watchers[_Key]):
    """Events that fire when a signal is set; only watched signals cost anything."""

    def watch(self, signal_id: identifier_pb2.SignalIdentifier) -> contextlib.AbstractContextManager[threading.Event]:
        """An event set whenever ``signal_id`` is given a value from now on; unregistered on exit."""
        return self.watching(_key(signal_id))

    def changed(self, signal_id: identifier_pb2.SignalIdentifier) -> None:
        """Wake everyone watching ``signal_id`` (SetSignal calls this after its value is committed)."""
        self.notify(_key(signal_id))
