"""The scheduler's table: when each scheduled launch plan version last fired.

Flyte's native scheduler keeps the same fact in a snapshot of last execution times (flyteadmin
``scheduler/snapshoter``) so that, after a restart, it catches up from where it stopped instead of from the
activation. Here each firing is recorded as it is acknowledged, so nothing between two snapshots is fired twice.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, PrimaryKeyConstraint, String, Table

from flyteplane.admin.store.schema import metadata

__all__ = ["schedule_firings"]

schedule_firings = Table(
    "schedule_firings",
    metadata,
    Column("project", String(255), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("version", String(255), nullable=False),
    Column("last_fired_at", DateTime, nullable=False),  # naive UTC: the scheduled time of the last firing
    PrimaryKeyConstraint("project", "domain", "name", "version", name="schedule_firings_pkey"),
)
