"""A ``flyteplane sandbox`` subprocess for the yardstick runners, and the flytectl config file that reaches it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox listening on ``port`` (gRPC) and ``port + 1`` (HTTP), and a config file pointing at it."""

    port: int
    config: Path
    log: Path


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Block until something accepts connections on ``127.0.0.1:port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"the sandbox did not listen on {port}")


def source_env(src: Path) -> dict[str, str]:
    """This environment with ``src`` first on the path (the flyteplane revision under test) and .pyc writing on."""
    env = dict(os.environ, PYTHONPATH=str(src.resolve()))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@contextlib.contextmanager
def sandbox(
    src: Path,
    port: int,
    workdir: Path,
    *,
    cwd: Path | None = None,
    task_path: tuple[Path, ...] = (),
    http_port: int | None = None,
) -> Iterator[RunningSandbox]:
    """Start ``flyteplane sandbox --in-memory`` from ``src`` on ``port`` (HTTP and S3 on ``http_port``, default
    ``port + 1``); stop it on exit.

    ``cwd`` is where the sandbox runs, and so what its task processes have on their path (the sandbox's default
    task environment): the stand-in for what the checkout's container image would hold; ``task_path`` adds
    directories to the tasks' ``PYTHONPATH`` (``--task-env``: tasks do not inherit the sandbox's environment).
    """
    task_env = ["--task-env", "PYTHONPATH=" + os.pathsep.join(str(p.resolve()) for p in task_path)] if task_path else []
    config = workdir / "config.yaml"
    config.write_text(f"admin:\n  endpoint: dns:///127.0.0.1:{port}\n  insecure: true\n")
    log_path = workdir / "sandbox.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flyteplane.cli.main", "sandbox", "--in-memory", "--port", str(port),
             "--http-port", str(http_port or port + 1), *task_env],
            env=source_env(src), stdout=log, stderr=subprocess.STDOUT, cwd=str(cwd or workdir),
        )  # fmt: skip
        try:
            wait_for_port(port)
            yield RunningSandbox(port, config, log_path)
        finally:
            process.terminate()
            process.wait(timeout=30)
