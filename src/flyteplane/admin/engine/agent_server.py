"""A local agent server: flytekit's own ``pyflyte serve agent``, started on this machine for tasks without a container.

On a Flyte cluster, agents are a deployment that propeller's agent plugin dials (``agentService.defaultAgent`` and
``agentForTaskTypes`` in its config). Here the sandbox starts one itself, the first time a run needs it: the
command is the task environment's ``pyflyte serve agent --port N`` (so its agent registry is flytekit's: the sensor
engine, the webhook agent, agents of installed plugins found through the ``flytekit.plugins`` entry points, and the
modules named in :attr:`~flyteplane.admin.config.AdminConfig.agent_modules`, passed as ``--modules``). It runs in its
own process group, recorded in the engine's process table (so a crashed admin's server is killed by the next start),
with stdout and stderr in one log file whose end is quoted when the server cannot start.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import grpc
from flyteidl.admin import agent_pb2
from flyteidl.service import agent_pb2_grpc

from flyteplane.admin.engine.task_runner import ProcessTable

__all__ = ["AgentServerError", "LocalAgentServer"]

_READY_POLL_SECONDS = 0.1
# The local server is dialled directly: an http_proxy of the environment must not be used for it.
_CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]
_LOG_TAIL_LINES = 30


class AgentServerError(Exception):
    """The local agent server could not be started (its message says why, and where its log is)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalAgentServer:
    """``pyflyte serve agent`` in the task environment, started on first use and stopped with the engine.

    Args:
        python: the task environment's interpreter; its ``pyflyte`` (same directory) serves the agents.
        pythonpath: ``PYTHONPATH`` entries of the server (the tasks' own, so agent modules are found as tasks are).
        modules: modules the server imports at start (``--modules``), which register more agents.
        work_dir: the server's working directory; its log is ``agent-server.log`` there.
        processes: the engine's process table (the server's group is recorded while it runs).
        start_timeout: seconds the server may take to answer ``ListAgents`` before the start counts as failed.
        kill_grace: seconds between SIGTERM and SIGKILL when it is stopped.
    """

    def __init__(
        self,
        python: str,
        pythonpath: tuple[str, ...],
        modules: tuple[str, ...],
        work_dir: Path,
        processes: ProcessTable,
        *,
        start_timeout: float = 60.0,
        kill_grace: float = 2.0,
    ) -> None:
        self.python = python
        self.pythonpath = pythonpath
        self.modules = modules
        self.work_dir = work_dir
        self.log_path = work_dir / "agent-server.log"
        self.processes = processes
        self.start_timeout = start_timeout
        self.kill_grace = kill_grace
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # set by stop(): a start under way gives up instead of holding it up
        self._proc: subprocess.Popen[bytes] | None = None
        self._endpoint: str | None = None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        proc = self._proc
        return proc is not None and proc.poll() is None

    def endpoint(self) -> str:
        """The server's ``host:port``, starting it if it is not running (raises :class:`AgentServerError`)."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and self._endpoint is not None:
                return self._endpoint
            self._stop_locked()
            return self._start_locked()

    def _command(self, port: int) -> list[str]:
        pyflyte = Path(self.python).parent / "pyflyte"
        if not pyflyte.is_file():
            raise AgentServerError(
                f"cannot start a local agent server: there is no pyflyte next to {self.python} (is flytekit installed "
                "in the task environment?); set AdminConfig.agent_endpoint to an agent server instead"
            )
        # A prometheus port of its own: flytekit's default (9090) would collide between two admins on one machine.
        argv = [str(pyflyte), "serve", "agent", "--port", str(port), "--prometheus_port", str(_free_port())]
        for module in self.modules:
            argv += ["--modules", module]
        return argv

    def _start_locked(self) -> str:
        port = _free_port()
        argv = self._command(port)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        python_dir = str(Path(self.python).parent)
        env["PATH"] = os.pathsep.join(p for p in (python_dir, env.get("PATH", "")) if p)
        paths = [*self.pythonpath, *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        with open(self.log_path, "ab") as log_file:
            log_file.write(f"[flyteplane] starting {' '.join(argv)}\n".encode())
            log_file.flush()
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.work_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own group: stopping it reaches whatever it started
                )
            except OSError as e:
                raise AgentServerError(f"cannot start a local agent server ({argv[0]}): {e.strerror or e}") from e
        self._proc = proc
        self.processes.add(proc.pid)
        endpoint = f"127.0.0.1:{port}"
        try:
            self._wait_ready(proc, endpoint, argv)
        except BaseException:
            self._stop_locked()
            raise
        self._endpoint = endpoint
        return endpoint

    def _wait_ready(self, proc: subprocess.Popen[bytes], endpoint: str, argv: list[str]) -> None:
        """Until the server answers ListAgents (flytekit needs a few seconds to import), it exits, or time runs out."""
        deadline = time.monotonic() + self.start_timeout
        with grpc.insecure_channel(endpoint, options=_CHANNEL_OPTIONS) as channel:
            stub = agent_pb2_grpc.AgentMetadataServiceStub(channel)
            while True:
                if self._stopping.is_set():
                    raise AgentServerError("the local agent server was stopped while it was starting")
                code = proc.poll()
                if code is not None:
                    raise AgentServerError(
                        f"the local agent server ({' '.join(argv[1:4])}) exited with code {code} before it served; "
                        f"the end of its log ({self.log_path}):\n{self._log_tail()}"
                    )
                try:
                    stub.ListAgents(agent_pb2.ListAgentsRequest(), timeout=1.0)
                    return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise AgentServerError(
                        f"the local agent server did not answer at {endpoint} within {self.start_timeout:g}s; the end "
                        f"of its log ({self.log_path}):\n{self._log_tail()}"
                    )
                time.sleep(_READY_POLL_SECONDS)

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = collections.deque(f, maxlen=_LOG_TAIL_LINES)
        except OSError:
            return "(no log)"
        return b"".join(lines).decode(errors="replace").strip() or "(empty)"

    def stop(self) -> None:
        """Stop the server (SIGTERM to its group, SIGKILL after the grace period); a later use starts it again."""
        self._stopping.set()
        try:
            with self._lock:
                self._stop_locked()
        finally:
            self._stopping.clear()

    def _stop_locked(self) -> None:
        proc, self._proc, self._endpoint = self._proc, None, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=self.kill_grace)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.processes.remove(proc.pid)

    def __repr__(self) -> str:
        return f"LocalAgentServer({self._endpoint or 'not running'})"
