"""Small helpers shared by the end-to-end tests (polling, processes, HTTP)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from flyteplane.clients.raw import RawSynchronousFlyteClient

T = TypeVar("T")

_W = core_execution_pb2.WorkflowExecution
_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution
WORKFLOW_TERMINAL = {_W.SUCCEEDED, _W.FAILED, _W.ABORTED, _W.TIMED_OUT}
NODE_TERMINAL = {_N.SUCCEEDED, _N.FAILED, _N.ABORTED, _N.SKIPPED, _N.TIMED_OUT, _N.RECOVERED}
# RETRYABLE_FAILED ends an attempt that another attempt follows: terminal for that task execution.
TASK_TERMINAL = {_T.SUCCEEDED, _T.FAILED, _T.ABORTED, _T.RETRYABLE_FAILED}


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Call ``probe`` until it returns something other than None (or False); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def process_gone(pid: int) -> bool:
    """True if no live process has ``pid`` (a zombie waiting to be reaped counts as gone: it runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    state = stat[stat.rfind(")") + 2 :].split()[0]
    return state in ("Z", "X")


def http_get(url: str) -> tuple[int, bytes]:
    """Status and body of a GET (error statuses are returned, not raised)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for_execution(
    raw: RawSynchronousFlyteClient, eid: identifier_pb2.WorkflowExecutionIdentifier, timeout: float
) -> execution_pb2.Execution:
    """The execution once it is in a terminal phase."""

    def done() -> execution_pb2.Execution | None:
        execution = raw.get_execution(execution_pb2.WorkflowExecutionGetRequest(id=eid))
        return execution if execution.closure.phase in WORKFLOW_TERMINAL else None

    return wait_for(done, timeout, f"execution {eid.name} to end")


def node_and_task_executions(
    raw: RawSynchronousFlyteClient, eid: identifier_pb2.WorkflowExecutionIdentifier
) -> list[tuple[node_execution_pb2.NodeExecution, list[task_execution_pb2.TaskExecution]]]:
    """Every top-level node execution of ``eid`` with its task executions (attempt order)."""
    nodes = raw.list_node_executions_paginated(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=eid, limit=100)
    ).node_executions
    result = []
    for node in nodes:
        tasks = raw.list_task_executions_paginated(
            task_execution_pb2.TaskExecutionListRequest(node_execution_id=node.id, limit=100)
        ).task_executions
        result.append((node, sorted(tasks, key=lambda t: t.id.retry_attempt)))
    return result


def assert_nothing_left_running(
    raw: RawSynchronousFlyteClient, eid: identifier_pb2.WorkflowExecutionIdentifier
) -> None:
    """The execution, each of its node executions and each of their task executions is in a terminal phase."""
    execution = raw.get_execution(execution_pb2.WorkflowExecutionGetRequest(id=eid))
    assert execution.closure.phase in WORKFLOW_TERMINAL, _W.Phase.Name(execution.closure.phase)
    for node, tasks in node_and_task_executions(raw, eid):
        assert node.closure.phase in NODE_TERMINAL, (node.id.node_id, _N.Phase.Name(node.closure.phase))
        for attempt in tasks:
            assert attempt.closure.phase in TASK_TERMINAL, (node.id.node_id, _T.Phase.Name(attempt.closure.phase))
