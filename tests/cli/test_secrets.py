"""``flyteplane secrets``: set, list and delete the sandbox's secrets, private on disk, names checked."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flyteplane.admin.secret_store import InvalidSecretName, SecretStore
from flyteplane.cli.main import main

SRC = Path(__file__).resolve().parents[2] / "src"


def _secrets(state: Path, *args: str) -> int:
    return main(["secrets", "--state-dir", str(state), *args])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_set_list_and_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    assert _secrets(state, "list") == 0
    assert "no secrets" in capsys.readouterr().out
    assert _secrets(state, "set", "aws", "access-key", "--value", "value-one") == 0
    assert _secrets(state, "set", "aws", "secret-key", "--value", "value-two") == 0
    assert _secrets(state, "set", "db", "password", "--value", "value-three") == 0
    capsys.readouterr()
    assert _secrets(state, "list") == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["aws\taccess-key", "aws\tsecret-key", "db\tpassword"]
    assert "value" not in out  # names only, never values
    assert SecretStore(state / "secrets").get("aws", "secret-key") == b"value-two"

    assert _secrets(state, "set", "aws", "secret-key", "--value", "replaced") == 0
    assert SecretStore(state / "secrets").get("aws", "secret-key") == b"replaced"

    assert _secrets(state, "delete", "db", "password") == 0
    assert not (state / "secrets" / "db").exists()  # the emptied group goes too
    capsys.readouterr()
    assert _secrets(state, "delete", "db", "password") == 1
    assert "there is no secret db/password" in capsys.readouterr().err


def test_files_are_0600_in_0700_directories_whatever_the_umask(tmp_path: Path) -> None:
    state = tmp_path / "state"
    old = os.umask(0o022)
    try:
        assert _secrets(state, "set", "grp", "key", "--value", "v") == 0
        assert _secrets(state, "set", "grp", "key", "--value", "again") == 0
    finally:
        os.umask(old)
    assert _mode(state) == 0o700
    assert _mode(state / "secrets") == 0o700
    assert _mode(state / "secrets" / "grp") == 0o700
    assert _mode(state / "secrets" / "grp" / "key") == 0o600
    assert [p.name for p in (state / "secrets" / "grp").iterdir()] == ["key"]  # no temporary file left behind


def test_the_value_can_come_from_stdin(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-m", "flyteplane.cli.main", "secrets", "--state-dir", str(state), "set", "grp", "key"],
        input=b"from stdin\n",
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"from stdin" not in done.stdout + done.stderr  # the value is never echoed
    assert SecretStore(state / "secrets").get("grp", "key") == b"from stdin"  # one trailing newline dropped


@pytest.mark.parametrize(
    ("group", "key"), [("a/b", "k"), ("g", "../k"), ("..", "k"), ("g", ".."), ("g", "x..y"), ("", "k"), ("g", ".k")]
)
def test_names_with_path_separators_or_dots_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], group: str, key: str
) -> None:
    state = tmp_path / "state"
    assert _secrets(state, "set", group, key, "--value", "v") == 2
    assert "flyteplane secrets:" in capsys.readouterr().err
    assert not (state / "secrets").exists()
    assert _secrets(state, "delete", group, key) == 2
    store = SecretStore(state / "secrets")
    for call in (lambda: store.set(group, key, b"v"), lambda: store.get(group, key), lambda: store.delete(group, key)):
        with pytest.raises(InvalidSecretName):
            call()


def test_list_never_prints_values_nor_stray_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    _secrets(state, "set", "grp", "key", "--value", "hunter2")
    (state / "secrets" / "grp" / ".tmp-partial").write_text("hunter2")
    capsys.readouterr()
    _secrets(state, "list")
    captured = capsys.readouterr()
    assert captured.out == "grp\tkey\n" and "hunter2" not in captured.out + captured.err


def test_a_running_sandbox_gives_tasks_the_secrets_set_after_it_started(tmp_path: Path) -> None:
    """The real commands: a ``flyteplane sandbox`` process, ``flyteplane secrets set`` while it runs, a task of
    flytekit's (fast-registered with flytekit's FlyteRemote) reading the secrets as its own."""
    import datetime
    import importlib
    import json

    from flytekit.configuration import Config, ImageConfig
    from flytekit.models.core.execution import WorkflowExecutionPhase
    from flytekit.remote import FlyteRemote

    from tests.cli.support import free_ports, start_sandbox

    workflows = Path(__file__).resolve().parents[1] / "admin" / "env_workflows"
    sys.path.insert(0, str(workflows))
    try:
        wf = importlib.import_module("task_env_wf")
    finally:
        sys.path.remove(str(workflows))
    state = tmp_path / "state"
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path, "--port", str(grpc_port), "--http-port", str(http_port), "--state-dir", str(state)
    ).wait_ready()
    try:
        for key, value in ((wf.ENV_KEY, b"env value\n"), (wf.FILE_KEY, b"file value\n")):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "flyteplane.cli.main",
                    "secrets",
                    "--state-dir",
                    str(state),
                    "set",
                    wf.GROUP,
                    key,
                ],
                input=value,
                capture_output=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
        remote = FlyteRemote(
            Config.for_endpoint(f"127.0.0.1:{grpc_port}", insecure=True),
            default_project="flytesnacks",
            default_domain="development",
        )
        registered = remote.register_script(
            wf.wf_secrets,
            image_config=ImageConfig.auto(img_name="localhost/flyteplane-tests:never-pulled"),
            version="s1",
            source_path=str(workflows),
            module_name="task_env_wf",
        )
        execution = remote.wait(remote.execute(registered, inputs={}), timeout=datetime.timedelta(seconds=120))
        assert execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED, execution.error
        seen = json.loads(execution.outputs["o0"])
        assert (seen["env_value"], seen["file_value"]) == ("env value", "file value")
    finally:
        assert sandbox.stop() == 0, sandbox.stderr
    assert "env value" not in sandbox.stdout + sandbox.stderr
