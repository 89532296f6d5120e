"""LiteralsResolver: names to values, converted on first access."""

from __future__ import annotations

from typing import Optional

import pytest

from flyteplane.types import LiteralsResolver, TypeEngine, TypeTransformerFailedError

from .models import Color, Point


def _resolver(**kwargs: object) -> LiteralsResolver:
    variables = {
        "n": TypeEngine.to_literal_type(int),
        "p": TypeEngine.to_literal_type(Point),
        "c": TypeEngine.to_literal_type(Optional[Color]),
    }
    lm = TypeEngine.python_to_literal_map({"n": 3, "p": Point(1, 2), "c": Color.GREEN}, variables)
    return LiteralsResolver(lm.literals, variables, **kwargs)  # type: ignore[arg-type]


def test_values_are_guessed_and_cached() -> None:
    r = _resolver()
    assert len(r) == 3 and list(r) == ["n", "p", "c"] and "n" in r and "x" not in r
    assert r.native_values == {}  # "in" and iteration convert nothing
    assert r["n"] == 3
    p = r["p"]
    assert (p.x, p.y) == (1, 2)
    assert r["p"] is p
    assert r["c"].value == "green"
    assert set(r.native_values) == {"n", "p", "c"}


def test_type_hints_win_over_guessing() -> None:
    r = _resolver(type_hints={"p": Point})
    assert r["p"] == Point(1, 2)
    r.update_type_hints({"c": Color})
    assert r["c"] is Color.GREEN
    assert r.get("n", as_type=float) == 3.0


def test_without_literal_types_values_are_read_by_shape() -> None:
    r = LiteralsResolver({"x": TypeEngine.to_literal([1, 2])})
    assert r["x"] == [1, 2]
    assert dict(r) == {"x": [1, 2]}


def test_literals_and_a_literal_map_are_accepted() -> None:
    lm = TypeEngine.python_to_literal_map({"a": "s"}, {"a": TypeEngine.to_literal_type(str)})
    r = LiteralsResolver(lm)
    assert r.literals["a"] == lm.literals["a"]
    assert r.get_literal("a") == lm.literals["a"]
    assert r["a"] == "s"


def test_unknown_names_and_bad_types() -> None:
    r = _resolver(label="output")
    with pytest.raises(KeyError, match=r"no output named 'x'; the names are: n, p, c"):
        r["x"]
    with pytest.raises(KeyError, match=r"no output named 'x'"):
        r.get_literal("x")
    with pytest.raises(TypeTransformerFailedError, match=r"^output 'n': expected str, got an INTEGER literal \(3\)$"):
        r.get("n", as_type=str)


def test_repr_shows_what_has_been_read() -> None:
    r = _resolver()
    r["n"]
    text = repr(r)
    assert text.startswith("LiteralsResolver({'n': 3, 'p': <a binary literal (tag 'msgpack'), not read yet>")
