"""The type engine: Python values <-> Flyte literals, in flytekit 1.16's encodings.

:class:`TypeEngine` is the facade (classmethods only, named as in flytekit); the conversions themselves live in
one transformer per family of types (``_simple``, ``_containers``, ``_union``, ``_enum``, ``_structs``,
``_files``, ``_dataframes``, ``_pickle``), chosen by the registry in ``_core``. Everything works on flyteidl
protobufs; flyteplane models (anything with ``to_flyte_idl()``) are accepted wherever a message is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.models._model import to_pb
from flyteplane.types import _core
from flyteplane.types._core import Context, TypeTransformer, describe_literal_type, type_name
from flyteplane.types.errors import TypeTransformerFailedError

if TYPE_CHECKING:
    from flyteplane.types._files import FileAccess

__all__ = ["TypeEngine", "as_literal", "as_literal_type"]


def as_literal_type(x: Any) -> types_pb2.LiteralType:
    """A ``LiteralType`` message from a message, a model, or a ``Variable`` (message or model)."""
    if isinstance(x, types_pb2.LiteralType):
        return x
    pb = to_pb(x)
    if isinstance(pb, types_pb2.LiteralType):
        return pb
    inner = getattr(pb, "type", None)
    if isinstance(inner, types_pb2.LiteralType):
        return inner
    raise TypeError(f"expected a LiteralType (or a Variable), got {type(x).__name__}")


def as_literal(x: Any) -> literals_pb2.Literal:
    """A ``Literal`` message from a message or a model."""
    if isinstance(x, literals_pb2.Literal):
        return x
    pb = to_pb(x)
    if isinstance(pb, literals_pb2.Literal):
        return pb
    raise TypeError(f"expected a Literal, got {type(x).__name__}")


def _literal_dict(literal_map: Any) -> dict[str, literals_pb2.Literal]:
    if hasattr(literal_map, "to_flyte_idl"):
        literal_map = literal_map.to_flyte_idl()
    if isinstance(literal_map, literals_pb2.LiteralMap):
        return dict(literal_map.literals)
    if isinstance(literal_map, Mapping):
        return {name: as_literal(lit) for name, lit in literal_map.items()}
    raise TypeError(f"expected a LiteralMap or a mapping of literals, got {type(literal_map).__name__}")


class TypeEngine:
    """Converts Python values to Flyte literals and back (flytekit's ``TypeEngine``, without a context object).

    Supported: ``int``, ``float``, ``str``, ``bool``, ``datetime`` (naive taken as UTC, read back tz-aware UTC),
    ``date``, ``timedelta``, ``None``, ``list[T]``, ``dict[str, T]``, untyped ``dict``, ``Optional`` / ``Union`` /
    ``X | Y``, string ``Enum``s, dataclasses, pydantic v2 models, :class:`FlyteFile`, :class:`FlyteDirectory`,
    ``pandas.DataFrame``, ``pyarrow.Table`` and ``typing.Any`` (pickled). Anything else is refused with a
    :class:`TypeTransformerFailedError` naming the type. Files, directories, dataframes and pickles need a
    :class:`FileAccess` (``files=``) to move their bytes.
    """

    @classmethod
    def to_literal_type(cls, python_type: Any) -> types_pb2.LiteralType:
        """The Flyte literal type for ``python_type`` (equal to flytekit's for the same type)."""
        return _core.to_literal_type(python_type)

    @classmethod
    def to_literal(
        cls,
        value: Any,
        python_type: Any = None,
        expected: Any = None,
        *,
        files: FileAccess | None = None,
    ) -> literals_pb2.Literal:
        """Convert ``value`` to a literal.

        Args:
            value: the Python value. A ``Literal`` (message or model) is returned as it is.
            python_type: how to read ``value``; ``None``: inferred from the value, or from ``expected`` if given.
            expected: the declared literal type (e.g. the task's input). The value must fit it; where it is a
                union the literal is wrapped in the fitting variant.
            files: uploads local files, directories, dataframes and pickles.
        """
        if isinstance(value, literals_pb2.Literal):
            return value
        if hasattr(value, "to_flyte_idl"):
            pb = value.to_flyte_idl()
            if isinstance(pb, literals_pb2.Literal):
                return pb
        ctx = Context(files)
        expected_lt = as_literal_type(expected) if expected is not None else None
        if python_type is None:
            if expected_lt is None:
                return _core.encode(value, _core.infer_python_type(value), None, ctx)
            from flyteplane.types._guess import python_type_for

            return _core.encode(value, python_type_for(value, expected_lt), expected_lt, ctx)
        if expected_lt is not None:
            own = _core.to_literal_type(python_type)
            if not _core.compatible(own, expected_lt):
                raise TypeTransformerFailedError(
                    f"the type {type_name(python_type)} does not match the declared type "
                    f"{describe_literal_type(expected_lt)}"
                )
        return _core.encode(value, python_type, expected_lt, ctx)

    @classmethod
    def to_python_value(
        cls,
        literal: Any,
        python_type: Any = None,
        *,
        literal_type: Any = None,
        files: FileAccess | None = None,
    ) -> Any:
        """Convert ``literal`` to a Python value.

        Args:
            literal: a ``Literal`` (message or model).
            python_type: the type wanted; ``None``: guessed from ``literal_type`` (see :meth:`guess_python_type`),
                or, without that either, read from the literal's own shape (lists, dicts, primitives, files...).
            literal_type: the declared literal type, used only when ``python_type`` is ``None``. If the guessed
                type cannot read the literal (say, a struct with undeclared fields) the literal is read by shape.
            files: downloads files, directories, dataframes and pickles (lazily, for files and directories).
        """
        ctx = Context(files)
        lit = as_literal(literal)
        if python_type is not None:
            return _core.decode(lit, python_type, ctx)
        if literal_type is None:
            return _core.decode_untyped(lit, ctx)
        from flyteplane.types._guess import guess_python_type

        try:
            guessed = guess_python_type(as_literal_type(literal_type))
        except TypeTransformerFailedError:
            return _core.decode_untyped(lit, ctx)
        try:
            return _core.decode(lit, guessed, ctx)
        except TypeTransformerFailedError as first:
            try:
                return _core.decode_untyped(lit, ctx)
            except TypeTransformerFailedError:
                raise first from None

    @classmethod
    def guess_python_type(cls, literal_type: Any) -> Any:
        """The Python type a value of ``literal_type`` is read as.

        Simple types map to their Python types, collections to ``list[T]``, maps to ``dict[str, T]``, enums to a
        generated ``Enum``, unions to ``Union[...]``, blobs to :class:`FlyteFile` / :class:`FlyteDirectory`
        (``typing.Any`` for pickles), structured datasets to ``pandas.DataFrame`` (``pyarrow.Table`` without
        pandas), and a STRUCT with field types or a JSON schema to a generated dataclass (attribute access), else
        ``dict``.
        """
        from flyteplane.types._guess import guess_python_type

        return guess_python_type(as_literal_type(literal_type))

    @classmethod
    def infer_python_type(cls, value: Any) -> Any:
        """The type :meth:`to_literal` converts ``value`` as when given no type (``list[int]`` for ``[1, 2]``)."""
        return _core.infer_python_type(value)

    @classmethod
    def literal_map_to_python(
        cls,
        literal_map: Any,
        type_hints: Mapping[str, Any] | None = None,
        literal_types: Mapping[str, Any] | None = None,
        files: FileAccess | None = None,
        *,
        label: str = "value",
    ) -> dict[str, Any]:
        """Convert every literal of ``literal_map`` (a ``LiteralMap`` or a mapping of literals) to Python.

        Each value is read as its type hint if there is one, else as guessed from its literal type (a
        ``LiteralType`` or ``Variable`` in ``literal_types``), else by shape. Errors name the value:
        ``output 'y': expected int, got a STRING literal ('x')`` (``label`` is the word before the name).
        """
        hints = type_hints or {}
        types = literal_types or {}
        out: dict[str, Any] = {}
        given = _literal_dict(literal_map)
        # A protobuf map has no order: declared names first (interface order), then the rest sorted.
        order = [n for n in types if n in given] + sorted(n for n in given if n not in types)
        for name in order:
            lit = given[name]
            try:
                out[name] = cls.to_python_value(lit, hints.get(name), literal_type=types.get(name), files=files)
            except TypeTransformerFailedError as e:
                raise e.at(f"{label} {name!r}") from e.__cause__
        return out

    @classmethod
    def check_inputs(
        cls,
        values: Mapping[str, Any],
        variables: Mapping[str, Any],
        type_hints: Mapping[str, Any] | None = None,
        *,
        optional: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Check the inputs ``values`` against the inputs ``variables`` (name -> ``LiteralType`` or ``Variable``)
        without converting anything: no file is read or uploaded. Returns the Python type each value will be
        converted as.

        Every name must be an input (``unknown input 'y'; the inputs are: x, z; did you mean 'x'?``), every input
        must be given unless it is in ``optional`` (inputs with defaults), and each value must pass its type's
        transformer ``check``; a dict given for a dataclass or pydantic input must use the declared fields
        (``input 'p': unknown field 'yy' of Point; fields are x, y``).

        Raises:
            TypeTransformerFailedError: the first problem, naming the input.
        """
        declared = {name: as_literal_type(v) for name, v in variables.items()}
        hints = type_hints or {}
        for name in values:
            if name not in declared:
                inputs = ", ".join(declared) if declared else "(none)"
                hint = _core.did_you_mean(name, declared)
                raise TypeTransformerFailedError(f"unknown input {name!r}; the inputs are: {inputs}{hint}")
        may_omit = set(optional)
        missing = [name for name in declared if name not in values and name not in may_omit]
        if missing:

            def _describe(name: str) -> str:
                hint = hints.get(name)
                return type_name(hint) if hint is not None else describe_literal_type(declared[name])

            listed = ", ".join(f"{name!r} ({_describe(name)})" for name in missing)
            raise TypeTransformerFailedError(f"missing input{'s' if len(missing) > 1 else ''} {listed}")
        resolved: dict[str, Any] = {}
        for name, value in values.items():
            try:
                resolved[name] = cls._checked_type(value, hints.get(name), declared[name])
            except TypeTransformerFailedError as e:
                raise e.at(f"input {name!r}") from e.__cause__
        return resolved

    @classmethod
    def _checked_type(cls, value: Any, python_type: Any, expected: types_pb2.LiteralType) -> Any:
        """The type ``value`` converts as for the declared ``expected``, after the transformer's ``check``."""
        if isinstance(value, literals_pb2.Literal) or hasattr(value, "to_flyte_idl"):
            return python_type  # a literal is sent as it is
        if python_type is None:
            from flyteplane.types._guess import python_type_for

            python_type = python_type_for(value, expected)
        else:
            own = _core.to_literal_type(python_type)
            if not _core.compatible(own, expected):
                raise TypeTransformerFailedError(
                    f"the type {type_name(python_type)} does not match the declared type "
                    f"{describe_literal_type(expected)}"
                )
        _core.transformer_for(python_type).check(value, _core.strip_annotated(python_type))
        return python_type

    @classmethod
    def python_to_literal_map(
        cls,
        values: Mapping[str, Any],
        variables: Mapping[str, Any],
        type_hints: Mapping[str, Any] | None = None,
        files: FileAccess | None = None,
        *,
        optional: Iterable[str] = (),
    ) -> literals_pb2.LiteralMap:
        """Convert the inputs ``values`` for an entity whose inputs are ``variables`` (name -> ``LiteralType`` or
        ``Variable``) to a ``LiteralMap``.

        Everything :meth:`check_inputs` checks is checked first, before any file is uploaded; then each value is
        converted as its type hint if there is one, else as its declared type requires; a mismatch names the
        input: ``input 'x': expected int, got str ('a')``.
        """
        cls.check_inputs(values, variables, type_hints, optional=optional)
        hints = type_hints or {}
        declared = {name: as_literal_type(v) for name, v in variables.items()}
        out = literals_pb2.LiteralMap()
        for name, value in values.items():
            try:
                lit = cls.to_literal(value, hints.get(name), declared[name], files=files)
            except TypeTransformerFailedError as e:
                raise e.at(f"input {name!r}") from e.__cause__
            out.literals[name].CopyFrom(lit)
        return out

    @classmethod
    def register(cls, transformer: TypeTransformer, *python_types: type, subclasses: bool = False) -> None:
        """Convert ``python_types`` (and with ``subclasses=True`` their subclasses) with ``transformer``."""
        _core.register(transformer, *python_types, subclasses=subclasses)
