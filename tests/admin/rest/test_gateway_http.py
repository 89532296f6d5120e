"""The gateway over loopback HTTP, without auth: statuses of failed calls, routing errors, malformed and oversized
requests, and the protobuf and default (wildcard) bodies."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest
from flyteidl.admin import project_pb2
from tests.rest_support import serve_gateway

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.rest.errors import HTTP_STATUS, http_status

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    with AdminServer(config=AdminConfig(seed_projects=("flytesnacks",), max_message_bytes=4096)) as server:
        yield server


@pytest.fixture(scope="module")
def api(admin: AdminServer) -> Iterator[str]:
    served = serve_gateway(admin)
    yield next(served).base + "/api/v1"
    served.close()


def test_http_status_follows_grpc_gateway_for_every_code() -> None:
    expected = {
        "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
        "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401,
        "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400,
        "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503, "DATA_LOSS": 500,
    }  # fmt: skip
    assert {code.name: http_status(code) for code in grpc.StatusCode} == expected
    assert set(HTTP_STATUS) == set(grpc.StatusCode)


def test_a_missing_entity_is_404_with_the_status_body(api: str, http: httpx.Client) -> None:
    reply = http.get(f"{api}/tasks/flytesnacks/development/nope/v1", headers=JSON)
    assert reply.status_code == 404
    body = reply.json()
    assert body["code"] == grpc.StatusCode.NOT_FOUND.value[0] and body["details"] == []
    assert "nope" in body["message"]


def test_a_duplicate_registration_is_409(api: str, http: httpx.Client) -> None:
    project = {"project": {"id": "dup", "name": "dup"}}
    assert http.post(f"{api}/projects", json=project, headers=JSON).status_code == 200
    reply = http.post(f"{api}/projects", json=project, headers=JSON)
    assert reply.status_code == 409 and reply.json()["code"] == grpc.StatusCode.ALREADY_EXISTS.value[0]


def test_an_invalid_request_is_400_with_the_admins_message(api: str, http: httpx.Client) -> None:
    reply = http.get(f"{api}/tasks/flytesnacks/development", headers=JSON)  # ListTasks needs a limit
    assert reply.status_code == 400
    assert reply.json()["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0] and "limit" in reply.json()["message"]


def test_unknown_paths_and_methods_are_routing_errors(api: str, http: httpx.Client) -> None:
    for path in ("/no_such_thing", "/tasks/a/b/c/d/e", ""):
        reply = http.get(api + path, headers=JSON)
        assert (reply.status_code, reply.json()) == (404, {"code": 5, "message": "Not Found", "details": []}), path
    reply = http.patch(f"{api}/tasks/flytesnacks/development/x/v1", headers=JSON)
    assert (reply.status_code, reply.json()) == (501, {"code": 12, "message": "Method Not Allowed", "details": []})
    for method, path in (("DELETE", "/projects"), ("GET", "/tasks"), ("POST", "/version")):
        reply = http.request(method, api + path, headers=JSON)
        assert (reply.status_code, reply.json()["code"]) == (501, 12), path


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=ten", "limit"),
        ("limit=1&limit=2", "limit"),
        ("limit=5&sort_by.direction=SIDEWAYS", "sort_by.direction"),
        ("limit=-1", "limit"),
        ("limit=5&sort_by=key", "sort_by"),
    ],
)
def test_a_malformed_query_is_400_naming_the_field(api: str, http: httpx.Client, query: str, field: str) -> None:
    reply = http.get(f"{api}/tasks/flytesnacks/development?{query}", headers=JSON)
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == 3 and f'"{field}"' in reply.json()["message"]


def test_a_malformed_path_value_is_400_naming_the_parameter(api: str, http: httpx.Client) -> None:
    reply = http.get(f"{api}/named_entities/BANANA/flytesnacks/development/x", headers=JSON)
    assert reply.status_code == 400 and "parameter: resource_type" in reply.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"project": {"idd": "x"}}', "idd"),
        (b'{"project": {"id": 7}}', "id"),
        (b'{"project": {"state": "GONE"}}', "state"),
        (b'{"project": ', "JSON"),
        (b"\xff", "UTF-8"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(api: str, http: httpx.Client, body: bytes, field: str) -> None:
    reply = http.post(f"{api}/projects", content=body, headers={**JSON, "Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == 3 and field in reply.json()["message"]


def test_unknown_body_fields_are_ignored_by_the_default_marshaler(api: str, http: httpx.Client) -> None:
    # grpc-gateway's wildcard marshaler (no JSON Content-Type) discards unknown fields; flyteadmin's JSON one refuses.
    body = b'{"project": {"id": "lenient", "name": "lenient", "extra": 1}}'
    assert http.post(f"{api}/projects", content=body, headers={"Content-Type": "text/plain"}).status_code == 200


def test_an_oversized_body_is_refused_before_it_is_read(api: str, http: httpx.Client) -> None:
    body = b'{"project": {"id": "big", "description": "' + b"x" * 20_000 + b'"}}'
    reply = http.post(f"{api}/projects", content=body, headers={**JSON, "Content-Type": "application/json"})
    assert reply.status_code == 429
    assert reply.json()["code"] == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    assert "larger than max" in reply.json()["message"]


def test_a_body_whose_message_exceeds_the_grpc_limit_is_refused(api: str, http: httpx.Client) -> None:
    # Under the body limit (twice the message limit) as JSON, over the message limit once decoded.
    body = b'{"project": {"id": "big", "description": "' + b"x" * 5000 + b'"}}'
    reply = http.post(f"{api}/projects", content=body, headers={**JSON, "Content-Type": "application/json"})
    assert reply.status_code == 429 and "(5" in reply.json()["message"]


def test_a_chunked_oversized_body_is_refused(api: str, http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 1024

    reply = http.post(f"{api}/projects", content=chunks(), headers={**JSON, "Content-Type": "application/json"})
    assert reply.status_code == 429


def test_protobuf_bodies_both_ways(admin: AdminServer, api: str, http: httpx.Client) -> None:
    request = project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="binary", name="binary"))
    headers = {"Content-Type": "application/octet-stream"}
    reply = http.post(f"{api}/projects", content=request.SerializeToString(), headers=headers)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/octet-stream"
    assert project_pb2.ProjectRegisterResponse.FromString(reply.content) == project_pb2.ProjectRegisterResponse()
    reply = http.get(f"{api}/projects/binary", headers={"Accept": "application/octet-stream"})
    assert project_pb2.Project.FromString(reply.content).name == "binary"
    reply = http.get(f"{api}/projects/none", headers={"Accept": "application/octet-stream"})
    assert reply.status_code == 404
    from google.rpc import status_pb2

    assert status_pb2.Status.FromString(reply.content).code == grpc.StatusCode.NOT_FOUND.value[0]
    reply = http.post(f"{api}/projects", content=b"\x0a\xff", headers=headers)
    assert reply.status_code == 400 and b"ProjectRegisterRequest" in reply.content


def test_without_accept_or_content_type_the_default_marshaler_writes_camel_case(api: str, http: httpx.Client) -> None:
    reply = http.get(f"{api}/task_ids/flytesnacks/development?limit=3")
    assert reply.status_code == 200 and reply.json() == {"entities": [], "token": ""}
    reply = http.get(f"{api}/projects/flytesnacks")
    assert "labels" in reply.json() and "state" in reply.json()
    reply = http.get(f"{api}/domains")
    assert "domains" in reply.json()
    reply = http.get(f"{api}/version")
    assert "controlPlaneVersion" in reply.json()
    assert "control_plane_version" in http.get(f"{api}/version", headers=JSON).json()


def test_without_auth_the_auth_services_are_unimplemented(api: str, http: httpx.Client) -> None:
    base = api.removesuffix("/api/v1")
    for path in ("/.well-known/oauth-authorization-server", "/config/v1/flyte_client", "/me"):
        reply = http.get(base + path, headers=JSON)
        assert reply.status_code == 501 and reply.json()["code"] == 12, path
    assert http.get(f"{base}/login").status_code == 404  # no browser login without auth


def test_rest_calls_reach_the_same_rpcs(admin: AdminServer, api: str, http: httpx.Client) -> None:
    before = admin.calls["GetProject"]
    http.get(f"{api}/projects/flytesnacks", headers=JSON)
    assert admin.calls["GetProject"] == before + 1


def test_identifiers_with_escapes_in_the_path(api: str, http: httpx.Client) -> None:
    reply = http.get(f"{api}/tasks/flytesnacks/development/a%20b/v%31", headers=JSON)
    assert reply.status_code == 404 and "a b" in reply.json()["message"]


@pytest.mark.parametrize(
    "target",
    [
        "/tasks/flytesnacks/development?limit=99999999999999999999",
        "/tasks/flytesnacks/development?limit=5&.=x&..=y&[=z&]=w&a[=1&[]=2",
        "/tasks/flytesnacks/development?limit=5&sort_by.direction=",
        "/tasks/flytesnacks/development?limit=5&sort_by..key=x&id..name=y",
        "/tasks/flytesnacks/development?limit=5&id.project=other",  # bound by the path: skipped
        "/tasks/%zz/development/x/v1",
        "/tasks/flytesnacks/development/a%2Fb/v1",
        "/tasks/flytesnacks/development/%F0%9F%92%A5/v%00",
        "/tasks/flytesnacks/development?limit=5&filters=" + "eq(" * 500,
        "/tasks/flytesnacks/development?limit=5&token=%FF%FE",
        "/executions/flytesnacks/development/x?%=1",
        "/named_entities/99/flytesnacks/development/x",
        "/projects/" + "p" * 10000,
    ],
)
def test_hostile_requests_are_never_the_admins_fault(api: str, http: httpx.Client, target: str) -> None:
    reply = http.get(api + target, headers=JSON)
    assert reply.status_code < 500, reply.text
    assert reply.headers["content-type"] == "application/json"
    assert set(reply.json()) >= ({"code", "message", "details"} if reply.status_code != 200 else set())
