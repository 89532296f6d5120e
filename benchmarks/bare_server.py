"""The physical limit of a Python gRPC server: AdminService.GetTask answered from pre-serialized bytes.

    python benchmarks/bare_server.py --port 50051 --tasks tasks.bin

``grpc.server(ThreadPoolExecutor(16))`` with one generic handler and no validation, no database, no interceptor: a
GetTask deserializes the request, looks the (project, domain, name, version) key up in a dict and hands back bytes
that were serialized at start (the response serializer is the identity). It also answers GetVersion, so the
benchmark harness can tell it is up. ``--tasks`` is a file of length-prefixed (4 bytes, little endian) ``admin.Task``
messages, as ``_common.dump_tasks`` writes them from the flyteplane admin, so both servers send the same bytes.
"""

from __future__ import annotations

import argparse
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
from flyteidl.admin import common_pb2, task_pb2, version_pb2

SERVICE = "flyteidl.service.AdminService"


def load(path: str) -> dict[tuple[str, str, str, str], bytes]:
    tasks: dict[tuple[str, str, str, str], bytes] = {}
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "little")
        blob = data[pos + 4 : pos + 4 + size]
        pos += 4 + size
        ident = task_pb2.Task.FromString(blob).id
        tasks[(ident.project, ident.domain, ident.name, ident.version)] = blob
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tasks", required=True)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()

    tasks = load(args.tasks)
    version = version_pb2.GetVersionResponse(
        control_plane_version=version_pb2.Version(Version="bare")
    ).SerializeToString()

    def get_task(request: common_pb2.ObjectGetRequest, context: grpc.ServicerContext) -> bytes:
        i = request.id
        blob = tasks.get((i.project, i.domain, i.name, i.version))
        if blob is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "entry not found")
        return blob  # type: ignore[return-value]

    def get_version(request: version_pb2.GetVersionRequest, context: grpc.ServicerContext) -> bytes:
        return version

    def identity(b: bytes) -> bytes:
        return b

    handlers = {
        "GetTask": grpc.unary_unary_rpc_method_handler(
            get_task, request_deserializer=common_pb2.ObjectGetRequest.FromString, response_serializer=identity
        ),
        "GetVersion": grpc.unary_unary_rpc_method_handler(
            get_version, request_deserializer=version_pb2.GetVersionRequest.FromString, response_serializer=identity
        ),
    }
    server = grpc.server(ThreadPoolExecutor(max_workers=args.workers))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    print(f"bare server on 127.0.0.1:{port} with {len(tasks)} tasks", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.stop(0.5).wait()


if __name__ == "__main__":
    main()
