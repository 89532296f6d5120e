"""Helpers for tests of run records: an executions row inserted directly (as Flyte Admin's integration tests do), and
the events propeller would send for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.event import event_pb2
from google.protobuf import timestamp_pb2

from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store.db import Store

P, D = "flytesnacks", "development"
BASE_SECONDS = 1_700_000_000  # 2023-11-14T22:13:20Z

WF = core_execution_pb2.WorkflowExecution
NODE = core_execution_pb2.NodeExecution
TASK = core_execution_pb2.TaskExecution


def ts(seconds: float) -> timestamp_pb2.Timestamp:
    """``BASE_SECONDS + seconds`` as a Timestamp (fractions kept as nanoseconds)."""
    whole = int(seconds)
    return timestamp_pb2.Timestamp(seconds=BASE_SECONDS + whole, nanos=round((seconds - whole) * 1e9))


def moment(seconds: float) -> dt.datetime:
    """The naive UTC datetime the store keeps for ``ts(seconds)``."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=BASE_SECONDS + seconds)


def insert_execution(
    store: Store, name: str, *, project: str = P, domain: str = D, phase: str = "UNDEFINED", cluster: str = ""
) -> identifier_pb2.WorkflowExecutionIdentifier:
    """An executions row as CreateExecution leaves it (phase UNDEFINED unless told), and its identifier."""
    created = ts(-10)
    closure = execution_pb2.ExecutionClosure(phase=WF.Phase.Value(phase), created_at=created, updated_at=created)
    spec = execution_pb2.ExecutionSpec(
        launch_plan=identifier_pb2.Identifier(
            resource_type=identifier_pb2.LAUNCH_PLAN, project=project, domain=domain, name="lp", version="v1"
        )
    )
    now = moment(-10)
    with store.begin() as conn:
        conn.execute(
            xs.executions.insert().values(
                execution_project=project,
                execution_domain=domain,
                execution_name=name,
                phase=phase,
                closure=closure.SerializeToString(),
                spec=spec.SerializeToString(),
                execution_created_at=now,
                execution_updated_at=now,
                cluster=cluster,
                created_at=now,
                updated_at=now,
            )
        )
    return identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)


def literal_map(**values: Any) -> literals_pb2.LiteralMap:
    """Integers and strings as a LiteralMap."""
    literals = {}
    for key, value in values.items():
        primitive = (
            literals_pb2.Primitive(integer=value)
            if isinstance(value, int)
            else literals_pb2.Primitive(string_value=value)
        )
        literals[key] = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=primitive))
    return literals_pb2.LiteralMap(literals=literals)


def wf_event(
    execution: identifier_pb2.WorkflowExecutionIdentifier, phase: int, at: float, **fields: Any
) -> event_pb2.WorkflowExecutionEvent:
    return event_pb2.WorkflowExecutionEvent(execution_id=execution, phase=phase, occurred_at=ts(at), **fields)


def node_id(execution: identifier_pb2.WorkflowExecutionIdentifier, node: str) -> identifier_pb2.NodeExecutionIdentifier:
    return identifier_pb2.NodeExecutionIdentifier(execution_id=execution, node_id=node)


def node_event(
    execution: identifier_pb2.WorkflowExecutionIdentifier, node: str, phase: int, at: float, **fields: Any
) -> event_pb2.NodeExecutionEvent:
    fields.setdefault("spec_node_id", node)
    return event_pb2.NodeExecutionEvent(id=node_id(execution, node), phase=phase, occurred_at=ts(at), **fields)


def task_identifier(name: str = "my_task", version: str = "v1", project: str = P, domain: str = D) -> Any:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=project, domain=domain, name=name, version=version
    )


def task_event(
    node: identifier_pb2.NodeExecutionIdentifier,
    phase: int,
    at: float,
    *,
    attempt: int = 0,
    task: str = "my_task",
    **fields: Any,
) -> event_pb2.TaskExecutionEvent:
    return event_pb2.TaskExecutionEvent(
        task_id=task_identifier(task),
        parent_node_execution_id=node,
        retry_attempt=attempt,
        phase=phase,
        occurred_at=ts(at),
        **fields,
    )


def task_execution_id(
    node: identifier_pb2.NodeExecutionIdentifier, attempt: int = 0, task: str = "my_task"
) -> identifier_pb2.TaskExecutionIdentifier:
    return identifier_pb2.TaskExecutionIdentifier(
        task_id=task_identifier(task), node_execution_id=node, retry_attempt=attempt
    )
