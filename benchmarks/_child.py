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


MODES = {
    "taskspec": mode_taskspec,
    "import": mode_import,
    "firstcall": mode_firstcall,
    "gettask": mode_gettask,
    "listtasks": mode_listtasks,
    "throughput": mode_throughput,
    "listoffset": mode_listoffset,
    "startup": mode_startup,
}

if __name__ == "__main__":
    MODES[sys.argv[1]](*sys.argv[2:])
