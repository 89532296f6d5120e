"""The admin with auth on, end to end over real gRPC and HTTP.

Every grant is driven over HTTP with urllib, as a CLI would: PKCE by following the authorize redirect to a local
callback server, the device flow approved on its verification page, client credentials, refresh tokens and their
revocation. Every rejection of a gRPC call is UNAUTHENTICATED with a message that names the problem and never the
token. External-issuer mode validates tokens against a JWKS served by a small local identity provider.
flytekit's own client, in ClientSecret mode, is the peer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import grpc
import pytest
from flyteidl.admin import project_pb2
from flyteidl.service import (
    admin_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    dataproxy_pb2,
    dataproxy_pb2_grpc,
    identity_pb2,
    identity_pb2_grpc,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc
from joserfc import jwt
from joserfc.jwk import RSAKey

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig, ClientRegistration, mint_token
from flyteplane.admin.auth.keys import SigningKey
from flyteplane.admin.auth.tokens import sign_access_token

SECRET = "s3cr3t+with/odd=chars"  # flytekit sends quote_plus(secret) in HTTP Basic; the admin must undo it
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


# -- helpers -----------------------------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_no_redirect = urllib.request.build_opener(_NoRedirect)


def _basic(client_id: str, secret: str) -> str:
    from urllib.parse import quote_plus

    return "Basic " + base64.b64encode(f"{client_id}:{quote_plus(secret)}".encode()).decode()


def _http(
    url: str,
    fields: dict[str, str] | None = None,
    *,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    follow: bool = True,
) -> tuple[int, bytes, Any]:
    """(status, body, headers) of a GET, or of a form POST when ``fields`` is given."""
    data = urlencode(fields).encode() if fields is not None else None
    all_headers = dict(headers or {})
    if data is not None:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    opener = urllib.request.build_opener() if follow else _no_redirect
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def _token_request(admin: AdminServer, fields: dict[str, str], basic: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": basic} if basic else {}
    status, body, _ = _http(admin.http_endpoint + "/oauth2/token", fields, headers=headers)
    return status, json.loads(body)


def _client_credentials(admin: AdminServer, secret: str = SECRET) -> str:
    status, body = _token_request(
        admin, {"grant_type": "client_credentials", "scope": "all"}, _basic("flytepropeller", secret)
    )
    assert status == 200, body
    return str(body["access_token"])


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _stub(admin: AdminServer) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))


def _list_projects(admin: AdminServer, metadata: list[tuple[str, str]] | None = None) -> project_pb2.Projects:
    return _stub(admin).ListProjects(project_pb2.ProjectListRequest(), metadata=metadata or [], timeout=10)


def _bearer(token: str, key: str = "flyte-authorization") -> list[tuple[str, str]]:
    return [(key, f"Bearer {token}")]


def _rejection(admin: AdminServer, metadata: list[tuple[str, str]] | None) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        _list_projects(admin, metadata)
    return caught.value


class _Callback:
    """A CLI's localhost callback: records the query of the one redirect it receives."""

    def __init__(self) -> None:
        self.queries: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.queries.append(parse_qs(urlsplit(self.path).query))
                body = b"logged in; you can close this page"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callback() -> Iterator[_Callback]:
    cb = _Callback()
    yield cb
    cb.close()


def _authorize_url(admin: AdminServer, redirect_uri: str, challenge: str | None, **extra: str) -> str:
    params = {"response_type": "code", "client_id": "flytectl", "redirect_uri": redirect_uri, "scope": "all offline"}
    params["state"] = extra.pop("state", "st-" + secrets.token_hex(4))
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return f"{admin.http_endpoint}/oauth2/authorize?{urlencode(params)}"


def _pkce_login(admin: AdminServer, callback: _Callback) -> dict[str, Any]:
    """The whole PKCE flow, as flytekit's AuthorizationClient runs it: tokens for ``default_user``."""
    verifier, challenge = _pkce_pair()
    status, _, _ = _http(_authorize_url(admin, callback.url, challenge, state="xyz"))
    assert status == 200  # the callback's own answer: the redirect was followed
    query = callback.queries[-1]
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    status, body = _token_request(
        admin,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback.url,
            "client_id": "flytectl",
            "code_verifier": verifier,
        },
    )
    assert status == 200, body
    body["_code"] = code
    return body


def _device_start(admin: AdminServer, client_id: str = "flytectl") -> dict[str, Any]:
    status, body, _ = _http(
        admin.http_endpoint + "/oauth2/device/authorize", {"client_id": client_id, "scope": "all offline"}
    )
    assert status == 200, body
    return dict(json.loads(body))


