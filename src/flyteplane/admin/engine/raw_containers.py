"""Raw containers: a task whose container has a ``DataLoadingConfig`` (flytekit's ``ContainerTask``), run with the
data contract Flyte's copilot gives it, its command a local process.

On a cluster, propeller adds copilot to such a pod (flyteorg/flyte ``flyteplugins/go/tasks/pluginmachinery/flytek8s/
copilot.go``): a downloader writes the inputs into the volume at ``input_path`` before the container starts, a
sidecar reads the outputs from ``output_path`` after it exits (``flytecopilot/data/download.go``, ``upload.go``).
Here the same happens around the process, on this machine's file system:

- **inputs** (unless ``io_strategy.download_mode`` is DO_NOT_DOWNLOAD, and only when the task has inputs): one file
  per input named after it (a primitive as text, a blob copied, a list a directory of ``0``, ``1``..., a map a
  directory of its keys, a struct as JSON, a none as ``null``), ``inputs.pb`` (the literal map) and, by ``format``,
  ``inputs.json`` or ``inputs.yaml`` (the values as JSON/YAML);
- **outputs** (unless ``upload_mode`` is DO_NOT_UPLOAD, and only when the task has outputs): ``outputs.pb`` in the
  output directory if the command wrote one, else one file per output named after it (a simple type's text, at most
  1024 bytes, or a blob's file or directory, copied under the attempt's raw output prefix); a ``_ERROR`` file fails
  the attempt with ``User Error: <its text>``, an output that cannot be read with copilot's ``OutputUploadFailed``
  (recoverable).

Paths: an empty path is copilot's default (``/var/flyte/inputs``, ``/var/flyte/outputs``); a relative one is made in
the attempt's working directory (the process's cwd), so attempts never share it; an absolute one is this machine's
directory, which must be empty or creatable by this user (it is not a fresh volume): it is held by one attempt at
a time and emptied afterwards. The image cannot be honored without a container runtime: the log says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import yaml
from flyteidl.core import execution_pb2, interface_pb2, literals_pb2, tasks_pb2, types_pb2
from google.protobuf import json_format
from google.protobuf.message import DecodeError

from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.task_runner import (
    OUTPUTS_FILE,
    Attempt,
    AttemptResult,
    ProcessTable,
    UnsupportedTask,
    container_of,
    read_result,
    run_attempt,
)

__all__ = ["DEFAULT_INPUT_PATH", "DEFAULT_OUTPUT_PATH", "data_config_of", "run_raw_container"]

DEFAULT_INPUT_PATH = "/var/flyte/inputs"
DEFAULT_OUTPUT_PATH = "/var/flyte/outputs"
"""Copilot's default paths (propeller's ``co-pilot.default-input-path`` / ``default-output-path``)."""

ERROR_FILE = "_ERROR"
_MAX_PRIMITIVE_BYTES = 1024
_Cfg = tasks_pb2.DataLoadingConfig
_IO = tasks_pb2.IOStrategy

# Absolute data directories are real directories of this machine: one attempt at a time may hold each.
_held_lock = threading.Lock()
_held: dict[Path, threading.Lock] = {}


class CopilotError(Exception):
    """Inputs cannot be laid out, or outputs cannot be read, as copilot would."""


def data_config_of(task: tasks_pb2.TaskTemplate) -> tasks_pb2.DataLoadingConfig | None:
    """The task's enabled ``DataLoadingConfig`` (of its container or its pod), or None: not a raw container."""
    target = task.WhichOneof("target")
    if target == "container" and task.container.data_config.enabled:
        return task.container.data_config
    if target == "k8s_pod" and task.k8s_pod.data_config.enabled:
        return task.k8s_pod.data_config
    return None


