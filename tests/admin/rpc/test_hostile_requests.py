"""Requests a client got wrong, or sent to hurt: answered with the client's status, never INTERNAL, and cheaply.

Over real gRPC on loopback to an embedded admin: bodies that are not the RPC's message, invalid UTF-8, nesting
past Go protobuf's limit (and nesting below it, which Flyte Admin accepts), messages over the configured size, and
large anonymous requests to an admin with auth on, which are refused before their bodies are read.
"""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, project_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, tasks_pb2, types_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.rpc.wire import MAX_NESTING, nesting_depth

_MB = 1024 * 1024


def _raw_call(
    admin: AdminServer, method: str, body: bytes, metadata: tuple[tuple[str, str], ...] = ()
) -> grpc.RpcError:
    """Send ``body`` as is to ``/flyteidl.service.AdminService/<method>``; the error it answers."""
    with grpc.insecure_channel(admin.endpoint, options=[("grpc.max_send_message_length", -1)]) as channel:
        call = channel.unary_unary(f"/flyteidl.service.AdminService/{method}")
        with pytest.raises(grpc.RpcError) as raised:
            call(body, metadata=metadata, timeout=30)
    return raised.value  # type: ignore[return-value]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _nested_type(depth: int) -> bytes:
    """A ``LiteralType`` of collections ``depth`` levels deep, serialized without recursion."""
    data = types_pb2.LiteralType(simple=types_pb2.INTEGER).SerializeToString()
    for _ in range(depth - 1):
        data = b"\x1a" + _varint(len(data)) + data  # LiteralType.collection_type = 3
    return data


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _task_with_input_type(name: str, input_type: bytes) -> bytes:
    """A TaskCreateRequest whose one input ``x`` has the (serialized) type ``input_type``.

    Built as bytes: a message field that occurs twice is merged, and a map entry's last value wins, so the
    type is appended along its path to a request serialized without it.
    """
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development", name=name, version="v1"
    )
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(outputs=interface_pb2.VariableMap()),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", "pass"]),
    )
    base = task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)).SerializeToString()
    variable = _field(interface_pb2.Variable.DESCRIPTOR.fields_by_name["type"].number, input_type)
    entry = _field(1, b"x") + _field(2, variable)
    path = [
        (task_pb2.TaskCreateRequest, "spec"),
        (task_pb2.TaskSpec, "template"),
        (tasks_pb2.TaskTemplate, "interface"),
        (interface_pb2.TypedInterface, "inputs"),
        (interface_pb2.VariableMap, "variables"),
    ]
    payload = entry
    for cls, name_ in reversed(path):
        payload = _field(cls.DESCRIPTOR.fields_by_name[name_].number, payload)
    return base + payload


# -- bodies that are not the RPC's message --------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GetTask", "ListProjects", "CreateExecution", "UpdateProject"])
def test_a_corrupt_body_is_invalid_argument_naming_the_problem(flyte_admin: AdminServer, method: str) -> None:
    error = _raw_call(flyte_admin, method, b"\xff")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "is not a valid flyteidl.admin." in error.details()
    assert "wire format was corrupt" in error.details()


def test_invalid_utf8_in_a_string_field_is_invalid_argument(flyte_admin: AdminServer) -> None:
    body = _field(1, _field(1, b"\xc3\x28"))  # ProjectRegisterRequest.project.id: not UTF-8
    error = _raw_call(flyte_admin, "RegisterProject", body)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        error.details()
        == "the request is not a valid flyteidl.admin.ProjectRegisterRequest: string field had bad UTF-8"
    )


def test_nesting_past_go_protobufs_limit_is_invalid_argument(flyte_admin: AdminServer) -> None:
    deep = _task_with_input_type("too_deep", _nested_type(MAX_NESTING + 10))
    error = _raw_call(flyte_admin, "CreateTask", deep)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"messages nest more than {MAX_NESTING} levels deep" in error.details()
    # Far past anything upb could decode on a thread's stack: measured, refused, and the admin still serves.
    error = _raw_call(flyte_admin, "CreateTask", _task_with_input_type("way_too_deep", _nested_type(100_000)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(flyte_admin.endpoint))
    assert stub.ListProjects(project_pb2.ProjectListRequest(), timeout=10).projects


def test_types_nested_past_pythons_default_decode_limit_register_and_read_back(flyte_admin: AdminServer) -> None:
    # Python protobuf stops decoding at 100 levels; Flyte Admin (Go) decodes 10,000. A collection type 150 deep
    # is a legal registration there, so it is here, and it reads back whole.
    body = _task_with_input_type("deep_type", _nested_type(150))
    with grpc.insecure_channel(flyte_admin.endpoint) as channel:
        create = channel.unary_unary("/flyteidl.service.AdminService/CreateTask")
        create(body, timeout=30)
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        request_id = identifier_pb2.Identifier(
            resource_type=identifier_pb2.TASK,
            project="flytesnacks",
            domain="development",
            name="deep_type",
            version="v1",
        )
        got = stub.GetTask(common_pb2.ObjectGetRequest(id=request_id), timeout=30)
    variable_type = got.closure.compiled_task.template.interface.inputs.variables["x"].type
    depth = 1
    while variable_type.HasField("collection_type"):
        variable_type, depth = variable_type.collection_type, depth + 1
    assert depth == 150


def _nested_literal(depth: int) -> bytes:
    """A ``Literal`` of collections ``depth`` levels deep (an integer at the bottom), serialized without recursion."""
    scalar = literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=1))
    data = literals_pb2.Literal(scalar=scalar).SerializeToString()
    for _ in range(depth - 1):
        data = _field(2, _field(1, data))  # Literal.collection = 2, LiteralCollection.literals = 1
    return data


