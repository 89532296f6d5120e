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

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, symbol_database
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
    """``message`` as Go's protojson writes it with ``EmitUnpopulated`` (see the module docstring)."""
    document = json_format.MessageToDict(
        message, always_print_fields_with_no_presence=True, preserving_proto_field_name=proto_names
    )
    return _complete(message, document, proto_names)


def _complete(message: Message, document: Any, proto_names: bool) -> Any:
    """Add what protobuf-python leaves out and Go writes: ``null`` for each unset message field (not in a oneof),
    recursively; order the fields by their declaration, as Go does."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Any":
        return _complete_any(message, document, proto_names)
    if descriptor.full_name in _SPECIAL_JSON or not isinstance(document, dict):
        return document
    ordered: dict[str, Any] = {}
    field: Any
    for field in descriptor.fields:
        key = field.name if proto_names else field.json_name
        if field.message_type is None:
            if key in document:
                ordered[key] = _go_number(document[key])
            continue
        if field.is_repeated:
            if key not in document:
                continue
            value = getattr(message, field.name)
            if field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                if value_field.message_type is not None:
                    items = document[key]
                    for map_key, item in value.items():
                        text = _map_key(map_key)
                        items[text] = _complete(item, items[text], proto_names)
                else:
                    document[key] = {k: _go_number(v) for k, v in document[key].items()}
            else:
                document[key] = [
                    _complete(item, doc, proto_names) for item, doc in zip(value, document[key], strict=True)
                ]
            ordered[key] = document[key]
        elif message.HasField(field.name):
            ordered[key] = _complete(getattr(message, field.name), document[key], proto_names)
        elif field.containing_oneof is None:
            ordered[key] = None
    for key, value in document.items():  # extensions, if any: as protobuf-python wrote them
        ordered.setdefault(key, value)
    return ordered


def _complete_any(message: Message, document: Any, proto_names: bool) -> Any:
    if not isinstance(document, dict) or ("value" in document and len(document) == 2):
        return document  # empty, or a well-known type packed under "value"
    type_name = message.type_url.rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    try:
        inner_class = symbol_database.Default().GetSymbol(type_name)
    except KeyError:
        return document
    inner = inner_class()
    message.Unpack(inner)  # type: ignore[attr-defined]
    fields = {k: v for k, v in document.items() if k != "@type"}
    return {"@type": document["@type"], **_complete(inner, fields, proto_names)}


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _go_number(value: Any) -> Any:
    """A float written as Go's protojson writes it: integral values without a fraction (``1``, not ``1.0``)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [_go_number(v) for v in value]
    return value


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
        document = to_json_value(message, proto_names=self.proto_names)
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()

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
