"""The execution engine, running real local processes and reporting through the real EventRecorder.

Workflows are written with flytekit (``engine_workflows.py``), serialized with its translator and compiled with
``compile_workflow``, as CreateWorkflow stores them. One test runs them through flytekit's own ``pyflyte-execute``;
the others swap each task's command for :data:`FAKE`, a small ``python -c`` program honoring the same container
contract (inputs.pb in, outputs.pb or error.pb out), because flytekit needs about a second to start.

Every event goes through a :class:`Tap` around the admin's EventRecorder, which keeps what was recorded and what was
refused: the engine must never send an event Flyte Admin's rules refuse.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import msgpack
import pytest
from flyteidl.admin import execution_pb2, launch_plan_pb2, node_execution_pb2, task_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import (
    compiler_pb2,
    condition_pb2,
    identifier_pb2,
    literals_pb2,
    tasks_pb2,
    types_pb2,
    workflow_pb2,
)
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit import LaunchPlan
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.models.admin.workflow import WorkflowSpec
from flytekit.models.launch_plan import LaunchPlan as FlytekitLaunchPlan
from flytekit.models.task import TaskSpec
from flytekit.remote import FlyteRemote
from flytekit.tools.translator import get_serializable
from google.protobuf import struct_pb2
from sqlalchemy import select
from tests.admin import engine_workflows as wf
from tests.run_events import insert_execution

from flyteplane.admin import AdminServer
from flyteplane.admin.compiler import compile_task, compile_workflow, identifier_key
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.engine import ChildLaunch, Engine, RunRequest
from flyteplane.admin.engine.bindings import BindingError, resolve_binding_data, resolve_bindings
from flyteplane.admin.engine.branches import BranchError, decide_branch, evaluate
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.engine.port import ChildOutcome, LaunchedChild, RecoveredNode, UnfinishedRun
from flyteplane.admin.engine.resume import run_prefix
from flyteplane.admin.engine.runtime import CancelToken, child_node_id, fixed_length_unique_id
from flyteplane.admin.engine.settle import RESTART_MESSAGE
from flyteplane.admin.engine.task_runner import (
    Attempt,
    AttemptPaths,
    ProcessTable,
    RenderError,
    UnsupportedTask,
    container_of,
    read_result,
    render,
)
from flyteplane.admin.errors import AdminError
from flyteplane.admin.http import HttpServer
from flyteplane.admin.managers._execution_launch import ExecutionCreator
from flyteplane.admin.managers._flytegen import SingleTaskWorkflows
from flyteplane.admin.managers.engine_port import EngineAdmin
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.store import execution_schema as xs

REPO = Path(__file__).resolve().parents[3]
PROJECT, DOMAIN = "flytesnacks", "development"
SETTINGS = SerializationSettings(
    image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="v1"
)
WF = core_execution_pb2.WorkflowExecution
NODE = core_execution_pb2.NodeExecution
TASK = core_execution_pb2.TaskExecution
WAIT = 60.0
_POLL = datetime.timedelta(seconds=0.2)

# The container contract in a few lines: argv = op, {{.input}}, {{.outputPrefix}}. Each run leaves "<op>-<pid>"
# in $MARKS with its start and end times, so tests can tell which tasks ran and how many ran at once.
FAKE = r"""
import json, os, sys, time
from urllib.parse import urlsplit
from urllib.request import url2pathname
from flyteidl.core import errors_pb2, literals_pb2

op, inputs_url, out_url = sys.argv[1:4]
local = lambda url: url2pathname(urlsplit(url).path)
out = local(out_url)
os.makedirs(out, exist_ok=True)
inputs = literals_pb2.LiteralMap.FromString(open(local(inputs_url), "rb").read())
attempt = int(os.environ["FLYTE_ATTEMPT_NUMBER"])
mark = os.path.join(os.environ["MARKS"], f"{op}-{os.getpid()}")
record = {"start": time.time(), "attempt": attempt, "pid": os.getpid()}

