"""Task execution events (flyteadmin-semantics.md §5.12): Flyte Admin's CreateTaskEvent rules.

A task execution is one attempt (``retry_attempt``) of a task node. Its first event creates the row; later events
may repeat a phase with a higher ``phase_version`` (a plugin reporting progress), merge logs by name or URI, append
reasons and deep-merge ``custom_info``. Used through
:class:`~flyteplane.admin.managers.execution_records.EventRecorder`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Any

from flyteidl.admin import task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.event import event_pb2
from google.protobuf import json_format, struct_pb2, timestamp_pb2
from sqlalchemy import Connection, insert, update

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.errors import already_exists, invalid_argument, not_found
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import execution_schema as xs

__all__ = ["merge_custom", "merge_logs", "record_task_event"]

_TASK = core_execution_pb2.TaskExecution
_TE = xs.task_executions


def record_task_event(ctx: AdminContext, event: event_pb2.TaskExecutionEvent, request_id: str) -> None:
    """Create or update the task execution the event names (see the module docstring)."""
    _validate(event)
    phase = rec.phase_name(_TASK.Phase, event.phase)
    task_execution_id = identifier_pb2.TaskExecutionIdentifier(
        task_id=event.task_id, node_execution_id=event.parent_node_execution_id, retry_attempt=event.retry_attempt
    )
    node_id = event.parent_node_execution_id
    del request_id  # Flyte Admin keeps no table of task events
    with ctx.store.begin() as conn:
        execution = rec.execution_row(conn, node_id.execution_id, xs.executions.c.cluster)
        if execution is None:
            raise rec.missing_execution(node_id.execution_id)
        rec.check_cluster(execution.cluster, event.producer_id)
        row = rec.task_row(conn, task_execution_id)
        if row is None:
            _create(ctx, conn, event, phase)
            return
        if row.phase == phase and row.phase_version >= event.phase_version:
            raise already_exists(
                f"have already recorded task execution phase {phase} (version: {event.phase_version}) for "
                f"{go_text(task_execution_id)}"
            )
        current = rec.stored_phase(_TASK.Phase, row.phase)
        if current in rec.TASK_TERMINAL:
            raise rec.terminal_state_error(
                f"invalid phase change from {row.phase} to {phase} for task execution {go_text(task_execution_id)}",
                phase,
            )
        _update(ctx, conn, row, event, phase)


def _validate(event: event_pb2.TaskExecutionEvent) -> None:
    """Flyte Admin's ValidateTaskExecutionRequest, in its order."""
    if not event.HasField("occurred_at"):
        raise invalid_argument("missing occurred_at")
    rec.check_timestamp(event.occurred_at, "occurred_at")
    if event.HasField("reported_at"):
        rec.check_timestamp(event.reported_at, "reported_at")
    if event.HasField("output_data"):
        rec.check_output_size(event.output_data)
    identifier = identifier_pb2.TaskExecutionIdentifier(
        task_id=event.task_id if event.HasField("task_id") else None,
        node_execution_id=event.parent_node_execution_id if event.HasField("parent_node_execution_id") else None,
        retry_attempt=event.retry_attempt,
    )
    rec.validate_task_execution_identifier(identifier, True)


def _reported_at(event: event_pb2.TaskExecutionEvent) -> timestamp_pb2.Timestamp:
    reported = event.reported_at
    if event.HasField("reported_at") and (reported.seconds or reported.nanos):
        return reported
    return event.occurred_at


