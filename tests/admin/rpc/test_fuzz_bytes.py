"""Seeded random bodies to every RPC of every service the admin serves, with auth off and on.

Each RPC gets random bytes (mostly not a message at all), bodies shaped like its request message (the right field
numbers and wire types, random contents: these decode and reach the managers' rules), truncated ones, and one
nested past the decoder's limit. Over real gRPC, no answer may be INTERNAL or UNKNOWN (the client's mistake is
never the admin's error), and the memory it takes while serving them must stay bounded: the test process's
resident set (the in-process admin's, the client's included), sampled while the bodies are sent, may grow by at
most :data:`_RSS_GROWTH_LIMIT`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import grpc
import pytest
from flyteidl.service import admin_pb2, auth_pb2, dataproxy_pb2, identity_pb2, signal_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig
from flyteplane.admin.config import AdminConfig

SEED = 20261207
_MB = 1024 * 1024
_RSS_GROWTH_LIMIT = 48 * _MB
_REFUSED_AS_THE_ADMINS_FAULT = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}

_SERVICES = [
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    dataproxy_pb2.DESCRIPTOR.services_by_name["DataProxyService"],
    signal_pb2.DESCRIPTOR.services_by_name["SignalService"],
    health_pb2.DESCRIPTOR.services_by_name["Health"],
    reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"],
]
_AUTH_SERVICES = [
    auth_pb2.DESCRIPTOR.services_by_name["AuthMetadataService"],
    identity_pb2.DESCRIPTOR.services_by_name["IdentityService"],
]
_ANONYMOUS = {
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "flyteidl.service.AuthMetadataService",
}


# -- bodies ----------------------------------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


_STRINGS = ["", "flytesnacks", "development", "x" * 300, "a.b", "name=eq(x)", "eq(name,x)", "\u00e9\u6f22", "-1", "*"]


def _value(rng: random.Random, field: FieldDescriptor, depth: int) -> bytes:
    """A random value of ``field``, encoded with its wire type (a tag included)."""
    number = field.number
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        inner = _shaped(rng, field.message_type, depth + 1) if depth < 4 else b""
        return _varint(number << 3 | 2) + _varint(len(inner)) + inner
    if field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        text = rng.choice(_STRINGS).encode() if rng.random() < 0.7 else rng.randbytes(rng.randint(0, 20))
        return _varint(number << 3 | 2) + _varint(len(text)) + text
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64):
        return _varint(number << 3 | 1) + rng.randbytes(8)
    if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_SFIXED32):
        return _varint(number << 3 | 5) + rng.randbytes(4)
    value = rng.choice([0, 1, 2, 3, 7, 100, 2**31 - 1, 2**32, 2**63, 2**64 - 1])
    return _varint(number << 3) + _varint(value)


def _shaped(rng: random.Random, descriptor: Descriptor, depth: int = 0) -> bytes:
    """A body with ``descriptor``'s field numbers and wire types and random contents."""
    fields = list(descriptor.fields)
    if not fields:
        return b""
    return b"".join(_value(rng, rng.choice(fields), depth) for _ in range(rng.randint(1, 6)))


def _bodies(rng: random.Random, method: MethodDescriptor) -> list[bytes]:
    bodies = [
        b"",
        b"\xff",
        rng.randbytes(1),
        rng.randbytes(7),
        rng.randbytes(64),
        rng.randbytes(rng.randint(100, 2000)),
    ]
    for _ in range(6):
        bodies.append(_shaped(rng, method.input_type))
    shaped = _shaped(rng, method.input_type)
    bodies.append(shaped[: rng.randint(0, max(0, len(shaped) - 1))])  # truncated
    bodies.append(b"\x0b" * 12_000 + b"\x0c" * 12_000)  # groups of field 1 nested past the limit
    return bodies


# -- calls -----------------------------------------------------------------------------------------------------------
def _call(
    channel: grpc.Channel, method: MethodDescriptor, body: bytes, metadata: tuple[tuple[str, str], ...]
) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    try:
        if method.client_streaming and method.server_streaming:
            responses = channel.stream_stream(path)(iter([body]), metadata=metadata, timeout=5)
            for _ in responses:
                pass
        elif method.server_streaming:
            for _ in channel.unary_stream(path)(body, metadata=metadata, timeout=0.5):
                pass
        else:
            channel.unary_unary(path)(body, metadata=metadata, timeout=10)
    except grpc.RpcError as e:
        return e.code()  # type: ignore[attr-defined,no-any-return]
    return grpc.StatusCode.OK


def _fuzz(admin: AdminServer, services: list, token: str | None) -> dict[grpc.StatusCode, int]:
    rng = random.Random(SEED)
    seen: dict[grpc.StatusCode, int] = {}
    failures = []
    with grpc.insecure_channel(admin.endpoint) as channel:
        for service in services:
            for method in service.methods:
                for i, body in enumerate(_bodies(rng, method)):
                    anonymous = token is None or i % 2 == 1
                    metadata = () if anonymous else (("authorization", f"Bearer {token}"),)
                    code = _call(channel, method, body, metadata)
                    seen[code] = seen.get(code, 0) + 1
                    if code in _REFUSED_AS_THE_ADMINS_FAULT:
                        failures.append(f"{service.name}.{method.name} body #{i} {body[:40]!r}: {code.name}")
                    if token is not None and anonymous and service.full_name not in _ANONYMOUS:
                        assert code == grpc.StatusCode.UNAUTHENTICATED, (method.name, i, code)
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} in all)"
    return seen


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.fixture
def traced() -> Iterator[None]:
    """Fails the test if the process's RSS grew by more than the limit at any point while it ran."""
    before = _rss()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
    growth = max(peak[0], _rss()) - before
    assert growth < _RSS_GROWTH_LIMIT, f"the fuzzed admin grew by {growth / _MB:.0f} MB at its peak"


def test_random_bodies_never_answer_internal(traced: None) -> None:
    with AdminServer(config=AdminConfig(seed_projects=("flytesnacks",))) as admin:
        seen = _fuzz(admin, _SERVICES, token=None)
        assert seen.get(grpc.StatusCode.INVALID_ARGUMENT, 0) > 100  # most bodies are not their RPC's message
        assert admin.calls["ListProjects"] > 0  # bodies that decode reach the managers


def test_random_bodies_with_auth_on_never_answer_internal(traced: None) -> None:
    config = AdminConfig(seed_projects=("flytesnacks",))
    with AdminServer(config=config, auth=AuthConfig.self_issued("fuzz")) as admin:
        assert admin.auth is not None
        token = admin.auth.mint("fuzzer")
        seen = _fuzz(admin, _SERVICES + _AUTH_SERVICES, token=token)
        assert seen.get(grpc.StatusCode.UNAUTHENTICATED, 0) > 100
