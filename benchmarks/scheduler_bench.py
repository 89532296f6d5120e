"""Scheduler lateness: how long after its scheduled time a schedule's execution exists, over 10 firings, next to
the latency of a CreateExecution sent directly to the same admin in the same run.

The admin is ``flyteplane sandbox --in-memory`` in its own process. A launch plan of the no-op task's one-node
workflow gets the cron schedule ``@every 2s`` (robfig's constant delay, which Flyte's native scheduler accepts) and
is activated; each scheduled execution's lateness is its ``closure.created_at`` minus its
``spec.metadata.scheduled_at``. The floor next to it: the wall time of CreateExecution of the same launch plan,
called directly (what any firing costs at least), 10 times.

    python benchmarks/scheduler_bench.py [--firings 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DOMAIN, PROJECT, median, percentile, temp_dir
from execution_bench import _ident, _stub, fanout_name, start_admin

EVERY_SECONDS = 2


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--firings", type=int, default=10)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2
    from flyteidl.core import identifier_pb2

    with temp_dir("flyteplane-bench-sched-") as logs:
        admin = start_admin(logs, fanout_nodes=1)
        try:
            stub = _stub(admin.endpoint)
            # A second launch plan of the same workflow, scheduled; the first one is launched directly.
            name = fanout_name(1)
            scheduled = _ident(identifier_pb2.LAUNCH_PLAN, f"{name}.scheduled")
            spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=_ident(identifier_pb2.WORKFLOW, name))
            spec.entity_metadata.schedule.cron_schedule.schedule = f"@every {EVERY_SECONDS}s"
            stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=scheduled, spec=spec), timeout=30)

            direct_ms = []
            for _ in range(10):
                request = execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN)
                request.spec.launch_plan.CopyFrom(_ident(identifier_pb2.LAUNCH_PLAN, name))
                t0 = time.perf_counter()
                stub.CreateExecution(request, timeout=30)
                direct_ms.append((time.perf_counter() - t0) * 1000)

            stub.UpdateLaunchPlan(
                launch_plan_pb2.LaunchPlanUpdateRequest(id=scheduled, state=launch_plan_pb2.ACTIVE), timeout=30
            )
            listing = common_pb2.ResourceListRequest(
                id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=500
            )
            deadline = time.monotonic() + EVERY_SECONDS * (args.firings + 5) + 30
            fired: list[execution_pb2.Execution] = []
            while len(fired) < args.firings and time.monotonic() < deadline:
                time.sleep(0.5)
                fired = [
                    e
                    for e in stub.ListExecutions(listing, timeout=30).executions
                    if e.spec.metadata.mode == execution_pb2.ExecutionMetadata.SCHEDULED
                ]
            stub.UpdateLaunchPlan(
                launch_plan_pb2.LaunchPlanUpdateRequest(id=scheduled, state=launch_plan_pb2.INACTIVE), timeout=30
            )
        finally:
            admin.stop()

    late_ms = sorted(
        (e.closure.created_at.ToNanoseconds() - e.spec.metadata.scheduled_at.ToNanoseconds()) / 1e6
        for e in fired[: args.firings]
    )
    result = {
        "firings": len(late_ms),
        "lateness_ms": {"median": median(late_ms), "p90": percentile(late_ms, 90), "max": max(late_ms)},
        "direct_create_execution_ms": {"median": median(direct_ms), "max": max(direct_ms)},
        "lateness_vs_direct": median(late_ms) / median(direct_ms),
    }
    print(
        f"scheduler lateness over {len(late_ms)} firings of @every {EVERY_SECONDS}s: median "
        f"{result['lateness_ms']['median']:.1f} ms, p90 {result['lateness_ms']['p90']:.1f} ms, max "
        f"{result['lateness_ms']['max']:.1f} ms; a direct CreateExecution: median "
        f"{result['direct_create_execution_ms']['median']:.1f} ms (lateness = {result['lateness_vs_direct']:.2f}x)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if len(late_ms) == args.firings else 1


if __name__ == "__main__":
    raise SystemExit(main())
