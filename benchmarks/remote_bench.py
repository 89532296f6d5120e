"""FlyteRemote benchmarks (issue "FlyteRemote, type engine, interactive mode"): flyteplane's ``FlyteRemote`` against
flytekit's, on the same embedded admin, in the same round.

* ``remote_fetch``: ``FlyteRemote.fetch_task(name=..., version=...)``: the first fetch of each of many distinct
  versions (no client cache can answer), then a repeated fetch of versions fetched moments before (both clients
  cache them: flyteplane keeps 256 immutable versions per FlyteRemote, flytekit's client an ``lru_cache(128)``).
  The raw flyteidl stub's GetTask is the floor.
* ``remote_roundtrip``: ``execute(task, inputs={"x": i}, wait=True)`` then ``outputs["y"]``, end to end, for a
  task whose container honors Flyte's contract with a short ``python -c`` program (reads ``inputs.pb``, writes
  ``outputs.pb``: no flytekit start-up inside the task).

The admin is ``flyteplane sandbox --in-memory`` in its own process, fresh each round. Every measuring client runs
in a fresh process of its own: this file is also the child (``python remote_bench.py child MODE ARGS...``; its
last stdout line is JSON), started in a different client order in each block.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    DOMAIN,
    HERE,
    PROJECT,
    PYTHON,
    TASK_NAME,
    ChildError,
    ServerProcess,
    child_env,
    flyteplane_admin,
    fmt,
    median,
    percentile,
    register_tasks,
    start_with_retry,
    version_of,
)
from _results import Results

FETCH_KINDS = ("raw", "flyteplane", "flytekit")
# flyteplane's default wait (first poll after 50 ms, the interval growing 1.5x per poll); flyteplane and flytekit
# with the same fixed interval. flytekit's own default interval (30 s) would measure its sleep, nothing else.
RT_KINDS = ("flyteplane", "flyteplane-fixed", "flytekit-fixed")
RT_POLL_S = 0.05
FETCH_VERSIONS = 200  # distinct versions fetched once each per process (+1 for the warm-up call)
FETCH_REPEAT = 100  # the last 100 of them fetched again: inside flytekit's lru_cache(128) and flyteplane's 256
FETCH_BLOCKS = 5  # processes per client per round
RT_BLOCKS = 3  # processes per round-trip variant per round
RT_RUNS = 8  # timed executions per process
RT_TASK = "benchmarks.remote.add_one"
RT_VERSION = "v1"
# The task's container: read x from inputs.pb, write y = x + 1 to outputs.pb (Flyte's container contract).
ADD_ONE = (
    "import sys\n"
    "from flyteidl.core import literals_pb2\n"
    "local = lambda url: url[7:] if url.startswith('file://') else url\n"
    "inputs = literals_pb2.LiteralMap.FromString(open(local(sys.argv[1]), 'rb').read())\n"
    "outputs = literals_pb2.LiteralMap()\n"
    "outputs.literals['y'].scalar.primitive.integer = inputs.literals['x'].scalar.primitive.integer + 1\n"
    "open(local(sys.argv[2]).rstrip('/') + '/outputs.pb', 'wb').write(outputs.SerializeToString())\n"
)


# --- harness side ------------------------------------------------------------------------------------------------


def run_remote_child(args: list[str], timeout: float = 600) -> dict[str, Any]:
    """``python remote_bench.py child ARGS...`` in a fresh interpreter; its last stdout line is a JSON object."""
    cmd = [PYTHON, str(Path(__file__).resolve()), "child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=str(HERE))
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        raise ChildError(
            f"remote child {' '.join(args[:2])} failed (exit {proc.returncode}):\n"
            f"{proc.stderr.strip()[-3000:]}\n{proc.stdout[-500:]}"
        )
    try:
        return json.loads(lines[-1])  # type: ignore[no-any-return]
    except json.JSONDecodeError as e:
        raise ChildError(f"remote child {' '.join(args[:2])}: no JSON result: {lines[-1][:300]!r}") from e


def rotated(kinds: tuple[str, ...], r: int) -> list[str]:
    r %= len(kinds)
    return list(kinds[r:] + kinds[:r])


def register_add_one(endpoint: str) -> None:
    """CreateTask of ``add_one(x: int) -> y: int`` over a raw stub (both clients fetch the same registration)."""
    import grpc
    from flyteidl.admin import task_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2
    from flyteidl.service import admin_pb2_grpc

    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=RT_TASK, version=RT_VERSION
    )
    interface = interface_pb2.TypedInterface()
    interface.inputs.variables["x"].type.CopyFrom(integer)
    interface.outputs.variables["y"].type.CopyFrom(integer)
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        interface=interface,
        container=tasks_pb2.Container(
            image="python:3.11-slim",
            command=["python", "-c", ADD_ONE],
            args=["{{.input}}", "{{.outputPrefix}}"],
        ),
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.OTHER, version="0", flavor="benchmarks")
        ),
    )
    with grpc.insecure_channel(endpoint) as channel:
        admin_pb2_grpc.AdminServiceStub(channel).CreateTask(
            task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)), timeout=30
        )


def warm_admin(endpoint: str, count: int) -> None:
    """GetTask every version once: the admin then answers every client from its response cache alike."""
    import grpc
    from flyteidl.admin import common_pb2
    from flyteidl.core import identifier_pb2
    from flyteidl.service import admin_pb2_grpc

    with grpc.insecure_channel(endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        for i in range(count):
            ident = identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=TASK_NAME, version=version_of(i)
            )
            stub.GetTask(common_pb2.ObjectGetRequest(id=ident), timeout=30)


def start_admin(log_dir: Path) -> ServerProcess:
    """A fresh admin with FETCH_VERSIONS + 1 versions of the benchmark's flytekit task and the add-one task."""
    admin = start_with_retry(lambda: flyteplane_admin(log_dir))
    try:
        register_tasks(admin.endpoint, FETCH_VERSIONS + 1)
        warm_admin(admin.endpoint, FETCH_VERSIONS + 1)
        register_add_one(admin.endpoint)
    except BaseException:
        admin.stop()
        raise
    return admin


