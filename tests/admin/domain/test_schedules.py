"""When schedules fire and what their executions are called (flytescheduler's rules)."""

from __future__ import annotations

import datetime as _dt

import pytest
from flyteidl.admin import execution_pb2, schedule_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.domain.schedules import (
    ScheduleError,
    due_times,
    execution_name,
    fire_times,
    scheduled_execution_request,
)

UTC = _dt.UTC


def at(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def cron(expression: str, kickoff: str = "") -> schedule_pb2.Schedule:
    return schedule_pb2.Schedule(
        cron_schedule=schedule_pb2.CronSchedule(schedule=expression), kickoff_time_input_arg=kickoff
    )


def rate(value: int, unit: int) -> schedule_pb2.Schedule:
    return schedule_pb2.Schedule(rate=schedule_pb2.FixedRate(value=value, unit=unit))


LP = identifier_pb2.Identifier(
    resource_type=identifier_pb2.LAUNCH_PLAN, project="flytesnacks", domain="development", name="daily_lp", version="v1"
)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("CRON_TZ=UTC */5 * * * *", "2026-12-07T10:02:30", "2026-12-07T10:05:00"),
        ("TZ=UTC 0 9 * * 1-5", "2026-12-05T12:00:00", "2026-12-07T09:00:00"),  # Saturday -> Monday
        ("CRON_TZ=UTC @hourly", "2026-12-07T10:00:00", "2026-12-07T11:00:00"),  # strictly after
        ("CRON_TZ=UTC @daily", "2026-12-07T10:00:00", "2026-12-08T00:00:00"),
        ("CRON_TZ=UTC @weekly", "2026-12-07T10:00:00", "2026-12-13T00:00:00"),
        ("CRON_TZ=UTC @monthly", "2026-12-07T10:00:00", "2027-01-01T00:00:00"),
        ("CRON_TZ=UTC @yearly", "2026-12-07T10:00:00", "2027-01-01T00:00:00"),
        ("CRON_TZ=Asia/Tokyo 0 9 * * *", "2026-12-07T00:30:00", "2026-12-08T00:00:00"),  # 09:00 JST = 00:00 UTC
        ("@every 90s", "2026-12-07T10:00:00.700", "2026-12-07T10:01:30"),
        ("@every 1h30m", "2026-12-07T10:00:00", "2026-12-07T11:30:00"),
        ("@every 100ms", "2026-12-07T10:00:00", "2026-12-07T10:00:01"),  # robfig: at least a second
    ],
)
def test_cron_fire_times(expression: str, after: str, expected: str) -> None:
    assert fire_times(cron(expression)).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1, schedule_pb2.MINUTE, "2026-12-07T10:01:00"),
        (2, schedule_pb2.HOUR, "2026-12-07T12:00:00"),
        (1, schedule_pb2.DAY, "2026-12-08T10:00:00"),
    ],
)
def test_fixed_rate_counts_from_the_last_firing(value: int, unit: int, expected: str) -> None:
    assert fire_times(rate(value, unit)).next_after(at("2026-12-07T10:00:00.250")) == at(expected)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (schedule_pb2.Schedule(cron_expression="0 10 * * ? *"), "'cron_expression' is not run"),
        (schedule_pb2.Schedule(), "None is not run"),
        (rate(0, schedule_pb2.MINUTE), "fixed rate 0"),
        (cron("0 10 * * ? *"), "expected exactly 5 fields, found 6"),
        (cron("61 * * * *"), "end of range (61) above maximum (59)"),
    ],
)
def test_schedules_that_cannot_fire(schedule: schedule_pb2.Schedule, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fire_times(schedule)


def test_missed_times_are_caught_up_oldest_first() -> None:
    rule = fire_times(cron("CRON_TZ=UTC * * * * *"))
    due, following = due_times(rule, at("2026-12-07T10:00:00"), at("2026-12-07T10:03:30"), limit=100)
    assert due == [at("2026-12-07T10:01:00"), at("2026-12-07T10:02:00"), at("2026-12-07T10:03:00")]
    assert following == at("2026-12-07T10:04:00")
    # A long catch-up is spread over passes: the next pass starts after the last time fired.
    due, following = due_times(rule, at("2026-12-07T10:00:00"), at("2026-12-07T10:03:30"), limit=2)
    assert due == [at("2026-12-07T10:01:00"), at("2026-12-07T10:02:00")]
    assert following == at("2026-12-07T10:03:00")
    assert due_times(rule, at("2026-12-07T10:00:00"), at("2026-12-07T10:00:59"), limit=100)[0] == []


def test_execution_names_are_flytescheduler_s() -> None:
    # Expected values computed with Go's hash/fnv and binary.LittleEndian, as flyteadmin's GetExecutionIdentifier.
    assert execution_name(LP, _dt.datetime.fromtimestamp(1796648400, UTC)) == "f1d41f70906f0e383000"
    assert execution_name(LP, _dt.datetime.fromtimestamp(1796648460, UTC)) == "fcb36f70906eae383000"


def test_scheduled_request_sets_mode_time_and_kickoff_input() -> None:
    moment = at("2026-12-07T10:05:00")
    request = scheduled_execution_request(LP, cron("CRON_TZ=UTC */5 * * * *", kickoff="kickoff"), moment)
    assert (request.project, request.domain, request.name) == ("flytesnacks", "development", execution_name(LP, moment))
    assert request.spec.launch_plan == LP
    assert request.spec.metadata.mode == execution_pb2.ExecutionMetadata.SCHEDULED
    assert request.spec.metadata.scheduled_at.ToDatetime(tzinfo=UTC) == moment
    assert request.inputs.literals["kickoff"].scalar.primitive.datetime.ToDatetime(tzinfo=UTC) == moment
    # Fixed-rate schedules never set it (flytescheduler's executor only does for cron).
    fixed = schedule_pb2.Schedule(rate=schedule_pb2.FixedRate(value=1, unit=schedule_pb2.MINUTE))
    fixed.kickoff_time_input_arg = "kickoff"
    assert not scheduled_execution_request(LP, fixed, moment).inputs.literals
