"""Pre-serialized responses: ListTasks over gRPC is put together from the stored closure bytes (no parse, no
re-serialization), and answers exactly what the message-building path answers, page by page, with descriptions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import common_pb2, description_entity_pb2, execution_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer
from flyteplane.admin.domain.wire_bytes import WireMessage, len_field, varint, varint_field
from flyteplane.admin.rpc.dispatch import _serializer

P, D = "flytesnacks", "development"


def _request(name: str, version: str, description: str = "") -> task_pb2.TaskCreateRequest:
    tid = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project=P, domain=D, name=name, version=version)
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", f"# {version}"]),
    )
    spec = task_pb2.TaskSpec(template=template)
    if description:
        spec.description.CopyFrom(description_entity_pb2.DescriptionEntity(short_description=description))
    return task_pb2.TaskCreateRequest(id=tid, spec=spec)


@pytest.fixture(scope="module", params=["file", "memory"])
def admin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    state: Path | None = tmp_path_factory.mktemp("state") if request.param == "file" else None
    with AdminServer(state_dir=state) as server:
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(server.endpoint))
        for i in range(7):
            stub.CreateTask(_request("wired", f"v{i}", description=f"version {i}" if i % 2 else ""), timeout=10)
        yield server


def test_list_tasks_over_grpc_is_what_the_manager_builds_page_by_page(admin: AdminServer) -> None:
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    assert admin.services is not None
    manager = admin.services.tasks
    token, seen = "", []
    while True:
        request = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="wired"), limit=3, token=token
        )
        over_grpc = stub.ListTasks(request, timeout=10)
        built = manager.list_tasks(request)
        assert over_grpc == built
        assert over_grpc.SerializeToString(deterministic=True) == built.SerializeToString(deterministic=True)
        seen += list(over_grpc.tasks)
        token = over_grpc.token
        if not token:
            break
    assert len(seen) == 7
    assert sorted(t.short_description for t in seen if t.short_description) == ["version 1", "version 3", "version 5"]


def test_an_empty_page_and_a_bad_request_over_the_wire_path(admin: AdminServer) -> None:
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    empty = stub.ListTasks(
        common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="none"), limit=5),
        timeout=10,
    )
    assert list(empty.tasks) == [] and empty.token == ""
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListTasks(common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=P, domain=D)))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]


def test_wire_fields_are_protobufs_encoding() -> None:
    assert varint(0) == b"\x00" and varint(127) == b"\x7f" and varint(300) == b"\xac\x02"
    assert varint_field(1, 0) == b""
    message = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project="p", name="n" * 200)
    assert varint_field(1, identifier_pb2.TASK) + len_field(2, b"p") + len_field(4, b"n" * 200) == (
        message.SerializeToString()
    )


def test_a_wire_response_of_another_type_is_refused_by_the_servicer() -> None:
    serialize = _serializer(task_pb2.TaskList.DESCRIPTOR, task_pb2.TaskList.SerializeToString)
    assert serialize(WireMessage(task_pb2.TaskList.DESCRIPTOR, b"\x12\x01x")) == b"\x12\x01x"
    assert serialize(task_pb2.TaskList(token="x")) == b"\x12\x01x"
    with pytest.raises(TypeError, match="ExecutionList"):
        serialize(WireMessage(execution_pb2.ExecutionList.DESCRIPTOR, b""))
