"""The admin's own cost of starting, of GetTask and of ListTasks(limit=100), in one fresh process: the CPU time of
importing AdminServer and of ``start()``, then an in-memory AdminServer and a raw stub over loopback, CPU time per
call of the whole process (client and server), median over blocks. CPU time, not wall time: on a shared machine
it moves far less with the neighbours' load.

    PYTHONPATH=src python benchmarks/admin_calls.py        # prints one JSON line

Used by ``compare_revisions.py --only admin_calls`` to hold two revisions of the admin side by side: the client is
the raw stub in both, so what differs is the admin's work. Uses only AdminServer's public constructor and gRPC, so
it runs against any revision.
"""

from __future__ import annotations

import json
import statistics
import time

import grpc
from flyteidl.admin import common_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2
from flyteidl.service import admin_pb2_grpc

PROJECT, DOMAIN = "flytesnacks", "development"
VERSIONS = 256
BLOCKS = 7
GETS_PER_BLOCK = 512
LISTS_PER_BLOCK = 20


def _task(version: str) -> task_pb2.TaskCreateRequest:
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name="bench_task", version=version
    )
    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(
            inputs=interface_pb2.VariableMap(variables={"x": interface_pb2.Variable(type=integer)}),
            outputs=interface_pb2.VariableMap(variables={"y": interface_pb2.Variable(type=integer)}),
        ),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", "pass"]),
    )
    return task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template))


def _cpu_per_call_us(calls: int, call: object) -> float:
    start = time.process_time()
    for i in range(calls):
        call(i)  # type: ignore[operator]
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    started = time.process_time()
    from flyteplane.admin import AdminServer

    imported = time.process_time()
    admin = AdminServer().start()
    ready = time.process_time()
    with admin, grpc.insecure_channel(admin.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        requests = [_task(f"v{i:04d}") for i in range(VERSIONS)]
        for request in requests:
            stub.CreateTask(request)
        ids = [r.id for r in requests]
        listing = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name="bench_task"), limit=100
        )
        get_us, list_us = [], []
        for _ in range(BLOCKS):
            get_us.append(
                _cpu_per_call_us(
                    GETS_PER_BLOCK, lambda i: stub.GetTask(common_pb2.ObjectGetRequest(id=ids[i % VERSIONS]))
                )
            )
            list_us.append(_cpu_per_call_us(LISTS_PER_BLOCK, lambda i: stub.ListTasks(listing)))
    print(
        json.dumps(
            {
                "calls.import_cpu_ms": (imported - started) * 1e3,
                "calls.start_cpu_ms": (ready - imported) * 1e3,
                "calls.get_task_cpu_us": statistics.median(get_us),
                "calls.list_tasks_cpu_us": statistics.median(list_us),
            }
        )
    )


if __name__ == "__main__":
    main()
