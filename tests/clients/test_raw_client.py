"""Every RawSynchronousFlyteClient method, over real gRPC against the embedded admin."""

from __future__ import annotations

import importlib
import inspect

import pytest
from google.protobuf import message_factory

from flyteplane.clients.raw import RawSynchronousFlyteClient
from flyteplane.errors import FlyteException, FlyteUnimplementedException

SERVICES = {
    "AdminService": "flyteidl.service.admin_pb2",
    "DataProxyService": "flyteidl.service.dataproxy_pb2",
    "SignalService": "flyteidl.service.signal_pb2",
    "AuthMetadataService": "flyteidl.service.auth_pb2",
    "IdentityService": "flyteidl.service.identity_pb2",
}
# Served only when the admin runs with auth on (as Flyte Admin with useAuth: false).
AUTH_ONLY = {"AuthMetadataService", "IdentityService"}


def _raw_methods() -> dict[str, tuple[str, str, type]]:
    """Public raw method name -> (service, rpc, request class), found by calling each with a recording _call."""
    found: dict[str, tuple[str, str, type]] = {}

    class Recorder(RawSynchronousFlyteClient):
        def __init__(self) -> None:
            self.last: tuple[str, str] | None = None

        def _call(self, service, rpc, request, timeout=None):  # type: ignore[override]
            self.last = (service, rpc)

    recorder = Recorder()
    for name, fn in inspect.getmembers(RawSynchronousFlyteClient, inspect.isfunction):
        if name.startswith("_") or name in {"close", "with_root_certificate"}:
            continue
        recorder.last = None
        fn(recorder, None)
        assert recorder.last is not None, name
        service, rpc = recorder.last
        module = importlib.import_module(SERVICES[service])
        method = module.DESCRIPTOR.services_by_name[service].methods_by_name[rpc]
        found[name] = (service, rpc, message_factory.GetMessageClass(method.input_type))
    return found


RAW_METHODS = _raw_methods()


def test_every_rpc_of_every_service_has_a_raw_method():
    covered = {(s, r) for s, r, _ in RAW_METHODS.values()}
    expected = set()
    for service, module_name in SERVICES.items():
        module = importlib.import_module(module_name)
        for method in module.DESCRIPTOR.services_by_name[service].methods:
            expected.add((service, method.name))
    assert expected - covered == set()
    assert len(expected) == 66


@pytest.mark.parametrize("name", sorted(RAW_METHODS))
def test_raw_method_reaches_the_admin(name, flyte_admin, flyte_raw_client):
    service, rpc, request_cls = RAW_METHODS[name]
    flyte_admin.calls.reset()
    try:
        response = getattr(flyte_raw_client, name)(request_cls())
    except FlyteUnimplementedException as e:
        assert service in AUTH_ONLY, f"{rpc} must be implemented: {e}"
        assert e.rpc == rpc
        return
    except FlyteException as e:
        # An empty request is a client mistake: the admin must say which field, never INTERNAL.
        assert e.code is not None and e.code.name in {"INVALID_ARGUMENT", "NOT_FOUND"}, f"{rpc}: {e}"
        assert flyte_admin.calls[rpc] == 1
        return
    assert service not in AUTH_ONLY
    assert flyte_admin.calls[rpc] == 1
    assert response is not None and hasattr(response, "SerializeToString")


def test_list_projects_and_domains_without_a_request(flyte_raw_client):
    projects = flyte_raw_client.list_projects()
    assert "flytesnacks" in [p.id for p in projects.projects]
    domains = flyte_raw_client.get_domains()
    assert [d.id for d in domains.domains] == ["development", "staging", "production"]


def test_raw_view_of_the_friendly_client(flyte_client):
    raw = flyte_client.raw
    assert isinstance(raw, RawSynchronousFlyteClient)
    assert raw.get_version().control_plane_version.Version
