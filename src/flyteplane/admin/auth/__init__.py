"""Authentication for the embedded admin: a built-in OAuth2 authorization server, or an external issuer's JWTs.

    from flyteplane.admin import AdminServer
    from flyteplane.admin.auth import AuthConfig, mint_token

    with AdminServer(auth=AuthConfig.self_issued(default_user="alice")) as admin:
        token = mint_token(admin, "alice")          # or any OAuth2 grant against admin.auth.oauth2_metadata()
        secret = admin.config.auth.client_secret()  # flytepropeller's, for ClientSecret mode

With auth on, every gRPC call but health, reflection and AuthMetadataService needs ``Bearer <token>`` in the
``flyte-authorization`` or ``authorization`` metadata, and so do the HTTP routes that are not signed URLs (task
logs, ``/me``). A signed data URL is itself the credential for its one object and method, as an S3 presigned URL
is: it works without a bearer token, and only for what it was signed for.

Modules: :mod:`.config` (settings), :mod:`.keys` (the signing key), :mod:`.tokens` (minting and verifying JWTs),
:mod:`.jwks` (an external issuer's documents), :mod:`.stores` (codes, refresh tokens), :mod:`.authz` (authlib's
authorization server over the admin's HTTP side), :mod:`.routes` (the HTTP routes), :mod:`.interceptor` (gRPC),
:mod:`.managers` (AuthMetadataService, IdentityService), :mod:`.runtime` (:class:`AdminAuth`, all of it for one
admin). Only :mod:`.config` is imported eagerly: the rest needs the ``admin`` extra's authlib.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flyteplane.admin.auth.config import AuthConfig, ClientRegistration, default_clients

if TYPE_CHECKING:
    from flyteplane.admin.auth.runtime import AdminAuth
    from flyteplane.admin.auth.tokens import Identity

__all__ = [
    "AdminAuth",
    "AuthConfig",
    "ClientRegistration",
    "Identity",
    "current_identity",
    "default_clients",
    "mint_token",
]


def mint_token(
    admin: Any,
    subject: str,
    scopes: Iterable[str] = ("all",),
    expires_in: float | None = None,
    *,
    audience: str | None = None,
    client_id: str = "flyteplane",
    claims: Mapping[str, Any] | None = None,
) -> str:
    """An access token of a running admin in auth mode ``"self"`` (an :class:`AdminServer`, its services or its
    :class:`AdminAuth`), without an OAuth2 exchange. ``expires_in`` may be negative: an already expired token."""
    from flyteplane.admin.auth.runtime import AdminAuth

    return AdminAuth.of(admin).mint(subject, scopes, expires_in, audience=audience, client_id=client_id, claims=claims)


def current_identity() -> Identity | None:
    """The caller of the RPC or request being served (None without auth)."""
    from flyteplane.admin.auth.tokens import current_identity as _current

    return _current()


def __getattr__(name: str) -> Any:
    if name == "AdminAuth":
        from flyteplane.admin.auth.runtime import AdminAuth

        return AdminAuth
    if name == "Identity":
        from flyteplane.admin.auth.tokens import Identity

        return Identity
    raise AttributeError(f"module 'flyteplane.admin.auth' has no attribute {name!r}")
