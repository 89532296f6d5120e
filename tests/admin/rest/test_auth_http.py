"""The gateway with auth on: every route but AuthMetadataService refuses a missing or forged token, tokens are read
from the headers the gRPC side reads, and the browser session (/login, /callback, /logout, token cookies) works
end to end against the admin's own authorization server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.rest_support import Served, serve_gateway

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig
from flyteplane.admin.auth.keys import SigningKey
from flyteplane.admin.auth.tokens import sign_access_token
from flyteplane.admin.rest.routes import RestRoute, route_table

ROUTES = {r.name: r for r in route_table()}
ANONYMOUS = {"flyteidl.service.AuthMetadataService"}


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    with AdminServer(auth=AuthConfig.self_issued(default_user="alice")) as server:
        yield server


@pytest.fixture(scope="module")
def served(admin: AdminServer) -> Iterator[Served]:
    serving = serve_gateway(admin)
    yield next(serving)
    serving.close()


@pytest.fixture(scope="module")
def forged(admin: AdminServer) -> str:
    """A well-formed token for this admin's issuer and audience, signed by another key."""
    assert admin.auth is not None
    return sign_access_token(
        SigningKey.generate(),
        issuer=admin.auth.issuer,
        audience=admin.auth.audience,
        subject="mallory",
        client_id="flytectl",
        scopes=["all"],
        expires_in=600,
    )


def url_of(served: Served, rest_route: RestRoute) -> str:
    parts = [s if isinstance(s, str) else "x" for s in rest_route.template.segments]
    if any(isinstance(s, tuple) and s[-1] in ("resource_type",) for s in rest_route.template.segments):
        parts = [p if p != "x" else "1" for p in parts]
    return served.url("/" + "/".join(parts))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_refuses_a_missing_or_forged_token(
    served: Served, http: httpx.Client, forged: str, name: str
) -> None:
    rest_route = ROUTES[name]
    url = url_of(served, rest_route)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    for extra in ({}, {"Authorization": f"Bearer {forged}"}, {"Authorization": "Bearer not-a-jwt"}):
        reply = http.request(rest_route.verb, url, headers={**headers, **extra}, content=b"{}")
        if rest_route.service in ANONYMOUS:
            assert reply.status_code == 200, reply.text
            continue
        assert reply.status_code == 401, (extra, reply.text)
        assert reply.json()["code"] == 16 and reply.json()["details"] == []
        assert reply.headers["www-authenticate"]


