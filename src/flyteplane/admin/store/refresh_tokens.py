"""Refresh tokens of the built-in authorization server (table ``auth_refresh_tokens``), kept by SHA-256 only."""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

from sqlalchemy import delete, select, update

from flyteplane.admin.store.auth_schema import auth_refresh_tokens
from flyteplane.admin.store.db import Store

__all__ = ["RefreshTokenRepository", "StoredRefreshToken"]

_T = auth_refresh_tokens


class StoredRefreshToken(NamedTuple):
    """A refresh token's record (times naive UTC)."""

    token_hash: str
    client_id: str
    subject: str
    scope: str
    expires_at: _dt.datetime
    revoked: bool


class RefreshTokenRepository:
    """Issued refresh tokens, by the hash of the token."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        token_hash: str,
        *,
        client_id: str,
        subject: str,
        scope: str,
        issued_at: _dt.datetime,
        expires_at: _dt.datetime,
    ) -> None:
        """Record a token, dropping those expired by ``issued_at`` (of no use to anyone: the table stays small)."""
        with self._store.begin() as tx:
            tx.execute(delete(_T).where(_T.c.expires_at < issued_at))
            tx.execute(
                _T.insert().values(
                    token_hash=token_hash,
                    client_id=client_id,
                    subject=subject,
                    scope=scope,
                    issued_at=issued_at,
                    expires_at=expires_at,
                    revoked_at=None,
                )
            )

    def find(self, token_hash: str) -> StoredRefreshToken | None:
        """The record (revoked or expired ones included), or None if no such token was issued."""
        with self._store.read() as tx:
            row = tx.execute(select(_T).where(_T.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return StoredRefreshToken(
            token_hash=row.token_hash,
            client_id=row.client_id,
            subject=row.subject,
            scope=row.scope,
            expires_at=row.expires_at,
            revoked=row.revoked_at is not None,
        )

    def revoke(self, token_hash: str, now: _dt.datetime) -> bool:
        """Revoke by hash; True if a live token was revoked now."""
        with self._store.begin() as tx:
            result = tx.execute(
                update(_T).where(_T.c.token_hash == token_hash, _T.c.revoked_at.is_(None)).values(revoked_at=now)
            )
        return bool(result.rowcount)
