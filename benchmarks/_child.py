"""What runs inside a fresh benchmark process. ``python _child.py MODE ARGS...``; the last stdout line is JSON.

Modes (see ``client_bench.py`` and ``server_bench.py`` for who calls them):

    taskspec OUT                                   serialize a real flytekit @task (admin.TaskSpec) to OUT
    import KIND                                    import time, RSS and module count; client construction
    firstcall KIND ENDPOINT VERSION                construct, then time the first and second get_task
    gettask KIND ENDPOINT COUNT N                  N GetTask calls cycling through COUNT distinct versions
    listtasks KIND ENDPOINT N TOUCH                N ListTasks(limit=100) pages, TOUCH=1 reads every task
    throughput ENDPOINT SERVER_PID THREADS CHANNELS SECONDS COUNT
                                                   raw-stub GetTask load from THREADS threads on CHANNELS channels
    listoffset ENDPOINT N DOMAIN NAME              ListTasks(limit=100, created_at desc) at token 0 vs 10000
    startup                                        AdminServer().start() then a GetVersion, from interpreter start
    execlatency ENDPOINT ADMIN_PID KIND NAME VERSION N POLL_MS
                                                   N executions of a task (KIND task) or launch plan (KIND lp), one
                                                   at a time, each polled with GetExecution until it ends
    execload ENDPOINT ADMIN_PID NAME VERSION THREADS SECONDS DRAIN_TIMEOUT
                                                   CreateExecution of task NAME from THREADS threads for SECONDS,
                                                   then wait until every execution created has ended
    createload ENDPOINT THREADS CALLS TAG          CreateTask from THREADS threads, CALLS each (distinct versions),
                                                   then GetTask and ListTasks(limit=100) latency, one thread

KIND is one of ``raw`` (flyteidl stub on a plain grpc channel), ``flyteplane`` (friendly SynchronousFlyteClient),
``flyteplane-raw`` (flyteplane's RawSynchronousFlyteClient) and ``flytekit`` (flytekit's SynchronousFlyteClient).
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import gc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

PROJECT = "flytesnacks"
DOMAIN = "development"
TASK_NAME = "benchmarks.workflows.bench_task"

IMPORTS = {
    "pass": "pass",
    "raw": "import grpc\nfrom flyteidl.service import admin_pb2_grpc",
    "flyteplane": "from flyteplane.clients.friendly import SynchronousFlyteClient",
    "flyteplane-raw": "from flyteplane.clients.raw import RawSynchronousFlyteClient",
    "flytekit": "from flytekit.clients.friendly import SynchronousFlyteClient",
}


def rss_mib() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


def version_of(i: int) -> str:
    return f"v{i:06d}"


# --- clients ---------------------------------------------------------------------------------------------------


class Client:
    """One kind of client behind one interface: ``get(i)`` and ``page()`` / ``touch(page)``."""

    def __init__(self, kind: str, endpoint: str) -> None:
        self.kind = kind
        self.endpoint = endpoint

    def construct(self) -> None:
        kind, endpoint = self.kind, self.endpoint
        if kind == "raw":
            import grpc
            from flyteidl.service import admin_pb2_grpc

            self.channel = grpc.insecure_channel(endpoint)
            self.stub = admin_pb2_grpc.AdminServiceStub(self.channel)
        elif kind == "flyteplane":
            from flyteplane.clients.friendly import SynchronousFlyteClient
            from flyteplane.configuration import PlatformConfig

            self.client = SynchronousFlyteClient(PlatformConfig(endpoint=endpoint, insecure=True))
        elif kind == "flyteplane-raw":
            from flyteplane.clients.raw import RawSynchronousFlyteClient
            from flyteplane.configuration import PlatformConfig

            self.client = RawSynchronousFlyteClient(PlatformConfig(endpoint=endpoint, insecure=True))
        elif kind == "flytekit":
            from flytekit.clients.friendly import SynchronousFlyteClient
            from flytekit.configuration import PlatformConfig

            self.client = SynchronousFlyteClient(PlatformConfig(endpoint=endpoint, insecure=True))
        else:
            raise SystemExit(f"unknown kind {kind}")

    def ids(self, versions: list[str], name: str = TASK_NAME) -> list[Any]:
        """What a user passes to get_task, built before any timing."""
        if self.kind in ("raw", "flyteplane-raw"):
            from flyteidl.core import identifier_pb2

            return [
                identifier_pb2.Identifier(
                    resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=name, version=v
                )
                for v in versions
            ]
        if self.kind == "flyteplane":
            from flyteplane.models.core.identifier import Identifier, ResourceType
        else:
            from flytekit.models.core.identifier import Identifier, ResourceType
        return [Identifier(ResourceType.TASK, PROJECT, DOMAIN, name, v) for v in versions]

    def getter(self) -> Any:
        """A one-argument callable doing one GetTask the way a user of this client does."""
        if self.kind == "raw":
            from flyteidl.admin import common_pb2

            stub, req = self.stub, common_pb2.ObjectGetRequest
            return lambda ident: stub.GetTask(req(id=ident))
        if self.kind == "flyteplane-raw":
            from flyteidl.admin import common_pb2

            client, req = self.client, common_pb2.ObjectGetRequest
            return lambda ident: client.get_task(req(id=ident))
        return self.client.get_task

    def lister(self, limit: int = 100, name: str = TASK_NAME) -> Any:
        """A no-argument callable fetching one page of ``limit`` tasks, returning the list of tasks."""
        if self.kind in ("raw", "flyteplane-raw"):
            from flyteidl.admin import common_pb2

            def make() -> Any:
                return common_pb2.ResourceListRequest(
                    id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name=name), limit=limit
                )

            if self.kind == "raw":
                stub = self.stub
                return lambda: stub.ListTasks(make()).tasks
            client = self.client
            return lambda: client.list_tasks_paginated(make()).tasks
        if self.kind == "flyteplane":
            from flyteplane.models.common import NamedEntityIdentifier
        else:
            from flytekit.models.common import NamedEntityIdentifier
        named = NamedEntityIdentifier(PROJECT, DOMAIN, name)
        client = self.client
        return lambda: client.list_tasks_paginated(named, limit=limit)[0]


def touch(tasks: Any) -> int:
    """Read what a listing shows of every task: name, version and task type (same attribute path everywhere)."""
    n = 0
    for t in tasks:
        i = t.id
        n += len(i.name) + len(i.version) + len(t.closure.compiled_task.template.type)
    return n


# --- modes -----------------------------------------------------------------------------------------------------


def mode_taskspec(out: str) -> None:
    from collections import OrderedDict

    from _flytekit_task import bench_task
    from flytekit.configuration import Image, ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    settings = SerializationSettings(
        image_config=ImageConfig(
            default_image=Image(name="default", fqn="cr.flyte.org/flyteorg/flytekit", tag="py3.11-1.16.31")
        ),
        project=PROJECT,
        domain=DOMAIN,
        version="v0",
    )
    spec = get_serializable(OrderedDict(), settings, bench_task).to_flyte_idl()
    data = spec.SerializeToString()
    with open(out, "wb") as f:
        f.write(data)
    emit({"bytes": len(data)})


def mode_import(kind: str) -> None:
    code = compile(IMPORTS[kind], "<bench-import>", "exec")
    rss0 = rss_mib()["VmRSS"]
    t0 = time.perf_counter()
    exec(code, {})
    t1 = time.perf_counter()
    after_import = rss_mib()
    modules = len(sys.modules)
    objects = len(gc.get_objects())
    result: dict[str, Any] = {
        "import_ms": (t1 - t0) * 1e3,
        "rss_start_mib": rss0,
        "rss_import_mib": after_import["VmRSS"],
        "modules": modules,
        "gc_objects": objects,
    }
    if kind != "pass":
        if kind == "flyteplane":
            t2 = time.perf_counter()
            from flyteplane.configuration import PlatformConfig
        elif kind == "flytekit":
            t2 = time.perf_counter()
            from flytekit.configuration import PlatformConfig  # noqa: F401
        else:
            t2 = time.perf_counter()
        t3 = time.perf_counter()
        client = Client(kind, "127.0.0.1:9")
        client.construct()
        t4 = time.perf_counter()
        result.update(
            config_import_ms=(t3 - t2) * 1e3,
            construct_ms=(t4 - t3) * 1e3,
            rss_construct_mib=rss_mib()["VmRSS"],
            modules_construct=len(sys.modules),
        )
    result["in_process_total_ms"] = (time.perf_counter() - T_START) * 1e3
    emit(result)


def mode_firstcall(kind: str, endpoint: str, version: str) -> None:
    t0 = time.perf_counter()
    exec(compile(IMPORTS[kind], "<bench-import>", "exec"), {})
    t1 = time.perf_counter()
    client = Client(kind, endpoint)
    ident_first, ident_second = client.ids([version, version_of(int(version[1:]) + 1)])
    t2 = time.perf_counter()
    client.construct()
    get = client.getter()
    t3 = time.perf_counter()
    first = get(ident_first)
    t4 = time.perf_counter()
    get(ident_second)
    t5 = time.perf_counter()
    assert first is not None
    mem = rss_mib()
    emit(
        {
            "import_ms": (t1 - t0) * 1e3,
            "construct_ms": (t3 - t2) * 1e3,
            "first_call_ms": (t4 - t3) * 1e3,
            "second_call_ms": (t5 - t4) * 1e3,
            "construct_plus_first_ms": (t4 - t2) * 1e3,
            "rss_after_first_call_mib": mem["VmRSS"],
            "hwm_mib": mem["VmHWM"],
            "modules": len(sys.modules),
        }
    )


def _latency_summary(lat_ns: list[int], cpu_s: float, wall_s: float) -> dict[str, float]:
    lat = sorted(lat_ns)
    n = len(lat)

    def pct(q: float) -> float:
        return lat[min(n - 1, max(0, round(q / 100 * n + 0.5) - 1))] / 1e3

    return {
        "n": n,
        "median_us": pct(50),
        "p90_us": pct(90),
        "p99_us": pct(99),
        "max_us": lat[-1] / 1e3,
        "mean_us": sum(lat) / n / 1e3,
        "cpu_us": cpu_s / n * 1e6,
        "per_s": n / wall_s,
        "cpu_s": cpu_s,
        "wall_s": wall_s,
        "lat_us": [round(x / 1e3, 1) for x in lat_ns],  # in call order, for merging blocks
    }


def mode_gettask(kind: str, endpoint: str, count: str, n: str) -> None:
    k, calls = int(count), int(n)
    client = Client(kind, endpoint)
    client.construct()
    ids = client.ids([version_of(i) for i in range(k)])
    get = client.getter()
    for i in range(k):  # warm up one full cycle: connection, first-call costs, the LRU of flytekit full
        get(ids[i])
    gc.collect()
    lat = [0] * calls
    clock = time.perf_counter_ns
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(calls):
        ident = ids[i % k]  # cycling through k > 128 versions defeats flytekit's lru_cache(128)
        t = clock()
        get(ident)
        lat[i] = clock() - t
    c1, w1 = time.process_time(), time.perf_counter()
    emit(_latency_summary(lat, c1 - c0, w1 - w0))


def mode_listtasks(kind: str, endpoint: str, n: str, touch_flag: str) -> None:
    calls, touching = int(n), touch_flag == "1"
    client = Client(kind, endpoint)
    client.construct()
    page = client.lister()
    first = page()
    size = len(first)
    for _ in range(5):
        tasks = page()
        if touching:
            touch(tasks)
    gc.collect()
    lat = [0] * calls
    clock = time.perf_counter_ns
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(calls):
        t = clock()
        tasks = page()
        if touching:
            touch(tasks)
        lat[i] = clock() - t
    c1, w1 = time.process_time(), time.perf_counter()
    del tasks
    out = _latency_summary(lat, c1 - c0, w1 - w0)
    out["page_size"] = size
    emit(out)


def mode_throughput(endpoint: str, server_pid: str, threads: str, channels: str, seconds: str, count: str) -> None:
    import threading

    import grpc
    from flyteidl.admin import common_pb2
    from flyteidl.core import identifier_pb2
    from flyteidl.service import admin_pb2_grpc

    nthreads, nchannels, window, k = int(threads), int(channels), float(seconds), int(count)
    pid = int(server_pid)

    def server_cpu() -> float:
        import os

        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def machine_busy() -> float:
        import os

        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
        return (sum(cpu[:8]) - cpu[3] - cpu[4]) / os.sysconf("SC_CLK_TCK")

    stubs = [admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint)) for _ in range(nchannels)]
    requests = [
        common_pb2.ObjectGetRequest(
            id=identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=TASK_NAME, version=version_of(i)
            )
        )
        for i in range(k)
    ]
    for stub in stubs:
        stub.GetTask(requests[0])
    warmup = 0.5
    start = time.perf_counter() + 0.05
    begin, end = start + warmup, start + warmup + window
    counts = [0] * nthreads
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        stub = stubs[t % nchannels]
        i = t * 37
        done = 0
        clock = time.perf_counter
        while clock() < start:
            time.sleep(0.001)
        try:
            while True:
                stub.GetTask(requests[i % k])
                i += 1
                now = clock()
                if now >= end:
                    break
                if now >= begin:
                    done += 1
        except BaseException as e:
            errors.append(e)
        counts[t] = done

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for th in pool:
        th.start()
    time.sleep(max(0.0, begin - time.perf_counter()))
    s0, c0, m0 = server_cpu(), time.process_time(), machine_busy()
    time.sleep(max(0.0, end - time.perf_counter()))
    s1, c1, m1 = server_cpu(), time.process_time(), machine_busy()
    for th in pool:
        th.join()
    if errors:
        raise SystemExit(f"GetTask failed under load: {errors[0]!r}")
    total = sum(counts)
    emit(
        {
            "calls": total,
            "window_s": window,
            "server_cpu_s": s1 - s0,
            "client_cpu_s": c1 - c0,
            "machine_busy_s": m1 - m0,
            "per_s": total / window,
            "server_cpu_util": (s1 - s0) / window,
            "client_cpu_util": (c1 - c0) / window,
            "server_cpu_us_per_call": (s1 - s0) / max(1, total) * 1e6,
            "client_cpu_us_per_call": (c1 - c0) / max(1, total) * 1e6,
        }
    )


def mode_listoffset(endpoint: str, n: str, domain: str, name: str) -> None:
    import grpc
    from flyteidl.admin import common_pb2
    from flyteidl.service import admin_pb2_grpc

    calls = int(n)
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))
    sort = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING)

    def request(token: str) -> Any:
        return common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=domain, name=name if name != "-" else ""),
            limit=100,
            token=token,
            sort_by=sort,
        )

    tokens = ("0", "10000")
    reqs = {t: request(t) for t in tokens}
    sizes = {t: len(stub.ListTasks(reqs[t]).tasks) for t in tokens}
    for _ in range(3):
        for t in tokens:
            stub.ListTasks(reqs[t])
    lat: dict[str, list[int]] = {t: [] for t in tokens}
    clock = time.perf_counter_ns
    for i in range(calls):
        for t in tokens if i % 2 == 0 else tokens[::-1]:  # interleaved, so drift hits both alike
            t0 = clock()
            stub.ListTasks(reqs[t])
            lat[t].append(clock() - t0)
    out: dict[str, Any] = {}
    for t in tokens:
        s = sorted(lat[t])
        out[f"offset{t}_median_us"] = s[len(s) // 2] / 1e3
        out[f"offset{t}_p99_us"] = s[min(len(s) - 1, int(len(s) * 0.99))] / 1e3
        out[f"offset{t}_page"] = sizes[t]
    emit(out)


def mode_startup() -> None:
    t_import = time.perf_counter()
    from flyteplane.admin import AdminServer

    server_cls = AdminServer  # the lazy attribute imports the server module
    t_start = time.perf_counter()
    server = server_cls().start()
    t_started = time.perf_counter()
    import grpc
    from flyteidl.admin import version_pb2
    from flyteidl.service import admin_pb2_grpc

    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(server.endpoint))
    stub.GetVersion(version_pb2.GetVersionRequest(), timeout=10)
    t_answer = time.perf_counter()
    emit(
        {
            "import_ms": (t_start - t_import) * 1e3,
            "start_ms": (t_started - t_start) * 1e3,
            "first_rpc_ms": (t_answer - t_started) * 1e3,
            "in_process_ms": (t_answer - T_START) * 1e3,
        }
    )
    server.stop(grace=0)


# --- executions (execution_bench.py) -----------------------------------------------------------------------------


def _proc_cpu(pid: int) -> tuple[float, float]:
    """(own utime+stime, reaped children's cutime+cstime) of a process, in seconds."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tck, (int(fields[13]) + int(fields[14])) / tck


def _machine_busy() -> float:
    import os

    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    return (sum(cpu[:8]) - cpu[3] - cpu[4]) / os.sysconf("SC_CLK_TCK")


def _ts(t: Any) -> float:
    return t.seconds + t.nanos / 1e9


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def _median(values: list[float]) -> float:
    import statistics

    return float(statistics.median(values)) if values else float("nan")


class _Exec:
    """A raw stub and the requests of one kind of execution (a task run alone, or a launch plan)."""

    def __init__(self, endpoint: str, kind: str, name: str, version: str, channels: int = 1) -> None:
        import grpc
        from flyteidl.admin import execution_pb2
        from flyteidl.core import execution_pb2 as core_execution_pb2
        from flyteidl.core import identifier_pb2
        from flyteidl.service import admin_pb2_grpc

        self.pb = execution_pb2
        self.W = core_execution_pb2.WorkflowExecution
        self.terminal = {self.W.SUCCEEDED, self.W.FAILED, self.W.ABORTED, self.W.TIMED_OUT}
        self.stubs = [admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint)) for _ in range(channels)]
        self.stub = self.stubs[0]
        rtype = identifier_pb2.TASK if kind == "task" else identifier_pb2.LAUNCH_PLAN
        ident = identifier_pb2.Identifier(
            resource_type=rtype, project=PROJECT, domain=DOMAIN, name=name, version=version
        )
        # spec.launch_plan holds the TASK id for a single-task execution (what flytekit's remote.execute does).
        self.create_request = execution_pb2.ExecutionCreateRequest(
            project=PROJECT, domain=DOMAIN, spec=execution_pb2.ExecutionSpec(launch_plan=ident)
        )

    def create(self, stub: Any = None) -> Any:
        return (stub or self.stub).CreateExecution(self.create_request, timeout=60).id

    def get(self, eid: Any) -> Any:
        return self.stub.GetExecution(self.pb.WorkflowExecutionGetRequest(id=eid), timeout=60)

    def wait(self, eid: Any, poll_s: float, timeout: float = 300.0) -> Any:
        deadline = time.perf_counter() + timeout
        while True:
            ex = self.get(eid)
            if ex.closure.phase in self.terminal:
                return ex
            if time.perf_counter() > deadline:
                raise SystemExit(f"execution {eid.name} did not end in {timeout:.0f} s")
            time.sleep(poll_s)

    def check(self, ex: Any) -> None:
        if ex.closure.phase != self.W.SUCCEEDED:
            raise SystemExit(
                f"execution {ex.id.name} ended {self.W.Phase.Name(ex.closure.phase)}: {ex.closure.error.message[:500]}"
            )

    def node_executions(self, eid: Any) -> list[Any]:
        from flyteidl.admin import node_execution_pb2

        out: list[Any] = []
        token = ""
        while True:
            page = self.stub.ListNodeExecutions(
                node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=eid, limit=500, token=token),
                timeout=60,
            )
            out.extend(page.node_executions)
            token = page.token
            if not token:
                return out

    def task_executions(self, node_execution_id: Any) -> list[Any]:
        from flyteidl.admin import task_execution_pb2

        return list(
            self.stub.ListTaskExecutions(
                task_execution_pb2.TaskExecutionListRequest(node_execution_id=node_execution_id, limit=10), timeout=60
            ).task_executions
        )


