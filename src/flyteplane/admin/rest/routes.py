"""The REST route table, read from the ``google.api.http`` annotations of the flyteidl services.

Flyte Admin serves its REST API through grpc-gateway, whose generated code turns each ``google.api.http`` rule
(and its ``additional_bindings``) of AdminService, AuthMetadataService, IdentityService, DataProxyService and
SignalService into one HTTP route (flyteadmin's ``pkg/server/service.go`` registers the five services). The
annotations are the contract, so the table is built from the descriptors at run time, never typed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import google.api.annotations_pb2 as annotations_pb2
from google.protobuf import message_factory

__all__ = ["SERVICES", "PathTemplate", "RestRoute", "route_table"]

# (module, service) in the order flyteadmin registers the services with the gateway mux.
SERVICES: tuple[tuple[str, str], ...] = (
    ("flyteidl.service.admin_pb2", "AdminService"),
    ("flyteidl.service.auth_pb2", "AuthMetadataService"),
    ("flyteidl.service.identity_pb2", "IdentityService"),
    ("flyteidl.service.dataproxy_pb2", "DataProxyService"),
    ("flyteidl.service.signal_pb2", "SignalService"),
)
_VARIABLE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_.]*)(?:=([^}]*))?\}$")


@dataclass(frozen=True)
class PathTemplate:
    """A path template such as ``/api/v1/tasks/{id.project}/{id.domain}``.

    ``segments`` holds, per path segment, either a literal (``str``) or the dotted field path a variable binds
    (``tuple[str, ...]``). Only single-segment variables (``{f}`` / ``{f=*}``) occur in flyteidl; a template using
    anything else is refused when the table is built, so a new flyteidl cannot be served half-right.
    """

    text: str
    segments: tuple[str | tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> PathTemplate:
        if not text.startswith("/"):
            raise ValueError(f"path template {text!r} does not start with '/'")
        segments: list[str | tuple[str, ...]] = []
        for part in text[1:].split("/"):
            match = _VARIABLE.match(part)
            if match is not None:
                if match.group(2) not in (None, "*"):
                    raise ValueError(f"path template {text!r}: only single-segment variables are supported")
                segments.append(tuple(match.group(1).split(".")))
            elif "{" in part or "}" in part or ":" in part or "*" in part:
                raise ValueError(f"path template {text!r}: segment {part!r} is not supported")
            else:
                segments.append(part)
        return cls(text, tuple(segments))

    @property
    def variables(self) -> tuple[tuple[str, ...], ...]:
        """The field paths the template binds, in order."""
        return tuple(s for s in self.segments if isinstance(s, tuple))

    @property
    def shape(self) -> tuple[str | None, ...]:
        """The literals with variables blanked: two templates of one shape match the same paths."""
        return tuple(s if isinstance(s, str) else None for s in self.segments)

    def match(self, parts: list[str]) -> dict[tuple[str, ...], str] | None:
        """The variables' (still escaped) values if ``parts`` (the path split on ``/``) matches, else None."""
        if len(parts) != len(self.segments):
            return None
        bound: dict[tuple[str, ...], str] = {}
        for segment, part in zip(self.segments, parts, strict=True):
            if isinstance(segment, str):
                if segment != part:
                    return None
            elif not part:
                return None  # grpc-gateway's '*' matches one non-empty segment
            else:
                bound[segment] = part
        return bound


@dataclass(frozen=True)
class RestRoute:
    """One HTTP binding of one RPC.

    Attributes:
        service: the service's full name (``flyteidl.service.AdminService``).
        rpc: the method's name (``GetTask``).
        verb: the HTTP method (``GET``, ``POST``, ...).
        template: the path template.
        body: ``""`` (no body: every unbound field comes from the query), ``"*"`` (the whole request) or a field.
        name: grpc-gateway's name for the binding (``AdminService_ListTasks2`` for a second binding).
        method: the method's descriptor.
    """

    service: str
    rpc: str
    verb: str
    template: PathTemplate
    body: str
    name: str
    method: Any

    @property
    def path(self) -> str:
        return self.template.text

    @property
    def request_class(self) -> Any:
        return message_factory.GetMessageClass(self.method.input_type)

    @property
    def response_class(self) -> Any:
        return message_factory.GetMessageClass(self.method.output_type)


def _bindings(rule: Any) -> list[Any]:
    return [rule, *rule.additional_bindings]


@cache
def route_table() -> tuple[RestRoute, ...]:
    """Every HTTP route of the five services, in registration order (see :data:`SERVICES`).

    Raises:
        ValueError: a rule flyteidl might add that this gateway cannot serve exactly (a custom verb, a multi-segment
            variable, two rules that match the same requests).
    """
    import importlib

    routes: list[RestRoute] = []
    for module_name, service_name in SERVICES:
        service = importlib.import_module(module_name).DESCRIPTOR.services_by_name[service_name]
        for method in service.methods:
            options = method.GetOptions()
            if not options.HasExtension(annotations_pb2.http):
                continue  # an RPC without an HTTP rule (SignalService.GetOrCreateSignal) is gRPC-only
            if method.client_streaming or method.server_streaming:
                raise ValueError(f"{method.full_name}: streaming RPCs cannot be served over REST here")
            for index, binding in enumerate(_bindings(options.Extensions[annotations_pb2.http])):
                verb = binding.WhichOneof("pattern")
                if verb == "custom" or verb is None:
                    raise ValueError(f"{method.full_name}: custom HTTP verbs are not supported")
                if binding.response_body:
                    raise ValueError(f"{method.full_name}: response_body is not supported")
                suffix = str(index + 1) if index else ""
                routes.append(
                    RestRoute(
                        service=service.full_name,
                        rpc=method.name,
                        verb=verb.upper(),
                        template=PathTemplate.parse(getattr(binding, verb)),
                        body=binding.body,
                        name=f"{service_name}_{method.name}{suffix}",
                        method=method,
                    )
                )
    seen: dict[tuple[str, tuple[str | None, ...]], str] = {}
    for route in routes:
        key = (route.verb, route.template.shape)
        if key in seen:
            raise ValueError(f"{route.name} and {seen[key]} match the same requests ({route.verb} {route.path})")
        seen[key] = route.name
    return tuple(routes)
