"""The scheduler: ACTIVE launch plans with a schedule start executions on time, as Flyte's native scheduler does.

Each pass reads the scheduled launch plans from the store (:class:`~flyteplane.admin.store.schedules.
ScheduleRepository`), fires every time that is due (the rules, catch-up included, are in
:mod:`flyteplane.admin.domain.schedules`), records each acknowledged firing, and sleeps until the next time any
schedule is due, or at most ``poll_seconds`` so that an activation or deactivation is seen within that. A firing
creates the execution through the executions manager, as flytescheduler calls CreateExecution; a firing the admin
refuses as ALREADY_EXISTS was done before (the name is deterministic) and counts as done. Before each firing the
launch plan is read again: a version deactivated meanwhile does not fire.

A failure to create the execution (a store error, a launch plan whose inputs no longer resolve) is logged once per
schedule and retried on the next pass, like flytescheduler's retries; it never stops the other schedules.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
from collections.abc import Callable

import grpc
from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.domain.schedules import (
    FireTimes,
    ScheduleError,
    due_times,
    fire_times,
    scheduled_execution_request,
)
from flyteplane.admin.errors import AdminError
from flyteplane.admin.store.schedules import ScheduledPlan, ScheduleRepository

__all__ = ["Scheduler"]

log = logging.getLogger("flyteplane.admin.scheduler")

# Firings per schedule in one pass: a long catch-up is spread over passes, so deactivation and stop stay prompt.
_FIRINGS_PER_PASS = 100

CreateExecution = Callable[[execution_pb2.ExecutionCreateRequest], object]


def _utc(moment: _dt.datetime) -> _dt.datetime:
    """The store's naive UTC times as aware ones."""
    return moment.replace(tzinfo=_dt.timezone.utc) if moment.tzinfo is None else moment


def _plan_key(ident: identifier_pb2.Identifier) -> tuple[str, str, str, str]:
    return (ident.project, ident.domain, ident.name, ident.version)


class Scheduler:
    """Fires the schedules of ACTIVE launch plans between :meth:`start` and :meth:`stop`.

    Args:
        schedules: the store's view of scheduled launch plans.
        create_execution: CreateExecution (the executions manager's).
        poll_seconds: the longest sleep between passes (how soon a new activation is seen).
        clock: the current time (aware); the tests' way to look at catch-up without waiting for it.
    """

    def __init__(
        self,
        schedules: ScheduleRepository,
        create_execution: CreateExecution,
        *,
        poll_seconds: float = 1.0,
        clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.timezone.utc),
    ) -> None:
        self._schedules = schedules
        self._create = create_execution
        self._poll = poll_seconds
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: set[tuple[tuple[str, str, str, str], str]] = set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        thread.join(timeout=10)

    def wake(self) -> None:
        """Run a pass now (a launch plan was activated or deactivated)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sleep = self.run_pass()
            except Exception:  # the store closing under a stopping admin, or a bug: the next pass tries again
                log.exception("the scheduler's pass failed")
                sleep = self._poll
            self._wake.wait(sleep)
            self._wake.clear()

    def run_pass(self) -> float:
        """Fire everything due now; return how long to sleep until the next time something is due."""
        now = self._clock()
        sleep = self._poll
        for plan in self._schedules.active():
            if self._stopping.is_set():
                break
            try:
                rule = fire_times(plan.schedule)
            except ScheduleError as e:
                self._report_once(plan, "schedule", f"its schedule cannot fire: {e}")
                continue
            following = self._fire_due(plan, rule, now)
            if following is not None:
                sleep = min(sleep, max(0.0, (following - self._clock()).total_seconds()))
        return sleep

    def _fire_due(self, plan: ScheduledPlan, rule: FireTimes, now: _dt.datetime) -> _dt.datetime | None:
        """Fire the plan's due times; the next time it is due, or None to retry on the next pass."""
        since = _utc(plan.activated_at)
        if plan.last_fired_at is not None and _utc(plan.last_fired_at) > since:
            since = _utc(plan.last_fired_at)
        due, following = due_times(rule, since, now, limit=_FIRINGS_PER_PASS)
        for moment in due:
            if self._stopping.is_set() or not self._schedules.is_active(plan.id):
                return None
            if not self._fire(plan, moment):
                return None
            self._schedules.record_fired(plan.id, moment.astimezone(_dt.timezone.utc).replace(tzinfo=None))
        return following if len(due) < _FIRINGS_PER_PASS else now

    def _fire(self, plan: ScheduledPlan, moment: _dt.datetime) -> bool:
        request = scheduled_execution_request(plan.id, plan.schedule, moment)
        try:
            self._create(request)
        except AdminError as e:
            if e.code == grpc.StatusCode.ALREADY_EXISTS:
                return True  # fired before this restart or pass: the deterministic name says so
            self._report_once(plan, e.code.name, f"firing for {moment.isoformat()} failed: {e.code.name} {e.message}")
            return False
        log.info(
            "schedule of %s/%s/%s@%s fired for %s: execution %s",
            plan.id.project,
            plan.id.domain,
            plan.id.name,
            plan.id.version,
            moment.isoformat(),
            request.name,
        )
        return True

    def _report_once(self, plan: ScheduledPlan, kind: str, problem: str) -> None:
        """Log a problem once per launch plan version and kind: a pass every second must not flood the log."""
        key = (_plan_key(plan.id), kind)
        if key in self._reported:
            return
        self._reported.add(key)
        ident = plan.id
        log.warning("launch plan %s/%s/%s@%s: %s", ident.project, ident.domain, ident.name, ident.version, problem)
