"""Cached tasks on the embedded admin, run by flytekit: hits, misses, ignored inputs, HashMethod, serialized caches,
overwrite_cache, map task elements, a restart, and ``flyteplane cache list|evict``.

The tasks (``engine_cache_workflows.py``) are real flytekit tasks run by ``pyflyte-execute``; each leaves a mark in
``$CACHE_MARKS`` when its body runs, so a cache hit is told by the mark that is *not* there (and by the task
execution and log that do not exist).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import node_execution_pb2, task_execution_pb2, task_pb2
from flyteidl.core import catalog_pb2, identifier_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.service import admin_pb2_grpc
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.models.task import TaskSpec
from flytekit.remote import FlyteRemote
from flytekit.remote.executions import FlyteWorkflowExecution
from flytekit.tools.translator import get_serializable
from tests.admin import engine_cache_workflows as cw

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.domain.catalog_keys import TASK_NAMESPACE, signature_hash
from flyteplane.admin.engine.logs import LogStore
from flyteplane.cli.main import main as cli

REPO = Path(__file__).resolve().parents[3]
PROJECT, DOMAIN = "flytesnacks", "development"
VERSION = "c1"
SETTINGS = SerializationSettings(
    image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=VERSION
)
WAIT = datetime.timedelta(seconds=90)
POLL = datetime.timedelta(seconds=0.2)
C = catalog_pb2.CatalogCacheStatus
NODE = core_execution_pb2.NodeExecution
WF = core_execution_pb2.WorkflowExecution
TASK = core_execution_pb2.TaskExecution
MODULE = "tests.admin.engine_cache_workflows"


def _config(**kwargs: Any) -> AdminConfig:
    return AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),), **kwargs)


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    with AdminServer(config=_config()) as server:
        yield server


@pytest.fixture(scope="module")
def remote(admin: AdminServer) -> FlyteRemote:
    return FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )


@pytest.fixture(scope="module")
def stub(admin: AdminServer) -> Iterator[admin_pb2_grpc.AdminServiceStub]:
    with grpc.insecure_channel(admin.endpoint) as channel:
        yield admin_pb2_grpc.AdminServiceStub(channel)


def _run(remote: FlyteRemote, entity: Any, marks: Path, **inputs: Any) -> FlyteWorkflowExecution:
    return _wait(remote, _start(remote, entity, marks, **inputs))


def _start(
    remote: FlyteRemote, entity: Any, marks: Path, overwrite_cache: bool | None = None, **inputs: Any
) -> FlyteWorkflowExecution:
    return remote.execute(entity, inputs=inputs, envs={"CACHE_MARKS": str(marks)}, overwrite_cache=overwrite_cache)


def _wait(remote: FlyteRemote, execution: FlyteWorkflowExecution) -> FlyteWorkflowExecution:
    done = remote.wait(execution, timeout=WAIT, poll_interval=POLL)
    assert done.closure.phase == WF.SUCCEEDED, done.closure.error
    return done


def _marks(directory: Path, name: str, value: object) -> list[Path]:
    return sorted(directory.glob(f"{name}-{value}-*"))


def _task_node(
    stub: admin_pb2_grpc.AdminServiceStub, execution: FlyteWorkflowExecution, node_id: str | None = None
) -> node_execution_pb2.NodeExecution:
    """The execution's task node (the only node besides start and end, unless named)."""
    eid = execution.id.to_flyte_idl()
    nodes = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=eid, limit=100)
    ).node_executions
    found = [n for n in nodes if n.id.node_id not in ("start-node", "end-node")]
    if node_id is not None:
        found = [n for n in found if n.id.node_id == node_id]
    assert len(found) == 1, [n.id.node_id for n in nodes]
    return found[0]


def _attempts(
    stub: admin_pb2_grpc.AdminServiceStub, node: node_execution_pb2.NodeExecution
) -> list[task_execution_pb2.TaskExecution]:
    return list(
        stub.ListTaskExecutions(
            task_execution_pb2.TaskExecutionListRequest(node_execution_id=node.id, limit=100)
        ).task_executions
    )


def _dataset_version(entity: Any, cache_version: str = "1") -> str:
    entities: OrderedDict[Any, Any] = OrderedDict()
    get_serializable(entities, SETTINGS, entity)
    template = entities[entity].template.to_flyte_idl()
    return f"{cache_version}-{signature_hash(template.interface)}"


