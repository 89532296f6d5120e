"""The auth package's errors: all are :class:`~flyteplane.errors.FlyteAuthenticationException`, with what to do.

Messages name the endpoint and the OAuth2 error code, never a token, a code or a secret.
"""

from __future__ import annotations

from flyteplane.errors import FlyteAuthenticationException

__all__ = ["LOGIN_HINT", "OAuthError", "redact"]

LOGIN_HINT = "run `flyteplane login` (or check admin.authType and the client settings in the config)"


class OAuthError(FlyteAuthenticationException):
    """An OAuth2 endpoint refused a request or could not be reached.

    Attributes:
        endpoint: the URL that was called.
        error: the OAuth2 error code (``invalid_grant``, ``authorization_pending`` ...), or None when the endpoint
            was not reached or did not answer in OAuth2's format.
        status: the HTTP status, if there was an answer.
    """

    def __init__(self, message: str, *, endpoint: str, error: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.error = error
        self.status = status


def redact(text: str, secrets: object) -> str:
    """``text`` with every non-empty string of ``secrets`` replaced by ``***`` (for echoes in server messages)."""
    for secret in secrets if isinstance(secrets, (list, tuple, set)) else (secrets,):
        if isinstance(secret, str) and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
