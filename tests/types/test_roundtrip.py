"""Python value -> literal -> Python value, for every supported type, with and without type hints."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Optional, Union

import pytest
from flyteidl.core import literals_pb2, types_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from flyteplane.types import FlyteDirectory, FlyteFile, TypeEngine

from .conftest import RecordingFileAccess
from .models import UTC, Color, Empty, Inner, Model, Point, Record, WithFiles, sample_record

ROUND_TRIPS: list[tuple[Any, Any]] = [
    (0, int),
    (2**62, int),
    (-1.25, float),
    ("", str),
    ("ünïcödé", str),
    (False, bool),
    (datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime.datetime),
    (datetime.date(1970, 1, 1), datetime.date),
    (datetime.timedelta(days=-1, seconds=5), datetime.timedelta),
    (None, type(None)),
    (None, None),
    ([], list[int]),
    ([[1], [2, 3]], list[list[int]]),
    ({}, dict[str, str]),
    ({"a": [1, 2], "b": []}, dict[str, list[int]]),
    ({"a": {"b": [True]}}, dict[str, dict[str, list[bool]]]),
    ({"a": 1, "b": [1.5, "x", None, {"c": False}]}, dict),
    ({1: [1.5], 2: []}, dict[int, list[float]]),
    (None, Optional[int]),
    (5, Optional[int]),
    (5, int | None),
    ("x", Union[int, str]),
    (1.0, Union[int, float]),
    (1, Union[int, float]),
    ([1, None], list[Optional[int]]),
    (Color.GREEN, Color),
    (Color.RED, Optional[Color]),
    (Inner(), Inner),
    (Point(-1, 1), Point),
    (Empty(), Empty),
    (sample_record(), Record),
    ([Inner(1), Inner(2, "x")], list[Inner]),
    ({"a": [Point(1, 2)], "b": []}, dict[str, list[Point]]),
    (None, Optional[Inner]),
    (Inner(9), Optional[Inner]),
    (Point(0, 0), Union[Inner, Point]),
    (Model(a=1, b="x", inners=[Inner()], color=Color.GREEN), Model),
    ([Model(a=1), Model(a=2)], list[Model]),
]


@pytest.mark.parametrize(("value", "python_type"), ROUND_TRIPS, ids=repr)
def test_round_trip_with_the_type(value: Any, python_type: Any) -> None:
    lit = TypeEngine.to_literal(value, python_type)
    assert isinstance(lit, literals_pb2.Literal)
    assert TypeEngine.to_python_value(lit, python_type) == value


@pytest.mark.parametrize(("value", "python_type"), ROUND_TRIPS, ids=repr)
def test_round_trip_with_the_declared_literal_type_only(value: Any, python_type: Any) -> None:
    # FlyteRemote's situation: the value and the entity's literal type, no Python type.
    lt = TypeEngine.to_literal_type(python_type)
    lit = TypeEngine.to_literal(value, expected=lt)
    assert lit == TypeEngine.to_literal(value, python_type, lt)
    assert TypeEngine.to_python_value(lit, python_type) == value


def test_datetimes_are_read_back_in_utc() -> None:
    naive = datetime.datetime(2021, 6, 1, 12, 30, 15)
    assert TypeEngine.to_python_value(TypeEngine.to_literal(naive)) == naive.replace(tzinfo=UTC)
    cest = datetime.timezone(datetime.timedelta(hours=2))
    aware = datetime.datetime(2021, 6, 1, 14, 30, tzinfo=cest)
    back = TypeEngine.to_python_value(TypeEngine.to_literal(aware))
    assert back == aware and back.tzinfo == UTC and back.hour == 12


def test_inside_a_struct_a_datetime_keeps_its_own_offset() -> None:
    # mashumaro writes isoformat(): naive stays naive there (flytekit reads it back the same way).
    record = Record(x=1, when=datetime.datetime(2021, 1, 1, 8), day=datetime.date(2021, 1, 1), dur=datetime.timedelta())
    assert TypeEngine.to_python_value(TypeEngine.to_literal(record), Record).when.tzinfo is None


def test_a_date_travels_as_midnight_utc() -> None:
    lit = TypeEngine.to_literal(datetime.date(2024, 2, 29))
    assert lit.scalar.primitive.datetime.ToJsonString() == "2024-02-29T00:00:00Z"
    assert TypeEngine.to_python_value(lit, datetime.date) == datetime.date(2024, 2, 29)


def test_an_int_is_widened_for_a_float() -> None:
    lit = TypeEngine.to_literal(3, float)
    assert lit.scalar.primitive.WhichOneof("value") == "float_value"
    assert TypeEngine.to_python_value(lit, float) == 3.0
    lit = TypeEngine.to_literal(3, expected=TypeEngine.to_literal_type(float))
    assert lit.scalar.primitive.float_value == 3.0
    lit = TypeEngine.to_literal([1, 2.5], list[float])
    assert [x.scalar.primitive.float_value for x in lit.collection.literals] == [1.0, 2.5]


def test_reading_is_lenient_between_ints_and_floats() -> None:
    assert TypeEngine.to_python_value(TypeEngine.to_literal(2), float) == 2.0
    # The Flyte console sends JSON numbers: an integral float reads as an int.
    assert TypeEngine.to_python_value(TypeEngine.to_literal(2.0), int) == 2


def test_union_literals_carry_the_stored_type_and_tag() -> None:
    lit = TypeEngine.to_literal(3, Optional[int])
    assert lit.scalar.union.value.scalar.primitive.integer == 3
    assert lit.scalar.union.type == types_pb2.LiteralType(
        simple=types_pb2.INTEGER, structure=types_pb2.TypeStructure(tag="int")
    )
    lit = TypeEngine.to_literal(None, Optional[int])
    assert lit.scalar.union.value.scalar.HasField("none_type")
    assert lit.scalar.union.type.structure.tag == "none"
    lit = TypeEngine.to_literal(Inner(), Optional[Inner])
    assert lit.scalar.union.type.structure.tag == "Object-Dataclass-Transformer"
    assert lit.scalar.union.type.HasField("metadata")


def test_union_picks_the_exact_member() -> None:
    assert TypeEngine.to_literal(1, Union[int, float]).scalar.union.type.structure.tag == "int"
    assert TypeEngine.to_literal(1.0, Union[int, float]).scalar.union.type.structure.tag == "float"
    assert TypeEngine.to_literal("red", Union[str, Color]).scalar.union.type.structure.tag == "str"
    assert (
        TypeEngine.to_literal(Color.RED, Union[str, Color]).scalar.union.type.structure.tag == "DefaultEnumTransformer"
    )
    assert TypeEngine.to_literal(True, Union[int, bool]).scalar.union.type.structure.tag == "bool"
    # An int for Optional[float] is widened: float is the only member that takes it.
    assert TypeEngine.to_literal(1, Optional[float]).scalar.union.value.scalar.primitive.float_value == 1.0


def test_a_plain_value_is_wrapped_when_the_declared_type_is_a_union() -> None:
    declared = TypeEngine.to_literal_type(Optional[int])
    lit = TypeEngine.to_literal(4, int, declared)
    assert lit.scalar.union.type.structure.tag == "int"
    assert lit.scalar.union.value.scalar.primitive.integer == 4
    nested = TypeEngine.to_literal([1, None], list[Optional[int]], TypeEngine.to_literal_type(list[Optional[int]]))
    assert [x.scalar.union.type.structure.tag for x in nested.collection.literals] == ["int", "none"]


def test_a_union_literal_read_as_its_member_type_is_unwrapped() -> None:
    lit = TypeEngine.to_literal(4, Optional[int])
    assert TypeEngine.to_python_value(lit, int) == 4


def test_a_plain_literal_reads_as_a_union() -> None:
    assert TypeEngine.to_python_value(TypeEngine.to_literal(4), Optional[int]) == 4
    assert TypeEngine.to_python_value(TypeEngine.to_literal(None), Optional[int]) is None
    assert TypeEngine.to_python_value(TypeEngine.to_literal("a"), Union[int, str]) == "a"


def test_a_dict_is_accepted_for_a_dataclass() -> None:
    lit = TypeEngine.to_literal({"a": 1}, Inner)
    assert TypeEngine.to_python_value(lit, Inner) == Inner(1)
    assert TypeEngine.to_python_value(TypeEngine.to_literal({"x": 1, "y": 2}, Point), Point) == Point(1, 2)


def test_a_look_alike_dataclass_is_accepted() -> None:
    from dataclasses import make_dataclass

    other = make_dataclass("OtherPoint", [("x", int), ("y", int)])
    assert TypeEngine.to_python_value(TypeEngine.to_literal(other(3, 4), Point), Point) == Point(3, 4)


def test_a_typed_dict_is_a_struct_where_a_struct_is_declared() -> None:
    lit = TypeEngine.to_literal({"a": 1}, dict[str, int], TypeEngine.to_literal_type(dict))
    assert lit.scalar.binary.tag == "msgpack"
    assert TypeEngine.to_python_value(lit, dict[str, int]) == {"a": 1}


def test_an_enum_member_value_is_accepted_for_the_enum() -> None:
    assert TypeEngine.to_python_value(TypeEngine.to_literal("green", Color), Color) is Color.GREEN


def test_a_literal_is_passed_through() -> None:
    lit = TypeEngine.to_literal(5)
    assert TypeEngine.to_literal(lit, str) is lit


def test_models_are_accepted_where_messages_are() -> None:
    from flyteplane.models.literals import Literal
    from flyteplane.models.types import LiteralType

    lit = Literal.from_flyte_idl(TypeEngine.to_literal(3))
    lt = LiteralType.from_flyte_idl(TypeEngine.to_literal_type(int))
    assert TypeEngine.to_python_value(lit, literal_type=lt) == 3
    assert TypeEngine.to_literal(7, expected=lt).scalar.primitive.integer == 7


def test_types_inferred_from_values() -> None:
    infer = TypeEngine.infer_python_type
    assert infer(1) is int
    assert infer(True) is bool
    assert infer(None) is type(None)
    assert infer([1, 2]) == list[int]
    assert infer([1, 2.5]) == list[float]
    assert infer([[1], [2]]) == list[list[int]]
    assert infer([1, None]) == list[Optional[int]]
    assert infer({"a": 1}) is dict  # a bare dict is flytekit's untyped dict: a msgpack struct
    assert infer(Color.RED) is Color
    assert infer(Inner()) is Inner
    assert infer(datetime.date(2020, 1, 1)) is datetime.date


def test_values_without_types_round_trip() -> None:
    for value in [1, 1.5, "s", True, None, [1, 2], [[1.5]], {"a": [1, {"b": None}]}, Color.RED, Inner(2)]:
        lit = TypeEngine.to_literal(value)
        assert TypeEngine.to_python_value(lit, TypeEngine.infer_python_type(value)) == value


def test_paths_infer_files_and_directories(sample_file: Path, sample_dir: Path, files: RecordingFileAccess) -> None:
    assert TypeEngine.infer_python_type(sample_file) is FlyteFile
    assert TypeEngine.infer_python_type(sample_dir) is FlyteDirectory
    lit = TypeEngine.to_literal(sample_dir, files=files)
    assert lit.scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART


def test_nested_files_in_a_dataclass_round_trip(
    sample_file: Path, sample_dir: Path, files: RecordingFileAccess
) -> None:
    lit = TypeEngine.to_literal(WithFiles(FlyteFile(sample_file), FlyteDirectory(sample_dir), 2), files=files)
    back = TypeEngine.to_python_value(lit, WithFiles, files=files)
    assert back.ff.remote_source.startswith("file://")
    assert Path(back.ff).read_text() == "hello"
    assert back.fd.listdir() == ["a.txt", "sub"]
    assert back.n == 2
    # A str is accepted for a file field (flytekit allows it too).
    lit = TypeEngine.to_literal({"ff": "s3://b/f", "fd": "s3://b/d"}, WithFiles)
    assert TypeEngine.to_python_value(lit, WithFiles).ff.remote_source == "s3://b/f"


def test_typing_any_pickles(files: RecordingFileAccess) -> None:
    value = {"set": {1, 2}, "tuple": (1, 2), "point": Point(1, 2)}
    lit = TypeEngine.to_literal(value, Any, files=files)
    assert lit.scalar.blob.metadata.type.format == "PythonPickle"
    assert TypeEngine.to_python_value(lit, Any, files=files) == value
    assert TypeEngine.to_python_value(lit, files=files) == value
    # Read as Any, a literal that is not a pickle is read by shape.
    assert TypeEngine.to_python_value(TypeEngine.to_literal([1, 2]), Any) == [1, 2]


def test_offloaded_literals_are_fetched(tmp_path: Path, files: RecordingFileAccess) -> None:
    real = TypeEngine.to_literal([1, 2, 3])
    path = tmp_path / "offloaded.pb"
    path.write_bytes(real.SerializeToString())
    lit = literals_pb2.Literal()
    lit.offloaded_metadata.uri = "file://" + str(path)
    assert TypeEngine.to_python_value(lit, list[int], files=files) == [1, 2, 3]
    assert TypeEngine.to_python_value(lit, files=files) == [1, 2, 3]


scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=8),
    st.booleans(),
    st.floats(allow_nan=False),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=5), st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)))))
def test_nested_containers_round_trip(value: dict[str, list[int | None]]) -> None:
    python_type = dict[str, list[Optional[int]]]
    assert TypeEngine.to_python_value(TypeEngine.to_literal(value, python_type), python_type) == value


@settings(max_examples=60, deadline=None)
@given(st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner)))
def test_untyped_structs_round_trip(value: Any) -> None:
    wrapped = {"v": value}
    assert TypeEngine.to_python_value(TypeEngine.to_literal(wrapped, dict), dict) == wrapped


def test_a_registered_transformer_adds_a_type() -> None:
    import decimal

    from flyteplane.types import TypeTransformer

    class DecimalAsString(TypeTransformer):
        name = "decimal"

        def literal_type(self, t: Any) -> types_pb2.LiteralType:
            return types_pb2.LiteralType(simple=types_pb2.STRING)

        def check(self, value: Any, t: Any) -> None:
            if not isinstance(value, decimal.Decimal):
                raise TypeError(value)

        def to_literal(self, value: Any, t: Any, expected: Any, ctx: Any) -> literals_pb2.Literal:
            return TypeEngine.to_literal(str(value), str)

        def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Any) -> Any:
            return decimal.Decimal(lit.scalar.primitive.string_value)

        def to_builtin(self, value: Any, t: Any, ctx: Any) -> Any:
            return str(value)

        def from_builtin(self, obj: Any, t: Any, ctx: Any) -> Any:
            return decimal.Decimal(obj)

    TypeEngine.register(DecimalAsString(), decimal.Decimal)
    value = [decimal.Decimal("1.10"), decimal.Decimal("-3")]
    assert TypeEngine.to_literal_type(list[decimal.Decimal]) == TypeEngine.to_literal_type(list[str])
    assert TypeEngine.to_python_value(TypeEngine.to_literal(value), list[decimal.Decimal]) == value
