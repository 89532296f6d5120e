"""Every way a conversion can fail, and the message it fails with."""

from __future__ import annotations

import datetime
import enum
import re
from pathlib import Path
from typing import Any, Literal, Optional, Union

import pytest
from flyteidl.core import literals_pb2

from flyteplane.errors import FlyteAssertion, FlyteUserException
from flyteplane.types import FlyteDirectory, FlyteFile, TypeEngine, TypeTransformerFailedError

from .conftest import RecordingFileAccess
from .models import Color, Inner, Point, Record

SUPPORTED = (
    "flyteplane converts int, float, str, bool, datetime, date, timedelta, None, list[T], dict[str, T], dict, "
    "Optional/Union, Enum, dataclasses, pydantic models, FlyteFile, FlyteDirectory, pandas.DataFrame and "
    "pyarrow.Table; hint typing.Any to pickle anything else"
)


def fails(message: str) -> Any:
    return pytest.raises(TypeTransformerFailedError, match=f"^{re.escape(message)}$")


def test_the_error_is_a_type_error_a_value_error_and_a_user_error() -> None:
    with pytest.raises(TypeTransformerFailedError) as info:
        TypeEngine.to_literal("x", int)
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, FlyteUserException)
    assert info.value.reason == "expected int, got str ('x')"
    assert info.value.location == ""


@pytest.mark.parametrize(
    ("value", "python_type", "message"),
    [
        ("x", int, "expected int, got str ('x')"),
        (1.5, int, "expected int, got float (1.5)"),
        (None, int, "expected int, got None"),
        # flytekit refuses a bool for an int and an int for a bool; so do we.
        (True, int, "expected int, got bool (True)"),
        (1, bool, "expected bool, got int (1)"),
        ("1.5", float, "expected float, got str ('1.5')"),
        (True, float, "expected float, got bool (True)"),
        (1, str, "expected str, got int (1)"),
        (datetime.date(2020, 1, 1), datetime.datetime, "expected datetime, got date (datetime.date(2020, 1, 1))"),
        (
            datetime.datetime(2020, 1, 1),
            datetime.date,
            "expected date, got datetime (datetime.datetime(2020, 1, 1, 0, 0))",
        ),
        (5, datetime.timedelta, "expected timedelta, got int (5)"),
        (0, type(None), "expected None, got int (0)"),
        ((1, 2), list[int], "expected list[int], got tuple ((1, 2))"),
        ({"a"}, list[str], "expected list[str], got set ({'a'})"),
        ([1, "a"], list[int], "value[1]: expected int, got str ('a')"),
        ([[1], [2, None]], list[list[int]], "value[1][1]: expected int, got None"),
        ({"k": [1, "x"]}, dict[str, list[int]], "value['k'][1]: expected int, got str ('x')"),
        ({1: 2}, dict[str, int], "expected dict[str, int], got dict ({1: 2}): key 1 (int) is not a str"),
        (["a"], dict[str, int], "expected dict[str, int], got list (['a'])"),
        (
            {"a": datetime.date(2020, 1, 1)},
            dict,
            "value['a']: expected plain data (dict, list, str, int, float, bool or None), "
            "got date (datetime.date(2020, 1, 1))",
        ),
        ({"a": 1}, dict[int, str], "expected dict[int, str], got dict ({'a': 1}): key 'a' (str) is not an int"),
        ("blue", Color, "expected Color, got str ('blue'): not a member (the values are 'red', 'green')"),
        (3, Color, "expected Color, got int (3): not a member (the values are 'red', 'green')"),
        ({"x": 1}, Point, "expected Point, got dict ({'x': 1}): missing field 'y' (int)"),
        ({"x": 1, "y": 2, "z": 3}, Point, "unknown field 'z' of Point; fields are x, y"),
        ({"x": 1, "y": "2"}, Point, "value.y: expected int, got str ('2')"),
        (Inner(), Point, "expected Point, got Inner (Inner(a=3, b=None)): its fields (a, b) are not x, y"),
        ("p", Point, "expected Point, got str ('p')"),
        (Inner(a="3"), Inner, "value.a: expected int, got str ('3')"),  # type: ignore[arg-type]
        ([Point(1, 2), Point(1, "y")], list[Point], "value[1].y: expected int, got str ('y')"),  # type: ignore[arg-type]
        (1.5, Union[int, str], "expected int | str, got float (1.5)"),
        ("x", Optional[int], "expected int | None, got str ('x')"),
        (
            {"a": 1},
            Union[dict[str, int], dict],
            "ambiguous value for dict[str, int] | dict: dict fits dict[str, int], dict; "
            "give a more specific type or make the members distinct",
        ),
        (None, Any, "expected a value to pickle, got None: None cannot be pickled into a Flyte literal"),
    ],
    ids=repr,
)
def test_values_that_do_not_fit_their_type(value: Any, python_type: Any, message: str) -> None:
    with fails(message):
        TypeEngine.to_literal(value, python_type)


