"""Interactive mode's building blocks: ``prepare`` (names, interfaces checked against flytekit's, payload,
determinism, refusals) and a prepared function run end to end on the embedded admin."""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import textwrap
import types
import typing
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flyteidl.admin import execution_pb2, task_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2

import flyteplane
from flyteplane.remote import interactive
from flyteplane.remote.interactive import InteractiveTask, InteractiveTaskError, prepare
from flyteplane.types import TypeEngine
from tests.e2e.support import wait_for_execution

PROJECT = "flytesnacks"
DOMAIN = "development"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
_W = core_execution_pb2.WorkflowExecution


# -- functions to prepare (module level, so they have stable names) -----------------------------------------------
def add(a: int, b: int = 3) -> int:
    return a + b


def pair(a: int, label: str) -> tuple[int, str]:
    return a * 2, label.upper()


class Stats(typing.NamedTuple):
    total: int
    label: str


def stats(values: list[int], label: str = "sum") -> Stats:
    return Stats(sum(values), label)


def nothing(x: float) -> None:
    return None


def optional_in(a: typing.Optional[int] = None, weights: dict[str, float] | None = None) -> list[str]:
    return [str(a), str(weights)]


def classify(word: str) -> bool:
    return word in {"alpha", "beta", "gamma", "delta"}  # a frozenset constant: its order must not leak


def boom(a: int) -> int:
    raise ValueError(f"bad value {a}")


class Holder:
    @staticmethod
    def method(a: int) -> int:
        return a


def no_param_hint(a, b: int) -> int:  # type: ignore[no-untyped-def]
    return b


def no_return_hint(a: int):  # type: ignore[no-untyped-def]
    return a


async def coroutine(a: int) -> int:
    return a


def generator(a: int) -> Iterator[int]:
    yield a


async def async_generator(a: int) -> typing.AsyncIterator[int]:
    yield a


def variadic(*values: int) -> int:
    return sum(values)


def keywords(**values: int) -> int:
    return sum(values.values())


def positional_only(a: int, /) -> int:
    return a


def single_tuple(a: int) -> tuple[int]:
    return (a,)


def open_tuple(a: int) -> tuple[int, ...]:
    return (a,)


def unresolvable(a: NoSuchType) -> int:  # type: ignore[name-defined]  # noqa: F821
    return 1


class Opaque:
    pass


def opaque_in(a: Opaque) -> int:
    return 1


def opaque_out(a: int) -> tuple[int, Opaque]:
    return a, Opaque()


_Untyped = __import__("collections").namedtuple("_Untyped", ["x", "y"])


def untyped_named_tuple(a: int) -> _Untyped:
    return _Untyped(a, a)


# -- names --------------------------------------------------------------------------------------------------------
def test_names_are_module_and_qualified_name() -> None:
    assert prepare(add).name == "tests.remote.test_interactive.add"
    assert prepare(Holder.method).name == "tests.remote.test_interactive.Holder.method"
    assert prepare(add, name="my.task").name == "my.task"


def _main_function(source: str, filename: str) -> types.FunctionType:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["fn"]  # type: ignore[no-any-return]


def test_names_of_main_functions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "def fn(a: int) -> int:\n    return a\n"
    script = tmp_path / "train.py"
    script.write_text(source)
    fake_main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    # `python train.py`: named after the file, as flytekit does.
    assert prepare(_main_function(source, str(script))).name == "train.fn"
    # A REPL / exec'd text: no file, the bare name (flytekit's notebook naming).
    assert prepare(_main_function(source, "<stdin>")).name == "fn"
    # `python -m pkg.train`: the module's real name.
    fake_main.__spec__ = types.SimpleNamespace(name="pkg.train")  # type: ignore[assignment]
    assert prepare(_main_function(source, str(script))).name == "pkg.train.fn"


