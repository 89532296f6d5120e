"""What the run-record managers share: phases, times, row lookups, blob reads and writes, identifiers in messages.

The run records (executions, node executions, task executions) keep their closures as serialized protobufs and
their literal maps as blobs of the admin's :class:`~flyteplane.admin.blobs.BlobStore`; the rows hold the blobs'
native URIs, as Flyte Admin's rows hold ``s3://`` URIs. Identifiers in messages are Go prototext, as Flyte Admin
prints them with ``%v``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import grpc
from flyteidl.admin import common_pb2
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from google.protobuf.message import DecodeError, Message
from sqlalchemy import Connection, Row, and_, select

from flyteplane.admin.blobs import BlobError, InvalidKey, check_key
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.phases import NODE_TERMINAL, TASK_TERMINAL, WORKFLOW_TERMINAL, phase_name, stored_phase
from flyteplane.admin.domain.times import check_timestamp, duration_of, naive, timestamp
from flyteplane.admin.domain.validation.common import require, validate_identifier
from flyteplane.admin.errors import AdminError, failed_precondition, invalid_argument, not_found
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import execution_schema as xs

__all__ = [
    "DEFAULT_PRODUCER_ID",
    "MAX_OUTPUT_BYTES",
    "NODE_TERMINAL",
    "TASK_TERMINAL",
    "TRIMMED_ERROR_BYTES",
    "WORKFLOW_TERMINAL",
    "check_cluster",
    "check_output_size",
    "check_timestamp",
    "duration_of",
    "error_kind",
    "event_version_of",
    "execution_key",
    "execution_row",
    "flyte_urls",
    "go_bytes",
    "ids_with_children",
    "internal_data",
    "internal_error",
    "missing_execution",
    "missing_node_execution",
    "missing_task_execution",
    "naive",
    "node_execution_key",
    "node_row",
    "offload_literal_map",
    "phase_name",
    "read_literal_map",
    "read_message",
    "store_message",
    "stored_phase",
    "task_execution_key",
    "task_execution_where",
    "task_row",
    "terminal_state_error",
    "timestamp",
    "trim_error_message",
    "validate_node_execution_identifier",
    "validate_task_execution_identifier",
    "validate_workflow_execution_identifier",
    "where_key",
    "with_task_resource_type",
]

# Flyte Admin's list responses cut error messages to this many bytes (transformers.trimmedErrMessageLen).
TRIMMED_ERROR_BYTES = 100
M = TypeVar("M", bound=Message)


# --- phases and times ---------------------------------------------------------------------------------------------


def trim_error_message(message: str) -> str:
    """Flyte Admin's TrimErrorMessage: at most 100 bytes, still valid UTF-8 (a cut character is dropped)."""
    data = message.encode()
    if len(data) <= TRIMMED_ERROR_BYTES:
        return message
    return data[:TRIMMED_ERROR_BYTES].decode(errors="ignore")


def go_bytes(data: bytes) -> str:
    """Go's ``%v`` of a ``[]byte``: ``[8 1]``."""
    return "[" + " ".join(str(b) for b in data) + "]"


# --- identifiers -------------------------------------------------------------------------------------------------


def validate_workflow_execution_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateWorkflowExecutionIdentifier: ``missing id``, then project, domain, name."""
    if not present:
        raise invalid_argument("missing id")
    require(identifier.project, "project")
    require(identifier.domain, "domain")
    require(identifier.name, "name")


def validate_node_execution_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateNodeExecutionIdentifier: id, execution_id, node_id, then the execution's fields."""
    if not present:
        raise invalid_argument("missing id")
    if not identifier.HasField("execution_id"):
        raise invalid_argument("missing execution_id")
    require(identifier.node_id, "node_id")
    validate_workflow_execution_identifier(identifier.execution_id, True)


def validate_task_execution_identifier(identifier: Any, present: bool) -> None:
    """Flyte Admin's ValidateTaskExecutionIdentifier: the node execution, then a TASK identifier."""
    if not present:
        raise invalid_argument("missing id")
    if not identifier.HasField("node_execution_id"):
        raise invalid_argument("missing node_execution_id")
    validate_node_execution_identifier(identifier.node_execution_id, True)
    if not identifier.HasField("task_id"):
        raise invalid_argument("missing task_id")
    validate_identifier(identifier.task_id, True, identifier_pb2.TASK)