def _block_ratio(res: Results, key: str, label: str, mine: list[float], peer: list[float]) -> None:
    """Median over blocks of (mine / peer of the same block): blocks of one index ran back to back."""
    ratios = [a / b for a, b in zip(mine, peer, strict=True) if b]
    if ratios:
        res.add(key, label, "x", median(ratios))


FETCH_KEYS = (
    ("first_us", "first fetch of a version, median", "us"),
    ("first_p90_us", "first fetch of a version, p90", "us"),
    ("first_cpu_us", "first fetch: client CPU / call", "us"),
    ("repeat_us", "repeated fetch (a version fetched moments before), median", "us"),
    ("repeat_p90_us", "repeated fetch, p90", "us"),
    ("repeat_cpu_us", "repeated fetch: client CPU / call", "us"),
    ("construct_ms", "import + construction (no RPC)", "ms"),
    ("warm_ms", "the process's first fetch (channel set-up included)", "ms"),
)


def bench_fetch(res: Results, r: int, endpoint: str, blocks: int) -> None:
    """``blocks`` fresh processes per client, clients alternating; each fetches FETCH_VERSIONS distinct versions
    once, then the last FETCH_REPEAT again."""
    outs: dict[str, list[dict[str, Any]]] = {k: [] for k in FETCH_KINDS}
    for b in range(blocks):
        for kind in rotated(FETCH_KINDS, r + b):
            out = run_remote_child(["fetch", kind, endpoint, str(FETCH_VERSIONS), str(FETCH_REPEAT)])
            outs[kind].append(out)
    for kind, block_outs in outs.items():
        first = sorted(x for o in block_outs for x in o["first_lat_us"])
        repeat = sorted(x for o in block_outs for x in o["repeat_lat_us"])
        values = {
            "first_us": median(first),
            "first_p90_us": percentile(first, 90),
            "first_cpu_us": median([o["first_cpu_us"] for o in block_outs]),
            "repeat_us": median(repeat),
            "repeat_p90_us": percentile(repeat, 90),
            "repeat_cpu_us": median([o["repeat_cpu_us"] for o in block_outs]),
            "construct_ms": median([o["construct_ms"] for o in block_outs]),
            "warm_ms": median([o["warm_ms"] for o in block_outs]),
        }
        for key, label, unit in FETCH_KEYS:
            res.add(f"remote.fetch.{kind}.{key}", label, unit, values[key])
    for key in ("first_us", "repeat_us", "first_cpu_us"):
        short = key.removesuffix("_us")
        per_block = {k: [_median_of(o, key) for o in outs[k]] for k in FETCH_KINDS}
        _block_ratio(
            res,
            f"remote.fetch.{short}.fp_vs_fk",
            f"{key}: flyteplane / flytekit",
            per_block["flyteplane"],
            per_block["flytekit"],
        )
        for kind in ("flyteplane", "flytekit"):
            _block_ratio(
                res, f"remote.fetch.{kind}.{short}.vs_raw", f"{key}: {kind} / raw", per_block[kind], per_block["raw"]
            )
    res.notes["remote.fetch.calls"] = f"{blocks * FETCH_VERSIONS} first + {blocks * FETCH_REPEAT} repeated per client"