def test_notebook_functions_have_bare_names_and_no_cell_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ipykernel compiles each cell from a temporary file whose directory changes with every kernel: neither the
    # name nor the version may depend on it.
    cell = tmp_path / "ipykernel_4242" / "1234567.py"
    cell.parent.mkdir()
    source = "def fn(a: int) -> int:\n    return a\n"
    cell.write_text(source)
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: object()))
    task = prepare(_main_function(source, str(cell)))
    assert task.name == "fn"
    assert str(cell).encode() not in gzip.decompress(task.payload)
    other_cell = tmp_path / "ipykernel_5353" / "1234567.py"
    assert prepare(_main_function(source, str(other_cell))).version == task.version


def test_script_functions_keep_their_file_for_tracebacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "train.py"
    source = "def fn(a: int) -> int:\n    return a\n"
    script.write_text(source)
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    outer = pickle.loads(gzip.decompress(prepare(_main_function(source, str(script))).payload))
    assert pickle.loads(outer["entity"])["function"].__code__.co_filename == str(script)


def test_empty_name_and_image_are_refused() -> None:
    with pytest.raises(InteractiveTaskError, match=r"the task name must not be empty"):
        prepare(add, name=" ")
    with pytest.raises(InteractiveTaskError, match=r"the image must not be empty"):
        prepare(add, image="")


# -- interfaces, checked against flytekit's ------------------------------------------------------------------------
def _flytekit_interface(fn: Any) -> interface_pb2.TypedInterface:
    from flytekit import task
    from flytekit.core.interface import transform_interface_to_typed_interface

    typed = transform_interface_to_typed_interface(task(fn).python_interface)
    assert typed is not None
    return typed.to_flyte_idl()


@pytest.mark.parametrize("fn", [add, pair, stats, nothing, optional_in, classify, Holder.method])
def test_interface_equals_flytekits(fn: Any) -> None:
    assert prepare(fn).interface == _flytekit_interface(fn)


def test_template_matches_flytekits_serialized_task() -> None:
    from collections import OrderedDict

    from flytekit import task as flytekit_task
    from flytekit.configuration import Image, ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    settings = SerializationSettings(image_config=ImageConfig(default_image=Image(name="d", fqn="img", tag="t")))
    theirs = get_serializable(OrderedDict(), settings, flytekit_task(stats)).template.to_flyte_idl()
    ours = prepare(stats).template(theirs.id, "file:///payload.pkl.gz")
    assert ours.id == theirs.id
    assert ours.interface == theirs.interface
    assert ours.type == theirs.type == "python-task"
    assert (ours.metadata.runtime.type, ours.metadata.runtime.flavor) == (
        theirs.metadata.runtime.type,
        theirs.metadata.runtime.flavor,
    )
    assert ours.metadata.retries == theirs.metadata.retries


def test_output_naming() -> None:
    # A protobuf map has no order: the order of the outputs is that of output_types.
    assert set(prepare(add).interface.outputs.variables) == {"o0"}
    assert set(prepare(pair).interface.outputs.variables) == {"o0", "o1"}
    assert set(prepare(stats).interface.outputs.variables) == {"total", "label"}
    assert set(prepare(nothing).interface.outputs.variables) == set()
    task = prepare(stats)
    assert task.input_types == {"values": list[int], "label": str}
    assert task.output_types == {"total": int, "label": str}
    assert prepare(pair).output_types == {"o0": int, "o1": str}


def test_defaulted_inputs_stay_in_the_interface_and_are_reported() -> None:
    task = prepare(add)
    assert set(task.interface.inputs.variables) == {"a", "b"}
    assert task.interface.inputs.variables["b"].type == TypeEngine.to_literal_type(int)
    assert task.defaults == {"b": 3}
    assert prepare(optional_in).defaults == {"a": None, "weights": None}
    assert prepare(boom).defaults == {}


