"""Console benchmark: the console's first paint, and the execution page of 1,000 nodes, in headless Chromium,
side by side with the REST calls the page makes (the floor any page over the same API pays) and with the same
pages at 10 nodes, in one run.

The admin under test is ``flyteplane sandbox --in-memory`` in its own process, serving the console and the REST API
on its HTTP side. Two runs are made once, as flyteidl messages over gRPC:

* a map task (array node) over N elements, each a raw ``python -c`` process (``map_task_bench.register``): the
  page shows one node and, opened, one row per element;
* a wide workflow of N echo-task nodes (no processes: propeller's echo plugin), all fed by the workflow input: the
  page shows N node rows, and its graph tab lays out N nodes with dagre.

Each is also run at 10 (elements, nodes). Timings are from ``page.goto`` to the moment the page shows everything
(Playwright waits on the DOM); the REST floor is the same calls made by ``fetch`` inside the page. Chromium is the
system's (``/usr/bin/chromium``); every round uses a fresh browser context (no cache).

    python benchmarks/console_bench.py                      # N = 1,000, 3 rounds
    python benchmarks/console_bench.py --nodes 200 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DOMAIN, PROJECT, PYTHON, ServerProcess, free_ports, machine_info, median
from map_task_bench import register as register_map
from map_task_bench import run_map

CHROMIUM = "/usr/bin/chromium"
WIDE_NAME = "benchmarks.console.wide"
ECHO_NAME = "benchmarks.console.echo"


def start_admin(log_dir: Path) -> tuple[ServerProcess, str]:
    port, http_port = free_ports(2)
    cmd = [PYTHON, "-m", "flyteplane.cli.main", "sandbox", "--in-memory", "--port", str(port)]
    cmd += ["--http-port", str(http_port)]
    return ServerProcess("flyteplane-admin", cmd, port, log_dir).start(), f"http://127.0.0.1:{http_port}"


def register_wide(stub: Any, width: int) -> Any:
    """An echo task and a workflow of ``width`` parallel nodes running it; returns the launch plan id."""
    from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2
    from flyteidl.core import workflow_pb2 as core_workflow_pb2

    version = f"w{width}"
    ident = lambda kind, name: identifier_pb2.Identifier(  # noqa: E731
        resource_type=kind, project=PROJECT, domain=DOMAIN, name=name, version=version
    )
    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    iface = interface_pb2.TypedInterface()
    iface.inputs.variables["a"].type.CopyFrom(integer)
    iface.outputs.variables["a"].type.CopyFrom(integer)
    tid = ident(identifier_pb2.TASK, ECHO_NAME)
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="echo",
        interface=iface,
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.OTHER, version="0", flavor="benchmarks")
        ),
    )
    stub.CreateTask(task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)))
    wid = ident(identifier_pb2.WORKFLOW, WIDE_NAME)
    wf = core_workflow_pb2.WorkflowTemplate(id=wid)
    wf.interface.inputs.variables["a"].type.CopyFrom(integer)
    for i in range(width):
        node = wf.nodes.add(id=f"n{i}")
        node.metadata.name = f"echo{i}"
        node.inputs.add(var="a").binding.promise.CopyFrom(types_pb2.OutputReference(node_id="start-node", var="a"))
        node.task_node.reference_id.CopyFrom(tid)
    stub.CreateWorkflow(workflow_pb2.WorkflowCreateRequest(id=wid, spec=workflow_pb2.WorkflowSpec(template=wf)))
    lid = ident(identifier_pb2.LAUNCH_PLAN, WIDE_NAME)
    spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=wid)
    spec.default_inputs.parameters["a"].var.type.CopyFrom(integer)
    spec.default_inputs.parameters["a"].required = True
    stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=lid, spec=spec))
    return lid


def run_to_end(stub: Any, lid: Any, inputs: Any) -> str:
    from flyteidl.admin import execution_pb2
    from flyteidl.core import execution_pb2 as core_execution_pb2

    created = stub.CreateExecution(
        execution_pb2.ExecutionCreateRequest(
            project=PROJECT, domain=DOMAIN, spec=execution_pb2.ExecutionSpec(launch_plan=lid), inputs=inputs
        )
    )
    phase = core_execution_pb2.WorkflowExecution
    while True:
        got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=created.id))
        if got.closure.phase in (phase.SUCCEEDED, phase.FAILED, phase.ABORTED, phase.TIMED_OUT):
            break
        time.sleep(0.1)
    if got.closure.phase != phase.SUCCEEDED:
        raise RuntimeError(f"{created.id.name} ended {phase.Phase.Name(got.closure.phase)}: {got.closure.error}")
    return str(created.id.name)


def wide_run(stub: Any, width: int) -> str:
    from flyteidl.core import literals_pb2

    inputs = literals_pb2.LiteralMap()
    inputs.literals["a"].scalar.primitive.integer = 7
    return run_to_end(stub, register_wide(stub, width), inputs)


def latest_name(stub: Any, launch_plan: str) -> str:
    from flyteidl.admin import common_pb2

    listed = stub.ListExecutions(
        common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN),
            limit=1,
            filters=f"eq(launch_plan.name,{launch_plan})",
            sort_by=common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING),
        )
    )
    return str(listed.executions[0].id.name)


_REST_FLOOR = """async ([name, parent]) => {
  const t0 = performance.now();
  const json = {headers: {Accept: "application/json"}};  // proto field names, as the console asks
  const base = `/api/v1/node_executions/flytesnacks/development/${name}`;
  let token = "", n = 0;
  do {
    const q = new URLSearchParams(token ? {limit: "1000", token} : {limit: "1000"});
    const page = await (await fetch(`${base}?${q}`, json)).json();
    n += page.node_executions.length; token = page.token;
  } while (token);
  await (await fetch(`/api/v1/executions/flytesnacks/development/${name}`, json)).json();
  if (parent) await (await fetch(`/api/v1/task_executions/flytesnacks/development/${name}/n0`, json)).json();
  return performance.now() - t0;
}"""


def measure(browser: Any, base: str, rounds: int, runs: dict[str, tuple[str, int]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        out.setdefault(key, []).append(value)

    for _ in range(rounds):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(f"{base}/console")
        page.wait_for_selector(f"tr[data-project={PROJECT}]")
        add("first paint: projects table (ms)", (time.perf_counter() - t0) * 1000)
        fcp = page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1")
        add("first paint: first contentful paint (ms)", float(fcp))
        for label, (name, size) in runs.items():
            url = f"{base}/console/projects/{PROJECT}/domains/{DOMAIN}/executions/{name}"
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("h1 .phase[data-phase=SUCCEEDED]")
            if label.startswith("map"):
                page.click("tr.node-row[data-node=n0]")
                page.wait_for_function(f"() => document.querySelectorAll('tr[data-element]').length === {size}")
                add(f"{label}: page with all element rows (ms)", (time.perf_counter() - t0) * 1000)
                add(f"{label}: REST floor (ms)", page.evaluate(_REST_FLOOR, [name, True]))
            else:
                page.wait_for_function(f"() => document.querySelectorAll('tr.node-row').length === {size}")
                add(f"{label}: page with all node rows (ms)", (time.perf_counter() - t0) * 1000)
                t1 = time.perf_counter()
                page.click("nav.tabs button:has-text('Graph')")
                page.wait_for_function(f"() => document.querySelectorAll('g.gnode').length === {size + 2}")
                add(f"{label}: graph tab laid out (ms)", (time.perf_counter() - t1) * 1000)
                add(f"{label}: REST floor (ms)", page.evaluate(_REST_FLOOR, [name, False]))
        ctx.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000, help="map elements and wide-workflow nodes (default 1000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write every round's values here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="flyteplane-console-bench-") as tmp:
        admin, base = start_admin(Path(tmp))
        try:
            stub, map_lid = register_map(admin.endpoint)
            runs: dict[str, tuple[str, int]] = {}
            for size in (10, args.nodes):
                t0 = time.perf_counter()
                run_map(stub, map_lid, size)
                print(f"map of {size} ran in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
                runs[f"map task, {size} elements"] = (latest_name(stub, map_lid.name), size)
                runs[f"wide workflow, {size} nodes"] = (wide_run(stub, size), size)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                try:
                    values = measure(browser, base, args.rounds, runs)
                finally:
                    browser.close()
        finally:
            admin.stop()
    small, big = 10, args.nodes
    print(f"## Console in headless Chromium ({args.rounds} rounds, median; {machine_info().get('cpus', '?')} CPUs)\n")
    print("| measurement | median | min |")
    print("|---|---|---|")
    for key, vals in values.items():
        print(f"| {key} | {median(vals):.0f} | {min(vals):.0f} |")
    print("\n| ratio (medians) | value |")
    print("|---|---|")
    for kind, what in (("map task", "elements"), ("wide workflow", "nodes")):
        row = "element rows" if kind == "map task" else "node rows"
        page_big = median(values[f"{kind}, {big} {what}: page with all {row} (ms)"])
        page_small = median(values[f"{kind}, {small} {what}: page with all {row} (ms)"])
        floor_big = median(values[f"{kind}, {big} {what}: REST floor (ms)"])
        print(f"| {kind}: page at {big} / page at {small} | {page_big / page_small:.2f} |")
        print(f"| {kind}: page at {big} / its REST floor | {page_big / floor_big:.2f} |")
    graph_big = median(values[f"wide workflow, {big} nodes: graph tab laid out (ms)"])
    graph_small = median(values[f"wide workflow, {small} nodes: graph tab laid out (ms)"])
    print(f"| graph tab: {big} nodes / {small} nodes | {graph_big / graph_small:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_info(), "values": values}, indent=2))


if __name__ == "__main__":
    main()
