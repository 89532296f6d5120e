"""Map task (array node) benchmark: a map over 1,000 elements end to end, per element, next to the cost of starting
one Python process, measured side by side in one run.

The admin under test is ``flyteplane sandbox --in-memory`` in its own process (a fresh one per round). The workflow
is one array node built as flyteidl messages, as flytekit's ``map_task`` serializes it (MINIMAL_STATE, the map task's
list interface, unbounded parallelism): each element is a raw process, ``python -c`` writing a fixed ``outputs.pb``
under ``{{.outputPrefix}}``, so every element pays one Python start and nothing else. The run is timed from
CreateExecution to SUCCEEDED (GetExecution every 50 ms); its outputs are read back to check all elements answered.

Next to it, in the same round: ``python -c pass`` and the element's own program, each started one at a time
(the floor of one element), and the same map over fewer elements (how the cost grows with the size).

    python benchmarks/map_task_bench.py                 # 1,000 elements, 2 rounds
    python benchmarks/map_task_bench.py --elements 200 --rounds 1
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

from _common import DOMAIN, PROJECT, PYTHON, flyteplane_admin, machine_info, median, proc_cpu_seconds

VERSION = "v1"
TASK_NAME = "benchmarks.map.element"
WORKFLOW_NAME = "benchmarks.map.workflow"
POLL_SECONDS = 0.05
PROCESS_RUNS = 20


def element_code() -> str:
    """The element: write ``{o0: 1}`` as ``outputs.pb`` without importing protobuf (bytes made here once)."""
    from flyteidl.core import literals_pb2

    outputs = literals_pb2.LiteralMap()
    outputs.literals["o0"].scalar.primitive.integer = 1
    blob = outputs.SerializeToString().hex()
    return (
        "import sys;p=sys.argv[1];p=p[7:] if p.startswith('file://') else p;"
        f"open(p.rstrip('/')+'/outputs.pb','wb').write(bytes.fromhex('{blob}'))"
    )


def _ident(resource_type: int, name: str) -> Any:
    from flyteidl.core import identifier_pb2

    return identifier_pb2.Identifier(
        resource_type=resource_type, project=PROJECT, domain=DOMAIN, name=name, version=VERSION
    )


def register(endpoint: str) -> tuple[Any, Any]:
    """CreateTask (the map task), CreateWorkflow (one array node), CreateLaunchPlan; returns a stub and the launch
    plan id."""
    import grpc
    from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2
    from flyteidl.core import workflow_pb2 as core_workflow_pb2
    from flyteidl.service import admin_pb2_grpc

    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))
    ints = types_pb2.LiteralType(collection_type=types_pb2.LiteralType(simple=types_pb2.INTEGER))
    iface = interface_pb2.TypedInterface()
    iface.inputs.variables["x"].type.CopyFrom(ints)
    iface.outputs.variables["o0"].type.CopyFrom(ints)
    tid = _ident(identifier_pb2.TASK, TASK_NAME)
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        task_type_version=1,
        interface=iface,
        container=tasks_pb2.Container(
            image="python:3.11-slim", args=["python", "-c", element_code(), "{{.outputPrefix}}"]
        ),
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.OTHER, version="0", flavor="benchmarks")
        ),
    )
    stub.CreateTask(task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)))

    wid = _ident(identifier_pb2.WORKFLOW, WORKFLOW_NAME)
    wf = core_workflow_pb2.WorkflowTemplate(id=wid)
    wf.interface.inputs.variables["xs"].type.CopyFrom(ints)
    wf.interface.outputs.variables["o0"].type.CopyFrom(ints)
    node = wf.nodes.add(id="n0")
    node.metadata.name = "map_element"
    node.inputs.add(var="x").binding.promise.CopyFrom(types_pb2.OutputReference(node_id="start-node", var="xs"))
    array = node.array_node
    array.min_success_ratio = 1.0
    array.is_original_sub_node_interface.value = False
    sub = array.node
    sub.id = sub.metadata.name = "map_element"
    sub.metadata.retries.SetInParent()
    sub.inputs.add(var="x").binding.promise.CopyFrom(types_pb2.OutputReference(var="xs"))
    sub.task_node.reference_id.CopyFrom(tid)
    out = wf.outputs.add(var="o0")
    out.binding.promise.CopyFrom(types_pb2.OutputReference(node_id="n0", var="o0"))
    stub.CreateWorkflow(workflow_pb2.WorkflowCreateRequest(id=wid, spec=workflow_pb2.WorkflowSpec(template=wf)))

    lid = _ident(identifier_pb2.LAUNCH_PLAN, WORKFLOW_NAME)
    spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=wid)
    spec.default_inputs.parameters["xs"].var.type.CopyFrom(ints)
    spec.default_inputs.parameters["xs"].required = True
    stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=lid, spec=spec))
    return stub, lid


def run_map(stub: Any, lid: Any, size: int) -> dict[str, float]:
    """CreateExecution over ``size`` elements, GetExecution until it ends; seconds, and the outputs checked."""
    from flyteidl.admin import execution_pb2
    from flyteidl.core import execution_pb2 as core_execution_pb2
    from flyteidl.core import literals_pb2

    inputs = literals_pb2.LiteralMap()
    items = inputs.literals["xs"].collection
    items.SetInParent()
    for i in range(size):
        items.literals.add().scalar.primitive.integer = i
    spec = execution_pb2.ExecutionSpec(launch_plan=lid)
    t0 = time.perf_counter()
    created = stub.CreateExecution(
        execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec, inputs=inputs)
    )
    get = execution_pb2.WorkflowExecutionGetRequest(id=created.id)
    phase = core_execution_pb2.WorkflowExecution
    while True:
        got = stub.GetExecution(get)
        if got.closure.phase in (phase.SUCCEEDED, phase.FAILED, phase.ABORTED, phase.TIMED_OUT):
            break
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - t0
    if got.closure.phase != phase.SUCCEEDED:
        raise RuntimeError(f"the map ended {phase.Phase.Name(got.closure.phase)}: {got.closure.error.message}")
    data = stub.GetExecutionData(execution_pb2.WorkflowExecutionGetDataRequest(id=created.id))
    answered = [lit.scalar.primitive.integer for lit in data.full_outputs.literals["o0"].collection.literals]
    if answered != [1] * size:
        raise RuntimeError(f"the map's outputs are wrong: {len(answered)} items")
    return {"seconds": seconds}


def process_start(argv: list[str]) -> float:
    """Median seconds of starting ``argv`` and waiting for it, one at a time."""
    times = []
    for _ in range(PROCESS_RUNS):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elements", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100, help="the smaller map run next to it")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows: list[dict[str, float]] = []
    code = element_code()
    with tempfile.TemporaryDirectory(prefix="flyteplane-map-bench-") as tmp:
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        for round_no in range(1, args.rounds + 1):
            print(f"round {round_no}/{args.rounds}", file=sys.stderr)
            admin = flyteplane_admin(Path(tmp)).start()
            try:
                stub, lid = register(admin.endpoint)
                python_pass = process_start([PYTHON, "-c", "pass"])
                element = process_start([PYTHON, "-c", code, out_dir.as_uri()])
                cpu0 = proc_cpu_seconds(admin.pid)
                small = run_map(stub, lid, args.small)["seconds"]
                cpu1 = proc_cpu_seconds(admin.pid)
                big = run_map(stub, lid, args.elements)["seconds"]
                cpu2 = proc_cpu_seconds(admin.pid)
            finally:
                admin.stop()
            rows.append(
                {
                    "python_pass_ms": python_pass * 1e3,
                    "element_alone_ms": element * 1e3,
                    "small_total_s": small,
                    "small_per_element_ms": small / args.small * 1e3,
                    "small_admin_cpu_per_element_ms": (cpu1 - cpu0) / args.small * 1e3,
                    "big_total_s": big,
                    "big_per_element_ms": big / args.elements * 1e3,
                    "big_admin_cpu_per_element_ms": (cpu2 - cpu1) / args.elements * 1e3,
                }
            )
    info = machine_info()
    print(f"# Map task benchmark ({args.elements} and {args.small} elements, {args.rounds} rounds)\n")
    print(f"machine: {info.get('cpus', os.cpu_count())} CPUs, Python {sys.version.split()[0]}\n")
    print("| measure | " + " | ".join(f"round {i}" for i in range(1, len(rows) + 1)) + " | median |")
    print("|---|" + "---|" * (len(rows) + 1))
    labels = {
        "python_pass_ms": "`python -c pass`, one start (ms)",
        "element_alone_ms": "the element's program alone, one start (ms)",
        "small_total_s": f"map over {args.small}: CreateExecution to SUCCEEDED (s)",
        "small_per_element_ms": f"map over {args.small}: wall per element (ms)",
        "small_admin_cpu_per_element_ms": f"map over {args.small}: admin CPU per element (ms)",
        "big_total_s": f"map over {args.elements}: CreateExecution to SUCCEEDED (s)",
        "big_per_element_ms": f"map over {args.elements}: wall per element (ms)",
        "big_admin_cpu_per_element_ms": f"map over {args.elements}: admin CPU per element (ms)",
    }
    for key, label in labels.items():
        cells = [f"{row[key]:.2f}" for row in rows]
        print(f"| {label} | " + " | ".join(cells) + f" | {median([row[key] for row in rows]):.2f} |")
    ratio = median([row["big_per_element_ms"] / row["python_pass_ms"] for row in rows])
    print(f"\nwall per element of the {args.elements}-element map / one `python -c pass`: {ratio:.2f}x")


if __name__ == "__main__":
    main()
