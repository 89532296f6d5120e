"""Measured numbers (one value per round), the targets they are held to, and the markdown that shows them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from _common import fmt


@dataclass
class Metric:
    """One number, measured once per round; tables show min / median over the rounds."""

    key: str
    label: str
    unit: str  # "ms", "us", "MiB", "/s", "x", "n", "s"
    by_round: dict[int, float] = field(default_factory=dict)

    @property
    def values(self) -> list[float]:
        return list(self.by_round.values())

    @property
    def min(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def max(self) -> float:
        return max(self.values) if self.values else float("nan")

    @property
    def median(self) -> float:
        return float(statistics.median(self.values)) if self.values else float("nan")

    def cell(self) -> str:
        if not self.values:
            return "n/a"
        if len(self.values) == 1:
            return fmt(self.values[0], self.unit)
        # For throughput "best" is the max; the tables still say min / median to keep one convention.
        return f"{fmt(self.min, self.unit)} / {fmt(self.median, self.unit)}"


@dataclass
class Target:
    """A target from the issues: the median over rounds of ``metric`` compared with ``limit``."""

    text: str
    metric: str
    op: str  # "<=" or ">="
    limit: float
    peer_metric: str | None = None
    peer_text: str = ""

    def check(self, res: Results) -> tuple[float | None, bool | None]:
        m = res.metrics.get(self.metric)
        if m is None or not m.values:
            return None, None
        value = m.median
        return value, (value <= self.limit) if self.op == "<=" else (value >= self.limit)


class Results:
    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}
        self.round = 0
        self.notes: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def add(self, key: str, label: str, unit: str, value: float | None) -> None:
        if value is None:
            return
        m = self.metrics.get(key)
        if m is None:
            m = self.metrics[key] = Metric(key, label, unit)
        m.by_round[self.round] = float(value)

    def value(self, key: str) -> float | None:
        m = self.metrics.get(key)
        return None if m is None else m.by_round.get(self.round)

    def ratio_this_round(self, key: str, num: str, den: str) -> None:
        """num / den of this round: both were measured side by side, so the ratio is what noise spares."""
        a, b = self.value(num), self.value(den)
        if a is not None and b:
            self.add(key, f"{num} / {den}", "x", a / b)

    ratio_of_medians = ratio_this_round

    def get(self, key: str) -> Metric | None:
        return self.metrics.get(key)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Results:
        res = cls()
        for key, m in data["metrics"].items():
            res.metrics[key] = Metric(key, m["label"], m["unit"], {int(r): float(v) for r, v in m["by_round"].items()})
        res.notes = dict(data.get("notes", {}))
        res.errors = dict(data.get("errors", {}))
        return res

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": {
                k: {
                    "label": m.label,
                    "unit": m.unit,
                    "by_round": m.by_round,
                    "min": m.min,
                    "median": m.median,
                    "max": m.max,
                }
                for k, m in self.metrics.items()
            },
            "notes": self.notes,
            "errors": self.errors,
        }


# ---------------------------------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------------------------------

TARGETS = [
    Target(
        "import `flyteplane.clients.friendly` (in-process)",
        "import.flyteplane.import_ms",
        "<=",
        150,
        "import.flytekit.import_ms",
        "baseline ~850 ms",
    ),
    Target(
        "GetTask median, friendly client / raw stub",
        "get.flyteplane.median_us.ratio",
        "<=",
        1.1,
        "get.flytekit.median_us.ratio",
        "baseline 1.44x",
    ),
    Target(
        "ListTasks(100) median, touched, friendly / raw",
        "list.flyteplane.touched.median_us.ratio",
        "<=",
        1.3,
        "list.flytekit.touched.median_us.ratio",
        "baseline 6.4x (untouched)",
    ),
    Target(
        "first get_task after construction",
        "first.flyteplane.first_call_ms",
        "<=",
        5,
        "first.flytekit.first_call_ms",
        "baseline 85 ms",
    ),
    Target(
        "RSS after import",
        "import.flyteplane.rss_import_mib",
        "<=",
        40,
        "import.flytekit.rss_import_mib",
        "baseline 77 MiB",
    ),
    Target("client-only install: distributions", "install.dists", "<=", 10, None, "flytekit: 99"),
    Target("spawn -> AdminServer().start() -> GetVersion answered", "startup.total_ms", "<=", 1000, None, ""),
    Target("GetTask throughput 8 threads / 1 channel, flyteplane / bare", "tp.8x1.ratio", ">=", 0.6, None, ""),
    Target("GetTask throughput 8 threads / 8 channels, flyteplane / bare", "tp.8x8.ratio", ">=", 0.6, None, ""),
    Target("ListTasks(100) offset 10,000 / offset 0 (one name)", "offset.named.ratio", "<=", 2, None, ""),
    Target("ListTasks(100) offset 10,000 / offset 0 (whole project-domain)", "offset.project.ratio", "<=", 2, None, ""),
    Target(
        "no-op single-task execution: CreateExecution -> SUCCEEDED seen (median)",
        "exec.single.median_ms",
        "<=",
        500,
        None,
        "",
    ),
]

# The baseline report's suggested absolute numbers, and ratios that explain the targets: informative only.
SECONDARY = [
    Target(
        "first get_task / raw stub's first call (same round)",
        "first.flyteplane.first_call_ms.ratio",
        "<=",
        1.2,
        "first.flytekit.first_call_ms.ratio",
        "",
    ),
    Target(
        "GetTask client CPU / raw stub's",
        "get.flyteplane.cpu_us.ratio",
        "<=",
        1.15,
        "get.flytekit.cpu_us.ratio",
        "baseline flytekit 1.89x",
    ),
    Target("GetTask client CPU / call", "get.flyteplane.cpu_us", "<=", 300, "get.flytekit.cpu_us", "raw 261 µs"),
    Target("GetTask median latency", "get.flyteplane.median_us", "<=", 700, "get.flytekit.median_us", "raw 648 µs"),
    Target(
        "ListTasks(100) median latency (touched)",
        "list.flyteplane.touched.median_us",
        "<=",
        3000,
        "list.flytekit.touched.median_us",
        "raw 2.2 ms",
    ),
    Target(
        "ListTasks(100) p99 / median (touched; no GC tail)",
        "list.flyteplane.touched.tail",
        "<=",
        2.0,
        "list.flytekit.touched.tail",
        "flytekit 5.8x",
    ),
    Target("client construction", "import.flyteplane.construct_ms", "<=", 5, "import.flytekit.construct_ms", ""),
]


def add_derived(res: Results) -> None:
    """Per-round values computed from others (p99 / median of the list pages)."""
    for kind in ("raw", "flyteplane", "flytekit"):
        p99, med = res.get(f"list.{kind}.touched.p99_us"), res.get(f"list.{kind}.touched.median_us")
        if p99 is None or med is None:
            continue
        for r, v in p99.by_round.items():
            if med.by_round.get(r):
                saved = res.round
                res.round = r
                res.add(f"list.{kind}.touched.tail", "p99 / median", "x", v / med.by_round[r])
                res.round = saved
    # Ready to call: the import, PlatformConfig's import and the construction, as a script pays them.
    for kind in ("raw", "flyteplane", "flytekit"):
        parts = [res.get(f"import.{kind}.{k}") for k in ("import_ms", "config_import_ms", "construct_ms")]
        present = [p for p in parts if p is not None]
        if not present:
            continue
        for r in present[0].by_round:
            if all(r in p.by_round for p in present):
                saved = res.round
                res.round = r
                res.add(f"import.{kind}.ready_ms", "import + construction", "ms", sum(p.by_round[r] for p in present))
                res.round = saved


def _target_rows(res: Results, targets: list[Target]) -> list[str]:
    rows = [
        "| target | flyteplane (median of rounds) | min - max | peer (this run) | reference | result |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets:
        m = res.get(t.metric)
        value, ok = t.check(res)
        unit = m.unit if m else ""
        limit = fmt(t.limit, unit) if m else str(t.limit)
        spread = f"{fmt(m.min, unit)} - {fmt(m.max, unit)}" if m and len(m.values) > 1 else ""
        peer = ""
        if t.peer_metric and res.get(t.peer_metric):
            pm = res.metrics[t.peer_metric]
            peer = f"flytekit {fmt(pm.median, pm.unit)}"
        verdict = "not measured" if ok is None else ("**PASS**" if ok else "**FAIL**")
        rows.append(f"| {t.text} {t.op} {limit} | {fmt(value, unit)} | {spread} | {peer} | {t.peer_text} | {verdict} |")
    return rows


def _grid(res: Results, title: str, columns: list[str], rows: list[tuple[str, list[str | None]]]) -> list[str]:
    present = [(label, keys) for label, keys in rows if any(k and k in res.metrics for k in keys)]
    if not present:
        return []
    out = [f"### {title}", "", "| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, keys in present:
        cells = [res.metrics[k].cell() if k and k in res.metrics else "" for k in keys]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def render_tables(res: Results) -> list[str]:
    add_derived(res)
    lines: list[str] = ["### Targets", "", *_target_rows(res, TARGETS), ""]
    lines += [
        "### Secondary: ratios that explain the targets, and the baseline's suggested absolute numbers (informative)",
        "",
        *_target_rows(res, SECONDARY),
        "",
    ]

    kinds = ["pass", "raw", "flyteplane", "flytekit"]
    lines += _grid(
        res,
        "1, 5. Import, construction, RSS (fresh process each)",
        ["`pass`", "raw: grpc + admin_pb2_grpc", "flyteplane friendly", "flytekit friendly"],
        [
            ("import, in-process", [f"import.{k}.import_ms" for k in kinds]),
            ("import, `-X importtime` cumulative", [f"import.{k}.importtime_ms" for k in kinds]),
            ("process wall: spawn + import + construct + exit", [f"import.{k}.proc_wall_ms" for k in kinds]),
            ("modules loaded", [f"import.{k}.modules" for k in kinds]),
            ("RSS after import", [f"import.{k}.rss_import_mib" for k in kinds]),
            ("import `PlatformConfig` next", [f"import.{k}.config_import_ms" for k in kinds]),
            ("construction (no RPC)", [f"import.{k}.construct_ms" for k in kinds]),
            ("RSS after construction", [f"import.{k}.rss_construct_mib" for k in kinds]),
            ("ready to call: import + `PlatformConfig` + construction", [f"import.{k}.ready_ms" for k in kinds]),
            ("import time / flytekit's", [None, "import.raw.vs_flytekit", "import.flyteplane.vs_flytekit", None]),
        ],
    )
    fk = ["raw", "flyteplane", "flytekit"]
    lines += _grid(
        res,
        "4, 5. First call (fresh process: construct, then the first get_task)",
        ["raw stub", "flyteplane friendly", "flytekit friendly"],
        [
            ("construction", [f"first.{k}.construct_ms" for k in fk]),
            ("first get_task", [f"first.{k}.first_call_ms" for k in fk]),
            ("first get_task / raw stub's (same round)", [None, *[f"first.{k}.first_call_ms.ratio" for k in fk[1:]]]),
            ("second get_task", [f"first.{k}.second_call_ms" for k in fk]),
            ("RSS after construction + first call", [f"first.{k}.rss_after_first_call_mib" for k in fk]),
        ],
    )
    gk = ["raw", "flyteplane", "flyteplane-raw", "flytekit"]
    lines += _grid(
        res,
        "2. GetTask, distinct versions (uncached in every client)",
        ["raw stub", "flyteplane friendly", "flyteplane RawSynchronousFlyteClient", "flytekit friendly"],
        [
            ("median", [f"get.{k}.median_us" for k in gk]),
            ("p99", [f"get.{k}.p99_us" for k in gk]),
            ("client CPU / call", [f"get.{k}.cpu_us" for k in gk]),
            ("calls/s, 1 thread", [f"get.{k}.per_s" for k in gk]),
            ("median / raw (median over alternating blocks)", [None, *[f"get.{k}.median_us.ratio" for k in gk[1:]]]),
            ("p99 / raw", [None, *[f"get.{k}.p99_us.ratio" for k in gk[1:]]]),
            ("client CPU / raw", [None, *[f"get.{k}.cpu_us.ratio" for k in gk[1:]]]),
        ],
    )
    rows: list[tuple[str, list[str | None]]] = []
    for tag, what in (("bare", "result not read"), ("touched", "every task's id.name, id.version, template type read")):
        rows += [
            (f"median, {what}", [f"list.{k}.{tag}.median_us" for k in fk]),
            (f"p99, {what}", [f"list.{k}.{tag}.p99_us" for k in fk]),
            (f"client CPU / page, {what}", [f"list.{k}.{tag}.cpu_us" for k in fk]),
            (f"median / raw, {what}", [None, *[f"list.{k}.{tag}.median_us.ratio" for k in fk[1:]]]),
            (f"client CPU / raw, {what}", [None, *[f"list.{k}.{tag}.cpu_us.ratio" for k in fk[1:]]]),
        ]
    rows.append(("p99 / median, touched", [f"list.{k}.touched.tail" for k in fk]))
    lines += _grid(
        res,
        "3. A page of 100 tasks: ListTasks(limit=100)",
        ["raw stub", "flyteplane friendly", "flytekit friendly"],
        rows,
    )
    lines += _grid(
        res,
        "6. Client-only install (fresh venv, `pip install .`, no extras)",
        ["flyteplane"],
        [
            ("distributions (without pip/setuptools/wheel)", ["install.dists"]),
            ("site-packages size (without pip/setuptools)", ["install.size_mib"]),
            ("pip install wall time", ["install.seconds"]),
            ("import of the friendly client in that venv", ["install.import_ms"]),
        ],
    )
    if "install.dists" in res.notes:
        lines += [f"Distributions: {res.notes['install.dists']}", ""]
    lines += _grid(
        res,
        "7. Start to first served RPC (fresh process)",
        ["flyteplane admin"],
        [
            ("spawn -> `AdminServer().start()` -> GetVersion answered", ["startup.total_ms"]),
            ("in-process part (interpreter up -> answer)", ["startup.in_process_ms"]),
            ("  import `AdminServer`", ["startup.import_ms"]),
            ("  `start()`", ["startup.start_ms"]),
            ("  channel + first GetVersion", ["startup.first_rpc_ms"]),
            ("`flyteplane sandbox --in-memory`: spawn -> GetVersion answered", ["startup.sandbox_ms"]),
        ],
    )
    tp_rows: list[tuple[str, list[str | None]]] = []
    for cfg, text in (("1x1", "1 thread"), ("8x1", "8 threads, 1 channel"), ("8x8", "8 threads, 8 channels")):
        tp_rows += [
            (f"GetTask/s, {text}", [f"tp.flyteplane.{cfg}.per_s", f"tp.bare.{cfg}.per_s", f"tp.{cfg}.ratio"]),
            (
                f"server CPU / call, {text}",
                [f"tp.flyteplane.{cfg}.server_cpu_us", f"tp.bare.{cfg}.server_cpu_us", f"tp.{cfg}.cpu_ratio"],
            ),
            (
                f"server CPU use (cores), {text}",
                [f"tp.flyteplane.{cfg}.server_util", f"tp.bare.{cfg}.server_util", None],
            ),
            (
                f"client CPU use (cores), {text}",
                [f"tp.flyteplane.{cfg}.client_util", f"tp.bare.{cfg}.client_util", None],
            ),
            (
                f"other processes' CPU use (cores), {text}",
                [f"tp.flyteplane.{cfg}.foreign_util", f"tp.bare.{cfg}.foreign_util", None],
            ),
        ]
    lines += _grid(
        res,
        "8. GetTask throughput (raw-stub load generator in its own process)",
        ["flyteplane admin", "bare gRPC server", "flyteplane / bare"],
        tp_rows,
    )
    lines += _grid(
        res,
        "9. ListTasks(limit=100, sort_by created_at desc): offset 0 vs 10,000 (10,100 versions)",
        ["offset 0", "offset 10,000", "10,000 / 0"],
        [
            (
                "median, one task name",
                ["offset.named.0.median_us", "offset.named.10000.median_us", "offset.named.ratio"],
            ),
            ("p99, one task name", ["offset.named.0.p99_us", "offset.named.10000.p99_us", None]),
            (
                "median, whole project-domain",
                ["offset.project.0.median_us", "offset.project.10000.median_us", "offset.project.ratio"],
            ),
            ("p99, whole project-domain", ["offset.project.0.p99_us", "offset.project.10000.p99_us", None]),
            ("registering 10,100 versions (CreateTask over gRPC)", ["offset.register_s", None, None]),
            ("CreateTask/s while registering", ["offset.register_per_s", None, None]),
        ],
    )
    single = [
        ("create -> SUCCEEDED seen by the poller, median", "median_ms"),
        ("create -> SUCCEEDED seen by the poller, p90", "p90_ms"),
        ("create -> SUCCEEDED seen by the poller, max", "max_ms"),
        ("CreateExecution RPC", "create_ms"),
        ("create -> RUNNING seen by the poller", "running_ms"),
        ("admin's record: `created_at` -> SUCCEEDED", "srv_total_ms"),
        ("  `created_at` -> workflow RUNNING", "srv_wf_running_ms"),
        ("  workflow RUNNING -> task QUEUED (start-node, node events, inputs)", "srv_task_queued_ms"),
        ("  task QUEUED -> task RUNNING (the process is spawned)", "srv_spawn_ms"),
        ("  task RUNNING -> task SUCCEEDED (the process runs; its exit noticed; outputs read)", "srv_process_ms"),
        ("  task SUCCEEDED -> workflow SUCCEEDED (node, end-node, workflow events)", "srv_finish_ms"),
        ("poller's SUCCEEDED - admin's (RPC and 5 ms poll granularity)", "overshoot_ms"),
        ("GetExecution polls per execution", "polls"),
        ("admin CPU / execution (polls included)", "admin_cpu_ms"),
        ("task process CPU / execution", "task_cpu_ms"),
        ("median / `python -c pass` (same round)", "vs_pystart"),
        ("median / the no-op command run directly (same round)", "vs_noop_cmd"),
    ]
    single_rows: list[tuple[str, list[str | None]]] = [(label, [f"exec.single.{key}"]) for label, key in single]
    single_rows += [
        ("floor: `python -c pass`, spawn -> exit (harness)", ["exec.pystart_ms"]),
        ("floor: the no-op task's command run directly, spawn -> exit (harness)", ["exec.noop_cmd_ms"]),
    ]
    lines += _grid(
        res,
        "10. A no-op single-task execution: CreateExecution -> SUCCEEDED (one at a time, polled every 5 ms)",
        ["flyteplane admin"],
        single_rows,
    )
    nodes = res.notes.get("exec.fanout.nodes", "100")
    fanout = [
        ("create -> SUCCEEDED seen by the poller, median", "median_s"),
        ("create -> SUCCEEDED seen by the poller, max", "max_s"),
        (f"median / {nodes} nodes", "per_node_ms"),
        ("median / single-task execution's (same round)", "vs_single"),
        ("CreateExecution RPC", "create_ms"),
        ("admin's record: `created_at` -> SUCCEEDED", "srv_total_s"),
        ("  `created_at` -> first task node RUNNING", "first_node_ms"),
        ("  `created_at` -> last task node done", "last_node_s"),
        ("  last task node done -> workflow SUCCEEDED", "finish_ms"),
        ("task nodes running at once, peak (max parallelism 25)", "peak_parallel"),
        ("task node RUNNING -> SUCCEEDED, median over nodes", "node_ms"),
        ("admin CPU / execution", "admin_cpu_ms"),
        (f"task process CPU / execution ({nodes} processes)", "task_cpu_ms"),
    ]
    lines += _grid(
        res,
        f"11. A {nodes}-node fan-out workflow (independent no-op task nodes) through its launch plan",
        ["flyteplane admin"],
        [(label, [f"exec.fanout.{key}"]) for label, key in fanout],
    )
    load = [
        ("executions accepted / s (CreateExecution)", "per_s"),
        ("CreateExecution median", "create_median_ms"),
        ("CreateExecution p90", "create_p90_ms"),
        ("accepted in the window", "accepted"),
        ("of those, finished by the window's end", "finished_in_window"),
        ("accepted but not finished at the window's end", "running_at_end"),
        ("window end -> last execution finished", "drain_s"),
        ("executions finished / s, window start -> last one finished", "done_per_s"),
        ("`created_at` -> SUCCEEDED under load, median", "lat_median_ms"),
        ("`created_at` -> SUCCEEDED under load, p90", "lat_p90_ms"),
        ("admin process CPU (cores)", "admin_util"),
        ("task processes' CPU (cores)", "task_util"),
        ("load process CPU (cores)", "client_util"),
        ("other processes' CPU (cores)", "foreign_util"),
        ("whole machine busy (cores)", "machine_util"),
        ("admin CPU / accepted execution", "admin_cpu_ms"),
    ]
    lines += _grid(
        res,
        "12. CreateExecution throughput of the no-op task (the engine runs what it accepts; fresh admin per block)",
        ["1 thread", "8 threads", "8 / 1"],
        [
            (label, [f"exec.tp.1.{key}", f"exec.tp.8.{key}", "exec.tp.ratio" if key == "per_s" else None])
            for label, key in load
        ],
    )
    undrained = {k: v for k, v in res.notes.items() if k.startswith("exec.tp.") and k.endswith(".undrained")}
    if undrained:
        lines += [
            "Not finished within the drain limit: "
            + "; ".join(f"{k.split('.')[2]} thread(s): {v}" for k, v in undrained.items()),
            "",
        ]
    lines += _grid(
        res,
        "Harness and setup",
        ["value"],
        [
            ("`flyteplane sandbox` spawn -> GetVersion (harness, polling)", ["setup.admin_ready_ms"]),
            ("CreateTask/s registering 256 versions (8 threads)", ["setup.register256_per_s"]),
            ("admin RSS at the end of a round", ["setup.admin_rss_mib"]),
            ("admin RSS holding 10,100 task versions", ["offset.admin_rss_mib"]),
            ("admin RSS after a round of executions (10, 11)", ["exec.admin_rss_mib"]),
        ],
    )
    sizes = [f"{k.replace('_', ' ')}: {v}" for k, v in res.notes.items() if k in ("task_spec_bytes", "task_bytes")]
    if sizes:
        lines += ["Payload sizes: " + "; ".join(sizes) + " (bytes, serialized).", ""]
    if res.errors:
        lines += ["### Errors", ""]
        for name, text in res.errors.items():
            lines += [f"* **{name}**: `{text.splitlines()[0][:300] if text else ''}`"]
        lines.append("")
    return lines