# ----------------------------------------------------------------------------------------------------------------
def test_a_second_identical_run_is_a_cache_hit_and_the_task_does_not_run(
    admin: AdminServer, remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.cached_square, SETTINGS, version=VERSION)
    first = _run(remote, task, tmp_path, x=7)
    assert first.outputs["o0"] == 49
    populated = _task_node(stub, first)
    metadata = populated.closure.task_node_metadata
    assert metadata.cache_status == C.CACHE_POPULATED
    dataset = metadata.catalog_key.dataset_id
    assert dataset.resource_type == identifier_pb2.DATASET
    assert (dataset.project, dataset.domain) == (PROJECT, DOMAIN)
    assert dataset.name == f"{TASK_NAMESPACE}-{MODULE}.cached_square"
    assert dataset.version == _dataset_version(cw.cached_square)
    assert metadata.catalog_key.artifact_tag.name.startswith("flyte_cached-")
    assert metadata.catalog_key.artifact_tag.artifact_id

    second = _run(remote, task, tmp_path, x=7)
    assert second.outputs["o0"] == 49
    assert len(_marks(tmp_path, "cached_square", 7)) == 1  # the second run computed nothing
    hit = _task_node(stub, second)
    assert hit.closure.phase == NODE.SUCCEEDED
    assert hit.closure.task_node_metadata.cache_status == C.CACHE_HIT
    key = hit.closure.task_node_metadata.catalog_key
    assert key.dataset_id == dataset
    assert key.artifact_tag == metadata.catalog_key.artifact_tag
    source = key.source_task_execution
    assert source.node_execution_id.execution_id.name == first.id.name
    assert source.node_execution_id.node_id == populated.id.node_id
    assert source.task_id.name == f"{MODULE}.cached_square"
    assert source.task_id.version == VERSION
    # Never QUEUED or RUNNING (propeller's single SUCCEEDED event), no attempt, no log.
    assert not hit.closure.HasField("started_at")
    assert _attempts(stub, hit) == []
    log_name = LogStore.name_for(PROJECT, DOMAIN, second.id.name, hit.id.node_id, 0)
    ctx = admin.context
    assert ctx is not None
    assert not ctx.logs.path_of(log_name).exists()  # type: ignore[union-attr]
    assert ctx.logs.path_of(LogStore.name_for(PROJECT, DOMAIN, first.id.name, hit.id.node_id, 0)).exists()  # type: ignore[union-attr]

    # flytekit's FlyteRemote reads the hit from the node execution's closure.
    synced = remote.sync_execution(second, sync_nodes=True)
    (node,) = [n for n in synced.node_executions.values() if n.id.node_id == hit.id.node_id]
    assert node.closure.task_node_metadata.cache_status == C.CACHE_HIT
    assert node.closure.task_node_metadata.catalog_key.dataset_id.name == dataset.name
    assert node.task_executions == []
    assert node.outputs["o0"] == 49


def test_other_inputs_or_another_cache_version_miss(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.cached_square, SETTINGS, version=VERSION)
    _run(remote, task, tmp_path, x=11)
    other = _run(remote, task, tmp_path, x=12)
    assert other.outputs["o0"] == 144
    assert _task_node(stub, other).closure.task_node_metadata.cache_status == C.CACHE_POPULATED

    # The same task registered again with cache_version "2": a new dataset, so the same inputs compute again.
    entities: OrderedDict[Any, Any] = OrderedDict()
    get_serializable(entities, SETTINGS, cw.cached_square)
    spec = entities[cw.cached_square].to_flyte_idl()
    spec.template.id.version = "c2"
    spec.template.metadata.discovery_version = "2"
    stub.CreateTask(task_pb2.TaskCreateRequest(id=spec.template.id, spec=spec))
    bumped = remote.fetch_task(name=f"{MODULE}.cached_square", version="c2")
    again = _run(remote, bumped, tmp_path, x=11)
    assert again.outputs["o0"] == 121
    assert len(_marks(tmp_path, "cached_square", 11)) == 2
    metadata = _task_node(stub, again).closure.task_node_metadata
    assert metadata.cache_status == C.CACHE_POPULATED
    assert metadata.catalog_key.dataset_id.version == _dataset_version(cw.cached_square, "2")


