"""Workflows the console's browser tests register and run on a sandbox.

No ``__init__.py`` here: flytekit takes this directory as the project root, so the module is ``console_flows`` both
in the tests (which put the directory on ``sys.path``) and in the fast-registered archive the task processes unpack.
"""

import os
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from flytekit import Deck, approve, dynamic, map_task, task, wait_for_input, workflow
from flytekit.types.file import FlyteFile


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


@task(enable_deck=True)
def plotted(n: int) -> int:
    """Writes a deck of its own besides flytekit's default ones."""
    Deck("console-deck", f"<h2>console deck of {n}</h2>")
    return n


@workflow
def decked(n: int = 4) -> int:
    return plotted(n=n)


@task
def measure(f: FlyteFile) -> int:
    """The number of bytes in a file (the launch form uploads it)."""
    with open(f, "rb") as handle:
        return len(handle.read())


@workflow
def filed(f: FlyteFile) -> int:
    return measure(f=f)


@task
def needs(marker: str, x: int) -> int:
    """Fails until the file `marker` exists, so that recovering the failed execution can succeed."""
    if not os.path.exists(marker):
        raise RuntimeError(f"no marker at {marker}")
    return x


@workflow
def flaky(marker: str, x: int = 1) -> int:
    # `needs` takes `first`, so that n0 has succeeded before n1 fails (else the failure could abort it first).
    first = add(a=x, b=1)
    return add(a=first, b=needs(marker=marker, x=first))


@workflow
def inner(a: int) -> int:
    return add(a=a, b=10)


@workflow
def nested(a: int = 1) -> int:
    """A sub-workflow (an `add` of its own) and a task after it."""
    return after(x=inner(a=a))
