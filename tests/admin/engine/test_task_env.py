"""What a task process gets: the secrets it requests, a clean environment, its own working directory, the Python of
its image.

The tasks are flytekit's (``tests/admin/env_workflows/task_env_wf.py``), fast-registered with
``FlyteRemote.register_script`` on an in-process admin with a state directory and run by flytekit's own
``pyflyte-fast-execute`` / ``pyflyte-execute``; each task reports what its process saw as its output.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import os
import socket
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flyteidl.core import security_pb2
from flytekit.configuration import Config, ImageConfig
from flytekit.models.core.execution import WorkflowExecutionPhase
from flytekit.remote import FlyteRemote

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.engine.environments import (
    BuildCancelled,
    ImageEnvironments,
    base_environment,
    confine_dest_dir,
    layered_venv,
)
from flyteplane.admin.engine.secrets import SecretUnavailable, inject_secrets
from flyteplane.admin.image_records import IMAGES_DIR, ImageRecord, read_record
from flyteplane.admin.secret_store import SecretStore
from flyteplane.cli.main import main

PROJECT, DOMAIN = "flytesnacks", "development"
WORKFLOWS = Path(__file__).resolve().parents[1] / "env_workflows"
WAIT = datetime.timedelta(seconds=120)
_Secret = security_pb2.Secret


@pytest.fixture(scope="module")
def wf() -> Iterator[ModuleType]:
    sys.path.insert(0, str(WORKFLOWS))
    try:
        yield importlib.import_module("task_env_wf")
    finally:
        sys.path.remove(str(WORKFLOWS))


class Sandbox:
    def __init__(self, admin: AdminServer, state: Path) -> None:
        self.admin, self.state = admin, state
        self.remote = FlyteRemote(
            Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
        )

    def secrets(self, *args: str) -> int:
        return main(["secrets", "--state-dir", str(self.state), *args])

    def run(self, entity: Any, destination_dir: str = ".") -> Any:
        """Fast-register ``entity`` from the workflows directory and run it to its end."""
        version = f"v{uuid.uuid4().hex[:10]}"
        registered = self.remote.register_script(
            entity,
            image_config=ImageConfig.auto(img_name="localhost/flyteplane-tests:never-pulled"),
            version=version,
            source_path=str(WORKFLOWS),
            module_name="task_env_wf",
            destination_dir=destination_dir,
        )
        execution = self.remote.execute(registered, inputs={}, version=version)
        return self.remote.wait(execution, timeout=WAIT, poll_interval=datetime.timedelta(seconds=0.2))

    def output(self, entity: Any, destination_dir: str = ".") -> dict[str, Any]:
        execution = self.run(entity, destination_dir)
        assert execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED, execution.error
        return dict(json.loads(execution.outputs["o0"]))


def _sandbox(tmp_path: Path, **config: Any) -> Iterator[Sandbox]:
    state = tmp_path / "state"
    settings = AdminConfig(seed_projects=(PROJECT,), state_dir=state, task_pythonpath=(), **config)
    with AdminServer(config=settings) as admin:
        yield Sandbox(admin, state)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from _sandbox(tmp_path)


@pytest.fixture(autouse=True)
def _fresh_image_builds() -> None:
    """flytekit builds an ImageSpec once per process (``ImageBuildEngine.build`` is cached), and every test here has
    a state directory of its own, where the sandbox's builder must record the image again."""
    from flytekit.image_spec.image_spec import ImageBuildEngine

    ImageBuildEngine.build.cache_clear()


def _under(path: str, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root.resolve())


# ----------------------------------------------------------------------------------------------------------------
# Secrets


def test_a_task_reads_its_secrets_from_a_variable_and_from_files(sandbox: Sandbox, wf: ModuleType) -> None:
    # Set after the admin started: a running admin reads the store when an attempt starts.
    assert sandbox.secrets("set", wf.GROUP, wf.ENV_KEY, "--value", "from-the-env") == 0
    assert sandbox.secrets("set", wf.GROUP, wf.FILE_KEY, "--value", "from-a-file") == 0
    seen = sandbox.output(wf.wf_secrets)
    assert seen["env_value"] == "from-the-env"
    assert seen["file_value"] == "from-a-file"
    assert seen["versioned_value"] == "from-a-file"  # the store has no versions: the version only names the file
    # ENV_VAR: _FSEC_<GROUP>_<KEY>, upper-cased (propeller's webhook); FILE/ANY: files only, no variable.
    assert seen["env_names"] == ["_FSEC_FP-TEST_ENV_KEY"]
    # Files: <dir>/<group>/<key> lower-cased, private, outside the working directory, under the state dir.
    assert seen["file_path"].endswith("/fp-test/file_key")
    assert seen["file_mode"] == "0o600" and seen["dir_mode"] == "0o700"
    assert _under(seen["file_path"], sandbox.state) and not _under(seen["file_path"], Path(seen["cwd"]))
    assert not Path(seen["file_path"]).exists()  # removed when the attempt ended


