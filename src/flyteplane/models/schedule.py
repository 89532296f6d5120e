"""Launch plan schedules (``flyteidl.admin.schedule``): cron expressions and fixed rates."""

from __future__ import annotations

from flyteidl.admin import schedule_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum

__all__ = ["FixedRateUnit", "Schedule", "TimeUnit"]


class FixedRateUnit(IdlEnum):
    """The unit of a fixed-rate schedule (``flyteidl.admin.FixedRateUnit``)."""

    MINUTE = 0
    HOUR = 1
    DAY = 2


TimeUnit = FixedRateUnit
"""Another name for :class:`FixedRateUnit`."""


class Schedule(FlyteIdlEntity):
    """When a launch plan runs by itself.

    ``Schedule(kickoff_time_input_arg, cron_expression=None, rate=None, cron_schedule=None)``; set one of
    ``cron_expression`` (deprecated by flyteidl), ``rate`` or ``cron_schedule``. The kickoff time is passed to the
    workflow input named ``kickoff_time_input_arg``.
    """

    FixedRateUnit = FixedRateUnit

    class FixedRate(FlyteIdlEntity):
        """Every ``value`` units: ``FixedRate(value, unit)``."""

        _pb_type = _pb.FixedRate
        value: Field[int] = Field()
        unit: Field[FixedRateUnit] = Field(enum=FixedRateUnit)

    class CronSchedule(FlyteIdlEntity):
        """A cron expression with an optional ISO 8601 offset: ``CronSchedule(schedule, offset)``."""

        _pb_type = _pb.CronSchedule
        schedule: Field[str] = Field()
        offset: Field[str] = Field()

    _pb_type = _pb.Schedule
    kickoff_time_input_arg: Field[str] = Field()
    cron_expression: Field[str | None] = Field()
    rate: Field[Schedule.FixedRate | None] = Field(model=FixedRate)
    cron_schedule: Field[Schedule.CronSchedule | None] = Field(model=CronSchedule)

    @property
    def schedule_expression(self) -> str | Schedule.FixedRate | Schedule.CronSchedule | None:
        """Whichever of cron_expression, rate or cron_schedule is set."""
        which = self._pb.WhichOneof("ScheduleExpression")
        return None if which is None else getattr(self, which)
