"""Bodies as Flyte Admin's grpc-gateway reads and writes them.

flyteadmin (``pkg/server/service.go``) registers three marshalers with its gateway mux:

* ``application/json``: ``runtime.JSONPb`` with ``UseProtoNames``, ``EmitUnpopulated`` and ``EmitDefaultValues``
  (snake_case names; every field present: scalars with their zero value, lists ``[]``, maps ``{}``, unset
  messages ``null``; unset oneof members and proto3 ``optional`` fields left out, as Go's protojson does);
* ``application/octet-stream``: ``runtime.ProtoMarshaller``, the binary protobuf encoding (what flyteconsole uses);
* anything else (``*``): grpc-gateway's default, JSONPb with lowerCamelCase names, ``EmitUnpopulated``, and
  unknown request fields discarded.

The request's ``Accept`` header picks the response marshaler when it names a registered type exactly, else the
response is written as the request's ``Content-Type`` is read (grpc-gateway's ``MarshalerForRequest``).
"""

from __future__ import annotations

import base64
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf import json_format, symbol_database
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

from flyteplane.admin.rpc.wire import decode_request

__all__ = ["JSON", "PROTO", "WILDCARD", "Marshaler", "marshalers_for", "to_json_value"]

# Types whose JSON form is not an object of their fields: their unpopulated fields are not written.
_SPECIAL_JSON = frozenset(
    {
        "google.protobuf.Any",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.ListValue",
        "google.protobuf.Struct",
        "google.protobuf.Timestamp",
        "google.protobuf.Value",
        "google.protobuf.BoolValue",
        "google.protobuf.BytesValue",
        "google.protobuf.DoubleValue",
        "google.protobuf.FloatValue",
        "google.protobuf.Int32Value",
        "google.protobuf.Int64Value",
        "google.protobuf.StringValue",
        "google.protobuf.UInt32Value",
        "google.protobuf.UInt64Value",
    }
)
# The deepest JSON body accepted: Go's protojson default recursion limit, as Flyte Admin decodes.
MAX_JSON_DEPTH = 10_000


def to_json_value(message: Message, *, proto_names: bool = True) -> Any:
    """``message`` as Go's protojson writes it with ``EmitUnpopulated`` (see the module docstring), as a JSON value.

    One pass over the message with a plan per message type (cached), instead of protobuf-python's ``MessageToDict``
    followed by a second pass to add what it leaves out: the gateway writes every response this way, and listings
    of a hundred tasks are large.
    """
    return _encode(message, proto_names)


_INT64 = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)
# Field kinds of a plan.
_SCALAR, _SCALAR_PRESENCE, _MESSAGE, _MESSAGE_ONEOF, _LIST, _MAP = range(6)


@dataclass(frozen=True)
class _FieldPlan:
    name: str
    key: str
    kind: int
    convert: Any  # value -> JSON value (scalars; message values of lists and maps: None, encoded recursively)
    map_key: Any = None


def _encode(message: Message, proto_names: bool) -> Any:
    descriptor = message.DESCRIPTOR
    if descriptor.full_name in _SPECIAL_JSON:
        return _special(message, proto_names)
    out: dict[str, Any] = {}
    for plan in _plan(descriptor, proto_names):
        kind = plan.kind
        if kind == _SCALAR:
            out[plan.key] = plan.convert(getattr(message, plan.name))
        elif kind == _MESSAGE:
            out[plan.key] = _encode(getattr(message, plan.name), proto_names) if message.HasField(plan.name) else None
        elif kind == _LIST:
            values = getattr(message, plan.name)
            convert = plan.convert
            out[plan.key] = (
                [_encode(v, proto_names) for v in values] if convert is None else [convert(v) for v in values]
            )
        elif kind == _MAP:
            values = getattr(message, plan.name)
            convert, map_key = plan.convert, plan.map_key
            out[plan.key] = {
                map_key(k): (_encode(v, proto_names) if convert is None else convert(v)) for k, v in values.items()
            }
        elif message.HasField(plan.name):  # a oneof member or a proto3 optional field: written only when set
            value = getattr(message, plan.name)
            out[plan.key] = _encode(value, proto_names) if kind == _MESSAGE_ONEOF else plan.convert(value)
    return out


@cache
def _plan(descriptor: Any, proto_names: bool) -> tuple[_FieldPlan, ...]:
    plans = []
    for field in descriptor.fields:
        key = field.name if proto_names else field.json_name
        in_oneof = field.containing_oneof is not None
        if field.is_repeated and field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            value_convert = None if value_field.message_type is not None else _converter(value_field)
            plans.append(_FieldPlan(field.name, key, _MAP, value_convert, _map_key))
        elif field.is_repeated:
            convert = None if field.message_type is not None else _converter(field)
            plans.append(_FieldPlan(field.name, key, _LIST, convert))
        elif field.message_type is not None:
            plans.append(_FieldPlan(field.name, key, _MESSAGE_ONEOF if in_oneof else _MESSAGE, None))
        else:
            plans.append(_FieldPlan(field.name, key, _SCALAR_PRESENCE if in_oneof else _SCALAR, _converter(field)))
    return tuple(plans)


def _converter(field: Any) -> Any:
    kind = field.type
    if kind in _INT64:
        return str
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return _go_double
    if kind == FieldDescriptor.TYPE_FLOAT:
        return _go_float
    if kind == FieldDescriptor.TYPE_BYTES:
        return lambda value: base64.b64encode(value).decode("ascii")
    if kind == FieldDescriptor.TYPE_ENUM:
        names = {v.number: v.name for v in field.enum_type.values}
        return lambda value: names.get(value, value)  # an unknown number stays a number, as Go writes it
    return _identity


def _identity(value: Any) -> Any:
    return value


