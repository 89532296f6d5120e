"""``flyteplane sandbox --image NAME=PATH`` and ``--task-env NAME[=VALUE]``: checked before the admin starts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flyteplane.cli.main import _image_options, _task_env_options, main


def test_image_paths_are_interpreters_or_virtual_environments(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    assert _image_options([f"img:1={sys.executable}", f"other={venv}"]) == (
        ("img:1", sys.executable),
        ("other", str(venv)),
    )


@pytest.mark.parametrize("entry", ["no-equals", "=path", "name=", "name=/no/such/python"])
def test_a_bad_image_option_stops_the_sandbox_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    code = main(["sandbox", "--in-memory", "--port", "0", "--http-port", "0", "--image", entry])
    assert code == 2
    err = capsys.readouterr().err
    assert "--image" in err and entry in err


def test_task_env_takes_values_or_passes_this_process_value_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSED_ON", "from-here")
    assert _task_env_options(["A=1", "B=", "PASSED_ON"]) == (("A", "1"), ("B", ""), ("PASSED_ON", "from-here"))


@pytest.mark.parametrize(("entry", "words"), [("=v", "takes NAME=VALUE"), ("NOT_SET_HERE_ZZ", "is not set here")])
def test_a_bad_task_env_option_stops_the_sandbox_before_it_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, entry: str, words: str
) -> None:
    monkeypatch.delenv("NOT_SET_HERE_ZZ", raising=False)
    code = main(["sandbox", "--in-memory", "--port", "0", "--http-port", "0", "--task-env", entry])
    assert code == 2
    assert words in capsys.readouterr().err
