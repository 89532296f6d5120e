"""Write-path benchmarks (issue "group commit"): CreateTask latency with 16 concurrent writers against one writer,
CreateExecution throughput with 8 client threads, and the read calls beside them, on an admin keeping its state
in a SQLite file (``flyteplane sandbox --state-dir``, where every commit waits for an fsync) and, for executions,
also in memory.

Measures the revision on ``PYTHONPATH`` and prints one JSON object (its last stdout line). It is meant to run under
``compare_revisions.py``, which runs it once per revision per round, alternating, and shows the ratios:

    python benchmarks/compare_revisions.py d4c9d1d --only commit_bench --rounds 3

Alone: ``PYTHONPATH=src python benchmarks/commit_bench.py [--seconds S] [--calls N]``.

* ``commit.start_ms``: spawn of ``flyteplane sandbox --state-dir`` (fresh directory) to its first GetVersion answer.
* ``commit.create1.*`` / ``commit.create16.*``: a fresh file-backed admin; a ``_child.py createload`` process with
  1 (then 16) threads, each on its own channel, each registering CALLS distinct task versions; CreateTask median
  and p99; ``commit.create16_vs_1`` is the 16-writer median over the 1-writer median of the same admin and round.
  After the writes the same child times GetTask (every version written by thread 0, three times) and
  ``ListTasks(limit=100)`` of that name, one thread.
* ``commit.exec8.file.*`` / ``commit.exec8.mem.*``: a fresh admin (file-backed, then in memory), the no-op raw
  container task of ``execution_bench.py``, ``_child.py execload`` with 8 threads for S seconds, then every
  execution drained; executions accepted per second and admin CPU per accepted execution.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import ChildError, flyteplane_admin, print_measured, run_child, start_with_retry
from execution_bench import NOOP_TASK, VERSION, register_noop


def _admin(log_dir: Path, state_dir: Path | None):  # type: ignore[no-untyped-def]
    return start_with_retry(lambda: flyteplane_admin(log_dir, state_dir))


def measure(seconds: float, calls: int, tmp: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    admin = _admin(tmp, tmp / "state-create")
    out["commit.start_ms"] = (time.perf_counter() - t0) * 1e3
    try:
        for threads in (1, 16):
            load = run_child(["createload", admin.endpoint, str(threads), str(calls), f"w{threads}"], timeout=600)
            prefix = f"commit.create{threads}"
            out[f"{prefix}.median_ms"] = load["create_median_ms"]
            out[f"{prefix}.p99_ms"] = load["create_p99_ms"]
            out[f"{prefix}.per_s"] = load["create_per_s"]
            out[f"{prefix}.get_median_us"] = load["get_median_us"]
            out[f"{prefix}.list_median_us"] = load["list_median_us"]
    finally:
        admin.stop()
    out["commit.create16_vs_1"] = out["commit.create16.median_ms"] / out["commit.create1.median_ms"]

    for store, state_dir in (("file", tmp / "state-exec"), ("mem", None)):
        admin = _admin(tmp, state_dir)
        try:
            register_noop(admin.endpoint)
            load = run_child(
                ["execload", admin.endpoint, str(admin.pid), NOOP_TASK, VERSION, "8", str(seconds), "300"],
                timeout=600 + seconds,
            )
        finally:
            admin.stop()
        if load.get("failed") or load.get("undrained"):
            raise ChildError(f"executions did not all succeed: {load}")
        prefix = f"commit.exec8.{store}"
        out[f"{prefix}.per_s"] = load["per_s"]
        out[f"{prefix}.admin_cpu_ms"] = load["admin_cpu_ms"]
        out[f"{prefix}.create_median_ms"] = load["create_median_ms"]
        out[f"{prefix}.done_per_s"] = load["done_per_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=4.0, help="CreateExecution load window")
    p.add_argument("--calls", type=int, default=60, help="CreateTask calls per writer thread")
    args = p.parse_args(argv)
    return print_measured("flyteplane-commit-bench-", lambda tmp: measure(args.seconds, args.calls, tmp))


if __name__ == "__main__":
    sys.exit(main())
