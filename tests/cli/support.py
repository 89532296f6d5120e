"""``flyteplane sandbox`` as a user runs it: a real process, its stdout and stderr kept apart in files."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

READY = "flyteplane sandbox: Flyte Admin gRPC on "

GRPC_CORE_LINE = re.compile(r"^[EWIFD]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\.cc:\d+\]", re.MULTILINE)
"""A log line of gRPC's C core (``E1207 12:00:00.123456   123 add_port.cc:83] Failed to add port ...``)."""


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:  # bound together, so the ports differ
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class SandboxProcess:
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    @property
    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> SandboxProcess:
        deadline = time.monotonic() + timeout
        while READY not in self.stdout:
            if self.process.poll() is not None:
                raise AssertionError(f"sandbox exited with {self.process.returncode}:\n{self.stdout}\n{self.stderr}")
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"sandbox did not start:\n{self.stdout}\n{self.stderr}")
            time.sleep(0.05)
        return self

    def wait_exit(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_sandbox(workdir: Path, *args: str, name: str = "sandbox") -> SandboxProcess:
    """``python -m flyteplane.cli.main sandbox ARGS`` with no Flyte settings of the caller's, in ``workdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE", "GRPC_"))}
    out, err = workdir / f"{name}.out", workdir / f"{name}.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        process = subprocess.Popen(
            [sys.executable, "-m", "flyteplane.cli.main", "sandbox", *args],
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=workdir,
        )
    return SandboxProcess(process, out, err)
