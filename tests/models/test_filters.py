"""List filters and sort orders: their text forms, parsing, and the errors bad text gets."""

from __future__ import annotations

import pytest

from flyteplane.models import filters
from flyteplane.models.admin.common import Sort
from flyteplane.models.filters import (
    Contains,
    Equal,
    Filter,
    FilterList,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    NotEqual,
    NotLike,
    SetFilter,
    ValueIn,
    ValueNotIn,
)


@pytest.mark.parametrize(
    ("text", "cls", "key", "value"),
    [
        ("eq(version,abc)", Equal, "version", "abc"),
        ("ne(phase,FAILED)", NotEqual, "phase", "FAILED"),
        ("gt(duration,60)", GreaterThan, "duration", "60"),
        ("gte(created_at,2024-01-01T00:00:00Z)", GreaterThanOrEqual, "created_at", "2024-01-01T00:00:00Z"),
        ("lt(state,1)", LessThan, "state", "1"),
        ("lte(updated_at,2024-02-01)", LessThanOrEqual, "updated_at", "2024-02-01"),
        ("not_like(name,.flytegen%)", NotLike, "name", ".flytegen%"),
        ("  eq( name , my wf )  ", Equal, "name", "my wf"),
        ("eq(launch_plan.name,a,b)", Equal, "launch_plan.name", "a,b"),
    ],
)
def test_parse_single_value_filters(text: str, cls: type[Filter], key: str, value: str) -> None:
    parsed = Filter.from_python_std(text)
    assert type(parsed) is cls
    assert (parsed.key, parsed.value) == (key, value)
    assert parsed == cls(key, value)
    assert parsed.to_flyte_idl() == f"{parsed.function}({key},{value})"


@pytest.mark.parametrize(
    ("text", "cls", "values"),
    [
        ("value_in(phase,RUNNING;QUEUED)", ValueIn, ["RUNNING", "QUEUED"]),
        ("value_not_in(phase,SUCCEEDED)", ValueNotIn, ["SUCCEEDED"]),
        ("contains(name, flyte ; snacks)", Contains, ["flyte", "snacks"]),
    ],
)
def test_parse_set_filters_split_values(text: str, cls: type[SetFilter], values: list[str]) -> None:
    parsed = Filter.from_python_std(text)
    assert type(parsed) is cls
    assert isinstance(parsed, SetFilter)
    assert parsed.values == values
    assert parsed.value == ";".join(values)
    assert parsed == cls(parsed.key, values)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("foo(a,b)", "unknown function 'foo'"),
        ("neq(a,b)", "unknown function 'neq'"),
        ("eq(a)", "expected 'eq\\(key,value\\)'"),
        ("eq(,b)", "both non-empty"),
        ("eq(a,)", "both non-empty"),
        ("eq a,b", "expected 'function\\(key,value\\)'"),
        ("eq(a,b", "expected 'function\\(key,value\\)'"),
        ("(a,b)", "expected 'function\\(key,value\\)'"),
        ("", "expected 'function\\(key,value\\)'"),
    ],
)
def test_malformed_filters_raise_value_error_naming_the_input(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        Filter.from_python_std(text)
    assert repr(text) in str(info.value)


def test_unknown_function_error_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: contains, eq, gt, gte, lt, lte, ne, not_like, value_in, value_not_in"):
        Filter.from_python_std("like(a,b)")


def test_parse_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="parsed from a str"):
        Filter.from_python_std(3)  # type: ignore[arg-type]


def test_base_and_set_filter_cannot_be_built_directly() -> None:
    with pytest.raises(TypeError, match="no filter function"):
        Filter("a", "b")
    with pytest.raises(TypeError, match="no filter function"):
        SetFilter("a", ["b"])


def test_set_filters_take_lists_not_strings() -> None:
    with pytest.raises(TypeError, match="list of values"):
        ValueIn("phase", "RUNNING")
    with pytest.raises(ValueError, match="at least one value"):
        ValueIn("phase", [])
    assert ValueIn("state", (0, 1)).to_flyte_idl() == "value_in(state,0;1)"


def test_filters_need_a_key() -> None:
    with pytest.raises(ValueError, match="column name"):
        Equal("", "x")


