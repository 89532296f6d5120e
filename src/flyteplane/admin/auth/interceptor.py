"""The gRPC side of auth: every call needs a valid bearer token, except the few that must work without one.

Anonymous: health checks, server reflection and AuthMetadataService (a client asks it *how* to get a token).
Everything else — AdminService, DataProxyService, SignalService, IdentityService — answers UNAUTHENTICATED to a
call without a valid token, with a message that says what is wrong (missing, malformed, expired, wrong signer or
audience) and never the token itself.

The token is read from the ``flyte-authorization`` metadata (what flyteadmin announces) or ``authorization``, as
``Bearer <token>``. Checking happens in the handler's worker thread, not in gRPC's accepting loop, so a slow
check (an RSA verification, an identity provider's key set being fetched) never delays other calls; the verified
identity is available to the handler through :func:`~flyteplane.admin.auth.tokens.current_identity`.

The token is checked before the request's body is read: a unary call is served as a request-streaming one whose
one message is pulled only once the caller is known, so a call refused with UNAUTHENTICATED never has its body
copied into Python, let alone decoded (a flood of large anonymous requests costs the admin no memory). A guarded
handler that names a deserializer gets it applied after the check, a body it cannot decode being INVALID_ARGUMENT.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import grpc

from flyteplane.admin.auth.tokens import AuthUnavailable, Identity, InvalidToken, reset_identity, set_identity

__all__ = ["ANONYMOUS_SERVICES", "BearerTokenInterceptor", "bearer_token"]

log = logging.getLogger("flyteplane.admin.auth")

ANONYMOUS_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
        "flyteidl.service.AuthMetadataService",
    }
)
METADATA_KEYS = ("flyte-authorization", "authorization")
MISSING = (
    "authentication required: this admin needs an access token; send it as 'authorization: Bearer <token>' "
    "(set auth_mode / admin.authType in the client's configuration)"
)


def bearer_token(values: Sequence[tuple[str, Any]], keys: Sequence[str] = METADATA_KEYS) -> str:
    """The bearer token in gRPC metadata or HTTP headers (``(name, value)`` pairs); :class:`InvalidToken` if none."""
    lowered = [(str(name).lower(), value) for name, value in values]
    for key in keys:
        for name, value in lowered:
            if name != key:
                continue
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            scheme, _, token = text.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise InvalidToken(f"the {key} metadata must be 'Bearer <token>'")
            return token.strip()
    raise InvalidToken(MISSING)


class BearerTokenInterceptor(grpc.ServerInterceptor):
    """Rejects calls without a valid bearer token with UNAUTHENTICATED.

    Args:
        verify: ``verify(token) -> Identity``; raises :class:`InvalidToken` or :class:`AuthUnavailable`.
    """

    def __init__(self, verify: Callable[[str], Identity]) -> None:
        self._verify = verify

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.lstrip("/").split("/", 1)[0] in ANONYMOUS_SERVICES:
            return handler
        metadata = tuple(handler_call_details.invocation_metadata or ())
        return _guard(handler, lambda context: self._authenticate(method, metadata, context))

    def _authenticate(
        self, method: str, metadata: Sequence[tuple[str, Any]], context: grpc.ServicerContext
    ) -> Identity:
        try:
            return self._verify(bearer_token(metadata))
        except InvalidToken as e:
            log.debug("refused %s: %s", method, e)
            context.abort(grpc.StatusCode.UNAUTHENTICATED, str(e))
        except AuthUnavailable as e:
            log.warning("cannot check the token of a %s call: %s", method, e)
            context.abort(grpc.StatusCode.UNAVAILABLE, f"the admin cannot check access tokens right now: {e}")
        raise AssertionError("unreachable: context.abort raises")


def _guard(handler: Any, authenticate: Callable[[grpc.ServicerContext], Identity]) -> Any:
    """``handler`` with each behaviour preceded by ``authenticate`` and run with the caller's identity set.

    A unary-request handler becomes a streaming-request one (with the same response), so that the body is read
    after ``authenticate`` and not by gRPC before the behaviour starts (see the module docstring).
    """
    if handler.unary_unary is not None or handler.unary_stream is not None:
        return _guard_unary_request(handler, authenticate)

    def unary_response(behavior: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            token = set_identity(authenticate(context))
            try:
                return behavior(request, context)
            finally:
                reset_identity(token)

        return guarded

    def stream_response(behavior: Callable[[Any, Any], Iterator[Any]]) -> Callable[[Any, Any], Iterator[Any]]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            identity = authenticate(context)
            token = set_identity(identity)
            try:
                yield from behavior(request, context)
            finally:
                reset_identity(token)

        return guarded

    if handler.stream_unary is not None:
        return handler._replace(stream_unary=unary_response(handler.stream_unary))
    if handler.stream_stream is not None:
        return handler._replace(stream_stream=stream_response(handler.stream_stream))
    return handler


def _guard_unary_request(handler: Any, authenticate: Callable[[grpc.ServicerContext], Identity]) -> Any:
    deserialize = handler.request_deserializer

    def request_of(requests: Iterator[bytes], context: grpc.ServicerContext) -> Any:
        body = next(requests, None)  # read only now: the caller is known
        if body is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the call carried no request message")
        if deserialize is None:
            return body
        try:
            return deserialize(body)
        except Exception as e:  # whatever a deserializer raises, the body was not its message
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request cannot be decoded: {type(e).__name__}")

    if handler.unary_unary is not None:
        behavior = handler.unary_unary

        def unary(requests: Iterator[bytes], context: grpc.ServicerContext) -> Any:
            token = set_identity(authenticate(context))
            try:
                return behavior(request_of(requests, context), context)
            finally:
                reset_identity(token)

        return grpc.stream_unary_rpc_method_handler(
            unary, request_deserializer=None, response_serializer=handler.response_serializer
        )
    streaming = handler.unary_stream

    def stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[Any]:
        token = set_identity(authenticate(context))
        try:
            yield from streaming(request_of(requests, context), context)
        finally:
            reset_identity(token)

    return grpc.stream_stream_rpc_method_handler(
        stream, request_deserializer=None, response_serializer=handler.response_serializer
    )