def _median_of(out: dict[str, Any], key: str) -> float:
    if key == "first_us":
        return median(out["first_lat_us"])
    if key == "repeat_us":
        return median(out["repeat_lat_us"])
    return float(out[key])


RT_KEYS = (
    ("total_ms", "execute(wait=True) + outputs['y'], median", "ms"),
    ("total_p90_ms", "execute(wait=True) + outputs['y'], p90", "ms"),
    ("execute_ms", "  execute(..., wait=True) returns, median", "ms"),
    ("outputs_ms", "  then outputs['y'] read, median", "ms"),
    ("admin_ms", "admin's record: created_at -> SUCCEEDED, median", "ms"),
    ("overshoot_ms", "client total - admin's record, median", "ms"),
    ("polls", "GetExecution calls per execution (the one after CreateExecution included), median", "n"),
    ("cpu_ms", "client CPU / execution", "ms"),
    ("first_ms", "the process's first round trip (not in the median)", "ms"),
)


def bench_roundtrip(res: Results, r: int, endpoint: str, blocks: int, runs: int) -> None:
    """``blocks`` fresh processes per client variant, alternating, ``runs`` timed executions each after one
    warm-up execution."""
    outs: dict[str, list[dict[str, Any]]] = {k: [] for k in RT_KINDS}
    for b in range(blocks):
        for kind in rotated(RT_KINDS, r + b):
            out = run_remote_child(["roundtrip", kind, endpoint, str(runs), str(RT_POLL_S)], timeout=300 + runs * 60)
            outs[kind].append(out)
    for kind, block_outs in outs.items():

        def pooled(key: str, outs_: list[dict[str, Any]] = block_outs) -> list[float]:
            return sorted(x for o in outs_ for x in o[key])

        total = pooled("total_ms")
        values = {
            "total_ms": median(total),
            "total_p90_ms": percentile(total, 90),
            "execute_ms": median(pooled("execute_ms")),
            "outputs_ms": median(pooled("outputs_ms")),
            "admin_ms": median(pooled("admin_ms")),
            "overshoot_ms": median(pooled("overshoot_ms")),
            "polls": median(pooled("polls")),
            "cpu_ms": median([o["cpu_ms"] for o in block_outs]),
            "first_ms": median([o["first_ms"] for o in block_outs]),
        }
        for key, label, unit in RT_KEYS:
            res.add(f"remote.rt.{kind}.{key}", label, unit, values[key])
    per_block = {k: [median(o["total_ms"]) for o in outs[k]] for k in RT_KINDS}
    for kind in ("flyteplane", "flyteplane-fixed"):
        _block_ratio(
            res,
            f"remote.rt.{kind}.vs_flytekit",
            f"{kind} / flytekit-fixed, total (median over blocks)",
            per_block[kind],
            per_block["flytekit-fixed"],
        )
    cpu = {k: [o["cpu_ms"] for o in outs[k]] for k in RT_KINDS}
    for kind in ("flyteplane", "flyteplane-fixed"):
        _block_ratio(
            res, f"remote.rt.{kind}.cpu_vs_flytekit", f"{kind} / flytekit CPU", cpu[kind], cpu["flytekit-fixed"]
        )
    res.notes["remote.rt.runs"] = f"{blocks * runs} per variant"


