"""One admin's auth, put together: keys, the token verifier, the authorization server, and their gRPC and HTTP faces.

:class:`AdminAuth` is made when the admin starts with auth on, and bound to the admin's HTTP endpoint once that
listens (the endpoint is the default issuer, and the OAuth2 endpoints live there). The server keeps it as
``AdminServer.auth``; tests use :meth:`AdminAuth.mint`, :meth:`AdminAuth.revoke` and
:meth:`AdminAuth.approve_device` directly.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flyteplane.admin.auth.config import GRANT_DEVICE_CODE, AuthConfig
from flyteplane.admin.auth.stores import RevokedAccessTokens, normalize_user_code
from flyteplane.admin.auth.tokens import AuthUnavailable, Identity, InvalidToken, TokenVerifier, sign_access_token
from flyteplane.admin.store.revoked_tokens import RevokedTokenRepository

if TYPE_CHECKING:
    import grpc

    from flyteplane.admin.auth.authz import OAuthServer
    from flyteplane.admin.auth.jwks import IdentityProvider
    from flyteplane.admin.auth.keys import SigningKey
    from flyteplane.admin.auth.routes import AuthRoutes
    from flyteplane.admin.auth.stores import RefreshTokens
    from flyteplane.admin.config import AdminContext

__all__ = ["SIGNING_KEY_FILE", "AdminAuth"]

log = logging.getLogger("flyteplane.admin.auth")

SIGNING_KEY_FILE = Path("auth") / "signing-key.pem"


class AdminAuth:
    """The auth of one admin (``config.mode`` is ``"self"`` or ``"external"``)."""

    def __init__(self, ctx: AdminContext, config: AuthConfig) -> None:
        if not config.enabled:
            raise ValueError("AdminAuth needs auth mode 'self' or 'external'")
        self.ctx = ctx
        self.config = config
        self.issuer = ""
        self.audience = ""
        self.http_endpoint = ""
        # In the database: a revoked token stays revoked when the admin restarts.
        self.revoked_access_tokens = RevokedAccessTokens(RevokedTokenRepository(ctx.store))
        self.signing_key: SigningKey | None = None
        self.refresh_tokens: RefreshTokens | None = None
        self.provider: IdentityProvider | None = None
        self._oauth: OAuthServer | None = None
        self._verifier: TokenVerifier | None = None
        # Binds the device verification form to the page that showed it (see routes.py: a cross-site POST
        # cannot approve an attacker's device code as the sandbox's default user).
        self.form_secret = secrets.token_bytes(32)
        _quiet_authlib()
        if config.mode == "self":
            from flyteplane.admin.auth.keys import SigningKey
            from flyteplane.admin.auth.stores import RefreshTokens

            key_path = config.signing_key_path
            if key_path is None and ctx.config.state_dir is not None:
                key_path = Path(ctx.config.state_dir) / SIGNING_KEY_FILE
            self.signing_key = SigningKey.load_or_create(key_path) if key_path is not None else SigningKey.generate()
            self.refresh_tokens = RefreshTokens(ctx.store)
        else:
            from flyteplane.admin.auth.jwks import IdentityProvider

            assert config.issuer is not None
            self.provider = IdentityProvider(config.issuer, config.jwks_uri)

    @classmethod
    def of(cls, holder: Any) -> AdminAuth:
        """The auth of an :class:`AdminServer`, of its :class:`~flyteplane.admin.wiring.AdminServices`, or itself."""
        if isinstance(holder, AdminAuth):
            return holder
        auth = getattr(holder, "auth", None)
        if isinstance(auth, AdminAuth):
            return auth
        raise ValueError(f"{holder!r} has no auth: start the admin with AuthConfig(mode='self') or 'external'")

    # -- lifecycle -----------------------------------------------------------------------------------------
    def bind(self, http_endpoint: str) -> None:
        """Serve under ``http_endpoint`` (``http(s)://host:port``): the issuer unless one is configured."""
        self.http_endpoint = http_endpoint.rstrip("/")
        config = self.config
        if config.mode == "self":
            from flyteplane.admin.auth.authz import OAuthServer

            assert self.signing_key is not None and self.refresh_tokens is not None
            self.issuer = (config.issuer or self.http_endpoint).rstrip("/")
            self.audience = config.audience or self.issuer
            audiences = {self.audience, *(c.audience for c in config.clients if c.audience)}
            public_keys = self.signing_key.public_key_set
            self._verifier = TokenVerifier(
                self.issuer,
                sorted(audiences),
                lambda refresh: public_keys,
                is_revoked=self.revoked_access_tokens.__contains__,
            )
            self._oauth = OAuthServer(
                config,
                issuer=self.issuer,
                audience=self.audience,
                key=self.signing_key,
                refresh_tokens=self.refresh_tokens,
                revoked_access_tokens=self.revoked_access_tokens,
                verify_access_token=self.verify,
            )
        else:
            assert self.provider is not None and config.issuer is not None and config.audience is not None
            # ``iss`` is compared exactly as configured: some providers (Auth0) end their issuer with a slash.
            self.issuer = config.issuer
            self.audience = config.audience
            self._verifier = TokenVerifier(
                config.issuer,
                [config.audience],
                self.provider.key_set,
                leeway=config.clock_skew,
                is_revoked=self.revoked_access_tokens.__contains__,
            )

    @property
    def oauth(self) -> OAuthServer:
        """The built-in authorization server (mode ``"self"``, once bound)."""
        if self._oauth is None:
            raise RuntimeError("the built-in authorization server runs only in auth mode 'self', once started")
        return self._oauth

    @property
    def base_url(self) -> str:
        """Where the OAuth2 endpoints are (the issuer without a trailing slash)."""
        return self.issuer.rstrip("/")

    # -- tokens --------------------------------------------------------------------------------------------
    def verify(self, token: str) -> Identity:
        """The identity in a bearer token; :class:`InvalidToken` (or :class:`AuthUnavailable`) if none."""
        verifier = self._verifier
        if verifier is None:
            raise AuthUnavailable("the admin is starting")
        return verifier.verify(token)

    def mint(
        self,
        subject: str,
        scopes: Iterable[str] = ("all",),
        expires_in: float | None = None,
        *,
        audience: str | None = None,
        client_id: str = "flyteplane",
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """An access token signed by this admin's key, without any OAuth2 exchange (tests, scripts).

        ``expires_in`` defaults to the access token lifetime and may be negative (an already expired token);
        ``audience`` defaults to the admin's.
        """
        if self.signing_key is None or not self.issuer:
            raise RuntimeError("tokens can be minted only in auth mode 'self', once the admin has started")
        return sign_access_token(
            self.signing_key,
            issuer=self.issuer,
            audience=audience or self.audience,
            subject=subject,
            client_id=client_id,
            scopes=scopes,
            expires_in=self.config.access_token_ttl if expires_in is None else expires_in,
            extra_claims=claims,
        )

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token or an access token of this admin; True if it was live and is revoked now."""
        if self.refresh_tokens is not None and self.refresh_tokens.find(token) is not None:
            return self.refresh_tokens.revoke_token(token)
        try:
            identity = self.verify(token)
        except (InvalidToken, AuthUnavailable):
            return False
        if identity.token_id is None or identity.expires_at is None:
            return False
        self.revoked_access_tokens.add(identity.token_id, identity.expires_at)
        return True

    def approve_device(self, user_code: str, subject: str | None = None, *, approve: bool = True) -> bool:
        """Answer a pending device authorization as ``subject`` (default: the configured default user);
        False if no authorization is pending with this user code."""
        subject = subject or self.config.default_user
        if not subject:
            raise ValueError("say which user approves (no default_user is configured)")
        return self.oauth.answer_device(user_code, subject, approve)

    def form_token(self, user_code: str) -> str:
        """The anti-forgery token of the device verification form for ``user_code``."""
        message = normalize_user_code(user_code).encode()
        return hmac.new(self.form_secret, message, hashlib.sha256).hexdigest()

    # -- what clients are told -----------------------------------------------------------------------------
    def oauth2_metadata(self) -> dict[str, Any]:
        """The RFC 8414 document (GetOAuth2Metadata and ``/.well-known/oauth-authorization-server``)."""
        if self.provider is not None:
            return self.provider.metadata()
        from flyteplane.admin.auth import authz

        base = self.base_url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": base + authz.AUTHORIZE_PATH,
            "token_endpoint": base + authz.TOKEN_PATH,
            "device_authorization_endpoint": base + authz.DEVICE_AUTHORIZATION_PATH,
            "revocation_endpoint": base + authz.REVOCATION_PATH,
            "jwks_uri": base + authz.JWKS_PATH,
            "userinfo_endpoint": base + authz.USERINFO_PATH,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token", GRANT_DEVICE_CODE],
            "scopes_supported": list(self.config.scopes),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
        }

    def public_client_config(self) -> dict[str, Any]:
        """What GetPublicClientConfig answers."""
        config = self.config
        return {
            "client_id": config.public_client_id,
            "redirect_uri": config.public_redirect_uri,
            "scopes": list(config.public_scopes),
            "authorization_metadata_key": config.authorization_metadata_key,
            "service_http_endpoint": self.http_endpoint,
            "audience": self.audience,
        }

    # -- faces ---------------------------------------------------------------------------------------------
    def interceptor(self) -> grpc.ServerInterceptor:
        from flyteplane.admin.auth.interceptor import BearerTokenInterceptor

        return BearerTokenInterceptor(self.verify)

    def managers(self) -> list[object]:
        from flyteplane.admin.auth.managers import AuthMetadataManager, IdentityManager

        return [AuthMetadataManager(self), IdentityManager(self)]

    def http_routes(self) -> AuthRoutes:
        from flyteplane.admin.auth.routes import AuthRoutes

        return AuthRoutes(self)

    def __repr__(self) -> str:
        return f"AdminAuth(mode={self.config.mode!r}, issuer={self.issuer!r})"


def _quiet_authlib() -> None:
    # authlib logs issued tokens at DEBUG ("Issue token {...}"); tokens must never reach a log, so its loggers stop
    # at INFO unless someone configured them explicitly.
    logger = logging.getLogger("authlib")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
