"""Executions rows and what they read as: ``admin.Execution`` messages, identifiers, and their data blobs.

* :func:`execution_from_row` — Flyte Admin's ``FromExecutionModel`` (GetExecution, ListExecutions, relaunch).
* :func:`go_code_name` — a status code as Flyte Admin writes it into an execution's error.

Identifier checks, NOT_FOUND messages and blob reads and writes are the run records' (:mod:`._records`), shared
with the node and task execution managers.
"""

from __future__ import annotations

from typing import Any

import grpc
from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import select

from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers import _records as rec
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store.execution_schema import executions

__all__ = [
    "EXECUTION_COLUMNS",
    "execution_from_row",
    "execution_id_of",
    "go_code_name",
    "key_of",
    "namespace_of",
    "select_execution",
    "too_large",
]

Phase = core_execution_pb2.WorkflowExecution

_E = executions
# What execution_from_row reads.
EXECUTION_COLUMNS = (
    _E.c.execution_project,
    _E.c.execution_domain,
    _E.c.execution_name,
    _E.c.phase,
    _E.c.spec,
    _E.c.closure,
    _E.c.abort_cause,
    _E.c.user,
    _E.c.created_at,
)


def key_of(identifier: Any) -> Any:
    """``WHERE`` clause of the execution a WorkflowExecutionIdentifier names."""
    return (
        (_E.c.execution_project == identifier.project)
        & (_E.c.execution_domain == identifier.domain)
        & (_E.c.execution_name == identifier.name)
    )


def select_execution(identifier: Any, *columns: Any) -> Any:
    return select(*(columns or EXECUTION_COLUMNS)).where(key_of(identifier))


def execution_id_of(row: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(
        project=row.execution_project, domain=row.execution_domain, name=row.execution_name
    )


def namespace_of(project: str, domain: str) -> str:
    """Flyte Admin's default namespace template ``{{ project }}-{{ domain }}``."""
    return f"{project}-{domain}"


_GO_CODE_NAMES = {
    "OK": "OK",
    "CANCELLED": "Canceled",
    "UNKNOWN": "Unknown",
    "INVALID_ARGUMENT": "InvalidArgument",
    "DEADLINE_EXCEEDED": "DeadlineExceeded",
    "NOT_FOUND": "NotFound",
    "ALREADY_EXISTS": "AlreadyExists",
    "PERMISSION_DENIED": "PermissionDenied",
    "RESOURCE_EXHAUSTED": "ResourceExhausted",
    "FAILED_PRECONDITION": "FailedPrecondition",
    "ABORTED": "Aborted",
    "OUT_OF_RANGE": "OutOfRange",
    "UNIMPLEMENTED": "Unimplemented",
    "INTERNAL": "Internal",
    "UNAVAILABLE": "Unavailable",
    "DATA_LOSS": "DataLoss",
    "UNAUTHENTICATED": "Unauthenticated",
}


def go_code_name(code: grpc.StatusCode) -> str:
    """A status code as Go's ``codes.Code.String()`` spells it (``InvalidArgument``), as Flyte Admin writes it
    into ``closure.error.code`` when an execution cannot be handed to the workflow engine."""
    return _GO_CODE_NAMES.get(code.name, "Unknown")


def execution_from_row(row: Any, *, trim_error: bool = False, default_namespace: str = "") -> execution_pb2.Execution:
    """An executions row as Flyte Admin returns it.

    ``trim_error`` (ListExecutions) shortens ``closure.error.message``; ``default_namespace`` (GetExecution) fills
    ``spec.metadata.system_metadata.namespace`` when it is empty. Rows without state change details get the
    defaults Flyte Admin derives (ACTIVE, by the row's user, at its creation), and an ABORTED execution without
    abort metadata gets one from the ``abort_cause`` column.
    """
    execution = execution_pb2.Execution(id=execution_id_of(row))
    execution.spec.ParseFromString(row.spec)
    if default_namespace and not execution.spec.metadata.system_metadata.namespace:
        execution.spec.metadata.system_metadata.namespace = default_namespace
    closure = execution.closure
    closure.ParseFromString(row.closure)
    if trim_error and closure.WhichOneof("output_result") == "error" and closure.error.message:
        closure.error.message = rec.trim_error_message(closure.error.message)
    if not closure.HasField("state_change_details"):
        details = closure.state_change_details
        details.state = execution_pb2.EXECUTION_ACTIVE
        details.principal = row.user or ""
        details.occurred_at.CopyFrom(reg.timestamp(row.created_at))
    if row.phase == "ABORTED" and closure.WhichOneof("output_result") != "abort_metadata":
        closure.abort_metadata.CopyFrom(execution_pb2.AbortMetadata(cause=row.abort_cause or ""))
    return execution


def too_large(size: int, limit: int) -> AdminError:
    """Flyte Admin's answer to inline output data above the response limit."""
    return AdminError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"limit exceeded. {size}b > {limit}b.")