def mode_execlatency(endpoint: str, admin_pid: str, kind: str, name: str, version: str, n: str, poll_ms: str) -> None:
    runs, poll_s, pid = int(n), float(poll_ms) / 1e3, int(admin_pid)
    ex = _Exec(endpoint, kind, name, version)
    not_running = {ex.W.UNDEFINED, ex.W.QUEUED}
    # Warm-up, not measured: the connection, and the first execution of a task also registers its .flytegen
    # workflow and launch plan.
    ex.check(ex.wait(ex.create(), poll_s))

    clock = time.perf_counter
    runs_out: list[dict[str, Any]] = []
    cpu0 = _proc_cpu(pid)
    for _ in range(runs):
        t0 = clock()
        eid = ex.create()
        t1 = clock()
        running = None
        polls = 0
        while True:
            execution = ex.get(eid)
            polls += 1
            now = clock()
            phase = execution.closure.phase
            if running is None and phase not in not_running:
                running = now
            if phase in ex.terminal:
                break
            time.sleep(poll_s)
        ex.check(execution)
        runs_out.append(
            {"eid": eid, "create": t1 - t0, "running": (running or now) - t0, "total": now - t0, "polls": polls}
        )
    cpu1 = _proc_cpu(pid)

    # Server-side records of every run, read after the timed part.
    for run in runs_out:
        c = ex.get(run["eid"]).closure
        created, started = _ts(c.created_at), _ts(c.started_at)
        end = started + c.duration.ToTimedelta().total_seconds()
        run.update(srv_created=created, srv_started=started, srv_end=end)
        nodes = [ne for ne in ex.node_executions(run["eid"]) if ne.id.node_id not in ("start-node", "end-node")]
        run["nodes"] = len(nodes)
        spans = []
        for ne in nodes:
            nc = ne.closure
            s = _ts(nc.started_at)
            spans.append((s, s + nc.duration.ToTimedelta().total_seconds()))
        run["spans"] = spans
        if kind == "task" and len(nodes) == 1:
            attempts = ex.task_executions(nodes[0].id)
            if attempts:
                tc = attempts[-1].closure
                t_start = _ts(tc.started_at)
                run["task"] = (_ts(tc.created_at), t_start, t_start + tc.duration.ToTimedelta().total_seconds())

    def med(key: str) -> float:
        return _median([r[key] for r in runs_out])

    totals = [r["total"] for r in runs_out]
    admin_cpu = (cpu1[0] - cpu0[0]) / runs * 1e3
    task_cpu = (cpu1[1] - cpu0[1]) / runs * 1e3
    out: dict[str, Any] = {
        "n": runs,
        "nodes": _median([r["nodes"] for r in runs_out]),
        "create_ms": med("create") * 1e3,
        "running_ms": med("running") * 1e3,
        "polls": med("polls"),
        "admin_cpu_ms": admin_cpu,
        "task_cpu_ms": task_cpu,
        "srv_total_ms": _median([r["srv_end"] - r["srv_created"] for r in runs_out]) * 1e3,
        "overshoot_ms": _median([r["total"] - (r["srv_end"] - r["srv_created"]) for r in runs_out]) * 1e3,
        "totals_ms": [round(t * 1e3, 2) for t in totals],
    }
    if kind == "task":
        out.update(median_ms=_median(totals) * 1e3, p90_ms=_pct(totals, 90) * 1e3, max_ms=max(totals) * 1e3)
        split = [r for r in runs_out if "task" in r]
        if split:

            def part(f: Any) -> float:
                return _median([f(r) for r in split]) * 1e3

            out.update(
                srv_wf_running_ms=part(lambda r: r["srv_started"] - r["srv_created"]),
                srv_task_queued_ms=part(lambda r: r["task"][0] - r["srv_started"]),
                srv_spawn_ms=part(lambda r: r["task"][1] - r["task"][0]),
                srv_process_ms=part(lambda r: r["task"][2] - r["task"][1]),
                srv_finish_ms=part(lambda r: r["srv_end"] - r["task"][2]),
            )
    else:
        out.update(median_s=_median(totals), max_s=max(totals), srv_total_s=out.pop("srv_total_ms") / 1e3)

        def peak(spans: list[tuple[float, float]]) -> int:
            events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
            cur = best = 0
            for _, d in events:
                cur += d
                best = max(best, cur)
            return best

        with_spans = [r for r in runs_out if r["spans"]]
        out.update(
            first_node_ms=_median([min(s for s, _ in r["spans"]) - r["srv_created"] for r in with_spans]) * 1e3,
            last_node_s=_median([max(e for _, e in r["spans"]) - r["srv_created"] for r in with_spans]),
            finish_ms=_median([r["srv_end"] - max(e for _, e in r["spans"]) for r in with_spans]) * 1e3,
            peak_parallel=_median([peak(r["spans"]) for r in with_spans]),
            node_ms=_median([e - s for r in with_spans for s, e in r["spans"]]) * 1e3,
        )
    emit(out)


