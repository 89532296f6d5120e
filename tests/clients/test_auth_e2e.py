"""Every auth type end to end against the embedded admin with its built-in OAuth2 server (auth mode "self").

A test "browser" follows the admin's redirects (and fills its login form) back to the client's callback; the
device flow is approved by the test through the admin's verification page. UNAUTHENTICATED answers are counted
by an interceptor inside the client's auth layer, so a call that failed and was retried shows up.
"""

from __future__ import annotations

import asyncio
import html.parser
import logging
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import project_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig, mint_token
from flyteplane.cli.main import main as cli
from flyteplane.clients.auth import authenticator_for
from flyteplane.clients.auth.discovery import fetch_client_config
from flyteplane.clients.auth.token_cache import DefaultTokenCache, cache_dir, cache_key
from flyteplane.clients.channel import make_channel
from flyteplane.clients.raw import RawSynchronousFlyteClient
from flyteplane.configuration import PlatformConfig
from flyteplane.errors import FlyteAuthenticationException
from tests.clients.auth_support import http_proxy, isolate_home
from tests.clients.both import Blocking

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    yield from isolate_home(tmp_path, monkeypatch)


@pytest.fixture
def redirect_uri(free_port):
    # Loopback redirect URIs match any port (RFC 8252), so each test's callback gets a free one.
    return f"http://localhost:{free_port}/callback"


def _admin(redirect_uri: str, **kwargs) -> AdminServer:
    kwargs.setdefault("default_user", "alice")
    auth = AuthConfig.self_issued(public_redirect_uri=redirect_uri, device_poll_interval=1, **kwargs)
    return AdminServer(auth=auth)


@pytest.fixture
def admin(redirect_uri):
    with _admin(redirect_uri) as server:
        yield server


class Counter:
    """A client interceptor (inside the auth layer): counts attempts and UNAUTHENTICATED answers."""

    def __init__(self) -> None:
        self.calls = 0
        self.unauthenticated = 0

    def __call__(self, call_next, rpc, request, options):
        self.calls += 1
        try:
            return call_next(rpc, request, options)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.unauthenticated += 1
            raise


class AsyncCounter(Counter):
    """:class:`Counter` as a layer of the async pipeline."""

    async def __call__(self, call_next, rpc, request, options):
        self.calls += 1
        try:
            return await call_next(rpc, request, options)
        except grpc.RpcError as e:  # grpc.aio.AioRpcError is one
            if e.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.unauthenticated += 1
            raise


_KIND: dict[str, str] = {}
_LOOPS: list[asyncio.AbstractEventLoop] = []


@pytest.fixture(autouse=True, params=["sync", "async"])
def client_kind(request):
    """Every test here runs with the synchronous raw client and with flyteplane.aio.RawFlyteClient."""
    _KIND["kind"] = request.param
    yield request.param
    while _LOOPS:
        loop = _LOOPS.pop()
        for client in getattr(loop, "clients", ()):
            loop.run_until_complete(client.close())
        loop.close()


def _client(cfg: PlatformConfig, **kwargs) -> tuple[RawSynchronousFlyteClient | Blocking, Counter]:
    if _KIND.get("kind") == "async":
        from flyteplane.aio import RawFlyteClient

        counter: Counter = AsyncCounter()
        kwargs["grpc_interceptors"] = [_AioHeaders(h.seen) for h in kwargs.get("grpc_interceptors", ())]
        client = RawFlyteClient(cfg, interceptors=[counter], **kwargs)
        loop = asyncio.new_event_loop()
        loop.clients = [client]  # type: ignore[attr-defined]
        _LOOPS.append(loop)
        return Blocking(client, loop), counter
    counter = Counter()
    return RawSynchronousFlyteClient(cfg, interceptors=[counter], **kwargs), counter


def _projects(client: RawSynchronousFlyteClient) -> list[str]:
    return [p.id for p in client.list_projects(project_pb2.ProjectListRequest(limit=10)).projects]


