"""The read side of run records: node and task execution reads and listings, their data, signals, and the data proxy's
GetData and CreateDownloadLink (Flyte Admin's ``flyteadmin/pkg/manager/impl/node_execution_manager.go``,
``task_execution_manager.go``, ``signal_manager.go`` and ``flyteadmin/dataproxy/service.go``)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, node_execution_pb2, signal_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.event import event_pb2 as flyte_event_pb2
from flyteidl.service import dataproxy_pb2
from google.protobuf import duration_pb2
from sqlalchemy import insert, select
from tests.run_events import (
    NODE,
    TASK,
    insert_execution,
    literal_map,
    moment,
    node_event,
    node_id,
    task_event,
    task_execution_id,
    wf_event,
)

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.flyte_urls import parse_flyte_url
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.dataproxy import DataProxyManager
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.node_executions import NodeExecutionManager
from flyteplane.admin.managers.signals import SignalManager
from flyteplane.admin.managers.task_executions import TaskExecutionManager
from flyteplane.admin.store import execution_schema as xs
from flyteplane.admin.store import listing, schema

WID_TEXT = 'project:"flytesnacks" domain:"development" name:"run1"'
LONG_ERROR = "é" * 60  # 120 bytes: lists cut it to 100 bytes, i.e. 50 characters


def fails(code: grpc.StatusCode, message: str, call: Any, *args: Any, **kwargs: Any) -> AdminError:
    with pytest.raises(AdminError) as info:
        call(*args, **kwargs)
    assert info.value.code == code
    assert info.value.message == message
    return info.value


@pytest.fixture
def run(ctx: AdminContext) -> identifier_pb2.WorkflowExecutionIdentifier:
    """A finished run: n0 (task node, two attempts), n1 (a sub-workflow node with two children), n2 (failed, long
    error), n3 (a dynamic-style task node whose attempt has a child node), and a deck on n0."""
    run = insert_execution(ctx.store, "run1")
    recorder = EventRecorder(ctx)
    blobs = ctx.blobs
    blobs.put("decks/run1/n0/deck.html", b"<html>deck</html>")
    deck = blobs.native_url("decks/run1/n0/deck.html")
    recorder.record_workflow_event(wf_event(run, core_execution_pb2.WorkflowExecution.RUNNING, 0))
    recorder.record_node_event(node_event(run, "start-node", NODE.SUCCEEDED, 0.5, output_data=literal_map(x=1)))
    n0 = node_id(run, "n0")
    recorder.record_node_event(node_event(run, "n0", NODE.QUEUED, 1, input_data=literal_map(x=1)))
    recorder.record_node_event(node_event(run, "n0", NODE.RUNNING, 2, deck_uri=deck))
    recorder.record_task_event(task_event(n0, TASK.RUNNING, 2, input_data=literal_map(x=1)))
    recorder.record_task_event(
        task_event(n0, TASK.FAILED, 3, error=core_execution_pb2.ExecutionError(code="RETRY", message=LONG_ERROR))
    )
    recorder.record_task_event(task_event(n0, TASK.RUNNING, 4, attempt=1, input_data=literal_map(x=1)))
    recorder.record_task_event(task_event(n0, TASK.SUCCEEDED, 5, attempt=1, output_data=literal_map(y=2, z="zz")))
    recorder.record_node_event(
        node_event(run, "n0", NODE.SUCCEEDED, 6, output_data=literal_map(y=2, z="zz"), deck_uri=deck)
    )
    recorder.record_node_event(node_event(run, "n1", NODE.RUNNING, 7, is_parent=True))
    for child, at in (("n1-0-n0", 8), ("n1-0-n1", 9)):
        recorder.record_node_event(
            node_event(
                run,
                child,
                NODE.SUCCEEDED,
                at,
                parent_node_metadata=flyte_event_pb2.ParentNodeExecutionMetadata(node_id="n1"),
            )
        )
    recorder.record_node_event(node_event(run, "n1", NODE.SUCCEEDED, 10))
    recorder.record_node_event(node_event(run, "n2", NODE.RUNNING, 11))
    recorder.record_node_event(
        node_event(run, "n2", NODE.FAILED, 12, error=core_execution_pb2.ExecutionError(code="E", message=LONG_ERROR))
    )
    n3 = node_id(run, "n3")
    recorder.record_node_event(node_event(run, "n3", NODE.RUNNING, 13))
    recorder.record_task_event(task_event(n3, TASK.RUNNING, 13, task="dyn"))
    recorder.record_node_event(
        node_event(
            run,
            "n3-0-dn0",
            NODE.RUNNING,
            14,
            parent_task_metadata=flyte_event_pb2.ParentTaskExecutionMetadata(id=task_execution_id(n3, task="dyn")),
        )
    )
    return run


@pytest.fixture
def nodes(ctx: AdminContext) -> NodeExecutionManager:
    return NodeExecutionManager(ctx)


@pytest.fixture
def tasks(ctx: AdminContext) -> TaskExecutionManager:
    return TaskExecutionManager(ctx)


def list_nodes(nodes: NodeExecutionManager, run: Any, **fields: Any) -> node_execution_pb2.NodeExecutionList:
    fields.setdefault("limit", 100)
    return nodes.list_node_executions(node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=run, **fields))


def names(listed: Any) -> list[str]:
    return [n.id.node_id for n in listed.node_executions]


# --- node executions ---------------------------------------------------------------------------------------------


def test_listing_shows_the_top_level_and_children_by_parent(nodes: NodeExecutionManager, run: Any) -> None:
    assert names(list_nodes(nodes, run)) == ["start-node", "n0", "n1", "n2", "n3"]
    assert names(list_nodes(nodes, run, unique_parent_id="n1")) == ["n1-0-n0", "n1-0-n1"]
    assert names(list_nodes(nodes, run, unique_parent_id="n0")) == []
    fails(
        grpc.StatusCode.NOT_FOUND,
        f'missing entity of type node execution with identifier node_id:"ghost" execution_id:{{{WID_TEXT}}}',
        list_nodes,
        nodes,
        run,
        unique_parent_id="ghost",
    )


def test_node_listing_filters_sorts_and_pages(nodes: NodeExecutionManager, run: Any) -> None:
    assert names(list_nodes(nodes, run, filters="eq(phase,FAILED)")) == ["n2"]
    assert names(list_nodes(nodes, run, filters="value_in(phase,RUNNING;FAILED)")) == ["n2", "n3"]
    assert names(list_nodes(nodes, run, filters="eq(execution.phase,RUNNING)+eq(node_id,n0)")) == ["n0"]
    assert names(list_nodes(nodes, run, filters="eq(execution.phase,SUCCEEDED)")) == []
    assert names(list_nodes(nodes, run, filters="gte(duration,2s)")) == ["n0", "n1"]
    newest_first = list_nodes(nodes, run, sort_by=common_pb2.Sort(key="node_execution_created_at"))
    assert names(newest_first) == ["n3", "n2", "n1", "n0", "start-node"]
    page = list_nodes(nodes, run, limit=2, sort_by=common_pb2.Sort(key="node_id", direction=common_pb2.Sort.ASCENDING))
    assert (names(page), page.token) == (["n0", "n1"], "2")
    page = list_nodes(nodes, run, limit=2, token="4")
    assert (names(page), page.token) == (["n3"], "")

    for filters, message in (
        ("eq(name,n0)", "'ne.name' is invalid filter"),
        ("eq(task.name,x)", "'t' entity is not allowed in filters"),
        ("eq(task_execution.phase,x)", "'te' entity is not allowed in filters"),
    ):
        fails(grpc.StatusCode.INVALID_ARGUMENT, message, list_nodes, nodes, run, filters=filters)
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid sort key 'name'",
        list_nodes,
        nodes,
        run,
        sort_by=common_pb2.Sort(key="name"),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid pagination token x for ListNodeExecutions",
        list_nodes,
        nodes,
        run,
        token="x",
    )


def test_node_listing_validation(nodes: NodeExecutionManager, run: Any) -> None:
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing execution_id",
        nodes.list_node_executions,
        node_execution_pb2.NodeExecutionListRequest(limit=1),
    )
    partial = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development")
    fails(grpc.StatusCode.INVALID_ARGUMENT, "missing execution_id", list_nodes, nodes, partial)
    fails(grpc.StatusCode.INVALID_ARGUMENT, "invalid value for limit", list_nodes, nodes, run, limit=0)


def test_lists_trim_error_messages_and_gets_do_not(nodes: NodeExecutionManager, run: Any) -> None:
    listed = {n.id.node_id: n for n in list_nodes(nodes, run).node_executions}
    assert listed["n2"].closure.error.message == "é" * 50
    full = nodes.get_node_execution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(run, "n2")))
    assert full.closure.error.message == LONG_ERROR


def test_get_node_execution(nodes: NodeExecutionManager, run: Any) -> None:
    node = nodes.get_node_execution(node_execution_pb2.NodeExecutionGetRequest(id=node_id(run, "n1")))
    assert node.id == node_id(run, "n1")
    assert node.metadata.is_parent_node
    assert node.closure.phase == NODE.SUCCEEDED
    fails(
        grpc.StatusCode.NOT_FOUND,
        f'missing entity of type node execution with identifier node_id:"nope" execution_id:{{{WID_TEXT}}}',
        nodes.get_node_execution,
        node_execution_pb2.NodeExecutionGetRequest(id=node_id(run, "nope")),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing id",
        nodes.get_node_execution,
        node_execution_pb2.NodeExecutionGetRequest(),
    )


def test_node_execution_data(nodes: NodeExecutionManager, run: Any) -> None:
    data = nodes.get_node_execution_data(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id(run, "n0")))
    assert data.full_inputs == literal_map(x=1)
    assert data.full_outputs == literal_map(y=2, z="zz")
    assert data.HasField("inputs") and data.inputs == common_pb2.UrlBlob()
    assert data.flyte_urls == common_pb2.FlyteURLs(
        inputs="flyte://v1/flytesnacks/development/run1/n0/i",
        outputs="flyte://v1/flytesnacks/development/run1/n0/o",
        deck="flyte://v1/flytesnacks/development/run1/n0/d",
    )
    assert not data.HasField("dynamic_workflow")
    # No inputs, no outputs, no deck: empty maps and no deck URL.
    data = nodes.get_node_execution_data(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id(run, "n2")))
    assert (data.full_inputs, data.full_outputs) == (literals_pb2.LiteralMap(), literals_pb2.LiteralMap())
    assert data.flyte_urls.deck == ""


def test_nodes_of_a_task_execution(nodes: NodeExecutionManager, run: Any) -> None:
    request = node_execution_pb2.NodeExecutionForTaskListRequest(
        task_execution_id=task_execution_id(node_id(run, "n3"), task="dyn"), limit=10
    )
    assert names(nodes.list_node_executions_for_task(request)) == ["n3-0-dn0"]
    # The RPC layer fills a missing TASK resource type, as Flyte Admin's does.
    request.task_execution_id.task_id.resource_type = identifier_pb2.UNSPECIFIED
    assert names(nodes.list_node_executions_for_task(request)) == ["n3-0-dn0"]
    request.task_execution_id.retry_attempt = 5
    with pytest.raises(AdminError) as info:
        nodes.list_node_executions_for_task(request)
    assert info.value.code == grpc.StatusCode.NOT_FOUND
    request.task_execution_id.ClearField("task_id")
    fails(grpc.StatusCode.INVALID_ARGUMENT, "missing task_id", nodes.list_node_executions_for_task, request)


# --- task executions -----------------------------------------------------------------------------------------------


def test_task_executions_list_every_attempt(tasks: TaskExecutionManager, run: Any) -> None:
    node = node_id(run, "n0")
    listed = tasks.list_task_executions(task_execution_pb2.TaskExecutionListRequest(node_execution_id=node, limit=10))
    assert [(t.id.retry_attempt, t.closure.phase) for t in listed.task_executions] == [
        (0, TASK.FAILED),
        (1, TASK.SUCCEEDED),
    ]
    assert listed.task_executions[0].closure.error.message == LONG_ERROR  # task lists keep the whole message
    assert listed.task_executions[0].id.task_id.resource_type == identifier_pb2.TASK
    only = tasks.list_task_executions(
        task_execution_pb2.TaskExecutionListRequest(node_execution_id=node, limit=10, filters="eq(retry_attempt,1)")
    )
    assert [t.id.retry_attempt for t in only.task_executions] == [1]
    joined = tasks.list_task_executions(
        task_execution_pb2.TaskExecutionListRequest(
            node_execution_id=node, limit=10, filters="eq(node_execution.phase,SUCCEEDED)+eq(execution.phase,RUNNING)"
        )
    )
    assert len(joined.task_executions) == 2
    page = tasks.list_task_executions(
        task_execution_pb2.TaskExecutionListRequest(
            node_execution_id=node, limit=1, sort_by=common_pb2.Sort(key="retry_attempt")
        )
    )
    assert ([t.id.retry_attempt for t in page.task_executions], page.token) == ([1], "1")
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing id",
        tasks.list_task_executions,
        task_execution_pb2.TaskExecutionListRequest(limit=1),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "'w' entity is not allowed in filters",
        tasks.list_task_executions,
        task_execution_pb2.TaskExecutionListRequest(node_execution_id=node, limit=1, filters="eq(workflow.name,x)"),
    )


def test_task_filters_may_name_the_task(ctx: AdminContext, tasks: TaskExecutionManager, run: Any) -> None:
    with ctx.store.begin() as conn:
        conn.execute(
            insert(schema.tasks).values(
                project="flytesnacks",
                domain="development",
                name="my_task",
                version="v1",
                closure=b"",
                digest="d",
                type="python-task",
                created_at=moment(0),
                updated_at=moment(0),
            )
        )
    node = node_id(run, "n0")
    request = task_execution_pb2.TaskExecutionListRequest(
        node_execution_id=node, limit=10, filters="eq(task.type,python-task)"
    )
    assert len(tasks.list_task_executions(request).task_executions) == 2
    request.filters = "eq(task.type,container)"
    assert len(tasks.list_task_executions(request).task_executions) == 0


def test_get_task_execution_and_its_data(tasks: TaskExecutionManager, run: Any) -> None:
    identifier = task_execution_id(node_id(run, "n0"), attempt=1)
    identifier.task_id.resource_type = identifier_pb2.UNSPECIFIED  # filled by the RPC layer
    task = tasks.get_task_execution(task_execution_pb2.TaskExecutionGetRequest(id=identifier))
    assert task.id == task_execution_id(node_id(run, "n0"), attempt=1)
    assert task.closure.phase == TASK.SUCCEEDED
    data = tasks.get_task_execution_data(task_execution_pb2.TaskExecutionGetDataRequest(id=identifier))
    assert data.full_inputs == literal_map(x=1)
    assert data.full_outputs == literal_map(y=2, z="zz")
    assert data.flyte_urls == common_pb2.FlyteURLs(
        inputs="flyte://v1/flytesnacks/development/run1/n0/1/i",
        outputs="flyte://v1/flytesnacks/development/run1/n0/1/o",
    )
    missing = task_execution_id(node_id(run, "n0"), attempt=7)
    fails(
        grpc.StatusCode.NOT_FOUND,
        'missing entity of type task execution with identifier task_id:{project:"flytesnacks" domain:"development" '
        f'name:"my_task" version:"v1"}} node_execution_id:{{node_id:"n0" execution_id:{{{WID_TEXT}}}}}',
        tasks.get_task_execution,
        task_execution_pb2.TaskExecutionGetRequest(id=missing),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing node_execution_id",
        tasks.get_task_execution,
        task_execution_pb2.TaskExecutionGetRequest(id=identifier_pb2.TaskExecutionIdentifier()),
    )


def test_a_task_execution_with_child_nodes_is_a_parent(tasks: TaskExecutionManager, run: Any) -> None:
    request = task_execution_pb2.TaskExecutionListRequest(node_execution_id=node_id(run, "n3"), limit=10)
    assert [t.is_parent for t in tasks.list_task_executions(request).task_executions] == [True]
    request = task_execution_pb2.TaskExecutionListRequest(node_execution_id=node_id(run, "n0"), limit=10)
    assert [t.is_parent for t in tasks.list_task_executions(request).task_executions] == [False, False]


# --- signals ---------------------------------------------------------------------------------------------------------

BOOLEAN = types_pb2.LiteralType(simple=types_pb2.BOOLEAN)


def _signal_id(run: Any, name: str = "approval") -> identifier_pb2.SignalIdentifier:
    return identifier_pb2.SignalIdentifier(execution_id=run, signal_id=name)


def _bool(value: bool) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(boolean=value)))


def test_signals(ctx: AdminContext, run: Any) -> None:
    signals = SignalManager(ctx)
    created = signals.get_or_create_signal(signal_pb2.SignalGetOrCreateRequest(id=_signal_id(run), type=BOOLEAN))
    assert created == signal_pb2.Signal(id=_signal_id(run), type=BOOLEAN)
    again = signals.get_or_create_signal(signal_pb2.SignalGetOrCreateRequest(id=_signal_id(run), type=BOOLEAN))
    assert again == created
    fails(
        grpc.StatusCode.ALREADY_EXISTS,
        'value with matching already exists (duplicate key value violates unique constraint "signals_pkey")',
        signals.get_or_create_signal,
        signal_pb2.SignalGetOrCreateRequest(id=_signal_id(run), type=types_pb2.LiteralType(simple=types_pb2.STRING)),
    )
    signals.get_or_create_signal(
        signal_pb2.SignalGetOrCreateRequest(
            id=_signal_id(run, "count"), type=types_pb2.LiteralType(simple=types_pb2.INTEGER)
        )
    )

    signals.set_signal(signal_pb2.SignalSetRequest(id=_signal_id(run), value=_bool(True)))
    listed = signals.list_signals(signal_pb2.SignalListRequest(workflow_execution_id=run, limit=10))
    assert [(s.id.signal_id, s.value) for s in listed.signals] == [
        ("approval", _bool(True)),
        ("count", literals_pb2.Literal()),
    ]
    assert not listed.signals[1].HasField("value")
    got = signals.get_or_create_signal(signal_pb2.SignalGetOrCreateRequest(id=_signal_id(run), type=BOOLEAN))
    assert got.value == _bool(True)
    signals.set_signal(signal_pb2.SignalSetRequest(id=_signal_id(run), value=_bool(False)))  # may be set again
    filtered = signals.list_signals(
        signal_pb2.SignalListRequest(workflow_execution_id=run, limit=1, filters="eq(signal_id,count)")
    )
    assert [s.id.signal_id for s in filtered.signals] == ["count"]
    assert filtered.token == "1"

    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "requested signal value [scalar:{primitive:{boolean:true}}] is not castable to existing signal type [[8 1]]",
        signals.set_signal,
        signal_pb2.SignalSetRequest(id=_signal_id(run, "count"), value=_bool(True)),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "failed to validate that signal [{{flytesnacks development run1} nope}] exists, err: [signal does not exist]",
        signals.set_signal,
        signal_pb2.SignalSetRequest(id=_signal_id(run, "nope"), value=_bool(True)),
    )


def test_signal_validation(ctx: AdminContext, run: Any) -> None:
    signals = SignalManager(ctx)
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing id",
        signals.get_or_create_signal,
        signal_pb2.SignalGetOrCreateRequest(),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing execution_id",
        signals.get_or_create_signal,
        signal_pb2.SignalGetOrCreateRequest(id=identifier_pb2.SignalIdentifier(signal_id="s")),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing signal_id",
        signals.get_or_create_signal,
        signal_pb2.SignalGetOrCreateRequest(id=identifier_pb2.SignalIdentifier(execution_id=run)),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing type",
        signals.get_or_create_signal,
        signal_pb2.SignalGetOrCreateRequest(id=_signal_id(run)),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing value",
        signals.set_signal,
        signal_pb2.SignalSetRequest(id=_signal_id(run)),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing execution_id",
        signals.list_signals,
        signal_pb2.SignalListRequest(limit=1),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid value for limit",
        signals.list_signals,
        signal_pb2.SignalListRequest(workflow_execution_id=run),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid pagination token -1 for ListSignals",
        signals.list_signals,
        signal_pb2.SignalListRequest(workflow_execution_id=run, limit=1, token="-1"),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "'e' entity is not allowed in filters",
        signals.list_signals,
        signal_pb2.SignalListRequest(workflow_execution_id=run, limit=1, filters="eq(execution.phase,RUNNING)"),
    )


# --- GetData and CreateDownloadLink ----------------------------------------------------------------------------------


@pytest.fixture
def proxy(ctx: AdminContext) -> DataProxyManager:
    return DataProxyManager(
        ctx,
        node_executions=NodeExecutionManager(ctx),
        task_executions=TaskExecutionManager(ctx),
        http_endpoint=lambda: "http://127.0.0.1:9",
    )


def get_data(proxy: DataProxyManager, url: str) -> dataproxy_pb2.GetDataResponse:
    return proxy.get_data(dataproxy_pb2.GetDataRequest(flyte_url=url))


def test_get_data_reads_node_and_task_execution_data(proxy: DataProxyManager, run: Any) -> None:
    base = "flyte://v1/flytesnacks/development/run1"
    assert get_data(proxy, f"{base}/n0/i").literal_map == literal_map(x=1)
    assert get_data(proxy, f"{base}/n0/o").literal_map == literal_map(y=2, z="zz")
    assert get_data(proxy, f"{base}/n0/o/z").literal == literal_map(z="zz").literals["z"]
    assert get_data(proxy, f"{base}/n0/1/o/y").literal == literal_map(y=2).literals["y"]
    assert get_data(proxy, f"{base}/n0/1/i").literal_map == literal_map(x=1)
    assert get_data(proxy, f"{base}/n0/0/o").literal_map == literals_pb2.LiteralMap()  # the failed attempt
    deck = get_data(proxy, f"{base}/n0/d")
    assert deck.WhichOneof("data") == "pre_signed_urls"
    assert deck.pre_signed_urls.signed_url[0].startswith("http://127.0.0.1:9/data/decks/run1/n0/deck.html?")

    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        f'name [nope] not found in node execution [node_id:"n0" execution_id:{{{WID_TEXT}}}]',
        get_data,
        proxy,
        f"{base}/n0/o/nope",
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        'name [nope] not found in task execution [task_id:{resource_type:TASK project:"flytesnacks" '
        f'domain:"development" name:"my_task" version:"v1"}} node_execution_id:{{node_id:"n0" '
        f"execution_id:{{{WID_TEXT}}}}} retry_attempt:1]",
        get_data,
        proxy,
        f"{base}/n0/1/o/nope",
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "deck type cannot be specified with a retry attempt, just use the node instead",
        get_data,
        proxy,
        f"{base}/n0/1/d",
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        f'no task executions were listed [node_execution_id:{{node_id:"n0" execution_id:{{{WID_TEXT}}}}} '
        "retry_attempt:4]. Error: <nil>",
        get_data,
        proxy,
        f"{base}/n0/4/i",
    )
    fails(
        grpc.StatusCode.NOT_FOUND,
        f'missing entity of type node execution with identifier node_id:"zz" execution_id:{{{WID_TEXT}}}',
        get_data,
        proxy,
        f"{base}/zz/i",
    )


def test_get_data_url_validation(proxy: DataProxyManager) -> None:
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "failed to validate resolve artifact request. Error: source is required. Provided empty string",
        get_data,
        proxy,
        "",
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "failed to validate resolve artifact request. Error: request does not start with the correct prefix",
        get_data,
        proxy,
        "s3://bucket/key",
    )
    for bad in ("flyte://v1/p/d/e/n", "flyte://v1/p/d/e/n/x", "flyte://v1/p/d/e/n/d/name", "flyte://v1/p/d/e/n.1/i"):
        fails(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"failed to parse artifact url Error: failed to parse [{bad}]",
            get_data,
            proxy,
            bad,
        )


def test_flyte_url_grammar() -> None:
    parsed = parse_flyte_url("flyte://v1/p/d/e/n0-dn1/3/o/out_0")
    assert (parsed.node_execution_id.node_id, parsed.attempt, parsed.io_type, parsed.literal_name) == (
        "n0-dn1",
        3,
        "o",
        "out_0",
    )
    assert parse_flyte_url("flyte://v1/p/d/e/n/i").attempt is None
    assert parse_flyte_url("flyte://v1/p/d/e/n/o/i").literal_name == "i"
    assert parse_flyte_url("flyte://v1/p/d/e/n/4294967297/i").attempt == 1  # kept as a uint32, as Flyte Admin does


def test_create_download_link(proxy: DataProxyManager, run: Any) -> None:
    link = proxy.create_download_link(
        dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK,
            node_execution_id=node_id(run, "n0"),
            expires_in=duration_pb2.Duration(seconds=60),
        )
    )
    assert len(link.signed_url) == 1
    assert link.pre_signed_urls.signed_url == link.signed_url
    assert link.pre_signed_urls.expires_at == link.expires_at
    assert link.signed_url[0].startswith("http://127.0.0.1:9/data/decks/run1/n0/deck.html?")

    def request(**fields: Any) -> dataproxy_pb2.CreateDownloadLinkRequest:
        fields.setdefault("artifact_type", dataproxy_pb2.ARTIFACT_TYPE_DECK)
        return dataproxy_pb2.CreateDownloadLinkRequest(**fields)

    fails(
        grpc.StatusCode.NOT_FOUND,
        "no deckUrl found for request [artifact_type:ARTIFACT_TYPE_DECK expires_in:{seconds:3600} "
        f'node_execution_id:{{node_id:"n2" execution_id:{{{WID_TEXT}}}}}]',
        proxy.create_download_link,
        request(node_execution_id=node_id(run, "n2")),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        f'failed to find node execution [node_id:"zz" execution_id:{{{WID_TEXT}}}]. Error: missing entity of type '
        f'node execution with identifier node_id:"zz" execution_id:{{{WID_TEXT}}}',
        proxy.create_download_link,
        request(node_execution_id=node_id(run, "zz")),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "error while validating request. Error: invalid artifact type [ARTIFACT_TYPE_UNDEFINED]",
        proxy.create_download_link,
        request(artifact_type=dataproxy_pb2.ARTIFACT_TYPE_UNDEFINED, node_execution_id=node_id(run, "n0")),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "error while validating request. Error: source is required. Provided nil",
        proxy.create_download_link,
        request(),
    )
    fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        "error while validating request. Error: expiresIn is invalid. Error: input duration [2h0m0s] cannot exceed "
        "max allowed expiration [1h0m0s]",
        proxy.create_download_link,
        request(node_execution_id=node_id(run, "n0"), expires_in=duration_pb2.Duration(seconds=7200)),
    )


def test_a_deck_that_is_gone_is_not_found(ctx: AdminContext, proxy: DataProxyManager) -> None:
    run = insert_execution(ctx.store, "run2")
    recorder = EventRecorder(ctx)
    recorder.record_node_event(node_event(run, "n0", NODE.RUNNING, 1, deck_uri="file:///nowhere/deck.html"))
    fails(
        grpc.StatusCode.NOT_FOUND,
        "object not found",
        proxy.create_download_link,
        dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=node_id(run, "n0")
        ),
    )


# --- the listing entities of runs ------------------------------------------------------------------------------


def test_execution_filters_reach_tags_launch_plans_and_admin_tags(ctx: AdminContext) -> None:
    for name in ("tagged", "plain"):
        insert_execution(ctx.store, name)
    with ctx.store.begin() as conn:
        for key, value in (("team", "ml"), ("nightly", "")):
            conn.execute(
                insert(xs.execution_tags).values(
                    execution_project="flytesnacks",
                    execution_domain="development",
                    execution_name="tagged",
                    key=key,
                    value=value,
                    created_at=moment(0),
                    updated_at=moment(0),
                )
            )

    def matching(filters: str) -> list[str]:
        query, _ = listing.apply_filters(select(xs.executions.c.execution_name), filters, "execution")
        with ctx.store.read() as conn:
            return sorted(row[0] for row in conn.execute(query))

    assert matching("value_in(execution_tag.key,team)") == ["tagged"]
    assert matching("eq(execution_tag.key,team)+eq(execution_tag.value,ml)") == ["tagged"]
    assert matching("eq(execution_tag.key,team)+eq(execution_tag.value,nightly)") == []  # one tag with both
    assert matching("eq(admin_tag.name,nightly)") == ["tagged"]
    assert matching("eq(launch_plan.name,lp)") == []  # these rows name no launch plan row
    assert matching("eq(phase,UNDEFINED)+eq(execution_name,plain)") == ["plain"]
    for filters, message in (
        ("eq(name,x)", "'e.name' is invalid filter"),
        ("eq(execution_admin_tag.name,x)", "'eat' entity is not allowed in filters"),
        ("eq(node_execution.phase,x)", "'ne' entity is not allowed in filters"),
        ("eq(admin_tag.key,x)", "'at.key' is invalid filter"),
    ):
        fails(grpc.StatusCode.INVALID_ARGUMENT, message, matching, filters)
