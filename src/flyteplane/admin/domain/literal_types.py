"""Literal-vs-type checks for launch plan inputs, as Flyte's compiler validators do them.

CreateLaunchPlan checks every default and fixed input: the type a literal *has* (:func:`literal_type_for_literal`,
flytepropeller's ``LiteralTypeForLiteral``; a scalar is typed by the compiler's
:func:`~flyteplane.admin.compiler.literal_type_for_scalar`, as a binding value is) must cast to the type the workflow
*expects*. Castability is the compiler's :func:`~flyteplane.admin.compiler.are_types_castable` (one rule set for
bindings and launch plans): collections and maps by element, unions by unambiguous variant, enums from strings,
blobs by format, structured datasets and schemas by column subset, structs by their JSON schema.

:func:`defaults_equivalent` is Flyte Admin's test for "the same default, written in another format" (a dataclass
default sent as a protobuf Struct by an older flytekit and as MessagePack bytes by a newer one).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import struct_pb2

from flyteplane.admin.compiler import literal_type_for_scalar
from flyteplane.admin.prototext import go_text

__all__ = ["defaults_equivalent", "literal_type_for_literal", "validate_literal_type"]

_SIMPLE = types_pb2.SimpleType

# --- the type of a literal -------------------------------------------------------------------------------------


def _types_of(literals: Iterable[literals_pb2.Literal]) -> types_pb2.LiteralType | None:
    """The element type of a collection or map: the one type all elements share, else a union of them (None when
    some element's type is unknown, which makes the whole literal's type unknown)."""
    inner: dict[str, types_pb2.LiteralType] = {}
    none_type: types_pb2.LiteralType | None = None
    for literal in literals:
        found = literal_type_for_literal(literal)
        if found is None:
            return None
        if literal.WhichOneof("value") == "collection" and not literal.collection.literals:
            none_type = found  # an empty nested collection says nothing about the element type
            continue
        inner.setdefault(go_text(found), found)
    if not inner and none_type is not None:
        return none_type
    if not inner:
        return types_pb2.LiteralType(simple=_SIMPLE.NONE)
    if len(inner) == 1:
        return next(iter(inner.values()))
    variants: list[types_pb2.LiteralType] = []
    nested = False
    for key in sorted(inner):  # sorted, so the same values always produce the same union
        candidate = inner[key]
        if candidate.HasField("collection_type") and candidate.collection_type.HasField("union_type"):
            nested = True
            variants.extend(candidate.collection_type.union_type.variants)
        else:
            variants.append(candidate)
    union = types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=variants))
    return types_pb2.LiteralType(collection_type=union) if nested else union


def literal_type_for_literal(literal: literals_pb2.Literal) -> types_pb2.LiteralType | None:
    """The type a literal carries (None when it carries nothing recognisable)."""
    kind = literal.WhichOneof("value")
    if kind == "scalar":
        return literal_type_for_scalar(literal.scalar)  # one rule set with the compiler's bindings
    if kind == "collection":
        element = _types_of(literal.collection.literals)
        return None if element is None else types_pb2.LiteralType(collection_type=element)
    if kind == "map":
        value = _types_of(literal.map.literals.values())
        return None if value is None else types_pb2.LiteralType(map_value_type=value)
    if kind == "offloaded_metadata":
        return literal.offloaded_metadata.inferred_type
    return None


def validate_literal_type(literal_type: types_pb2.LiteralType | None) -> str | None:
    """Why a literal's type is unusable (a part of it is unknown), or None."""
    while literal_type is not None:
        if literal_type.HasField("collection_type"):
            literal_type = literal_type.collection_type
        elif literal_type.HasField("map_value_type"):
            literal_type = literal_type.map_value_type
        else:
            return None
    return (
        "got unknown literal type: [<nil>].\n"
        "Suggested solution: Please update all your Flyte deployment images to the latest version and try again"
    )


# --- equivalent defaults ----------------------------------------------------------------------------------------


class _MsgpackError(ValueError):
    pass


