"""The two drivers of FlyteRemote's operations (remote/_io.py) behave alike: answers go in, errors are thrown in
where the operation can catch them, pauses and blocking work are performed, and a cancelled async driver closes
the operation. The invoker here is a plain function: these are the drivers' own rules, no admin involved."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from flyteidl.admin import common_pb2

from flyteplane.configuration import Config
from flyteplane.errors import FlyteAssertion, FlyteEntityNotExistException
from flyteplane.remote._io import Call, Offload, Op, Sleep, run_async, run_sync

REQUEST = common_pb2.ObjectGetRequest()


def operation(log: list[str]) -> Op[str]:
    answer = yield Call("get_task", REQUEST, timeout=2.0)
    log.append(f"answer {answer}")
    try:
        yield Call("get_workflow", REQUEST)
    except FlyteEntityNotExistException as e:
        log.append(f"caught {e}")
    yield Sleep(0.001)
    worked = yield Offload(lambda: "offloaded")
    return f"{answer}+{worked}"


def answer(method: str, request: Any, timeout: float | None) -> Any:
    if method == "get_workflow":
        raise FlyteEntityNotExistException("not there")
    return f"{method}@{timeout}"


def test_the_sync_driver_answers_throws_sleeps_and_offloads() -> None:
    log: list[str] = []
    assert run_sync(operation(log), answer) == "get_task@2.0+offloaded"
    assert log == ["answer get_task@2.0", "caught not there"]


def test_the_async_driver_does_the_same() -> None:
    async def invoke(method: str, request: Any, timeout: float | None) -> Any:
        return answer(method, request, timeout)

    log: list[str] = []
    assert asyncio.run(run_async(operation(log), invoke)) == "get_task@2.0+offloaded"
    assert log == ["answer get_task@2.0", "caught not there"]


def test_an_uncaught_error_propagates_from_both_drivers() -> None:
    def failing() -> Op[None]:
        yield Call("get_workflow", REQUEST)

    with pytest.raises(FlyteEntityNotExistException):
        run_sync(failing(), answer)

    async def invoke(method: str, request: Any, timeout: float | None) -> Any:
        return answer(method, request, timeout)

    with pytest.raises(FlyteEntityNotExistException):
        asyncio.run(run_async(failing(), invoke))


def test_cancelling_the_async_driver_closes_the_operation() -> None:
    closed: list[bool] = []

    def forever() -> Op[None]:
        try:
            while True:
                yield Sleep(10)
        finally:
            closed.append(True)

    async def main() -> None:
        async def invoke(method: str, request: Any, timeout: float | None) -> Any:
            raise AssertionError("no call expected")

        task = asyncio.create_task(run_async(forever(), invoke))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert closed == [True]


def test_the_async_remote_refuses_no_concurrency() -> None:
    from flyteplane.aio import FlyteRemote

    with pytest.raises(FlyteAssertion, match="max_concurrent_calls must be at least 1, not 0"):
        FlyteRemote(Config.for_endpoint("localhost:1", insecure=True), max_concurrent_calls=0)