def _create(ctx: AdminContext, conn: Connection, event: event_pb2.TaskExecutionEvent, phase: str) -> None:
    """The row an attempt's first event creates (Flyte Admin's CreateTaskExecutionModel)."""
    node_id = event.parent_node_execution_id
    if rec.node_row(conn, node_id, xs.node_executions.c.id) is None:
        raise not_found(f"Failed to get existing node execution id: [{go_text(node_id)}] with err: entry not found")
    reported = _reported_at(event)
    closure = task_execution_pb2.TaskExecutionClosure(
        phase=event.phase,
        updated_at=reported,
        created_at=event.occurred_at,
        logs=event.logs,
        task_type=event.task_type,
        event_version=event.event_version,
    )
    if event.HasField("custom_info"):
        closure.custom_info.CopyFrom(event.custom_info)
    if event.HasField("metadata"):
        closure.metadata.CopyFrom(event.metadata)
        ordered = sorted(closure.metadata.external_resources, key=lambda r: (r.index, r.retry_attempt))
        _replace(closure.metadata.external_resources, ordered)
    if event.HasField("log_context"):
        closure.log_context.CopyFrom(event.log_context)
    if event.reasons:
        for reason in event.reasons:
            closure.reasons.add(occurred_at=reason.occurred_at, message=reason.reason)
        closure.reason = event.reasons[-1].reason
    elif event.reason:
        closure.reasons.add(occurred_at=event.occurred_at, message=event.reason)
        closure.reason = event.reason
    values: dict[str, Any] = {"input_uri": _input_uri(ctx, event), "started_at": None}
    if event.phase == _TASK.RUNNING:
        values["started_at"] = rec.naive(event.occurred_at)
        closure.started_at.CopyFrom(event.occurred_at)
    if event.phase in rec.TASK_TERMINAL:
        _terminal(ctx, event, closure, values, values["started_at"])
    now = utcnow()
    task = event.task_id
    conn.execute(
        insert(_TE).values(
            project=task.project,
            domain=task.domain,
            name=task.name,
            version=task.version,
            **rec.node_execution_key(node_id),
            retry_attempt=event.retry_attempt,
            phase=phase,
            phase_version=event.phase_version,
            closure=closure.SerializeToString(),
            task_execution_created_at=rec.naive(event.occurred_at),
            task_execution_updated_at=rec.naive(reported),
            created_at=now,
            updated_at=now,
            **values,
        )
    )


def _update(ctx: AdminContext, conn: Connection, row: Any, event: event_pb2.TaskExecutionEvent, phase: str) -> None:
    """Fold a later event into the attempt (Flyte Admin's UpdateTaskExecutionModel)."""
    closure = task_execution_pb2.TaskExecutionClosure.FromString(row.closure)
    is_phase_change = row.phase != phase
    reported = _reported_at(event)
    closure.phase = event.phase
    closure.updated_at.CopyFrom(reported)
    values: dict[str, Any] = {
        "phase": phase,
        "phase_version": event.phase_version,
        "task_execution_updated_at": rec.naive(reported),
        "updated_at": utcnow(),
    }
    if not row.input_uri:  # inputs never change once recorded
        input_uri = _input_uri(ctx, event)
        if input_uri:
            values["input_uri"] = input_uri
    _replace(closure.logs, filter_logs(merge_logs(closure.logs, event.logs), event.phase))
    if event.reasons:
        for reason in event.reasons:
            closure.reasons.add(occurred_at=reason.occurred_at, message=reason.reason)
        closure.reason = event.reasons[-1].reason
    elif event.reason:
        # A reason repeated by consecutive events is one entry of the time series.
        if closure.reason != event.reason:
            closure.reasons.add(occurred_at=event.occurred_at, message=event.reason)
        closure.reason = event.reason
    started_at = row.started_at
    if row.phase != "RUNNING" and event.phase == _TASK.RUNNING and started_at is None:
        started_at = rec.naive(event.occurred_at)
        values["started_at"] = started_at
        closure.started_at.CopyFrom(event.occurred_at)
    if event.phase in rec.TASK_TERMINAL:
        _terminal(ctx, event, closure, values, started_at)
    custom = merge_custom(
        closure.custom_info if closure.HasField("custom_info") else None,
        event.custom_info if event.HasField("custom_info") else None,
    )
    closure.ClearField("custom_info")
    if custom is not None:
        closure.custom_info.CopyFrom(custom)
    if event.HasField("metadata"):
        if closure.HasField("metadata"):
            _merge_metadata(closure.metadata, event.metadata)
        else:
            closure.metadata.CopyFrom(event.metadata)
    if is_phase_change and closure.HasField("metadata"):
        for resource in closure.metadata.external_resources:
            _replace(resource.logs, filter_logs(list(resource.logs), event.phase))
    closure.event_version = max(closure.event_version, event.event_version)
    if event.HasField("log_context"):
        closure.log_context.CopyFrom(event.log_context)
    values["closure"] = closure.SerializeToString()
    conn.execute(update(_TE).where(_TE.c.id == row.id).values(**values))


def _input_uri(ctx: AdminContext, event: event_pb2.TaskExecutionEvent) -> str:
    if event.input_uri:
        return str(event.input_uri)
    if event.HasField("input_data"):
        return rec.offload_literal_map(ctx, _offload_parts(event, "offloaded_inputs"), event.input_data)
    return ""


def _offload_parts(event: event_pb2.TaskExecutionEvent, suffix: str) -> tuple[str, ...]:
    """``<p>/<d>/<exec>/<node>/<task p>/<task d>/<task name>/<task version>/<retry>/<suffix>``."""
    node, task = event.parent_node_execution_id, event.task_id
    execution = node.execution_id
    return (
        execution.project,
        execution.domain,
        execution.name,
        node.node_id,
        task.project,
        task.domain,
        task.name,
        task.version,
        str(event.retry_attempt),
        suffix,
    )