def test_cache_ignore_input_vars_leave_those_inputs_out_of_the_key(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.ignoring_note, SETTINGS, version=VERSION)
    _run(remote, task, tmp_path, x=1, note="first")
    same = _run(remote, task, tmp_path, x=1, note="a different note")
    assert same.outputs["o0"] == 2
    assert _task_node(stub, same).closure.task_node_metadata.cache_status == C.CACHE_HIT
    other = _run(remote, task, tmp_path, x=2, note="first")
    assert _task_node(stub, other).closure.task_node_metadata.cache_status == C.CACHE_POPULATED
    assert len(_marks(tmp_path, "ignoring_note", 1)) == 1
    assert len(_marks(tmp_path, "ignoring_note", 2)) == 1


def test_a_hash_method_s_literal_hash_stands_for_the_value(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    workflow = remote.register_workflow(cw.hashed, SETTINGS, version=VERSION)
    first = _run(remote, workflow, tmp_path, x=3)
    assert first.outputs["o0"] == 6
    # 13's hash is its last digit, 3, as 3's: the cached task sees the same input and computes nothing.
    second = _run(remote, workflow, tmp_path, x=13)
    assert second.outputs["o0"] == 6
    assert _marks(tmp_path, "consume", 13) == []
    assert _task_node(stub, second, "n1").closure.task_node_metadata.cache_status == C.CACHE_HIT
    third = _run(remote, workflow, tmp_path, x=4)
    assert third.outputs["o0"] == 8
    assert _task_node(stub, third, "n1").closure.task_node_metadata.cache_status == C.CACHE_POPULATED


def test_cache_serialize_computes_once_for_two_concurrent_runs(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.serialized_slow, SETTINGS, version=VERSION)
    started = [_start(remote, task, tmp_path, x=5), _start(remote, task, tmp_path, x=5)]
    finished: list[FlyteWorkflowExecution] = []
    waiters = [threading.Thread(target=lambda e=e: finished.append(_wait(remote, e))) for e in started]
    for waiter in waiters:
        waiter.start()
    for waiter in waiters:
        waiter.join()
    assert sorted(e.outputs["o0"] for e in finished) == [50, 50]
    assert len(_marks(tmp_path, "serialized_slow", 5)) == 1
    statuses = sorted(_task_node(stub, e).closure.task_node_metadata.cache_status for e in finished)
    assert statuses == sorted([C.CACHE_POPULATED, C.CACHE_HIT])


def _node_phase(stub: admin_pb2_grpc.AdminServiceStub, execution: FlyteWorkflowExecution) -> int | None:
    eid = execution.id.to_flyte_idl()
    nodes = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=eid, limit=100)
    ).node_executions
    phases = [n.closure.phase for n in nodes if n.id.node_id not in ("start-node", "end-node")]
    return phases[0] if phases else None