def _unpack(data: bytes, pos: int) -> tuple[Any, int]:
    """One MessagePack value at ``pos`` (the subset Flyte's binary literals use: no extension types)."""
    if pos >= len(data):
        raise _MsgpackError("truncated")
    head = data[pos]
    pos += 1
    if head <= 0x7F:
        return head, pos
    if head >= 0xE0:
        return head - 0x100, pos
    if 0xA0 <= head <= 0xBF:
        return _take(data, pos, head & 0x1F, text=True)
    if 0x90 <= head <= 0x9F:
        return _array(data, pos, head & 0x0F)
    if 0x80 <= head <= 0x8F:
        return _map(data, pos, head & 0x0F)
    fixed = {0xC0: None, 0xC2: False, 0xC3: True}
    if head in fixed:
        return fixed[head], pos
    sized = {
        0xCC: ">B",
        0xCD: ">H",
        0xCE: ">I",
        0xCF: ">Q",
        0xD0: ">b",
        0xD1: ">h",
        0xD2: ">i",
        0xD3: ">q",
        0xCA: ">f",
        0xCB: ">d",
    }
    if head in sized:
        fmt = sized[head]
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise _MsgpackError("truncated")
        return struct.unpack_from(fmt, data, pos)[0], pos + size
    lengths = {
        0xD9: (">B", True),
        0xDA: (">H", True),
        0xDB: (">I", True),
        0xC4: (">B", False),
        0xC5: (">H", False),
        0xC6: (">I", False),
    }
    if head in lengths:
        fmt, text = lengths[head]
        size = struct.calcsize(fmt)
        (length,) = struct.unpack_from(fmt, data, pos)
        return _take(data, pos + size, length, text=text)
    containers = {0xDC: (">H", _array), 0xDD: (">I", _array), 0xDE: (">H", _map), 0xDF: (">I", _map)}
    if head in containers:
        fmt, read = containers[head]
        size = struct.calcsize(fmt)
        (count,) = struct.unpack_from(fmt, data, pos)
        return read(data, pos + size, count)
    raise _MsgpackError(f"unsupported MessagePack type 0x{head:02x}")


def _take(data: bytes, pos: int, length: int, *, text: bool) -> tuple[Any, int]:
    if pos + length > len(data):
        raise _MsgpackError("truncated")
    chunk = data[pos : pos + length]
    return (chunk.decode() if text else chunk), pos + length


def _array(data: bytes, pos: int, count: int) -> tuple[list[Any], int]:
    items = []
    for _ in range(count):
        item, pos = _unpack(data, pos)
        items.append(item)
    return items, pos


def _map(data: bytes, pos: int, count: int) -> tuple[dict[str, Any], int]:
    result = {}
    for _ in range(count):
        key, pos = _unpack(data, pos)
        value, pos = _unpack(data, pos)
        result[str(key)] = value  # Flyte Admin compares with map keys normalized to strings
    return result, pos


def _strict_equal(a: Any, b: Any) -> bool:
    """Equality that, like Go's reflect.DeepEqual, tells 1 (an integer) from 1.0 (a float) and True from 1."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _struct_values(value: struct_pb2.Struct) -> Any:
    def convert(v: struct_pb2.Value) -> Any:
        kind = v.WhichOneof("kind")
        if kind == "struct_value":
            return {k: convert(x) for k, x in v.struct_value.fields.items()}
        if kind == "list_value":
            return [convert(x) for x in v.list_value.values]
        if kind == "number_value":
            return float(v.number_value)
        if kind == "string_value":
            return v.string_value
        if kind == "bool_value":
            return v.bool_value
        return None

    return {k: convert(x) for k, x in value.fields.items()}


def _decode_msgpack(scalar: literals_pb2.Scalar) -> Any:
    value, _ = _unpack(scalar.binary.value, 0)
    return value


def defaults_equivalent(old: Any, new: Any) -> bool:
    """Flyte Admin's ``parametersAreEqual``: two launch plan parameters have the same default, either byte for byte
    or as the same dataclass written once as a protobuf Struct and once as MessagePack bytes."""
    old_has = old.WhichOneof("behavior") == "default"
    new_has = new.WhichOneof("behavior") == "default"
    if not old_has and not new_has:
        return True
    if old_has != new_has:
        return False
    old_default, new_default = old.default, new.default
    if old_default.SerializeToString(deterministic=True) == new_default.SerializeToString(deterministic=True):
        return True
    old_scalar = old_default.scalar if old_default.WhichOneof("value") == "scalar" else None
    new_scalar = new_default.scalar if new_default.WhichOneof("value") == "scalar" else None
    if old_scalar is None or new_scalar is None:
        return False
    kinds = (old_scalar.WhichOneof("value"), new_scalar.WhichOneof("value"))
    try:
        if kinds == ("generic", "binary"):
            return _strict_equal(_struct_values(old_scalar.generic), _decode_msgpack(new_scalar))
        if kinds == ("binary", "generic"):
            return _strict_equal(_decode_msgpack(old_scalar), _struct_values(new_scalar.generic))
    except (_MsgpackError, struct.error, UnicodeDecodeError):
        return False
    return False
