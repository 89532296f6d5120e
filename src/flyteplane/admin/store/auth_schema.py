"""The tables of the admin's auth: refresh tokens, and revoked access tokens.

Refresh tokens live in the database so that a restarted sandbox (with a state directory) still honours the ones
it handed out, as it honours its access tokens (its signing key is persisted too). Only a SHA-256 of each token is
kept: whoever reads the database cannot use what they read. Authorization and device codes live minutes and stay in
memory.

Revoked access tokens are kept (by a SHA-256 of their ``jti``) until they would have expired, so that a revocation
outlives a restart: without them a token revoked before the restart would be good again after it.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table, Text

from flyteplane.admin.store.schema import metadata

__all__ = ["auth_refresh_tokens", "auth_revoked_access_tokens"]

auth_refresh_tokens = Table(
    "auth_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # hex SHA-256 of the token
    Column("client_id", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("scope", Text, nullable=False, default=""),
    Column("issued_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
)

auth_revoked_access_tokens = Table(
    "auth_revoked_access_tokens",
    metadata,
    Column("jti_hash", String(64), primary_key=True),  # hex SHA-256 of the token's jti
    Column("expires_at", DateTime, nullable=False, index=True),  # the token's exp: kept until then
    Column("revoked_at", DateTime, nullable=False),
)