def test_a_struct_missing_a_field_cannot_be_read() -> None:
    lit = TypeEngine.to_literal({"x": 1}, dict)
    with fails("expected Point, got a struct without the field 'y' (int)"):
        TypeEngine.to_python_value(lit, Point)
    nested = TypeEngine.to_literal([{"x": 1, "y": 2}, {"x": 3}], list[dict])
    with fails("value[1]: expected Point, got a struct without the field 'y' (int)"):
        TypeEngine.to_python_value(nested, list[Point])


@pytest.mark.parametrize(
    ("literal", "python_type", "message"),
    [
        (TypeEngine.to_literal("x"), int, "expected int, got a STRING literal ('x')"),
        (TypeEngine.to_literal(1.5), int, "expected int, got a FLOAT literal (1.5)"),
        (TypeEngine.to_literal(1), str, "expected str, got an INTEGER literal (1)"),
        (TypeEngine.to_literal(1), bool, "expected bool, got an INTEGER literal (1)"),
        (TypeEngine.to_literal([1, 2]), int, "expected int, got a collection literal (2 items)"),
        (TypeEngine.to_literal(1), list[int], "expected list[int], got an INTEGER literal (1)"),
        (TypeEngine.to_literal({"a": 1}, dict[str, int]), list[int], "expected list[int], got a map literal (1 keys)"),
        (TypeEngine.to_literal(None), int, "expected int, got a none literal"),
        (TypeEngine.to_literal(1), type(None), "expected None, got an INTEGER literal (1)"),
        (
            TypeEngine.to_literal("blue"),
            Color,
            "expected Color, got str ('blue'): not a member (the values are 'red', 'green')",
        ),
        (TypeEngine.to_literal(1), Color, "expected Color, got an INTEGER literal (1)"),
        (TypeEngine.to_literal(1), Point, "expected Point, got an INTEGER literal (1)"),
        (
            TypeEngine.to_literal("s3://b/d", FlyteDirectory),
            FlyteFile,
            "expected FlyteFile, got a blob (directory) literal (s3://b/d)",
        ),
        (
            TypeEngine.to_literal("s3://b/f", FlyteFile),
            FlyteDirectory,
            "expected FlyteDirectory, got a blob (file) literal (s3://b/f)",
        ),
        (
            TypeEngine.to_literal(["a", 1], list[Union[str, int]]),
            list[str],
            "value[1]: expected str, got an INTEGER literal (1)",
        ),
        (TypeEngine.to_literal(1.5), datetime.datetime, "expected datetime, got a FLOAT literal (1.5)"),
        (TypeEngine.to_literal(1), Optional[str], "expected str | None, got a literal that no member can read"),
    ],
    ids=repr,
)
def test_literals_of_the_wrong_kind(literal: literals_pb2.Literal, python_type: Any, message: str) -> None:
    with fails(message):
        TypeEngine.to_python_value(literal, python_type)


def test_a_binary_literal_that_is_not_msgpack() -> None:
    lit = literals_pb2.Literal()
    lit.scalar.binary.value = b"{}"
    lit.scalar.binary.tag = "json"
    with fails("unsupported binary literal format 'json' (not msgpack)"):
        TypeEngine.to_python_value(lit, Point)


