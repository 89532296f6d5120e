"""Dynamic workflows on the embedded admin: a dynamic task fanning out 100 task nodes, end to end, per task.

    python benchmarks/dynamic_bench.py                  # 3 rounds, 100 tasks (~2 min on 2 cores)
    python benchmarks/dynamic_bench.py --rounds 1 --tasks 20 --json /tmp/dynamic.json

In one run, alternating inside each round, on one ``flyteplane sandbox --in-memory`` process:

* ``python -c pass``: the floor every task pays (one Python process start), median of 10 spawns;
* static: a registered workflow of N independent no-op task nodes (``execution_bench``'s fan-out);
* dynamic: a workflow whose one task node is a dynamic task returning the same N no-op task nodes as a
  ``DynamicJobSpec`` (its command copies a prepared ``futures.pb``, so it costs one Python start, not flytekit's
  import); the engine compiles the spec, reports it, and runs the N nodes as the dynamic node's children.

Both run with the admin's default max parallelism (25: on 2 cores, processes overlap, so a task's share of the
wall time can be below one process start) and with max parallelism 1 (one task after the other: per task is then
one process start plus what the engine and the admin add). Each execution is timed from CreateExecution to the
SUCCEEDED GetExecution sees (polled every 20 ms). Per task is that time over N; the dynamic's own overhead is its
time minus the static workflow's (the parent task's process and the build of its workflow). ``build`` is from the
parent attempt's end to the first child's record (reading, compiling and reporting the spec). Nothing asserts a
time: the numbers are reported side by side, ratios taken within each round.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import DOMAIN, HERE, PROJECT, PYTHON, ChildError, ServerProcess, child_env, median, proc_cpu_seconds
from execution_bench import NOOP_TASK, _ident, _stub, fanout_name, start_admin

DYNAMIC_TASK = "benchmarks.dynamic.fan_out_parent"
DYNAMIC_WF = "benchmarks.dynamic.fan_out"
POLL_SECONDS = 0.02
# The dynamic parent's container: copy the prepared spec to {{.outputPrefix}}/futures.pb (argv: spec, prefix).
COPY_SPEC = (
    "import os,shutil,sys;p=sys.argv[2];p=p[7:] if p.startswith('file://') else p;os.makedirs(p,exist_ok=True);"
    "shutil.copy(sys.argv[1],os.path.join(p,'futures.pb'))"
)


def write_spec(endpoint: str, tasks: int, path: Path) -> None:
    """The DynamicJobSpec of ``tasks`` independent no-op task nodes ``dn0..`` (the no-op task's template inside)."""
    from flyteidl.admin import common_pb2
    from flyteidl.core import dynamic_job_pb2, identifier_pb2, workflow_pb2

    noop = _stub(endpoint).GetTask(common_pb2.ObjectGetRequest(id=_ident(identifier_pb2.TASK, NOOP_TASK)))
    template = noop.closure.compiled_task.template
    spec = dynamic_job_pb2.DynamicJobSpec(min_successes=tasks, tasks=[template])
    for i in range(tasks):
        spec.nodes.append(
            workflow_pb2.Node(
                id=f"dn{i}",
                metadata=workflow_pb2.NodeMetadata(name=f"noop-{i}"),
                task_node=workflow_pb2.TaskNode(reference_id=template.id),
            )
        )
    path.write_bytes(spec.SerializeToString())


def register_dynamic(endpoint: str, spec_path: Path) -> None:
    """The dynamic parent task (a raw container task whose process writes futures.pb), a workflow of one node
    running it, and its launch plan."""
    from flyteidl.admin import launch_plan_pb2, task_pb2
    from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, workflow_pb2

    stub = _stub(endpoint)
    tid = _ident(identifier_pb2.TASK, DYNAMIC_TASK)
    argv = ["python", "-c", COPY_SPEC, str(spec_path), "{{.outputPrefix}}"]
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="raw-container",
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="python:3.11-slim", command=argv[:3], args=argv[3:]),
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.OTHER, version="0", flavor="benchmarks")
        ),
    )
    stub.CreateTask(task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)), timeout=30)
    wid = _ident(identifier_pb2.WORKFLOW, DYNAMIC_WF)
    workflow = workflow_pb2.WorkflowTemplate(
        id=wid,
        interface=interface_pb2.TypedInterface(),
        metadata=workflow_pb2.WorkflowMetadata(),
        nodes=[workflow_pb2.Node(id="n0", task_node=workflow_pb2.TaskNode(reference_id=tid))],
    )
    stub.CreateWorkflow(
        admin_workflow_pb2.WorkflowCreateRequest(id=wid, spec=admin_workflow_pb2.WorkflowSpec(template=workflow)),
        timeout=60,
    )
    lid = _ident(identifier_pb2.LAUNCH_PLAN, DYNAMIC_WF)
    stub.CreateLaunchPlan(
        launch_plan_pb2.LaunchPlanCreateRequest(id=lid, spec=launch_plan_pb2.LaunchPlanSpec(workflow_id=wid)),
        timeout=30,
    )


