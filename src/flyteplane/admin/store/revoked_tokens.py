"""Revoked access tokens (table ``auth_revoked_access_tokens``), by the SHA-256 of their ``jti``.

An access token is a signed JWT: the admin cannot take it back, only remember that it must refuse it. Flyte Admin
delegates that to its identity provider; the built-in authorization server keeps the list here, so that it
survives a restart, each entry only until the token would have expired anyway.
"""

from __future__ import annotations

import datetime as _dt

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from flyteplane.admin.store.auth_schema import auth_revoked_access_tokens
from flyteplane.admin.store.db import Store

__all__ = ["RevokedTokenRepository"]

_T = auth_revoked_access_tokens


class RevokedTokenRepository:
    """Revocations of access tokens (times naive UTC)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, jti_hash: str, *, expires_at: _dt.datetime, now: _dt.datetime) -> None:
        """Record a revocation (again: a no-op), dropping those of tokens expired by ``now``."""
        with self._store.begin() as tx:
            tx.execute(delete(_T).where(_T.c.expires_at < now))
            if tx.dialect.name == "sqlite":
                tx.execute(
                    sqlite_insert(_T)
                    .values(jti_hash=jti_hash, expires_at=expires_at, revoked_at=now)
                    .on_conflict_do_nothing(index_elements=[_T.c.jti_hash])
                )
            elif tx.execute(select(_T.c.jti_hash).where(_T.c.jti_hash == jti_hash)).first() is None:
                tx.execute(_T.insert().values(jti_hash=jti_hash, expires_at=expires_at, revoked_at=now))

    def live(self, now: _dt.datetime) -> dict[str, _dt.datetime]:
        """jti hash -> expiry of every revoked token not yet expired at ``now``."""
        with self._store.read() as tx:
            rows = tx.execute(select(_T.c.jti_hash, _T.c.expires_at).where(_T.c.expires_at >= now)).all()
        return {row.jti_hash: row.expires_at for row in rows}
