"""Credentials: an access token with what is needed to keep it fresh (its expiry, a refresh token)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Credentials", "jwt_expiry"]

# Refresh this long before expiry at most: a call that starts with a token about to expire may outlive it.
REFRESH_WINDOW = 60.0
# ...and at most this fraction of the token's lifetime, so a 30 s token is not refreshed on every call.
REFRESH_FRACTION = 0.1


@dataclass(frozen=True)
class Credentials:
    """An OAuth2 access token and its companions. ``repr()`` never shows a token.

    Times are seconds since the epoch (wall clock), because the cache is shared between processes.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    """When the access token stops working; None when nobody said (the server's answer decides)."""
    issued_at: float = field(default_factory=time.time)
    flow: str = ""
    """The auth type that produced the token (``"Pkce"``, ``"ClientSecret"`` ...)."""
    client_id: str | None = None
    """The OAuth2 client the token was issued to; a cached token of another client is not used."""
    header_key: str = "authorization"
    """The gRPC metadata key the admin expects the token in (from its public client config)."""

    @classmethod
    def from_token_response(
        cls,
        body: dict[str, Any],
        *,
        flow: str,
        client_id: str | None,
        header_key: str = "authorization",
        previous: Credentials | None = None,
    ) -> Credentials:
        """Credentials from a token endpoint's JSON answer (RFC 6749 §5.1).

        A refresh answer may leave out the refresh token, meaning "keep using the old one" (RFC 6749 §6).
        """
        now = time.time()
        token = str(body["access_token"])
        expires_in = body.get("expires_in")
        expires_at: float | None
        try:
            expires_at = now + float(expires_in) if expires_in is not None else jwt_expiry(token)
        except (TypeError, ValueError):
            expires_at = jwt_expiry(token)
        refresh = body.get("refresh_token") or (previous.refresh_token if previous is not None else None)
        return cls(token, refresh, expires_at, now, flow, client_id, header_key)

    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds the access token has left (negative once expired); None if unknown."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def needs_refresh(self, now: float | None = None) -> bool:
        """True once the token is within its refresh window: ``min(60 s, 10% of its lifetime)`` of expiring."""
        if self.expires_at is None:
            return False
        lifetime = max(self.expires_at - self.issued_at, 0.0)
        window = min(REFRESH_WINDOW, REFRESH_FRACTION * lifetime)
        left = self.expires_in(now)
        return left is not None and left <= window

    def expired(self, now: float | None = None) -> bool:
        left = self.expires_in(now)
        return left is not None and left <= 0

    def to_json(self) -> str:
        """The cache format. Holds the tokens: write it only where only the user can read it."""
        return json.dumps(
            {
                "version": 1,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "issued_at": self.issued_at,
                "flow": self.flow,
                "client_id": self.client_id,
                "header_key": self.header_key,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Credentials | None:
        """Parse :meth:`to_json`'s output; None for anything else (a damaged cache is not an error)."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != 1 or not data.get("access_token"):
                return None
            expires_at = data.get("expires_at")
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]) if data.get("refresh_token") else None,
                expires_at=float(expires_at) if expires_at is not None else None,
                issued_at=float(data.get("issued_at") or 0.0),
                flow=str(data.get("flow") or ""),
                client_id=str(data["client_id"]) if data.get("client_id") else None,
                header_key=str(data.get("header_key") or "authorization"),
            )
        except (ValueError, TypeError, KeyError):
            return None


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verifying it (only to know when to refresh); None if not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
    except (ValueError, TypeError):
        return None
