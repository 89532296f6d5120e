"""A revoked access token stays revoked when the admin restarts (revocations live in its database).

Real OAuth2 over HTTP (client credentials, RFC 7009 revocation) and real gRPC calls, across two admin processes'
lifetimes on one state directory (in-process servers, started one after the other).
"""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

import grpc
import pytest
from flyteidl.admin import project_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig

SECRET = "revocation-test-secret"


def _post(admin: AdminServer, path: str, fields: dict[str, str]) -> tuple[int, bytes]:
    basic = base64.b64encode(f"flytepropeller:{quote_plus(SECRET)}".encode()).decode()
    request = urllib.request.Request(
        admin.http_endpoint + path,
        data=urlencode(fields).encode(),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def _token(admin: AdminServer) -> str:
    status, body = _post(admin, "/oauth2/token", {"grant_type": "client_credentials", "scope": "all"})
    assert status == 200
    return str(json.loads(body)["access_token"])


def _list_projects(admin: AdminServer, token: str) -> Any:
    stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    return stub.ListProjects(
        project_pb2.ProjectListRequest(), metadata=[("authorization", f"Bearer {token}")], timeout=10
    )


def test_a_revoked_access_token_stays_revoked_after_a_restart(tmp_path: Path, free_port: int) -> None:
    config = AuthConfig.self_issued(SECRET)
    with AdminServer(state_dir=tmp_path, http_port=free_port, auth=config) as first:
        revoked, kept = _token(first), _token(first)
        assert _list_projects(first, revoked).projects
        status, _ = _post(first, "/oauth2/revoke", {"token": revoked, "token_type_hint": "access_token"})
        assert status == 200
        with pytest.raises(grpc.RpcError) as before:
            _list_projects(first, revoked)
        assert before.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    with AdminServer(state_dir=tmp_path, http_port=free_port, auth=config) as second:
        with pytest.raises(grpc.RpcError) as after:
            _list_projects(second, revoked)
        error: Any = after.value
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "revoked" in error.details()
        assert _list_projects(second, kept).projects  # the signing key survived too: only the revoked one is refused
    # Only a digest of the token's id is stored, never the token.
    database = b"".join(p.read_bytes() for p in tmp_path.glob("admin.db*"))
    assert revoked.encode() not in database
