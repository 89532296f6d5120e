"""The engine: runs executions on this machine and reports them, playing propeller to the embedded admin.

:meth:`Engine.launch` starts a run in its own thread and returns at once; the run walks the compiled workflow
(:mod:`.dag`), its task nodes run as local processes (:mod:`.task_runner`), and every step is an event through the
engine's port (:mod:`.port`) to the admin's event recorder, so the records hold exactly what Flyte Admin would
after propeller's events: workflow QUEUED -> RUNNING -> SUCCEEDED / FAILED / ABORTED (FAILING while a
failure node runs), node and task executions likewise.

Settings: ``AdminConfig.task_python``, ``task_pythonpath``, ``task_kill_grace_seconds``, ``raw_output_prefix`` and
``warm_processes`` (see :class:`~flyteplane.admin.config.AdminConfig`; :mod:`.warm_processes`); tasks without a
container go to agents (:mod:`.agent_tasks`, the ``agent_*`` settings), whose local server the engine stops with
itself, as it stops its fork servers.

A launch-plan node asks the port to create its child execution and runs it here too; it learns that the child
ended from the port, which the recorder wakes when the child's terminal event is recorded.

Restart: runs survive the admin stopping, cleanly or not. :meth:`Engine.launch`'s run keeps its request in the blob
store; :meth:`Engine.start` kills the task processes a previous admin process left running and resumes the
executions it left open from their records (:mod:`.resume`): nodes that ended keep their outcome, interrupted task
attempts run again as the next attempt, gates keep waiting, launch-plan nodes wait for the child they started. The
few runs that cannot go on are ended (:mod:`.settle`).
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
from dataclasses import dataclass, field, replace
from pathlib import Path

import grpc
from flyteidl.admin import execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.engine.agent_tasks import AgentTasks, agents_for
from flyteplane.admin.engine.environments import task_environment_for
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.engine.platform_access import PlatformAccess
from flyteplane.admin.engine.port import AdminPort, ChildLaunch, ChildOutcome, RunRequest, UnfinishedRun
from flyteplane.admin.engine.resume import Resumed, ResumeEmitter, load_run, save_run
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.settle import ABORTED_PARENT_MESSAGE, RESTART_MESSAGE, settle_run
from flyteplane.admin.engine.state import EngineResources, NodeOutcome, RunState
from flyteplane.admin.engine.storage_env import TaskStorage
from flyteplane.admin.engine.task_runner import ProcessTable
from flyteplane.admin.engine.warm_processes import warm_pool_for
from flyteplane.admin.errors import AdminError

__all__ = ["Engine"]

log = logging.getLogger("flyteplane.admin.engine")

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_STOP_REASON = "the admin is stopping"
# How long a launch-plan node gives its aborted child to end before it stops waiting.
_CHILD_ABORT_WAIT = 30.0
# A child's wait has no deadline of its own: the parent's cancel token and the engine's halt end it.
_NO_DEADLINE = float("inf")

_Key = tuple[str, str, str]


def _key(eid: identifier_pb2.WorkflowExecutionIdentifier) -> _Key:
    return (eid.project, eid.domain, eid.name)


@dataclass
class _Run:
    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    token: CancelToken
    emitter: Emitter
    resumed: Resumed | None = None
    keep: bool = False
    """Keep the run's request for a later admin process (:func:`~.resume.save_run`) before it starts."""
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class Engine:
    """Runs the executions of one admin.

    Args:
        config: the admin's settings (the task environment, the default max parallelism, the state directory).
        blobs: where inputs and outputs are read and written.
        logs: where task attempts' output goes.
        port: the rest of the admin (events, child executions, what a start finds).
        http_endpoint: the admin's HTTP side (``http://host:port``), where log links point; None until it listens.
        agents: the plugin for tasks without a container (the caller stops it); None: one built from ``config``.
        platform: how task processes reach the admin (its gRPC endpoint, TLS, a credential for eager tasks);
            by default they are told nothing.
    """

    def __init__(
        self,
        config: AdminConfig,
        blobs: BlobStore,
        logs: LogStore,
        port: AdminPort,
        *,
        http_endpoint: Callable[[], str | None] = lambda: None,
        agents: AgentTasks | None = None,
        platform: PlatformAccess | None = None,
    ) -> None:
        self.config = config
        self.port = port
        # Executions created before this moment were created by an earlier admin process (see start()).
        self._created_at = utcnow()
        self._lock = threading.Lock()
        self._runs: dict[_Key, _Run] = {}
        self._halted = False
        self._started = False
        self.emitter = Emitter(port, lambda: self._halted)
        self.blobs = blobs
        self.logs = logs
        self._tmp: str | None = None
        if config.state_dir is not None:
            engine_dir = Path(config.state_dir).expanduser() / "engine"
            procs: Path | None = engine_dir / "procs"
        else:
            self._tmp = tempfile.mkdtemp(prefix="flyteplane-engine-")
            weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
            engine_dir, procs = Path(self._tmp), None
        self.processes = ProcessTable(procs)
        python = config.task_python or sys.executable
        pythonpath = config.task_pythonpath if config.task_pythonpath is not None else (os.getcwd(),)
        # Agents given are the giver's to stop; those built here (a local agent server) stop with this engine.
        self._own_agents = agents is None
        self.agents = agents or agents_for(config, python, pythonpath, engine_dir, self.processes)
        # Fork servers of task environments (warm_processes.py); their processes start with the first task.
        self.warm = warm_pool_for(config, engine_dir / "warm", blobs.local_path_of_url)
        self.services = EngineResources(
            blobs=self.blobs,
            logs=self.logs,
            emitter=self.emitter,
            processes=self.processes,
            python=python,
            pythonpath=pythonpath,
            kill_grace=config.task_kill_grace_seconds,
            # s3://<bucket>/data once the S3 endpoint serves, as the Flyte sandbox's (storage_env.py).
            raw_output_root=config.raw_output_prefix or "",
            storage=TaskStorage(blobs, http_endpoint, config.s3_access_key_id, config.s3_secret_access_key),
            work_root=engine_dir / "work",
            http_endpoint=http_endpoint,
            launch_child=self._launch_child,
            wait_child=self._wait_child,
            terminate_child=self.terminate,
            launch_plan=lambda launch_plan_id: self.port.get_launch_plan(launch_plan_id),
            signals=port,
            agents=self.agents,
            catalog=port,
            platform=platform or PlatformAccess(),
            environment=task_environment_for(config, python),
            warm=self.warm,
        )

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Kill task processes an earlier admin process left running, and resume the executions it left open (those
        that cannot go on are ended, see :mod:`.settle`)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._halted = False
            own = set(self._runs)
        if self.warm is not None:
            self.warm.reopen()
        killed = self.processes.kill_leftovers()
        if killed:
            log.warning("killed %d task process group(s) left by an earlier admin process: %s", len(killed), killed)
        self._resume_unfinished(own)

    def _resume_unfinished(self, own: set[_Key]) -> None:
        resumable: dict[_Key, tuple[UnfinishedRun, RunRequest]] = {}
        for run in self.port.unfinished_runs(self._created_at):
            key = _key(run.execution_id)
            if key in own:
                continue
            if run.aborting:  # TerminateExecution was under way: it ends as asked
                settle_run(self.emitter, run, abort=True, message="the execution was being aborted")
                continue
            # Without a state directory nothing outlives the admin: there is nothing to resume from.
            request = load_run(self.blobs, run.execution_id) if self.config.state_dir is not None else None
            if request is None:
                settle_run(self.emitter, run, abort=False, message=RESTART_MESSAGE)
                continue
            resumable[key] = (run, request)
        # A child goes on only under a parent that goes on (propeller aborts a launch-plan node's child with it).
        orphaned = True
        while orphaned:
            orphaned = False
            for key, (run, request) in list(resumable.items()):
                metadata = request.spec.metadata
                parent = metadata.parent_node_execution.execution_id
                if metadata.HasField("parent_node_execution") and _key(parent) not in resumable:
                    del resumable[key]
                    settle_run(self.emitter, run, abort=True, message=ABORTED_PARENT_MESSAGE)
                    orphaned = True
        for run, request in resumable.values():
            eid = run.execution_id
            try:
                self._start_run(request, Resumed(run.phase, run.nodes))
            except (AdminError, ValueError) as e:  # stopped meanwhile, or running already: nothing to resume
                log.warning("execution %s was not resumed: %s", eid.name, e)
                continue
            log.warning("execution %s/%s/%s resumed after the admin restarted", eid.project, eid.domain, eid.name)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every run and kill its processes, recording nothing more: the runs stay open in the store and are
        resumed by the next :meth:`start`."""
        with self._lock:
            self._halted = True
            runs = list(self._runs.values())
        for run in runs:
            run.token.cancel(_STOP_REASON)
        deadline = time.monotonic() + timeout
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        if self._own_agents:
            self.agents.stop()  # the local agent server, after the runs that used it
        if self.warm is not None:
            self.warm.close()  # the fork servers, after the runs whose attempts they forked
        with self._lock:
            self._started = False

    # -- runs -----------------------------------------------------------------------------------------------------
    def launch(self, request: RunRequest) -> None:
        """Start running an execution (its record exists, phase UNDEFINED); returns at once.

        With ``request.recover_from``, nodes that succeeded in that execution (same node id) are not run again:
        their outputs are reused and their node executions are RECOVERED.

        Raises:
            AdminError: UNAVAILABLE, the engine is not running (not started yet, or stopped).
            ValueError: this execution is already running.
        """
        # With a state directory, the run's thread keeps the request first: what a later admin resumes it from.
        self._start_run(request, None, keep=self.config.state_dir is not None)

    def _start_run(self, request: RunRequest, resumed: Resumed | None, *, keep: bool = False) -> None:
        eid = identifier_pb2.WorkflowExecutionIdentifier()
        eid.CopyFrom(request.execution_id)
        recover_from = request.recover_from
        key = _key(eid)
        with self._lock:
            if self._halted or not self._started:
                raise AdminError(grpc.StatusCode.UNAVAILABLE, "the workflow engine is not running")
            if key in self._runs:
                raise ValueError(f"execution {eid.project}/{eid.domain}/{eid.name} is already running")
            # A resumed run sends only the events that move its records forward.
            emitter = self.emitter if resumed is None else ResumeEmitter(self.emitter, eid, resumed)
            run = _Run(eid, CancelToken(), emitter, resumed, keep)
            self._runs[key] = run
        args = (
            run,
            _copy(request.closure),
            _copy(request.inputs),
            _copy(request.spec),
            _copy(recover_from) if recover_from else None,
        )
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
        eid, em = run.execution_id, run.emitter
        if run.keep:
            try:
                save_run(self.blobs, RunRequest(eid, closure, inputs, spec, recover_from))
            except Exception as e:  # the run goes on; were the admin to stop, it would end instead of resuming
                log.warning("the run of %s cannot be kept for a restart: %r", eid.name, e)
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
            run.done.set()

    def _walk(
        self,
        run: _Run,
        closure: compiler_pb2.CompiledWorkflowClosure,
        inputs: literals_pb2.LiteralMap,
        spec: execution_pb2.ExecutionSpec,
        recover_from: identifier_pb2.WorkflowExecutionIdentifier | None,
    ) -> NodeOutcome:
        eid, em = run.execution_id, run.emitter
        parallelism = spec.max_parallelism or self.config.max_parallelism or 25
        services = self.services if run.resumed is None else replace(self.services, emitter=em)
        state = RunState(services, eid, closure, spec, run.token, parallelism, resumed=run.resumed)
        if recover_from is not None:
            state.recovered = self.port.recovered_nodes(recover_from)
        em.workflow(eid, _W.QUEUED)
        em.workflow(eid, _W.RUNNING)
        if run.token.cancelled:
            return NodeOutcome(_N.ABORTED)
        # The DAG walk and the node kinds load with the first run, not with the admin's start.
        from flyteplane.admin.engine.dag import run_workflow
        from flyteplane.admin.engine.nodes import Scope

        return run_workflow(
            state, closure.primary, inputs, Scope(), run.token, on_failing=lambda: em.workflow(eid, _W.FAILING)
        )

    def _launch_child(self, child: ChildLaunch) -> identifier_pb2.WorkflowExecutionIdentifier:
        """A launch-plan node's child: the admin creates its record (AdminError if it refuses), this engine runs
        it. A child that an earlier launch of the node created is not run again."""
        launched = self.port.create_child_execution(child)
        if launched.run is not None:
            try:
                self.launch(launched.run)
            except Exception as e:  # stopped: the child stays open and is resumed by the next start
                log.warning("child execution %s was not started: %s", launched.execution_id.name, e)
                self.emitter.workflow(
                    launched.execution_id,
                    _W.FAILED,
                    error=core_execution_pb2.ExecutionError(
                        code="EngineRefused", message=str(e), kind=core_execution_pb2.ExecutionError.SYSTEM
                    ),
                )
        return launched.execution_id

    def _wait_child(self, child: identifier_pb2.WorkflowExecutionIdentifier, token: CancelToken) -> ChildOutcome:
        """Wait for a child execution to end; when ``token`` is cancelled, abort the child and wait for that."""
        outcome = self.port.wait_for_end(child, lambda: token.cancelled or self._halted, _NO_DEADLINE)
        if outcome is not None:
            return outcome
        if self._halted:
            return ChildOutcome(_W.ABORTED)
        self.terminate(child, f"the parent execution was aborted: {token.reason}")
        outcome = self.port.wait_for_end(child, lambda: self._halted, _CHILD_ABORT_WAIT)
        return outcome if outcome is not None else ChildOutcome(_W.ABORTED)


def _copy(message):  # type: ignore[no-untyped-def]
    copy = type(message)()
    copy.CopyFrom(message)
    return copy
