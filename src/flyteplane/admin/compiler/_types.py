"""Flyte's type-compatibility rules: may a value of one ``LiteralType`` flow into a variable of another?

These are the rules of the Go compiler's ``validators/typing.go`` (``AreTypesCastable``), restated in Python:

* simple types, enums and everything without a dedicated rule must be equal once ``metadata``, ``annotation`` and
  ``structure`` are ignored; a type carrying a ``structure.tag`` only flows into a type with the same tag;
* an enum flows into ``STRING`` and ``STRING`` into an enum (enums are constrained strings);
* ``STRUCT`` into ``STRUCT``: compatible when either side has no JSON schema in ``metadata``, when the schemas are
  identical, or when the upstream schema provides every property the downstream one requires (a loose version of
  Go's JSON-schema comparison);
* collections and maps compare their element types; an element type of ``NONE`` (an empty literal) fits any;
* blobs need equal formats unless either format is empty;
* schemas and structured datasets: formats must agree (empty matches anything, schemas are parquet) and the
  downstream columns must be a subset of the upstream ones with matching types;
* unions: a union upstream needs every variant to fit some downstream variant; anything else must fit exactly one
  variant (so ``NONE`` fits ``Optional[...]``); a single-variant union upstream may stand for its variant;
* ``NONE`` downstream only accepts ``NONE``; structured datasets also accept ``NONE`` (they are nullable).
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import json_format

__all__ = ["are_types_castable", "is_none_type", "literal_type_for_primitive", "literal_type_for_scalar"]

_Simple = types_pb2.SimpleType


def is_none_type(t: types_pb2.LiteralType | None) -> bool:
    """Whether ``t`` is the simple ``NONE`` type (the type of an empty or ``None`` literal)."""
    return t is not None and t.WhichOneof("type") == "simple" and t.simple == _Simple.NONE


def _tag(t: types_pb2.LiteralType) -> str:
    return t.structure.tag if t.HasField("structure") else ""


def are_types_castable(upstream: types_pb2.LiteralType | None, downstream: types_pb2.LiteralType | None) -> bool:
    """Whether a value of type ``upstream`` may be bound to a variable of type ``downstream``."""
    if upstream is None or downstream is None:
        return False
    # A single-variant union upstream stands for its only variant (that is how union scalars report their type).
    variants = upstream.union_type.variants if upstream.WhichOneof("type") == "union_type" else []
    if len(variants) == 1 and _casts_from(downstream, variants[0]):
        return True
    return _casts_from(downstream, upstream)


def _casts_from(downstream: types_pb2.LiteralType, upstream: types_pb2.LiteralType) -> bool:
    """Dispatch on the downstream type, like Go's ``getTypeChecker(downstream).CastsFrom(upstream)``."""
    kind = downstream.WhichOneof("type")
    if kind == "collection_type":
        if not upstream.HasField("collection_type"):
            return False
        # An empty collection literal has element type NONE and fits any collection.
        return is_none_type(upstream.collection_type) or _casts_from(
            downstream.collection_type, upstream.collection_type
        )
    if kind == "map_value_type":
        if not upstream.HasField("map_value_type"):
            return False
        return is_none_type(upstream.map_value_type) or _casts_from(downstream.map_value_type, upstream.map_value_type)
    if kind == "blob":
        if not upstream.HasField("blob"):
            return False
        if not upstream.blob.format or not downstream.blob.format:
            return True
        return upstream.blob.format == downstream.blob.format
    if kind == "schema":
        return _schema_casts_from(downstream.schema, upstream)
    if kind == "union_type":
        return _union_casts_from(downstream.union_type, upstream)
    if kind == "structured_dataset_type":
        return _structured_dataset_casts_from(downstream.structured_dataset_type, upstream)
    if is_none_type(downstream):
        return is_none_type(upstream)
    return _trivial_casts_from(downstream, upstream)


