"""An external identity provider seen from the admin: its metadata document and its key set, fetched and cached.

The key set is fetched on first use, kept for :data:`KEYS_TTL`, and fetched again early when a token names a key
the cached set lacks (the provider rotated its keys) — at most once per :data:`REFRESH_MIN_INTERVAL`, so junk
tokens with random ``kid`` s cannot make the admin hammer the provider.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from joserfc.jwk import KeySet

from flyteplane.admin.auth.tokens import AuthUnavailable

__all__ = ["IdentityProvider"]

log = logging.getLogger("flyteplane.admin.auth")

KEYS_TTL = 600.0
METADATA_TTL = 600.0
REFRESH_MIN_INTERVAL = 30.0
_TIMEOUT = 10.0
_MAX_DOCUMENT = 1024 * 1024


class IdentityProvider:
    """The issuer's documents over HTTP(S), cached.

    Args:
        issuer: the issuer URL (its ``/.well-known/...`` documents are looked up under it).
        jwks_uri: the key set's URL; None: the ``jwks_uri`` of the metadata document.
    """

    def __init__(self, issuer: str, jwks_uri: str | None = None, *, timeout: float = _TIMEOUT) -> None:
        self.issuer = issuer.rstrip("/")
        self._jwks_uri = jwks_uri
        self._timeout = timeout
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._refreshed_at = -REFRESH_MIN_INTERVAL
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0

    def metadata(self) -> dict[str, Any]:
        """The issuer's OAuth2 authorization server metadata (RFC 8414, or OpenID discovery as a fallback)."""
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL:
                return dict(self._metadata)
        problems = []
        for url in metadata_urls(self.issuer):
            try:
                document = self._fetch(url)
            except AuthUnavailable as e:
                problems.append(str(e))
                continue
            with self._lock:
                self._metadata, self._metadata_at = document, time.monotonic()
            return dict(document)
        raise AuthUnavailable("; ".join(problems))

    def key_set(self, refresh: bool = False) -> KeySet:
        """The issuer's keys; ``refresh`` fetches them again unless that was done moments ago."""
        now = time.monotonic()
        with self._lock:
            keys = self._keys
            if keys is not None:
                if not refresh and now - self._keys_at < KEYS_TTL:
                    return keys
                if refresh and now - self._refreshed_at < REFRESH_MIN_INTERVAL:
                    return keys  # refreshed moments ago: the unknown kid is not a rotation
                if refresh:
                    self._refreshed_at = now
        uri = self._jwks_uri or self.metadata().get("jwks_uri")
        if not isinstance(uri, str) or not uri:
            raise AuthUnavailable(f"the identity provider {self.issuer} announces no jwks_uri; configure it")
        document = self._fetch(uri)
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except Exception as e:
            raise AuthUnavailable(f"the key set at {uri} is not a valid JWKS ({type(e).__name__})") from None
        with self._lock:
            self._keys, self._keys_at = keys, time.monotonic()
        return keys

    def _fetch(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body = response.read(_MAX_DOCUMENT + 1)
        except urllib.error.HTTPError as e:
            raise AuthUnavailable(f"fetching {url} failed: HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise AuthUnavailable(f"cannot fetch {url}: {reason}") from None
        if len(body) > _MAX_DOCUMENT:
            raise AuthUnavailable(f"the document at {url} is too large")
        try:
            document = json.loads(body)
        except ValueError:
            raise AuthUnavailable(f"the document at {url} is not JSON") from None
        if not isinstance(document, dict):
            raise AuthUnavailable(f"the document at {url} is not a JSON object")
        return document


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may be: RFC 8414's place (``/.well-known/...`` before the issuer's path), then
    under the issuer (Okta's and OpenID Connect discovery's place)."""
    parts = urlsplit(issuer.rstrip("/"))
    urls = []
    if parts.path:
        urls.append(f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}")
    for name in ("oauth-authorization-server", "openid-configuration"):
        urls.append(f"{issuer.rstrip('/')}/.well-known/{name}")
    return urls
