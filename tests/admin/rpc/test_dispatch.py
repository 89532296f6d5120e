"""The dispatcher's start-up check: every RPC of a served service resolves to exactly one manager method."""

from __future__ import annotations

from typing import Any

import pytest
from flyteidl.service import admin_pb2, dataproxy_pb2, signal_pb2

from flyteplane.admin.rpc.dispatch import RoutingError, route, service_handler

_SIGNALS = signal_pb2.DESCRIPTOR.services_by_name["SignalService"]


class _Signals:
    def get_or_create_signal(self, request: Any) -> Any:
        return request

    def list_signals(self, request: Any) -> Any:
        return request

    def set_signal(self, request: Any) -> Any:
        return request


class _AlsoSetsSignals:
    def set_signal(self, request: Any) -> Any:
        return request


class _NotCallable:
    list_signals = "not a method"


def test_each_rpc_resolves_to_its_one_method() -> None:
    manager = _Signals()
    routes = route(_SIGNALS, [manager, _NotCallable()])
    assert set(routes) == {m.name for m in _SIGNALS.methods}
    assert routes["SetSignal"] == manager.set_signal


def test_an_rpc_claimed_by_two_managers_is_refused() -> None:
    with pytest.raises(RoutingError, match=r"SetSignal: claimed by _Signals.set_signal, _AlsoSetsSignals.set_signal"):
        service_handler(_SIGNALS, [_Signals(), _AlsoSetsSignals()])


def test_an_rpc_without_a_manager_is_refused() -> None:
    with pytest.raises(RoutingError) as raised:
        route(_SIGNALS, [_AlsoSetsSignals()])
    message = str(raised.value)
    assert message.startswith("flyteidl.service.SignalService cannot be served")
    assert "GetOrCreateSignal: no manager has get_or_create_signal()" in message
    assert "ListSignals: no manager has list_signals()" in message


def test_the_admin_serves_every_rpc_of_its_services(flyte_admin: Any) -> None:
    # The real wiring: built at start, so a started admin proves every RPC has exactly one manager method.
    managers = flyte_admin.services.managers
    for module, name in (
        (admin_pb2, "AdminService"),
        (dataproxy_pb2, "DataProxyService"),
        (signal_pb2, "SignalService"),
    ):
        descriptor = module.DESCRIPTOR.services_by_name[name]
        assert set(route(descriptor, managers)) == {m.name for m in descriptor.methods}
