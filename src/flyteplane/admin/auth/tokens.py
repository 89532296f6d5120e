"""Access tokens: minting (the built-in server's JWTs) and verifying (its own, or an external issuer's).

An access token is a JWT (RFC 9068 profile: ``typ: at+jwt``) with ``iss``, ``aud``, ``sub``, ``client_id``,
``scope``, ``iat``, ``exp`` and ``jti``; user tokens add ``preferred_username`` and ``name``. Verification takes
only asymmetric algorithms (never ``none``, never HMAC: an HMAC token "signed" with the public key is the classic
confusion attack), checks the signature against the issuer's key set, then ``iss``, ``aud`` and ``exp``.

Messages of :class:`InvalidToken` say what is wrong and what to do, never the token itself.
"""

from __future__ import annotations

import collections
import contextvars
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from flyteplane.admin.auth.keys import SIGNING_ALGORITHM, SigningKey

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "AuthUnavailable",
    "Identity",
    "InvalidToken",
    "TokenVerifier",
    "current_identity",
    "sign_access_token",
]

# Asymmetric algorithms only (see the module docstring).
ACCEPTED_ALGORITHMS = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
]  # fmt: skip
MAX_TOKEN_BYTES = 16 * 1024
_CACHE_SIZE = 1024
# Verified tokens are remembered by bytes too: a token (and the claims decoded from it, at most as large) is client
# input, as big as gRPC's metadata limit lets it be.
_CACHE_BYTES = 4 * 1024 * 1024


class InvalidToken(Exception):
    """The caller's token is missing or not acceptable; the message is safe to send back (it holds no token)."""


class AuthUnavailable(Exception):
    """Tokens cannot be checked right now (the identity provider's keys cannot be fetched): not the caller's fault."""


@dataclass(frozen=True)
class Identity:
    """Who made a call: the verified claims of its access token."""

    subject: str
    client_id: str | None = None
    scopes: tuple[str, ...] = ()
    expires_at: float | None = None
    token_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)


_CURRENT: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("flyteplane_admin_identity", default=None)


def current_identity() -> Identity | None:
    """The identity of the RPC or HTTP request being served (None without auth)."""
    return _CURRENT.get()


def set_identity(identity: Identity | None) -> contextvars.Token[Identity | None]:
    return _CURRENT.set(identity)


def reset_identity(token: contextvars.Token[Identity | None]) -> None:
    _CURRENT.reset(token)


