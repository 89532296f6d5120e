"""CreateWorkflowEvent, CreateNodeEvent, CreateTaskEvent: the event RPCs propeller calls (Flyte Admin's
``flyteadmin/pkg/rpc/adminservice/event.go``). They hand the event to the admin's :class:`EventRecorder`, the same path
the embedded engine takes."""

from __future__ import annotations

from flyteidl.admin import event_pb2

from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.managers.event_recorder import EventRecorder

__all__ = ["EventManager"]


class EventManager:
    """Serves the three event RPCs."""

    def __init__(self, recorder: EventRecorder) -> None:
        self._recorder = recorder

    def create_workflow_event(
        self, request: event_pb2.WorkflowExecutionEventRequest
    ) -> event_pb2.WorkflowExecutionEventResponse:
        if not request.HasField("event"):
            raise invalid_argument("Workflow event handler was called without event")
        self._recorder.record_workflow_event(request.event, request.request_id)
        return event_pb2.WorkflowExecutionEventResponse()

    def create_node_event(self, request: event_pb2.NodeExecutionEventRequest) -> event_pb2.NodeExecutionEventResponse:
        if not request.HasField("event"):
            raise invalid_argument("missing event")
        self._recorder.record_node_event(request.event, request.request_id)
        return event_pb2.NodeExecutionEventResponse()

    def create_task_event(self, request: event_pb2.TaskExecutionEventRequest) -> event_pb2.TaskExecutionEventResponse:
        if not request.HasField("event"):
            raise invalid_argument("missing event")
        self._recorder.record_task_event(request.event, request.request_id)
        return event_pb2.TaskExecutionEventResponse()