def mode_execload(
    endpoint: str, admin_pid: str, name: str, version: str, threads: str, seconds: str, drain_timeout: str
) -> None:
    import threading

    nthreads, window, drain_limit, pid = int(threads), float(seconds), float(drain_timeout), int(admin_pid)
    ex = _Exec(endpoint, "task", name, version, channels=nthreads)
    warm = ex.wait(ex.create(), 0.01)  # warm-up: the .flytegen workflow and launch plan, the connection
    ex.check(warm)
    for stub in ex.stubs:  # connect every channel
        stub.GetExecution(ex.pb.WorkflowExecutionGetRequest(id=warm.id), timeout=60)

    warmup = 0.5
    clock = time.perf_counter
    wall_offset = time.time() - clock()  # perf_counter -> wall clock (the server's timestamps are wall clock)
    start = clock() + 0.05
    begin, end = start + warmup, start + warmup + window
    calls: list[list[tuple[float, float, Any]]] = [[] for _ in range(nthreads)]
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        stub = ex.stubs[t]
        mine = calls[t]
        while clock() < start:
            time.sleep(0.001)
        try:
            while True:
                t0 = clock()
                if t0 >= end:
                    break
                eid = ex.create(stub)
                mine.append((t0, clock(), eid))
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for th in pool:
        th.start()
    time.sleep(max(0.0, begin - clock()))
    a0, m0, c0 = _proc_cpu(pid), _machine_busy(), time.process_time()
    time.sleep(max(0.0, end - clock()))
    a1, m1, c1 = _proc_cpu(pid), _machine_busy(), time.process_time()
    for th in pool:
        th.join()
    if errors:
        raise SystemExit(f"CreateExecution failed under load: {errors[0]!r}")
    every = [c for per in calls for c in per]
    in_window = [c for c in every if begin <= c[1] < end]

    # Drain: poll what has not ended yet until nothing is left (or the limit), then read the records.
    pending = {c[2].name: c[2] for c in every}
    closures: dict[str, Any] = {}
    drain_deadline = clock() + drain_limit
    while pending and clock() < drain_deadline:
        for key, eid in list(pending.items()):
            c = ex.get(eid).closure
            if c.phase in ex.terminal:
                closures[key] = c
                del pending[key]
        if pending:
            time.sleep(0.1)
    begin_wall, end_wall = begin + wall_offset, end + wall_offset
    ends = {k: _ts(c.started_at) + c.duration.ToTimedelta().total_seconds() for k, c in closures.items()}
    window_names = {c[2].name for c in in_window}
    failed = [c for c in closures.values() if c.phase != ex.W.SUCCEEDED]
    lat = [ends[k] - _ts(closures[k].created_at) for k in window_names if k in closures]
    create_lat = [c[1] - c[0] for c in in_window]
    accepted_by_end = {c[2].name for c in every if c[1] < end}  # the warm-up load's executions too
    finished_by_end = {k for k, e in ends.items() if e <= end_wall}
    last_end = max(ends.values(), default=end_wall)
    admin_s, task_s, client_s, busy_s = a1[0] - a0[0], a1[1] - a0[1], c1 - c0, m1 - m0
    accepted = len(in_window)
    emit(
        {
            "total": len(every),
            "accepted": accepted,
            "per_s": accepted / window,
            "create_median_ms": _median(create_lat) * 1e3,
            "create_p90_ms": _pct(create_lat, 90) * 1e3 if create_lat else float("nan"),
            "finished_in_window": len(window_names & finished_by_end),
            "running_at_end": len(accepted_by_end - finished_by_end),
            "drain_s": max(0.0, last_end - end_wall),
            # The engine's completion rate once loaded: executions ending from the window's start until the last
            # one ended, over that time.
            "done_per_s": len([e for e in ends.values() if e > begin_wall]) / max(1e-9, last_end - begin_wall),
            "lat_median_ms": _median(lat) * 1e3,
            "lat_p90_ms": _pct(lat, 90) * 1e3 if lat else float("nan"),
            "admin_util": admin_s / window,
            "task_util": task_s / window,
            "client_util": client_s / window,
            "foreign_util": max(0.0, busy_s - admin_s - task_s - client_s) / window,
            "machine_util": busy_s / window,
            "admin_cpu_ms": admin_s / max(1, accepted) * 1e3,
            "undrained": len(pending),
            "failed": len(failed),
            "first_error": failed[0].error.message[:300] if failed else "",
        }
    )


