"""Settings of the admin's auth mode: who may get tokens, from whom tokens are accepted, for how long.

Three modes:

* ``"none"``: no authentication, as the Flyte sandbox (the default).
* ``"self"``: the admin is its own OAuth2 authorization server (as Flyte Admin's ``authorizationServerType:
  Self``): it issues RS256 JWT access tokens to the registered :class:`ClientRegistration` s, with the grants
  client credentials, authorization code with PKCE (S256), device code and refresh token.
* ``"external"``: tokens come from another issuer (Okta, Keycloak, Auth0, ...); the admin only validates them,
  against the issuer's JWKS, and requires ``aud`` to be :attr:`AuthConfig.audience`.

With ``"self"`` and no clients given, two clients are registered, as flyteadmin's defaults:

* ``flytectl``: public (no secret), redirect ``http://localhost:53593/callback``, PKCE + device code + refresh
  tokens. flytekit and flytectl use this client id unless told otherwise.
* ``flytepropeller``: confidential, client credentials only, with a secret that is generated when not given
  (:meth:`AuthConfig.client_secret` tells it, for the sandbox to print).

Users: the authorization and device verification pages authenticate a person either by ``users`` (name ->
password, a minimal login form) or, for a sandbox on one's own machine and for tests, by ``default_user``: that
user is logged in without a question. With neither, only :meth:`AdminAuth.approve_device` (in-process) approves.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "AUTHORIZATION_METADATA_KEY",
    "DEFAULT_REDIRECT_URI",
    "DEFAULT_SCOPES",
    "GRANT_AUTHORIZATION_CODE",
    "GRANT_CLIENT_CREDENTIALS",
    "GRANT_DEVICE_CODE",
    "GRANT_REFRESH_TOKEN",
    "AuthConfig",
    "AuthMode",
    "ClientRegistration",
    "default_clients",
]

AuthMode = Literal["none", "self", "external"]

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
_GRANTS = frozenset({GRANT_CLIENT_CREDENTIALS, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_DEVICE_CODE})

DEFAULT_PUBLIC_CLIENT_ID = "flytectl"
DEFAULT_CONFIDENTIAL_CLIENT_ID = "flytepropeller"
DEFAULT_REDIRECT_URI = "http://localhost:53593/callback"
# flyteadmin's default scopes for its public client; "offline" is what asks for a refresh token.
DEFAULT_SCOPES: tuple[str, ...] = ("all", "offline")
# The gRPC metadata key flyteadmin tells clients to put the token under (``authorization`` works too).
AUTHORIZATION_METADATA_KEY = "flyte-authorization"


@dataclass(frozen=True)
class ClientRegistration:
    """One OAuth2 client the built-in authorization server knows.

    Args:
        client_id: the client's id.
        client_secret: None for a public client (PKCE, device code; no secret), else the secret a confidential
            client authenticates with (HTTP Basic or form fields).
        redirect_uris: where the authorization code may be sent. A loopback URI (``localhost``, ``127.0.0.1``,
            ``[::1]``) matches any port, as RFC 8252 asks, so a CLI may listen on a free port.
        grant_types: the grants the client may use.
        scopes: the scopes it may get; a request without ``scope`` gets all of them.
        audience: the ``aud`` of its tokens; None: the admin's audience.
    """

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = (GRANT_CLIENT_CREDENTIALS,)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    audience: str | None = None

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_id.strip():
            raise ValueError("a client needs a client_id")
        if self.client_secret is not None and not self.client_secret:
            raise ValueError(f"client {self.client_id!r}: the secret is empty (None makes a public client)")
        unknown = set(self.grant_types) - _GRANTS
        if unknown:
            raise ValueError(f"client {self.client_id!r}: unknown grant types {sorted(unknown)}")
        if self.is_public and GRANT_CLIENT_CREDENTIALS in self.grant_types:
            raise ValueError(f"client {self.client_id!r}: client credentials need a client secret")
        if GRANT_AUTHORIZATION_CODE in self.grant_types and not self.redirect_uris:
            raise ValueError(f"client {self.client_id!r}: the authorization code grant needs redirect_uris")
        for uri in self.redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
                raise ValueError(f"client {self.client_id!r}: {uri!r} is not an absolute http(s) URI")

    @property
    def is_public(self) -> bool:
        """A public client has no secret (a CLI on a user's machine cannot keep one)."""
        return self.client_secret is None


def default_clients(client_secret: str | None = None) -> tuple[ClientRegistration, ...]:
    """flyteadmin's two default clients: public ``flytectl`` and confidential ``flytepropeller``.

    ``client_secret`` is ``flytepropeller``'s secret; a random one when None.
    """
    return (
        ClientRegistration(
            DEFAULT_PUBLIC_CLIENT_ID,
            redirect_uris=(DEFAULT_REDIRECT_URI,),
            grant_types=(GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN),
        ),
        ClientRegistration(
            DEFAULT_CONFIDENTIAL_CLIENT_ID,
            client_secret=client_secret or secrets.token_urlsafe(32),
            grant_types=(GRANT_CLIENT_CREDENTIALS,),
            scopes=("all",),
        ),
    )


@dataclass(frozen=True)
class AuthConfig:
    """How the admin authenticates callers (see the module docstring for the modes).

    Common:
        mode: ``"none"``, ``"self"`` or ``"external"``.
        issuer: the ``iss`` of accepted tokens. ``"self"``: None means the admin's HTTP endpoint (the OAuth2
            endpoints live there; set it to the public URL when clients reach the admin by another name).
            ``"external"``: the identity provider's issuer URL (required).
        audience: the ``aud`` accepted tokens must carry. ``"self"``: None means the issuer. ``"external"``:
            required (e.g. ``api://default`` on Okta).
        authorization_metadata_key: the gRPC metadata key GetPublicClientConfig announces (flyteadmin's default
            ``flyte-authorization``); the admin accepts ``authorization`` as well.
        public_client_id / public_redirect_uri / public_scopes: what GetPublicClientConfig tells CLIs to use.

    ``"self"`` only:
        clients: the registered clients; empty: :func:`default_clients` (``flytepropeller``'s secret generated).
        users: user name -> password, for the login form of the authorization and device pages.
        default_user: a user logged in without a form (a sandbox on one's own machine, tests).
        signing_key_path: the RS256 key (PEM, mode 0600), made if missing. None: ``<state_dir>/auth/signing-key.pem``
            when the admin has a state directory, else a key that lives as long as the process.
        access_token_ttl / refresh_token_ttl / authorization_code_ttl / device_code_ttl: lifetimes in seconds.
        device_poll_interval: the ``interval`` a device client is told to poll at (``slow_down`` adds 5 s).
        scopes: the scopes the server supports.

    ``"external"`` only:
        jwks_uri: the issuer's key set; None: discovered from the issuer's metadata document.
        clock_skew: seconds of leeway on ``exp``/``nbf`` for tokens minted on another machine.
    """

    mode: AuthMode = "none"
    issuer: str | None = None
    audience: str | None = None
    clients: tuple[ClientRegistration, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict, repr=False)
    default_user: str | None = None
    signing_key_path: Path | None = None
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 7 * 24 * 3600
    authorization_code_ttl: int = 300
    device_code_ttl: int = 600
    device_poll_interval: int = 5
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    jwks_uri: str | None = None
    clock_skew: int = 30
    authorization_metadata_key: str = AUTHORIZATION_METADATA_KEY
    public_client_id: str = DEFAULT_PUBLIC_CLIENT_ID
    public_redirect_uri: str = DEFAULT_REDIRECT_URI
    public_scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __post_init__(self) -> None:
        if self.mode not in ("none", "self", "external"):
            raise ValueError(f"auth mode must be 'none', 'self' or 'external', not {self.mode!r}")
        for name in ("access_token_ttl", "refresh_token_ttl", "authorization_code_ttl", "device_code_ttl"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.device_poll_interval < 0 or self.clock_skew < 0:
            raise ValueError("device_poll_interval and clock_skew cannot be negative")
        if self.mode == "external":
            if not self.issuer:
                raise ValueError("auth mode 'external' needs the issuer (the identity provider's URL)")
            if not self.audience:
                raise ValueError("auth mode 'external' needs the audience its tokens are issued for")
        if self.mode == "self":
            if not self.clients:
                object.__setattr__(self, "clients", default_clients())
            ids = [c.client_id for c in self.clients]
            if len(set(ids)) != len(ids):
                raise ValueError(f"client ids must be unique: {ids}")
            if self.default_user is not None and not self.default_user.strip():
                raise ValueError("default_user cannot be empty")
        if self.signing_key_path is not None:
            object.__setattr__(self, "signing_key_path", Path(self.signing_key_path).expanduser())

    # -- constructors --------------------------------------------------------------------------------------
    @classmethod
    def self_issued(
        cls,
        client_secret: str | None = None,
        *,
        users: Mapping[str, str] | None = None,
        default_user: str | None = None,
        **kwargs: object,
    ) -> AuthConfig:
        """The built-in authorization server with flyteadmin's default clients (``flytepropeller``'s secret given
        or generated)."""
        return cls(
            mode="self",
            clients=default_clients(client_secret),
            users=dict(users or {}),
            default_user=default_user,
            **kwargs,  # type: ignore[arg-type]
        )

    @classmethod
    def external(cls, issuer: str, audience: str, jwks_uri: str | None = None, **kwargs: object) -> AuthConfig:
        """Validate tokens of an external identity provider."""
        return cls(mode="external", issuer=issuer, audience=audience, jwks_uri=jwks_uri, **kwargs)  # type: ignore[arg-type]

    # -- queries -------------------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def client(self, client_id: str) -> ClientRegistration | None:
        """The registered client with this id."""
        return next((c for c in self.clients if c.client_id == client_id), None)

    def client_secret(self, client_id: str = DEFAULT_CONFIDENTIAL_CLIENT_ID) -> str | None:
        """The secret of a registered confidential client (for the sandbox to show its user)."""
        client = self.client(client_id)
        return client.client_secret if client is not None else None
