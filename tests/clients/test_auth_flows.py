"""Each flow's protocol edge cases against a scripted OAuth2 endpoint (the real admin is in test_auth_e2e.py).

Here are the answers the embedded admin cannot be made to give on demand: ``slow_down``, an endpoint echoing a
secret in its error, odd documents, a failing command; plus the refresh logic and the factory's dispatch.
"""

from __future__ import annotations

import base64
import logging
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest

from flyteplane.clients.auth import ClientConfig, Credentials, MemoryTokenCache, OAuthError, authenticator_for
from flyteplane.clients.auth.client_credentials import ClientCredentialsAuthenticator
from flyteplane.clients.auth.device_flow import DeviceFlowAuthenticator
from flyteplane.clients.auth.external_command import CommandAuthenticator, ProxyCommandAuthenticator
from flyteplane.clients.auth.factory import CombinedProvider, provider_for
from flyteplane.clients.auth.oauth_http import HttpSettings, basic_authorization, post_form
from flyteplane.clients.auth.pkce import PKCEAuthenticator, code_challenge
from flyteplane.configuration import AuthType, PlatformConfig
from flyteplane.errors import FlyteAuthenticationException
from tests.clients.auth_support import FakeOAuth, http_proxy, isolate_home

SECRET = "s3cr3t+/ value"
TOKEN = {"access_token": "AT-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "RT-1"}


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    yield from isolate_home(tmp_path, monkeypatch)


@pytest.fixture
def oauth():
    with FakeOAuth().running() as fake:
        yield fake


def _static(fake: FakeOAuth, **kw) -> ClientConfig:
    values = dict(
        token_endpoint=fake.url("/token"),
        authorization_endpoint=fake.url("/authorize"),
        device_authorization_endpoint=fake.url("/device"),
        redirect_uri="http://localhost:0/callback",
        client_id="flytectl",
        scopes=("all", "offline"),
        header_key="flyte-authorization",
    )
    values.update(kw)
    return ClientConfig(**values)


def _cfg(mode: str, **kw) -> PlatformConfig:
    return PlatformConfig(endpoint="admin.test:443", auth_mode=mode, **kw)


# -- the HTTP layer ---------------------------------------------------------------------------------------------
def test_basic_authorization_form_encodes_id_and_secret_and_any_server_decodes_it():
    header = basic_authorization("my client", SECRET)
    user, _, password = base64.b64decode(header.split()[1]).decode().partition(":")
    assert urllib.parse.unquote(password) == SECRET == urllib.parse.unquote_plus(password)
    assert urllib.parse.unquote(user) == "my client"


def test_errors_name_the_endpoint_and_the_oauth_code_never_the_secret(oauth):
    echo = f"bad client_secret {SECRET} for refresh_token RT-9"
    oauth.answer("/token", (401, {"error": "invalid_client", "error_description": echo}))
    with pytest.raises(OAuthError) as caught:
        post_form(
            HttpSettings(),
            oauth.url("/token"),
            {"grant_type": "refresh_token", "refresh_token": "RT-9"},
            client_auth=("c", SECRET),
        )
    text = str(caught.value)
    assert oauth.url("/token") in text and "invalid_client" in text and "HTTP 401" in text
    assert SECRET not in text and "RT-9" not in text
    assert caught.value.error == "invalid_client" and caught.value.status == 401


def test_unreachable_and_non_json_endpoints(oauth, free_port):
    url = f"http://127.0.0.1:{free_port}/token"
    with pytest.raises(OAuthError, match=f"token request to {url} failed: .*Connection refused") as caught:
        post_form(HttpSettings(timeout=5), url, {"grant_type": "client_credentials"})
    assert caught.value.error is None
    oauth.answer("/token", (200, b"<html>login</html>"))
    with pytest.raises(OAuthError, match="not an OAuth2 error document"):
        post_form(HttpSettings(), oauth.url("/token"), {})


def test_http_proxy_url_carries_the_token_requests(oauth):
    oauth.answer("/token", (200, TOKEN))
    with http_proxy() as (proxy_url, seen):
        cfg = _cfg("ClientSecret", client_id="svc", client_credentials_secret=SECRET, http_proxy_url=proxy_url)
        auth = authenticator_for(cfg, None, client_config=_static(oauth))
        assert auth.metadata() == (("flyte-authorization", "Bearer AT-1"),)
    assert seen == [oauth.url("/token")]


# -- ClientSecret ---------------------------------------------------------------------------------------------
def test_client_credentials_form_header_scopes_audience(oauth):
    oauth.answer("/token", (200, TOKEN))
    cfg = _cfg("client_credentials", client_id="svc", client_credentials_secret=SECRET, audience="aud-1")
    auth = authenticator_for(cfg, None, client_config=_static(oauth))
    assert isinstance(auth, ClientCredentialsAuthenticator)
    assert auth.metadata() == (("flyte-authorization", "Bearer AT-1"),)
    ((_path, headers, form),) = oauth.requests
    assert form == {"grant_type": "client_credentials", "scope": "all offline", "audience": "aud-1"}
    assert headers["Authorization"] == basic_authorization("svc", SECRET)
    assert SECRET not in repr(auth) and "svc" in repr(auth)


def test_client_secret_post_when_the_server_does_not_take_basic(oauth):
    oauth.answer("/token", (200, TOKEN))
    cfg = _cfg("ClientSecret", client_id="svc", client_credentials_secret=SECRET)
    auth = authenticator_for(
        cfg, None, client_config=_static(oauth, token_endpoint_auth_methods=("client_secret_post",))
    )
    auth.metadata()
    ((_, headers, form),) = oauth.requests
    assert "Authorization" not in headers
    assert form["client_id"] == "svc" and form["client_secret"] == SECRET


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [({"client_id": "svc"}, "clientSecretLocation"), ({"client_credentials_secret": SECRET}, "admin.clientId")],
)
def test_client_secret_settings_missing(kwargs, missing):
    with pytest.raises(FlyteAuthenticationException, match=missing) as caught:
        authenticator_for(_cfg("ClientSecret", **kwargs), None, client_config=ClientConfig("http://x/token"))
    assert SECRET not in str(caught.value)


