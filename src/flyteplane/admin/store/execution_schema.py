"""The tables of runs: executions, their node and task executions, events, tags and signals.

Same conventions as :mod:`.schema` (Flyte Admin's column names, since clients filter and sort by them; proto
columns as serialized bytes; naive UTC times). Literal maps (inputs, outputs) are blobs in the blob store; the
rows keep their native URIs, as Flyte Admin keeps ``inputs_uri`` and ``closure.outputs.uri``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from flyteplane.admin.store.schema import _audit, metadata

__all__ = [
    "execution_events",
    "execution_tags",
    "executions",
    "node_execution_events",
    "node_executions",
    "signals",
    "task_executions",
]


def _execution_key() -> list[Column]:
    """The workflow execution a row belongs to (Flyte Admin's ``execution_*`` columns)."""
    return [
        Column("execution_project", String(63), nullable=False),
        Column("execution_domain", String(63), nullable=False),
        Column("execution_name", String(63), nullable=False),
    ]


executions = Table(
    "executions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_execution_key(),
    Column("launch_plan_id", Integer, ForeignKey("launch_plans.id"), nullable=True),
    Column("workflow_id", Integer, ForeignKey("workflows.id"), nullable=True),
    Column("task_id", Integer, ForeignKey("tasks.id"), nullable=True),
    Column("phase", String(32), nullable=False),  # core.WorkflowExecution.Phase name, e.g. "RUNNING"
    Column("closure", LargeBinary, nullable=False),  # admin.ExecutionClosure
    Column("spec", LargeBinary, nullable=False),  # admin.ExecutionSpec
    Column("started_at", DateTime, nullable=True),
    Column("execution_created_at", DateTime, nullable=False),
    Column("execution_updated_at", DateTime, nullable=False),
    Column("duration", BigInteger, nullable=False, default=0),  # nanoseconds
    Column("abort_cause", Text, nullable=False, default=""),
    Column("mode", Integer, nullable=False, default=0),  # admin.ExecutionMetadata.ExecutionMode
    Column("source_execution_id", Integer, nullable=True),  # relaunch / recover origin (executions.id)
    Column("parent_node_execution_id", Integer, nullable=True),  # child executions of launch plan nodes
    Column("cluster", String(63), nullable=False, default=""),
    Column("inputs_uri", Text, nullable=False, default=""),
    Column("user_inputs_uri", Text, nullable=False, default=""),
    Column("error_kind", String(32), nullable=True),
    Column("error_code", Text, nullable=True),
    Column("user", String(255), nullable=False, default=""),
    Column("state", Integer, nullable=False, default=0),  # admin.ExecutionState: 0 active, 1 archived
    Column("launch_entity", String(32), nullable=False, default="launch_plan"),  # 'launch_plan' | 'task'
    *_audit(),
    UniqueConstraint("execution_project", "execution_domain", "execution_name", name="executions_pkey"),
)
Index(
    "executions_listing_idx",
    executions.c.execution_project,
    executions.c.execution_domain,
    executions.c.execution_created_at,
)

execution_tags = Table(
    "execution_tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_execution_key(),
    Column("key", String(255), nullable=False),
    Column("value", String(255), nullable=False, default=""),
    *_audit(),
    UniqueConstraint(
        "execution_project", "execution_domain", "execution_name", "key", "value", name="execution_tags_pkey"
    ),
)

execution_events = Table(
    "execution_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_execution_key(),
    Column("request_id", String(255), nullable=False, default=""),
    Column("occurred_at", DateTime, nullable=False),
    Column("phase", String(32), nullable=False),
    *_audit(),
)

node_executions = Table(
    "node_executions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_execution_key(),
    Column("node_id", String(255), nullable=False),
    Column("phase", String(32), nullable=False),  # core.NodeExecution.Phase name
    Column("input_uri", Text, nullable=False, default=""),
    Column("closure", LargeBinary, nullable=False),  # admin.NodeExecutionClosure
    Column("started_at", DateTime, nullable=True),
    Column("node_execution_created_at", DateTime, nullable=False),
    Column("node_execution_updated_at", DateTime, nullable=False),
    Column("duration", BigInteger, nullable=False, default=0),
    Column("node_execution_metadata", LargeBinary, nullable=True),  # admin.NodeExecutionMetaData
    Column("parent_id", Integer, nullable=True),  # node_executions.id of the parent node (sub-workflows, branches)
    Column("parent_task_execution_id", Integer, nullable=True),  # task_executions.id (dynamic, array)
    Column("error_kind", String(32), nullable=True),
    Column("error_code", Text, nullable=True),
    Column("cache_status", String(32), nullable=True),
    Column("dynamic_workflow_remote_closure_reference", Text, nullable=True),
    Column("internal_data", LargeBinary, nullable=True),
    *_audit(),
    UniqueConstraint("execution_project", "execution_domain", "execution_name", "node_id", name="node_executions_pkey"),
)
Index("node_executions_parent_idx", node_executions.c.parent_id)

node_execution_events = Table(
    "node_execution_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_execution_key(),
    Column("node_id", String(255), nullable=False),
    Column("request_id", String(255), nullable=False, default=""),
    Column("occurred_at", DateTime, nullable=False),
    Column("phase", String(32), nullable=False),
    *_audit(),
)

task_executions = Table(
    "task_executions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The task (version) this attempt ran.
    Column("project", String(63), nullable=False),
    Column("domain", String(63), nullable=False),
    Column("name", String(255), nullable=False),
    Column("version", String(255), nullable=False),
    *_execution_key(),
    Column("node_id", String(255), nullable=False),
    Column("retry_attempt", Integer, nullable=False, default=0),
    Column("phase", String(32), nullable=False),  # core.TaskExecution.Phase name
    Column("phase_version", Integer, nullable=False, default=0),
    Column("input_uri", Text, nullable=False, default=""),
    Column("closure", LargeBinary, nullable=False),  # admin.TaskExecutionClosure
    Column("started_at", DateTime, nullable=True),
    Column("task_execution_created_at", DateTime, nullable=False),
    Column("task_execution_updated_at", DateTime, nullable=False),
    Column("duration", BigInteger, nullable=False, default=0),
    *_audit(),
    UniqueConstraint(
        "project",
        "domain",
        "name",
        "version",
        "execution_project",
        "execution_domain",
        "execution_name",
        "node_id",
        "retry_attempt",
        name="task_executions_pkey",
    ),
)

signals = Table(
    "signals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_execution_key(),
    Column("signal_id", String(255), nullable=False),
    Column("type", LargeBinary, nullable=False),  # core.LiteralType
    Column("value", LargeBinary, nullable=True),  # core.Literal, NULL until set
    *_audit(),
    UniqueConstraint("execution_project", "execution_domain", "execution_name", "signal_id", name="signals_pkey"),
)
