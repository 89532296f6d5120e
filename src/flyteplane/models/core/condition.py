"""Branch conditions (``flyteidl.core.condition``): boolean expressions over operands."""

from __future__ import annotations

from flyteidl.core import condition_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.literals import Primitive, Scalar

__all__ = ["BooleanExpression", "ComparisonExpression", "ConjunctionExpression", "Operand"]


class Operand(FlyteIdlEntity):
    """A constant or an input variable: ``Operand(primitive=None, var=None, scalar=None)``; set exactly one."""

    _pb_type = _pb.Operand
    primitive: Field[Primitive | None] = Field(model=Primitive)
    var: Field[str | None] = Field()
    scalar: Field[Scalar | None] = Field(model=Scalar)

    @property
    def val(self) -> Primitive | str | Scalar | None:
        """Whichever of primitive, var or scalar is set."""
        which = self._pb.WhichOneof("val")
        return None if which is None else getattr(self, which)


class ComparisonExpression(FlyteIdlEntity):
    """``left_value <operator> right_value``: ``ComparisonExpression(operator, left_value, right_value)``."""

    class Operator(IdlEnum):
        """The comparison."""

        EQ = 0
        NEQ = 1
        GT = 2
        GTE = 3
        LT = 4
        LTE = 5

    _pb_type = _pb.ComparisonExpression
    operator: Field[ComparisonExpression.Operator] = Field(enum=Operator)
    left_value: Field[Operand | None] = Field(model=Operand)
    right_value: Field[Operand | None] = Field(model=Operand)


class ConjunctionExpression(FlyteIdlEntity):
    """Two expressions joined by AND or OR: ``ConjunctionExpression(operator, left_expression, right_expression)``."""

    class LogicalOperator(IdlEnum):
        """The connective."""

        AND = 0
        OR = 1

    _pb_type = _pb.ConjunctionExpression
    operator: Field[ConjunctionExpression.LogicalOperator] = Field(enum=LogicalOperator)
    left_expression: Field[BooleanExpression | None] = Field(model=lambda: BooleanExpression)
    right_expression: Field[BooleanExpression | None] = Field(model=lambda: BooleanExpression)


class BooleanExpression(FlyteIdlEntity):
    """A comparison or a conjunction: ``BooleanExpression(conjunction=None, comparison=None)``."""

    _pb_type = _pb.BooleanExpression
    conjunction: Field[ConjunctionExpression | None] = Field(model=ConjunctionExpression)
    comparison: Field[ComparisonExpression | None] = Field(model=ComparisonExpression)

    @property
    def expr(self) -> ConjunctionExpression | ComparisonExpression | None:
        """Whichever of conjunction or comparison is set."""
        which = self._pb.WhichOneof("expr")
        return None if which is None else getattr(self, which)
