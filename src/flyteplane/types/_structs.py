"""Dataclasses and pydantic v2 models, encoded as flytekit 1.16 encodes them.

Literal type: ``simple: STRUCT`` with ``metadata`` = the JSON schema (mashumaro's for a dataclass, pydantic's
``model_json_schema()`` for a model), ``structure.dataclass_type`` = each field's literal type (what propeller
uses to resolve ``dc.field`` attribute access), and flytekit's msgpack cache-key annotation.

Literal: ``Scalar.binary`` with tag ``"msgpack"`` holding the fields as plain data: nested dataclasses as maps,
enums as their values, datetimes and dates as ISO strings, timedeltas as seconds, files as ``{"path": uri}``
(mashumaro's forms; a model goes through ``model_dump_json``). The older JSON form (``Scalar.generic``, written by
flytekit with ``FLYTE_USE_OLD_DC_FORMAT`` and by the Flyte console) is read too; there every number is a double,
so integral floats are accepted for ``int`` fields.

A plain ``dict`` is accepted where a dataclass is expected when its keys are the fields (missing keys must have
defaults); another dataclass with the same field names is accepted too (flytekit does both).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._containers import msgpack_literal, struct_payload_or_none
from flyteplane.types._core import (
    Context,
    TypeTransformer,
    from_builtin,
    literal_mismatch,
    mismatch,
    msgpack_struct_type,
    to_builtin,
    to_literal_type,
    type_name,
    unknown_field,
)
from flyteplane.types._jsonschema import dataclass_schema
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["DATACLASS", "GENERATED_MARK", "PYDANTIC", "dataclass_fields"]

#: Set on dataclasses that guess_python_type generated: reading refuses unknown keys for them (the caller then
#: falls back to a dict) instead of dropping data.
GENERATED_MARK = "__flyteplane_generated__"

_FIELDS_CACHE: dict[type, list[tuple[str, Any, dataclasses.Field[Any]]]] = {}


def dataclass_fields(t: type) -> list[tuple[str, Any, dataclasses.Field[Any]]]:
    """``(name, resolved type, field)`` for each ``__init__`` field of the dataclass ``t``."""
    cached = _FIELDS_CACHE.get(t)
    if cached is None:
        try:
            hints = typing.get_type_hints(t, include_extras=True)
        except Exception:  # forward references that cannot be resolved: use the raw annotations
            hints = {}
        cached = [(f.name, hints.get(f.name, f.type), f) for f in dataclasses.fields(t) if f.init]
        _FIELDS_CACHE[t] = cached
    return cached


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


class _Dataclass(TypeTransformer):
    name = "Object-Dataclass-Transformer"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        lt = msgpack_struct_type()
        schema = dataclass_schema(t)
        if schema is not None:
            lt.metadata.update(schema)
        lt.structure.SetInParent()
        for name, ftype, _ in dataclass_fields(t):
            # flytekit leaves out fields it cannot type (they still travel in the payload); so do we.
            try:
                field_lt = to_literal_type(ftype)
            except TypeTransformerFailedError:
                continue
            lt.structure.dataclass_type[name].CopyFrom(field_lt)
        return lt

    def _source(self, value: Any, t: Any) -> tuple[dict[str, Any] | None, Any]:
        """(the dict, None) for a dict value, (None, the object) for a dataclass value; else a mismatch."""
        if isinstance(value, dict):
            return value, None
        if isinstance(value, t):
            return None, value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            own = {f.name for f in dataclasses.fields(value)}
            wanted = {name for name, _, _ in dataclass_fields(t)}
            if own == wanted:
                return None, value
            raise mismatch(t, value, f"its fields ({', '.join(sorted(own))}) are not {', '.join(sorted(wanted))}")
        raise mismatch(t, value)

    def _items(self, value: Any, t: Any) -> typing.Iterator[tuple[str, Any, Any]]:
        """(field name, field type, field value) for each field present in ``value``; checks missing / unknown."""
        as_dict, obj = self._source(value, t)
        fields = dataclass_fields(t)
        if as_dict is not None:
            names = [name for name, _, _ in fields]
            unknown = set(as_dict) - set(names)
            if unknown:
                raise unknown_field(sorted(unknown, key=str)[0], type_name(t), names)
        for name, ftype, f in fields:
            if as_dict is not None:
                if name not in as_dict:
                    if _has_default(f):
                        continue
                    raise mismatch(t, value, f"missing field {name!r} ({type_name(ftype)})")
                yield name, ftype, as_dict[name]
            else:
                yield name, ftype, getattr(obj, name)

    def check(self, value: Any, t: Any) -> None:
        if isinstance(value, t):
            return
        # A dict or a look-alike dataclass: the fields must be the right ones; their values are checked when
        # converted (a value-level check here would disagree with struct rules for fields such as ``Any``).
        for _ in self._items(value, t):
            pass

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        return msgpack_literal(self.to_builtin(value, t, ctx))

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        payload = struct_payload_or_none(lit)
        if payload is None:
            raise literal_mismatch(t, lit)
        return self.from_builtin(payload, t, ctx)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        out: dict[str, Any] = {}
        for name, ftype, item in self._items(value, t):
            try:
                out[name] = to_builtin(item, ftype, ctx)
            except TypeTransformerFailedError as e:
                raise e.at(f".{name}") from e.__cause__
        return out

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if not isinstance(obj, dict):
            raise mismatch(t, obj)
        fields = dataclass_fields(t)
        if getattr(t, GENERATED_MARK, False):
            unknown = set(obj) - {name for name, _, _ in fields}
            if unknown:
                raise TypeTransformerFailedError(
                    f"the struct has fields its literal type does not declare: {', '.join(sorted(map(str, unknown)))}"
                )
        kwargs: dict[str, Any] = {}
        for name, ftype, f in fields:
            if name not in obj:
                if _has_default(f):
                    continue
                raise TypeTransformerFailedError(
                    f"expected {type_name(t)}, got a struct without the field {name!r} ({type_name(ftype)})"
                )
            try:
                kwargs[name] = from_builtin(obj[name], ftype, ctx)
            except TypeTransformerFailedError as e:
                raise e.at(f".{name}") from e.__cause__
        return t(**kwargs)


def _validation_detail(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        except Exception:
            pass
    return str(error).splitlines()[0]


class _Pydantic(TypeTransformer):
    name = "Pydantic Transformer"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        lt = msgpack_struct_type()
        lt.metadata.update(t.model_json_schema())
        lt.structure.SetInParent()
        for name, info in t.model_fields.items():
            try:
                field_lt = to_literal_type(info.annotation)
            except TypeTransformerFailedError:
                continue
            lt.structure.dataclass_type[name].CopyFrom(field_lt)
        return lt

    def _model(self, value: Any, t: Any) -> Any:
        if isinstance(value, t):
            return value
        if isinstance(value, dict):
            try:
                return t.model_validate(value)
            except Exception as e:  # pydantic.ValidationError
                raise mismatch(t, value, _validation_detail(e)) from None
        raise mismatch(t, value)

    def check(self, value: Any, t: Any) -> None:
        self._model(value, t)

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        return msgpack_literal(self.to_builtin(value, t, ctx))

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        payload = struct_payload_or_none(lit)
        if payload is None:
            raise literal_mismatch(t, lit)
        try:
            return t.model_validate_json(json.dumps(payload), strict=False)
        except Exception as e:
            raise TypeTransformerFailedError(f"expected {type_name(t)}: {_validation_detail(e)}") from None

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        # Through JSON, as flytekit does: enums, datetimes and nested models take their JSON forms.
        return json.loads(self._model(value, t).model_dump_json())

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        try:
            return t.model_validate_json(json.dumps(obj), strict=False)
        except Exception as e:
            raise mismatch(t, obj, _validation_detail(e)) from None


DATACLASS = _Dataclass()
PYDANTIC = _Pydantic()
