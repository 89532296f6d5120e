"""Flyte Admin's REST API (``/api/v1/...``), served as flyteadmin serves it through grpc-gateway.

Modules: :mod:`.routes` (the route table from the ``google.api.http`` annotations), :mod:`.transcode` (path, query
and body into request messages), :mod:`.marshal` (the gateway's JSON and protobuf bodies), :mod:`.errors`
(statuses as HTTP answers), :mod:`.session` (the browser login), :mod:`.app` (the Starlette routes).
"""

from flyteplane.admin.rest.app import API_PREFIX, RestGateway, build_rest_routes, build_root_routes

__all__ = ["API_PREFIX", "RestGateway", "build_rest_routes", "build_root_routes"]