def save():  # atomically: a test may read the mark at any moment
    tmp = os.path.join(os.environ["MARKS"], f".{op}-{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, mark)

save()

def arg(name):
    return inputs.literals[name].scalar.primitive.integer

def done(value):
    result = literals_pb2.LiteralMap()
    result.literals["o0"].scalar.primitive.integer = value
    open(os.path.join(out, "outputs.pb"), "wb").write(result.SerializeToString())
    record["end"] = time.time()
    save()

if op in ("add_one", "single"):
    done(arg("x") + 1)
elif op == "double":
    done(arg("x") * 2)
elif op == "summ":
    done(arg("a") + arg("b"))
elif op == "sleepy":
    time.sleep(arg("x") / 10)
    done(arg("x"))
elif op == "slow":
    time.sleep(arg("x"))
    done(arg("x"))
elif op == "flaky":
    if attempt < arg("x"):
        print(f"flaky attempt {attempt}", file=sys.stderr)
        sys.exit(1)
    done(attempt)
elif op == "fail_user":
    doc = errors_pb2.ErrorDocument()
    doc.error.code = "USER:ValueError"
    doc.error.message = f"bad input {arg('x')}"
    doc.error.kind = errors_pb2.ContainerError.NON_RECOVERABLE
    doc.error.origin = 1  # USER
    open(os.path.join(out, "error.pb"), "wb").write(doc.SerializeToString())
elif op == "crash":
    if os.environ.get("HEAL"):
        done(arg("x"))
    else:
        print("boom: something broke", file=sys.stderr)
        sys.exit(3)
elif op == "clean_up":
    err = inputs.literals["err"].scalar.union.value.scalar.error
    record["err"] = {"node": err.failed_node_id, "message": err.message, "x": arg("x")}
    save()
    open(os.path.join(out, "outputs.pb"), "wb").write(literals_pb2.LiteralMap().SerializeToString())
else:
    sys.exit(f"unknown op {op}")
"""


# ----------------------------------------------------------------------------------------------------------------
# Compiling flytekit workflows


def compile_entity(entity: Any, *, fast: bool = True) -> compiler_pb2.CompiledWorkflowClosure:
    """flytekit's serialization of ``entity``, compiled as CreateWorkflow does; with ``fast``, every task runs
    :data:`FAKE` under its short name instead of pyflyte-execute."""
    entities: OrderedDict[Any, Any] = OrderedDict()
    spec = get_serializable(entities, SETTINGS, entity)
    workflows = {w.template.id: w for w in entities.values() if isinstance(w, WorkflowSpec)}
    tasks = {}
    launch_plans = {}
    for value in entities.values():
        if isinstance(value, TaskSpec):
            template = value.template.to_flyte_idl()
            if fast and template.HasField("container"):  # echo tasks have none: they run no process
                template.container.ClearField("command")
                template.container.args[:] = [
                    "python",
                    "-c",
                    FAKE,
                    template.id.name.rsplit(".", 1)[-1],
                    "{{.input}}",
                    "{{.outputPrefix}}",
                ]
            tasks[identifier_key(template.id)] = compile_task(template)
        elif isinstance(value, FlytekitLaunchPlan):
            idl = value.to_flyte_idl()
            lp = launch_plan_pb2.LaunchPlan(id=idl.id, spec=idl.spec)
            lp.closure.expected_inputs.CopyFrom(idl.spec.default_inputs)
            lp.closure.expected_outputs.CopyFrom(
                workflows[value.spec.workflow_id].template.interface.to_flyte_idl().outputs
            )
            launch_plans[identifier_key(idl.id)] = lp
    idl_spec = spec.to_flyte_idl()
    return compile_workflow(idl_spec.template, list(idl_spec.sub_workflows), tasks, launch_plans)


def ints(**values: int) -> literals_pb2.LiteralMap:
    out = literals_pb2.LiteralMap()
    for key, value in values.items():
        out.literals[key].scalar.primitive.integer = value
    return out


# ----------------------------------------------------------------------------------------------------------------
# The harness: an engine over an in-memory admin, its events tapped


class Tap:
    """The admin's EventRecorder, keeping every event it recorded and every one it refused."""

    def __init__(self, inner: EventRecorder) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.recorded: list[Any] = []
        self.refused: list[tuple[Any, AdminError]] = []

    def _call(self, method: Callable[..., None], event: Any, request_id: str) -> None:
        try:
            method(event, request_id)
        except AdminError as e:
            with self.lock:
                self.refused.append((event, e))
            raise
        copy = type(event)()
        copy.CopyFrom(event)
        with self.lock:
            self.recorded.append(copy)

    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None:
        self._call(self.inner.record_workflow_event, event, request_id)

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
        self._call(self.inner.record_node_event, event, request_id)

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None:
        self._call(self.inner.record_task_event, event, request_id)

    # -- views -------------------------------------------------------------------------------------------------
    def workflow_events(self, name: str) -> list[event_pb2.WorkflowExecutionEvent]:
        with self.lock:
            return [
                e
                for e in self.recorded
                if isinstance(e, event_pb2.WorkflowExecutionEvent) and e.execution_id.name == name
            ]

    def node_events(self, name: str, node_id: str) -> list[event_pb2.NodeExecutionEvent]:
        with self.lock:
            return [
                e
                for e in self.recorded
                if isinstance(e, event_pb2.NodeExecutionEvent)
                and e.id.execution_id.name == name
                and e.id.node_id == node_id
            ]

    def node_ids(self, name: str) -> set[str]:
        with self.lock:
            return {
                e.id.node_id
                for e in self.recorded
                if isinstance(e, event_pb2.NodeExecutionEvent) and e.id.execution_id.name == name
            }

    def task_events(self, name: str, node_id: str, attempt: int | None = None) -> list[event_pb2.TaskExecutionEvent]:
        with self.lock:
            return [
                e
                for e in self.recorded
                if isinstance(e, event_pb2.TaskExecutionEvent)
                and e.parent_node_execution_id.execution_id.name == name
                and e.parent_node_execution_id.node_id == node_id
                and (attempt is None or e.retry_attempt == attempt)
            ]

    def workflow_phases(self, name: str) -> list[str]:
        return [WF.Phase.Name(e.phase) for e in self.workflow_events(name)]

    def node_phases(self, name: str, node_id: str) -> list[str]:
        return [NODE.Phase.Name(e.phase) for e in self.node_events(name, node_id)]

    def task_phases(self, name: str, node_id: str, attempt: int) -> list[str]:
        return [TASK.Phase.Name(e.phase) for e in self.task_events(name, node_id, attempt)]


class HarnessPort:
    """The engine's port for the harness: the admin's own (:class:`EngineAdmin`), with events through a
    :class:`Tap` and child executions made by the harness (a row and the child's closure, no registry)."""

    def __init__(self, harness: Harness) -> None:
        ctx = harness.ctx
        endings = RunEndings()
        recorder = EventRecorder(ctx, endings)
        creator = ExecutionCreator(
            ctx, single_tasks=SingleTaskWorkflows(ctx.store, WorkflowManager(ctx).create_workflow)
        )
        self.real = EngineAdmin(ctx, recorder=recorder, creator=creator, endings=endings)
        self.tap = Tap(recorder)
        self.harness = harness

    def record_workflow_event(self, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None:
        self.tap.record_workflow_event(event, request_id)

    def record_node_event(self, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
        self.tap.record_node_event(event, request_id)

    def record_task_event(self, event: event_pb2.TaskExecutionEvent, request_id: str = "") -> None:
        self.tap.record_task_event(event, request_id)

    def create_child_execution(self, child: ChildLaunch) -> LaunchedChild:
        return self.harness.launch_child(child)

    def wait_for_end(self, execution_id: Any, stop: Callable[[], bool], timeout: float) -> ChildOutcome | None:
        return self.real.wait_for_end(execution_id, stop, timeout)

    def get_or_create_signal(self, signal_id: Any, literal_type: Any) -> Any:
        return self.real.get_or_create_signal(signal_id, literal_type)

    def watch_signal(self, signal_id: Any) -> Any:
        return self.real.watch_signal(signal_id)

    def unfinished_runs(self, created_before: datetime.datetime) -> list[UnfinishedRun]:
        return self.real.unfinished_runs(created_before)

    def recovered_nodes(self, source: Any) -> dict[str, RecoveredNode]:
        return self.real.recovered_nodes(source)


class Harness:
    """An engine over ``ctx``; ``run`` creates an execution row as CreateExecution would and launches it."""

    def __init__(self, ctx: AdminContext, marks: Path) -> None:
        self.ctx = ctx
        self.marks = marks
        marks.mkdir(parents=True, exist_ok=True)
        self.port = HarnessPort(self)
        self.tap = self.port.tap
        self.children: dict[str, compiler_pb2.CompiledWorkflowClosure] = {}
        self.child_launches: list[ChildLaunch] = []
        self.http_endpoint: str | None = None
        self.engine = Engine(ctx.config, ctx.blobs, ctx.logs, self.port, http_endpoint=lambda: self.http_endpoint)
        self.blobs = ctx.blobs
        self._names = 0

    def spec(self, *, max_parallelism: int = 0, **envs: str) -> execution_pb2.ExecutionSpec:
        spec = execution_pb2.ExecutionSpec(max_parallelism=max_parallelism)
        spec.launch_plan.CopyFrom(
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.LAUNCH_PLAN, project=PROJECT, domain=DOMAIN, name="lp", version="v1"
            )
        )
        for key, value in {"MARKS": str(self.marks), **envs}.items():
            spec.envs.values.add(key=key, value=value)
        return spec

    def start(
        self,
        closure: compiler_pb2.CompiledWorkflowClosure,
        inputs: literals_pb2.LiteralMap,
        spec: execution_pb2.ExecutionSpec | None = None,
        *,
        recover_from: identifier_pb2.WorkflowExecutionIdentifier | None = None,
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        self._names += 1
        eid = insert_execution(self.ctx.store, f"run{self._names}")
        self.engine.launch(RunRequest(eid, closure, inputs, spec or self.spec(), recover_from))
        return eid

    def run(self, closure: compiler_pb2.CompiledWorkflowClosure, inputs: literals_pb2.LiteralMap, **kw: Any) -> Any:
        eid = self.start(closure, inputs, **kw)
        assert self.engine.wait(eid, WAIT), "the run did not end in time"
        return eid

    def launch_child(self, launch: ChildLaunch) -> LaunchedChild:
        """What the admin does for a launch-plan node: a child row, for the engine to run."""
        self.child_launches.append(launch)
        parent = launch.parent_node_execution_id
        eid = insert_execution(self.ctx.store, f"{parent.execution_id.name}-{parent.node_id}")
        spec = execution_pb2.ExecutionSpec()
        spec.CopyFrom(launch.parent_spec)
        spec.launch_plan.CopyFrom(launch.launch_plan_id)
        return LaunchedChild(eid, RunRequest(eid, self.children[launch.launch_plan_id.name], launch.inputs, spec))

    # -- reading the records ----------------------------------------------------------------------------------
    def execution(self, eid: identifier_pb2.WorkflowExecutionIdentifier) -> tuple[str, execution_pb2.ExecutionClosure]:
        with self.ctx.store.read() as conn:
            row = conn.execute(select(xs.executions).where(xs.executions.c.execution_name == eid.name)).one()
        return row.phase, execution_pb2.ExecutionClosure.FromString(row.closure)

    def node_row(self, eid: Any, node_id: str) -> Any:
        with self.ctx.store.read() as conn:
            return conn.execute(
                select(xs.node_executions).where(
                    xs.node_executions.c.execution_name == eid.name, xs.node_executions.c.node_id == node_id
                )
            ).one()

    def outputs(self, eid: identifier_pb2.WorkflowExecutionIdentifier) -> literals_pb2.LiteralMap:
        phase, closure = self.execution(eid)
        assert phase == "SUCCEEDED", (phase, closure.error)
        return self.read(closure.outputs.uri)

    def read(self, uri: str) -> literals_pb2.LiteralMap:
        key = self.blobs.key_from_native_url(uri)
        assert key is not None, uri
        return literals_pb2.LiteralMap.FromString(self.blobs.get(key))

    def error(self, eid: identifier_pb2.WorkflowExecutionIdentifier) -> core_execution_pb2.ExecutionError:
        phase, closure = self.execution(eid)
        assert phase == "FAILED", phase
        return closure.error

    def marked(self, op: str) -> list[dict[str, Any]]:
        # Marks are written to "<mark>.tmp" and renamed into place: a ".tmp" file may be half-written.
        return [json.loads(p.read_text()) for p in sorted(self.marks.glob(f"{op}-*")) if p.suffix != ".tmp"]

    def no_refusals(self) -> None:
        assert self.tap.refused == [], [(type(e).__name__, err.message) for e, err in self.tap.refused]


def output(lm: literals_pb2.LiteralMap, name: str = "o0") -> int:
    return lm.literals[name].scalar.primitive.integer


@pytest.fixture
def harness(make_ctx: Callable[..., AdminContext], tmp_path: Path) -> Iterator[Harness]:
    config = AdminConfig(task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5)
    h = Harness(make_ctx(config), tmp_path / "marks")
    h.engine.start()
    yield h
    h.engine.stop()


def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


# ----------------------------------------------------------------------------------------------------------------
# Real processes


def test_a_flytekit_workflow_runs_through_pyflyte_execute(harness: Harness) -> None:
    ctx = harness.ctx
    http = HttpServer(ctx.blobs, ctx.signer, ctx.logs, "127.0.0.1", 0).start()
    try:
        harness.http_endpoint = f"http://127.0.0.1:{http.port}"
        eid = harness.run(compile_entity(wf.chain, fast=False), ints(x=3))
        assert harness.tap.workflow_phases(eid.name) == ["QUEUED", "RUNNING", "SUCCEEDED"]
        assert output(harness.outputs(eid)) == 8  # double(add_one(3))
        for node in ("n0", "n1"):
            assert harness.tap.node_phases(eid.name, node) == ["QUEUED", "RUNNING", "SUCCEEDED"]
            assert harness.tap.task_phases(eid.name, node, 0) == ["QUEUED", "RUNNING", "SUCCEEDED"]
        assert harness.tap.node_phases(eid.name, "start-node") == ["QUEUED", "SUCCEEDED"]
        assert harness.tap.node_phases(eid.name, "end-node") == ["QUEUED", "SUCCEEDED"]
        assert output(harness.read(harness.node_row(eid, "n0").input_uri), "x") == 3

        # The log link of each attempt serves its stdout/stderr over the admin's HTTP port.
        running = harness.tap.task_events(eid.name, "n1", 0)[1]
        (link,) = running.logs
        assert link.name == "stdout/stderr"
        assert link.uri.startswith(f"http://127.0.0.1:{http.port}/logs/")
        text = urllib.request.urlopen(link.uri).read().decode()
        first = text.splitlines()[0]
        assert first.startswith("image cr.flyte.org/flyteorg/flytekit:")
        assert first.endswith(f"is recorded, not pulled: the task ran locally with {sys.executable}")
        # Only log names are served: no way out of the logs directory.
        for bad in ("..%2Fadmin.db", "%2E%2E/%2E%2E/etc/passwd", "x/../../etc/passwd.log", "nope.log"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(f"http://127.0.0.1:{http.port}/logs/{bad}")
            assert info.value.code == 404
    finally:
        http.stop()
    harness.no_refusals()


def test_a_plain_python_task_honors_the_container_contract(harness: Harness, tmp_path: Path) -> None:
    closure = compile_entity(wf.one_task)
    task = closure.tasks[0].template
    seen = tmp_path / "seen.json"
    program = (
        "import json, os, sys\n"
        "from urllib.parse import urlsplit\n"
        "from flyteidl.core import literals_pb2\n"
        "out = urlsplit(sys.argv[2]).path\n"
        "result = literals_pb2.LiteralMap()\n"
        "result.literals['o0'].scalar.primitive.integer = int(sys.argv[1]) + 1\n"
        "open(os.path.join(out, 'outputs.pb'), 'wb').write(result.SerializeToString())\n"
        f"json.dump({{'argv': sys.argv[1:], 'env': dict(os.environ), 'cwd': os.getcwd()}}, open({str(seen)!r}, 'w'))\n"
    )
    task.container.args[:] = [
        "python",
        "-c",
        program,
        "{{ .Inputs.x }}",
        "{{.outputPrefix}}",
        "{{.input}}",
        "{{$inputPrefix}}",
        "{{.rawOutputDataPrefix}}",
        "{{.checkpointOutputPrefix}}",
        "{{.prevCheckpointPrefix}}",
    ]
    eid = harness.run(closure, ints(x=41), spec=harness.spec(GREETING="hello"))
    assert output(harness.outputs(eid)) == 42
    got = json.loads(seen.read_text())
    x, out, inputs, input_prefix, raw, checkpoint, previous = got["argv"]
    assert x == "41"
    assert inputs == f"{input_prefix}/inputs.pb" and inputs.startswith("file://")
    assert literals_pb2.LiteralMap.FromString(Path(inputs[len("file://") :]).read_bytes()) == ints(x=41)
    assert out.startswith("file://") and out.endswith("/n0/data/0")
    assert raw.startswith("/") and raw.endswith(f"/{eid.name}-n0-0")
    assert checkpoint == f"{raw}/_flytecheckpoints"
    assert previous == '""'  # propeller's "no previous checkpoint", which flytekit reads as None
    env = got["env"]
    assert env["FLYTE_INTERNAL_EXECUTION_ID"] == eid.name
    assert env["FLYTE_INTERNAL_EXECUTION_PROJECT"] == PROJECT
    assert env["FLYTE_INTERNAL_EXECUTION_DOMAIN"] == DOMAIN
    assert env["FLYTE_INTERNAL_EXECUTION_WORKFLOW"] == f"{PROJECT}:{DOMAIN}:tests.admin.engine_workflows.one_task"
    assert env["FLYTE_INTERNAL_TASK_NAME"] == "tests.admin.engine_workflows.single"
    assert env["FLYTE_INTERNAL_TASK_VERSION"] == "v1"
    assert env["FLYTE_ATTEMPT_NUMBER"] == "0"
    assert env["GREETING"] == "hello"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert str(REPO) in env["PYTHONPATH"].split(os.pathsep)
    assert not Path(got["cwd"]).exists()  # each attempt had its own working directory, removed after it
    harness.no_refusals()


def test_retries_record_each_attempt(harness: Harness) -> None:
    closure = compile_entity(wf.with_retries)
    eid = harness.run(closure, ints(x=2))  # attempts 0 and 1 fail, attempt 2 succeeds
    assert output(harness.outputs(eid)) == 2
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "RUNNING", "FAILED"]
    assert harness.tap.task_phases(eid.name, "n0", 1) == ["QUEUED", "RUNNING", "FAILED"]
    assert harness.tap.task_phases(eid.name, "n0", 2) == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert harness.tap.node_phases(eid.name, "n0") == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert [m["attempt"] for m in harness.marked("flaky")] == sorted([0, 1, 2])
    first_error = harness.tap.task_events(eid.name, "n0", 0)[-1].error
    assert first_error.code == "NonZeroExitCode" and "flaky attempt 0" in first_error.message

    eid = harness.run(closure, ints(x=5))  # never succeeds: 3 attempts (retries=2)
    assert harness.tap.task_phases(eid.name, "n0", 2) == ["QUEUED", "RUNNING", "FAILED"]
    assert harness.tap.task_events(eid.name, "n0", 3) == []
    error = harness.error(eid)
    assert error.code == "RetriesExhausted|NonZeroExitCode"
    assert error.message.startswith("[3/3] currentAttempt done. Last Error: USER::the task process exited with code 1")
    assert "flaky attempt 2" in error.message
    assert error.kind == core_execution_pb2.ExecutionError.USER
    assert harness.node_row(eid, "n0").phase == "FAILED"
    harness.no_refusals()


def test_a_task_timeout_kills_the_attempt(harness: Harness) -> None:
    started = time.monotonic()
    eid = harness.run(compile_entity(wf.with_timeout), ints(x=30))
    assert time.monotonic() - started < 15
    error = harness.error(eid)
    assert error.code == "RetriesExhausted|TimeoutExpired"
    assert error.message == "[1/1] currentAttempt done. Last Error: USER::task execution timeout [1s] expired"
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "RUNNING", "FAILED"]
    (mark,) = harness.marked("slow")
    assert "end" not in mark
    with pytest.raises(ProcessLookupError):
        os.kill(mark["pid"], 0)
    harness.no_refusals()


def test_a_failing_task_fails_the_workflow_with_its_error(harness: Harness) -> None:
    eid = harness.run(compile_entity(wf.failing), ints(x=7))
    error = harness.error(eid)
    assert (error.code, error.message, error.kind) == ("USER:ValueError", "bad input 7", 1)
    # Not recoverable: one attempt only, and the node and task carry the error as is.
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "RUNNING", "FAILED"]
    assert harness.tap.task_events(eid.name, "n0", 1) == []
    assert harness.tap.node_events(eid.name, "n0")[-1].error.code == "USER:ValueError"
    assert "n1" not in harness.tap.node_ids(eid.name)  # downstream never started
    assert harness.tap.workflow_phases(eid.name) == ["QUEUED", "RUNNING", "FAILED"]

    eid = harness.run(compile_entity(wf.crashing), ints(x=1))  # exits 3 without error.pb
    error = harness.error(eid)
    assert error.code == "RetriesExhausted|NonZeroExitCode"
    assert "the task process exited with code 3 without writing error.pb" in error.message
    assert "boom: something broke" in error.message
    assert error.kind == core_execution_pb2.ExecutionError.USER
    harness.no_refusals()


def test_branches_take_the_first_case_that_holds(harness: Harness) -> None:
    closure = compile_entity(wf.branching)
    for x, expected, child in ((5, 12, "n1-0-n1-n0"), (-5, -9, "n1-0-n1-n1"), (1, 2, "n1-0-n1-n2")):
        eid = harness.run(closure, ints(x=x))
        assert output(harness.outputs(eid)) == expected
        branch_children = {n for n in harness.tap.node_ids(eid.name) if n.startswith("n1-")}
        assert branch_children == {child}
        event = harness.tap.node_events(eid.name, child)[0]
        assert event.parent_node_metadata.node_id == "n1"
        assert event.spec_node_id == child.split("-0-", 1)[1]
        assert harness.tap.node_events(eid.name, "n1")[0].is_parent

    closure = compile_entity(wf.branching_fail)
    eid = harness.run(closure, ints(x=10))  # 5 < 11 < 100: the AND holds
    assert output(harness.outputs(eid)) == 22
    eid = harness.run(closure, ints(x=1))
    error = harness.error(eid)
    assert (error.code, error.message, error.kind) == ("UserProvidedError", "[UserProvidedError] too small", 1)
    assert harness.tap.node_phases(eid.name, "n1") == ["QUEUED", "RUNNING", "FAILED"]
    harness.no_refusals()


def test_a_sub_workflow_nests_its_nodes(harness: Harness) -> None:
    eid = harness.run(compile_entity(wf.outer), ints(x=3))
    assert output(harness.outputs(eid)) == 9  # add_one(double(add_one(3)))
    for child in ("n0-0-start-node", "n0-0-n0", "n0-0-n1", "n0-0-end-node"):
        events = harness.tap.node_events(eid.name, child)
        # Start and end nodes succeed on their first step, with no RUNNING in between (as in propeller).
        expected = (
            ["QUEUED", "SUCCEEDED"]
            if child.endswith(("start-node", "end-node"))
            else ["QUEUED", "RUNNING", "SUCCEEDED"]
        )
        assert [NODE.Phase.Name(e.phase) for e in events] == expected
        assert events[0].parent_node_metadata.node_id == "n0"
    assert harness.tap.node_events(eid.name, "n0")[0].is_parent
    assert harness.node_row(eid, "n0-0-n1").parent_id == harness.node_row(eid, "n0").id
    harness.no_refusals()


def _max_overlap(marks: list[dict[str, Any]]) -> int:
    points = sorted([(m["start"], 1) for m in marks] + [(m["end"], -1) for m in marks])
    running = peak = 0
    for _, step in points:
        running += step
        peak = max(peak, running)
    return peak


def test_independent_nodes_run_in_parallel_up_to_max_parallelism(harness: Harness) -> None:
    closure = compile_entity(wf.fan_out)
    eid = harness.run(closure, ints(x=10), spec=harness.spec(max_parallelism=2))
    assert output(harness.outputs(eid)) == 40
    assert _max_overlap(harness.marked("sleepy")) == 2

    for mark in harness.marks.iterdir():
        mark.unlink()
    eid = harness.run(closure, ints(x=10))  # 0: the admin's default (25)
    assert output(harness.outputs(eid)) == 40
    assert _max_overlap(harness.marked("sleepy")) == 4
    harness.no_refusals()


def _set_aborting(ctx: AdminContext, eid: identifier_pb2.WorkflowExecutionIdentifier) -> None:
    """What TerminateExecution does before asking the engine to stop the run."""
    with ctx.store.begin() as conn:
        conn.execute(xs.executions.update().where(xs.executions.c.execution_name == eid.name).values(phase="ABORTING"))


def test_terminate_kills_the_process_and_aborts_the_run(harness: Harness) -> None:
    eid = harness.start(compile_entity(wf.long_sleep), ints(x=600))
    eventually(lambda: "RUNNING" in harness.tap.task_phases(eid.name, "n0", 0) and harness.marked("sleepy"))
    (mark,) = harness.marked("sleepy")
    os.kill(mark["pid"], 0)  # alive
    _set_aborting(harness.ctx, eid)
    harness.engine.terminate(eid, "no longer needed")
    assert harness.engine.wait(eid, WAIT)
    assert harness.execution(eid)[0] == "ABORTED"
    assert harness.tap.workflow_phases(eid.name)[-1] == "ABORTED"
    node = harness.tap.node_events(eid.name, "n0")[-1]
    assert NODE.Phase.Name(node.phase) == "ABORTED"
    assert (node.error.code, node.error.message) == ("NodeAborted", "no longer needed")
    task = harness.tap.task_events(eid.name, "n0", 0)[-1]
    assert (TASK.Phase.Name(task.phase), task.reason) == ("ABORTED", "no longer needed")
    with pytest.raises(ProcessLookupError):
        os.kill(mark["pid"], 0)
    harness.no_refusals()


def test_fail_immediately_aborts_the_running_siblings(harness: Harness) -> None:
    started = time.monotonic()
    eid = harness.run(compile_entity(wf.fail_fast), ints(x=1))
    assert time.monotonic() - started < 3  # the 3 s sleeper did not run to its end
    assert harness.error(eid).code == "RetriesExhausted|NonZeroExitCode"
    sleeper = harness.tap.node_events(eid.name, "n1")[-1]
    assert NODE.Phase.Name(sleeper.phase) == "ABORTED"
    assert sleeper.error.message == "Some node execution failed, auto-abort."
    assert "n2" not in harness.tap.node_ids(eid.name)
    harness.no_refusals()


def test_fail_after_executable_nodes_complete_runs_the_rest_and_skips_dependents(harness: Harness) -> None:
    eid = harness.run(compile_entity(wf.fail_late), ints(x=4))
    assert harness.error(eid).code == "RetriesExhausted|NonZeroExitCode"
    assert harness.tap.node_phases(eid.name, "n1")[-1] == "SUCCEEDED"  # double(x) does not depend on the crash
    names = {e.node_name: e.id.node_id for e in harness.tap.recorded if isinstance(e, event_pb2.NodeExecutionEvent)}
    assert harness.tap.node_phases(eid.name, names["add_one"]) == ["SKIPPED"]
    assert harness.tap.node_phases(eid.name, names["summ"]) == ["SKIPPED"]
    harness.no_refusals()


def test_the_failure_node_runs_with_the_error(harness: Harness) -> None:
    eid = harness.run(compile_entity(wf.guarded), ints(x=9))
    assert harness.tap.workflow_phases(eid.name) == ["QUEUED", "RUNNING", "FAILING", "FAILED"]
    error = harness.error(eid)
    assert error.code == "RetriesExhausted|NonZeroExitCode"
    (mark,) = harness.marked("clean_up")
    assert mark["err"] == {"node": "n0", "message": error.message, "x": 9}
    assert harness.tap.node_phases(eid.name, "fn0") == ["QUEUED", "RUNNING", "SUCCEEDED"]
    harness.no_refusals()


def test_a_launch_plan_node_runs_a_child_execution(harness: Harness) -> None:
    harness.children["engine_inner_lp"] = compile_entity(wf.inner)
    eid = harness.run(compile_entity(wf.calls_lp), ints(x=3))
    assert output(harness.outputs(eid)) == 9  # add_one(inner(3)) = add_one(double(add_one(3)))
    (launch,) = harness.child_launches
    assert launch.launch_plan_id.name == "engine_inner_lp"
    assert launch.parent_node_execution_id.node_id == "n0"
    assert launch.inputs == ints(x=3)
    child = identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name=f"{eid.name}-n0")
    assert output(harness.outputs(child)) == 8
    running = harness.tap.node_events(eid.name, "n0")[1]
    assert running.workflow_node_metadata.execution_id == child
    closure = node_execution_pb2.NodeExecutionClosure.FromString(harness.node_row(eid, "n0").closure)
    assert closure.workflow_node_metadata.executionId == child
    harness.no_refusals()


