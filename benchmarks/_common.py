"""Shared plumbing of the benchmarks: statistics, child processes, servers under test, task registration.

Everything that is measured runs in a fresh child process (``benchmarks/_child.py``) so that one client's imports
(flytekit leaves ~87k objects for the garbage collector) never slow down another's, and the servers under test run
in processes of their own so their GIL never competes with the measuring client's.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CHILD = HERE / "_child.py"
PYTHON = sys.executable

PROJECT = "flytesnacks"
DOMAIN = "development"
TASK_NAME = "benchmarks.workflows.bench_task"

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100.0 * len(sorted_values) + 0.5) - 1))
    return float(sorted_values[k])


def merge_blocks(outs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """One summary of several children's timed blocks (same client, same work), from their per-call latencies."""
    lat = sorted(x for o in outs for x in o["lat_us"])
    n = len(lat)
    cpu = sum(o["cpu_s"] for o in outs)
    wall = sum(o["wall_s"] for o in outs)
    return {
        "n": n,
        "median_us": median(lat),
        "p90_us": percentile(lat, 90),
        "p99_us": percentile(lat, 99),
        "max_us": lat[-1],
        "mean_us": sum(lat) / n,
        "cpu_us": cpu / n * 1e6,
        "per_s": n / wall,
    }


def fmt(value: float | None, unit: str) -> str:
    if value is None or value != value:  # NaN
        return "n/a"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "c":
        return f"{value:.2f}"
    if unit == "n":
        return f"{value:.0f}"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "us":
        return f"{value:,.0f} µs"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:g} {unit}"


# ---------------------------------------------------------------------------------------------------------------
# child processes
# ---------------------------------------------------------------------------------------------------------------


class ChildError(RuntimeError):
    pass


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # No config file or FLYTE_* setting of the machine may change what the clients do.
    for k in list(env):
        if k.startswith(("FLYTE", "FLYTECTL")):
            del env[k]
    env["FLYTECTL_CONFIG"] = os.devnull
    env.setdefault("PYTHONHASHSEED", "0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # warm .pyc caches, as a user has them
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def run_child(args: Sequence[str], *, timeout: float = 600, python_flags: Sequence[str] = ()) -> dict[str, Any]:
    """Run ``_child.py args...`` in a fresh interpreter; its last stdout line is a JSON object."""
    cmd = [PYTHON, *python_flags, str(CHILD), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=str(HERE))
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        raise ChildError(
            f"{' '.join(args[:2])} failed (exit {proc.returncode}):\n"
            f"{proc.stderr.strip()[-3000:]}\n{proc.stdout[-500:]}"
        )
    try:
        return json.loads(lines[-1])  # type: ignore[no-any-return]
    except json.JSONDecodeError as e:
        raise ChildError(f"{' '.join(args[:2])}: no JSON result: {lines[-1][:300]!r}") from e


# ---------------------------------------------------------------------------------------------------------------
# servers under test
# ---------------------------------------------------------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports (held open together while choosing, so no two are the same)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def start_with_retry(factory: Callable[[], ServerProcess], attempts: int = 3) -> ServerProcess:
    """Start a server on fresh ports; another process on this shared machine may take a port between the choice
    and the bind, so a bind failure is retried on new ports."""
    for attempt in range(attempts):
        server = factory()
        try:
            return server.start()
        except ChildError as e:
            if attempt + 1 == attempts or "in use" not in str(e).lower():
                raise
    raise AssertionError("unreachable")


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class ServerProcess:
    """A server under test in its own process; ``endpoint`` answers GetVersion once ``start()`` returns."""

    def __init__(self, name: str, cmd: list[str], port: int, log_dir: Path) -> None:
        self.name = name
        self.cmd = cmd
        self.port = port
        self.endpoint = f"127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_seconds = float("nan")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> ServerProcess:
        t0 = time.perf_counter()
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env(), cwd=str(HERE))
        log.close()
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise ChildError(f"{self.name} exited with {self.proc.returncode} before serving:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.perf_counter() > deadline:
                    self.stop()
                    raise ChildError(
                        f"{self.name} did not listen on {self.port} in {timeout:.0f} s:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.02)
        try:
            get_version(self.endpoint, timeout=max(1.0, deadline - time.perf_counter()))
        except Exception as e:
            self.stop()
            raise ChildError(f"{self.name} listens but GetVersion fails: {e}\n{self.log_tail()}") from e
        self.ready_seconds = time.perf_counter() - t0
        return self

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def rss_mib(self) -> float | None:
        return proc_rss_mib(self.pid)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def flyteplane_admin(log_dir: Path, state_dir: Path | None = None) -> ServerProcess:
    """``flyteplane sandbox`` in its own process (in memory unless ``state_dir``)."""
    port, http_port = free_ports(2)
    cmd = [PYTHON, "-m", "flyteplane.cli.main", "sandbox", "--port", str(port), "--http-port", str(http_port)]
    cmd += ["--in-memory"] if state_dir is None else ["--state-dir", str(state_dir)]
    return ServerProcess("flyteplane-admin", cmd, port, log_dir)


def bare_server(log_dir: Path, tasks_file: Path) -> ServerProcess:
    """``benchmarks/bare_server.py``: the limit of a Python gRPC server, answering from pre-serialized bytes."""
    port = free_port()
    cmd = [PYTHON, str(HERE / "bare_server.py"), "--port", str(port), "--tasks", str(tasks_file)]
    return ServerProcess("bare-server", cmd, port, log_dir)


def get_version(endpoint: str, timeout: float = 10.0) -> Any:
    import grpc
    from flyteidl.admin import version_pb2
    from flyteidl.service import admin_pb2_grpc

    with grpc.insecure_channel(endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        return stub.GetVersion(version_pb2.GetVersionRequest(), timeout=timeout, wait_for_ready=True)


# ---------------------------------------------------------------------------------------------------------------
# tasks: a real flytekit @task, registered many times
# ---------------------------------------------------------------------------------------------------------------

_SPEC_CACHE = Path(tempfile.gettempdir()) / "flyteplane-bench-task-spec.pb"


def task_spec_bytes() -> bytes:
    """A serialized ``admin.TaskSpec`` of a real flytekit ``@task`` (made once, by flytekit, in a child)."""
    if not _SPEC_CACHE.exists() or _SPEC_CACHE.stat().st_size == 0:
        run_child(["taskspec", str(_SPEC_CACHE)], timeout=120)
    return _SPEC_CACHE.read_bytes()


def version_of(i: int) -> str:
    return f"v{i:06d}"


def register_tasks(
    endpoint: str,
    count: int,
    *,
    name: str = TASK_NAME,
    project: str = PROJECT,
    domain: str = DOMAIN,
    threads: int = 8,
    start: int = 0,
) -> float:
    """CreateTask ``count`` versions of ``name`` over a raw stub with ``threads`` threads; returns the seconds taken.

    Versions are registered in order within each thread, so created_at is close to version order.
    """
    import grpc
    from flyteidl.admin import task_pb2
    from flyteidl.core import identifier_pb2
    from flyteidl.service import admin_pb2_grpc

    spec = task_pb2.TaskSpec.FromString(task_spec_bytes())
    errors: list[BaseException] = []
    lock = threading.Lock()
    next_i = [start]
    end = start + count

    def worker() -> None:
        with grpc.insecure_channel(endpoint) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            while True:
                with lock:
                    i = next_i[0]
                    if i >= end or errors:
                        return
                    next_i[0] += 1
                ident = identifier_pb2.Identifier(
                    resource_type=identifier_pb2.TASK, project=project, domain=domain, name=name, version=version_of(i)
                )
                try:
                    stub.CreateTask(task_pb2.TaskCreateRequest(id=ident, spec=spec), timeout=60)
                except grpc.RpcError as e:
                    if e.code() == grpc.StatusCode.ALREADY_EXISTS:
                        continue
                    with lock:
                        errors.append(e)
                    return

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, threads))]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        e = errors[0]
        detail = f"{e.code().name}: {e.details()}" if hasattr(e, "code") else repr(e)
        raise ChildError(f"CreateTask failed: {detail}")
    return time.perf_counter() - t0


