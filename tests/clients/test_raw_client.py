"""Every RawSynchronousFlyteClient method, over real gRPC against the embedded admin."""

from __future__ import annotations

import importlib

import pytest
from google.protobuf import message_factory

from flyteplane.clients.raw import RawSynchronousFlyteClient
from flyteplane.clients.rpcs import Rpc, RpcTable
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
    """Public raw method name -> (service, rpc, request class), from the RPC table the raw methods are made of."""
    found: dict[str, tuple[str, str, type]] = {}
    for name, rpc in vars(RpcTable).items():
        if not isinstance(rpc, Rpc):
            continue
        assert RawSynchronousFlyteClient.__dict__.get(name) is None and getattr(RawSynchronousFlyteClient, name) is rpc
        module = importlib.import_module(SERVICES[rpc.service])
        method = module.DESCRIPTOR.services_by_name[rpc.service].methods_by_name[rpc.name]
        found[name] = (rpc.service, rpc.name, message_factory.GetMessageClass(method.input_type))
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


def test_raw_view_of_the_friendly_client(flyte_admin):
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.configuration import PlatformConfig

    flyte_client = SynchronousFlyteClient(PlatformConfig(endpoint=flyte_admin.endpoint, insecure=True))
    raw = flyte_client.raw
    assert isinstance(raw, RawSynchronousFlyteClient)
    assert raw is flyte_client.raw  # the very client the friendly one calls through, not a copy
    assert raw.get_version().control_plane_version.Version
    assert raw.channel is flyte_client.channel
    # Composition, not inheritance: the raw methods of the same name take protobufs (see friendly.py's docstring).
    assert not isinstance(flyte_client, RawSynchronousFlyteClient)
    flyte_client.close()


def test_raw_methods_take_flytekits_keyword_and_a_timeout(flyte_raw_client):
    from flyteidl.admin import project_pb2

    projects = flyte_raw_client.list_projects(project_list_request=project_pb2.ProjectListRequest(limit=5), timeout=5)
    assert "flytesnacks" in [p.id for p in projects.projects]
    with pytest.raises(TypeError, match="takes one request"):
        flyte_raw_client.list_projects(request=project_pb2.ProjectListRequest())  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes one request"):
        flyte_raw_client.list_projects(
            project_pb2.ProjectListRequest(), project_list_request=project_pb2.ProjectListRequest()
        )


def test_construction_makes_no_channel_until_the_first_call(flyte_admin):
    from flyteplane.configuration import PlatformConfig

    client = RawSynchronousFlyteClient(PlatformConfig(endpoint=flyte_admin.endpoint, insecure=True))
    assert client._channel is None
    client.get_version()
    assert client._channel is not None
    client.close()
    assert client._channel is None
    client.get_version()  # a closed client opens a new channel when used again
    client.close()
