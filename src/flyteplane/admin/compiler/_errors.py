"""Compile errors, collected the way Flyte's Go compiler collects them.

The Go compiler (``flytepropeller/pkg/compiler/errors``) never stops at the first problem: every validator reports
into a scope, a scope knows whether anything went wrong *inside it* (so a caller can skip work that depends on a
failed step), and all reports land in one de-duplicated set. The final message lists that set sorted by code and
then by text, so the same bad workflow always produces the same message. :class:`_Errors` is that scope and
:class:`CompileError` the exception carrying the result.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CompileError", "CompileIssue", "ErrorCode"]


class ErrorCode(str, enum.Enum):
    """The codes Flyte's compiler reports; the values are the Go strings, so messages read the same."""

    CYCLE_DETECTED = "CycleDetected"
    BRANCH_NODE_ID_NOT_FOUND = "BranchNodeIdNotFound"
    BRANCH_NODE_HAS_NO_CONDITION = "BranchNodeHasNoCondition"
    BRANCH_NODE_HAS_NO_DEFAULT = "BranchNodeHasNoDefault"
    VALUE_REQUIRED = "ValueRequired"
    INVALID_VALUE = "InvalidValue"
    NODE_REFERENCE_NOT_FOUND = "NodeReferenceNotFound"
    TASK_REFERENCE_NOT_FOUND = "TaskReferenceNotFound"
    WORKFLOW_REFERENCE_NOT_FOUND = "WorkflowReferenceNotFound"
    VARIABLE_NAME_NOT_FOUND = "VariableNameNotFound"
    DUPLICATE_ALIAS = "DuplicateAlias"
    DUPLICATE_NODE_ID = "DuplicateId"
    MISMATCHING_TYPES = "MismatchingTypes"
    MISMATCHING_BINDINGS = "MismatchingBindings"
    PARAMETER_BOUND_MORE_THAN_ONCE = "ParameterBoundMoreThanOnce"
    PARAMETER_NOT_BOUND = "ParameterNotBound"
    UNREACHABLE_NODES = "UnreachableNodes"
    UNRECOGNIZED_VALUE = "UnrecognizedValue"
    SYNTAX_ERROR = "SyntaxError"
    NO_NODES_FOUND = "NoNodesFound"
    ILLEGAL_ENUM_VALUE = "IllegalEnumValue"
    AMBIGUOUS_BINDING_UNION_VALUE = "AmbiguousBindingUnionValue"
    INCOMPATIBLE_BINDING_UNION_VALUE = "IncompatibleBindingUnionValue"
    NO_CONDITION_FOUND = "NoConditionFound"
    FIELD_NOT_FOUND = "FieldNotFound"


@dataclass(frozen=True)
class CompileIssue:
    """One problem: what kind (``code``), where (``node_id``, or a field path for tasks) and what (``description``)."""

    code: ErrorCode
    node_id: str
    description: str

    def __str__(self) -> str:
        # Go's CompileError.Error() without the optional source location.
        return f"Code: {self.code.value}, Node Id: {self.node_id}, Description: {self.description}"


class CompileError(Exception):
    """A task or workflow failed compilation.

    ``errors`` holds one human-readable line per problem (each naming the node or field involved), ``issues`` the
    same as structured :class:`CompileIssue` values. ``str()`` is Go's ``Collected Errors: N`` rendering, which is
    what Flyte Admin embeds in its ``failed to compile workflow ...`` / ``task failed compilation ...`` replies.
    """

    def __init__(self, issues: Iterable[CompileIssue]) -> None:
        # De-duplicate and order like Go's compileErrorSet.List(): by code, then by the full text.
        unique = {(issue.code.value, str(issue)): issue for issue in issues}
        self.issues: tuple[CompileIssue, ...] = tuple(unique[key] for key in sorted(unique))
        self.errors: list[str] = [str(issue) for issue in self.issues]
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [f"Collected Errors: {len(self.issues)}"]
        lines.extend(f"\tError {i}: {text}" for i, text in enumerate(self.errors))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self._render()


class _Errors:
    """A scope of collected issues; reports propagate to every enclosing scope (Go's ``NewScope``)."""

    def __init__(self, parent: _Errors | None = None) -> None:
        self._parent = parent
        self._issues: list[CompileIssue] = [] if parent is None else parent._issues
        self._count = 0

    def scope(self) -> _Errors:
        """A child scope: its ``has_errors`` only sees what was reported inside it."""
        return _Errors(self)

    def add(self, code: ErrorCode, node_id: str, description: str) -> None:
        """Report one issue into this scope (and so into all enclosing ones)."""
        self._issues.append(CompileIssue(code, node_id, description))
        scope: _Errors | None = self
        while scope is not None:
            scope._count += 1
            scope = scope._parent

    @property
    def has_errors(self) -> bool:
        """Whether anything was reported in this scope or its children."""
        return self._count > 0

    def raise_if_any(self) -> None:
        """Raise :class:`CompileError` with everything collected so far, if anything was."""
        if self._issues:
            raise CompileError(self._issues)
