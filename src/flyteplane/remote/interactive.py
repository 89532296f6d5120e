"""Interactive mode's building blocks: a plain Python function as a Flyte task that runs without a container build.

:func:`prepare` turns a type-hinted function (from a notebook, a script or any module) into an
:class:`InteractiveTask`: its Flyte interface, a pickled payload of the function, and a version that is a hash of
both. Registering one takes two steps that FlyteRemote does for you:

1. upload :attr:`InteractiveTask.payload` somewhere the task's container can read (the data proxy's signed URL);
2. register :meth:`InteractiveTask.template` with that URI. Its container runs
   ``python -m flyteplane.remote.entrypoint`` (:mod:`flyteplane.remote.entrypoint`), which downloads the payload,
   checks the Python version, unpickles the function, calls it with the inputs and writes the outputs.

How the function travels. flytekit's notebook mode pickles with cloudpickle and so do we, with one choice made
explicit: the function's own *project* is pickled by value. That is the top-level package of the function's module
(``tests`` for ``tests.remote.test_x``, the module itself for a top-level script module) unless that package is
installed (it lives under site-packages or the standard library): installed packages are assumed to be in the
task's image and are pickled by reference, everything else (a script, a test module, a package you run from a
checkout, ``__main__`` and notebook cells) travels inside the payload. Other local modules the function needs can
be named with ``prepare(..., pickle_by_value=[module])``.

Determinism. An unchanged function must give an unchanged version, so nothing in the payload may depend on the
process that made it. Two things in a plain cloudpickle stream do: the iteration order of ``frozenset`` constants in
code (``x in {"a", "b"}``; string hashes are salted per process), and the random id cloudpickle gives each class
it pickles by value. The pickler here writes such frozensets in a sorted order and gives by-value classes an id made
from their module and qualified name. (Sets held in module-level variables keep Python's order: across processes
their order, and so the version, may differ; the task still runs the same.)

Tracebacks. cloudpickle replaces the file name of pickled code with ``<dynamic-code>``; for code from a real file
(not a notebook cell or a REPL) the payload keeps the absolute path, so a failing task's traceback names the file
and, on a machine that has it (the embedded admin), shows the lines. The version therefore also depends on where
the file is: the same script in another directory is another version.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import gzip
import hashlib
import inspect
import os
import pickle
import sys
import threading
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flyteplane.errors import FlyteUserException

if TYPE_CHECKING:
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2

__all__ = [
    "DEFAULT_IMAGE",
    "MAX_PAYLOAD_BYTES",
    "InteractiveTask",
    "InteractiveTaskError",
    "entrypoint_args",
    "prepare",
]

_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

DEFAULT_IMAGE: str = os.environ.get("FLYTEPLANE_INTERACTIVE_IMAGE") or f"python:{_PYTHON}-slim"
"""The image :func:`prepare` uses when none is given: ``$FLYTEPLANE_INTERACTIVE_IMAGE``, else the stock
``python:<major>.<minor>-slim`` of the Python running this code. Assign the module attribute to change it.

