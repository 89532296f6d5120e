"""flyteplane's task entrypoint: runs an interactive task's pickled function inside the task's container.

``python -m flyteplane.remote.entrypoint --inputs URL --output-prefix URL --raw-output-data-prefix URL
--checkpoint-path URL --prev-checkpoint URL --pickle URI --task NAME`` is what the container of a task made by
:func:`flyteplane.remote.interactive.prepare` runs; propeller (or the embedded admin) fills in the ``{{.input}}``,
``{{.outputPrefix}}``, ... placeholders. One run is one attempt:

1. load the payload at ``--pickle`` (a gzip of a pickle made by ``prepare``) and check that it was made for this
   Python major.minor (bytecode does not carry across versions) and for the task named by ``--task``;
2. read ``inputs.pb`` (a ``LiteralMap``) and convert each input with the function's type hints; an input the map
   lacks takes the function's default;
3. call the function;
4. convert its return value with the output types and write ``outputs.pb`` (a ``LiteralMap``) under
   ``--output-prefix``; files and data frames the function returns are copied under ``--raw-output-data-prefix``.

Failures are reported the way flytekit's ``pyflyte-execute`` reports them: an ``error.pb`` (a
``core.ErrorDocument``) under the output prefix, and exit code 0 (propeller reads the document; set
``FLYTE_FAIL_ON_ERROR=true`` to exit 1 as well). An exception raised by the function is a USER error, code
``USER:RuntimeError`` (or the exception's own ``error_code``), NON_RECOVERABLE (RECOVERABLE for a
``FlyteRecoverableException``), with the function's traceback as the message. A return value that does not fit the
declared outputs is a USER error too (``USER:TypeError``: the fix is in the function). The entrypoint's own failures
(an unreadable or mismatched payload, inputs that do not convert) are SYSTEM errors, code ``SYSTEM``,
NON_RECOVERABLE; anything unexpected is a RECOVERABLE SYSTEM error, as in flytekit.

URLs: ``file://`` URLs and plain paths are read and written directly; any other scheme (``s3://``, ``gs://``...)
goes through ``fsspec`` with the storage's own credentials, if fsspec and the scheme's filesystem are installed.
Checkpoints are not supported: the two checkpoint arguments are accepted and ignored.

The module imports little before it knows what to do (``--help`` loads argparse and nothing of protobuf), because
it starts once per task attempt.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import types

    from flyteidl.core import errors_pb2, literals_pb2

    from flyteplane.types import FileAccess

__all__ = ["ERROR_FILE", "OUTPUTS_FILE", "code_with_filename", "main"]

OUTPUTS_FILE = "outputs.pb"
ERROR_FILE = "error.pb"
_PAYLOAD_FORMAT = 1  # flyteplane.remote.interactive.PAYLOAD_FORMAT (not imported: it would cost protobuf's import)
_USER_CODE = "USER:RuntimeError"
_USER_TYPE_CODE = "USER:TypeError"
_SYSTEM_CODE = "SYSTEM"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flyteplane.remote.entrypoint",
        description="Run one attempt of a flyteplane interactive task (a pickled Python function).",
    )
    parser.add_argument("--inputs", required=True, help="URL or path of inputs.pb (a LiteralMap)")
    parser.add_argument("--output-prefix", required=True, help="where outputs.pb or error.pb is written")
    parser.add_argument(
        "--raw-output-data-prefix", required=True, help="where files and data frames the task returns are written"
    )
    parser.add_argument("--checkpoint-path", default="", help="accepted for propeller's contract; unused")
    parser.add_argument("--prev-checkpoint", default="", help="accepted for propeller's contract; unused")
    parser.add_argument("--pickle", required=True, help="URI of the payload made by interactive.prepare")
    parser.add_argument("--task", required=True, help="the task's name (checked against the payload)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one attempt; returns the process exit code (0 also when the task failed and error.pb says so)."""
    args = _parser().parse_args(argv)
    return _Attempt(args).run()


def code_with_filename(code: types.CodeType, filename: str) -> types.CodeType:
    """Called by payloads as they load (keep the name and place: payloads refer to it): puts back the file name
    cloudpickle blanks out, so a traceback in the task names the file (and, where the file exists, shows its lines).
    """
    return code.replace(co_filename=filename)


