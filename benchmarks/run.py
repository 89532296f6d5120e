"""Run flyteplane's benchmarks: ``python benchmarks/run.py [--quick] [--rounds N] [--only NAME...] [--json out.json]
[--install] [--write-docs]``.

Prints a markdown table of the results, the ratios side by side, and the targets with PASS/FAIL. With
``--write-docs`` it rewrites the generated part of ``docs/performance.md``; a partial run (``--only``) is merged into
the previous results (``benchmarks/results/latest.json``), so the sections it did not measure are kept. See
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import client_bench
import execution_bench
import remote_bench
import server_bench
from _common import (
    REPO,
    TASK_NAME,
    ChildError,
    ServerProcess,
    bare_server,
    dump_tasks,
    flyteplane_admin,
    machine_info,
    register_tasks,
    start_with_retry,
    task_spec_bytes,
    temp_dir,
)
from _results import TARGETS, Results, render_tables

BENCHMARKS = (
    "import",
    "firstcall",
    "gettask",
    "listtasks",
    "install",
    "startup",
    "throughput",
    "offset",
    "exec_latency",
    "fanout",
    "exec_throughput",
    "remote_fetch",
    "remote_roundtrip",
)
ALIASES = {
    "rss": ("import", "firstcall"),
    "client": ("import", "firstcall", "gettask", "listtasks"),
    "server": ("startup", "throughput", "offset"),
    "executions": ("exec_latency", "fanout", "exec_throughput"),
    "remote": ("remote_fetch", "remote_roundtrip"),
}
NEED_ADMIN = {"firstcall", "gettask", "listtasks", "throughput"}
EXEC_ADMIN = {"exec_latency", "fanout"}
REMOTE_ADMIN = {"remote_fetch", "remote_roundtrip"}
# The metrics each benchmark owns (by key prefix): a partial run replaces exactly these in the merged results.
# setup.* comes with any benchmark that needs the shared admin of a round.
OWNS = {
    "import": ("import.",),
    "firstcall": ("first.",),
    "gettask": ("get.",),
    "listtasks": ("list.",),
    "install": ("install.",),
    "startup": ("startup.",),
    "throughput": ("tp.",),
    "offset": ("offset.",),
    "exec_latency": ("exec.single.", "exec.pystart_ms", "exec.noop_cmd_ms", "exec.admin_rss_mib"),
    "fanout": ("exec.fanout.", "exec.admin_rss_mib"),
    "exec_throughput": ("exec.tp.",),
    "remote_fetch": ("remote.fetch.", "remote.admin_rss_mib"),
    "remote_roundtrip": ("remote.rt.", "remote.admin_rss_mib"),
}

TASK_VERSIONS = 256  # > flytekit's lru_cache(maxsize=128), so cycling through them always misses
OFFSET_ROWS = 10_100
OFFSET_DOMAIN = "staging"
DOCS = REPO / "docs" / "performance.md"
LATEST = REPO / "benchmarks" / "results" / "latest.json"
BEGIN, END = "<!-- BEGIN GENERATED: benchmarks/run.py -->", "<!-- END GENERATED -->"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def guarded(res: Results, name: str, fn: Callable[[], None]) -> bool:
    """Run one benchmark; a failure is recorded and reported, and the others still run."""
    t0 = time.perf_counter()
    log(f"  {name} ...")
    try:
        fn()
    except Exception as e:  # a broken RPC must not hide the other numbers
        text = str(e) if isinstance(e, ChildError) else "".join(traceback.format_exception(e))
        res.errors[f"{name} (round {res.round + 1})"] = text
        log(f"  {name} FAILED: {text.strip()[-1500:]}")
        return False
    log(f"  {name} done in {time.perf_counter() - t0:.1f} s")
    return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a fast smoke pass: 1 round, few calls")
    p.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --quick)")
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help=f"run only these: {', '.join(BENCHMARKS)} (aliases: {', '.join(ALIASES)})",
    )
    p.add_argument("--install", action="store_true", help="also measure the client-only install (slow, network)")
    p.add_argument("--json", type=Path, help="write every per-round value here")
    p.add_argument("--write-docs", action="store_true", help=f"rewrite the generated part of {DOCS.relative_to(REPO)}")
    p.add_argument("--report", type=Path, metavar="JSON", help="render a saved --json run again; measure nothing")
    p.add_argument("--seconds", type=float, help="seconds per throughput measurement (default 3; 1 with --quick)")
    p.add_argument("--calls", type=int, help="GetTask calls per client per round (default 2000; 300 with --quick)")
    p.add_argument(
        "--base",
        type=Path,
        metavar="JSON",
        help="with --only: merge this run into these results (default benchmarks/results/latest.json, when it exists)",
    )
    p.add_argument("--no-merge", action="store_true", help="with --only: report this run alone, merging nothing")
    args = p.parse_args(argv)
    selected: set[str] = set()
    for name in args.only or BENCHMARKS:
        if name in ALIASES:
            selected.update(ALIASES[name])
        elif name in BENCHMARKS:
            selected.add(name)
        else:
            p.error(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS + tuple(ALIASES))}")
    if not args.only and not args.install:
        selected.discard("install")
    if args.install:
        selected.add("install")
    args.selected = selected
    q = args.quick
    args.rounds = args.rounds or (1 if q else 3)
    args.import_runs = 2 if q else 7
    args.first_runs = 2 if q else 7
    args.startup_runs = 2 if q else 5
    args.get_calls = args.calls or (300 if q else 2000)
    args.list_calls = 60 if q else 400
    args.blocks = 2 if q else 5
    args.tp_seconds = args.seconds or (1.0 if q else 3.0)
    args.offset_calls = 20 if q else 100
    args.exec_runs = 5 if q else 20
    args.pystart_runs = 5 if q else 10
    args.fanout_runs = 1 if q else 3
    args.exec_poll_ms = 5.0
    args.exec_drain_timeout = 120.0
    args.fetch_blocks = 2 if q else remote_bench.FETCH_BLOCKS
    args.rt_blocks = 1 if q else remote_bench.RT_BLOCKS
    args.rt_runs = 3 if q else remote_bench.RT_RUNS
    # A partial run that rewrites the docs (or the saved results, or names --base) is merged into the previous
    # results: the report is then the whole set, the sections this run measured replaced. A partial run that only
    # prints stays alone.
    base = args.base or (LATEST if LATEST.exists() else None)
    wanted = (
        args.write_docs
        or args.base is not None
        or (args.json is not None and base is not None and args.json.resolve() == base.resolve())
    )
    args.merge_base = base if (args.only and wanted and not args.no_merge and not args.report and base) else None
    return args


def run(args: argparse.Namespace) -> Results:
    res = Results()
    sel = args.selected
    with temp_dir() as tmp:
        if sel & (NEED_ADMIN | {"offset"}):
            spec = task_spec_bytes()
            res.notes["task_spec_bytes"] = str(len(spec))
        for r in range(args.rounds):
            res.round = r
            log(f"round {r + 1}/{args.rounds}")
            if "import" in sel:
                guarded(res, "import", partial(client_bench.bench_import, res, r, args.import_runs))
            if sel & NEED_ADMIN:
                run_with_admin(res, args, r, tmp)
            if "startup" in sel:
                guarded(res, "startup", partial(server_bench.bench_startup, res, r, args.startup_runs, tmp))
            if sel & EXEC_ADMIN:
                run_exec_latency(res, args, r, tmp)
            if "exec_throughput" in sel:
                # A fresh admin per block; the order of the blocks alternates over the rounds.
                order = execution_bench.EXEC_THREADS if r % 2 == 0 else execution_bench.EXEC_THREADS[::-1]
                for threads in order:
                    guarded(
                        res,
                        f"exec_throughput {threads} thread(s)",
                        partial(
                            execution_bench.bench_exec_throughput,
                            res,
                            r,
                            tmp,
                            threads,
                            args.tp_seconds,
                            args.exec_drain_timeout,
                        ),
                    )
                res.ratio_this_round("exec.tp.ratio", "exec.tp.8.per_s", "exec.tp.1.per_s")
            if sel & REMOTE_ADMIN:
                run_remote(res, args, r, tmp)
        if "offset" in sel:
            run_offset(res, args, tmp)
        if "install" in sel:
            res.round = 0
            guarded(res, "install", lambda: client_bench.bench_install(res))
    return res


def run_with_admin(res: Results, args: argparse.Namespace, r: int, tmp: Path) -> None:
    sel = args.selected
    started: list[ServerProcess] = []
    if not guarded(res, "start admin", lambda: started.append(start_with_retry(lambda: flyteplane_admin(tmp)))):
        return
    admin = started[0]
    try:
        res.add("setup.admin_ready_ms", "sandbox spawn -> GetVersion (harness)", "ms", admin.ready_seconds * 1e3)
        seconds: list[float] = []
        if not guarded(
            res, "register 256 tasks", lambda: seconds.append(register_tasks(admin.endpoint, TASK_VERSIONS))
        ):
            return
        res.add("setup.register256_per_s", "CreateTask/s (8 threads)", "/s", TASK_VERSIONS / seconds[0])
        # Read every version once: the admin's GetTask cache is warm for every client alike, and the bare server
        # gets the very bytes the admin sends.
        tasks_file = tmp / "tasks.bin"
        sizes: list[int] = []
        if not guarded(
            res, "GetTask every version", lambda: sizes.append(dump_tasks(admin.endpoint, TASK_VERSIONS, tasks_file))
        ):
            return
        res.notes["task_bytes"] = str(sizes[0])
        if "gettask" in sel:
            guarded(
                res,
                "gettask",
                lambda: client_bench.bench_gettask(res, r, admin.endpoint, TASK_VERSIONS, args.get_calls, args.blocks),
            )
        if "listtasks" in sel:
            guarded(
                res,
                "listtasks",
                lambda: client_bench.bench_listtasks(res, r, admin.endpoint, args.list_calls, args.blocks),
            )
        if "firstcall" in sel:
            guarded(
                res,
                "firstcall",
                lambda: client_bench.bench_firstcall(res, r, admin.endpoint, args.first_runs, TASK_VERSIONS),
            )
        if "throughput" in sel:
            run_throughput(res, args, r, tmp, admin, tasks_file)
        res.add("setup.admin_rss_mib", "admin RSS at the end of the round", "MiB", admin.rss_mib())
    finally:
        admin.stop()


def run_throughput(res: Results, args: argparse.Namespace, r: int, tmp: Path, admin, tasks_file: Path) -> None:  # type: ignore[no-untyped-def]
    started: list[ServerProcess] = []
    if not guarded(
        res, "start bare server", lambda: started.append(start_with_retry(lambda: bare_server(tmp, tasks_file)))
    ):
        return
    bare = started[0]
    try:
        guarded(
            res,
            "throughput",
            lambda: server_bench.bench_throughput(
                res, r, {"flyteplane": admin, "bare": bare}, args.tp_seconds, TASK_VERSIONS, args.blocks
            ),
        )
    finally:
        bare.stop()


def run_exec_latency(res: Results, args: argparse.Namespace, r: int, tmp: Path) -> None:
    """Single-task latency, then the fan-out, on one fresh admin of this round (nothing runs between them)."""
    sel = args.selected
    nodes = execution_bench.FANOUT_NODES
    started: list[ServerProcess] = []
    if not guarded(
        res,
        "start admin (executions)",
        lambda: started.append(execution_bench.start_admin(tmp, fanout_nodes=nodes if "fanout" in sel else None)),
    ):
        return
    admin = started[0]
    try:
        if "exec_latency" in sel:
            guarded(res, "python start", partial(execution_bench.bench_python_start, res, args.pystart_runs))
            guarded(
                res,
                "exec_latency",
                partial(execution_bench.bench_latency, res, r, admin, args.exec_runs, args.exec_poll_ms),
            )
        if "fanout" in sel:
            guarded(
                res,
                "fanout",
                partial(execution_bench.bench_fanout, res, r, admin, args.fanout_runs, args.exec_poll_ms, nodes),
            )
        res.add("exec.admin_rss_mib", "admin RSS after the executions of the round", "MiB", admin.rss_mib())
    finally:
        admin.stop()


def run_remote(res: Results, args: argparse.Namespace, r: int, tmp: Path) -> None:
    """FlyteRemote fetch_task, then the execute round trip, on one fresh admin of this round."""
    sel = args.selected
    started: list[ServerProcess] = []
    if not guarded(res, "start admin (remote)", lambda: started.append(remote_bench.start_admin(tmp))):
        return
    admin = started[0]
    try:
        if "remote_fetch" in sel:
            guarded(res, "remote_fetch", partial(remote_bench.bench_fetch, res, r, admin.endpoint, args.fetch_blocks))
        if "remote_roundtrip" in sel:
            guarded(
                res,
                "remote_roundtrip",
                partial(remote_bench.bench_roundtrip, res, r, admin.endpoint, args.rt_blocks, args.rt_runs),
            )
        res.add("remote.admin_rss_mib", "admin RSS after the FlyteRemote round", "MiB", admin.rss_mib())
    finally:
        admin.stop()


def run_offset(res: Results, args: argparse.Namespace, tmp: Path) -> None:
    res.round = 0
    started: list[ServerProcess] = []
    if not guarded(
        res, "start admin (offset)", lambda: started.append(start_with_retry(lambda: flyteplane_admin(tmp)))
    ):
        return
    admin = started[0]
    try:
        seconds: list[float] = []
        if not guarded(
            res,
            f"register {OFFSET_ROWS} tasks",
            lambda: seconds.append(register_tasks(admin.endpoint, OFFSET_ROWS, domain=OFFSET_DOMAIN, threads=8)),
        ):
            return
        res.add("offset.register_s", "registering 10,100 versions", "s", seconds[0])
        res.add("offset.register_per_s", "CreateTask/s", "/s", OFFSET_ROWS / seconds[0])
        for r in range(args.rounds):
            res.round = r
            guarded(
                res,
                "offset",
                partial(server_bench.bench_offset, res, r, admin.endpoint, args.offset_calls, OFFSET_DOMAIN, TASK_NAME),
            )
        res.add("offset.admin_rss_mib", "admin RSS with 10,100 tasks", "MiB", admin.rss_mib())
    finally:
        admin.stop()


# ---------------------------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------------------------


def _machine_line(info: dict, load: str) -> str:
    v = info.get("versions", {})
    return (
        "**Machine.** "
        f"{info.get('cpus')} vCPU {info.get('cpu', '?')}{' (' + info['vendor'] + ')' if info.get('vendor') else ''}, "
        f"{info.get('ram_gib', '?')} GiB RAM, Linux {info.get('kernel')}, {info.get('implementation')} "
        f"{info.get('python')}; grpcio {v.get('grpcio')}, protobuf {v.get('protobuf')} "
        f"({info.get('protobuf_backend', '?')} backend), flyteidl {v.get('flyteidl')}, flytekit {v.get('flytekit')}, "
        f"SQLAlchemy {v.get('SQLAlchemy')}.{load} Client and server share the cores."
    )


_ROUNDS_TEXT = (
    "Every cell is **min / median over the rounds** (one value when there is one "
    "round); a round's value is itself a median over many calls or runs. Ratios are taken inside one round "
    "(both sides measured seconds apart, in alternating order), then summarized over rounds. Targets are judged on "
    "the median over rounds."
)


def _took(seconds: float | None) -> str:
    return f" in {seconds / 60:.1f} min" if seconds else ""


def header(sources: list[dict]) -> list[str]:
    """The generated block's head: one run, or the runs a merged report is made of (newest first)."""
    if len(sources) == 1:
        src = sources[0]
        info = src.get("machine", {})
        return [
            f"Generated by `python benchmarks/run.py {' '.join(src['args'])}` on {src['started']}"
            f"{_took(src.get('seconds'))}.",
            "",
            _machine_line(info, f" Load average at start: {' '.join(info.get('loadavg_at_start', []))}."),
            "",
            f"**Rounds: {src['rounds']}.** {_ROUNDS_TEXT}",
            "",
        ]
    lines = [
        f"Merged from {len(sources)} runs of `python benchmarks/run.py` on this machine; each section comes whole "
        "from one run (the `--json` file, `benchmarks/results/latest.json`, keeps every value and which run measured "
        "which section):",
        "",
    ]
    for src in sources:
        info = src.get("machine", {})
        lines.append(
            f"* {', '.join(f'`{b}`' for b in src['benchmarks'])}: `python benchmarks/run.py {' '.join(src['args'])}` "
            f"on {src['started']}{_took(src.get('seconds'))}, {src['rounds']} round(s), load average at start "
            f"{' '.join(info.get('loadavg_at_start', [])) or '?'}."
        )
    newest = sources[0].get("machine", {})
    lines += ["", _machine_line(newest, "")]
    differ = sorted(
        dist
        for src in sources[1:]
        for dist, version in src.get("machine", {}).get("versions", {}).items()
        if newest.get("versions", {}).get(dist) != version
    )
    if differ:
        lines[-1] += f" Versions of {', '.join(sorted(set(differ)))} differ between the runs."
    rounds = sorted({src["rounds"] for src in sources})
    lines += ["", f"**Rounds: {' / '.join(map(str, rounds))}.** {_ROUNDS_TEXT}", ""]
    return lines


