"""Cross-checks with flytekit 1.16, in process: the same literal types, and each side reads what the other writes."""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path
from typing import Any, Optional, Union

import pandas as pd
import pyarrow as pa
import pytest
from flyteidl.core import literals_pb2, types_pb2
from flytekit.core.type_engine import TypeEngine as FkEngine
from flytekit.models.literals import Literal as FkLiteral
from flytekit.models.types import LiteralType as FkLiteralType
from flytekit.types.directory import FlyteDirectory as FkDirectory
from flytekit.types.file import FlyteFile as FkFile

from flyteplane.types import FlyteDirectory, FlyteFile, PrefixFileAccess, TypeEngine

from .models import UTC, Color, Empty, FkWithFiles, Inner, Model, Point, Record, WithFiles, sample_record

# Every type whose literal type both engines produce from the same Python type.
SHARED_TYPES: list[Any] = [
    int,
    float,
    str,
    bool,
    datetime.datetime,
    datetime.date,
    datetime.timedelta,
    type(None),
    None,
    list[int],
    list[list[str]],
    dict[str, int],
    dict[str, list[float]],
    dict,
    dict[int, str],
    dict[str, Any],
    list[Any],
    Any,
    Optional[int],
    Union[int, str],
    int | None,
    str | int | None,
    Color,
    Optional[Color],
    Inner,
    Point,
    Record,
    Empty,
    Optional[Inner],
    list[Inner],
    dict[str, list[Inner]],
    list[dict[str, Optional[Inner]]],
    Union[int, Color, Record],
    Union[list[int], dict[str, int], None],
    Model,
    Optional[Model],
    pd.DataFrame,
    pa.Table,
    os.PathLike,
]


@pytest.mark.parametrize("python_type", SHARED_TYPES, ids=repr)
def test_literal_type_equals_flytekits(python_type: Any) -> None:
    # The whole protobuf is compared, JSON-schema metadata included: ours is built to be mashumaro's schema.
    assert TypeEngine.to_literal_type(python_type) == FkEngine.to_literal_type(python_type).to_flyte_idl()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (FlyteFile, FkFile),
        (FlyteFile["csv"], FkFile["csv"]),
        (FlyteDirectory, FkDirectory),
        (Optional[FlyteFile], Optional[FkFile]),
        (list[FlyteDirectory], list[FkDirectory]),
    ],
    ids=repr,
)
def test_file_literal_types_equal_flytekits(ours: Any, theirs: Any) -> None:
    assert TypeEngine.to_literal_type(ours) == FkEngine.to_literal_type(theirs).to_flyte_idl()


def test_dataclass_with_files_literal_type_matches_but_for_the_class_name() -> None:
    ours = TypeEngine.to_literal_type(WithFiles)
    theirs = FkEngine.to_literal_type(FkWithFiles).to_flyte_idl()
    # The twins differ only in their names, which is the schema's title.
    assert ours.metadata.fields["title"].string_value == "WithFiles"
    theirs.metadata.fields["title"].string_value = "WithFiles"
    assert ours == theirs


def test_union_variants_carry_flytekits_transformer_tags() -> None:
    lt = TypeEngine.to_literal_type(Union[int, float, str, bool, None, list[int], dict[str, int], Color, Inner])
    tags = [v.structure.tag for v in lt.union_type.variants]
    assert tags == [
        "int",
        "float",
        "str",
        "bool",
        "none",
        "Typed List",
        "Typed Dict",
        "DefaultEnumTransformer",
        "Object-Dataclass-Transformer",
    ]
    # flytekit replaces the whole structure with the tag: a dataclass variant loses its dataclass_type.
    assert not lt.union_type.variants[-1].structure.dataclass_type


