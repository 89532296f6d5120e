"""Bad endpoints and failing calls: clear exceptions within the deadline, retries only where they can help."""

from __future__ import annotations

import socket
import threading
import time

import grpc
import pytest
from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2

from flyteplane.clients.friendly import SynchronousFlyteClient
from flyteplane.clients.raw import RawSynchronousFlyteClient
from flyteplane.clients.retry import Retry
from flyteplane.configuration import PlatformConfig
from flyteplane.errors import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
    FlyteSystemUnavailableException,
    FlyteTimeout,
)
from flyteplane.models.core.identifier import Identifier, ResourceType


def _task_id(**kw: str) -> Identifier:
    fields = {"project": "flytesnacks", "domain": "development", "name": "t", "version": "v1"}
    fields.update(kw)
    return Identifier(ResourceType.TASK, **fields)


def test_not_found_reaches_the_server_exactly_once(flyte_admin, flyte_client):
    flyte_admin.calls.reset()
    with pytest.raises(FlyteEntityNotExistException) as info:
        flyte_client.get_task(_task_id(name="nope"))
    assert flyte_admin.calls["GetTask"] == 1
    err = info.value
    assert err.code == grpc.StatusCode.NOT_FOUND
    assert err.rpc == "GetTask"
    assert "TASK:flytesnacks:development:nope:v1" in str(err)
    assert "missing entity of type TASK" in err.details
    assert isinstance(err.__cause__, grpc.RpcError)


def test_invalid_input_names_the_field_and_is_not_retried(flyte_admin, flyte_raw_client):
    flyte_admin.calls.reset()
    request = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(domain="development"), limit=10)
    with pytest.raises(FlyteInvalidInputException) as info:
        flyte_raw_client.list_tasks_paginated(request)
    assert flyte_admin.calls["ListTasks"] == 1
    assert "missing project" in str(info.value)
    assert info.value.request is request


def test_identifier_missing_its_project_is_a_clear_error(flyte_admin, flyte_client):
    flyte_admin.calls.reset()
    with pytest.raises(FlyteInvalidInputException, match="missing its project") as info:
        flyte_client.get_task(Identifier(ResourceType.TASK, domain="development", name="t", version="v"))
    assert "TASK::development:t:v" in str(info.value)
    with pytest.raises(FlyteInvalidInputException, match="missing its project"):
        flyte_client.list_tasks_paginated(Identifier(domain="development"), limit=10)
    assert flyte_admin.calls["GetTask"] == 0 and flyte_admin.calls["ListTasks"] == 0


def test_already_exists_is_not_retried(flyte_admin, flyte_client):
    from flyteplane.models.core.types import LiteralType, SimpleType
    from flyteplane.models.core.workflow import TaskTemplate
    from flyteplane.models.interface import TypedInterface
    from flyteplane.models.task import TaskSpec

    tid = _task_id(name="dup")
    spec = TaskSpec(
        TaskTemplate(
            id=tid,
            type="python-task",
            metadata={},
            interface=TypedInterface(inputs={"x": LiteralType(simple=SimpleType.INTEGER)}, outputs={}),
            container={"image": "img", "args": ["run"]},
        )
    )
    flyte_client.create_task(tid, spec)
    flyte_admin.calls.reset()
    with pytest.raises(FlyteEntityAlreadyExistsException):
        flyte_client.create_task(tid, spec)
    assert flyte_admin.calls["CreateTask"] == 1


def _counting(counter: list[str]):
    def interceptor(call_next, rpc, request, options):
        counter.append(rpc)
        return call_next(rpc, request, options)

    return interceptor


def test_unreachable_port_retries_with_backoff_then_fails_clearly(free_port):
    attempts: list[str] = []
    cfg = PlatformConfig(endpoint=f"127.0.0.1:{free_port}", insecure=True)
    client = RawSynchronousFlyteClient(
        cfg, interceptors=[_counting(attempts)], retry=Retry(attempts=3, initial=0.05, maximum=0.1, deadline=5)
    )
    started = time.monotonic()
    with pytest.raises(FlyteSystemUnavailableException) as info:
        client.get_version()
    assert time.monotonic() - started < 5
    assert attempts == ["GetVersion"] * 3
    assert f"127.0.0.1:{free_port}" in str(info.value)
    assert "UNAVAILABLE" in str(info.value)


