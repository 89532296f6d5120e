"""ExternalCommand: a command prints the token (``gcloud auth print-identity-token``, a vault helper ...).

``PlatformConfig.command`` authenticates to the admin (header from the admin's public client config, usually
``authorization``); ``PlatformConfig.proxy_command`` separately authenticates to a proxy in front of it, in a
``proxy-authorization`` header, whatever the auth type (even None).

The command runs again whenever a new token is needed: on UNAUTHENTICATED, and before expiry when the token is a
JWT with an ``exp`` claim. Its output is never logged or put in a message; its standard error is, trimmed.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flyteplane.clients.auth.base import Authenticator
from flyteplane.errors import FlyteAuthenticationException

if TYPE_CHECKING:
    from flyteplane.clients.auth.credentials import Credentials
    from flyteplane.clients.auth.errors import OAuthError

__all__ = ["CommandAuthenticator", "ProxyCommandAuthenticator"]

log = logging.getLogger("flyteplane.clients.auth")


class CommandAuthenticator(Authenticator):
    """Runs ``command`` and sends its output as ``Bearer <output>`` in ``header_key``.

    Args:
        header_key: the metadata key, or a function giving it (called once, when the first token is made; used to
            ask the admin lazily).
        timeout: seconds the command may take.
    """

    flow = "ExternalCommand"
    setting = "admin.command"

    def __init__(
        self,
        endpoint: str,
        command: Sequence[str] | None,
        *,
        header_key: str | Callable[[], str] = "authorization",
        timeout: float = 120.0,
    ) -> None:
        if not command:
            raise FlyteAuthenticationException(
                f"auth type {self.flow} for {endpoint} needs a command that prints a token ({self.setting})"
            )
        super().__init__(endpoint, cache=None, proactive=True)
        self.command = list(command)
        self._header_key = header_key
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, command={self.command!r})"

    def header_key(self) -> str:
        if callable(self._header_key):
            self._header_key = self._header_key()
        return self._header_key

    def _login(self, reason: OAuthError | None) -> Credentials:
        from flyteplane.clients.auth.credentials import Credentials, jwt_expiry

        program = self.command[0]
        try:
            done = subprocess.run(self.command, capture_output=True, text=True, timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise FlyteAuthenticationException(f"the {self.setting} program {program!r} was not found") from None
        except subprocess.TimeoutExpired:
            raise FlyteAuthenticationException(
                f"the {self.setting} program {program!r} did not finish within {self.timeout:.0f} s"
            ) from None
        except OSError as e:
            raise FlyteAuthenticationException(
                f"cannot run the {self.setting} program {program!r}: {e.strerror}"
            ) from None
        if done.returncode != 0:
            err = (done.stderr or "").strip()
            raise FlyteAuthenticationException(
                f"the {self.setting} program {program!r} failed with exit code {done.returncode}"
                + (f": {err[-300:]}" if err else "")
            )
        lines = [line.strip() for line in (done.stdout or "").splitlines() if line.strip()]
        if not lines:
            raise FlyteAuthenticationException(f"the {self.setting} program {program!r} printed no token")
        if len(lines) > 1:
            # A token is one line; anything before it is chatter (and a newline would break the gRPC header).
            log.debug("%s printed %d lines; using the last one as the token", program, len(lines))
        token = lines[-1]
        return Credentials(token, expires_at=jwt_expiry(token), flow=self.flow, header_key=self.header_key())


class ProxyCommandAuthenticator(CommandAuthenticator):
    """``proxy_command``: the token for an authenticating proxy, in ``proxy-authorization``."""

    flow = "ProxyCommand"
    setting = "admin.proxyCommand"

    def __init__(self, endpoint: str, command: Sequence[str] | None, *, timeout: float = 120.0) -> None:
        super().__init__(endpoint, command, header_key="proxy-authorization", timeout=timeout)