def test_recover_reuses_the_nodes_that_succeeded(harness: Harness) -> None:
    closure = compile_entity(wf.recoverable)
    original = harness.run(closure, ints(x=3))
    assert harness.tap.node_phases(original.name, "n0")[-1] == "SUCCEEDED"
    assert harness.tap.node_phases(original.name, "n1")[-1] == "FAILED"
    assert len(harness.marked("add_one")) == 1

    recovered = harness.run(closure, ints(x=3), spec=harness.spec(HEAL="1"), recover_from=original)
    assert output(harness.outputs(recovered)) == 4
    assert harness.tap.node_phases(recovered.name, "n0") == ["RECOVERED"]
    assert len(harness.marked("add_one")) == 1  # not run again
    assert harness.tap.task_events(recovered.name, "n0") == []
    assert harness.tap.node_phases(recovered.name, "n1")[-1] == "SUCCEEDED"
    assert output(harness.read(harness.node_row(recovered, "n0").input_uri), "x") == 3
    harness.no_refusals()


# ----------------------------------------------------------------------------------------------------------------
# Restarts


def test_start_ends_what_an_earlier_admin_left_running_and_cannot_resume(
    make_ctx: Callable[..., AdminContext], tmp_path: Path
) -> None:
    """An execution whose run request was not kept (nothing says what to run) is ended; the rest of resuming is
    tested in ``test_resume.py``."""
    config = AdminConfig(state_dir=tmp_path / "state", task_pythonpath=(str(REPO),))
    ctx = make_ctx(config)
    first = Harness(ctx, tmp_path / "marks")
    first.engine.start()
    eid = first.start(compile_entity(wf.long_sleep), ints(x=600))
    eventually(lambda: "RUNNING" in first.tap.task_phases(eid.name, "n0", 0) and first.marked("sleepy"))
    (mark,) = first.marked("sleepy")
    first.engine.stop()  # as at shutdown: processes killed, nothing more recorded
    with pytest.raises(ProcessLookupError):
        os.kill(mark["pid"], 0)
    assert first.execution(eid)[0] == "RUNNING"
    ctx.blobs.path_of(f"{run_prefix(eid)}/run.pb").unlink()  # as an admin that kept no run request

    # A task process a hard-killed admin left behind, recorded in the state directory.
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    ProcessTable(tmp_path / "state" / "engine" / "procs").add(orphan.pid)

    second = Harness(ctx, tmp_path / "marks")
    second.engine.start()
    try:
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        phase, closure = second.execution(eid)
        assert phase == "FAILED"
        assert closure.error.message == RESTART_MESSAGE
        assert closure.error.kind == core_execution_pb2.ExecutionError.SYSTEM
        assert second.node_row(eid, "n0").phase == "FAILED"
        with ctx.store.read() as conn:
            task = conn.execute(select(xs.task_executions).where(xs.task_executions.c.execution_name == eid.name)).one()
        assert task.phase == "FAILED"
        first.no_refusals()
        second.no_refusals()
    finally:
        second.engine.stop()
        if orphan.poll() is None:
            orphan.kill()


