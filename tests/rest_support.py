"""Support for tests/admin/rest: the REST gateway served over loopback HTTP beside a real embedded admin.

The gateway runs under uvicorn on a free loopback port, over the admin's own managers and auth (the same objects
the gRPC side serves), until the admin's HTTP side mounts it itself.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from flyteplane.admin import AdminServer
from flyteplane.admin.rest import RestGateway


@dataclass
class Served:
    """A running gateway: its base URL (``http://127.0.0.1:<port>``) and the gateway itself."""

    base: str
    gateway: RestGateway


def serve_gateway(admin: AdminServer, **kwargs: object) -> Iterator[Served]:
    """Serve ``admin``'s gateway (``RestGateway.for_admin``) with uvicorn until the generator is closed."""
    assert admin.services is not None
    gateway = RestGateway.for_admin(admin.services, counter=admin.calls, **kwargs)  # type: ignore[arg-type]
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP (with
    # proto 0, Nagle holds back the body behind the headers until the client's delayed ACK, 40 ms a response).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(gateway.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield Served(f"http://127.0.0.1:{port}", gateway)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# -- an independent oracle of the gateway's JSON -----------------------------------------------------------------
_SPECIAL = {
    "google.protobuf.Any",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    "google.protobuf.ListValue",
    "google.protobuf.Struct",
    "google.protobuf.Timestamp",
    "google.protobuf.Value",
    *(
        f"google.protobuf.{kind}Value"
        for kind in ("Bool", "Bytes", "Double", "Float", "Int32", "Int64", "String", "UInt32", "UInt64")
    ),
}


def reference_json(message: Any) -> Any:
    """What Go's protojson writes with ``UseProtoNames`` and ``EmitUnpopulated``, by another road than the
    gateway's encoder: protobuf-python's ``MessageToDict`` (which prints proto3 scalars, lists and maps with no
    presence), then ``null`` for every unset message field outside a oneof, integral floats without a fraction."""
    from google.protobuf import json_format

    document = json_format.MessageToDict(
        message, always_print_fields_with_no_presence=True, preserving_proto_field_name=True
    )
    return _complete(message, document)


def _complete(message: Any, document: Any) -> Any:
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Any" and message.type_url:
        from google.protobuf import symbol_database

        inner = symbol_database.Default().GetSymbol(message.type_url.rsplit("/", 1)[-1])()
        message.Unpack(inner)
        if inner.DESCRIPTOR.full_name in _SPECIAL:
            return document
        rest = {k: v for k, v in document.items() if k != "@type"}
        return {"@type": document["@type"], **_complete(inner, rest)}
    if descriptor.full_name in _SPECIAL:
        return document
    for field in descriptor.fields:
        key = field.name
        value = getattr(message, key)
        if field.message_type is None:
            if isinstance(document.get(key), float) and document[key].is_integer():
                document[key] = int(document[key])
            continue
        if field.is_repeated:
            if field.message_type.GetOptions().map_entry:
                if field.message_type.fields_by_name["value"].message_type is not None:
                    for k, v in value.items():
                        text = ("true" if k else "false") if isinstance(k, bool) else str(k)
                        document[key][text] = _complete(v, document[key][text])
            else:
                document[key] = [_complete(v, d) for v, d in zip(value, document[key], strict=True)]
        elif message.HasField(key):
            document[key] = _complete(value, document[key])
        elif field.containing_oneof is None:
            document[key] = None
    return document