def _until(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_run_waiting_on_a_serialized_cache_stays_queued_and_can_be_aborted(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.serialized_slow, SETTINGS, version=VERSION)
    holder = _start(remote, task, tmp_path, x=6)
    _until(lambda: _node_phase(stub, holder) == NODE.RUNNING)
    waiter = _start(remote, task, tmp_path, x=6)
    _until(lambda: _node_phase(stub, waiter) == NODE.QUEUED)
    time.sleep(0.5)
    assert _node_phase(stub, waiter) == NODE.QUEUED  # it waits for the holder, without a task execution
    remote.terminate(waiter, "not needed")
    aborted = remote.wait(waiter, timeout=WAIT, poll_interval=POLL)
    assert aborted.closure.phase == WF.ABORTED
    assert _node_phase(stub, aborted) == NODE.ABORTED
    assert _attempts(stub, _task_node(stub, aborted)) == []
    done = _wait(remote, holder)
    assert done.outputs["o0"] == 60
    assert len(_marks(tmp_path, "serialized_slow", 6)) == 1


def test_overwrite_cache_recomputes_and_replaces_the_cached_outputs(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.cached_square, SETTINGS, version=VERSION)
    first = _run(remote, task, tmp_path, x=21)
    first_key = _task_node(stub, first).closure.task_node_metadata.catalog_key
    overwritten = _wait(remote, _start(remote, task, tmp_path, overwrite_cache=True, x=21))
    assert len(_marks(tmp_path, "cached_square", 21)) == 2
    metadata = _task_node(stub, overwritten).closure.task_node_metadata
    assert metadata.cache_status == C.CACHE_POPULATED
    assert metadata.catalog_key.artifact_tag == first_key.artifact_tag  # the same artifact, its data replaced
    assert metadata.catalog_key.source_task_execution.node_execution_id.execution_id.name == overwritten.id.name
    later = _run(remote, task, tmp_path, x=21)
    key = _task_node(stub, later).closure.task_node_metadata.catalog_key
    assert key.source_task_execution.node_execution_id.execution_id.name == overwritten.id.name
    assert len(_marks(tmp_path, "cached_square", 21)) == 2


def test_map_task_elements_are_cached_one_by_one(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    workflow = remote.register_workflow(cw.squares, SETTINGS, version=VERSION)
    first = _run(remote, workflow, tmp_path, xs=[31, 32, 33])
    assert first.outputs["o0"] == [961, 1024, 1089]
    second = _run(remote, workflow, tmp_path, xs=[32, 33, 34])
    assert second.outputs["o0"] == [1024, 1089, 1156]
    for value in (31, 32, 33, 34):
        assert len(_marks(tmp_path, "cached_square", value)) == 1, value
    array = _task_node(stub, second, "n0")
    (attempt,) = _attempts(stub, array)
    resources = {r.index: r for r in attempt.closure.metadata.external_resources}
    assert [resources[i].cache_status for i in range(3)] == [C.CACHE_HIT, C.CACHE_HIT, C.CACHE_POPULATED]
    assert all(r.phase == TASK.SUCCEEDED for r in resources.values())


def test_a_cached_dynamic_task_is_answered_from_the_cache_without_its_workflow(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.cached_fanout, SETTINGS, version=VERSION)
    first = _run(remote, task, tmp_path, n=3)
    assert first.outputs["o0"] == [0, 1, 4]
    node = _task_node(stub, first)
    assert node.metadata.is_dynamic
    assert node.closure.task_node_metadata.cache_status == C.CACHE_POPULATED
    second = _run(remote, task, tmp_path, n=3)
    assert second.outputs["o0"] == [0, 1, 4]
    assert len(_marks(tmp_path, "cached_fanout", 3)) == 1
    hit = _task_node(stub, second)
    assert hit.closure.task_node_metadata.cache_status == C.CACHE_HIT
    assert not hit.metadata.is_dynamic  # no workflow was built: no children
    assert _attempts(stub, hit) == []


def test_a_task_without_outputs_is_not_cached(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    task = remote.register_task(cw.no_outputs, SETTINGS, version=VERSION)
    _run(remote, task, tmp_path, x=1)
    again = _run(remote, task, tmp_path, x=1)
    assert len(_marks(tmp_path, "no_outputs", 1)) == 2  # propeller caches nothing for a task without outputs
    node = _task_node(stub, again)
    assert node.closure.task_node_metadata.cache_status == C.CACHE_DISABLED
    assert not node.closure.task_node_metadata.HasField("catalog_key")


def test_a_cached_task_without_a_cache_version_fails_with_why(
    remote: FlyteRemote, stub: admin_pb2_grpc.AdminServiceStub, tmp_path: Path
) -> None:
    entities: OrderedDict[Any, Any] = OrderedDict()
    get_serializable(entities, SETTINGS, cw.cached_square)
    value = entities[cw.cached_square]
    assert isinstance(value, TaskSpec)
    spec = value.to_flyte_idl()
    spec.template.id.version = "no-version"
    spec.template.metadata.discovery_version = " "
    stub.CreateTask(task_pb2.TaskCreateRequest(id=spec.template.id, spec=spec))
    task = remote.fetch_task(name=f"{MODULE}.cached_square", version="no-version")
    execution = remote.wait(_start(remote, task, tmp_path, x=2), timeout=WAIT, poll_interval=POLL)
    assert execution.closure.phase == WF.FAILED
    node = _task_node(stub, execution)
    assert "empty discoveryVersion" in node.closure.error.message
    assert _marks(tmp_path, "cached_square", 2) == []


# ----------------------------------------------------------------------------------------------------------------
# The cache in a state directory: a restart keeps it; flyteplane cache lists and evicts it.


def _state_admin(state_dir: Path) -> AdminServer:
    return AdminServer(state_dir=state_dir, config=_config(state_dir=state_dir))


def test_cached_outputs_survive_a_restart_and_can_be_listed_and_evicted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, marks = tmp_path / "state", tmp_path / "marks"
    marks.mkdir()
    with _state_admin(state) as server:
        remote = FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), PROJECT, DOMAIN)
        task = remote.register_task(cw.cached_square, SETTINGS, version=VERSION)
        _run(remote, task, marks, x=3)
        capsys.readouterr()
        # While the admin runs: the command reads the same database.
        assert cli(["cache", "list", "--state-dir", str(state)]) == 0
        listed = capsys.readouterr().out.splitlines()
        assert listed[0].startswith("PROJECT\tDOMAIN\tTASK")
        assert len(listed) == 2
        row = listed[1].split("\t")
        assert row[:4] == [PROJECT, DOMAIN, f"{MODULE}.cached_square", "1"]
        assert row[5].startswith("flyte_cached-")

    with _state_admin(state) as server:
        remote = FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), PROJECT, DOMAIN)
        task = remote.fetch_task(name=f"{MODULE}.cached_square", version=VERSION)
        after = _run(remote, task, marks, x=3)
        assert after.outputs["o0"] == 9
        assert len(_marks(marks, "cached_square", 3)) == 1  # the restarted admin found it
        with grpc.insecure_channel(server.endpoint) as channel:
            node = _task_node(admin_pb2_grpc.AdminServiceStub(channel), after)
        assert node.closure.task_node_metadata.cache_status == C.CACHE_HIT

        capsys.readouterr()
        assert cli(["cache", "list", "--state-dir", str(state), "--task", "no.such.task"]) == 0
        assert capsys.readouterr().out.strip() == "no cached outputs"
        assert cli(["cache", "evict", "--state-dir", str(state), "--task", f"{MODULE}.cached_square"]) == 0
        assert capsys.readouterr().out.strip() == "evicted 1 cached output"
        # The running admin keeps no copy: the next run computes again.
        again = _run(remote, task, marks, x=3)
        assert len(_marks(marks, "cached_square", 3)) == 2
        with grpc.insecure_channel(server.endpoint) as channel:
            node = _task_node(admin_pb2_grpc.AdminServiceStub(channel), again)
        assert node.closure.task_node_metadata.cache_status == C.CACHE_POPULATED