# Values both engines write identically (every byte); files, dataframes and pickles are below.
SAMPLES: list[tuple[Any, Any]] = [
    (1, int),
    (-(2**40), int),
    (1.5, float),
    ("s", str),
    (True, bool),
    (datetime.datetime(2021, 1, 2, 3, 4, 5, 6, tzinfo=UTC), datetime.datetime),
    (datetime.date(2021, 1, 2), datetime.date),
    (datetime.timedelta(seconds=3, microseconds=500), datetime.timedelta),
    (None, type(None)),
    ([1, 2], list[int]),
    ([["a"], []], list[list[str]]),
    ({"a": 1}, dict[str, int]),
    ({"a": [1.5]}, dict[str, list[float]]),
    ({"a": [1, {"b": None}], "c": "d"}, dict),
    ({1: "a"}, dict[int, str]),
    (None, Optional[int]),
    (3, Optional[int]),
    ("x", Union[int, str]),
    (7, str | int | None),
    (Color.GREEN, Color),
    (Color.RED, Optional[Color]),
    (Inner(5, "q"), Inner),
    (Point(1, 2), Point),
    (None, Optional[Inner]),
    (Inner(), Optional[Inner]),
    ([Inner(1), Inner(2, "b")], list[Inner]),
    ({"k": [Inner()], "j": []}, dict[str, list[Inner]]),
    ([{"a": None, "b": Inner()}], list[dict[str, Optional[Inner]]]),
    (sample_record(), Record),
    (sample_record(), Union[int, Color, Record]),
    (Empty(), Empty),
    ({"a": 1}, Union[list[int], dict[str, int], None]),
    (Model(a=1, inners=[Inner()], when=datetime.datetime(2020, 1, 1, tzinfo=UTC)), Model),
    (None, Optional[Model]),
]


@pytest.mark.parametrize(("value", "python_type"), SAMPLES, ids=repr)
def test_both_engines_write_the_same_literal(value: Any, python_type: Any, fk_ctx: Any) -> None:
    ours = TypeEngine.to_literal(value, python_type)
    theirs = FkEngine.to_literal(fk_ctx, value, python_type, FkEngine.to_literal_type(python_type)).to_flyte_idl()
    assert ours == theirs


@pytest.mark.parametrize(("value", "python_type"), SAMPLES, ids=repr)
def test_flytekit_reads_our_literal(value: Any, python_type: Any, fk_ctx: Any) -> None:
    ours = TypeEngine.to_literal(value, python_type, TypeEngine.to_literal_type(python_type))
    assert FkEngine.to_python_value(fk_ctx, FkLiteral.from_flyte_idl(ours), python_type) == value


@pytest.mark.parametrize(("value", "python_type"), SAMPLES, ids=repr)
def test_we_read_flytekits_literal(value: Any, python_type: Any, fk_ctx: Any) -> None:
    theirs = FkEngine.to_literal(fk_ctx, value, python_type, FkEngine.to_literal_type(python_type)).to_flyte_idl()
    assert TypeEngine.to_python_value(theirs, python_type) == value


def test_naive_datetime_is_utc_on_both_sides(fk_ctx: Any) -> None:
    naive = datetime.datetime(2021, 6, 1, 12, 30)
    ours = TypeEngine.to_literal(naive)
    theirs = FkEngine.to_literal(fk_ctx, naive, datetime.datetime, FkEngine.to_literal_type(datetime.datetime))
    assert ours == theirs.to_flyte_idl()
    assert TypeEngine.to_python_value(ours, datetime.datetime) == naive.replace(tzinfo=UTC)
    assert FkEngine.to_python_value(fk_ctx, theirs, datetime.datetime) == naive.replace(tzinfo=UTC)


def test_flytekit_rejects_an_int_for_a_float_but_we_widen_it(fk_ctx: Any) -> None:
    # flytekit 1.16: "Expected value of type <class 'float'> but got '1' of type <class 'int'>". We write a FLOAT.
    with pytest.raises(Exception, match="Expected value of type <class 'float'>"):
        FkEngine.to_literal(fk_ctx, 1, float, FkEngine.to_literal_type(float))
    lit = TypeEngine.to_literal(1, float)
    assert lit.scalar.primitive.float_value == 1.0
    assert FkEngine.to_python_value(fk_ctx, FkLiteral.from_flyte_idl(lit), float) == 1.0


def test_both_refuse_a_bool_for_an_int(fk_ctx: Any) -> None:
    with pytest.raises(Exception, match="bool"):
        FkEngine.to_literal(fk_ctx, True, int, FkEngine.to_literal_type(int))
    with pytest.raises(TypeError, match=r"expected int, got bool \(True\)"):
        TypeEngine.to_literal(True, int)