def test_filter_values_are_text() -> None:
    assert Equal("state", 1).to_flyte_idl() == "eq(state,1)"
    assert str(Equal("state", 1)) == "eq(state,1)"


def test_filter_value_semantics() -> None:
    assert Equal("a", "b") == Equal("a", "b")
    assert Equal("a", "b") != NotEqual("a", "b")
    assert Equal("a", "b") != Equal("a", "c")
    assert len({Equal("a", "b"), Equal("a", "b"), NotEqual("a", "b")}) == 2
    assert repr(Equal("a", "b")) == "Equal('a', 'b')"
    assert repr(ValueIn("phase", ["A", "B"])) == "ValueIn('phase', ['A', 'B'])"


def test_filter_from_flyte_idl_parses_the_text() -> None:
    assert Filter.from_flyte_idl("gt(a,1)") == GreaterThan("a", "1")


def test_filter_list_joins_with_plus() -> None:
    flist = FilterList([Filter.from_python_std("eq(version,abc)"), ValueIn("phase", ["SUCCEEDED", "FAILED"])])
    assert flist.to_flyte_idl() == "eq(version,abc)+value_in(phase,SUCCEEDED;FAILED)"
    assert str(flist) == flist.to_flyte_idl()
    assert len(flist) == 2
    assert list(flist) == flist.filters
    assert FilterList([]).to_flyte_idl() == ""


def test_filter_list_parses_text_items_early() -> None:
    assert FilterList(["eq(a,b)"]).filters == [Equal("a", "b")]
    with pytest.raises(ValueError, match="'bogus'"):
        FilterList(["bogus"])


def test_filter_list_round_trips_its_text() -> None:
    text = "eq(project,p)+gte(created_at,2024-01-01T00:00:00+00:00)+value_in(phase,A;B)"
    parsed = FilterList.from_python_std(text)
    assert parsed.filters == [
        Equal("project", "p"),
        GreaterThanOrEqual("created_at", "2024-01-01T00:00:00+00:00"),
        ValueIn("phase", ["A", "B"]),
    ]
    assert parsed.to_flyte_idl() == text
    assert parsed == FilterList(parsed.filters)
    assert FilterList.from_python_std("") == FilterList([])


def test_every_function_is_registered() -> None:
    names = {cls.__name__ for cls in vars(filters).values() if isinstance(cls, type) and issubclass(cls, Filter)}
    assert names - {"Filter", "SetFilter"} == {
        "Equal",
        "NotEqual",
        "GreaterThan",
        "GreaterThanOrEqual",
        "LessThan",
        "LessThanOrEqual",
        "NotLike",
        "Contains",
        "ValueIn",
        "ValueNotIn",
    }
    for text in ["eq(a,b)", "ne(a,b)", "gt(a,b)", "gte(a,b)", "lt(a,b)", "lte(a,b)", "not_like(a,b)"]:
        assert Filter.from_python_std(text).to_flyte_idl() == text


# -- Sort -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key", "direction"),
    [
        ("asc(name)", "name", Sort.Direction.ASCENDING),
        ("desc(created_at)", "created_at", Sort.Direction.DESCENDING),
        ("  desc( updated_at )  ", "updated_at", Sort.Direction.DESCENDING),
    ],
)
def test_sort_from_python_std(text: str, key: str, direction: Sort.Direction) -> None:
    parsed = Sort.from_python_std(text)
    assert (parsed.key, parsed.direction) == (key, direction)
    assert parsed == Sort(key, direction)
    assert parsed.to_flyte_idl().key == key
    assert Sort.from_python_std(parsed.to_python_std()) == parsed


@pytest.mark.parametrize("text", ["", "asc", "asc()", "up(name)", "asc(name", "desc(a)(b)", "ascending(name)"])
def test_sort_from_python_std_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="expected 'asc\\(<key>\\)' or 'desc\\(<key>\\)'") as info:
        Sort.from_python_std(text)
    assert repr(text) in str(info.value)


def test_sort_direction_defaults_to_descending_on_the_wire() -> None:
    assert Sort.Direction.DESCENDING == 0
    assert Sort("k").direction is Sort.Direction.DESCENDING
