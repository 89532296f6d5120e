"""Fixtures of the REST gateway tests (the gateway itself is served by :mod:`tests.rest_support`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client