# -- the attempt --------------------------------------------------------------------------------------------------
def run_raw_container(
    attempt: Attempt,
    token: CancelToken,
    on_started: Callable[[int], None],
    processes: ProcessTable,
) -> AttemptResult:
    """Run a raw container's attempt: its inputs laid out, its command run, its outputs collected."""
    config = data_config_of(attempt.task)
    assert config is not None
    iface = attempt.task.interface
    download = bool(iface.inputs.variables) and config.io_strategy.download_mode != _IO.DO_NOT_DOWNLOAD
    upload = bool(iface.outputs.variables) and config.io_strategy.upload_mode != _IO.DO_NOT_UPLOAD
    workdir = attempt.paths.workdir
    input_dir = _place(config.input_path or DEFAULT_INPUT_PATH, workdir) if download else None
    output_dir = _place(config.output_path or DEFAULT_OUTPUT_PATH, workdir) if bool(iface.outputs.variables) else None
    dirs = [d for d in (input_dir, output_dir) if d is not None]
    with _holding(dirs, workdir) as failure:
        if failure is not None:
            return _failed("RawContainerPathUnusable", failure)
        try:
            if input_dir is not None:
                lay_out_inputs(attempt.inputs, input_dir, config.format)
        except CopilotError as e:
            return _failed("InputDownloadFailed", str(e))
        _note(attempt, config, input_dir, output_dir)

        def collect(done: Attempt, exit_code: int, stderr_tail: bytes) -> AttemptResult:
            if exit_code == 0 and upload and output_dir is not None:
                try:
                    outputs = collect_outputs(iface.outputs, output_dir, done.paths.raw_output_prefix)
                except CopilotError as e:
                    return _failed("OutputUploadFailed", str(e), recoverable=True)
                done.paths.output_dir.mkdir(parents=True, exist_ok=True)
                (done.paths.output_dir / OUTPUTS_FILE).write_bytes(outputs.SerializeToString())
            return read_result(done, exit_code, stderr_tail)

        return run_attempt(dataclasses.replace(attempt, result_reader=collect, warm=None), token, on_started, processes)


