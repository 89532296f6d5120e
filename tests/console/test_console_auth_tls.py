"""The console with the admin's auth mode and over TLS, on an in-process admin (no flytekit needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flyteplane.admin.auth.config import AuthConfig
from flyteplane.admin.server import AdminServer
from flyteplane.admin.tls import TlsConfig

PROJECT_PAGE = "/console/projects/flytesnacks/domains/development"


@pytest.fixture
def auth_admin() -> Iterator[AdminServer]:
    with AdminServer(auth=AuthConfig(mode="self", users={"ada": "lovelace"})) as admin:
        yield admin


@pytest.fixture
def tls_admin() -> Iterator[AdminServer]:
    with AdminServer(tls=TlsConfig()) as admin:
        yield admin


def test_without_a_session_the_console_goes_to_login_and_comes_back(auth_admin: AdminServer, page: Any) -> None:
    logins: list[str] = []
    page.on("request", lambda r: logins.append(r.url) if urlsplit(r.url).path == "/login" else None)
    # localhost: the address the admin's public OAuth2 client may be sent back to (its redirect URI's host).
    page.goto(auth_admin.http_endpoint.replace("127.0.0.1", "localhost") + PROJECT_PAGE + "?x=1")
    # The REST API answered 401: the console sent the browser to the admin's login with the page to come back to.
    page.wait_for_selector("input[name=username]")
    assert logins, "the console never went to /login"
    assert parse_qs(urlsplit(logins[0]).query)["redirect_url"] == [PROJECT_PAGE + "?x=1"]
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "lovelace")
    page.click("button[value=approve]")
    page.wait_for_url(re.compile(re.escape(PROJECT_PAGE) + r"\?x=1$"))
    page.wait_for_selector("text=Recent executions")
    assert page.locator(".error").count() == 0


def test_the_console_over_tls(browser: Any, tls_admin: AdminServer) -> None:
    assert tls_admin.http_endpoint.startswith("https://")
    # The admin's certificate is its own; the browser is told to accept it, as a user would once.
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.goto(tls_admin.http_endpoint + "/console")
        page.wait_for_selector("tr[data-project=flytesnacks]")
        page.click("tr[data-project=flytesnacks] a:has-text('development')")
        page.wait_for_selector("text=Recent executions")
        assert page.locator(".error").count() == 0
    finally:
        context.close()
