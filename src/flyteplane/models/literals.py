"""Values (``flyteidl.core.literals``): :class:`Literal` and what it holds, bindings, retry strategy.

Every oneof has a ``value`` property returning whichever variant is set (``Literal.value``, ``Scalar.value``,
``Primitive.value``, ``BindingData.value``).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.core import literals_pb2 as _pb
from google.protobuf.struct_pb2 import Struct

from flyteplane.models._model import Field, FlyteIdlEntity
from flyteplane.models.types import BlobType, Error, LiteralType, OutputReference, SchemaType, StructuredDatasetType

__all__ = [
    "Binary",
    "Binding",
    "BindingData",
    "BindingDataCollection",
    "BindingDataMap",
    "Blob",
    "BlobMetadata",
    "KeyValuePair",
    "Literal",
    "LiteralCollection",
    "LiteralMap",
    "LiteralOffloadedMetadata",
    "Primitive",
    "RetryStrategy",
    "Scalar",
    "Schema",
    "StructuredDataset",
    "StructuredDatasetMetadata",
    "Union",
    "Void",
]


class _OneofValue:
    """Mixin: ``value`` is whichever member of the message's ``value`` oneof is set, read through its Field."""

    __slots__ = ()
    _pb: Any

    @property
    def value(self) -> Any:
        which = self._pb.WhichOneof("value")
        return None if which is None else getattr(self, which)


class RetryStrategy(FlyteIdlEntity):
    """How often to retry a recoverable failure (0: one attempt only): ``RetryStrategy(retries)``."""

    _pb_type = _pb.RetryStrategy
    retries: Field[int] = Field()


class KeyValuePair(FlyteIdlEntity):
    """One ``key=value`` setting (container env and config): ``KeyValuePair(key, value)``."""

    _pb_type = _pb.KeyValuePair
    key: Field[str] = Field()
    value: Field[str] = Field()


class Primitive(FlyteIdlEntity):
    """One primitive value; set exactly one argument.

    ``Primitive(integer=None, float_value=None, string_value=None, boolean=None, datetime=None, duration=None)``.
    A naive ``datetime`` is taken as UTC; reading returns an aware UTC ``datetime``.
    """

    _pb_type = _pb.Primitive
    integer: Field[int | None] = Field()
    float_value: Field[float | None] = Field()
    string_value: Field[str | None] = Field()
    boolean: Field[bool | None] = Field()
    datetime: Field[_dt.datetime | None] = Field()
    duration: Field[_dt.timedelta | None] = Field()

    @property
    def value(self) -> int | float | str | bool | _dt.datetime | _dt.timedelta | None:
        """The value that is set."""
        which = self._pb.WhichOneof("value")
        return None if which is None else getattr(self, which)


class Binary(FlyteIdlEntity):
    """Opaque bytes with a tag saying how to read them: ``Binary(value, tag)``."""

    _pb_type = _pb.Binary
    value: Field[bytes] = Field()
    tag: Field[str] = Field()


class BlobMetadata(FlyteIdlEntity):
    """The type of a blob: ``BlobMetadata(type)``."""

    _pb_type = _pb.BlobMetadata
    type: Field[BlobType] = Field(model=BlobType)


class Blob(FlyteIdlEntity):
    """A file or directory in the blob store: ``Blob(metadata, uri)``."""

    _pb_type = _pb.Blob
    metadata: Field[BlobMetadata] = Field(model=BlobMetadata)
    uri: Field[str] = Field()


class Void(FlyteIdlEntity):
    """The ``None`` value: ``Void()``."""

    _pb_type = _pb.Void


class Schema(FlyteIdlEntity):
    """A legacy FlyteSchema value: ``Schema(uri, type)``."""

    _pb_type = _pb.Schema
    uri: Field[str] = Field()
    type: Field[SchemaType] = Field(model=SchemaType)


class Union(FlyteIdlEntity):
    """A value of a union type, with the variant it was stored as: ``Union(value, stored_type)``."""

    _pb_type = _pb.Union
    value: Field[Literal | None] = Field(model=lambda: Literal)
    stored_type: Field[LiteralType | None] = Field("type", model=LiteralType)


class StructuredDatasetMetadata(FlyteIdlEntity):
    """The type of a structured dataset: ``StructuredDatasetMetadata(structured_dataset_type=None)``."""

    _pb_type = _pb.StructuredDatasetMetadata
    structured_dataset_type: Field[StructuredDatasetType | None] = Field(model=StructuredDatasetType)