# -- refusals ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (no_param_hint, r"parameter \[a\] of \[no_param_hint\] has no type hint: every input needs one"),
        (no_return_hint, r"the return value of \[no_return_hint\] has no type hint: annotate it \(`-> None`"),
        (lambda a: a, r"a lambda cannot run as an interactive task: it has no name"),
        (coroutine, r"\[coroutine\] is an async function: interactive tasks run plain functions"),
        (async_generator, r"\[async_generator\] is an async function"),
        (generator, r"\[generator\] is a generator function: a task returns its outputs once"),
        (variadic, r"parameter \[\*values\] of \[variadic\] is variadic: task inputs are named and fixed"),
        (keywords, r"parameter \[\*\*values\] of \[keywords\] is variadic"),
        (positional_only, r"parameter \[a\] of \[positional_only\] is positional-only: task inputs are passed by name"),
        (single_tuple, r"is a tuple of one value: tuples stand for several outputs; return the value itself"),
        (open_tuple, r"is a variable-length tuple: a task has a fixed number of outputs"),
        (unresolvable, r"the type hints of \[unresolvable\] cannot be resolved: name 'NoSuchType' is not defined"),
        (untyped_named_tuple, r"the return type \[_Untyped\] of \[untyped_named_tuple\] has fields without type hints"),
        (
            opaque_in,
            r"input \[a\] of \[opaque_in\] has a type Flyte cannot carry \(Opaque\): unsupported type Opaque: ",
        ),
        (opaque_out, r"output \[o1\] of \[opaque_out\] has a type Flyte cannot carry \(Opaque\)"),
        (functools.partial(add, 1), r"is a partial, not a plain function: only functions defined with `def`"),
        (len, r"\[len\] is a builtin_function_or_method, not a plain function"),
        (Holder().__init__, r"is a method-wrapper, not a plain function"),
    ],
)
def test_functions_that_cannot_be_tasks_are_refused(fn: Any, message: str) -> None:
    with pytest.raises(InteractiveTaskError, match=message):
        prepare(fn)


def test_bound_methods_and_local_functions_are_refused() -> None:
    class Counter:
        def count(self, a: int) -> int:
            return a

    with pytest.raises(InteractiveTaskError, match=r"is a bound method, not a plain function"):
        prepare(Counter().count)

    def local(a: int) -> int:
        return a

    with pytest.raises(
        InteractiveTaskError,
        match=r"\[test_bound_methods_and_local_functions_are_refused.<locals>.local\] is defined inside another "
        r"function: define it at the top level",
    ):
        prepare(local)


def test_unpicklable_globals_are_refused_with_the_function_named() -> None:
    source = "import threading\nLOCK = threading.Lock()\ndef fn(a: int) -> int:\n    with LOCK:\n        return a\n"
    namespace: dict[str, Any] = {"__name__": "not_a_module"}
    exec(compile(source, "not_a_module.py", "exec"), namespace)
    with pytest.raises(
        InteractiveTaskError, match=r"\[fn\] cannot be pickled: TypeError: cannot pickle '_thread.lock'"
    ):
        prepare(namespace["fn"])


def test_payload_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    size = len(prepare(add).payload)
    monkeypatch.setattr(interactive, "MAX_PAYLOAD_BYTES", size - 1)
    with pytest.raises(
        InteractiveTaskError,
        match=r"the pickled function \[tests.remote.test_interactive.add\] is 0.0 MiB compressed, over the limit of "
        r"0 MiB: it probably carries a large object",
    ):
        prepare(add)


# -- the payload and the version -----------------------------------------------------------------------------------
def test_payload_holds_the_function_and_its_metadata() -> None:
    task = prepare(stats)
    outer = pickle.loads(gzip.decompress(task.payload))
    assert {k: v for k, v in outer.items() if k != "entity"} == {
        "format": interactive.PAYLOAD_FORMAT,
        "python": PYTHON,
        "flyteplane": flyteplane.__version__,
        "task": "tests.remote.test_interactive.stats",
    }
    entity = pickle.loads(outer["entity"])
    assert entity["inputs"] == {"values": list[int], "label": str}
    assert [name for name, _ in entity["outputs"]] == ["total", "label"]
    assert entity["returns"] == "many"
    assert tuple(entity["function"]([1, 2, 3])) == (6, "sum")
    assert task.payload[4:8] == b"\0\0\0\0"  # gzip's mtime: zero, so the bytes do not depend on the clock


