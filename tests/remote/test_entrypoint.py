"""flyteplane's task entrypoint, run as the real subprocess a task container runs
(``python -m flyteplane.remote.entrypoint ...``) on payloads made by ``prepare``, with inputs.pb in a temp dir.

The subprocess runs in a directory where the ``tests`` package cannot be imported: the functions below reach it
only because ``prepare`` pickles their project by value.
"""

from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flyteidl.core import errors_pb2, execution_pb2, literals_pb2

from flyteplane.errors import FlyteRecoverableException
from flyteplane.remote.interactive import InteractiveTask, prepare
from flyteplane.types import FlyteFile, TypeEngine

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


# -- task functions -----------------------------------------------------------------------------------------------
def add(a: int, b: int = 3) -> int:
    return a + b


class Summary(typing.NamedTuple):
    total: int
    words: list[str]


def summarize(values: list[int], text: str = "a b") -> Summary:
    return Summary(sum(values), text.split())


def divide(a: float, b: float) -> tuple[float, float]:
    return a / b, a % b


def boom(a: int) -> int:
    raise ValueError(f"bad value {a}")


class FlakyError(FlyteRecoverableException):
    """A user exception that asks for another attempt."""


def flaky(a: int) -> int:
    raise FlakyError("try again")


class CodedError(Exception):
    error_code = "USER:Quota"


def coded(a: int) -> int:
    raise CodedError("over quota")


def wrong_type(a: int) -> int:
    return "not an int"  # type: ignore[return-value]


def wrong_arity(a: int) -> tuple[int, int]:
    return (a,)  # type: ignore[return-value]


def returns_nothing(a: int) -> None:
    print(f"side effect {a}")


def write_report(text: str) -> FlyteFile:
    path = os.path.join(os.getcwd(), "report.txt")  # the attempt's work dir (a directory of the test's tmp_path)
    with open(path, "w") as f:
        f.write(text)
    return FlyteFile(path)


def read_report(report: FlyteFile) -> str:
    with open(report) as f:  # opening it downloads it
        return f.read().upper()


# -- running it ---------------------------------------------------------------------------------------------------
@dataclass
class Run:
    returncode: int
    stderr: str
    out: Path
    raw: Path

    def outputs(self) -> literals_pb2.LiteralMap:
        assert not (self.out / "error.pb").exists(), self.error()
        return literals_pb2.LiteralMap.FromString((self.out / "outputs.pb").read_bytes())

    def error(self) -> errors_pb2.ContainerError:
        assert not (self.out / "outputs.pb").exists()
        return errors_pb2.ErrorDocument.FromString((self.out / "error.pb").read_bytes()).error


def literals(task: InteractiveTask, **values: Any) -> literals_pb2.LiteralMap:
    variables = {name: var.type for name, var in task.interface.inputs.variables.items() if name in values}
    return TypeEngine.python_to_literal_map(values, variables, task.input_types, None)


def run(
    tmp_path: Path,
    task: InteractiveTask,
    inputs: literals_pb2.LiteralMap | bytes,
    *,
    payload: bytes | None = None,
    task_name: str | None = None,
    env: dict[str, str] | None = None,
    output_prefix: str | None = None,
    plain_paths: bool = False,
    scheme: str = "file",
) -> Run:
    inputs_path = tmp_path / "inputs.pb"
    inputs_path.write_bytes(inputs if isinstance(inputs, bytes) else inputs.SerializeToString())
    pickle_path = tmp_path / "fn.pkl.gz"
    pickle_path.write_bytes(task.payload if payload is None else payload)
    out, raw, work = tmp_path / "out", tmp_path / "raw", tmp_path / "work"
    work.mkdir(exist_ok=True)

    def url(path: Path) -> str:
        return str(path) if plain_paths else f"{scheme}://{path}"

    argv = [
        sys.executable,
        "-m",
        "flyteplane.remote.entrypoint",
        "--inputs",
        url(inputs_path),
        "--output-prefix",
        output_prefix or url(out),
        "--raw-output-data-prefix",
        url(raw),
        "--checkpoint-path",
        url(tmp_path / "checkpoint"),
        "--prev-checkpoint",
        '""',  # what propeller passes when there is no previous checkpoint
        "--pickle",
        url(pickle_path),
        "--task",
        task_name or task.name,
    ]
    process_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FLYTE_FAIL_ON_ERROR")}
    process_env.update(env or {})
    done = subprocess.run(argv, cwd=work, env=process_env, capture_output=True, text=True, timeout=120)
    return Run(done.returncode, done.stderr, out, raw)


def outputs_in_python(task: InteractiveTask, result: Run) -> dict[str, Any]:
    return TypeEngine.literal_map_to_python(result.outputs(), task.output_types, None, None)


