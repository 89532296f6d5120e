"""Versioned schema migrations.

Each migration has a number, a name and a function that takes an open connection inside the migration's
transaction. A database records the migrations applied to it in ``schema_version``; starting the admin applies
the missing ones in order. Migrations are append-only: a released one is never edited, a change is a new one.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select, text

from flyteplane.admin.store import auth_schema, catalog_schema, execution_schema, schedule_schema, schema

__all__ = ["MIGRATIONS", "Migration", "apply_migrations", "current_version"]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _create(*tables: object) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for table in tables:
            table.create(conn)  # type: ignore[attr-defined]

    return run


def _registry_listing_indexes(conn: Connection) -> None:
    # Registry listings filter by project and domain (and often name) and sort by created_at, flytekit's default
    # order; with these SQLite walks an index instead of sorting every version on each page. Raw DDL on purpose:
    # an Index object would attach itself to the shared Table and be created again by migration 1 elsewhere.
    for table in ("tasks", "workflows", "launch_plans"):
        conn.execute(
            text(f"CREATE INDEX IF NOT EXISTS {table}_created_idx ON {table} (project, domain, created_at, id)")
        )
        conn.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {table}_name_created_idx "
                f"ON {table} (project, domain, name, created_at, id)"
            )
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "registry: projects, tasks, workflows, launch plans, named entities, descriptions, attributes",
        _create(
            schema.projects,
            schema.tasks,
            schema.workflows,
            schema.launch_plans,
            schema.named_entity_metadata,
            schema.description_entities,
            schema.resources,
        ),
    ),
    Migration(2, "registry: listing indexes on created_at", _registry_listing_indexes),
    Migration(
        3,
        "runs: executions, node and task executions, events, tags, signals",
        _create(
            execution_schema.executions,
            execution_schema.execution_tags,
            execution_schema.execution_events,
            execution_schema.node_executions,
            execution_schema.node_execution_events,
            execution_schema.task_executions,
            execution_schema.signals,
        ),
    ),
    Migration(4, "auth: refresh tokens of the built-in authorization server", _create(auth_schema.auth_refresh_tokens)),
    Migration(5, "scheduler: the last firing of each scheduled launch plan", _create(schedule_schema.schedule_firings)),
    Migration(
        6,
        "task cache: cached outputs and the reservations of serialized caches",
        _create(catalog_schema.catalog_artifacts, catalog_schema.catalog_reservations),
    ),
)


def current_version(conn: Connection) -> int:
    """The newest migration applied to this database (0 for a new one)."""
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        return 0
    row = conn.execute(select(schema.schema_version.c.version).order_by(schema.schema_version.c.version.desc()))
    version = row.scalar()
    return int(version) if version is not None else 0


def apply_migrations(conn: Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Bring the schema up to date; returns the versions applied now. Call inside one transaction."""
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        schema.schema_version.create(conn)
    have = current_version(conn)
    newest = max((m.version for m in migrations), default=0)
    if have > newest:
        raise RuntimeError(
            f"the database is at schema version {have}, newer than this flyteplane knows ({newest}); "
            "upgrade flyteplane or use another state directory"
        )
    applied = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version <= have:
            continue
        migration.apply(conn)
        conn.execute(
            schema.schema_version.insert().values(
                version=migration.version,
                name=migration.name,
                applied_at=_dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None),
            )
        )
        applied.append(migration.version)
    return applied
