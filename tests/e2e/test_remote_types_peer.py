"""flyteplane's FlyteRemote and flytekit's FlyteRemote reading and writing the same executions, value by value.

flytekit registers ``workflows/remote_types.py`` (fast registration: its tasks run through ``pyflyte-execute`` on the
sandbox). flyteplane runs the flytekit-registered workflows and tasks, with inputs of every supported type; both
remotes read the same executions (flyteplane with type hints and with guessed types, flytekit with ``as_type``) and
must agree with each other and with what the task processes produced. In the other direction flytekit runs the
tasks and flyteplane reads them. What flytekit's task itself made of flyteplane's inputs comes back in the outputs
of the ``echo_*`` tasks (``echo_values`` also checks their Python types inside the task).

Plain values and data (files, directories, dataframes) run in separate executions, so that each is judged on its
own; six task runs in all.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_type_hints

import pandas as pd
import pytest
from flyteidl.core import literals_pb2
from flytekit.configuration import ImageConfig
from flytekit.models.core.execution import WorkflowExecutionPhase

from flyteplane.configuration import Config
from flyteplane.remote import FlyteRemote
from flyteplane.types import FlyteDirectory, FlyteFile, TypeEngine
from tests.e2e.conftest import DOMAIN, PROJECT, WORKFLOWS, Sandbox

IMAGE = "localhost/flyteplane-e2e:never-pulled"
MODULE = "remote_types"
_WAIT = datetime.timedelta(seconds=180)


@dataclasses.dataclass(frozen=True)
class Registered:
    module: ModuleType
    version: str

    def name(self, entity: str) -> str:
        return f"{MODULE}.{entity}"


@pytest.fixture(scope="module")
def registered(remote) -> Iterator[Registered]:  # type: ignore[no-untyped-def]
    """``remote_types`` imported under the name flytekit gives it, and fast-registered once (workflows, tasks)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(WORKFLOWS))
        module = __import__(MODULE)
        version = f"e2e-types-{uuid.uuid4().hex[:12]}"
        for entity in (module.produce_values, module.produce_blobs, module.echo_values, module.echo_blobs):
            remote.register_script(
                entity,
                image_config=ImageConfig.auto(img_name=IMAGE),
                version=version,
                source_path=str(WORKFLOWS),
                module_name=MODULE,
            )
        yield Registered(module, version)


@pytest.fixture(scope="module")
def fp(sandbox: Sandbox) -> Iterator[FlyteRemote]:
    """flyteplane's FlyteRemote, connected to the same sandbox."""
    # The sandbox's printed config: its storage: section lets directories be read from its S3 endpoint.
    config = Config.for_endpoint(sandbox.endpoint, insecure=True, config_file=str(sandbox.config_file))
    with FlyteRemote(config, PROJECT, DOMAIN) as r:
        yield r


