"""Shared test set-up. The ``flyte_admin`` / ``flyte_client`` fixtures come from flyteplane's pytest plugin."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def free_port() -> int:
    """A loopback port nobody listens on (bound and released, so the OS will refuse connections to it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