def _trivial_casts_from(downstream: types_pb2.LiteralType, upstream: types_pb2.LiteralType) -> bool:
    # Enums are constrained strings: either direction is allowed.
    if upstream.HasField("enum_type") and _is_simple(downstream, _Simple.STRING):
        return True
    if downstream.HasField("enum_type") and _is_simple(upstream, _Simple.STRING):
        return True
    if _tag(upstream) and _tag(downstream) != _tag(upstream):
        return False
    if _is_simple(upstream, _Simple.STRUCT) and _is_simple(downstream, _Simple.STRUCT):
        # Dataclasses / pydantic models carry their JSON schema in metadata. Old flytekits did not always write
        # one, so a missing schema on either side is accepted (Go does the same for reference tasks).
        if not upstream.HasField("metadata") or not downstream.HasField("metadata"):
            return True
        up_schema = json_format.MessageToDict(upstream.metadata)
        down_schema = json_format.MessageToDict(downstream.metadata)
        return up_schema == down_schema or _json_schema_provides(up_schema, down_schema, up_schema, down_schema)
    # Everything else must be identical, ignoring the descriptive parts.
    up, down = types_pb2.LiteralType(), types_pb2.LiteralType()
    up.CopyFrom(upstream)
    down.CopyFrom(downstream)
    for t in (up, down):
        t.ClearField("metadata")
        t.ClearField("annotation")
        t.ClearField("structure")
    return up == down


def _is_simple(t: types_pb2.LiteralType, simple: int) -> bool:
    return t.WhichOneof("type") == "simple" and t.simple == simple


def _union_casts_from(union: types_pb2.UnionType, upstream: types_pb2.LiteralType) -> bool:
    if upstream.HasField("union_type"):
        # Every upstream variant must fit somewhere downstream.
        return all(any(are_types_castable(u, d) for d in union.variants) for u in upstream.union_type.variants)
    # Otherwise exactly one variant must accept it, so the value's variant is unambiguous.
    return sum(1 for variant in union.variants if are_types_castable(upstream, variant)) == 1


def _schema_casts_from(downstream: types_pb2.SchemaType, upstream: types_pb2.LiteralType) -> bool:
    if upstream.HasField("schema"):
        return _columns_subset(
            {c.name: c.type for c in upstream.schema.columns},
            [(c.name, c.type) for c in downstream.columns],
            lambda up, down: up == down,
        )
    if upstream.HasField("structured_dataset_type"):
        sd = upstream.structured_dataset_type
        # A FlyteSchema can only be read from parquet.
        if sd.format and sd.format.lower() != "parquet":
            return False
        return _columns_subset(
            {c.name: c.literal_type.simple for c in sd.columns},
            [(c.name, c.type) for c in downstream.columns],
            lambda up, down: _schema_column_matches(down, up),
        )
    return False


def _structured_dataset_casts_from(
    downstream: types_pb2.StructuredDatasetType, upstream: types_pb2.LiteralType
) -> bool:
    if is_none_type(upstream):  # structured datasets are nullable
        return True
    if upstream.HasField("schema"):
        if downstream.format and downstream.format.lower() != "parquet":
            return False
        return _columns_subset(
            {c.name: c.type for c in upstream.schema.columns},
            [(c.name, c.literal_type.simple) for c in downstream.columns],
            lambda up, down: _schema_column_matches(up, down),
        )
    if upstream.HasField("structured_dataset_type"):
        sd = upstream.structured_dataset_type
        # An empty format means "any"; see flyteorg/flyte#2864.
        if sd.format and downstream.format and sd.format.lower() != downstream.format.lower():
            return False
        return _columns_subset(
            {c.name: c.literal_type for c in sd.columns},
            [(c.name, c.literal_type) for c in downstream.columns],
            lambda up, down: _casts_from(down, up),
        )
    return False


def _columns_subset(upstream: dict[str, Any], downstream: list[tuple[str, Any]], matches: Any) -> bool:
    """Untyped (column-less) datasets match anything; otherwise downstream columns must exist upstream and match."""
    if not upstream or not downstream:
        return True
    return all(name in upstream and matches(upstream[name], down) for name, down in downstream)


_SCHEMA_COLUMN_TO_SIMPLE = {
    types_pb2.SchemaType.SchemaColumn.INTEGER: _Simple.INTEGER,
    types_pb2.SchemaType.SchemaColumn.FLOAT: _Simple.FLOAT,
    types_pb2.SchemaType.SchemaColumn.STRING: _Simple.STRING,
    types_pb2.SchemaType.SchemaColumn.BOOLEAN: _Simple.BOOLEAN,
    types_pb2.SchemaType.SchemaColumn.DATETIME: _Simple.DATETIME,
    types_pb2.SchemaType.SchemaColumn.DURATION: _Simple.DURATION,
}


