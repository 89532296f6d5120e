"""Workflows the console's browser tests register and run on a sandbox.

No ``__init__.py`` here: flytekit takes this directory as the project root, so the module is ``console_flows`` both
in the tests (which put the directory on ``sys.path``) and in the fast-registered archive the task processes unpack.
"""

import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from flytekit import approve, dynamic, map_task, task, wait_for_input, workflow


@dataclass
class Report:
    total: int
    label: str


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def describe(total: int, label: str) -> Report:
    """Packs a total and a label into a dataclass (a msgpack value on the wire)."""
    return Report(total=total, label=label)


@workflow
def summed(a: int, b: int = 2, label: str = "sum") -> Report:
    """Adds two numbers and describes the sum."""
    return describe(total=add(a=a, b=b), label=label)


@task
def chatty(lines: int, pause: float) -> int:
    """Prints a numbered line every `pause` seconds, so that its log grows while it runs."""
    for i in range(lines):
        print(f"console-line {i}", flush=True)
        sys.stdout.flush()
        time.sleep(pause)
    return lines


@workflow
def talker(lines: int = 20, pause: float = 0.5) -> int:
    return chatty(lines=lines, pause=pause)


@task
def square(x: int) -> int:
    return x * x


@workflow
def squares(xs: list[int]) -> list[int]:
    return map_task(square)(x=xs)


@dynamic
def fan(n: int) -> list[int]:
    return [square(x=i) for i in range(n)]


@workflow
def fanned(n: int = 3) -> list[int]:
    return fan(n=n)


@task
def after(x: int) -> int:
    return x + 1


@workflow
def gated(x: int = 1) -> int:
    first = add(a=x, b=1)
    approved = approve(first, "go", timeout=timedelta(minutes=10))
    return after(x=approved)


@task
def shout(word: str) -> str:
    return word.upper()


@workflow
def asked() -> str:
    word = wait_for_input("word", timeout=timedelta(minutes=10), expected_type=str)
    return shout(word=word)
