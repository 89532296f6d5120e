"""Responses assembled from stored serialized messages, without parsing them (protobuf's wire format).

A message's wire form is the concatenation of its fields, each a tag and a value; a length-delimited field (a
string, bytes or a nested message) is its tag, the value's length as a varint, and the value's bytes. A repeated
message field is that, once per element, and a parser merges fields in order. So a list response (``TaskList``:
``repeated Task tasks = 1; string token = 2``) can be built by concatenating, for each row, the tag and length of an
element whose own bytes are put together the same way from the row's stored closure bytes and a few key strings:
the closure is never parsed into Python objects and serialized again.

:class:`WireMessage` carries such bytes from a manager to the servicer (:mod:`flyteplane.admin.rpc.dispatch`),
which sends them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor

__all__ = ["WireMessage", "field_number", "len_field", "varint", "varint_field"]

_WIRE_VARINT, _WIRE_LEN = 0, 2


@dataclass(frozen=True, slots=True)
class WireMessage:
    """A response message already serialized (``data``), as :attr:`message_type` would serialize to."""

    message_type: Descriptor
    data: bytes


def varint(value: int) -> bytes:
    """``value`` (non-negative) as a protobuf base-128 varint."""
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def len_field(number: int, value: bytes) -> bytes:
    """A length-delimited field: tag, length, bytes (a string's UTF-8, or a nested message's wire form)."""
    return varint(number << 3 | _WIRE_LEN) + varint(len(value)) + value


def varint_field(number: int, value: int) -> bytes:
    """A varint field (an enum, an int, a bool); proto3 omits it at its default, 0."""
    return varint(number << 3 | _WIRE_VARINT) + varint(value) if value else b""


def field_number(message: Descriptor, name: str) -> int:
    """The number of ``message``'s field ``name`` (read from the generated descriptor, never hard-coded)."""
    return int(message.fields_by_name[name].number)
