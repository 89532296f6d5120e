"""Dynamic workflows the engine tests run (``tests/admin/engine/test_dynamic.py``), written with flytekit.

Tasks and workflows live at module level so that ``pyflyte-execute`` finds them: the dynamic tasks really run
flytekit, which compiles their body into a ``DynamicJobSpec`` and writes it to ``futures.pb``.
"""

from __future__ import annotations

import time

from flytekit import LaunchPlan, conditional, dynamic, map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@task
def negate(x: int) -> int:
    return -x


@task
def total(values: list[int]) -> int:
    return sum(values)


@task
def explode(x: int) -> int:
    if x == 2:
        raise ValueError(f"cannot take {x}")
    return x


@task
def nap(x: int) -> int:
    time.sleep(x)
    return x


@task
def bad_spec(n: int) -> int:
    """Registered with its command swapped for a program that writes a ``futures.pb`` that does not compile."""
    return n


# -- a fan-out, and the same nested ---------------------------------------------------------------------------------
@dynamic
def fan_out(n: int) -> int:
    return total(values=[square(x=i) for i in range(n)])


@workflow
def fan_out_wf(n: int) -> int:
    return fan_out(n=n)


@dynamic
def fan_out_of_fan_outs(n: int) -> list[int]:
    return [fan_out(n=i) for i in range(1, n + 1)]


@workflow
def nested_wf(n: int) -> list[int]:
    return fan_out_of_fan_outs(n=n)


# -- a branch, a sub-workflow and a launch plan inside a dynamic --------------------------------------------------
@workflow
def squared_negated(x: int) -> int:
    return negate(x=square(x=x))


squared_negated_lp = LaunchPlan.get_or_create(squared_negated, name="dynamic_squared_negated_lp")


@dynamic
def mixed(n: int) -> list[int]:
    out = []
    for i in range(n):
        s = square(x=i)
        out.append(conditional(f"sign_{i}").if_(s > 0).then(negate(x=s)).else_().then(square(x=s)))
    out.append(squared_negated(x=n))
    out.append(squared_negated_lp(x=n + 1))
    return out


@workflow
def mixed_wf(n: int) -> list[int]:
    return mixed(n=n)


# -- failures and termination -------------------------------------------------------------------------------------
@dynamic
def one_child_fails(n: int) -> int:
    return total(values=[explode(x=i) for i in range(n)])


@workflow
def one_child_fails_wf(n: int) -> int:
    return one_child_fails(n=n)


@dynamic
def naps(n: int, seconds: int) -> list[int]:
    return [nap(x=seconds) for _ in range(n)]


@workflow
def naps_wf(n: int, seconds: int) -> list[int]:
    return naps(n=n, seconds=seconds)


@workflow
def bad_spec_wf(n: int) -> int:
    return bad_spec(n=n)


# -- a map task inside a dynamic (needs the engine's array nodes) --------------------------------------------------
@dynamic
def mapped(n: int) -> int:
    return total(values=map_task(square)(x=list(range(n))))


@workflow
def mapped_wf(n: int) -> int:
    return mapped(n=n)
