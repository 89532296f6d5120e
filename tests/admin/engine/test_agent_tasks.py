"""Tasks without a container, run by the engine through Flyte's agent protocol against a real agent server.

The agent server is flytekit's own ``pyflyte serve agent``, started by the engine (:mod:`~flyteplane.admin.engine.
agent_server`) with the test agents of ``engine_agent_workflows.py`` imported (``AdminConfig.agent_modules``). Most
tests share one server (it needs a few seconds to start); the ones about starting, stopping and failing to reach a
server make their own. Events go through the admin's real EventRecorder (:class:`Harness` of ``test_engine.py``),
which must refuse none of them.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flyteidl.core import literals_pb2
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.remote import FlyteRemote
from flytekit.tools.translator import get_serializable
from tests.admin import engine_agent_workflows as awf
from tests.admin.engine.test_engine import (
    _POLL,
    DOMAIN,
    PROJECT,
    REPO,
    SETTINGS,
    TASK,
    WAIT,
    Harness,
    _set_aborting,
    compile_entity,
    eventually,
    ints,
    output,
)

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.engine import Engine
from flyteplane.admin.engine.agent_server import LocalAgentServer
from flyteplane.admin.engine.agent_tasks import AGENT_PLUGIN_ID, AgentSettings, AgentTasks, agents_for
from flyteplane.admin.engine.task_runner import ProcessTable

MODULES = ("tests.admin.engine_agent_workflows",)


def _config(**overrides: object) -> AdminConfig:
    base: dict[str, object] = {
        "task_pythonpath": (str(REPO),),
        "task_kill_grace_seconds": 0.5,
        "agent_modules": MODULES,
        "agent_poll_interval_seconds": 0.2,
    }
    return AdminConfig(**{**base, **overrides})  # type: ignore[arg-type]


class AgentHarness(Harness):
    """The engine harness, its engine using ``agents``."""

    def __init__(self, ctx: AdminContext, marks: Path, agents: AgentTasks | None) -> None:
        super().__init__(ctx, marks)
        self.engine = Engine(
            ctx.config, ctx.blobs, ctx.logs, self.port, http_endpoint=lambda: self.http_endpoint, agents=agents
        )


@pytest.fixture(scope="module")
def shared_agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentTasks]:
    """One local agent server for the module's tests (started by the first agent task)."""
    work = tmp_path_factory.mktemp("agents")
    server = LocalAgentServer(sys.executable, (str(REPO),), MODULES, work, ProcessTable(None), kill_grace=0.5)
    agents = AgentTasks(AgentSettings(poll_interval=0.2), server)
    yield agents
    agents.stop()


@pytest.fixture
def make_harness(make_ctx: Callable[..., AdminContext], tmp_path: Path) -> Iterator[Callable[..., AgentHarness]]:
    made: list[AgentHarness] = []

    def make(agents: AgentTasks | None = None, **config: object) -> AgentHarness:
        h = AgentHarness(make_ctx(_config(**config)), tmp_path / f"marks{len(made)}", agents)
        h.engine.start()
        made.append(h)
        return h

    yield make
    for h in made:
        h.engine.stop()


@pytest.fixture
def harness(make_harness: Callable[..., AgentHarness], shared_agents: AgentTasks) -> AgentHarness:
    return make_harness(shared_agents)


def _strings(**values: str) -> literals_pb2.LiteralMap:
    out = literals_pb2.LiteralMap()
    for key, value in values.items():
        out.literals[key].scalar.primitive.string_value = value
    return out


def _countdown_inputs(n: int, seconds: float, marks: Path) -> literals_pb2.LiteralMap:
    out = ints(n=n)
    out.literals["seconds"].scalar.primitive.float_value = seconds
    out.literals["marks"].scalar.primitive.string_value = str(marks)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------------------------------------------


def test_a_file_sensor_succeeds_when_the_file_appears(harness: AgentHarness, tmp_path: Path) -> None:
    target = tmp_path / "arrives-later.txt"
    eid = harness.start(compile_entity(awf.sensed, fast=False), _strings(path=str(target)))
    # The sensor pokes while the file is missing: the attempt is RUNNING and the run goes on.
    eventually(lambda: "RUNNING" in harness.tap.task_phases(eid.name, "n0", 0), timeout=WAIT)
    time.sleep(0.5)
    assert harness.engine.is_running(eid)
    target.write_text("here")
    assert harness.engine.wait(eid, WAIT)
    assert harness.execution(eid)[0] == "SUCCEEDED"
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "RUNNING", "SUCCEEDED"]
    events = harness.tap.task_events(eid.name, "n0", 0)
    assert {e.metadata.plugin_identifier for e in events} == {AGENT_PLUGIN_ID}
    assert {e.task_type for e in events} == {"sensor"}
    harness.no_refusals()


