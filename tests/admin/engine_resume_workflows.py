"""Workflows of the resume tests (``tests/admin/engine/test_resume.py``, ``tests/cli/test_sandbox_resume.py``): the
tasks of :mod:`tests.admin.engine_workflows` (which the tests run as the FAKE program) and of
:mod:`tests.admin.engine_dynamic_workflows` (run through pyflyte-execute)."""

from __future__ import annotations

import datetime

from flytekit import LaunchPlan, sleep, wait_for_input, workflow
from tests.admin import engine_dynamic_workflows as dw
from tests.admin import engine_workflows as wf


@workflow
def three_steps(x: int) -> int:
    a = wf.add_one(x=x)
    b = wf.sleepy(x=a)
    return wf.double(x=b)


@workflow
def sleeps_then_adds(x: int) -> int:
    pause = sleep(datetime.timedelta(seconds=4))
    a = wf.add_one(x=x)
    pause >> a
    return a


@workflow
def waits_for_a_number(x: int) -> int:
    y = wait_for_input("bump", timeout=datetime.timedelta(hours=1), expected_type=int)
    return wf.summ(a=x, b=y)


@workflow
def waits_briefly(x: int) -> int:
    y = wait_for_input("soon", timeout=datetime.timedelta(seconds=4), expected_type=int)
    return wf.summ(a=x, b=y)


@workflow
def sleeps(x: int) -> int:
    return wf.sleepy(x=x)


sleeps_lp = LaunchPlan.get_or_create(sleeps, name="resume_sleeps_lp")


@workflow
def calls_a_sleeper(x: int) -> int:
    return wf.add_one(x=sleeps_lp(x=x))


@workflow
def naps_once(x: int) -> int:
    return dw.nap(x=x)


naps_once_lp = LaunchPlan.get_or_create(naps_once, name="resume_naps_once_lp")


@workflow
def calls_a_napper(x: int) -> int:
    return wf.add_one(x=naps_once_lp(x=x))