def test_an_execution_the_engine_does_not_run_is_aborted_at_once(harness: Harness) -> None:
    eid = insert_execution(harness.ctx.store, "stray", phase="RUNNING")
    _set_aborting(harness.ctx, eid)
    harness.engine.terminate(eid, "stop")
    assert harness.execution(eid)[0] == "ABORTED"
    assert harness.tap.workflow_phases("stray") == ["ABORTED"]


def test_an_execution_runs_once_and_a_stopped_engine_takes_no_runs(harness: Harness) -> None:
    closure = compile_entity(wf.long_sleep)
    eid = harness.start(closure, ints(x=600))
    with pytest.raises(ValueError, match="already running"):
        harness.engine.launch(RunRequest(eid, closure, ints(x=600), harness.spec()))
    harness.engine.stop()
    assert not harness.engine.is_running(eid)
    with pytest.raises(AdminError, match="not running"):
        harness.engine.launch(RunRequest(eid, closure, ints(x=600), harness.spec()))


# ----------------------------------------------------------------------------------------------------------------
# Over gRPC, through the admin's own executions manager


@pytest.fixture
def admin() -> Iterator[AdminServer]:
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),))
    with AdminServer(config=config) as server:
        yield server


def _register(stub: admin_pb2_grpc.AdminServiceStub, entity: Any, version: str) -> identifier_pb2.Identifier:
    """Register a launch plan and everything it references as ``pyflyte register`` would, every task swapped for
    :data:`FAKE`; return the launch plan's id."""
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=version
    )
    entities: OrderedDict[Any, Any] = OrderedDict()
    get_serializable(entities, settings, entity)
    lp_id = None
    for value in entities.values():
        if isinstance(value, TaskSpec):
            spec = value.to_flyte_idl()
            spec.template.container.ClearField("command")
            short = spec.template.id.name.rsplit(".", 1)[-1]
            spec.template.container.args[:] = ["python", "-c", FAKE, short, "{{.input}}", "{{.outputPrefix}}"]
            stub.CreateTask(task_pb2.TaskCreateRequest(id=spec.template.id, spec=spec))
        elif isinstance(value, WorkflowSpec):
            spec = value.to_flyte_idl()
            stub.CreateWorkflow(admin_workflow_pb2.WorkflowCreateRequest(id=spec.template.id, spec=spec))
        elif isinstance(value, FlytekitLaunchPlan):
            idl = value.to_flyte_idl()
            stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=idl.id, spec=idl.spec))
            lp_id = idl.id
    assert lp_id is not None
    return lp_id


