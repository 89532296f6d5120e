"""What the built-in authorization server remembers between requests.

* Refresh tokens: in the admin's database (table ``auth_refresh_tokens``, by SHA-256 only), so they survive a
  restart with a state directory.
* Authorization codes and device codes: in memory; they live minutes, and a restart only asks for a new login.
* Revoked access tokens (by ``jti``): in memory until they would have expired anyway.

Every record is looked up by the secret itself; nothing here logs a token or a code.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, TokenMixin
from authlib.oauth2.rfc8628 import DeviceCredentialDict

from flyteplane.admin.store.db import Store
from flyteplane.admin.store.refresh_tokens import RefreshTokenRepository
from flyteplane.admin.store.revoked_tokens import RevokedTokenRepository

__all__ = [
    "AuthorizationCode",
    "AuthorizationCodes",
    "DeviceCodes",
    "RefreshToken",
    "RefreshTokens",
    "RevokedAccessTokens",
]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", errors="surrogatepass")).hexdigest()


def _utc(ts: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).replace(tzinfo=None)


def _ts(moment: _dt.datetime) -> float:
    return moment.replace(tzinfo=_dt.timezone.utc).timestamp()


# -- refresh tokens ----------------------------------------------------------------------------------------------
@dataclass
class RefreshToken(TokenMixin):  # type: ignore[misc]
    """A stored refresh token (without the token: only its hash is kept)."""

    token_hash: str
    client_id: str
    subject: str
    scope: str
    expires_at: float
    revoked: bool

    def check_client(self, client: Any) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.expires_at - time.time()))

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked


class RefreshTokens:
    """Refresh tokens in the admin's database (:mod:`flyteplane.admin.store.refresh_tokens`)."""

    def __init__(self, store: Store) -> None:
        self._tokens = RefreshTokenRepository(store)

    def add(self, token: str, *, client_id: str, subject: str, scope: str, ttl: float) -> None:
        now = time.time()
        self._tokens.add(
            _digest(token),
            client_id=client_id,
            subject=subject,
            scope=scope,
            issued_at=_utc(now),
            expires_at=_utc(now + ttl),
        )

    def find(self, token: str) -> RefreshToken | None:
        """The record of ``token`` (revoked or expired ones included), or None if it was never issued here."""
        stored = self._tokens.find(_digest(token))
        if stored is None:
            return None
        return RefreshToken(
            token_hash=stored.token_hash,
            client_id=stored.client_id,
            subject=stored.subject,
            scope=stored.scope,
            expires_at=_ts(stored.expires_at),
            revoked=stored.revoked,
        )

    def usable(self, token: str) -> RefreshToken | None:
        """The record of ``token`` if it may still be exchanged (issued here, not revoked, not expired)."""
        record = self.find(token)
        if record is None or record.revoked or record.is_expired():
            return None
        return record

    def revoke(self, token_hash: str) -> bool:
        """Revoke by hash; True if a live token was revoked now."""
        return self._tokens.revoke(token_hash, _utc(time.time()))

    def revoke_token(self, token: str) -> bool:
        return self.revoke(_digest(token))


# -- authorization codes -----------------------------------------------------------------------------------------
@dataclass
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    client_id: str
    subject: str
    redirect_uri: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class AuthorizationCodes:
    """One-time authorization codes, by code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, AuthorizationCode] = {}

    def add(self, code: str, record: AuthorizationCode) -> None:
        with self._lock:
            self._purge()
            self._codes[_digest(code)] = record

    def take(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The record of ``code`` issued to ``client_id``, removed: a code is good for one attempt only, so a
        stolen code that races the real client wins nothing twice."""
        with self._lock:
            record = self._codes.pop(_digest(code), None)
        if record is None or record.client_id != client_id or time.time() >= record.expires_at:
            return None
        return record

    def _purge(self) -> None:
        now = time.time()
        for key in [k for k, r in self._codes.items() if now >= r.expires_at]:
            del self._codes[key]


# -- device codes ------------------------------------------------------------------------------------------------
@dataclass
class _Device:
    credential: DeviceCredentialDict
    interval: int
    last_poll: float | None = None
    subject: str | None = None
    approved: bool | None = None  # None: the user has not answered yet