def test_an_error_literal() -> None:
    lit = literals_pb2.Literal()
    lit.scalar.error.failed_node_id = "n0"
    lit.scalar.error.message = "boom"
    with fails("the literal is an error from node 'n0': boom"):
        TypeEngine.to_python_value(lit)


class Numbers(enum.Enum):
    ONE = 1


@pytest.mark.parametrize(
    ("python_type", "message"),
    [
        (tuple[int, int], "unsupported type tuple[int, int]: Flyte has no tuple type; use a list or a dataclass"),
        (tuple, "unsupported type tuple: Flyte has no tuple type; use a list or a dataclass"),
        (
            set[int],
            f"unsupported type set[int]: {SUPPORTED}",
        ),
        (
            bytes,
            "unsupported type bytes: Flyte has no bytes type; use a FlyteFile, a str, or hint typing.Any to pickle",
        ),
        (list, "unsupported type list: a list needs one element type, e.g. list[int]"),
        (Literal["a", "b"], "unsupported type Literal['a', 'b']: use an Enum or str instead of typing.Literal"),
        (Numbers, "unsupported type Numbers: Flyte enums hold strings, but 1 is an int"),
        (
            complex,
            f"unsupported type complex: {SUPPORTED}",
        ),
        (
            list[complex],
            f"unsupported type complex: {SUPPORTED}",
        ),
    ],
    ids=repr,
)
def test_unsupported_types_name_the_type(python_type: Any, message: str) -> None:
    with fails(message):
        TypeEngine.to_literal_type(python_type)


def test_an_unsupported_value_without_a_type() -> None:
    with pytest.raises(TypeTransformerFailedError, match=r"^unsupported type complex: "):
        TypeEngine.to_literal(1j)
    with fails("cannot infer the element type of an empty list: give a type (e.g. python_type=list[int])"):
        TypeEngine.to_literal([])
    with fails(
        "cannot infer one element type for a list mixing int, str: give a type (e.g. python_type=list[int | str])"
    ):
        TypeEngine.to_literal([1, "a"])


def test_a_type_that_does_not_match_the_declared_type() -> None:
    with fails("the type str does not match the declared type int"):
        TypeEngine.to_literal("1", str, TypeEngine.to_literal_type(int))
    with fails("the type list[int] does not match the declared type list[str]"):
        TypeEngine.to_literal([1], list[int], TypeEngine.to_literal_type(list[str]))
    with fails("expected int, got str ('x')"):
        TypeEngine.to_literal("x", expected=TypeEngine.to_literal_type(int))


def test_python_to_literal_map_names_the_input() -> None:
    variables = {"x": TypeEngine.to_literal_type(int), "z": TypeEngine.to_literal_type(list[int])}
    with fails("input 'x': expected int, got str ('a')"):
        TypeEngine.python_to_literal_map({"x": "a", "z": []}, variables)
    with fails("input 'z'[2]: expected int, got str ('3')"):
        TypeEngine.python_to_literal_map({"x": 1, "z": [1, 2, "3"]}, variables)
    with fails("unknown input 'y'; the inputs are: x, z"):
        TypeEngine.python_to_literal_map({"x": 1, "y": 2, "z": []}, variables)
    with fails("unknown input 'y'; the inputs are: (none)"):
        TypeEngine.python_to_literal_map({"y": 2}, {})
    with fails("missing input 'x' (int)"):
        TypeEngine.python_to_literal_map({"z": []}, variables)
    with fails("missing inputs 'x' (int), 'z' (list[int])"):
        TypeEngine.python_to_literal_map({}, variables)
    with fails("missing input 'x' (int | None)"):
        TypeEngine.python_to_literal_map({}, {"x": TypeEngine.to_literal_type(int)}, {"x": Optional[int]})
    with fails("missing input 'r' (Record)"):
        TypeEngine.python_to_literal_map({}, {"r": TypeEngine.to_literal_type(Record)})
    with fails("input 'x': the type str does not match the declared type int"):
        TypeEngine.python_to_literal_map({"x": "1"}, {"x": TypeEngine.to_literal_type(int)}, {"x": str})