def owned(key: str, benchmarks: set[str]) -> bool:
    """Whether metric or note ``key`` belongs to one of ``benchmarks``."""
    if key.startswith("setup.") and benchmarks & NEED_ADMIN:
        return True
    return any(key.startswith(prefix) for b in benchmarks for prefix in OWNS.get(b, ()))


def measured(res: Results) -> list[str]:
    """The benchmarks a result set holds values of (for a saved run that predates ``sources``)."""
    return [b for b in BENCHMARKS if any(owned(k, {b}) for k in res.metrics if not k.startswith("setup."))]


def merge(base_data: dict, base: Results, res: Results, selected: set[str], source: dict) -> tuple[Results, list]:
    """This run's values for the benchmarks it measured; the base's for every other one. Returns the merged
    results and the runs they come from (this one first)."""
    merged = Results()
    for key, m in base.metrics.items():
        if not owned(key, selected):
            merged.metrics[key] = m
    merged.metrics.update(res.metrics)
    merged.notes = {k: v for k, v in base.notes.items() if not owned(k, selected)}
    merged.notes.update(res.notes)
    merged.errors = {
        k: v
        for k, v in base.errors.items()
        if not any(k.startswith(b) for b in selected)
        and "(executions)" not in k
        and not (selected & REMOTE_ADMIN and "(remote)" in k)
    }
    merged.errors.update(res.errors)
    old_sources = base_data.get("sources") or [
        {
            "benchmarks": measured(base),
            "args": base_data.get("args", []),
            "started": base_data.get("started", "?"),
            "seconds": base_data.get("seconds"),
            "rounds": 1 + max((r for m in base.metrics.values() for r in m.by_round), default=0),
            "machine": base_data.get("machine", {}),
        }
    ]
    sources = [source]
    for src in old_sources:
        left = [b for b in src["benchmarks"] if b not in selected]
        if left:
            sources.append({**src, "benchmarks": left})
    return merged, sources