def test_client_credentials_renew_with_the_secret_not_a_refresh_token(oauth):
    oauth.answer("/token", (200, {**TOKEN, "expires_in": 1}), (200, {**TOKEN, "access_token": "AT-2"}))
    auth = authenticator_for(
        _cfg("ClientSecret", client_id="svc", client_credentials_secret=SECRET), None, client_config=_static(oauth)
    )
    assert auth.metadata()[0][1] == "Bearer AT-1"
    time.sleep(1.1)
    assert auth.metadata()[0][1] == "Bearer AT-2"  # proactively, before any call fails
    assert [f["grant_type"] for f in oauth.forms("/token")] == ["client_credentials", "client_credentials"]


# -- refresh logic (base class) ---------------------------------------------------------------------------------
def _pkce(oauth: FakeOAuth, cache=None, **kw) -> PKCEAuthenticator:
    auth = authenticator_for(_cfg("Pkce"), None, client_config=_static(oauth), cache=cache or MemoryTokenCache(), **kw)
    assert isinstance(auth, PKCEAuthenticator)
    return auth


def _expired(**kw) -> Credentials:
    now = time.time()
    return Credentials("AT-old", "RT-old", now - 5, now - 3605, "Pkce", "flytectl", "flyte-authorization", **kw)


def test_an_expiring_token_is_refreshed_with_the_refresh_token_before_the_call(oauth):
    oauth.answer("/token", (200, {"access_token": "AT-2", "expires_in": 3600}))
    cache = MemoryTokenCache()
    cache.store("admin.test:443", _expired())
    auth = _pkce(oauth, cache, interactive=False)
    assert auth.metadata() == (("flyte-authorization", "Bearer AT-2"),)
    (form,) = oauth.forms("/token")
    assert form == {"grant_type": "refresh_token", "refresh_token": "RT-old", "client_id": "flytectl"}
    assert cache.load("admin.test:443").refresh_token == "RT-old"  # kept: the answer had no new one


def test_a_rejected_refresh_token_without_a_way_to_log_in_says_what_to_do(oauth, caplog):
    oauth.answer("/token", (400, {"error": "invalid_grant", "error_description": "token RT-old revoked"}))
    cache = MemoryTokenCache()
    cache.store("admin.test:443", _expired())
    auth = _pkce(oauth, cache, interactive=False)
    with caplog.at_level(logging.DEBUG), pytest.raises(FlyteAuthenticationException) as caught:
        auth.metadata()
    text = str(caught.value)
    assert "invalid_grant" in text and "flyteplane login" in text and "admin.authType" in text
    assert "RT-old" not in text and "AT-old" not in text
    assert "RT-old" not in caplog.text and "AT-old" not in caplog.text


