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
from _common import DOMAIN, PROJECT, TASK_NAME, register_tasks, version_of
from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2_grpc

VERSIONS = 256
BLOCKS = 7
GETS_PER_BLOCK = 512
LISTS_PER_BLOCK = 20


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
        register_tasks(admin.endpoint, VERSIONS, threads=1)  # the same flytekit task spec as run.py's benchmarks
        ids = [
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=TASK_NAME, version=version_of(i)
            )
            for i in range(VERSIONS)
        ]
        listing = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name=TASK_NAME), limit=100
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