def with_task_resource_type(identifier: Any) -> Any:
    """A copy whose ``task_id.resource_type`` is TASK when it came UNSPECIFIED (Flyte Admin's RPC layer fills it for
    GetTaskExecution, GetTaskExecutionData and ListNodeExecutionsForTask)."""
    if identifier.HasField("task_id") and identifier.task_id.resource_type == identifier_pb2.UNSPECIFIED:
        filled = identifier_pb2.TaskExecutionIdentifier()
        filled.CopyFrom(identifier)
        filled.task_id.resource_type = identifier_pb2.TASK
        return filled
    return identifier


def execution_key(identifier: Any) -> dict[str, str]:
    """The ``execution_*`` column values of a WorkflowExecutionIdentifier."""
    return {
        "execution_project": identifier.project,
        "execution_domain": identifier.domain,
        "execution_name": identifier.name,
    }


def node_execution_key(identifier: Any) -> dict[str, str]:
    return {**execution_key(identifier.execution_id), "node_id": identifier.node_id}


def task_execution_key(identifier: Any) -> dict[str, Any]:
    task = identifier.task_id
    return {
        "project": task.project,
        "domain": task.domain,
        "name": task.name,
        "version": task.version,
        **node_execution_key(identifier.node_execution_id),
        "retry_attempt": identifier.retry_attempt,
    }


def where_key(table: Any, key: dict[str, Any]) -> Any:
    return and_(*(table.c[column] == value for column, value in key.items()))


def task_execution_where(identifier: Any) -> Any:
    return where_key(xs.task_executions, task_execution_key(identifier))


def missing_execution(identifier: Any) -> AdminError:
    """NOT_FOUND ``missing entity of type execution with identifier project:"p" domain:"d" name:"n"``."""
    shown = identifier_pb2.WorkflowExecutionIdentifier(
        project=identifier.project, domain=identifier.domain, name=identifier.name
    )
    return not_found(f"missing entity of type execution with identifier {go_text(shown)}")


def _node_identifier(identifier: Any) -> identifier_pb2.NodeExecutionIdentifier:
    execution = identifier.execution_id
    return identifier_pb2.NodeExecutionIdentifier(
        node_id=identifier.node_id,
        execution_id=identifier_pb2.WorkflowExecutionIdentifier(
            project=execution.project, domain=execution.domain, name=execution.name
        ),
    )


def missing_node_execution(identifier: Any) -> AdminError:
    return not_found(f"missing entity of type node execution with identifier {go_text(_node_identifier(identifier))}")


def missing_task_execution(identifier: Any) -> AdminError:
    # As Flyte Admin's repository prints it: the task without its resource type, and no retry attempt.
    task = identifier.task_id
    shown = identifier_pb2.TaskExecutionIdentifier(
        task_id=identifier_pb2.Identifier(
            project=task.project, domain=task.domain, name=task.name, version=task.version
        ),
        node_execution_id=_node_identifier(identifier.node_execution_id),
    )
    return not_found(f"missing entity of type task execution with identifier {go_text(shown)}")


def execution_row(conn: Connection, identifier: Any, *columns: Any) -> Row[Any] | None:
    chosen = columns or (xs.executions,)
    return conn.execute(select(*chosen).where(where_key(xs.executions, execution_key(identifier)))).first()


def node_row(conn: Connection, identifier: Any, *columns: Any) -> Row[Any] | None:
    chosen = columns or (xs.node_executions,)
    query = select(*chosen).where(where_key(xs.node_executions, node_execution_key(identifier)))
    return conn.execute(query).first()


def task_row(conn: Connection, identifier: Any, *columns: Any) -> Row[Any] | None:
    chosen = columns or (xs.task_executions,)
    return conn.execute(select(*chosen).where(task_execution_where(identifier))).first()


