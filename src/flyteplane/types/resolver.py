"""``LiteralsResolver``: a read-only mapping of names to Python values, converted from literals on first access."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types.engine import TypeEngine, as_literal, as_literal_type
from flyteplane.types.errors import TypeTransformerFailedError

if TYPE_CHECKING:
    from flyteplane.types._files import FileAccess

__all__ = ["LiteralsResolver"]


class LiteralsResolver(Mapping[str, Any]):
    """The inputs or outputs of an execution, as Python values.

    ``resolver["x"]`` converts the literal ``x`` once and caches the value: as its type hint if one is known, else as
    guessed from its declared literal type (see :meth:`TypeEngine.guess_python_type`), else by the literal's shape.
    ``resolver.get("x", as_type=int)`` picks the type explicitly. ``resolver.literals`` has the raw protobufs.

    Unlike ``dict.get``, :meth:`get`'s second argument is a type (flytekit's signature), and asking for a name that
    is not there raises ``KeyError`` naming the names that are.
    """

    def __init__(
        self,
        literals: Mapping[str, Any],
        variable_types: Mapping[str, Any] | None = None,
        type_hints: Mapping[str, type] | None = None,
        files: FileAccess | None = None,
        *,
        label: str = "value",
    ) -> None:
        """
        Args:
            literals: name -> ``Literal`` (messages or models), or a ``LiteralMap``.
            variable_types: name -> declared ``LiteralType`` (or ``Variable``), used to guess types.
            type_hints: name -> Python type, preferred over guessing.
            files: downloads files, directories, dataframes and pickles when values are read.
            label: the word errors put before a name (``"output 'y': ..."``).
        """
        if hasattr(literals, "to_flyte_idl"):
            literals = literals.to_flyte_idl()
        if isinstance(literals, literals_pb2.LiteralMap):
            literals = literals.literals
        self._variable_types: dict[str, types_pb2.LiteralType] = {
            k: as_literal_type(v) for k, v in (variable_types or {}).items()
        }
        # A protobuf map has no order: list the names as the interface declares them, then the rest sorted.
        given = {k: as_literal(v) for k, v in literals.items()}
        order = [k for k in self._variable_types if k in given] + sorted(
            k for k in given if k not in self._variable_types
        )
        self._literals: dict[str, literals_pb2.Literal] = {k: given[k] for k in order}
        self._type_hints: dict[str, Any] = dict(type_hints or {})
        self._files = files
        self._label = label
        self._values: dict[str, Any] = {}

    @property
    def literals(self) -> dict[str, literals_pb2.Literal]:
        """The literals, by name (protobuf messages)."""
        return self._literals

    @property
    def variable_types(self) -> dict[str, types_pb2.LiteralType]:
        """The declared literal types, by name (empty if none were given)."""
        return self._variable_types

    @property
    def native_values(self) -> dict[str, Any]:
        """The values converted so far (flytekit's name)."""
        return dict(self._values)

    def update_type_hints(self, type_hints: Mapping[str, type]) -> None:
        """Add or replace type hints for values not read yet."""
        self._type_hints.update(type_hints)

    def get_literal(self, name: str) -> literals_pb2.Literal:
        """The literal ``name``."""
        self._require(name)
        return self._literals[name]

    def _require(self, name: str) -> None:
        if name not in self._literals:
            known = ", ".join(self._literals) or "(none)"
            raise KeyError(f"no {self._label} named {name!r}; the names are: {known}")

    def get(self, name: str, as_type: Any = None) -> Any:  # type: ignore[override]
        """The value ``name``, read as ``as_type`` if given (else the hint, else the guessed type); cached."""
        self._require(name)
        if as_type is None and name in self._values:
            return self._values[name]
        hint = as_type if as_type is not None else self._type_hints.get(name)
        try:
            value = TypeEngine.to_python_value(
                self._literals[name], hint, literal_type=self._variable_types.get(name), files=self._files
            )
        except TypeTransformerFailedError as e:
            raise e.at(f"{self._label} {name!r}") from e.__cause__
        self._values[name] = value
        return value

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._literals

    def __iter__(self) -> Iterator[str]:
        return iter(self._literals)

    def __len__(self) -> int:
        return len(self._literals)

    def __repr__(self) -> str:
        parts = []
        for name, lit in self._literals.items():
            if name in self._values:
                parts.append(f"{name!r}: {self._values[name]!r}")
            else:
                from flyteplane.types._core import describe_literal

                parts.append(f"{name!r}: <{describe_literal(lit)}, not read yet>")
        return "LiteralsResolver({" + ", ".join(parts) + "})"
