"""The embedded admin as a server: lifecycle, health, reflection, the sandbox command, durability."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import common_pb2, project_pb2, task_pb2, version_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, types_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer


def _stub(endpoint: str) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(endpoint))


def _task_request(name: str, version: str, project: str = "flytesnacks") -> task_pb2.TaskCreateRequest:
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=project, domain="development", name=name, version=version
    )
    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(
            inputs=interface_pb2.VariableMap(variables={"x": interface_pb2.Variable(type=integer)}),
            outputs=interface_pb2.VariableMap(variables={"y": interface_pb2.Variable(type=integer)}),
        ),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", "pass"]),
    )
    return task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template))


def test_start_stop_and_endpoints():
    admin = AdminServer()
    started = time.perf_counter()
    admin.start()
    try:
        assert time.perf_counter() - started < 5
        assert admin.endpoint.startswith("127.0.0.1:") and admin.port > 0
        assert admin.http_endpoint.startswith("http://127.0.0.1:")
        response = _stub(admin.endpoint).GetVersion(version_pb2.GetVersionRequest(), timeout=5)
        assert response.control_plane_version.Version
        import urllib.request

        with urllib.request.urlopen(f"{admin.http_endpoint}/healthcheck", timeout=5) as r:
            assert r.status == 200
    finally:
        admin.stop()
    with pytest.raises(grpc.RpcError):
        _stub(admin.endpoint).GetVersion(version_pb2.GetVersionRequest(), timeout=1)


def test_health_and_reflection(flyte_admin):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    channel = grpc.insecure_channel(flyte_admin.endpoint)
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "flyteadmin", "flyteidl.service.AdminService"):
        status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert {
        "flyteidl.service.AdminService",
        "flyteidl.service.DataProxyService",
        "flyteidl.service.SignalService",
        "grpc.health.v1.Health",
    } <= names


def test_flytesnacks_is_seeded_and_domains_are_flytes(flyte_admin):
    stub = _stub(flyte_admin.endpoint)
    projects = stub.ListProjects(project_pb2.ProjectListRequest(), timeout=5)
    assert [p.id for p in projects.projects] == ["flytesnacks"]
    assert projects.projects[0].description == "Default project setup."
    domains = stub.GetDomains(project_pb2.GetDomainRequest(), timeout=5)
    assert [d.id for d in domains.domains] == ["development", "staging", "production"]


def test_state_survives_a_restart(tmp_path):
    with AdminServer(state_dir=tmp_path) as admin:
        _stub(admin.endpoint).CreateTask(_task_request("kept", "v1"), timeout=5)
    with AdminServer(state_dir=tmp_path) as admin:
        got = _stub(admin.endpoint).GetTask(common_pb2.ObjectGetRequest(id=_task_request("kept", "v1").id), timeout=5)
        assert got.id.name == "kept"


def _sandbox(tmp_path: Path, port: int, http_port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flyteplane.cli.main",
            "sandbox",
            "--port",
            str(port),
            "--http-port",
            str(http_port),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_serving(endpoint: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _stub(endpoint).GetVersion(version_pb2.GetVersionRequest(), timeout=1)
            return
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _ports() -> tuple[int, int]:
    import socket

    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = tuple(s.getsockname()[1] for s in socks)
    for s in socks:
        s.close()
    return ports  # type: ignore[return-value]


def _serve_until(tmp_path: Path, sig: int) -> tuple[int, int | None, str]:
    """Run the sandbox command until it serves, then send it ``sig``: its port, exit code and output."""
    port, http_port = _ports()
    proc = _sandbox(tmp_path, port, http_port)
    try:
        _wait_serving(f"127.0.0.1:{port}")
    finally:
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
    return port, proc.returncode, out


def test_sandbox_command_prints_config_and_stops_on_sigterm(tmp_path):
    port, returncode, out = _serve_until(tmp_path, signal.SIGTERM)
    assert returncode == 0, out
    assert f"127.0.0.1:{port}" in out
    assert f"endpoint: dns:///127.0.0.1:{port}" in out
    assert "insecure: true" in out
    assert (tmp_path / "state" / "admin.db").exists()


def test_sandbox_stops_on_sigint(tmp_path):
    _, returncode, out = _serve_until(tmp_path, signal.SIGINT)
    assert returncode == 0, out
    assert "stopping" in out


def test_acknowledged_registrations_survive_sigkill(tmp_path):
    port, http_port = _ports()
    endpoint = f"127.0.0.1:{port}"
    proc = _sandbox(tmp_path, port, http_port)
    acknowledged = []
    try:
        _wait_serving(endpoint)
        stub = _stub(endpoint)
        for i in range(40):
            request = _task_request("durable", f"v{i}")
            stub.CreateTask(request, timeout=10)
            acknowledged.append(request.id)
    finally:
        proc.send_signal(signal.SIGKILL)  # right after the last acknowledgement: no clean shutdown
        proc.communicate(timeout=20)
    assert proc.returncode == -signal.SIGKILL
    proc = _sandbox(tmp_path, port, http_port)
    try:
        _wait_serving(endpoint)
        stub = _stub(endpoint)
        for tid in acknowledged:
            assert stub.GetTask(common_pb2.ObjectGetRequest(id=tid), timeout=5).id == tid
        listed = stub.ListTasks(
            common_pb2.ResourceListRequest(
                id=common_pb2.NamedEntityIdentifier(project="flytesnacks", domain="development", name="durable"),
                limit=100,
            ),
            timeout=5,
        )
        assert len(listed.tasks) == len(acknowledged)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_acknowledged_concurrent_writes_survive_sigkill(tmp_path):
    """16 writers at once share commits (group commit); every write answered before the kill is on disk."""
    import threading

    port, http_port = _ports()
    endpoint = f"127.0.0.1:{port}"
    proc = _sandbox(tmp_path, port, http_port)
    acknowledged: list[identifier_pb2.Identifier] = []
    lock = threading.Lock()
    stop = threading.Event()

    def write(writer: int) -> None:
        stub = _stub(endpoint)
        for i in range(1000):
            if stop.is_set():
                return
            request = _task_request(f"durable{writer}", f"v{i}")
            try:
                stub.CreateTask(request, timeout=10)
            except grpc.RpcError:
                return  # the kill cut this call off: it was never acknowledged
            with lock:
                acknowledged.append(request.id)

    try:
        _wait_serving(endpoint)
        writers = [threading.Thread(target=write, args=(w,)) for w in range(16)]
        for t in writers:
            t.start()
        while len(acknowledged) < 200:
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)  # while the writers are still writing: no clean shutdown
        proc.communicate(timeout=20)
        stop.set()
    for t in writers:
        t.join(20)
    assert proc.returncode == -signal.SIGKILL
    with lock:
        answered = list(acknowledged)
    proc = _sandbox(tmp_path, port, http_port)
    try:
        _wait_serving(endpoint)
        stub = _stub(endpoint)
        for tid in answered:
            assert stub.GetTask(common_pb2.ObjectGetRequest(id=tid), timeout=5).id == tid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_port_in_use_is_a_clear_error(flyte_admin):
    with pytest.raises(OSError, match="port"):
        AdminServer(port=flyte_admin.port).start()


def test_config_for_sandbox_connects_to_the_sandbox_with_nothing_to_configure(tmp_path, monkeypatch):
    """``flyteplane sandbox`` on its default port is what ``Config.for_sandbox()`` points at, and every other setting
    of ``for_sandbox()`` (plaintext, PKCE with no auth) suits it. The default port itself is not bound here: a user's
    sandbox may hold it while the tests run."""
    import dataclasses

    from flyteplane.cli.main import _parser
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.configuration import Config

    assert Config.for_sandbox().platform.endpoint == f"localhost:{_parser().parse_args(['sandbox']).port}"
    monkeypatch.setenv("HOME", str(tmp_path))  # no user config file may help
    port, http_port = _ports()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "flyteplane.cli.main", "sandbox", "--state-dir", str(tmp_path / "state")),
            *("--port", str(port), "--http-port", str(http_port)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_serving(f"127.0.0.1:{port}")
        platform = dataclasses.replace(Config.for_sandbox().platform, endpoint=f"localhost:{port}")
        client = SynchronousFlyteClient(platform)
        assert [d.id for d in client.get_domains()] == ["development", "staging", "production"]
        assert "flytesnacks" in [p.id for p in client.iter_projects()]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
