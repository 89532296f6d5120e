"""Scalars: int, float, str, bool, datetime, date, timedelta and None.

Encodings are flytekit's (``Primitive`` fields; ``none_type`` for None). Rules worth knowing:

* ``bool`` is not an ``int`` and ``int`` is not a ``bool`` (flytekit rejects both; so do we).
* An ``int`` is accepted for ``float`` and written as a float. flytekit 1.16 rejects it ("Expected value of type
  float but got '1'"); accepting it is a deliberate convenience: the literal is a plain FLOAT either way.
* A naive ``datetime`` is taken as UTC (flytekit does the same); datetimes are read back tz-aware in UTC.
  A ``date`` travels as midnight UTC of that day.
* Reading is lenient where flytekit is: an INTEGER literal reads as a ``float``, an integral FLOAT literal (the
  Flyte console's JSON numbers) as an ``int``. A non-integral float is refused for an ``int`` (flytekit truncates).
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._core import Context, TypeTransformer, literal_mismatch, mismatch
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["NONE", "TRANSFORMERS", "primitive_value"]

_UTC = datetime.timezone.utc


def _timestamp_to_datetime(ts: Any) -> datetime.datetime:
    return datetime.datetime(1970, 1, 1, tzinfo=_UTC) + datetime.timedelta(
        seconds=ts.seconds, microseconds=ts.nanos // 1000
    )


def _datetime_to_utc_naive(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(_UTC).replace(tzinfo=None)
    return value.replace(tzinfo=None)


def primitive_value(p: literals_pb2.Primitive) -> Any:
    """The Python value of a primitive literal (datetimes tz-aware UTC)."""
    kind = p.WhichOneof("value")
    if kind == "integer":
        return p.integer
    if kind == "float_value":
        return p.float_value
    if kind == "string_value":
        return p.string_value
    if kind == "boolean":
        return p.boolean
    if kind == "datetime":
        return _timestamp_to_datetime(p.datetime)
    if kind == "duration":
        return p.duration.ToTimedelta()
    raise TypeTransformerFailedError("cannot read an empty primitive literal")


def _primitive_kind(lit: literals_pb2.Literal) -> str | None:
    if lit.HasField("scalar") and lit.scalar.HasField("primitive"):
        kind: str | None = lit.scalar.primitive.WhichOneof("value")
        return kind
    return None


def _msgpack_scalar(lit: literals_pb2.Literal) -> tuple[bool, Any]:
    """(True, value) for a msgpack binary scalar: what propeller hands over for a dataclass attribute."""
    if lit.HasField("scalar") and lit.scalar.HasField("binary") and lit.scalar.binary.tag == "msgpack":
        import msgpack

        return True, msgpack.loads(lit.scalar.binary.value, strict_map_key=False)
    return False, None


class _Simple(TypeTransformer):
    python_type: ClassVar[type]
    simple: ClassVar[int]

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(simple=self.simple)  # type: ignore[arg-type]

    def check(self, value: Any, t: Any) -> None:
        if type(value) is not self.python_type:
            raise mismatch(self.python_type, value)

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        self.check(value, t)
        lit = literals_pb2.Literal()
        self._fill(lit.scalar.primitive, value)
        return lit

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        raise NotImplementedError

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        is_msgpack, payload = _msgpack_scalar(lit)
        if is_msgpack:
            return self.from_builtin(payload, t, ctx)
        return self._read(lit)

    def _read(self, lit: literals_pb2.Literal) -> Any:
        raise NotImplementedError

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        self.check(value, t)
        return value

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if type(obj) is not self.python_type:
            raise mismatch(self.python_type, obj)
        return obj


class _Int(_Simple):
    name = "int"
    python_type = int
    simple = types_pb2.INTEGER

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.integer = value

    def _read(self, lit: literals_pb2.Literal) -> Any:
        kind = _primitive_kind(lit)
        if kind == "integer":
            return lit.scalar.primitive.integer
        if kind == "float_value" and lit.scalar.primitive.float_value.is_integer():
            return int(lit.scalar.primitive.float_value)
        raise literal_mismatch(int, lit)

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if type(obj) is float and obj.is_integer():
            return int(obj)  # JSON structs carry every number as a double
        return super().from_builtin(obj, t, ctx)


class _Float(_Simple):
    name = "float"
    python_type = float
    simple = types_pb2.FLOAT

    def check(self, value: Any, t: Any) -> None:
        if type(value) is not float and type(value) is not int:
            raise mismatch(float, value)

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.float_value = float(value)

    def _read(self, lit: literals_pb2.Literal) -> Any:
        kind = _primitive_kind(lit)
        if kind == "float_value":
            return lit.scalar.primitive.float_value
        if kind == "integer":
            return float(lit.scalar.primitive.integer)
        raise literal_mismatch(float, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        self.check(value, t)
        return float(value)

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if type(obj) is int:
            return float(obj)
        return super().from_builtin(obj, t, ctx)


class _Str(_Simple):
    name = "str"
    python_type = str
    simple = types_pb2.STRING

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.string_value = value

    def _read(self, lit: literals_pb2.Literal) -> Any:
        if _primitive_kind(lit) == "string_value":
            return lit.scalar.primitive.string_value
        raise literal_mismatch(str, lit)


class _Bool(_Simple):
    name = "bool"
    python_type = bool
    simple = types_pb2.BOOLEAN

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.boolean = value

    def _read(self, lit: literals_pb2.Literal) -> Any:
        if _primitive_kind(lit) == "boolean":
            return lit.scalar.primitive.boolean
        raise literal_mismatch(bool, lit)


class _Datetime(_Simple):
    name = "datetime"
    python_type = datetime.datetime
    simple = types_pb2.DATETIME

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.datetime.FromDatetime(_datetime_to_utc_naive(value))

    def _read(self, lit: literals_pb2.Literal) -> Any:
        if _primitive_kind(lit) == "datetime":
            return _timestamp_to_datetime(lit.scalar.primitive.datetime)
        raise literal_mismatch(datetime.datetime, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        self.check(value, t)
        return value.isoformat()  # mashumaro's form: naive stays naive, aware keeps its offset

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if isinstance(obj, str):
            try:
                return datetime.datetime.fromisoformat(obj)
            except ValueError:
                raise mismatch("datetime (an ISO 8601 string)", obj) from None
        return super().from_builtin(obj, t, ctx)


class _Date(_Simple):
    name = "date"
    python_type = datetime.date
    simple = types_pb2.DATETIME

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.datetime.FromDatetime(datetime.datetime.combine(value, datetime.time.min))

    def _read(self, lit: literals_pb2.Literal) -> Any:
        if _primitive_kind(lit) == "datetime":
            return _timestamp_to_datetime(lit.scalar.primitive.datetime).date()
        raise literal_mismatch(datetime.date, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        self.check(value, t)
        return value.isoformat()

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if isinstance(obj, str):
            try:
                return datetime.date.fromisoformat(obj)
            except ValueError:
                raise mismatch("date (an ISO 8601 string)", obj) from None
        return super().from_builtin(obj, t, ctx)


class _Timedelta(_Simple):
    name = "timedelta"
    python_type = datetime.timedelta
    simple = types_pb2.DURATION

    def _fill(self, p: literals_pb2.Primitive, value: Any) -> None:
        p.duration.FromTimedelta(value)

    def _read(self, lit: literals_pb2.Literal) -> Any:
        if _primitive_kind(lit) == "duration":
            return lit.scalar.primitive.duration.ToTimedelta()
        raise literal_mismatch(datetime.timedelta, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        self.check(value, t)
        return value.total_seconds()  # mashumaro's encoding inside structs

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if type(obj) in (int, float):
            return datetime.timedelta(seconds=obj)
        return super().from_builtin(obj, t, ctx)


class _None(_Simple):
    name = "none"
    python_type = type(None)
    simple = types_pb2.NONE

    def check(self, value: Any, t: Any) -> None:
        if value is not None:
            raise mismatch(None, value)

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        self.check(value, t)
        lit = literals_pb2.Literal()
        lit.scalar.none_type.SetInParent()
        return lit

    def _read(self, lit: literals_pb2.Literal) -> Any:
        if lit.HasField("scalar") and lit.scalar.HasField("none_type"):
            return None
        raise literal_mismatch(None, lit)

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if obj is not None:
            raise mismatch(None, obj)
        return None


INT = _Int()
FLOAT = _Float()
STR = _Str()
BOOL = _Bool()
DATETIME = _Datetime()
DATE = _Date()
TIMEDELTA = _Timedelta()
NONE = _None()

TRANSFORMERS: tuple[_Simple, ...] = (INT, FLOAT, STR, BOOL, DATETIME, DATE, TIMEDELTA)
