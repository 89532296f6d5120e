"""List filters in Flyte Admin's text form: ``eq(version,abc)``, ``value_in(phase,RUNNING;QUEUED)``.

Filters are not protobuf messages: the list requests carry them as one string, the filters of a
:class:`FilterList` joined by ``+`` (all must hold). ``to_flyte_idl()`` returns that text, as in flytekit.

=======================  ==================  =====================================
class                    function            value
=======================  ==================  =====================================
:class:`Equal`           ``eq``              one value
:class:`NotEqual`        ``ne``              one value
:class:`GreaterThan`     ``gt``              one value
:class:`GreaterThanOrEqual` ``gte``          one value
:class:`LessThan`        ``lt``              one value
:class:`LessThanOrEqual` ``lte``             one value
:class:`NotLike`         ``not_like``        a SQL ``LIKE`` pattern
:class:`Contains`        ``contains``        values, joined by ``;``
:class:`ValueIn`         ``value_in``        values, joined by ``;``
:class:`ValueNotIn`      ``value_not_in``    values, joined by ``;``
=======================  ==================  =====================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

__all__ = [
    "Contains",
    "Equal",
    "Filter",
    "FilterList",
    "GreaterThan",
    "GreaterThanOrEqual",
    "LessThan",
    "LessThanOrEqual",
    "NotEqual",
    "NotLike",
    "SetFilter",
    "ValueIn",
    "ValueNotIn",
]

# Filled as the concrete classes are defined: function name -> class.
_BY_FUNCTION: dict[str, type[Filter]] = {}


class Filter:
    """One condition on a column: ``Equal("version", "abc")``. Build one from text with :meth:`from_python_std`.

    ``Filter`` itself only parses; construct one of its subclasses.
    """

    __slots__ = ("_key", "_value")
    _comparator: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls._comparator:
            _BY_FUNCTION[cls._comparator] = cls

    def __init__(self, key: str, value: Any) -> None:
        if not type(self)._comparator:
            raise TypeError(
                f"{type(self).__name__} has no filter function: use Equal, ValueIn, ... or Filter.from_python_std()"
            )
        if not isinstance(key, str) or not key:
            raise ValueError(f"a filter needs a non-empty column name, got {key!r}")
        self._key = key
        self._value = str(value)

    @property
    def key(self) -> str:
        """The column compared."""
        return self._key

    @property
    def value(self) -> str:
        """The value as sent (for set filters, the values joined by ``;``)."""
        return self._value

    @property
    def function(self) -> str:
        """The filter function's name, e.g. ``eq``."""
        return type(self)._comparator

    def to_flyte_idl(self) -> str:
        """The text Flyte Admin parses: ``function(key,value)``."""
        return f"{type(self)._comparator}({self._key},{self._value})"

    to_python_std = to_flyte_idl

    @classmethod
    def from_flyte_idl(cls, text: str) -> Filter:
        """Same as :meth:`from_python_std` (a filter's wire form is its text)."""
        return Filter.from_python_std(text)

    @classmethod
    def from_python_std(cls, text: str) -> Filter:
        """Parse ``"function(key,value)"`` into the matching subclass.

        Set functions (``contains``, ``value_in``, ``value_not_in``) split the value on ``;``. Spaces around the
        key and the value are dropped. The key ends at the first comma; the value is the rest.

        Raises:
            ValueError: the function is unknown or the text is not ``function(key,value)``; the message quotes
                the input.
        """
        if not isinstance(text, str):
            raise TypeError(f"a filter is parsed from a str, got {type(text).__name__}")
        stripped = text.strip()
        open_at = stripped.find("(")
        if open_at <= 0 or not stripped.endswith(")"):
            raise ValueError(f"cannot parse filter {text!r}: expected 'function(key,value)', e.g. 'eq(version,abc)'")
        function = stripped[:open_at].strip()
        klass = _BY_FUNCTION.get(function)
        if klass is None:
            known = ", ".join(sorted(_BY_FUNCTION))
            raise ValueError(f"cannot parse filter {text!r}: unknown function {function!r} (known: {known})")
        key, comma, value = stripped[open_at + 1 : -1].partition(",")
        key, value = key.strip(), value.strip()
        if not comma or not key or not value:
            raise ValueError(f"cannot parse filter {text!r}: expected '{function}(key,value)' with both non-empty")
        if issubclass(klass, SetFilter):
            return klass(key, [v.strip() for v in value.split(";")])
        return klass(key, value)

    # -- value semantics -----------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Filter):
            return NotImplemented
        return type(self) is type(other) and self._key == other._key and self._value == other._value

    def __hash__(self) -> int:
        return hash((type(self)._comparator, self._key, self._value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._key!r}, {self._value!r})"

    def __str__(self) -> str:
        return self.to_flyte_idl()


