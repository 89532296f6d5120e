"""Thin gRPC servicers: route each RPC of a flyteidl service to the manager method of the same name.

A manager method named like the RPC in snake_case (``CreateTask`` -> ``create_task``) takes the request message
and returns the response message. Routing is checked when the server is built: every RPC of a served service
must resolve to exactly one manager method, so a missing manager or two managers claiming one RPC stop the admin
from starting instead of answering UNIMPLEMENTED, or the wrong manager, at run time.

This module adds only what every RPC needs: decoding the request (:mod:`flyteplane.admin.rpc.wire`: a body that is
not the RPC's message is INVALID_ARGUMENT, never INTERNAL), the error mapping (:class:`AdminError` -> its status;
anything else -> INTERNAL, logged, because it is the admin's bug), status details in ``grpc-status-details-bin`` as
Flyte Admin sends them, message truncation, and call counting.

Handlers take the request's raw bytes (no ``request_deserializer``), so that an interceptor can refuse a call
before its body is decoded (see :mod:`flyteplane.admin.auth.interceptor`).
"""

from __future__ import annotations

import collections
import errno
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from google.protobuf import any_pb2, message_factory
from google.rpc import status_pb2

from flyteplane.admin.errors import MAX_MESSAGE_BYTES, AdminError
from flyteplane.admin.rpc.wire import decode_request

__all__ = ["CallCounter", "RoutingError", "RpcFailure", "invoke", "route", "service_handler", "snake_case"]

log = logging.getLogger("flyteplane.admin")

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(name: str) -> str:
    """``ListTaskIds`` -> ``list_task_ids``."""
    return _CAMEL.sub("_", name).lower()


class CallCounter:
    """How many times each RPC reached the server (tests use it to prove the client does not retry)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()

    def add(self, rpc: str) -> None:
        with self._lock:
            self.counts[rpc] += 1

    def __getitem__(self, rpc: str) -> int:
        return self.counts[rpc]

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()


def _truncate(message: str) -> str:
    data = message.encode()
    if len(data) <= MAX_MESSAGE_BYTES:
        return message
    return data[:MAX_MESSAGE_BYTES].decode(errors="ignore")


class RpcFailure(Exception):
    """How one call failed, free of any transport: the gRPC status code, its message (already truncated as Flyte
    Admin truncates) and the status details. The gRPC side aborts the call with it; the REST gateway
    (:mod:`flyteplane.admin.rest`) answers it as grpc-gateway answers a failed call."""

    def __init__(self, code: grpc.StatusCode, message: str, details: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = _truncate(message)
        self.details = details

    def status(self) -> status_pb2.Status:
        """The ``google.rpc.Status`` of this failure, details packed as ``Any``."""
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        for detail in self.details:
            packed = any_pb2.Any()
            packed.Pack(detail)
            status.details.append(packed)
        return status


def _abort(context: grpc.ServicerContext, failure: RpcFailure) -> None:
    if failure.details:
        context.set_trailing_metadata((("grpc-status-details-bin", failure.status().SerializeToString()),))
    context.abort(failure.code, failure.message)


# A write that found no space left (or the user's quota used up).
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def invoke(rpc: str, method: Callable[[Any], Any], request: Any) -> Any:
    """``method(request)`` with the admin's error mapping: the response, or :class:`RpcFailure` (an
    :class:`AdminError` keeps its status; anything else is the admin's bug, logged, and INTERNAL)."""
    try:
        return method(request)
    except AdminError as e:
        raise RpcFailure(e.code, e.message, e.details) from None
    except RecursionError:
        # Go decodes (and Flyte Admin walks) messages nested 10,000 deep; the admin's Python rules stop at
        # Python's recursion limit. The request is legal protobuf, but more nesting than this admin handles.
        raise RpcFailure(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{rpc}: the request nests literals or types more deeply than this admin can process",
        ) from None
    except OSError as e:
        if e.errno not in _DISK_FULL:
            log.exception("%s failed unexpectedly", rpc)
            raise RpcFailure(grpc.StatusCode.INTERNAL, f"{rpc}: unexpected error in the admin: {e!r}") from None
        # A blob file written on a full disk: the operator's problem, said plainly, as a full database is.
        log.error("%s: the admin's storage is full (%s)", rpc, e.strerror)
        raise RpcFailure(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "the admin's storage is full: free disk space where the admin keeps its state, then retry",
        ) from None
    except Exception as e:  # the admin's own bug: say so, never blame the client
        log.exception("%s failed unexpectedly", rpc)
        raise RpcFailure(grpc.StatusCode.INTERNAL, f"{rpc}: unexpected error in the admin: {e!r}") from None


def _wrap(
    rpc: str, method: Callable[[Any], Any], request_cls: Any, counter: CallCounter | None
) -> Callable[[Any, Any], Any]:
    def handle(body: bytes, context: grpc.ServicerContext) -> Any:
        if counter is not None:
            counter.add(rpc)
        try:
            request = decode_request(request_cls, body)
        except AdminError as e:
            _abort(context, RpcFailure(e.code, e.message, e.details))
        try:
            return invoke(rpc, method, request)
        except RpcFailure as failure:
            _abort(context, failure)

    return handle


class RoutingError(RuntimeError):
    """An RPC of a served service resolves to no manager method, or to more than one."""


def route(service_descriptor: Any, managers: Iterable[object]) -> dict[str, Callable[[Any], Any]]:
    """RPC name -> the one manager method that serves it.

    Raises:
        RoutingError: naming every RPC that no manager serves or that several managers claim.
    """
    managers = list(managers)
    routes: dict[str, Callable[[Any], Any]] = {}
    problems = []
    for method in service_descriptor.methods:
        attr = snake_case(method.name)
        owners = [m for m in managers if callable(getattr(m, attr, None))]
        if len(owners) == 1:
            routes[method.name] = getattr(owners[0], attr)
        elif not owners:
            problems.append(f"{method.name}: no manager has {attr}()")
        else:
            names = ", ".join(f"{type(m).__name__}.{attr}" for m in owners)
            problems.append(f"{method.name}: claimed by {names}")
    if problems:
        raise RoutingError(f"{service_descriptor.full_name} cannot be served: " + "; ".join(problems))
    return routes


def service_handler(
    service_descriptor: Any, managers: Iterable[object], *, counter: CallCounter | None = None
) -> grpc.GenericRpcHandler:
    """A handler for every method of ``service_descriptor`` (see :func:`route`, which may raise RoutingError)."""
    routes = route(service_descriptor, managers)
    handlers = {}
    for method in service_descriptor.methods:
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)
        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            _wrap(method.name, routes[method.name], request_cls, counter),
            request_deserializer=None,  # raw bytes: decoded by the handler (see the module docstring)
            response_serializer=response_cls.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(service_descriptor.full_name, handlers)
