"""Small pieces the engine's modules share: cancellation tokens, propeller's node execution ids, errors, times."""

from __future__ import annotations

import base64
import contextlib
import threading
import weakref
from collections.abc import Iterator

from flyteidl.core import execution_pb2
from google.protobuf import duration_pb2

__all__ = [
    "CancelToken",
    "child_node_id",
    "execution_error",
    "fixed_length_unique_id",
    "go_duration_text",
    "seconds_of",
]

_tree_lock = threading.Lock()


class CancelToken:
    """A cancellation flag in a tree: cancelling a token cancels every token made from it with :meth:`child`.

    A run has one token (cancelled by TerminateExecution); each DAG of the run (the workflow, a sub-workflow) has a
    child token, cancelled when a node fails under FAIL_IMMEDIATELY so that the DAG's running nodes stop.
    """

    def __init__(self, parent: CancelToken | None = None) -> None:
        self._event = threading.Event()
        self._children: weakref.WeakSet[CancelToken] = weakref.WeakSet()
        self._wakers: list[threading.Event] = []
        self.reason = ""
        if parent is not None:
            with _tree_lock:
                parent._children.add(self)
                if parent._event.is_set():
                    self.reason = parent.reason
                    self._event.set()

    def child(self) -> CancelToken:
        return CancelToken(self)

    def cancel(self, reason: str) -> None:
        """Set this token and its descendants (those already cancelled keep their reason)."""
        with _tree_lock:
            pending = [self]
            while pending:
                token = pending.pop()
                if token._event.is_set():
                    continue
                token.reason = reason
                token._event.set()
                for waker in token._wakers:
                    waker.set()
                pending.extend(token._children)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None) -> bool:
        """Sleep until cancelled or ``timeout`` seconds pass; True if cancelled."""
        return self._event.wait(timeout)

    @contextlib.contextmanager
    def waking(self, event: threading.Event) -> Iterator[None]:
        """While inside, a cancellation of this token also sets ``event`` (at once if it is cancelled already), so
        that one wait on ``event`` ends for either what it waits for or a cancellation."""
        with _tree_lock:
            self._wakers.append(event)
            if self._event.is_set():
                event.set()
        try:
            yield
        finally:
            with _tree_lock:
                self._wakers.remove(event)


# Go's encoding.Base32Encoder in flytestdlib: RFC 4648 bit packing over its own alphabet, no padding.
_STD_B32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_FLYTE_B32 = b"abcdefghijklmnopqrstuvwxyz123456"
_B32_TABLE = bytes.maketrans(_STD_B32, _FLYTE_B32)
MAX_UNIQUE_ID_LENGTH = 20


def fixed_length_unique_id(text: str, max_length: int = MAX_UNIQUE_ID_LENGTH) -> str:
    """flytestdlib's FixedLengthUniqueID: ``text`` if short enough, else ``"f"`` + base32 of its FNV-1a 32 hash."""
    if len(text) <= max_length:
        return text
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    encoded = base64.b32encode(h.to_bytes(4, "big")).rstrip(b"=").translate(_B32_TABLE)
    return "f" + encoded.decode()


def child_node_id(parent_unique_id: str | None, parent_attempt: int, node_id: str) -> str:
    """The node execution id of ``node_id`` inside a parent node (a sub-workflow or a branch), as propeller's
    GenerateUniqueID makes it: ``<parent id>-<parent attempt>-<node id>`` (``n1-0-n0``), hashed when longer than 20
    characters. Top-level nodes keep their id."""
    if parent_unique_id is None:
        return node_id
    return fixed_length_unique_id(f"{parent_unique_id}-{parent_attempt}-{node_id}")


def execution_error(
    code: str, message: str, kind: int = execution_pb2.ExecutionError.USER
) -> execution_pb2.ExecutionError:
    return execution_pb2.ExecutionError(code=code, message=message, kind=kind)


def seconds_of(duration: duration_pb2.Duration) -> float | None:
    """A protobuf duration in seconds; None when zero or negative (no timeout)."""
    total = duration.seconds + duration.nanos / 1e9
    return total if total > 0 else None


def go_duration_text(seconds: float) -> str:
    """Seconds as Go prints a ``time.Duration`` (``1s``, ``1m30s``, ``500ms``), as in propeller's messages."""
    from flyteplane.admin.domain.times import go_duration

    return go_duration(round(seconds * 1e9))
