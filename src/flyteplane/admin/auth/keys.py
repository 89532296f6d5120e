"""The built-in authorization server's signing key, and small secret files, kept readable by their owner only.

The key is RS256 (2048-bit RSA): every JWT library and identity-aware proxy verifies it, and the public half is
published as a JWKS at ``/oauth2/jwks``. Its ``kid`` is its RFC 7638 thumbprint, so a key that changes (a new
state directory) never shares a ``kid`` with the old one.

Files are created with ``O_EXCL`` and mode 0600 in one step (never written world-readable and then narrowed),
and their contents are never logged.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

__all__ = ["SIGNING_ALGORITHM", "SigningKey", "load_or_create_secret"]

log = logging.getLogger("flyteplane.admin.auth")

SIGNING_ALGORITHM = "RS256"
_RSA_BITS = 2048


class SigningKey:
    """The RSA key that signs access tokens: the private key and its public JWKS."""

    def __init__(self, key: RSAKey) -> None:
        if not key.is_private:
            raise ValueError("the signing key must be a private key")
        key.ensure_kid()
        self.key = key
        self.kid: str = str(key.kid)
        public = dict(key.as_dict(private=False))
        public.update(use="sig", alg=SIGNING_ALGORITHM, kid=self.kid)
        self._public: dict[str, Any] = public
        self.public_key_set = KeySet.import_key_set({"keys": [public]})

    @classmethod
    def generate(cls) -> SigningKey:
        """A new key that lives only in memory."""
        return cls(RSAKey.generate_key(_RSA_BITS, private=True))

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The key in ``path`` (PEM), made there (mode 0600) if the file does not exist."""
        data = _read_or_create(path, lambda: bytes(RSAKey.generate_key(_RSA_BITS, private=True).as_pem(private=True)))
        try:
            key = RSAKey.import_key(data)
        except Exception as e:  # joserfc raises several types for junk; none of them carries the file's contents
            raise ValueError(
                f"the token signing key {path} is not a PEM RSA private key ({type(e).__name__}); "
                "move it away to make a new one (tokens signed by the old key stop working)"
            ) from None
        if not key.is_private:
            raise ValueError(f"the token signing key {path} holds no private key")
        return cls(key)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document (``{"keys": [...]}``)."""
        return {"keys": [dict(self._public)]}


def load_or_create_secret(path: Path) -> str:
    """A client secret kept in ``path`` (made, random, mode 0600, if missing), so a restarted sandbox keeps it."""
    data = _read_or_create(path, lambda: (secrets.token_urlsafe(32) + "\n").encode())
    secret = data.decode("utf-8", errors="strict").strip()
    if not secret:
        raise ValueError(f"the client secret file {path} is empty; delete it to make a new secret")
    return secret


def _read_or_create(path: Path, make: Any) -> bytes:
    """The bytes of ``path``; if it does not exist, ``make()`` is written there first (0600, exclusively)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _restrict(path)
        return path.read_bytes()
    data: bytes = make()
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return data


def _restrict(path: Path) -> None:
    """Narrow a secret file that others can read to 0600 (and say so: something else widened it)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by other users (mode %o); narrowing it to 0600", path, mode)
        os.chmod(path, 0o600)
