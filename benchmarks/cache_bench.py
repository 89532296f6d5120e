"""Task cache benchmark: a cache hit's latency next to the same task's miss, side by side in one run.

The admin under test is ``flyteplane sandbox --in-memory`` in its own process (a fresh one per round). The task is a
cached raw container task (``metadata.discoverable``, ``discovery_version`` "1"): ``python -c`` writing a fixed
``outputs.pb`` under ``{{.outputPrefix}}``, so a miss pays one Python start plus the engine's and the catalog's work,
and a hit pays the lookup alone. Each pair runs the task with a new input ``x`` (a miss: it runs and populates the
cache) and then again with the same ``x`` (a hit: it is answered from the cache); each run is timed from
CreateExecution to SUCCEEDED (GetExecution every 5 ms), and its node's cache status is checked. Next to it, in the
same round, one ``python -c pass`` start (the floor of a miss).

    python benchmarks/cache_bench.py                  # 20 pairs, 3 rounds
    python benchmarks/cache_bench.py --pairs 10 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DOMAIN, PROJECT, PYTHON, flyteplane_admin, machine_info, median, percentile, proc_cpu_seconds

VERSION = "v1"
TASK_NAME = "benchmarks.cache.cached_task"
POLL_SECONDS = 0.005
PROCESS_RUNS = 10


def task_code() -> str:
    """The task: write ``{o0: 1}`` as ``outputs.pb`` without importing protobuf (bytes made here once)."""
    from flyteidl.core import literals_pb2

    outputs = literals_pb2.LiteralMap()
    outputs.literals["o0"].scalar.primitive.integer = 1
    blob = outputs.SerializeToString().hex()
    return (
        "import sys;p=sys.argv[1];p=p[7:] if p.startswith('file://') else p;"
        f"open(p.rstrip('/')+'/outputs.pb','wb').write(bytes.fromhex('{blob}'))"
    )


def register(endpoint: str) -> tuple[Any, Any]:
    """CreateTask of the cached task; returns a stub and the task id."""
    import grpc
    from flyteidl.admin import task_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2
    from flyteidl.service import admin_pb2_grpc

    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))
    iface = interface_pb2.TypedInterface()
    iface.inputs.variables["x"].type.simple = types_pb2.INTEGER
    iface.outputs.variables["o0"].type.simple = types_pb2.INTEGER
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=TASK_NAME, version=VERSION
    )
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        interface=iface,
        container=tasks_pb2.Container(
            image="python:3.11-slim", args=["python", "-c", task_code(), "{{.outputPrefix}}"]
        ),
        metadata=tasks_pb2.TaskMetadata(
            discoverable=True,
            discovery_version="1",
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.OTHER, version="0", flavor="benchmarks"),
        ),
    )
    stub.CreateTask(task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)))
    return stub, tid


def run_once(stub: Any, tid: Any, x: int) -> tuple[float, int]:
    """CreateExecution of the task with ``x``, GetExecution until it ends; seconds and the node's cache status."""
    from flyteidl.admin import execution_pb2, node_execution_pb2
    from flyteidl.core import execution_pb2 as core_execution_pb2
    from flyteidl.core import literals_pb2

    inputs = literals_pb2.LiteralMap()
    inputs.literals["x"].scalar.primitive.integer = x
    spec = execution_pb2.ExecutionSpec(launch_plan=tid)
    phase = core_execution_pb2.WorkflowExecution
    t0 = time.perf_counter()
    created = stub.CreateExecution(
        execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec, inputs=inputs)
    )
    get = execution_pb2.WorkflowExecutionGetRequest(id=created.id)
    while True:
        got = stub.GetExecution(get)
        if got.closure.phase in (phase.SUCCEEDED, phase.FAILED, phase.ABORTED, phase.TIMED_OUT):
            break
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - t0
    if got.closure.phase != phase.SUCCEEDED:
        raise RuntimeError(f"the run ended {phase.Phase.Name(got.closure.phase)}: {got.closure.error.message}")
    nodes = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=created.id, limit=10)
    ).node_executions
    (node,) = [n for n in nodes if n.id.node_id not in ("start-node", "end-node")]
    return seconds, node.closure.task_node_metadata.cache_status


