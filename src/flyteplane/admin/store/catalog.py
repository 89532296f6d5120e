"""The task cache's repository: cached artifacts by dataset and tag, and reservations (datacatalog's artifact, tag
and reservation repositories, ``datacatalog/pkg/repositories/gormimpl``)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from flyteidl.core import identifier_pb2
from sqlalchemy import Row, and_, delete, func, insert, select, update

from flyteplane.admin.domain.catalog_keys import SIGNATURE_SUFFIX_LENGTH, TASK_NAMESPACE, ArtifactKey, DatasetId
from flyteplane.admin.store.catalog_schema import catalog_artifacts, catalog_reservations
from flyteplane.admin.store.db import Store

__all__ = ["CachedArtifact", "CatalogFilter", "CatalogRepository", "ReservationRow"]

_A = catalog_artifacts
_R = catalog_reservations


@dataclass(frozen=True)
class CachedArtifact:
    """One cached set of outputs."""

    key: ArtifactKey
    artifact_id: str
    outputs: bytes
    """A serialized ``core.LiteralMap``."""
    source: identifier_pb2.TaskExecutionIdentifier
    """The task execution that computed it."""
    created_at: _dt.datetime
    updated_at: _dt.datetime


@dataclass(frozen=True)
class ReservationRow:
    """Who holds a reservation, until when (naive UTC)."""

    owner_id: str
    expires_at: _dt.datetime
    heartbeat_seconds: float


@dataclass(frozen=True)
class CatalogFilter:
    """Which cached artifacts a listing or an eviction takes; an empty field takes every value."""

    project: str = ""
    domain: str = ""
    task_name: str = ""
    cache_version: str = ""
    """A task's ``cache_version``: the datasets whose version starts with ``<cache_version>-``."""
    tag: str = ""


def _where(table: Any, key: ArtifactKey) -> Any:
    d = key.dataset
    return and_(
        table.c.dataset_project == d.project,
        table.c.dataset_domain == d.domain,
        table.c.dataset_name == d.name,
        table.c.dataset_version == d.version,
        table.c.tag_name == key.tag,
    )


def _key_values(key: ArtifactKey) -> dict[str, str]:
    d = key.dataset
    return {
        "dataset_project": d.project,
        "dataset_domain": d.domain,
        "dataset_name": d.name,
        "dataset_version": d.version,
        "tag_name": key.tag,
    }


def _filter(flt: CatalogFilter) -> list[Any]:
    clauses = []
    if flt.project:
        clauses.append(_A.c.dataset_project == flt.project)
    if flt.domain:
        clauses.append(_A.c.dataset_domain == flt.domain)
    if flt.task_name:
        clauses.append(_A.c.dataset_name == f"{TASK_NAMESPACE}-{flt.task_name}")
    if flt.cache_version:
        # <cache_version>-<signatures>: the signatures have a fixed length (and may hold "-" themselves).
        clauses.append(_A.c.dataset_version.startswith(f"{flt.cache_version}-", autoescape=True))
        clauses.append(func.length(_A.c.dataset_version) == len(flt.cache_version) + SIGNATURE_SUFFIX_LENGTH)
    if flt.tag:
        clauses.append(_A.c.tag_name == flt.tag)
    return clauses


