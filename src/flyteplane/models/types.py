"""Flyte's type system (``flyteidl.core.types``): :class:`LiteralType` and the types it is built from.

``flyteplane.models.core.types`` re-exports everything here, as flytekit splits these across both paths.
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import types_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum

__all__ = [
    "BlobType",
    "EnumType",
    "Error",
    "LiteralType",
    "OutputReference",
    "SchemaType",
    "SimpleType",
    "StructuredDatasetType",
    "TypeAnnotation",
    "TypeStructure",
    "UnionType",
]


class SimpleType(IdlEnum):
    """The primitive types (``flyteidl.core.SimpleType``)."""

    NONE = 0
    INTEGER = 1
    FLOAT = 2
    STRING = 3
    BOOLEAN = 4
    DATETIME = 5
    DURATION = 6
    BINARY = 7
    ERROR = 8
    STRUCT = 9


class SchemaType(FlyteIdlEntity):
    """A tabular schema (the legacy FlyteSchema): ``SchemaType(columns)``."""

    class SchemaColumn(FlyteIdlEntity):
        """One column: ``SchemaColumn(name, type)``."""

        class SchemaColumnType(IdlEnum):
            """The column types a schema supports."""

            INTEGER = 0
            FLOAT = 1
            STRING = 2
            BOOLEAN = 3
            DATETIME = 4
            DURATION = 5

        _pb_type = _pb.SchemaType.SchemaColumn
        name: Field[str] = Field()
        type: Field[SchemaType.SchemaColumn.SchemaColumnType] = Field(enum=SchemaColumnType)

    _pb_type = _pb.SchemaType
    columns: Field[list[SchemaType.SchemaColumn]] = Field(model=SchemaColumn)


class BlobType(FlyteIdlEntity):
    """A file or directory: ``BlobType(format, dimensionality)``."""

    class BlobDimensionality(IdlEnum):
        """A single file or a multipart directory."""

        SINGLE = 0
        MULTIPART = 1

    _pb_type = _pb.BlobType
    format: Field[str] = Field()
    dimensionality: Field[BlobType.BlobDimensionality] = Field(enum=BlobDimensionality)


class EnumType(FlyteIdlEntity):
    """A string enum: ``EnumType(values)``."""

    _pb_type = _pb.EnumType
    values: Field[list[str]] = Field()


class UnionType(FlyteIdlEntity):
    """A tagged union of types: ``UnionType(variants)``."""

    _pb_type = _pb.UnionType
    variants: Field[list[LiteralType]] = Field(model=lambda: LiteralType)


class TypeStructure(FlyteIdlEntity):
    """A type's tag and, for dataclasses, its fields' types: ``TypeStructure(tag, dataclass_type=None)``."""

    _pb_type = _pb.TypeStructure
    tag: Field[str] = Field()
    dataclass_type: Field[dict[str, LiteralType]] = Field(model=lambda: LiteralType)


class TypeAnnotation(FlyteIdlEntity):
    """Free-form annotations of a type, kept as a Struct: ``TypeAnnotation(annotations)``."""

    _pb_type = _pb.TypeAnnotation
    annotations: Field[dict[str, Any] | None] = Field()


class StructuredDatasetType(FlyteIdlEntity):
    """A dataframe-like type.

    ``StructuredDatasetType(columns=None, format="", external_schema_type=None, external_schema_bytes=None)``.
    """

    class DatasetColumn(FlyteIdlEntity):
        """One column: ``DatasetColumn(name, literal_type)``."""

        _pb_type = _pb.StructuredDatasetType.DatasetColumn
        name: Field[str] = Field()
        literal_type: Field[LiteralType | None] = Field(model=lambda: LiteralType)

    _pb_type = _pb.StructuredDatasetType
    columns: Field[list[StructuredDatasetType.DatasetColumn]] = Field(model=DatasetColumn)
    format: Field[str] = Field()
    external_schema_type: Field[str] = Field()
    external_schema_bytes: Field[bytes] = Field()


class LiteralType(FlyteIdlEntity):
    """The type of a value: exactly one of simple, schema, collection_type, ... is set.

    ``LiteralType(simple=None, schema=None, collection_type=None, map_value_type=None, blob=None, enum_type=None,
    union_type=None, structured_dataset_type=None, metadata=None, structure=None, annotation=None)``
    """

    _pb_type = _pb.LiteralType
    simple: Field[SimpleType | None] = Field(enum=SimpleType)
    schema: Field[SchemaType | None] = Field(model=SchemaType)
    collection_type: Field[LiteralType | None] = Field(model=lambda: LiteralType)
    map_value_type: Field[LiteralType | None] = Field(model=lambda: LiteralType)
    blob: Field[BlobType | None] = Field(model=BlobType)
    enum_type: Field[EnumType | None] = Field(model=EnumType)
    union_type: Field[UnionType | None] = Field(model=UnionType)
    structured_dataset_type: Field[StructuredDatasetType | None] = Field(model=StructuredDatasetType)
    metadata: Field[dict[str, Any] | None] = Field()
    structure: Field[TypeStructure | None] = Field(model=TypeStructure)
    annotation: Field[TypeAnnotation | None] = Field(model=TypeAnnotation)

    @property
    def type(self) -> SimpleType | FlyteIdlEntity | None:
        """Whichever variant of the type is set."""
        which = self._pb.WhichOneof("type")
        return None if which is None else getattr(self, which)


class _AttrPathField(Field[list[Any]]):
    """``OutputReference.attr_path`` as plain keys and indices (``["a", 0]``), not PromiseAttribute messages."""

    __slots__ = ()

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return [getattr(p, p.WhichOneof("value") or "string_value") for p in instance._pb.attr_path]

    def write(self, pb: Any, value: Any) -> None:
        if value is None:
            return
        for item in value:
            if isinstance(item, _pb.PromiseAttribute):
                pb.attr_path.add().CopyFrom(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                pb.attr_path.add(int_value=item)
            elif isinstance(item, str):
                pb.attr_path.add(string_value=item)
            else:
                raise TypeError(f"OutputReference.attr_path: expected str or int, got {item!r}")


class OutputReference(FlyteIdlEntity):
    """A promise: output ``var`` of node ``node_id``: ``OutputReference(node_id, var, attr_path=None)``.

    ``attr_path`` selects into the output (dict keys as ``str``, list indices as ``int``).
    """

    _pb_type = _pb.OutputReference
    node_id: Field[str] = Field()
    var: Field[str] = Field()
    attr_path = _AttrPathField()


class Error(FlyteIdlEntity):
    """A failure raised by a branch node: ``Error(failed_node_id, message)``."""

    _pb_type = _pb.Error
    failed_node_id: Field[str] = Field()
    message: Field[str] = Field()