# --- report ------------------------------------------------------------------------------------------------------

METHOD = f"""\
* **FlyteRemote (13, 14)**: a fresh admin per round with {FETCH_VERSIONS + 1} versions of the benchmark's flytekit
  task (CreateTask over a raw stub; every version read once before the clients run, so the admin answers all of
  them from its response cache) and the add-one task. Each client runs in fresh processes (`remote_bench.py child`),
  several blocks per round, clients alternating; ratios are medians over blocks of (flyteplane block / flytekit
  block of the same index).
* **13. fetch_task**: `FlyteRemote(Config.for_endpoint(endpoint, insecure=True), project, domain)` (flyteplane and
  flytekit alike), one unmeasured fetch of an extra version (channel set-up), then `fetch_task(name=..., version=...)`
  of {FETCH_VERSIONS} distinct versions once each ("first fetch": no client cache can hold them), then the last
  {FETCH_REPEAT} of them again ("repeated": flyteplane answers from its per-FlyteRemote cache of 256 immutable
  versions, flytekit from its client's `lru_cache(128)` on `get_task`, and still converts the template to its model
  objects). Inside the timed region each call also reads `task.id.version` and the input names of
  `task.interface`; the raw stub's `GetTask` (reading the same from the message) is the floor.
  {FETCH_BLOCKS} processes per client per round.
* **14. execute round trip**: the task `add_one(x: int) -> y: int` is a container running
  `python -c <read inputs.pb, write outputs.pb>` (no flytekit inside the task). Per process: the task is fetched
  once, one warm-up execution runs (unmeasured: it also makes the admin create the task's `.flytegen` workflow),
  then each timed run is `execute(task, inputs={{"x": i}}, wait=True)` followed by `outputs["y"]` (checked to be
  i + 1); {RT_RUNS} runs per process, {RT_BLOCKS} processes per variant per round. Variants: flyteplane's default
  wait (first poll after 50 ms, each interval 1.5x the previous, at most 10 s); flyteplane `execute()` then
  `wait(poll_interval={RT_POLL_S})`; flytekit polling every {RT_POLL_S * 1e3:.0f} ms (its `execute` calls `wait`
  without an interval and the default, 30 s, would measure the sleep; a subclass passes `poll_interval={RT_POLL_S}`,
  as the e2e tests' does). Both wait with their default `sync_nodes=True`. The admin's record is the execution's
  `created_at` -> `updated_at` at SUCCEEDED; polls count the client's `get_execution` calls.
"""


def _cells(res: Results, keys: list[str | None]) -> list[str]:
    return [res.metrics[k].cell() if k and k in res.metrics else "" for k in keys]


