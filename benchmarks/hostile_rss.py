"""The admin's memory under hostile load: server RSS after each scenario next to its idle RSS, in one run.

Each source tree given (default: this checkout's ``src``; add ``--against /path/to/other/src`` to compare, e.g. the
main branch) runs as a ``flyteplane sandbox`` subprocess with ``--auth self`` and a state directory, and goes
through three scenarios, its RSS read from ``/proc/PID/status`` (VmRSS) and sampled every 20 ms meanwhile:

1. **anonymous bodies** (issue item 7): ``--requests`` concurrent RegisterProject calls of ``--request-mib`` MiB
   each, without a token (all answered UNAUTHENTICATED).
2. **registered versions** (item 10): ``--tasks`` tasks of ``--task-mib`` MiB each registered, then each read once
   with GetTask (the registry's response cache).
3. **large logs** (item 11): ``--readers`` concurrent readers of one ``--log-mib`` MiB task log over ``/logs/``.

Usage::

    python benchmarks/hostile_rss.py                                  # this checkout
    python benchmarks/hostile_rss.py --against /work/main/src         # and another tree, side by side
    python benchmarks/hostile_rss.py --task-mib 20 --log-mib 200 --json out.json

The scenarios run one after the other in the same process. Prints a markdown table (MiB): idle, RSS before, peak
during and after each scenario, what the scenario left behind (after - before), and after/idle as a ratio.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

import grpc
from flyteidl.admin import common_pb2, project_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.service import admin_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_env, free_ports, proc_rss_mib

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
SECRET = "hostile-rss-benchmark"


class Sandbox:
    """``flyteplane sandbox --auth self`` from the source tree ``src``, with its own state directory."""

    def __init__(self, src: Path, state_dir: Path) -> None:
        self.src = src
        self.state_dir = state_dir
        self.port, self.http_port = free_ports(2)
        self.endpoint = f"127.0.0.1:{self.port}"
        self.http = f"http://127.0.0.1:{self.http_port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        env = child_env()
        env["PYTHONPATH"] = str(self.src)
        cmd = [sys.executable, "-m", "flyteplane.cli.main", "sandbox", "--port", str(self.port)]
        cmd += ["--http-port", str(self.http_port), "--state-dir", str(self.state_dir)]
        cmd += ["--auth", "self", "--client-secret", SECRET]
        log = open(self.state_dir.parent / f"sandbox-{self.port}.log", "wb")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(HERE))
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sandbox of {self.src} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.http}/healthcheck", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the sandbox of {self.src} did not serve in {timeout} s") from None
                time.sleep(0.1)
        # gRPC too (the HTTP side starts first).
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(self.endpoint))
        stub.ListProjects(project_pb2.ProjectListRequest(), metadata=self.bearer(), timeout=30, wait_for_ready=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def rss(self) -> float:
        assert self.proc is not None
        value = proc_rss_mib(self.proc.pid)
        if value is None:
            raise RuntimeError("the sandbox is gone")
        return value

    _token: str | None = None

    def bearer(self) -> list[tuple[str, str]]:
        if self._token is None:
            basic = base64.b64encode(f"flytepropeller:{quote_plus(SECRET)}".encode()).decode()
            request = urllib.request.Request(
                f"{self.http}/oauth2/token",
                data=urlencode({"grant_type": "client_credentials", "scope": "all"}).encode(),
                headers={"Authorization": f"Basic {basic}"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                self._token = json.loads(response.read())["access_token"]
        return [("authorization", f"Bearer {self._token}")]


@contextmanager
def peak_rss(sandbox: Sandbox) -> Iterator[dict[str, float]]:
    """Sample the sandbox's RSS every 20 ms while the block runs; ``result["peak"]`` once it ends."""
    result = {"peak": sandbox.rss}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            try:
                result["peak"] = max(result["peak"], sandbox.rss)
            except RuntimeError:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        done.set()
        sampler.join()


def settle(sandbox: Sandbox, seconds: float = 2.0) -> float:
    time.sleep(seconds)
    return sandbox.rss


def in_threads(n: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# -- the scenarios -----------------------------------------------------------------------------------------------
def anonymous_bodies(sandbox: Sandbox, requests: int, mib: int) -> dict[str, Any]:
    body = project_pb2.ProjectRegisterRequest(
        project=project_pb2.Project(id="big", name="big", description="x" * (mib * MIB))
    ).SerializeToString()
    codes: list[str] = []

    def send(_: int) -> None:
        with grpc.insecure_channel(sandbox.endpoint, options=[("grpc.max_send_message_length", -1)]) as channel:
            call = channel.unary_unary("/flyteidl.service.AdminService/RegisterProject")
            try:
                call(body, timeout=120)
                codes.append("OK")
            except grpc.RpcError as e:
                codes.append(e.code().name)  # type: ignore[attr-defined]

    before = sandbox.rss
    with peak_rss(sandbox) as peak:
        in_threads(requests, send)
    return {"before": before, "peak": peak["peak"], "after": settle(sandbox), "answers": sorted(set(codes))}


def _task(i: int, mib: int) -> task_pb2.TaskCreateRequest:
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development", name=f"big{i}", version="v1"
    )
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", "#" + "x" * (mib * MIB)]),
    )
    return task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template))


