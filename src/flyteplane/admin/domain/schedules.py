"""When a launch plan's schedule fires, and what the execution it starts is called: Flyte's native scheduler's rules
(flyteadmin ``scheduler/core/gocron_scheduler.go``, ``scheduler/identifier/identifier.go``, ``scheduler/executor``).

* A cron schedule (``cron_schedule.schedule``: five fields, a ``@hourly``-style descriptor, ``@every <duration>``,
  optionally prefixed ``TZ=<zone>`` / ``CRON_TZ=<zone>``) fires at the times robfig/cron's ``ParseStandard``
  schedule gives, in the admin's local time zone unless the expression names one, as flytescheduler's default.
* A fixed-rate schedule (``rate``: a value of MINUTE / HOUR / DAY) fires every interval, counted from the last
  firing (first: from the activation), robfig's ``ConstantDelaySchedule``.
* Missed times are caught up: every time after the later of the activation and the last recorded firing, up to now,
  fires, oldest first (flytescheduler's ``CatchupAll``).
* The execution of one launch plan version at one scheduled time has one name, ``f`` + 19 hex digits of an FNV-1
  hash of ``project:domain:name:version:unix seconds``: a repeated firing (a restart, a catch-up) is refused by
  CreateExecution as ALREADY_EXISTS instead of running twice.
* Only cron schedules set the ``kickoff_time_input_arg`` input, to the scheduled time.
"""

from __future__ import annotations

import datetime as _dt
import re
import struct
import zoneinfo
from dataclasses import dataclass
from typing import Protocol

from croniter import croniter
from flyteidl.admin import execution_pb2, schedule_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from flyteplane.admin.domain.cron import CronError, parse_standard

__all__ = [
    "FireTimes",
    "ScheduleError",
    "due_times",
    "execution_name",
    "fire_times",
    "scheduled_execution_request",
]

# robfig's predefined schedules, as the five fields they stand for.
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_GO_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_RATE_UNITS = {schedule_pb2.MINUTE: 60, schedule_pb2.HOUR: 3600, schedule_pb2.DAY: 86400}
_FNV64_OFFSET = 14695981039346656037
_FNV64_PRIME = 1099511628211
_MASK64 = (1 << 64) - 1


class ScheduleError(ValueError):
    """The schedule cannot fire (an expression Flyte's scheduler would refuse, or a rate without a unit)."""


class FireTimes(Protocol):
    """A schedule: the first time it fires strictly after a given time."""

    def next_after(self, moment: _dt.datetime) -> _dt.datetime: ...


@dataclass(frozen=True)
class _ConstantDelay:
    """robfig's ``ConstantDelaySchedule``: ``seconds`` after the given time, on a whole second."""

    seconds: int

    def next_after(self, moment: _dt.datetime) -> _dt.datetime:
        return moment.replace(microsecond=0) + _dt.timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class _Cron:
    fields: str
    zone: _dt.tzinfo | None

    def next_after(self, moment: _dt.datetime) -> _dt.datetime:
        local = moment.astimezone(self.zone)  # None: the admin's local zone
        # croniter's next time is strictly after its start, as robfig's Next; sub-second starts are dropped first.
        following = croniter(self.fields, local.replace(microsecond=0)).get_next(_dt.datetime)
        return following.astimezone(_dt.timezone.utc)


def fire_times(schedule: schedule_pb2.Schedule) -> FireTimes:
    """The firing rule of a launch plan's schedule.

    Raises:
        ScheduleError: the schedule has no expression flytescheduler runs (old-style ``cron_expression``, which Flyte
            Admin refuses to activate; a rate of 0 or without a unit; an invalid cron expression).
    """
    kind = schedule.WhichOneof("ScheduleExpression")
    if kind == "rate":
        unit_seconds = _RATE_UNITS.get(schedule.rate.unit)
        if unit_seconds is None or schedule.rate.value <= 0:
            raise ScheduleError(f"fixed rate {schedule.rate.value} of unit {schedule.rate.unit} cannot fire")
        return _ConstantDelay(schedule.rate.value * unit_seconds)
    if kind == "cron_schedule":
        return _cron(schedule.cron_schedule.schedule)
    raise ScheduleError(f"schedule expression {kind!r} is not run by Flyte's native scheduler")