def render_tables(res: Results) -> list[str]:
    """The FlyteRemote sections of the report (empty when nothing was measured)."""
    lines: list[str] = []
    if any(k.startswith("remote.fetch.") for k in res.metrics):
        lines += [
            "### 13. FlyteRemote.fetch_task (fresh process per block; same admin, same round)",
            "",
            "| | raw stub GetTask | flyteplane FlyteRemote | flytekit FlyteRemote | flyteplane / flytekit |",
            "|---|---|---|---|---|",
        ]
        ratio = {"first_us": "remote.fetch.first.fp_vs_fk", "repeat_us": "remote.fetch.repeat.fp_vs_fk"}
        ratio["first_cpu_us"] = "remote.fetch.first_cpu.fp_vs_fk"
        for key, label, _ in FETCH_KEYS:
            keys: list[str | None] = [f"remote.fetch.{k}.{key}" for k in FETCH_KINDS]
            keys.append(ratio.get(key))
            if any(k in res.metrics for k in keys if k):
                lines.append(f"| {label} | " + " | ".join(_cells(res, keys)) + " |")
        for short, text in (("first", "first fetch"), ("repeat", "repeated fetch")):
            keys = [None, f"remote.fetch.flyteplane.{short}.vs_raw", f"remote.fetch.flytekit.{short}.vs_raw", None]
            if any(k in res.metrics for k in keys if k):
                lines.append(f"| {text} / raw stub's (median over blocks) | " + " | ".join(_cells(res, keys)) + " |")
        lines.append("")
        if "remote.fetch.calls" in res.notes:
            lines += [f"Calls per round: {res.notes['remote.fetch.calls']}.", ""]
    if any(k.startswith("remote.rt.") for k in res.metrics):
        poll = fmt(RT_POLL_S * 1e3, "ms")
        lines += [
            "### 14. FlyteRemote execute -> outputs round trip (add-one task, one execution at a time)",
            "",
            f"| | flyteplane, default wait | flyteplane, `wait(poll_interval={RT_POLL_S})` "
            f"| flytekit, poll every {poll} |",
            "|---|---|---|---|",
        ]
        for key, label, _ in RT_KEYS:
            keys = [f"remote.rt.{k}.{key}" for k in RT_KINDS]
            if any(k in res.metrics for k in keys):
                lines.append(f"| {label} | " + " | ".join(_cells(res, keys)) + " |")
        for suffix, text in (
            ("vs_flytekit", "total / flytekit's (median over blocks)"),
            ("cpu_vs_flytekit", "client CPU / flytekit's"),
        ):
            keys = [f"remote.rt.flyteplane.{suffix}", f"remote.rt.flyteplane-fixed.{suffix}", None]
            if any(k in res.metrics for k in keys if k):
                lines.append(f"| {text} | " + " | ".join(_cells(res, keys)) + " |")
        lines.append("")
        if "remote.rt.runs" in res.notes:
            lines += [f"Timed executions per round: {res.notes['remote.rt.runs']}.", ""]
    if "remote.admin_rss_mib" in res.metrics:
        lines += [f"Admin RSS at the end of a FlyteRemote round: {res.metrics['remote.admin_rss_mib'].cell()}.", ""]
    return lines


# --- child side --------------------------------------------------------------------------------------------------


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


def _flyteplane_remote(endpoint: str) -> Any:
    from flyteplane.configuration import Config
    from flyteplane.remote import FlyteRemote

    return FlyteRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN)


def _flytekit_remote(endpoint: str, poll_s: float | None = None) -> Any:
    from datetime import timedelta

    from flytekit.configuration import Config
    from flytekit.remote import FlyteRemote

    if poll_s is None:
        return FlyteRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN)
    interval = timedelta(seconds=poll_s)

    class FixedPollRemote(FlyteRemote):  # type: ignore[misc]
        """flytekit's FlyteRemote polling every ``poll_s``: ``execute(wait=True)`` calls ``wait`` without an
        interval, and the default (30 s) would be all that is measured. Nothing else differs."""

        def wait(self, execution, timeout=None, poll_interval=None, sync_nodes=True):  # type: ignore[no-untyped-def]
            return super().wait(execution, timeout, poll_interval or interval, sync_nodes)

    return FixedPollRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN)


def child_fetch(kind: str, endpoint: str, count_s: str, repeat_s: str) -> None:
    import gc

    count, repeat = int(count_s), int(repeat_s)
    versions = [version_of(i) for i in range(count + 1)]
    t0 = time.perf_counter()
    if kind == "raw":
        import grpc
        from flyteidl.admin import common_pb2
        from flyteidl.core import identifier_pb2
        from flyteidl.service import admin_pb2_grpc

        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))
        ids = [
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=TASK_NAME, version=v
            )
            for v in versions
        ]

        def fetch(i: int) -> Any:
            task = stub.GetTask(common_pb2.ObjectGetRequest(id=ids[i]))
            template = task.closure.compiled_task.template
            return template.id.version, list(template.interface.inputs.variables)

    else:
        remote = _flyteplane_remote(endpoint) if kind == "flyteplane" else _flytekit_remote(endpoint)

        def fetch(i: int) -> Any:
            task = remote.fetch_task(name=TASK_NAME, version=versions[i])
            return task.id.version, list(task.interface.inputs)

    construct_ms = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    warm = fetch(count)  # the extra version: channel set-up and first-call costs, not measured
    warm_ms = (time.perf_counter() - t0) * 1e3
    if warm[0] != versions[count] or not warm[1]:
        raise SystemExit(f"{kind}: fetched {warm!r}, not version {versions[count]} with inputs")
    gc.collect()
    clock = time.perf_counter_ns

    def timed(indices: list[int]) -> tuple[list[float], float]:
        lat = [0.0] * len(indices)
        c0 = time.process_time()
        for n, i in enumerate(indices):
            t = clock()
            fetch(i)
            lat[n] = (clock() - t) / 1e3
        return lat, (time.process_time() - c0) / len(indices) * 1e6

    first, first_cpu = timed(list(range(count)))
    repeated, repeat_cpu = timed(list(range(count - repeat, count)))
    _emit(
        {
            "first_lat_us": [round(x, 1) for x in first],
            "repeat_lat_us": [round(x, 1) for x in repeated],
            "first_cpu_us": first_cpu,
            "repeat_cpu_us": repeat_cpu,
            "construct_ms": construct_ms,
            "warm_ms": warm_ms,
        }
    )


