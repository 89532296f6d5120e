"""A real ``flyteplane sandbox`` process for the end-to-end tests, and the peers that talk to it.

One sandbox serves the whole session (it starts in about a second; every test uses its own entity names or
versions, so tests do not depend on each other's state). It listens on free loopback ports and keeps its state in
a temporary directory, as a user's ``flyteplane sandbox --state-dir DIR`` would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from flyteplane.clients.sync_client import SynchronousFlyteClient

WORKFLOWS = Path(__file__).resolve().parent / "workflows"
PROJECT = "flytesnacks"
DOMAIN = "development"
_READY = "flyteplane sandbox: Flyte Admin gRPC on "
_START_TIMEOUT = 60.0
_GRPC_CORE_LINE = re.compile(r"[EWIFD]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\.cc:\d+\]")


@dataclass(frozen=True)
class Sandbox:
    """A running ``flyteplane sandbox``."""

    process: subprocess.Popen[bytes]
    endpoint: str
    """``127.0.0.1:PORT`` of the gRPC side."""
    http_endpoint: str
    """``http://127.0.0.1:PORT`` of the HTTP side (signed data URLs, logs)."""
    config_file: Path
    """A flytekit/flytectl config YAML pointing at the sandbox."""
    log_file: Path

    def output(self) -> str:
        return self.log_file.read_text(errors="replace")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:  # bound together, so the ports differ
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _sandbox_env() -> dict[str, str]:
    # Nothing from the caller's flytekit set-up may reach the sandbox (or the task processes, which inherit it).
    return {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE", "FLYTECTL"))}


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("sandbox")
    grpc_port, http_port = _free_ports(2)
    log_file = root / "sandbox.log"
    command = [
        sys.executable,
        "-m",
        "flyteplane.cli.main",
        "sandbox",
        "--port",
        str(grpc_port),
        "--http-port",
        str(http_port),
        "--state-dir",
        str(root / "state"),
    ]
    with open(log_file, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_sandbox_env(), cwd=root
        )
    deadline = time.monotonic() + _START_TIMEOUT
    while _READY not in log_file.read_text(errors="replace"):
        if process.poll() is not None:
            pytest.fail(f"flyteplane sandbox exited with {process.returncode}:\n{log_file.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"flyteplane sandbox did not start within {_START_TIMEOUT:g}s:\n{log_file.read_text()}")
        time.sleep(0.05)
    endpoint = f"127.0.0.1:{grpc_port}"
    # The client config is the one the sandbox prints (its admin: and storage: sections), as a user would save it.
    config_file = root / "config.yaml"
    config_file.write_text(_printed_config(log_file))
    sandbox = Sandbox(process, endpoint, f"http://127.0.0.1:{http_port}", config_file, log_file)
    try:
        yield sandbox
    finally:
        process.send_signal(signal.SIGINT)
        code: int | None
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
        assert code == 0, f"flyteplane sandbox did not stop cleanly ({code}):\n{sandbox.output()[-4000:]}"
        # Whatever the session did to it, gRPC's C core wrote nothing to its user's terminal.
        core_lines = [line for line in sandbox.output().splitlines() if _GRPC_CORE_LINE.match(line)]
        assert core_lines == [], core_lines


def _printed_config(log_file: Path) -> str:
    """The config YAML the sandbox printed at start (from ``admin:`` to the line before ``Ctrl-C stops it.``)."""
    deadline = time.monotonic() + _START_TIMEOUT
    while "Ctrl-C stops it." not in (text := log_file.read_text(errors="replace")):
        if time.monotonic() > deadline:
            pytest.fail(f"flyteplane sandbox printed no config:\n{text}")
        time.sleep(0.05)
    lines = text.splitlines()
    start = lines.index("admin:")
    return "\n".join(lines[start : lines.index("Ctrl-C stops it.")]) + "\n"


@pytest.fixture(scope="session")
def remote(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    """flytekit's FlyteRemote, connected to the sandbox, with the storage settings the sandbox printed.

    flytekit reads outputs (``execution.outputs.get(...)``) in its current context, whose file access took its
    settings from the environment when flytekit was imported; a user's ``FLYTECTL_CONFIG`` would be read then. Here
    the sandbox starts later, so the session runs in a context with the remote's file access instead.
    """
    from flytekit.configuration import Config
    from flytekit.core.context_manager import FlyteContextManager
    from flytekit.remote import FlyteRemote

    class QuickPollRemote(FlyteRemote):  # type: ignore[misc]
        """FlyteRemote polling every 0.25 s, not every 30 s: ``execute(..., wait=True)`` calls ``wait`` without a
        poll interval, and a local run ends in about a second. Nothing else differs."""

        def wait(self, execution, timeout=None, poll_interval=None, sync_nodes=True):  # type: ignore[no-untyped-def]
            return super().wait(execution, timeout, poll_interval or timedelta(seconds=0.25), sync_nodes)

    # Storage settings from the printed config: outputs are s3:// URLs served by the sandbox's S3 endpoint.
    data_config = Config.auto(config_file=str(sandbox.config_file)).data_config
    remote = QuickPollRemote(
        Config.for_endpoint(sandbox.endpoint, insecure=True, data_config=data_config),
        default_project=PROJECT,
        default_domain=DOMAIN,
    )
    ctx = FlyteContextManager.current_context()
    with FlyteContextManager.with_context(ctx.with_file_access(remote.file_access)):
        yield remote


@pytest.fixture(scope="session")
def client(sandbox: Sandbox) -> Iterator[SynchronousFlyteClient]:
    """flyteplane's own SynchronousFlyteClient, connected to the sandbox."""
    c = SynchronousFlyteClient(sandbox.endpoint, insecure=True)
    with c:
        yield c


@pytest.fixture
def workflows_on_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tests/e2e/workflows`` importable as top-level modules (as flytekit names them when it registers)."""
    monkeypatch.syspath_prepend(str(WORKFLOWS))
    return WORKFLOWS