@pytest.fixture
def local_data(registered: Registered, tmp_path: Path) -> tuple[Path, Path]:
    """A local file and directory holding what ``blobs()`` writes (to send as inputs)."""
    m = registered.module
    local_file = tmp_path / "in.txt"
    local_file.write_text(m.FILE_TEXT, encoding="utf-8")
    local_dir = tmp_path / "indir"
    for rel, text in m.DIR_FILES.items():
        (local_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (local_dir / rel).write_text(text, encoding="utf-8")
    return local_file, local_dir


# --- comparing -----------------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as plain data: dataclasses and pydantic models as dicts of their fields, enums as their values.

    Guessed types are generated classes (their own dataclasses and enums), so they are compared in this form."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(type(value), "model_fields"):
        return {name: plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def file_text(value: Any) -> str:
    """The content of a flyteplane or flytekit FlyteFile (downloaded first)."""
    return Path(value.download()).read_text(encoding="utf-8")


def dir_files(value: Any) -> dict[str, str]:
    """``{relative path: content}`` of a flyteplane or flytekit FlyteDirectory (or a path), downloaded first."""
    root = Path(value.download() if hasattr(value, "download") else value)
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


def fp_hints(cls: Any) -> dict[str, Any]:
    """Python types by name (a NamedTuple's fields, a function's parameters) as flyteplane type hints: flyteplane's
    FlyteFile / FlyteDirectory where flytekit's are declared."""
    hints = {n: t for n, t in get_type_hints(cls).items() if n != "return"}
    for name, t in hints.items():
        module = getattr(t, "__module__", "")
        if module.startswith("flytekit.types.file"):
            hints[name] = FlyteFile
        elif module.startswith("flytekit.types.directory"):
            hints[name] = FlyteDirectory
    return hints


def fk_types(cls: Any) -> dict[str, Any]:
    """Python types by name (a NamedTuple's fields, a function's parameters), as flytekit declares them."""
    return {n: t for n, t in get_type_hints(cls).items() if n != "return"}


def assert_values_agree(
    expected: dict[str, Any], typed: dict[str, Any], guessed: dict[str, Any], flytekit: dict[str, Any], what: str
) -> None:
    """flyteplane with type hints, flyteplane guessing and flytekit with ``as_type`` all read ``expected``."""
    assert set(typed) == set(guessed) == set(flytekit) == set(expected), what
    for name, want in expected.items():
        assert typed[name] == want, f"{what}: flyteplane with a type hint read {name} as {typed[name]!r}, not {want!r}"
        assert type(typed[name]) is type(want), f"{what}: flyteplane read {name} as a {type(typed[name]).__name__}"
        assert flytekit[name] == want, f"{what}: flytekit read {name} as {flytekit[name]!r}, not {want!r}"
        assert plain(guessed[name]) == plain(want), f"{what}: flyteplane guessed {name} as {guessed[name]!r}"
    # Guessed, not hinted: generated classes with attribute access, not dicts.
    assert guessed["shape"].origin.y == expected["shape"].origin.y
    assert guessed["shape"].vertices[1].x == 4
    assert guessed["settings"].owner.name == "ada"
    assert guessed["color"].value == "green"
    assert isinstance(guessed["dt"], datetime.datetime) and guessed["dt"].tzinfo is not None


Values = dict[str, Any]


def read_outputs(fp: FlyteRemote, remote: Any, name: str, fields: Any) -> tuple[Values, Values, Values]:
    """The outputs of execution ``name`` read three ways: flyteplane with type hints, flyteplane guessing (a fresh
    fetch, no hints), flytekit with ``as_type``."""
    hints = fp_hints(fields)
    hinted = fp.fetch_execution(name=name)
    typed = {n: hinted.outputs.get(n, as_type=t) for n, t in hints.items()}
    bare = fp.fetch_execution(name=name)
    guessed = {n: bare.outputs[n] for n in hints}
    fk_execution = remote.sync_execution(remote.fetch_execution(name=name))
    assert fk_execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED
    flytekit = {n: fk_execution.outputs.get(n, as_type=t) for n, t in fk_types(fields).items()}
    return typed, guessed, flytekit


# --- flyteplane runs what flytekit registered ----------------------------------------------------------------------


def test_flyteplane_runs_the_flytekit_workflow_and_both_read_the_same_values(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, remote
) -> None:
    m = registered.module
    workflow = fp.fetch_workflow(name=registered.name("produce_values"), version=registered.version)
    hints = fp_hints(m.Values)
    assert set(workflow.output_types()) == set(hints)
    done = fp.execute(workflow, inputs={}, wait=True, type_hints=hints)
    assert done.is_successful, done.closure.error.message
    expected = m.expected_values()._asdict()

    # The execution execute() returned carries the hints: its outputs are read as the declared Python types.
    assert {n: done.outputs[n] for n in hints} == expected
    typed, guessed, flytekit = read_outputs(fp, remote, done.id.name, m.Values)
    assert_values_agree(expected, typed, guessed, flytekit, "produce_values")

    # The workflow's node carries the same values (read through the workflow's compiled closure).
    fp.sync_execution(done, sync_nodes=True)
    node = done.node_executions["n0"]
    assert node.outputs["i"] == 42
    assert node.outputs.get("shape", as_type=m.Shape) == expected["shape"]
    assert node.task_executions[0].outputs.get("settings", as_type=m.Settings) == expected["settings"]


def test_flyteplane_runs_the_flytekit_launch_plan_and_both_read_the_same_data(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, remote
) -> None:
    m = registered.module
    launch_plan = fp.fetch_launch_plan(name=registered.name("produce_blobs"), version=registered.version)
    done = fp.wait(fp.execute(launch_plan, inputs={}), timeout=_WAIT)
    assert done.is_successful, done.closure.error.message
    typed, guessed, flytekit = read_outputs(fp, remote, done.id.name, m.Blobs)

    literals = done.outputs.literals
    for values in (typed, guessed):
        assert isinstance(values["file"], FlyteFile) and isinstance(values["dir"], FlyteDirectory)
        assert values["file"].remote_source == literals["file"].scalar.blob.uri
        assert values["dir"].remote_source == literals["dir"].scalar.blob.uri
        assert file_text(values["file"]) == m.FILE_TEXT
        assert dir_files(values["dir"]) == m.DIR_FILES
        assert values["rows"] == 3
    assert file_text(flytekit["file"]) == m.FILE_TEXT
    assert dir_files(flytekit["dir"]) == m.DIR_FILES
    for frame in (typed["df"], guessed["df"], flytekit["df"]):
        assert isinstance(frame, pd.DataFrame)
        assert frame.equals(m.expected_frame()), frame


def test_flyteplane_download_of_an_output_map_fetches_the_data_and_skips_the_values(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, tmp_path: Path
) -> None:
    """``download(execution.outputs, dir)``, as flytekit's: every file, directory and dataset into ``dir/<name>``;
    an output that is not data (``rows``, an int) has nothing to fetch and must not stop the download."""
    m = registered.module
    launch_plan = fp.fetch_launch_plan(name=registered.name("produce_blobs"), version=registered.version)
    done = fp.wait(fp.execute(launch_plan, inputs={}), timeout=_WAIT)
    assert done.is_successful, done.closure.error.message
    fp.download(done.outputs, tmp_path)
    assert (tmp_path / "file").read_text(encoding="utf-8") == m.FILE_TEXT
    assert dir_files(tmp_path / "dir") == m.DIR_FILES
    assert pd.read_parquet(tmp_path / "df").equals(m.expected_frame())
    assert not (tmp_path / "rows").exists()


def test_flytekit_task_reads_the_values_flyteplane_wrote(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, remote
) -> None:
    m = registered.module
    expected = m.expected_values()._asdict()
    # No type hints: flyteplane infers each value's type and fits it to the task's declared interface.
    task = fp.fetch_task(name=registered.name("echo_values"), version=registered.version)
    done = fp.execute(task, inputs=expected, wait=True)
    assert done.is_successful, done.closure.error.message  # echo_values checked the Python types it was given

    typed, guessed, flytekit = read_outputs(fp, remote, done.id.name, m.Values)
    assert_values_agree(expected, typed, guessed, flytekit, "echo_values outputs")
    # The inputs as the admin recorded them, read back by flytekit and by flyteplane.
    fk_execution = remote.sync_execution(remote.fetch_execution(name=done.id.name))
    for name, t in fk_types(m.echo_values.task_function).items():
        assert fk_execution.inputs.get(name, as_type=t) == expected[name], f"flytekit read input {name}"
        assert done.inputs.get(name, as_type=t) == expected[name], f"flyteplane read input {name}"


def test_flytekit_task_reads_the_data_flyteplane_uploaded(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, remote, local_data: tuple[Path, Path]
) -> None:
    m = registered.module
    local_file, local_dir = local_data
    task = fp.fetch_task(name=registered.name("echo_blobs"), version=registered.version)
    inputs = {"file": FlyteFile(local_file), "dir": FlyteDirectory(local_dir), "df": m.expected_frame()}
    done = fp.wait(fp.execute(task, inputs=inputs), timeout=_WAIT)
    assert done.is_successful, done.closure.error.message

    typed, guessed, flytekit = read_outputs(fp, remote, done.id.name, m.EchoedBlobs)
    for values in (typed, guessed, flytekit):
        assert values["file_text"] == m.FILE_TEXT  # what the task downloaded is what flyteplane uploaded
        assert values["dir_files"] == m.DIR_FILES
        assert values["df"].equals(m.expected_frame())
    fk_execution = remote.sync_execution(remote.fetch_execution(name=done.id.name))
    fk_in = fk_types(m.echo_blobs.task_function)
    assert file_text(fk_execution.inputs.get("file", as_type=fk_in["file"])) == m.FILE_TEXT
    assert dir_files(fk_execution.inputs.get("dir", as_type=fk_in["dir"])) == m.DIR_FILES
    assert fk_execution.inputs.get("df", as_type=pd.DataFrame).equals(m.expected_frame())


def test_flyteplane_encodes_each_value_exactly_as_flytekit(registered: Registered, fp: FlyteRemote) -> None:
    """Byte for byte: flyteplane's literal of each value (its type inferred and fitted to the declared type, and
    with the type hint) is the literal flytekit's TypeEngine makes, so flytekit readers and cache keys see the same
    thing."""
    from flytekit.core.context_manager import FlyteContextManager
    from flytekit.core.type_engine import TypeEngine as FlytekitTypeEngine

    m = registered.module
    declared = fp.fetch_task(name=registered.name("echo_values"), version=registered.version).input_types()
    hints = fk_types(m.echo_values.task_function)
    ctx = FlyteContextManager.current_context()
    for name, value in m.expected_values()._asdict().items():
        t = hints[name]
        assert FlytekitTypeEngine.to_literal_type(t).to_flyte_idl() == declared[name], name
        assert TypeEngine.to_literal_type(t) == declared[name], name
        theirs = FlytekitTypeEngine.to_literal(ctx, value, t, FlytekitTypeEngine.to_literal_type(t)).to_flyte_idl()
        inferred = TypeEngine.to_literal(value, None, declared[name])
        hinted = TypeEngine.to_literal(value, t, declared[name])
        assert isinstance(inferred, literals_pb2.Literal)
        assert inferred == theirs, f"{name}: flyteplane (inferred)\n{inferred}\nflytekit\n{theirs}"
        assert hinted == theirs, f"{name}: flyteplane (hinted)\n{hinted}\nflytekit\n{theirs}"


# --- flytekit runs, flyteplane reads -------------------------------------------------------------------------------


def test_flyteplane_reads_the_values_of_an_execution_flytekit_started(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, remote
) -> None:
    m = registered.module
    expected = m.expected_values()._asdict()
    started = remote.execute(m.echo_values, inputs=expected, version=registered.version, wait=True)
    assert started.closure.phase == WorkflowExecutionPhase.SUCCEEDED, started.error.message
    name = started.id.name

    typed, guessed, flytekit = read_outputs(fp, remote, name, m.Values)
    assert_values_agree(expected, typed, guessed, flytekit, "flytekit's echo_values")
    # The inputs flytekit wrote, read by flyteplane with hints and guessing.
    execution = fp.fetch_execution(name=name)
    assert {n: execution.inputs.get(n, as_type=t) for n, t in fp_hints(m.echo_values.task_function).items()} == (
        expected
    )
    guessed_inputs = fp.fetch_execution(name=name).inputs
    assert {n: plain(guessed_inputs[n]) for n in expected} == plain(expected)
    # The single-task execution's node and attempt, read through flyteplane too.
    fp.sync_execution(execution, sync_nodes=True)
    node = next(n for n in execution.node_executions.values() if n.task_executions)
    assert node.outputs.get("settings", as_type=m.Settings) == expected["settings"]
    assert node.task_executions[0].inputs.get("shape", as_type=m.Shape) == expected["shape"]


def test_flyteplane_reads_the_data_of_an_execution_flytekit_started(  # type: ignore[no-untyped-def]
    registered: Registered, fp: FlyteRemote, remote, local_data: tuple[Path, Path]
) -> None:
    from flytekit.types.directory import FlyteDirectory as FlytekitDirectory
    from flytekit.types.file import FlyteFile as FlytekitFile

    m = registered.module
    local_file, local_dir = local_data
    inputs = {"file": FlytekitFile(str(local_file)), "dir": FlytekitDirectory(str(local_dir)), "df": m.expected_frame()}
    started = remote.execute(m.echo_blobs, inputs=inputs, version=registered.version, wait=True)
    assert started.closure.phase == WorkflowExecutionPhase.SUCCEEDED, started.error.message
    name = started.id.name

    # flytekit's FlyteRemote uploads each file of a directory under its base name (its flyte:// filesystem passes
    # ``to_upload.name`` to the data proxy), so the nested directory arrives flat: that is what its task saw.
    uploaded = {Path(rel).name: text for rel, text in m.DIR_FILES.items()}
    typed, guessed, flytekit = read_outputs(fp, remote, name, m.EchoedBlobs)
    for values in (typed, guessed, flytekit):
        assert values["file_text"] == m.FILE_TEXT
        assert values["dir_files"] == uploaded
        assert values["df"].equals(m.expected_frame())
    # The inputs flytekit uploaded through the data proxy, read by flyteplane with hints and guessing.
    execution = fp.fetch_execution(name=name)
    hinted = {n: execution.inputs.get(n, as_type=t) for n, t in fp_hints(m.echo_blobs.task_function).items()}
    bare = fp.fetch_execution(name=name).inputs
    for values in (hinted, {n: bare[n] for n in hinted}):
        assert file_text(values["file"]) == m.FILE_TEXT
        assert dir_files(values["dir"]) == uploaded
        assert values["df"].equals(m.expected_frame())
