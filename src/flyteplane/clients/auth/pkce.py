"""Pkce: the authorization-code flow with PKCE (RFC 7636, S256), in the user's browser.

A local HTTP server listens on the redirect URI's port (``http://localhost:53593/callback`` for Flyte's default
``flytectl`` client), the browser is sent to the authorization endpoint, and the code that comes back to the
callback is exchanged for tokens. When no browser can be opened the link is printed for the user to open; in a
process with no terminal either, the login fails at once with what to do instead of waiting for nobody.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import logging
import secrets
import sys
import threading
import urllib.parse
from typing import TYPE_CHECKING, Any, TextIO

from flyteplane.clients.auth.base import OAuthAuthenticator
from flyteplane.errors import FlyteAuthenticationException

if TYPE_CHECKING:
    from flyteplane.clients.auth.credentials import Credentials
    from flyteplane.clients.auth.discovery import ClientConfigSource
    from flyteplane.clients.auth.errors import OAuthError
    from flyteplane.clients.auth.oauth_http import HttpSettings
    from flyteplane.clients.auth.token_cache import TokenCache

__all__ = ["DEFAULT_REDIRECT_URI", "PKCEAuthenticator", "code_challenge", "code_verifier"]

log = logging.getLogger("flyteplane.clients.auth")

DEFAULT_REDIRECT_URI = "http://localhost:53593/callback"


def code_verifier() -> str:
    """A fresh PKCE code verifier: 86 characters from the unreserved set (RFC 7636 §4.1 asks for 43-128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier``: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def has_terminal() -> bool:
    """Whether someone could see a printed link: stdin or stderr is a terminal, or this is a Jupyter kernel."""
    if "ipykernel" in sys.modules:
        return True
    for stream in (sys.stdin, sys.stderr):
        try:
            if stream is not None and stream.isatty():
                return True
        except (AttributeError, ValueError):
            continue
    return False


class _Callback:
    """A one-shot HTTP server for the redirect URI; the first request to its path carries the answer."""

    def __init__(self, redirect_uri: str, endpoint: str) -> None:
        parts = urllib.parse.urlsplit(redirect_uri)
        if parts.scheme != "http" or not parts.hostname:
            raise FlyteAuthenticationException(
                f"the redirect URI {redirect_uri!r} is not a local http:// address, so no login callback can be "
                "received; check the OAuth2 client's redirect URI"
            )
        host = parts.hostname
        # "localhost" could resolve to ::1 first while the browser uses 127.0.0.1 (or the reverse); browsers fall
        # back from ::1 to 127.0.0.1, not the other way round, so listen on the IPv4 loopback.
        bind = "127.0.0.1" if host == "localhost" else host
        port = parts.port or 80
        self.path = parts.path or "/"
        self.result: dict[str, str] | None = None
        self.done = threading.Event()
        callback = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path != callback.path or callback.done.is_set():
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                if "code" not in query and "error" not in query:
                    self.send_error(400)  # not an authorization answer (a stray request): keep waiting
                    return
                callback.result = query
                ok = "code" in query and "error" not in query
                page = (
                    f"<h1>Logged in to Flyte at {html.escape(endpoint)}</h1><p>You can close this tab.</p>"
                    if ok
                    else "<h1>Login failed</h1><p>See the terminal for details.</p>"
                )
                body = f"<!doctype html><html><body>{page}</body></html>".encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                callback.done.set()

            def log_message(self, format: str, *args: Any) -> None:
                # http.server logs request lines to stderr; this one carries the authorization code.
                pass

        try:
            self.server = http.server.ThreadingHTTPServer((bind, port), Handler)
        except OSError as e:
            raise FlyteAuthenticationException(
                f"cannot listen on {bind}:{port} for the login callback ({e.strerror or e}); is another login "
                "running? The port comes from the OAuth2 client's redirect URI"
            ) from None
        self.server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and the login is done when the callback came.
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="flyteplane-pkce", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PKCEAuthenticator(OAuthAuthenticator):
    """Browser login (authorization code + PKCE); tokens cached across processes and refreshed with the refresh token.

    Args:
        interactive: True to always run the browser flow when needed, False to never (raise instead), None to
            decide each time: a browser opened, or a terminal to print the link in.
        login_timeout: how long to wait for the browser to come back, in seconds.
        out: where the link is printed when no browser opens.
    """

    flow = "Pkce"
    compatible_flows = frozenset({"Pkce", "DeviceFlow"})

    def __init__(
        self,
        endpoint: str,
        source: ClientConfigSource,
        http: HttpSettings,
        *,
        cache: TokenCache | None = None,
        interactive: bool | None = None,
        login_timeout: float = 300.0,
        out: TextIO | None = None,
    ) -> None:
        super().__init__(endpoint, source, http, cache=cache, proactive=False)
        self.interactive = interactive
        self.login_timeout = login_timeout
        self.out = out

    def authorize_url(self, state: str, challenge: str, redirect_uri: str) -> str:
        config = self.client_config
        if not config.authorization_endpoint:
            raise FlyteAuthenticationException(f"{self.endpoint} announced no OAuth2 authorization endpoint")
        query = {
            "response_type": "code",
            "client_id": self._client_id(),
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if config.scopes:
            query["scope"] = " ".join(config.scopes)
        if config.audience:
            query["audience"] = config.audience
        separator = "&" if "?" in config.authorization_endpoint else "?"
        return config.authorization_endpoint + separator + urllib.parse.urlencode(query)

    def _login(self, reason: OAuthError | None) -> Credentials:
        if self.interactive is False:
            raise self._no_login_possible(reason, "interactive login is turned off")
        redirect_uri = self.client_config.redirect_uri or DEFAULT_REDIRECT_URI
        verifier, state = code_verifier(), secrets.token_urlsafe(24)
        url = self.authorize_url(state, code_challenge(verifier), redirect_uri)
        callback = _Callback(redirect_uri, self.endpoint)
        try:
            if not _open_browser(url):
                if self.interactive is None and not has_terminal():
                    raise self._no_login_possible(reason, "no browser could be opened and there is no terminal")
                out = self.out or sys.stderr
                print(
                    f"Open this link in a browser to log in to Flyte at {self.endpoint}:\n  {url}", file=out, flush=True
                )
            if not callback.done.wait(self.login_timeout):
                raise FlyteAuthenticationException(
                    f"no answer from the browser login for {self.endpoint} within {self.login_timeout:.0f} s; "
                    "run `flyteplane login` to try again"
                )
            answer = callback.result or {}
        finally:
            callback.close()
        if "error" in answer:
            detail = answer.get("error_description", "")
            raise FlyteAuthenticationException(
                f"the login for {self.endpoint} was refused: {answer['error']}"
                + (f" ({detail[:300]})" if detail else "")
            )
        if not secrets.compare_digest(answer.get("state", ""), state):
            raise FlyteAuthenticationException(
                f"the login callback for {self.endpoint} does not match this login (state mismatch: an old browser "
                "tab?); try again"
            )
        code = answer.get("code")
        if not code:
            raise FlyteAuthenticationException(f"the login callback for {self.endpoint} carried no authorization code")
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
        )


def _open_browser(url: str) -> bool:
    """``webbrowser.open(url)``; False when there is no browser (or it fails) rather than an exception."""
    import webbrowser

    try:
        return bool(webbrowser.open(url))
    except Exception as e:
        log.debug("could not open a browser: %s", type(e).__name__)
        return False
