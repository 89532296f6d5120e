"""Property test: generated requests thrown at every registry RPC get a client error or an answer — never
INTERNAL or UNKNOWN — and the server keeps serving."""

from __future__ import annotations

import grpc
import pytest
from flyteidl.admin import version_pb2
from flyteidl.service import admin_pb2, dataproxy_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# The registry's RPCs are fuzzed here; executions have their own tests (a generated CreateExecution that passes
# validation would start a run).
_EXECUTION_RPCS = {
    "CreateExecution",
    "RelaunchExecution",
    "RecoverExecution",
    "GetExecution",
    "UpdateExecution",
    "GetExecutionData",
    "ListExecutions",
    "TerminateExecution",
    "GetNodeExecution",
    "GetDynamicNodeWorkflow",
    "ListNodeExecutions",
    "ListNodeExecutionsForTask",
    "GetNodeExecutionData",
    "CreateWorkflowEvent",
    "CreateNodeEvent",
    "CreateTaskEvent",
    "GetTaskExecution",
    "ListTaskExecutions",
    "GetTaskExecutionData",
    "GetExecutionMetrics",
    "CreateDownloadLink",
    "GetData",
}

_TEXT = st.one_of(
    st.sampled_from(["", "flytesnacks", "development", "production", "t", "v1", "x", "eq(version,v1)", "0", "-1"]),
    st.text(max_size=12),
    st.text(min_size=300, max_size=400, alphabet="abc"),
)
_SCALARS = {
    FieldDescriptor.TYPE_STRING: _TEXT,
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=20),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=False),
    FieldDescriptor.TYPE_FLOAT: st.floats(allow_nan=False, width=32),
}


def _message(descriptor, depth: int):
    """A strategy for messages of a descriptor: a random subset of fields, bounded nesting."""
    cls = message_factory.GetMessageClass(descriptor)
    fields = [f for f in descriptor.fields if depth > 0 or f.message_type is None]

    @st.composite
    def build(draw):
        msg = cls()
        chosen = draw(st.lists(st.sampled_from(fields), unique_by=lambda f: f.name, max_size=6)) if fields else []
        for f in chosen:
            repeated = f.is_repeated if hasattr(f, "is_repeated") else f.label == FieldDescriptor.LABEL_REPEATED
            if f.message_type is not None and f.message_type.GetOptions().map_entry:
                continue
            if f.message_type is not None:
                if f.message_type.full_name.startswith("google.protobuf."):
                    continue
                sub = draw(_message(f.message_type, depth - 1))
                if repeated:
                    getattr(msg, f.name).add().CopyFrom(sub)
                else:
                    getattr(msg, f.name).CopyFrom(sub)
                continue
            if f.enum_type is not None:
                value = draw(st.one_of(st.sampled_from([v.number for v in f.enum_type.values]), st.integers(-5, 99)))
            else:
                value = draw(_SCALARS.get(f.type, st.none()))
                if value is None:
                    continue
            if repeated:
                getattr(msg, f.name).append(value)
            else:
                setattr(msg, f.name, value)
        return msg

    return build()


REGISTRY_METHODS = [
    m for m in admin_pb2.DESCRIPTOR.services_by_name["AdminService"].methods if m.name not in _EXECUTION_RPCS
] + [m for m in dataproxy_pb2.DESCRIPTOR.services_by_name["DataProxyService"].methods if m.name not in _EXECUTION_RPCS]
ALLOWED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
}


@pytest.mark.parametrize("method", REGISTRY_METHODS, ids=lambda m: m.name)
def test_generated_requests_never_get_internal(method, flyte_admin_session):
    channel = grpc.insecure_channel(flyte_admin_session.endpoint)
    request_cls = message_factory.GetMessageClass(method.input_type)
    response_cls = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=request_cls.SerializeToString,
        response_deserializer=response_cls.FromString,
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_message(method.input_type, depth=4))
    def check(request):
        try:
            call(request, timeout=10)
            code = grpc.StatusCode.OK
        except grpc.RpcError as e:
            code = e.code()
            details = e.details()
            assert code in ALLOWED, f"{method.name}({request}) -> {code}: {details}"
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                assert details, f"{method.name}: INVALID_ARGUMENT without a message"

    check()
    # Still serving after all of that.
    stub = channel.unary_unary(
        "/flyteidl.service.AdminService/GetVersion",
        request_serializer=version_pb2.GetVersionRequest.SerializeToString,
        response_deserializer=version_pb2.GetVersionResponse.FromString,
    )
    assert stub(version_pb2.GetVersionRequest(), timeout=5).control_plane_version.Version
