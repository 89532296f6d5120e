"""The REST gateway: Flyte Admin's ``/api/v1/...`` HTTP API over the same managers as the gRPC side.

Each route of :func:`~flyteplane.admin.rest.routes.route_table` becomes a Starlette route whose handler does what
grpc-gateway's generated handler and flyteadmin's gRPC interceptors do together:

1. pick the binding for the HTTP method (none: 501 ``Method Not Allowed``, as grpc-gateway's routing errors);
2. with auth on, check the caller before reading the body: a bearer token in ``flyte-authorization`` or
   ``Authorization`` exactly as the gRPC side accepts it (:func:`~flyteplane.admin.auth.interceptor.bearer_token`),
   else the browser session's access token cookie (:mod:`.session`); AuthMetadataService stays anonymous;
3. read the body (at most ``max_body_bytes``; a request over the admin's gRPC message limit is
   RESOURCE_EXHAUSTED, as the gRPC server refuses it behind flyteadmin's gateway) and transcode it with the path
   and query into the request message (:mod:`.transcode`; a misfit is INVALID_ARGUMENT naming the field);
4. call the RPC's manager method through :func:`flyteplane.admin.rpc.dispatch.invoke`, the gRPC side's own
   error mapping, with the caller's identity set;
5. write the response or the error with the marshaler the request asked for (:mod:`.marshal`, :mod:`.errors`).

The sync parts (token check, managers, marshalling) run in Starlette's thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from flyteplane.admin.auth.interceptor import ANONYMOUS_SERVICES, METADATA_KEYS, bearer_token
from flyteplane.admin.auth.tokens import AuthUnavailable, Identity, InvalidToken, reset_identity, set_identity
from flyteplane.admin.rest.errors import error_response
from flyteplane.admin.rest.marshal import Marshaler, marshalers_for
from flyteplane.admin.rest.routes import RestRoute, route_table
from flyteplane.admin.rest.session import SessionCookies, login_routes
from flyteplane.admin.rest.transcode import TranscodeError, build_request
from flyteplane.admin.rpc.dispatch import CallCounter, RpcFailure, invoke, route

if TYPE_CHECKING:
    from flyteplane.admin.auth.runtime import AdminAuth
    from flyteplane.admin.wiring import AdminServices

__all__ = ["API_PREFIX", "RestGateway", "build_rest_routes", "build_root_routes"]

API_PREFIX = "/api/v1"
_NOT_FOUND = RpcFailure(grpc.StatusCode.NOT_FOUND, "Not Found")
_METHOD_NOT_ALLOWED = RpcFailure(grpc.StatusCode.UNIMPLEMENTED, "Method Not Allowed")


@dataclass(frozen=True)
class _Binding:
    route: RestRoute
    call: Callable[[Any], Any] | None  # None: the service is not served (AuthMetadata/Identity without auth)


class RestGateway:
    """Serves :func:`route_table` over the managers of one admin.

    Args:
        services: ``(service descriptor, managers)`` pairs, as the gRPC server is given them; a service of the
            route table that is not among them answers UNIMPLEMENTED (501), as the gRPC side would.
        auth: the admin's auth, or None (every call is anonymous, as the gRPC side without auth).
        counter: the admin's call counter (REST calls reach the same RPCs, and are counted as such).
        max_message_bytes: the gRPC side's receive limit (``AdminConfig.max_message_bytes``).
        max_body_bytes: the longest body read; default twice ``max_message_bytes`` (JSON is larger than protobuf).
        cookies: the session cookie codec (default: a fresh key for this process).
    """

    def __init__(
        self,
        services: Iterable[tuple[Any, Iterable[object]]],
        *,
        auth: AdminAuth | None = None,
        counter: CallCounter | None = None,
        max_message_bytes: int = 32 * 1024 * 1024,
        max_body_bytes: int | None = None,
        cookies: SessionCookies | None = None,
    ) -> None:
        served: dict[str, dict[str, Callable[[Any], Any]]] = {}
        for descriptor, managers in services:
            served[descriptor.full_name] = route(descriptor, managers)
        self.auth = auth
        self.counter = counter
        self.max_message_bytes = max_message_bytes
        self.max_body_bytes = max_body_bytes if max_body_bytes is not None else 2 * max_message_bytes
        self.cookies = cookies or SessionCookies()
        self.bindings = tuple(_Binding(r, served.get(r.service, {}).get(r.rpc)) for r in route_table())

    @classmethod
    def for_admin(cls, services: AdminServices, *, counter: CallCounter | None = None, **kwargs: Any) -> RestGateway:
        """The gateway of an admin's :class:`~flyteplane.admin.wiring.AdminServices` (its auth included)."""
        from flyteidl.service import admin_pb2, dataproxy_pb2, signal_pb2

        pairs: list[tuple[Any, Iterable[object]]] = [
            (module.DESCRIPTOR.services_by_name[name], services.managers)
            for module, name in (
                (admin_pb2, "AdminService"),
                (dataproxy_pb2, "DataProxyService"),
                (signal_pb2, "SignalService"),
            )
        ]
        if services.auth is not None:
            from flyteidl.service import auth_pb2, identity_pb2

            auth_managers = services.auth.managers()
            pairs += [
                (auth_pb2.DESCRIPTOR.services_by_name["AuthMetadataService"], auth_managers),
                (identity_pb2.DESCRIPTOR.services_by_name["IdentityService"], auth_managers),
            ]
        kwargs.setdefault("max_message_bytes", services.context.config.max_message_bytes)
        return cls(pairs, auth=services.auth, counter=counter, **kwargs)

    # -- Starlette routes ----------------------------------------------------------------------------------
    def _routes(self, bindings: Sequence[_Binding], strip: str) -> list[BaseRoute]:
        # One Starlette route per path shape: the PUT of /project_attributes/{attributes.project} and the GET of
        # /project_attributes/{project} match the same paths and differ only in the field the variable sets.
        groups: dict[tuple[str | None, ...], list[_Binding]] = {}
        for binding in bindings:
            groups.setdefault(binding.route.template.shape, []).append(binding)
        routes: list[BaseRoute] = []
        for shape, group in groups.items():
            positions = [i for i, literal in enumerate(shape) if literal is None]
            starlette_path = "/" + "/".join(
                f"{{v{i}}}" if literal is None else literal for i, literal in enumerate(shape)
            )
            routes.append(Route(starlette_path[len(strip) :] or "/", _AnyMethod(self._endpoint(group, positions))))
        return routes

    def _endpoint(self, group: list[_Binding], positions: list[int]) -> Callable[[Request], Any]:
        by_verb = {b.route.verb: b for b in group}

        async def endpoint(request: Request) -> Response:
            binding = by_verb.get(request.method)
            if binding is None:
                return error_response(_METHOD_NOT_ALLOWED, marshalers_for(request.headers)[1])
            variables = binding.route.template.variables
            values = {path: request.path_params[f"v{i}"] for path, i in zip(variables, positions, strict=True)}
            return await self.serve(request, binding, values)

        return endpoint

    def api_routes(self) -> list[BaseRoute]:
        """The ``/api/v1/...`` routes, relative to :data:`API_PREFIX` (mount them there), ending with the
        gateway's NOT_FOUND for any other path below it."""
        bindings = [b for b in self.bindings if b.route.path.startswith(API_PREFIX + "/")]
        return [*self._routes(bindings, API_PREFIX), Route("/{rest:path}", _AnyMethod(self._not_found))]

    def root_routes(self, *, login: bool = True) -> list[BaseRoute]:
        """The gateway's routes outside ``/api/v1`` (``/config/v1/flyte_client``, ``/me``,
        ``/.well-known/oauth-authorization-server``) and, with auth on and ``login``, the browser session routes."""
        bindings = [b for b in self.bindings if not b.route.path.startswith(API_PREFIX + "/")]
        routes = self._routes(bindings, "")
        if login and self.auth is not None:
            routes = login_routes(self.auth, self.cookies) + routes
        return routes

    def mounts(self) -> list[BaseRoute]:
        """Every route of the gateway for an app's routing table: ``/api/v1`` mounted, then the root routes."""
        return [
            Route(API_PREFIX, _AnyMethod(self._not_found)),  # the prefix itself is no route (not a redirect)
            Mount(API_PREFIX, routes=self.api_routes()),
            *self.root_routes(),
        ]

    def app(self) -> Starlette:
        """A standalone ASGI app with every route (:meth:`mounts`), for serving the gateway by itself."""
        return Starlette(routes=self.mounts())

    async def _not_found(self, request: Request) -> Response:
        return error_response(_NOT_FOUND, marshalers_for(request.headers)[1])

    # -- one call ------------------------------------------------------------------------------------------
    async def serve(self, request: Request, binding: _Binding, path_values: dict[tuple[str, ...], str]) -> Response:
        """Answer one request for ``binding`` (see the module docstring)."""
        inbound, outbound = marshalers_for(request.headers)
        try:
            identity = await self._authenticate(request, binding.route)
            body = await self._read_body(request)
            payload, headers = await run_in_threadpool(
                self._call, binding, path_values, request.query_params.multi_items(), body, inbound, outbound, identity
            )
        except RpcFailure as failure:
            return error_response(failure, outbound)
        return Response(payload, media_type=outbound.content_type, headers=headers)

    async def _authenticate(self, request: Request, rest_route: RestRoute) -> Identity | None:
        auth = self.auth
        if auth is None or rest_route.service in ANONYMOUS_SERVICES:
            return None
        try:
            token = self._token(request)
            return await run_in_threadpool(auth.verify, token)
        except InvalidToken as e:
            raise RpcFailure(grpc.StatusCode.UNAUTHENTICATED, str(e)) from None
        except AuthUnavailable as e:
            raise RpcFailure(
                grpc.StatusCode.UNAVAILABLE, f"the admin cannot check access tokens right now: {e}"
            ) from None

    def _token(self, request: Request) -> str:
        headers = request.headers
        if any(key in headers for key in METADATA_KEYS):
            return bearer_token(list(headers.items()), METADATA_KEYS)
        token = self.cookies.access_token(request.cookies)
        if token is None:
            return bearer_token((), METADATA_KEYS)  # raises the gRPC side's "authentication required"
        return token

    async def _read_body(self, request: Request) -> bytes:
        limit = self.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _call(
        self,
        binding: _Binding,
        path_values: dict[tuple[str, ...], str],
        query: list[tuple[str, str]],
        body: bytes,
        inbound: Marshaler,
        outbound: Marshaler,
        identity: Identity | None,
    ) -> tuple[bytes, dict[str, str]]:
        rest_route = binding.route
        if binding.call is None:
            raise RpcFailure(grpc.StatusCode.UNIMPLEMENTED, f"unknown service {rest_route.service}")
        try:
            request = build_request(rest_route, path_values, query, body, inbound)
        except TranscodeError as e:
            raise RpcFailure(grpc.StatusCode.INVALID_ARGUMENT, str(e)) from None
        size = request.ByteSize()
        if size > self.max_message_bytes:
            raise _too_large(size, self.max_message_bytes)
        if self.counter is not None:
            self.counter.add(rest_route.rpc)
        token = set_identity(identity)
        try:
            response = invoke(rest_route.rpc, binding.call, request)
        finally:
            reset_identity(token)
        return outbound.encode(response), _response_headers(response)