def _device_poll(admin: AdminServer, device_code: str) -> tuple[int, dict[str, Any]]:
    return _token_request(admin, {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": "flytectl"})


def _verify_page(admin: AdminServer, user_code: str) -> tuple[int, str, str]:
    """(status, page, anti-forgery token) of the verification page for ``user_code``."""
    status, body, _ = _http(f"{admin.http_endpoint}/oauth2/device/verify?{urlencode({'user_code': user_code})}")
    page = body.decode()
    found = re.search(r"name='csrf' value='([0-9a-f]+)'", page)
    return status, page, found.group(1) if found else ""


def _device_login(admin: AdminServer) -> dict[str, Any]:
    """The device flow approved on its page as the default user; the token response."""
    started = _device_start(admin)
    _, _, csrf = _verify_page(admin, started["user_code"])
    status, _, _ = _http(
        admin.http_endpoint + "/oauth2/device/verify",
        {"user_code": started["user_code"], "csrf": csrf, "action": "approve"},
    )
    assert status == 200
    status, body = _device_poll(admin, started["device_code"])
    assert status == 200, body
    return body


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    config = AuthConfig.self_issued(SECRET, default_user="alice", device_poll_interval=1)
    with AdminServer(auth=config) as server:
        yield server


# -- anonymous services ------------------------------------------------------------------------------------------
def test_health_reflection_and_auth_metadata_need_no_token(admin: AdminServer) -> None:
    channel = grpc.insecure_channel(admin.endpoint)
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="flyteadmin"), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING

    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    services = {s.name for answer in answers for s in answer.list_services_response.service}
    assert {"flyteidl.service.AuthMetadataService", "flyteidl.service.IdentityService"} <= services

    metadata_service = auth_pb2_grpc.AuthMetadataServiceStub(channel)
    metadata = metadata_service.GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest(), timeout=5)
    base = admin.http_endpoint
    assert metadata.issuer == base
    assert metadata.token_endpoint == base + "/oauth2/token"
    assert metadata.authorization_endpoint == base + "/oauth2/authorize"
    assert metadata.device_authorization_endpoint == base + "/oauth2/device/authorize"
    assert metadata.jwks_uri == base + "/oauth2/jwks"
    assert list(metadata.code_challenge_methods_supported) == ["S256"]
    assert set(metadata.grant_types_supported) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
        DEVICE_GRANT,
    }
    assert "client_secret_basic" in metadata.token_endpoint_auth_methods_supported

    client = metadata_service.GetPublicClientConfig(auth_pb2.PublicClientAuthConfigRequest(), timeout=5)
    assert client.client_id == "flytectl"
    assert client.redirect_uri == "http://localhost:53593/callback"
    assert list(client.scopes) == ["all", "offline"]
    assert client.authorization_metadata_key == "flyte-authorization"
    assert client.service_http_endpoint == base
    assert client.audience == base

    status, body, _ = _http(base + "/healthcheck")
    assert status == 200
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        status, body, _ = _http(base + path)
        assert status == 200 and json.loads(body)["token_endpoint"] == metadata.token_endpoint
    status, body, _ = _http(base + "/oauth2/jwks")
    (key,) = json.loads(body)["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key  # the public half only


def test_admin_without_auth_serves_no_auth_services() -> None:
    with AdminServer() as plain:
        channel = grpc.insecure_channel(plain.endpoint)
        with pytest.raises(grpc.RpcError) as caught:
            auth_pb2_grpc.AuthMetadataServiceStub(channel).GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest())
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert _list_projects(plain).projects  # and nothing asks for a token
        assert _http(plain.http_endpoint + "/oauth2/token", {"grant_type": "client_credentials"})[0] == 404


# -- gRPC rejections ---------------------------------------------------------------------------------------------
def _hs256_with_public_key(admin: AdminServer) -> str:
    """The classic algorithm-confusion forgery: HS256 "signed" with the server's public key."""
    assert admin.auth is not None and admin.auth.signing_key is not None
    public_pem = admin.auth.signing_key.key.as_pem(private=False)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())
    claims = {"iss": admin.auth.issuer, "aud": admin.auth.audience, "sub": "mallory", "exp": now + 600, "iat": now}
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def _unsigned(admin: AdminServer) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    assert admin.auth is not None
    claims = {"iss": admin.auth.issuer, "aud": admin.auth.audience, "sub": "mallory", "exp": int(time.time()) + 600}
    header = b64(json.dumps({"alg": "none"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "authentication required"),
        ("not bearer", "must be 'Bearer <token>'"),
        ("empty bearer", "must be 'Bearer <token>'"),
        ("malformed", "malformed"),
        ("garbage jwt", "malformed"),
        ("other key", "signature is not valid"),
        ("expired", "expired"),
        ("wrong audience", "not meant for this admin"),
        ("wrong issuer", "issued by another issuer"),
        ("hs256 confusion", "malformed or uses an unsupported algorithm"),
        ("alg none", "malformed or uses an unsupported algorithm"),
    ],
)
def test_calls_without_a_valid_token_are_unauthenticated(admin: AdminServer, case: str, expected: str) -> None:
    assert admin.auth is not None
    auth = admin.auth
    stranger = SigningKey.generate()
    tokens = {
        "missing": None,
        "not bearer": "Basic " + base64.b64encode(b"flytepropeller:" + SECRET.encode()).decode(),
        "empty bearer": "Bearer ",
        "malformed": "Bearer not-a-jwt",
        "garbage jwt": "Bearer aaa.bbb.ccc",
        "other key": "Bearer "
        + sign_access_token(
            stranger,
            issuer=auth.issuer,
            audience=auth.audience,
            subject="mallory",
            client_id="flytectl",
            scopes=["all"],
            expires_in=600,
        ),
        "expired": "Bearer " + mint_token(admin, "alice", expires_in=-120),
        "wrong audience": "Bearer " + mint_token(admin, "alice", audience="https://another-admin.example"),
        "wrong issuer": "Bearer "
        + sign_access_token(
            auth.signing_key,  # type: ignore[arg-type]
            issuer="https://somebody-else.example",
            audience=auth.audience,
            subject="mallory",
            client_id="flytectl",
            scopes=["all"],
            expires_in=600,
        ),
        "hs256 confusion": "Bearer " + _hs256_with_public_key(admin),
        "alg none": "Bearer " + _unsigned(admin),
    }
    value = tokens[case]
    before = admin.calls["ListProjects"]
    error = _rejection(admin, [("flyte-authorization", value)] if value is not None else None)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert expected in error.details()
    if value is not None:
        token = value.partition(" ")[2]
        assert not token or token not in error.details()  # the message never echoes the token
    assert admin.calls["ListProjects"] == before  # refused before any manager ran


