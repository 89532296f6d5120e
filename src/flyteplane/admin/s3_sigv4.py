"""AWS Signature Version 4 of S3 requests, checked on the server side (the ``Authorization`` header form).

The admin's S3 endpoint (:mod:`flyteplane.admin.s3_gateway`) accepts one credential (access key id and secret, as
minio in the Flyte sandbox). A request is authentic when its ``Authorization`` header carries the signature that
credential makes of the request's canonical form (AWS's "Signature Version 4 signing process"): method, path, query,
the signed headers and the payload's SHA-256 as the ``x-amz-content-sha256`` header announces it. The payload itself
is hashed while it is stored and compared at the end (:class:`PayloadCheck`), so a body is never held in memory.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, unquote

__all__ = [
    "MAX_CLOCK_SKEW",
    "STREAMING_UNSIGNED_TRAILER",
    "UNSIGNED_PAYLOAD",
    "Credential",
    "SignatureError",
    "canonical_query",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)  # S3's RequestTimeTooSkewed bound
_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+)\s*,\s*Signature=(?P<signature>[0-9a-f]{64})"
)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Headers(Protocol):
    """A request's headers, looked up case-insensitively (``email.message.Message`` or
    :class:`flyteplane.admin.http_io.RequestHeaders`)."""

    def get(self, name: str, /) -> str | None: ...

    def get_all(self, name: str, /) -> list[str] | None: ...


class SignatureError(Exception):
    """The request is not signed by the endpoint's credential; ``code`` is S3's error code for it."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Credential:
    """The access key id and secret the endpoint accepts."""

    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:  # never the secret in a log line
        return f"Credential({self.access_key_id!r}, secret=...)"


def canonical_query(raw_query: str) -> str:
    """SigV4's canonical query: each name and value decoded then encoded the one AWS way, sorted."""
    pairs = []
    for item in raw_query.split("&") if raw_query else ():
        name, _, value = item.partition("=")
        pairs.append((_encode(unquote(name)), _encode(unquote(value))))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def verify(
    credential: Credential,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Headers,
    now: datetime.datetime | None = None,
) -> str:
    """Check the ``Authorization`` header of a request; return the payload hash it signed (the
    ``x-amz-content-sha256`` value). Raise :class:`SignatureError` if the request is not authentic."""
    authorization = headers.get("Authorization")
    if authorization is None:
        raise SignatureError("AccessDenied", "anonymous requests are not accepted; sign them with AWS SigV4")
    match = _AUTH_RE.fullmatch(authorization.strip())
    if match is None:
        if authorization.startswith("AWS "):
            raise SignatureError("InvalidRequest", "AWS Signature Version 2 is not supported; use SigV4", 400)
        raise SignatureError("AuthorizationHeaderMalformed", "the Authorization header is not an AWS SigV4 one", 400)
    scope_parts = match["credential"].split("/")
    if len(scope_parts) != 5 or scope_parts[3] != "s3" or scope_parts[4] != "aws4_request":
        raise SignatureError(
            "AuthorizationHeaderMalformed", "the credential scope is not <key>/<date>/<region>/s3/aws4_request", 400
        )
    key_id, date, region = scope_parts[0], scope_parts[1], scope_parts[2]
    if not hmac.compare_digest(key_id.encode(), credential.access_key_id.encode()):
        raise SignatureError("InvalidAccessKeyId", "the access key id is not the one this endpoint accepts")

    amz_date = headers.get("x-amz-date")
    if amz_date is None:
        raise SignatureError("AccessDenied", "the request has no x-amz-date header", 400)
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise SignatureError("AccessDenied", "the x-amz-date header is not a yyyymmddThhmmssZ time", 400) from None
    if amz_date[:8] != date:
        raise SignatureError("SignatureDoesNotMatch", "the credential scope's date is not the x-amz-date's day")
    current = now or datetime.datetime.now(datetime.timezone.utc)
    if abs(current - when) > MAX_CLOCK_SKEW:
        raise SignatureError("RequestTimeTooSkewed", "the request's time is too far from the endpoint's clock")

    payload_hash = headers.get("x-amz-content-sha256")
    if payload_hash is None:
        raise SignatureError("InvalidRequest", "the request has no x-amz-content-sha256 header", 400)
    if not (_SHA256_HEX.fullmatch(payload_hash) or payload_hash in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER)):
        if payload_hash.startswith("STREAMING-"):
            raise SignatureError("NotImplemented", f"payloads signed as {payload_hash} are not supported", 501)
        raise SignatureError("InvalidArgument", "x-amz-content-sha256 is not a SHA-256 hex digest", 400)

    signed = match["signed"].split(";")
    if "host" not in signed:
        raise SignatureError("AccessDenied", "the host header must be signed", 400)
    lines = []
    for name in signed:
        values = headers.get_all(name)
        if values is None:
            raise SignatureError("AccessDenied", f"the signed header {name} is missing", 400)
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    scope = f"{date}/{region}/s3/aws4_request"
    key = ("AWS4" + credential.secret_access_key).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    # The path as sent (botocore signs S3 paths so) or encoded the one AWS way (what the SigV4 spec says, and
    # minio checks): a client may have followed either.
    matched = False
    for path in dict.fromkeys((raw_path, quote(unquote(raw_path), safe="/~"))):
        canonical = "\n".join(
            (method, path, canonical_query(raw_query), "\n".join(lines) + "\n", match["signed"], payload_hash)
        )
        to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        matched = matched or hmac.compare_digest(expected, match["signature"])
    if not matched:
        raise SignatureError(
            "SignatureDoesNotMatch", "the request signature does not match the one of the endpoint's credential"
        )
    return payload_hash