The embedded admin records the image and runs the task with its own Python, so any name works there. **On a real
Flyte cluster the stock image is not enough**: the task's container runs ``python -m flyteplane.remote.entrypoint``,
so the image needs flyteplane and cloudpickle (and whatever packages the function imports) installed for this same
Python major.minor (the payload is bytecode). Build one, e.g. ``FROM python:3.11-slim`` + ``pip install flyteplane``,
and pass it as ``image=`` or set the variable."""

MAX_PAYLOAD_BYTES = 150 * 1024 * 1024
"""The largest compressed payload :func:`prepare` accepts (flytekit's notebook limit): a bigger one usually means the
function drags a large object (a data frame, a model) along in its globals; pass such data as an input instead."""

PAYLOAD_FORMAT = 1
"""The layout of the payload's outer pickle (read by :mod:`flyteplane.remote.entrypoint`)."""

_TASK_TYPE = "python-task"


class InteractiveTaskError(FlyteUserException, TypeError, ValueError):
    """A function cannot become an interactive task (the message says which part of it and why)."""


@dataclass(frozen=True)
class InteractiveTask:
    """A function prepared to run as a Flyte task: what to register and what to upload.

    Attributes:
        name: the task's name, ``<module>.<qualified name>`` (see :func:`prepare`).
        version: a content hash of the payload, the Python major.minor, the flyteplane version, the image and the
            interface: the same function gives the same version, any change gives another.
        payload: the bytes to upload (a gzip of the pickled function and its metadata).
        interface: the task's inputs and outputs as Flyte types.
        input_types, output_types: the Python types of the inputs and outputs, by name.
        image: the container image the task declares.
        defaults: the inputs that have a default value in the function's signature. Flyte Admin's single-task launch
            plan marks every task input required, so a caller that lets users omit them passes these values.
    """

    name: str
    version: str
    payload: bytes = dataclasses.field(repr=False)  # up to 150 MB: kept out of reprs and tracebacks
    interface: interface_pb2.TypedInterface = dataclasses.field(repr=False)
    input_types: dict[str, type] = dataclasses.field(default_factory=dict)
    output_types: dict[str, type] = dataclasses.field(default_factory=dict)
    image: str = ""
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __hash__(self) -> int:
        # The version is a hash of everything else (the dicts and the message are not hashable themselves).
        return hash((self.name, self.version))

    def template(self, id: identifier_pb2.Identifier, pickle_uri: str) -> tasks_pb2.TaskTemplate:
        """The task template to register under ``id``, running the payload uploaded at ``pickle_uri``.

        ``id`` is used as given (FlyteRemote fills in project, domain, :attr:`name` and :attr:`version`).
        """
        from flyteidl.core import literals_pb2, tasks_pb2

        import flyteplane

        template = tasks_pb2.TaskTemplate(type=_TASK_TYPE, interface=self.interface)
        template.id.CopyFrom(id)
        runtime = template.metadata.runtime
        runtime.type = tasks_pb2.RuntimeMetadata.FLYTE_SDK
        runtime.version = flyteplane.__version__
        runtime.flavor = "python"
        # As flytekit: an explicit "no retries" (an unset strategy would get the platform's default).
        template.metadata.retries.CopyFrom(literals_pb2.RetryStrategy())
        template.container.image = self.image
        template.container.args.extend(entrypoint_args(pickle_uri, self.name))
        return template


def entrypoint_args(pickle_uri: str, task_name: str) -> list[str]:
    """The container args that run a payload: propeller fills the ``{{.placeholders}}``."""
    return [
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
        pickle_uri,
        "--task",
        task_name,
    ]


def prepare(
    fn: Callable[..., Any],
    *,
    image: str | None = None,
    name: str | None = None,
    pickle_by_value: Iterable[types.ModuleType] = (),
) -> InteractiveTask:
    """Turn a type-hinted function into an :class:`InteractiveTask`.

    Every parameter and the return value need a type hint the type engine knows. Outputs are named as flytekit
    names them: one return value is ``o0``, a ``tuple[A, B]`` is ``o0, o1``, a ``typing.NamedTuple`` gives its
    field names, ``-> None`` gives no outputs. Parameters with defaults are inputs like any other; when the task runs
    without a value for one, the function's default applies.

    The name is ``<module>.<qualified name>``. For a function of ``__main__`` the module part is the module's real
    name under ``python -m``, else the script's file name (as flytekit names it); in a notebook or a REPL it is the
    bare function name, as in flytekit's notebook mode.

    Args:
        fn: a plain function defined at module level (or in a class body), not a lambda, a nested function, a
            coroutine or a generator.
        image: the container image (default :data:`DEFAULT_IMAGE`).
        name: the task name, if not the one derived from the function.
        pickle_by_value: more modules to ship inside the payload (see the module docstring).

    Raises:
        InteractiveTaskError: the function cannot run as a task; the message names the parameter or rule.
    """
    _check_callable(fn)
    task_name = name if name is not None else _task_name(fn)
    if not task_name or not task_name.strip():
        raise InteractiveTaskError("the task name must not be empty")
    image = image if image is not None else DEFAULT_IMAGE
    if not image:
        raise InteractiveTaskError("the image must not be empty")
    hints = _type_hints(fn)
    input_types, defaults = _inputs(fn, hints)
    output_types, returns = _outputs(fn, hints)
    interface = _interface(fn, input_types, output_types)

    import flyteplane

    entity = {
        "function": fn,
        "inputs": input_types,
        "outputs": list(output_types.items()),
        "returns": returns,
    }
    outer = pickle.dumps(
        {
            "format": PAYLOAD_FORMAT,
            "python": _PYTHON,
            "flyteplane": flyteplane.__version__,
            "task": task_name,
            "entity": _dumps(entity, fn, pickle_by_value),
        },
        protocol=4,
    )
    payload = gzip.compress(outer, mtime=0)  # mtime=0: the same bytes for the same function
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InteractiveTaskError(
            f"the pickled function [{task_name}] is {len(payload) / 2**20:.1f} MiB compressed, over the limit of "
            f"{MAX_PAYLOAD_BYTES / 2**20:.0f} MiB: it probably carries a large object in its globals or closure; "
            "pass such data as an input instead"
        )
    digest = hashlib.sha256()
    for part in (outer, image.encode(), interface.SerializeToString(deterministic=True)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    version = base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")
    return InteractiveTask(
        name=task_name,
        version=version,
        payload=payload,
        interface=interface,
        input_types=input_types,
        output_types=output_types,
        image=image,
        defaults=defaults,
    )


# -- what the function looks like ---------------------------------------------------------------------------------
def _describe(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _check_callable(fn: Any) -> None:
    if not inspect.isfunction(fn):
        kind = "a bound method" if inspect.ismethod(fn) else f"a {type(fn).__name__}"
        raise InteractiveTaskError(
            f"[{_describe(fn)}] is {kind}, not a plain function: only functions defined with `def` can run as "
            "interactive tasks"
        )
    if fn.__name__ == "<lambda>":
        raise InteractiveTaskError(
            "a lambda cannot run as an interactive task: it has no name to register it under; define it with `def`"
        )
    if "<locals>" in fn.__qualname__.split("."):
        raise InteractiveTaskError(
            f"[{fn.__qualname__}] is defined inside another function: define it at the top level of a module (or "
            "notebook cell) so that it has a stable name"
        )
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise InteractiveTaskError(
            f"[{fn.__qualname__}] is an async function: interactive tasks run plain functions; wrap the coroutine "
            "in a regular function (e.g. with asyncio.run)"
        )
    if inspect.isgeneratorfunction(fn):
        raise InteractiveTaskError(
            f"[{fn.__qualname__}] is a generator function: a task returns its outputs once; return a list instead"
        )


def _task_name(fn: Callable[..., Any]) -> str:
    module = fn.__module__
    if module == "__main__":
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        if _in_ipython():
            return fn.__qualname__  # a notebook cell has no module: flytekit uses the bare name too
        if spec is not None and spec.name:
            module = spec.name  # `python -m pkg.mod`: the module's real name
        elif os.path.isfile(fn.__code__.co_filename):
            module = os.path.splitext(os.path.basename(fn.__code__.co_filename))[0]  # `python script.py`
        else:
            return fn.__qualname__  # a REPL or exec'd text: no file to name it after
    return f"{module}.{fn.__qualname__}"


def _in_ipython() -> bool:
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython is not None and get_ipython() is not None


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception as e:  # an unresolvable forward reference, a typo in a string annotation
        raise InteractiveTaskError(f"the type hints of [{fn.__qualname__}] cannot be resolved: {e}") from e


def _inputs(fn: Callable[..., Any], hints: dict[str, Any]) -> tuple[dict[str, type], dict[str, Any]]:
    signature = inspect.signature(fn)
    input_types: dict[str, type] = {}
    defaults: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind == param.VAR_POSITIONAL else "**"
            raise InteractiveTaskError(
                f"parameter [{star}{param.name}] of [{fn.__qualname__}] is variadic: task inputs are named and fixed"
            )
        if param.kind == param.POSITIONAL_ONLY:
            raise InteractiveTaskError(
                f"parameter [{param.name}] of [{fn.__qualname__}] is positional-only: task inputs are passed by name"
            )
        if param.name not in hints:
            raise InteractiveTaskError(
                f"parameter [{param.name}] of [{fn.__qualname__}] has no type hint: every input needs one"
            )
        input_types[param.name] = hints[param.name]
        if param.default is not param.empty:
            defaults[param.name] = param.default
    return input_types, defaults


def _is_named_tuple(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def _outputs(fn: Callable[..., Any], hints: dict[str, Any]) -> tuple[dict[str, type], str]:
    """The outputs by name, and how the return value maps onto them: ``none``, ``one`` or ``many`` (unpacked)."""
    if "return" not in hints:
        raise InteractiveTaskError(
            f"the return value of [{fn.__qualname__}] has no type hint: annotate it (`-> None` if it returns nothing)"
        )
    ret = hints["return"]
    if ret is None or ret is type(None):
        return {}, "none"
    if _is_named_tuple(ret):
        fields = typing.get_type_hints(ret, include_extras=True)
        missing = [f for f in ret._fields if f not in fields]
        if missing:
            raise InteractiveTaskError(
                f"the return type [{ret.__name__}] of [{fn.__qualname__}] has fields without type hints "
                f"({', '.join(missing)}): use typing.NamedTuple with annotated fields"
            )
        return {f: fields[f] for f in ret._fields}, "many"
    if typing.get_origin(ret) is tuple or isinstance(ret, tuple):
        args = typing.get_args(ret) if not isinstance(ret, tuple) else ret
        if not args:
            raise InteractiveTaskError(
                f"the return type of [{fn.__qualname__}] is an empty tuple: return None for no outputs"
            )
        if Ellipsis in args:
            raise InteractiveTaskError(
                f"the return type of [{fn.__qualname__}] is a variable-length tuple: a task has a fixed number of "
                "outputs; return a list for a variable number of values"
            )
        if len(args) == 1:
            raise InteractiveTaskError(
                f"the return type of [{fn.__qualname__}] is a tuple of one value: tuples stand for several outputs; "
                "return the value itself"
            )
        return {f"o{i}": arg for i, arg in enumerate(args)}, "many"
    return {"o0": ret}, "one"


def _interface(
    fn: Callable[..., Any], input_types: dict[str, type], output_types: dict[str, type]
) -> interface_pb2.TypedInterface:
    from flyteidl.core import interface_pb2

    from flyteplane.types import TypeEngine

    interface = interface_pb2.TypedInterface()
    # Both maps present even when empty, as flytekit serializes them.
    interface.inputs.SetInParent()
    interface.outputs.SetInParent()
    for direction, typed, variables in (
        ("input", input_types, interface.inputs.variables),
        ("output", output_types, interface.outputs.variables),
    ):
        for var_name, python_type in typed.items():
            try:
                literal_type = TypeEngine.to_literal_type(python_type)
            except Exception as e:
                raise InteractiveTaskError(
                    f"{direction} [{var_name}] of [{fn.__qualname__}] has a type Flyte cannot carry "
                    f"({_type_name(python_type)}): {e}"
                ) from e
            # flytekit's description for a variable its docstring does not describe is the variable's name.
            variables[var_name].CopyFrom(interface_pb2.Variable(type=literal_type, description=var_name))
    return interface


def _type_name(tp: Any) -> str:
    return tp.__qualname__ if isinstance(tp, type) else repr(tp)


# -- pickling -----------------------------------------------------------------------------------------------------
_PICKLE_LOCK = threading.Lock()


def _installed_roots() -> tuple[str, ...]:
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    with contextlib.suppress(AttributeError):  # virtualenv's old site.py lacks these
        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots if r)


def _is_installed(module: types.ModuleType) -> bool:
    """True if ``module`` comes from site-packages or the standard library (so the image has it too)."""
    locations = []
    file = getattr(module, "__file__", None)
    if file:
        locations.append(file)
    else:
        locations.extend(getattr(module, "__path__", None) or [])  # a namespace package
    if not locations:
        # Built into the interpreter (sys, builtins): installed everywhere. A module made at run time with no file
        # is not, but it cannot be re-imported by name either, so cloudpickle pickles it by value anyway.
        return module.__name__ in sys.builtin_module_names
    roots = _installed_roots()
    return all(os.path.realpath(loc).startswith(roots) for loc in locations)


def _project_module(fn: Callable[..., Any]) -> types.ModuleType | None:
    """The module to pickle by value for ``fn``: its top-level package, unless installed (``__main__`` never needs
    it: cloudpickle pickles ``__main__`` by value)."""
    module_name = fn.__module__
    if not module_name or module_name == "__main__":
        return None
    top = sys.modules.get(module_name.split(".", 1)[0])
    if top is None or _is_installed(top):
        return None
    return top


@contextlib.contextmanager
def _by_value(modules: Iterable[types.ModuleType]) -> Iterator[None]:
    import cloudpickle

    added: list[types.ModuleType] = []
    try:
        registered = cloudpickle.list_registry_pickle_by_value()
        for module in modules:
            if module.__name__ not in registered:
                cloudpickle.register_pickle_by_value(module)
                registered.add(module.__name__)
                added.append(module)
        yield
    finally:
        for module in added:
            cloudpickle.unregister_pickle_by_value(module)


class _SortedFrozenset:
    """Stands in for a frozenset constant of a code object: pickles as the same frozenset, elements in a fixed order."""

    def __init__(self, items: frozenset[Any]) -> None:
        self.items = items

    def __reduce__(self) -> tuple[Any, ...]:
        ordered = sorted(self.items, key=_constant_key)
        return frozenset, (tuple(_stable_constant(item) for item in ordered),)


def _constant_key(value: Any) -> Any:
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(_constant_key(v) for v in value)))
    if isinstance(value, tuple):
        return ("tuple", tuple(_constant_key(v) for v in value))
    return (type(value).__name__, repr(value))


def _stable_constant(value: Any) -> Any:
    if isinstance(value, frozenset):
        return _SortedFrozenset(value)
    if type(value) is tuple and any(isinstance(v, (frozenset, tuple)) for v in value):
        return tuple(_stable_constant(v) for v in value)
    return value


def _has_frozenset(value: Any) -> bool:
    if isinstance(value, frozenset):
        return True
    return type(value) is tuple and any(_has_frozenset(v) for v in value)


def _source_file(code: types.CodeType) -> str | None:
    """The file a code object comes from, if it is a real file (not a notebook cell, a REPL or exec'd text)."""
    filename = code.co_filename
    if os.path.isabs(filename) and os.path.isfile(filename):
        return filename
    return None


def _seed_class_id(cls: type) -> None:
    """Give a class cloudpickle will pickle by value an id from its name instead of a random one (see the module
    docstring); left to cloudpickle when its internals differ or another live class already has that id."""
    from cloudpickle import cloudpickle as internals

    by_class = getattr(internals, "_DYNAMIC_CLASS_TRACKER_BY_CLASS", None)
    by_id = getattr(internals, "_DYNAMIC_CLASS_TRACKER_BY_ID", None)
    lock = getattr(internals, "_DYNAMIC_CLASS_TRACKER_LOCK", None)
    by_reference = getattr(internals, "_should_pickle_by_reference", None)
    if by_class is None or by_id is None or lock is None or by_reference is None:
        return
    try:
        if by_reference(cls):
            return  # pickled as module + name: no id involved
    except Exception:
        return
    tracker_id = hashlib.sha256(f"{cls.__module__}\0{cls.__qualname__}".encode()).hexdigest()[:32]
    with lock:
        if cls in by_class:
            return
        if by_id.get(tracker_id) not in (None, cls):
            return
        by_class[cls] = tracker_id
        by_id[tracker_id] = cls


def _dumps(obj: Any, fn: Callable[..., Any], extra_by_value: Iterable[types.ModuleType]) -> bytes:
    import io

    import cloudpickle

    # Lives in the entrypoint, which the task process has loaded anyway (this module would cost it ~10 ms more).
    from flyteplane.remote.entrypoint import code_with_filename

    in_ipython = _in_ipython()

    class StablePickler(cloudpickle.Pickler):  # type: ignore[misc, name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._rewritten: list[types.CodeType] = []  # kept alive, so their ids stay theirs during the dump

        def reducer_override(self, value: Any) -> Any:
            if type(value) is types.CodeType and not any(value is c for c in self._rewritten):
                filename = None if in_ipython else _source_file(value)
                has_sets = any(_has_frozenset(c) for c in value.co_consts)
                if filename is not None or has_sets:
                    # Always a new object: were the original pickled inside its own reduction, the pickler would
                    # find it memoized and keep that inner copy instead of the rebuilt one.
                    consts = tuple(_stable_constant(c) for c in value.co_consts) if has_sets else value.co_consts
                    value = value.replace(co_consts=consts)
                    self._rewritten.append(value)
                    if filename is not None:
                        # A string of its own: compiled from source, the code's file name is the very object of
                        # the module's __file__ (pickled once, then referenced); loaded from a .pyc it is an equal
                        # but separate one. A copy makes the bytes, and so the version, the same either way.
                        return code_with_filename, (value, "".join(("", filename, "")) if filename else filename)
                    return copy.copy, (value,)  # copy.copy of a code object returns it unchanged
            if isinstance(value, type):
                _seed_class_id(value)
            return super().reducer_override(value)

    modules = [*extra_by_value]
    project = _project_module(fn)
    if project is not None:
        modules.append(project)
    buffer = io.BytesIO()
    with _PICKLE_LOCK, _by_value(modules):
        try:
            StablePickler(buffer, protocol=pickle.DEFAULT_PROTOCOL).dump(obj)
        except Exception as e:
            raise InteractiveTaskError(
                f"[{fn.__qualname__}] cannot be pickled: {type(e).__name__}: {e}. Something the function refers to "
                "(a global, a closure variable, a default value) cannot be serialized"
            ) from e
    return buffer.getvalue()