def _terminal(
    ctx: AdminContext,
    event: event_pb2.TaskExecutionEvent,
    closure: task_execution_pb2.TaskExecutionClosure,
    values: dict[str, Any],
    started_at: Any,
) -> None:
    """Duration (when the attempt was seen running), and the outputs or the error."""
    if started_at is not None:
        start = closure.started_at if closure.HasField("started_at") else rec.timestamp(started_at)
        closure.started_at.CopyFrom(start)
        values["duration"], duration = rec.duration_of(start, event.occurred_at)
        closure.duration.CopyFrom(duration)
    if event.output_uri:
        closure.output_uri = event.output_uri
    elif event.HasField("output_data"):
        closure.output_uri = rec.offload_literal_map(ctx, _offload_parts(event, "offloaded_outputs"), event.output_data)
    elif event.HasField("error"):
        closure.error.CopyFrom(event.error)


# --- merging what consecutive events report -----------------------------------------------------------------------


def _replace(field: Any, items: Iterable[Any]) -> None:
    """Replace the content of a repeated message field (copies first: ``items`` may come from ``field``)."""
    copies = []
    for item in items:
        copy = type(item)()
        copy.CopyFrom(item)
        copies.append(copy)
    del field[:]
    field.extend(copies)


def merge_logs(existing: Sequence[Any], latest: Sequence[Any]) -> list[Any]:
    """Flyte Admin's mergeLogs: the latest logs, then every earlier log whose URI and name no latest log has."""
    if not latest:
        return list(existing)
    if not existing:
        return list(latest)
    uris = {log.uri for log in latest}
    names = {log.name for log in latest if log.name}
    return list(latest) + [log for log in existing if log.uri not in uris and log.name not in names]


def filter_logs(logs: Sequence[Any], phase: int) -> list[Any]:
    """Flyte Admin's filterLogsByPhase: hide ``HideOnceFinished`` logs once terminal, and show only
    ``ShowWhilePending`` logs while queued or initializing."""
    kept = []
    for log in logs:
        if phase in rec.TASK_TERMINAL and log.HideOnceFinished:
            continue
        if phase in (_TASK.QUEUED, _TASK.INITIALIZING) and not log.ShowWhilePending:
            continue
        kept.append(log)
    return kept


def merge_custom(existing: struct_pb2.Struct | None, latest: struct_pb2.Struct | None) -> struct_pb2.Struct | None:
    """Flyte Admin's mergeCustom: ``latest`` applied to ``existing`` as a JSON merge patch (RFC 7386): objects merge
    key by key, ``null`` deletes, anything else replaces."""
    if existing is None:
        return latest
    if latest is None:
        return existing
    merged = _merge_patch(json_format.MessageToDict(existing), json_format.MessageToDict(latest))
    result = struct_pb2.Struct()
    result.update(merged)
    return result


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _merge_metadata(existing: event_pb2.TaskExecutionMetadata, latest: event_pb2.TaskExecutionMetadata) -> None:
    """Flyte Admin's mergeMetadata: names and plugin update when given, external resources merge by
    (index, retry_attempt), the resource pool info is replaced."""
    if latest.generated_name:
        existing.generated_name = latest.generated_name
    resources = list(existing.external_resources)
    for resource in latest.external_resources:
        keys = [(r.index, r.retry_attempt) for r in resources]
        key = (resource.index, resource.retry_attempt)
        position = bisect.bisect_left(keys, key)
        if position < len(resources) and keys[position] == key:
            _merge_external_resource(resources[position], resource)
        else:
            resources.insert(position, resource)
    _replace(existing.external_resources, resources)
    _replace(existing.resource_pool_info, latest.resource_pool_info)
    if latest.plugin_identifier:
        existing.plugin_identifier = latest.plugin_identifier
    if latest.instance_class != event_pb2.TaskExecutionMetadata.DEFAULT:
        existing.instance_class = latest.instance_class


def _merge_external_resource(existing: event_pb2.ExternalResourceInfo, latest: event_pb2.ExternalResourceInfo) -> None:
    if latest.external_id:
        existing.external_id = latest.external_id
    existing.phase = latest.phase
    if latest.cache_status != 0:  # CACHE_DISABLED says nothing
        existing.cache_status = latest.cache_status
    _replace(existing.logs, merge_logs(list(existing.logs), list(latest.logs)))
