"""The gateway's marshalling and transcoding, message by message (no HTTP): JSON as Go's protojson writes it with
flyteadmin's options, and path/query values as grpc-gateway v2 parses them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, tasks_pb2
from flyteidl.event import event_pb2
from google.protobuf import any_pb2, duration_pb2, timestamp_pb2
from google.rpc import status_pb2

from flyteplane.admin.rest.marshal import JSON, PROTO, WILDCARD, marshalers_for, to_json_value
from flyteplane.admin.rest.routes import PathTemplate, RestRoute
from flyteplane.admin.rest.transcode import TranscodeError, build_request


# -- marshalling ------------------------------------------------------------------------------------------------
def test_unpopulated_fields_are_written_as_go_writes_them() -> None:
    document = to_json_value(tasks_pb2.TaskMetadata())
    assert document["discoverable"] is False  # proto3 scalar: its zero value
    assert document["discovery_version"] == ""
    assert document["runtime"] is None  # unset message: null
    assert document["timeout"] is None
    assert document["tags"] == {}  # map
    assert document["cache_ignore_input_vars"] == []  # list
    assert "interruptible" not in document  # an unset oneof member is left out
    assert list(document)[:3] == ["discoverable", "runtime", "timeout"]  # declaration order


def test_populated_fields_keep_their_json_forms() -> None:
    metadata = tasks_pb2.TaskMetadata(
        timeout=duration_pb2.Duration(seconds=90), interruptible=True, tags={"a": "b"}, retries={"retries": 3}
    )
    document = to_json_value(metadata)
    assert document["timeout"] == "90s"
    assert document["interruptible"] is True
    assert document["tags"] == {"a": "b"}
    assert document["retries"] == {"retries": 3}
    event = event_pb2.WorkflowExecutionEvent(phase=core_execution_pb2.WorkflowExecution.RUNNING)
    event.occurred_at.FromSeconds(0)
    document = to_json_value(event)
    assert document["phase"] == "RUNNING"  # enums by name
    assert document["occurred_at"] == "1970-01-01T00:00:00Z"
    assert document["execution_id"] is None
    assert not {"output_uri", "error", "output_data"} & set(document)


def test_int64_is_a_string_and_nested_lists_are_completed() -> None:
    closure = execution_pb2.ExecutionList(
        executions=[execution_pb2.Execution(id=identifier_pb2.WorkflowExecutionIdentifier(name="a"))]
    )
    document = to_json_value(closure)
    execution = document["executions"][0]
    assert execution["spec"] is None and execution["closure"] is None
    assert execution["id"] == {"project": "", "domain": "", "name": "a", "org": ""}
    limits = to_json_value(common_pb2.Sort(key="k"))
    assert limits == {"key": "k", "direction": "DESCENDING"}
    assert to_json_value(execution_pb2.ExecutionMetadata(nesting=3))["nesting"] == 3
    assert to_json_value(common_pb2.UrlBlob(bytes=2**40))["bytes"] == str(2**40)


def test_status_details_are_any_with_their_fields() -> None:
    packed = any_pb2.Any()
    packed.Pack(identifier_pb2.WorkflowExecutionIdentifier(name="x"))
    document = to_json_value(status_pb2.Status(code=6, message="exists", details=[packed]))
    assert document == {
        "code": 6,
        "message": "exists",
        "details": [
            {
                "@type": "type.googleapis.com/flyteidl.core.WorkflowExecutionIdentifier",
                "project": "",
                "domain": "",
                "name": "x",
                "org": "",
            }
        ],
    }
    assert to_json_value(status_pb2.Status(code=5)) == {"code": 5, "message": "", "details": []}


def test_wildcard_writes_camel_case_and_json_snake_case() -> None:
    event = event_pb2.WorkflowExecutionEvent(producer_id="p")
    assert b'"producerId":"p"' in WILDCARD.encode(event)
    assert b'"producer_id":"p"' in JSON.encode(event)
    assert PROTO.encode(event) == event.SerializeToString()


@pytest.mark.parametrize(
    ("headers", "inbound", "outbound"),
    [
        ({}, WILDCARD, WILDCARD),
        ({"accept": "application/json"}, WILDCARD, JSON),
        ({"content-type": "application/json; charset=utf-8"}, JSON, JSON),
        ({"content-type": "application/octet-stream"}, PROTO, PROTO),
        ({"accept": "application/octet-stream", "content-type": "application/json"}, JSON, PROTO),
        ({"accept": "application/json, text/plain"}, WILDCARD, WILDCARD),  # Accept is matched exactly
    ],
)
def test_marshalers_are_picked_as_grpc_gateway_picks_them(headers: dict[str, str], inbound: Any, outbound: Any) -> None:
    assert marshalers_for(headers) == (inbound, outbound)


# -- transcoding ------------------------------------------------------------------------------------------------
def route_of(message_class: Any, template: str, body: str = "", verb: str = "GET") -> RestRoute:
    method = SimpleNamespace(input_type=message_class.DESCRIPTOR, output_type=message_class.DESCRIPTOR)
    return RestRoute("test.Service", "Call", verb, PathTemplate.parse(template), body, "Service_Call", method)


TASK_METADATA = route_of(tasks_pb2.TaskMetadata, "/m/{runtime.version}")


def transcode(
    route: RestRoute, path: dict[tuple[str, ...], str], query: list[tuple[str, str]], body: bytes = b""
) -> Any:
    return build_request(route, path, query, body, JSON)


def test_query_sets_nested_repeated_map_and_well_known_fields() -> None:
    request = transcode(
        TASK_METADATA,
        {("runtime", "version"): "1.2%2F3"},
        [
            ("timeout", "1.5s"),
            ("generates_deck", "true"),
            ("cacheIgnoreInputVars", "a"),  # a JSON name works too
            ("cache_ignore_input_vars", "b"),
            ("tags[team]", "ml"),
            ("retries.retries", "+4"),
            ("runtime.type", "1"),  # an enum by number
            ("interruptible", "T"),
            ("no_such_field", "ignored"),
        ],
    )
    assert request.runtime.version == "1.2/3"
    assert request.timeout == duration_pb2.Duration(seconds=1, nanos=500_000_000)
    assert request.generates_deck.value is True
    assert list(request.cache_ignore_input_vars) == ["a", "b"]
    assert dict(request.tags) == {"team": "ml"}
    assert request.retries.retries == 4
    assert request.runtime.type == tasks_pb2.RuntimeMetadata.FLYTE_SDK
    assert request.interruptible is True


def test_a_path_variable_wins_over_the_query() -> None:
    request = transcode(TASK_METADATA, {("runtime", "version"): "path"}, [("runtime.version", "query")])
    assert request.runtime.version == "path"


def test_timestamps_and_enums_by_name_from_the_query() -> None:
    route = route_of(event_pb2.WorkflowExecutionEvent, "/e")
    request = transcode(route, {}, [("occurred_at", "2024-01-02T03:04:05.5Z"), ("phase", "SUCCEEDED")])
    expected = timestamp_pb2.Timestamp()
    expected.FromJsonString("2024-01-02T03:04:05.5Z")
    assert request.occurred_at == expected
    assert request.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED


@pytest.mark.parametrize(
    ("query", "field", "problem"),
    [
        ([("timeout", "soon")], "timeout", "Duration"),
        ([("retries.retries", "three")], "retries.retries", "not an integer"),
        ([("retries.retries", "4294967296")], "retries.retries", "out of range"),
        ([("discoverable", "yes")], "discoverable", "not a boolean"),
        ([("runtime.type", "PYTHON")], "runtime.type", "not a valid flyteidl.core.RuntimeMetadata.RuntimeType"),
        ([("runtime.type", "7")], "runtime.type", "not a valid"),
        ([("discovery_version", "a"), ("discovery_version", "b")], "discovery_version", "too many values"),
        ([("runtime", "x")], "runtime", "unsupported message type"),
        ([("discoverable.x", "1")], "discoverable.x", "is not a message"),
        ([("tags[a]", "b"), ("tags[a]", "c")], "tags", "one key and one value"),
    ],
)
def test_a_query_value_that_does_not_fit_names_its_field(
    query: list[tuple[str, str]], field: str, problem: str
) -> None:
    with pytest.raises(TranscodeError) as caught:
        transcode(TASK_METADATA, {("runtime", "version"): "v"}, query)
    assert f'parsing field "{field}"' in str(caught.value) and problem in str(caught.value)


def test_oneof_members_cannot_both_be_set() -> None:
    route = route_of(event_pb2.WorkflowExecutionEvent, "/e")
    with pytest.raises(TranscodeError, match="oneof"):
        transcode(route, {}, [("output_uri", "s3://x"), ("error.code", "E")])


def test_a_path_value_that_does_not_fit_names_the_parameter() -> None:
    route = route_of(common_pb2.NamedEntityGetRequest, "/n/{resource_type}/{id.project}")
    request = transcode(route, {("resource_type",): "WORKFLOW", ("id", "project"): "p"}, [])
    assert request.resource_type == identifier_pb2.WORKFLOW and request.id.project == "p"
    with pytest.raises(TranscodeError, match="type mismatch, parameter: resource_type"):
        transcode(route, {("resource_type",): "BANANA", ("id", "project"): "p"}, [])


def test_body_star_reads_the_whole_message_and_skips_the_query() -> None:
    route = route_of(common_pb2.NamedEntityGetRequest, "/n/{id.project}", body="*", verb="POST")
    body = b'{"resource_type": "TASK", "id": {"project": "body", "domain": "d"}}'
    request = transcode(route, {("id", "project"): "path"}, [("id.domain", "query")], body)
    assert (request.resource_type, request.id.project, request.id.domain) == (identifier_pb2.TASK, "path", "d")
    assert transcode(route, {("id", "project"): "p"}, [], b"") == common_pb2.NamedEntityGetRequest(
        id=common_pb2.NamedEntityIdentifier(project="p")
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"idd": {}}', "idd"),
        (b'{"id": {"project": 5}}', "project"),
        (b'{"resource_type": "BANANA"}', "resource_type"),
        (b"not json", "JSON"),
        (b"\xff\xfe", "UTF-8"),
        (b"[" * 100_000, ""),
    ],
)
def test_a_body_that_does_not_fit_is_refused_naming_the_problem(body: bytes, problem: str) -> None:
    route = route_of(common_pb2.NamedEntityGetRequest, "/n", body="*", verb="POST")
    with pytest.raises(TranscodeError) as caught:
        transcode(route, {}, [], body)
    assert problem in str(caught.value)


def test_a_named_body_field_reads_that_field() -> None:
    route = route_of(common_pb2.NamedEntityGetRequest, "/n/{resource_type}", body="id", verb="POST")
    request = transcode(route, {("resource_type",): "3"}, [("id.project", "ignored")], b'{"project": "p"}')
    assert request.id.project == "p" and request.resource_type == identifier_pb2.LAUNCH_PLAN


def test_json_bodies_are_reused_for_equal_messages_and_bounded() -> None:
    from flyteplane.admin.rest.marshal import _BodyCache

    first = event_pb2.WorkflowExecutionEvent(producer_id="a")
    assert JSON.encode(first) == JSON.encode(event_pb2.WorkflowExecutionEvent(producer_id="a"))
    assert b'"producer_id":"b"' in JSON.encode(event_pb2.WorkflowExecutionEvent(producer_id="b"))
    assert b'"producerId":"a"' in WILDCARD.encode(first)  # the key holds the marshaler's naming
    cache = _BodyCache(max_bytes=100, max_entry_bytes=60)
    cache.put(("t", True, b"k1"), b"x" * 40)
    cache.put(("t", True, b"k2"), b"y" * 40)
    cache.put(("t", True, b"big"), b"z" * 70)  # larger than an entry may be: not kept
    assert cache.get(("t", True, b"k1")) == b"x" * 40  # 84 bytes held; k1 is now the most recent
    cache.put(("t", True, b"k3"), b"w" * 40)  # 126 bytes: the least recent (k2) goes
    assert cache.get(("t", True, b"k2")) is None
    assert cache.get(("t", True, b"k1")) == b"x" * 40 and cache.get(("t", True, b"k3")) == b"w" * 40
    assert cache.get(("t", True, b"big")) is None
