"""REST beside gRPC: GetTask and ListTasks(limit=100) over Flyte Admin's REST API (``/api/v1``, JSON as
flyteadmin's gateway writes it, and protobuf bodies as flyteconsole asks for them) next to the same RPCs over gRPC,
against one admin, in one run.

The admin under test runs in a process of its own (``--serve``: an in-memory AdminServer; its REST gateway on its
own HTTP side when the admin mounts it there, else under uvicorn beside it), so its GIL never competes with the
measuring client's. The client registers ``VERSIONS`` versions of a real flytekit task, then runs blocks in turn
(gRPC raw stub, REST JSON, REST protobuf; httpx with keep-alive), each block timing every call's wall latency;
the server's CPU per call comes from /proc. Numbers are medians over rounds; the ratio is REST / gRPC. The JSON
bodies are measured twice: with the gateway's body cache (the same task read again is not encoded again: what a
console reading the same pages sees) and against a second admin without it (``--cold``: every body encoded).

    PYTHONPATH=src python benchmarks/rest_bench.py                # 3 rounds
    PYTHONPATH=src python benchmarks/rest_bench.py --rounds 1 --calls 200
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DOMAIN,
    PROJECT,
    PYTHON,
    TASK_NAME,
    fmt,
    machine_info,
    median,
    percentile,
    proc_cpu_seconds,
    register_tasks,
    version_of,
)

VERSIONS = 128
LIST_LIMIT = 100


def serve(cold: bool) -> None:
    """The server process: an admin and its REST gateway; prints ``{"grpc": ..., "rest": ...}`` and waits.
    ``cold``: without the gateway's JSON body cache, so every JSON body is encoded."""
    import socket
    import threading

    from flyteplane.admin import AdminServer

    if cold:
        from flyteplane.admin.rest import marshal

        marshal._JSON_BODIES = marshal._BodyCache(0, 0)

    admin = AdminServer().start()
    rest = _mounted_rest_base(admin)
    if rest is None:  # the admin's HTTP side does not serve /api/v1 yet: uvicorn beside it
        import uvicorn

        from flyteplane.admin.rest import RestGateway

        assert admin.services is not None
        gateway = RestGateway.for_admin(admin.services, counter=admin.calls)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP: asyncio sets NODELAY
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(gateway.app(), log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        while not server.started:
            time.sleep(0.01)
        rest = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    print(json.dumps({"grpc": admin.endpoint, "rest": rest}), flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    admin.stop()


def _mounted_rest_base(admin: Any) -> str | None:
    import urllib.error
    import urllib.request

    url = f"{admin.http_endpoint}/api/v1/version"
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return f"{admin.http_endpoint}/api/v1" if reply.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def _block(call: Any, calls: int, pid: int) -> tuple[list[float], float]:
    """Per-call wall latencies (µs) and the server's CPU per call (µs)."""
    latencies = []
    cpu_before = proc_cpu_seconds(pid)
    for i in range(calls):
        start = time.perf_counter()
        call(i)
        latencies.append((time.perf_counter() - start) * 1e6)
    return latencies, (proc_cpu_seconds(pid) - cpu_before) / calls * 1e6


def measure(rounds: int, calls: int) -> dict[str, Any]:
    import grpc
    import httpx
    from flyteidl.admin import common_pb2, task_pb2
    from flyteidl.core import identifier_pb2
    from flyteidl.service import admin_pb2_grpc

    procs = [
        subprocess.Popen(
            [PYTHON, __file__, *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        for flags in (["--serve"], ["--serve", "--cold"])
    ]
    proc, cold_proc = procs
    try:
        assert proc.stdout is not None and cold_proc.stdout is not None
        endpoints = json.loads(proc.stdout.readline())
        cold = json.loads(cold_proc.stdout.readline())
        register_tasks(endpoints["grpc"], VERSIONS, threads=2)
        register_tasks(cold["grpc"], VERSIONS, threads=2)
        ids = [
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=TASK_NAME, version=version_of(i)
            )
            for i in range(VERSIONS)
        ]
        listing = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name=TASK_NAME), limit=LIST_LIMIT
        )
        task_path = f"/tasks/{PROJECT}/{DOMAIN}/{TASK_NAME}/" + "{}"
        list_path = f"/tasks/{PROJECT}/{DOMAIN}/{TASK_NAME}?limit={LIST_LIMIT}"
        task_url, list_url = endpoints["rest"] + task_path, endpoints["rest"] + list_path
        cold_task_url, cold_list_url = cold["rest"] + task_path, cold["rest"] + list_path
        json_headers = {"Accept": "application/json"}
        proto_headers = {"Accept": "application/octet-stream"}
        results: dict[str, dict[str, list[float]]] = {}
        with grpc.insecure_channel(endpoints["grpc"]) as channel, httpx.Client(timeout=60) as http:
            stub = admin_pb2_grpc.AdminServiceStub(channel)

            def rest_get(headers: dict[str, str], check: Any, url: str = task_url) -> Any:
                def call(i: int) -> None:
                    reply = http.get(url.format(version_of(i % VERSIONS)), headers=headers)
                    check(reply)

                return call

            def rest_list(headers: dict[str, str], check: Any, url: str = list_url) -> Any:
                def call(i: int) -> None:
                    check(http.get(url, headers=headers))

                return call

            def json_ok(reply: Any) -> None:
                assert reply.status_code == 200 and reply.json()

            def proto_ok(reply: Any) -> None:
                assert reply.status_code == 200 and reply.content

            variants = {
                "GetTask gRPC": (lambda i: stub.GetTask(common_pb2.ObjectGetRequest(id=ids[i % VERSIONS])), calls),
                "GetTask REST JSON": (rest_get(json_headers, json_ok), calls),
                "GetTask REST JSON, no body cache": (rest_get(json_headers, json_ok, cold_task_url), calls),
                "GetTask REST protobuf": (rest_get(proto_headers, proto_ok), calls),
                "ListTasks gRPC": (lambda i: stub.ListTasks(listing), max(10, calls // 10)),
                "ListTasks REST JSON": (rest_list(json_headers, json_ok), max(10, calls // 10)),
                "ListTasks REST JSON, no body cache": (
                    rest_list(json_headers, json_ok, cold_list_url),
                    max(10, calls // 10),
                ),
                "ListTasks REST protobuf": (rest_list(proto_headers, proto_ok), max(10, calls // 10)),
            }
            # One check that both sides answer the same task.
            grpc_task = stub.GetTask(common_pb2.ObjectGetRequest(id=ids[0]))
            rest_task = task_pb2.Task.FromString(
                http.get(task_url.format(version_of(0)), headers=proto_headers).content
            )
            assert grpc_task == rest_task
            for _ in range(rounds):
                for name, (call, n) in variants.items():
                    call(0)  # warm
                    latencies, cpu = _block(call, n, (cold_proc if "no body cache" in name else proc).pid)
                    latencies.sort()
                    entry = results.setdefault(name, {"median_us": [], "p90_us": [], "server_cpu_us": []})
                    entry["median_us"].append(median(latencies))
                    entry["p90_us"].append(percentile(latencies, 90))
                    entry["server_cpu_us"].append(cpu)
        return {name: {k: median(v) for k, v in entry.items()} for name, entry in results.items()}
    finally:
        for each in procs:
            if each.stdin is not None:
                each.stdin.close()
            try:
                each.wait(30)
            except subprocess.TimeoutExpired:
                each.kill()


def report(summary: dict[str, Any], rounds: int, calls: int) -> str:
    lines = [
        f"REST vs gRPC, {rounds} round(s), {calls} GetTask / {max(10, calls // 10)} ListTasks(limit={LIST_LIMIT}) "
        "calls per block; medians over rounds",
        "",
        "| call | median | p90 | server CPU/call | median vs gRPC |",
        "|---|---|---|---|---|",
    ]
    for name, entry in summary.items():
        base = summary[name.split(" ")[0] + " gRPC"]["median_us"]
        lines.append(
            f"| {name} | {fmt(entry['median_us'], 'n')} µs | {fmt(entry['p90_us'], 'n')} µs | "
            f"{fmt(entry['server_cpu_us'], 'n')} µs | {fmt(entry['median_us'] / base, 'x')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=500, help="GetTask calls per block (ListTasks: a tenth)")
    parser.add_argument("--json", type=Path, help="write the summary and the machine here")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.cold)
        return
    summary = measure(args.rounds, args.calls)
    print(report(summary, args.rounds, args.calls))
    if args.json:
        args.json.write_text(json.dumps({"rest": summary, "machine": machine_info()}, indent=2))


if __name__ == "__main__":
    main()