def test_a_missing_secret_fails_the_task_before_it_starts_naming_group_and_key(
    sandbox: Sandbox, wf: ModuleType
) -> None:
    execution = sandbox.run(wf.wf_missing)
    assert execution.closure.phase == WorkflowExecutionPhase.FAILED
    message = execution.error.message
    assert f"group [{wf.GROUP}]" in message and f"key [{wf.MISSING_KEY}]" in message
    assert "flyteplane secrets set" in message
    execution = sandbox.remote.sync_execution(execution, sync_nodes=True)
    (attempt,) = execution.node_executions["n0"].task_executions
    assert not attempt.closure.logs  # no process was started, so no RUNNING event with its log


def test_secret_values_are_never_in_what_the_admin_stores_or_answers(sandbox: Sandbox, wf: ModuleType) -> None:
    value = f"canary-{uuid.uuid4().hex}"
    sandbox.secrets("set", wf.GROUP, wf.ENV_KEY, "--value", value)
    sandbox.secrets("set", wf.GROUP, wf.FILE_KEY, "--value", value + "-file")
    execution = sandbox.run(wf.wf_secrets)
    execution = sandbox.remote.sync_execution(execution, sync_nodes=True)
    assert value in execution.outputs["o0"]  # the task chose to return it: that is the task's business
    # ...but the admin's own records (database, logs, engine files) hold it only in that output's blob.
    outputs_blobs = {p for p in (sandbox.state).rglob("outputs.pb")}
    for path in sandbox.state.rglob("*"):
        if path.is_file() and path not in outputs_blobs and "secrets" not in path.relative_to(sandbox.state).parts:
            assert value.encode() not in path.read_bytes(), path


def test_inject_secrets_follows_the_webhook_for_each_mount_requirement(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "store")
    store.set("Grp", "Key", b"v1")
    env_var = _Secret(group="Grp", key="Key", mount_requirement=_Secret.ENV_VAR, env_var="MY_VAR")
    file_ = _Secret(group="Grp", key="Key", mount_requirement=_Secret.FILE, env_var="MY_PATH")
    versioned = _Secret(group="Grp", key="Key", group_version="V1", mount_requirement=_Secret.ENV_VAR)
    env = inject_secrets([env_var, file_, versioned], store, tmp_path / "mount")
    assert env["_FSEC_GRP_KEY"] == "v1" and env["MY_VAR"] == "v1" and env["_FSEC_GRP_V1_KEY"] == "v1"
    assert env["FLYTE_SECRETS_ENV_PREFIX"] == "_FSEC_"
    assert env["FLYTE_SECRETS_DEFAULT_DIR"] == str(tmp_path / "mount") and env["FLYTE_SECRETS_FILE_PREFIX"] == ""
    assert env["MY_PATH"] == str(tmp_path / "mount" / "grp" / "key")
    assert (tmp_path / "mount" / "grp" / "key").read_bytes() == b"v1"
    assert inject_secrets([], None, tmp_path / "unused") == {} and not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    ("secret", "store_has", "words"),
    [
        (_Secret(group="g", key="nope"), True, ["group [g]", "key [nope]", "does not exist"]),
        (_Secret(group="g", key="k"), False, ["group [g]", "key [k]", "no state directory"]),
        (_Secret(group="g"), True, ["without a key"]),
        (_Secret(key="k"), True, ["without a group"]),
        (_Secret(group="../g", key="k"), True, ["path separator"]),
        (_Secret(group="g", key="k", group_version="a/b"), True, ["path separator"]),
    ],
)
def test_inject_secrets_refuses_what_it_cannot_give(
    tmp_path: Path, secret: security_pb2.Secret, store_has: bool, words: list[str]
) -> None:
    store = SecretStore(tmp_path / "store")
    store.set("g", "k", b"v")
    with pytest.raises(SecretUnavailable) as failure:
        inject_secrets([secret], store if store_has else None, tmp_path / "mount")
    for word in words:
        assert word in str(failure.value)


