"""``enum.Enum`` subclasses whose values are strings: an ``enum_type`` literal type, a STRING literal.

As in flytekit, a member's value or the value of a member of another enum is accepted in place of the member, and
only string-valued enums can be used.
"""

from __future__ import annotations

import enum
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._core import Context, TypeTransformer, article, literal_mismatch, mismatch, type_name
from flyteplane.types._simple import STR
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["ENUM"]


def _values(t: type[enum.Enum]) -> list[Any]:
    return [m.value for m in t]


class _Enum(TypeTransformer):
    name = "DefaultEnumTransformer"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        values = _values(t)
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            raise TypeTransformerFailedError(
                f"unsupported type {type_name(t)}: Flyte enums hold strings, "
                f"but {bad[0]!r} is {article(type(bad[0]).__name__)}"
            )
        return types_pb2.LiteralType(enum_type=types_pb2.EnumType(values=values))

    def _string(self, value: Any, t: Any) -> str:
        raw = value.value if isinstance(value, enum.Enum) else value
        if isinstance(raw, str) and raw in _values(t):
            return raw
        choices = ", ".join(repr(v) for v in _values(t))
        raise mismatch(t, value, f"not a member (the values are {choices})")

    def check(self, value: Any, t: Any) -> None:
        self._string(value, t)

    def is_exact(self, value: Any, t: Any) -> bool:
        return isinstance(value, t)

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        lit = literals_pb2.Literal()
        lit.scalar.primitive.string_value = self._string(value, t)
        return lit

    def _member(self, raw: Any, t: Any) -> enum.Enum:
        try:
            return t(raw)  # type: ignore[no-any-return]
        except ValueError:
            choices = ", ".join(repr(v) for v in _values(t))
            raise mismatch(t, raw, f"not a member (the values are {choices})") from None

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        if lit.HasField("scalar") and lit.scalar.HasField("binary"):
            return self._member(STR.to_python(lit, str, ctx), t)
        if lit.HasField("scalar") and lit.scalar.primitive.WhichOneof("value") == "string_value":
            return self._member(lit.scalar.primitive.string_value, t)
        raise literal_mismatch(t, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        return self._string(value, t)

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        return self._member(obj, t)


ENUM = _Enum()