def _schema_column_matches(schema_column_type: int, simple: int) -> bool:
    return _SCHEMA_COLUMN_TO_SIMPLE.get(schema_column_type) == simple


def _json_schema_provides(up: Any, down: Any, up_root: Any, down_root: Any, depth: int = 0) -> bool:
    """Loosely: can data valid under JSON schema ``up`` be used where ``down`` is expected?

    Go compares the two schemas with a JSON-schema subset checker. This keeps the part that matters for dataclasses
    and pydantic models: the declared ``type`` must agree, every property ``down`` requires must be provided by
    ``up`` with a compatible schema, and array items must be compatible. ``$ref``\\ s are resolved within each
    document; anything this does not understand is accepted rather than rejected.
    """
    if depth > 32:  # self-referencing models: give up and accept
        return True
    up, down = _resolve_ref(up, up_root), _resolve_ref(down, down_root)
    if not isinstance(up, dict) or not isinstance(down, dict):
        return True
    if "type" in up and "type" in down and up["type"] != down["type"]:
        return False
    up_props = up.get("properties")
    down_props = down.get("properties")
    if isinstance(down_props, dict):
        up_props = up_props if isinstance(up_props, dict) else {}
        required = down.get("required")
        required = required if isinstance(required, list) else []
        for name, down_prop in down_props.items():
            if name not in up_props:
                if name in required:
                    return False
                continue
            if not _json_schema_provides(up_props[name], down_prop, up_root, down_root, depth + 1):
                return False
    if "items" in up and "items" in down:
        return _json_schema_provides(up["items"], down["items"], up_root, down_root, depth + 1)
    return True


def _resolve_ref(schema: Any, root: Any) -> Any:
    """Follow a local ``$ref`` like ``#/$defs/Inner`` (mashumaro and pydantic both emit these)."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            if not isinstance(target, dict) or part not in target:
                return schema
            target = target[part]
        schema = target
        seen += 1
    return schema


def literal_type_for_primitive(primitive: literals_pb2.Primitive) -> types_pb2.LiteralType:
    """The simple type of a primitive value (an unset primitive counts as ``NONE``)."""
    kind = primitive.WhichOneof("value")
    simple = {
        "integer": _Simple.INTEGER,
        "float_value": _Simple.FLOAT,
        "string_value": _Simple.STRING,
        "boolean": _Simple.BOOLEAN,
        "datetime": _Simple.DATETIME,
        "duration": _Simple.DURATION,
    }.get(kind or "", _Simple.NONE)
    return types_pb2.LiteralType(simple=simple)


def literal_type_for_scalar(scalar: literals_pb2.Scalar) -> types_pb2.LiteralType | None:
    """The type a scalar binding value has, or ``None`` when it cannot be told (e.g. a blob without metadata)."""
    kind = scalar.WhichOneof("value")
    if kind == "primitive":
        return literal_type_for_primitive(scalar.primitive)
    if kind == "blob":
        if not scalar.blob.HasField("metadata"):
            return None
        return types_pb2.LiteralType(blob=scalar.blob.metadata.type)
    if kind == "binary":
        # flytekit 1.14+ sends dataclasses and pydantic models as msgpack binaries; Flyte 1.16 types them STRUCT.
        if scalar.binary.tag == "msgpack":
            return types_pb2.LiteralType(simple=_Simple.STRUCT)
        return types_pb2.LiteralType(simple=_Simple.BINARY)
    if kind == "schema":
        return types_pb2.LiteralType(schema=scalar.schema.type)
    if kind == "structured_dataset":
        sd = scalar.structured_dataset
        if not sd.HasField("metadata"):
            return types_pb2.LiteralType(structured_dataset_type=types_pb2.StructuredDatasetType())
        return types_pb2.LiteralType(structured_dataset_type=sd.metadata.structured_dataset_type)
    if kind == "none_type":
        return types_pb2.LiteralType(simple=_Simple.NONE)
    if kind == "error":
        return types_pb2.LiteralType(simple=_Simple.ERROR)
    if kind == "generic":
        return types_pb2.LiteralType(simple=_Simple.STRUCT)
    if kind == "union":
        # The value knows which variant it is; report it as a one-variant union (see are_types_castable).
        return types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=[scalar.union.type]))
    return None