def test_repr_leaves_out_the_payload_and_equal_tasks_hash_alike() -> None:
    task = prepare(add)
    assert repr(task) == (
        "InteractiveTask(name='tests.remote.test_interactive.add', version='" + task.version + "', "
        "input_types={'a': <class 'int'>, 'b': <class 'int'>}, output_types={'o0': <class 'int'>}, "
        f"image='{task.image}', defaults={{'b': 3}})"
    )
    assert task == prepare(add) and hash(task) == hash(prepare(add))
    assert {task, prepare(add), prepare(pair)} == {task, prepare(pair)}


def test_version_is_url_safe_and_stable() -> None:
    first, second = prepare(classify), prepare(classify)
    assert first.version == second.version
    assert first.payload == second.payload
    assert len(first.version) == 22 and "=" not in first.version
    assert set(first.version) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _function_from(source: str, module: str = "tests.remote.generated") -> types.FunctionType:
    namespace: dict[str, Any] = {"__name__": module}
    exec(compile(textwrap.dedent(source), f"{module}.py", "exec"), namespace)
    return namespace["fn"]  # type: ignore[no-any-return]


def test_version_follows_the_code_the_image_and_the_name() -> None:
    body = "def fn(a: int) -> int:\n    return a + 1\n"
    base = prepare(_function_from(body))
    # The same source made again into a new function object: the same task.
    assert prepare(_function_from(body)).version == base.version
    assert prepare(_function_from(body.replace("a + 1", "a + 2"))).version != base.version
    assert prepare(_function_from(body.replace("a: int", "a: float"))).version != base.version
    assert prepare(_function_from(body), image="ghcr.io/me/other:1").version != base.version
    assert prepare(_function_from(body), name="renamed").version != base.version
    assert base.name == "tests.remote.generated.fn"


def test_version_is_the_same_in_other_processes(tmp_path: Path) -> None:
    """String hashing is salted per process, and code comes from source or from a .pyc: neither may make the version
    vary (sets in code, by-value classes, the code's file name)."""
    (tmp_path / "projmod.py").write_text(
        textwrap.dedent(
            """
            import typing

            class Result(typing.NamedTuple):
                word: str
                known: bool

            def fn(word: str) -> Result:
                return Result(word, word in {"alpha", "beta", "gamma", "delta", "epsilon"})
            """
        )
    )
    script = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import projmod; "
        "from flyteplane.remote.interactive import prepare; print(prepare(projmod.fn).version)"
    )
    versions = set()
    # The first run compiles projmod from source and writes its .pyc, the next ones load it (the code's file name is
    # then a string of its own, not the module's __file__); the last compiles again without writing anything.
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for seed, extra in (("1", {}), ("2", {}), ("3", {}), ("4", {"PYTHONDONTWRITEBYTECODE": "1"})):
        env = {**base_env, "PYTHONHASHSEED": seed, **extra}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        versions.add(done.stdout.strip())
    assert (tmp_path / "__pycache__").is_dir()  # the runs above did load a .pyc
    assert len(versions) == 1


def test_the_project_is_pickled_by_value_and_installed_packages_by_reference() -> None:
    import json

    project = interactive._project_module(add)
    assert project is sys.modules["tests"]
    assert interactive._project_module(json.dumps) is None  # the standard library
    assert interactive._project_module(pytest.approx) is None  # site-packages
    assert interactive._project_module(_main_function("def fn(a: int) -> int:\n    return a\n", "<x>")) is None
    # Nothing stays registered after pickling.
    import cloudpickle

    prepare(add)
    assert "tests" not in cloudpickle.list_registry_pickle_by_value()


# -- the task template ---------------------------------------------------------------------------------------------
def test_template() -> None:
    task = prepare(add, image="ghcr.io/me/flyteplane:py" + PYTHON)
    task_id = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=task.name, version=task.version
    )
    template = task.template(task_id, "s3://bucket/fn.pkl.gz")
    assert template.id == task_id
    assert template.type == "python-task"
    assert template.interface == task.interface
    runtime = template.metadata.runtime
    assert (runtime.type, runtime.version, runtime.flavor) == (
        tasks_pb2.RuntimeMetadata.FLYTE_SDK,
        flyteplane.__version__,
        "python",
    )
    assert template.metadata.HasField("retries") and template.metadata.retries.retries == 0
    assert template.container.image == "ghcr.io/me/flyteplane:py" + PYTHON
    assert list(template.container.command) == []
    assert list(template.container.args) == [
        "python",
        "-m",
        "flyteplane.remote.entrypoint",
        "--inputs",
        "{{.input}}",
        "--output-prefix",
        "{{.outputPrefix}}",
        "--raw-output-data-prefix",
        "{{.rawOutputDataPrefix}}",
        "--checkpoint-path",
        "{{.checkpointOutputPrefix}}",
        "--prev-checkpoint",
        "{{.prevCheckpointPrefix}}",
        "--pickle",
        "s3://bucket/fn.pkl.gz",
        "--task",
        "tests.remote.test_interactive.add",
    ]