def test_flytekit_runs_a_registered_workflow_on_the_admin(admin: AdminServer) -> None:
    remote = FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="g1"
    )
    registered = remote.register_workflow(wf.chain, serialization_settings=settings, version="g1")
    execution = remote.execute(registered, inputs={"x": 3})
    execution = remote.wait(execution, timeout=datetime.timedelta(seconds=WAIT), poll_interval=_POLL)
    assert execution.outputs["o0"] == 8
    execution = remote.sync_execution(execution, sync_nodes=True)
    (attempt,) = execution.node_executions["n1"].task_executions
    (link,) = attempt.closure.logs
    assert link.uri.startswith(f"{admin.http_endpoint}/logs/")
    assert "is recorded, not pulled" in urllib.request.urlopen(link.uri).read().decode()


def test_terminate_execution_over_grpc_aborts_the_run(admin: AdminServer, tmp_path: Path) -> None:
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    lp_id = _register(stub, LaunchPlan.get_or_create(wf.long_sleep), "g2")
    spec = execution_pb2.ExecutionSpec(launch_plan=lp_id)
    spec.envs.values.add(key="MARKS", value=str(tmp_path))
    created = stub.CreateExecution(
        execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec, inputs=ints(x=600))
    )
    marks = eventually(lambda: list(tmp_path.glob("sleepy-*")))
    pid = json.loads(marks[0].read_text())["pid"]
    stub.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=created.id, cause="enough"))

    def ended() -> Any:
        got = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=created.id))
        return got if got.closure.phase == WF.ABORTED else None

    execution = eventually(ended)
    assert execution.closure.abort_metadata.cause == "enough"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    nodes = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=created.id, limit=10)
    )
    phases = {n.id.node_id: NODE.Phase.Name(n.closure.phase) for n in nodes.node_executions}
    assert phases["n0"] == "ABORTED"


