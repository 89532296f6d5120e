"""Warm task processes: flytekit tasks forked from a pre-started interpreter vs started cold, side by side.

Two ``flyteplane sandbox --in-memory`` processes run in each round: one as shipped (warm task processes) and one
with ``--no-warm-processes``. Against each, in the same round:

(a) a two-task flytekit workflow, fast-registered by ``pyflyte run --remote`` (that first run also starts the
    warm sandbox's fork server), then launched again ``--runs`` times with CreateExecution and polled every 5 ms:
    CreateExecution -> SUCCEEDED, next to the wall time of ``python -c "import flytekit"`` (target <= 0.5x);
(b) a ``map_task`` of a trivial flytekit task, registered the same way, over ``--elements`` elements (warm) and
    ``--cold-elements`` (cold: ~1 s of CPU per element makes 1,000 cold elements a quarter of an hour on 2 cores):
    wall per element, next to ``python -c pass`` (target <= 0.5x); polled every 50 ms (``MAP_POLL_SECONDS``).

    python benchmarks/warm_bench.py                  # 2 rounds, 1,000 warm elements, 100 cold ones
    python benchmarks/warm_bench.py --rounds 1 --elements 200 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import CLK_TCK, PYTHON, ServerProcess, child_env, free_ports, machine_info, median

PROJECT, DOMAIN = "flytesnacks", "development"
POLL_SECONDS = 0.005
# A map of 1,000 elements runs for tens of seconds: GetExecution every 5 ms would add ~200 calls a second of admin
# CPU to what the elements are measured by, for a resolution of 0.005 ms per element.
MAP_POLL_SECONDS = 0.05
PROCESS_RUNS = 5

TWO_TASKS = """
from flytekit import task, workflow


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@workflow
def wf(x: int = 1) -> int:
    return double(x=add_one(x=x))
"""

MAP = """
from flytekit import map_task, task, workflow


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def wf(xs: list[int]) -> list[int]:
    return map_task(inc)(x=xs)
"""


def sandbox(log_dir: Path, warm: bool) -> ServerProcess:
    port, http_port = free_ports(2)
    cmd = [PYTHON, "-m", "flyteplane.cli.main", "sandbox", "--in-memory", "--port", str(port)]
    cmd += ["--http-port", str(http_port)] + ([] if warm else ["--no-warm-processes"])
    return ServerProcess("warm" if warm else "cold", cmd, port, log_dir)


def pyflyte_run(admin: ServerProcess, workdir: Path, script: str, *inputs: str) -> str:
    """``pyflyte run --remote`` (fast registration); the execution's name."""
    config = workdir / f"config-{admin.port}.yaml"
    config.write_text(f"admin:\n  endpoint: dns:///127.0.0.1:{admin.port}\n  insecure: true\n")
    env = {k: v for k, v in child_env().items() if not k.startswith(("FLYTE", "AWS_"))}
    env["FLYTECTL_CONFIG"] = str(config)
    pyflyte = str(Path(PYTHON).with_name("pyflyte"))
    cmd = [pyflyte, "--config", str(config), "run", "--remote", script, "wf", *inputs]
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    match = re.search(r"/executions/([a-z0-9-]+)", done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"pyflyte run failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return match[1]


class Admin:
    """A raw stub on one sandbox."""

    def __init__(self, endpoint: str) -> None:
        import grpc
        from flyteidl.service import admin_pb2_grpc

        self.stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))

    def wait(self, name: str, poll: float = POLL_SECONDS) -> Any:
        from flyteidl.admin import execution_pb2
        from flyteidl.core import execution_pb2 as core

        request = execution_pb2.WorkflowExecutionGetRequest(id={"project": PROJECT, "domain": DOMAIN, "name": name})
        phase = core.WorkflowExecution
        while True:
            got = self.stub.GetExecution(request)
            if got.closure.phase in (phase.SUCCEEDED, phase.FAILED, phase.ABORTED, phase.TIMED_OUT):
                if got.closure.phase != phase.SUCCEEDED:
                    raise RuntimeError(f"{name} ended {phase.Phase.Name(got.closure.phase)}: {got.closure.error}")
                return got
            time.sleep(poll)

    def server_seconds(self, name: str) -> float:
        """created_at -> the terminal event, as the admin recorded them."""
        got = self.wait(name)
        return float(got.closure.updated_at.ToNanoseconds() - got.closure.created_at.ToNanoseconds()) / 1e9

    def relaunch(self, name: str, inputs: Any, poll: float = POLL_SECONDS) -> float:
        """CreateExecution of ``name``'s launch plan with ``inputs``, GetExecution until SUCCEEDED; seconds."""
        from flyteidl.admin import execution_pb2

        request = execution_pb2.WorkflowExecutionGetRequest(id={"project": PROJECT, "domain": DOMAIN, "name": name})
        spec = execution_pb2.ExecutionSpec(launch_plan=self.stub.GetExecution(request).spec.launch_plan)
        create = execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec, inputs=inputs)
        t0 = time.perf_counter()
        created = self.stub.CreateExecution(create)
        self.wait(created.id.name, poll)
        return time.perf_counter() - t0