def python_start_ms(runs: int = 10) -> float:
    """Median wall time of ``python -c pass`` (the interpreter the engine gives tasks), after one warm-up."""
    env = child_env()
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run([PYTHON, "-c", "pass"], env=env, cwd=str(HERE), check=True, stdin=subprocess.DEVNULL)
        if i:
            times.append((time.perf_counter() - t0) * 1e3)
    return median(times)


def run_once(
    admin: ServerProcess, launch_plan: str, parallelism: int = 0, timeout: float = 600.0
) -> tuple[float, Any, float]:
    """CreateExecution of ``launch_plan`` (``parallelism``: its max parallelism, 0 for the admin's default), polled
    to its end; (seconds to SUCCEEDED, execution id, admin CPU seconds)."""
    from flyteidl.admin import execution_pb2
    from flyteidl.core import execution_pb2 as core_execution_pb2
    from flyteidl.core import identifier_pb2

    stub = _stub(admin.endpoint)
    spec = execution_pb2.ExecutionSpec(
        launch_plan=_ident(identifier_pb2.LAUNCH_PLAN, launch_plan), max_parallelism=parallelism
    )
    cpu0 = proc_cpu_seconds(admin.pid)
    t0 = time.perf_counter()
    created = stub.CreateExecution(
        execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec), timeout=30
    )
    phases = core_execution_pb2.WorkflowExecution
    while True:
        got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=created.id), timeout=30)
        if got.closure.phase in (phases.SUCCEEDED, phases.FAILED, phases.ABORTED, phases.TIMED_OUT):
            break
        if time.perf_counter() - t0 > timeout:
            raise ChildError(f"{launch_plan}: {created.id.name} did not end in {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    elapsed = time.perf_counter() - t0
    if got.closure.phase != phases.SUCCEEDED:
        raise ChildError(f"{launch_plan}: {created.id.name} ended {phases.Phase.Name(got.closure.phase)}: {got}")
    return elapsed, created.id, proc_cpu_seconds(admin.pid) - cpu0


def dynamic_build_ms(admin: ServerProcess, execution_id: Any, tasks: int) -> float:
    """From the parent attempt's end to the first child node's record: the spec read, compiled and reported."""
    from flyteidl.admin import node_execution_pb2, task_execution_pb2
    from flyteidl.core import identifier_pb2

    stub = _stub(admin.endpoint)
    parent = identifier_pb2.NodeExecutionIdentifier(execution_id=execution_id, node_id="n0")
    (attempt,) = stub.ListTaskExecutions(
        task_execution_pb2.TaskExecutionListRequest(node_execution_id=parent, limit=10)
    ).task_executions
    listed = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(
            workflow_execution_id=execution_id, unique_parent_id="n0", limit=tasks + 10
        )
    ).node_executions
    children = [n for n in listed if n.metadata.spec_node_id.startswith("dn")]
    if len(children) != tasks:
        raise ChildError(f"the dynamic node has {len(children)} task children, not {tasks}")
    first = min(n.closure.created_at.ToNanoseconds() for n in children)
    return (first - attempt.closure.updated_at.ToNanoseconds()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100, help="task nodes the dynamic returns (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3); the report shows the median")
    parser.add_argument("--json", type=Path, help="write every per-round value here")
    args = parser.parse_args()
    n = args.tasks
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="flyteplane-bench-dynamic-") as tmp:
        tmp_path = Path(tmp)
        admin = start_admin(tmp_path, fanout_nodes=n)
        try:
            spec_path = tmp_path / "futures.pb"
            write_spec(admin.endpoint, n, spec_path)
            register_dynamic(admin.endpoint, spec_path)
            run_once(admin, fanout_name(n))  # warm-up: the first run pays the admin's imports
            for r in range(args.rounds):
                row: dict[str, float] = {"pystart_ms": python_start_ms()}
                # Alternate which runs first, so a round's drift does not favour one side.
                order = ("static", "dynamic") if r % 2 == 0 else ("dynamic", "static")
                for parallelism, mode in ((0, "parallel"), (1, "serial")):
                    for kind in order:
                        launch_plan = fanout_name(n) if kind == "static" else DYNAMIC_WF
                        seconds, eid, cpu = run_once(admin, launch_plan, parallelism)
                        row[f"{mode}_{kind}_s"] = seconds
                        row[f"{mode}_{kind}_admin_cpu_s"] = cpu
                        if kind == "dynamic":
                            row[f"{mode}_build_ms"] = dynamic_build_ms(admin, eid, n)
                row["pystart_after_ms"] = python_start_ms()
                rounds.append(row)
                print(f"round {r + 1}/{args.rounds}: {json.dumps(row)}", file=sys.stderr)
        finally:
            admin.stop()
    report(rounds, n)
    if args.json:
        args.json.write_text(json.dumps({"tasks": n, "rounds": rounds}, indent=2))