def _cron(spec: str) -> FireTimes:
    try:
        parse_standard(spec)
    except CronError as e:
        raise ScheduleError(str(e)) from None
    zone: _dt.tzinfo | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        head, _, spec = spec.partition(" ")
        zone = zoneinfo.ZoneInfo(head.split("=", 1)[1])
        spec = spec.strip()
    if spec.startswith("@every "):
        return _ConstantDelay(_every_seconds(spec[len("@every ") :]))
    return _Cron(_DESCRIPTORS.get(spec, spec), zone)


def _every_seconds(duration: str) -> int:
    """Go's duration text in whole seconds; robfig rounds ``@every`` down to a second, and up to at least one."""
    sign = -1 if duration.startswith("-") else 1
    total = sum(float(n) * _GO_UNITS[u] for n, u in _GO_DURATION_PART.findall(duration.lstrip("+-")))
    return max(1, int(sign * total))


def due_times(
    rule: FireTimes, since: _dt.datetime, now: _dt.datetime, *, limit: int
) -> tuple[list[_dt.datetime], _dt.datetime]:
    """The times after ``since`` up to ``now`` (at most ``limit``, oldest first), and the next time after them."""
    due: list[_dt.datetime] = []
    moment = rule.next_after(since)
    while moment <= now and len(due) < limit:
        due.append(moment)
        moment = rule.next_after(moment)
    return due, moment


def execution_name(launch_plan: identifier_pb2.Identifier, scheduled_at: _dt.datetime) -> str:
    """The name of the execution a schedule starts at ``scheduled_at``: the same for the same launch plan version
    and time, so a repeated firing is refused as a duplicate (flyteadmin ``GetExecutionIdentifier``)."""
    text = (
        f"{launch_plan.project}:{launch_plan.domain}:{launch_plan.name}:{launch_plan.version}:"
        f"{int(scheduled_at.timestamp())}"
    )
    value = _FNV64_OFFSET
    for byte in text.encode():
        value = ((value * _FNV64_PRIME) & _MASK64) ^ byte
    # The hash fills the first 8 bytes of a UUID (little-endian), the rest are zero; Flyte keeps 19 hex digits.
    return "f" + (struct.pack("<Q", value) + bytes(8)).hex()[:19]


def scheduled_execution_request(
    launch_plan: identifier_pb2.Identifier, schedule: schedule_pb2.Schedule, scheduled_at: _dt.datetime
) -> execution_pb2.ExecutionCreateRequest:
    """The CreateExecution flytescheduler sends for one firing: mode SCHEDULED, ``scheduled_at``, and the kickoff
    time input for cron schedules that name one."""
    request = execution_pb2.ExecutionCreateRequest(
        project=launch_plan.project, domain=launch_plan.domain, name=execution_name(launch_plan, scheduled_at)
    )
    request.spec.launch_plan.CopyFrom(launch_plan)
    request.spec.launch_plan.resource_type = identifier_pb2.LAUNCH_PLAN
    request.spec.metadata.mode = execution_pb2.ExecutionMetadata.SCHEDULED
    request.spec.metadata.scheduled_at.FromDatetime(scheduled_at.astimezone(_dt.timezone.utc).replace(tzinfo=None))
    if schedule.WhichOneof("ScheduleExpression") == "cron_schedule" and schedule.kickoff_time_input_arg:
        kickoff = literals_pb2.Literal()
        kickoff.scalar.primitive.datetime.FromDatetime(scheduled_at.astimezone(_dt.timezone.utc).replace(tzinfo=None))
        request.inputs.literals[schedule.kickoff_time_input_arg].CopyFrom(kickoff)
    return request