# ----------------------------------------------------------------------------------------------------------------
# The pieces


def _promise(node: str, var: str, *path: str | int) -> literals_pb2.BindingData:
    attrs = [
        types_pb2.PromiseAttribute(string_value=p) if isinstance(p, str) else types_pb2.PromiseAttribute(int_value=p)
        for p in path
    ]
    return literals_pb2.BindingData(promise=types_pb2.OutputReference(node_id=node, var=var, attr_path=attrs))


def test_bindings_resolve_promises_collections_maps_unions_and_attribute_paths() -> None:
    struct = struct_pb2.Struct()
    struct.update({"a": {"b": [1.5, "two", True]}, "n": 3})
    packed = msgpack.packb({"a": {"b": [7, "x"]}}, use_bin_type=True)
    binary = literals_pb2.Binary(value=packed, tag="msgpack")
    five = literals_pb2.LiteralCollection(literals=[ints(v=5).literals["v"]])
    outputs = {
        "start-node": ints(x=1),
        "n0": literals_pb2.LiteralMap(
            literals={
                "s": literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=struct)),
                "m": literals_pb2.Literal(scalar=literals_pb2.Scalar(binary=binary)),
                "l": literals_pb2.Literal(collection=five),
                "d": literals_pb2.Literal(map=ints(k=6)),
            }
        ),
    }
    lookup = outputs.get

    def one(data: literals_pb2.BindingData) -> literals_pb2.Literal:
        return resolve_binding_data(data, lookup)

    assert one(_promise("start-node", "x")).scalar.primitive.integer == 1
    assert one(_promise("n0", "s", "a", "b", 0)).scalar.primitive.float_value == 1.5
    assert one(_promise("n0", "s", "a", "b", 1)).scalar.primitive.string_value == "two"
    assert one(_promise("n0", "s", "n")).scalar.primitive.float_value == 3.0  # JSON numbers are floats
    assert len(one(_promise("n0", "s", "a", "b")).collection.literals) == 3
    assert dict(one(_promise("n0", "s", "a")).scalar.generic) == {"b": [1.5, "two", True]}
    # Inside msgpack (propeller v1.16): a primitive becomes a primitive, a list a collection of msgpack binaries
    # (what an array node maps over), anything else a msgpack binary.
    assert one(_promise("n0", "m", "a", "b", 0)).scalar.primitive.integer == 7
    assert one(_promise("n0", "m", "a", "b", 1)).scalar.primitive.string_value == "x"
    elements = one(_promise("n0", "m", "a", "b")).collection.literals
    assert [(msgpack.unpackb(e.scalar.binary.value), e.scalar.binary.tag) for e in elements] == [
        (7, "msgpack"),
        ("x", "msgpack"),
    ]
    resolved = one(_promise("n0", "m", "a")).scalar.binary
    assert (msgpack.unpackb(resolved.value), resolved.tag) == ({"b": [7, "x"]}, "msgpack")
    assert one(_promise("n0", "l", 0)).scalar.primitive.integer == 5
    assert one(_promise("n0", "d", "k")).scalar.primitive.integer == 6

    collection = literals_pb2.BindingData(
        collection=literals_pb2.BindingDataCollection(
            bindings=[_promise("start-node", "x"), literals_pb2.BindingData(scalar=ints(v=2).literals["v"].scalar)]
        )
    )
    assert [lit.scalar.primitive.integer for lit in one(collection).collection.literals] == [1, 2]
    mapping = literals_pb2.BindingData(map=literals_pb2.BindingDataMap(bindings={"k": _promise("start-node", "x")}))
    assert one(mapping).map.literals["k"].scalar.primitive.integer == 1
    union_type = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    wrapped = _promise("start-node", "x")
    wrapped.union.targetType.CopyFrom(union_type)
    union = one(wrapped).scalar.union
    assert (union.value.scalar.primitive.integer, union.type) == (1, union_type)

    for bad, message in (
        (_promise("n9", "x"), "upstream node [n9] has no outputs"),
        (_promise("start-node", "y"), "upstream node [start-node] has no output [y]"),
        (_promise("n0", "l", 3), "index [3] is out of range"),
        (_promise("n0", "s", "zz"), "key ['zz'] does not exist"),
        (_promise("start-node", "x", "a"), "cannot follow attribute ['a'] into a primitive"),
    ):
        with pytest.raises(BindingError, match=message.replace("[", r"\[").replace("]", r"\]")):
            one(bad)
    binding = literals_pb2.Binding(var="in", binding=_promise("start-node", "nope"))
    with pytest.raises(BindingError, match=r"failed to resolve input \[in\]"):
        resolve_bindings([binding], lookup)


