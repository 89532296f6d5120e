"""flytekit tasks producing and echoing one value of each type flyteplane's type engine supports.

``tests/e2e/test_remote_types_peer.py`` registers them with flytekit, runs them with flyteplane's FlyteRemote (and
with flytekit's), and reads the same executions with both. The values live here, next to the tasks, so the test
compares against exactly what the task processes produced.
"""

import datetime
import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional, Union

import pandas as pd
from flytekit import current_context, task, workflow
from flytekit.types.directory import FlyteDirectory
from flytekit.types.file import FlyteFile
from pydantic import BaseModel


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


@dataclass
class Point:
    x: int
    y: float


@dataclass
class Shape:
    name: str
    color: Color
    origin: Point
    vertices: list[Point]
    weights: dict[str, float]
    note: Optional[str] = None
    parent: Optional[Point] = None
    tags: list[str] = field(default_factory=list)


class Owner(BaseModel):
    name: str
    email: Optional[str] = None


class Settings(BaseModel):
    name: str
    retries: int
    threshold: float
    enabled: bool
    tags: list[str]
    limits: dict[str, int]
    owner: Owner
    color: Color = Color.RED
    comment: Optional[str] = None


class Values(NamedTuple):
    i: int
    f: float
    s: str
    b: bool
    dt: datetime.datetime
    td: datetime.timedelta
    nothing: Optional[int]
    ints: list[int]
    floats: dict[str, float]
    nested: dict[str, list[int]]
    opt_set: Optional[str]
    opt_unset: Optional[str]
    union_int: Union[int, str]
    union_str: Union[int, str]
    color: Color
    shape: Shape
    settings: Settings


class Blobs(NamedTuple):
    file: FlyteFile
    dir: FlyteDirectory
    df: pd.DataFrame
    rows: int


class EchoedBlobs(NamedTuple):
    file_text: str
    dir_files: dict[str, str]
    df: pd.DataFrame


# --- the values --------------------------------------------------------------------------------------------------

FILE_TEXT = "a file from a flytekit task: ünïcödé\nsecond line\n"
DIR_FILES = {"a.txt": "alpha\n", "sub/b.txt": "beta in a sub-directory\n"}


def expected_values() -> Values:
    """What ``values()`` returns (and what the tests send to ``echo``)."""
    return Values(
        i=42,
        f=2.5,
        s="héllo, flyte",
        b=True,
        dt=datetime.datetime(2024, 5, 17, 13, 45, 12, 345678, tzinfo=datetime.timezone.utc),
        td=datetime.timedelta(days=1, hours=2, seconds=3, microseconds=400),
        nothing=None,
        ints=[1, 2, 3],
        floats={"a": 0.5, "b": -1.25},
        nested={"evens": [2, 4], "none": []},
        opt_set="present",
        opt_unset=None,
        union_int=7,
        union_str="seven",
        color=Color.GREEN,
        shape=Shape(
            name="triangle",
            color=Color.BLUE,
            origin=Point(0, 0.0),
            vertices=[Point(0, 0.0), Point(4, 0.0), Point(0, 3.0)],
            weights={"area": 6.0, "perimeter": 12.0},
            note=None,
            parent=Point(1, -1.5),
            tags=["right", "scalene"],
        ),
        settings=Settings(
            name="nightly",
            retries=3,
            threshold=0.75,
            enabled=True,
            tags=["etl", "daily"],
            limits={"cpu": 2, "mem_gib": 4},
            owner=Owner(name="ada", email="ada@example.com"),
            color=Color.BLUE,
        ),
    )


def expected_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["one", "two", "three"],
            "score": [0.5, 1.5, -2.0],
            "ok": [True, False, True],
        }
    )


# --- tasks -------------------------------------------------------------------------------------------------------


@task
def values() -> Values:
    return expected_values()


@workflow
def produce_values() -> Values:
    return values()


@task
def blobs() -> Blobs:
    work = Path(current_context().working_directory)
    path = work / "out.txt"
    path.write_text(FILE_TEXT, encoding="utf-8")
    directory = work / "outdir"
    for rel, text in DIR_FILES.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text, encoding="utf-8")
    frame = expected_frame()
    return Blobs(file=FlyteFile(str(path)), dir=FlyteDirectory(str(directory)), df=frame, rows=len(frame))


@workflow
def produce_blobs() -> Blobs:
    return blobs()


@task
def echo_values(
    i: int,
    f: float,
    s: str,
    b: bool,
    dt: datetime.datetime,
    td: datetime.timedelta,
    nothing: Optional[int],
    ints: list[int],
    floats: dict[str, float],
    nested: dict[str, list[int]],
    opt_set: Optional[str],
    opt_unset: Optional[str],
    union_int: Union[int, str],
    union_str: Union[int, str],
    color: Color,
    shape: Shape,
    settings: Settings,
) -> Values:
    """Every input back as flytekit read it; the Python types are checked here, in the task, first."""
    checks = {
        "i": int,
        "f": float,
        "s": str,
        "b": bool,
        "dt": datetime.datetime,
        "td": datetime.timedelta,
        "ints": list,
        "floats": dict,
        "nested": dict,
        "opt_set": str,
        "union_int": int,
        "union_str": str,
        "color": Color,
        "shape": Shape,
        "settings": Settings,
    }
    local = locals()
    wrong = {name: type(local[name]).__name__ for name, t in checks.items() if not isinstance(local[name], t)}
    if wrong or nothing is not None or opt_unset is not None:
        raise TypeError(f"echo read inputs of unexpected types: {wrong}, nothing={nothing!r}, opt_unset={opt_unset!r}")
    if not isinstance(shape.origin, Point) or not isinstance(settings.owner, Owner):
        raise TypeError(f"nested values read as {type(shape.origin).__name__}, {type(settings.owner).__name__}")
    return Values(**{name: local[name] for name in Values._fields})


@task
def echo_blobs(file: FlyteFile, dir: FlyteDirectory, df: pd.DataFrame) -> EchoedBlobs:
    """The file and directory as their contents (so the caller sees what the task downloaded), the frame back."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df read as {type(df).__name__}")
    with open(file.download(), encoding="utf-8") as fh:
        file_text = fh.read()
    root = dir.download()
    dir_files = {}
    for parent, _, names in os.walk(root):
        for name in names:
            full = os.path.join(parent, name)
            with open(full, encoding="utf-8") as fh:
                dir_files[os.path.relpath(full, root).replace(os.sep, "/")] = fh.read()
    return EchoedBlobs(file_text=file_text, dir_files=dir_files, df=df)
