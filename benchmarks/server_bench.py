"""Server benchmarks (issue "Embedded Flyte Admin"): start to first served RPC, GetTask throughput against a bare
Python gRPC server, and ListTasks at offset 0 vs 10,000. Servers run in their own processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    CHILD,
    HERE,
    PYTHON,
    ChildError,
    ServerProcess,
    child_env,
    free_ports,
    get_version,
    median,
    run_child,
)
from _results import Results

TP_CONFIGS = ((1, 1), (8, 1), (8, 8))  # (threads, channels)


# --- start to first served RPC ----------------------------------------------------------------------------------


def _startup_once() -> dict[str, float]:
    """Spawn ``_child.py startup``; wall time from spawn until its answer line arrives."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, str(CHILD), "startup"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(), cwd=str(HERE)
    )
    assert proc.stdout is not None
    result = None
    for raw in proc.stdout:
        line = raw.strip()
        if line.startswith(b"{"):
            result = json.loads(line)
            break
    total = (time.perf_counter() - t0) * 1e3
    _, err = proc.communicate(timeout=60)
    if result is None:
        raise ChildError(
            f"startup child gave no answer (exit {proc.returncode}):\n{err.decode(errors='replace')[-3000:]}"
        )
    result["total_ms"] = total
    return result


def _sandbox_once(log_dir: Path, attempts: int = 3) -> float:
    """``flyteplane sandbox --in-memory``: spawn until the banner, then a GetVersion from this process (ms)."""
    for attempt in range(attempts):
        port, http_port = free_ports(2)
        cmd = [PYTHON, "-m", "flyteplane.cli.main", "sandbox", "--in-memory", "--port", str(port)]
        cmd += ["--http-port", str(http_port)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(), cwd=str(HERE))
        assert proc.stdout is not None
        seen = []
        try:
            for raw in proc.stdout:
                seen.append(raw)
                if b"Flyte Admin gRPC on" in raw:
                    break
            else:
                text = b"".join(seen).decode(errors="replace")
                if "in use" in text and attempt + 1 < attempts:
                    continue  # another process took the port between the choice and the bind
                raise ChildError(f"flyteplane sandbox never served:\n{text[-3000:]}")
            get_version(f"127.0.0.1:{port}")
            return (time.perf_counter() - t0) * 1e3
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    raise AssertionError("unreachable")


def bench_startup(res: Results, r: int, runs: int, log_dir: Path) -> None:
    _startup_once()  # warm .pyc files
    per: dict[str, list[float]] = {}
    for _ in range(runs):
        for key, value in _startup_once().items():
            per.setdefault(key, []).append(float(value))
        per.setdefault("sandbox_ms", []).append(_sandbox_once(log_dir))
    for key, label in (
        ("total_ms", "spawn -> first GetVersion answered (AdminServer().start())"),
        ("in_process_ms", "in-process part (interpreter up -> answer)"),
        ("import_ms", "  import AdminServer"),
        ("start_ms", "  AdminServer().start()"),
        ("first_rpc_ms", "  channel + first GetVersion"),
        ("sandbox_ms", "`flyteplane sandbox --in-memory`: spawn -> banner -> GetVersion answered"),
    ):
        res.add(f"startup.{key}", label, "ms", median(per[key]))


# --- throughput ---------------------------------------------------------------------------------------------------


def bench_throughput(
    res: Results, r: int, servers: dict[str, ServerProcess], seconds: float, count: int, blocks: int
) -> None:
    """Per configuration, ``blocks`` windows per server, alternating servers, summed: a burst of foreign load on
    the shared machine then lands on both servers alike. Other processes' CPU during the windows is reported."""
    names = list(servers)
    for threads, channels in TP_CONFIGS:
        cfg = f"{threads}x{channels}"
        sums: dict[str, dict[str, float]] = {n: {} for n in names}
        for b in range(blocks):
            order = names if (r + b) % 2 == 0 else names[::-1]
            for name in order:
                server = servers[name]
                out = run_child(
                    [
                        "throughput",
                        server.endpoint,
                        str(server.pid),
                        str(threads),
                        str(channels),
                        str(seconds),
                        str(count),
                    ]
                )
                for key in ("calls", "window_s", "server_cpu_s", "client_cpu_s", "machine_busy_s"):
                    sums[name][key] = sums[name].get(key, 0.0) + float(out[key])
        for name in names:
            t = sums[name]
            calls, window = max(1.0, t["calls"]), t["window_s"]
            foreign = max(0.0, t["machine_busy_s"] - t["server_cpu_s"] - t["client_cpu_s"])
            prefix = f"tp.{name}.{cfg}"
            res.add(
                f"{prefix}.per_s",
                f"GetTask throughput, {threads} threads / {channels} channel(s)",
                "/s",
                t["calls"] / window,
            )
            res.add(f"{prefix}.server_cpu_us", "server CPU / call", "us", t["server_cpu_s"] / calls * 1e6)
            res.add(f"{prefix}.server_util", "server CPU use (cores)", "c", t["server_cpu_s"] / window)
            res.add(f"{prefix}.client_util", "client CPU use (cores)", "c", t["client_cpu_s"] / window)
            res.add(f"{prefix}.foreign_util", "other processes' CPU use (cores)", "c", foreign / window)
        res.ratio_this_round(f"tp.{cfg}.ratio", f"tp.flyteplane.{cfg}.per_s", f"tp.bare.{cfg}.per_s")
        res.ratio_this_round(
            f"tp.{cfg}.cpu_ratio", f"tp.flyteplane.{cfg}.server_cpu_us", f"tp.bare.{cfg}.server_cpu_us"
        )


# --- ListTasks at offset 0 vs 10,000 ----------------------------------------------------------------------------------


def bench_offset(res: Results, r: int, endpoint: str, calls: int, domain: str, name: str) -> None:
    for variant, list_name in (("named", name), ("project", "-")):
        out = run_child(["listoffset", endpoint, str(calls), domain, list_name])
        for tok in ("0", "10000"):
            if out[f"offset{tok}_page"] != 100:
                raise ChildError(f"ListTasks at token {tok} returned {out[f'offset{tok}_page']} tasks, not 100")
            res.add(
                f"offset.{variant}.{tok}.median_us",
                f"ListTasks(100) at offset {tok}, median",
                "us",
                out[f"offset{tok}_median_us"],
            )
            res.add(
                f"offset.{variant}.{tok}.p99_us",
                f"ListTasks(100) at offset {tok}, p99",
                "us",
                out[f"offset{tok}_p99_us"],
            )
        res.ratio_this_round(
            f"offset.{variant}.ratio", f"offset.{variant}.10000.median_us", f"offset.{variant}.0.median_us"
        )


if __name__ == "__main__":
    sys.exit("run benchmarks/run.py")