def process_start(argv: list[str]) -> float:
    times = []
    for _ in range(PROCESS_RUNS):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return median(times)


def main() -> None:
    from flyteidl.core import catalog_pb2

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    status = catalog_pb2.CatalogCacheStatus
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="flyteplane-cache-bench-") as tmp:
        for round_no in range(1, args.rounds + 1):
            print(f"round {round_no}/{args.rounds}", file=sys.stderr)
            admin = flyteplane_admin(Path(tmp)).start()
            try:
                stub, tid = register(admin.endpoint)
                run_once(stub, tid, -1)  # warm-up: the task's generated workflow and launch plan
                python_pass = process_start([PYTHON, "-c", "pass"])
                misses, hits, miss_cpu, hit_cpu = [], [], 0.0, 0.0
                for i in range(args.pairs):
                    cpu0 = proc_cpu_seconds(admin.pid)
                    seconds, got = run_once(stub, tid, 1000 * round_no + i)
                    cpu1 = proc_cpu_seconds(admin.pid)
                    if got != status.CACHE_POPULATED:
                        raise RuntimeError(f"a first run reported {status.Name(got)}, not CACHE_POPULATED")
                    misses.append(seconds)
                    seconds, got = run_once(stub, tid, 1000 * round_no + i)
                    cpu2 = proc_cpu_seconds(admin.pid)
                    if got != status.CACHE_HIT:
                        raise RuntimeError(f"a second run reported {status.Name(got)}, not CACHE_HIT")
                    hits.append(seconds)
                    miss_cpu += cpu1 - cpu0
                    hit_cpu += cpu2 - cpu1
            finally:
                admin.stop()
            misses.sort()
            hits.sort()
            rows.append(
                {
                    "python_pass_ms": python_pass * 1e3,
                    "miss_median_ms": median(misses) * 1e3,
                    "miss_p90_ms": percentile(misses, 90) * 1e3,
                    "hit_median_ms": median(hits) * 1e3,
                    "hit_p90_ms": percentile(hits, 90) * 1e3,
                    "miss_admin_cpu_ms": miss_cpu / args.pairs * 1e3,
                    "hit_admin_cpu_ms": hit_cpu / args.pairs * 1e3,
                    "hit_over_miss": median(hits) / median(misses),
                }
            )
    info = machine_info()
    print(f"# Task cache benchmark ({args.pairs} miss/hit pairs, {args.rounds} rounds)\n")
    print(f"machine: {info.get('cpus', os.cpu_count())} CPUs, Python {sys.version.split()[0]}\n")
    print("| measure | " + " | ".join(f"round {i}" for i in range(1, len(rows) + 1)) + " | median |")
    print("|---|" + "---|" * (len(rows) + 1))
    labels = {
        "python_pass_ms": "`python -c pass`, one start (ms)",
        "miss_median_ms": "miss: CreateExecution to SUCCEEDED, median (ms)",
        "miss_p90_ms": "miss: p90 (ms)",
        "hit_median_ms": "hit: CreateExecution to SUCCEEDED, median (ms)",
        "hit_p90_ms": "hit: p90 (ms)",
        "miss_admin_cpu_ms": "miss: admin CPU per run (ms)",
        "hit_admin_cpu_ms": "hit: admin CPU per run (ms)",
        "hit_over_miss": "hit / miss (median latency)",
    }
    for key, label in labels.items():
        cells = [f"{row[key]:.2f}" for row in rows]
        print(f"| {label} | " + " | ".join(cells) + f" | {median([row[key] for row in rows]):.2f} |")


if __name__ == "__main__":
    main()