def _cmp(op: int, left: Any, right: Any) -> condition_pb2.BooleanExpression:
    def operand(value: Any) -> condition_pb2.Operand:
        if isinstance(value, str) and value.startswith("$"):
            return condition_pb2.Operand(var=value[1:])
        if value is None:
            return condition_pb2.Operand(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))
        if isinstance(value, bool):
            return condition_pb2.Operand(primitive=literals_pb2.Primitive(boolean=value))
        if isinstance(value, int):
            return condition_pb2.Operand(primitive=literals_pb2.Primitive(integer=value))
        if isinstance(value, float):
            return condition_pb2.Operand(primitive=literals_pb2.Primitive(float_value=value))
        return condition_pb2.Operand(primitive=literals_pb2.Primitive(string_value=value))

    return condition_pb2.BooleanExpression(
        comparison=condition_pb2.ComparisonExpression(operator=op, left_value=operand(left), right_value=operand(right))
    )


def test_branch_conditions_compare_primitives_as_propeller() -> None:
    C = condition_pb2.ComparisonExpression
    none = literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))
    optional_five = literals_pb2.Literal(
        scalar=literals_pb2.Scalar(union=literals_pb2.Union(value=ints(v=5).literals["v"]))
    )
    inputs = literals_pb2.LiteralMap(literals={"x": ints(v=5).literals["v"], "n": none, "o": optional_five})
    assert evaluate(_cmp(C.GT, "$x", 4), inputs)
    assert evaluate(_cmp(C.GTE, "$x", 5), inputs) and evaluate(_cmp(C.LTE, "$x", 5), inputs)
    assert not evaluate(_cmp(C.LT, "$x", 5), inputs)
    assert evaluate(_cmp(C.EQ, "$o", 5), inputs)  # an Optional value compares by what is inside
    assert evaluate(_cmp(C.EQ, "$n", None), inputs) and not evaluate(_cmp(C.EQ, "$x", None), inputs)
    assert evaluate(_cmp(C.NEQ, "$x", None), inputs)
    assert evaluate(_cmp(C.LT, "abc", "abd"), inputs)
    assert evaluate(_cmp(C.EQ, True, True), inputs)
    both = condition_pb2.BooleanExpression(
        conjunction=condition_pb2.ConjunctionExpression(
            operator=condition_pb2.ConjunctionExpression.AND,
            left_expression=_cmp(C.GT, "$x", 1),
            right_expression=_cmp(C.LT, "$x", 3),
        )
    )
    assert not evaluate(both, inputs)
    both.conjunction.operator = condition_pb2.ConjunctionExpression.OR
    assert evaluate(both, inputs)
    for expr, message in (
        (_cmp(C.GT, "$x", 1.0), "[MalformedBranchUserError] Comparison between different primitives types"),
        (_cmp(C.GT, True, False), "[MalformedBranchUserError] [GT] not defined for boolean operands."),
        (_cmp(C.GT, "$n", 1), "[MalformedBranchUserError] Comparison between nil and non-nil values"),
        (_cmp(C.EQ, "$missing", 1), "[MalformedBranchUserError] Failed to find Value for Variable [missing]"),
    ):
        with pytest.raises(BranchError) as info:
            evaluate(expr, inputs)
        assert str(info.value).startswith(message)

    if_else = workflow_pb2.IfElseBlock(
        case=workflow_pb2.IfBlock(condition=_cmp(C.GT, "$x", 10), then_node=workflow_pb2.Node(id="a"))
    )
    if_else.other.add(condition=_cmp(C.GT, "$x", 1), then_node=workflow_pb2.Node(id="b"))
    assert decide_branch(if_else, inputs).id == "b"
    if_else.other[0].condition.CopyFrom(_cmp(C.GT, "$x", 100))
    with pytest.raises(BranchError, match=r"^\[MalformedBranchUserError\] No branch satisfied$"):
        decide_branch(if_else, inputs)
    if_else.else_node.CopyFrom(workflow_pb2.Node(id="c"))
    assert decide_branch(if_else, inputs).id == "c"