def _noop_task_request(name: str, version: str) -> Any:
    from flyteidl.admin import task_pb2
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2

    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=name, version=version
    )
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="raw-container",
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="python:3.11-slim", command=["python", "-c", "pass"]),
        metadata=tasks_pb2.TaskMetadata(),
    )
    return task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template))


def mode_createload(endpoint: str, threads: str, calls: str, tag: str) -> None:
    """CreateTask latency with THREADS concurrent writers (each on its own channel), then one-thread GetTask and
    ListTasks(limit=100) latency on what was written."""
    import threading

    import grpc
    from flyteidl.admin import common_pb2
    from flyteidl.service import admin_pb2_grpc

    nthreads, ncalls = int(threads), int(calls)
    stubs = [admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint)) for _ in range(nthreads)]
    for t, stub in enumerate(stubs):  # connect every channel, and warm up the admin's write path
        stub.CreateTask(_noop_task_request(f"bench.create.{tag}.warm{t}", "v0"), timeout=60)
    lat: list[list[float]] = [[] for _ in range(nthreads)]
    errors: list[BaseException] = []
    start = threading.Barrier(nthreads)

    def worker(t: int) -> None:
        stub, mine = stubs[t], lat[t]
        requests = [_noop_task_request(f"bench.create.{tag}.t{t}", f"v{i}") for i in range(ncalls)]
        start.wait()
        try:
            for request in requests:
                t0 = time.perf_counter()
                stub.CreateTask(request, timeout=60)
                mine.append(time.perf_counter() - t0)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    w0 = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    wall = time.perf_counter() - w0
    if errors:
        raise SystemExit(f"CreateTask failed under load: {errors[0]!r}")
    every = [x for per in lat for x in per]

    stub = stubs[0]
    ids = [_noop_task_request(f"bench.create.{tag}.t0", f"v{i}").id for i in range(ncalls)]
    get_lat = []
    for _ in range(3):
        for ident in ids:
            t0 = time.perf_counter()
            stub.GetTask(common_pb2.ObjectGetRequest(id=ident), timeout=60)
            get_lat.append(time.perf_counter() - t0)
    list_request = common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name=f"bench.create.{tag}.t0"),
        limit=100,
    )
    list_lat, listed = [], 0
    for _ in range(30):
        t0 = time.perf_counter()
        listed = len(stub.ListTasks(list_request, timeout=60).tasks)
        list_lat.append(time.perf_counter() - t0)
    emit(
        {
            "n": len(every),
            "create_median_ms": _median(every) * 1e3,
            "create_p99_ms": _pct(every, 99) * 1e3,
            "create_per_s": len(every) / wall,
            "get_median_us": _median(get_lat) * 1e6,
            "list_median_us": _median(list_lat) * 1e6,
            "listed": listed,
        }
    )


MODES = {
    "taskspec": mode_taskspec,
    "import": mode_import,
    "firstcall": mode_firstcall,
    "gettask": mode_gettask,
    "listtasks": mode_listtasks,
    "throughput": mode_throughput,
    "listoffset": mode_listoffset,
    "startup": mode_startup,
    "execlatency": mode_execlatency,
    "execload": mode_execload,
    "createload": mode_createload,
}

if __name__ == "__main__":
    MODES[sys.argv[1]](*sys.argv[2:])