def test_unresolvable_host_fails_within_the_deadline():
    cfg = PlatformConfig(endpoint="no-such-host.invalid:81", insecure=True, rpc_timeout=2.0)
    client = RawSynchronousFlyteClient(cfg, retry=Retry(attempts=2, initial=0.05, deadline=4))
    started = time.monotonic()
    with pytest.raises((FlyteSystemUnavailableException, FlyteTimeout)):
        client.get_version()
    assert time.monotonic() - started < 6


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a hung admin or a black-holing proxy)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                conns.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for c in conns:
        c.close()
    sock.close()


def test_a_server_that_never_answers_times_out(silent_server):
    cfg = PlatformConfig(endpoint=silent_server, insecure=True, rpc_timeout=1.0, rpc_retry_deadline=3.0)
    client = RawSynchronousFlyteClient(cfg)
    started = time.monotonic()
    with pytest.raises((FlyteTimeout, FlyteSystemUnavailableException)) as info:
        client.get_version()
    elapsed = time.monotonic() - started
    assert elapsed < 4.5, f"took {elapsed:.1f}s"
    assert "GetVersion" in str(info.value)


def test_scoped_deadline_bounds_calls(silent_server):
    from flyteplane.clients.interceptors import deadline

    cfg = PlatformConfig(endpoint=silent_server, insecure=True, rpc_timeout=30.0)
    client = RawSynchronousFlyteClient(cfg, retry=Retry(attempts=1))
    started = time.monotonic()
    with deadline(0.5), pytest.raises(FlyteTimeout):
        client.get_version()
    assert time.monotonic() - started < 2


def test_retry_policy_pauses_grow_with_jitter_and_stay_bounded():
    policy = Retry(attempts=6, initial=0.1, multiplier=2, maximum=0.3)
    pauses = list(policy.pauses())
    assert len(pauses) == 5
    assert all(0 <= p <= 0.3 for p in pauses)
    assert policy.retries("UNAVAILABLE") and policy.retries("RESOURCE_EXHAUSTED")
    for code in ("NOT_FOUND", "ALREADY_EXISTS", "INVALID_ARGUMENT", "UNAUTHENTICATED", "INTERNAL"):
        assert not policy.retries(code)
    with pytest.raises(ValueError):
        Retry(attempts=0)


def test_string_endpoint_constructor_as_in_the_seed(flyte_admin):
    client = SynchronousFlyteClient(flyte_admin.endpoint, insecure=True)
    assert client.url == flyte_admin.endpoint
    assert client.config.insecure is True
    assert client.get_control_plane_version()


def test_raw_request_of_wrong_type_is_refused_before_the_wire(flyte_admin, flyte_raw_client):
    flyte_admin.calls.reset()
    with pytest.raises(TypeError, match="ObjectGetRequest"):
        flyte_raw_client.get_task(common_pb2.NamedEntityIdentifier(project="p"))  # type: ignore[arg-type]
    assert flyte_admin.calls["GetTask"] == 0


def test_unauthenticated_uses_the_auth_seam_once(flyte_admin):
    """The auth seam: credentials are added to calls, and refreshed once on UNAUTHENTICATED only."""

    class Provider:
        def __init__(self) -> None:
            self.refreshes = 0

        def metadata(self):
            return [("authorization", f"Bearer token-{self.refreshes}")]

        def refresh(self) -> None:
            self.refreshes += 1

    seen: list[list[tuple[str, str]]] = []

    def record(call_next, rpc, request, options):
        seen.append(list(options.metadata))
        return call_next(rpc, request, options)

    provider = Provider()
    cfg = PlatformConfig(endpoint=flyte_admin.endpoint, insecure=True)
    client = RawSynchronousFlyteClient(cfg, auth=provider, interceptors=[record])
    client.get_version()
    assert ("authorization", "Bearer token-0") in seen[0]
    with pytest.raises(FlyteEntityNotExistException):
        client.get_task(
            common_pb2.ObjectGetRequest(
                id=identifier_pb2.Identifier(
                    resource_type=identifier_pb2.TASK,
                    project="flytesnacks",
                    domain="development",
                    name="x",
                    version="1",
                )
            )
        )
    assert provider.refreshes == 0  # NOT_FOUND is not an auth problem


def test_the_default_per_call_deadline_applies_within_the_retry_budget(silent_server):
    cfg = PlatformConfig(endpoint=silent_server, insecure=True, rpc_timeout=0.5, rpc_retry_deadline=60.0)
    client = RawSynchronousFlyteClient(cfg, retry=Retry(attempts=1, deadline=60.0))
    started = time.monotonic()
    with pytest.raises(FlyteTimeout):
        client.get_version()
    assert time.monotonic() - started < 2