def _place(path: str, workdir: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else workdir / p


@contextlib.contextmanager
def _holding(dirs: list[Path], workdir: Path) -> Iterator[str | None]:
    """Make the data directories; yield None, or why one cannot be used. Absolute ones (outside ``workdir``) are
    held by this attempt alone and left empty after it (the attempt's working directory is removed anyway)."""
    shared = sorted({d for d in dirs if not d.is_relative_to(workdir)})
    locks: list[threading.Lock] = []
    prepared: list[Path] = []
    try:
        for directory in shared:
            with _held_lock:
                lock = _held.setdefault(directory, threading.Lock())
            lock.acquire()
            locks.append(lock)
        for directory in dict.fromkeys(dirs):
            why = _prepare(directory)
            if why is not None:
                yield why
                return
            prepared.append(directory)
        yield None
    finally:
        for directory in prepared:
            if directory in shared:
                _empty(directory)
        for lock in locks:
            lock.release()


def _prepare(directory: Path) -> str | None:
    contract = (
        "Without a container runtime the command runs as a local process, so the task's DataLoadingConfig paths "
        "(input_data_dir / output_data_dir of flytekit's ContainerTask) are directories of this machine: use "
        "relative paths (made in each attempt's own working directory) or empty directories this user can write"
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"cannot create the raw container's data directory [{directory}]: {e.strerror or e}. {contract}"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"cannot write the raw container's data directory [{directory}]: permission denied. {contract}"
    if any(directory.iterdir()):
        return (
            f"the raw container's data directory [{directory}] is not empty: it is not a fresh volume here, and "
            f"what it holds would be taken for this run's data. {contract}"
        )
    return None


def _empty(directory: Path) -> None:
    """Leave an absolute data directory empty for the next attempt (it was empty or missing before this one)."""
    with contextlib.suppress(OSError):
        for child in directory.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _note(
    attempt: Attempt, config: tasks_pb2.DataLoadingConfig, input_dir: Path | None, output_dir: Path | None
) -> None:
    """The log's first lines: what this attempt does instead of a container."""
    try:
        image = container_of(attempt.task).image or "(none)"
    except UnsupportedTask:
        image = "(none)"
    lines = [
        f"[flyteplane] raw container: the image {image} cannot be honored without a container runtime; its command "
        "runs as a local process of this machine",
        f"[flyteplane] inputs: {input_dir if input_dir is not None else '(none laid out)'} "
        f"(format {_Cfg.LiteralMapFormat.Name(config.format)}); outputs read from "
        f"{output_dir if output_dir is not None else '(none)'}",
    ]
    log_path = attempt.paths.log_path
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as f:
        f.write("\n".join(lines) + "\n")


def _failed(code: str, message: str, *, recoverable: bool = False) -> AttemptResult:
    error = execution_pb2.ExecutionError(code=code, message=message, kind=execution_pb2.ExecutionError.USER)
    return AttemptResult("failed", error=error, recoverable=recoverable)


# -- inputs (copilot's downloader) --------------------------------------------------------------------------------
def lay_out_inputs(inputs: literals_pb2.LiteralMap, directory: Path, fmt: int) -> None:
    """Write ``inputs`` into ``directory`` as copilot's downloader does (a file per input, ``inputs.pb``, and
    ``inputs.json`` / ``inputs.yaml`` by ``fmt``)."""
    directory.mkdir(parents=True, exist_ok=True)
    values = {name: _download(literal, directory / name, name) for name, literal in sorted(inputs.literals.items())}
    (directory / "inputs.pb").write_bytes(inputs.SerializeToString())
    if fmt == _Cfg.JSON:
        (directory / "inputs.json").write_text(json.dumps(values))
    elif fmt == _Cfg.YAML:
        (directory / "inputs.yaml").write_text(yaml.safe_dump(values))


def _download(literal: literals_pb2.Literal, path: Path, name: str) -> object:
    kind = literal.WhichOneof("value")
    if kind == "collection":
        path.mkdir(parents=True, exist_ok=True)
        return [_download(item, path / str(i), name) for i, item in enumerate(literal.collection.literals)]
    if kind == "map":
        path.mkdir(parents=True, exist_ok=True)
        return {key: _download(item, path / key, name) for key, item in sorted(literal.map.literals.items())}
    if kind != "scalar":
        raise CopilotError(f"input [{name}] is a {kind} literal, which copilot cannot lay out")
    scalar = literal.scalar
    which = scalar.WhichOneof("value")
    if which == "primitive":
        value, text = _primitive(scalar.primitive)
        path.write_text(text)
        return value
    if which in ("blob", "schema"):
        uri = scalar.blob.uri if which == "blob" else scalar.schema.uri
        source = _local(uri)
        if source is None or not source.exists():
            raise CopilotError(f"input [{name}] is at [{uri}], which is not a file or directory of this machine")
        if source.is_dir():
            shutil.copytree(source, path)
        else:
            shutil.copyfile(source, path)
        return str(path)
    if which == "binary":
        path.write_bytes(scalar.binary.value)
        return scalar.binary.value.decode("latin-1")
    if which == "error":
        path.write_text(scalar.error.message)
        return scalar.error.message
    if which == "generic":
        path.write_text(json_format.MessageToJson(scalar.generic))
        return json_format.MessageToDict(scalar.generic)
    if which == "union":
        return _download(scalar.union.value, path, name)
    if which == "none_type":
        path.write_text("null")
        return None
    raise CopilotError(f"input [{name}] is a {which} scalar, which copilot cannot lay out")


def _primitive(p: literals_pb2.Primitive) -> tuple[object, str]:
    which = p.WhichOneof("value")
    if which == "integer":
        return p.integer, str(p.integer)
    if which == "float_value":
        # Go's FormatFloat(f, 'f', -1, 64): the shortest decimal that reads back, never an exponent.
        text = format(Decimal(repr(p.float_value)), "f") if p.float_value == p.float_value else repr(p.float_value)
        return p.float_value, text
    if which == "string_value":
        return p.string_value, p.string_value
    if which == "boolean":
        return p.boolean, "true" if p.boolean else "false"
    if which == "datetime":
        text = p.datetime.ToDatetime(tzinfo=datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        return text, text
    if which == "duration":
        from flyteplane.admin.domain.times import go_duration

        nanos = p.duration.seconds * 10**9 + p.duration.nanos
        return nanos, go_duration(nanos)
    return None, ""


def _local(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if parts.scheme == "" and uri.startswith("/"):
        return Path(uri)
    return None


# -- outputs (copilot's uploader) ---------------------------------------------------------------------------------
def collect_outputs(
    variables: interface_pb2.VariableMap, directory: Path, raw_output_prefix: str
) -> literals_pb2.LiteralMap:
    """The outputs a raw container left in ``directory``, as copilot's sidecar reads them."""
    error = directory / ERROR_FILE
    if error.is_file():
        raise CopilotError(f"User Error: {error.read_text(errors='replace')}")
    aggregate = directory / OUTPUTS_FILE
    if aggregate.is_file():
        try:
            return literals_pb2.LiteralMap.FromString(aggregate.read_bytes())
        except DecodeError as e:
            raise CopilotError(f"the container wrote an unreadable {OUTPUTS_FILE}: {e}") from e
    out = literals_pb2.LiteralMap()
    for name, variable in sorted(variables.variables.items()):
        literal_type = variable.type
        path = directory / name
        which = literal_type.WhichOneof("type")
        if which == "simple":
            out.literals[name].CopyFrom(_simple(literal_type.simple, path, name))
        elif which == "blob":
            out.literals[name].CopyFrom(_blob(literal_type.blob, path, name, raw_output_prefix))
        else:
            raise CopilotError(f"currently CoPilot uploader does not support [{which}] outputs (output [{name}])")
    return out


def _simple(simple: int, path: Path, name: str) -> literals_pb2.Literal:
    if not path.exists():
        raise CopilotError(f"output [{name}] was not written: no file [{path}]")
    if path.is_dir():
        raise CopilotError(f"expected file for type [{types_pb2.SimpleType.Name(simple)}], found dir at path [{path}]")
    size = path.stat().st_size
    if size > _MAX_PRIMITIVE_BYTES:
        raise CopilotError(f"maximum allowed filesize is [{_MAX_PRIMITIVE_BYTES}], but found [{size}] ({path})")
    text = path.read_text(errors="replace").strip(" \n\t")
    literal = literals_pb2.Literal()
    scalar = literal.scalar
    try:
        if simple == types_pb2.INTEGER:
            scalar.primitive.integer = int(text)
        elif simple == types_pb2.FLOAT:
            scalar.primitive.float_value = float(text)
        elif simple == types_pb2.STRING:
            scalar.primitive.string_value = text
        elif simple == types_pb2.BOOLEAN:
            scalar.primitive.boolean = _go_bool(text)
        elif simple == types_pb2.DATETIME:
            scalar.primitive.datetime.FromJsonString(text)
        elif simple == types_pb2.DURATION:
            scalar.primitive.duration.FromNanoseconds(_go_duration_nanos(text))
        elif simple == types_pb2.STRUCT:
            json_format.Parse(text, scalar.generic, ignore_unknown_fields=True)
        elif simple == types_pb2.BINARY:
            scalar.binary.value = text.encode()
            scalar.binary.tag = "msgpack"
        elif simple == types_pb2.ERROR:
            scalar.error.message = text
        elif simple == types_pb2.NONE:
            scalar.none_type.SetInParent()
        else:
            raise CopilotError(f"output [{name}] has simple type {types_pb2.SimpleType.Name(simple)}, not supported")
    except (ValueError, json_format.ParseError) as e:
        raise CopilotError(
            f"output [{name}] ({types_pb2.SimpleType.Name(simple)}) cannot be read from [{path}]: {text!r}: {e}"
        ) from e
    return literal


_GO_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_GO_UNITS["h"] = 60 * _GO_UNITS["m"]
_GO_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def _go_duration_nanos(text: str) -> int:
    """Go's time.ParseDuration (``1h30m``, ``1.5s``, ``-300ms``, ``0``), in nanoseconds."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if body == "0":
        return 0
    parts = _GO_DURATION.findall(body)
    if not body or "".join(n + u for n, u in parts) != body or any(n in ("", ".") for n, _ in parts):
        raise ValueError("not a Go duration")
    return sign * round(sum(Decimal(n) * _GO_UNITS[u] for n, u in parts))


def _go_bool(text: str) -> bool:
    """Go's strconv.ParseBool."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError("not a boolean")


def _blob(blob_type: types_pb2.BlobType, path: Path, name: str, raw_output_prefix: str) -> literals_pb2.Literal:
    if not path.exists():
        raise CopilotError(f"output [{name}] was not written: no file or directory [{path}]")
    base = _local(raw_output_prefix) or (Path(raw_output_prefix) if "://" not in raw_output_prefix else None)
    if base is None:
        raise CopilotError(f"the raw output prefix [{raw_output_prefix}] is not a directory of this machine")
    target = base / name
    target.parent.mkdir(parents=True, exist_ok=True)
    literal = literals_pb2.Literal()
    blob = literal.scalar.blob
    blob.metadata.type.format = blob_type.format
    if path.is_dir():
        shutil.copytree(path, target, dirs_exist_ok=True)
        blob.metadata.type.dimensionality = types_pb2.BlobType.MULTIPART
    else:
        shutil.copyfile(path, target)
        blob.metadata.type.dimensionality = types_pb2.BlobType.SINGLE
    blob.uri = str(target)
    return literal
