"""The browser session of the web console: ``/login``, ``/callback``, ``/logout`` and the token cookies.

Modelled on flyteadmin's ``auth/handlers.go``, ``cookie.go`` and ``cookie_manager.go``:

* ``GET /login[?redirect_url=...]``: if the browser already holds a valid access token cookie, straight back to
  the redirect URL (flyteadmin's ``RefreshTokensIfExists``); otherwise a random CSRF token goes into the
  ``flyte_csrf_state`` cookie and its SHA-256 (hex) becomes the OAuth2 ``state``; the browser is sent (307) to the
  admin's authorization endpoint. The built-in server requires PKCE (S256) of every client, so the code verifier
  travels in an encrypted cookie as well. The redirect URL, if allowed (a path on this server or this server's
  own origin; anything else is 403, as flyteadmin's ``GetRedirectURLAllowed``), is kept in
  ``flyte_redirect_location``.
* ``GET /callback?code=...&state=...``: the state must hash from the CSRF cookie (else 401); the code is exchanged
  in-process at the token endpoint (else 403); the access token is stored split in two encrypted cookies,
  ``flyte_at_1`` and ``flyte_at_2`` (flyteadmin's ``StoreAccessToken``: one cookie may not hold a whole JWT), the
  refresh token in ``flyte_rt``, the caller's user info in ``flyte_user_info``; then 307 to the redirect URL.
* ``GET /logout[?redirect_url=...]``: the token cookies are deleted (and the refresh token revoked), then 307 to
  the redirect URL if one is given.

Cookies are ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` over HTTPS; values are encrypted and authenticated
(Fernet, in place of gorilla/securecookie) with a key of this admin process, so a session ends when the admin
restarts. ``SameSite=Lax`` is the CSRF rule for the REST API: a cross-site POST, PUT or DELETE never carries the
cookies (flyteadmin itself adds no CSRF check to its gateway).

The built-in authorization server (auth mode ``"self"``) is the identity provider; with ``"external"`` the admin
holds no client secret for the provider and ``/login`` says so (501).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from cryptography.fernet import Fernet, InvalidToken
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from flyteplane.admin.auth.runtime import AdminAuth

__all__ = ["SessionCookies", "login_routes"]

log = logging.getLogger("flyteplane.admin.auth")

ACCESS_TOKEN = "flyte_at"
ACCESS_TOKEN_FIRST = "flyte_at_1"
ACCESS_TOKEN_SECOND = "flyte_at_2"
ID_TOKEN = "flyte_idt"
REFRESH_TOKEN = "flyte_rt"
CSRF_STATE = "flyte_csrf_state"
REDIRECT_LOCATION = "flyte_redirect_location"
USER_INFO = "flyte_user_info"
PKCE_VERIFIER = "flyte_pkce_verifier"
REDIRECT_URL_PARAMETER = "redirect_url"
DEFAULT_REDIRECT = "/console"  # flyteadmin's default UserAuth.RedirectURL
_LOGOUT = (ACCESS_TOKEN, ACCESS_TOKEN_FIRST, ACCESS_TOKEN_SECOND, REFRESH_TOKEN, ID_TOKEN, USER_INFO)


class SessionCookies:
    """Encrypted, authenticated cookies bound to their names (a value cannot be moved to another cookie)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._fernet = Fernet(key or Fernet.generate_key())

    def seal(self, name: str, value: str) -> str:
        return self._fernet.encrypt(f"{name}\0{value}".encode()).decode("ascii")

    def open(self, name: str, sealed: str | None) -> str | None:
        """The value of cookie ``name``; None if absent, forged, or made by another admin process."""
        if not sealed:
            return None
        try:
            plain = self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            return None
        found, _, value = plain.partition("\0")
        return value if found == name and value else None

    def set(self, response: Response, name: str, value: str, *, secure: bool, sealed: bool = True) -> None:
        response.set_cookie(
            name,
            self.seal(name, value) if sealed else value,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )

    def access_token(self, cookies: dict[str, str]) -> str | None:
        """The access token a browser session carries (one cookie, or flyteadmin's two halves)."""
        whole = self.open(ACCESS_TOKEN, cookies.get(ACCESS_TOKEN))
        if whole:
            return whole
        first = self.open(ACCESS_TOKEN_FIRST, cookies.get(ACCESS_TOKEN_FIRST))
        second = self.open(ACCESS_TOKEN_SECOND, cookies.get(ACCESS_TOKEN_SECOND))
        return first + second if first and second else None

    def set_tokens(self, response: Response, access_token: str, refresh_token: str | None, *, secure: bool) -> None:
        middle = len(access_token) // 2
        self.set(response, ACCESS_TOKEN_FIRST, access_token[:middle], secure=secure)
        self.set(response, ACCESS_TOKEN_SECOND, access_token[middle:], secure=secure)
        if refresh_token:
            self.set(response, REFRESH_TOKEN, refresh_token, secure=secure)

    def delete(self, response: Response, names: tuple[str, ...], *, secure: bool) -> None:
        for name in names:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


