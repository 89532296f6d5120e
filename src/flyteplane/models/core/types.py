"""Flyte's type system at flytekit's other path; everything is defined in :mod:`flyteplane.models.types`."""

from __future__ import annotations

from flyteplane.models.types import (
    BlobType,
    EnumType,
    Error,
    LiteralType,
    OutputReference,
    SchemaType,
    SimpleType,
    StructuredDatasetType,
    TypeAnnotation,
    TypeStructure,
    UnionType,
)

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