class _Form(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self.action = a.get("action")
        if tag == "input" and a.get("name") and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value") or ""


def _submit(page_url: str, page: str, **fields: str) -> str:
    """Fill and post the page's form (the approve button), following redirects; returns the final page."""
    form = _Form()
    form.feed(page)
    assert form.action, page
    data = urllib.parse.urlencode({**form.fields, **fields, "action": "approve"}).encode()
    url = urllib.parse.urljoin(page_url, form.action)
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
        return response.read().decode()


class Browser:
    """``webbrowser.open`` for tests: GETs the authorization URL, logs in if asked, follows the redirects."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.opened: list[str] = []
        self.user, self.password = user, password

    def __call__(self, url: str, *args, **kwargs) -> bool:
        self.opened.append(url)
        with urllib.request.urlopen(url, timeout=10) as response:  # urllib follows the 302 to the callback
            page, final = response.read().decode(), response.url
        if self.user is not None and not final.startswith("http://localhost"):
            _submit(final, page, username=self.user, password=self.password or "")
        return True


@pytest.fixture
def browser(monkeypatch):
    b = Browser()
    monkeypatch.setattr("webbrowser.open", b)
    return b


def _no_browser(monkeypatch) -> None:
    monkeypatch.setattr("webbrowser.open", lambda *a, **k: False)
    monkeypatch.setattr("flyteplane.clients.auth.pkce.has_terminal", lambda: False)


def _cache_file(endpoint: str) -> Path:
    return cache_dir() / f"{cache_key(endpoint)}.json"


def _cached(endpoint: str):
    creds = DefaultTokenCache().load(endpoint)
    assert creds is not None
    return creds


def _assert_hidden(text: str, *secrets: str | None) -> None:
    for secret in secrets:
        if secret:
            assert secret not in text


# -- PKCE ---------------------------------------------------------------------------------------------------------
def test_pkce_logs_in_through_the_browser_and_the_next_client_reuses_the_cached_token(admin, browser, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = PlatformConfig(endpoint=admin.endpoint, insecure=True)  # auth_mode defaults to standard (PKCE)
    client, counter = _client(cfg)
    assert _projects(client) == ["flytesnacks"]
    assert len(browser.opened) == 1
    assert counter.unauthenticated == 1  # never logged in: the first UNAUTHENTICATED starts the login, once

    path = _cache_file(admin.endpoint)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = _cached(admin.endpoint)
    assert creds.refresh_token and creds.access_token in path.read_text()
    assert creds.header_key == "flyte-authorization"

    again, counter = _client(cfg)  # as a new process would: the token comes from the cache, up front
    assert _projects(again) == ["flytesnacks"]
    assert counter.unauthenticated == 0 and len(browser.opened) == 1
    _assert_hidden(caplog.text, creds.access_token, creds.refresh_token)


def test_pkce_with_a_login_form(redirect_uri, monkeypatch):
    browser = Browser(user="bob", password="pw-of-bob")
    monkeypatch.setattr("webbrowser.open", browser)
    with _admin(redirect_uri, default_user=None, users={"bob": "pw-of-bob"}) as admin:
        client, _ = _client(PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="Pkce"))
        assert _projects(client) == ["flytesnacks"]
        identity = admin.auth.verify(_cached(admin.endpoint).access_token)
        assert identity.subject == "bob"


def test_flyteplane_login_caches_a_token_for_later_clients(admin, browser, capsys):
    assert cli(["login", "--endpoint", admin.endpoint, "--insecure", "--auth-type", "pkce"]) == 0
    out = capsys.readouterr().out
    assert f"Logged in to {admin.endpoint} (Pkce)" in out and "file" in out
    client, counter = _client(PlatformConfig(endpoint=admin.endpoint, insecure=True))
    assert _projects(client) == ["flytesnacks"] and counter.unauthenticated == 0


# -- device flow ----------------------------------------------------------------------------------------------
def test_device_flow_approved_by_the_test(admin, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="DeviceFlow")
    approved = threading.Event()

    def approve(code) -> None:
        def user() -> None:
            time.sleep(1.5)  # the client polls meanwhile and hears authorization_pending
            with urllib.request.urlopen(code.link, timeout=10) as response:
                page, url = response.read().decode(), response.url
            assert "Device approved" in _submit(url, page)
            approved.set()

        threading.Thread(target=user, daemon=True).start()

    auth = authenticator_for(cfg, make_channel(cfg), prompt=approve)
    client, counter = _client(cfg, auth=auth)
    assert _projects(client) == ["flytesnacks"]
    assert approved.is_set() and counter.unauthenticated == 1
    creds = auth.credentials
    assert creds.flow == "DeviceFlow" and creds.refresh_token
    assert stat.S_IMODE(_cache_file(admin.endpoint).stat().st_mode) == 0o600
    assert admin.auth.verify(creds.access_token).subject == "alice"
    _assert_hidden(caplog.text, creds.access_token, creds.refresh_token)


# -- client credentials ----------------------------------------------------------------------------------------
def test_client_secret_from_a_file_named_in_the_config(admin, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = admin.config.auth.client_secret()
    secret_file = tmp_path / "secret"
    secret_file.write_text(secret + "\n")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"admin:\n  endpoint: dns:///{admin.endpoint}\n  insecure: true\n  clientId: flytepropeller\n"
        f"  clientSecretLocation: {secret_file}\n  scopes: [all]\n"
    )
    cfg = PlatformConfig.auto(str(config))
    assert cfg.auth_mode == "ClientSecret"
    client, counter = _client(cfg)
    assert _projects(client) == ["flytesnacks"]
    assert counter.unauthenticated == 0  # the token is fetched before the first call
    _assert_hidden(caplog.text, secret)
    assert not _cache_file(admin.endpoint).exists()  # a service's token stays in memory


def test_client_secret_from_an_env_var_through_the_http_proxy(admin, monkeypatch):
    monkeypatch.setenv("MY_FLYTE_SECRET", admin.config.auth.client_secret())
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR", "MY_FLYTE_SECRET")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "flytepropeller")
    with http_proxy() as (proxy_url, seen):
        monkeypatch.setenv("FLYTE_PLATFORM_HTTP_PROXY_URL", proxy_url)
        cfg = PlatformConfig._from_file(None)
        cfg = cfg.__class__(**{**cfg.__dict__, "endpoint": admin.endpoint, "insecure": True})
        client, counter = _client(cfg)
        assert _projects(client) == ["flytesnacks"] and counter.unauthenticated == 0
    assert seen == [admin.auth.oauth2_metadata()["token_endpoint"]]


def test_a_wrong_client_secret_is_a_clear_error_without_the_secret(admin, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = PlatformConfig(
        endpoint=admin.endpoint, insecure=True, client_id="flytepropeller", client_credentials_secret="not-the-secret"
    )
    cfg = cfg.__class__(**{**cfg.__dict__, "auth_mode": "ClientSecret"})
    client, counter = _client(cfg)
    with pytest.raises(FlyteAuthenticationException) as caught:
        _projects(client)
    text = str(caught.value)
    assert "invalid_client" in text and "/oauth2/token" in text
    assert counter.calls == 0  # no call went out without a token
    _assert_hidden(text + caplog.text, "not-the-secret")


# -- external command --------------------------------------------------------------------------------------------
def test_external_command_prints_the_token(admin, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    token = mint_token(admin, "ci-bot")
    token_file = tmp_path / "token"
    token_file.write_text(token)
    command = [sys.executable, "-c", f"print(open({str(token_file)!r}).read())"]
    cfg = PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="ExternalCommand", command=command)
    client, counter = _client(cfg)
    assert _projects(client) == ["flytesnacks"] and counter.unauthenticated == 0
    _assert_hidden(caplog.text, token)

    failing = [sys.executable, "-c", "import sys; sys.exit('no session')"]
    broken, _ = _client(
        PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="externalcommand", command=failing)
    )
    with pytest.raises(FlyteAuthenticationException, match="exit code 1: no session"):
        _projects(broken)


# -- refresh ---------------------------------------------------------------------------------------------------------
def test_an_expired_access_token_is_refreshed_without_a_failed_call(redirect_uri, browser, caplog):
    caplog.set_level(logging.DEBUG)
    with _admin(redirect_uri, access_token_ttl=2) as admin:
        cfg = PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="Pkce")
        client, counter = _client(cfg)
        assert _projects(client) == ["flytesnacks"]  # logs in (one UNAUTHENTICATED: no token yet)
        first = _cached(admin.endpoint)
        time.sleep(2.2)

        # The admin really refuses the old token now ...
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListProjects(
                project_pb2.ProjectListRequest(limit=1), metadata=[("authorization", f"Bearer {first.access_token}")]
            )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED

        # ... and neither this client nor a new one ever sends it: both refresh first.
        before = counter.unauthenticated
        assert _projects(client) == ["flytesnacks"]
        assert counter.unauthenticated == before
        second = _cached(admin.endpoint)
        assert second.access_token != first.access_token
        time.sleep(2.2)
        fresh, fresh_counter = _client(cfg)
        assert _projects(fresh) == ["flytesnacks"] and fresh_counter.unauthenticated == 0
        assert len(browser.opened) == 1  # refresh tokens, no new login
    _assert_hidden(caplog.text, first.access_token, first.refresh_token, second.access_token)


def test_a_revoked_refresh_token_ends_in_a_clear_exception(admin, browser, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="Pkce")
    client, _ = _client(cfg)
    assert _projects(client) == ["flytesnacks"]
    creds = _cached(admin.endpoint)
    assert admin.auth.revoke(creds.refresh_token)
    assert admin.auth.revoke(creds.access_token)
    _no_browser(monkeypatch)  # say, a CI job: no browser, no terminal

    with pytest.raises(FlyteAuthenticationException) as caught:
        _projects(client)
    text = str(caught.value)
    assert "refresh token" in text and "invalid_grant" in text
    assert "flyteplane login" in text and "admin.authType" in text
    _assert_hidden(text + caplog.text, creds.access_token, creds.refresh_token)


# -- discovery -------------------------------------------------------------------------------------------------------
def test_discovery_reads_the_admins_client_config(admin, redirect_uri):
    config = fetch_client_config(grpc.insecure_channel(admin.endpoint), admin.endpoint)
    assert config.client_id == "flytectl" and config.redirect_uri == redirect_uri
    assert config.header_key == "flyte-authorization"
    assert config.token_endpoint == admin.auth.oauth2_metadata()["token_endpoint"]
    assert config.device_authorization_endpoint and config.authorization_endpoint
    assert "offline" in config.scopes


def test_discovery_against_an_admin_without_auth_says_so(flyte_admin):
    with pytest.raises(FlyteAuthenticationException, match=r"does not serve AuthMetadataService.*authType: None"):
        fetch_client_config(grpc.insecure_channel(flyte_admin.endpoint), flyte_admin.endpoint)


def test_no_token_is_sent_with_auth_type_none(admin):
    client, counter = _client(PlatformConfig(endpoint=admin.endpoint, insecure=True, auth_mode="None"))
    with pytest.raises(FlyteAuthenticationException, match="UNAUTHENTICATED"):
        _projects(client)
    assert counter.unauthenticated == 1  # refused once, never retried, no login attempted


def test_a_pkce_login_from_another_process_is_picked_up(admin, browser):
    """A subprocess logs in with `flyteplane login`; this process's client then uses the cached token."""
    code = (
        "import webbrowser, urllib.request, sys\n"
        "webbrowser.open = lambda url, *a, **k: bool(urllib.request.urlopen(url, timeout=10).read() or True)\n"
        "from flyteplane.cli.main import main\n"
        f"sys.exit(main(['login', '--endpoint', {admin.endpoint!r}, '--insecure', '--auth-type', 'Pkce']))\n"
    )
    import os

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"Logged in to \S+ \(Pkce\), valid for \d+ min", done.stdout)
    client, counter = _client(PlatformConfig(endpoint=admin.endpoint, insecure=True))
    assert _projects(client) == ["flytesnacks"] and counter.unauthenticated == 0
    assert browser.opened == []


