"""The client fixtures of flyteplane's pytest plugin, parametrized over the synchronous and asynchronous clients:
every test here that takes ``flyte_client`` or ``flyte_raw_client`` runs against both (see ``both.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flyteplane.configuration import PlatformConfig
from tests.clients.both import blocking


@pytest.fixture(params=["sync", "async"])
def flyte_client(request: pytest.FixtureRequest, flyte_admin: Any) -> Iterator[Any]:
    """SynchronousFlyteClient, or flyteplane.aio.FlyteClient driven through blocking calls."""
    cfg = PlatformConfig(endpoint=flyte_admin.endpoint, insecure=True)
    if request.param == "sync":
        from flyteplane.clients.friendly import SynchronousFlyteClient

        with SynchronousFlyteClient(cfg) as client:
            yield client
    else:
        from flyteplane.aio import FlyteClient

        yield from blocking(FlyteClient(cfg))


@pytest.fixture(params=["sync", "async"])
def flyte_raw_client(request: pytest.FixtureRequest, flyte_admin: Any) -> Iterator[Any]:
    """RawSynchronousFlyteClient, or flyteplane.aio.RawFlyteClient driven through blocking calls."""
    cfg = PlatformConfig(endpoint=flyte_admin.endpoint, insecure=True)
    if request.param == "sync":
        from flyteplane.clients.raw import RawSynchronousFlyteClient

        with RawSynchronousFlyteClient(cfg) as client:
            yield client
    else:
        from flyteplane.aio import RawFlyteClient

        yield from blocking(RawFlyteClient(cfg))