def test_a_token_in_its_window_is_still_used_when_renewal_fails(oauth):
    oauth.answer("/token", (503, {"error": "temporarily_unavailable"}))
    now = time.time()
    cache = MemoryTokenCache()
    cache.store("admin.test:443", Credentials("AT-still", "RT", now + 30, now - 3570, "Pkce", "flytectl"))
    auth = _pkce(oauth, cache, interactive=False)
    assert auth.metadata() == (("authorization", "Bearer AT-still"),)
    assert auth.metadata() == (("authorization", "Bearer AT-still"),)
    assert len(oauth.forms("/token")) == 1  # no renewal attempt on every call while the endpoint is down


def test_refresh_after_another_thread_refreshed_does_nothing(oauth):
    oauth.answer(
        "/token",
        (200, {"access_token": "AT-2", "expires_in": 3600}),
        (200, {"access_token": "AT-3", "expires_in": 3600}),
    )
    now = time.time()
    cache = MemoryTokenCache()
    cache.store("admin.test:443", Credentials("AT-1", "RT", now + 3000, now, "Pkce", "flytectl"))
    auth = _pkce(oauth, cache, interactive=False)
    assert auth.metadata()[0][1] == "Bearer AT-1"  # this thread sent AT-1 ...
    other = threading.Thread(target=lambda: (auth.metadata(), auth.refresh()))
    other.start()
    other.join()  # ... another thread's call with AT-1 failed and it refreshed to AT-2
    auth.refresh()  # this thread's AT-1 call failed too: AT-2 is already there
    assert auth.metadata()[0][1] == "Bearer AT-2"
    assert len(oauth.forms("/token")) == 1


def test_a_token_another_process_cached_is_adopted_on_refresh(oauth):
    cache = MemoryTokenCache()
    auth = _pkce(oauth, cache, interactive=False)
    assert auth.metadata() == ()  # PKCE never logged in: nothing up front
    now = time.time()
    cache.store("admin.test:443", Credentials("AT-other", None, now + 3600, now, "DeviceFlow", "flytectl"))
    auth.refresh()  # the server said UNAUTHENTICATED; `flyteplane login` ran meanwhile
    assert auth.metadata()[0][1] == "Bearer AT-other"
    assert oauth.requests == []


def test_a_cached_token_of_another_flow_is_not_used(oauth):
    cache = MemoryTokenCache()
    now = time.time()
    cache.store("admin.test:443", Credentials("AT-svc", None, now + 3600, now, "ClientSecret", "svc"))
    assert _pkce(oauth, cache, interactive=False).metadata() == ()