def test_literal_map_to_python_names_the_value() -> None:
    lm = TypeEngine.python_to_literal_map({"y": "x"}, {"y": TypeEngine.to_literal_type(str)})
    with fails("value 'y': expected int, got a STRING literal ('x')"):
        TypeEngine.literal_map_to_python(lm, {"y": int})
    with fails("output 'y': expected int, got a STRING literal ('x')"):
        TypeEngine.literal_map_to_python(lm, {"y": int}, label="output")


def test_files_that_do_not_exist_or_cannot_be_uploaded(tmp_path: Path, sample_file: Path) -> None:
    missing = str(tmp_path / "nope.txt")
    # The value's repr is shortened in messages; the path after the colon is whole.
    with pytest.raises(
        TypeTransformerFailedError, match=rf"^expected FlyteFile, got str \('.*\): {re.escape(missing)} is not a file$"
    ):
        TypeEngine.to_literal(missing, FlyteFile)
    with pytest.raises(
        TypeTransformerFailedError,
        match=rf"^expected FlyteDirectory, got PosixPath \(.*\): {re.escape(str(sample_file))} is not a directory$",
    ):
        TypeEngine.to_literal(sample_file, FlyteDirectory)
    with fails(f"uploading the local file {sample_file} needs file access: pass files=<a FileAccess>"):
        TypeEngine.to_literal(FlyteFile(sample_file))
    with fails("expected FlyteFile, got int (3)"):
        TypeEngine.to_literal(3, FlyteFile)
    with fails("expected FlyteFile, got FlyteDirectory (FlyteDirectory('s3://b/d'))"):
        TypeEngine.to_literal(FlyteDirectory("s3://b/d"), FlyteFile)
    with fails("pickling a set needs file access: pass files=<a FileAccess>"):
        TypeEngine.to_literal({1}, Any)


def test_downloading_a_remote_file_without_file_access() -> None:
    ff = TypeEngine.to_python_value(TypeEngine.to_literal("s3://bucket/key.txt", FlyteFile), FlyteFile)
    with pytest.raises(
        FlyteAssertion,
        match=r"^cannot download s3://bucket/key\.txt: "
        r"this FlyteFile was read without file access \(pass files=\.\.\.\)$",
    ):
        ff.download()


def test_dataframes_without_file_access_or_in_another_format(files: RecordingFileAccess) -> None:
    import pandas as pd

    with fails("uploading a DataFrame needs file access: pass files=<a FileAccess>"):
        TypeEngine.to_literal(pd.DataFrame({"a": [1]}))
    lit = literals_pb2.Literal()
    lit.scalar.structured_dataset.uri = "s3://bucket/frame"
    lit.scalar.structured_dataset.metadata.structured_dataset_type.format = "csv"
    with fails("cannot read a 'csv' structured dataset (s3://bucket/frame): only parquet"):
        TypeEngine.to_python_value(lit, pd.DataFrame, files=files)
    lit.scalar.structured_dataset.metadata.structured_dataset_type.format = "parquet"
    with fails("reading the dataframe at s3://bucket/frame needs file access: pass files=<a FileAccess>"):
        TypeEngine.to_python_value(lit, pd.DataFrame)
    with fails("expected DataFrame, got list ([1])"):
        TypeEngine.to_literal([1], pd.DataFrame, files=files)


def test_an_offloaded_literal_without_file_access() -> None:
    lit = literals_pb2.Literal()
    lit.offloaded_metadata.uri = "s3://bucket/offloaded.pb"
    with fails("reading the offloaded literal s3://bucket/offloaded.pb needs file access: pass files=<a FileAccess>"):
        TypeEngine.to_python_value(lit, int)


def test_guessing_a_literal_type_that_has_no_python_type() -> None:
    from flyteidl.core import types_pb2

    with fails("cannot guess a Python type for bytes"):
        TypeEngine.guess_python_type(types_pb2.LiteralType(simple=types_pb2.BINARY))
    with fails("cannot guess a Python type for unset literal type"):
        TypeEngine.guess_python_type(types_pb2.LiteralType())
