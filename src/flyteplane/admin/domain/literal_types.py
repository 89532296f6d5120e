"""Literal-vs-type checks for launch plan inputs, as Flyte's compiler validators do them.

CreateLaunchPlan checks every default and fixed input: the type a literal *has* (:func:`literal_type_for_literal`,
flytepropeller's ``LiteralTypeForLiteral``; a scalar is typed by the compiler's
:func:`~flyteplane.admin.compiler.literal_type_for_scalar`, as a binding value is) must cast to the type the workflow
*expects*. Castability is the compiler's :func:`~flyteplane.admin.compiler.are_types_castable` (one rule set for
bindings and launch plans): collections and maps by element, unions by unambiguous variant, enums from strings,
blobs by format, structured datasets and schemas by column subset, structs by their JSON schema.
"""

from __future__ import annotations

from collections.abc import Iterable

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.admin.compiler import literal_type_for_scalar
from flyteplane.admin.prototext import go_text

__all__ = ["literal_type_for_literal", "validate_literal_type"]

_SIMPLE = types_pb2.SimpleType

# --- the type of a literal -------------------------------------------------------------------------------------


def _types_of(literals: Iterable[literals_pb2.Literal]) -> types_pb2.LiteralType | None:
    """The element type of a collection or map: the one type all elements share, else a union of them (None when
    some element's type is unknown, which makes the whole literal's type unknown)."""
    inner: dict[str, types_pb2.LiteralType] = {}
    none_type: types_pb2.LiteralType | None = None
    for literal in literals:
        found = literal_type_for_literal(literal)
        if found is None:
            return None
        if literal.WhichOneof("value") == "collection" and not literal.collection.literals:
            none_type = found  # an empty nested collection says nothing about the element type
            continue
        inner.setdefault(go_text(found), found)
    if not inner and none_type is not None:
        return none_type
    if not inner:
        return types_pb2.LiteralType(simple=_SIMPLE.NONE)
    if len(inner) == 1:
        return next(iter(inner.values()))
    variants: list[types_pb2.LiteralType] = []
    nested = False
    for key in sorted(inner):  # sorted, so the same values always produce the same union
        candidate = inner[key]
        if candidate.HasField("collection_type") and candidate.collection_type.HasField("union_type"):
            nested = True
            variants.extend(candidate.collection_type.union_type.variants)
        else:
            variants.append(candidate)
    union = types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=variants))
    return types_pb2.LiteralType(collection_type=union) if nested else union


def literal_type_for_literal(literal: literals_pb2.Literal) -> types_pb2.LiteralType | None:
    """The type a literal carries (None when it carries nothing recognisable)."""
    kind = literal.WhichOneof("value")
    if kind == "scalar":
        return literal_type_for_scalar(literal.scalar)  # one rule set with the compiler's bindings
    if kind == "collection":
        element = _types_of(literal.collection.literals)
        return None if element is None else types_pb2.LiteralType(collection_type=element)
    if kind == "map":
        value = _types_of(literal.map.literals.values())
        return None if value is None else types_pb2.LiteralType(map_value_type=value)
    if kind == "offloaded_metadata":
        return literal.offloaded_metadata.inferred_type
    return None


def validate_literal_type(literal_type: types_pb2.LiteralType | None) -> str | None:
    """Why a literal's type is unusable (a part of it is unknown), or None."""
    while literal_type is not None:
        if literal_type.HasField("collection_type"):
            literal_type = literal_type.collection_type
        elif literal_type.HasField("map_value_type"):
            literal_type = literal_type.map_value_type
        else:
            return None
    return (
        "got unknown literal type: [<nil>].\n"
        "Suggested solution: Please update all your Flyte deployment images to the latest version and try again"
    )