def test_every_protected_service_needs_a_token(admin: AdminServer) -> None:
    channel = grpc.insecure_channel(admin.endpoint)
    calls = [
        lambda md: identity_pb2_grpc.IdentityServiceStub(channel).UserInfo(identity_pb2.UserInfoRequest(), metadata=md),
        lambda md: dataproxy_pb2_grpc.DataProxyServiceStub(channel).CreateUploadLocation(
            dataproxy_pb2.CreateUploadLocationRequest(project="flytesnacks", domain="development", filename_root="x"),
            metadata=md,
        ),
        lambda md: admin_pb2_grpc.AdminServiceStub(channel).GetVersion(
            __import__("flyteidl.admin.version_pb2", fromlist=["x"]).GetVersionRequest(), metadata=md
        ),
    ]
    token = mint_token(admin, "alice")
    for call in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call([])
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        call(_bearer(token))  # and the same call with a token goes through


def test_both_metadata_keys_and_any_bearer_case_work(admin: AdminServer) -> None:
    token = mint_token(admin, "alice")
    for key in ("flyte-authorization", "authorization"):
        assert _list_projects(admin, _bearer(token, key)).projects
    assert _list_projects(admin, [("authorization", f"bearer {token}")]).projects


def test_user_info_is_the_caller(admin: AdminServer, callback: _Callback) -> None:
    tokens = _pkce_login(admin, callback)
    stub = identity_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(admin.endpoint))
    info = stub.UserInfo(identity_pb2.UserInfoRequest(), metadata=_bearer(tokens["access_token"]), timeout=5)
    assert info.subject == "alice"
    assert info.preferred_username == "alice" and info.name == "alice"
    assert info.additional_claims["client_id"] == "flytectl"
    assert info.additional_claims["iss"] == admin.http_endpoint

    service = stub.UserInfo(identity_pb2.UserInfoRequest(), metadata=_bearer(_client_credentials(admin)), timeout=5)
    assert service.subject == "flytepropeller" and service.preferred_username == ""

    status, body, _ = _http(admin.http_endpoint + "/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert status == 200 and json.loads(body)["subject"] == "alice"


# -- client credentials ------------------------------------------------------------------------------------------
def test_client_credentials(admin: AdminServer) -> None:
    status, body = _token_request(
        admin, {"grant_type": "client_credentials", "scope": "all"}, _basic("flytepropeller", SECRET)
    )
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "all"
    assert "refresh_token" not in body  # RFC 6749 §4.4.3
    assert _list_projects(admin, _bearer(body["access_token"])).projects
    claims = jwt.decode(body["access_token"], admin.auth.signing_key.public_key_set).claims  # type: ignore[union-attr]
    assert claims["sub"] == "flytepropeller" and claims["client_id"] == "flytepropeller"

    # The secret in form fields works too (client_secret_post).
    status, body = _token_request(
        admin, {"grant_type": "client_credentials", "client_id": "flytepropeller", "client_secret": SECRET}
    )
    assert status == 200 and body["scope"] == "all"

    status, body = _token_request(admin, {"grant_type": "client_credentials"}, _basic("flytepropeller", "wrong"))
    assert status == 401 and body["error"] == "invalid_client"
    status, body = _token_request(admin, {"grant_type": "client_credentials", "client_id": "flytectl"})
    assert status in (400, 401) and body["error"] in ("invalid_client", "unauthorized_client")
    status, body = _token_request(admin, {"grant_type": "password", "username": "a", "password": "b"})
    assert status == 400 and body["error"] == "unsupported_grant_type"
    status, body = _token_request(
        admin, {"grant_type": "client_credentials", "scope": "root"}, _basic("flytepropeller", SECRET)
    )
    assert status == 400 and body["error"] == "invalid_scope"
    status, body = _token_request(
        admin,
        {"grant_type": "client_credentials", "audience": "https://elsewhere.example"},
        _basic("flytepropeller", SECRET),
    )
    assert status == 400 and body["error"] == "invalid_target"
    status, body = _token_request(
        admin, {"grant_type": "client_credentials", "audience": admin.http_endpoint}, _basic("flytepropeller", SECRET)
    )
    assert status == 200


def test_flytekit_client_secret_mode_lists_projects(admin: AdminServer) -> None:
    from flytekit.clients.friendly import SynchronousFlyteClient
    from flytekit.configuration import PlatformConfig

    before = admin.calls["GetOAuth2Metadata"]
    client = SynchronousFlyteClient(
        PlatformConfig(
            endpoint=admin.endpoint,
            insecure=True,
            auth_mode="ClientSecret",
            client_id="flytepropeller",
            client_credentials_secret=SECRET,
        )
    )
    projects = client.list_projects()
    assert [p.id for p in projects.projects] == ["flytesnacks"]
    assert admin.calls["GetOAuth2Metadata"] > before  # it found the token endpoint through AuthMetadataService


def test_flytekit_pkce_and_device_clients(admin: AdminServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """flytekit's own PKCE client (browser replaced by urllib) and device-code helpers against the admin."""
    import socket
    import webbrowser

    from flytekit.clients.auth import token_client
    from flytekit.clients.auth.auth_client import AuthorizationClient, _create_code_challenge, _generate_code_verifier

    assert admin.auth is not None
    metadata = admin.auth.oauth2_metadata()
    with socket.socket() as probe:
        # flytekit's PKCE client always listens on its fixed callback port.
        assert probe.connect_ex(("127.0.0.1", 53593)) != 0, "port 53593 (flytekit's callback) is in use"

    def browser(url: str, *args: Any, **kwargs: Any) -> bool:
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read(), daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open_new_tab", browser)
    verifier = _generate_code_verifier()
    client = AuthorizationClient(  # as flytekit's PKCEAuthenticator configures it
        endpoint=admin.endpoint,
        auth_endpoint=metadata["authorization_endpoint"],
        token_endpoint=metadata["token_endpoint"],
        client_id="flytectl",
        redirect_uri="http://localhost:53593/callback",
        scopes=["all", "offline"],
        audience=admin.auth.audience,
        request_auth_code_params={"code_challenge": _create_code_challenge(verifier), "code_challenge_method": "S256"},
        request_access_token_params={"code_verifier": verifier},
        refresh_access_token_params={},
        add_request_auth_code_params_to_request_access_token_params=True,
    )
    credentials = client.get_creds_from_remote()
    assert admin.auth.verify(credentials.access_token).subject == "alice" and credentials.refresh_token
    refreshed = client.refresh_access_token(credentials)
    assert admin.auth.verify(refreshed.access_token).subject == "alice"

    device = token_client.get_device_code(
        metadata["device_authorization_endpoint"], "flytectl", audience=admin.auth.audience, scope=["all", "offline"]
    )
    threading.Timer(0.5, lambda: admin.auth.approve_device(device.user_code)).start()  # type: ignore[union-attr]
    access_token, refresh_token, _ = token_client.poll_token_endpoint(
        device, metadata["token_endpoint"], "flytectl", audience=admin.auth.audience, scopes=["all", "offline"]
    )
    assert admin.auth.verify(access_token).subject == "alice" and refresh_token


# -- authorization code with PKCE --------------------------------------------------------------------------------
def test_pkce_by_following_the_redirect(admin: AdminServer, callback: _Callback) -> None:
    tokens = _pkce_login(admin, callback)
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert set(tokens["scope"].split()) == {"all", "offline"}
    assert _list_projects(admin, _bearer(tokens["access_token"])).projects

    # A code works once.
    status, body = _token_request(
        admin,
        {
            "grant_type": "authorization_code",
            "code": tokens["_code"],
            "redirect_uri": callback.url,
            "client_id": "flytectl",
            "code_verifier": "x" * 43,
        },
    )
    assert status == 400 and body["error"] == "invalid_grant"


def test_pkce_refuses_a_wrong_verifier_and_requests_without_s256(admin: AdminServer, callback: _Callback) -> None:
    verifier, challenge = _pkce_pair()
    _http(_authorize_url(admin, callback.url, challenge))
    code = callback.queries[-1]["code"][0]
    other_verifier, _ = _pkce_pair()
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback.url, "client_id": "flytectl"}
    status, body = _token_request(admin, {**fields, "code_verifier": other_verifier})
    assert status == 400 and body["error"] == "invalid_grant"
    status, body = _token_request(admin, {**fields, "code_verifier": verifier})  # the code died with the bad try
    assert status == 400 and body["error"] == "invalid_grant"

    # No PKCE, or PKCE "plain": sent back to the client with an error.
    for url in (
        _authorize_url(admin, callback.url, None, state="s1"),
        _authorize_url(admin, callback.url, None, state="s2", code_challenge=verifier, code_challenge_method="plain"),
    ):
        status, _, headers = _http(url, follow=False)
        assert status == 302
        location = urlsplit(headers["Location"])
        query = parse_qs(location.query)
        assert location.path == "/callback" and query["error"] == ["invalid_request"] and "code" not in query


def test_authorize_never_redirects_to_an_unregistered_uri(admin: AdminServer) -> None:
    _, challenge = _pkce_pair()
    for redirect in ("http://evil.example/callback", "http://localhost:1234/other", "https://localhost:53593/callback"):
        status, body, headers = _http(_authorize_url(admin, redirect, challenge), follow=False)
        assert status == 400 and "Location" not in headers, redirect
        assert json.loads(body)["error"] == "invalid_request"
    status, body, _ = _http(_authorize_url(admin, "http://localhost:53593/callback", challenge, client_id="nobody"))
    assert status == 400 and json.loads(body)["error"] == "invalid_client"


def test_pkce_login_form_with_users(callback: _Callback) -> None:
    config = AuthConfig.self_issued(SECRET, users={"bob": "correct horse"})
    with AdminServer(auth=config) as server:
        verifier, challenge = _pkce_pair()
        url = _authorize_url(server, callback.url, challenge, state="st")
        status, page, headers = _http(url)
        assert status == 200 and b"<form" in page and b"name='password'" in page
        assert headers["X-Frame-Options"] == "DENY"
        hidden = dict(re.findall(r"type='hidden' name='([^']+)' value='([^']*)'", page.decode()))
        assert hidden["code_challenge"] == challenge and hidden["client_id"] == "flytectl"

        login = server.http_endpoint + "/oauth2/authorize"
        status, page, _ = _http(login, {**hidden, "username": "bob", "password": "hunter2-bad", "action": "approve"})
        assert status == 401 and b"Wrong user name or password" in page and b"hunter2-bad" not in page
        status, _, headers = _http(login, {**hidden, "action": "deny"}, follow=False)
        assert status == 302 and parse_qs(urlsplit(headers["Location"]).query)["error"] == ["access_denied"]

        status, _, headers = _http(
            login, {**hidden, "username": "bob", "password": "correct horse", "action": "approve"}, follow=False
        )
        assert status == 302
        query = parse_qs(urlsplit(headers["Location"]).query)
        assert query["state"] == ["st"]
        status, body = _token_request(
            server,
            {
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": callback.url,
                "client_id": "flytectl",
                "code_verifier": verifier,
            },
        )
        assert status == 200
        identity = server.auth.verify(body["access_token"])  # type: ignore[union-attr]
        assert identity.subject == "bob"


# -- device code -------------------------------------------------------------------------------------------------
def test_device_flow_approved_on_its_page(admin: AdminServer) -> None:
    started = _device_start(admin)
    assert started["verification_uri"] == admin.http_endpoint + "/oauth2/device/verify"
    assert started["interval"] == 1 and started["expires_in"] == 600
    assert started["verification_uri_complete"].endswith("user_code=" + started["user_code"])

    status, body = _device_poll(admin, started["device_code"])
    assert status == 400 and body["error"] == "authorization_pending"
    status, body = _device_poll(admin, started["device_code"])  # again at once: faster than the interval
    assert status == 400 and body["error"] == "slow_down"

    status, page, csrf = _verify_page(admin, started["user_code"])
    assert status == 200 and started["user_code"] in page and csrf
    verify = admin.http_endpoint + "/oauth2/device/verify"
    # A form that did not come from the page (a cross-site POST) approves nothing.
    status, _, _ = _http(verify, {"user_code": started["user_code"], "csrf": "0" * 64, "action": "approve"})
    assert status == 403
    assert _device_poll(admin, started["device_code"])[1]["error"] in ("authorization_pending", "slow_down")

    status, page_bytes, _ = _http(
        verify, {"user_code": started["user_code"].lower(), "csrf": csrf, "action": "approve"}
    )
    assert status == 200 and b"Signed in as alice" in page_bytes
    # Polling too fast made the interval 6 s, but an approved request is answered at once.
    status, body = _device_poll(admin, started["device_code"])
    assert status == 200, body
    assert body["refresh_token"] and admin.auth.verify(body["access_token"]).subject == "alice"  # type: ignore[union-attr]
    status, body = _device_poll(admin, started["device_code"])  # one exchange per device code
    assert status == 400 and body["error"] == "invalid_request"


def test_device_flow_denied_and_unknown_codes(admin: AdminServer) -> None:
    started = _device_start(admin)
    _, _, csrf = _verify_page(admin, started["user_code"])
    status, page, _ = _http(
        admin.http_endpoint + "/oauth2/device/verify",
        {"user_code": started["user_code"], "csrf": csrf, "action": "deny"},
    )
    assert status == 200 and b"not signed in" in page
    status, body = _device_poll(admin, started["device_code"])
    assert status == 400 and body["error"] == "access_denied"

    status, page, csrf = _verify_page(admin, "BCDF-GHJK")
    assert status == 400 and not csrf
    status, body, _ = _http(admin.http_endpoint + "/oauth2/device/authorize", {"client_id": "flytepropeller"})
    assert status in (400, 401) and json.loads(body)["error"] in ("invalid_client", "unauthorized_client")
    status, body = _device_poll(admin, "not-a-device-code")
    assert status == 400 and body["error"] == "invalid_request"


def test_device_approval_in_process(admin: AdminServer) -> None:
    assert admin.auth is not None
    started = _device_start(admin)
    assert admin.auth.approve_device(started["user_code"], "carol")
    assert not admin.auth.approve_device(started["user_code"], "carol")  # answered already
    status, body = _device_poll(admin, started["device_code"])
    assert status == 200 and admin.auth.verify(body["access_token"]).subject == "carol"


# -- refresh tokens and revocation -------------------------------------------------------------------------------
def test_refresh_tokens_rotate_and_can_be_revoked(admin: AdminServer, callback: _Callback) -> None:
    tokens = _pkce_login(admin, callback)
    first_refresh = tokens["refresh_token"]
    status, body = _token_request(
        admin, {"grant_type": "refresh_token", "refresh_token": first_refresh, "client_id": "flytectl"}
    )
    assert status == 200, body
    assert body["refresh_token"] != first_refresh and body["access_token"] != tokens["access_token"]
    assert admin.auth.verify(body["access_token"]).subject == "alice"  # type: ignore[union-attr]
    assert _list_projects(admin, _bearer(body["access_token"])).projects

    # The old refresh token died in the exchange.
    status, old = _token_request(
        admin, {"grant_type": "refresh_token", "refresh_token": first_refresh, "client_id": "flytectl"}
    )
    assert status == 400 and old["error"] == "invalid_grant" and "log in again" in old["error_description"]

    # Revoked over RFC 7009 by the public client itself: refreshing fails with a message that says what to do.
    status, _, _ = _http(
        admin.http_endpoint + "/oauth2/revoke",
        {"token": body["refresh_token"], "token_type_hint": "refresh_token", "client_id": "flytectl"},
    )
    assert status == 200
    status, revoked = _token_request(
        admin, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": "flytectl"}
    )
    assert status == 400 and revoked["error"] == "invalid_grant"
    assert "log in again" in revoked["error_description"] and body["refresh_token"] not in json.dumps(revoked)

    # Refreshing needs the client the token was issued to.
    device_tokens = _device_login(admin)
    status, other = _token_request(
        admin,
        {"grant_type": "refresh_token", "refresh_token": device_tokens["refresh_token"]},
        _basic("flytepropeller", SECRET),
    )
    assert status in (400, 401) and other["error"] in ("invalid_grant", "unauthorized_client")


def test_revoking_in_process_and_revoking_access_tokens(admin: AdminServer) -> None:
    assert admin.auth is not None
    tokens = _device_login(admin)
    assert admin.auth.revoke(tokens["refresh_token"])
    assert not admin.auth.revoke(tokens["refresh_token"])  # already dead
    status, body = _token_request(
        admin, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "flytectl"}
    )
    assert status == 400 and body["error"] == "invalid_grant"

    access = _client_credentials(admin)
    assert _list_projects(admin, _bearer(access)).projects
    status, _, _ = _http(
        admin.http_endpoint + "/oauth2/revoke",
        {"token": access, "token_type_hint": "access_token"},
        headers={"Authorization": _basic("flytepropeller", SECRET)},
    )
    assert status == 200
    error = _rejection(admin, _bearer(access))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED and "revoked" in error.details()

    status, _, _ = _http(admin.http_endpoint + "/oauth2/revoke", {"token": "never-issued", "client_id": "flytectl"})
    assert status == 200  # RFC 7009 §2.2: an unknown token is not an error


