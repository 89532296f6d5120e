"""Client construction and first call, this checkout against a base revision, side by side in one run.

    python benchmarks/client_construct_bench.py                    # this tree only (and flytekit, the raw stub)
    python benchmarks/client_construct_bench.py --base main        # plus the base revision's clients, as ratios
    python benchmarks/client_construct_bench.py --base main --rounds 5 --runs 9 --json out.json

Each measurement is a fresh interpreter (``python client_construct_bench.py child KIND ENDPOINT VERSION``) that
imports its client module and builds the config and identifiers first (not timed), then times the construction,
the first ``get_task`` and a second one, against a ``flyteplane sandbox`` in another process. The base revision is
checked out with ``git worktree`` into a temporary directory and its children run with ``PYTHONPATH`` on its
``src`` (the admin and the harness are this checkout's). Kinds run interleaved, in a different order each round;
the report shows each value's median over a round's runs, then min / median over rounds, and the per-round ratios.

KIND: ``raw`` (flyteidl stub on a plain channel), ``flyteplane`` / ``flyteplane-raw`` (the synchronous friendly and
raw clients), ``aio`` / ``aio-raw`` (``flyteplane.aio.FlyteClient`` / ``RawFlyteClient``), ``flytekit``.
What is imported before the timing starts is the module of the client (and, for ``raw``, grpc and the stub
module, which that code imports itself; for the aio kinds, asyncio, which their program needs to run at all).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NEW_KINDS = ("raw", "flyteplane", "flyteplane-raw", "aio", "aio-raw", "flytekit")
BASE_KINDS = ("flyteplane", "flyteplane-raw")
METRICS = (
    ("construct_ms", "construction", "ms"),
    ("first_call_ms", "first get_task", "ms"),
    ("ready_ms", "construction + first get_task", "ms"),
    ("second_call_ms", "second get_task", "ms"),
    ("grpc_at_construct", "grpc imported by construction (1 = yes)", "n"),
)

# --- the measured process ------------------------------------------------------------------------------------------


def child(kind: str, endpoint: str, version: str) -> None:
    import gc

    project, domain, name = "flytesnacks", "development", "benchmarks.workflows.bench_task"
    versions = [version, f"v{int(version[1:]) + 1:06d}"]
    if kind in ("raw", "flyteplane-raw", "aio-raw"):
        from flyteidl.admin import common_pb2
        from flyteidl.core import identifier_pb2

        requests: list[Any] = [
            common_pb2.ObjectGetRequest(
                id=identifier_pb2.Identifier(
                    resource_type=identifier_pb2.TASK, project=project, domain=domain, name=name, version=v
                )
            )
            for v in versions
        ]
    elif kind == "flytekit":
        from flytekit.models.core.identifier import Identifier, ResourceType

        requests = [Identifier(ResourceType.TASK, project, domain, name, v) for v in versions]
    else:
        from flyteplane.models.core.identifier import Identifier, ResourceType  # type: ignore[no-redef]

        requests = [Identifier(ResourceType.TASK, project, domain, name, v) for v in versions]

    if kind == "raw":
        import grpc
        from flyteidl.service import admin_pb2_grpc

        def build() -> Any:
            return admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))

        def get(client: Any, request: Any) -> Any:
            return client.GetTask(request)

    elif kind == "flytekit":
        from flytekit.clients.friendly import SynchronousFlyteClient as FlytekitClient
        from flytekit.configuration import PlatformConfig as FlytekitConfig

        fk_cfg = FlytekitConfig(endpoint=endpoint, insecure=True)

        def build() -> Any:
            return FlytekitClient(fk_cfg)

        def get(client: Any, request: Any) -> Any:
            return client.get_task(request)

    else:
        from flyteplane.configuration import PlatformConfig

        cfg = PlatformConfig(endpoint=endpoint, insecure=True)
        if kind == "flyteplane":
            from flyteplane.clients.friendly import SynchronousFlyteClient as Client
        elif kind == "flyteplane-raw":
            from flyteplane.clients.raw import RawSynchronousFlyteClient as Client  # type: ignore[assignment]
        elif kind == "aio":
            import asyncio

            from flyteplane.aio.friendly import FlyteClient as Client  # type: ignore[assignment]
        elif kind == "aio-raw":
            import asyncio

            from flyteplane.aio.raw import RawFlyteClient as Client  # type: ignore[assignment]
        else:
            raise SystemExit(f"unknown kind {kind}")

        def build() -> Any:
            return Client(cfg)

        def get(client: Any, request: Any) -> Any:
            return client.get_task(request)

    gc.collect()
    out: dict[str, float] = {}
    if kind in ("aio", "aio-raw"):

        async def main() -> None:
            t1 = time.perf_counter()
            client = build()
            t2 = time.perf_counter()
            out["grpc_at_construct"] = float("grpc" in sys.modules)
            first = await get(client, requests[0])
            t3 = time.perf_counter()
            await get(client, requests[1])
            t4 = time.perf_counter()
            assert first is not None
            out.update(construct_ms=(t2 - t1) * 1e3, first_call_ms=(t3 - t2) * 1e3, second_call_ms=(t4 - t3) * 1e3)
            await client.close()

        asyncio.run(main())
    else:
        grpc_before = "grpc" in sys.modules
        t1 = time.perf_counter()
        client = build()
        t2 = time.perf_counter()
        out["grpc_at_construct"] = float("grpc" in sys.modules and not grpc_before)
        first = get(client, requests[0])
        t3 = time.perf_counter()
        get(client, requests[1])
        t4 = time.perf_counter()
        assert first is not None
        out.update(construct_ms=(t2 - t1) * 1e3, first_call_ms=(t3 - t2) * 1e3, second_call_ms=(t4 - t3) * 1e3)
    out["ready_ms"] = out["construct_ms"] + out["first_call_ms"]
    print(json.dumps(out))


# --- the harness -----------------------------------------------------------------------------------------------------


def _run(kind: str, endpoint: str, version: str, src: Path) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from _common import ChildError, child_env

    env = child_env()
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH", "")])])
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "child", kind, endpoint, version],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(HERE),
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        raise ChildError(f"{kind} ({src}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", help="a git revision to measure next to this tree (its flyteplane clients)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=7, help="fresh processes per kind per round")
    p.add_argument("--json", help="write every per-round value here")
    args = p.parse_args(argv)

    sys.path.insert(0, str(HERE))
    from _common import flyteplane_admin, median, register_tasks, temp_dir, version_of

    variants: list[tuple[str, str]] = [("new", k) for k in NEW_KINDS]
    if args.base:
        variants += [("base", k) for k in BASE_KINDS]
    per_round: dict[str, list[float]] = {}
    with temp_dir("flyteplane-construct-") as tmp:
        srcs = {"new": REPO / "src"}
        if args.base:
            base_dir = tmp / "base"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_dir), args.base],
                check=True,
                capture_output=True,
            )
            srcs["base"] = base_dir / "src"
        try:
            with flyteplane_admin(tmp) as admin:
                count = 2 * args.runs * len(variants) + 2
                register_tasks(admin.endpoint, count)
                for rev, kind in variants:  # warm: .pyc files written, page cache filled
                    _run(kind, admin.endpoint, version_of(0), srcs[rev])
                n = 0
                for r in range(args.rounds):
                    values: dict[tuple[str, str], dict[str, list[float]]] = {v: {} for v in variants}
                    for j in range(args.runs):
                        shift = (r * args.runs + j) % len(variants)
                        for rev, kind in variants[shift:] + variants[:shift]:
                            out = _run(kind, admin.endpoint, version_of(n % (count - 1)), srcs[rev])
                            n += 2
                            for key, value in out.items():
                                values[(rev, kind)].setdefault(key, []).append(value)
                    for (rev, kind), by_key in values.items():
                        for key, vals in by_key.items():
                            per_round.setdefault(f"{rev}.{kind}.{key}", []).append(median(vals))
                    for key in ("construct_ms", "first_call_ms", "ready_ms", "second_call_ms"):
                        for kind in NEW_KINDS:
                            if kind != "flytekit" and key != "second_call_ms":
                                per_round.setdefault(f"ratio.{kind}.vs_flytekit.{key}", []).append(
                                    per_round[f"new.{kind}.{key}"][-1] / per_round[f"new.flytekit.{key}"][-1]
                                )
                        if args.base:
                            for kind in BASE_KINDS:
                                per_round.setdefault(f"ratio.{kind}.new_vs_base.{key}", []).append(
                                    per_round[f"new.{kind}.{key}"][-1] / per_round[f"base.{kind}.{key}"][-1]
                                )
                    print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            if args.base:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tmp / "base")], capture_output=True
                )

    def cell(key: str, digits: int = 2) -> str:
        vals = per_round.get(key)
        if not vals:
            return "-"
        return f"{min(vals):.{digits}f} / {median(vals):.{digits}f}"

    print(f"## Client construction and first call ({args.rounds} rounds x {args.runs} processes; min / median)\n")
    heads = [f"{rev}:{kind}" for rev, kind in variants]
    print("| metric | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(heads))
    for key, label, unit in METRICS:
        print(f"| {label} ({unit}) | " + " | ".join(cell(f"{rev}.{kind}.{key}") for rev, kind in variants) + " |")
    print("\n| ratio (per round) | " + " | ".join(k for k in NEW_KINDS if k != "flytekit") + " |")
    print("|---|" + "---|" * (len(NEW_KINDS) - 1))
    for key, label, _ in METRICS[:3]:
        row = [cell(f"ratio.{k}.vs_flytekit.{key}", 3) for k in NEW_KINDS if k != "flytekit"]
        print(f"| {label} / flytekit's | " + " | ".join(row) + " |")
    if args.base:
        print(f"\n| new / base ({args.base}), per round | " + " | ".join(BASE_KINDS) + " |")
        print("|---|" + "---|" * len(BASE_KINDS))
        for key, label, _ in METRICS[:4]:
            row = [cell(f"ratio.{k}.new_vs_base.{key}", 3) for k in BASE_KINDS]
            print(f"| {label} | " + " | ".join(row) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "per_round": per_round}, indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:5])
    else:
        sys.exit(main())