def test_literals_nested_past_what_the_admins_rules_walk_are_invalid_argument(flyte_admin: AdminServer) -> None:
    # Legal protobuf within Go's limit, but deeper than the admin's Python rules can walk (Python's recursion
    # limit): the client is told so, as INVALID_ARGUMENT, not INTERNAL.
    depth = 2000
    with grpc.insecure_channel(flyte_admin.endpoint) as channel:
        channel.unary_unary("/flyteidl.service.AdminService/CreateTask")(
            _task_with_input_type("deep_input", _nested_type(depth)), timeout=30
        )
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development", name="deep_input", version="v1"
    )
    request = execution_pb2.ExecutionCreateRequest(
        project="flytesnacks", domain="development", name="deep", spec=execution_pb2.ExecutionSpec(launch_plan=tid)
    )
    inputs = execution_pb2.ExecutionCreateRequest.DESCRIPTOR.fields_by_name["inputs"].number
    body = request.SerializeToString() + _field(inputs, _field(1, _field(1, b"x") + _field(2, _nested_literal(depth))))
    error = _raw_call(flyte_admin, "CreateExecution", body)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == (
        "CreateExecution: the request nests literals or types more deeply than this admin can process"
    )


def test_nesting_depth_is_measured_without_decoding() -> None:
    descriptor = types_pb2.LiteralType.DESCRIPTOR
    assert nesting_depth(descriptor, _nested_type(1), stop_after=0) == 1
    assert nesting_depth(descriptor, _nested_type(40), stop_after=10) > 10
    assert nesting_depth(descriptor, _nested_type(40), stop_after=39) == 40
    assert nesting_depth(descriptor, b"\xff\xff", stop_after=0) == 1  # malformed: left to the decoder
    # Unknown groups nest too (upb recurses to skip them): 30 starts of group 99 inside a LiteralType.
    groups = b"\x9b\x06" * 30 + b"\x9c\x06" * 30
    assert nesting_depth(descriptor, groups, stop_after=5) > 5


# -- size ------------------------------------------------------------------------------------------------------------
def test_the_message_size_limit_is_a_setting() -> None:
    with pytest.raises(ValueError, match="max_message_bytes"):
        AdminConfig(max_message_bytes=0)
    config = AdminConfig(seed_projects=("flytesnacks",), max_message_bytes=_MB)
    with AdminServer(config=config) as admin:
        big = project_pb2.ProjectRegisterRequest(
            project=project_pb2.Project(id="big", name="big", description="x" * (2 * _MB))
        ).SerializeToString()
        error = _raw_call(admin, "RegisterProject", big)
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        small = project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="small", name="small"))
        admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint)).RegisterProject(small, timeout=10)


@pytest.fixture
def auth_admin() -> Iterator[AdminServer]:
    with AdminServer(config=AdminConfig(seed_projects=("flytesnacks",)), auth=AuthConfig.self_issued("s")) as admin:
        yield admin


def test_anonymous_calls_are_refused_before_their_bodies_are_read(auth_admin: AdminServer) -> None:
    body = project_pb2.ProjectRegisterRequest(
        project=project_pb2.Project(id="big", name="big", description="x" * (20 * _MB))
    ).SerializeToString()
    codes: list[grpc.StatusCode] = []
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()

        def send() -> None:
            codes.append(_raw_call(auth_admin, "RegisterProject", body).code())

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert codes == [grpc.StatusCode.UNAUTHENTICATED] * 6
    # Reading one body into Python alone would be 20 MB; none was read.
    assert peak < 8 * _MB, f"anonymous requests made the admin hold {peak / _MB:.0f} MB"


def test_an_authenticated_call_still_gets_its_body_and_a_bad_one_is_invalid_argument(auth_admin: AdminServer) -> None:
    token = auth_admin.auth.mint("alice")  # type: ignore[union-attr]
    metadata = (("authorization", f"Bearer {token}"),)
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(auth_admin.endpoint))
    request = project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="mine", name="mine"))
    stub.RegisterProject(request, metadata=metadata, timeout=10)
    projects = stub.ListProjects(project_pb2.ProjectListRequest(), metadata=metadata, timeout=10)
    assert "mine" in [p.id for p in projects.projects]
    error = _raw_call(auth_admin, "GetTask", b"\xff", metadata)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = _raw_call(auth_admin, "GetTask", b"\xff")
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
