"""Scheduled launch plans as the scheduler sees them: the ACTIVE versions with a schedule, and their last firing."""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

from flyteidl.admin import launch_plan_pb2, schedule_pb2
from flyteidl.core import identifier_pb2
from sqlalchemy import and_, select
from sqlalchemy.dialects.sqlite import insert

from flyteplane.admin.store.db import Store
from flyteplane.admin.store.schedule_schema import schedule_firings
from flyteplane.admin.store.schema import launch_plans

__all__ = ["ScheduleRepository", "ScheduledPlan"]

_LP = launch_plans
_F = schedule_firings
_ACTIVE = launch_plan_pb2.ACTIVE


class ScheduledPlan(NamedTuple):
    """An ACTIVE launch plan version with a schedule (times naive UTC)."""

    id: identifier_pb2.Identifier
    schedule: schedule_pb2.Schedule
    activated_at: _dt.datetime
    """When it was last activated (its state's ``updated_at``): what a schedule that never fired counts from."""
    last_fired_at: _dt.datetime | None


def _key(ident: identifier_pb2.Identifier) -> dict[str, str]:
    return {"project": ident.project, "domain": ident.domain, "name": ident.name, "version": ident.version}


class ScheduleRepository:
    """Reads the registry's scheduled launch plans and records firings (table ``schedule_firings``)."""

    _ACTIVE_SCHEDULED = (
        select(_LP.c.project, _LP.c.domain, _LP.c.name, _LP.c.version, _LP.c.spec, _LP.c.updated_at, _F.c.last_fired_at)
        .select_from(
            _LP.outerjoin(
                _F,
                and_(
                    _F.c.project == _LP.c.project,
                    _F.c.domain == _LP.c.domain,
                    _F.c.name == _LP.c.name,
                    _F.c.version == _LP.c.version,
                ),
            )
        )
        .where(_LP.c.state == _ACTIVE, _LP.c.schedule_type != "NONE")
    )

    def __init__(self, store: Store) -> None:
        self._store = store

    def active(self) -> list[ScheduledPlan]:
        """Every ACTIVE launch plan version whose spec has a schedule."""
        with self._store.read() as tx:
            rows = tx.execute(self._ACTIVE_SCHEDULED).all()
        plans = []
        for row in rows:
            spec = launch_plan_pb2.LaunchPlanSpec.FromString(row.spec)
            ident = identifier_pb2.Identifier(
                resource_type=identifier_pb2.LAUNCH_PLAN,
                project=row.project,
                domain=row.domain,
                name=row.name,
                version=row.version,
            )
            plans.append(ScheduledPlan(ident, spec.entity_metadata.schedule, row.updated_at, row.last_fired_at))
        return plans

    def is_active(self, ident: identifier_pb2.Identifier) -> bool:
        """Whether this version is still ACTIVE (a deactivation stops its schedule before the next firing)."""
        query = select(_LP.c.state).where(*(_LP.c[k] == v for k, v in _key(ident).items()))
        with self._store.read() as tx:
            state = tx.execute(query).scalar()
        return state == _ACTIVE

    def record_fired(self, ident: identifier_pb2.Identifier, scheduled_at: _dt.datetime) -> None:
        """Record the scheduled time of a firing the admin acknowledged (naive UTC)."""
        row = {**_key(ident), "last_fired_at": scheduled_at}
        statement = insert(_F).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=[_F.c.project, _F.c.domain, _F.c.name, _F.c.version],
            set_={"last_fired_at": scheduled_at},
        )
        with self._store.begin() as tx:
            tx.execute(statement)
