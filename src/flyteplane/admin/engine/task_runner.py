"""Running one task attempt as a local process under Flyte's container contract.

On a Flyte cluster an attempt is a pod: propeller writes the inputs (a ``LiteralMap``) to ``inputs.pb``, fills the
placeholders of the container's command and args (``{{.input}}``, ``{{.outputPrefix}}``, ...), sets the
``FLYTE_INTERNAL_*`` variables flytekit's entrypoint reads, and after the container exits reads ``outputs.pb`` or
``error.pb`` (a ``core.ErrorDocument``) from the output prefix. Here the container's command runs as a process of
this machine, with the Python of the task's image (by default the admin's own, so ``pyflyte-execute`` and
``pyflyte-fast-execute`` are those of the installed flytekit) first on ``PATH``, in a clean environment with the
secrets the task requests (:mod:`.environments`, :mod:`.secrets`). The image is recorded, not pulled: the first line
of the attempt's log says so.

Each attempt runs in its own process group (so a kill reaches whatever it started) and its own working directory
(fast-registered code is unpacked there, as in a container's work dir). An attempt of one of flytekit's entrypoints
may start *warm*, forked from a pre-started interpreter of its environment under the same contract
(:mod:`.warm_processes`); its log's second line says which way it started. stdout and stderr go, interleaved, to one
log file; the last lines of stderr are kept for the error message of a process that dies without ``error.pb``.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from flyteidl.core import errors_pb2, execution_pb2, literals_pb2, tasks_pb2
from google.protobuf import json_format
from google.protobuf.message import DecodeError

from flyteplane.admin.engine.environments import (
    BuildCancelled,
    EnvironmentUnavailable,
    TaskEnvironment,
    base_environment,
    confine_dest_dir,
)
from flyteplane.admin.engine.images import IMAGE_ID_VARIABLE
from flyteplane.admin.engine.platform_access import EAGER_SECRET_KEY
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.secrets import SecretUnavailable, inject_secrets
from flyteplane.admin.engine.warm_processes import WarmPlan, WarmPool, WarmProcess

__all__ = [
    "Attempt",
    "AttemptPaths",
    "AttemptResult",
    "ProcessTable",
    "UnsupportedTask",
    "container_of",
    "literal_text",
    "private_temp_dir",
    "render",
    "run_attempt",
]

log = logging.getLogger("flyteplane.admin.engine")

OUTPUTS_FILE = "outputs.pb"
ERROR_FILE = "error.pb"
FUTURES_FILE = "futures.pb"
TASK_TEMPLATE_FILE = "task.pb"
DECK_FILE = "deck.html"
_STDERR_TAIL_LINES = 40
_STDERR_TAIL_BYTES = 4000
_POLL_SECONDS = 0.05

_USER = execution_pb2.ExecutionError.USER
_SYSTEM = execution_pb2.ExecutionError.SYSTEM


# -- what a task runs ---------------------------------------------------------------------------------------------
class UnsupportedTask(Exception):
    """The task cannot run as a local process (no container, an unsupported plugin type)."""


@dataclass(frozen=True)
class Container:
    """The parts of a task's container that matter for a local process."""

    image: str
    argv: list[str]
    env: dict[str, str]


def container_of(task: tasks_pb2.TaskTemplate) -> Container:
    """The container a task runs: ``container``, or the primary container of a ``k8s_pod`` task."""
    target = task.WhichOneof("target")
    if target == "container":
        c = task.container
        return Container(c.image, [*c.command, *c.args], {kv.key: kv.value for kv in c.env})
    if target == "k8s_pod":
        pod = json_format.MessageToDict(task.k8s_pod.pod_spec)
        primary = task.k8s_pod.primary_container_name or task.config.get("primary_container_name", "")
        for spec in pod.get("containers", []):
            if isinstance(spec, dict) and spec.get("name") == primary:
                env = {
                    str(e.get("name")): str(e.get("value", ""))
                    for e in spec.get("env", [])
                    if isinstance(e, dict) and "name" in e
                }
                argv = [str(a) for a in (*spec.get("command", []), *spec.get("args", []))]
                return Container(str(spec.get("image", "")), argv, env)
        raise UnsupportedTask(f"the pod of task type [{task.type}] has no primary container [{primary}]")
    raise UnsupportedTask(
        f"task type [{task.type}] has no container; the embedded admin runs only container and pod tasks"
    )


