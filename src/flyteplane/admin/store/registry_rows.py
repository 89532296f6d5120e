"""Rows of the registry's tables as the protobuf messages Flyte Admin returns, and back.

One mapping per direction and entity: every read of a task, workflow or launch plan row goes through here, so a
GetTask and a ListTasks answer the same fields the same way (Flyte Admin: ``transformers/task.go``,
``transformers/workflow.go``, ``transformers/launch_plan.go``).
"""

from __future__ import annotations

from typing import Any, Protocol

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.domain.times import timestamp
from flyteplane.admin.domain.wire_bytes import field_number, len_field, varint_field

__all__ = [
    "VersionKey",
    "identifier_of",
    "launch_plan_from_row",
    "schedule_type",
    "task_from_row",
    "task_wire_from_row",
    "workflow_from_row",
    "workflow_stub_from_row",
]


class VersionKey(Protocol):
    """Anything with a project / domain / name / version: an Identifier, or a row selected with its key."""

    @property
    def project(self) -> str: ...
    @property
    def domain(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...


def identifier_of(source: VersionKey, resource_type: int = identifier_pb2.UNSPECIFIED) -> identifier_pb2.Identifier:
    """An Identifier of ``resource_type`` with the project/domain/name/version of ``source`` (a row or a message).

    Without a resource type it is the form Flyte Admin's repositories print in NOT_FOUND messages.
    """
    return identifier_pb2.Identifier(
        resource_type=resource_type,  # type: ignore[arg-type]
        project=source.project,
        domain=source.domain,
        name=source.name,
        version=source.version,
    )


def task_from_row(row: Any, key: VersionKey | None = None) -> task_pb2.Task:
    """A ``tasks`` row as Flyte Admin returns it: id (resource_type TASK), closure with the row's created_at, and the
    short description. ``key`` supplies the identifier when the row was selected without its key columns."""
    task = task_pb2.Task(
        id=identifier_of(key if key is not None else row, identifier_pb2.TASK),
        short_description=row.short_description or "",
    )
    task.closure.ParseFromString(row.closure)
    task.closure.created_at.CopyFrom(timestamp(row.created_at))
    return task


_IDENTIFIER = identifier_pb2.Identifier.DESCRIPTOR
_ID_FIELDS = tuple(field_number(_IDENTIFIER, n) for n in ("resource_type", "project", "domain", "name", "version"))
_TASK = task_pb2.Task.DESCRIPTOR
_TASK_ID, _TASK_CLOSURE, _TASK_DESCRIPTION = (field_number(_TASK, n) for n in ("id", "closure", "short_description"))


def identifier_wire(source: VersionKey, resource_type: int) -> bytes:
    """:func:`identifier_of`'s message in wire form, encoded directly (empty strings omitted, as proto3 does)."""
    kind, project, domain, name, version = _ID_FIELDS
    parts = [varint_field(kind, resource_type)]
    for number, value in ((project, source.project), (domain, source.domain), (name, source.name)):
        if value:
            parts.append(len_field(number, value.encode()))
    if source.version:
        parts.append(len_field(version, source.version.encode()))
    return b"".join(parts)


def task_wire_from_row(row: Any) -> bytes:
    """:func:`task_from_row`'s ``admin.Task`` in wire form, from the row's stored closure bytes as they are (never
    parsed). The stored closure already holds the row's ``created_at``: both are set from the same instant when
    the version is registered, and a task version never changes."""
    parts = [len_field(_TASK_ID, identifier_wire(row, identifier_pb2.TASK)), len_field(_TASK_CLOSURE, row.closure)]
    if row.short_description:
        parts.append(len_field(_TASK_DESCRIPTION, row.short_description.encode()))
    return b"".join(parts)


def workflow_from_row(row: Any, key: VersionKey | None = None) -> workflow_pb2.Workflow:
    """The full ``admin.Workflow``: id, the stored closure with the row's created_at, the short description."""
    workflow = workflow_pb2.Workflow(
        id=identifier_of(key if key is not None else row, identifier_pb2.WORKFLOW),
        short_description=row.short_description or "",
    )
    workflow.closure.ParseFromString(row.closure)
    workflow.closure.created_at.CopyFrom(timestamp(row.created_at))
    return workflow


def workflow_stub_from_row(row: Any, key: VersionKey | None = None) -> workflow_pb2.Workflow:
    """What ListWorkflows returns: created_at and ``compiled_workflow.primary.template.interface`` only (Flyte Admin
    keeps the closure in blob storage and lists from the ``typed_interface`` column)."""
    workflow = workflow_pb2.Workflow(
        id=identifier_of(key if key is not None else row, identifier_pb2.WORKFLOW),
        short_description=row.short_description or "",
    )
    workflow.closure.created_at.CopyFrom(timestamp(row.created_at))
    interface = workflow.closure.compiled_workflow.primary.template.interface
    interface.SetInParent()
    if row.typed_interface:
        interface.ParseFromString(row.typed_interface)
    return workflow


def launch_plan_from_row(row: Any, key: VersionKey | None = None) -> launch_plan_pb2.LaunchPlan:
    """A ``launch_plans`` row as Flyte Admin returns it: state, created_at and updated_at come from the columns."""
    plan = launch_plan_pb2.LaunchPlan(id=identifier_of(key if key is not None else row, identifier_pb2.LAUNCH_PLAN))
    plan.spec.ParseFromString(row.spec)
    plan.closure.ParseFromString(row.closure)
    plan.closure.state = row.state or launch_plan_pb2.INACTIVE
    plan.closure.created_at.CopyFrom(timestamp(row.created_at))
    plan.closure.updated_at.CopyFrom(timestamp(row.updated_at))
    return plan


def schedule_type(spec: launch_plan_pb2.LaunchPlanSpec) -> str:
    """The ``schedule_type`` column: CRON, RATE or NONE (clients filter on it: ``eq(schedule_type,CRON)``)."""
    schedule = spec.entity_metadata.schedule
    if schedule.cron_expression or schedule.HasField("cron_schedule"):
        return "CRON"
    if schedule.HasField("rate"):
        return "RATE"
    return "NONE"