def dump_tasks(endpoint: str, count: int, path: Path, *, name: str = TASK_NAME) -> int:
    """GetTask every registered version and write them length-delimited to ``path`` (the bare server's input)."""
    import grpc
    from flyteidl.admin import common_pb2
    from flyteidl.core import identifier_pb2
    from flyteidl.service import admin_pb2_grpc

    total = 0
    with grpc.insecure_channel(endpoint) as channel, open(path, "wb") as out:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        for i in range(count):
            ident = identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=name, version=version_of(i)
            )
            data = stub.GetTask(common_pb2.ObjectGetRequest(id=ident), timeout=30).SerializeToString()
            out.write(len(data).to_bytes(4, "little"))
            out.write(data)
            total += len(data)
    return total // max(1, count)


# ---------------------------------------------------------------------------------------------------------------
# the machine
# ---------------------------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    with contextlib.suppress(OSError):
        hv = Path("/sys/class/dmi/id/sys_vendor")
        if hv.exists():
            info["vendor"] = hv.read_text().strip()
    from importlib import metadata

    versions = {}
    for dist in ("flyteplane", "flytekit", "flyteidl", "grpcio", "protobuf", "SQLAlchemy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    info["versions"] = versions
    try:
        from google.protobuf.internal import api_implementation

        info["protobuf_backend"] = api_implementation.Type()
    except Exception:
        pass
    with contextlib.suppress(OSError):
        info["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    return info


@contextlib.contextmanager
def temp_dir(prefix: str = "flyteplane-bench-") -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as d:
        yield Path(d)


def print_measured(prefix: str, measure: Callable[[Path], dict[str, float]]) -> int:
    """Run ``measure`` in a fresh temporary directory and print its values as one JSON line (the last stdout line
    ``compare_revisions.py`` reads); the exit code."""
    with temp_dir(prefix) as tmp:
        print(json.dumps(measure(tmp)))
    return 0
