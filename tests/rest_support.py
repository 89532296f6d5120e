"""Support for tests/admin/rest: the REST gateway served over loopback HTTP beside a real embedded admin.

The gateway is the one the admin's HTTP side mounts, or (before it did, or with other settings) one under uvicorn on a
free loopback port, over the admin's own managers and auth (the same objects the gRPC side serves).
"""

from __future__ import annotations

import contextlib
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
    """A running gateway and where to reach it.

    ``base``: where ``/api/v1``, ``/login``, ``/callback``, ``/logout`` and ``/config/v1/flyte_client`` are served
    (the admin's own HTTP side once it mounts the gateway). ``root_base``: where the gateway's ``/me`` and
    ``/.well-known/oauth-authorization-server`` are (on the admin's HTTP side the admin's auth routes answer those
    paths, as flyteadmin's own OAuth2 handlers take precedence over its gateway; a standalone gateway beside it
    serves the gateway's).
    """

    base: str
    gateway: RestGateway
    root_base: str

    def url(self, path: str) -> str:
        shadowed = path == "/me" or path.startswith("/.well-known/")
        return (self.root_base if shadowed else self.base) + path


@contextlib.contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP (with
    # proto 0, Nagle holds back the body behind the headers until the client's delayed ACK, 40 ms a response).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def serve_gateway(admin: AdminServer, **kwargs: Any) -> Iterator[Served]:
    """``admin``'s gateway until the generator is closed: the one its HTTP side mounts (``AdminServer.rest``) if
    any, else (or with ``kwargs``: other settings) one more ``RestGateway.for_admin`` under uvicorn."""
    assert admin.services is not None
    mounted = getattr(admin, "rest", None)
    if mounted is not None and not kwargs:
        # The standalone one shares the session cookies' key: a browser session is valid on both.
        beside = RestGateway.for_admin(admin.services, counter=admin.calls, cookies=mounted.cookies)
        with _uvicorn(beside.app()) as root_base:
            yield Served(admin.http_endpoint, mounted, root_base)
        return
    gateway = RestGateway.for_admin(admin.services, counter=admin.calls, **kwargs)
    with _uvicorn(gateway.app()) as base:
        yield Served(base, gateway, base)


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
