"""The examples run as written: the seed's client example against the embedded admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_seed_sync_client_example_runs_as_written(flyte_admin):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "seed_sync_client.py")],
        env={**os.environ, "FLYTE_ADMIN_ENDPOINT": flyte_admin.endpoint},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Task my_example_task registered successfully." in lines
    assert "Found task: my_example_task (version: 1.0.0)" in lines


def test_seed_example_source_differs_from_the_seed_only_in_the_import_prefix():
    source = (EXAMPLES / "seed_sync_client.py").read_text()
    assert "from flytekit" not in source and "import flytekit" not in source
    for line in (
        "from flyteplane.clients.sync_client import SynchronousFlyteClient",
        "from flyteplane.models.core.workflow import TaskTemplate",
        "from flyteplane.models.core.types import LiteralType, SimpleType",
        "client.create_task(task_id, task_spec)",
        "tasks, token = client.list_tasks_paginated(",
    ):
        assert line in source


def test_quickstart_main_job(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Embedded Flyte Admin serving on 127.0.0.1:" in result.stdout
    assert "Found task: my_example_task (version: 1.0.0)" in result.stdout
    assert "largest = 5" in result.stdout  # the interactive-mode round trip ran too


def _run_example(
    name: str, cwd: Path, *, sandbox_endpoint: str | None = None, admin_endpoint: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/NAME`` as ``python NAME`` would, with no Flyte settings of the caller's. The sandbox's
    ``localhost:30080`` is never needed (a user's sandbox may hold it while the tests run): ``admin_endpoint`` is
    given as ``FLYTE_ADMIN_ENDPOINT``; ``sandbox_endpoint`` is where ``Config.for_sandbox()`` points in that process
    (only that address differs from what the example runs as written)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE")}
    if admin_endpoint is not None:
        env["FLYTE_ADMIN_ENDPOINT"] = admin_endpoint
    command = [sys.executable, str(EXAMPLES / name)]
    if sandbox_endpoint is not None:
        command = [sys.executable, "-c", _FOR_SANDBOX_AT, sandbox_endpoint, str(EXAMPLES / name)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=cwd, env=env)


_FOR_SANDBOX_AT = """
import dataclasses, runpy, sys
from flyteplane.configuration import Config

endpoint, example = sys.argv[1], sys.argv[2]
as_written = Config.for_sandbox.__func__


def for_sandbox(cls):
    config = as_written(cls)
    return config.with_params(platform=dataclasses.replace(config.platform, endpoint=endpoint))


Config.for_sandbox = classmethod(for_sandbox)
sys.argv = [example]
runpy.run_path(example, run_name="__main__")
"""


def test_seed_remote_examples_run_as_written_against_the_sandbox(tmp_path, flyte_admin):
    # The seed's for_sandbox() is localhost:30080, the sandbox's port; here it reaches the test's own admin.
    result = _run_example("seed_remote.py", tmp_path, sandbox_endpoint=flyte_admin.endpoint)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "remote.client is a SynchronousFlyteClient for your.flyte.admin:port" in lines
    assert lines[-1] == "y = 42"
    assert any(line.startswith("Execution ") and line.endswith(" SUCCEEDED") for line in lines)


def test_seed_remote_example_differs_from_the_seed_only_in_the_import_prefix():
    source = (EXAMPLES / "seed_remote.py").read_text()
    assert "from flytekit" not in source and "import flytekit" not in source
    for line in (
        "from flyteplane.remote.remote import FlyteRemote",
        "from flyteplane.configuration import Config",
        'remote = FlyteRemote.for_endpoint(\n    endpoint="your.flyte.admin:port",\n    insecure=True,',
        'remote_auto = FlyteRemote.auto(\n    default_project="flytesnacks",\n    default_domain="development",\n)',
        'remote_sandbox = FlyteRemote.for_sandbox(\n    default_project="flytesnacks",\n',
        "admin_client = remote.client",
    ):
        assert line in source


def test_interactive_example_runs_a_local_function_and_prints_python_outputs(tmp_path, flyte_admin):
    result = _run_example("interactive.py", tmp_path, admin_endpoint=flyte_admin.endpoint)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SUCCEEDED" in out
    assert "stats = Stats(count=5, mean=2.8, labels=['v0', 'v1', 'v2', 'v3', 'v4'])" in out
    assert "largest = 5" in out
    assert "largest = 7" in out
