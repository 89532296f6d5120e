"""Launch plan concurrency limits (``flyteidl.admin.ConcurrencyPolicy``)."""

from __future__ import annotations

from flyteidl.admin import launch_plan_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum

__all__ = ["ConcurrencyLimitBehavior", "ConcurrencyPolicy"]


class ConcurrencyLimitBehavior(IdlEnum):
    """What happens to a launch once the limit is reached."""

    UNSPECIFIED = 0
    SKIP = 1


class ConcurrencyPolicy(FlyteIdlEntity):
    """At most ``max_concurrency`` running executions: ``ConcurrencyPolicy(max_concurrency, behavior=SKIP)``."""

    _pb_type = _pb.ConcurrencyPolicy
    max_concurrency: Field[int] = Field("max")
    behavior: Field[ConcurrencyLimitBehavior] = Field(
        enum=ConcurrencyLimitBehavior, default=ConcurrencyLimitBehavior.SKIP
    )