class Equal(Filter):
    """``eq(key,value)``: the column equals the value."""

    __slots__ = ()
    _comparator = "eq"


class NotEqual(Filter):
    """``ne(key,value)``: the column differs from the value."""

    __slots__ = ()
    _comparator = "ne"


class GreaterThan(Filter):
    """``gt(key,value)``."""

    __slots__ = ()
    _comparator = "gt"


class GreaterThanOrEqual(Filter):
    """``gte(key,value)``."""

    __slots__ = ()
    _comparator = "gte"


class LessThan(Filter):
    """``lt(key,value)``."""

    __slots__ = ()
    _comparator = "lt"


class LessThanOrEqual(Filter):
    """``lte(key,value)``."""

    __slots__ = ()
    _comparator = "lte"


class NotLike(Filter):
    """``not_like(key,pattern)``: the column does not match a SQL ``LIKE`` pattern (not in flytekit)."""

    __slots__ = ()
    _comparator = "not_like"


class SetFilter(Filter):
    """A condition against several values: ``ValueIn("phase", ["RUNNING", "QUEUED"])``."""

    __slots__ = ()

    def __init__(self, key: str, values: Iterable[Any]) -> None:
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise TypeError(f"{type(self).__name__} takes a list of values, got {values!r}")
        items = [str(v) for v in values]
        if not items:
            raise ValueError(f"{type(self).__name__} needs at least one value")
        super().__init__(key, ";".join(items))

    @property
    def values(self) -> list[str]:
        """The values, split on ``;``."""
        return self._value.split(";")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._key!r}, {self.values!r})"


class Contains(SetFilter):
    """``contains(key,a;b)``: the column contains one of the values (SQL ``LIKE %v%``)."""

    __slots__ = ()
    _comparator = "contains"


class ValueIn(SetFilter):
    """``value_in(key,a;b)``: the column is one of the values."""

    __slots__ = ()
    _comparator = "value_in"


class ValueNotIn(SetFilter):
    """``value_not_in(key,a;b)``: the column is none of the values."""

    __slots__ = ()
    _comparator = "value_not_in"


class FilterList:
    """Filters that must all hold: ``FilterList([Equal("version", "v1"), ValueIn("phase", ["RUNNING"])])``.

    Items may be :class:`Filter` objects or their text (parsed, so a typo fails here, not at the server).
    """

    __slots__ = ("_filters",)

    def __init__(self, filter_list: Iterable[Filter | str]) -> None:
        self._filters = tuple(f if isinstance(f, Filter) else Filter.from_python_std(f) for f in filter_list)

    @property
    def filters(self) -> list[Filter]:
        """The filters, in order."""
        return list(self._filters)

    def to_flyte_idl(self) -> str:
        """The text Flyte Admin takes in a list request's ``filters``: ``"f1+f2"`` (empty for no filters)."""
        return "+".join(f.to_flyte_idl() for f in self._filters)

    to_python_std = to_flyte_idl

    @classmethod
    def from_python_std(cls, text: str) -> FilterList:
        """Parse ``"eq(a,b)+value_in(c,d;e)"``; a ``+`` inside a filter's parentheses does not split it."""
        parts: list[str] = []
        depth, start = 0, 0
        for i, ch in enumerate(text):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "+" and depth == 0:
                parts.append(text[start:i])
                start = i + 1
        parts.append(text[start:])
        return cls(p for p in parts if p.strip())

    def __len__(self) -> int:
        return len(self._filters)

    def __iter__(self) -> Iterator[Filter]:
        return iter(self._filters)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FilterList):
            return NotImplemented
        return self._filters == other._filters

    def __hash__(self) -> int:
        return hash(self._filters)

    def __repr__(self) -> str:
        return f"FilterList({list(self._filters)!r})"

    def __str__(self) -> str:
        return self.to_flyte_idl()
