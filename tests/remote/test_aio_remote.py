"""flyteplane.aio.FlyteRemote on the embedded admin: the async mirror of the blocking remote's tests, 200
executions launched and awaited from one event loop, and a cancelled wait that leaves nothing behind."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from flyteplane.aio import FlyteRemote
from flyteplane.aio.raw import RawFlyteClient
from flyteplane.configuration import Config
from flyteplane.errors import FlyteAssertion, FlyteEntityNotExistException, FlyteTimeout
from flyteplane.remote import FlyteRemote as SyncRemote
from flyteplane.remote import FlyteTask
from flyteplane.types import TypeTransformerFailedError
from tests.remote.support import ADD_ONE, DOMAIN, FAIL, PROJECT, SLEEP, contract_task


class ChannelCountingRaw(RawFlyteClient):
    """flyteplane.aio.RawFlyteClient, counting the channels it opens."""

    channels_opened = 0

    def _make_channel(self, *args: Any, **kwargs: Any) -> Any:
        self.channels_opened += 1
        return super()._make_channel(*args, **kwargs)


class CountingClient:
    """An asyncio raw client that records the raw method of every call it passes on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.methods: list[str] = []

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self.inner, name)

        async def call(request: Any, *, timeout: float | None = None) -> Any:
            self.methods.append(name)
            return await fn(request, timeout=timeout)

        return call

    async def close(self) -> None:
        await self.inner.close()


def _config(flyte_admin: Any) -> Config:
    return Config.for_endpoint(flyte_admin.endpoint, insecure=True)


def _register(flyte_admin: Any, name: str, program: str) -> FlyteTask:
    with SyncRemote(_config(flyte_admin), PROJECT, DOMAIN) as remote:
        return remote.register_task(contract_task(f"{name}_{uuid.uuid4().hex[:6]}", program, "v1"))


def _run(flyte_admin: Any, body: Callable[[FlyteRemote, CountingClient], Awaitable[None]]) -> None:
    async def main() -> None:
        platform = _config(flyte_admin).platform
        client = CountingClient(ChannelCountingRaw(platform))
        async with FlyteRemote(_config(flyte_admin), PROJECT, DOMAIN, client=client) as remote:
            await body(remote, client)

    asyncio.run(main())


def test_execute_wait_and_read_outputs(flyte_admin) -> None:
    task = _register(flyte_admin, "add_one", ADD_ONE)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        fetched = await remote.fetch_task(name=task.name)
        execution = await remote.execute(fetched, inputs={"x": 41}, wait=True)
        assert execution.is_successful and execution.phase_name == "SUCCEEDED"
        with pytest.raises(FlyteAssertion, match=r"await remote.outputs\(execution\)"):
            execution.outputs  # noqa: B018
        with pytest.raises(FlyteAssertion, match=r"await remote.wait\(execution\)"):
            execution.wait()
        assert (await remote.outputs(execution))["y"] == 42
        assert execution.outputs["y"] == 42 and (await remote.inputs(execution))["x"] == 41
        assert repr(execution).endswith(", outputs={'y': 42})")
        assert execution.execution_url and execution.execution_url.endswith(execution.id.name)
        again = await remote.fetch_execution(name=execution.id.name)
        assert again.is_successful
        synced = await remote.sync_execution(again, sync_nodes=True)
        node = next(n for k, n in synced.node_executions.items() if k not in ("start-node", "end-node"))
        await remote.load_data(node)
        assert node.outputs["y"] == 42

    _run(flyte_admin, body)


def test_inputs_refused_before_any_rpc_and_names_suggested(flyte_admin) -> None:
    task = _register(flyte_admin, "add_one", ADD_ONE)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        with pytest.raises(TypeTransformerFailedError, match=r"unknown input 'y'; the inputs are: x"):
            await remote.execute(task, inputs={"y": 1})
        with pytest.raises(TypeTransformerFailedError, match=r"input 'x': expected int, got str"):
            await remote.execute(task, inputs={"x": "one"})
        assert client.methods == []
        with pytest.raises(FlyteEntityNotExistException, match=rf"did you mean '{task.name}'\?"):
            await remote.fetch_task(name=task.name + "x")
        with pytest.raises(FlyteAssertion, match="cannot execute a builtin_function_or_method: pass a FlyteTask"):
            await remote.execute(len)  # type: ignore[arg-type]

    _run(flyte_admin, body)


def test_a_failed_execution_and_a_wait_past_its_timeout(flyte_admin) -> None:
    fail = _register(flyte_admin, "fail", FAIL)
    sleep = _register(flyte_admin, "sleep", SLEEP)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        failed = await remote.execute(fail, inputs={"x": 3}, wait=True)
        assert failed.phase_name == "FAILED"
        with pytest.raises(FlyteAssertion, match="FAILED, it has no outputs"):
            await remote.outputs(failed)
        slow = await remote.execute(sleep, inputs={"x": 30})
        with pytest.raises(FlyteTimeout, match=rf"execution {slow.id.name} did not finish within 0.3s"):
            await remote.wait(slow, timeout=0.3)
        await remote.terminate(slow, "test over")
        assert (await remote.wait(slow, timeout=60)).phase_name == "ABORTED"

    _run(flyte_admin, body)


def test_two_hundred_executions_from_one_event_loop(flyte_admin) -> None:
    task = _register(flyte_admin, "add_one", ADD_ONE)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        async def one(i: int) -> int:
            execution = await remote.execute(task, inputs={"x": i}, wait=True)
            return int((await remote.outputs(execution))["y"])

        results = await asyncio.gather(*(one(i) for i in range(200)))
        assert results == [i + 1 for i in range(200)]
        assert client.inner.channels_opened == 1  # every call on the one channel

    _run(flyte_admin, body)


def test_cancelling_an_awaiting_wait_leaks_nothing(flyte_admin) -> None:
    sleep = _register(flyte_admin, "sleep", SLEEP)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        execution = await remote.execute(sleep, inputs={"x": 30})
        waiting = asyncio.create_task(remote.wait(execution))
        await asyncio.sleep(0.3)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # Nothing left running on the loop, and the remote keeps working on the same channel.
        assert asyncio.all_tasks() == {asyncio.current_task()}
        await remote.terminate(execution, "cancelled")
        await remote.wait(execution, timeout=60)
        assert execution.phase_name == "ABORTED"
        assert client.inner.channels_opened == 1

    _run(flyte_admin, body)
    # (the channel was closed by `async with`: a closed remote has none open)


def test_the_remote_closes_its_channel(flyte_admin) -> None:
    async def main() -> ChannelCountingRaw:
        inner = ChannelCountingRaw(_config(flyte_admin).platform)
        remote = FlyteRemote(_config(flyte_admin), PROJECT, DOMAIN, client=inner)
        assert repr(remote).startswith("aio.FlyteRemote(endpoint=")
        with pytest.raises(FlyteEntityNotExistException):
            await remote.fetch_execution(name="nope")
        assert inner.channel is not None
        await remote.close()
        return inner

    inner = asyncio.run(main())
    assert inner.channel is None and inner.channels_opened == 1