def test_tokens_and_refresh_tokens_survive_a_restart(tmp_path: Path, free_port: int) -> None:
    config = AuthConfig.self_issued(SECRET, default_user="alice")
    with AdminServer(state_dir=tmp_path, http_port=free_port, auth=config) as first:
        tokens = _device_login(first)
    key_file = tmp_path / "auth" / "signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    database = b"".join(p.read_bytes() for p in tmp_path.glob("admin.db*"))
    assert tokens["refresh_token"].encode() not in database  # only its hash is kept

    with AdminServer(state_dir=tmp_path, http_port=free_port, auth=config) as second:
        assert _list_projects(second, _bearer(tokens["access_token"])).projects  # same key, same issuer
        status, body = _token_request(
            second, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "flytectl"}
        )
        assert status == 200, body


def test_a_key_file_readable_by_others_is_narrowed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / "auth" / "signing-key.pem"
    key_file.parent.mkdir(mode=0o700)
    key_file.write_bytes(RSAKey.generate_key(2048, private=True).as_pem(private=True))
    os.chmod(key_file, 0o644)
    with caplog.at_level(logging.WARNING), AdminServer(state_dir=tmp_path, auth=AuthConfig.self_issued(SECRET)):
        pass
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "narrowing it to 0600" in caplog.text and "PRIVATE KEY" not in caplog.text

    key_file.write_text("not a key")
    with pytest.raises(ValueError, match="is not a PEM RSA private key"):
        AdminServer(state_dir=tmp_path, auth=AuthConfig.self_issued(SECRET)).start()