def test_node_ids_and_placeholders_follow_propeller() -> None:
    assert child_node_id(None, 0, "n0") == "n0"
    assert child_node_id("n1", 0, "n0") == "n1-0-n0"
    assert child_node_id("n1-0-n2-0-n3", 0, "n4-n5") == "n1-0-n2-0-n3-0-n4-n5"  # 20 characters: kept
    long_id = child_node_id("n1-0-n2-0-n3", 0, "n4-n15")  # 21 characters: hashed as flytestdlib does
    assert long_id == fixed_length_unique_id("n1-0-n2-0-n3-0-n4-n15") and len(long_id) == 8
    assert long_id.startswith("f") and long_id != fixed_length_unique_id("n1-0-n2-0-n3-0-n4-n16")
    # flytestdlib's own test vectors (FNV-1a 32, base32 over "abcdefghijklmnopqrstuvwxyz123456").
    assert fixed_length_unique_id("xx", 1) == "flfryc2i"
    assert fixed_length_unique_id("xxxxxx", 5) == "fufiti6i"
    assert fixed_length_unique_id("x" * 24) == "fuaa3aji"

    inputs = literals_pb2.LiteralMap(
        literals={
            "x": ints(v=3).literals["v"],
            "flag": literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=True))),
            "f": literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(float_value=2.0))),
            "xs": literals_pb2.Literal(
                collection=literals_pb2.LiteralCollection(literals=[ints(v=1).literals["v"], ints(v=2).literals["v"]])
            ),
        }
    )
    values = {"input": "file:///i/inputs.pb", "outputPrefix": "file:///o", "prevCheckpointPrefix": '""'}
    assert render("{{.input}}", values, inputs) == "file:///i/inputs.pb"
    assert render("--out={{ .OutputPrefix }}/x", values, inputs) == "--out=file:///o/x"
    assert render("{{$prevCheckpointPrefix}}", values, inputs) == '""'
    assert render("{{.inputs.x}}-{{.Inputs.flag}}-{{.inputs.f}}-{{.inputs.xs}}", values, inputs) == "3-true-2-[1,2]"
    with pytest.raises(RenderError, match=r"input \[y\]"):
        render("{{.inputs.y}}", values, inputs)


def test_cancel_tokens_reach_their_descendants() -> None:
    root = CancelToken()
    child = root.child()
    grandchild = child.child()
    sibling = root.child()
    child.cancel("mine")
    assert child.cancelled and grandchild.cancelled and grandchild.reason == "mine"
    assert not root.cancelled and not sibling.cancelled
    root.cancel("all")
    assert sibling.cancelled and sibling.reason == "all" and child.reason == "mine"
    assert root.child().cancelled  # made after the fact: born cancelled


def test_log_names_stay_inside_the_logs_directory(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs")
    name = LogStore.name_for("p", "d", "exec/../..", "n0", 0)
    assert "/" not in name and name.endswith(".log")
    assert store.path_of(name) == store.dir / name
    assert name != LogStore.name_for("p", "d", "exec_.._..", "n0", 0)
    for bad in ("../x.log", "a/b.log", ".hidden.log", "x.txt", "..log", ""):
        assert store.path_of(bad) is None
    assert store.url(name, "http://h:1") == f"http://h:1/logs/{name}"
    assert store.url(name, None) == (store.dir / name).as_uri()


def test_pod_tasks_run_their_primary_container_and_others_are_refused() -> None:
    template = compile_entity(wf.one_task).tasks[0].template
    pod = tasks_pb2.TaskTemplate(id=template.id, type="python-task")
    pod.k8s_pod.primary_container_name = "main"
    pod.k8s_pod.pod_spec.update(
        {
            "containers": [
                {"name": "side", "image": "busybox", "args": ["sleep", "1"]},
                {
                    "name": "main",
                    "image": "img:1",
                    "command": ["python"],
                    "args": ["-c", "pass"],
                    "env": [{"name": "A", "value": "1"}],
                },
            ]
        }
    )
    container = container_of(pod)
    assert (container.image, container.argv, container.env) == ("img:1", ["python", "-c", "pass"], {"A": "1"})
    with pytest.raises(UnsupportedTask, match=r"task type \[sql\] has no container"):
        container_of(tasks_pb2.TaskTemplate(type="sql"))


def test_what_a_finished_process_leaves_decides_the_attempt(tmp_path: Path) -> None:
    template = compile_entity(wf.one_task).tasks[0].template
    out = tmp_path / "out"
    out.mkdir()
    paths = AttemptPaths("", "", out, out.as_uri(), "", "", "", "", tmp_path, tmp_path / "x.log")
    attempt = Attempt(task=template, inputs=ints(x=1), paths=paths, env={}, python=sys.executable)

    result = read_result(attempt, 0, b"")
    assert (result.outcome, result.error.code) == ("failed", "OutputsNotFound")
    (out / "outputs.pb").write_bytes(ints(other=1).SerializeToString())
    assert "lacks the outputs [o0]" in read_result(attempt, 0, b"").error.message
    (out / "outputs.pb").write_bytes(ints(o0=2).SerializeToString())
    result = read_result(attempt, 0, b"")
    assert result.outcome == "succeeded" and output(result.outputs) == 2
    result = read_result(attempt, -9, b"some\nlast words\n")
    assert result.outcome == "failed" and result.recoverable
    assert result.error.message.startswith("the task process was killed by signal 9 without writing error.pb")
    assert result.error.message.endswith("some\nlast words")
    (out / "futures.pb").write_bytes(b"")
    assert read_result(attempt, 0, b"").outcome == "dynamic"  # its workflow runs next (test_dynamic.py)
    assert read_result(attempt, 1, b"").error.code == "NonZeroExitCode"  # a failed process wrote no workflow
