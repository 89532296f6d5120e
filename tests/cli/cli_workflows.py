"""Workflows the command-line tests register and run (module level, for pyflyte-execute to import)."""

from __future__ import annotations

import time

from flytekit import dynamic, map_task, task, workflow


@task
def greet(name: str) -> str:
    print(f"greeting {name}", flush=True)
    return f"hello {name}"


@workflow
def hello(name: str = "world") -> str:
    return greet(name=name)


@task
def chatty(lines: int, pause: float) -> int:
    """Prints ``lines`` lines over ``lines * pause`` seconds: a log that grows while it is followed."""
    for i in range(lines):
        print(f"chatty line {i}", flush=True)
        time.sleep(pause)
    return lines


@workflow
def talk(lines: int = 6, pause: float = 0.5) -> int:
    return chatty(lines=lines, pause=pause)


@task
def square(x: int) -> int:
    return x * x


@dynamic
def fan(n: int) -> list[int]:
    return [square(x=i) for i in range(n)]


@workflow
def inner(x: int) -> int:
    return square(x=x)


@workflow
def everything(xs: list[int], n: int = 2, x: int = 3) -> tuple[list[int], list[int], int]:
    """A map task, a dynamic node and a sub-workflow: every kind of child the node tree shows."""
    return map_task(square)(x=xs), fan(n=n), inner(x=x)


@task
def slow(seconds: float) -> None:
    time.sleep(seconds)


@workflow
def waits(seconds: float = 120.0) -> None:
    slow(seconds=seconds)


@task
def refuse(x: int) -> int:
    if x > 0:
        raise ValueError(f"refusing {x}")
    return x


@workflow
def breaks(x: int = 1) -> int:
    return refuse(x=x)
