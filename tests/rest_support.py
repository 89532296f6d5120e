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
