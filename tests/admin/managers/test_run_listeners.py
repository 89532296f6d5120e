"""The run listener seam: the event recorder tells it of each execution's start and end, after the commit, and a
listener that raises never fails the event."""

from __future__ import annotations

import logging

import pytest
from flyteidl.core import execution_pb2 as core_execution_pb2
from tests.run_events import WF, insert_execution, wf_event

from flyteplane.admin.config import AdminContext
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.run_listeners import RunNotice
from flyteplane.admin.store.executions import ExecutionRepository


def test_starts_and_ends_are_told_with_phase_duration_and_launch_plan(ctx: AdminContext) -> None:
    heard: list[RunNotice] = []
    recorder = EventRecorder(ctx, run_listener=heard.append)
    ok = insert_execution(ctx.store, "ok")
    recorder.record_workflow_event(wf_event(ok, WF.QUEUED, 0))
    assert heard == []  # queued is neither a start nor an end
    recorder.record_workflow_event(wf_event(ok, WF.RUNNING, 1))
    recorder.record_workflow_event(wf_event(ok, WF.SUCCEEDED, 3.5))
    assert heard == [
        RunNotice(execution_id=ok, phase="RUNNING", ended=False, launch_plan="lp"),
        RunNotice(execution_id=ok, phase="SUCCEEDED", ended=True, launch_plan="lp", duration=2.5),
    ]

    heard.clear()
    bad = insert_execution(ctx.store, "bad")
    recorder.record_workflow_event(wf_event(bad, WF.RUNNING, 1))
    error = core_execution_pb2.ExecutionError(code="E", message="boom")
    recorder.record_workflow_event(wf_event(bad, WF.FAILED, 2, error=error))
    assert heard[-1] == RunNotice(
        execution_id=bad, phase="FAILED", ended=True, launch_plan="lp", duration=1.0, error="boom"
    )


def test_a_listener_that_raises_is_logged_and_the_event_is_recorded(
    ctx: AdminContext, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(notice: RunNotice) -> None:
        raise RuntimeError("listener bug")

    recorder = EventRecorder(ctx, run_listener=broken)
    ident = insert_execution(ctx.store, "x")
    with caplog.at_level(logging.ERROR, logger="flyteplane.admin.managers.run_listeners"):
        recorder.record_workflow_event(wf_event(ident, WF.RUNNING, 1))
    assert "the run listener failed on x RUNNING" in caplog.text
    with ctx.store.begin() as tx:
        record = ExecutionRepository(ctx.store).get_for_update(tx, ident)
    assert record is not None and record.phase == "RUNNING"
