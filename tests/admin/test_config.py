"""AdminConfig: every setting is a typed field, and a wrong one fails when the config is built."""

from __future__ import annotations

import pytest

from flyteplane.admin.config import AdminConfig


def test_engine_and_limit_settings_are_fields() -> None:
    config = AdminConfig(
        task_python="/usr/bin/python3",
        task_pythonpath=["/a", "/b"],  # type: ignore[arg-type]  # a list is accepted and kept as a tuple
        task_kill_grace_seconds=0.5,
        raw_output_prefix="/tmp/raw",
        workflow_node_limit=10,
        workflow_size_limit=1024,
    )
    assert config.task_pythonpath == ("/a", "/b")
    assert config.task_kill_grace_seconds == 0.5
    assert AdminConfig().task_pythonpath is None and AdminConfig().workflow_node_limit is None


def test_a_misspelt_setting_is_refused() -> None:
    with pytest.raises(TypeError, match="task_pythonpth"):
        AdminConfig(task_pythonpth=("/a",))  # type: ignore[call-arg]


def test_the_old_extra_dict_is_gone() -> None:
    with pytest.raises(TypeError, match="extra"):
        AdminConfig(extra={"task_python": "python3"})  # type: ignore[call-arg]


@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_registration_limits_must_be_positive_integers(value: object) -> None:
    with pytest.raises(ValueError, match="workflow_node_limit must be a positive integer"):
        AdminConfig(workflow_node_limit=value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workflow_size_limit must be a positive integer"):
        AdminConfig(workflow_size_limit=value)  # type: ignore[arg-type]


def test_pythonpath_as_one_string_is_refused() -> None:
    with pytest.raises(TypeError, match="tuple of paths, not a string"):
        AdminConfig(task_pythonpath="/a:/b")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-0.1, float("nan")])
def test_kill_grace_must_not_be_negative(value: float) -> None:
    with pytest.raises(ValueError, match="task_kill_grace_seconds must be zero or more"):
        AdminConfig(task_kill_grace_seconds=value)