class _AnyMethod:
    """An endpoint as a plain ASGI app: Starlette then routes every HTTP method to it (a function endpoint gets
    GET and HEAD only), so the gateway itself answers a wrong method, as grpc-gateway does."""

    def __init__(self, handler: Callable[[Request], Any]) -> None:
        self._handler = handler

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        response = await self._handler(Request(scope, receive))
        await response(scope, receive, send)


def _too_large(size: int, limit: int) -> RpcFailure:
    # What the gRPC server behind flyteadmin's gateway answers a message over its limit.
    return RpcFailure(
        grpc.StatusCode.RESOURCE_EXHAUSTED, f"grpc: received message larger than max ({size} vs. {limit})"
    )


def _response_headers(response: Any) -> dict[str, str]:
    """flyteadmin's ``GetUserInfoForwardResponseHandler``: UserInfo's subject and claims also as headers."""
    if response.DESCRIPTOR.full_name != "flyteidl.service.UserInfoResponse":
        return {}
    import json

    from google.protobuf import json_format

    headers = {"X-User-Subject": _header_value(response.subject)}
    claims = json_format.MessageToDict(response.additional_claims)
    for key, value in claims.items():
        name = "X-User-Claim-" + key.replace("_", "-")
        if name.isascii() and all(c.isalnum() or c == "-" for c in name):
            headers[name] = _header_value(json.dumps(value, separators=(",", ":")))
    return headers


def _header_value(text: str) -> str:
    return " ".join(text.split()).encode("ascii", "backslashreplace").decode("ascii")


def build_rest_routes(gateway: RestGateway) -> list[BaseRoute]:
    """The ``/api/v1`` routes of ``gateway``, for ``Mount("/api/v1", routes=...)``."""
    return gateway.api_routes()


def build_root_routes(gateway: RestGateway) -> list[BaseRoute]:
    """The root routes of ``gateway`` (``/login``, ``/callback``, ``/logout`` with auth, ``/config/v1/flyte_client``,
    ``/me``, ``/.well-known/oauth-authorization-server``)."""
    return gateway.root_routes()