# -- TLS: the token endpoint is verified like the gRPC side -----------------------------------------------------
def test_client_secret_over_tls_with_a_ca_file_skip_verify_and_a_wrong_ca(redirect_uri, tmp_path):
    from flyteplane.admin.tls import TlsConfig
    from flyteplane.clients.auth import ClientConfig
    from flyteplane.errors import FlyteException
    from tests.tls_support import TestCA

    auth = AuthConfig.self_issued(public_redirect_uri=redirect_uri, default_user="alice")
    with AdminServer(tls=TlsConfig(), auth=auth) as admin:
        token_endpoint = admin.auth.oauth2_metadata()["token_endpoint"]
        assert token_endpoint.startswith("https://")
        base = dict(
            endpoint=admin.endpoint,
            auth_mode="ClientSecret",
            client_id="flytepropeller",
            client_credentials_secret=admin.config.auth.client_secret(),
        )
        for tls in ({"ca_cert_file_path": str(admin.certificate_path)}, {"insecure_skip_verify": True}):
            client, counter = _client(PlatformConfig(**base, **tls))
            assert _projects(client) == ["flytesnacks"] and counter.unauthenticated == 0

        wrong = {"ca_cert_file_path": str(TestCA(tmp_path).path)}
        client, _ = _client(PlatformConfig(**base, **wrong))
        with pytest.raises(FlyteException, match="certificate could not be verified"):
            _projects(client)  # discovery over gRPC fails first, with the channel's hint
        static = ClientConfig(token_endpoint=token_endpoint)
        token_only = authenticator_for(PlatformConfig(**base, **wrong), None, client_config=static)
        with pytest.raises(FlyteAuthenticationException, match=r"certificate could not be verified.*caCertFilePath"):
            token_only.metadata()  # the HTTPS token call itself checks the CA file too


