"""The admin's tables, in SQLAlchemy Core.

Column names follow Flyte Admin's database (Flyte Admin's ``flyteadmin/pkg/repositories/models``) on purpose: clients
filter and sort by column name (``eq(version,v1)``, ``sort_by.key=created_at``), so the names are part of the wire
contract. Every table has Flyte Admin's ``id``, ``created_at``, ``updated_at`` and ``deleted_at`` columns for the same
reason.

Protobuf-valued columns hold serialized bytes; the managers own what message each one is. Times are naive UTC.
The tables are created by versioned migrations (:mod:`.migrations`), never by ``metadata.create_all``.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "description_entities",
    "launch_plans",
    "metadata",
    "named_entity_metadata",
    "projects",
    "resources",
    "schema_version",
    "tasks",
    "workflows",
]

metadata = MetaData()


def _audit() -> list[Column]:
    # A fresh set per table: a Column object belongs to exactly one Table.
    return [
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("deleted_at", DateTime, nullable=True),
    ]


def _name_key() -> list[Column]:
    """project / domain / name: the key of a named entity (fresh columns per table, as for :func:`_audit`)."""
    return [
        Column("project", String(63), nullable=False),
        Column("domain", String(63), nullable=False),
        Column("name", String(255), nullable=False),
    ]


def _version_key() -> list[Column]:
    """project / domain / name / version: the key of a registered version (task, workflow, launch plan, description)."""
    return [*_name_key(), Column("version", String(255), nullable=False)]


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identifier", String(63), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("description", String(300), nullable=False, default=""),
    # Serialized admin.Labels (Flyte Admin stores a whole admin.Project here; only its labels are read back).
    Column("labels", LargeBinary, nullable=True),
    Column("state", Integer, nullable=False, default=0),
    Column("org", String(63), nullable=False, default=""),
    *_audit(),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_version_key(),
    Column("closure", LargeBinary, nullable=False),  # admin.TaskClosure
    Column("digest", String(64), nullable=False),
    Column("type", String(255), nullable=False, default=""),
    Column("short_description", Text, nullable=False, default=""),
    *_audit(),
    UniqueConstraint("project", "domain", "name", "version", name="tasks_pkey"),
)

workflows = Table(
    "workflows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_version_key(),
    Column("typed_interface", LargeBinary, nullable=True),  # core.TypedInterface
    # Flyte Admin keeps the closure in blob storage and this column points at it; the embedded admin keeps the
    # closure in ``closure`` (one transaction, nothing to lose between two stores) and records the would-be URI.
    Column("remote_closure_identifier", String(512), nullable=False, default=""),
    Column("closure", LargeBinary, nullable=False),  # admin.WorkflowClosure
    Column("digest", String(64), nullable=False),
    Column("short_description", Text, nullable=False, default=""),
    *_audit(),
    UniqueConstraint("project", "domain", "name", "version", name="workflows_pkey"),
)

launch_plans = Table(
    "launch_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_version_key(),
    Column("spec", LargeBinary, nullable=False),  # admin.LaunchPlanSpec
    Column("workflow_id", Integer, ForeignKey("workflows.id"), nullable=False),
    Column("closure", LargeBinary, nullable=False),  # admin.LaunchPlanClosure
    Column("state", Integer, nullable=False, default=0),  # admin.LaunchPlanState
    Column("digest", String(64), nullable=False),
    Column("schedule_type", String(16), nullable=False, default="NONE"),  # NONE | CRON | RATE
    Column("launch_condition_type", String(32), nullable=True),
    *_audit(),
    UniqueConstraint("project", "domain", "name", "version", name="launch_plans_pkey"),
)
Index(
    "launch_plans_active_idx", launch_plans.c.project, launch_plans.c.domain, launch_plans.c.name, launch_plans.c.state
)

named_entity_metadata = Table(
    "named_entity_metadata",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resource_type", Integer, nullable=False),
    *_name_key(),
    Column("description", String(300), nullable=False, default=""),
    Column("state", Integer, nullable=True),  # admin.NamedEntityState; NULL reads as ACTIVE
    *_audit(),
    UniqueConstraint("resource_type", "project", "domain", "name", name="named_entity_metadata_pkey"),
)

description_entities = Table(
    "description_entities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resource_type", Integer, nullable=False),
    *_version_key(),
    Column("short_description", Text, nullable=False, default=""),
    Column("long_description", LargeBinary, nullable=True),  # admin.Description
    Column("link", String(2048), nullable=False, default=""),
    Column("source_code", LargeBinary, nullable=True),  # admin.SourceCode
    Column("tags", Text, nullable=True),
    *_audit(),
    UniqueConstraint("resource_type", "project", "domain", "name", "version", name="description_entities_pkey"),
)

resources = Table(
    "resources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(63), nullable=False, default=""),
    Column("domain", String(63), nullable=False, default=""),
    Column("workflow", String(255), nullable=False, default=""),
    Column("launch_plan", String(255), nullable=False, default=""),
    Column("resource_type", String(64), nullable=False),  # MatchableResource name, e.g. "TASK_RESOURCE"
    Column("priority", Integer, nullable=False),  # project 5, project-domain 10, workflow 100, launch plan 1000
    Column("attributes", LargeBinary, nullable=False),  # admin.MatchingAttributes
    Column("org", String(63), nullable=False, default=""),
    *_audit(),
    UniqueConstraint("project", "domain", "workflow", "launch_plan", "resource_type", name="resources_pkey"),
)