def test_the_token_is_read_from_the_headers_the_grpc_side_reads(
    admin: AdminServer, served: Served, http: httpx.Client
) -> None:
    assert admin.auth is not None
    token = admin.auth.mint("bob", claims={"email": "bob@example.com"})
    url = served.url("/me")
    for header in ("Authorization", "flyte-authorization"):
        reply = http.get(url, headers={header: f"Bearer {token}", "Accept": "application/json"})
        assert reply.status_code == 200 and reply.json()["subject"] == "bob"
        # flyteadmin's UserInfo forward-response handler: the subject and the claims as headers as well.
        assert reply.headers["x-user-subject"] == "bob"
        assert reply.headers["x-user-claim-email"] == '"bob@example.com"'
    reply = http.get(url, headers={"Authorization": f"Basic {token}"})
    assert reply.status_code == 401 and "Bearer" in reply.json()["message"]
    expired = admin.auth.mint("bob", expires_in=-60)
    assert http.get(url, headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    admin.auth.revoke(token)
    assert http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_unauthenticated_body_is_never_read(served: Served, http: httpx.Client) -> None:
    body = b"{not json"  # a malformed body: refused for want of a token before it is read
    reply = http.post(f"{served.base}/api/v1/projects", content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 401


def test_anonymous_routes_answer_the_admins_metadata(admin: AdminServer, served: Served, http: httpx.Client) -> None:
    assert admin.auth is not None
    reply = http.get(f"{served.base}/config/v1/flyte_client", headers={"Accept": "application/json"})
    assert reply.json()["client_id"] == "flytectl"
    assert reply.json()["authorization_metadata_key"] == "flyte-authorization"
    reply = http.get(served.url("/.well-known/oauth-authorization-server"), headers={"Accept": "application/json"})
    assert reply.json()["issuer"] == admin.auth.issuer


# -- the browser session ----------------------------------------------------------------------------------------
def localhost(served: Served, path: str = "") -> str:
    """The gateway's URL under the name ``localhost``: flytectl's registered redirect URI is a localhost one."""
    return served.url(path).replace("127.0.0.1", "localhost")


def log_in(http: httpx.Client, base: str, redirect_url: str = "/console/projects") -> httpx.Response:
    """/login, the authorization endpoint (the default user is logged in without a form), then /callback."""
    reply = http.get(f"{base}/login", params={"redirect_url": redirect_url})
    assert reply.status_code == 307, reply.text
    authorize = reply.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{base}/callback"]
    csrf = http.cookies["flyte_csrf_state"]
    assert query["state"] == [hashlib.sha256(csrf.encode()).hexdigest()]
    reply = http.get(authorize)
    assert reply.status_code in (302, 303, 307), reply.text
    callback = reply.headers["location"]
    assert callback.startswith(f"{base}/callback?")
    return http.get(callback)


def test_login_sets_the_token_cookies_and_rest_accepts_them(admin: AdminServer, served: Served) -> None:
    base = localhost(served)
    with httpx.Client(timeout=30) as browser:
        reply = log_in(browser, base)
        assert reply.status_code == 307 and reply.headers["location"] == "/console/projects"
        set_cookies = reply.headers.get_list("set-cookie")
        for name in ("flyte_at_1", "flyte_at_2", "flyte_rt", "flyte_user_info"):
            cookie = next(c for c in set_cookies if c.startswith(name + "="))
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert not any(c.startswith("flyte_at_1=ey") for c in set_cookies)  # sealed, not the bare JWT
        me = browser.get(localhost(served, "/me"), headers={"Accept": "application/json"})
        assert me.status_code == 200 and me.json()["subject"] == "alice"
        projects = browser.get(f"{base}/api/v1/projects", headers={"Accept": "application/json"})
        assert projects.status_code == 200
        # Logged in already: /login sends the browser straight on.
        again = browser.get(f"{base}/login", params={"redirect_url": "/console"})
        assert (again.status_code, again.headers["location"]) == (307, "/console")
        refresh = served.gateway.cookies.open("flyte_rt", browser.cookies["flyte_rt"])
        assert refresh
        out = browser.get(f"{base}/logout", params={"redirect_url": "/console"})
        assert out.status_code == 307 and out.headers["location"] == "/console"
        assert browser.get(f"{base}/api/v1/projects").status_code == 401
        # The logout revoked the session's refresh token at the authorization server.
        assert admin.auth is not None
        grant = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "flytectl"}
        assert browser.post(f"{admin.auth.base_url}/oauth2/token", data=grant).status_code == 400


def test_a_forged_or_moved_cookie_is_not_a_session(served: Served) -> None:
    base = localhost(served)
    with httpx.Client(timeout=30) as browser:
        log_in(browser, base)
        first, second = browser.cookies["flyte_at_1"], browser.cookies["flyte_at_2"]
    with httpx.Client(timeout=30) as attacker:
        attacker.cookies.set("flyte_at_1", second)  # each half sealed under its own name
        attacker.cookies.set("flyte_at_2", first)
        assert attacker.get(f"{base}/api/v1/projects").status_code == 401
        attacker.cookies.set("flyte_at_1", first[:-4] + "AAAA")
        attacker.cookies.set("flyte_at_2", second)
        assert attacker.get(f"{base}/api/v1/projects").status_code == 401


def test_a_callback_without_the_matching_csrf_cookie_is_refused(served: Served) -> None:
    base = localhost(served)
    with httpx.Client(timeout=30) as browser:
        reply = browser.get(f"{base}/login")
        authorize = reply.headers["location"]
        callback = browser.get(authorize).headers["location"]
        browser.cookies.set("flyte_csrf_state", "something-else")
        assert browser.get(callback).status_code == 401
    with httpx.Client(timeout=30) as other:
        assert other.get(callback).status_code == 401  # no CSRF cookie at all
        assert other.get(f"{base}/callback").status_code == 401


def test_a_replayed_code_is_refused(served: Served) -> None:
    base = localhost(served)
    with httpx.Client(timeout=30) as browser:
        reply = browser.get(f"{base}/login")
        callback = browser.get(reply.headers["location"]).headers["location"]
        assert browser.get(callback).status_code == 307
        # The CSRF and PKCE cookies were consumed: the same callback again is no login.
        assert browser.get(callback).status_code in (401, 403)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_and_logout_refuse_redirects_to_other_sites(served: Served, http: httpx.Client, target: str) -> None:
    base = localhost(served)
    assert http.get(f"{base}/login", params={"redirect_url": target}).status_code == 403
    assert http.get(f"{base}/logout", params={"redirect_url": target}).status_code == 403


def test_login_names_the_missing_client_registration(served: Served, http: httpx.Client) -> None:
    # Reached as 127.0.0.1, the callback is no redirect URI flytectl registered (http://localhost:<any port>).
    reply = http.get(f"{served.base}/login")
    assert reply.status_code == 400 and "redirect URI" in reply.text


def test_logout_without_a_redirect_answers_200_and_clears_cookies(served: Served, http: httpx.Client) -> None:
    reply = http.get(f"{localhost(served)}/logout")
    assert reply.status_code == 200
    cleared = {c.split("=", 1)[0] for c in reply.headers.get_list("set-cookie")}
    assert {"flyte_at", "flyte_at_1", "flyte_at_2", "flyte_rt", "flyte_idt"} <= cleared


def test_with_an_external_identity_provider_login_says_what_to_do(http: httpx.Client) -> None:
    # The admin holds no client secret for another provider: the console signs in there, and sends the token.
    config = AuthConfig.external(
        "https://idp.example.invalid/", "api://flyte", jwks_uri="https://idp.example.invalid/k"
    )
    with AdminServer(auth=config) as admin:
        serving = serve_gateway(admin)
        served = next(serving)
        try:
            reply = http.get(f"{served.base}/login")
            assert reply.status_code == 501 and "auth mode 'self'" in reply.text
            assert http.get(f"{served.base}/api/v1/projects").status_code == 401
        finally:
            serving.close()


def test_the_admins_own_me_and_logs_routes_accept_the_session_cookie(admin: AdminServer, served: Served) -> None:
    # The console reads /me and task logs with the browser session, as flyteadmin's gateway-served /me accepts it.
    base = admin.http_endpoint.replace("127.0.0.1", "localhost")
    with httpx.Client(timeout=30) as browser:
        assert browser.get(f"{base}/me").status_code == 401
        assert browser.get(f"{base}/logs/no-such-attempt.log").status_code == 401
        log_in(browser, base)
        me = browser.get(f"{base}/me")
        assert me.status_code == 200 and me.json()["subject"] == "alice"
        assert browser.get(f"{base}/logs/no-such-attempt.log").status_code == 404
        # A forged cookie is no session; a bearer header, when present, is what counts.
        browser.cookies.set("flyte_at_1", "forged")
        assert browser.get(f"{base}/me").status_code == 401
        assert browser.get(f"{base}/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