METHOD = """\
### Method

* **Processes.** The admin under test runs as `python -m flyteplane.cli.main sandbox --in-memory` in its own process
  (ready when it answers GetVersion), fresh each round. Every measuring client runs in a fresh process of its own
  (`benchmarks/_child.py`), so flytekit's ~87k import-time objects never tax another client's garbage collector,
  and the clients run in a different order each round.
* **Bytecode.** This machine sets `PYTHONDONTWRITEBYTECODE=1` globally; the children run without it, and every
  import benchmark first runs once unmeasured, so imports read `.pyc` files as an installed package does.
* **Tasks.** A real flytekit `@task` (3 inputs, 1 output, resources, retries, cache) serialized with
  `get_serializable` is registered 256 times (versions `v000000`…) with CreateTask over a raw stub, 8 threads.
* **1. Import**: a fresh interpreter per run, 7 runs x rounds per client; `time.perf_counter()` around the import
  statement, and separately `python -X importtime -c STATEMENT`, summing the cumulative time of the top-level
  imports that the bare interpreter does not do. RSS is `VmRSS` from `/proc/self/status` after the import.
  Construction is `SynchronousFlyteClient(PlatformConfig(endpoint=..., insecure=True))` (no RPC).
* **2. GetTask**: each client runs in 5 fresh processes per round ("blocks"), clients alternating, N/5 timed calls
  per block after one warm-up pass over all 256 versions; calls cycle through the 256 versions (flytekit's
  `lru_cache(maxsize=128)` therefore always misses). Per-call `perf_counter_ns`; client CPU = `process_time()` (all
  the client's threads) over the loop / N. The raw stub builds `ObjectGetRequest(id=...)` per call; identifiers
  are built before timing for every client. The ratio to the raw stub is the median over blocks of
  (block median / the raw stub's block median of the same index): blocks of one index ran back to back, so drift
  of the shared machine cancels. Before any client runs, the harness reads every version once, so the admin
  answers every client from its response cache alike.
* **3. ListTasks(limit=100)** of one task name (256 versions): `list_tasks_paginated(NamedEntityIdentifier, limit=100)`
  for the friendly clients, `ListTasks(ResourceListRequest(limit=100))` for the raw stub. "Touched" reads
  `task.id.name`, `task.id.version` and `task.closure.compiled_task.template.type` of all 100 tasks inside the timed
  region, the same attribute path on models and on protobuf messages. The GC is left on (its tail is part of
  the p99). Same 5 alternating blocks per client and the same block-wise ratios as GetTask.
* **4. First call**: fresh process, 7 per client per round, alternating; the import is not timed; construction is
  timed, then the first `get_task` and a second one, then RSS.
* **6. Install**: a fresh venv in a temp dir, `pip install /work/main` (no extras), `pip list --format=freeze`
  without pip/setuptools/wheel.
* **7. Start**: wall time in the parent from `Popen` of a fresh interpreter running
  `from flyteplane.admin import AdminServer; AdminServer().start()` plus a GetVersion over a raw stub, to the moment
  the child's answer line is read; the child reports its in-process split. The CLI (`flyteplane sandbox
  --in-memory`) is timed from spawn until a GetVersion from the parent is answered.
* **8. Throughput**: a separate load process (raw stub, GetTask cycling through the 256 versions) with 1 thread, 8
  threads on 1 channel and 8 threads on 8 channels; 0.5 s warm-up, then the measured window (5 windows per server
  and configuration, alternating servers, summed). Server CPU comes from
  `/proc/PID/stat` of the server process over the window. The bare server (`benchmarks/bare_server.py`) is
  `grpc.server(ThreadPoolExecutor(16))` answering GetTask from a dict of the *same* `admin.Task` bytes the admin
  returned, pre-serialized (identity response serializer).
* **9. Offset**: a fresh admin, 10,100 versions of one task in `flytesnacks/staging`, registered over gRPC
  (CreateTask, 8 threads); then `ListTasks(limit=100, sort_by=created_at DESC)` at `token="0"` and `token="10000"`,
  interleaved, for one name and for the whole project-domain (name empty).
* **Executions (10-12)**: a fresh admin per round, with the no-op task registered over a raw stub: a raw container
  task (no inputs, no outputs) whose command is `python -c "<write an empty outputs.pb under the output prefix>"
  {{.outputPrefix}}`, so the engine runs one local Python process per task node. The measuring clients are fresh
  processes (raw stub).
* **10. Single-task execution**: `CreateExecution` with `spec.launch_plan` = the task's id; then `GetExecution`
  every 5 ms until the execution ends; one warm-up execution (which also creates the task's `.flytegen` workflow
  and launch plan), then 20 executions one after the other per round, median / p90 over them. The split comes
  from the admin's own records, read afterwards: the execution's `created_at`, `started_at` and end, and the task
  execution's QUEUED, RUNNING and end. Admin CPU is `/proc/PID/stat` of the admin process over the 20 runs (the
  polls included); task CPU is what the admin's reaped children (the task processes) used. The floor is measured
  alongside, in the harness: `python -c pass` and the no-op task's own command, 10 fresh processes each, alternating.
* **11. Fan-out**: a workflow of 100 independent task nodes `n0`…`n99` (the no-op task, no bindings), built as a
  flyteidl `WorkflowTemplate`, registered with CreateWorkflow and CreateLaunchPlan, executed through the launch
  plan (no `max_parallelism` given: the admin's default, 25), 3 runs per round after a warm-up run. The node
  executions' RUNNING -> end intervals give the first and last node and the peak number running at once.
* **12. CreateExecution throughput**: per block a fresh admin and a load process with 1 or 8 threads (one channel
  each) calling `CreateExecution` of the no-op task; 0.5 s warm-up, then the window (3 s); blocks alternate in
  order over the rounds. The executions run while the load goes on; after the window the load process polls every
  execution it created until all have ended (at most 120 s), and the admin is then stopped, so no backlog reaches
  the next block. Finished-by-the-window's-end and latency under load come from the admin's records (wall clock,
  same machine); CPU from `/proc`: the admin process, its reaped children (the tasks), the load process, and the
  whole machine.
"""