def int_inputs(**values: Any) -> Any:
    from flyteidl.core import literals_pb2

    out = literals_pb2.LiteralMap()
    for key, value in values.items():
        if isinstance(value, list):
            items = out.literals[key].collection
            items.SetInParent()
            for v in value:
                items.literals.add().scalar.primitive.integer = v
        else:
            out.literals[key].scalar.primitive.integer = value
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU of ``pid`` and of its children (ended ones it waited for, and those running), from /proc: the admin, its
    fork servers and the task processes, whichever way they started."""
    total = 0.0
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(f) for f in fields[11:15]) / CLK_TCK  # utime, stime, cutime, cstime
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in children.read_text().split():
                total += tree_cpu_seconds(int(child))
    return total


def process_cpu(argv: list[str]) -> float:
    """CPU seconds (user + system) of one run of ``argv``, median of a few."""
    import resource

    values = []
    for _ in range(PROCESS_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, env=child_env())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        values.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return median(values)


def process_start(argv: list[str]) -> float:
    times = []
    for _ in range(PROCESS_RUNS):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, env=child_env())
        times.append(time.perf_counter() - t0)
    return median(times)


def measure(admin: ServerProcess, workdir: Path, runs: int, elements: int) -> dict[str, float]:
    stub = Admin(admin.endpoint)
    t0 = time.perf_counter()
    first = pyflyte_run(admin, workdir, "two_tasks.py", "--x", "3")
    first_seconds = stub.server_seconds(first)
    setup = time.perf_counter() - t0
    two = [stub.relaunch(first, int_inputs(x=i)) for i in range(runs)]
    mapped = pyflyte_run(admin, workdir, "map_wf.py", "--xs", "[1, 2, 3]")
    stub.wait(mapped)
    cpu0 = tree_cpu_seconds(admin.pid)
    big = stub.relaunch(mapped, int_inputs(xs=list(range(elements))), MAP_POLL_SECONDS)
    cpu = tree_cpu_seconds(admin.pid) - cpu0
    return {
        "map_cpu_per_element_ms": cpu / elements * 1e3,
        "first_run_s": first_seconds,
        "register_and_first_run_s": setup,
        "two_task_s": median(two),
        "map_total_s": big,
        "map_per_element_ms": big / elements * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="CreateExecutions of the two-task workflow per sandbox")
    parser.add_argument("--elements", type=int, default=1000, help="map elements, warm")
    parser.add_argument("--cold-elements", type=int, default=100, help="map elements, cold")
    parser.add_argument("--json", help="write the per-round values here")
    args = parser.parse_args()
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="flyteplane-warm-bench-") as tmp:
        root = Path(tmp)
        (root / "two_tasks.py").write_text(TWO_TASKS)
        (root / "map_wf.py").write_text(MAP)
        for round_no in range(1, args.rounds + 1):
            row: dict[str, float] = {}
            row["python_pass_ms"] = process_start([PYTHON, "-c", "pass"]) * 1e3
            row["python_pass_cpu_ms"] = process_cpu([PYTHON, "-c", "pass"]) * 1e3
            row["import_flytekit_s"] = process_start([PYTHON, "-c", "import flytekit"])
            for warm in (True, False):
                print(f"round {round_no}/{args.rounds}: {'warm' if warm else 'cold'}", file=sys.stderr)
                admin = sandbox(root, warm).start()
                try:
                    got = measure(admin, root, args.runs, args.elements if warm else args.cold_elements)
                finally:
                    admin.stop()
                row.update({f"{'warm' if warm else 'cold'}_{k}": v for k, v in got.items()})
            row["import_flytekit_after_s"] = process_start([PYTHON, "-c", "import flytekit"])
            rows.append(row)
    report(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine_info(), "rounds": rows}, indent=2))


def report(rows: list[dict[str, float]], args: argparse.Namespace) -> None:
    def med(key: str) -> float:
        return median([row[key] for row in rows])

    def ratio(a: str, b: str, scale: float = 1.0) -> float:
        return median([row[a] * scale / row[b] for row in rows])

    info = machine_info()
    print(f"# Warm task processes ({args.rounds} rounds; {os.cpu_count()} CPUs; load {info.get('loadavg_at_start')})\n")
    print("| measure | warm | cold | warm / cold |")
    print("|---|---|---|---|")
    for key, label, unit in (
        ("first_run_s", "two-task workflow, first run after `pyflyte run --remote` (admin's record)", "s"),
        ("two_task_s", f"two-task workflow, CreateExecution -> SUCCEEDED, median of {args.runs}", "s"),
        ("map_per_element_ms", "map_task, wall per element", "ms"),
        ("map_total_s", "map_task, CreateExecution -> SUCCEEDED", "s"),
        ("map_cpu_per_element_ms", "map_task, CPU per element (admin, fork servers, tasks)", "ms"),
    ):
        w, c = med(f"warm_{key}"), med(f"cold_{key}")
        print(f"| {label} | {w:.3f} {unit} | {c:.3f} {unit} | {ratio(f'warm_{key}', f'cold_{key}'):.2f}x |")
    print(f"\nmap elements: {args.elements} warm, {args.cold_elements} cold\n")
    print("| yardstick | median |")
    print("|---|---|")
    print(f"| `python -c \"import flytekit\"` (before / after the sandboxes) | {med('import_flytekit_s'):.3f} s / "
          f"{med('import_flytekit_after_s'):.3f} s |")  # fmt: skip
    print(f"| `python -c pass` | {med('python_pass_ms'):.1f} ms |")
    print(f"| `python -c pass`, CPU | {med('python_pass_cpu_ms'):.1f} ms |")
    print("\n| ratio (median of per-round ratios) | warm | cold | target |")
    print("|---|---|---|---|")
    a_warm = ratio("warm_two_task_s", "import_flytekit_s")
    a_cold = ratio("cold_two_task_s", "import_flytekit_s")
    b_warm = ratio("warm_map_per_element_ms", "python_pass_ms")
    b_cold = ratio("cold_map_per_element_ms", "python_pass_ms")
    print(f"| (a) two-task workflow / `import flytekit` | {a_warm:.2f}x | {a_cold:.2f}x | <= 0.5x |")
    print(f"| (b) map element / `python -c pass` | {b_warm:.2f}x | {b_cold:.2f}x | <= 0.5x |")
    c_warm = ratio("warm_map_cpu_per_element_ms", "python_pass_cpu_ms")
    c_cold = ratio("cold_map_cpu_per_element_ms", "python_pass_cpu_ms")
    print(f"| (b') map element CPU / `python -c pass` CPU | {c_warm:.2f}x | {c_cold:.2f}x | (reported) |")


if __name__ == "__main__":
    main()