def ids_with_children(conn: Connection, column: Any, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` have child node executions through ``column`` (parent_id or parent_task_execution_id)."""
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = conn.execute(select(column).where(column.in_(chunk)).distinct())
        found.update(row[0] for row in rows)
    return found


def flyte_urls(node_id: Any, attempt: int | None, deck: bool) -> common_pb2.FlyteURLs:
    """``flyte://v1/<project>/<domain>/<execution>/<node>[/<attempt>]/{i,o,d}`` (the deck only when there is one)."""
    execution = node_id.execution_id
    base = f"flyte://v1/{execution.project}/{execution.domain}/{execution.name}/{node_id.node_id}"
    if attempt is not None:
        base = f"{base}/{attempt}"
    urls = common_pb2.FlyteURLs(inputs=f"{base}/i", outputs=f"{base}/o")
    if deck:
        urls.deck = f"{base}/d"
    return urls


# --- blobs -------------------------------------------------------------------------------------------------------


def offload_literal_map(ctx: AdminContext, parts: Iterable[str], literal_map: literals_pb2.LiteralMap) -> str:
    """Write ``literal_map`` under ``metadata/<parts...>`` and return its native URI (Flyte Admin's
    OffloadLiteralMap). Parts come from identifiers; one that cannot be an object key is the client's mistake."""
    return store_message(ctx, parts, literal_map)


def store_message(ctx: AdminContext, parts: Iterable[str], message: Message) -> str:
    """Write ``message`` under ``metadata/<parts...>`` and return its native URI."""
    key = "/".join(("metadata", *parts))
    try:
        check_key(key)
    except InvalidKey as e:
        raise invalid_argument(f"cannot store data for this identifier: {e}") from None
    blobs = ctx.blobs
    blobs.put(key, message.SerializeToString(deterministic=True))
    return blobs.native_url(key)


def read_message(ctx: AdminContext, uri: str, cls: type[M]) -> M | None:
    """The message stored at ``uri``, or None when the URI is empty, outside the blob store, missing or not a
    ``cls`` (Flyte Admin logs such read failures and answers without the data)."""
    if not uri:
        return None
    blobs = ctx.blobs
    key = blobs.key_from_native_url(uri)
    if key is None:
        return None
    try:
        data = blobs.get(key)
        return cls.FromString(data)
    except (BlobError, OSError, DecodeError):
        return None


def read_literal_map(ctx: AdminContext, uri: str) -> literals_pb2.LiteralMap:
    """The LiteralMap at ``uri``; an empty map when there is none to read (GetExecutionData's ``full_*``)."""
    found = read_message(ctx, uri, literals_pb2.LiteralMap)
    return found if found is not None else literals_pb2.LiteralMap()


def internal_error(message: str) -> AdminError:
    """The admin's own data is broken (not the client's doing)."""
    return AdminError(grpc.StatusCode.INTERNAL, message)


# --- node execution internal data ---------------------------------------------------------------------------------


def internal_data(event_version: int) -> bytes:
    """What the ``internal_data`` column keeps (Flyte Admin: NodeExecutionInternalData{event_version})."""
    return json.dumps({"event_version": event_version}).encode()


def event_version_of(data: bytes | None) -> int:
    if not data:
        return 0
    try:
        return int(json.loads(data).get("event_version", 0))
    except (ValueError, AttributeError, TypeError):
        return 0


# --- event checks shared by the three kinds of events ---------------------------------------------------------------

# Flyte Admin's remoteData.maxSizeInBytes default: inline output data above this is refused.
MAX_OUTPUT_BYTES = 2 * 1024 * 1024
# Older propellers hard-code this producer id; like an empty one, it says nothing about the cluster.
DEFAULT_PRODUCER_ID = "propeller"


def check_output_size(output_data: literals_pb2.LiteralMap) -> None:
    """RESOURCE_EXHAUSTED for inline output data larger than the platform's threshold."""
    size = output_data.ByteSize()
    if size > MAX_OUTPUT_BYTES:
        raise AdminError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"Output data size exceeds platform configured threshold ({size} > {MAX_OUTPUT_BYTES})",
        )


def check_cluster(cluster_in_db: str, cluster_in_event: str) -> None:
    """Flyte Admin's ValidateCluster: an event names the cluster (producer) the execution runs on, or none."""
    if not cluster_in_event or cluster_in_event == DEFAULT_PRODUCER_ID:
        return
    if cluster_in_event != cluster_in_db:
        reason = admin_event_pb2.EventFailureReason(
            incompatible_cluster=admin_event_pb2.EventErrorIncompatibleCluster(cluster=cluster_in_event)
        )
        raise failed_precondition(
            f"Cluster/producer from event [{cluster_in_event}] does not match existing workflow execution "
            f"clusterInDB: [{cluster_in_db}]",
            [reason],
        )


def terminal_state_error(message: str, phase: str) -> AdminError:
    """FAILED_PRECONDITION with the ``EventFailureReason{already_in_terminal_state}`` detail Flyte Admin attaches."""
    reason = admin_event_pb2.EventFailureReason(
        already_in_terminal_state=admin_event_pb2.EventErrorAlreadyInTerminalState(current_phase=phase)
    )
    return failed_precondition(message, [reason])


def error_kind(kind: int) -> str:
    """The ``error_kind`` column: the ExecutionError.ErrorKind name (Go's String() of the enum)."""
    descriptor = core_execution_pb2.ExecutionError.ErrorKind.DESCRIPTOR.values_by_number.get(kind)
    return descriptor.name if descriptor is not None else str(kind)
