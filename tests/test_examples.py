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