def with_remote_tables(tables: list[str], remote: list[str]) -> list[str]:
    """The FlyteRemote sections after the numbered ones: before "Harness and setup" (or the errors)."""
    for heading in ("### Harness and setup", "### Errors"):
        if heading in tables:
            i = tables.index(heading)
            return [*tables[:i], *remote, *tables[i:]]
    return [*tables, *remote]


def write_docs(lines: list[str]) -> None:
    generated = "\n".join([BEGIN, *lines, END]) + "\n"
    if DOCS.exists():
        text = DOCS.read_text()
        if BEGIN in text and END in text:
            pre, rest = text.split(BEGIN, 1)
            post = rest.split(END, 1)[1]
            DOCS.write_text(pre + generated.rstrip("\n") + post)
            return
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(
        "# Performance\n\n"
        "How fast flyteplane's client and embedded admin are, measured against the raw flyteidl stub, flytekit "
        "1.16.31 and a bare Python gRPC server on the same machine, in the same run. Re-run with "
        "`python benchmarks/run.py --install --write-docs` (see `benchmarks/README.md`); everything between the "
        "GENERATED markers is rewritten, the rest of this page is kept.\n\n" + generated
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sources: list[dict] = []
    if args.report:
        # Render a saved run again (after a change to the tables), measuring nothing.
        data = json.loads(args.report.read_text())
        res = Results.from_json(data)
        rounds = 1 + max((r for m in res.metrics.values() for r in m.by_round), default=0)
        sources = data.get("sources") or [
            {
                "benchmarks": measured(res),
                "args": data["args"],
                "started": data["started"],
                "seconds": data.get("seconds"),
                "rounds": rounds,
                "machine": data["machine"],
            }
        ]
    else:
        # Read the base before measuring: --json may name the same file.
        base_data = json.loads(args.merge_base.read_text()) if args.merge_base else None
        started = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        info = machine_info()
        t0 = time.perf_counter()
        log(f"benchmarks: {', '.join(sorted(args.selected))}; rounds {args.rounds}")
        res = run(args)
        seconds = time.perf_counter() - t0
        command = list(argv) if argv is not None else sys.argv[1:]
        source = {
            "benchmarks": [b for b in BENCHMARKS if b in args.selected],
            "args": command,
            "started": started,
            "seconds": seconds,
            "rounds": args.rounds,
            "machine": info,
        }
        sources = [source]
        if base_data is not None:
            res, sources = merge(base_data, Results.from_json(base_data), res, args.selected, source)
            log(f"merged with {args.merge_base} (kept: {', '.join(b for s in sources[1:] for b in s['benchmarks'])})")
    head = header(sources)
    tables = with_remote_tables(render_tables(res), remote_bench.render_tables(res))
    print("\n".join([*head, *tables]))
    if args.json and not args.report:
        payload = {"machine": info, "args": sources[0]["args"], "started": started, "seconds": seconds}
        if len(sources) > 1:
            payload["sources"] = sources
        payload.update(res.to_json())
        args.json.write_text(json.dumps(payload, indent=1, default=str))
        log(f"wrote {args.json}")
    if args.write_docs:
        write_docs([*head, METHOD + remote_bench.METHOD, *tables])
        log(f"wrote {DOCS}")
    failed = [t.text for t in TARGETS if t.check(res)[1] is False]
    if failed:
        log("targets missed: " + "; ".join(failed))
    if res.errors:
        log("errors: " + "; ".join(res.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