def _artifact(row: Row[Any]) -> CachedArtifact:
    dataset = DatasetId(row.dataset_project, row.dataset_domain, row.dataset_name, row.dataset_version)
    source = identifier_pb2.TaskExecutionIdentifier(
        task_id=identifier_pb2.Identifier(
            resource_type=identifier_pb2.TASK,
            project=row.dataset_project,
            domain=row.dataset_domain,
            name=dataset.task_name,
            version=row.task_version,
        ),
        node_execution_id=identifier_pb2.NodeExecutionIdentifier(
            node_id=row.source_node_id,
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                project=row.source_project, domain=row.source_domain, name=row.source_execution
            ),
        ),
        retry_attempt=row.source_retry_attempt,
    )
    return CachedArtifact(
        key=ArtifactKey(dataset, row.tag_name),
        artifact_id=row.artifact_id,
        outputs=row.outputs,
        source=source,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class CatalogRepository:
    """Cached artifacts (table ``catalog_artifacts``) and reservations (``catalog_reservations``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- artifacts --------------------------------------------------------------------------------------------------
    def get(self, key: ArtifactKey) -> CachedArtifact | None:
        """The artifact tagged ``key.tag`` in ``key.dataset`` (datacatalog's GetArtifact by tag), or None."""
        with self._store.read() as tx:
            row = tx.execute(select(_A).where(_where(_A, key))).first()
        return _artifact(row) if row is not None else None

    def put(
        self,
        key: ArtifactKey,
        artifact_id: str,
        outputs: bytes,
        source: identifier_pb2.TaskExecutionIdentifier,
        now: _dt.datetime,
        *,
        overwrite: bool,
    ) -> CachedArtifact:
        """Store an artifact under its tag and return what the tag points at afterwards.

        Without ``overwrite``, a tag that exists keeps its artifact (datacatalog's AddTag of an existing tag is
        idempotent); with it, the artifact's data and source are replaced (datacatalog's UpdateArtifact), keeping
        its id.
        """
        node = source.node_execution_id
        values = {
            "outputs": outputs,
            "source_project": node.execution_id.project,
            "source_domain": node.execution_id.domain,
            "source_execution": node.execution_id.name,
            "source_node_id": node.node_id,
            "source_retry_attempt": source.retry_attempt,
            "task_version": source.task_id.version,
            "updated_at": now,
        }
        with self._store.begin() as tx:
            row = tx.execute(select(_A).where(_where(_A, key))).first()
            if row is None:
                tx.execute(insert(_A).values(**_key_values(key), artifact_id=artifact_id, created_at=now, **values))
            elif overwrite:
                tx.execute(update(_A).where(_where(_A, key)).values(**values))
            stored = tx.execute(select(_A).where(_where(_A, key))).one()
        return _artifact(stored)

    def list(self, flt: CatalogFilter) -> list[CachedArtifact]:
        """The artifacts ``flt`` takes, by project, domain, task, dataset version, then newest first."""
        query = (
            select(_A)
            .where(*_filter(flt))
            .order_by(
                _A.c.dataset_project,
                _A.c.dataset_domain,
                _A.c.dataset_name,
                _A.c.dataset_version,
                _A.c.updated_at.desc(),
                _A.c.tag_name,
            )
        )
        with self._store.read() as tx:
            return [_artifact(row) for row in tx.execute(query)]

    def evict(self, flt: CatalogFilter) -> int:
        """Delete the artifacts ``flt`` takes; return how many."""
        with self._store.begin() as tx:
            return int(tx.execute(delete(_A).where(*_filter(flt))).rowcount or 0)

    # -- reservations -----------------------------------------------------------------------------------------------
    def get_or_extend_reservation(
        self, key: ArtifactKey, owner_id: str, heartbeat_seconds: float, expires_at: _dt.datetime, now: _dt.datetime
    ) -> ReservationRow:
        """Take the reservation of ``key`` for ``owner_id`` until ``expires_at`` when it is free, expired or
        already its own; return who holds it afterwards (datacatalog's ``tryAcquireReservation``)."""
        mine = ReservationRow(owner_id, expires_at, heartbeat_seconds)
        values = {"owner_id": owner_id, "expires_at": expires_at, "heartbeat_seconds": heartbeat_seconds}
        with self._store.begin() as tx:
            row = tx.execute(select(_R).where(_where(_R, key))).first()
            if row is None:
                tx.execute(insert(_R).values(**_key_values(key), **values, created_at=now, updated_at=now))
                return mine
            if row.expires_at < now or row.owner_id == owner_id:
                tx.execute(update(_R).where(_where(_R, key)).values(**values, updated_at=now))
                return mine
            return ReservationRow(row.owner_id, row.expires_at, row.heartbeat_seconds)

    def release_reservation(self, key: ArtifactKey, owner_id: str) -> None:
        """Drop ``owner_id``'s reservation of ``key``; nothing when another owner holds it or none exists."""
        with self._store.begin() as tx:
            tx.execute(delete(_R).where(_where(_R, key), _R.c.owner_id == owner_id))

    def clear_reservations(self) -> int:
        """Drop every reservation (their owners are runs of an earlier admin process); return how many."""
        with self._store.begin() as tx:
            return int(tx.execute(delete(_R)).rowcount or 0)