def report(rounds: list[dict[str, float]], n: int) -> None:
    """The medians over rounds; every ratio and difference is taken inside a round first."""

    def m(value: Callable[[dict[str, float]], float]) -> float:
        return median([value(row) for row in rounds])

    def py(row: dict[str, float]) -> float:
        return (row["pystart_ms"] + row["pystart_after_ms"]) / 2

    print(f"## Dynamic fan-out of {n} task nodes ({len(rounds)} rounds, medians; ratios taken within each round)\n")
    print(f"`python -c pass` (spawn -> exit): **{m(py):.1f} ms**\n")
    print("| max parallelism | workflow | create -> SUCCEEDED | per task | per task / `python -c pass` |", end="")
    print(" admin CPU / task |")
    print("|---|---|---|---|---|---|")
    for mode, label in (("parallel", "default (25)"), ("serial", "1")):
        for kind, what in (("static", f"static, {n} task nodes"), ("dynamic", f"dynamic task returning {n} nodes")):
            seconds = m(lambda row, k=f"{mode}_{kind}_s": row[k])
            per_task = m(lambda row, k=f"{mode}_{kind}_s": row[k] * 1e3 / n)
            ratio = m(lambda row, k=f"{mode}_{kind}_s": row[k] * 1e3 / n / py(row))
            cpu = m(lambda row, k=f"{mode}_{kind}_admin_cpu_s": row[k] * 1e3 / n)
            print(f"| {label} | {what} | {seconds:.2f} s | {per_task:.1f} ms | {ratio:.2f}x | {cpu:.1f} ms |")
    print()
    print("| max parallelism | dynamic / static | dynamic - static | build (parent attempt end -> first child) |")
    print("|---|---|---|---|")
    for mode, label in (("parallel", "default (25)"), ("serial", "1")):
        ratio = m(lambda row, p=mode: row[f"{p}_dynamic_s"] / row[f"{p}_static_s"])
        diff = m(lambda row, p=mode: (row[f"{p}_dynamic_s"] - row[f"{p}_static_s"]) * 1e3)
        build = m(lambda row, p=mode: row[f"{p}_build_ms"])
        print(f"| {label} | {ratio:.2f}x | {diff:.0f} ms | {build:.0f} ms |")


if __name__ == "__main__":
    main()
