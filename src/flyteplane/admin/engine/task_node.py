"""A task node: one task execution per attempt, each a local process (:mod:`.task_runner`; a raw container with
copilot's data contract, :mod:`.raw_containers`) or, for a task without a container, an agent's task
(:mod:`.agent_tasks`).

Attempts report QUEUED -> RUNNING (with the log link) -> SUCCEEDED, FAILED (also when another attempt follows, as
propeller reports it), or ABORTED. A failure is retried when it is recoverable (``error.pb`` of kind RECOVERABLE, a
process that dies without ``error.pb``, a timed-out attempt, no ``outputs.pb``) and attempts remain: ``retries + 1``
attempts, the node's ``metadata.retries`` winning over the task's, as propeller's ``computeRetryStrategy``. Messages
and codes are propeller's: ``RetriesExhausted|<code>`` with ``[n/m] currentAttempt done. Last Error: USER::<message>``,
and ``task execution timeout [1s] expired`` (each attempt may run the node's or else the task's ``metadata.timeout``;
the node as a whole twice the node's timeout, after which it is TIMED_OUT with ``task active timeout [..]
expired``).

Echo tasks (type ``echo``) run no process: :mod:`.echo_task` hands their inputs on as outputs.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, tasks_pb2
from flyteidl.event import event_pb2
from google.protobuf import struct_pb2

from flyteplane.admin.compiler import identifier_key
from flyteplane.admin.engine.agent_tasks import AGENT_PLUGIN_ID, AgentAttempt
from flyteplane.admin.engine.caching import NodeCache
from flyteplane.admin.engine.echo_task import ECHO_TASK_TYPE, run_echo
from flyteplane.admin.engine.images import image_env
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.engine.platform_access import NO_CREDENTIAL_CODE, missing_credential
from flyteplane.admin.engine.raw_containers import data_config_of, run_raw_container
from flyteplane.admin.engine.runtime import execution_error as _error
from flyteplane.admin.engine.runtime import go_duration_text, seconds_of
from flyteplane.admin.engine.state import NodeOutcome
from flyteplane.admin.engine.task_runner import (
    DECK_FILE,
    OUTPUTS_FILE,
    TASK_TEMPLATE_FILE,
    Attempt,
    AttemptPaths,
    AttemptResult,
    UnsupportedTask,
    container_of,
    run_attempt,
)

if TYPE_CHECKING:
    from flyteplane.admin.engine.nodes import NodeRunner

__all__ = ["TaskNode"]

_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM


class TaskNode:
    """A task node: attempts until one succeeds, a failure is not recoverable, or retries run out."""

    def __init__(self, runner: NodeRunner) -> None:
        self.r = runner
        self.state = runner.state
        node = runner.node
        self.task: tasks_pb2.TaskTemplate | None = self.state.tasks.get(identifier_key(node.task_node.reference_id))
        task_meta = self.task.metadata if self.task is not None else tasks_pb2.TaskMetadata()
        # Propeller: the node's retries win over the task's; attempts = retries + 1.
        retries = node.metadata.retries.retries if node.metadata.HasField("retries") else task_meta.retries.retries
        self.max_attempts = retries + 1
        # The execution deadline of each attempt (retryable), and the node's active deadline (2x, not retryable).
        node_timeout = seconds_of(node.metadata.timeout) if node.metadata.HasField("timeout") else None
        task_timeout = seconds_of(task_meta.timeout) if task_meta.HasField("timeout") else None
        self.timeout = node_timeout or task_timeout
        self.active_timeout = 2 * node_timeout if node_timeout else None
        self.deadline = time.monotonic() + self.active_timeout if self.active_timeout else None
        agents = runner.state.services.agents
        self.by_agent = self.task is not None and agents is not None and agents.serves(self.task)
        self.plugin = AGENT_PLUGIN_ID if self.by_agent else "container"
        # Where ``{{.input}}`` points: the node's own inputs.pb, or (an array node's element, which reads the whole
        # array's inputs and picks its index) another node's.
        self.inputs_key = self.state.node_key(runner.uid, "inputs.pb")
        # Attempts a stop of the admin interrupted (a resumed run): they do not count against the retries.
        self.interrupted = 0
        self.cache = NodeCache.of(runner, self.task)  # None: the task is not cached (caching.py)

    def run(self) -> NodeOutcome:
        r = self.r
        if self.task is None:
            ref = r.node.task_node.reference_id
            return r.finish(
                _N.FAILED, error=_error("TaskNotFound", f"task [{ref.name}] is not in the closure", _SYSTEM)
            )
        if self.task.type == ECHO_TASK_TYPE:
            return run_echo(r, self.task)
        if self.cache is not None:  # no key, or (cache_serialize) another run computed it while this one waited
            settled = self.cache.failure() or self.cache.reserve()
            if settled is not None:
                return settled
        try:
            return self._run()
        finally:
            if self.cache is not None:
                self.cache.release()  # a reservation (cache_serialize) ends with the node, however it ends

    def _run(self) -> NodeOutcome:
        r = self.r
        assert self.task is not None
        dynamic_attempt = r.resumed_dynamic_attempt()
        if dynamic_attempt is not None:  # a resumed run: the dynamic workflow goes on, the task does not run again
            from flyteplane.admin.engine.dynamic_node import DynamicNode

            return DynamicNode(r, self.task, dynamic_attempt, cache=self.cache).run()
        problem = missing_credential(self.state.services.platform, self.task, self._environment())
        if problem is not None:
            return r.finish(_N.FAILED, error=_error(NO_CREDENTIAL_CODE, problem), **self._flags())
        resumed = r.resume_attempts()
        if isinstance(resumed, NodeOutcome):
            return resumed
        first_attempt, self.interrupted = resumed
        if not r.acquire_slot():
            return r.finish(_N.ABORTED, **self._flags())
        try:
            r.mark_running(**self._flags(), **self._live_deck())
            attempt = first_attempt
            while True:
                result = self._attempt(attempt)
                if result.outcome == "dynamic":
                    # Propeller: the attempt succeeded, its outputs come from the workflow it returned.
                    self._task_event(attempt, _T.SUCCEEDED)
                    break
                outcome = self._settle(attempt, result)
                if outcome is not None:
                    return outcome
                attempt += 1
        finally:
            self.state.slots.release()
        # The slot is given back first: the dynamic workflow's own task nodes take slots of their own.
        from flyteplane.admin.engine.dynamic_node import DynamicNode

        return DynamicNode(r, self.task, attempt, cache=self.cache).run()

    def _settle(self, attempt: int, result: AttemptResult) -> NodeOutcome | None:
        """Report the attempt's end; return the node's outcome, or None when another attempt follows."""
        r, task = self.r, self.task
        assert task is not None
        output_key = self.state.node_key(r.uid, attempt, OUTPUTS_FILE)
        extra: dict[str, Any] = {**self._flags(), **self._deck(attempt)}
        if result.outcome == "succeeded":
            outputs = result.outputs or literals_pb2.LiteralMap()
            blobs = self.state.services.blobs
            if not blobs.exists(output_key):
                blobs.put(output_key, outputs.SerializeToString())
            uri = blobs.native_url(output_key)
            self._task_event(attempt, _T.SUCCEEDED, output_uri=uri)
            if self.cache is not None:
                self.cache.store(outputs, attempt)  # CACHE_POPULATED in the node's SUCCEEDED event
            return r.finish(_N.SUCCEEDED, outputs=outputs, output_uri=uri, **extra)
        if result.outcome == "aborted":
            self._task_event(attempt, _T.ABORTED, reason=r.token.reason)
            return r.finish(_N.ABORTED, **extra)
        if result.outcome == "node_timed_out":
            assert self.active_timeout is not None
            message = f"task active timeout [{go_duration_text(self.active_timeout)}] expired"
            self._task_event(attempt, _T.ABORTED, reason=message)
            return r.finish(_N.TIMED_OUT, error=_error("TimeoutExpired", message), **extra)
        if result.outcome == "timed_out":
            assert self.timeout is not None
            error = _error("TimeoutExpired", f"task execution timeout [{go_duration_text(self.timeout)}] expired")
            recoverable = True
        else:
            error = result.error or _error("UnknownError", "the task failed")
            recoverable = result.recoverable
        # FAILED even when another attempt follows, as propeller reports a retryable failure (ToTaskEventPhase):
        # admin keeps an attempt's error only on a terminal phase, so RETRYABLE_FAILED would lose why it failed.
        self._task_event(attempt, _T.FAILED, error=error)
        done = attempt + 1 - self.interrupted  # attempts that count against the retries
        if recoverable and done < self.max_attempts:
            return None
        if recoverable:
            kind = core_execution_pb2.ExecutionError.ErrorKind.Name(error.kind)
            error = _error(
                f"RetriesExhausted|{error.code}",
                f"[{done}/{self.max_attempts}] currentAttempt done. Last Error: {kind}::{error.message}",
            )
        return r.finish(_N.FAILED, error=error, **extra)

    def _flags(self) -> dict[str, Any]:
        """``is_eager`` on the node's events when its task is eager (the node launches executions of its own)."""
        return {"is_eager": True} if self.task is not None and self.task.metadata.is_eager else {}

    def _deck_status(self) -> bool | None:
        """Propeller's GetDeckStatus: the task's ``metadata.generates_deck`` (True, False, or None when unset)."""
        assert self.task is not None
        metadata = self.task.metadata
        return metadata.generates_deck.value if metadata.HasField("generates_deck") else None

    def _live_deck(self) -> dict[str, Any]:
        """A task that says it generates a deck has its deck URI from RUNNING on, as propeller reports it so that
        the deck can be read while the task runs (the first attempt's; the terminal event names the last one)."""
        if self._deck_status() is not True:
            return {}
        key = self.state.node_key(self.r.uid, 0, DECK_FILE)
        return {"deck_uri": self.state.services.blobs.native_url(key)}

    def _deck(self, attempt: int) -> dict[str, Any]:
        """The deck the attempt wrote (flytekit's ``deck.html`` in the output prefix), on the terminal event, as
        propeller's RemoveDeckURIIfDeckNotExists keeps it: only if the file exists and the task does not say it
        generates none."""
        if self._deck_status() is False:
            return {}
        blobs = self.state.services.blobs
        key = self.state.node_key(self.r.uid, attempt, DECK_FILE)
        return {"deck_uri": blobs.native_url(key)} if blobs.exists(key) else {}

    def _task_event(
        self,
        attempt: int,
        phase: int,
        *,
        version: int = 0,
        logs: list[core_execution_pb2.TaskLog] | None = None,
        output_uri: str = "",
        error: core_execution_pb2.ExecutionError | None = None,
        reason: str = "",
        custom_info: struct_pb2.Struct | None = None,
    ) -> bool:
        r, task = self.r, self.task
        assert task is not None
        eid = self.state.execution_id
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=attempt,
            phase=phase,
            phase_version=version,
            input_uri=r.input_uri,
            task_type=task.type,
            reason=reason,
            event_version=1,
        )
        ev.task_id.CopyFrom(task.id)
        ev.parent_node_execution_id.node_id = r.uid
        ev.parent_node_execution_id.execution_id.CopyFrom(eid)
        ev.metadata.generated_name = f"{eid.name}-{r.uid}-{attempt}"
        ev.metadata.plugin_identifier = self.plugin
        if custom_info is not None:
            ev.custom_info.CopyFrom(custom_info)
        if logs:
            ev.logs.extend(logs)
        if output_uri:
            ev.output_uri = output_uri
        elif error is not None:
            ev.error.CopyFrom(error)
        return self.state.services.emitter.task(ev)

    def _attempt(self, attempt: int) -> AttemptResult:
        r, state, task = self.r, self.state, self.task
        assert task is not None
        services = state.services
        eid = state.execution_id
        out_key = state.node_key(r.uid, attempt)
        raw = state.raw_output_prefix(r.uid, attempt)
        raw_local = services.blobs.local_path_of_url(raw)
        if raw_local is not None and data_config_of(task) is not None:
            raw = raw_local.as_posix()  # copilot's uploader here copies files: it writes to this machine's folders
        log_name = LogStore.name_for(eid.project, eid.domain, eid.name, r.uid, attempt)
        log_path = services.logs.path_of(log_name)
        assert log_path is not None
        workdir = services.work_root / eid.project / eid.domain / eid.name / f"{r.uid}-{attempt}"
        paths = AttemptPaths(
            inputs_url=state.local_url(self.inputs_key),
            input_prefix_url=state.local_url(self.inputs_key.rsplit("/", 1)[0]),
            output_dir=services.blobs.path_of(out_key),
            output_prefix_url=state.local_url(out_key),
            raw_output_prefix=raw,
            checkpoint_prefix=f"{raw}/_flytecheckpoints",
            prev_checkpoint_prefix=self._previous_checkpoint(attempt),
            per_retry_key=f"{eid.name}-{r.uid}-{attempt}",
            workdir=workdir,
            log_path=log_path,
            task_template_file=services.blobs.path_of(state.node_key(r.uid, TASK_TEMPLATE_FILE)),
        )
        try:
            image = image_env(container_of(task).image)
        except UnsupportedTask:  # run_attempt says why it cannot run
            image = image_env("")
        spec = Attempt(
            task=task,
            inputs=r.inputs,
            paths=paths,
            env=self._env(attempt),
            defaults={**services.platform.defaults(), **image.env},
            notes=(image.note,) if image.note else (),
            python=services.python,
            pythonpath=services.pythonpath,
            timeout=self.timeout,
            deadline=self.deadline,
            kill_grace=services.kill_grace,
            environment=services.environment,
            warm=services.warm,
        )
        self._task_event(attempt, _T.QUEUED)
        if self.by_agent:  # no container: Flyte's agent protocol (agent_tasks.py)
            assert services.agents is not None
            tid = identifier_pb2.TaskExecutionIdentifier(task_id=task.id, retry_attempt=attempt)
            tid.node_execution_id.node_id = r.uid
            tid.node_execution_id.execution_id.CopyFrom(eid)
            agent_attempt = AgentAttempt(
                task, r.inputs, paths, tid, spec.env, self.max_attempts, self.timeout, self.deadline, state.spec
            )
            return services.agents.run(agent_attempt, r.token, functools.partial(self._task_event, attempt))
        link = core_execution_pb2.TaskLog(
            uri=services.logs.url(log_name, services.http_endpoint()), name="stdout/stderr"
        )

        def started(_pid: int) -> None:
            self._task_event(attempt, _T.RUNNING, logs=[link])

        try:
            run = run_raw_container if data_config_of(task) is not None else run_attempt  # copilot's contract
            return run(spec, r.token, started, services.processes)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _previous_checkpoint(self, attempt: int) -> str:
        """The previous attempt's checkpoint prefix (propeller's ComputePreviousCheckpointPath), for a retry to
        resume from. A local prefix is given only if the previous attempt wrote something there: flytekit downloads
        the whole prefix when the task reads its checkpoint, which fails on a directory that does not exist."""
        if attempt == 0:
            return ""
        previous = f"{self.state.raw_output_prefix(self.r.uid, attempt - 1)}/_flytecheckpoints"
        parts = urlsplit(previous)
        if parts.scheme not in ("", "file"):
            return previous  # an object store: as propeller, the path whether or not anything was written
        local = Path(url2pathname(parts.path))
        with contextlib.suppress(OSError):
            if any(local.iterdir()):
                return previous
        return ""

    def _env(self, attempt: int) -> dict[str, str]:
        """What propeller sets in a task's pod (flytekit's entrypoint reads these), then the run's own envs."""
        task = self.task
        assert task is not None
        state = self.state
        eid, wf = state.execution_id, state.closure.primary.template.id
        env = {
            "FLYTE_INTERNAL_EXECUTION_WORKFLOW": f"{wf.project}:{wf.domain}:{wf.name}",
            "FLYTE_INTERNAL_EXECUTION_ID": eid.name,
            "FLYTE_INTERNAL_EXECUTION_PROJECT": eid.project,
            "FLYTE_INTERNAL_EXECUTION_DOMAIN": eid.domain,
            "FLYTE_INTERNAL_EXECUTION_LAUNCHPLAN": state.spec.launch_plan.name,
            "FLYTE_ATTEMPT_NUMBER": str(attempt),
            "FLYTE_INTERNAL_TASK_PROJECT": task.id.project,
            "FLYTE_INTERNAL_TASK_DOMAIN": task.id.domain,
            "FLYTE_INTERNAL_TASK_NAME": task.id.name,
            "FLYTE_INTERNAL_TASK_VERSION": task.id.version,
        }
        if state.services.storage is not None:  # FLYTE_AWS_*: the admin's S3 endpoint (storage_env.py)
            env.update(state.services.storage.env())
        env.update(state.services.platform.secrets(task, self._environment()))
        for kv in state.spec.envs.values:
            env[kv.key] = kv.value
        return env

    def _environment(self) -> dict[str, str]:
        """The environment the task's process starts from, before the engine's own settings: the admin's, the
        task's container env, the run's envs."""
        task = self.task
        assert task is not None
        env = dict(os.environ)
        with contextlib.suppress(UnsupportedTask):
            env.update(container_of(task).env)
        env.update({kv.key: kv.value for kv in self.state.spec.envs.values})
        return env
