"""Reading literals without Python types: guess_python_type, and to_python_value with only a literal type or none."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from pathlib import Path
from typing import Any, Optional, Union

import pandas as pd
import pytest
from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types import FlyteDirectory, FlyteFile, TypeEngine, TypeTransformerFailedError

from .conftest import RecordingFileAccess
from .models import UTC, Color, Inner, Model, Point, Record, WithFiles, sample_record


@pytest.mark.parametrize(
    ("python_type", "guessed"),
    [
        (int, int),
        (float, float),
        (str, str),
        (bool, bool),
        (datetime.datetime, datetime.datetime),
        (datetime.date, datetime.datetime),  # a date's literal type is DATETIME
        (datetime.timedelta, datetime.timedelta),
        (type(None), type(None)),
        (list[int], list[int]),
        (dict[str, list[float]], dict[str, list[float]]),
        (dict, dict),
        (dict[int, str], dict),
        (Optional[int], Optional[int]),
        (Union[int, str, None], Union[int, str, None]),
        (FlyteFile, FlyteFile),
        (FlyteDirectory, FlyteDirectory),
        (Any, Any),
        (pd.DataFrame, pd.DataFrame),
    ],
    ids=repr,
)
def test_guessed_types(python_type: Any, guessed: Any) -> None:
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(python_type)) == guessed


def test_a_file_format_is_kept() -> None:
    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(FlyteFile["csv"]))
    assert issubclass(guessed, FlyteFile)
    assert guessed.extension() == "csv"
    assert guessed is FlyteFile["csv"]


def test_an_enum_is_guessed_as_a_generated_enum() -> None:
    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Color))
    assert issubclass(guessed, enum.Enum)
    assert [m.value for m in guessed] == ["red", "green"]
    value = TypeEngine.to_python_value(TypeEngine.to_literal(Color.GREEN), guessed)
    assert value.value == "green"


def test_a_struct_with_field_types_is_guessed_as_a_dataclass() -> None:
    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Record))
    assert dataclasses.is_dataclass(guessed) and guessed.__name__ == "Record"
    # Declaration order comes back from the schema's "required" list, then the other properties.
    assert [f.name for f in dataclasses.fields(guessed)][:4] == ["x", "when", "day", "dur"]
    assert TypeEngine.guess_python_type(TypeEngine.to_literal_type(Record)) is guessed  # cached


def test_a_struct_read_without_a_type_has_attribute_access() -> None:
    record = sample_record()
    value = TypeEngine.to_python_value(TypeEngine.to_literal(record), literal_type=TypeEngine.to_literal_type(Record))
    assert value.x == 1
    assert value.when == record.when
    assert value.day == record.day  # the schema says "date", so it is not read as a datetime
    assert value.dur == record.dur
    assert value.color.value == "red"
    assert value.inner.a == 3 and value.inner.b is None
    assert value.counts == [1, None]
    assert value.either == "two"
    assert [g.b for g in value.groups["k"]] == [None, "four"]
    assert value.anything == {"z": [1, 2]}
    assert value.plain_list == [1, "a"]  # not in dataclass_type (flytekit cannot type a bare list); the schema has it
    assert value.maybe.a == 7
    assert value.plain == {"q": [1, None]}


def test_a_pydantic_struct_read_without_a_type() -> None:
    model = Model(a=5, b="x", inners=[Inner(1)], color=Color.GREEN)
    value = TypeEngine.to_python_value(TypeEngine.to_literal(model), literal_type=TypeEngine.to_literal_type(Model))
    assert (value.a, value.b, value.color.value, value.inners[0].a, value.when) == (5, "x", "green", 1, None)


def test_a_struct_with_only_a_json_schema() -> None:
    # What older writers (or other SDKs) send: a schema without dataclass_type.
    lt = TypeEngine.to_literal_type(Record)
    lt.ClearField("structure")
    guessed = TypeEngine.guess_python_type(lt)
    assert dataclasses.is_dataclass(guessed)
    value = TypeEngine.to_python_value(TypeEngine.to_literal(sample_record()), literal_type=lt)
    assert (
        value.x == 1 and value.day == datetime.date(2021, 1, 2) and value.dur == datetime.timedelta(seconds=90.000005)
    )
    assert value.when == datetime.datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert value.inner.a == 3
    assert value.color == "red"  # a schema "enum" is read as its string, as flytekit does
    assert value.groups["k"][1].b == "four"


def test_a_struct_with_undeclared_fields_falls_back_to_a_dict() -> None:
    lt = TypeEngine.to_literal_type(Point)
    lit = TypeEngine.to_literal({"x": 1, "y": 2, "extra": True}, dict)
    assert TypeEngine.to_python_value(lit, literal_type=lt) == {"x": 1, "y": 2, "extra": True}


def test_a_struct_without_schema_is_a_dict() -> None:
    lt = TypeEngine.to_literal_type(dict)
    assert TypeEngine.guess_python_type(lt) is dict
    assert TypeEngine.to_python_value(TypeEngine.to_literal({"a": [1]}), literal_type=lt) == {"a": [1]}


def test_every_literal_type_kind_reads_back(
    files: RecordingFileAccess, sample_file: Path, sample_dir: Path, tmp_path: Path
) -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    cases: list[tuple[Any, Any]] = [
        (3, int),
        (2.5, float),
        ("s", str),
        (True, bool),
        (datetime.datetime(2020, 1, 1, tzinfo=UTC), datetime.datetime),
        (datetime.timedelta(minutes=1), datetime.timedelta),
        (None, type(None)),
        ([1, 2], list[int]),
        ({"a": 1.5}, dict[str, float]),
        ({"a": [None]}, dict),
        (None, Optional[int]),
        ("x", Union[int, str]),
        (Point(1, 2), Optional[Point]),
    ]
    for value, python_type in cases:
        lt = TypeEngine.to_literal_type(python_type)
        got = TypeEngine.to_python_value(TypeEngine.to_literal(value, python_type), literal_type=lt)
        if dataclasses.is_dataclass(value):
            assert dataclasses.asdict(got) == dataclasses.asdict(value)
        else:
            assert got == value
    ff = TypeEngine.to_python_value(
        TypeEngine.to_literal(sample_file, FlyteFile, files=files),
        literal_type=TypeEngine.to_literal_type(FlyteFile),
        files=files,
    )
    assert isinstance(ff, FlyteFile) and Path(ff).read_text() == "hello"
    fd = TypeEngine.to_python_value(
        TypeEngine.to_literal(sample_dir, FlyteDirectory, files=files),
        literal_type=TypeEngine.to_literal_type(FlyteDirectory),
        files=files,
    )
    assert isinstance(fd, FlyteDirectory) and fd.listdir() == ["a.txt", "sub"]
    df = TypeEngine.to_python_value(
        TypeEngine.to_literal(frame, files=files), literal_type=TypeEngine.to_literal_type(pd.DataFrame), files=files
    )
    assert df.equals(frame)
    pickled = TypeEngine.to_python_value(
        TypeEngine.to_literal({1, 2}, Any, files=files), literal_type=TypeEngine.to_literal_type(Any), files=files
    )
    assert pickled == {1, 2}
    color = TypeEngine.to_python_value(TypeEngine.to_literal(Color.RED), literal_type=TypeEngine.to_literal_type(Color))
    assert color.value == "red"


def test_literals_read_by_shape_without_any_type(files: RecordingFileAccess, sample_file: Path) -> None:
    shaped: list[tuple[Any, Any, Any]] = [
        (3, int, 3),
        (2.5, float, 2.5),
        ("s", str, "s"),
        (False, bool, False),
        (datetime.datetime(2020, 1, 1), datetime.datetime, datetime.datetime(2020, 1, 1, tzinfo=UTC)),
        (datetime.timedelta(seconds=1), datetime.timedelta, datetime.timedelta(seconds=1)),
        (None, type(None), None),
        ([[1], []], list[list[int]], [[1], []]),
        ({"a": {"b": 1}}, dict[str, dict[str, int]], {"a": {"b": 1}}),
        ({"a": [1, None]}, dict, {"a": [1, None]}),
        (4, Optional[int], 4),
        (Point(1, 2), Point, {"x": 1, "y": 2}),  # no schema to build a class from: the struct's dict
        (Color.GREEN, Color, "green"),
    ]
    for value, python_type, expected in shaped:
        assert TypeEngine.to_python_value(TypeEngine.to_literal(value, python_type)) == expected
    # A union literal is read as its stored type says.
    got = TypeEngine.to_python_value(TypeEngine.to_literal(Inner(2), Optional[Inner]))
    assert (got.a, got.b) == (2, None)
    ff = TypeEngine.to_python_value(TypeEngine.to_literal(sample_file, FlyteFile, files=files), files=files)
    assert isinstance(ff, FlyteFile) and ff.open().read() == "hello"


def test_a_json_generic_struct_reads_as_a_dict() -> None:
    lit = literals_pb2.Literal()
    lit.scalar.generic.update({"a": 1, "b": ["x"]})
    assert TypeEngine.to_python_value(lit) == {"a": 1.0, "b": ["x"]}


def test_guessing_through_the_literal_map_helpers() -> None:
    variables = {
        "n": TypeEngine.to_literal_type(int),
        "p": TypeEngine.to_literal_type(Point),
        "c": TypeEngine.to_literal_type(Optional[Color]),
    }
    lm = TypeEngine.python_to_literal_map({"n": 1, "p": {"x": 1, "y": 2}, "c": "red"}, variables)
    assert lm.literals["c"].scalar.union.type.structure.tag == "DefaultEnumTransformer"
    values = TypeEngine.literal_map_to_python(lm, literal_types=variables)
    assert values["n"] == 1
    assert (values["p"].x, values["p"].y) == (1, 2)
    assert values["c"].value == "red"
    typed = TypeEngine.literal_map_to_python(lm, type_hints={"p": Point, "c": Color}, literal_types=variables)
    assert typed["p"] == Point(1, 2) and typed["c"] is Color.RED


def test_inputs_with_defaults_may_be_omitted() -> None:
    variables = {"a": TypeEngine.to_literal_type(int), "b": TypeEngine.to_literal_type(str)}
    lm = TypeEngine.python_to_literal_map({"a": 1}, variables, optional=["b"])
    assert list(lm.literals) == ["a"]


def test_file_fields_of_a_guessed_struct_are_files(
    files: RecordingFileAccess, sample_file: Path, sample_dir: Path
) -> None:
    lit = TypeEngine.to_literal(WithFiles(FlyteFile(sample_file), FlyteDirectory(sample_dir)), files=files)
    value = TypeEngine.to_python_value(lit, literal_type=TypeEngine.to_literal_type(WithFiles), files=files)
    assert isinstance(value.ff, FlyteFile) and isinstance(value.fd, FlyteDirectory)
    assert Path(value.ff).read_text() == "hello"


def test_values_for_a_declared_type_take_the_guessed_shape() -> None:
    # A date for a DATETIME, a dict for a struct, member values for enums, plain values for unions.
    lt = types_pb2.LiteralType(simple=types_pb2.DATETIME)
    assert TypeEngine.to_literal(datetime.date(2020, 5, 1), expected=lt).scalar.primitive.datetime.seconds > 0
    lit = TypeEngine.to_literal({"a": 1, "b": None}, expected=TypeEngine.to_literal_type(Inner))
    assert TypeEngine.to_python_value(lit, Inner) == Inner(1)
    lit = TypeEngine.to_literal("green", expected=TypeEngine.to_literal_type(Color))
    assert lit.scalar.primitive.string_value == "green"
    lit = TypeEngine.to_literal([Point(1, 2), None], expected=TypeEngine.to_literal_type(list[Optional[Point]]))
    assert [x.scalar.union.type.structure.tag for x in lit.collection.literals] == [
        "Object-Dataclass-Transformer",
        "none",
    ]
    # A dict with a key the declared dataclass does not list is refused (a typo would otherwise reach the task).
    with pytest.raises(TypeTransformerFailedError, match=r"\['a'\]: unknown field 'z' of Point; fields are x, y"):
        TypeEngine.to_literal({"a": {"z": 1}}, expected=TypeEngine.to_literal_type(dict[str, Point]))


def test_a_dict_for_a_closed_struct_is_refused_an_open_one_goes_as_it_is() -> None:
    closed = TypeEngine.to_literal_type(Point)
    with pytest.raises(TypeTransformerFailedError, match=r"unknown field 'yy' of Point; fields are x, y"):
        TypeEngine.check_inputs({"p": {"x": 1, "yy": 2}}, {"p": closed})
    open_ = types_pb2.LiteralType()
    open_.CopyFrom(closed)
    open_.metadata["additionalProperties"] = True
    lit = TypeEngine.to_literal({"x": 1, "y": 2, "extra": 3}, expected=open_)
    assert TypeEngine.to_python_value(lit, dict) == {"x": 1, "y": 2, "extra": 3}


def test_reading_as_a_bare_list_reads_the_elements_by_shape() -> None:
    lit = TypeEngine.to_literal([{"a": 1}, [2]], list[Union[dict, list[int]]])
    assert TypeEngine.to_python_value(lit, list) == [{"a": 1}, [2]]
