"""The engine: runs executions on this machine and reports them, playing propeller to the embedded admin.

:meth:`Engine.launch` starts a run in its own thread and returns at once; the run walks the compiled workflow
(:mod:`.dag`), its task nodes run as local processes (:mod:`.task_runner`), and every step is an event to the
:class:`~flyteplane.admin.managers.execution_records.EventRecorder`, so the records hold exactly what Flyte Admin
would after propeller's events: workflow QUEUED -> RUNNING -> SUCCEEDED / FAILED / ABORTED (FAILING while a
failure node runs), node and task executions likewise.

Settings (``AdminConfig.extra``):

* ``task_python``: the interpreter of the tasks' environment; its directory goes first on ``PATH`` (default: the
  admin's own ``sys.executable``, so the installed flytekit's ``pyflyte-execute`` runs the tasks);
* ``task_pythonpath``: extra ``PYTHONPATH`` entries for task processes (a list or an ``os.pathsep``-joined string;
  default: the admin's working directory, where a task module is found as in the image's work dir);
* ``task_kill_grace_seconds``: between SIGTERM and SIGKILL when an attempt is killed (default 2);
* ``raw_output_prefix``: the default raw output data prefix (default: ``raw/`` in the blob store).

Restart: runs are not resumed. :meth:`Engine.start` kills the task processes a previous admin process left running
and ends the executions it left open, FAILED with "the admin restarted while this execution was running".
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flyteidl.admin import execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.engine.dag import run_workflow
from flyteplane.admin.engine.events import Emitter, Recorder
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.engine.nodes import Scope
from flyteplane.admin.engine.restart import child_outcome, recovered_nodes, settle_unfinished
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.state import ChildLaunch, ChildOutcome, NodeOutcome, RunState, Services
from flyteplane.admin.engine.task_runner import ProcessTable

__all__ = ["ChildLaunch", "Engine"]

log = logging.getLogger("flyteplane.admin.engine")

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_STOP_REASON = "the admin is stopping"
_CHILD_POLL = 0.5
_CHILD_ABORT_WAIT = 30.0

_Key = tuple[str, str, str]


def _key(eid: identifier_pb2.WorkflowExecutionIdentifier) -> _Key:
    return (eid.project, eid.domain, eid.name)


@dataclass
class _Run:
    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    token: CancelToken
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class Engine:
    """Runs the executions of one admin.

    Args:
        ctx: the admin's context (store, config, and through it the blob and log stores).
        recorder: where every state change goes (the admin's EventRecorder).
        launch_child: starts the child execution of a launch-plan node and returns its id (the executions manager
            creates it as CreateExecution would, with ``mode = CHILD_WORKFLOW``, and launches it on this engine).
    """

    def __init__(
        self,
        ctx: AdminContext,
        recorder: Recorder,
        launch_child: Callable[[ChildLaunch], identifier_pb2.WorkflowExecutionIdentifier],
    ) -> None:
        self.ctx = ctx
        # Executions created before this moment were created by an earlier admin process (see start()).
        self._created_at = utcnow()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._runs: dict[_Key, _Run] = {}
        self._halted = False
        self._started = False
        self._http_endpoint: str | None = None
        self.emitter = Emitter(recorder, lambda: self._halted)
        self.blobs = BlobStore.for_context(ctx)
        self.logs = LogStore.for_context(ctx)
        extra = ctx.config.extra
        self._tmp: str | None = None
        if ctx.config.state_dir is not None:
            engine_dir = Path(ctx.config.state_dir).expanduser() / "engine"
            procs: Path | None = engine_dir / "procs"
        else:
            self._tmp = tempfile.mkdtemp(prefix="flyteplane-engine-")
            weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
            engine_dir, procs = Path(self._tmp), None
        self.processes = ProcessTable(procs)
        self.services = Services(
            blobs=self.blobs,
            logs=self.logs,
            emitter=self.emitter,
            processes=self.processes,
            python=str(extra.get("task_python") or sys.executable),
            pythonpath=_pythonpath(extra.get("task_pythonpath")),
            kill_grace=float(extra.get("task_kill_grace_seconds", 2.0)),  # type: ignore[arg-type]
            # A plain path, not a file:// URL: flytekit's local writers (pandas' parquet encoder among them) take
            # a file:// prefix for a relative path named "file:" and fail; plain paths are what its local runs use.
            raw_output_root=str(extra.get("raw_output_prefix") or self.blobs.path_of("raw").as_posix()),
            work_root=engine_dir / "work",
            http_endpoint=lambda: self._http_endpoint,
            launch_child=launch_child,
            wait_child=self._wait_child,
            terminate_child=self.terminate,
        )

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def bind_http(self, http_endpoint: str) -> None:
        """Serve log links under ``http_endpoint`` (``http://host:port``), the admin's HTTP side."""
        self._http_endpoint = http_endpoint.rstrip("/")

    def start(self) -> None:
        """Kill task processes an earlier admin process left running, and end the executions it left open."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._halted = False
            own = set(self._runs)
        killed = self.processes.kill_leftovers()
        if killed:
            log.warning("killed %d task process group(s) left by an earlier admin process: %s", len(killed), killed)
        settle_unfinished(self.ctx, self.emitter, self._created_at, own)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every run and kill its processes, recording nothing more: the runs stay open in the store and are
        ended by the next :meth:`start`."""
        with self._lock:
            self._halted = True
            runs = list(self._runs.values())
            self._changed.notify_all()
        for run in runs:
            run.token.cancel(_STOP_REASON)
        deadline = time.monotonic() + timeout
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._started = False

    # -- runs -----------------------------------------------------------------------------------------------------
    def launch(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        closure: compiler_pb2.CompiledWorkflowClosure,
        inputs: literals_pb2.LiteralMap,
        spec: execution_pb2.ExecutionSpec,
        *,
        recover_from: identifier_pb2.WorkflowExecutionIdentifier | None = None,
    ) -> None:
        """Start running an execution (its row exists, phase UNDEFINED); returns at once.

        With ``recover_from``, nodes that succeeded in that execution (same node id) are not run again: their
        outputs are reused and their node executions are RECOVERED.

        Raises:
            RuntimeError: the engine is stopped.
            ValueError: this execution is already running.
        """
        eid = identifier_pb2.WorkflowExecutionIdentifier()
        eid.CopyFrom(execution_id)
        key = _key(eid)
        with self._lock:
            if self._halted:
                raise RuntimeError("the execution engine is stopped")
            if key in self._runs:
                raise ValueError(f"execution {eid.project}/{eid.domain}/{eid.name} is already running")
            run = _Run(eid, CancelToken())
            self._runs[key] = run
        args = (run, _copy(closure), _copy(inputs), _copy(spec), _copy(recover_from) if recover_from else None)
        run.thread = threading.Thread(target=self._execute, args=args, name=f"run-{eid.name}", daemon=True)
        run.thread.start()

    def terminate(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str) -> None:
        """Abort a run: its task processes are killed, its running nodes end ABORTED, then the execution. An
        execution this engine does not run (any more) is recorded ABORTED at once (refused if it has ended)."""
        with self._lock:
            run = self._runs.get(_key(execution_id))
        if run is not None:
            run.token.cancel(cause or "terminated")
            return
        self.emitter.workflow(execution_id, _W.ABORTED)

    def is_running(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> bool:
        with self._lock:
            return _key(execution_id) in self._runs

    def wait(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, timeout: float | None = None) -> bool:
        """Block until this engine's run of the execution is over (True), or ``timeout`` passes (False)."""
        with self._lock:
            run = self._runs.get(_key(execution_id))
        return True if run is None else run.done.wait(timeout)

    def _execute(
        self,
        run: _Run,
        closure: compiler_pb2.CompiledWorkflowClosure,
        inputs: literals_pb2.LiteralMap,
        spec: execution_pb2.ExecutionSpec,
        recover_from: identifier_pb2.WorkflowExecutionIdentifier | None,
    ) -> None:
        eid, em = run.execution_id, self.emitter
        try:
            try:
                outcome = self._walk(run, closure, inputs, spec, recover_from)
            except Exception as e:  # a bug of the engine: the run still ends, with the reason
                log.exception("the run of %s failed in the engine", eid.name)
                outcome = NodeOutcome(
                    _N.FAILED,
                    error=core_execution_pb2.ExecutionError(
                        code="EngineError",
                        message=f"the engine failed running this execution: {e!r}",
                        kind=core_execution_pb2.ExecutionError.SYSTEM,
                    ),
                )
            if run.token.cancelled:
                em.workflow(eid, _W.ABORTED)
            elif outcome.phase == _N.SUCCEEDED:
                em.workflow(eid, _W.SUCCEEDED, output_uri=outcome.output_uri)
            else:
                em.workflow(eid, _W.FAILED, error=outcome.error)
        finally:
            with self._lock:
                self._runs.pop(_key(eid), None)
                self._changed.notify_all()
            run.done.set()

    def _walk(
        self,
        run: _Run,
        closure: compiler_pb2.CompiledWorkflowClosure,
        inputs: literals_pb2.LiteralMap,
        spec: execution_pb2.ExecutionSpec,
        recover_from: identifier_pb2.WorkflowExecutionIdentifier | None,
    ) -> NodeOutcome:
        eid, em = run.execution_id, self.emitter
        parallelism = spec.max_parallelism or self.ctx.config.max_parallelism or 25
        state = RunState(self.services, eid, closure, spec, run.token, parallelism)
        if recover_from is not None:
            state.recovered = recovered_nodes(self.ctx, recover_from)
        em.workflow(eid, _W.QUEUED)
        em.workflow(eid, _W.RUNNING)
        if run.token.cancelled:
            return NodeOutcome(_N.ABORTED)
        return run_workflow(
            state, closure.primary, inputs, Scope(), run.token, on_failing=lambda: em.workflow(eid, _W.FAILING)
        )

    def _wait_child(self, child: identifier_pb2.WorkflowExecutionIdentifier, token: CancelToken) -> ChildOutcome:
        """Wait for a child execution to end; when ``token`` is cancelled, abort the child and wait for that."""
        aborted_at: float | None = None
        while True:
            outcome = child_outcome(self.ctx, child)
            if outcome is not None:
                return outcome
            if self._halted:
                return ChildOutcome(_W.ABORTED)
            if token.cancelled:
                if aborted_at is None:
                    aborted_at = time.monotonic()
                    self.terminate(child, f"the parent execution was aborted: {token.reason}")
                elif time.monotonic() - aborted_at > _CHILD_ABORT_WAIT:
                    return ChildOutcome(_W.ABORTED)
            with self._changed:
                self._changed.wait(_CHILD_POLL)


def _copy(message):  # type: ignore[no-untyped-def]
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def _pythonpath(value: object) -> tuple[str, ...]:
    if value is None:
        return (os.getcwd(),)
    if isinstance(value, str):
        return tuple(p for p in value.split(os.pathsep) if p)
    if isinstance(value, (list, tuple)):
        return tuple(str(p) for p in value)
    raise TypeError("task_pythonpath must be a string or a list of paths")
