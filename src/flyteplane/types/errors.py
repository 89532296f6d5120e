"""The type engine's one exception.

A conversion failure says what was expected and what was given, and *where*: containers and dataclasses add
their index, key or field to the location as the error travels out, and the literal-map helpers add the input's
name, so a bad element deep inside an input reads ``input 'x'[1].a: expected int, got str ('a')``.
"""

from __future__ import annotations

from flyteplane.errors import FlyteUserException

__all__ = ["TypeTransformerFailedError"]


class TypeTransformerFailedError(FlyteUserException, TypeError, ValueError):
    """A Python value and a Flyte literal (or literal type) could not be converted into each other.

    It is a ``TypeError`` and a ``ValueError`` (as flytekit's is, so ``except TypeError`` code keeps working) and a
    :class:`~flyteplane.errors.FlyteUserException` (the input has to change, retrying cannot help).

    Attributes:
        reason: what went wrong, without the location (``"expected int, got str ('a')"``).
        location: where, as a path expression (``"input 'x'[1].a"``); empty at the top level.
    """

    def __init__(self, reason: str, *, location: str = "") -> None:
        self.reason = reason
        self.location = location
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.location:
            return self.reason
        where = self.location
        if where[0] in "[.":
            # A bare path such as "[1].a" reads better anchored: "value[1].a: ...".
            where = "value" + where
        return f"{where}: {self.reason}"

    def at(self, segment: str) -> TypeTransformerFailedError:
        """Prefix ``segment`` (``"[1]"``, ``".a"``, ``"['k']"``, ``"input 'x'"``) to the location; returns ``self``.

        Called by each enclosing container as the error propagates, so the outermost segment ends up first.
        """
        self.location = segment + self.location
        self.args = (self._render(),)
        return self