# -- the HTTP side -----------------------------------------------------------------------------------------------
def test_http_routes_need_a_bearer_but_signed_urls_are_their_own_credential(admin: AdminServer) -> None:
    base = admin.http_endpoint
    status, body, headers = _http(base + "/logs/some-attempt.log")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert b"authentication required" in body
    token = mint_token(admin, "alice")
    status, _, _ = _http(base + "/logs/some-attempt.log", headers={"Authorization": f"Bearer {token}"})
    assert status == 404  # past the bearer check: there is just no such log
    status, _, _ = _http(
        base + "/logs/x", headers={"Authorization": f"Bearer {mint_token(admin, 'a', expires_in=-60)}"}
    )
    assert status == 401
    assert _http(base + "/me")[0] == 401

    # Signed URLs, obtained with a token, work without one — for their one object and method only.
    dataproxy = dataproxy_pb2_grpc.DataProxyServiceStub(grpc.insecure_channel(admin.endpoint))
    content = b"hello auth"
    md5 = hashlib.md5(content).digest()
    upload = dataproxy.CreateUploadLocation(
        dataproxy_pb2.CreateUploadLocationRequest(
            project="flytesnacks", domain="development", filename="hello.txt", content_md5=md5
        ),
        metadata=_bearer(token),
        timeout=5,
    )
    request = urllib.request.Request(upload.signed_url, data=content, method="PUT", headers=dict(upload.headers))
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    download = dataproxy.CreateDownloadLocation(
        dataproxy_pb2.CreateDownloadLocationRequest(native_url=upload.native_url), metadata=_bearer(token), timeout=5
    )
    status, body, _ = _http(download.signed_url)
    assert status == 200 and body == content

    parts = urlsplit(download.signed_url)
    other_object = parts._replace(path=parts.path.replace("hello.txt", "other.txt")).geturl()
    assert _http(other_object)[0] == 403
    assert _http(other_object, headers={"Authorization": f"Bearer {token}"})[0] == 403  # a bearer adds nothing
    assert _http(download.signed_url, method="PUT", headers={"Content-Length": "0"})[0] in (400, 403)
    unsigned = parts._replace(query="").geturl()
    assert _http(unsigned, headers={"Authorization": f"Bearer {token}"})[0] == 403


