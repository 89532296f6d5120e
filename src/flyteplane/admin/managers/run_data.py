"""The data of runs in the blob store: literal maps (inputs, outputs) and other messages the run records point at.

The run records keep their literal maps as blobs of the admin's :class:`~flyteplane.admin.blobs.BlobStore`; the rows
hold the blobs' native URIs, as Flyte Admin's rows hold ``s3://`` URIs (its ``OffloadLiteralMap`` and the
``GetOutputs`` / ``GetInputs`` readers of ``pkg/manager/impl/util/data.go``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import grpc
from flyteidl.core import literals_pb2
from google.protobuf.message import DecodeError, Message

from flyteplane.admin.blobs import BlobError, InvalidKey, check_key
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.validation.events import MAX_OUTPUT_BYTES
from flyteplane.admin.errors import AdminError, invalid_argument

__all__ = [
    "internal_error",
    "offload_literal_map",
    "output_literal_map",
    "read_literal_map",
    "read_message",
    "store_message",
]

M = TypeVar("M", bound=Message)


def offload_literal_map(ctx: AdminContext, parts: Iterable[str], literal_map: literals_pb2.LiteralMap) -> str:
    """Write ``literal_map`` under ``metadata/<parts...>`` and return its native URI (Flyte Admin's
    OffloadLiteralMap). Parts come from identifiers; one that cannot be an object key is the client's mistake."""
    return store_message(ctx, parts, literal_map)


def store_message(ctx: AdminContext, parts: Iterable[str], message: Message) -> str:
    """Write ``message`` under ``metadata/<parts...>`` and return its native URI."""
    key = "/".join(("metadata", *parts))
    try:
        check_key(key)
    except InvalidKey as e:
        raise invalid_argument(f"cannot store data for this identifier: {e}") from None
    blobs = ctx.blobs
    blobs.put(key, message.SerializeToString(deterministic=True))
    return blobs.native_url(key)


def read_message(ctx: AdminContext, uri: str, cls: type[M]) -> M | None:
    """The message stored at ``uri``, or None when the URI is empty, outside the blob store, missing or not a
    ``cls`` (Flyte Admin logs such read failures and answers without the data)."""
    if not uri:
        return None
    blobs = ctx.blobs
    key = blobs.key_from_native_url(uri)
    if key is None:
        return None
    try:
        data = blobs.get(key)
        return cls.FromString(data)
    except (BlobError, OSError, DecodeError):
        return None


def read_literal_map(ctx: AdminContext, uri: str) -> literals_pb2.LiteralMap:
    """The LiteralMap at ``uri``; an empty map when there is none to read (GetExecutionData's ``full_*``)."""
    found = read_message(ctx, uri, literals_pb2.LiteralMap)
    return found if found is not None else literals_pb2.LiteralMap()


def output_literal_map(ctx: AdminContext, closure: Any) -> literals_pb2.LiteralMap:
    """A node or task execution's outputs, as Flyte Admin's GetOutputs reads them: inline data under the size limit,
    else the map at the output URI, else an empty map."""
    if closure.HasField("output_data"):
        if closure.output_data.ByteSize() < MAX_OUTPUT_BYTES:
            outputs = literals_pb2.LiteralMap()
            outputs.CopyFrom(closure.output_data)
            return outputs
        return literals_pb2.LiteralMap()
    return read_literal_map(ctx, closure.output_uri)


def internal_error(message: str) -> AdminError:
    """The admin's own data is broken (not the client's doing)."""
    return AdminError(grpc.StatusCode.INTERNAL, message)
