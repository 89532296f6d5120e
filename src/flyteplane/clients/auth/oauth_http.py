"""The HTTP side of OAuth2: form POSTs to the token and device endpoints, with urllib (no ``requests``).

``PlatformConfig.http_proxy_url`` is the proxy for these calls (gRPC does not use it); without it urllib's
usual ``https_proxy``/``no_proxy`` environment applies. TLS is verified with ``ca_cert_file_path`` if given, not at
all with ``insecure_skip_verify``, else with the system roots; a client certificate is presented if configured.

Errors name the URL, the HTTP status and the OAuth2 error code; the values of secret fields (client secret,
codes, refresh token) are scrubbed from anything the server echoes back.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flyteplane.clients.auth.errors import OAuthError, redact

if TYPE_CHECKING:
    from flyteplane.configuration import PlatformConfig

__all__ = ["HttpSettings", "basic_authorization", "post_form"]

# Form fields whose values must never reach a message.
_SECRET_FIELDS = ("client_secret", "code", "code_verifier", "refresh_token", "device_code", "password")


@dataclass(frozen=True)
class HttpSettings:
    """How to reach the OAuth2 endpoints."""

    proxy_url: str | None = None
    ca_cert_file_path: str | None = None
    insecure_skip_verify: bool = False
    client_certificate_path: str | None = None
    client_key_path: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_config(cls, cfg: PlatformConfig) -> HttpSettings:
        timeout = getattr(cfg, "rpc_timeout", None)
        return cls(
            proxy_url=cfg.http_proxy_url,
            ca_cert_file_path=cfg.ca_cert_file_path,
            insecure_skip_verify=cfg.insecure_skip_verify,
            client_certificate_path=getattr(cfg, "client_certificate_path", None),
            client_key_path=getattr(cfg, "client_key_path", None),
            timeout=float(timeout) if timeout else 30.0,
        )

    def ssl_context(self) -> ssl.SSLContext:
        if self.insecure_skip_verify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            cafile = os.path.expanduser(self.ca_cert_file_path) if self.ca_cert_file_path else None
            context = ssl.create_default_context(cafile=cafile)
        if self.client_certificate_path and self.client_key_path:
            context.load_cert_chain(
                os.path.expanduser(self.client_certificate_path), os.path.expanduser(self.client_key_path)
            )
        return context

    def opener(self) -> urllib.request.OpenerDirector:
        # ProxyHandler(None) reads the environment's proxies; an explicit URL serves both schemes, as in flytekit.
        proxies = {"http": self.proxy_url, "https": self.proxy_url} if self.proxy_url else None
        return urllib.request.build_opener(
            urllib.request.ProxyHandler(proxies), urllib.request.HTTPSHandler(context=self.ssl_context())
        )


def basic_authorization(client_id: str, client_secret: str) -> str:
    """``Basic base64(id:secret)`` with both parts form-encoded first (RFC 6749 §2.3.1).

    ``quote`` rather than flytekit's ``quote_plus``: a ``+`` for a space is undone by ``unquote_plus`` only, while
    ``%20`` survives both decoders servers use (flyte#2849 is this mismatch).
    """
    raw = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode("utf-8")).decode("ascii")


def post_form(
    settings: HttpSettings,
    url: str,
    form: dict[str, str],
    *,
    client_auth: tuple[str, str] | None = None,
    what: str = "token request",
) -> dict[str, Any]:
    """POST ``form`` to ``url`` and return the JSON object of a 2xx answer.

    Args:
        client_auth: ``(client_id, client_secret)`` for an HTTP Basic header.
        what: how messages call this request ("token request", "device authorization request" ...).

    Raises:
        OAuthError: the endpoint could not be reached, answered non-2xx (``error`` is the OAuth2 error code, e.g.
            ``authorization_pending``), or did not answer JSON.
    """
    secrets = [form[f] for f in _SECRET_FIELDS if form.get(f)]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if client_auth is not None:
        headers["Authorization"] = basic_authorization(*client_auth)
        secrets.append(client_auth[1])
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode("ascii"), headers=headers, method="POST"
    )
    try:
        opener = settings.opener()
    except (OSError, ssl.SSLError) as e:
        raise OAuthError(
            f"{what} to {url}: cannot set up TLS ({type(e).__name__}: {e}); check admin.caCertFilePath and the "
            "client certificate settings",
            endpoint=url,
        ) from None
    try:
        with opener.open(request, timeout=settings.timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
        e.close()
    except urllib.error.URLError as e:
        raise OAuthError(f"{what} to {url} failed: {_reason(e.reason)}", endpoint=url) from None
    except (OSError, ValueError) as e:  # timeouts, resets, malformed URLs
        raise OAuthError(f"{what} to {url} failed: {_reason(e)}", endpoint=url) from None

    data = _json(body)
    if 200 <= status < 300 and isinstance(data, dict):
        return data
    error = str(data["error"]) if isinstance(data, dict) and data.get("error") else None
    description = str(data.get("error_description") or "") if isinstance(data, dict) else ""
    if error is None and not description:
        description = "the answer is not an OAuth2 error document" if 200 <= status < 300 else "no OAuth2 error"
    text = f"{what} to {url} failed with HTTP {status}"
    if error:
        text += f": {error}"
    if description:
        text += f" ({redact(description[:500], secrets)})"
    raise OAuthError(text, endpoint=url, error=error, status=status)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _reason(reason: object) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (
            f"the server's TLS certificate could not be verified ({reason.verify_message}); set admin.caCertFilePath "
            "to the CA that signed it, or admin.insecureSkipVerify for a test cluster"
        )
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return str(reason)
