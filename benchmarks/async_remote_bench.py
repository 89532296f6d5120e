"""Async FlyteRemote benchmark: N concurrent executions launched and awaited with ``flyteplane.aio.FlyteRemote``
from one event loop, against a thread pool driving the blocking ``flyteplane.remote.FlyteRemote``, same admin, same
run.

Each variant runs ``execute(task, inputs={"x": i}, wait=True)`` then reads ``outputs["y"]`` for i in 0..N-1:

* ``threads``: a ``ThreadPoolExecutor`` of T workers (default 32) over the sync remote;
* ``async-bounded``: ``asyncio.gather`` over N coroutines, T executions at a time (the thread pool's concurrency);
* ``async``: ``asyncio.gather`` over N coroutines, all launched at once (the engine then runs N at once).

Both async variants keep at most 32 RPCs in flight (the remote's default). The task's container honors Flyte's
contract with a short ``python -c`` program. The admin is ``flyteplane sandbox --in-memory`` in its own process,
fresh for the run; variants alternate order between rounds. Reported: wall time, client CPU (this process), admin
CPU, and the ratios to ``threads``, side by side.

    python benchmarks/async_remote_bench.py [--n 200] [--threads 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import DOMAIN, PROJECT, flyteplane_admin, machine_info, median, start_with_retry, temp_dir

TASK = "benchmarks.async_remote.add_one"
# Read x from inputs.pb, write y = x + 1 to outputs.pb (Flyte's container contract).
ADD_ONE = (
    "import sys\n"
    "from flyteidl.core import literals_pb2\n"
    "local = lambda url: url[7:] if url.startswith('file://') else url\n"
    "inputs = literals_pb2.LiteralMap.FromString(open(local(sys.argv[1]), 'rb').read())\n"
    "outputs = literals_pb2.LiteralMap()\n"
    "outputs.literals['y'].scalar.primitive.integer = inputs.literals['x'].scalar.primitive.integer + 1\n"
    "open(local(sys.argv[2]).rstrip('/') + '/outputs.pb', 'wb').write(outputs.SerializeToString())\n"
)


def register(endpoint: str) -> None:
    from flyteplane.configuration import Config
    from flyteplane.models.core.identifier import Identifier, ResourceType
    from flyteplane.models.core.types import LiteralType, SimpleType
    from flyteplane.models.core.workflow import TaskTemplate
    from flyteplane.models.interface import TypedInterface
    from flyteplane.remote import FlyteRemote

    integer = LiteralType(simple=SimpleType.INTEGER)
    template = TaskTemplate(
        id=Identifier(ResourceType.TASK, PROJECT, DOMAIN, TASK, "v1"),
        type="python-task",
        metadata={},
        interface=TypedInterface(inputs={"x": integer}, outputs={"y": integer}),
        container={
            "image": "python:3.11",
            "command": [sys.executable, "-c", ADD_ONE],
            "args": ["{{.input}}", "{{.outputPrefix}}"],
        },
    )
    with FlyteRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN) as remote:
        remote.register_task(template)


def run_async(endpoint: str, n: int, at_once: int | None) -> list[int]:
    from flyteplane.aio import FlyteRemote
    from flyteplane.configuration import Config

    async def main() -> list[int]:
        async with FlyteRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN) as remote:
            task = await remote.fetch_task(name=TASK, version="v1")
            # None: every execution launched at once; a number: that many running at a time, as the thread pool.
            slots = asyncio.Semaphore(at_once or n)

            async def one(i: int) -> int:
                async with slots:
                    execution = await remote.execute(task, inputs={"x": i}, wait=True)
                    return int((await remote.outputs(execution))["y"])

            return list(await asyncio.gather(*(one(i) for i in range(n))))

    return asyncio.run(main())


def run_threads(endpoint: str, n: int, threads: int) -> list[int]:
    from flyteplane.configuration import Config
    from flyteplane.remote import FlyteRemote

    with FlyteRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN, show_progress=False) as remote:
        task = remote.fetch_task(name=TASK, version="v1")

        def one(i: int) -> int:
            execution = remote.execute(task, inputs={"x": i}, wait=True)
            return int(execution.outputs["y"])

        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, range(n)))


def measure(name: str, fn: Any, server: Any, n: int) -> dict[str, float]:
    cpu0, admin0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
    results = fn()
    wall = time.perf_counter() - t0
    if results != [i + 1 for i in range(n)]:
        raise AssertionError(f"{name}: wrong outputs")
    return {"wall_s": wall, "client_cpu_s": time.process_time() - cpu0, "admin_cpu_s": server.cpu_seconds() - admin0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="executions per variant per round")
    parser.add_argument("--threads", type=int, default=32, help="workers of the sync variant's thread pool")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    samples: dict[str, list[dict[str, float]]] = {"threads": [], "async-bounded": [], "async": []}
    with temp_dir() as tmp:
        server = start_with_retry(lambda: flyteplane_admin(tmp))
        try:
            register(server.endpoint)
            variants = {
                "threads": lambda: run_threads(server.endpoint, args.n, args.threads),
                "async-bounded": lambda: run_async(server.endpoint, args.n, args.threads),
                "async": lambda: run_async(server.endpoint, args.n, None),
            }
            for r in range(args.rounds):
                order = list(variants) if r % 2 == 0 else list(reversed(variants))
                for name in order:
                    print(f"round {r + 1}: {name} ...", file=sys.stderr, flush=True)
                    samples[name].append(measure(name, variants[name], server, args.n))
        finally:
            server.stop()
    summary = {name: {key: median([s[key] for s in runs]) for key in runs[0]} for name, runs in samples.items() if runs}
    ratios = {
        name: {key: summary[name][key] / summary["threads"][key] for key in summary[name]}
        for name in ("async-bounded", "async")
    }
    print(f"# async FlyteRemote vs thread pool of the sync FlyteRemote: {args.n} executions, median of {args.rounds}")
    print(
        f"(threads: a pool of {args.threads} running the sync remote; async-bounded: one event loop, {args.threads} "
        "executions at a time; async: one event loop, all launched at once; both async at most 32 RPCs in flight)\n"
    )
    print("| variant | wall s | client CPU s | admin CPU s | executions/s |")
    print("|---|---|---|---|---|")
    for name, values in summary.items():
        rate = args.n / values["wall_s"]
        print(
            f"| {name} | {values['wall_s']:.2f} | {values['client_cpu_s']:.2f} | {values['admin_cpu_s']:.2f} | "
            f"{rate:.1f} |"
        )
    for name, ratio in ratios.items():
        cells = " | ".join(f"{ratio[key]:.2f}x" for key in ("wall_s", "client_cpu_s", "admin_cpu_s"))
        print(f"| {name} / threads | {cells} | |")
    out = {"n": args.n, "threads": args.threads, "rounds": samples, "median": summary, "ratios": ratios}
    out["machine"] = machine_info()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    print(json.dumps({"median": summary, "ratios": ratios}))


if __name__ == "__main__":
    main()
