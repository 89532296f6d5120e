"""Resolving a node's input bindings into the literal map it runs with (propeller's ``ResolveBindings``).

A binding is a literal (``scalar``), a ``collection`` or ``map`` of bindings, or a ``promise``: output ``var`` of
upstream node ``node_id`` (``start-node`` for the workflow's inputs), optionally followed by an attribute path
(``x.a["b"][0]`` in flytekit) into a collection, a map, a STRUCT (``scalar.generic``, dataclasses serialized as
JSON) or a msgpack binary (``scalar.binary`` tagged ``msgpack``, dataclasses and Pydantic models since flytekit
1.14). A binding with ``union`` wraps the resolved value in a union literal of that target type.

Errors raise :class:`BindingError`; the node then fails with code ``BindingResolutionFailure``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import json_format, struct_pb2

__all__ = [
    "BindingError",
    "OutputsLookup",
    "error_literal",
    "resolve_attr_path",
    "resolve_binding_data",
    "resolve_bindings",
    "resolve_promise",
]

OutputsLookup = Callable[[str], "literals_pb2.LiteralMap | None"]
"""The outputs of an upstream node by id, or None if it has none (yet)."""


class BindingError(Exception):
    """A binding cannot be resolved; the message says which and why."""


def resolve_bindings(bindings: Iterable[literals_pb2.Binding], lookup: OutputsLookup) -> literals_pb2.LiteralMap:
    """The literal map of ``bindings`` (``var`` -> value)."""
    out = literals_pb2.LiteralMap()
    for binding in bindings:
        try:
            out.literals[binding.var].CopyFrom(resolve_binding_data(binding.binding, lookup))
        except BindingError as e:
            raise BindingError(f"failed to resolve input [{binding.var}]: {e}") from None
    return out


def resolve_binding_data(data: literals_pb2.BindingData, lookup: OutputsLookup) -> literals_pb2.Literal:
    """One binding's value."""
    kind = data.WhichOneof("value")
    if kind == "scalar":
        literal = literals_pb2.Literal(scalar=data.scalar)
    elif kind == "collection":
        literal = literals_pb2.Literal(
            collection=literals_pb2.LiteralCollection(
                literals=[resolve_binding_data(item, lookup) for item in data.collection.bindings]
            )
        )
    elif kind == "map":
        literal = literals_pb2.Literal(map=literals_pb2.LiteralMap())
        for key, item in data.map.bindings.items():
            literal.map.literals[key].CopyFrom(resolve_binding_data(item, lookup))
    elif kind == "promise":
        literal = resolve_promise(data.promise, lookup)
    elif kind == "offloaded_metadata":
        literal = literals_pb2.Literal(offloaded_metadata=data.offloaded_metadata)
    else:
        raise BindingError("the binding has no value")
    if data.HasField("union"):
        literal = literals_pb2.Literal(
            scalar=literals_pb2.Scalar(union=literals_pb2.Union(value=literal, type=data.union.targetType))
        )
    return literal


def resolve_promise(promise: Any, lookup: OutputsLookup) -> literals_pb2.Literal:
    """The upstream output a promise (``core.OutputReference``) names, followed along its attribute path."""
    outputs = lookup(promise.node_id)
    if outputs is None:
        raise BindingError(f"upstream node [{promise.node_id}] has no outputs")
    if promise.var not in outputs.literals:
        raise BindingError(f"upstream node [{promise.node_id}] has no output [{promise.var}]")
    literal = outputs.literals[promise.var]
    if promise.attr_path:
        literal = resolve_attr_path(promise.node_id, literal, list(promise.attr_path))
    return literal


def _attr_text(attr: Any) -> str:
    return repr(attr.string_value) if attr.WhichOneof("value") == "string_value" else str(attr.int_value)


def resolve_attr_path(node_id: str, literal: literals_pb2.Literal, path: Sequence[Any]) -> literals_pb2.Literal:
    """Follow ``path`` (``core.PromiseAttribute``s) into ``literal``, as propeller's attribute path resolver."""
    current = literal
    for index, attr in enumerate(path):
        current = _unwrap_union(current)
        kind = current.WhichOneof("value")
        if kind == "map":
            key = attr.string_value
            if attr.WhichOneof("value") != "string_value" or key not in current.map.literals:
                raise BindingError(f"key [{_attr_text(attr)}] does not exist in the map output of node [{node_id}]")
            current = current.map.literals[key]
        elif kind == "collection":
            items = current.collection.literals
            if attr.WhichOneof("value") != "int_value" or not 0 <= attr.int_value < len(items):
                raise BindingError(
                    f"index [{_attr_text(attr)}] is out of range of the list output of node [{node_id}] "
                    f"(length {len(items)})"
                )
            current = items[attr.int_value]
        elif kind == "scalar" and current.scalar.WhichOneof("value") == "generic":
            return _resolve_in_struct(node_id, current.scalar.generic, path[index:])
        elif kind == "scalar" and current.scalar.WhichOneof("value") == "binary":
            return _resolve_in_binary(node_id, current.scalar.binary, path[index:])
        else:
            raise BindingError(
                f"cannot follow attribute [{_attr_text(attr)}] into a {_describe(current)} output of node [{node_id}]"
            )
    return current


