"""``Union[...]``, ``Optional[...]`` and ``X | Y``, encoded as flytekit 1.16 does.

The literal type is a ``union_type`` whose variants are the members' literal types, each with ``structure.tag``
set to the name of the flytekit transformer that handles it (``"int"``, ``"none"``, ``"Typed List"``,
``"Object-Dataclass-Transformer"``...). A value becomes ``Scalar.union``: the member's literal plus the member's
tagged literal type as ``stored_type``.

Choosing the member: every member whose transformer accepts the value is a candidate; with several, the one the
value is exactly an instance of wins (``1`` is an ``int`` in ``int | float``, ``"red"`` a ``str`` in
``str | Color``); if that still leaves several, the value is ambiguous and refused, as in flytekit.

Reading: the member whose tag and literal type match ``stored_type`` is used; failing that, the members whose type
is compatible with it, and for a literal that is not a union at all, every member in order. The first member that
reads the literal wins (flytekit refuses when two could; we take the first).
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._core import (
    Context,
    NoneType,
    TypeTransformer,
    compatible,
    decode,
    from_builtin,
    get_args,
    mismatch,
    pick_variant,
    tagged,
    to_builtin,
    to_literal_type,
    transformer_for,
    type_name,
    union_literal,
)
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["UNION"]


def _member(value: Any, t: Any) -> tuple[Any, TypeTransformer]:
    """The union member ``value`` belongs to, and its transformer."""
    candidates: list[tuple[Any, TypeTransformer]] = []
    for member in get_args(t):
        tr = transformer_for(member)
        try:
            tr.check(value, member)
        except (TypeError, ValueError):  # ours raise TypeTransformerFailedError; registered ones may not
            continue
        candidates.append((member, tr))
    if not candidates:
        raise mismatch(t, value)
    if len(candidates) > 1:
        exact = [(m, tr) for m, tr in candidates if tr.is_exact(value, m)]
        if len(exact) != 1:
            names = ", ".join(type_name(m) for m, _ in candidates)
            raise TypeTransformerFailedError(
                f"ambiguous value for {type_name(t)}: {type(value).__name__} fits {names}; "
                "give a more specific type or make the members distinct"
            )
        candidates = exact
    return candidates[0]


class _Union(TypeTransformer):
    name = "Typed Union"
    handles_unions = True

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        lt = types_pb2.LiteralType()
        variants = lt.union_type.variants
        for member in get_args(t):
            variants.append(tagged(to_literal_type(member), transformer_for(member).name))
        return lt

    def check(self, value: Any, t: Any) -> None:
        _member(value, t)

    def is_exact(self, value: Any, t: Any) -> bool:
        return any(transformer_for(m).is_exact(value, m) for m in get_args(t))

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        member, tr = _member(value, t)
        own = tagged(tr.literal_type(member), tr.name)
        stored = own
        member_expected = None
        if expected is not None and expected.HasField("union_type"):
            variant = pick_variant(own, expected.union_type.variants, tr.name)
            if variant is not None:
                # The declared variant is what readers match against, so store it as declared.
                stored = variant
                member_expected = variant
        elif expected is not None:
            member_expected = expected
        inner = tr.to_literal(value, member, member_expected, ctx)
        return union_literal(inner, stored)

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        members = list(get_args(t))
        if lit.HasField("scalar") and lit.scalar.HasField("union"):
            inner = lit.scalar.union.value
            stored = lit.scalar.union.type
            tag = stored.structure.tag if stored.HasField("structure") else ""
            exact, by_tag, fitting = [], [], []
            for m in members:
                tr = transformer_for(m)
                own = to_literal_type(m)
                if not compatible(stored, own) and not compatible(own, stored):
                    continue
                if tag and tr.name == tag:
                    if tagged(own, tag) == stored:
                        exact.append(m)
                    else:
                        by_tag.append(m)
                else:
                    fitting.append(m)
            order = exact + by_tag + fitting or members
        else:
            inner = lit
            order = members
        first_error: TypeTransformerFailedError | None = None
        for m in order:
            try:
                return decode(inner, m, ctx)
            except TypeTransformerFailedError as e:
                first_error = first_error or e
        if len(order) == 1 and first_error is not None:
            raise first_error
        raise TypeTransformerFailedError(f"expected {type_name(t)}, got a literal that no member can read") from (
            first_error
        )

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        if value is None and NoneType in get_args(t):
            return None
        member, _ = _member(value, t)
        return to_builtin(value, member, ctx)

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        members = get_args(t)
        if obj is None and NoneType in members:
            return None
        for m in members:
            try:
                return from_builtin(obj, m, ctx)
            except TypeTransformerFailedError:
                continue
        raise mismatch(t, obj)


UNION = _Union()
