"""flytekit as the peer of a ``flyteplane sandbox`` process: ``pyflyte run --remote``, ``FlyteRemote.execute``,
``FlyteRemote.terminate``.

Each run really happens: fast registration uploads the code through the data proxy's signed URLs, the sandbox
starts ``pyflyte-fast-execute`` / ``pyflyte-execute`` as local processes under Flyte's container contract, and
the outputs flytekit reads back are the ones its own task processes wrote.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from flytekit.configuration import ImageConfig
from flytekit.models.core.execution import NodeExecutionPhase, TaskExecutionPhase, WorkflowExecutionPhase
from flytekit.models.core.identifier import ResourceType

from tests.e2e.conftest import DOMAIN, PROJECT, WORKFLOWS, Sandbox
from tests.e2e.support import assert_nothing_left_running, http_get, process_gone, wait_for

IMAGE = "localhost/flyteplane-e2e:never-pulled"
_EXECUTION_URL = re.compile(r"/executions/([a-z0-9-]+)")


def _pyflyte(sandbox: Sandbox, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    pyflyte = Path(sys.executable).with_name("pyflyte")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE")}
    env["FLYTECTL_CONFIG"] = str(sandbox.config_file)
    return subprocess.run(
        [str(pyflyte), "--config", str(sandbox.config_file), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _register(remote, entity, module: str = "peer_basics"):  # type: ignore[no-untyped-def]
    """Fast-register ``entity`` (with what it uses) from ``tests/e2e/workflows`` under a fresh version."""
    version = f"e2e-{uuid.uuid4().hex[:12]}"
    remote.register_script(
        entity,
        image_config=ImageConfig.auto(img_name=IMAGE),
        version=version,
        source_path=str(WORKFLOWS),
        module_name=module,
    )
    return version


def test_pyflyte_run_remote_then_flyteremote_sees_nodes_tasks_and_outputs(  # type: ignore[no-untyped-def]
    sandbox: Sandbox, remote, client
) -> None:
    result = _pyflyte(sandbox, "run", "--remote", "--image", IMAGE, "peer_basics.py", "wf", "--a", "3", cwd=WORKFLOWS)
    assert result.returncode == 0, f"pyflyte failed:\n{result.stdout}\n{result.stderr}"
    match = _EXECUTION_URL.search(result.stdout)
    assert match, f"no execution link in pyflyte's output:\n{result.stdout}"
    name = match.group(1)
    # The printed config's console.endpoint: pyflyte's link opens the console on the sandbox's HTTP side.
    assert f"{sandbox.http_endpoint}/console/projects/{PROJECT}/domains/{DOMAIN}/executions/{name}" in result.stdout

    execution = remote.fetch_execution(project=PROJECT, domain=DOMAIN, name=name)
    execution = remote.wait(execution, timeout=timedelta(seconds=120))
    assert execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED, execution.error
    assert execution.error is None

    execution = remote.sync_execution(execution, sync_nodes=True)
    nodes = execution.node_executions
    assert {"n0", "n1"} <= set(nodes)
    for node_id, task_suffix in (("n0", "t1"), ("n1", "t2")):
        node = nodes[node_id]
        assert node.closure.phase == NodeExecutionPhase.SUCCEEDED
        assert len(node.task_executions) == 1
        attempt = node.task_executions[0]
        assert attempt.id.retry_attempt == 0
        assert attempt.closure.phase == TaskExecutionPhase.SUCCEEDED
        assert attempt.id.task_id.name == f"peer_basics.{task_suffix}"
        # The log link serves the attempt's output; the image was only recorded.
        status, log = http_get(attempt.closure.logs[0].uri)
        assert status == 200
        assert f"image {IMAGE} is recorded, not pulled" in log.decode()
    # Fast-registered: the task runs the code pyflyte uploaded through the data proxy into the admin's blob store.
    t1 = remote.fetch_task(name="peer_basics.t1", version=nodes["n0"].task_executions[0].id.task_id.version)
    args = t1.template.container.args
    assert t1.template.container.image == IMAGE
    assert args[0] == "pyflyte-fast-execute"
    distribution = args[args.index("--additional-distribution") + 1]
    assert distribution.startswith("s3://my-s3-bucket/") and distribution.endswith(".tar.gz")
    status, _ = http_get(f"{sandbox.http_endpoint}/{distribution.removeprefix('s3://')}")
    assert status == 403  # served by the S3 endpoint, to signed requests only

    assert nodes["n0"].outputs["o0"] == 4
    assert nodes["n1"].inputs["b"] == 4
    assert execution.outputs["o0"] == {"b": 4, "double": 8}
    assert execution.inputs["a"] == 3
    assert_nothing_left_running(client.raw, execution.id.to_flyte_idl())


def test_flyteremote_execute_registered_and_local_tasks(remote, client, workflows_on_path: Path) -> None:  # type: ignore[no-untyped-def]
    peer = importlib.import_module("peer_basics")
    version = _register(remote, peer.wf)  # registers t1 and t2 too

    registered = remote.fetch_task(name="peer_basics.t1", version=version)
    done = remote.execute(registered, inputs={"a": 41}, wait=True)
    assert done.closure.phase == WorkflowExecutionPhase.SUCCEEDED, done.error
    assert done.outputs["o0"] == 42
    # A single-task execution runs the task in the .flytegen workflow admin makes for it.
    assert (done.spec.launch_plan.resource_type, done.spec.launch_plan.name) == (ResourceType.TASK, "peer_basics.t1")
    assert client.get_execution(done.id).closure.workflow_id.name == ".flytegen.peer_basics.t1"

    # A local @task: flytekit finds it registered under that version and runs the registered one.
    local = remote.execute(peer.t2, inputs={"b": 5}, version=version, wait=True)
    assert local.closure.phase == WorkflowExecutionPhase.SUCCEEDED, local.error
    assert local.outputs["o0"] == {"b": 5, "double": 10}

    # The registered workflow too, through its default launch plan.
    flow = remote.execute(
        remote.fetch_launch_plan(name="peer_basics.wf", version=version),
        inputs={"a": 10},
        wait=True,
    )
    assert flow.outputs["o0"] == {"b": 11, "double": 22}


def test_flyteremote_terminate_aborts_and_kills_the_sleeping_task(  # type: ignore[no-untyped-def]
    remote, client, workflows_on_path: Path, tmp_path: Path
) -> None:
    peer = importlib.import_module("peer_basics")
    version = _register(remote, peer.nap)
    pid_file = tmp_path / "nap.pid"
    execution = remote.execute(
        remote.fetch_task(name="peer_basics.nap", version=version),
        inputs={"pid_file": str(pid_file), "seconds": 60},
    )

    def written_pid() -> str | None:
        return pid_file.read_text() or None if pid_file.is_file() else None

    pid = int(wait_for(written_pid, 60, "the task to write its pid"))
    assert not process_gone(pid)
    assert remote.sync_execution(execution).closure.phase == WorkflowExecutionPhase.RUNNING

    started = time.monotonic()
    remote.terminate(execution, "e2e: no more napping")
    execution = remote.wait(execution, timeout=timedelta(seconds=15), poll_interval=timedelta(seconds=0.1))
    took = time.monotonic() - started
    assert execution.closure.phase == WorkflowExecutionPhase.ABORTED
    assert took < 5, f"the abort took {took:.1f}s"
    assert execution.closure.abort_metadata.cause == "e2e: no more napping"
    wait_for(lambda: process_gone(pid), 5, f"task process {pid} to be gone")

    execution = remote.sync_execution(execution, sync_nodes=True)
    node = next(n for n in execution.node_executions.values() if n.task_executions)
    assert node.closure.phase == NodeExecutionPhase.ABORTED
    assert [t.closure.phase for t in node.task_executions] == [TaskExecutionPhase.ABORTED]
    assert_nothing_left_running(client.raw, execution.id.to_flyte_idl())
