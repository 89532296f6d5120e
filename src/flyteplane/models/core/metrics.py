"""Execution timing spans (``flyteidl.core.metrics``), as returned by GetExecutionMetrics."""

from __future__ import annotations

import datetime as _dt

from flyteidl.core import metrics_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity
from flyteplane.models.core.identifier import (
    NodeExecutionIdentifier,
    TaskExecutionIdentifier,
    WorkflowExecutionIdentifier,
)

__all__ = ["Span"]


class Span(FlyteIdlEntity):
    """A timed operation of an execution, with its nested spans.

    ``Span(start_time, end_time, workflow_id=None, node_id=None, task_id=None, operation_id=None, spans=None)``;
    exactly one of the ids is set, :attr:`id` returns it.
    """

    _pb_type = _pb.Span
    start_time: Field[_dt.datetime | None] = Field()
    end_time: Field[_dt.datetime | None] = Field()
    workflow_id: Field[WorkflowExecutionIdentifier | None] = Field(model=WorkflowExecutionIdentifier)
    node_id: Field[NodeExecutionIdentifier | None] = Field(model=NodeExecutionIdentifier)
    task_id: Field[TaskExecutionIdentifier | None] = Field(model=TaskExecutionIdentifier)
    operation_id: Field[str | None] = Field()
    spans: Field[list[Span]] = Field(model=lambda: Span)

    @property
    def id(self) -> WorkflowExecutionIdentifier | NodeExecutionIdentifier | TaskExecutionIdentifier | str | None:
        """Whichever of workflow_id, node_id, task_id or operation_id is set."""
        which = self._pb.WhichOneof("id")
        return None if which is None else getattr(self, which)

    @property
    def duration(self) -> _dt.timedelta | None:
        """``end_time - start_time`` when both are set."""
        start, end = self.start_time, self.end_time
        return None if start is None or end is None else end - start