# -- device flow --------------------------------------------------------------------------------------------------
DEVICE = {
    "device_code": "DC-1",
    "user_code": "WDJB-MJHT",
    "verification_uri": "https://login.example/device",
    "verification_uri_complete": "https://login.example/device?user_code=WDJB-MJHT",
    "expires_in": 60,
    "interval": 1,
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def _device(oauth: FakeOAuth, clock: FakeClock, shown: list, **kw) -> DeviceFlowAuthenticator:
    auth = authenticator_for(
        _cfg("deviceflow"),
        None,
        client_config=_static(oauth),
        cache=MemoryTokenCache(),
        prompt=shown.append,
        sleep=clock.sleep,
        clock=clock,
        **kw,
    )
    assert isinstance(auth, DeviceFlowAuthenticator)
    return auth


def test_device_flow_polls_at_interval_and_slow_down_adds_5_seconds(oauth):
    oauth.answer("/device", (200, DEVICE))
    pending = (400, {"error": "authorization_pending"})
    oauth.answer("/token", pending, (400, {"error": "slow_down"}), pending, (200, TOKEN))
    clock, shown = FakeClock(), []
    auth = _device(oauth, clock, shown)
    auth.refresh()  # as after an UNAUTHENTICATED answer
    assert auth.metadata() == (("flyte-authorization", "Bearer AT-1"),)
    assert clock.sleeps == [1, 1, 6, 6]
    assert [c.user_code for c in shown] == ["WDJB-MJHT"]
    assert oauth.forms("/device") == [{"client_id": "flytectl", "scope": "all offline"}]
    assert oauth.forms("/token")[0] == {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": "DC-1",
        "client_id": "flytectl",
    }
    assert auth.credentials.refresh_token == "RT-1"


def test_device_flow_expiry_and_refusal(oauth):
    oauth.answer("/device", (200, {**DEVICE, "expires_in": 3}))
    oauth.answer("/token", (400, {"error": "authorization_pending"}))
    clock, shown = FakeClock(), []
    with pytest.raises(FlyteAuthenticationException, match=r"expired before it was approved.*flyteplane login"):
        _device(oauth, clock, shown).refresh()
    assert sum(clock.sleeps) <= 3
    oauth.answer("/device", (200, DEVICE))
    oauth.answer("/token", (400, {"error": "access_denied"}))
    with pytest.raises(FlyteAuthenticationException, match="refused"):
        _device(oauth, FakeClock(), shown).refresh()


def test_device_flow_default_prompt_prints_link_and_code(oauth, capsys):
    oauth.answer("/device", (200, {**DEVICE, "verification_uri_complete": None}))
    oauth.answer("/token", (200, TOKEN))
    clock = FakeClock()
    auth = authenticator_for(
        _cfg("DeviceFlow"), None, client_config=_static(oauth), cache=MemoryTokenCache(), sleep=clock.sleep, clock=clock
    )
    auth.refresh()
    err = capsys.readouterr().err
    assert "https://login.example/device" in err and "WDJB-MJHT" in err
    assert "DC-1" not in err


def test_device_flow_without_a_device_endpoint(oauth):
    auth = _device(oauth, FakeClock(), [])
    auth.source._config = _static(oauth, device_authorization_endpoint=None)
    with pytest.raises(FlyteAuthenticationException, match=r"no device authorization endpoint.*Pkce"):
        auth.refresh()


# -- PKCE ---------------------------------------------------------------------------------------------------------
def _browser(monkeypatch, respond):
    """Patch webbrowser.open: ``respond(authorize_url)`` returns the callback URL to GET (or None: no browser)."""
    opened: list[str] = []

    def fake_open(url, *args, **kwargs):
        opened.append(url)
        target = respond(url)
        if target is None:
            return False
        try:
            urllib.request.urlopen(target, timeout=5).read()
        except urllib.error.HTTPError:
            pass
        return True

    monkeypatch.setattr("webbrowser.open", fake_open)
    return opened


def _query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_pkce_sends_an_s256_challenge_of_the_verifier_it_exchanges(oauth, monkeypatch, free_port):
    oauth.answer("/token", (200, TOKEN))
    redirect = f"http://localhost:{free_port}/callback"
    opened = _browser(monkeypatch, lambda url: f"{redirect}?code=CODE-1&state={_query(url)['state']}")
    auth = _pkce(oauth)
    auth.source._config = _static(oauth, redirect_uri=redirect)
    auth.refresh()
    assert auth.metadata() == (("flyte-authorization", "Bearer AT-1"),)
    query = _query(opened[0])
    assert query["code_challenge_method"] == "S256" and query["client_id"] == "flytectl"
    assert query["redirect_uri"] == redirect and query["scope"] == "all offline"
    (form,) = oauth.forms("/token")
    assert form["grant_type"] == "authorization_code" and form["code"] == "CODE-1"
    assert code_challenge(form["code_verifier"]) == query["code_challenge"]
    assert 43 <= len(form["code_verifier"]) <= 128


def test_pkce_rejects_a_callback_with_another_state(oauth, monkeypatch, free_port):
    redirect = f"http://localhost:{free_port}/callback"
    _browser(monkeypatch, lambda url: f"{redirect}?code=CODE-1&state=forged")
    auth = _pkce(oauth)
    auth.source._config = _static(oauth, redirect_uri=redirect)
    with pytest.raises(FlyteAuthenticationException, match="state mismatch"):
        auth.refresh()
    assert oauth.requests == []  # the code was not exchanged


def test_pkce_reports_an_error_callback(oauth, monkeypatch, free_port):
    redirect = f"http://localhost:{free_port}/callback"
    _browser(monkeypatch, lambda url: f"{redirect}?error=access_denied&state={_query(url)['state']}")
    auth = _pkce(oauth)
    auth.source._config = _static(oauth, redirect_uri=redirect)
    with pytest.raises(FlyteAuthenticationException, match="refused: access_denied"):
        auth.refresh()


def test_pkce_prints_the_link_when_no_browser_opens(oauth, monkeypatch, free_port, capsys):
    oauth.answer("/token", (200, TOKEN))
    redirect = f"http://localhost:{free_port}/callback"
    _browser(monkeypatch, lambda url: None)
    auth = _pkce(oauth, interactive=True)
    auth.source._config = _static(oauth, redirect_uri=redirect)

    def user_opens_the_printed_link() -> None:
        for _ in range(200):
            printed = capsys.readouterr().err
            if "http" in printed:
                link = printed.split()[-1]
                urllib.request.urlopen(f"{redirect}?code=C&state={_query(link)['state']}", timeout=5).read()
                return
            time.sleep(0.02)

    user = threading.Thread(target=user_opens_the_printed_link)
    user.start()
    auth.refresh()
    user.join()
    assert auth.metadata()[0][1] == "Bearer AT-1"


def test_pkce_without_browser_or_terminal_fails_at_once(oauth, monkeypatch, free_port):
    monkeypatch.setattr("webbrowser.open", lambda *a, **k: False)
    monkeypatch.setattr("flyteplane.clients.auth.pkce.has_terminal", lambda: False)
    auth = _pkce(oauth, login_timeout=60)
    auth.source._config = _static(oauth, redirect_uri=f"http://localhost:{free_port}/callback")
    started = time.monotonic()
    with pytest.raises(FlyteAuthenticationException, match=r"no browser could be opened.*flyteplane login"):
        auth.refresh()
    assert time.monotonic() - started < 5


def test_pkce_callback_port_in_use(oauth, monkeypatch):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        auth = _pkce(oauth, interactive=True)
        auth.source._config = _static(oauth, redirect_uri=f"http://localhost:{port}/callback")
        with pytest.raises(FlyteAuthenticationException, match=f"cannot listen on 127.0.0.1:{port}"):
            auth.refresh()


# -- ExternalCommand and proxy_command ------------------------------------------------------------------------
def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_external_command_output_is_the_token():
    cfg = _cfg("ExternalCommand", command=_py("print('noise'); print('TOKEN-X')"))
    auth = authenticator_for(cfg, None, client_config=ClientConfig("http://x/token", header_key="flyte-authorization"))
    assert isinstance(auth, CommandAuthenticator)
    assert auth.metadata() == (("flyte-authorization", "Bearer TOKEN-X"),)


def test_external_command_failure_names_the_program_and_exit_code_not_its_output():
    cfg = _cfg(
        "external_process", command=_py("import sys; print('TOKEN-LEAK'); sys.stderr.write('no creds'); sys.exit(3)")
    )
    auth = authenticator_for(cfg, None, client_config=ClientConfig("http://x/token"))
    with pytest.raises(FlyteAuthenticationException) as caught:
        auth.metadata()
    text = str(caught.value)
    assert "exit code 3" in text and "no creds" in text and sys.executable in text
    assert "TOKEN-LEAK" not in text
    with pytest.raises(FlyteAuthenticationException, match="was not found"):
        authenticator_for(_cfg("ExternalCommand", command=["/no/such/program"]), None).metadata()
    with pytest.raises(FlyteAuthenticationException, match="needs a command"):
        authenticator_for(_cfg("ExternalCommand"), None)


def test_proxy_command_adds_proxy_authorization_whatever_the_auth_type():
    cfg = _cfg("None", proxy_command=_py("print('PROXY-T')"))
    provider = provider_for(cfg, None)
    assert isinstance(provider, ProxyCommandAuthenticator)
    assert provider.metadata() == (("proxy-authorization", "Bearer PROXY-T"),)
    cfg = _cfg("ExternalCommand", proxy_command=_py("print('PROXY-T')"), command=_py("print('T')"))
    both = provider_for(cfg, None, client_config=ClientConfig("http://x/token"))
    assert isinstance(both, CombinedProvider)
    assert both.metadata() == (("proxy-authorization", "Bearer PROXY-T"), ("authorization", "Bearer T"))


# -- the factory --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "cls"),
    [
        ("Pkce", PKCEAuthenticator),
        ("pkce", PKCEAuthenticator),
        ("standard", PKCEAuthenticator),
        ("DeviceFlow", DeviceFlowAuthenticator),
        ("DEVICEFLOW", DeviceFlowAuthenticator),
        ("ClientSecret", ClientCredentialsAuthenticator),
        ("clientsecret", ClientCredentialsAuthenticator),
        ("basic", ClientCredentialsAuthenticator),
        ("ExternalCommand", CommandAuthenticator),
        ("externalcommand", CommandAuthenticator),
    ],
)
def test_auth_types_as_flytectl_and_flytekit_name_them(mode, cls):
    cfg = _cfg(mode, client_id="svc", client_credentials_secret=SECRET, command=["true"])
    assert type(authenticator_for(cfg, None, client_config=ClientConfig("http://x/token"))) is cls


def test_auth_type_none_means_no_authenticator():
    assert authenticator_for(_cfg("None"), None) is None
    assert authenticator_for(_cfg(AuthType.NONE), None) is None
    assert provider_for(_cfg("none"), None) is None
