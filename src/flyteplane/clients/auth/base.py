"""The base authenticator: when to get a token, when to refresh it, where to keep it.

An authenticator is an :class:`~flyteplane.clients.interceptors.AuthProvider`: the client's AuthInterceptor asks
it for ``metadata()`` before each call and calls ``refresh()`` once after an UNAUTHENTICATED answer.

* ``metadata()`` returns the cached token while it is fresh (no lock, no I/O). Within its refresh window
  (``min(60 s, 10% of its lifetime)`` before expiry) it renews first, so a call never goes out with a token about to
  expire. A token that cannot be renewed but has not expired yet is still used.
* Renewing tries the refresh-token grant first; only if there is no refresh token or the server rejects it does it
  run the flow's login (client credentials, the command, or the interactive PKCE / device flows).
* ``refresh()`` does nothing if another thread or process already replaced the token the failed call carried.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, ClassVar

from flyteplane.clients.auth.errors import LOGIN_HINT, OAuthError
from flyteplane.errors import FlyteAuthenticationException, FlyteException

if TYPE_CHECKING:
    from flyteplane.clients.auth.credentials import Credentials
    from flyteplane.clients.auth.discovery import ClientConfig, ClientConfigSource
    from flyteplane.clients.auth.oauth_http import HttpSettings
    from flyteplane.clients.auth.token_cache import TokenCache

__all__ = ["Authenticator", "OAuthAuthenticator"]

log = logging.getLogger("flyteplane.clients.auth")

# After a failed proactive renewal of a still valid token, wait this long (seconds) before trying again.
RENEW_RETRY_PAUSE = 10.0


class Authenticator:
    """Holds the current credentials and decides when to renew them; subclasses implement :meth:`_login`.

    Args:
        endpoint: the admin endpoint the token is for (the cache key).
        cache: where tokens outlive the process; None keeps them in memory only.
        proactive: get a token before the first call even when none is cached (flows that need no human).
    """

    flow: ClassVar[str] = ""
    # Flows whose cached tokens this one may use (the interactive flows issue the same kind of user token).
    compatible_flows: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, endpoint: str, *, cache: TokenCache | None = None, proactive: bool = True) -> None:
        self.endpoint = endpoint
        self.cache = cache
        self.proactive = proactive
        self._credentials: Credentials | None = None
        self._loaded = False
        self._renew_failed_at = -RENEW_RETRY_PAUSE
        self._lock = threading.RLock()
        # The token each thread last sent: refresh() must only replace the one the server just rejected.
        self._sent = threading.local()

    # -- the AuthProvider protocol ---------------------------------------------------------------------------
    def metadata(self) -> tuple[tuple[str, str], ...]:
        creds = self._credentials
        if creds is None or creds.needs_refresh():
            creds = self._ensure()
        if creds is None:
            self._sent.token = None
            return ()
        self._sent.token = creds.access_token
        return ((creds.header_key, f"Bearer {creds.access_token}"),)

    def refresh(self) -> None:
        rejected = getattr(self._sent, "token", None)
        with self._lock:
            current = self._credentials
            if current is not None and current.access_token != rejected and not current.needs_refresh():
                return  # another thread already replaced the token that failed
            cached = self._load()
            if cached is not None and cached.access_token != rejected and not cached.needs_refresh():
                self._credentials = cached  # another process logged in or refreshed meanwhile
                return
            basis = current if current is not None and current.refresh_token else cached or current
            self._renew(basis)

    # -- public helpers ----------------------------------------------------------------------------------------
    @property
    def credentials(self) -> Credentials | None:
        """The current credentials, if any (loaded from the cache on first use)."""
        with self._lock:
            if self._credentials is None:
                self._credentials = self._load()
            return self._credentials

    def login(self) -> Credentials:
        """Get new credentials with the flow's own login (ignoring any refresh token) and cache them."""
        with self._lock:
            return self._keep(self._login(None))

    def forget(self) -> None:
        """Drop the credentials here and in the cache."""
        with self._lock:
            self._credentials = None
            if self.cache is not None:
                self.cache.delete(self.endpoint)

    # -- internals ---------------------------------------------------------------------------------------------
    def _ensure(self) -> Credentials | None:
        with self._lock:
            creds = self._credentials
            if creds is None and not self._loaded:
                creds = self._credentials = self._load()
            if creds is not None and not creds.needs_refresh():
                return creds
            if creds is None:
                return self._keep(self._login(None)) if self.proactive else None
            if not creds.expired() and time.monotonic() - self._renew_failed_at < RENEW_RETRY_PAUSE:
                return creds  # renewing failed a moment ago; do not hit the token endpoint on every call
            try:
                return self._renew(creds)
            except FlyteException as e:
                if creds.expired():
                    raise
                # Still valid for a little while: use it, and try again a bit later.
                self._renew_failed_at = time.monotonic()
                log.warning("could not renew the token for %s before it expires: %s", self.endpoint, e)
                return creds

    def _load(self) -> Credentials | None:
        self._loaded = True
        if self.cache is None:
            return None
        creds = self.cache.load(self.endpoint)
        if creds is None or not self._accepts(creds):
            return None
        return creds

    def _accepts(self, creds: Credentials) -> bool:
        """Whether a cached token was made by a flow (and client) this authenticator may use."""
        return creds.flow in self.compatible_flows or creds.flow == self.flow

    def _keep(self, creds: Credentials) -> Credentials:
        self._credentials = creds
        if self.cache is not None:
            self.cache.store(self.endpoint, creds)
        left = creds.expires_in()
        log.info(
            "got a token for %s (%s)%s",
            self.endpoint,
            self.flow,
            f", valid for {left:.0f} s" if left is not None else "",
        )
        return creds

    def _renew(self, creds: Credentials | None) -> Credentials:
        """New credentials: the refresh-token grant if possible, else a new login."""
        reason: OAuthError | None = None
        if creds is not None and creds.refresh_token:
            try:
                return self._keep(self._refresh_grant(creds))
            except OAuthError as e:
                if e.error is None:
                    raise  # unreachable or not OAuth2 at all: a login would fail the same way
                reason = e
                log.info("the refresh token for %s was rejected (%s); logging in again", self.endpoint, e.error)
            # With rotating refresh tokens another process may have used ours a moment ago and cached the result.
            cached = self._load()
            if cached is not None and cached.refresh_token != creds.refresh_token and not cached.needs_refresh():
                self._credentials = cached
                return cached
        return self._keep(self._login(reason))

    def _refresh_grant(self, creds: Credentials) -> Credentials:
        raise OAuthError(f"{self.flow} tokens cannot be refreshed", endpoint=self.endpoint, error="unsupported")

    def _login(self, reason: OAuthError | None) -> Credentials:
        """Get credentials from scratch. ``reason`` is why the refresh token did not do (for messages)."""
        raise NotImplementedError


