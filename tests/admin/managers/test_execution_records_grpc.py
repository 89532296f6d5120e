"""Run records over real gRPC: this test plays propeller, sending CreateWorkflowEvent / CreateNodeEvent /
CreateTaskEvent for a fake run, then reads everything back with flyteidl stubs and with flytekit's client, as the
console and FlyteRemote do (node listings, data, signals, GetData, deck download links)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.admin import event_pb2 as admin_event_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc, dataproxy_pb2, dataproxy_pb2_grpc, signal_pb2_grpc
from flytekit.clients.friendly import SynchronousFlyteClient
from flytekit.configuration import PlatformConfig
from flytekit.exceptions.user import FlyteEntityNotExistException
from flytekit.models.core import identifier as flyte_id
from google.protobuf import duration_pb2
from google.rpc import status_pb2
from tests.run_events import (
    NODE,
    TASK,
    WF,
    insert_execution,
    literal_map,
    node_event,
    node_id,
    task_event,
    task_execution_id,
    wf_event,
)

from flyteplane.admin.server import AdminServer

DECK = b"<html><body>my deck</body></html>"


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    with AdminServer() as server:
        yield server


@pytest.fixture(scope="module")
def channel(admin: AdminServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(admin.endpoint) as channel:
        yield channel


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(channel)


@pytest.fixture(scope="module")
def client(admin: AdminServer) -> SynchronousFlyteClient:
    return SynchronousFlyteClient(PlatformConfig(endpoint=admin.endpoint, insecure=True))


def send_wf(stub: Any, event: event_pb2.WorkflowExecutionEvent) -> None:
    stub.CreateWorkflowEvent(admin_event_pb2.WorkflowExecutionEventRequest(request_id="r", event=event))


def send_node(stub: Any, event: event_pb2.NodeExecutionEvent) -> None:
    stub.CreateNodeEvent(admin_event_pb2.NodeExecutionEventRequest(request_id="r", event=event))


def send_task(stub: Any, event: event_pb2.TaskExecutionEvent) -> None:
    stub.CreateTaskEvent(admin_event_pb2.TaskExecutionEventRequest(request_id="r", event=event))


def status_details(error: grpc.RpcError) -> list[admin_event_pb2.EventFailureReason]:
    """The EventFailureReason details of a status, as a Go client reads them from grpc-status-details-bin."""
    metadata: Any = error.trailing_metadata()  # type: ignore[attr-defined]
    trailers = {key: value for key, value in metadata or ()}
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    reasons = []
    for detail in status.details:
        reason = admin_event_pb2.EventFailureReason()
        assert detail.Unpack(reason)
        reasons.append(reason)
    return reasons


@pytest.fixture(scope="module")
def run(admin: AdminServer, stub: Any, channel: grpc.Channel) -> identifier_pb2.WorkflowExecutionIdentifier:
    """A whole run, reported the way propeller reports it: start-node, a task node with a failed and a successful
    attempt and a deck, a gate node waiting for a signal, a sub-workflow node with one child, end-node."""
    assert admin.context is not None
    run = insert_execution(admin.context.store, "grpcrun")
    blobs = admin.context.blobs
    blobs.put("raw/grpcrun/n0/deck.html", DECK)
    deck = blobs.native_url("raw/grpcrun/n0/deck.html")
    signals = signal_pb2_grpc.SignalServiceStub(channel)

    send_wf(stub, wf_event(run, WF.QUEUED, 0))
    send_wf(stub, wf_event(run, WF.RUNNING, 1))
    send_node(stub, node_event(run, "start-node", NODE.SUCCEEDED, 1, output_data=literal_map(n=3)))
    n0 = node_id(run, "n0")
    send_node(stub, node_event(run, "n0", NODE.QUEUED, 2, input_data=literal_map(n=3)))
    send_node(stub, node_event(run, "n0", NODE.RUNNING, 3, deck_uri=deck))
    logs = [core_execution_pb2.TaskLog(name="Local process", uri="file:///logs/n0-0.txt")]
    send_task(stub, task_event(n0, TASK.RUNNING, 3, input_data=literal_map(n=3), logs=logs))
    failure = core_execution_pb2.ExecutionError(code="USER:RuntimeError", message="flaky", kind=1)
    send_task(stub, task_event(n0, TASK.FAILED, 4, error=failure))
    send_task(stub, task_event(n0, TASK.RUNNING, 5, attempt=1, input_data=literal_map(n=3)))
    send_task(stub, task_event(n0, TASK.SUCCEEDED, 6, attempt=1, output_data=literal_map(o0=9)))
    send_node(stub, node_event(run, "n0", NODE.SUCCEEDED, 7, output_data=literal_map(o0=9), deck_uri=deck))

    send_node(stub, node_event(run, "n1", NODE.RUNNING, 8))
    approval = identifier_pb2.SignalIdentifier(execution_id=run, signal_id="approve")
    signals.GetOrCreateSignal(
        signal_pb2.SignalGetOrCreateRequest(id=approval, type=types_pb2.LiteralType(simple=types_pb2.BOOLEAN))
    )
    send_node(stub, node_event(run, "n1", NODE.SUCCEEDED, 9, output_data=literal_map()))

    send_node(stub, node_event(run, "n2", NODE.RUNNING, 10, is_parent=True))
    send_node(
        stub,
        node_event(
            run, "n2-0-n0", NODE.SUCCEEDED, 11, parent_node_metadata=event_pb2.ParentNodeExecutionMetadata(node_id="n2")
        ),
    )
    send_node(stub, node_event(run, "n2", NODE.SUCCEEDED, 12))
    send_node(stub, node_event(run, "end-node", NODE.SUCCEEDED, 13, input_data=literal_map(o0=9)))
    send_wf(stub, wf_event(run, WF.SUCCEEDED, 14, output_data=literal_map(o0=9)))
    return run


def test_phase_rules_answer_with_flyte_admins_codes_and_details(stub: Any, run: Any) -> None:
    with pytest.raises(grpc.RpcError) as info:
        send_wf(stub, wf_event(run, WF.SUCCEEDED, 15))
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert info.value.details() == (
        'This phase SUCCEEDED was already recorded for workflow execution project:"flytesnacks" '
        'domain:"development" name:"grpcrun"'
    )
    with pytest.raises(grpc.RpcError) as info:
        send_wf(stub, wf_event(run, WF.RUNNING, 15))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert status_details(info.value) == [
        admin_event_pb2.EventFailureReason(
            already_in_terminal_state=admin_event_pb2.EventErrorAlreadyInTerminalState(current_phase="SUCCEEDED")
        )
    ]
    with pytest.raises(grpc.RpcError) as info:
        send_task(stub, task_event(node_id(run, "n0"), TASK.RUNNING, 15, attempt=1))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as info:
        send_node(stub, node_event(run, "n0", NODE.SUCCEEDED, 15))
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as info:
        stub.CreateNodeEvent(admin_event_pb2.NodeExecutionEventRequest())
    assert (info.value.code(), info.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "missing event")


def test_node_listings_top_level_and_children(stub: Any, run: Any) -> None:
    listed = stub.ListNodeExecutions(node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=run, limit=100))
    assert [n.id.node_id for n in listed.node_executions] == ["start-node", "n0", "n1", "n2", "end-node"]
    assert all(n.closure.phase == NODE.SUCCEEDED for n in listed.node_executions)
    children = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=run, limit=100, unique_parent_id="n2")
    )
    assert [n.id.node_id for n in children.node_executions] == ["n2-0-n0"]
    page = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(
            workflow_execution_id=run,
            limit=2,
            filters="ne(node_id,start-node)",
            sort_by=common_pb2.Sort(key="node_id", direction=common_pb2.Sort.ASCENDING),
        )
    )
    assert ([n.id.node_id for n in page.node_executions], page.token) == (["end-node", "n0"], "2")
    node = stub.GetNodeExecution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(run, "n2")))
    assert node.metadata.is_parent_node


def test_node_and_task_data(stub: Any, run: Any) -> None:
    data = stub.GetNodeExecutionData(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id(run, "n0")))
    assert data.full_inputs == literal_map(n=3)
    assert data.full_outputs == literal_map(o0=9)
    assert data.flyte_urls.deck == "flyte://v1/flytesnacks/development/grpcrun/n0/d"

    attempts = stub.ListTaskExecutions(
        task_execution_pb2.TaskExecutionListRequest(node_execution_id=node_id(run, "n0"), limit=10)
    )
    assert [(t.id.retry_attempt, t.closure.phase) for t in attempts.task_executions] == [
        (0, TASK.FAILED),
        (1, TASK.SUCCEEDED),
    ]
    first = attempts.task_executions[0]
    assert first.closure.error.message == "flaky"
    assert [log.uri for log in first.closure.logs] == ["file:///logs/n0-0.txt"]
    data = stub.GetTaskExecutionData(
        task_execution_pb2.TaskExecutionGetDataRequest(id=task_execution_id(node_id(run, "n0"), attempt=1))
    )
    assert (data.full_inputs, data.full_outputs) == (literal_map(n=3), literal_map(o0=9))
    assert data.flyte_urls.outputs == "flyte://v1/flytesnacks/development/grpcrun/n0/1/o"
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTaskExecution(task_execution_pb2.TaskExecutionGetRequest(id=task_execution_id(node_id(run, "n0"), 5)))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_signals_over_the_signal_service(channel: grpc.Channel, run: Any) -> None:
    signals = signal_pb2_grpc.SignalServiceStub(channel)
    approval = identifier_pb2.SignalIdentifier(execution_id=run, signal_id="approve")
    listed = signals.ListSignals(signal_pb2.SignalListRequest(workflow_execution_id=run, limit=10))
    assert [(s.id.signal_id, s.HasField("value")) for s in listed.signals] == [("approve", False)]
    yes = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=True)))
    with pytest.raises(grpc.RpcError) as info:
        signals.SetSignal(
            signal_pb2.SignalSetRequest(
                id=approval,
                value=literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=1))),
            )
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    signals.SetSignal(signal_pb2.SignalSetRequest(id=approval, value=yes))
    got = signals.GetOrCreateSignal(
        signal_pb2.SignalGetOrCreateRequest(id=approval, type=types_pb2.LiteralType(simple=types_pb2.BOOLEAN))
    )
    assert got.value == yes


def test_get_data_and_a_deck_download(admin: AdminServer, channel: grpc.Channel, run: Any) -> None:
    proxy = dataproxy_pb2_grpc.DataProxyServiceStub(channel)
    base = "flyte://v1/flytesnacks/development/grpcrun"
    assert proxy.GetData(dataproxy_pb2.GetDataRequest(flyte_url=f"{base}/n0/o")).literal_map == literal_map(o0=9)
    assert (
        proxy.GetData(dataproxy_pb2.GetDataRequest(flyte_url=f"{base}/n0/1/i/n")).literal
        == literal_map(n=3).literals["n"]
    )
    link = proxy.CreateDownloadLink(
        dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK,
            node_execution_id=node_id(run, "n0"),
            expires_in=duration_pb2.Duration(seconds=120),
        )
    )
    assert link.signed_url[0].startswith(admin.http_endpoint + "/data/")
    with urllib.request.urlopen(link.signed_url[0]) as response:
        assert response.read() == DECK
    deck = proxy.GetData(dataproxy_pb2.GetDataRequest(flyte_url=f"{base}/n0/d"))
    with urllib.request.urlopen(deck.pre_signed_urls.signed_url[0]) as response:
        assert response.read() == DECK
    with pytest.raises(grpc.RpcError) as info:
        proxy.GetData(dataproxy_pb2.GetDataRequest(flyte_url=f"{base}/n0/o/missing"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_flytekit_reads_the_run(client: SynchronousFlyteClient, run: Any) -> None:
    execution = flyte_id.WorkflowExecutionIdentifier("flytesnacks", "development", "grpcrun")
    n0 = flyte_id.NodeExecutionIdentifier("n0", execution)
    node = client.get_node_execution(n0)
    assert node.closure.phase == NODE.SUCCEEDED
    data = client.get_node_execution_data(n0)
    assert data.full_outputs.literals["o0"].scalar.primitive.integer == 9
    tasks, token = client.list_task_executions_paginated(n0, limit=10)
    assert [t.id.retry_attempt for t in tasks] == [0, 1]
    assert token == ""
    task_data = client.get_task_execution_data(tasks[1].id)
    assert task_data.full_inputs.literals["n"].scalar.primitive.integer == 3
    listed = client.list_node_executions_paginated(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=execution.to_flyte_idl(), limit=100)
    )
    assert "end-node" in [n.id.node_id for n in listed.node_executions]
    assert client.get_data("flyte://v1/flytesnacks/development/grpcrun/n0/i").literal_map == literal_map(n=3)
    signed = client.get_download_artifact_signed_url("n0", "flytesnacks", "development", "grpcrun")
    assert len(signed.signed_url) == 1
    with pytest.raises(FlyteEntityNotExistException):
        client.get_node_execution(flyte_id.NodeExecutionIdentifier("nope", execution))
