"""pytest fixtures: a real embedded Flyte Admin on loopback, and clients connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flyteplane.admin.server import AdminServer
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.clients.raw import RawSynchronousFlyteClient


def _platform(endpoint: str):  # type: ignore[no-untyped-def]
    from flyteplane.configuration import PlatformConfig

    return PlatformConfig(endpoint=endpoint, insecure=True)


@pytest.fixture
def flyte_admin() -> Iterator[AdminServer]:
    """A fresh in-memory admin (project ``flytesnacks`` seeded), stopped after the test."""
    from flyteplane.admin.server import AdminServer

    with AdminServer() as admin:
        yield admin


@pytest.fixture(scope="session")
def flyte_admin_session() -> Iterator[AdminServer]:
    """One in-memory admin for the whole session (faster; tests must not depend on each other's state)."""
    from flyteplane.admin.server import AdminServer

    with AdminServer() as admin:
        yield admin


@pytest.fixture
def flyte_client(flyte_admin: AdminServer) -> Iterator[SynchronousFlyteClient]:
    """A SynchronousFlyteClient connected to ``flyte_admin``."""
    from flyteplane.clients.friendly import SynchronousFlyteClient

    with SynchronousFlyteClient(_platform(flyte_admin.endpoint)) as client:
        yield client  # type: ignore[misc]


@pytest.fixture
def flyte_raw_client(flyte_admin: AdminServer) -> Iterator[RawSynchronousFlyteClient]:
    """A RawSynchronousFlyteClient connected to ``flyte_admin``."""
    from flyteplane.clients.raw import RawSynchronousFlyteClient

    with RawSynchronousFlyteClient(_platform(flyte_admin.endpoint)) as client:
        yield client
