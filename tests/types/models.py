"""Types the tests convert, defined once and used on both sides (flyteplane and flytekit).

File-holding dataclasses come in twins: flytekit's dataclasses must hold flytekit's FlyteFile and ours ours.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import pydantic
from flytekit.types.directory import FlyteDirectory as FkDirectory
from flytekit.types.file import FlyteFile as FkFile

from flyteplane.types import FlyteDirectory, FlyteFile

UTC = datetime.timezone.utc


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclass
class Inner:
    a: int = 3
    b: Optional[str] = None


@dataclass
class Point:
    x: int
    y: int


@dataclass
class Record:
    """A dataclass with every kind of field flyteplane supports inside a struct."""

    x: int
    when: datetime.datetime
    day: datetime.date
    dur: datetime.timedelta
    color: Color = Color.RED
    inner: Inner = field(default_factory=Inner)
    ratio: float = 1.5
    counts: list[Optional[int]] = field(default_factory=list)
    either: Union[int, str] = 1
    groups: dict[str, list[Inner]] = field(default_factory=dict)
    anything: Any = None
    plain_list: list = field(default_factory=list)  # type: ignore[type-arg]
    since: datetime.datetime = datetime.datetime(2020, 1, 1)
    maybe: Optional[Inner] = None
    plain: dict = field(default_factory=dict)  # type: ignore[type-arg]


@dataclass
class Empty:
    pass


class Model(pydantic.BaseModel):
    a: int
    b: Optional[str] = None
    inners: list[Inner] = []
    color: Color = Color.RED
    when: Optional[datetime.datetime] = None


@dataclass
class WithFiles:
    ff: FlyteFile
    fd: FlyteDirectory
    n: int = 0


@dataclass
class FkWithFiles:
    ff: FkFile
    fd: FkDirectory
    n: int = 0


def sample_record() -> Record:
    return Record(
        x=1,
        when=datetime.datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC),
        day=datetime.date(2021, 1, 2),
        dur=datetime.timedelta(seconds=90, microseconds=5),
        counts=[1, None],
        either="two",
        groups={"k": [Inner(), Inner(4, "four")]},
        anything={"z": [1, 2]},
        plain_list=[1, "a"],
        maybe=Inner(7),
        plain={"q": [1, None]},
    )