def test_http_auth_routes_refuse_wrong_methods_and_bodies(admin: AdminServer) -> None:
    base = admin.http_endpoint
    assert _http(base + "/oauth2/token")[0] == 405
    request = urllib.request.Request(
        base + "/oauth2/token",
        data=b'{"grant_type": "client_credentials"}',
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 415
    assert _http(base + "/not-a-route", {"a": "b"})[0] == 404


# -- an external issuer ------------------------------------------------------------------------------------------
class _IdentityProvider:
    """A tiny identity provider: its metadata document and its JWKS, with keys that can rotate."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, private=True)]
        for key in self.keys:
            key.ensure_kid()
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                documents = {
                    "/oauth2/default/.well-known/oauth-authorization-server": {  # where Okta serves it
                        "issuer": outer.issuer,
                        "token_endpoint": outer.issuer + "/v1/token",
                        "authorization_endpoint": outer.issuer + "/v1/authorize",
                        "device_authorization_endpoint": outer.issuer + "/v1/device",
                        "jwks_uri": outer.issuer + "/v1/keys",
                        "scopes_supported": ["openid", "all"],
                        "grant_types_supported": ["authorization_code", "client_credentials"],
                    },
                    "/oauth2/default/v1/keys": {
                        "keys": [dict(k.as_dict(private=False), alg="RS256") for k in outer.keys]
                    },
                }
                document = documents.get(self.path)
                body = json.dumps(document).encode() if document is not None else b"{}"
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/default"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key: RSAKey | None = None, **claims: Any) -> str:
        key = key or self.keys[-1]
        now = int(time.time())
        body = {"iss": self.issuer, "aud": "api://flyte", "sub": "dana@example.com", "iat": now, "exp": now + 600}
        body.update(cid="okta-app", scp=["all"], email="dana@example.com")
        body.update(claims)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp() -> Iterator[_IdentityProvider]:
    provider = _IdentityProvider()
    yield provider
    provider.close()


def test_external_issuer_tokens_are_checked_against_its_jwks(idp: _IdentityProvider) -> None:
    config = AuthConfig.external(idp.issuer, "api://flyte")
    with AdminServer(auth=config) as server:
        token = idp.token()
        assert _list_projects(server, _bearer(token)).projects
        stub = identity_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(server.endpoint))
        info = stub.UserInfo(identity_pb2.UserInfoRequest(), metadata=_bearer(token), timeout=5)
        assert info.subject == "dana@example.com" and info.email == "dana@example.com"

        metadata = auth_pb2_grpc.AuthMetadataServiceStub(grpc.insecure_channel(server.endpoint)).GetOAuth2Metadata(
            auth_pb2.OAuth2MetadataRequest(), timeout=5
        )
        assert metadata.token_endpoint == idp.issuer + "/v1/token"  # the provider's document, passed on
        assert metadata.device_authorization_endpoint == idp.issuer + "/v1/device"

        for bad, expected in (
            (idp.token(aud="api://other"), "not meant for this admin"),
            (idp.token(iss="http://127.0.0.1:1/other"), "another issuer"),
            (idp.token(exp=int(time.time()) - 3600), "expired"),
            (idp.token(key=RSAKey.generate_key(2048, private=True, parameters={"kid": idp.keys[0].kid})), "signature"),
        ):
            error = _rejection(server, _bearer(bad))
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED and expected in error.details()
        # Tokens of the admin's own kind mean nothing here: there is no built-in server.
        assert _http(server.http_endpoint + "/oauth2/token", {"grant_type": "client_credentials"})[0] == 404

        # The provider rotates its keys: a token under the new kid is accepted after one fetch of the JWKS.
        new_key = RSAKey.generate_key(2048, private=True)
        new_key.ensure_kid()
        idp.keys.append(new_key)
        fetches = idp.requests.count("/oauth2/default/v1/keys")
        assert _list_projects(server, _bearer(idp.token(key=new_key))).projects
        assert idp.requests.count("/oauth2/default/v1/keys") == fetches + 1
        # Junk kids do not make the admin fetch again and again.
        stranger = RSAKey.generate_key(2048, private=True)
        stranger.ensure_kid()
        for _ in range(3):
            _rejection(server, _bearer(idp.token(key=stranger)))
        assert idp.requests.count("/oauth2/default/v1/keys") == fetches + 1


def test_external_issuer_that_cannot_be_reached_is_unavailable(free_port: int) -> None:
    issuer = f"http://127.0.0.1:{free_port}"
    with AdminServer(auth=AuthConfig.external(issuer, "api://flyte", jwks_uri=issuer + "/keys")) as server:
        token = sign_access_token(
            SigningKey.generate(),
            issuer=issuer,
            audience="api://flyte",
            subject="x",
            client_id="c",
            scopes=[],
            expires_in=60,
        )
        error = _rejection(server, _bearer(token))
        assert error.code() == grpc.StatusCode.UNAVAILABLE and "cannot fetch" in error.details()
        assert token not in error.details()


# -- secrets stay secret -----------------------------------------------------------------------------------------
def test_no_token_or_secret_reaches_the_logs(caplog: pytest.LogCaptureFixture, callback: _Callback) -> None:
    secret = "log-secret-" + secrets.token_hex(8)
    caplog.set_level(logging.DEBUG)
    with AdminServer(auth=AuthConfig.self_issued(secret, default_user="alice", device_poll_interval=0)) as server:
        seen: list[str] = [secret]
        _, body = _token_request(server, {"grant_type": "client_credentials"}, _basic("flytepropeller", secret))
        seen.append(body["access_token"])
        _, bad = _token_request(server, {"grant_type": "client_credentials"}, _basic("flytepropeller", "nope"))
        assert secret not in json.dumps(bad)
        tokens = _pkce_login(server, callback)
        seen += [tokens["access_token"], tokens["refresh_token"], tokens["_code"]]
        started = _device_start(server)
        seen.append(started["device_code"])
        _device_poll(server, started["device_code"])
        assert server.auth is not None and server.auth.approve_device(started["user_code"])
        device = _device_poll(server, started["device_code"])[1]
        seen += [device["access_token"], device["refresh_token"]]
        refreshed = _token_request(
            server, {"grant_type": "refresh_token", "refresh_token": device["refresh_token"], "client_id": "flytectl"}
        )[1]
        seen += [refreshed["access_token"], refreshed["refresh_token"]]
        expired = mint_token(server, "alice", expires_in=-5)
        seen.append(expired)
        for token in (expired, "Bearer-junk." + secret, body["access_token"] + "x"):
            error = _rejection(server, _bearer(token))
            assert all(s not in error.details() for s in seen)
    assert "Issue token" not in caplog.text  # authlib's DEBUG line with the token is kept out
    leaked = [s[:12] + "..." for s in seen if s in caplog.text]
    assert not leaked, f"secrets in the logs: {leaked}"


# -- configuration -----------------------------------------------------------------------------------------------
def test_auth_config_validation() -> None:
    config = AuthConfig(mode="self")
    assert [c.client_id for c in config.clients] == ["flytectl", "flytepropeller"]
    assert config.client_secret() and config.client_secret("flytectl") is None
    assert "client_secret" not in repr(config.clients[1]) and config.client_secret() not in repr(config)
    assert AuthConfig.self_issued("given").client_secret() == "given"
    assert not AuthConfig().enabled

    with pytest.raises(ValueError, match="audience"):
        AuthConfig.external("https://idp.example", "")
    with pytest.raises(ValueError, match="issuer"):
        AuthConfig(mode="external", audience="a")
    with pytest.raises(ValueError, match="mode"):
        AuthConfig(mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="client credentials need a client secret"):
        ClientRegistration("cli", grant_types=("client_credentials",))
    with pytest.raises(ValueError, match="redirect_uris"):
        ClientRegistration("web", client_secret="s", grant_types=("authorization_code",))
    with pytest.raises(ValueError, match="unknown grant types"):
        ClientRegistration("x", client_secret="s", grant_types=("password",))
    with pytest.raises(ValueError, match="unique"):
        AuthConfig(mode="self", clients=(ClientRegistration("a", "s"), ClientRegistration("a", "t")))
    with pytest.raises(ValueError, match="positive"):
        AuthConfig(mode="self", access_token_ttl=0)


def test_a_client_with_its_own_audience_and_redirect() -> None:
    clients = (
        ClientRegistration(
            "notebook",
            redirect_uris=("http://127.0.0.1:8888/callback",),
            grant_types=("authorization_code",),
            scopes=("all",),
        ),
        ClientRegistration("robot", client_secret="robot-secret", audience="https://api.example"),
    )
    config = AuthConfig(mode="self", clients=clients, default_user="erin", audience="https://api.example")
    with AdminServer(auth=config) as server:
        status, body = _token_request(server, {"grant_type": "client_credentials"}, _basic("robot", "robot-secret"))
        assert status == 200
        claims = jwt.decode(body["access_token"], server.auth.signing_key.public_key_set).claims  # type: ignore[union-attr]
        assert claims["aud"] == "https://api.example" and claims["iss"] == server.http_endpoint
        assert _list_projects(server, _bearer(body["access_token"])).projects

        _, challenge = _pkce_pair()
        # flytectl is not registered here; the notebook's loopback redirect matches on any port, not other hosts.
        params = {
            "response_type": "code",
            "client_id": "notebook",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        for redirect, ok in (("http://127.0.0.1:9999/callback", True), ("http://localhost:8888/callback", False)):
            url = f"{server.http_endpoint}/oauth2/authorize?{urlencode({**params, 'redirect_uri': redirect})}"
            status, _, headers = _http(url, follow=False)
            assert (status == 302 and "code=" in headers["Location"]) if ok else status == 400


def test_cli_auth_options(tmp_path: Path) -> None:
    from flyteplane.cli.main import _auth_config, _parser

    def parse(*argv: str) -> Any:
        return _parser().parse_args(["sandbox", *argv])

    assert _auth_config(parse(), tmp_path) is None
    config = _auth_config(parse("--auth", "self"), tmp_path)
    assert config is not None and config.mode == "self" and config.default_user
    secret_file = tmp_path / "auth" / "flytepropeller.secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert config.client_secret() == secret_file.read_text().strip()
    again = _auth_config(parse("--auth", "self"), tmp_path)
    assert again is not None and again.client_secret() == config.client_secret()  # kept across restarts

    given = _auth_config(parse("--auth", "self", "--client-secret", "mine", "--auth-user", "bob:pw"), tmp_path)
    assert given is not None and given.client_secret() == "mine" and dict(given.users) == {"bob": "pw"}
    assert given.default_user is None
    with pytest.raises(ValueError, match="--auth-user"):
        _auth_config(parse("--auth", "self", "--host", "0.0.0.0"), tmp_path)
    with pytest.raises(ValueError, match="NAME:PASSWORD"):
        _auth_config(parse("--auth", "self", "--auth-user", "bob"), tmp_path)
    external = _auth_config(
        parse("--auth", "external", "--auth-issuer", "https://idp", "--auth-audience", "api://flyte"), tmp_path
    )
    assert external is not None and external.issuer == "https://idp" and external.jwks_uri is None
    with pytest.raises(ValueError, match="--auth-issuer and --auth-audience"):
        _auth_config(parse("--auth", "external", "--auth-issuer", "https://idp"), tmp_path)
