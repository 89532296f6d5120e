"""The EventRecorder: Flyte Admin's rules for workflow, node and task execution events (Flyte Admin's
``flyteadmin/pkg/manager/impl/execution_manager.go`` and its node and task siblings), driven the way propeller drives
them, through the event RPC managers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
import pytest
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import catalog_pb2, compiler_pb2, identifier_pb2, literals_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2
from google.protobuf import struct_pb2
from sqlalchemy import select
from tests.run_events import (
    NODE,
    TASK,
    WF,
    insert_execution,
    literal_map,
    moment,
    node_event,
    node_id,
    task_event,
    task_execution_id,
    ts,
    wf_event,
)

from flyteplane.admin.config import AdminContext
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers._task_events import merge_custom
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.events import EventManager
from flyteplane.admin.managers.node_executions import NodeExecutionManager
from flyteplane.admin.managers.task_executions import TaskExecutionManager
from flyteplane.admin.store import execution_schema as xs

WID_TEXT = 'project:"flytesnacks" domain:"development" name:"run1"'


@pytest.fixture
def events(ctx: AdminContext) -> EventManager:
    return EventManager(EventRecorder(ctx))


@pytest.fixture
def run(ctx: AdminContext) -> identifier_pb2.WorkflowExecutionIdentifier:
    return insert_execution(ctx.store, "run1")


def send_wf(events: EventManager, event: event_pb2.WorkflowExecutionEvent, request_id: str = "") -> None:
    events.create_workflow_event(admin_event_pb2.WorkflowExecutionEventRequest(event=event, request_id=request_id))


def send_node(events: EventManager, event: event_pb2.NodeExecutionEvent, request_id: str = "") -> None:
    events.create_node_event(admin_event_pb2.NodeExecutionEventRequest(event=event, request_id=request_id))


def send_task(events: EventManager, event: event_pb2.TaskExecutionEvent) -> None:
    events.create_task_event(admin_event_pb2.TaskExecutionEventRequest(event=event))


def fails(code: grpc.StatusCode, message: str, call: Any, *args: Any) -> AdminError:
    with pytest.raises(AdminError) as info:
        call(*args)
    assert info.value.code == code
    assert info.value.message == message
    return info.value


def execution(ctx: AdminContext, name: str = "run1") -> Any:
    with ctx.store.read() as conn:
        return conn.execute(select(xs.executions).where(xs.executions.c.execution_name == name)).one()


def closure_of(row: Any) -> execution_pb2.ExecutionClosure:
    return execution_pb2.ExecutionClosure.FromString(row.closure)


def get_node(ctx: AdminContext, run: Any, node: str) -> node_execution_pb2.NodeExecution:
    return NodeExecutionManager(ctx).get_node_execution(
        node_execution_pb2.NodeExecutionGetRequest(id=node_id(run, node))
    )


def get_task(ctx: AdminContext, run: Any, node: str, attempt: int = 0) -> task_execution_pb2.TaskExecution:
    request = task_execution_pb2.TaskExecutionGetRequest(id=task_execution_id(node_id(run, node), attempt))
    return TaskExecutionManager(ctx).get_task_execution(request)


def read_uri(ctx: AdminContext, uri: str) -> literals_pb2.LiteralMap:
    blobs = ctx.blobs
    key = blobs.key_from_native_url(uri)
    assert key is not None, uri
    return literals_pb2.LiteralMap.FromString(blobs.get(key))


# --- workflow events ------------------------------------------------------------------------------------------------


def test_workflow_run_records_phases_times_outputs_and_events(
    ctx: AdminContext, events: EventManager, run: Any
) -> None:
    send_wf(events, wf_event(run, WF.QUEUED, 0), "req-queued")
    row = execution(ctx)
    assert row.phase == "QUEUED"
    assert row.started_at is None
    assert closure_of(row).phase == WF.QUEUED
    assert closure_of(row).updated_at == ts(0)

    send_wf(events, wf_event(run, WF.RUNNING, 1.25), "req-running")
    row = execution(ctx)
    assert row.phase == "RUNNING"
    assert row.started_at == moment(1.25)
    assert closure_of(row).started_at == ts(1.25)

    send_wf(events, wf_event(run, WF.SUCCEEDED, 4.5, output_uri="file:///somewhere/outputs.pb"), "req-done")
    row = execution(ctx)
    closure = closure_of(row)
    assert row.phase == "SUCCEEDED"
    assert row.duration == 3_250_000_000
    assert closure.duration.ToNanoseconds() == 3_250_000_000
    assert closure.outputs.uri == "file:///somewhere/outputs.pb"
    assert closure.updated_at == ts(4.5)
    assert row.execution_updated_at == moment(4.5)
    assert closure.created_at == ts(-10)  # CreateExecution's, untouched

    with ctx.store.read() as conn:
        rows = conn.execute(select(xs.execution_events).order_by(xs.execution_events.c.id)).all()
    assert [(r.phase, r.request_id, r.occurred_at) for r in rows] == [
        ("QUEUED", "req-queued", moment(0)),
        ("RUNNING", "req-running", moment(1.25)),
        ("SUCCEEDED", "req-done", moment(4.5)),
    ]


def test_a_repeated_phase_is_already_exists_but_queued_may_repeat(events: EventManager, run: Any) -> None:
    send_wf(events, wf_event(run, WF.QUEUED, 0))
    send_wf(events, wf_event(run, WF.QUEUED, 0.5))  # a cluster reassignment
    send_wf(events, wf_event(run, WF.RUNNING, 1))
    fails(
        grpc.StatusCode.ALREADY_EXISTS,
        f"This phase RUNNING was already recorded for workflow execution {WID_TEXT}",
        send_wf,
        events,
        wf_event(run, WF.RUNNING, 2),
    )


@pytest.mark.parametrize("terminal", ["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"])
def test_nothing_leaves_a_terminal_phase(events: EventManager, run: Any, terminal: str) -> None:
    send_wf(events, wf_event(run, WF.RUNNING, 1))
    send_wf(events, wf_event(run, WF.Phase.Value(terminal), 2))
    for later in ("RUNNING", "QUEUED", "FAILING", "SUCCEEDED" if terminal != "SUCCEEDED" else "FAILED"):
        error = fails(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"Invalid phase change from {terminal} to {later} for workflow execution {WID_TEXT}",
            send_wf,
            events,
            wf_event(run, WF.Phase.Value(later), 3),
        )
        assert list(error.details) == [
            admin_event_pb2.EventFailureReason(
                already_in_terminal_state=admin_event_pb2.EventErrorAlreadyInTerminalState(current_phase=terminal)
            )
        ]
    # The same terminal phase again is a repeat first.
    fails(
        grpc.StatusCode.ALREADY_EXISTS,
        f"This phase {terminal} was already recorded for workflow execution {WID_TEXT}",
        send_wf,
        events,
        wf_event(run, WF.Phase.Value(terminal), 4),
    )


def test_running_cannot_go_back_to_queued(events: EventManager, run: Any) -> None:
    send_wf(events, wf_event(run, WF.RUNNING, 1))
    error = fails(
        grpc.StatusCode.FAILED_PRECONDITION,
        f"Cannot go from RUNNING to QUEUED for workflow execution {WID_TEXT}",
        send_wf,
        events,
        wf_event(run, WF.QUEUED, 2),
    )
    assert error.details == ()


def test_aborting_only_moves_to_a_terminal_phase_and_keeps_the_abort_metadata(
    ctx: AdminContext, events: EventManager
) -> None:
    run = insert_execution(ctx.store, "run1", phase="RUNNING")
    # What TerminateExecution leaves behind: ABORTING with the abort metadata.
    with ctx.store.begin() as conn:
        closure = execution_pb2.ExecutionClosure(phase=WF.ABORTING)
        closure.abort_metadata.cause = "user asked"
        closure.abort_metadata.principal = "alice"
        conn.execute(
            xs.executions.update().values(
                phase="ABORTING", closure=closure.SerializeToString(), abort_cause="user asked"
            )
        )
    for phase in ("RUNNING", "SUCCEEDING", "FAILING", "QUEUED"):
        fails(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"Invalid phase change from aborting to {phase} for workflow execution {WID_TEXT}",
            send_wf,
            events,
            wf_event(run, WF.Phase.Value(phase), 2),
        )
    send_wf(events, wf_event(run, WF.ABORTED, 3))
    closure = closure_of(execution(ctx))
    assert closure.phase == WF.ABORTED
    assert closure.abort_metadata.cause == "user asked"
    assert closure.abort_metadata.principal == "alice"
    assert not closure.HasField("duration")  # never seen RUNNING through an event


def test_inline_outputs_are_offloaded_to_the_blob_store(ctx: AdminContext, events: EventManager, run: Any) -> None:
    outputs = literal_map(o0=42, greeting="hi")
    send_wf(events, wf_event(run, WF.RUNNING, 1))
    send_wf(events, wf_event(run, WF.SUCCEEDED, 2, output_data=outputs))
    closure = closure_of(execution(ctx))
    assert closure.WhichOneof("output_result") == "outputs"
    assert closure.outputs.uri.endswith("/metadata/flytesnacks/development/run1/offloaded_outputs")
    assert read_uri(ctx, closure.outputs.uri) == outputs


def test_output_data_over_the_threshold_is_resource_exhausted(events: EventManager, run: Any) -> None:
    big = literal_map(blob="x" * (2 * 1024 * 1024))
    size = big.ByteSize()
    fails(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"Output data size exceeds platform configured threshold ({size} > 2097152)",
        send_wf,
        events,
        wf_event(run, WF.SUCCEEDED, 2, output_data=big),
    )


def test_an_error_goes_to_the_closure_and_the_error_columns(ctx: AdminContext, events: EventManager, run: Any) -> None:
    error = core_execution_pb2.ExecutionError(
        code="USER:ValueError", message="boom", kind=core_execution_pb2.ExecutionError.USER, error_uri="file:///e"
    )
    send_wf(events, wf_event(run, WF.RUNNING, 1))
    send_wf(events, wf_event(run, WF.FAILING, 1.5))
    send_wf(events, wf_event(run, WF.FAILED, 2, error=error))
    row = execution(ctx)
    assert closure_of(row).error == error
    assert (row.error_kind, row.error_code) == ("USER", "USER:ValueError")


def test_workflow_event_validation(events: EventManager, run: Any) -> None:
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "Workflow event handler was called without event",
        events.create_workflow_event,
        admin_event_pb2.WorkflowExecutionEventRequest(),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "Workflow event handler request event doesn't have an execution id - phase:RUNNING",
        send_wf,
        events,
        event_pb2.WorkflowExecutionEvent(phase=WF.RUNNING),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing occurred_at",
        send_wf,
        events,
        event_pb2.WorkflowExecutionEvent(execution_id=run, phase=WF.RUNNING),
    )
    fails(grpc.StatusCode.INVALID_ARGUMENT, "invalid value for phase", send_wf, events, wf_event(run, 99, 1))
    missing = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="nope")
    fails(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"nope"',
        send_wf,
        events,
        wf_event(missing, WF.RUNNING, 1),
    )


def test_cluster_checks_and_reassignment(ctx: AdminContext, events: EventManager) -> None:
    run = insert_execution(ctx.store, "run1", cluster="c1")
    # A QUEUED event from another cluster moves the execution there.
    send_wf(events, wf_event(run, WF.QUEUED, 0, producer_id="c2"))
    row = execution(ctx)
    assert row.cluster == "c2"
    assert execution_pb2.ExecutionSpec.FromString(row.spec).metadata.system_metadata.execution_cluster == "c2"
    error = fails(
        grpc.StatusCode.FAILED_PRECONDITION,
        "Cluster/producer from event [c1] does not match existing workflow execution clusterInDB: [c2]",
        send_wf,
        events,
        wf_event(run, WF.RUNNING, 1, producer_id="c1"),
    )
    assert list(error.details) == [
        admin_event_pb2.EventFailureReason(
            incompatible_cluster=admin_event_pb2.EventErrorIncompatibleCluster(cluster="c1")
        )
    ]
    # No producer, or propeller's default one, says nothing about the cluster.
    send_wf(events, wf_event(run, WF.RUNNING, 1, producer_id="propeller"))
    send_wf(events, wf_event(run, WF.SUCCEEDED, 2))
    assert execution(ctx).phase == "SUCCEEDED"


def test_the_event_rpcs_and_the_engine_share_one_recorder(make_services: Any) -> None:
    # One recorder per admin, so the event RPCs and the engine's events follow one set of rules and wake the
    # same waiters.
    services = make_services()
    assert services.events._recorder is services.recorder
    assert services.engine.port._recorder is services.recorder  # type: ignore[attr-defined]


# --- node events ----------------------------------------------------------------------------------------------------


def test_a_node_lifecycle(ctx: AdminContext, events: EventManager, run: Any) -> None:
    send_node(
        events,
        node_event(run, "n0", NODE.QUEUED, 1, input_uri="file:///in.pb", retry_group="0", node_name="my_node"),
        "r1",
    )
    node = get_node(ctx, run, "n0")
    assert node.input_uri == "file:///in.pb"
    assert node.closure.phase == NODE.QUEUED
    assert node.closure.created_at == ts(1)
    assert node.closure.updated_at == ts(1)
    assert not node.closure.HasField("started_at")
    assert node.metadata == node_execution_pb2.NodeExecutionMetaData(retry_group="0", spec_node_id="n0")

    send_node(events, node_event(run, "n0", NODE.RUNNING, 2, deck_uri="file:///deck.html", reported_at=ts(2.5)))
    node = get_node(ctx, run, "n0")
    assert node.closure.started_at == ts(2)
    assert node.closure.updated_at == ts(2.5)  # reported_at wins when set
    assert node.closure.deck_uri == "file:///deck.html"
    assert node.closure.created_at == ts(1)

    send_node(
        events, node_event(run, "n0", NODE.SUCCEEDED, 5, output_uri="file:///out.pb", deck_uri="file:///deck.html")
    )
    node = get_node(ctx, run, "n0")
    assert node.closure.phase == NODE.SUCCEEDED
    assert node.closure.duration.ToNanoseconds() == 3 * 10**9
    assert node.closure.output_uri == "file:///out.pb"
    assert node.closure.deck_uri == "file:///deck.html"
    with ctx.store.read() as conn:
        row = conn.execute(select(xs.node_executions)).one()
        recorded = conn.execute(select(xs.node_execution_events.c.phase, xs.node_execution_events.c.request_id)).all()
    assert (row.phase, row.duration, row.started_at, row.node_execution_created_at) == (
        "SUCCEEDED",
        3 * 10**9,
        moment(2),
        moment(1),
    )
    assert [tuple(r) for r in recorded] == [("QUEUED", "r1"), ("RUNNING", ""), ("SUCCEEDED", "")]


def test_node_repeats_and_terminal_phases(ctx: AdminContext, events: EventManager, run: Any) -> None:
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1))
    fails(
        grpc.StatusCode.ALREADY_EXISTS,
        f'This phase was already recorded RUNNING for node_id:"n0" execution_id:{{{WID_TEXT}}}',
        send_node,
        events,
        node_event(run, "n0", NODE.RUNNING, 2),
    )
    send_node(events, node_event(run, "n0", NODE.FAILED, 3, error=core_execution_pb2.ExecutionError(code="x")))
    with ctx.store.read() as conn:
        row_id = conn.execute(select(xs.node_executions.c.id)).scalar_one()
    error = fails(
        grpc.StatusCode.FAILED_PRECONDITION,
        f"Invalid phase change from FAILED to RUNNING for node execution {row_id}",
        send_node,
        events,
        node_event(run, "n0", NODE.RUNNING, 4),
    )
    # Flyte Admin reports the event's phase as the "current" one here.
    assert list(error.details) == [
        admin_event_pb2.EventFailureReason(
            already_in_terminal_state=admin_event_pb2.EventErrorAlreadyInTerminalState(current_phase="RUNNING")
        )
    ]


def test_a_terminal_first_event_creates_the_node_without_a_duration(
    ctx: AdminContext, events: EventManager, run: Any
) -> None:
    send_node(events, node_event(run, "skipped", NODE.SKIPPED, 1))
    node = get_node(ctx, run, "skipped")
    assert node.closure.phase == NODE.SKIPPED
    assert not node.closure.HasField("duration")


def test_node_inputs_and_outputs_are_offloaded(ctx: AdminContext, events: EventManager, run: Any) -> None:
    inputs, outputs = literal_map(a=1), literal_map(o0=2)
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1, input_data=inputs))
    send_node(events, node_event(run, "n0", NODE.SUCCEEDED, 2, output_data=outputs, input_uri="file:///other"))
    node = get_node(ctx, run, "n0")
    assert node.input_uri.endswith("/metadata/flytesnacks/development/run1/n0/offloaded_inputs")  # kept once set
    assert node.closure.output_uri.endswith("/metadata/flytesnacks/development/run1/n0/offloaded_outputs")
    assert read_uri(ctx, node.input_uri) == inputs
    assert read_uri(ctx, node.closure.output_uri) == outputs


def test_node_errors_set_the_error_columns(ctx: AdminContext, events: EventManager, run: Any) -> None:
    error = core_execution_pb2.ExecutionError(
        code="SYSTEM:OOM", message="m", kind=core_execution_pb2.ExecutionError.SYSTEM
    )
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1))
    send_node(events, node_event(run, "n0", NODE.FAILED, 2, error=error))
    assert get_node(ctx, run, "n0").closure.error == error
    with ctx.store.read() as conn:
        row = conn.execute(select(xs.node_executions.c.error_kind, xs.node_executions.c.error_code)).one()
    assert tuple(row) == ("SYSTEM", "SYSTEM:OOM")


def test_node_event_requires_its_execution(events: EventManager) -> None:
    missing = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="nope")
    shown = 'project:"flytesnacks" domain:"development" name:"nope"'
    fails(
        grpc.StatusCode.NOT_FOUND,
        f"Failed to get existing execution id: [{shown}] with err: missing entity of type execution with identifier "
        f"{shown}",
        send_node,
        events,
        node_event(missing, "n0", NODE.RUNNING, 1),
    )


def test_node_event_validation(events: EventManager, run: Any) -> None:
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing event",
        events.create_node_event,
        admin_event_pb2.NodeExecutionEventRequest(),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing id",
        send_node,
        events,
        event_pb2.NodeExecutionEvent(occurred_at=ts(1)),
    )
    fails(grpc.StatusCode.INVALID_ARGUMENT, "missing node_id", send_node, events, node_event(run, "", NODE.RUNNING, 1))
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing occurred_at",
        send_node,
        events,
        event_pb2.NodeExecutionEvent(id=node_id(run, "n0"), phase=NODE.RUNNING),
    )


def test_parent_nodes_and_parent_task_executions(ctx: AdminContext, events: EventManager, run: Any) -> None:
    send_node(events, node_event(run, "n1", NODE.RUNNING, 1, is_parent=True))
    send_node(
        events,
        node_event(
            run,
            "n1-0-n0",
            NODE.RUNNING,
            2,
            spec_node_id="n0",
            parent_node_metadata=event_pb2.ParentNodeExecutionMetadata(node_id="n1"),
        ),
    )
    with ctx.store.read() as conn:
        rows = {r.node_id: r for r in conn.execute(select(xs.node_executions)).all()}
    assert rows["n1-0-n0"].parent_id == rows["n1"].id
    assert get_node(ctx, run, "n1").metadata.is_parent_node

    fails(
        grpc.StatusCode.NOT_FOUND,
        f'missing entity of type node execution with identifier node_id:"ghost" execution_id:{{{WID_TEXT}}}',
        send_node,
        events,
        node_event(
            run, "c", NODE.RUNNING, 3, parent_node_metadata=event_pb2.ParentNodeExecutionMetadata(node_id="ghost")
        ),
    )

    parent_task = task_execution_id(node_id(run, "n1"))
    fails(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type task execution with identifier task_id:{project:"flytesnacks" domain:"development" '
        f'name:"my_task" version:"v1"}} node_execution_id:{{node_id:"n1" execution_id:{{{WID_TEXT}}}}}',
        send_node,
        events,
        node_event(
            run, "n1-dn0", NODE.QUEUED, 3, parent_task_metadata=event_pb2.ParentTaskExecutionMetadata(id=parent_task)
        ),
    )
    send_task(events, task_event(node_id(run, "n1"), TASK.RUNNING, 2))
    send_node(
        events,
        node_event(
            run, "n1-dn0", NODE.QUEUED, 3, parent_task_metadata=event_pb2.ParentTaskExecutionMetadata(id=parent_task)
        ),
    )
    with ctx.store.read() as conn:
        child = conn.execute(select(xs.node_executions).where(xs.node_executions.c.node_id == "n1-dn0")).one()
        task_row_id = conn.execute(select(xs.task_executions.c.id)).scalar_one()
    assert child.parent_task_execution_id == task_row_id
    assert child.parent_id is None
    assert get_task(ctx, run, "n1").is_parent


def test_flags_only_turn_on(ctx: AdminContext, events: EventManager, run: Any) -> None:
    send_node(events, node_event(run, "dyn", NODE.QUEUED, 1, retry_group="2"))
    send_node(events, node_event(run, "dyn", NODE.RUNNING, 2))
    send_node(events, node_event(run, "dyn", NODE.DYNAMIC_RUNNING, 3, is_parent=True, is_dynamic=True))
    send_node(events, node_event(run, "dyn", NODE.SUCCEEDED, 4, is_array=True))
    metadata = get_node(ctx, run, "dyn").metadata
    assert (metadata.is_parent_node, metadata.is_dynamic, metadata.is_array) == (True, True, True)
    assert (metadata.retry_group, metadata.spec_node_id) == ("2", "dyn")


def test_a_launch_plan_node_records_its_child_execution(ctx: AdminContext, events: EventManager, run: Any) -> None:
    child = insert_execution(ctx.store, "child1")
    ghost = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="ghost")
    # A first event's child id is not kept (Flyte Admin records it from later events only).
    send_node(
        events,
        node_event(
            run, "n0", NODE.QUEUED, 1, workflow_node_metadata=event_pb2.WorkflowNodeMetadata(execution_id=child)
        ),
    )
    assert not get_node(ctx, run, "n0").closure.HasField("workflow_node_metadata")
    fails(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"ghost"',
        send_node,
        events,
        node_event(
            run, "n0", NODE.RUNNING, 2, workflow_node_metadata=event_pb2.WorkflowNodeMetadata(execution_id=ghost)
        ),
    )
    send_node(
        events,
        node_event(
            run, "n0", NODE.RUNNING, 2, workflow_node_metadata=event_pb2.WorkflowNodeMetadata(execution_id=child)
        ),
    )
    assert get_node(ctx, run, "n0").closure.workflow_node_metadata.executionId == child


def test_task_node_metadata_keeps_the_cache_status(ctx: AdminContext, events: EventManager, run: Any) -> None:
    key = catalog_pb2.CatalogMetadata(
        dataset_id=identifier_pb2.Identifier(resource_type=identifier_pb2.DATASET, project="p", name="ds", version="1")
    )
    metadata = event_pb2.TaskNodeMetadata(
        cache_status=catalog_pb2.CACHE_HIT, catalog_key=key, checkpoint_uri="file:///ckpt"
    )
    send_node(events, node_event(run, "n0", NODE.SUCCEEDED, 1, task_node_metadata=metadata))
    closure = get_node(ctx, run, "n0").closure
    assert closure.task_node_metadata == node_execution_pb2.TaskNodeMetadata(
        cache_status=catalog_pb2.CACHE_HIT, catalog_key=key, checkpoint_uri="file:///ckpt"
    )
    with ctx.store.read() as conn:
        assert conn.execute(select(xs.node_executions.c.cache_status)).scalar_one() == "CACHE_HIT"
    # Without a catalog key only the checkpoint is kept.
    send_node(
        events,
        node_event(
            run,
            "n1",
            NODE.RUNNING,
            1,
            task_node_metadata=event_pb2.TaskNodeMetadata(cache_status=catalog_pb2.CACHE_MISS),
        ),
    )
    assert get_node(ctx, run, "n1").closure.task_node_metadata == node_execution_pb2.TaskNodeMetadata()


def _dynamic_metadata(version: str = "v1") -> event_pb2.DynamicWorkflowNodeMetadata:
    wf_id = identifier_pb2.Identifier(
        resource_type=identifier_pb2.WORKFLOW,
        project="flytesnacks",
        domain="development",
        name="dyn_wf",
        version=version,
    )
    closure = compiler_pb2.CompiledWorkflowClosure(
        primary=compiler_pb2.CompiledWorkflow(template=workflow_pb2.WorkflowTemplate(id=wf_id))
    )
    return event_pb2.DynamicWorkflowNodeMetadata(
        id=wf_id, compiled_workflow=closure, dynamic_job_spec_uri="file:///futures.pb"
    )


def test_a_dynamic_workflow_is_stored_and_served(ctx: AdminContext, events: EventManager, run: Any) -> None:
    dynamic = _dynamic_metadata()
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1))
    send_node(
        events,
        node_event(
            run,
            "n0",
            NODE.DYNAMIC_RUNNING,
            2,
            is_dynamic=True,
            task_node_metadata=event_pb2.TaskNodeMetadata(dynamic_workflow=dynamic),
        ),
    )
    manager = NodeExecutionManager(ctx)
    with ctx.store.read() as conn:
        reference = conn.execute(select(xs.node_executions.c.dynamic_workflow_remote_closure_reference)).scalar_one()
    assert reference.endswith("/metadata/admin/flytesnacks/development/run1/n0/flytesnacks_development_dyn_wf_v1")
    request = node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node_id(run, "n0"))
    assert manager.get_dynamic_node_workflow(request).compiled_workflow == dynamic.compiled_workflow
    data = manager.get_node_execution_data(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id(run, "n0")))
    assert data.dynamic_workflow == node_execution_pb2.DynamicWorkflowNodeMetadata(
        id=dynamic.id, compiled_workflow=dynamic.compiled_workflow, dynamic_job_spec_uri="file:///futures.pb"
    )
    assert get_node(ctx, run, "n0").closure.dynamic_job_spec_uri == "file:///futures.pb"

    send_node(events, node_event(run, "plain", NODE.RUNNING, 1))
    fails(
        grpc.StatusCode.NOT_FOUND,
        "node does not contain dynamic workflow",
        manager.get_dynamic_node_workflow,
        node_execution_pb2.GetDynamicNodeWorkflowRequest(id=node_id(run, "plain")),
    )
    broken = _dynamic_metadata()
    broken.compiled_workflow.ClearField("primary")
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing primary dynamic workflow",
        send_node,
        events,
        node_event(run, "n2", NODE.RUNNING, 1, task_node_metadata=event_pb2.TaskNodeMetadata(dynamic_workflow=broken)),
    )


# --- task events ----------------------------------------------------------------------------------------------------


def _log(name: str, uri: str, **flags: bool) -> core_execution_pb2.TaskLog:
    return core_execution_pb2.TaskLog(name=name, uri=uri, **flags)


def test_a_task_attempt_lifecycle(ctx: AdminContext, events: EventManager, run: Any) -> None:
    node = node_id(run, "n0")
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1))
    send_task(
        events,
        task_event(
            node,
            TASK.QUEUED,
            1.5,
            task_type="python-task",
            reason="waiting for a slot",
            input_uri="file:///in.pb",
            logs=[_log("pending", "u0", ShowWhilePending=True), _log("console", "u1")],
        ),
    )
    task = get_task(ctx, run, "n0")
    assert task.input_uri == "file:///in.pb"
    assert task.closure.task_type == "python-task"
    assert [log.name for log in task.closure.logs] == ["pending", "console"]  # the first event's logs, unfiltered
    assert task.closure.reason == "waiting for a slot"
    assert [(r.message, r.occurred_at) for r in task.closure.reasons] == [("waiting for a slot", ts(1.5))]
    assert not task.is_parent

    send_task(
        events,
        task_event(
            node,
            TASK.RUNNING,
            2,
            logs=[_log("console", "u1-new"), _log("extra", "u2", HideOnceFinished=True)],
            custom_info=struct_pb2.Struct(fields={"a": struct_pb2.Value(number_value=1)}),
            reason="waiting for a slot",
        ),
    )
    task = get_task(ctx, run, "n0")
    assert task.closure.started_at == ts(2)
    # Logs merge by name or URI: the latest first, then earlier ones no latest log replaces.
    assert [(log.name, log.uri) for log in task.closure.logs] == [
        ("console", "u1-new"),
        ("extra", "u2"),
        ("pending", "u0"),
    ]
    assert len(task.closure.reasons) == 1  # the same reason again adds nothing

    send_task(
        events,
        task_event(
            node,
            TASK.RUNNING,
            2.5,
            phase_version=1,
            reasons=[event_pb2.EventReason(reason="pulling image", occurred_at=ts(2.4))],
            custom_info=struct_pb2.Struct(fields={"b": struct_pb2.Value(string_value="x")}),
            event_version=1,
        ),
    )
    task = get_task(ctx, run, "n0")
    assert task.closure.reason == "pulling image"
    assert [r.message for r in task.closure.reasons] == ["waiting for a slot", "pulling image"]
    assert dict(task.closure.custom_info) == {"a": 1.0, "b": "x"}
    assert task.closure.event_version == 1

    outputs = literal_map(o0=7)
    send_task(events, task_event(node, TASK.SUCCEEDED, 6, output_data=outputs))
    task = get_task(ctx, run, "n0")
    assert task.closure.phase == TASK.SUCCEEDED
    assert task.closure.duration.ToNanoseconds() == 4 * 10**9
    assert task.closure.output_uri.endswith(
        "/metadata/flytesnacks/development/run1/n0/flytesnacks/development/my_task/v1/0/offloaded_outputs"
    )
    assert read_uri(ctx, task.closure.output_uri) == outputs
    assert [log.name for log in task.closure.logs] == ["console", "pending"]  # hidden once finished
    with ctx.store.read() as conn:
        row = conn.execute(select(xs.task_executions)).one()
    assert (row.phase, row.phase_version, row.duration, row.started_at) == ("SUCCEEDED", 0, 4 * 10**9, moment(2))


def test_task_repeats_versions_and_terminal_phases(ctx: AdminContext, events: EventManager, run: Any) -> None:
    node = node_id(run, "n0")
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1))
    send_task(events, task_event(node, TASK.RUNNING, 2, phase_version=2))
    task_text = (
        'task_id:{resource_type:TASK project:"flytesnacks" domain:"development" name:"my_task" version:"v1"} '
        f'node_execution_id:{{node_id:"n0" execution_id:{{{WID_TEXT}}}}}'
    )
    for version in (0, 2):
        fails(
            grpc.StatusCode.ALREADY_EXISTS,
            f"have already recorded task execution phase RUNNING (version: {version}) for {task_text}",
            send_task,
            events,
            task_event(node, TASK.RUNNING, 3, phase_version=version),
        )
    send_task(events, task_event(node, TASK.RUNNING, 3, phase_version=3))
    send_task(events, task_event(node, TASK.FAILED, 4, error=core_execution_pb2.ExecutionError(code="x", message="y")))
    error = fails(
        grpc.StatusCode.FAILED_PRECONDITION,
        f"invalid phase change from FAILED to RUNNING for task execution {task_text}",
        send_task,
        events,
        task_event(node, TASK.RUNNING, 5, phase_version=9),
    )
    assert list(error.details) == [
        admin_event_pb2.EventFailureReason(
            already_in_terminal_state=admin_event_pb2.EventErrorAlreadyInTerminalState(current_phase="RUNNING")
        )
    ]
    assert get_task(ctx, run, "n0").closure.error.message == "y"


def test_task_event_needs_its_node_and_execution(events: EventManager, run: Any) -> None:
    node = node_id(run, "n0")
    fails(
        grpc.StatusCode.NOT_FOUND,
        f'Failed to get existing node execution id: [node_id:"n0" execution_id:{{{WID_TEXT}}}] with err: '
        "entry not found",
        send_task,
        events,
        task_event(node, TASK.RUNNING, 1),
    )
    missing = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="nope")
    fails(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"nope"',
        send_task,
        events,
        task_event(node_id(missing, "n0"), TASK.RUNNING, 1),
    )


def test_task_event_validation(events: EventManager, run: Any) -> None:
    node = node_id(run, "n0")
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing event",
        events.create_task_event,
        admin_event_pb2.TaskExecutionEventRequest(),
    )
    no_time = task_event(node, TASK.RUNNING, 1)
    no_time.ClearField("occurred_at")
    fails(grpc.StatusCode.INVALID_ARGUMENT, "missing occurred_at", send_task, events, no_time)
    no_node = task_event(node, TASK.RUNNING, 1)
    no_node.ClearField("parent_node_execution_id")
    fails(grpc.StatusCode.INVALID_ARGUMENT, "missing node_execution_id", send_task, events, no_node)
    no_task = task_event(node, TASK.RUNNING, 1)
    no_task.ClearField("task_id")
    fails(grpc.StatusCode.INVALID_ARGUMENT, "missing task_id", send_task, events, no_task)
    untyped = task_event(node, TASK.RUNNING, 1)
    untyped.task_id.resource_type = identifier_pb2.UNSPECIFIED
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        'unexpected resource type unspecified for identifier [project:"flytesnacks" domain:"development" '
        'name:"my_task" version:"v1"], expected task instead',
        send_task,
        events,
        untyped,
    )
    big = task_event(node, TASK.SUCCEEDED, 1, output_data=literal_map(blob="x" * (2 * 1024 * 1024)))
    with pytest.raises(AdminError) as info:
        send_task(events, big)
    assert info.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_task_inputs_are_offloaded_once(ctx: AdminContext, events: EventManager, run: Any) -> None:
    node = node_id(run, "n0")
    send_node(events, node_event(run, "n0", NODE.RUNNING, 1))
    send_task(events, task_event(node, TASK.QUEUED, 1, attempt=1))
    send_task(events, task_event(node, TASK.RUNNING, 2, attempt=1, input_data=literal_map(x=1)))
    send_task(events, task_event(node, TASK.SUCCEEDED, 3, attempt=1, input_uri="file:///ignored"))
    task = get_task(ctx, run, "n0", attempt=1)
    assert task.input_uri.endswith("/n0/flytesnacks/development/my_task/v1/1/offloaded_inputs")
    assert read_uri(ctx, task.input_uri) == literal_map(x=1)


def test_external_resources_merge_by_index_and_attempt(ctx: AdminContext, events: EventManager, run: Any) -> None:
    node = node_id(run, "map")
    send_node(events, node_event(run, "map", NODE.RUNNING, 1, is_array=True))

    def resource(index: int, attempt: int, phase: int, **fields: Any) -> event_pb2.ExternalResourceInfo:
        return event_pb2.ExternalResourceInfo(index=index, retry_attempt=attempt, phase=phase, **fields)

    first = event_pb2.TaskExecutionMetadata(
        generated_name="gen",
        external_resources=[resource(2, 0, TASK.QUEUED), resource(0, 0, TASK.QUEUED, external_id="a0")],
    )
    send_task(events, task_event(node, TASK.RUNNING, 2, metadata=first))
    second = event_pb2.TaskExecutionMetadata(
        plugin_identifier="k8s-array",
        external_resources=[
            resource(0, 0, TASK.SUCCEEDED, logs=[_log("l", "u")]),
            resource(1, 0, TASK.RUNNING, external_id="a1"),
            resource(2, 1, TASK.RUNNING),
        ],
    )
    send_task(events, task_event(node, TASK.RUNNING, 3, phase_version=1, metadata=second))
    metadata = get_task(ctx, run, "map").closure.metadata
    assert [(r.index, r.retry_attempt, r.phase, r.external_id) for r in metadata.external_resources] == [
        (0, 0, TASK.SUCCEEDED, "a0"),
        (1, 0, TASK.RUNNING, "a1"),
        (2, 0, TASK.QUEUED, ""),
        (2, 1, TASK.RUNNING, ""),
    ]
    assert (metadata.generated_name, metadata.plugin_identifier) == ("gen", "k8s-array")
    assert [log.uri for log in metadata.external_resources[0].logs] == ["u"]


def test_merge_custom_is_a_json_merge_patch() -> None:
    def struct(value: dict[str, Any]) -> struct_pb2.Struct:
        result = struct_pb2.Struct()
        result.update(value)
        return result

    merged = merge_custom(
        struct({"keep": 1, "drop": 2, "nested": {"a": 1, "b": 2}, "list": [1, 2]}),
        struct({"drop": None, "nested": {"b": 3, "c": 4}, "list": [9], "new": "x"}),
    )
    assert merged is not None
    assert dict(merged) == {
        "keep": 1.0,
        "nested": {"a": 1.0, "b": 3.0, "c": 4.0},
        "list": [9.0],
        "new": "x",
    }
    latest = struct({"z": 1})
    assert merge_custom(None, latest) is latest
    assert merge_custom(latest, None) is latest


def test_timestamps_out_of_range_are_refused(events: EventManager, run: Any) -> None:
    event = wf_event(run, WF.RUNNING, 1)
    event.occurred_at.seconds = 10**13
    fails(grpc.StatusCode.INVALID_ARGUMENT, "invalid occurred_at: timestamp out of range", send_wf, events, event)


def test_durations_use_nanoseconds(ctx: AdminContext, events: EventManager, run: Any) -> None:
    send_wf(events, wf_event(run, WF.RUNNING, 1.000000001))
    send_wf(events, wf_event(run, WF.SUCCEEDED, 1.000000003))
    assert execution(ctx).duration == 2
    assert moment(0) == dt.datetime(2023, 11, 14, 22, 13, 20)
