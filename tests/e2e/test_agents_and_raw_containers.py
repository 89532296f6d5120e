"""A real ``flyteplane sandbox`` runs flytekit's FileSensor (through the agent server it starts itself) and a
``ContainerTask`` (copilot's data contract around a local process), registered and launched by FlyteRemote."""

from __future__ import annotations

import uuid
from pathlib import Path

from flytekit.configuration import ImageConfig, SerializationSettings
from flytekit.models.core.execution import WorkflowExecutionPhase

from tests.admin import engine_agent_workflows as awf
from tests.e2e.conftest import DOMAIN, PROJECT
from tests.e2e.support import assert_nothing_left_running


def _settings(version: str) -> SerializationSettings:
    return SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=version
    )


def test_the_sandbox_runs_a_file_sensor_and_a_raw_container(remote, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    version = f"e2e-{uuid.uuid4().hex[:12]}"
    there = tmp_path / "there.txt"
    there.write_text("present")
    sensed = remote.register_workflow(awf.sensed, serialization_settings=_settings(version), version=version)
    done = remote.execute(sensed, inputs={"path": str(there)}, wait=True)
    assert done.closure.phase == WorkflowExecutionPhase.SUCCEEDED, done.error

    raw = awf.raw_workflow(awf.raw_container("e2e_raw", "in", "out"))
    registered = remote.register_workflow(raw, serialization_settings=_settings(version), version=version)
    done = remote.execute(registered, inputs={"x": 4, "label": "e2e"}, wait=True)
    assert done.closure.phase == WorkflowExecutionPhase.SUCCEEDED, done.error
    assert (done.outputs["doubled"], done.outputs["label_seen"]) == (8, "e2e")
    assert_nothing_left_running(client.raw, done.id.to_flyte_idl())