class _Headers(grpc.UnaryUnaryClientInterceptor):
    """Records the metadata keys of every call on the channel (discovery included)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, set[str]]] = []

    def intercept_unary_unary(self, continuation, client_call_details, request):
        keys = {k for k, _ in (client_call_details.metadata or ())}
        self.seen.append((client_call_details.method.rsplit("/", 1)[-1], keys))
        return continuation(client_call_details, request)


class _AioHeaders(grpc.aio.UnaryUnaryClientInterceptor):
    """:class:`_Headers` for a ``grpc.aio`` channel."""

    def __init__(self, seen: list[tuple[str, set[str]]]) -> None:
        self.seen = seen

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        keys = {k for k, _ in (client_call_details.metadata or ())}
        method = client_call_details.method
        method = method.decode() if isinstance(method, bytes) else method
        self.seen.append((method.rsplit("/", 1)[-1], keys))
        return await continuation(client_call_details, request)


def test_proxy_command_header_goes_with_discovery_and_every_call(admin, client_kind):
    token = mint_token(admin, "ci-bot")
    headers = _Headers()
    cfg = PlatformConfig(
        endpoint=admin.endpoint,
        insecure=True,
        auth_mode="ExternalCommand",
        command=[sys.executable, "-c", f"print({token!r})"],
        proxy_command=[sys.executable, "-c", "print('proxy-token')"],
    )
    client, counter = _client(cfg, grpc_interceptors=[headers])
    assert _projects(client) == ["flytesnacks"] and counter.unauthenticated == 0
    discovery = [
        ("GetPublicClientConfig", {"proxy-authorization"}),  # the admin's header key, asked without a token
        ("GetOAuth2Metadata", {"proxy-authorization"}),
    ]
    if client_kind == "async":
        # The async client's discovery runs on a synchronous channel of its auth thread, which grpc.aio
        # interceptors cannot be given: they see the calls of the grpc.aio channel only.
        discovery = []
    assert headers.seen == [*discovery, ("ListProjects", {"proxy-authorization", "flyte-authorization"})]
