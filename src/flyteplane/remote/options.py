"""Options: the per-execution settings flytekit's ``Options`` carries, applied to an execution or a launch plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flyteplane.models._model import to_pb

__all__ = ["Options"]


def _values(value: Any) -> dict[str, str]:
    """A plain dict from a dict, a Labels/Annotations model or message."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    return dict(to_pb(value).values)


@dataclass(frozen=True)
class Options:
    """Settings for one execution (or one launch plan), as flytekit's ``flytekit.Options``.

    ``labels`` and ``annotations`` take plain dicts or the Labels / Annotations models; the other fields take
    flyteplane models or flyteidl messages. A flytekit ``Options`` works too wherever this one does.
    """

    labels: Any = None
    annotations: Any = None
    raw_output_data_config: Any = None
    security_context: Any = None
    max_parallelism: int | None = None
    notifications: list[Any] | None = None
    disable_notifications: bool | None = None
    overwrite_cache: bool | None = None

    def apply_to_execution(self, spec: Any) -> None:
        """Write the set fields into an ``admin.ExecutionSpec`` message."""
        self._apply_common(spec)
        if self.notifications:
            spec.notifications.notifications.extend(to_pb(n) for n in self.notifications)
        if self.disable_notifications:
            spec.disable_all = True

    def apply_to_launch_plan(self, spec: Any) -> None:
        """Write the set fields into an ``admin.LaunchPlanSpec`` message."""
        self._apply_common(spec)
        if self.notifications:
            spec.entity_metadata.notifications.extend(to_pb(n) for n in self.notifications)

    def _apply_common(self, spec: Any) -> None:
        if self.labels is not None:
            spec.labels.values.update(_values(self.labels))
        if self.annotations is not None:
            spec.annotations.values.update(_values(self.annotations))
        if self.raw_output_data_config is not None:
            spec.raw_output_data_config.CopyFrom(to_pb(self.raw_output_data_config))
        if self.security_context is not None:
            spec.security_context.CopyFrom(to_pb(self.security_context))
        if self.max_parallelism is not None:
            spec.max_parallelism = self.max_parallelism
        if self.overwrite_cache is not None:
            spec.overwrite_cache = self.overwrite_cache

    @classmethod
    def coerce(cls, options: Any) -> Options | None:
        """This class from a flytekit ``Options`` (same field names), or the value itself."""
        if options is None or isinstance(options, Options):
            return options
        return cls(**{name: getattr(options, name, None) for name in cls.__dataclass_fields__})