# -- placeholders -------------------------------------------------------------------------------------------------
def _placeholder(name: str) -> re.Pattern[str]:
    # Propeller's templates: case-insensitive, optional spaces, "." or "$" before the name.
    return re.compile(r"(?i){{\s*[.$]" + name + r"\s*}}")


_INPUT = _placeholder("Input")
_INPUT_PREFIX = _placeholder("InputPrefix")
_OUTPUT_PREFIX = _placeholder("OutputPrefix")
_RAW_OUTPUT = _placeholder("RawOutputDataPrefix")
_PER_RETRY_KEY = _placeholder("PerRetryUniqueKey")
_PREV_CHECKPOINT = _placeholder("PrevCheckpointPrefix")
_CHECKPOINT = _placeholder("CheckpointOutputPrefix")
_TASK_TEMPLATE = _placeholder("TaskTemplatePath")
_INPUT_VAR = re.compile(r"(?i){{\s*[.$]Inputs\.(?P<name>[^}\s]+)\s*}}")


class RenderError(Exception):
    """A placeholder cannot be filled."""


def render(template: str, values: Mapping[str, str], inputs: literals_pb2.LiteralMap) -> str:
    """Fill propeller's placeholders in one command/args element.

    ``values`` holds ``input``, ``inputPrefix``, ``outputPrefix``, ``rawOutputDataPrefix``, ``perRetryUniqueKey``,
    ``checkpointOutputPrefix``, ``prevCheckpointPrefix`` and, if the task has one, ``taskTemplatePath``.
    """
    text = template
    for pattern, key in (
        (_OUTPUT_PREFIX, "outputPrefix"),
        (_INPUT_PREFIX, "inputPrefix"),
        (_RAW_OUTPUT, "rawOutputDataPrefix"),
        (_PREV_CHECKPOINT, "prevCheckpointPrefix"),
        (_CHECKPOINT, "checkpointOutputPrefix"),
        (_PER_RETRY_KEY, "perRetryUniqueKey"),
        (_INPUT, "input"),
        (_TASK_TEMPLATE, "taskTemplatePath"),
    ):
        if key in values:
            text = pattern.sub(lambda _m, v=values[key]: v, text)  # type: ignore[misc]

    def input_value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in inputs.literals:
            raise RenderError(f"the task's command refers to input [{name}], which it was not given")
        return literal_text(inputs.literals[name], name)

    return _INPUT_VAR.sub(input_value, text)


def literal_text(literal: literals_pb2.Literal, name: str = "") -> str:
    """A literal as ``{{.inputs.<name>}}`` renders it: primitives as text, blobs by URI, lists as ``[a,b]``."""
    kind = literal.WhichOneof("value")
    if kind == "collection":
        return "[" + ",".join(literal_text(item, name) for item in literal.collection.literals) + "]"
    if kind == "scalar":
        scalar = literal.scalar
        which = scalar.WhichOneof("value")
        if which == "primitive":
            return _primitive_text(scalar.primitive)
        if which == "blob":
            return str(scalar.blob.uri)
        if which == "schema":
            return str(scalar.schema.uri)
        if which == "union":
            return literal_text(scalar.union.value, name)
    raise RenderError(f"input [{name}] is not a primitive, a blob or a list of them, so it has no text form")


def _primitive_text(p: literals_pb2.Primitive) -> str:
    which = p.WhichOneof("value")
    if which == "integer":
        return str(p.integer)
    if which == "boolean":
        return "true" if p.boolean else "false"
    if which == "float_value":
        f = p.float_value
        return str(int(f)) if f.is_integer() and abs(f) < 1e21 else repr(f)
    if which == "string_value":
        return str(p.string_value)
    if which == "datetime":
        return p.datetime.ToJsonString()
    if which == "duration":
        from flyteplane.admin.domain.times import go_duration

        return go_duration(p.duration.seconds * 10**9 + p.duration.nanos)
    return ""


