"""What only the asynchronous clients have: lazy imports, ``async for`` pages, the async pipeline (retries,
deadlines, the auth seam), concurrency, and cancellation that leaves no channel or socket behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, project_pb2
from flyteidl.core import identifier_pb2

from flyteplane.aio import AsyncPager, FlyteClient, RawFlyteClient
from flyteplane.clients.interceptors import deadline
from flyteplane.clients.retry import Retry
from flyteplane.configuration import PlatformConfig
from flyteplane.errors import FlyteEntityNotExistException, FlyteSystemUnavailableException, FlyteTimeout
from flyteplane.models.admin.common import Sort
from flyteplane.models.common import NamedEntityIdentifier
from flyteplane.models.project import Project
from tests.clients.test_errors_and_retries import silent_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.timeout(120)


def _cfg(endpoint: str, **kw: Any) -> PlatformConfig:
    return PlatformConfig(endpoint=endpoint, insecure=True, **kw)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- imports ---------------------------------------------------------------------------------------------------------

LAZY = """
import json, sys, time
import flyteplane.aio
after_package = sorted(m for m in ("grpc", "flyteidl", "flyteplane.clients.operations") if m in sys.modules)
from flyteplane.aio import FlyteClient
from flyteplane.configuration import PlatformConfig
t = time.perf_counter()
client = FlyteClient(PlatformConfig(endpoint=sys.argv[1], insecure=True))
built = sorted(m for m in ("grpc", "grpc.aio", "flyteidl.service.admin_pb2") if m in sys.modules)
import asyncio
async def main():
    async with client:
        return await client.get_control_plane_version()
