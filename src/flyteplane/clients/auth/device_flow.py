"""DeviceFlow: the OAuth2 device authorization grant (RFC 8628), for machines without a browser.

The user is shown a link and a short code to approve on any other device; meanwhile the token endpoint is polled
every ``interval`` seconds (``authorization_pending`` keeps polling, ``slow_down`` adds 5 s to the interval) until
the code is approved, refused, or expires. The tokens (with the refresh token, flyte#6044) are cached like PKCE's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from flyteplane.clients.auth.base import OAuthAuthenticator
from flyteplane.clients.auth.errors import LOGIN_HINT, OAuthError
from flyteplane.errors import FlyteAuthenticationException

if TYPE_CHECKING:
    from flyteplane.clients.auth.credentials import Credentials
    from flyteplane.clients.auth.discovery import ClientConfigSource
    from flyteplane.clients.auth.oauth_http import HttpSettings
    from flyteplane.clients.auth.token_cache import TokenCache

__all__ = ["DEVICE_CODE_GRANT", "DeviceCode", "DeviceFlowAuthenticator"]

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = (
    5.0  # RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests"
)


@dataclass(frozen=True)
class DeviceCode:
    """The device authorization endpoint's answer (RFC 8628 §3.2)."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float

    @property
    def link(self) -> str:
        """The page to open: with the code filled in if the server offers that."""
        return self.verification_uri_complete or self.verification_uri


class DeviceFlowAuthenticator(OAuthAuthenticator):
    """Device-code login; tokens cached across processes and refreshed with the refresh token.

    Args:
        interactive: False to never start a device login (raise instead); otherwise one starts when needed, as
            the flow is made for consoles nobody can open a browser from.
        prompt: shows the link and code to the user (default: printed to ``out``, standard error).
        sleep, clock: injectable for tests.
    """

    flow = "DeviceFlow"
    compatible_flows = frozenset({"Pkce", "DeviceFlow"})

    def __init__(
        self,
        endpoint: str,
        source: ClientConfigSource,
        http: HttpSettings,
        *,
        cache: TokenCache | None = None,
        interactive: bool | None = None,
        prompt: Callable[[DeviceCode], None] | None = None,
        out: TextIO | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(endpoint, source, http, cache=cache, proactive=False)
        self.interactive = interactive
        self.prompt = prompt or self._print_prompt
        self.out = out
        self._sleep = sleep
        self._clock = clock

    def _print_prompt(self, code: DeviceCode) -> None:
        out = self.out or sys.stderr
        text = f"To log in to Flyte at {self.endpoint}, open {code.link}"
        if code.link == code.verification_uri:
            text += f" and enter the code {code.user_code}"
        else:
            text += f" (or {code.verification_uri} and enter the code {code.user_code})"
        print(text, file=out, flush=True)

    def request_device_code(self) -> DeviceCode:
        """Ask the device authorization endpoint for a device code and a user code."""
        from flyteplane.clients.auth.oauth_http import post_form

        config = self.client_config
        url = config.device_authorization_endpoint
        if not url:
            raise FlyteAuthenticationException(
                f"{self.endpoint} offers no device authorization endpoint; use admin.authType: Pkce instead"
            )
        form = {"client_id": self._client_id(), **self._token_form_base()}
        body = post_form(self.http, url, form, what="device authorization request")
        try:
            interval = body.get("interval")
            return DeviceCode(
                device_code=str(body["device_code"]),
                user_code=str(body["user_code"]),
                verification_uri=str(body.get("verification_uri") or body["verification_url"]),
                verification_uri_complete=body.get("verification_uri_complete") or None,
                expires_in=float(body["expires_in"]),
                # RFC 8628 §3.2: 5 s when the server does not say.
                interval=float(interval) if interval is not None else 5.0,
            )
        except (KeyError, TypeError, ValueError):
            raise OAuthError(
                f"device authorization request to {url} answered without the fields RFC 8628 requires", endpoint=url
            ) from None

    def _login(self, reason: OAuthError | None) -> Credentials:
        if self.interactive is False:
            raise self._no_login_possible(reason, "interactive login is turned off")
        code = self.request_device_code()
        self.prompt(code)
        return self.poll(code)

    def poll(self, code: DeviceCode) -> Credentials:
        """Poll the token endpoint until ``code`` is approved (tokens), refused or expired (exceptions)."""
        deadline = self._clock() + code.expires_in
        interval = max(code.interval, 0.0)
        while True:
            if self._clock() + interval > deadline:
                break
            self._sleep(interval)
            try:
                return self._token({"grant_type": DEVICE_CODE_GRANT, "device_code": code.device_code})
            except OAuthError as e:
                if e.error == "authorization_pending":
                    continue
                if e.error == "slow_down":
                    interval += SLOW_DOWN_STEP
                    continue
                if e.error == "access_denied":
                    raise FlyteAuthenticationException(f"the device login for {self.endpoint} was refused") from None
                if e.error == "expired_token":
                    break
                raise
        raise FlyteAuthenticationException(
            f"the device code for {self.endpoint} expired before it was approved: {LOGIN_HINT}"
        )