def test_a_custom_async_agent_runs_and_reports_its_logs_and_outputs(harness: AgentHarness) -> None:
    spec = harness.spec(GREETING="hi")
    spec.labels.values["team"] = "flyteplane"
    eid = harness.run(compile_entity(awf.counted, fast=False), _countdown_inputs(4, 0.6, harness.marks), spec=spec)
    assert output(harness.outputs(eid)) == 40
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "RUNNING", "SUCCEEDED"]
    running = harness.tap.task_events(eid.name, "n0", 0)[1]
    (link,) = running.logs
    assert link.name == "countdown job" and link.uri.startswith("https://jobs.example/")
    assert running.custom_info["job"] == link.uri.rsplit("/", 1)[-1]
    assert running.reason == "counting"
    # The agent was given the attempt's output prefix (under the run's data) and its execution metadata.
    (created,) = harness.marks.glob("created-*")
    seen = json.loads(created.read_text())
    assert seen["output_prefix"].startswith("file://") and eid.name in seen["output_prefix"]
    assert (seen["namespace"], seen["execution"]) == (f"{eid.project}-{eid.domain}", eid.name)
    assert seen["labels"] == {"team": "flyteplane"} and seen["env"]["GREETING"] == "hi"
    assert seen["custom"] == {"purpose": "flyteplane tests"}
    harness.no_refusals()


def test_an_agent_failure_fails_the_task_with_its_message(harness: AgentHarness) -> None:
    eid = harness.run(compile_entity(awf.counted, fast=False), _countdown_inputs(-1, 0.0, harness.marks))
    error = harness.error(eid)
    assert error.code == "TaskFailedWithError"
    assert error.message == "failed to run the job: cannot count from -1"
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "FAILED"]
    harness.no_refusals()


def test_terminating_a_run_deletes_the_agent_task(harness: AgentHarness) -> None:
    eid = harness.start(compile_entity(awf.counted, fast=False), _countdown_inputs(1, 600.0, harness.marks))
    eventually(lambda: "RUNNING" in harness.tap.task_phases(eid.name, "n0", 0), timeout=WAIT)
    (created,) = harness.marks.glob("created-*")
    job = created.name.removeprefix("created-")
    _set_aborting(harness.ctx, eid)
    harness.engine.terminate(eid, "no longer needed")
    assert harness.engine.wait(eid, WAIT)
    assert harness.execution(eid)[0] == "ABORTED"
    assert (harness.marks / f"deleted-{job}").read_text() == "deleted"
    last = harness.tap.task_events(eid.name, "n0", 0)[-1]
    assert (TASK.Phase.Name(last.phase), last.reason) == ("ABORTED", "no longer needed")
    harness.no_refusals()


def test_a_timed_out_agent_task_is_deleted(harness: AgentHarness) -> None:
    closure = compile_entity(awf.counted, fast=False)
    for task in closure.tasks:
        task.template.metadata.timeout.FromSeconds(1)
    eid = harness.run(closure, _countdown_inputs(1, 600.0, harness.marks))
    error = harness.error(eid)
    assert "task execution timeout [1s] expired" in error.message
    (created,) = harness.marks.glob("created-*")
    assert (harness.marks / created.name.replace("created-", "deleted-")).exists()
    harness.no_refusals()


def test_a_task_type_no_agent_serves_fails_naming_the_type(harness: AgentHarness) -> None:
    eid = harness.run(compile_entity(awf.unserved, fast=False), ints(x=1))
    error = harness.error(eid)
    assert error.code == "UnsupportedTaskType"
    assert error.message.startswith(f"no agent serves task type [{awf.NOBODY_TYPE}] (version 0)")
    assert "sensor" in error.message and awf.COUNTDOWN_TYPE in error.message
    harness.no_refusals()