class OAuthAuthenticator(Authenticator):
    """An authenticator that talks to an OAuth2 server found through a :class:`ClientConfigSource`."""

    def __init__(
        self,
        endpoint: str,
        source: ClientConfigSource,
        http: HttpSettings,
        *,
        cache: TokenCache | None = None,
        proactive: bool = True,
    ) -> None:
        super().__init__(endpoint, cache=cache, proactive=proactive)
        self.source = source
        self.http = http

    @property
    def client_config(self) -> ClientConfig:
        return self.source.get()

    def _client_id(self) -> str:
        client_id = self.client_config.client_id
        if not client_id:
            raise FlyteAuthenticationException(
                f"no OAuth2 client id for {self.endpoint}: the server suggests none; set admin.clientId"
            )
        return client_id

    def _token_form_base(self) -> dict[str, str]:
        config = self.client_config
        form: dict[str, str] = {}
        if config.scopes:
            form["scope"] = " ".join(config.scopes)
        if config.audience:
            form["audience"] = config.audience
        return form

    def _token(
        self, form: dict[str, str], *, previous: Credentials | None = None, secret: str | None = None
    ) -> Credentials:
        """POST ``form`` to the token endpoint (with the client's authentication) and wrap the answer."""
        from flyteplane.clients.auth.credentials import Credentials
        from flyteplane.clients.auth.oauth_http import post_form

        config = self.client_config
        client_id = self._client_id()
        client_auth = None
        if secret is not None:
            if config.token_endpoint_auth_methods and "client_secret_basic" not in config.token_endpoint_auth_methods:
                form = {**form, "client_id": client_id, "client_secret": secret}
            else:
                client_auth = (client_id, secret)
        else:
            form = {**form, "client_id": client_id}  # a public client identifies itself in the form
        body = post_form(self.http, config.token_endpoint, form, client_auth=client_auth)
        if not body.get("access_token"):
            raise OAuthError(
                f"the token endpoint {config.token_endpoint} answered without an access token",
                endpoint=config.token_endpoint,
            )
        return Credentials.from_token_response(
            body, flow=self.flow, client_id=client_id, header_key=config.header_key, previous=previous
        )

    def _refresh_grant(self, creds: Credentials) -> Credentials:
        assert creds.refresh_token is not None
        return self._token({"grant_type": "refresh_token", "refresh_token": creds.refresh_token}, previous=creds)

    def _no_login_possible(self, reason: OAuthError | None, why: str) -> FlyteAuthenticationException:
        lead = (
            f"the refresh token for {self.endpoint} was rejected ({reason.error})"
            if reason is not None
            else f"there is no token for {self.endpoint}"
        )
        return FlyteAuthenticationException(f"{lead} and {why}: {LOGIN_HINT}")
