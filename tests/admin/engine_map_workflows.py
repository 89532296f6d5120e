"""Workflows with array nodes (flytekit ``map_task``) that ``engine/test_array_nodes.py`` runs.

Tasks live at module level so that ``pyflyte-map-execute`` can load them in the element processes.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import typing

from flytekit import LaunchPlan, map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@task
def scale(x: int, factor: int, offset: int) -> int:
    return x * factor + offset


@task
def picky(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative input {x}")
    return x + 100


@task(retries=2)
def flaky_element(x: int) -> int:
    return x


@task(timeout=datetime.timedelta(seconds=1))
def slow_element(x: int) -> int:
    return x


@task
def nap(x: int) -> int:
    return x


@workflow
def squares(xs: list[int]) -> list[int]:
    return map_task(square)(x=xs)


@dataclasses.dataclass
class Numbers:
    xs: list[int] = dataclasses.field(default_factory=lambda: [1, 2, 3])


@workflow
def squares_of_attribute(n: Numbers) -> list[int]:
    # The list inside a dataclass (a msgpack binary): propeller resolves the attribute path to a collection.
    return map_task(square)(x=n.xs)


@workflow
def scaled(xs: list[int], factor: int) -> list[int]:
    # ``factor`` (a workflow input) and ``offset`` (a constant) are bound through functools.partial: every element
    # gets them whole, while ``xs`` is split by index.
    return map_task(functools.partial(scale, factor=factor, offset=1))(x=xs)


@workflow
def throttled(xs: list[int]) -> list[int]:
    return map_task(nap, concurrency=2)(x=xs)


@workflow
def tolerant(xs: list[int]) -> list[typing.Optional[int]]:
    return map_task(picky, min_success_ratio=0.5)(x=xs)


@workflow
def strict(xs: list[int]) -> list[int]:
    return map_task(picky)(x=xs)


@workflow
def retried(xs: list[int]) -> list[int]:
    return map_task(flaky_element)(x=xs)


@workflow
def timed(xs: list[int]) -> list[int]:
    return map_task(slow_element)(x=xs)


@workflow
def square_one(x: int) -> int:
    return square(x=x)


square_lp = LaunchPlan.get_or_create(square_one, name="engine_square_lp")


@workflow
def over_launch_plan(xs: list[int]) -> list[int]:
    return map_task(square_lp)(x=xs)
