"""List ordering (``flyteidl.admin.Sort``)."""

from __future__ import annotations

from flyteidl.admin import common_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum

__all__ = ["Sort"]


class Sort(FlyteIdlEntity):
    """Order a list by a column: ``Sort("created_at", Sort.Direction.DESCENDING)``.

    ``Sort.from_python_std("desc(created_at)")`` parses flytectl's and flytekit's text form.
    """

    class Direction(IdlEnum):
        """Sort order; DESCENDING is the protobuf default."""

        DESCENDING = 0
        ASCENDING = 1

    _pb_type = _pb.Sort
    key: Field[str] = Field()
    direction: Field[Sort.Direction] = Field(enum=Direction)

    @classmethod
    def from_python_std(cls, text: str) -> Sort:
        """Parse ``"asc(key)"`` or ``"desc(key)"`` (surrounding spaces allowed).

        Raises:
            ValueError: the text is not in one of those two forms, or the key is empty.
        """
        stripped = text.strip()
        for prefix, direction in (("asc(", Sort.Direction.ASCENDING), ("desc(", Sort.Direction.DESCENDING)):
            if stripped.startswith(prefix) and stripped.endswith(")"):
                key = stripped[len(prefix) : -1].strip()
                if key and "(" not in key and ")" not in key:
                    return cls(key=key, direction=direction)
        raise ValueError(f"cannot parse sort {text!r}: expected 'asc(<key>)' or 'desc(<key>)'")

    def to_python_std(self) -> str:
        """The text form, ``"asc(key)"`` or ``"desc(key)"``."""
        prefix = "asc" if self.direction == Sort.Direction.ASCENDING else "desc"
        return f"{prefix}({self.key})"
