"""Python types from Flyte literal types: :func:`guess_python_type`, and :func:`python_type_for` (a value's type
when only the declared literal type is known).

What a literal type is guessed as:

=================================  ==========================================================================
literal type                       Python type
=================================  ==========================================================================
simple INTEGER / FLOAT / STRING    ``int`` / ``float`` / ``str``
BOOLEAN / DATETIME / DURATION      ``bool`` / ``datetime.datetime`` (read tz-aware UTC) / ``datetime.timedelta``
NONE                               ``NoneType``
STRUCT with ``dataclass_type``     a generated dataclass (attribute access; nested structs, enums, files typed)
STRUCT with only a JSON schema     a generated dataclass built from the schema
STRUCT without either              ``dict``
collection / map                   ``list[T]`` / ``dict[str, T]``
enum                               a generated ``Enum`` whose member names are the values
union                              ``Union[...]`` of the variants' guesses
blob SINGLE / MULTIPART            ``FlyteFile[format]`` / ``FlyteDirectory[format]``
blob with format PythonPickle      ``typing.Any`` (the pickle is loaded)
structured dataset                 ``pandas.DataFrame`` (``pyarrow.Table`` when pandas is not installed)
=================================  ==========================================================================

Generated classes are cached per literal type, so guessing twice gives the same class. A generated dataclass
reading a payload that does not fit it (a field its type does not declare) fails, and the readers fall back to a
plain ``dict``.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import keyword
import sys
import threading
import typing
from typing import Any

from flyteidl.core import types_pb2

from flyteplane.types._core import DICT_OF, LIST_OF, UNION_OF, NoneType, describe_literal_type, transformer_for
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["guess_python_type", "python_type_for"]

_SIMPLE: dict[int, Any] = {
    types_pb2.NONE: NoneType,
    types_pb2.INTEGER: int,
    types_pb2.FLOAT: float,
    types_pb2.STRING: str,
    types_pb2.BOOLEAN: bool,
    types_pb2.DATETIME: datetime.datetime,
    types_pb2.DURATION: datetime.timedelta,
}

_cache: dict[bytes, Any] = {}
_cache_lock = threading.RLock()  # guessing recurses into nested types


def guess_python_type(lt: types_pb2.LiteralType) -> Any:
    """The Python type a value of literal type ``lt`` is read as (see the module docstring for the table)."""
    key = lt.SerializeToString(deterministic=True)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            cached = _guess(lt)
            _cache[key] = cached
    return cached


def _guess(lt: types_pb2.LiteralType) -> Any:
    kind = lt.WhichOneof("type")
    if kind == "simple":
        if lt.simple == types_pb2.STRUCT:
            return _guess_struct(lt)
        guessed = _SIMPLE.get(lt.simple)
        if guessed is None:
            raise TypeTransformerFailedError(f"cannot guess a Python type for {describe_literal_type(lt)}")
        return guessed
    if kind == "collection_type":
        return LIST_OF[guess_python_type(lt.collection_type)]
    if kind == "map_value_type":
        return DICT_OF[str, guess_python_type(lt.map_value_type)]
    if kind == "union_type":
        members = tuple(guess_python_type(v) for v in lt.union_type.variants)
        if not members:
            raise TypeTransformerFailedError("cannot guess a Python type for a union without variants")
        return UNION_OF[members]
    if kind == "enum_type":
        return _generated_enum(tuple(lt.enum_type.values))
    if kind == "blob":
        from flyteplane.types._files import FlyteDirectory, FlyteFile
        from flyteplane.types._pickle import PICKLE_FORMAT

        if lt.blob.format == PICKLE_FORMAT:
            return Any
        if lt.blob.dimensionality == types_pb2.BlobType.MULTIPART:
            return FlyteDirectory.__class_getitem__(lt.blob.format)
        return FlyteFile.__class_getitem__(lt.blob.format)
    if kind == "structured_dataset_type":
        from flyteplane.types._dataframes import default_frame_type

        return default_frame_type()
    raise TypeTransformerFailedError(f"cannot guess a Python type for {describe_literal_type(lt)}")


def _generated_enum(values: tuple[str, ...]) -> Any:
    try:
        return enum.Enum("DynamicEnum", [(v, v) for v in values])  # type: ignore[misc]
    except (ValueError, TypeError):
        return str  # values that cannot be member names (e.g. "_x"): plain strings still read fine


def _struct_schema(lt: types_pb2.LiteralType) -> dict[str, Any] | None:
    if not lt.HasField("metadata"):
        return None
    from google.protobuf import json_format

    return json_format.MessageToDict(lt.metadata)


def _guess_struct(lt: types_pb2.LiteralType) -> Any:
    schema = _struct_schema(lt)
    fields = lt.structure.dataclass_type if lt.HasField("structure") else {}
    if fields:
        title = schema.get("title") if schema else None
        props = schema.get("properties", {}) if schema else {}
        props = props if isinstance(props, dict) else {}
        # flytekit leaves out of dataclass_type the fields it cannot type (a bare ``list``); the schema has them.
        # Field order: the schema's "required" list keeps declaration order (its "properties" map does not survive
        # protobuf), then the other properties, then fields only dataclass_type names.
        required_order = [n for n in (schema.get("required", []) if schema else []) if isinstance(n, str)]
        names = _unique(required_order + list(props) + sorted(fields))
        required = set(required_order) if schema else set(names)
        defs = schema.get("$defs", schema.get("definitions", {})) if schema else {}
        try:
            field_types = [(n, _field_type(fields.get(n), props.get(n), defs)) for n in names]
        except TypeTransformerFailedError:
            return dict
        return _make_dataclass(title, field_types, required) or dict
    if schema and isinstance(schema.get("properties"), dict):
        return _from_json_schema(schema, schema.get("$defs", schema.get("definitions", {})))
    return dict


def _field_type(lt: types_pb2.LiteralType | None, schema: Any, defs: dict[str, Any]) -> Any:
    if lt is None:
        return _from_json_schema(schema, defs)
    if (
        lt.WhichOneof("type") == "simple"
        and lt.simple == types_pb2.DATETIME
        and isinstance(schema, dict)
        and schema.get("format") == "date"
    ):
        return datetime.date  # a date field's literal type is DATETIME; its schema knows better
    return guess_python_type(lt)


def _make_dataclass(title: Any, field_types: list[tuple[str, Any]], required: set[str]) -> type | None:
    from flyteplane.types._structs import GENERATED_MARK

    name = title if isinstance(title, str) and title.isidentifier() else "Struct"
    if any(not n.isidentifier() or keyword.iskeyword(n) for n, _ in field_types):
        return None
    spec = [(n, t) if n in required else (n, t, dataclasses.field(default=None)) for n, t in field_types]
    cls = dataclasses.make_dataclass(name, spec, kw_only=True)  # type: ignore[call-overload]
    setattr(cls, GENERATED_MARK, True)
    return typing.cast(type, cls)


def _from_json_schema(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A Python type for a JSON-schema fragment (mashumaro's or pydantic's dialect)."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rsplit("/", 1)[-1])
        return _from_json_schema(target, defs) if isinstance(target, dict) else Any
    any_of = schema.get("anyOf")
    if isinstance(any_of, list) and any_of:
        return UNION_OF[tuple(_from_json_schema(s, defs) for s in any_of)]
    if "enum" in schema:
        return str
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "integer":
        return int
    if kind == "number":
        return datetime.timedelta if fmt == "time-delta" else float
    if kind == "string":
        formats: dict[Any, Any] = {"date-time": datetime.datetime, "date": datetime.date}
        return formats.get(fmt, str)
    if kind == "boolean":
        return bool
    if kind == "null":
        return NoneType
    if kind == "array":
        items = schema.get("items")
        return LIST_OF[_from_json_schema(items, defs) if isinstance(items, dict) else Any]
    if kind == "object":
        props = schema.get("properties")
        title = schema.get("title")
        if title in ("FlyteFile", "FlyteDirectory") and isinstance(props, dict) and "path" in props:
            from flyteplane.types._files import FlyteDirectory, FlyteFile

            return FlyteFile if title == "FlyteFile" else FlyteDirectory
        if isinstance(props, dict) and props:
            field_types = [(n, _from_json_schema(s, defs)) for n, s in props.items() if isinstance(s, dict)]
            required = set(schema.get("required", []))
            return _make_dataclass(title, field_types, required) or dict
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return DICT_OF[str, _from_json_schema(extra, defs)]
        return dict
    return Any


# ---------------------------------------------------------------------------------------------------------------
# A value's type, given the declared literal type
# ---------------------------------------------------------------------------------------------------------------


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def python_type_for(value: Any, lt: types_pb2.LiteralType) -> Any:
    """The Python type to convert ``value`` with so that it becomes a literal of the declared type ``lt``.

    The guessed type, refined by the value where the guess would lose something: a dataclass or pydantic value
    keeps its own class, a ``date`` stays a ``date``, a dict whose keys a generated dataclass does not cover stays
    an untyped dict, and list / dict elements and union members are refined one by one.
    """
    kind = lt.WhichOneof("type")
    if kind == "union_type":
        members = []
        for variant in lt.union_type.variants:
            try:
                members.append(python_type_for(value, variant))
            except TypeTransformerFailedError:
                continue
        members = _unique(members)
        if not members:
            return guess_python_type(lt)
        return UNION_OF[tuple(members)]
    if kind == "collection_type":
        if isinstance(value, list):
            elem = _element_type([_refined_or_guess(v, lt.collection_type) for v in value], lt.collection_type)
            if elem is not None:
                return LIST_OF[elem]
        return guess_python_type(lt)
    if kind == "map_value_type":
        if isinstance(value, dict):
            elem = _element_type([_refined_or_guess(v, lt.map_value_type) for v in value.values()], lt.map_value_type)
            if elem is not None:
                return DICT_OF[str, elem]
        return guess_python_type(lt)
    if kind == "simple":
        if lt.simple == types_pb2.DATETIME and type(value) is datetime.date:
            return datetime.date
        if lt.simple == types_pb2.STRUCT:
            return _struct_type_for(value, lt)
    if kind == "enum_type" and isinstance(value, enum.Enum):
        values = set(lt.enum_type.values)
        if {m.value for m in type(value)} <= values:
            return type(value)
    if kind == "structured_dataset_type":
        try:
            if transformer_for(type(value)).name == "StructuredDataset Transformer":
                return type(value)
        except TypeTransformerFailedError:
            pass
    return guess_python_type(lt)


def _element_type(refined: list[Any], lt: types_pb2.LiteralType) -> Any:
    """The one refined element type, ignoring elements that only matched the guess (e.g. empty lists)."""
    candidates = _unique(refined)
    if len(candidates) > 1:
        guessed = guess_python_type(lt)
        candidates = [c for c in candidates if c != guessed]
    return candidates[0] if len(candidates) == 1 else None


def _refined_or_guess(value: Any, lt: types_pb2.LiteralType) -> Any:
    try:
        return python_type_for(value, lt)
    except TypeTransformerFailedError:
        return guess_python_type(lt)


def _struct_type_for(value: Any, lt: types_pb2.LiteralType) -> Any:
    vt = type(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return vt
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return vt
    guessed = guess_python_type(lt)
    if isinstance(value, dict) and dataclasses.is_dataclass(guessed):
        names = [f.name for f in dataclasses.fields(guessed)]
        unknown = sorted((k for k in value if k not in names), key=str)
        if unknown:
            if _open_schema(lt):
                return dict  # the declared type takes extra keys (additionalProperties): the dict goes as it is
            # A closed record (a dataclass, or a pydantic model, which drops unknown keys silently): a key it lacks
            # is a typo, refused here rather than by the task once it runs.
            from flyteplane.types._core import unknown_field

            raise unknown_field(unknown[0], getattr(guessed, "__name__", "Struct"), names)
    return guessed


def _open_schema(lt: types_pb2.LiteralType) -> bool:
    """Whether the struct's JSON schema admits keys it does not list (``additionalProperties`` true or a schema)."""
    schema = _struct_schema(lt)
    return bool(schema and schema.get("additionalProperties", False))