def registered_versions(sandbox: Sandbox, tasks: int, mib: int) -> dict[str, Any]:
    options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
    before = sandbox.rss
    with grpc.insecure_channel(sandbox.endpoint, options=options) as channel, peak_rss(sandbox) as peak:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        for i in range(tasks):
            stub.CreateTask(_task(i, mib), metadata=sandbox.bearer(), timeout=120)
        registered = settle(sandbox, 1.0)
        for i in range(tasks):
            tid = identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK,
                project="flytesnacks",
                domain="development",
                name=f"big{i}",
                version="v1",
            )
            stub.GetTask(common_pb2.ObjectGetRequest(id=tid), metadata=sandbox.bearer(), timeout=120)
    return {"before": before, "peak": peak["peak"], "after_registration": registered, "after": settle(sandbox)}


def large_logs(sandbox: Sandbox, readers: int, mib: int) -> dict[str, Any]:
    name = "flytesnacks-development-hostile-n0-0-0123456789.log"
    path = sandbox.state_dir / "logs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    block = b"a log line of a task that talks a lot\n" * (MIB // 38 + 1)
    with path.open("wb") as f:
        for _ in range(mib):
            f.write(block[:MIB])
    sizes: list[int] = []
    headers = dict(sandbox.bearer())

    def read(_: int) -> None:
        request = urllib.request.Request(f"{sandbox.http}/logs/{name}", headers=headers)
        total = 0
        with urllib.request.urlopen(request, timeout=300) as response:
            while chunk := response.read(MIB):
                total += len(chunk)
        sizes.append(total)

    before = sandbox.rss
    with peak_rss(sandbox) as peak:
        in_threads(readers, read)
    if sizes != [mib * MIB] * readers:
        raise RuntimeError(f"the log readers got {sizes} bytes, not {mib * MIB} each")
    return {"before": before, "peak": peak["peak"], "after": settle(sandbox)}


def measure(src: Path, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="hostile-rss-"))
    sandbox = Sandbox(src, work / "state")
    sandbox.state_dir.mkdir()
    try:
        sandbox.start()
        idle = settle(sandbox, 1.0)
        print(f"[{src}] idle {idle:.0f} MiB", file=sys.stderr)
        results: dict[str, Any] = {"src": str(src), "idle": idle}
        results["anonymous_bodies"] = anonymous_bodies(sandbox, args.requests, args.request_mib)
        print(f"[{src}] anonymous bodies {results['anonymous_bodies']}", file=sys.stderr)
        results["registered_versions"] = registered_versions(sandbox, args.tasks, args.task_mib)
        print(f"[{src}] registered versions {results['registered_versions']}", file=sys.stderr)
        results["large_logs"] = large_logs(sandbox, args.readers, args.log_mib)
        print(f"[{src}] large logs {results['large_logs']}", file=sys.stderr)
        return results
    finally:
        sandbox.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    scenarios = (
        ("anonymous_bodies", f"{args.requests} anonymous {args.request_mib} MiB requests (auth on)"),
        ("registered_versions", f"{args.tasks} tasks of {args.task_mib} MiB registered, each read once"),
        ("large_logs", f"{args.readers} readers of a {args.log_mib} MiB log"),
    )
    lines = [
        "| tree | scenario | idle MiB | before MiB | peak MiB | after MiB | after - before | after / idle |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for key, label in scenarios:
            r = run[key]
            lines.append(
                f"| {run['src']} | {label} | {run['idle']:.0f} | {r['before']:.0f} | {r['peak']:.0f} | "
                f"{r['after']:.0f} | {r['after'] - r['before']:+.0f} | {r['after'] / run['idle']:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, action="append", default=[], help="another source tree to measure")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--request-mib", type=int, default=30, help="under the default 32 MiB message limit")
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--task-mib", type=int, default=10)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--log-mib", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args(argv)
    trees = [HERE.parent / "src", *args.against]
    runs = [measure(tree.resolve(), args) for tree in trees]
    print(report(runs, args))
    if args.json is not None:
        args.json.write_text(json.dumps({"args": vars(args), "runs": runs}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
