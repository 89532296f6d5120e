"""flytekit programs that need the whole task contract (``test_task_contract.py`` registers and runs them on an
admin, each task through the real ``pyflyte-execute``; tasks must live at module level for its resolver).

* eager workflows: ``eager_chain`` awaits two tasks; ``eager_nested`` awaits ``eager_chain`` (its own eager
  execution) and a task;
* ``use_checkpoint``: flytesnacks' intra-task checkpoint example (fails recoverably, resumes on its retry);
* ``with_deck``: a task that writes a deck;
* ``in_image``: a task in an ImageSpec image, which asks whether it runs inside it.
"""

from __future__ import annotations

import asyncio
import os

from flytekit import Deck, ImageSpec, current_context, eager, task, workflow
from flytekit.exceptions.user import FlyteRecoverableException


@task
def plus_one(x: int) -> int:
    return x + 1


@task
def times_two(x: int) -> int:
    return x * 2


# In an eager task, flytekit 1.16 runs a plain task's call to its end (one execution, waited for); an eager or async
# one is awaited.
@eager
async def eager_chain(x: int) -> int:
    y = plus_one(x=x)
    return times_two(x=y)


@eager
async def eager_nested(x: int) -> int:
    y = await eager_chain(x=x)
    return plus_one(x=y)


@task
async def sleeping(seconds: int) -> int:
    await asyncio.sleep(seconds)
    return seconds


@task
def refuse(x: int) -> int:
    if x > 0:
        raise ValueError(f"refusing {x}")
    return x


@eager
async def eager_fails(x: int) -> int:
    """Fails while an execution it launched still runs: flytekit's failure handler (the failure node of an eager
    task's workflow form, which ``pyflyte register`` registers) must terminate it."""
    running = asyncio.ensure_future(sleeping(seconds=600))
    await asyncio.sleep(8)  # flytekit's Controller launches what is awaited on its next round (every 2 s)
    assert not running.done()
    return refuse(x=x)


RETRIES = 3


@task(retries=RETRIES)
def use_checkpoint(n_iterations: int) -> int:
    """flytesnacks' ``advanced_composition/checkpoint.py``: each attempt resumes where the previous one's checkpoint
    says, and fails (recoverably) once it has made progress, so that only checkpoints let it finish."""
    cp = current_context().checkpoint
    prev = cp.read()
    start = 0
    if prev:
        start = int(prev.decode())
    failure_interval = n_iterations // RETRIES
    index = 0
    for index in range(start, n_iterations):
        if index > start and index % failure_interval == 0:
            raise FlyteRecoverableException(f"Failed at iteration {index}, failure_interval {failure_interval}.")
        cp.write(f"{index + 1}".encode())
    return index


@workflow
def checkpointing(n_iterations: int) -> int:
    return use_checkpoint(n_iterations=n_iterations)


DECK_TEXT = "flyteplane deck marker"


@task(enable_deck=True)
def with_deck(x: int) -> int:
    Deck("contract", f"<p>{DECK_TEXT} {x}</p>")
    return x


# An image that is never built (the test maps the spec to its image name, as ``pyflyte register --image`` does): the
# engine runs every task in its own environment, which stands for every image. The engine can tell a spec's id from
# its image's tag only when the tag has no "_" (ImageSpec writes "-" as "_"); this revision's id has neither.
SPEC = ImageSpec(
    name="flyteplane-contract", registry="localhost:30000", packages=["pandas"], env={"CONTRACT_REVISION": "1"}
)

# What flytekit's docs recommend: import what only the image has under is_container(), at module level.
IMPORTED_IN_IMAGE = SPEC.is_container()


@task(container_image=SPEC)
def in_image() -> str:
    return f"{IMPORTED_IN_IMAGE} {SPEC.is_container()} {os.environ.get('_F_IMG_ID', '')}"
