"""Workflows the engine tests run, written with flytekit (tasks must live at module level for pyflyte-execute).

``test_engine.py`` runs ``chain`` through the real ``pyflyte-execute``; for the other workflows it swaps each
task's command for a small ``python -c`` program honoring the same container contract (much faster than flytekit's
start-up), keyed by the task's short name.
"""

from __future__ import annotations

import datetime
import typing

from flytekit import LaunchPlan, WorkflowFailurePolicy, conditional, sleep, task, workflow
from flytekit.types.error import FlyteError


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@task
def summ(a: int, b: int) -> int:
    return a + b


@task
def sleepy(x: int) -> int:
    return x


@task(retries=2)
def flaky(x: int) -> int:
    return x


@task(timeout=datetime.timedelta(seconds=1))
def slow(x: int) -> int:
    return x


@task
def fail_user(x: int) -> int:
    if x >= 0:
        raise ValueError(f"bad input {x}")
    return x


@task
def crash(x: int) -> int:
    return x


@task
def clean_up(x: int, err: typing.Optional[FlyteError] = None) -> None:
    print(x, err)


@workflow
def chain(x: int) -> int:
    return double(x=add_one(x=x))


@workflow
def inner(x: int) -> int:
    return double(x=add_one(x=x))


@workflow
def outer(x: int) -> int:
    return add_one(x=inner(x=x))


@workflow
def branching(x: int) -> int:
    y = add_one(x=x)
    return conditional("test").if_(y > 5).then(double(x=y)).elif_(y < 0).then(summ(a=y, b=x)).else_().then(add_one(x=x))


@workflow
def branching_fail(x: int) -> int:
    y = add_one(x=x)
    return conditional("only_big").if_((y > 5) & (y < 100)).then(double(x=y)).else_().fail("too small")


@workflow
def fan_out(x: int) -> int:
    a = sleepy(x=x)
    b = sleepy(x=x)
    c = sleepy(x=x)
    d = sleepy(x=x)
    return summ(a=summ(a=a, b=b), b=summ(a=c, b=d))


@workflow
def with_retries(x: int) -> int:
    return flaky(x=x)


@workflow
def with_timeout(x: int) -> int:
    return slow(x=x)


@workflow
def failing(x: int) -> int:
    return double(x=fail_user(x=x))


@workflow
def crashing(x: int) -> int:
    return crash(x=x)


@workflow
def long_sleep(x: int) -> int:
    return sleepy(x=x)


@workflow
def fail_fast(x: int) -> int:
    a = crash(x=x)
    b = sleepy(x=30)
    return summ(a=a, b=b)


@workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def fail_late(x: int) -> int:
    a = crash(x=x)
    b = double(x=x)
    return summ(a=add_one(x=a), b=b)


@workflow(on_failure=clean_up)
def guarded(x: int) -> int:
    return double(x=crash(x=x))


@task
def single(x: int) -> int:
    return x + 1


@workflow
def recoverable(x: int) -> int:
    return crash(x=add_one(x=x))


inner_lp = LaunchPlan.get_or_create(inner, name="engine_inner_lp")


@workflow
def calls_lp(x: int) -> int:
    return add_one(x=inner_lp(x=x))


@workflow
def gated(x: int) -> int:
    pause = sleep(datetime.timedelta(seconds=1))
    y = add_one(x=x)
    pause >> y
    return y


@workflow
def one_task(x: int) -> int:
    return single(x=x)
