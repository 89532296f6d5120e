"""Failed calls as grpc-gateway v2 (the version flyteadmin's go.mod pins) answers them over HTTP.

The HTTP status is ``runtime.HTTPStatusFromCode`` of the gRPC code; the body is the ``google.rpc.Status``
(``{"code": <int>, "message": ..., "details": [...]}``) written by the response's marshaler, so with flyteadmin's
JSON marshaler ``details`` is always present. ``runtime.DefaultHTTPErrorHandler`` also copies the message of an
UNAUTHENTICATED status into ``WWW-Authenticate``. Routing failures are statuses too
(``runtime.DefaultRoutingErrorHandler``): an unknown path is NOT_FOUND ``"Not Found"`` (404) and a known path with
another method is UNIMPLEMENTED ``"Method Not Allowed"`` (501).
"""

from __future__ import annotations

import grpc
from starlette.responses import Response

from flyteplane.admin.rest.marshal import Marshaler
from flyteplane.admin.rpc.dispatch import RpcFailure

__all__ = ["HTTP_STATUS", "error_response", "http_status"]

HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    # Deliberately not 412, as grpc-gateway says: FAILED_PRECONDITION is the client's request in a wrong state.
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}


def http_status(code: grpc.StatusCode) -> int:
    """``runtime.HTTPStatusFromCode``."""
    return HTTP_STATUS.get(code, 500)


def error_response(failure: RpcFailure, marshaler: Marshaler) -> Response:
    """The gateway's answer to a failed call."""
    headers = {}
    if failure.code == grpc.StatusCode.UNAUTHENTICATED:
        # A header value is one line of Latin-1: anything else in the message is escaped, never a failure.
        one_line = " ".join(failure.message.split())
        headers["WWW-Authenticate"] = one_line.encode("ascii", "backslashreplace").decode("ascii")
    return Response(
        marshaler.encode(failure.status()),
        status_code=http_status(failure.code),
        media_type=marshaler.content_type,
        headers=headers,
    )