def _seconds(ts: Any) -> float:
    return float(ts.seconds) + ts.nanos / 1e9


def child_roundtrip(kind: str, endpoint: str, runs_s: str, poll_s: str) -> None:
    import gc

    runs, poll = int(runs_s), float(poll_s)
    if kind.startswith("flyteplane"):
        remote = _flyteplane_remote(endpoint)
        task = remote.fetch_task(name=RT_TASK, version=RT_VERSION)
        if kind == "flyteplane-fixed":

            def run(x: int) -> Any:
                execution = remote.execute(task, inputs={"x": x})
                return remote.wait(execution, poll_interval=poll)

        else:

            def run(x: int) -> Any:
                return remote.execute(task, inputs={"x": x}, wait=True)

    else:
        remote = _flytekit_remote(endpoint, poll)
        task = remote.fetch_task(name=RT_TASK, version=RT_VERSION)

        def run(x: int) -> Any:
            return remote.execute(task, inputs={"x": x}, wait=True)

    # Count the polls: every GetExecution the client makes.
    client = remote.client
    polls = [0]
    get_execution = client.get_execution

    def counting(*args: Any, **kwargs: Any) -> Any:
        polls[0] += 1
        return get_execution(*args, **kwargs)

    client.get_execution = counting

    def round_trip(x: int) -> tuple[float, float, float, float, int]:
        polls[0] = 0
        t0 = time.perf_counter()
        execution = run(x)
        t1 = time.perf_counter()
        y = execution.outputs["y"]
        t2 = time.perf_counter()
        if y != x + 1:
            raise SystemExit(f"{kind}: outputs['y'] is {y!r}, not {x + 1}")
        closure = execution.to_flyte_idl().closure
        admin_ms = (_seconds(closure.updated_at) - _seconds(closure.created_at)) * 1e3
        return (t2 - t0) * 1e3, (t1 - t0) * 1e3, (t2 - t1) * 1e3, admin_ms, polls[0]

    first = round_trip(0)
    gc.collect()
    totals, executes, outputs, admins, overshoots, poll_counts = [], [], [], [], [], []
    c0 = time.process_time()
    for i in range(1, runs + 1):
        total, execute_ms, outputs_ms, admin_ms, n = round_trip(i)
        totals.append(total)
        executes.append(execute_ms)
        outputs.append(outputs_ms)
        admins.append(admin_ms)
        overshoots.append(total - admin_ms)
        poll_counts.append(n)
    cpu_ms = (time.process_time() - c0) / runs * 1e3
    _emit(
        {
            "total_ms": totals,
            "execute_ms": executes,
            "outputs_ms": outputs,
            "admin_ms": admins,
            "overshoot_ms": overshoots,
            "polls": poll_counts,
            "cpu_ms": cpu_ms,
            "first_ms": first[0],
        }
    )


CHILD_MODES = {"fetch": child_fetch, "roundtrip": child_roundtrip}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "child" or sys.argv[2] not in CHILD_MODES:
        sys.exit("run benchmarks/run.py --only remote (this file is also its child: child fetch|roundtrip ...)")
    CHILD_MODES[sys.argv[2]](*sys.argv[3:])