def sign_access_token(
    key: SigningKey,
    *,
    issuer: str,
    audience: str,
    subject: str,
    client_id: str,
    scopes: Iterable[str],
    expires_in: float,
    extra_claims: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """A JWT access token signed with ``key`` (``expires_in`` may be negative, for tests of expired tokens)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = dict(extra_claims or {})
    claims.update(
        iss=issuer,
        aud=audience,
        sub=subject,
        client_id=client_id,
        scope=" ".join(scopes),
        iat=issued,
        exp=issued + int(expires_in),
        jti=secrets.token_urlsafe(16),
    )
    header = {"alg": SIGNING_ALGORITHM, "typ": "at+jwt", "kid": key.kid}
    return jwt.encode(header, claims, key.key)


class TokenVerifier:
    """Checks bearer tokens of one issuer; remembers recent good ones so a busy client costs one RSA check.

    Args:
        issuer: the required ``iss``.
        audiences: ``aud`` must name one of these.
        key_set: ``key_set(refresh)`` -> the issuer's keys; ``refresh=True`` asks for a fresh copy (a token names
            a ``kid`` not seen yet: the issuer may have rotated its keys). May raise :class:`AuthUnavailable`.
        leeway: seconds of clock skew allowed on ``exp``/``nbf``/``iat``.
        is_revoked: ``is_revoked(jti)``: True for a revoked access token.
    """

    def __init__(
        self,
        issuer: str,
        audiences: Iterable[str],
        key_set: Callable[[bool], KeySet],
        *,
        leeway: int = 0,
        is_revoked: Callable[[str], bool] | None = None,
    ) -> None:
        self.issuer = issuer
        self.audiences = tuple(audiences)
        self._key_set = key_set
        self._leeway = leeway
        self._is_revoked = is_revoked
        self._claims = jwt.JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "values": list(self.audiences)},
            sub={"essential": True},
            exp={"essential": True},
        )
        self._lock = threading.Lock()
        self._cache: collections.OrderedDict[str, Identity] = collections.OrderedDict()
        self._cache_bytes = 0

    def verify(self, token: str) -> Identity:
        """The identity in ``token``, or :class:`InvalidToken` saying why not."""
        with self._lock:
            cached = self._cache.get(token)
            if cached is not None:
                self._cache.move_to_end(token)
        if cached is not None:
            self._check_live(cached)
            return cached
        identity = self._verify(token)
        self._check_live(identity)
        size = _cached_size(token)
        if size > _CACHE_BYTES // 64:
            return identity  # verified each time rather than crowding out the others
        with self._lock:
            if token not in self._cache:
                self._cache[token] = identity
                self._cache_bytes += size
            while len(self._cache) > _CACHE_SIZE or self._cache_bytes > _CACHE_BYTES:
                evicted, _ = self._cache.popitem(last=False)
                self._cache_bytes -= _cached_size(evicted)
        return identity

    def forget(self) -> None:
        """Drop remembered tokens (after a revocation)."""
        with self._lock:
            self._cache.clear()
            self._cache_bytes = 0

    def _check_live(self, identity: Identity) -> None:
        if identity.expires_at is not None and time.time() > identity.expires_at + self._leeway:
            raise InvalidToken("the access token has expired: refresh it or log in again")
        if identity.token_id is not None and self._is_revoked is not None and self._is_revoked(identity.token_id):
            raise InvalidToken("the access token has been revoked: log in again")

    def _verify(self, token: str) -> Identity:
        if not token or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise InvalidToken("the access token is malformed: expected a JWT")
        try:
            try:
                decoded = jwt.decode(token, self._key_set(False), algorithms=ACCEPTED_ALGORITHMS)
            except InvalidKeyIdError:
                # A key not seen yet: the issuer may have rotated its keys since they were fetched. Look once more.
                fresh = self._key_set(True)
                decoded = jwt.decode(token, fresh, algorithms=ACCEPTED_ALGORITHMS)
            self._claims.validate(decoded.claims)
        except (InvalidKeyIdError, BadSignatureError):
            raise InvalidToken(
                f"the access token's signature is not valid: it was not issued by {self.issuer}"
            ) from None
        except ExpiredTokenError:
            raise InvalidToken("the access token has expired: refresh it or log in again") from None
        except (InvalidClaimError, MissingClaimError) as e:
            raise InvalidToken(_claim_problem(e, self.issuer, self.audiences)) from None
        except JoseError as e:
            raise InvalidToken(f"the access token is malformed or uses an unsupported algorithm ({e.error})") from None
        except (ValueError, TypeError, KeyError):  # junk that fails before joserfc's own checks
            raise InvalidToken("the access token is malformed: expected a JWT") from None
        return _identity(decoded.claims)


def _cached_size(token: str) -> int:
    """What remembering a verified ``token`` costs: the token, its decoded claims (no larger), some overhead."""
    return 2 * len(token) + 512


def _claim_problem(error: JoseError, issuer: str, audiences: tuple[str, ...]) -> str:
    claim = getattr(error, "claim", None) or ""
    if claim == "aud":
        return f"the access token is not meant for this admin: its audience must be {' or '.join(audiences)}"
    if claim == "iss":
        return f"the access token was issued by another issuer: this admin accepts tokens of {issuer}"
    if claim == "sub":
        return "the access token names no subject"
    if claim in ("nbf", "iat"):
        return "the access token is not valid yet: check the clocks"
    return f"the access token lacks a valid {claim or 'claim'}"


def _identity(claims: Mapping[str, Any]) -> Identity:
    scope = claims.get("scope", claims.get("scp", ""))
    scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(str(s) for s in scope or ())
    client_id = claims.get("client_id", claims.get("cid", claims.get("azp")))
    exp = claims.get("exp")
    jti = claims.get("jti")
    return Identity(
        subject=str(claims["sub"]),
        client_id=str(client_id) if client_id is not None else None,
        scopes=scopes,
        expires_at=float(exp) if isinstance(exp, (int, float)) else None,
        token_id=str(jti) if jti is not None else None,
        claims=dict(claims),
    )
