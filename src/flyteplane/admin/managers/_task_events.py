"""Task execution events (Flyte Admin's ``flyteadmin/pkg/manager/impl/task_execution_manager.go``): Flyte Admin's
CreateTaskEvent rules.

A task execution is one attempt (``retry_attempt``) of a task node. Its first event creates the row; later events
may repeat a phase with a higher ``phase_version`` (a plugin reporting progress), merge logs by name or URI, append
reasons and deep-merge ``custom_info``. Used through
:class:`~flyteplane.admin.managers.event_recorder.EventRecorder`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any

from flyteidl.admin import task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.event import event_pb2
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.phases import TASK_TERMINAL, phase_name, stored_phase
from flyteplane.admin.domain.times import duration_of, naive, timestamp, utcnow
from flyteplane.admin.domain.validation.events import check_cluster, terminal_state_error, validate_task_event
from flyteplane.admin.errors import already_exists, not_found
from flyteplane.admin.managers.run_data import offload_literal_map
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.db import Tx
from flyteplane.admin.store.executions import ExecutionRepository, missing_execution
from flyteplane.admin.store.node_executions import NodeExecutionRepository
from flyteplane.admin.store.task_executions import (
    NewTaskExecution,
    TaskExecutionChange,
    TaskExecutionRecord,
    TaskExecutionRepository,
)

__all__ = ["TaskEvents", "filter_logs", "merge_custom", "merge_logs"]

_TASK = core_execution_pb2.TaskExecution


class TaskEvents:
    """Records task execution events."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._executions = ExecutionRepository(ctx.store)
        self._nodes = NodeExecutionRepository(ctx.store)
        self._tasks = TaskExecutionRepository(ctx.store)

    def record(self, event: event_pb2.TaskExecutionEvent, request_id: str) -> None:
        """Create or update the task execution the event names (see the module docstring)."""
        validate_task_event(event)
        phase = phase_name(_TASK.Phase, event.phase)
        task_execution_id = identifier_pb2.TaskExecutionIdentifier(
            task_id=event.task_id, node_execution_id=event.parent_node_execution_id, retry_attempt=event.retry_attempt
        )
        node_id = event.parent_node_execution_id
        del request_id  # Flyte Admin keeps no table of task events
        with self._ctx.store.begin() as tx:
            cluster = self._executions.cluster_of(tx, node_id.execution_id)
            if cluster is None:
                raise missing_execution(node_id.execution_id)
            check_cluster(cluster, event.producer_id)
            record = self._tasks.get_for_update(tx, task_execution_id)
            if record is None:
                self._create(tx, task_execution_id, event, phase)
                return
            if record.phase == phase and record.phase_version >= event.phase_version:
                raise already_exists(
                    f"have already recorded task execution phase {phase} (version: {event.phase_version}) for "
                    f"{go_text(task_execution_id)}"
                )
            current = stored_phase(_TASK.Phase, record.phase)
            if current in TASK_TERMINAL:
                raise terminal_state_error(
                    f"invalid phase change from {record.phase} to {phase} for task execution "
                    f"{go_text(task_execution_id)}",
                    phase,
                )
            self._update(tx, record, event, phase)

    def _create(
        self,
        tx: Tx,
        task_execution_id: identifier_pb2.TaskExecutionIdentifier,
        event: event_pb2.TaskExecutionEvent,
        phase: str,
    ) -> None:
        """The row an attempt's first event creates (Flyte Admin's CreateTaskExecutionModel)."""
        node_id = event.parent_node_execution_id
        if self._nodes.find_id(tx, node_id) is None:
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
        change = TaskExecutionChange(
            closure=closure,
            phase=phase,
            phase_version=event.phase_version,
            task_execution_updated_at=naive(reported),
            updated_at=utcnow(),
            input_uri=_input_uri(self._ctx, event),
        )
        if event.phase == _TASK.RUNNING:
            change.started_at = naive(event.occurred_at)
            closure.started_at.CopyFrom(event.occurred_at)
        if event.phase in TASK_TERMINAL:
            _terminal(self._ctx, event, closure, change, change.started_at)
        self._tasks.create(
            tx,
            NewTaskExecution(task_execution_id=task_execution_id, created_at=naive(event.occurred_at), columns=change),
        )

    def _update(self, tx: Tx, record: TaskExecutionRecord, event: event_pb2.TaskExecutionEvent, phase: str) -> None:
        """Fold a later event into the attempt (Flyte Admin's UpdateTaskExecutionModel)."""
        closure = record.closure
        is_phase_change = record.phase != phase
        reported = _reported_at(event)
        closure.phase = event.phase
        closure.updated_at.CopyFrom(reported)
        change = TaskExecutionChange(
            closure=closure,
            phase=phase,
            phase_version=event.phase_version,
            task_execution_updated_at=naive(reported),
            updated_at=utcnow(),
        )
        if not record.input_uri:  # inputs never change once recorded
            input_uri = _input_uri(self._ctx, event)
            if input_uri:
                change.input_uri = input_uri
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
        started_at = record.started_at
        if record.phase != "RUNNING" and event.phase == _TASK.RUNNING and started_at is None:
            started_at = naive(event.occurred_at)
            change.started_at = started_at
            closure.started_at.CopyFrom(event.occurred_at)
        if event.phase in TASK_TERMINAL:
            _terminal(self._ctx, event, closure, change, started_at)
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
        self._tasks.update(tx, record.row_id, change)


def _reported_at(event: event_pb2.TaskExecutionEvent) -> timestamp_pb2.Timestamp:
    reported = event.reported_at
    if event.HasField("reported_at") and (reported.seconds or reported.nanos):
        return reported
    return event.occurred_at


def _input_uri(ctx: AdminContext, event: event_pb2.TaskExecutionEvent) -> str:
    if event.input_uri:
        return str(event.input_uri)
    if event.HasField("input_data"):
        return offload_literal_map(ctx, _offload_parts(event, "offloaded_inputs"), event.input_data)
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
    change: TaskExecutionChange,
    started_at: _dt.datetime | None,
) -> None:
    """Duration (when the attempt was seen running), and the outputs or the error."""
    if started_at is not None:
        start = closure.started_at if closure.HasField("started_at") else timestamp(started_at)
        closure.started_at.CopyFrom(start)
        change.duration, duration = duration_of(start, event.occurred_at)
        closure.duration.CopyFrom(duration)
    if event.output_uri:
        closure.output_uri = event.output_uri
    elif event.HasField("output_data"):
        closure.output_uri = offload_literal_map(ctx, _offload_parts(event, "offloaded_outputs"), event.output_data)
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
        if phase in TASK_TERMINAL and log.HideOnceFinished:
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
    # By key, then in key order: an array node reports thousands of elements, many times over its life.
    resources = {(r.index, r.retry_attempt): r for r in existing.external_resources}
    for resource in latest.external_resources:
        key = (resource.index, resource.retry_attempt)
        if key in resources:
            _merge_external_resource(resources[key], resource)
        else:
            resources[key] = resource
    _replace(existing.external_resources, [resources[key] for key in sorted(resources)])
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