def test_cache_evict_refuses_no_filter_and_a_directory_without_an_admin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["cache", "evict", "--state-dir", str(tmp_path)]) == 2
    assert "pass --all" in capsys.readouterr().err
    assert cli(["cache", "list", "--state-dir", str(tmp_path)]) == 1
    assert "no admin database" in capsys.readouterr().err
    assert not (tmp_path / "admin.db").exists()  # nothing created
    assert cli(["cache", "evict", "--all", "--state-dir", str(tmp_path)]) == 1


def test_cache_evict_by_cache_version_and_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, marks = tmp_path / "state", tmp_path / "marks"
    marks.mkdir()
    with _state_admin(state) as server:
        remote = FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), PROJECT, DOMAIN)
        task = remote.register_task(cw.cached_square, SETTINGS, version=VERSION)
        first = _run(remote, task, marks, x=5)
        _run(remote, task, marks, x=6)
        with grpc.insecure_channel(server.endpoint) as channel:
            tag = _task_node(admin_pb2_grpc.AdminServiceStub(channel), first).closure.task_node_metadata.catalog_key
    capsys.readouterr()
    assert cli(["cache", "evict", "--state-dir", str(state), "--cache-version", "2"]) == 0
    assert capsys.readouterr().out.strip() == "evicted 0 cached outputs"
    assert cli(["cache", "evict", "--state-dir", str(state), "--tag", tag.artifact_tag.name]) == 0
    assert capsys.readouterr().out.strip() == "evicted 1 cached output"
    assert cli(["cache", "list", "--state-dir", str(state), "--project", PROJECT, "--cache-version", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # the header and x=6's
    assert cli(["cache", "evict", "--all", "--state-dir", str(state)]) == 0
    assert capsys.readouterr().out.strip() == "evicted 1 cached output"
