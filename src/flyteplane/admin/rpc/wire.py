"""Request bodies off the wire: decoded by the admin, so that a body the client got wrong is the client's mistake.

gRPC Python decodes a request before the handler runs when the handler names a deserializer, and answers INTERNAL
("Exception deserializing request!") when that fails. The admin's handlers take the raw bytes instead and decode
them here, so that a body that is not the RPC's message answers INVALID_ARGUMENT naming the problem (corrupt wire
format, invalid UTF-8 in a string field, nesting past the limit).

Nesting: Go protobuf, which Flyte Admin decodes with, allows messages nested :data:`MAX_NESTING` deep (its
``protowire`` default recursion limit); Python's upb decoder stops at 100, which a deeply nested literal or type
reaches long before Flyte Admin would refuse it. upb can decode deeper only process-wide
(``SetAllowOversizeProtos``: 65,535 levels), and its decoder recurses on the C stack, so a body nested that deep
would crash a worker thread. So the admin turns the deep decoding on once (:func:`allow_deep_messages`, at start:
messages it stored must decode again) and measures each request's nesting *before* decoding it
(:func:`nesting_depth`, a loop over the wire format that never recurses): deeper than :data:`MAX_NESTING` is
INVALID_ARGUMENT and never reaches the decoder.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from flyteplane.admin.errors import invalid_argument

__all__ = ["MAX_NESTING", "allow_deep_messages", "decode_problem", "decode_request", "nesting_depth"]

M = TypeVar("M", bound=Message)

MAX_NESTING = 10_000
"""How deep messages may nest in a request: Go protobuf's default recursion limit, as Flyte Admin decodes."""

_WIRE_VARINT, _WIRE_I64, _WIRE_LEN, _WIRE_SGROUP, _WIRE_EGROUP, _WIRE_I32 = range(6)
_deep_lock = threading.Lock()
_deep_allowed = False


def allow_deep_messages() -> None:
    """Let the protobuf decoder of this process nest past 100 levels (see the module docstring). Idempotent.

    Only the upb implementation (protobuf 4+) has the switch; under another implementation requests nested past
    its own limit keep answering INVALID_ARGUMENT, which is the safe side.
    """
    global _deep_allowed
    with _deep_lock:
        if _deep_allowed:
            return
        try:
            from google._upb import _message as upb  # type: ignore[attr-defined]
        except ImportError:  # pragma: no cover - the pure-Python or C++ implementation
            return
        upb.SetAllowOversizeProtos(True)
        _deep_allowed = True


def decode_request(cls: type[M], data: bytes, *, max_nesting: int = MAX_NESTING) -> M:
    """``data`` as a ``cls`` message, or an INVALID_ARGUMENT :class:`~flyteplane.admin.errors.AdminError` saying
    why it is not one (the message names the type and the problem, never the bytes)."""
    name = cls.DESCRIPTOR.full_name
    depth = nesting_depth(cls.DESCRIPTOR, data, stop_after=max_nesting)
    if depth > max_nesting:
        raise invalid_argument(f"the request is not a valid {name}: messages nest more than {max_nesting} levels deep")
    try:
        return cls.FromString(data)
    except DecodeError as e:
        raise invalid_argument(f"the request is not a valid {name}: {decode_problem(e)}") from None


def decode_problem(error: DecodeError) -> str:
    """upb's reason without its prefix: ``Error parsing message with type 'X': String field had bad UTF-8``."""
    text = str(error)
    reason = text.rsplit(": ", 1)[-1] if "Error parsing message" in text else text
    if "MaxDepth" in reason:
        return "messages nest deeper than this admin's protobuf decoder allows"
    return reason[:1].lower() + reason[1:] if reason else "it cannot be decoded"


def nesting_depth(descriptor: Any, data: bytes, *, stop_after: int = MAX_NESTING) -> int:
    """How deep messages nest in ``data``, a serialized message of type ``descriptor`` (a protobuf Descriptor;
    1: no sub-message), measured without recursion: more than ``stop_after`` exactly when the nesting is (it stops
    counting there); at most that, a lower bound. Malformed bytes are left to the decoder.

    Every level costs at least two bytes (a tag and a length, or a group's start and end tags), so a region too
    short to go past ``stop_after`` is skipped without being read: only bodies longer than ``2 * stop_after``
    bytes are walked at all, and within them only regions long enough to matter.
    """
    deepest = 1
    # (message type, start, end, depth) of the regions still to walk
    stack: list[tuple[Descriptor, int, int, int]] = [(descriptor, 0, len(data), 1)]
    while stack:
        desc, pos, end, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > stop_after:
                return deepest
        if depth + (end - pos) // 2 <= stop_after:
            continue  # too short to nest past the limit
        groups = 0  # open groups of unknown fields inside this region (upb nests into them too)
        fields = desc.fields_by_number
        while pos < end:
            tag = data[pos]
            if tag < 0x80:  # the usual one-byte tag, read inline: this loop is the whole cost
                pos += 1
            else:
                tag, pos = _varint(data, pos, end)
                if tag < 0:
                    break  # malformed: the decoder will say so
            wire = tag & 7
            if wire == _WIRE_LEN:
                if pos < end and data[pos] < 0x80:
                    length = data[pos]
                    pos += 1
                else:
                    length, pos = _varint(data, pos, end)
                    if length < 0:
                        break
                if pos + length > end:
                    break
                field: FieldDescriptor | None = fields.get(tag >> 3) if groups == 0 else None
                if field is not None and field.type == FieldDescriptor.TYPE_MESSAGE:
                    if depth + 1 + length // 2 > stop_after:
                        stack.append((field.message_type, pos, pos + length, depth + 1))  # type: ignore[arg-type]
                    elif depth + 1 > deepest:
                        deepest = depth + 1
                pos += length
            elif wire == _WIRE_VARINT:
                while pos < end and data[pos] >= 0x80:
                    pos += 1
                pos += 1
            elif wire == _WIRE_I64:
                pos += 8
            elif wire == _WIRE_I32:
                pos += 4
            elif wire == _WIRE_SGROUP:
                groups += 1
                if depth + groups > deepest:
                    deepest = depth + groups
                    if deepest > stop_after:
                        return deepest
            elif wire == _WIRE_EGROUP:
                groups -= 1
                if groups < 0:
                    break
            else:
                break
    return deepest


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """(value, position after it), or (-1, -1) if there is no complete varint of at most 10 bytes at ``pos``."""
    value = shift = 0
    while pos < end and shift < 70:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    return -1, -1
