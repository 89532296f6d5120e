"""HTTP requests into request messages, as grpc-gateway v2's generated handlers and ``runtime`` package do.

* The body: for ``body: "*"`` the whole request message, for ``body: "<field>"`` that field, read by the inbound
  marshaler (:mod:`.marshal`); an empty body is an empty message.
* Path variables (``{id.project}``) then set (nested) fields, overriding the body, as the generated code does.
* Query parameters (only for rules whose body is not ``"*"``) set the fields they name: dotted names for nested
  fields (``sort_by.key``), proto or JSON names, repeated fields by repeating the parameter, maps as
  ``field[key]=value``, enums by name or number, ``Timestamp``/``Duration``/wrappers from their JSON strings and
  ``FieldMask`` from comma-separated paths. Parameters naming no field are ignored (grpc-gateway's
  ``DefaultQueryParser``); those naming a field bound by the path or the body are skipped.

Every value that does not fit its field is a :class:`TranscodeError` naming the field (INVALID_ARGUMENT, 400).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from flyteplane.admin.rest.marshal import BodyError, Marshaler
from flyteplane.admin.rest.routes import RestRoute

__all__ = ["TranscodeError", "build_request"]

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(
    r"^[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$", re.I
)
_MAP_KEY = re.compile(r"^(.*)\[(.*)\]$")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
# Message types a single query value can set: from the JSON string of the value.
_JSON_STRING_TYPES = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration"})
_WRAPPERS = frozenset(
    {
        "google.protobuf.DoubleValue",
        "google.protobuf.FloatValue",
        "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value",
        "google.protobuf.Int32Value",
        "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue",
        "google.protobuf.StringValue",
        "google.protobuf.BytesValue",
    }
)


class TranscodeError(ValueError):
    """A path variable, query parameter or body that does not fit the request message (the message says which)."""


def build_request(
    route: RestRoute,
    path_values: dict[tuple[str, ...], str],
    query: Iterable[tuple[str, str]],
    body: bytes,
    marshaler: Marshaler,
) -> Message:
    """The request message of ``route`` for one HTTP request; :class:`TranscodeError` if it does not fit."""
    request: Message = route.request_class()
    if route.body == "*":
        try:
            marshaler.decode(body, request)
        except BodyError as e:
            raise TranscodeError(str(e)) from None
    elif route.body:
        try:
            marshaler.decode_value(body, route.body, request)
        except BodyError as e:
            raise TranscodeError(str(e)) from None
    for path, raw in path_values.items():
        name = ".".join(path)
        try:
            _set_path(request, path, [unquote(raw)])
        except TranscodeError as e:
            raise TranscodeError(f"type mismatch, parameter: {name}, error: {e}") from None
    if route.body != "*":
        bound = [list(p) for p in path_values]
        if route.body:
            bound.append([route.body])
        _populate_query(request, query, bound)
    return request


def _populate_query(request: Message, query: Iterable[tuple[str, str]], bound: list[list[str]]) -> None:
    grouped: dict[str, list[str]] = {}
    for key, value in query:
        grouped.setdefault(key, []).append(value)
    for key, values in grouped.items():
        match = _MAP_KEY.match(key)
        if match is not None:
            key, values = match.group(1), [match.group(2), *values]
        path = key.split(".")
        if any(path[: len(prefix)] == prefix for prefix in bound):
            continue  # the path or the body set this field already
        try:
            _set_path(request, tuple(path), values, from_query=True)
        except TranscodeError as e:
            raise TranscodeError(f'parsing field "{key}": {e}') from None


def _field(message: Message, name: str) -> Any:
    descriptor = message.DESCRIPTOR
    return descriptor.fields_by_name.get(name) or descriptor.fields_by_camelcase_name.get(name)


def _set_path(message: Message, path: tuple[str, ...], values: list[str], *, from_query: bool = False) -> None:
    for depth, name in enumerate(path):
        field = _field(message, name)
        if field is None:
            if from_query:
                return  # grpc-gateway: "this could just be an extra query parameter"
            raise TranscodeError(f"no field {name!r} in {message.DESCRIPTOR.full_name}")
        oneof = field.containing_oneof
        if oneof is not None and not _is_synthetic(oneof):
            set_member = message.WhichOneof(oneof.name)
            if set_member is not None and set_member != field.name:
                raise TranscodeError(f"field already set for oneof {oneof.name!r} ({set_member})")
        if depth == len(path) - 1:
            _set_leaf(message, field, values)
            return
        if field.message_type is None or field.is_repeated:
            raise TranscodeError(f"invalid path: {name!r} is not a message")
        message = getattr(message, field.name)


def _is_synthetic(oneof: Any) -> bool:
    return bool(getattr(oneof, "is_synthetic", False)) or (
        len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name
    )


def _set_leaf(message: Message, field: Any, values: list[str]) -> None:
    if field.is_repeated:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if len(values) != 2:
                raise TranscodeError(f"a map field takes one key and one value, not {len(values)} values")
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            key = _scalar(key_field, values[0])
            target = getattr(message, field.name)
            if value_field.message_type is not None:
                target[key].CopyFrom(_message_value(value_field, values[1]))
            else:
                target[key] = _scalar(value_field, values[1])
            return
        target = getattr(message, field.name)
        for value in values:
            if field.message_type is not None:
                target.add().CopyFrom(_message_value(field, value))
            else:
                target.append(_scalar(field, value))
        return
    if len(values) > 1:
        raise TranscodeError(f"too many values for field {field.name!r}: {', '.join(values)}")
    if field.message_type is not None:
        getattr(message, field.name).CopyFrom(_message_value(field, values[0]))
    else:
        setattr(message, field.name, _scalar(field, values[0]))


def _message_value(field: Any, value: str) -> Message:
    from google.protobuf import message_factory

    cls = message_factory.GetMessageClass(field.message_type)
    full_name = field.message_type.full_name
    result: Message = cls()
    if full_name in _JSON_STRING_TYPES:
        try:
            json_format.Parse(json.dumps(value), result)
        except json_format.ParseError as e:
            raise TranscodeError(str(e)) from None
    elif full_name in _WRAPPERS:
        inner = result.DESCRIPTOR.fields_by_name["value"]
        result.value = _scalar(inner, value)  # type: ignore[attr-defined]
    elif full_name == "google.protobuf.FieldMask":
        result.paths.extend(p for p in value.split(",") if p)  # type: ignore[attr-defined]
    else:
        raise TranscodeError(f"unsupported message type: {full_name!r}")
    return result


def _scalar(field: Any, value: str) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return value
    if kind == FieldDescriptor.TYPE_BOOL:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise TranscodeError(f"{value!r} is not a boolean")
    if kind in _RANGES:
        low, high = _RANGES[kind]
        if not _INTEGER.match(value):
            raise TranscodeError(f"{value!r} is not an integer")
        number = int(value)
        if not low <= number <= high:
            raise TranscodeError(f"{value!r} is out of range")
        return number
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        if not _FLOAT.match(value):
            raise TranscodeError(f"{value!r} is not a number")
        return float(value)
    if kind == FieldDescriptor.TYPE_BYTES:
        for altchars in (None, b"-_"):
            try:
                return base64.b64decode(value.encode("ascii"), altchars=altchars, validate=True)
            except (binascii.Error, ValueError, UnicodeEncodeError):
                continue
        raise TranscodeError(f"{value!r} is not base64")
    if kind == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        by_name = enum.values_by_name.get(value)
        if by_name is not None:
            return by_name.number
        if _INTEGER.match(value) and int(value) in enum.values_by_number:
            return int(value)
        raise TranscodeError(f"{value!r} is not a valid {enum.full_name}")
    raise TranscodeError(f"fields of type {kind} cannot be set from a string")
