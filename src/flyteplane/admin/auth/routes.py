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
import ssl
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qs, urlsplit

from flyteplane.admin.auth import authz
from flyteplane.admin.auth.interceptor import bearer_token
from flyteplane.admin.auth.managers import user_info
from flyteplane.admin.auth.tokens import AuthUnavailable, Identity, InvalidToken

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

Route = Callable[[BaseHTTPRequestHandler, SplitResult], None]


class AuthRoutes:
    """Serves the auth routes of one admin; :meth:`handle` says whether a request was one of them."""

    def __init__(self, auth: AdminAuth) -> None:
        self.auth = auth
        routes: dict[tuple[str, str], Route] = {
            ("GET", "/.well-known/oauth-authorization-server"): self._metadata,
            ("GET", "/.well-known/openid-configuration"): self._metadata,
            ("GET", authz.USERINFO_PATH): self._me,
        }
        if auth.config.mode == "self":
            routes.update(
                {
                    ("GET", authz.JWKS_PATH): self._jwks,
                    ("GET", authz.AUTHORIZE_PATH): self._authorize,
                    ("POST", authz.AUTHORIZE_PATH): self._authorize_login,
                    ("POST", authz.TOKEN_PATH): self._token,
                    ("POST", authz.DEVICE_AUTHORIZATION_PATH): self._device_authorization,
                    ("GET", authz.DEVICE_VERIFICATION_PATH): self._device_page,
                    ("POST", authz.DEVICE_VERIFICATION_PATH): self._device_answer,
                    ("POST", authz.REVOCATION_PATH): self._revoke,
                }
            )
        self._routes = routes
        self._paths = {path for _, path in routes}

    # -- entry points (called by the admin's HTTP handler) --------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler) -> bool:
        """Serve ``handler``'s request if it is an auth route (True), else leave it alone (False)."""
        parts = urlsplit(handler.path)
        route = self._routes.get((handler.command, parts.path))
        if route is None:
            if parts.path not in self._paths:
                return False
            _drain(handler)
            _send_text(handler, 405, f"{handler.command} is not allowed here")
            return True
        route(handler, parts)
        return True

    def authenticate(self, handler: BaseHTTPRequestHandler) -> Identity | None:
        """The caller of a request that needs a bearer token; None after answering 401 (or 503)."""
        try:
            return self.auth.verify(bearer_token(list(handler.headers.items()), _HTTP_HEADER_KEYS))
        except InvalidToken as e:
            _drain(handler)
            _send_text(
                handler,
                401,
                str(e),
                [("WWW-Authenticate", 'Bearer realm="flyteplane", error="invalid_token"')],
            )
        except AuthUnavailable as e:
            _drain(handler)
            _send_text(handler, 503, f"the admin cannot check access tokens right now: {e}")
        return None

    # -- discovery -----------------------------------------------------------------------------------------
    def _metadata(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        try:
            document = self.auth.oauth2_metadata()
        except AuthUnavailable as e:
            _send_text(handler, 503, f"cannot fetch the identity provider's metadata: {e}")
            return
        _send_json(handler, 200, document)

    def _jwks(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        assert self.auth.signing_key is not None
        _send_json(handler, 200, self.auth.signing_key.jwks())

    def _me(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        identity = self.authenticate(handler)
        if identity is not None:
            _send_json(handler, 200, user_info(identity.subject, identity.claims), no_store=True)

    # -- token, device and revocation endpoints: authlib answers -------------------------------------------
    def _token(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        request = self._request(handler, parts)
        if request is not None:
            _send(handler, self.auth.oauth.token(request))

    def _device_authorization(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        request = self._request(handler, parts)
        if request is not None:
            _send(handler, self.auth.oauth.device_authorization(request))

    def _revoke(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        request = self._request(handler, parts)
        if request is not None:
            _send(handler, self.auth.oauth.revocation(request))

    # -- authorization endpoint ----------------------------------------------------------------------------
    def _authorize(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        request = self._request(handler, parts, read_body=False)
        assert request is not None
        problem = self.auth.oauth.check_authorization(request)
        if problem is not None:
            _send(handler, problem)
            return
        default_user = self.auth.config.default_user
        if default_user:
            _send(handler, self.auth.oauth.authorization(request, authz.User(default_user)))
        elif self.auth.config.users:
            params = {k: v[0] for k, v in request.query.items() if v and k not in _CREDENTIAL_FIELDS}
            _send_page(handler, 200, _login_page(params))
        else:
            _send_page(handler, 403, _message_page("Nobody can log in here", _NO_USERS))

    def _authorize_login(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        submitted = self._request(handler, parts)
        if submitted is None:
            return
        form = {k: v[0] for k, v in submitted.form.items() if v}
        params = {k: v for k, v in form.items() if k not in _CREDENTIAL_FIELDS}
        # The authorization request is the one the login page carried along, as if it had come again by GET.
        request = authz.HttpRequest(
            "GET", submitted.uri.split("?", 1)[0], submitted.headers, query={k: [v] for k, v in params.items()}
        )
        problem = self.auth.oauth.check_authorization(request)
        if problem is not None:
            _send(handler, problem)
            return
        if form.get("action") == "deny":
            _send(handler, self.auth.oauth.authorization(request, None))
            return
        subject = self._login(form)
        if subject is None:
            _send_page(handler, 401, _login_page(params, error="Wrong user name or password."))
            return
        _send(handler, self.auth.oauth.authorization(request, authz.User(subject)))

    # -- device verification -------------------------------------------------------------------------------
    def _device_page(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        if not self.auth.config.users and not self.auth.config.default_user:
            _send_page(handler, 403, _message_page("Nobody can log in here", _NO_USERS))
            return
        query = parse_qs(parts.query)
        user_code = (query.get("user_code") or [""])[0]
        if not user_code:
            _send_page(handler, 200, _device_page(None, "", self._asks_password()))
            return
        if not self.auth.oauth.device_prompt(user_code):
            _send_page(handler, 400, _message_page("Unknown code", _UNKNOWN_CODE))
            return
        _send_page(handler, 200, _device_page(user_code, self.auth.form_token(user_code), self._asks_password()))

    def _device_answer(self, handler: BaseHTTPRequestHandler, parts: SplitResult) -> None:
        request = self._request(handler, parts)
        if request is None:
            return
        form = {k: v[0] for k, v in request.form.items() if v}
        user_code = form.get("user_code", "").strip()
        if not user_code or not self.auth.oauth.device_prompt(user_code):
            _send_page(handler, 400, _message_page("Unknown code", _UNKNOWN_CODE))
            return
        expected = self.auth.form_token(user_code)
        if not hmac.compare_digest(expected, form.get("csrf", "")):
            _send_page(handler, 403, _message_page("Expired form", _STALE_FORM))
            return
        subject = self._login(form)
        if subject is None:
            page = _device_page(user_code, expected, self._asks_password(), error="Wrong user name or password.")
            _send_page(handler, 401, page)
            return
        approved = form.get("action") != "deny"
        if not self.auth.oauth.answer_device(user_code, subject, approved):
            _send_page(handler, 400, _message_page("Unknown code", _UNKNOWN_CODE))
            return
        if approved:
            _send_page(handler, 200, _message_page("Device approved", f"Signed in as {subject}. {_BACK}"))
        else:
            _send_page(handler, 200, _message_page("Device denied", f"The device was not signed in. {_BACK}"))

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

    def _request(
        self, handler: BaseHTTPRequestHandler, parts: SplitResult, read_body: bool = True
    ) -> authz.HttpRequest | None:
        """The request for the protocol code; None after answering a body that is too large or not a form."""
        form: dict[str, list[str]] = {}
        if read_body:
            text = handler.headers.get("Content-Length")
            try:
                length = int(text) if text is not None else 0
            except ValueError:
                length = -1
            if length < 0 or length > _MAX_FORM or handler.headers.get("Transfer-Encoding"):
                handler.close_connection = True
                _send_text(handler, 413, "send a form of at most 64 KiB with a Content-Length")
                return None
            body = handler.rfile.read(length) if length else b""
            content_type = (handler.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if body and content_type != "application/x-www-form-urlencoded":
                _send_text(handler, 415, "send application/x-www-form-urlencoded")
                return None
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                _send_text(handler, 400, "the form is not UTF-8")
                return None
        scheme = "https" if isinstance(handler.connection, ssl.SSLSocket) else "http"
        host = handler.headers.get("Host") or urlsplit(self.auth.base_url).netloc
        query = parse_qs(parts.query, keep_blank_values=True)
        return authz.HttpRequest(handler.command, f"{scheme}://{host}{handler.path}", handler.headers, query, form)


# -- responses -----------------------------------------------------------------------------------------------
def _send(handler: BaseHTTPRequestHandler, response: authz.HttpResponse) -> None:
    handler.send_response(response.status)
    for name, value in response.headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(response.body)))
    handler.end_headers()
    handler.wfile.write(response.body)


def _send_json(handler: BaseHTTPRequestHandler, status: int, document: object, no_store: bool = False) -> None:
    headers = [("Content-Type", "application/json")]
    if no_store:
        headers.append(("Cache-Control", "no-store"))
    _send(handler, authz.HttpResponse(status, json.dumps(document).encode(), headers))


def _send_text(
    handler: BaseHTTPRequestHandler, status: int, message: str, headers: list[tuple[str, str]] | None = None
) -> None:
    body = (message + "\n").encode()
    all_headers = [("Content-Type", "text/plain; charset=utf-8"), *(headers or [])]
    if handler.close_connection:
        all_headers.append(("Connection", "close"))
    _send(handler, authz.HttpResponse(status, body, all_headers))


def _send_page(handler: BaseHTTPRequestHandler, status: int, page: str) -> None:
    headers = [("Content-Type", "text/html; charset=utf-8"), *_PAGE_HEADERS]
    _send(handler, authz.HttpResponse(status, page.encode(), headers))


def _drain(handler: BaseHTTPRequestHandler) -> None:
    """Read a small request body so the connection stays usable; a large or unsized one closes it instead."""
    text = handler.headers.get("Content-Length")
    try:
        length = int(text) if text is not None else 0
    except ValueError:
        length = -1
    if 0 <= length <= _MAX_FORM and not handler.headers.get("Transfer-Encoding"):
        if length:
            handler.rfile.read(length)
    else:
        handler.close_connection = True


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
