"""ListExecutions(limit=100): the RPC's wall time next to the part of it that parsing and serializing the page's
executions costs (what assembling the page from stored bytes could save at most; issue "group commit").

    python benchmarks/list_executions_bench.py [--executions 120] [--calls 60]

An in-memory ``flyteplane sandbox`` runs ``--executions`` no-op executions (``execution_bench.py``'s task); then one
thread calls ListExecutions(limit=100) ``--calls`` times. In this process, each execution of the last page is parsed
from its stored form (spec and closure bytes), its deprecated fields cleared and the page serialized again, as the
admin does per call; that CPU is printed beside the RPC's median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from _common import DOMAIN, PROJECT, flyteplane_admin, print_measured, start_with_retry
from execution_bench import NOOP_TASK, _ident, _stub, register_noop

_DRAIN_SECONDS = 120.0


def _message_cpu_ms(page: bytes, repeat: int = 200) -> float:
    """CPU of parsing a page's executions from their spec and closure bytes and serializing the page again."""
    from flyteidl.admin import execution_pb2

    listed = execution_pb2.ExecutionList.FromString(page)
    stored = [
        (e.id.SerializeToString(), e.spec.SerializeToString(), e.closure.SerializeToString()) for e in listed.executions
    ]
    t0 = time.process_time()
    for _ in range(repeat):
        out = execution_pb2.ExecutionList()
        for ident, spec, closure in stored:
            execution = out.executions.add()
            execution.id.ParseFromString(ident)
            execution.spec.ParseFromString(spec)
            execution.closure.ParseFromString(closure)
            execution.spec.ClearField("inputs")
            execution.closure.ClearField("computed_inputs")
        out.SerializeToString()
    return (time.process_time() - t0) / repeat * 1e3


def measure(executions: int, calls: int, tmp: Path) -> dict[str, float]:
    from flyteidl.admin import common_pb2, execution_pb2
    from flyteidl.core import identifier_pb2

    admin = start_with_retry(lambda: flyteplane_admin(tmp, None))
    try:
        register_noop(admin.endpoint)
        stub = _stub(admin.endpoint)
        spec = execution_pb2.ExecutionSpec(launch_plan=_ident(identifier_pb2.TASK, NOOP_TASK))
        for _ in range(executions):
            stub.CreateExecution(execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec))
        request = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=100
        )
        deadline = time.monotonic() + _DRAIN_SECONDS
        while time.monotonic() < deadline:  # the page of ended executions, not of ones still changing
            listed = stub.ListExecutions(request)
            if all(e.closure.phase == 4 for e in listed.executions):  # SUCCEEDED
                break
            time.sleep(0.5)
        walls = []
        for _ in range(calls):
            t0 = time.perf_counter()
            listed = stub.ListExecutions(request)
            walls.append(time.perf_counter() - t0)
        page = listed.SerializeToString()
    finally:
        admin.stop()
    return {
        "list_executions.rows": float(len(listed.executions)),
        "list_executions.bytes": float(len(page)),
        "list_executions.median_ms": statistics.median(walls) * 1e3,
        "list_executions.message_cpu_ms": _message_cpu_ms(page),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--executions", type=int, default=120)
    p.add_argument("--calls", type=int, default=60)
    args = p.parse_args(argv)
    return print_measured("flyteplane-list-executions-", lambda tmp: measure(args.executions, args.calls, tmp))


if __name__ == "__main__":
    sys.exit(main())