def test_we_read_flytekits_old_json_struct_form(fk_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # flytekit still writes Scalar.generic (JSON) with FLYTE_USE_OLD_DC_FORMAT; there every number is a double.
    monkeypatch.setenv("FLYTE_USE_OLD_DC_FORMAT", "true")
    # Values no other test converts: flytekit caches literals by value and type.
    record = dataclasses.replace(sample_record(), x=424242)
    lit = FkEngine.to_literal(fk_ctx, record, Record, FkEngine.to_literal_type(Record)).to_flyte_idl()
    assert lit.scalar.HasField("generic")
    assert TypeEngine.to_python_value(lit, Record) == record
    plain = {"a": 1, "b": [1, 2], "old": "format"}
    lit = FkEngine.to_literal(fk_ctx, plain, dict, FkEngine.to_literal_type(dict)).to_flyte_idl()
    assert lit.scalar.HasField("generic")
    assert TypeEngine.to_python_value(lit, dict) == {"a": 1.0, "b": [1.0, 2.0], "old": "format"}
    model = Model(a=2, b="old format")
    lit = FkEngine.to_literal(fk_ctx, model, Model, FkEngine.to_literal_type(Model)).to_flyte_idl()
    assert TypeEngine.to_python_value(lit, Model) == model


def _fk(lit: literals_pb2.Literal) -> FkLiteral:
    return FkLiteral.from_flyte_idl(lit)


def test_files_and_directories_cross(
    plain_files: PrefixFileAccess, sample_file: Path, sample_dir: Path, fk_ctx: Any
) -> None:
    # ours -> flytekit
    lit = TypeEngine.to_literal(FlyteFile(sample_file), FlyteFile, files=plain_files)
    fk_file = FkEngine.to_python_value(fk_ctx, _fk(lit), FkFile)
    with open(fk_file) as fh:
        assert fh.read() == "hello"
    lit = TypeEngine.to_literal(str(sample_dir), FlyteDirectory, files=plain_files)
    fk_dir = FkEngine.to_python_value(fk_ctx, _fk(lit), FkDirectory)
    assert sorted(os.listdir(fk_dir)) == ["a.txt", "sub"]
    # flytekit -> ours
    theirs = FkEngine.to_literal(fk_ctx, FkFile(str(sample_file)), FkFile, FkEngine.to_literal_type(FkFile))
    ours_file = TypeEngine.to_python_value(theirs.to_flyte_idl(), FlyteFile, files=plain_files)
    with ours_file.open() as fh:
        assert fh.read() == "hello"
    theirs = FkEngine.to_literal(fk_ctx, str(sample_dir), FkDirectory, FkEngine.to_literal_type(FkDirectory))
    ours_dir = TypeEngine.to_python_value(theirs.to_flyte_idl(), FlyteDirectory, files=plain_files)
    assert ours_dir.listdir() == ["a.txt", "sub"]


def test_files_inside_dataclasses_cross(
    plain_files: PrefixFileAccess, sample_file: Path, sample_dir: Path, fk_ctx: Any
) -> None:
    ours = TypeEngine.to_literal(WithFiles(FlyteFile(sample_file), FlyteDirectory(sample_dir), 3), files=plain_files)
    back = FkEngine.to_python_value(fk_ctx, _fk(ours), FkWithFiles)
    assert back.n == 3
    with open(back.ff) as fh:
        assert fh.read() == "hello"
    assert sorted(os.listdir(back.fd)) == ["a.txt", "sub"]

    value = FkWithFiles(FkFile(str(sample_file)), FkDirectory(str(sample_dir)), 4)
    theirs = FkEngine.to_literal(fk_ctx, value, FkWithFiles, FkEngine.to_literal_type(FkWithFiles)).to_flyte_idl()
    mine = TypeEngine.to_python_value(theirs, WithFiles, files=plain_files)
    assert mine.n == 4
    assert Path(mine.ff).read_text() == "hello"
    assert mine.fd.listdir() == ["a.txt", "sub"]


def test_remote_uris_pass_through_both_ways(fk_ctx: Any) -> None:
    ours = TypeEngine.to_literal(WithFiles(FlyteFile("s3://bucket/a.txt"), FlyteDirectory("s3://bucket/dir")))
    theirs = FkEngine.to_literal(
        fk_ctx, FkWithFiles(FkFile("s3://bucket/a.txt"), FkDirectory("s3://bucket/dir")), FkWithFiles, None
    )
    assert ours == theirs.to_flyte_idl()
    lit = TypeEngine.to_literal("s3://bucket/a.txt", FlyteFile)
    fk_theirs = FkEngine.to_literal(fk_ctx, "s3://bucket/a.txt", FkFile, FkEngine.to_literal_type(FkFile))
    assert lit == fk_theirs.to_flyte_idl()


@pytest.mark.parametrize("frame_type", [pd.DataFrame, pa.Table])
def test_dataframes_cross(frame_type: Any, plain_files: PrefixFileAccess, fk_ctx: Any) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    value = frame if frame_type is pd.DataFrame else pa.Table.from_pandas(frame)

    def same(got: Any) -> bool:
        return bool(got.equals(value))

    ours = TypeEngine.to_literal(value, frame_type, files=plain_files)
    assert ours.scalar.structured_dataset.metadata.structured_dataset_type.format == "parquet"
    assert same(FkEngine.to_python_value(fk_ctx, _fk(ours), frame_type))
    theirs = FkEngine.to_literal(fk_ctx, value, frame_type, FkEngine.to_literal_type(frame_type)).to_flyte_idl()
    assert same(TypeEngine.to_python_value(theirs, frame_type, files=plain_files))


def test_pickles_cross(plain_files: PrefixFileAccess, fk_ctx: Any) -> None:
    value = {"a set": {1, 2}, "a tuple": (1, "x")}
    ours = TypeEngine.to_literal(value, Any, files=plain_files)
    assert ours.scalar.blob.metadata.type.format == "PythonPickle"
    assert FkEngine.to_python_value(fk_ctx, _fk(ours), Any) == value
    theirs = FkEngine.to_literal(fk_ctx, value, Any, FkEngine.to_literal_type(Any)).to_flyte_idl()
    assert TypeEngine.to_python_value(theirs, Any, files=plain_files) == value
    # dict[str, Any] is a map of pickles in flytekit, and so here.
    mapping = {"k": {3, 4}}
    ours = TypeEngine.to_literal(mapping, dict[str, Any], files=plain_files)
    assert FkEngine.to_python_value(fk_ctx, _fk(ours), dict[str, Any]) == mapping


def test_flytekit_literal_types_guess_to_readable_values(fk_ctx: Any) -> None:
    record = sample_record()
    lt = FkEngine.to_literal_type(Record).to_flyte_idl()
    lit = FkEngine.to_literal(fk_ctx, record, Record, FkEngine.to_literal_type(Record)).to_flyte_idl()
    value = TypeEngine.to_python_value(lit, literal_type=lt)
    assert type(value).__name__ == "Record"
    assert (value.x, value.day, value.dur, value.color.value) == (1, record.day, record.dur, "red")
    assert value.when == record.when
    assert value.groups["k"][1].b == "four"
    assert value.maybe.a == 7
    assert value.plain == {"q": [1, None]}


def test_flytekit_reads_a_value_we_guessed_from_its_literal_type(fk_ctx: Any) -> None:
    # FlyteRemote's path: only the declared literal type is known, the value is a dict.
    lt = FkEngine.to_literal_type(Point).to_flyte_idl()
    lit = TypeEngine.to_literal({"x": 1, "y": 2}, expected=lt)
    assert FkEngine.to_python_value(fk_ctx, _fk(lit), Point) == Point(1, 2)
    union_lt = FkEngine.to_literal_type(Optional[Point]).to_flyte_idl()
    lit = TypeEngine.to_literal(Point(3, 4), expected=union_lt)
    assert lit.scalar.union.type == union_lt.union_type.variants[0]
    assert FkEngine.to_python_value(fk_ctx, _fk(lit), Optional[Point]) == Point(3, 4)


def test_our_literal_types_parse_as_flytekit_models() -> None:
    # Registering an interface built from our literal types must be readable by flytekit's models.
    lt = TypeEngine.to_literal_type(Record)
    model = FkLiteralType.from_flyte_idl(lt)
    assert model.simple == types_pb2.STRUCT
    assert set(model.structure.dataclass_type) >= {"x", "when", "inner", "groups"}