def test_default_image_is_the_local_python_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert prepare(add).image == interactive.DEFAULT_IMAGE
    monkeypatch.setattr(interactive, "DEFAULT_IMAGE", "registry.local/flyteplane:dev")
    assert prepare(add).image == "registry.local/flyteplane:dev"
    env = {**os.environ, "FLYTEPLANE_INTERACTIVE_IMAGE": "from/env:1"}
    script = "from flyteplane.remote import interactive; print(interactive.DEFAULT_IMAGE)"
    assert subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True).stdout == (
        "from/env:1\n"
    )
    env.pop("FLYTEPLANE_INTERACTIVE_IMAGE")
    assert subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True).stdout == (
        f"python:{PYTHON}-slim\n"
    )


# -- end to end on the embedded admin -----------------------------------------------------------------------------
def _register(client: Any, task: InteractiveTask) -> identifier_pb2.Identifier:
    """Upload the payload through the data proxy and register the task (what FlyteRemote does)."""
    md5 = hashlib.md5(task.payload).digest()
    location = client.get_upload_signed_url(
        PROJECT, DOMAIN, content_md5=md5, filename=f"{task.name}.pkl.gz", filename_root=task.version
    )
    request = urllib.request.Request(
        location.signed_url,
        data=task.payload,
        method="PUT",
        headers={"Content-MD5": base64.b64encode(md5).decode(), "Content-Length": str(len(task.payload))},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)
    task_id = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=PROJECT, domain=DOMAIN, name=task.name, version=task.version
    )
    client.create_task(task_id, task_pb2.TaskSpec(template=task.template(task_id, location.native_url)))
    return task_id


def _execute(client: Any, task: InteractiveTask, task_id: identifier_pb2.Identifier, **inputs: Any) -> Any:
    variables = {name: var.type for name, var in task.interface.inputs.variables.items()}
    literal_map = TypeEngine.python_to_literal_map(inputs, variables, task.input_types, None)
    spec = execution_pb2.ExecutionSpec(
        launch_plan=task_id,  # a TASK id: a single-task execution, as flytekit's FlyteRemote makes them
        metadata=execution_pb2.ExecutionMetadata(mode=execution_pb2.ExecutionMetadata.MANUAL, principal="test"),
    )
    eid = client.create_execution(PROJECT, DOMAIN, None, spec, literal_map)
    return wait_for_execution(client.raw, eid.to_flyte_idl(), timeout=120)


def test_prepared_functions_run_on_the_embedded_admin(flyte_client: Any) -> None:
    task = prepare(stats)
    task_id = _register(flyte_client, task)
    execution = _execute(flyte_client, task, task_id, values=[1, 2, 39], label="answer")
    assert execution.closure.phase == _W.SUCCEEDED, execution.closure.error.message
    data = flyte_client.get_execution_data(execution.id).to_flyte_idl()
    assert TypeEngine.literal_map_to_python(data.full_outputs, task.output_types, None, None) == {
        "total": 42,
        "label": "answer",
    }

    failing = prepare(boom)
    failed = _execute(flyte_client, failing, _register(flyte_client, failing), a=7)
    assert failed.closure.phase == _W.FAILED
    assert "ValueError: bad value 7" in failed.closure.error.message
    assert 'raise ValueError(f"bad value {a}")' in failed.closure.error.message
    assert failed.closure.error.code == "USER:RuntimeError"
    assert failed.closure.error.kind == core_execution_pb2.ExecutionError.USER
