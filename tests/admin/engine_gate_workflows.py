"""Workflows the gate, branch and echo tests of the engine run (``engine/test_gates.py``), written with flytekit.

Gates and echo tasks run no process; the few container tasks here are swapped for the fake contract program of
``engine/test_engine.py`` (keyed by their short name: ``sleepy`` sleeps ``x / 10`` seconds, ``add_one`` adds one).
"""

from __future__ import annotations

import datetime

import flytekit as fl
from flytekit import approve, conditional, sleep, wait_for_input
from flytekit.core.task import Echo
from tests.admin.engine_workflows import add_one, sleepy

LONG = datetime.timedelta(minutes=10)

echo_int = Echo(name="echo_int", inputs={"x": int})
echo_pair = Echo(name="echo_pair", inputs={"a": int, "b": int})


@fl.workflow
def ask(x: int) -> str:
    return wait_for_input(name="title", timeout=LONG, expected_type=str)


@fl.workflow
def review(x: int) -> int:
    y = echo_int(x=x)
    return approve(y, "review", timeout=LONG)


@fl.workflow
def nap(x: int) -> int:
    pause = sleep(datetime.timedelta(seconds=1))
    y = echo_int(x=x)
    pause >> y
    return y


@fl.workflow
def impatient(x: int) -> str:
    return wait_for_input(name="never", timeout=datetime.timedelta(seconds=1), expected_type=str)


@fl.workflow
def clash(x: int) -> int:
    """Two gates that want the same signal with different types: the second GetOrCreateSignal is refused."""
    wait_for_input(name="dup", timeout=LONG, expected_type=str)
    return approve(echo_int(x=x), "dup", timeout=LONG)


@fl.workflow
def echoed(x: int) -> int:
    return add_one(x=echo_int(x=x))


@fl.workflow
def echo_two(a: int, b: int) -> int:
    first, _ = echo_pair(a=a, b=b)
    return first


@fl.workflow
def circle(get_circumference: bool = True) -> int:
    """flytekit's ``conditional_workflow`` shape: the case reads ``n0`` (slow), the condition only an input."""
    slow = sleepy(x=10)
    return (
        conditional("if_circumference")
        .if_(get_circumference.is_true())
        .then(echo_int(x=slow))
        .else_()
        .then(add_one(x=slow))
    )


@fl.workflow
def inner_branch(flag: bool, value: int) -> int:
    return conditional("inner").if_(flag.is_true()).then(echo_int(x=value)).else_().then(add_one(x=value))


@fl.workflow
def nested_circle(x: int, outer: bool = True, inner: bool = True) -> int:
    """A branch whose case is a sub-workflow (with a branch of its own) reading a slow upstream node."""
    slow = sleepy(x=x)
    return (
        conditional("outer").if_(outer.is_true()).then(inner_branch(flag=inner, value=slow)).else_().then(echo_int(x=x))
    )


# -- the workflows of flytekit's remote integration tests (tests/flytekit/integration/remote/workflows/basic),
# -- whose tasks run through the real pyflyte-execute ---------------------------------------------------------------

echo_radius = Echo(name="noop", inputs={"radius": float})


@fl.task
def calculate_circle_circumference(radius: float) -> float:
    return 2 * 3.14 * radius


@fl.task
def calculate_circle_area(radius: float) -> float:
    return 3.14 * radius * radius


@fl.task
def nop(radius: float) -> float:
    return radius


@fl.workflow
def conditional_wf(radius: float = 0.5, get_area: bool = False, get_circumference: bool = True) -> None:
    echoed_radius = nop(radius=radius)
    (
        conditional("if_area")
        .if_(get_area.is_true())
        .then(calculate_circle_area(radius=radius))
        .else_()
        .then(echo_radius(echoed_radius))
    )
    (
        conditional("if_circumference")
        .if_(get_circumference.is_true())
        .then(calculate_circle_circumference(radius=echoed_radius))
        .else_()
        .then(echo_radius(echoed_radius))
    )


@fl.task
def reporting_wf(title_input: str, data: list[float]) -> dict:
    return {"title": title_input, "data": data}


@fl.workflow
def signal_test_wf(data: list[float]) -> dict:
    title_input = wait_for_input(name="title-input", timeout=datetime.timedelta(hours=1), expected_type=str)
    approve(upstream_item=title_input, name="review-passes", timeout=datetime.timedelta(hours=1))
    return reporting_wf(title_input, data)
