"""The engine's port on the admin side: a launch-plan node's wait for its child is woken by the recorder, and the
store is read only when something happened (no polling)."""

from __future__ import annotations

import threading
import time
from typing import Any

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from tests.run_events import insert_execution, wf_event

from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.store.executions import ExecutionRepository

WF = core_execution_pb2.WorkflowExecution


def test_run_endings_wake_only_watchers_of_that_execution() -> None:
    endings = RunEndings()
    mine = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="mine")
    other = identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="other")
    endings.ended(mine)  # nobody watches: nothing happens, nothing is kept
    assert endings.watched() == 0
    with endings.watch(mine) as event:
        assert endings.watched() == 1
        endings.ended(other)
        assert not event.is_set()
        endings.ended(mine)
        assert event.is_set()
    assert endings.watched() == 0


def test_a_child_wait_is_woken_by_its_terminal_event(make_services: Any, monkeypatch: Any) -> None:
    services = make_services()
    ctx, port = services.context, services.engine.port
    child = insert_execution(ctx.store, "child")
    reads = []
    real_get = ExecutionRepository.get

    def counting_get(self: ExecutionRepository, identifier: Any, **kw: Any) -> Any:
        reads.append(identifier.name)
        return real_get(self, identifier, **kw)

    monkeypatch.setattr(ExecutionRepository, "get", counting_get)
    services.recorder.record_workflow_event(wf_event(child, WF.RUNNING, -5, producer_id="propeller"))

    def finish() -> None:
        time.sleep(1.0)
        services.recorder.record_workflow_event(wf_event(child, WF.FAILED, -1, producer_id="propeller"))

    threading.Thread(target=finish).start()
    started = time.monotonic()
    outcome = port.wait_for_end(child, lambda: False, 30.0)
    waited = time.monotonic() - started
    assert outcome is not None and outcome.phase == WF.FAILED
    assert 0.9 <= waited < 10
    # One read before waiting, one after the wake-up: a second of waiting cost no reads of the store.
    assert reads == ["child", "child"]
    assert services.endings.watched() == 0


def test_a_child_wait_returns_when_told_to_stop(make_services: Any) -> None:
    services = make_services()
    child = insert_execution(services.context.store, "stays-open")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    assert services.engine.port.wait_for_end(child, stop.is_set, 30.0) is None
    assert services.engine.port.wait_for_end(child, lambda: False, 0.2) is None  # and at its deadline


def test_a_missing_child_fails_at_once(make_services: Any) -> None:
    services = make_services()
    missing = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="nope")
    outcome = services.engine.port.wait_for_end(missing, lambda: False, 30.0)
    assert outcome is not None and outcome.phase == WF.FAILED
    assert outcome.error is not None and outcome.error.code == "ChildNotFound"