def with_outer(task: InteractiveTask, **changes: Any) -> bytes:
    outer = pickle.loads(gzip.decompress(task.payload))
    outer.update(changes)
    return gzip.compress(pickle.dumps(outer, protocol=4), mtime=0)


# -- success ------------------------------------------------------------------------------------------------------
def test_outputs_and_a_missing_input_taking_its_default(tmp_path: Path) -> None:
    task = prepare(add)
    result = run(tmp_path, task, literals(task, a=4))
    assert result.returncode == 0, result.stderr
    assert outputs_in_python(task, result) == {"o0": 7}

    (tmp_path / "given").mkdir()
    result = run(tmp_path / "given", task, literals(task, a=4, b=10))
    assert outputs_in_python(task, result) == {"o0": 14}


def test_named_tuple_and_tuple_outputs_with_plain_paths(tmp_path: Path) -> None:
    task = prepare(summarize)
    result = run(tmp_path, task, literals(task, values=[1, 2, 3]), plain_paths=True)
    assert outputs_in_python(task, result) == {"total": 6, "words": ["a", "b"]}

    (tmp_path / "t").mkdir()
    task = prepare(divide)
    result = run(tmp_path / "t", task, literals(task, a=7.0, b=2.0))
    assert outputs_in_python(task, result) == {"o0": 3.5, "o1": 1.0}


def test_no_outputs_writes_an_empty_map(tmp_path: Path) -> None:
    task = prepare(returns_nothing)
    result = run(tmp_path, task, literals(task, a=1))
    assert result.outputs() == literals_pb2.LiteralMap()


def test_files_go_under_the_raw_output_prefix_and_come_back_as_inputs(tmp_path: Path) -> None:
    writer = prepare(write_report)
    result = run(tmp_path, writer, literals(writer, text="quarterly numbers"))
    blob = result.outputs().literals["o0"].scalar.blob
    assert blob.uri.startswith(result.raw.as_uri() + "/") and blob.uri.endswith("/report.txt")
    assert Path(blob.uri[len("file://") :]).read_text() == "quarterly numbers"

    reader = prepare(read_report)
    inputs = literals_pb2.LiteralMap()
    inputs.literals["report"].CopyFrom(result.outputs().literals["o0"])
    (tmp_path / "read").mkdir()
    assert outputs_in_python(reader, run(tmp_path / "read", reader, inputs)) == {"o0": "QUARTERLY NUMBERS"}