# ----------------------------------------------------------------------------------------------------------------
# A clean environment and a working directory of its own


def test_the_task_does_not_inherit_the_admins_environment(
    tmp_path: Path, wf: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLYTEPLANE_SECRET_CANARY", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "admin-only")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([os.environ.get("PYTHONPATH", ""), "/admin/only/path"]))
    monkeypatch.setenv("LC_TESTING", "kept")
    for sandbox in _sandbox(tmp_path, task_env=(("GIVEN_TO_TASKS", "yes"),)):
        execution = sandbox.run(wf.wf_report, destination_dir=str(tmp_path / "shared"))
        seen = json.loads(execution.outputs["o0"])
        execution = sandbox.remote.sync_execution(execution, sync_nodes=True)
        (attempt,) = execution.node_executions["n0"].task_executions
        log = urllib.request.urlopen(attempt.closure.logs[0].uri).read().decode()
    assert f"fast-registered code goes to the attempt's own directory, not to [{tmp_path / 'shared'}]" in log
    assert seen["canary"] is None and "AWS_SECRET_ACCESS_KEY" not in seen["names"]
    assert "/admin/only/path" not in seen["pythonpath"]
    assert seen["given"] == "yes" and "LC_TESTING" in seen["names"] and "HOME" in seen["names"]
    assert "FLYTE_INTERNAL_EXECUTION_ID" in seen["names"]
    assert seen["path"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    # The working directory is the attempt's own, under the state dir; the code was unpacked there, not into the
    # absolute destination the registration named (a pod's own /root, here a shared directory of this machine).
    work = tmp_path / "state" / "engine" / "work" / PROJECT / DOMAIN
    assert _under(seen["cwd"], work) and Path(seen["cwd"]).name == "n0-0"
    assert _under(seen["module"], Path(seen["cwd"]))
    assert not (tmp_path / "shared").exists()
    assert not Path(seen["cwd"]).exists()  # removed after the attempt


def test_base_environment_keeps_only_what_a_process_needs_here(tmp_path: Path) -> None:
    venv = tmp_path / "other-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    environ = {
        "PATH": os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"]),
        "HOME": "/home/me",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "https_proxy": "http://proxy:3128",
        "FLYTECTL_CONFIG": "/home/me/.flyte/config.yaml",
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/me/key.json",
        "PYTHONPATH": "/somewhere",
    }
    env = base_environment("/opt/task/bin/python", environ)
    assert env == {
        "PATH": os.pathsep.join(["/opt/task/bin", "/usr/bin", "/bin"]),  # another venv's bin is dropped
        "HOME": "/home/me",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "https_proxy": "http://proxy:3128",
    }
    assert base_environment(str(venv / "bin" / "python"), environ)["VIRTUAL_ENV"] == str(venv)


@pytest.mark.parametrize(
    ("argv", "expected", "moved"),
    [
        (["pyflyte-fast-execute", "--dest-dir", "/root", "--", "x"], ["pyflyte-fast-execute", "--dest-dir", "."], True),
        (["pyflyte-fast-execute", "--dest-dir=~/code", "--", "x"], ["pyflyte-fast-execute", "--dest-dir=."], True),
        (["pyflyte-fast-execute", "--dest-dir", "../up", "--", "x"], ["pyflyte-fast-execute", "--dest-dir", "."], True),
        (
            ["pyflyte-fast-execute", "--dest-dir", "code", "--", "x"],
            ["pyflyte-fast-execute", "--dest-dir", "code"],
            False,
        ),
        (["pyflyte-execute", "--dest-dir", "/root"], ["pyflyte-execute", "--dest-dir", "/root"], False),
    ],
)
def test_an_absolute_fast_execute_destination_is_confined_to_the_attempt(
    argv: list[str], expected: list[str], moved: bool
) -> None:
    out, note = confine_dest_dir(argv)
    assert out[: len(expected)] == expected and out[len(expected) :] == argv[len(expected) :]
    assert (note is not None) == moved


# ----------------------------------------------------------------------------------------------------------------
# The Python of an image


def test_an_image_mapped_to_another_environment_runs_with_its_python(tmp_path: Path, wf: ModuleType) -> None:
    # A virtual environment of its own that still has flytekit: `--system-site-packages` from this venv's python
    # would show the base installation's packages, not this venv's, so it is layered over it instead.
    venv = tmp_path / "other-venv"
    python = layered_venv(sys.executable, venv)
    assert (venv / "bin" / "pyflyte-execute").is_file()
    for sandbox in _sandbox(tmp_path, task_images=((wf.OTHER_IMAGE, str(venv)),)):
        seen = sandbox.output(wf.wf_other_image)
        default = sandbox.output(wf.wf_report)
    assert seen["python"] == python
    assert default["python"] != python and Path(default["python"]).parent == Path(sys.executable).parent


def test_an_image_mapped_to_nothing_usable_fails_the_task_saying_so(tmp_path: Path, wf: ModuleType) -> None:
    for sandbox in _sandbox(tmp_path, task_images=((wf.OTHER_IMAGE, str(tmp_path / "no-such-venv")),)):
        execution = sandbox.run(wf.wf_other_image)
    assert execution.closure.phase == WorkflowExecutionPhase.FAILED
    assert "not a Python interpreter nor a virtual environment" in execution.error.message


@pytest.mark.slow  # pip installs termcolor from PyPI
def test_an_imagespec_image_gets_a_virtual_environment_built_once(
    tmp_path: Path, wf: ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import flyteplane.imagespec  # noqa: F401  (registers the builder, as flytekit's plugin entry point does)

    monkeypatch.setenv("FLYTEPLANE_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    caplog.set_level(logging.INFO, logger="flyteplane.admin.images")
    for sandbox in _sandbox(tmp_path):
        first = sandbox.output(wf.wf_imagespec)
        second = sandbox.output(wf.wf_imagespec)
    record = read_record(tmp_path / "state" / IMAGES_DIR, wf.TERMCOLOR.image_name())
    assert record is not None and record.packages == ("termcolor",)
    venv = tmp_path / "state" / IMAGES_DIR / "venvs" / record.tag
    assert first["python"] == second["python"] == str(venv / "bin" / "python")
    assert _under(first["termcolor"], venv)  # installed in the image's environment, not the admin's
    assert first["img_id"] == wf.TERMCOLOR.id and first["in_image"] is True
    builds = [r.getMessage() for r in caplog.records if r.getMessage().startswith("building the environment")]
    assert len(builds) == 1 and "termcolor" in builds[0]


@pytest.mark.slow  # pip asks PyPI for a package that does not exist
def test_a_failed_imagespec_build_fails_the_task_with_pips_last_lines(tmp_path: Path) -> None:
    from flytekit import ImageSpec

    from flyteplane.admin.engine.environments import EnvironmentUnavailable
    from flyteplane.imagespec import record_of

    spec = ImageSpec(name="broken", packages=["flyteplane-no-such-package-zz==0.0.0"], builder="flyteplane")
    envs = ImageEnvironments(tmp_path / "images", sys.executable)
    with pytest.raises(EnvironmentUnavailable) as failure:
        envs.python_for(record_of(spec))
    message = str(failure.value)
    assert "pip exited with code" in message and "flyteplane-no-such-package-zz" in message
    assert not (tmp_path / "images" / "venvs" / record_of(spec).tag).exists()  # the next attempt builds afresh


def test_cancelling_stops_a_build_and_leaves_nothing_behind(tmp_path: Path) -> None:
    # An index that accepts connections and never answers: pip waits (15 s per try) until it is killed.
    index = socket.socket()
    index.bind(("127.0.0.1", 0))
    index.listen()
    port = index.getsockname()[1]
    record = ImageRecord(
        image="hanging:1", spec_id="id", tag="hanging", packages=("anything",), pip_index=f"http://127.0.0.1:{port}/"
    )
    envs = ImageEnvironments(tmp_path / "images", sys.executable)
    started = time.monotonic()
    try:
        with pytest.raises(BuildCancelled):
            envs.python_for(record, cancelled=lambda: time.monotonic() - started > 4)
    finally:
        index.close()
    assert time.monotonic() - started < 12
    assert not (tmp_path / "images" / "venvs" / "hanging").exists()
    # An attempt waiting for another's build of the same image stops waiting too.
    busy = envs._locks["hanging"]
    busy.acquire()
    with pytest.raises(BuildCancelled, match="was being built"):
        envs.python_for(record, cancelled=lambda: True)
    busy.release()


def test_the_sandbox_prints_build_progress_on_its_output(capsys: pytest.CaptureFixture[str]) -> None:
    from flyteplane.cli.main import _show_image_builds

    logger = logging.getLogger("flyteplane.admin.images")
    before = list(logger.handlers)
    try:
        _show_image_builds()
        _show_image_builds()  # once only
        logger.info("building the environment of image x:1 (six) in /somewhere")
        assert (
            capsys.readouterr().out == "flyteplane sandbox: building the environment of image x:1 (six) in /somewhere\n"
        )
    finally:
        logger.handlers[:] = before


def test_the_imagespec_builder_refuses_what_a_virtual_environment_cannot_hold() -> None:
    from flytekit import ImageSpec

    from flyteplane.imagespec import record_of

    with pytest.raises(ValueError, match="cannot honor apt_packages, cuda"):
        record_of(ImageSpec(name="gpu", apt_packages=["git"], cuda="12.1", builder="flyteplane"))


def test_the_config_takes_image_and_variable_pairs_with_names() -> None:
    config = AdminConfig(task_images={"img": "/opt/py"}, task_env=[("A", 1)])  # type: ignore[arg-type]
    assert config.task_images == (("img", "/opt/py"),) and config.task_env == (("A", "1"),)
    for name in ("task_images", "task_env"):
        with pytest.raises(ValueError, match=f"AdminConfig.{name} has an entry with an empty name"):
            AdminConfig(**{name: (("", "x"),)})


def test_the_layers_of_a_task_environment_override_as_in_a_pod(tmp_path: Path) -> None:
    from flyteidl.core import literals_pb2, tasks_pb2

    from flyteplane.admin.engine.environments import TaskEnvironment
    from flyteplane.admin.engine.task_runner import Attempt, AttemptPaths, Container, _process_env

    paths = AttemptPaths("", "", tmp_path, "", "", "", "", "", tmp_path, tmp_path / "log")
    attempt = Attempt(
        tasks_pb2.TaskTemplate(),
        literals_pb2.LiteralMap(),
        paths,
        env={"D": "flyte", "B": "flyte"},
        python="/opt/task/bin/python",
        pythonpath=("/configured",),
        defaults={"E": "defaults", "C": "defaults", "_F_IMG_ID": "guessed"},
    )
    setup = TaskEnvironment(
        environ={"PATH": "/usr/bin", "HOME": "/h", "ADMIN_ONLY": "x"}, task_env={"A": "task_env", "B": "task_env"}
    )
    container = Container("img", ["true"], {"C": "container", "PATH": "/container/bin", "PYTHONPATH": "/theirs"})
    env = _process_env(
        attempt,
        container,
        attempt.python,
        setup,
        {"A": "image", "C": "image", "D": "image", "_F_IMG_ID": "recorded"},
        {"_FSEC_G_K": "s"},
        tmp_path / ".work.tmp",
    )
    assert env == {
        "HOME": "/h",
        "TMPDIR": str(tmp_path / ".work.tmp"),  # the attempt's own (no layer sets one here)
        "A": "task_env",  # the configured variables come after the others (propeller's default-env-vars)
        "B": "task_env",
        "C": "container",  # the container's env over the image's
        "D": "flyte",
        "E": "defaults",  # the deployment's defaults, under everything the task brings
        "_F_IMG_ID": "recorded",  # the recorded ImageSpec's id, over the one guessed from the tag
        "_FSEC_G_K": "s",
        "PATH": os.pathsep.join(["/opt/task/bin", "/container/bin"]),
        "PYTHONPATH": os.pathsep.join(["/configured", "/theirs"]),
    }


def test_a_tmpdir_the_container_sets_wins_over_the_attempts_own(tmp_path: Path) -> None:
    from flyteidl.core import literals_pb2, tasks_pb2

    from flyteplane.admin.engine.environments import TaskEnvironment
    from flyteplane.admin.engine.task_runner import Attempt, AttemptPaths, Container, _process_env

    paths = AttemptPaths("", "", tmp_path, "", "", "", "", "", tmp_path, tmp_path / "log")
    attempt = Attempt(tasks_pb2.TaskTemplate(), literals_pb2.LiteralMap(), paths, env={}, python="/opt/task/bin/python")
    setup = TaskEnvironment(environ={"PATH": "/usr/bin", "TMPDIR": "/admins-tmp"})
    container = Container("img", ["true"], {"TMPDIR": "/scratch"})
    env = _process_env(attempt, container, attempt.python, setup, {}, {}, tmp_path / ".work.tmp")
    assert env["TMPDIR"] == "/scratch"  # the container's, as a pod's env sets it; never the admin's
    container = Container("img", ["true"], {})
    env = _process_env(attempt, container, attempt.python, setup, {}, {}, tmp_path / ".work.tmp")
    assert env["TMPDIR"] == str(tmp_path / ".work.tmp")
