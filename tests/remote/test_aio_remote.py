"""flyteplane.aio.FlyteRemote on the embedded admin: the async mirror of the blocking remote's tests, 200
executions launched and awaited from one event loop, and a cancelled wait that leaves nothing behind."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from flyteidl.admin import signal_pb2
from flyteidl.core import types_pb2

from flyteplane.aio import FlyteRemote
from flyteplane.aio.raw import RawFlyteClient
from flyteplane.configuration import Config
from flyteplane.errors import (
    FlyteAssertion,
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteTimeout,
)
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


# -- lists, signals, relaunch / recover, launch plan state: the blocking remote's tests, awaited -------------------
def test_list_tasks_by_version_pages_through_everything(flyte_admin) -> None:
    version = uuid.uuid4().hex[:8]
    with SyncRemote(_config(flyte_admin), PROJECT, DOMAIN) as sync:
        for i in range(130):
            sync.register_task(contract_task(f"amany_{i:03d}", ADD_ONE, version))

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        assert len(await remote.list_tasks_by_version(version)) == 100  # flytekit's default limit
        everything = await remote.list_tasks_by_version(version, limit=None)
        assert sorted(t.name for t in everything) == [f"amany_{i:03d}" for i in range(130)]
        assert client.methods.count("list_tasks_paginated") == 1 + 2  # one page, then two pages
        assert len(await remote.list_tasks_by_version(version, limit=7)) == 7
        named = await remote.list_tasks(name="amany_005")
        assert [(t.name, t.id.version) for t in named] == [("amany_005", version)]

    _run(flyte_admin, body)


def test_list_projects_and_domains(flyte_admin) -> None:
    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        assert "flytesnacks" in [p.id for p in await remote.list_projects()]
        assert [d.id for d in await remote.get_domains()] == ["development", "staging", "production"]
        assert len(await remote.list_projects(limit=1)) == 1

    _run(flyte_admin, body)


def test_list_workflows_launch_plans_and_their_activation(flyte_admin) -> None:
    from tests.admin import engine_workflows as wfs

    version = uuid.uuid4().hex[:8]
    with SyncRemote(_config(flyte_admin), PROJECT, DOMAIN) as sync:
        workflow = sync.register_workflow(wfs.chain, version=version)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        listed = await remote.list_workflows(name=workflow.name)
        assert [w.id.version for w in listed] == [version]
        assert set(listed[0].interface.inputs) == {"x"}
        plans = await remote.list_launch_plans(name=workflow.name)
        assert [p.id.version for p in plans] == [version]
        assert await remote.fetch_active_launchplan(name=workflow.name) is None
        await remote.activate_launchplan(plans[0].id)
        active = await remote.fetch_active_launchplan(name=workflow.name)
        assert active is not None and active.id.version == version
        assert workflow.name in [p.name for p in await remote.list_launch_plans(active_only=True)]
        await remote.deactivate_launchplan(plans[0].id)
        assert await remote.fetch_active_launchplan(name=workflow.name) is None
        with pytest.raises(FlyteAssertion, match="the name of the launch plan is required"):
            await remote.fetch_active_launchplan()

    _run(flyte_admin, body)


def test_recent_executions_newest_first(flyte_admin) -> None:
    task = _register(flyte_admin, "add_one", ADD_ONE)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        started = [await remote.execute(task, inputs={"x": i}) for i in range(3)]
        recent = await remote.recent_executions(limit=3)
        assert [e.id.name for e in recent] == [e.id.name for e in reversed(started)]
        assert all(e.execution_url for e in recent)  # bound to the remote
        with pytest.raises(FlyteAssertion, match=r"await remote.wait\(execution\)"):
            recent[0].wait()
        for e in started:
            await remote.wait(e, timeout=60)

    _run(flyte_admin, body)


def test_relaunch_and_recover(flyte_admin) -> None:
    task = _register(flyte_admin, "add_one", ADD_ONE)
    fail = _register(flyte_admin, "fail", FAIL)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        done = await remote.execute(task, inputs={"x": 5}, wait=True)
        again = await remote.wait(await remote.relaunch(done), timeout=60)
        assert again.id.name != done.id.name and (await remote.outputs(again))["y"] == 6
        failed = await remote.execute(fail, inputs={"x": 1}, wait=True)
        recovered = await remote.wait(await remote.recover(failed.id, name=f"rec-{uuid.uuid4().hex[:6]}"), timeout=60)
        assert recovered.id.name.startswith("rec-") and recovered.phase_name == "FAILED"
        with pytest.raises(FlyteAssertion, match="expected an execution or a WorkflowExecutionIdentifier, got str"):
            await remote.relaunch("nope")  # type: ignore[arg-type]

    _run(flyte_admin, body)


def test_approve_reject_and_set_signal(flyte_admin) -> None:
    task = _register(flyte_admin, "sleep", SLEEP)

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        execution = await remote.execute(task, inputs={"x": 30})
        eid = execution.to_flyte_idl().id
        for signal_id, literal_type in (
            ("ok", types_pb2.LiteralType(simple=types_pb2.BOOLEAN)),
            ("no", types_pb2.LiteralType(simple=types_pb2.BOOLEAN)),
            ("n", types_pb2.LiteralType(simple=types_pb2.INTEGER)),
        ):
            request = signal_pb2.SignalGetOrCreateRequest(type=literal_type)
            request.id.signal_id = signal_id
            request.id.execution_id.CopyFrom(eid)
            await remote.client.get_or_create_signal(request)
        await remote.approve("ok", eid.name)
        await remote.reject("no", eid.name)
        await remote.set_signal("n", eid.name, 7)  # converted to the signal's own type
        values = {s.id.signal_id: s.value for s in await remote.list_signals(eid.name)}
        assert values["ok"].scalar.primitive.boolean is True
        assert values["no"].scalar.primitive.boolean is False
        assert values["n"].scalar.primitive.integer == 7
        with pytest.raises(TypeTransformerFailedError):
            await remote.set_signal("n", eid.name, "seven")
        await remote.set_signal("n", eid.name, 8, literal_type=types_pb2.LiteralType(simple=types_pb2.INTEGER))
        assert [
            s.value.scalar.primitive.integer for s in await remote.list_signals(eid.name) if s.id.signal_id == "n"
        ] == [8]
        assert len(await remote.list_signals(eid.name, limit=1)) == 1
        await remote.terminate(eid, "test over")
        await remote.wait(execution, timeout=60)

    _run(flyte_admin, body)


def test_register_tasks_same_different_and_incomplete(flyte_admin) -> None:
    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        name = f"areg_{uuid.uuid4().hex[:6]}"
        first = await remote.register_task(contract_task(name, ADD_ONE, "v1"))
        assert isinstance(first, FlyteTask) and (first.name, first.id.version) == (name, "v1")
        again = await remote.register_task(contract_task(name, ADD_ONE, "v1"))  # the same again: success
        assert again.id.version == "v1"
        with pytest.raises(FlyteEntityAlreadyExistsException, match="already registered with a different definition"):
            await remote.register_task(contract_task(name, SLEEP, "v1"))
        assert (await remote.register_task(contract_task(name, ADD_ONE, "v1"), version="v9")).id.version == "v9"
        with pytest.raises(FlyteAssertion, match=r"cannot register \[bare\]: its identifier has no version"):
            await remote.register_task(contract_task("bare", ADD_ONE, ""))
        execution = await remote.execute(await remote.fetch_task(name=name), inputs={"x": 1}, wait=True)
        assert (await remote.outputs(execution))["y"] == 2

    _run(flyte_admin, body)


def test_register_a_flytekit_workflow_and_a_launch_plan_message(flyte_admin) -> None:
    from flyteidl.admin import launch_plan_pb2

    from tests.admin import engine_workflows as wfs

    version = uuid.uuid4().hex[:8]

    async def body(remote: FlyteRemote, client: CountingClient) -> None:
        workflow = await remote.register_workflow(wfs.chain, version=version)  # serialized in a worker thread
        assert workflow.name == "tests.admin.engine_workflows.chain"
        assert [n.id for n in workflow.flyte_nodes] == ["n0", "n1"]
        default = await remote.fetch_launch_plan(name=workflow.name, version=version)
        assert default.workflow_id.name == workflow.name
        with pytest.raises(FlyteAssertion, match="needs a version: pass version="):
            await remote.register_workflow(wfs.chain)
        # A launch plan message, activated as it asks.
        pb = launch_plan_pb2.LaunchPlan()
        pb.CopyFrom(default.to_flyte_idl())
        pb.id.name = f"alp_{uuid.uuid4().hex[:6]}"
        plan = await remote.register_launch_plan(
            type("Auto", (), {"to_flyte_idl": lambda self: pb, "auto_activate": True})()
        )
        assert plan.name == pb.id.name
        active = await remote.fetch_active_launchplan(name=pb.id.name)
        assert active is not None and active.id.version == version
        with pytest.raises(FlyteAssertion, match="register_launch_plan takes a LaunchPlan"):
            await remote.register_launch_plan(workflow.to_flyte_idl())
        execution = await remote.execute(plan, inputs={"x": 3}, wait=True)
        assert execution.is_successful

    _run(flyte_admin, body)