def test_local_helper_modules_travel_when_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script's sibling module is pickled by reference unless named in ``pickle_by_value``."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "ep_helpers.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    (code / "ep_script.py").write_text(
        "from ep_helpers import double\n\ndef fn(a: int) -> int:\n    return double(a) + 1\n"
    )
    monkeypatch.syspath_prepend(str(code))
    for name in ("ep_helpers", "ep_script"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import ep_helpers  # type: ignore[import-not-found]
    import ep_script  # type: ignore[import-not-found]

    (tmp_path / "by_value").mkdir()
    task = prepare(ep_script.fn, pickle_by_value=[ep_helpers])
    assert outputs_in_python(task, run(tmp_path / "by_value", task, literals(task, a=20))) == {"o0": 41}

    (tmp_path / "by_reference").mkdir()
    task = prepare(ep_script.fn)
    message = _system_error(run(tmp_path / "by_reference", task, literals(task, a=20)))
    assert message.startswith(
        "the task [ep_script.fn] needs the module [ep_helpers], which this container cannot import: install it in "
        "the task's image"
    )


def test_other_schemes_go_through_fsspec(tmp_path: Path) -> None:
    """fsspec's ``local://`` stands in for s3:// and friends: the payload, inputs.pb and outputs.pb go through
    fsspec rather than the entrypoint's own file:// handling (the output directory does not exist beforehand)."""
    task = prepare(add)
    result = run(tmp_path, task, literals(task, a=1, b=1), scheme="local")
    assert outputs_in_python(task, result) == {"o0": 2}


def test_other_schemes_without_fsspec_fail_clearly(tmp_path: Path) -> None:
    hidden = tmp_path / "hide"
    (hidden / "fsspec").mkdir(parents=True)
    (hidden / "fsspec" / "__init__.py").write_text("raise ImportError('fsspec is hidden for this test')\n")
    task = prepare(add)
    message = _system_error(
        run(
            tmp_path,
            task,
            literals(task, a=1),
            scheme="s3",
            output_prefix=(tmp_path / "out").as_uri(),
            env={"PYTHONPATH": str(hidden)},
        )
    )
    assert message == (
        f"cannot read the task's payload [s3://{tmp_path / 'fn.pkl.gz'}]: RuntimeError: cannot reach "
        f"[s3://{tmp_path / 'fn.pkl.gz'}]: without fsspec only file:// URLs and local paths work; install fsspec and "
        "the filesystem for this scheme (s3fs, gcsfs, adlfs) in the task's image"
    )


# -- user errors --------------------------------------------------------------------------------------------------
def test_user_exception_writes_error_pb_and_exits_zero(tmp_path: Path) -> None:
    task = prepare(boom)
    result = run(tmp_path, task, literals(task, a=3))
    assert result.returncode == 0
    error = result.error()
    assert error.code == "USER:RuntimeError"
    assert error.kind == errors_pb2.ContainerError.NON_RECOVERABLE
    assert error.origin == execution_pb2.ExecutionError.USER
    assert error.timestamp.seconds > 0
    assert error.message.startswith("Trace:\n\n    Traceback (most recent call last):\n")
    assert error.message.endswith("\nMessage:\n\n    ValueError: bad value 3")
    assert f'File "{__file__}", line' in error.message and ", in boom\n" in error.message
    assert 'raise ValueError(f"bad value {a}")' in error.message
    assert "flyteplane/remote/entrypoint.py" not in error.message  # the trace starts in the user's function
    assert "ValueError: bad value 3" in result.stderr


def test_recoverable_and_coded_user_exceptions(tmp_path: Path) -> None:
    task = prepare(flaky)
    error = run(tmp_path, task, literals(task, a=1)).error()
    assert (error.code, error.kind, error.origin) == (
        "USER:RuntimeError",
        errors_pb2.ContainerError.RECOVERABLE,
        execution_pb2.ExecutionError.USER,
    )
    assert error.message.endswith("FlakyError: try again")

    task = prepare(coded)
    error = run(tmp_path, task, literals(task, a=1)).error()
    assert (error.code, error.kind) == ("USER:Quota", errors_pb2.ContainerError.NON_RECOVERABLE)


def test_return_values_that_do_not_fit_are_user_errors(tmp_path: Path) -> None:
    task = prepare(wrong_type)
    error = run(tmp_path, task, literals(task, a=1)).error()
    assert (error.code, error.origin) == ("USER:TypeError", execution_pb2.ExecutionError.USER)
    assert error.message.startswith(
        "the task [tests.remote.test_entrypoint.wrong_type] returned a value that does not fit its outputs: "
    )
    assert "o0" in error.message

    task = prepare(wrong_arity)
    error = run(tmp_path, task, literals(task, a=1)).error()
    assert (error.code, error.origin) == ("USER:TypeError", execution_pb2.ExecutionError.USER)
    assert error.message == (
        "the task [tests.remote.test_entrypoint.wrong_arity] returned a tuple of 1, but declares 2 outputs (o0, o1): "
        "return a tuple with one value for each"
    )


def test_fail_on_error_exits_one(tmp_path: Path) -> None:
    task = prepare(boom)
    result = run(tmp_path, task, literals(task, a=3), env={"FLYTE_FAIL_ON_ERROR": "true"})
    assert result.returncode == 1
    assert result.error().code == "USER:RuntimeError"


# -- the entrypoint's own failures --------------------------------------------------------------------------------
def _system_error(result: Run) -> str:
    assert result.returncode == 0, result.stderr
    error = result.error()
    assert (error.code, error.kind, error.origin) == (
        "SYSTEM",
        errors_pb2.ContainerError.NON_RECOVERABLE,
        execution_pb2.ExecutionError.SYSTEM,
    )
    return error.message


def test_python_version_mismatch(tmp_path: Path) -> None:
    task = prepare(add)
    message = _system_error(run(tmp_path, task, literals(task, a=1), payload=with_outer(task, python="3.7")))
    assert message == (
        f"the task [tests.remote.test_entrypoint.add] was pickled with Python 3.7 but this container runs Python "
        f"{PYTHON}: pickled functions do not carry across Python versions; run the task in an image with Python 3.7"
    )


def _needs_a_missing_module() -> bytes:
    """A pickle that refers (by reference) to a function of a module the task process cannot import."""
    module = types.ModuleType("nosuchmodule_xyz")
    exec("def fn(a: int) -> int:\n    return a\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        return pickle.dumps({"function": module.fn}, protocol=4)
    finally:
        del sys.modules[module.__name__]


def test_payload_problems(tmp_path: Path) -> None:
    task = prepare(add)
    inputs = literals(task, a=1)
    pickle_url = (tmp_path / "fn.pkl.gz").as_uri()

    message = _system_error(run(tmp_path, task, inputs, payload=b"not gzip"))
    assert message.startswith(f"[{pickle_url}] is not a flyteplane interactive payload (a gzipped pickle): ")

    message = _system_error(run(tmp_path, task, inputs, payload=with_outer(task, format=99, flyteplane="9.9")))
    assert message == (
        f"the payload [{pickle_url}] has format 99, this flyteplane reads format 1: the image's flyteplane and the "
        "one that made the payload (9.9) do not match"
    )

    message = _system_error(run(tmp_path, task, inputs, task_name="other.task"))
    assert message == f"the payload [{pickle_url}] holds the task [tests.remote.test_entrypoint.add], not [other.task]"

    message = _system_error(run(tmp_path, task, inputs, payload=with_outer(task, entity=_needs_a_missing_module())))
    assert message.startswith(
        "the task [tests.remote.test_entrypoint.add] needs the module [nosuchmodule_xyz], which this container "
        "cannot import: install it in the task's image"
    )

    message = _system_error(run(tmp_path, task, inputs, payload=with_outer(task, entity=b"garbage")))
    assert message.startswith(f"cannot unpickle the task [tests.remote.test_entrypoint.add] from [{pickle_url}]: ")


def test_unreadable_payload_uri(tmp_path: Path) -> None:
    task = prepare(add)
    inputs_path = tmp_path / "inputs.pb"
    inputs_path.write_bytes(literals(task, a=1).SerializeToString())
    out = tmp_path / "out"
    argv = [
        sys.executable,
        "-m",
        "flyteplane.remote.entrypoint",
        "--inputs",
        inputs_path.as_uri(),
        "--output-prefix",
        out.as_uri(),
        "--raw-output-data-prefix",
        (tmp_path / "raw").as_uri(),
        "--pickle",
        (tmp_path / "nowhere.pkl.gz").as_uri(),
        "--task",
        task.name,
    ]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    message = _system_error(Run(0, done.stderr, out, tmp_path / "raw"))
    assert message.startswith(f"cannot read the task's payload [{(tmp_path / 'nowhere.pkl.gz').as_uri()}]: ")
    assert "No such file or directory" in message


def test_input_problems(tmp_path: Path) -> None:
    task = prepare(add)
    inputs_url = (tmp_path / "inputs.pb").as_uri()

    message = _system_error(run(tmp_path, task, b"\xff\xff not a literal map"))
    assert message.startswith(f"cannot read the task's inputs [{inputs_url}]: DecodeError")

    message = _system_error(run(tmp_path, task, literals(task, b=2)))
    assert message == "the task [tests.remote.test_entrypoint.add] got no value for a and has no default for it"

    extra = literals(task, a=1)
    extra.literals["zzz"].scalar.primitive.integer = 1
    message = _system_error(run(tmp_path, task, extra))
    assert (
        message
        == f"the inputs [{inputs_url}] hold zzz, which the task [tests.remote.test_entrypoint.add] does not take"
    )

    wrong = literals_pb2.LiteralMap()
    wrong.literals["a"].scalar.primitive.string_value = "seven"
    message = _system_error(run(tmp_path, task, wrong))
    assert message.startswith("cannot convert the inputs of the task [tests.remote.test_entrypoint.add]: ")
    assert "a" in message


def test_an_unwritable_output_prefix_exits_one(tmp_path: Path) -> None:
    task = prepare(add)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the output directory should be")
    result = run(tmp_path, task, literals(task, a=1), output_prefix=(blocker / "out").as_uri())
    assert result.returncode == 1
    assert f"cannot write the attempt's result under [{(blocker / 'out').as_uri()}]" in result.stderr


# -- start-up cost ------------------------------------------------------------------------------------------------
def test_help_imports_neither_protobuf_nor_the_type_engine() -> None:
    script = (
        "import sys\n"
        "from flyteplane.remote import entrypoint\n"
        "try:\n"
        "    entrypoint.main(['--help'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('google.protobuf', 'flyteidl', 'flyteplane.types', "
        "'grpc', 'cloudpickle')))\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "usage: python -m flyteplane.remote.entrypoint" in done.stdout
    assert "HEAVY []" in done.stdout


@pytest.mark.parametrize("missing", ["--inputs", "--pickle", "--task"])
def test_required_arguments(missing: str) -> None:
    argv = ["--inputs", "i", "--output-prefix", "o", "--raw-output-data-prefix", "r", "--pickle", "p", "--task", "t"]
    index = argv.index(missing)
    del argv[index : index + 2]
    done = subprocess.run([sys.executable, "-m", "flyteplane.remote.entrypoint", *argv], capture_output=True, text=True)
    assert done.returncode == 2
    assert f"the following arguments are required: {missing}" in done.stderr
