"""The task cache's tables: cached outputs and the reservations of serialized caches.

Flyte keeps these in datacatalog, a service of its own with its own database (``datacatalog/pkg/repositories/
models``: datasets, artifacts with their data, tags pointing at artifacts, reservations). Propeller uses one tag per
artifact, so here one row of ``catalog_artifacts`` is a dataset's artifact and its tag together: the key is the
dataset (project, domain, name, version) and the tag, and the row holds the outputs themselves (a serialized
``LiteralMap``, as datacatalog stores the artifact's data in its own storage, not a pointer into the run that made
it), so that a cached value outlives the execution that computed it. Times are naive UTC.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, Integer, LargeBinary, PrimaryKeyConstraint, String, Table

from flyteplane.admin.store.schema import metadata

__all__ = ["catalog_artifacts", "catalog_reservations"]


def _dataset_and_tag() -> list[Column]:
    return [
        Column("dataset_project", String(63), nullable=False),
        Column("dataset_domain", String(63), nullable=False),
        Column("dataset_name", String(255), nullable=False),  # flyte_task-<task name>
        Column("dataset_version", String(255), nullable=False),  # <cache_version>-<inputs sig>-<outputs sig>
        Column("tag_name", String(255), nullable=False),  # flyte_cached-<inputs hash>
    ]


_KEY = ("dataset_project", "dataset_domain", "dataset_name", "dataset_version", "tag_name")

catalog_artifacts = Table(
    "catalog_artifacts",
    metadata,
    *_dataset_and_tag(),
    Column("artifact_id", String(36), nullable=False),  # a UUID, as datacatalog names artifacts
    Column("outputs", LargeBinary, nullable=False),  # core.LiteralMap
    # The task execution that computed it (datacatalog keeps these in the artifact's and dataset's metadata).
    Column("source_project", String(63), nullable=False),
    Column("source_domain", String(63), nullable=False),
    Column("source_execution", String(63), nullable=False),
    Column("source_node_id", String(255), nullable=False),
    Column("source_retry_attempt", Integer, nullable=False),
    Column("task_version", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    PrimaryKeyConstraint(*_KEY, name="catalog_artifacts_pkey"),
    Index("catalog_artifacts_task_idx", "dataset_project", "dataset_domain", "dataset_name"),
)

catalog_reservations = Table(
    "catalog_reservations",
    metadata,
    *_dataset_and_tag(),
    Column("owner_id", String(255), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("heartbeat_seconds", Float, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    PrimaryKeyConstraint(*_KEY, name="catalog_reservations_pkey"),
)