version = asyncio.run(main())
print(json.dumps({"after_package": after_package, "after_construction": built, "version": version}))
"""


def test_the_package_and_the_construction_import_no_grpc(flyte_admin):
    done = subprocess.run(
        [sys.executable, "-c", LAZY, flyte_admin.endpoint], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["after_package"] == []
    assert out["after_construction"] == []  # grpc, grpc.aio and the service module come with the first call
    assert out["version"]


def test_unknown_names_of_the_package_are_an_attribute_error():
    import flyteplane.aio

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        flyteplane.aio.Nope  # noqa: B018
    assert {"FlyteClient", "RawFlyteClient", "AsyncPager"} <= set(dir(flyteplane.aio))


# -- paging --------------------------------------------------------------------------------------------------------


def test_async_for_walks_every_page_once(flyte_admin):
    async def main() -> None:
        async with FlyteClient(_cfg(flyte_admin.endpoint)) as client:
            for i in range(7):
                await client.register_project(Project(f"p{i}", f"P{i}", ""))
            pager = client.iter_projects(sort_by=Sort("identifier", Sort.Direction.ASCENDING), page_size=3)
            assert isinstance(pager, AsyncPager)
            ids = [p.id async for p in pager]
            assert ids == sorted(ids) and {f"p{i}" for i in range(7)} <= set(ids) and len(ids) == len(set(ids))
            assert [len(page) async for page in pager.pages()] == [3, 3, 2]  # 8 with flytesnacks
            limited = client.iter_projects(sort_by=Sort("identifier", Sort.Direction.ASCENDING), page_size=3, limit=4)
            assert [p.id for p in await limited.all()] == ids[:4]
            assert (await pager.first()).id == ids[0]
            assert await client.iter_projects(limit=0).all() == []
            tasks = client.iter_tasks(NamedEntityIdentifier("flytesnacks", "development"))
            assert await tasks.first() is None

    asyncio.run(main())


def test_a_pager_checks_its_arguments_at_once(flyte_admin):
    client = FlyteClient(_cfg(flyte_admin.endpoint))
    with pytest.raises(ValueError, match="page_size must be positive"):
        client.iter_projects(page_size=0)
    with pytest.raises(ValueError, match="limit must not be negative"):
        client.iter_projects(limit=-1)


# -- the pipeline --------------------------------------------------------------------------------------------------


def _counting(counter: list[str]):
    async def interceptor(call_next, rpc, request, options):
        counter.append(rpc)
        return await call_next(rpc, request, options)

    return interceptor


def test_unreachable_port_retries_with_backoff_then_fails_clearly(free_port):
    attempts: list[str] = []
    client = RawFlyteClient(
        _cfg(f"127.0.0.1:{free_port}"),
        interceptors=[_counting(attempts)],
        retry=Retry(attempts=3, initial=0.05, maximum=0.1, deadline=5),
    )

    async def main() -> None:
        async with client:
            await client.get_version()

    started = time.monotonic()
    with pytest.raises(FlyteSystemUnavailableException) as info:
        asyncio.run(main())
    assert time.monotonic() - started < 5
    assert attempts == ["GetVersion"] * 3
    assert f"127.0.0.1:{free_port}" in str(info.value) and "UNAVAILABLE" in str(info.value)
    assert isinstance(info.value.__cause__, grpc.aio.AioRpcError)


def test_not_found_is_final_and_mapped(flyte_admin):
    async def main() -> None:
        async with RawFlyteClient(_cfg(flyte_admin.endpoint)) as client:
            flyte_admin.calls.reset()
            request = common_pb2.ObjectGetRequest(
                id=identifier_pb2.Identifier(
                    resource_type=identifier_pb2.TASK,
                    project="flytesnacks",
                    domain="development",
                    name="x",
                    version="1",
                )
            )
            with pytest.raises(FlyteEntityNotExistException) as info:
                await client.get_task(request)
            assert flyte_admin.calls["GetTask"] == 1
            assert info.value.rpc == "GetTask" and "TASK:flytesnacks:development:x:1" in str(info.value)

    asyncio.run(main())


def test_a_server_that_never_answers_times_out(silent_server):  # noqa: F811
    cfg = _cfg(silent_server, rpc_timeout=1.0, rpc_retry_deadline=3.0)

    async def main() -> None:
        async with RawFlyteClient(cfg) as client:
            await client.get_version()

    started = time.monotonic()
    with pytest.raises((FlyteTimeout, FlyteSystemUnavailableException)) as info:
        asyncio.run(main())
    assert time.monotonic() - started < 4.5
    assert "GetVersion" in str(info.value)


def test_a_scoped_deadline_bounds_the_calls_of_its_task_only(silent_server):  # noqa: F811
    async def main() -> None:
        async with RawFlyteClient(_cfg(silent_server, rpc_timeout=30.0), retry=Retry(attempts=1)) as client:

            async def bounded() -> None:
                with deadline(0.5):
                    await client.get_version()

            other = asyncio.ensure_future(client.get_version())  # no scoped deadline: still waiting afterwards
            started = time.monotonic()
            with pytest.raises(FlyteTimeout):
                await bounded()
            assert time.monotonic() - started < 2
            assert not other.done()
            other.cancel()
            with pytest.raises(asyncio.CancelledError):
                await other

    asyncio.run(main())


def test_a_per_call_timeout(silent_server):  # noqa: F811
    async def main() -> None:
        async with RawFlyteClient(_cfg(silent_server, rpc_timeout=30.0), retry=Retry(attempts=1)) as client:
            with pytest.raises(FlyteTimeout):
                await client.get_version(timeout=0.3)

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 2


def test_the_auth_seam_adds_credentials_and_refreshes_only_on_unauthenticated(flyte_admin):
    class Provider:
        def __init__(self) -> None:
            self.refreshes = 0
            self.threads: set[str] = set()

        def metadata(self):
            import threading

            self.threads.add(threading.current_thread().name)
            return [("authorization", f"Bearer token-{self.refreshes}")]

        def refresh(self) -> None:
            self.refreshes += 1

    seen: list[list[tuple[str, str]]] = []

    async def record(call_next, rpc, request, options):
        seen.append(list(options.metadata))
        return await call_next(rpc, request, options)

    provider = Provider()

    async def main() -> None:
        async with RawFlyteClient(_cfg(flyte_admin.endpoint), auth=provider, interceptors=[record]) as client:
            await client.get_version()
            with pytest.raises(FlyteEntityNotExistException):
                await client.get_project(project_pb2.ProjectGetRequest(id="nope"))

    asyncio.run(main())
    assert ("authorization", "Bearer token-0") in seen[0]
    assert provider.refreshes == 0  # NOT_FOUND is not an auth problem
    # The provider runs off the event loop, on the client's one auth thread.
    assert len(provider.threads) == 1 and next(iter(provider.threads)).startswith("flyteplane-aio-auth")


def test_grpc_aio_interceptors_see_every_call(flyte_admin):
    seen: list[str] = []

    class Recorder(grpc.aio.UnaryUnaryClientInterceptor):
        async def intercept_unary_unary(self, continuation, client_call_details, request):
            method = client_call_details.method
            seen.append(method.decode() if isinstance(method, bytes) else method)
            return await continuation(client_call_details, request)

    async def main() -> None:
        async with FlyteClient(_cfg(flyte_admin.endpoint), grpc_interceptors=[Recorder()]) as client:
            await client.get_domains()

    asyncio.run(main())
    assert seen == ["/flyteidl.service.AdminService/GetDomains"]


# -- concurrency, closing, cancelling ------------------------------------------------------------------------------


def test_many_concurrent_calls_share_one_channel(flyte_admin):
    async def main() -> None:
        async with FlyteClient(_cfg(flyte_admin.endpoint)) as client:
            flyte_admin.calls.reset()
            versions = await asyncio.gather(*(client.get_control_plane_version() for _ in range(50)))
            assert len(set(versions)) == 1 and flyte_admin.calls["GetVersion"] == 50
            assert client.raw.channel is not None

    asyncio.run(main())


def test_a_closed_client_reopens_on_the_next_call(flyte_admin):
    async def main() -> None:
        client = FlyteClient(_cfg(flyte_admin.endpoint))
        assert client.raw.channel is None  # nothing made at construction
        await client.get_domains()
        await client.close()
        assert client.raw.channel is None
        assert await client.get_domains()
        await client.close()
        await client.close()  # closing twice is harmless

    asyncio.run(main())


HANGING = """
import threading
from concurrent import futures
import grpc