def _unwrap_union(literal: literals_pb2.Literal) -> literals_pb2.Literal:
    # An Optional[...] output is a union literal; its attributes are those of the value inside.
    while literal.WhichOneof("value") == "scalar" and literal.scalar.WhichOneof("value") == "union":
        literal = literal.scalar.union.value
    return literal


def _describe(literal: literals_pb2.Literal) -> str:
    kind = literal.WhichOneof("value")
    if kind == "scalar":
        return str(literal.scalar.WhichOneof("value"))
    return str(kind)


def _navigate(node_id: str, value: Any, path: Sequence[Any]) -> Any:
    for attr in path:
        if isinstance(value, dict):
            key = attr.string_value
            if attr.WhichOneof("value") != "string_value" or key not in value:
                raise BindingError(f"key [{_attr_text(attr)}] does not exist in the output of node [{node_id}]")
            value = value[key]
        elif isinstance(value, list):
            if attr.WhichOneof("value") != "int_value" or not 0 <= attr.int_value < len(value):
                raise BindingError(
                    f"index [{_attr_text(attr)}] is out of range of a list of length {len(value)} in the output "
                    f"of node [{node_id}]"
                )
            value = value[attr.int_value]
        else:
            raise BindingError(
                f"cannot follow attribute [{_attr_text(attr)}] into a {type(value).__name__} value in the output "
                f"of node [{node_id}]"
            )
    return value


def _resolve_in_struct(node_id: str, struct: struct_pb2.Struct, path: Sequence[Any]) -> literals_pb2.Literal:
    value = _navigate(node_id, json_format.MessageToDict(struct), path)
    return _literal_from_json(node_id, value)


def _literal_from_json(node_id: str, value: Any) -> literals_pb2.Literal:
    """What propeller makes of a value found inside a STRUCT: objects stay STRUCTs, lists become collections,
    JSON scalars become primitives (numbers are floats: JSON has no integers)."""
    if isinstance(value, dict):
        struct = struct_pb2.Struct()
        struct.update(value)
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=struct))
    if isinstance(value, list):
        return literals_pb2.Literal(
            collection=literals_pb2.LiteralCollection(literals=[_literal_from_json(node_id, v) for v in value])
        )
    if isinstance(value, bool):
        primitive = literals_pb2.Primitive(boolean=value)
    elif isinstance(value, str):
        primitive = literals_pb2.Primitive(string_value=value)
    elif isinstance(value, int):
        primitive = literals_pb2.Primitive(integer=value)
    elif isinstance(value, float):
        primitive = literals_pb2.Primitive(float_value=value)
    elif value is None:
        return literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))
    else:
        raise BindingError(f"cannot turn a {type(value).__name__} in the output of node [{node_id}] into a literal")
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=primitive))


def _resolve_in_binary(node_id: str, binary: literals_pb2.Binary, path: Sequence[Any]) -> literals_pb2.Literal:
    if binary.tag != "msgpack":
        raise BindingError(
            f"attribute paths into binary values tagged [{binary.tag}] are not supported (output of node "
            f"[{node_id}]); only msgpack is"
        )
    try:
        import msgpack
    except ImportError:  # not a dependency of the admin: flytekit brings it
        raise BindingError(
            f"attribute paths into msgpack values are not supported here: install the 'msgpack' package next to "
            f"the admin (output of node [{node_id}])"
        ) from None
    try:
        value = msgpack.unpackb(binary.value, raw=False, strict_map_key=False)
    except Exception as e:  # msgpack raises several unrelated types for malformed data
        raise BindingError(f"the msgpack output of node [{node_id}] cannot be decoded: {e}") from None
    resolved = _navigate(node_id, value, path)
    # Propeller's resolveAttrPathInBinary (v1.16): a list becomes a collection of msgpack binaries (an array node
    # maps over it), a primitive becomes a primitive literal, anything else is packed again as a msgpack binary.
    if isinstance(resolved, list):
        return literals_pb2.Literal(
            collection=literals_pb2.LiteralCollection(literals=[_msgpack_literal(msgpack, v) for v in resolved])
        )
    if isinstance(resolved, (bool, int, float, str)):
        return _literal_from_json(node_id, resolved)
    return _msgpack_literal(msgpack, resolved)


def _msgpack_literal(msgpack: Any, value: Any) -> literals_pb2.Literal:
    packed = msgpack.packb(value, use_bin_type=True)
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(binary=literals_pb2.Binary(value=packed, tag="msgpack")))


def error_literal(
    failed_node_id: str, message: str, target: types_pb2.LiteralType | None = None
) -> literals_pb2.Literal:
    """The ``err`` input of a failure node: a ``core.Error`` scalar, wrapped in a union when the input is
    ``Optional[FlyteError]``."""
    literal = literals_pb2.Literal(
        scalar=literals_pb2.Scalar(error=types_pb2.Error(failed_node_id=failed_node_id, message=message))
    )
    if target is not None and target.WhichOneof("type") == "union_type":
        for variant in target.union_type.variants:
            if variant.WhichOneof("type") == "simple" and variant.simple == types_pb2.ERROR:
                return literals_pb2.Literal(
                    scalar=literals_pb2.Scalar(union=literals_pb2.Union(value=literal, type=variant))
                )
    return literal
