"""Raw containers (flytekit's ``ContainerTask``): copilot's data contract around a local process.

The workflows are flytekit's serialization of ``ContainerTask``s (``engine_agent_workflows.py``), run by the engine
over the admin's real EventRecorder (the :class:`Harness` of ``test_engine.py``). The command is ``sh -c``, run on
this machine: the image is recorded, not honored.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from flyteidl.core import interface_pb2, literals_pb2, tasks_pb2, types_pb2
from tests.admin import engine_agent_workflows as awf
from tests.admin.engine.test_engine import REPO, Harness, compile_entity, ints

from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.engine.raw_containers import (
    CopilotError,
    collect_outputs,
    data_config_of,
    lay_out_inputs,
)


@pytest.fixture
def harness(make_ctx: Callable[..., AdminContext], tmp_path: Path) -> Iterator[Harness]:
    config = AdminConfig(task_pythonpath=(str(REPO),), task_kill_grace_seconds=0.5, start_local_agent=False)
    h = Harness(make_ctx(config), tmp_path / "marks")
    h.engine.start()
    yield h
    h.engine.stop()


def _inputs(x: int, label: str) -> literals_pb2.LiteralMap:
    out = ints(x=x)
    out.literals["label"].scalar.primitive.string_value = label
    return out


def _text(outputs: literals_pb2.LiteralMap, name: str) -> str:
    return str(outputs.literals[name].scalar.primitive.string_value)


def _run(harness: Harness, task: object, x: int = 21, label: str = "hello") -> object:
    return harness.run(compile_entity(awf.raw_workflow(task), fast=False), _inputs(x, label))


def test_a_raw_container_reads_its_inputs_and_writes_its_outputs(harness: Harness, tmp_path: Path) -> None:
    in_dir, out_dir = tmp_path / "data" / "inputs", tmp_path / "data" / "outputs"
    task = awf.raw_container("raw_json", str(in_dir), str(out_dir))
    closure = compile_entity(awf.raw_workflow(task), fast=False)
    (template,) = [t.template for t in closure.tasks]
    assert template.type == "raw-container" and data_config_of(template) is not None
    eid = harness.run(closure, _inputs(21, "hello world"))
    outputs = harness.outputs(eid)
    assert outputs.literals["doubled"].scalar.primitive.integer == 42
    assert _text(outputs, "label_seen") == "hello world"  # {{.inputs.label}} in the command
    assert json.loads(_text(outputs, "inputs_doc")) == {"x": 21, "label": "hello world"}
    assert harness.tap.task_phases(eid.name, "n0", 0) == ["QUEUED", "RUNNING", "SUCCEEDED"]
    # The absolute data directories were this machine's: left empty for the next attempt.
    assert list(in_dir.iterdir()) == [] and list(out_dir.iterdir()) == []
    # The log says what ran instead of the image.
    running = harness.tap.task_events(eid.name, "n0", 0)[1]
    log_path = harness.ctx.logs.path_of(running.logs[0].uri.rsplit("/", 1)[-1])
    assert log_path is not None
    first = log_path.read_text().splitlines()[0]
    assert "the image alpine:3.19 cannot be honored without a container runtime" in first
    harness.no_refusals()


def test_relative_data_paths_live_in_the_attempt_directory_and_yaml_is_written(harness: Harness) -> None:
    task = awf.raw_container("raw_yaml", "in", "out", fmt="YAML")
    eid = _run(harness, task, x=5, label="y")
    outputs = harness.outputs(eid)  # type: ignore[arg-type]
    assert outputs.literals["doubled"].scalar.primitive.integer == 10
    assert yaml.safe_load(_text(outputs, "inputs_doc")) == {"x": 5, "label": "y"}
    harness.no_refusals()


def test_an_unwritable_absolute_path_fails_saying_why_and_what_to_change(harness: Harness, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    task = awf.raw_container("raw_blocked", str(blocker / "inputs"), str(tmp_path / "out"))
    eid = _run(harness, task)
    error = harness.error(eid)  # type: ignore[arg-type]
    assert error.code == "RawContainerPathUnusable"
    assert f"cannot create the raw container's data directory [{blocker / 'inputs'}]" in error.message
    assert "use relative paths" in error.message
    harness.no_refusals()


def test_a_non_empty_absolute_directory_is_refused_and_left_alone(harness: Harness, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "someone-elses").write_text("keep me")
    task = awf.raw_container("raw_busy", str(tmp_path / "in"), str(busy))
    error = harness.error(_run(harness, task))  # type: ignore[arg-type]
    assert f"the raw container's data directory [{busy}] is not empty" in error.message
    assert (busy / "someone-elses").read_text() == "keep me"
    harness.no_refusals()


def test_an_error_file_or_a_missing_output_fails_as_copilot_does(harness: Harness) -> None:
    failing = awf.raw_container("raw_error", "in", "out", script='printf "bad things" > "$2/_ERROR"')
    error = harness.error(_run(harness, failing))  # type: ignore[arg-type]
    assert error.code == "RetriesExhausted|OutputUploadFailed"
    assert error.message.endswith("User Error: bad things")

    silent = awf.raw_container("raw_silent", "in", "out", script="true")
    error = harness.error(_run(harness, silent))  # type: ignore[arg-type]
    assert "output [doubled] was not written" in error.message

    crashing = awf.raw_container("raw_crash", "in", "out", script="echo oops >&2; exit 7")
    error = harness.error(_run(harness, crashing))  # type: ignore[arg-type]
    assert "exited with code 7" in error.message and "oops" in error.message
    harness.no_refusals()


# ----------------------------------------------------------------------------------------------------------------
# copilot's layout and reading, piece by piece


def test_inputs_are_laid_out_as_copilots_downloader_does(tmp_path: Path) -> None:
    source = tmp_path / "src.txt"
    source.write_text("blob body")
    inputs = literals_pb2.LiteralMap()
    inputs.literals["f"].scalar.primitive.float_value = 2.5
    inputs.literals["b"].scalar.primitive.boolean = True
    inputs.literals["d"].scalar.primitive.duration.FromSeconds(90)
    for i, value in enumerate((1, 2)):
        item = inputs.literals["xs"].collection.literals.add()
        item.scalar.primitive.integer = value * (i + 1)
    inputs.literals["m"].map.literals["k"].scalar.primitive.string_value = "v"
    inputs.literals["blob"].scalar.blob.uri = source.as_uri()
    inputs.literals["nothing"].scalar.none_type.SetInParent()
    lay_out_inputs(inputs, tmp_path / "in", tasks_pb2.DataLoadingConfig.JSON)
    d = tmp_path / "in"
    assert (d / "f").read_text() == "2.5" and (d / "b").read_text() == "true" and (d / "d").read_text() == "1m30s"
    assert (d / "xs" / "0").read_text() == "1" and (d / "xs" / "1").read_text() == "4"
    assert (d / "m" / "k").read_text() == "v" and (d / "nothing").read_text() == "null"
    assert (d / "blob").read_text() == "blob body"
    assert literals_pb2.LiteralMap.FromString((d / "inputs.pb").read_bytes()) == inputs
    doc = json.loads((d / "inputs.json").read_text())
    assert doc == {
        "f": 2.5,
        "b": True,
        "d": 90 * 10**9,
        "xs": [1, 4],
        "m": {"k": "v"},
        "blob": str(d / "blob"),
        "nothing": None,
    }
    remote = literals_pb2.LiteralMap()
    remote.literals["r"].scalar.blob.uri = "s3://bucket/key"
    with pytest.raises(CopilotError, match=r"input \[r\] is at \[s3://bucket/key\]"):
        lay_out_inputs(remote, tmp_path / "in2", tasks_pb2.DataLoadingConfig.PROTO)


def _variables(**types: types_pb2.LiteralType) -> interface_pb2.VariableMap:
    out = interface_pb2.VariableMap()
    for name, t in types.items():
        out.variables[name].type.CopyFrom(t)
    return out


def test_outputs_are_read_as_copilots_sidecar_does(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "ok").write_text("T\n")
    (out / "ratio").write_text(" 0.25 ")
    (out / "wait").write_text("1h2m3.5s")
    (out / "when").write_text("2024-05-06T07:08:09Z")
    (out / "doc").write_text('{"a": 1}')
    (out / "report").write_text("report body")
    (out / "folder").mkdir()
    (out / "folder" / "part").write_text("p")
    simple = types_pb2.LiteralType
    variables = _variables(
        ok=simple(simple=types_pb2.BOOLEAN),
        ratio=simple(simple=types_pb2.FLOAT),
        wait=simple(simple=types_pb2.DURATION),
        when=simple(simple=types_pb2.DATETIME),
        doc=simple(simple=types_pb2.STRUCT),
        report=simple(blob=types_pb2.BlobType(format="txt")),
        folder=simple(blob=types_pb2.BlobType(dimensionality=types_pb2.BlobType.MULTIPART)),
    )
    got = collect_outputs(variables, out, str(tmp_path / "raw"))
    lit = got.literals
    assert lit["ok"].scalar.primitive.boolean is True
    assert lit["ratio"].scalar.primitive.float_value == 0.25
    assert lit["wait"].scalar.primitive.duration.ToTimedelta() == datetime.timedelta(hours=1, minutes=2, seconds=3.5)
    assert lit["when"].scalar.primitive.datetime.ToJsonString() == "2024-05-06T07:08:09Z"
    assert lit["doc"].scalar.generic["a"] == 1
    report = lit["report"].scalar.blob
    assert Path(report.uri).read_text() == "report body" and report.metadata.type.format == "txt"
    folder = lit["folder"].scalar.blob
    assert folder.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART
    assert (Path(folder.uri) / "part").read_text() == "p"

    (out / "big").write_text("1" * 2000)
    with pytest.raises(CopilotError, match=r"maximum allowed filesize is \[1024\]"):
        collect_outputs(_variables(big=simple(simple=types_pb2.INTEGER)), out, str(tmp_path / "raw"))
    with pytest.raises(CopilotError, match=r"output \[ok\] \(INTEGER\) cannot be read"):
        collect_outputs(_variables(ok=simple(simple=types_pb2.INTEGER)), out, str(tmp_path / "raw"))
    listed = simple(collection_type=simple(simple=types_pb2.INTEGER))
    with pytest.raises(CopilotError, match=r"does not support \[collection_type\]"):
        collect_outputs(_variables(xs=listed), out, str(tmp_path / "raw"))
    # An outputs.pb the command wrote is taken as is.
    aggregate = ints(o0=3)
    (out / "outputs.pb").write_bytes(aggregate.SerializeToString())
    assert collect_outputs(_variables(o0=simple(simple=types_pb2.INTEGER)), out, "s3://x") == aggregate


def test_io_strategy_can_skip_the_inputs_or_the_outputs(harness: Harness) -> None:
    script = 'test ! -e "$1" && echo 0 > "$2/doubled" && printf n > "$2/label_seen" && printf - > "$2/inputs_doc"'
    closure = compile_entity(
        awf.raw_workflow(awf.raw_container("raw_no_inputs", "in", "out", script=script)), fast=False
    )
    closure.tasks[0].template.container.data_config.io_strategy.download_mode = tasks_pb2.IOStrategy.DO_NOT_DOWNLOAD
    outputs = harness.outputs(harness.run(closure, _inputs(1, "a")))
    assert outputs.literals["doubled"].scalar.primitive.integer == 0  # no input directory was laid out

    closure = compile_entity(awf.raw_workflow(awf.raw_container("raw_no_outputs", "in", "out")), fast=False)
    closure.tasks[0].template.container.data_config.io_strategy.upload_mode = tasks_pb2.IOStrategy.DO_NOT_UPLOAD
    error = harness.error(harness.run(closure, _inputs(1, "a")))
    assert error.code == "RetriesExhausted|OutputsNotFound"  # nothing was read back
    harness.no_refusals()
