"""The HTTP routes of auth on the admin's HTTP side, and the bearer check of its other routes.

Routes (mode ``"self"``)::

    GET       /.well-known/oauth-authorization-server   RFC 8414 metadata
    GET       /.well-known/openid-configuration         the same document (clients that look there)
    GET       /oauth2/jwks                              the public signing key
    GET|POST  /oauth2/authorize                         authorization code + PKCE; login form if there are users
    POST      /oauth2/token                             every grant
    POST      /oauth2/device/authorize                  RFC 8628 device authorization
    GET|POST  /oauth2/device/verify                     where a person approves a user code
    POST      /oauth2/revoke                            RFC 7009 revocation
    GET       /me                                       the caller (bearer token required), as UserInfo

In mode ``"external"`` only ``/.well-known/*`` (the provider's document, passed on) and ``/me`` are served.

Who is the person at the authorization and verification pages: the configured ``default_user`` (no question
asked: a sandbox on one's own machine), else a login form checked against ``users``. The device verification form
carries an anti-forgery token bound to the user code, so a page on another site cannot make the browser approve
an attacker's device code as the default user.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from flyteplane.admin.auth import authz
from flyteplane.admin.auth.interceptor import bearer_token
from flyteplane.admin.auth.managers import user_info
from flyteplane.admin.auth.tokens import AuthUnavailable, Identity, InvalidToken
from flyteplane.admin.http_io import HttpCall, blocking, declared_length

if TYPE_CHECKING:
    from flyteplane.admin.auth.runtime import AdminAuth

__all__ = ["AuthRoutes"]

log = logging.getLogger("flyteplane.admin.auth")

_MAX_FORM = 64 * 1024
_HTTP_HEADER_KEYS = ("flyte-authorization", "authorization")
_PAGE_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
)
_CREDENTIAL_FIELDS = frozenset({"username", "password", "action"})

Handler = Callable[[HttpCall], Response]


class AuthRoutes:
    """Serves the auth routes of one admin (:meth:`routes`), and checks the bearer token of the admin's other
    HTTP routes (:meth:`authenticate`)."""

    def __init__(self, auth: AdminAuth) -> None:
        self.auth = auth
        self.session_token: Callable[[dict[str, str]], str | None] | None = None
        """The access token a browser session's cookies carry (set by the REST gateway, which owns the session
        cookies): flyteadmin serves ``/me`` through its gateway, which accepts that cookie, and the console reads
        task logs with it."""
        routes: dict[str, dict[str, Handler]] = {
            "/.well-known/oauth-authorization-server": {"GET": self._metadata},
            "/.well-known/openid-configuration": {"GET": self._metadata},
            authz.USERINFO_PATH: {"GET": self._me},
        }
        if auth.config.mode == "self":
            routes.update(
                {
                    authz.JWKS_PATH: {"GET": self._jwks},
                    authz.AUTHORIZE_PATH: {"GET": self._authorize, "POST": self._authorize_login},
                    authz.TOKEN_PATH: {"POST": self._token},
                    authz.DEVICE_AUTHORIZATION_PATH: {"POST": self._device_authorization},
                    authz.DEVICE_VERIFICATION_PATH: {"GET": self._device_page, "POST": self._device_answer},
                    authz.REVOCATION_PATH: {"POST": self._revoke},
                }
            )
        self._routes = routes

    # -- entry points (called by the admin's HTTP app) ------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The auth routes; another method on one of their paths is answered 405."""
        return [
            Route(path, blocking(handler), methods=[method])
            for path, handlers in self._routes.items()
            for method, handler in handlers.items()
        ]

    def identify(self, headers: list[tuple[str, str]]) -> Identity:
        """The caller whose bearer token is among ``headers``; :class:`InvalidToken` or :class:`AuthUnavailable`
        if there is none, or it is not valid, or it cannot be checked now."""
        if self.session_token is not None and not any(name.lower() in _HTTP_HEADER_KEYS for name, _ in headers):
            cookies = SimpleCookie()
            for name, value in headers:
                if name.lower() == "cookie":
                    cookies.load(value)
            token = self.session_token({key: morsel.value for key, morsel in cookies.items()})
            if token is not None:
                return self.auth.verify(token)
        return self.auth.verify(bearer_token(headers, _HTTP_HEADER_KEYS))

    def authenticate(self, call: HttpCall) -> Identity | Response:
        """The caller of a request that needs a bearer token, or the 401 (503) answer refusing it."""
        try:
            return self.identify(call.headers.items())
        except InvalidToken as e:
            return _send_text(
                call, 401, str(e), [("WWW-Authenticate", 'Bearer realm="flyteplane", error="invalid_token"')]
            )
        except AuthUnavailable as e:
            return _send_text(call, 503, f"the admin cannot check access tokens right now: {e}")

    # -- discovery -----------------------------------------------------------------------------------------
    def _metadata(self, call: HttpCall) -> Response:
        try:
            document = self.auth.oauth2_metadata()
        except AuthUnavailable as e:
            return _send_text(call, 503, f"cannot fetch the identity provider's metadata: {e}")
        return _send_json(200, document)

    def _jwks(self, call: HttpCall) -> Response:
        assert self.auth.signing_key is not None
        return _send_json(200, self.auth.signing_key.jwks())

    def _me(self, call: HttpCall) -> Response:
        identity = self.authenticate(call)
        if isinstance(identity, Response):
            return identity
        return _send_json(200, user_info(identity.subject, identity.claims), no_store=True)

    # -- token, device and revocation endpoints: authlib answers -------------------------------------------
    def _token(self, call: HttpCall) -> Response:
        request = self._request(call)
        return request if isinstance(request, Response) else _send(self.auth.oauth.token(request))

    def _device_authorization(self, call: HttpCall) -> Response:
        request = self._request(call)
        return request if isinstance(request, Response) else _send(self.auth.oauth.device_authorization(request))

    def _revoke(self, call: HttpCall) -> Response:
        request = self._request(call)
        return request if isinstance(request, Response) else _send(self.auth.oauth.revocation(request))

    # -- authorization endpoint ----------------------------------------------------------------------------
    def _authorize(self, call: HttpCall) -> Response:
        request = self._request(call, read_body=False)
        assert not isinstance(request, Response)
        problem = self.auth.oauth.check_authorization(request)
        if problem is not None:
            return _send(problem)
        default_user = self.auth.config.default_user
        if default_user:
            return _send(self.auth.oauth.authorization(request, authz.User(default_user)))
        if self.auth.config.users:
            params = {k: v[0] for k, v in request.query.items() if v and k not in _CREDENTIAL_FIELDS}
            return _send_page(200, _login_page(params))
        return _send_page(403, _message_page("Nobody can log in here", _NO_USERS))

    def _authorize_login(self, call: HttpCall) -> Response:
        submitted = self._request(call)
        if isinstance(submitted, Response):
            return submitted
        form = {k: v[0] for k, v in submitted.form.items() if v}
        params = {k: v for k, v in form.items() if k not in _CREDENTIAL_FIELDS}
        # The authorization request is the one the login page carried along, as if it had come again by GET.
        request = authz.HttpRequest(
            "GET", submitted.uri.split("?", 1)[0], submitted.headers, query={k: [v] for k, v in params.items()}
        )
        problem = self.auth.oauth.check_authorization(request)
        if problem is not None:
            return _send(problem)
        if form.get("action") == "deny":
            return _send(self.auth.oauth.authorization(request, None))
        subject = self._login(form)
        if subject is None:
            return _send_page(401, _login_page(params, error="Wrong user name or password."))
        return _send(self.auth.oauth.authorization(request, authz.User(subject)))

    # -- device verification -------------------------------------------------------------------------------
    def _device_page(self, call: HttpCall) -> Response:
        if not self.auth.config.users and not self.auth.config.default_user:
            return _send_page(403, _message_page("Nobody can log in here", _NO_USERS))
        query = parse_qs(call.raw_query)
        user_code = (query.get("user_code") or [""])[0]
        if not user_code:
            return _send_page(200, _device_page(None, "", self._asks_password()))
        if not self.auth.oauth.device_prompt(user_code):
            return _send_page(400, _message_page("Unknown code", _UNKNOWN_CODE))
        return _send_page(200, _device_page(user_code, self.auth.form_token(user_code), self._asks_password()))

    def _device_answer(self, call: HttpCall) -> Response:
        request = self._request(call)
        if isinstance(request, Response):
            return request
        form = {k: v[0] for k, v in request.form.items() if v}
        user_code = form.get("user_code", "").strip()
        if not user_code or not self.auth.oauth.device_prompt(user_code):
            return _send_page(400, _message_page("Unknown code", _UNKNOWN_CODE))
        expected = self.auth.form_token(user_code)
        if not hmac.compare_digest(expected, form.get("csrf", "")):
            return _send_page(403, _message_page("Expired form", _STALE_FORM))
        subject = self._login(form)
        if subject is None:
            page = _device_page(user_code, expected, self._asks_password(), error="Wrong user name or password.")
            return _send_page(401, page)
        approved = form.get("action") != "deny"
        if not self.auth.oauth.answer_device(user_code, subject, approved):
            return _send_page(400, _message_page("Unknown code", _UNKNOWN_CODE))
        if approved:
            return _send_page(200, _message_page("Device approved", f"Signed in as {subject}. {_BACK}"))
        return _send_page(200, _message_page("Device denied", f"The device was not signed in. {_BACK}"))

    # -- helpers -------------------------------------------------------------------------------------------
    def _asks_password(self) -> bool:
        return bool(self.auth.config.users)

    def _login(self, form: dict[str, str]) -> str | None:
        """The person: checked against ``users`` if there are any, else the default user (None: nobody)."""
        users = self.auth.config.users
        if users:
            name = form.get("username", "")
            expected = users.get(name)
            password = form.get("password", "")
            if expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
                return name
            return None
        return self.auth.config.default_user

    def _request(self, call: HttpCall, read_body: bool = True) -> authz.HttpRequest | Response:
        """The request for the protocol code, or the answer refusing a body that is too large or not a form."""
        form: dict[str, list[str]] = {}
        if read_body:
            length = declared_length(call.headers)
            if call.headers.get("transfer-encoding") or (length is not None and length > _MAX_FORM):
                return _send_text(call, 413, "send a form of at most 64 KiB with a Content-Length", close=True)
            try:
                body = call.body.read_exactly(length) if length else b""
            except (ConnectionError, TimeoutError):  # the client went away or stalled
                return _send_text(call, 400, "the form ended before its announced length", close=True)
            content_type = (call.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
            if body and content_type != "application/x-www-form-urlencoded":
                return _send_text(call, 415, "send application/x-www-form-urlencoded")
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                return _send_text(call, 400, "the form is not UTF-8")
        host = call.headers.get("host") or urlsplit(self.auth.base_url).netloc
        query = parse_qs(call.raw_query, keep_blank_values=True)
        return authz.HttpRequest(call.method, f"{call.scheme}://{host}{call.target}", call.headers, query, form)


# -- responses -----------------------------------------------------------------------------------------------
def _send(response: authz.HttpResponse) -> Response:
    answer = Response(response.body, response.status)
    for name, value in response.headers:
        answer.headers.append(name, value)
    return answer


def _send_json(status: int, document: object, no_store: bool = False) -> Response:
    headers = [("Content-Type", "application/json")]
    if no_store:
        headers.append(("Cache-Control", "no-store"))
    return _send(authz.HttpResponse(status, json.dumps(document).encode(), headers))


def _send_text(
    call: HttpCall,
    status: int,
    message: str,
    headers: list[tuple[str, str]] | None = None,
    close: bool = False,
) -> Response:
    """A plain-text answer (``close``: and the connection closes after it)."""
    body = (message + "\n").encode()
    all_headers = [("Content-Type", "text/plain; charset=utf-8"), *(headers or [])]
    if close:
        all_headers.append(("Connection", "close"))
    return _send(authz.HttpResponse(status, body, all_headers))


def _send_page(status: int, page: str) -> Response:
    headers = [("Content-Type", "text/html; charset=utf-8"), *_PAGE_HEADERS]
    return _send(authz.HttpResponse(status, page.encode(), headers))


# -- pages ---------------------------------------------------------------------------------------------------
_NO_USERS = (
    "This admin has no users to log in as. Start it with users (flyteplane sandbox --auth-user NAME:PASSWORD) or "
    "a default user, or use the client credentials of a confidential client."
)
_UNKNOWN_CODE = "This code is unknown, expired or already used. Start the login on your device again."
_STALE_FORM = "This form is stale or did not come from this page. Open the verification link again."
_BACK = "You can close this page and go back to your terminal."
_STYLE = "body{font-family:sans-serif;max-width:28em;margin:4em auto}input{display:block;margin:.5em 0}"


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _message_page(title: str, message: str) -> str:
    return _page(title, f"<p>{html.escape(message)}</p>")


def _hidden(params: dict[str, str]) -> str:
    return "".join(
        f"<input type='hidden' name='{html.escape(k, quote=True)}' value='{html.escape(v, quote=True)}'>"
        for k, v in params.items()
    )


def _credentials() -> str:
    return (
        "<label>User name<input name='username' autocomplete='username' required></label>"
        "<label>Password<input name='password' type='password' autocomplete='current-password' required></label>"
    )


def _login_page(params: dict[str, str], error: str = "") -> str:
    client = html.escape(params.get("client_id", ""))
    problem = f"<p><strong>{html.escape(error)}</strong></p>" if error else ""
    form = (
        f"<p>{client} asks to act on your behalf on this Flyte admin.</p>{problem}"
        f"<form method='post' action='{authz.AUTHORIZE_PATH}'>{_hidden(params)}{_credentials()}"
        "<button name='action' value='approve'>Log in and allow</button> "
        "<button name='action' value='deny' formnovalidate>Deny</button></form>"
    )
    return _page("Log in to Flyte", form)


def _device_page(user_code: str | None, csrf: str, ask_password: bool, error: str = "") -> str:
    problem = f"<p><strong>{html.escape(error)}</strong></p>" if error else ""
    if user_code is None:
        # No code in the link: ask for it, and come back here by GET to get a form bound to it.
        form = (
            f"<form method='get' action='{authz.DEVICE_VERIFICATION_PATH}'>"
            "<label>Code shown on your device<input name='user_code' required></label>"
            "<button>Continue</button></form>"
        )
        return _page("Sign in a device", form)
    fields = _hidden({"user_code": user_code, "csrf": csrf}) + (_credentials() if ask_password else "")
    form = (
        f"<p>A device asks to sign in with the code <strong>{html.escape(user_code)}</strong>. Approve it only if "
        f"you started that login.</p>{problem}"
        f"<form method='post' action='{authz.DEVICE_VERIFICATION_PATH}'>{fields}"
        "<button name='action' value='approve'>Approve</button> "
        "<button name='action' value='deny' formnovalidate>Deny</button></form>"
    )
    return _page("Sign in a device", form)
