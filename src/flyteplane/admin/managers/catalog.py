"""CatalogManager: the task cache, datacatalog's part of a Flyte deployment, inside the admin.

Propeller reaches datacatalog (a gRPC service of its own) for cached tasks: GetArtifact by tag for a lookup,
CreateArtifact + AddTag to populate, UpdateArtifact when an execution overwrites the cache, and
GetOrExtendReservation / ReleaseReservation so that one of several identical runs computes while the others wait
(``flytepropeller/pkg/controller/nodes/catalog/datacatalog/datacatalog.go``). The engine asks the same through its
port (:class:`~flyteplane.admin.managers.engine_port.EngineAdmin` delegates here); the ``flyteplane cache`` command
lists and evicts through :meth:`CatalogManager.list` and :meth:`CatalogManager.evict`. Everything is in the store, so
cached outputs survive restarts; nothing is kept in memory, so an eviction takes effect at the next lookup.
"""

from __future__ import annotations

import datetime as _dt
import logging
import uuid

from flyteidl.core import catalog_pb2, identifier_pb2, literals_pb2

from flyteplane.admin.domain.catalog_keys import ArtifactKey, catalog_metadata
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.engine.port import CacheEntry, CacheReservation
from flyteplane.admin.store.catalog import CachedArtifact, CatalogFilter, CatalogRepository
from flyteplane.admin.store.db import Store

__all__ = ["HEARTBEAT_GRACE_MULTIPLIER", "MAX_HEARTBEAT_SECONDS", "CatalogManager"]

log = logging.getLogger("flyteplane.admin.catalog")

MAX_HEARTBEAT_SECONDS = 10.0
"""The longest heartbeat interval a reservation gets (datacatalog's ``maxReservationHeartbeat``, 10s)."""
HEARTBEAT_GRACE_MULTIPLIER = 3
"""A reservation expires this many heartbeat intervals after its last extension (datacatalog's
``heartbeatGracePeriodMultiplier``)."""


class CatalogManager:
    """Cached task outputs and reservations (see the module docstring).

    Args:
        store: where artifacts and reservations are kept.
        clear_reservations: drop the reservations left in the store (built once per admin process: their owners
            were runs of an earlier process, which the engine's start ends; one admin process owns a state
            directory at a time).
    """

    def __init__(self, store: Store, *, clear_reservations: bool = True) -> None:
        self._repo = CatalogRepository(store)
        if clear_reservations:
            dropped = self._repo.clear_reservations()
            if dropped:
                log.info("dropped %d cache reservation(s) held by runs of an earlier admin process", dropped)

    # -- what the engine asks (its port) ---------------------------------------------------------------------------
    def get_cached(self, key: ArtifactKey) -> CacheEntry | None:
        artifact = self._repo.get(key)
        if artifact is None:
            return None
        outputs = literals_pb2.LiteralMap.FromString(artifact.outputs)
        return CacheEntry(outputs, catalog_metadata(key, artifact.artifact_id, artifact.source))

    def put_cached(
        self,
        key: ArtifactKey,
        outputs: literals_pb2.LiteralMap,
        source: identifier_pb2.TaskExecutionIdentifier,
        *,
        overwrite: bool,
    ) -> catalog_pb2.CatalogMetadata:
        stored = self._repo.put(
            key, str(uuid.uuid4()), outputs.SerializeToString(), source, utcnow(), overwrite=overwrite
        )
        # A new artifact reports no source (propeller's createArtifact); an overwritten one reports this run.
        return catalog_metadata(key, stored.artifact_id, source if overwrite else None)

    def get_or_extend_reservation(self, key: ArtifactKey, owner_id: str, heartbeat_seconds: float) -> CacheReservation:
        heartbeat = min(heartbeat_seconds, MAX_HEARTBEAT_SECONDS) if heartbeat_seconds > 0 else MAX_HEARTBEAT_SECONDS
        now = utcnow()
        expires_at = now + _dt.timedelta(seconds=heartbeat * HEARTBEAT_GRACE_MULTIPLIER)
        row = self._repo.get_or_extend_reservation(key, owner_id, heartbeat, expires_at, now)
        return CacheReservation(row.owner_id, row.heartbeat_seconds)

    def release_reservation(self, key: ArtifactKey, owner_id: str) -> None:
        self._repo.release_reservation(key, owner_id)

    # -- what an operator asks (flyteplane cache) ------------------------------------------------------------------
    def list(self, flt: CatalogFilter) -> list[CachedArtifact]:
        """The cached artifacts ``flt`` takes."""
        return self._repo.list(flt)

    def evict(self, flt: CatalogFilter) -> int:
        """Delete the cached artifacts ``flt`` takes (the next identical run computes again); return how many."""
        return self._repo.evict(flt)
