"""Safe decoding for the services the admin serves with gRPC's own handlers (health checks, server reflection).

Those handlers name a ``request_deserializer``, which gRPC Python runs before the handler and whose failure it
answers INTERNAL ("Exception deserializing request!"). :class:`SafeDecodingInterceptor` takes the deserializing
over: the handler receives raw bytes, and the request is decoded as the admin's own RPCs decode theirs
(:func:`flyteplane.admin.rpc.wire.decode_request`: nesting measured first, INVALID_ARGUMENT naming the problem).
Handlers built by :mod:`flyteplane.admin.rpc.dispatch` take raw bytes already and pass through untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf import empty_pb2
from google.protobuf.message import Message

from flyteplane.admin.errors import AdminError
from flyteplane.admin.rpc.wire import MAX_NESTING, decode_request, nesting_depth

__all__ = ["SafeDecodingInterceptor", "safe_decoding"]


class SafeDecodingInterceptor(grpc.ServerInterceptor):
    """Serves every handler that names a request deserializer through :func:`safe_decoding`."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        return safe_decoding(handler)


def _decoder(deserialize: Callable[[bytes], Any]) -> Callable[[bytes, grpc.ServicerContext], Any]:
    owner = getattr(deserialize, "__self__", None)  # ``SomeMessage.FromString``: decode as that message
    message_cls = owner if isinstance(owner, type) and issubclass(owner, Message) else None

    def decode(body: bytes, context: grpc.ServicerContext) -> Any:
        try:
            if message_cls is not None:
                return decode_request(message_cls, body)
            # An opaque deserializer: at least unknown groups, which the decoder nests into, are measured.
            if nesting_depth(empty_pb2.Empty.DESCRIPTOR, body) > MAX_NESTING:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request nests more than {MAX_NESTING} deep")
            return deserialize(body)
        except AdminError as e:
            context.abort(e.code, e.message)
        except Exception as e:  # whatever an opaque deserializer raises, the body was not its message
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request cannot be decoded: {type(e).__name__}")

    return decode


def safe_decoding(handler: Any) -> Any:
    """``handler`` taking raw bytes, its requests decoded by :func:`_decoder` (INVALID_ARGUMENT on failure)."""
    decode = _decoder(handler.request_deserializer)
    if handler.unary_unary is not None:
        unary_unary = handler.unary_unary

        def unary(body: bytes, context: grpc.ServicerContext) -> Any:
            return unary_unary(decode(body, context), context)

        return handler._replace(request_deserializer=None, unary_unary=unary)
    if handler.unary_stream is not None:
        unary_stream = handler.unary_stream

        def unary_streaming(body: bytes, context: grpc.ServicerContext) -> Iterator[Any]:
            yield from unary_stream(decode(body, context), context)

        return handler._replace(request_deserializer=None, unary_stream=unary_streaming)

    def decoded(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[Any]:
        for body in requests:
            yield decode(body, context)

    if handler.stream_unary is not None:
        stream_unary = handler.stream_unary

        def streaming_unary(requests: Iterator[bytes], context: grpc.ServicerContext) -> Any:
            return stream_unary(decoded(requests, context), context)

        return handler._replace(request_deserializer=None, stream_unary=streaming_unary)
    stream_stream = handler.stream_stream

    def streaming(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[Any]:
        yield from stream_stream(decoded(requests, context), context)

    return handler._replace(request_deserializer=None, stream_stream=streaming)
