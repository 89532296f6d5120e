"""The path the seed imports the friendly client from: ``flyteplane.clients.sync_client.SynchronousFlyteClient``."""

from flyteplane.clients.friendly import SynchronousFlyteClient

__all__ = ["SynchronousFlyteClient"]
