"""Set-up shared by the manager tests: admin contexts over fresh in-memory stores, with projects registered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.store import schema
from flyteplane.admin.store.db import Store
from flyteplane.admin.wiring import AdminServices, build_context, build_services


def _add_project(ctx: AdminContext, identifier: str, state: int = 0) -> None:
    now = dt.datetime(2024, 1, 1)
    with ctx.store.begin() as conn:
        conn.execute(
            schema.projects.insert().values(
                identifier=identifier, name=identifier, description="", state=state, created_at=now, updated_at=now
            )
        )


@pytest.fixture
def add_project() -> Callable[..., None]:
    """``add_project(ctx, identifier, state=0)``: register a project (state 1 is ARCHIVED)."""
    return _add_project


@pytest.fixture
def make_ctx() -> Iterator[Callable[..., AdminContext]]:
    """``make_ctx(config=None)``: a context over a new in-memory store, with the active project ``flytesnacks`` and
    the archived project ``archived``; every store made is closed after the test."""
    made: list[AdminContext] = []

    def make(config: AdminConfig | None = None) -> AdminContext:
        ctx = build_context(config or AdminConfig(), Store(None))
        made.append(ctx)
        _add_project(ctx, "flytesnacks")
        _add_project(ctx, "archived", state=1)
        return ctx

    yield make
    for ctx in made:
        ctx.store.close()


@pytest.fixture
def ctx(make_ctx: Callable[..., AdminContext]) -> AdminContext:
    """A context with the default config (see ``make_ctx``)."""
    return make_ctx()


@pytest.fixture
def make_services(make_ctx: Callable[..., AdminContext]) -> Iterator[Callable[..., AdminServices]]:
    """``make_services(config=None)``: every part of an admin, wired as the server wires them, over a context from
    ``make_ctx``; not started (start the engine with ``services.engine.start()``); stopped after the test."""
    made: list[AdminServices] = []

    def make(config: AdminConfig | None = None) -> AdminServices:
        ctx = make_ctx(config)
        services = build_services(ctx.config, ctx.store, context=ctx)
        made.append(services)
        return services

    yield make
    for services in made:
        services.stop()