# -- failures -----------------------------------------------------------------------------------------------------
class _Failure(Exception):
    """Ends the attempt with an error document."""

    def __init__(self, message: str, *, user: bool, code: str, recoverable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.user = user
        self.code = code
        self.recoverable = recoverable

    def document(self) -> errors_pb2.ErrorDocument:
        from flyteidl.core import errors_pb2, execution_pb2

        error = errors_pb2.ContainerError(
            code=self.code,
            message=self.message,
            kind=errors_pb2.ContainerError.RECOVERABLE
            if self.recoverable
            else errors_pb2.ContainerError.NON_RECOVERABLE,
            origin=execution_pb2.ExecutionError.USER if self.user else execution_pb2.ExecutionError.SYSTEM,
        )
        error.timestamp.GetCurrentTime()
        return errors_pb2.ErrorDocument(error=error)


def _system(message: str) -> NoReturn:
    raise _Failure(message, user=False, code=_SYSTEM_CODE)


def _trace(error: BaseException, tb: Any) -> str:
    """flytekit's layout of an error message: the indented traceback, then the exception's one-line summary."""
    import textwrap
    import traceback

    trace = "".join(traceback.format_exception(type(error), error, tb))
    summary = f"{type(error).__name__}: {error}"
    return f"Trace:\n\n{textwrap.indent(trace, '    ')}\nMessage:\n\n{textwrap.indent(summary, '    ')}"


def _user_failure(error: Exception, tb: Any) -> _Failure:
    # flytekit's rule: the exception's own error_code, else its class's (flytekit's coded exceptions define it on
    # their metaclass, so only the class has it).
    code: Any = getattr(error, "error_code", None)
    if code is None:
        code = getattr(type(error), "error_code", None)
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code:
        code = _USER_CODE
    # Matched by name so that flytekit's and flyteplane's exception classes both count, without importing either.
    recoverable = any(cls.__name__ == "FlyteRecoverableException" for cls in type(error).__mro__)
    return _Failure(_trace(error, tb), user=True, code=code, recoverable=recoverable)


# -- where bytes live ---------------------------------------------------------------------------------------------
def _local_path(url: str) -> str | None:
    from flyteplane.types._files import local_path_of

    return local_path_of(url)


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise RuntimeError(
            f"cannot reach [{url}]: without fsspec only file:// URLs and local paths work; install fsspec and the "
            "filesystem for this scheme (s3fs, gcsfs, adlfs) in the task's image"
        ) from None
    from flyteplane.configuration.data import fsspec_storage_options

    # FLYTE_AWS_* (as flytekit reads them): the storage's endpoint and credentials, which propeller (or the
    # embedded admin) sets in the task's environment.
    fs, path = fsspec.core.url_to_fs(url, **fsspec_storage_options(url.partition("://")[0]))
    return fs, path


def _read_bytes(url: str) -> bytes:
    local = _local_path(url)
    if local is not None:
        with open(local, "rb") as f:
            return f.read()
    fs, path = _filesystem(url)
    return bytes(fs.cat_file(path))


def _join(prefix: str, *parts: str) -> str:
    return "/".join([prefix.rstrip("/"), *parts]) if prefix else os.path.join(*parts)


def _write_bytes(url: str, data: bytes) -> None:
    local = _local_path(url)
    if local is None:
        fs, path = _filesystem(url)
        parent = path.rstrip("/").rsplit("/", 1)[0]
        if parent and parent != path:
            try:
                fs.makedirs(parent, exist_ok=True)  # object stores have no directories: a no-op or a refusal there
            except Exception:
                pass
        fs.pipe_file(path, data)
        return
    directory = os.path.dirname(local)
    if directory:
        os.makedirs(directory, exist_ok=True)
    tmp = f"{local}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, local)  # a reader never sees half a file


# -- one attempt --------------------------------------------------------------------------------------------------
class _Entity:
    """What the payload holds: the function, its input types, its outputs (name and type, in order), and how its
    return value maps onto them (``none``, ``one`` or ``many``)."""

    def __init__(self, raw: Any) -> None:
        self.function = raw["function"]
        self.input_types: dict[str, Any] = dict(raw["inputs"])
        self.outputs: list[tuple[str, Any]] = [(str(n), t) for n, t in raw["outputs"]]
        self.returns: str = raw["returns"]


class _Attempt:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def run(self) -> int:
        import shutil
        import tempfile

        workdir = tempfile.mkdtemp(prefix="flyteplane-task-")
        failure: _Failure | None = None
        try:
            try:
                outputs = self._execute(workdir)
            except _Failure as f:
                failure = f
            except Exception as e:  # the entrypoint's own bug or an I/O failure: worth another attempt
                failure = _Failure(_trace(e, e.__traceback__), user=False, code=_SYSTEM_CODE, recoverable=True)
            if failure is None:
                _write_bytes(_join(self.args.output_prefix, OUTPUTS_FILE), outputs.SerializeToString())
            else:
                who = "User" if failure.user else "System"
                print(
                    f"!! {who} error in task [{self.args.task}] ({failure.code}):\n{failure.message}", file=sys.stderr
                )
                _write_bytes(_join(self.args.output_prefix, ERROR_FILE), failure.document().SerializeToString())
        except Exception as e:  # nowhere to report but stderr: the exit code tells propeller something went wrong
            import traceback

            print(
                f"flyteplane entrypoint: cannot write the attempt's result under [{self.args.output_prefix}]:",
                file=sys.stderr,
            )
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
            return 1
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if failure is not None and os.environ.get("FLYTE_FAIL_ON_ERROR", "").lower() in ("1", "true", "yes"):
            return 1
        return 0

    def _execute(self, workdir: str) -> literals_pb2.LiteralMap:
        from flyteplane.types import PrefixFileAccess

        entity = self._load()
        # Files and data frames the function returns go under the raw output prefix; inputs are fetched into the
        # attempt's work dir (removed at the end).
        files = PrefixFileAccess(self.args.raw_output_data_prefix, os.path.join(workdir, "data"))
        kwargs = self._inputs(entity, files)
        try:
            result = entity.function(**kwargs)
        except Exception as e:
            # Skip this frame: the trace starts in the user's function.
            tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
            raise _user_failure(e, tb) from None
        return self._outputs(entity, result, files)

    def _load(self) -> _Entity:
        import gzip
        import pickle

        uri = self.args.pickle
        try:
            data = _read_bytes(uri)
        except Exception as e:
            _system(f"cannot read the task's payload [{uri}]: {type(e).__name__}: {e}")
        try:
            outer = pickle.loads(gzip.decompress(data))
            if not isinstance(outer, dict):
                raise TypeError(f"it holds a {type(outer).__name__}")
        except Exception as e:
            _system(f"[{uri}] is not a flyteplane interactive payload (a gzipped pickle): {type(e).__name__}: {e}")
        if outer.get("format") != _PAYLOAD_FORMAT:
            _system(
                f"the payload [{uri}] has format {outer.get('format')!r}, this flyteplane "
                f"reads format {_PAYLOAD_FORMAT}: the image's flyteplane and the one that made the payload "
                f"({outer.get('flyteplane', 'unknown')}) do not match"
            )
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        if outer.get("python") != running:
            _system(
                f"the task [{outer.get('task')}] was pickled with Python {outer.get('python')} but this container "
                f"runs Python {running}: pickled functions do not carry across Python versions; run the task in an "
                f"image with Python {outer.get('python')}"
            )
        if outer.get("task") != self.args.task:
            _system(f"the payload [{uri}] holds the task [{outer.get('task')}], not [{self.args.task}]")
        try:
            return _Entity(pickle.loads(outer["entity"]))
        except ModuleNotFoundError as e:
            _system(
                f"the task [{self.args.task}] needs the module [{e.name}], which this container cannot import: "
                f"install it in the task's image ({e})"
            )
        except Exception as e:
            _system(f"cannot unpickle the task [{self.args.task}] from [{uri}]: {type(e).__name__}: {e}")

    def _inputs(self, entity: _Entity, files: FileAccess) -> dict[str, Any]:
        import inspect

        from flyteidl.core import literals_pb2

        from flyteplane.types import TypeEngine

        url = self.args.inputs
        try:
            literal_map = literals_pb2.LiteralMap.FromString(_read_bytes(url))
        except Exception as e:
            _system(f"cannot read the task's inputs [{url}]: {type(e).__name__}: {e}")
        unknown = sorted(set(literal_map.literals) - set(entity.input_types))
        if unknown:
            _system(f"the inputs [{url}] hold {', '.join(unknown)}, which the task [{self.args.task}] does not take")
        parameters = inspect.signature(entity.function).parameters
        missing = [
            name
            for name in entity.input_types
            if name not in literal_map.literals and parameters[name].default is inspect.Parameter.empty
        ]
        if missing:
            _system(f"the task [{self.args.task}] got no value for {', '.join(missing)} and has no default for it")
        hints = {name: entity.input_types[name] for name in literal_map.literals}
        try:
            return TypeEngine.literal_map_to_python(literal_map, hints, None, files, label="input")
        except Exception as e:
            _system(f"cannot convert the inputs of the task [{self.args.task}]: {type(e).__name__}: {e}")

    def _outputs(self, entity: _Entity, result: Any, files: FileAccess) -> literals_pb2.LiteralMap:
        from flyteidl.core import literals_pb2

        from flyteplane.types import TypeEngine, TypeTransformerFailedError

        names = [name for name, _ in entity.outputs]
        if entity.returns == "none":
            values: dict[str, Any] = {}
        elif entity.returns == "one":
            values = {names[0]: result}
        else:
            if not isinstance(result, tuple) or len(result) != len(names):
                got = f"a tuple of {len(result)}" if isinstance(result, tuple) else f"a {type(result).__name__}"
                raise _Failure(
                    f"the task [{self.args.task}] returned {got}, but declares {len(names)} outputs "
                    f"({', '.join(names)}): return a tuple with one value for each",
                    user=True,
                    code=_USER_TYPE_CODE,
                )
            values = dict(zip(names, result, strict=True))
        output_map = literals_pb2.LiteralMap()
        for name, python_type in entity.outputs:
            if name not in values:
                continue
            try:
                literal = TypeEngine.to_literal(
                    values[name], python_type, TypeEngine.to_literal_type(python_type), files=files
                )
            except TypeTransformerFailedError as e:
                raise _Failure(
                    f"the task [{self.args.task}] returned a value that does not fit its outputs: "
                    f"{e.at(f'output {name!r}')}",
                    user=True,
                    code=_USER_TYPE_CODE,
                ) from None
            output_map.literals[name].CopyFrom(literal)
        return output_map


if __name__ == "__main__":
    sys.exit(main())