def _go_double(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return int(value) if value.is_integer() and abs(value) < 1e21 else value


def _go_float(value: float) -> Any:
    if math.isnan(value) or math.isinf(value):
        return _go_double(value)
    return _go_double(type_checkers.ToShortestFloat(value))


def _special(message: Message, proto_names: bool) -> Any:
    """A well-known type with a JSON form of its own: protobuf-python writes those as Go does; an ``Any``'s packed
    message is written with the gateway's rules, beside its ``@type``."""
    if message.DESCRIPTOR.full_name != "google.protobuf.Any":
        return json_format.MessageToDict(message, preserving_proto_field_name=proto_names)
    type_url = message.type_url  # type: ignore[attr-defined]
    if not type_url:
        return {}
    try:
        inner = symbol_database.Default().GetSymbol(type_url.rsplit("/", 1)[-1])()
    except KeyError:
        return json_format.MessageToDict(message, preserving_proto_field_name=proto_names)  # raises: unknown type
    message.Unpack(inner)  # type: ignore[attr-defined]
    if inner.DESCRIPTOR.full_name in _SPECIAL_JSON:
        return {"@type": type_url, "value": _special(inner, proto_names)}
    return {"@type": type_url, **_encode(inner, proto_names)}


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


class _BodyCache:
    """JSON bodies of recent responses, keyed by the response's protobuf bytes, bounded by bytes (LRU).

    Writing JSON is the gateway's one big cost (pure Python, against protobuf's C serializer): a listing of a
    hundred tasks takes tens of milliseconds. Registered entities never change and clients (the console) read the
    same pages again and again, so the same bytes come back; equal bytes are an equal message, so a hit is exact.
    """

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self._entries: OrderedDict[tuple[str, bool, bytes], bytes] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._max_entry_bytes = max_entry_bytes
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bool, bytes]) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: tuple[str, bool, bytes], body: bytes) -> None:
        size = len(key[2]) + len(body)
        if size > self._max_entry_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = body
            self._bytes += size
            while self._bytes > self._max_bytes:
                (_, _, old_key), old_body = self._entries.popitem(last=False)
                self._bytes -= len(old_key) + len(old_body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_JSON_BODIES = _BodyCache(max_bytes=32 * 1024 * 1024, max_entry_bytes=4 * 1024 * 1024)


class BodyError(ValueError):
    """A request body that is not the request message (the message names the field or the problem)."""


@dataclass(frozen=True)
class Marshaler:
    """One of the gateway's marshalers (see the module docstring)."""

    content_type: str
    binary: bool = False
    proto_names: bool = True
    discard_unknown: bool = False

    def encode(self, message: Message) -> bytes:
        """``message`` as a response body."""
        if self.binary:
            return message.SerializeToString()
        key = (message.DESCRIPTOR.full_name, self.proto_names, message.SerializeToString())
        cached = _JSON_BODIES.get(key)
        if cached is not None:
            return cached
        document = to_json_value(message, proto_names=self.proto_names)
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        _JSON_BODIES.put(key, body)
        return body

    def decode(self, body: bytes, message: Message) -> None:
        """Merge ``body`` into ``message``; :class:`BodyError` if it is not one."""
        if self.binary:
            try:
                message.MergeFrom(decode_request(type(message), body))
            except Exception as e:  # decode_request raises AdminError(INVALID_ARGUMENT) naming the problem
                raise BodyError(getattr(e, "message", str(e))) from None
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BodyError(f"the body is not UTF-8 text: {e.reason} at byte {e.start}") from None
        if not text.strip():
            return  # grpc-gateway reads an empty body as an empty message (io.EOF is not an error)
        try:
            json_format.Parse(
                text, message, ignore_unknown_fields=self.discard_unknown, max_recursion_depth=MAX_JSON_DEPTH
            )
        except json_format.ParseError as e:
            raise BodyError(str(e)) from None
        except RecursionError:
            raise BodyError("the body nests objects more deeply than this admin can process") from None

    def decode_value(self, body: bytes, field: str, message: Message) -> None:
        """Merge ``body``, the JSON of one field (a rule's ``body: "field"``), into ``message``."""
        if self.binary:
            raise BodyError(f"a binary body cannot carry the single field {field!r}")
        try:
            value = json.loads(body or b"null")
        except ValueError as e:
            raise BodyError(f"the body is not JSON: {e}") from None
        try:
            json_format.ParseDict(
                {field: value}, message, ignore_unknown_fields=self.discard_unknown, max_recursion_depth=MAX_JSON_DEPTH
            )
        except json_format.ParseError as e:
            raise BodyError(str(e)) from None
        except RecursionError:
            raise BodyError("the body nests objects more deeply than this admin can process") from None


JSON = Marshaler("application/json")
PROTO = Marshaler("application/octet-stream", binary=True)
WILDCARD = Marshaler("application/json", proto_names=False, discard_unknown=True)
_REGISTERED = {JSON.content_type: JSON, PROTO.content_type: PROTO}


def marshalers_for(headers: Mapping[str, str] | Any) -> tuple[Marshaler, Marshaler]:
    """``(inbound, outbound)`` for a request's headers, as grpc-gateway's ``MarshalerForRequest`` picks them."""
    outbound = None
    for value in headers.getlist("accept") if hasattr(headers, "getlist") else [headers.get("accept", "")]:
        if value in _REGISTERED:
            outbound = _REGISTERED[value]
            break
    inbound = None
    for value in headers.getlist("content-type") if hasattr(headers, "getlist") else [headers.get("content-type", "")]:
        media_type = value.split(";", 1)[0].strip().lower()
        if media_type in _REGISTERED:
            inbound = _REGISTERED[media_type]
            break
    inbound = inbound or WILDCARD
    return inbound, outbound or inbound