# -- processes that outlive a crash -------------------------------------------------------------------------------
class ProcessTable:
    """The process groups of running attempts, recorded on disk so that an admin killed hard can end them when it
    starts again.

    Each group is a file ``<dir>/<pid>.json`` holding the pid, its start time (``/proc/<pid>/stat``, clock ticks
    since boot) and the boot id: a recorded group is killed only if a process with that pid, start time and boot
    still exists, so a reused pid is never hit. Without a state directory nothing outlives the admin, and nothing
    is recorded.
    """

    def __init__(self, root: Path | None) -> None:
        self.dir = root
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)

    def add(self, pid: int) -> None:
        if self.dir is None:
            return
        record = {"pid": pid, "start": _start_ticks(pid), "boot": _boot_id()}
        path = self.dir / f"{pid}.json"
        tmp = self.dir / f".{pid}.json.tmp"
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(record))
            os.replace(tmp, path)

    def remove(self, pid: int) -> None:
        if self.dir is not None:
            with contextlib.suppress(OSError):
                (self.dir / f"{pid}.json").unlink()

    def kill_leftovers(self) -> list[int]:
        """Kill the groups a previous run of the admin left running; return their pids."""
        killed: list[int] = []
        if self.dir is None:
            return killed
        for path in sorted(self.dir.glob("*.json")):
            try:
                record = json.loads(path.read_text())
                pid = int(record["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)
                continue
            start = record.get("start")
            if start is not None and record.get("boot") == _boot_id() and _start_ticks(pid) == start:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                    killed.append(pid)
            path.unlink(missing_ok=True)
        return killed


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields are counted after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of the whole line: starttime
    except (IndexError, ValueError):
        return None


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


# -- one attempt --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttemptPaths:
    """Where an attempt reads and writes (URLs are what the process sees; directories are local)."""

    inputs_url: str
    input_prefix_url: str
    output_dir: Path
    output_prefix_url: str
    raw_output_prefix: str
    checkpoint_prefix: str
    prev_checkpoint_prefix: str
    per_retry_key: str
    workdir: Path
    log_path: Path
    task_template_file: Path | None = None
    """Where ``{{.taskTemplatePath}}`` points (as a ``file://`` URL): propeller writes the node's ``task.pb`` in its
    data directory (GetTaskTemplatePath), only when the command refers to it (its lazily uploading task reader).
    None: ``task.pb`` in the attempt's output directory."""


@dataclass(frozen=True)
class Attempt:
    """Everything needed to run one attempt of a task."""

    task: tasks_pb2.TaskTemplate
    inputs: literals_pb2.LiteralMap
    paths: AttemptPaths
    env: dict[str, str]
    """Set on top of the container's env (``FLYTE_INTERNAL_*``, the run's envs); see :mod:`.environments` for the
    rest of the process's environment."""
    python: str
    """The default interpreter (its directory goes first on PATH), for images :attr:`environment` does not map."""
    pythonpath: tuple[str, ...] = ()
    timeout: float | None = None
    """Seconds this attempt may run (the task's ``metadata.timeout``)."""
    deadline: float | None = None
    """``time.monotonic()`` by which the whole node must be done (the node's ``metadata.timeout``)."""
    kill_grace: float = 2.0
    result_reader: Callable[[Attempt, int, bytes], AttemptResult] | None = None
    """How the finished process's result is read (``(attempt, exit code, stderr tail)``); None: :func:`read_result`
    (``outputs.pb`` / ``error.pb``). Raw containers collect copilot's output files first (:mod:`.raw_containers`)."""
    defaults: Mapping[str, str] = field(default_factory=dict)
    """Set on top of the variables a task keeps of the admin's environment but under the container's env: what a
    deployment gives every task (propeller's default env vars; here how to reach the admin), which the task's own
    env may override."""
    notes: tuple[str, ...] = ()
    """Lines for the top of the attempt's log: what the engine could not do for this task, and why."""
    environment: TaskEnvironment | None = None
    """Secrets, per-image interpreters and the variables every task gets (:mod:`.environments`); None: no secrets,
    every image runs with :attr:`python`."""
    warm: WarmPool | None = None
    """The fork servers that start flytekit entrypoints warm (:mod:`.warm_processes`); None: every attempt starts
    cold."""


@dataclass
class AttemptResult:
    """How an attempt ended. ``outcome`` is ``succeeded``, ``failed``, ``aborted``, ``timed_out`` (the attempt ran
    past the task's timeout), ``node_timed_out`` (past the node's) or ``dynamic`` (it wrote ``futures.pb``)."""

    outcome: str
    outputs: literals_pb2.LiteralMap | None = None
    error: execution_pb2.ExecutionError | None = None
    recoverable: bool = False
    exit_code: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """What else is known: ``start`` is ``warm`` (forked from a fork server) or ``cold`` once a process ran."""


def _failure(code: str, message: str, kind: int = _USER, *, recoverable: bool = False) -> AttemptResult:
    error = execution_pb2.ExecutionError(code=code, message=message, kind=kind)
    return AttemptResult("failed", error=error, recoverable=recoverable)


def run_attempt(
    attempt: Attempt,
    token: CancelToken,
    on_started: Callable[[int], None],
    processes: ProcessTable,
) -> AttemptResult:
    """Run ``attempt`` to its end and say how it went. ``on_started(pid)`` is called once the process runs;
    cancelling ``token`` kills the process group (the result is then ``aborted``)."""
    task = attempt.task
    paths = attempt.paths
    try:
        container = container_of(task)
    except UnsupportedTask as e:
        return _failure("UnsupportedTaskType", str(e), _SYSTEM)
    if not container.argv:
        return _failure("EmptyCommand", f"task [{task.id.name}] has neither command nor args to run")
    values = {
        "input": paths.inputs_url,
        "inputPrefix": paths.input_prefix_url,
        "outputPrefix": paths.output_prefix_url,
        "rawOutputDataPrefix": paths.raw_output_prefix,
        "checkpointOutputPrefix": paths.checkpoint_prefix,
        # Propeller passes a quoted empty string when there is no previous checkpoint; flytekit reads it as None.
        "prevCheckpointPrefix": paths.prev_checkpoint_prefix or '""',
        "perRetryUniqueKey": paths.per_retry_key,
    }
    if any(_TASK_TEMPLATE.search(arg) for arg in container.argv):
        template_file = paths.task_template_file or paths.output_dir / TASK_TEMPLATE_FILE
        try:
            _write_atomically(template_file, task.SerializeToString())
        except OSError as e:
            message = f"cannot write the task template to {template_file}: {e}"
            return _failure("TaskTemplateUnwritable", message, _SYSTEM)
        values["taskTemplatePath"] = template_file.as_uri()
    try:
        argv = [render(arg, values, attempt.inputs) for arg in container.argv]
    except RenderError as e:
        return _failure("TemplateRenderError", str(e))

    setup = attempt.environment or TaskEnvironment()
    try:
        python, image_env = setup.python_for(container.image, attempt.python, lambda: token.cancelled)
    except BuildCancelled:
        return AttemptResult("aborted")
    except EnvironmentUnavailable as e:
        return _failure("EnvironmentUnavailable", str(e))
    argv, dest_note = confine_dest_dir(argv)
    # Beside the working directory, not in it: the task's code must not package or list its secrets.
    secrets_dir = paths.workdir.parent / f".{paths.workdir.name}.secrets"
    temp_dir = private_temp_dir(paths.workdir)
    try:
        try:
            # The eager credential the admin requests for every eager task is the engine's own to serve
            # (.platform_access, through attempt.env), as propeller's global secrets are: not the store's.
            requests = [r for r in task.security_context.secrets if r.group or r.key != EAGER_SECRET_KEY]
            secret_env = inject_secrets(requests, setup.secrets, secrets_dir)
        except SecretUnavailable as e:
            return _failure("SecretUnavailable", str(e))
        except OSError as e:
            return _failure("SecretUnavailable", f"cannot hand the task its secrets: {e}", _SYSTEM)
        try:
            temp_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return _failure("TempDirUnavailable", f"cannot make the task's temporary directory: {e}", _SYSTEM)
        env = _process_env(attempt, container, python, setup, image_env, secret_env, temp_dir)
        notes = list(attempt.notes)
        if IMAGE_ID_VARIABLE in image_env:
            # The image's recorded ImageSpec names its id exactly: a note that it could not be told is moot.
            notes = [n for n in notes if IMAGE_ID_VARIABLE not in n]
        if dest_note:
            notes.append(dest_note)
        return _start(
            attempt, argv, env, python, container.image, notes, token, on_started, processes, tuple(secret_env)
        )
    finally:
        shutil.rmtree(secrets_dir, ignore_errors=True)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _start(
    attempt: Attempt,
    argv: list[str],
    env: dict[str, str],
    python: str,
    image: str,
    notes: Sequence[str],
    token: CancelToken,
    on_started: Callable[[int], None],
    processes: ProcessTable,
    private: Sequence[str] = (),
) -> AttemptResult:
    paths = attempt.paths
    executable = argv[0]
    if os.sep not in executable:
        found = shutil.which(executable, path=env.get("PATH", ""))
        if found is None:
            return _failure(
                "CommandNotFound",
                f"cannot start [{executable}]: not found on PATH (the task ran with {python}; is flytekit "
                "installed there?)",
            )
        executable = found
    for directory in (paths.output_dir, paths.workdir, paths.log_path.parent):
        directory.mkdir(parents=True, exist_ok=True)
    planned = None
    if attempt.warm is not None:
        planned = attempt.warm.plan(executable, argv, env, python, image, paths.workdir, private)

    with open(paths.log_path, "ab") as log_file:
        log_file.write(
            f"image {image or '(none)'} is recorded, not pulled: the task ran locally with {python}\n".encode()
        )
        for note in notes:
            log_file.write(f"[flyteplane] {note}\n".encode())
        proc: _Process | None = None
        if isinstance(planned, WarmPlan):
            assert attempt.warm is not None
            spawned = attempt.warm.spawn(planned)
            if isinstance(spawned, WarmProcess):
                proc = spawned
                log_file.write(f"[flyteplane] warm start: forked from the fork server of {python}\n".encode())
                for note in planned.notes:
                    log_file.write(f"[flyteplane] {note}\n".encode())
            else:
                log_file.write(f"[flyteplane] {spawned}\n".encode())
        elif isinstance(planned, str):
            log_file.write(f"[flyteplane] {planned}\n".encode())
        log_file.flush()
        if proc is None:
            try:
                proc = subprocess.Popen(
                    [executable, *argv[1:]],
                    cwd=paths.workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,  # its own process group: a kill reaches everything it started
                )
            except OSError as e:
                log_file.write(f"cannot start {argv[0]}: {e}\n".encode())
                return _failure("CommandNotStartable", f"cannot start [{argv[0]}]: {e.strerror or e}")
        processes.add(proc.pid)
        try:
            result = _supervise(attempt, proc, log_file, token, on_started)
            result.details["start"] = "warm" if isinstance(proc, WarmProcess) else "cold"
            return result
        finally:
            _kill_group(proc.pid, signal.SIGKILL)  # anything the task left behind in its group
            processes.remove(proc.pid)


class _Process(Protocol):
    """A started attempt: a ``subprocess.Popen``, or a warm child (:class:`~.warm_processes.WarmProcess`)."""

    @property
    def pid(self) -> int: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    @property
    def stderr(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def _write_atomically(target: Path, data: bytes) -> None:
    # Attempts of one node may write the same file: readers see either the old or the new whole file.
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def private_temp_dir(workdir: Path) -> Path:
    """The attempt's temporary directory (its ``TMPDIR``): beside its working directory, removed when it ends.
    flytekit makes two directories there per attempt (its local sandbox and the task's working directory) and
    never removes them; in a shared ``/tmp`` they piled up by the tens of thousands."""
    return workdir.parent / f".{workdir.name}.tmp"


def _process_env(
    attempt: Attempt,
    container: Container,
    python: str,
    setup: TaskEnvironment,
    image_env: Mapping[str, str],
    secret_env: Mapping[str, str],
    temp_dir: Path,
) -> dict[str, str]:
    """A task process's environment, layered as a pod's (see :mod:`.environments`): the variables kept from the
    admin's, the deployment's defaults (``attempt.defaults``), the image's (the recorded ImageSpec's ``env`` and its
    exact ``_F_IMG_ID``, over the id the defaults guess from the tag), the container's ``env``, Flyte's and the
    run's (``attempt.env``), the configured ones (``task_env``: propeller's ``DecorateEnvVars`` appends its
    ``default-env-vars`` after the others, and the last definition of a variable wins in a pod), then the secrets.
    ``python``'s directory leads ``PATH``; ``PYTHONPATH`` is the configured entries, then the container's.
    ``TMPDIR`` is the attempt's own ``temp_dir`` (a pod's ``/tmp`` is its own, and goes with it) unless a layer
    sets one."""
    env = base_environment(python, setup.environ)
    env["TMPDIR"] = str(temp_dir)
    path = env["PATH"]
    for layer in (attempt.defaults, image_env, container.env, attempt.env, setup.task_env, secret_env):
        env.update(layer)
    if env["PATH"] != path:  # a PATH of the image or the container: the task's python still comes first
        env["PATH"] = os.pathsep.join(dict.fromkeys([str(Path(python).parent), *env["PATH"].split(os.pathsep)]))
    own = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    pythonpath = [*attempt.pythonpath, *own]
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(pythonpath))
    return env


class _Pump(threading.Thread):
    """Copies one of the process's pipes into the log file, line by line, keeping the last lines of stderr."""

    def __init__(self, pipe: IO[bytes], log_file: IO[bytes], lock: threading.Lock, tail: collections.deque | None):
        super().__init__(daemon=True, name="attempt-log")
        self._pipe, self._log, self._lock, self._tail = pipe, log_file, lock, tail

    def run(self) -> None:
        with self._pipe:
            for line in iter(self._pipe.readline, b""):
                with self._lock:
                    self._log.write(line)
                    self._log.flush()
                if self._tail is not None:
                    self._tail.append(line)


def _supervise(
    attempt: Attempt,
    proc: _Process,
    log_file: IO[bytes],
    token: CancelToken,
    on_started: Callable[[int], None],
) -> AttemptResult:
    lock = threading.Lock()
    tail: collections.deque[bytes] = collections.deque(maxlen=_STDERR_TAIL_LINES)
    assert proc.stdout is not None and proc.stderr is not None
    pumps = [_Pump(proc.stdout, log_file, lock, None), _Pump(proc.stderr, log_file, lock, tail)]
    for pump in pumps:
        pump.start()
    started = time.monotonic()
    try:
        on_started(proc.pid)
    except Exception:  # reporting must not leave an orphan behind
        log.exception("reporting the start of attempt pid %d failed", proc.pid)
    ending: str | None = None
    # Most tasks are short: check often at first, then settle at _POLL_SECONDS (a fixed 50 ms tick cost every
    # short task ~35 ms of its create-to-SUCCEEDED latency).
    interval = 0.002
    while proc.poll() is None:
        now = time.monotonic()
        if attempt.deadline is not None and now >= attempt.deadline:
            ending = "node_timed_out"
        elif attempt.timeout is not None and now - started >= attempt.timeout:
            ending = "timed_out"
        elif token.cancelled:
            ending = "aborted"
        if ending is not None:
            _stop(proc, attempt.kill_grace)
            break
        remaining = [interval]
        interval = min(interval * 2, _POLL_SECONDS)
        if attempt.deadline is not None:
            remaining.append(attempt.deadline - now)
        if attempt.timeout is not None:
            remaining.append(started + attempt.timeout - now)
        token.wait(max(0.0, min(remaining)))
    exit_code = proc.wait()
    for pump in pumps:
        pump.join(timeout=5)
    with lock:
        note = {
            "aborted": f"killed: {token.reason or 'the run was aborted'}",
            "timed_out": f"killed: the attempt ran longer than its timeout ({attempt.timeout:g}s)"
            if attempt.timeout is not None
            else "",
            "node_timed_out": "killed: the node ran longer than its timeout",
        }.get(ending or "", f"exited with code {exit_code}")
        log_file.write(f"[flyteplane] {note}\n".encode())
        log_file.flush()
    if ending is not None:
        return AttemptResult(ending, exit_code=exit_code)
    return (attempt.result_reader or read_result)(attempt, exit_code, b"".join(tail))


def _stop(proc: _Process, grace: float) -> None:
    """SIGTERM to the group, SIGKILL after ``grace`` seconds (what the kubelet does to a deleted pod)."""
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _kill_group(proc.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: int) -> None:
    # While any member of the group lives its id cannot be reused, so this never hits a stranger.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# -- what the attempt left behind ---------------------------------------------------------------------------------
def read_result(attempt: Attempt, exit_code: int, stderr_tail: bytes) -> AttemptResult:
    """Outcome of a finished process from its output prefix, as propeller reads a finished pod's."""
    out = attempt.paths.output_dir
    error_path = out / ERROR_FILE
    if error_path.is_file():
        try:
            doc = errors_pb2.ErrorDocument.FromString(error_path.read_bytes())
        except (OSError, DecodeError) as e:
            return _failure("ErrorDocumentUnreadable", f"the task wrote an unreadable {ERROR_FILE}: {e}", _SYSTEM)
        err = doc.error
        kind = err.origin if err.origin in (_USER, _SYSTEM) else _USER
        error = execution_pb2.ExecutionError(
            code=err.code, message=err.message, kind=kind, error_uri=error_path.as_uri(), worker=err.worker
        )
        if err.HasField("timestamp"):
            error.timestamp.CopyFrom(err.timestamp)
        recoverable = err.kind == errors_pb2.ContainerError.RECOVERABLE
        return AttemptResult("failed", error=error, recoverable=recoverable, exit_code=exit_code)
    if exit_code == 0 and (out / FUTURES_FILE).is_file():
        # A dynamic task: its outputs come from the workflow it returned (the task node runs it, .dynamic_node).
        return AttemptResult("dynamic", exit_code=exit_code)
    if exit_code != 0:
        how = f"was killed by signal {-exit_code}" if exit_code < 0 else f"exited with code {exit_code}"
        message = f"the task process {how} without writing {ERROR_FILE}"
        text = stderr_tail.decode(errors="replace").strip()
        if text:
            message += f". The end of its stderr:\n{text[-_STDERR_TAIL_BYTES:]}"
        return AttemptResult(
            "failed",
            error=execution_pb2.ExecutionError(code="NonZeroExitCode", message=message, kind=_USER),
            recoverable=True,  # like a failed pod: worth a retry
            exit_code=exit_code,
        )
    outputs_path = out / OUTPUTS_FILE
    expected = list(attempt.task.interface.outputs.variables)
    if not outputs_path.is_file():
        if expected:
            # Propeller's words (task handler's ValidateOutput): no kind, and recoverable, so the node's error reads
            # "RetriesExhausted|OutputsNotFound" / "[1/1] currentAttempt done. Last Error: UNKNOWN::Outputs not ...".
            return _failure(
                "OutputsNotFound",
                "Outputs not generated by task execution",
                execution_pb2.ExecutionError.UNKNOWN,
                recoverable=True,
            )
        return AttemptResult("succeeded", outputs=literals_pb2.LiteralMap(), exit_code=exit_code)
    try:
        outputs = literals_pb2.LiteralMap.FromString(outputs_path.read_bytes())
    except (OSError, DecodeError) as e:
        return _failure("OutputsUnreadable", f"the task wrote an unreadable {OUTPUTS_FILE}: {e}", _SYSTEM)
    missing = sorted(set(expected) - set(outputs.literals))
    if missing:
        return _failure("OutputsNotFound", f"the task's {OUTPUTS_FILE} lacks the outputs [{', '.join(missing)}]")
    return AttemptResult("succeeded", outputs=outputs, exit_code=exit_code)
