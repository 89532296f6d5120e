"""Deciding which case of a branch node runs (propeller's branch evaluator and comparator).

A branch node's ``if_else`` holds a first case, ``other`` cases and either an ``else_node`` or an ``error``
(flytekit's ``.else_().fail(...)``). Each case's condition is a ``BooleanExpression``: a comparison of two
operands (a literal primitive or scalar, or ``var``: one of the branch node's resolved inputs, named after the
promise such as ``n0.o0``), or a conjunction (AND/OR) of two expressions. The first case that holds is taken.

Comparisons follow propeller: both sides must be primitives of the same kind (or none, for ``is_none()``), booleans
only compare for (in)equality, datetimes and durations compare by whole seconds. Failures raise
:class:`BranchError` with propeller's codes (``MalformedBranchUserError``, ``UserProvidedError``); the node then
fails with kind USER and the message ``[<code>] <message>``.
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import condition_pb2, literals_pb2, workflow_pb2

__all__ = ["MALFORMED_BRANCH", "USER_PROVIDED_ERROR", "BranchError", "decide_branch", "evaluate"]

MALFORMED_BRANCH = "MalformedBranchUserError"
USER_PROVIDED_ERROR = "UserProvidedError"

_Cmp = condition_pb2.ComparisonExpression
_ORDERED = {"integer", "float_value", "string_value", "datetime", "duration"}


class BranchError(Exception):
    """The branch cannot be decided: ``code`` is propeller's error code, ``str()`` its ``[code] message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code


def decide_branch(if_else: workflow_pb2.IfElseBlock, inputs: literals_pb2.LiteralMap) -> workflow_pb2.Node:
    """The node of the first case whose condition holds, else the else node; raises :class:`BranchError` when
    nothing matches (with the user's message for ``else_().fail(...)``) or a condition cannot be evaluated."""
    cases = [if_else.case, *if_else.other]
    for case in cases:
        if evaluate(case.condition, inputs):
            return case.then_node
    if if_else.HasField("else_node"):
        return if_else.else_node
    if if_else.HasField("error"):
        raise BranchError(USER_PROVIDED_ERROR, if_else.error.message)
    raise BranchError(MALFORMED_BRANCH, "No branch satisfied")


def evaluate(expr: condition_pb2.BooleanExpression, inputs: literals_pb2.LiteralMap) -> bool:
    """The truth of a boolean expression over the branch node's inputs."""
    kind = expr.WhichOneof("expr")
    if kind == "comparison":
        return _compare(expr.comparison, inputs)
    if kind == "conjunction":
        conj = expr.conjunction
        left = evaluate(conj.left_expression, inputs)
        right = evaluate(conj.right_expression, inputs)
        if conj.operator == condition_pb2.ConjunctionExpression.OR:
            return left or right
        return left and right
    raise BranchError(MALFORMED_BRANCH, "No Comparison or Conjunction found in Branch node expression.")


def _operand(operand: condition_pb2.Operand, inputs: literals_pb2.LiteralMap, side: str) -> Any:
    """The primitive an operand stands for, or None for a none value."""
    kind = operand.WhichOneof("val")
    if kind == "primitive":
        return operand.primitive
    if kind == "var":
        if operand.var not in inputs.literals:
            raise BranchError(MALFORMED_BRANCH, f"Failed to find Value for Variable [{operand.var}]")
        return _primitive_of(inputs.literals[operand.var], side)
    if kind == "scalar":
        return _primitive_of(literals_pb2.Literal(scalar=operand.scalar), side)
    raise BranchError(MALFORMED_BRANCH, f"the {side} operand of a comparison has no value")


def _primitive_of(literal: literals_pb2.Literal, side: str) -> Any:
    # Optional[...] values arrive as union literals: what is compared is the value inside.
    while literal.WhichOneof("value") == "scalar" and literal.scalar.WhichOneof("value") == "union":
        literal = literal.scalar.union.value
    if literal.WhichOneof("value") == "scalar":
        scalar_kind = literal.scalar.WhichOneof("value")
        if scalar_kind == "primitive":
            return literal.scalar.primitive
        if scalar_kind == "none_type":
            return None
    raise BranchError(MALFORMED_BRANCH, f"Only primitives can be compared. {side} Variable is non primitive.")


def _key(primitive: literals_pb2.Primitive, kind: str) -> Any:
    if kind in ("datetime", "duration"):
        # Propeller compares whole seconds only.
        return getattr(primitive, kind).seconds
    return getattr(primitive, kind)


def _compare(cmp: condition_pb2.ComparisonExpression, inputs: literals_pb2.LiteralMap) -> bool:
    left = _operand(cmp.left_value, inputs, "LHS")
    right = _operand(cmp.right_value, inputs, "RHS")
    op = cmp.operator
    if left is None or right is None:
        if op == _Cmp.EQ:
            return left is None and right is None
        if op == _Cmp.NEQ:
            return not (left is None and right is None)
        raise BranchError(
            MALFORMED_BRANCH,
            f"Comparison between nil and non-nil values with operator [{_Cmp.Operator.Name(op)}] is not supported.",
        )
    left_kind, right_kind = left.WhichOneof("value"), right.WhichOneof("value")
    if left_kind != right_kind:
        raise BranchError(
            MALFORMED_BRANCH, f"Comparison between different primitives types. lVal[{left_kind}]:rVal[{right_kind}]"
        )
    if left_kind is None:
        raise BranchError(MALFORMED_BRANCH, "Comparison of empty primitives is not supported.")
    lhs, rhs = _key(left, left_kind), _key(right, right_kind)
    if op == _Cmp.EQ:
        return bool(lhs == rhs)
    if op == _Cmp.NEQ:
        return bool(lhs != rhs)
    if left_kind not in _ORDERED:
        raise BranchError(MALFORMED_BRANCH, f"[{_Cmp.Operator.Name(op)}] not defined for boolean operands.")
    if op == _Cmp.GT:
        return bool(lhs > rhs)
    if op == _Cmp.GTE:
        return bool(lhs >= rhs)
    if op == _Cmp.LT:
        return bool(lhs < rhs)
    if op == _Cmp.LTE:
        return bool(lhs <= rhs)
    raise BranchError(MALFORMED_BRANCH, "Unsupported operator type in Propeller. System error.")
