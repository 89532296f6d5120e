"""Execution benchmarks (issue "Executions on the embedded admin"): create-to-SUCCEEDED latency of a no-op
single-task execution, the same for a 100-node fan-out workflow, and CreateExecution throughput while the engine
runs what it accepted.

The admin under test is ``flyteplane sandbox --in-memory`` in its own process (one per round for the latency and
fan-out runs, a fresh one per throughput block, so a backlog of one block never lands in the next); the measuring
clients are fresh ``_child.py`` processes (modes ``execlatency`` and ``execload``). The no-op task is a raw
container task whose command is ``python -c <write an empty outputs.pb under {{.outputPrefix}}>``: the engine runs
it as a local process under the container contract, so every run pays one Python start.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    DOMAIN,
    HERE,
    PROJECT,
    PYTHON,
    ChildError,
    ServerProcess,
    child_env,
    flyteplane_admin,
    median,
    run_child,
    start_with_retry,
)
from _results import Results

NOOP_TASK = "benchmarks.executions.noop"
FANOUT_NAME = "benchmarks.executions.fanout"
VERSION = "v1"
FANOUT_NODES = 100
EXEC_THREADS = (1, 8)
# Propeller's contract: outputs.pb (a LiteralMap) under the output prefix. The task has no outputs, so an empty
# file is an empty LiteralMap (the engine would also accept no file at all for a task without outputs).
NOOP_CODE = (
    "import sys;p=sys.argv[1];p=p[7:] if p.startswith('file://') else p;open(p.rstrip('/')+'/outputs.pb','wb').close()"
)


def noop_argv(output_prefix: str = "{{.outputPrefix}}") -> list[str]:
    return ["python", "-c", NOOP_CODE, output_prefix]


# --- registration (harness side, raw stub) ---------------------------------------------------------------------


def _stub(endpoint: str):  # type: ignore[no-untyped-def]
    import grpc
    from flyteidl.service import admin_pb2_grpc

    return admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))


def _ident(resource_type: int, name: str):  # type: ignore[no-untyped-def]
    from flyteidl.core import identifier_pb2

    return identifier_pb2.Identifier(
        resource_type=resource_type, project=PROJECT, domain=DOMAIN, name=name, version=VERSION
    )


def register_noop(endpoint: str) -> None:
    """CreateTask of the no-op raw container task (no inputs, no outputs)."""
    from flyteidl.admin import task_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2

    tid = _ident(identifier_pb2.TASK, NOOP_TASK)
    argv = noop_argv()
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="raw-container",
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="python:3.11-slim", command=argv[:3], args=argv[3:]),
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.OTHER, version="0", flavor="benchmarks")
        ),
    )
    _stub(endpoint).CreateTask(
        task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)), timeout=30
    )


def fanout_name(nodes: int) -> str:
    return f"{FANOUT_NAME}{nodes}"


def register_fanout(endpoint: str, nodes: int) -> None:
    """CreateWorkflow of ``nodes`` independent task nodes ``n0..`` (the no-op task, no bindings, no outputs), and
    CreateLaunchPlan of it under the same name."""
    from flyteidl.admin import launch_plan_pb2
    from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, workflow_pb2

    name = fanout_name(nodes)
    wid = _ident(identifier_pb2.WORKFLOW, name)
    lid = _ident(identifier_pb2.LAUNCH_PLAN, name)
    tid = _ident(identifier_pb2.TASK, NOOP_TASK)
    template = workflow_pb2.WorkflowTemplate(
        id=wid,
        interface=interface_pb2.TypedInterface(),
        metadata=workflow_pb2.WorkflowMetadata(),
        nodes=[
            workflow_pb2.Node(
                id=f"n{i}",
                metadata=workflow_pb2.NodeMetadata(name=f"noop-{i}"),
                task_node=workflow_pb2.TaskNode(reference_id=tid),
            )
            for i in range(nodes)
        ],
    )
    stub = _stub(endpoint)
    stub.CreateWorkflow(
        admin_workflow_pb2.WorkflowCreateRequest(id=wid, spec=admin_workflow_pb2.WorkflowSpec(template=template)),
        timeout=60,
    )
    stub.CreateLaunchPlan(
        launch_plan_pb2.LaunchPlanCreateRequest(id=lid, spec=launch_plan_pb2.LaunchPlanSpec(workflow_id=wid)),
        timeout=30,
    )


def start_admin(log_dir: Path, *, fanout_nodes: int | None = None) -> ServerProcess:
    admin = start_with_retry(lambda: flyteplane_admin(log_dir))
    try:
        register_noop(admin.endpoint)
        if fanout_nodes:
            register_fanout(admin.endpoint, fanout_nodes)
    except BaseException:
        admin.stop()
        raise
    return admin


# --- the floor: a Python process start ---------------------------------------------------------------------------


def bench_python_start(res: Results, runs: int) -> None:
    """Wall time of ``python -c pass`` and of the no-op task's own command (same interpreter the engine runs,
    writing outputs.pb to a temp dir), alternating, fresh process each."""
    env = child_env()
    pass_ms: list[float] = []
    noop_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="flyteplane-bench-noop-") as d:
        noop = [PYTHON, *noop_argv(Path(d).as_uri())[1:]]
        for i in range(runs + 1):
            for cmd, out in ((([PYTHON, "-c", "pass"]), pass_ms), (noop, noop_ms)):
                t0 = time.perf_counter()
                subprocess.run(cmd, env=env, cwd=str(HERE), check=True, stdin=subprocess.DEVNULL)
                if i:  # the first pair warms the page cache
                    out.append((time.perf_counter() - t0) * 1e3)
        if not (Path(d) / "outputs.pb").is_file():
            raise ChildError("the no-op task's command did not write outputs.pb")
    res.add("exec.pystart_ms", "`python -c pass`: spawn -> exit", "ms", median(pass_ms))
    res.add("exec.noop_cmd_ms", "the no-op task's command run directly: spawn -> exit", "ms", median(noop_ms))


# --- 10. single-task execution, 11. fan-out -----------------------------------------------------------------------


SINGLE_KEYS = (
    ("create_ms", "CreateExecution RPC", "ms"),
    ("running_ms", "create -> RUNNING seen by the poller", "ms"),
    ("median_ms", "create -> SUCCEEDED seen by the poller, median", "ms"),
    ("p90_ms", "create -> SUCCEEDED seen by the poller, p90", "ms"),
    ("max_ms", "create -> SUCCEEDED seen by the poller, max", "ms"),
    ("srv_total_ms", "server record: created_at -> SUCCEEDED", "ms"),
    ("srv_wf_running_ms", "  created_at -> workflow RUNNING", "ms"),
    ("srv_task_queued_ms", "  workflow RUNNING -> task QUEUED (start-node, node events, inputs)", "ms"),
    ("srv_spawn_ms", "  task QUEUED -> task RUNNING (process spawned)", "ms"),
    ("srv_process_ms", "  task RUNNING -> task SUCCEEDED (process runs, exit noticed, outputs read)", "ms"),
    ("srv_finish_ms", "  task SUCCEEDED -> workflow SUCCEEDED (node end, end-node, workflow event)", "ms"),
    ("overshoot_ms", "poller's SUCCEEDED - server's (RPC + polling granularity)", "ms"),
    ("polls", "GetExecution polls per run", "n"),
    ("admin_cpu_ms", "admin CPU per execution (incl. the polls)", "ms"),
    ("task_cpu_ms", "task process CPU per execution", "ms"),
)

FANOUT_KEYS = (
    ("create_ms", "CreateExecution RPC", "ms"),
    ("median_s", "create -> SUCCEEDED seen by the poller, median", "s"),
    ("max_s", "create -> SUCCEEDED seen by the poller, max", "s"),
    ("srv_total_s", "server record: created_at -> SUCCEEDED", "s"),
    ("first_node_ms", "created_at -> first task node RUNNING", "ms"),
    ("last_node_s", "created_at -> last task node done", "s"),
    ("finish_ms", "last task node done -> workflow SUCCEEDED", "ms"),
    ("peak_parallel", "peak task nodes running at once", "n"),
    ("node_ms", "task node RUNNING -> SUCCEEDED, median over nodes", "ms"),
    ("admin_cpu_ms", "admin CPU per execution", "ms"),
    ("task_cpu_ms", "task process CPU per execution (all nodes)", "ms"),
)


def bench_latency(res: Results, r: int, admin: ServerProcess, runs: int, poll_ms: float) -> None:
    out = run_child(
        ["execlatency", admin.endpoint, str(admin.pid), "task", NOOP_TASK, VERSION, str(runs), str(poll_ms)],
        timeout=300 + runs * 30,
    )
    for key, label, unit in SINGLE_KEYS:
        res.add(f"exec.single.{key}", label, unit, out.get(key))
    res.ratio_this_round("exec.single.vs_pystart", "exec.single.median_ms", "exec.pystart_ms")
    res.ratio_this_round("exec.single.vs_noop_cmd", "exec.single.median_ms", "exec.noop_cmd_ms")
    res.notes["exec.single.runs"] = str(out["n"])


def bench_fanout(res: Results, r: int, admin: ServerProcess, runs: int, poll_ms: float, nodes: int) -> None:
    out = run_child(
        ["execlatency", admin.endpoint, str(admin.pid), "lp", fanout_name(nodes), VERSION, str(runs), str(poll_ms)],
        timeout=300 + runs * 120,
    )
    if out.get("nodes") != nodes:
        raise ChildError(f"the fan-out ran {out.get('nodes')} task nodes, not {nodes}")
    for key, label, unit in FANOUT_KEYS:
        res.add(f"exec.fanout.{key}", label, unit, out.get(key))
    m = res.value("exec.fanout.median_s")
    if m is not None:
        res.add("exec.fanout.per_node_ms", f"create -> SUCCEEDED / {nodes} nodes", "ms", m * 1e3 / nodes)
        single = res.value("exec.single.median_ms")
        if single:
            res.add("exec.fanout.vs_single", "fan-out / single-task execution (same round)", "x", m * 1e3 / single)
    res.notes["exec.fanout.runs"] = str(out["n"])
    res.notes["exec.fanout.nodes"] = str(nodes)


# --- 12. CreateExecution throughput ----------------------------------------------------------------------------------

LOAD_KEYS = (
    ("per_s", "executions accepted / s (CreateExecution)", "/s"),
    ("create_median_ms", "CreateExecution median", "ms"),
    ("create_p90_ms", "CreateExecution p90", "ms"),
    ("accepted", "accepted in the window", "n"),
    ("finished_in_window", "of those, finished by the window's end", "n"),
    ("running_at_end", "accepted but not finished at the window's end (backlog)", "n"),
    ("drain_s", "window end -> last execution finished", "s"),
    ("done_per_s", "executions finished / s, window start -> last one finished", "/s"),
    ("lat_median_ms", "created_at -> SUCCEEDED under load, median", "ms"),
    ("lat_p90_ms", "created_at -> SUCCEEDED under load, p90", "ms"),
    ("admin_util", "admin process CPU (cores)", "c"),
    ("task_util", "task processes' CPU (cores, reaped in the window)", "c"),
    ("client_util", "load client CPU (cores)", "c"),
    ("foreign_util", "other processes' CPU (cores)", "c"),
    ("machine_util", "whole machine busy (cores)", "c"),
    ("admin_cpu_ms", "admin CPU / accepted execution", "ms"),
)


def bench_exec_throughput(
    res: Results, r: int, log_dir: Path, threads: int, seconds: float, drain_timeout: float
) -> None:
    """One block: a fresh admin, a load child with ``threads`` threads creating no-op executions for ``seconds``;
    the child then waits until every execution it created has ended (or ``drain_timeout``), and the admin is
    stopped, so nothing of this block is left running when the next one starts."""
    admin = start_admin(log_dir)
    try:
        out = run_child(
            [
                "execload",
                admin.endpoint,
                str(admin.pid),
                NOOP_TASK,
                VERSION,
                str(threads),
                str(seconds),
                str(drain_timeout),
            ],
            timeout=120 + seconds + drain_timeout,
        )
    finally:
        admin.stop()
    if out.get("failed"):
        raise ChildError(
            f"{out['failed']} of {out['total']} executions did not succeed under load: {out['first_error']}"
        )
    if out.get("undrained"):
        res.notes[f"exec.tp.{threads}.undrained"] = str(out["undrained"])
    prefix = f"exec.tp.{threads}"
    for key, label, unit in LOAD_KEYS:
        res.add(f"{prefix}.{key}", label, unit, out.get(key))


if __name__ == "__main__":
    sys.exit("run benchmarks/run.py --only executions")