def hang(request, context):
    threading.Event().wait(600)

handler = grpc.method_handlers_generic_handler(
    "flyteidl.service.AdminService", {"GetVersion": grpc.unary_unary_rpc_method_handler(hang)}
)
server = grpc.server(futures.ThreadPoolExecutor(32))
server.add_generic_rpc_handlers((handler,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
server.wait_for_termination()
"""


@pytest.fixture
def hanging_server():
    """A gRPC server whose GetVersion never answers, in a process of its own (its sockets are not counted here).

    A real HTTP/2 peer: against a bare TCP socket that never speaks HTTP/2, grpc keeps the half-made connection
    until its own handshake deadline (20 s), whatever the client does.
    """
    proc = subprocess.Popen([sys.executable, "-c", HANGING], stdout=subprocess.PIPE, text=True)
    try:
        yield f"127.0.0.1:{proc.stdout.readline().strip()}"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_cancelling_awaiting_calls_leaks_no_channel(hanging_server):
    """Cancel calls the server never answers, close the clients: their sockets (and grpc's fds) are all gone."""

    async def one_client() -> None:
        client = RawFlyteClient(_cfg(hanging_server, rpc_timeout=30.0))
        calls = [asyncio.ensure_future(client.get_version()) for _ in range(3)]
        await asyncio.sleep(0.2)
        for call in calls:
            call.cancel()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        await client.close()
        assert client.channel is None

    async def settle(baseline: int) -> int:
        for _ in range(50):  # grpc's poller closes sockets asynchronously
            if _open_fds() <= baseline:
                break
            await asyncio.sleep(0.05)
        return _open_fds()

    async def main() -> None:
        await one_client()  # grpc's own per-process descriptors (poller, wakeup fds) are made here, once
        baseline = await settle(_open_fds())
        for _ in range(5):
            await one_client()
        assert await settle(baseline) <= baseline

    asyncio.run(main())


def test_cancelling_the_task_around_an_async_with_closes_the_channel(silent_server):  # noqa: F811
    holder: dict[str, RawFlyteClient] = {}

    async def user() -> None:
        async with RawFlyteClient(_cfg(silent_server, rpc_timeout=30.0)) as client:
            holder["client"] = client
            await client.get_version()

    async def main() -> None:
        task = asyncio.ensure_future(user())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert holder["client"].channel is None

    asyncio.run(main())