class StructuredDataset(FlyteIdlEntity):
    """A dataframe-like value in the blob store: ``StructuredDataset(uri, metadata=None)``."""

    _pb_type = _pb.StructuredDataset
    uri: Field[str] = Field()
    metadata: Field[StructuredDatasetMetadata | None] = Field(model=StructuredDatasetMetadata)


class Scalar(_OneofValue, FlyteIdlEntity):
    """A single value; set exactly one argument.

    ``Scalar(primitive=None, blob=None, binary=None, schema=None, union=None, none_type=None, error=None,
    generic=None, structured_dataset=None)``. ``generic`` is a ``google.protobuf.Struct`` (a dict is accepted).
    """

    _pb_type = _pb.Scalar
    primitive: Field[Primitive | None] = Field(model=Primitive)
    blob: Field[Blob | None] = Field(model=Blob)
    binary: Field[Binary | None] = Field(model=Binary)
    schema: Field[Schema | None] = Field(model=Schema)
    union: Field[Union | None] = Field(model=Union)
    none_type: Field[Void | None] = Field(model=Void)
    error: Field[Error | None] = Field(model=Error)
    # flytekit hands out the Struct itself, and the type engine reads it as one.
    generic: Field[Struct | None] = Field(raw=True)
    structured_dataset: Field[StructuredDataset | None] = Field(model=StructuredDataset)


class LiteralOffloadedMetadata(FlyteIdlEntity):
    """Where a literal too big to inline was stored.

    ``LiteralOffloadedMetadata(uri=None, size_bytes=None, inferred_type=None)``.
    """

    _pb_type = _pb.LiteralOffloadedMetadata
    uri: Field[str] = Field()
    size_bytes: Field[int] = Field()
    inferred_type: Field[LiteralType | None] = Field(model=LiteralType)


class LiteralCollection(FlyteIdlEntity):
    """A list of literals: ``LiteralCollection(literals)``."""

    _pb_type = _pb.LiteralCollection
    literals: Field[list[Literal]] = Field(model=lambda: Literal)


class LiteralMap(FlyteIdlEntity):
    """Named literals (inputs, outputs): ``LiteralMap({"x": Literal(...)})``."""

    _pb_type = _pb.LiteralMap
    literals: Field[dict[str, Literal]] = Field(model=lambda: Literal)


class Literal(_OneofValue, FlyteIdlEntity):
    """Any Flyte value.

    ``Literal(scalar=None, collection=None, map=None, hash=None, metadata=None, offloaded_metadata=None)``; set
    one of scalar, collection, map or offloaded_metadata.
    """

    _pb_type = _pb.Literal
    scalar: Field[Scalar | None] = Field(model=Scalar)
    collection: Field[LiteralCollection | None] = Field(model=LiteralCollection)
    map: Field[LiteralMap | None] = Field(model=LiteralMap)
    hash: Field[str] = Field()
    metadata: Field[dict[str, str]] = Field()
    offloaded_metadata: Field[LiteralOffloadedMetadata | None] = Field(model=LiteralOffloadedMetadata)


class BindingDataCollection(FlyteIdlEntity):
    """A list of bindings: ``BindingDataCollection(bindings)``."""

    _pb_type = _pb.BindingDataCollection
    bindings: Field[list[BindingData]] = Field(model=lambda: BindingData)


class BindingDataMap(FlyteIdlEntity):
    """Named bindings: ``BindingDataMap(bindings)``."""

    _pb_type = _pb.BindingDataMap
    bindings: Field[dict[str, BindingData]] = Field(model=lambda: BindingData)


class BindingData(_OneofValue, FlyteIdlEntity):
    """A static value or a promise of another node's output; set exactly one.

    ``BindingData(scalar=None, collection=None, promise=None, map=None, offloaded_metadata=None, union=None)``.
    ``union`` (a ``flyteidl.core.UnionInfo``) tells which union variant the value targets.
    """

    _pb_type = _pb.BindingData
    scalar: Field[Scalar | None] = Field(model=Scalar)
    collection: Field[BindingDataCollection | None] = Field(model=BindingDataCollection)
    promise: Field[OutputReference | None] = Field(model=OutputReference)
    map: Field[BindingDataMap | None] = Field(model=BindingDataMap)
    offloaded_metadata: Field[LiteralOffloadedMetadata | None] = Field(model=LiteralOffloadedMetadata)
    union: Field[Any] = Field()


class Binding(FlyteIdlEntity):
    """Input or output ``var`` bound to data: ``Binding(var, binding)``."""

    _pb_type = _pb.Binding
    var: Field[str] = Field()
    binding: Field[BindingData] = Field(model=BindingData)
