"""Cached flytekit tasks that ``engine/test_caching.py`` runs on the embedded admin.

Every task body leaves a mark (a file named ``<task>-<value>-<pid>``) in ``$CACHE_MARKS`` when it runs, so a test
can tell a computed run from a cache hit. Tasks live at module level so that ``pyflyte-execute`` (and
``pyflyte-map-execute``) can load them in the task processes.
"""

from __future__ import annotations

import os
import time
from typing import Annotated

from flytekit import HashMethod, dynamic, map_task, task, workflow


def _mark(name: str, value: object) -> None:
    marks = os.environ.get("CACHE_MARKS")
    if marks:
        with open(os.path.join(marks, f"{name}-{value}-{os.getpid()}"), "w") as f:
            f.write(str(time.time()))


@task(cache=True, cache_version="1")
def cached_square(x: int) -> int:
    _mark("cached_square", x)
    return x * x


@task(cache=True, cache_version="1", cache_ignore_input_vars=("note",))
def ignoring_note(x: int, note: str) -> int:
    _mark("ignoring_note", x)
    return x + 1


@task(cache=True, cache_version="1", cache_serialize=True)
def serialized_slow(x: int) -> int:
    _mark("serialized_slow", x)
    time.sleep(3)
    return x * 10


def last_digit(x: int) -> str:
    """The hash of an int by its last digit: 3 and 13 are the same input to a cache."""
    return str(x % 10)


@task
def produce(x: int) -> Annotated[int, HashMethod(last_digit)]:
    return x


@task(cache=True, cache_version="1")
def consume(y: int) -> int:
    _mark("consume", y)
    return y * 2


@workflow
def hashed(x: int) -> int:
    return consume(y=produce(x=x))


@workflow
def squares(xs: list[int]) -> list[int]:
    return map_task(cached_square)(x=xs)


@task(cache=True, cache_version="1")
def no_outputs(x: int) -> None:
    _mark("no_outputs", x)


@dynamic(cache=True, cache_version="1")
def cached_fanout(n: int) -> list[int]:
    _mark("cached_fanout", n)
    return [cached_square(x=i) for i in range(n)]