class DeviceCodes:
    """Pending device authorizations, by device code and by user code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_device: dict[str, _Device] = {}
        self._by_user: dict[str, str] = {}  # normalized user code -> device code digest

    def add(self, device_code: str, credential: DeviceCredentialDict, interval: int) -> None:
        with self._lock:
            self._purge()
            digest = _digest(device_code)
            self._by_device[digest] = _Device(credential=credential, interval=interval)
            self._by_user[normalize_user_code(credential.get_user_code())] = digest

    def credential(self, device_code: str) -> DeviceCredentialDict | None:
        with self._lock:
            device = self._by_device.get(_digest(device_code))
        return device.credential if device is not None else None

    def pending(self, user_code: str) -> DeviceCredentialDict | None:
        """The unanswered, unexpired authorization with this user code."""
        with self._lock:
            digest = self._by_user.get(normalize_user_code(user_code))
            device = self._by_device.get(digest) if digest is not None else None
        if device is None or device.approved is not None or device.credential.is_expired():
            return None
        return device.credential

    def answer(self, user_code: str, subject: str, approved: bool) -> bool:
        """Record the user's answer; False if there is no pending authorization with this user code."""
        with self._lock:
            digest = self._by_user.get(normalize_user_code(user_code))
            device = self._by_device.get(digest) if digest is not None else None
            if device is None or device.approved is not None or device.credential.is_expired():
                return False
            device.subject, device.approved = subject, approved
            return True

    def grant(self, user_code: str) -> tuple[str, bool] | None:
        """(subject, approved) once the user answered, else None."""
        with self._lock:
            digest = self._by_user.get(normalize_user_code(user_code))
            device = self._by_device.get(digest) if digest is not None else None
            if device is None or device.approved is None or device.subject is None:
                return None
            return device.subject, device.approved

    def too_fast(self, device_code: str) -> bool:
        """Record a poll; True if it came sooner than the interval (RFC 8628 ``slow_down``: +5 s from now on)."""
        now = time.monotonic()
        with self._lock:
            device = self._by_device.get(_digest(device_code))
            if device is None:
                return False
            last, device.last_poll = device.last_poll, now
            if last is not None and now - last < device.interval:
                device.interval += 5
                return True
            return False

    def consume(self, device_code: str) -> None:
        """Forget a device code that got its tokens (it is good for one exchange)."""
        with self._lock:
            device = self._by_device.pop(_digest(device_code), None)
            if device is not None:
                self._by_user.pop(normalize_user_code(device.credential.get_user_code()), None)

    def _purge(self) -> None:
        for digest in [d for d, dev in self._by_device.items() if dev.credential.is_expired()]:
            device = self._by_device.pop(digest)
            self._by_user.pop(normalize_user_code(device.credential.get_user_code()), None)


def normalize_user_code(user_code: str) -> str:
    """User codes are typed by people: ignore case, spaces and dashes (``bcdf-ghjk`` is ``BCDFGHJK``)."""
    return "".join(ch for ch in user_code.upper() if ch.isalnum())


# -- revoked access tokens ---------------------------------------------------------------------------------------
class RevokedAccessTokens:
    """``jti`` s of revoked access tokens, each kept until the token would have expired.

    With a repository (:mod:`flyteplane.admin.store.revoked_tokens`) every revocation is written to the database
    before :meth:`add` returns and those still live are loaded at start, so a revoked token stays revoked across a
    restart; the set in memory serves the check each call makes.
    """

    def __init__(self, repository: RevokedTokenRepository | None = None) -> None:
        self._lock = threading.Lock()
        self._repository = repository
        now = time.time()
        self._until: dict[str, float] = (
            {digest: _ts(expiry) for digest, expiry in repository.live(_utc(now)).items()} if repository else {}
        )

    def add(self, jti: str, expires_at: float) -> None:
        digest = _digest(jti)
        now = time.time()
        if self._repository is not None:
            self._repository.add(digest, expires_at=_utc(expires_at), now=_utc(now))
        with self._lock:
            for key in [k for k, until in self._until.items() if until < now]:
                del self._until[key]
            self._until[digest] = expires_at

    def __contains__(self, jti: str) -> bool:
        digest = _digest(jti)
        with self._lock:
            return digest in self._until
