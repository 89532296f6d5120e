"""Answers fit what clients accept, whatever a client sent or registered (over real gRPC, with clients at gRPC's
default limits: 4 MiB messages, 8 KiB of metadata, which holds the status message).

* Error messages quote at most 256 characters of any one client value; identifiers longer than any stored one are
  refused on reads; no RPC answers a long input with a message a default client drops ("Stream removed").
* Entities above ``AdminConfig.max_entity_bytes`` are refused at registration, naming their size and the limit.
* A List RPC's page stops short of ``limit`` before it outgrows a default client's message limit, with a token.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import common_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.service import admin_pb2, admin_pb2_grpc, dataproxy_pb2, signal_pb2
from google.protobuf import message_factory
from google.protobuf.message import Message

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.errors import MAX_ECHO_CHARS, echo
from flyteplane.admin.store.listing import MAX_PAGE_BYTES

P, D = "flytesnacks", "development"
LONG = "a" * 17_000
# Well under gRPC's default 8 KiB metadata limit; long enough for any of Flyte Admin's messages about short input.
MESSAGE_BUDGET = 4096


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    config = AdminConfig(seed_projects=(P,), max_entity_bytes=200_000)
    with AdminServer(config=config) as server:
        yield server


@pytest.fixture(scope="module")
def channel(admin: AdminServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(admin.endpoint) as channel:  # gRPC's default limits, as most clients
        yield channel


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(channel)


def _error(call, request: Message) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    return info.value  # type: ignore[no-any-return]


# --- echoed input ---------------------------------------------------------------------------------------------------


def test_echo_bounds_one_value() -> None:
    assert echo("short") == "short"
    assert echo("a" * MAX_ECHO_CHARS) == "a" * MAX_ECHO_CHARS
    assert echo(LONG) == "a" * MAX_ECHO_CHARS + "... (17000 characters)"


def test_a_get_with_a_huge_name_is_refused_readably(stub: admin_pb2_grpc.AdminServiceStub) -> None:
    ident = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project=P, domain=D, name=LONG, version="v")
    err = _error(stub.GetTask, common_pb2.ObjectGetRequest(id=ident))
    assert (err.code(), err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "name cannot exceed 255 characters")
    ident.resource_type = identifier_pb2.WORKFLOW
    err = _error(stub.GetWorkflow, common_pb2.ObjectGetRequest(id=ident))
    assert (err.code(), err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "name cannot exceed 255 characters")


def test_a_huge_token_is_quoted_shortened(stub: admin_pb2_grpc.AdminServiceStub) -> None:
    request = common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=1)
    request.token = "x" * 17_000
    err = _error(stub.ListTasks, request)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == f"invalid pagination token {'x' * MAX_ECHO_CHARS}... (17000 characters) for ListTasks"


def _filled(message: Message, depth: int = 0) -> Message:
    """Every singular string field (to three levels of nesting) set to 17,000 characters, limits set to 10."""
    for field in message.DESCRIPTOR.fields:
        if field.is_repeated:
            continue
        oneof = field.containing_oneof
        if oneof is not None and message.WhichOneof(oneof.name) is not None:
            continue
        if field.type == field.TYPE_STRING:
            setattr(message, field.name, LONG)
        elif field.type == field.TYPE_MESSAGE and depth < 3 and not field.message_type.full_name.startswith("google."):
            _filled(getattr(message, field.name), depth + 1)
    if "limit" in message.DESCRIPTOR.fields_by_name:
        message.limit = 10  # type: ignore[attr-defined]
    return message


_SERVICES = [
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    dataproxy_pb2.DESCRIPTOR.services_by_name["DataProxyService"],
    signal_pb2.DESCRIPTOR.services_by_name["SignalService"],
]
_METHODS = [(service, method) for service in _SERVICES for method in service.methods]


@pytest.mark.parametrize(("service", "method"), _METHODS, ids=[m.name for _, m in _METHODS])
def test_no_rpc_answers_long_input_with_a_message_clients_drop(channel: grpc.Channel, service, method) -> None:  # type: ignore[no-untyped-def]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        f"/{service.full_name}/{method.name}",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    try:
        call(_filled(request_class()), timeout=30)
    except grpc.RpcError as e:
        # RESOURCE_EXHAUSTED "Stream removed" is what a client says when the status message was too big for it.
        assert e.code() not in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL), e.details()
        assert len(e.details().encode()) <= MESSAGE_BUDGET


# --- entity sizes and pages -----------------------------------------------------------------------------------------


def _task(name: str, custom_bytes: int) -> task_pb2.TaskCreateRequest:
    ident = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project=P, domain=D, name=name, version="v1")
    template = tasks_pb2.TaskTemplate(
        id=ident,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(runtime=tasks_pb2.RuntimeMetadata(version="1.16.0")),
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="busybox", args=["true"]),
    )
    template.custom.update({"payload": "x" * custom_bytes})
    return task_pb2.TaskCreateRequest(id=ident, spec=task_pb2.TaskSpec(template=template))


def test_an_entity_over_the_size_limit_is_refused(stub: admin_pb2_grpc.AdminServiceStub) -> None:
    err = _error(stub.CreateTask, _task("too_big", 300_000))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details().startswith("task [too_big] is too large to register: 3")
    assert err.details().endswith(" bytes, over the limit of 200000 bytes (max_entity_bytes)")
    stub.CreateTask(_task("fits", 150_000))


def test_the_default_limit_is_below_a_default_clients_message_limit() -> None:
    assert AdminConfig().max_entity_bytes is not None
    assert AdminConfig().max_entity_bytes <= MAX_PAGE_BYTES < 4 * 1024 * 1024
    with pytest.raises(ValueError):
        AdminConfig(max_entity_bytes=0)


def test_pages_of_big_entities_stay_under_a_default_clients_limit() -> None:
    # Five tasks of 1.25 MiB each: 6+ MiB in one page would be RESOURCE_EXHAUSTED for a default client.
    with AdminServer() as server, grpc.insecure_channel(server.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        names = [f"big_{i}" for i in range(5)]
        for name in names:
            stub.CreateTask(_task(name, 1_250_000))
        stub.CreateTask(_task("small", 10))
        request = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D),
            limit=100,
            sort_by=common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING),
        )
        seen: list[str] = []
        pages = 0
        while True:
            page = stub.ListTasks(request)
            pages += 1
            assert page.ByteSize() <= 4 * 1024 * 1024
            seen += [task.id.name for task in page.tasks]
            if not page.token:
                break
            request.token = page.token
        assert seen == [*names, "small"]
        assert pages >= 3
        # A page that fits is not cut: limit rows and Flyte Admin's token.
        small = stub.ListTasks(
            common_pb2.ResourceListRequest(
                id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="small"), limit=1
            )
        )
        assert ([t.id.name for t in small.tasks], small.token) == (["small"], "1")
