"""Clients for Flyte Admin: :class:`SynchronousFlyteClient` (models) over :class:`RawSynchronousFlyteClient`
(protobufs). Imported lazily, so ``import flyteplane.clients`` costs nothing until a client is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.clients.raw import RawSynchronousFlyteClient

__all__ = ["RawSynchronousFlyteClient", "SynchronousFlyteClient"]


def __getattr__(name: str) -> Any:
    if name == "SynchronousFlyteClient":
        from flyteplane.clients.friendly import SynchronousFlyteClient

        return SynchronousFlyteClient
    if name == "RawSynchronousFlyteClient":
        from flyteplane.clients.raw import RawSynchronousFlyteClient

        return RawSynchronousFlyteClient
    raise AttributeError(f"module 'flyteplane.clients' has no attribute {name!r}")