def test_without_any_agent_a_task_without_container_fails_clearly(make_harness: Callable[..., AgentHarness]) -> None:
    harness = make_harness(start_local_agent=False)
    eid = harness.run(compile_entity(awf.unserved, fast=False), ints(x=1))
    error = harness.error(eid)
    assert error.message.startswith(f"task type [{awf.NOBODY_TYPE}] has no container and no agent is configured")
    harness.no_refusals()


def test_an_unreachable_agent_fails_the_task_with_the_address(make_harness: Callable[..., AgentHarness]) -> None:
    address = f"127.0.0.1:{_free_port()}"
    harness = make_harness(agent_endpoint=address)
    eid = harness.run(compile_entity(awf.added, fast=False), ints(x=1))
    error = harness.error(eid)
    assert error.code == "AgentUnreachable"
    assert f"cannot reach the agent server at [{address}] for task type [{awf.ADD_HUNDRED_TYPE}]" in error.message
    harness.no_refusals()


def test_a_sync_agent_runs_on_a_local_server_the_engine_starts_and_stops(
    make_harness: Callable[..., AgentHarness],
) -> None:
    harness = make_harness()  # agents built from the config: a local server of the engine's own
    agents = harness.engine.agents
    assert agents.local_server is not None and not agents.local_server.running
    eid = harness.run(compile_entity(awf.added, fast=False), ints(x=5))
    assert output(harness.outputs(eid)) == 105
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "SUCCEEDED"]
    server = agents.local_server
    proc = server._proc
    assert proc is not None and server.running
    harness.engine.stop()  # nothing is left running
    assert not server.running and proc.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
    harness.no_refusals()


def test_an_agent_server_that_cannot_start_fails_the_task_with_its_log(
    make_harness: Callable[..., AgentHarness],
) -> None:
    harness = make_harness(agent_modules=("no_such_agent_module_anywhere",))
    eid = harness.run(compile_entity(awf.added, fast=False), ints(x=5))
    error = harness.error(eid)
    assert error.code == "AgentServerNotStarted"
    assert error.message.startswith(f"task type [{awf.ADD_HUNDRED_TYPE}] needs an agent: the local agent server")
    assert "exited with code" in error.message and "no_such_agent_module_anywhere" in error.message
    harness.no_refusals()


def test_agent_tasks_are_tasks_without_a_container_or_of_configured_types(tmp_path: Path) -> None:
    agents = agents_for(
        _config(agent_for_task_types={"python-task": "127.0.0.1:1"}), sys.executable, (), tmp_path, ProcessTable(None)
    )
    sensor = compile_entity(awf.sensed, fast=False).tasks[0].template
    assert agents.serves(sensor)
    echo = sensor.__class__()
    echo.CopyFrom(sensor)
    echo.type = "echo"
    assert not agents.serves(echo)  # the engine's own kind
    raw = awf.raw_container("raw_probe", "in", "out")
    template = get_serializable(OrderedDict(), SETTINGS, raw).template.to_flyte_idl()
    assert not agents.serves(template)
    template.type = "python-task"
    assert agents.serves(template)  # configured for an agent even with a container
    with pytest.raises(ValueError, match="agent_poll_interval_seconds"):
        AdminConfig(agent_poll_interval_seconds=0)
    with pytest.raises(TypeError, match="agent_modules"):
        AdminConfig(agent_modules="one.module")  # type: ignore[arg-type]


def test_flytekit_runs_an_agent_task_on_the_admin_which_starts_and_stops_its_agent_server(tmp_path: Path) -> None:
    config = _config(seed_projects=(PROJECT,))
    with AdminServer(config=config) as admin:
        remote = FlyteRemote(
            Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
        )
        settings = SerializationSettings(
            image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="a1"
        )
        registered = remote.register_workflow(awf.counted, serialization_settings=settings, version="a1")
        execution = remote.execute(registered, inputs={"n": 3, "seconds": 0.3, "marks": str(tmp_path)})
        execution = remote.wait(execution, timeout=datetime.timedelta(seconds=WAIT), poll_interval=_POLL)
        assert execution.outputs["o0"] == 30
        execution = remote.sync_execution(execution, sync_nodes=True)
        (attempt,) = execution.node_executions["n0"].task_executions
        assert [log.uri.rsplit("/", 1)[0] for log in attempt.closure.logs] == ["https://jobs.example"]
        assert admin.services is not None
        server = admin.services.engine.agents.local_server
        assert server is not None and server._proc is not None
        pid = server._proc.pid
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # the admin's stop stopped its agent server
