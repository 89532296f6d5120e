"""The JSON schema flytekit puts in a dataclass's literal type (``LiteralType.metadata``).

flytekit 1.16 asks mashumaro (``mashumaro.jsonschema.build_json_schema``) for it. This module builds the same
schema for the types flyteplane supports, without mashumaro: nested dataclasses are inlined, ``Optional`` /
``Union`` become ``anyOf``, enums ``{"enum": [values]}``, ``datetime`` a ``date-time`` string, ``timedelta`` a
``time-delta`` number, defaults are written in their JSON form and ``default_factory`` fields are merely not
required. Where mashumaro would fall back to ``$ref``/``$defs`` (a recursive dataclass) or a type is unknown,
flytekit ends up without a schema, and so do we (``None``): the schema only feeds UIs and type guessing.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import typing
from typing import Any

from flyteplane.types._core import NoneType, get_args, get_origin, is_union, strip_annotated

__all__ = ["dataclass_schema"]


class _NoSchema(Exception):
    """mashumaro could not describe this type; flytekit then sends no schema at all."""


# FlyteFile / FlyteDirectory are dataclasses in flytekit; these are the schemas mashumaro derives from their fields.
_PATH_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "string", "format": "path"}], "default": None}
_FLYTE_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "FlyteFile",
    "additionalProperties": False,
    "properties": {
        "path": _PATH_SCHEMA,
        "metadata": {
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": "string"}, "propertyNames": {"type": "string"}},
                {"type": "null"},
            ],
            "default": None,
        },
    },
}
_FLYTE_DIRECTORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "FlyteDirectory",
    "additionalProperties": False,
    "properties": {"path": _PATH_SCHEMA},
}


def dataclass_schema(t: type) -> dict[str, Any] | None:
    """mashumaro's JSON schema for the dataclass ``t``, or ``None`` where flytekit would have none."""
    try:
        return _object_schema(t, set())
    except _NoSchema:
        return None


def _object_schema(t: type, building: set[type]) -> dict[str, Any]:
    if t in building:
        raise _NoSchema(t)  # mashumaro switches to $ref/$defs for recursion; flytekit's guesser cannot follow them
    building.add(t)
    try:
        hints = _type_hints(t)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in dataclasses.fields(t):
            if not f.init:
                continue
            ftype = hints.get(f.name, f.type)
            schema = _schema(ftype, building)
            if f.default is not dataclasses.MISSING:
                schema["default"] = _json_default(f.default, ftype)
            elif f.default_factory is dataclasses.MISSING:
                required.append(f.name)
            properties[f.name] = schema
        out: dict[str, Any] = {"type": "object", "title": t.__name__, "additionalProperties": False}
        if properties:
            out["properties"] = properties
        if required:
            out["required"] = required
        return out
    finally:
        building.discard(t)


def _type_hints(t: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(t, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return {}


def _json_default(value: Any, t: Any) -> Any:
    from flyteplane.types._core import Context, to_builtin

    try:
        return to_builtin(value, t, Context(None))
    except Exception as e:
        raise _NoSchema(t) from e


def _schema(t: Any, building: set[type]) -> dict[str, Any]:
    from flyteplane.types._files import FlyteDirectory, FlyteFile

    t = strip_annotated(t)
    if t is Any:
        return {}
    if t is None or t is NoneType:
        return {"type": "null"}
    if is_union(t):
        return {"anyOf": [_schema(a, building) for a in get_args(t)]}
    origin = get_origin(t)
    if origin is list:
        items = _schema(get_args(t)[0], building) if get_args(t) else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin is dict:
        out: dict[str, Any] = {"type": "object"}
        args = get_args(t)
        if args:
            values = _schema(args[1], building)
            keys = _schema(args[0], building)
            if values:
                out["additionalProperties"] = values
            if keys:
                out["propertyNames"] = keys
        return out
    if origin is not None or not isinstance(t, type):
        raise _NoSchema(t)
    if t is list:
        return {"type": "array"}
    if t is dict:
        return {"type": "object"}
    if t is bool:
        return {"type": "boolean"}
    if t is int:
        return {"type": "integer"}
    if t is float:
        return {"type": "number"}
    if t is str:
        return {"type": "string"}
    if t is datetime.datetime:
        return {"type": "string", "format": "date-time"}
    if t is datetime.date:
        return {"type": "string", "format": "date"}
    if t is datetime.timedelta:
        return {"type": "number", "format": "time-delta"}
    if issubclass(t, enum.Enum):
        return {"enum": [m.value for m in t]}
    if issubclass(t, FlyteFile):
        return _deep_copy(_FLYTE_FILE_SCHEMA)
    if issubclass(t, FlyteDirectory):
        return _deep_copy(_FLYTE_DIRECTORY_SCHEMA)
    if dataclasses.is_dataclass(t):
        return _object_schema(t, building)
    raise _NoSchema(t)


def _deep_copy(schema: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(schema)