def _hash_state(csrf: str) -> str:
    return hashlib.sha256(csrf.encode()).hexdigest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def redirect_allowed(request: Request, target: str) -> bool:
    """A path on this server, or a URL of this server's own origin (never another site: no open redirect)."""
    if not target:
        return True
    if target.startswith("/"):
        return not target.startswith("//") and not target.startswith("/\\")
    parts = urlsplit(target)
    return parts.scheme in ("http", "https") and (parts.scheme, parts.netloc) == (
        request.url.scheme,
        request.url.netloc,
    )


class _Login:
    def __init__(self, auth: AdminAuth, cookies: SessionCookies) -> None:
        self.auth = auth
        self.cookies = cookies

    def _callback_uri(self, request: Request) -> str:
        return str(request.url.replace(path="/callback", query="", fragment=""))

    def _client_for(self, redirect_uri: str) -> tuple[str, str] | None:
        """A public client of the built-in server that may receive codes at ``redirect_uri``: (id, scopes)."""
        config = self.auth.config
        candidates = sorted(config.clients, key=lambda c: c.client_id != config.public_client_id)
        for registration in candidates:
            if not registration.is_public or "authorization_code" not in registration.grant_types:
                continue
            client = self.auth.oauth.query_client(registration.client_id)
            if client is not None and client.check_redirect_uri(redirect_uri):
                return registration.client_id, " ".join(registration.scopes)
        return None

    async def login(self, request: Request) -> Response:
        if self.auth.config.mode != "self":
            return PlainTextResponse(
                "browser login through the admin needs auth mode 'self' (the built-in authorization server); "
                "with an external identity provider, sign in there and send its token as 'Authorization: Bearer'",
                status_code=501,
            )
        target = request.query_params.get(REDIRECT_URL_PARAMETER, "")
        if not redirect_allowed(request, target):
            return PlainTextResponse("unauthorized redirect URI", status_code=403)
        token = self.cookies.access_token(request.cookies)
        if token is not None:
            from starlette.concurrency import run_in_threadpool

            try:
                await run_in_threadpool(self.auth.verify, token)
            except Exception:  # expired, revoked, or another admin's: log in again
                token = None
            if token is not None:
                return RedirectResponse(self._end_redirect(request), status_code=307)
        redirect_uri = self._callback_uri(request)
        client = self._client_for(redirect_uri)
        if client is None:
            return PlainTextResponse(
                f"no public OAuth2 client of this admin may receive authorization codes at {redirect_uri}: register "
                "one (AuthConfig.clients) with that redirect URI, or open the console at http://localhost:<port>",
                status_code=400,
            )
        client_id, scope = client
        csrf = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        from flyteplane.admin.auth import authz

        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "state": _hash_state(csrf),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        response = RedirectResponse(f"{self.auth.base_url}{authz.AUTHORIZE_PATH}?{query}", status_code=307)
        secure = _secure(request)
        self.cookies.set(response, CSRF_STATE, csrf, secure=secure, sealed=False)
        self.cookies.set(response, PKCE_VERIFIER, f"{client_id} {verifier}", secure=secure)
        if target:
            self.cookies.set(response, REDIRECT_LOCATION, target, secure=secure, sealed=False)
        return response

    async def callback(self, request: Request) -> Response:
        params = request.query_params
        csrf = request.cookies.get(CSRF_STATE, "")
        state = params.get("state", "")
        if not state or not csrf or not hmac.compare_digest(_hash_state(csrf), state):
            return PlainTextResponse("invalid CSRF state: start again at /login", status_code=401)
        pkce = self.cookies.open(PKCE_VERIFIER, request.cookies.get(PKCE_VERIFIER))
        code = params.get("code", "")
        if pkce is None or not code:
            reason = params.get("error_description") or params.get("error") or "no authorization code"
            return PlainTextResponse(f"login failed: {reason[:200]}", status_code=403)
        client_id, _, verifier = pkce.partition(" ")
        from starlette.concurrency import run_in_threadpool

        tokens = await run_in_threadpool(self._exchange, request, client_id, verifier, code)
        if tokens is None:
            return PlainTextResponse("login failed: the authorization code was refused", status_code=403)
        access_token, refresh_token, info = tokens
        response = RedirectResponse(self._end_redirect(request), status_code=307)
        secure = _secure(request)
        self.cookies.set_tokens(response, access_token, refresh_token, secure=secure)
        self.cookies.set(response, USER_INFO, json.dumps(info), secure=secure)
        self.cookies.delete(response, (CSRF_STATE, PKCE_VERIFIER), secure=secure)
        return response

    def _exchange(self, request: Request, client_id: str, verifier: str, code: str) -> tuple[str, str, Any] | None:
        from flyteplane.admin.auth import authz
        from flyteplane.admin.auth.managers import user_info

        form = {
            "grant_type": ["authorization_code"],
            "code": [code],
            "redirect_uri": [self._callback_uri(request)],
            "client_id": [client_id],
            "code_verifier": [verifier],
        }
        exchange = authz.HttpRequest("POST", self.auth.base_url + authz.TOKEN_PATH, Headers({}), form=form)
        answer = self.auth.oauth.token(exchange)
        if answer.status != 200:
            log.info("login: the token endpoint refused the code (%s)", answer.body[:200])
            return None
        document = json.loads(answer.body)
        access_token = document.get("access_token")
        if not isinstance(access_token, str):
            return None
        identity = self.auth.verify(access_token)
        return access_token, str(document.get("refresh_token") or ""), user_info(identity.subject, identity.claims)

    async def logout(self, request: Request) -> Response:
        target = request.query_params.get(REDIRECT_URL_PARAMETER, "")
        if not redirect_allowed(request, target):
            return PlainTextResponse("unauthorized redirect URI", status_code=403)
        refresh = self.cookies.open(REFRESH_TOKEN, request.cookies.get(REFRESH_TOKEN))
        if refresh:
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(self.auth.revoke, refresh)
        response: Response = RedirectResponse(target, status_code=307) if target else Response(status_code=200)
        self.cookies.delete(response, _LOGOUT, secure=_secure(request))
        return response

    def _end_redirect(self, request: Request) -> str:
        """flyteadmin's ``GetAuthFlowEndRedirect``: the query's redirect URL, the cookie's, else the default."""
        target = request.query_params.get(REDIRECT_URL_PARAMETER, "")
        if target and redirect_allowed(request, target):
            return target
        kept = request.cookies.get(REDIRECT_LOCATION, "")
        return kept if kept and redirect_allowed(request, kept) else DEFAULT_REDIRECT


def login_routes(auth: AdminAuth, cookies: SessionCookies) -> list[BaseRoute]:
    """``/login``, ``/callback`` and ``/logout`` (see the module docstring), for mounting at the root."""
    handlers = _Login(auth, cookies)
    return [
        Route("/login", handlers.login, methods=["GET"]),
        Route("/callback", handlers.callback, methods=["GET"]),
        Route("/logout", handlers.logout, methods=["GET", "POST"]),
    ]
