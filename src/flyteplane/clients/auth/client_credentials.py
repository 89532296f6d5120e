"""ClientSecret: the OAuth2 client-credentials grant, for services and CI (no human involved).

The secret is ``PlatformConfig.client_credentials_secret``, which ``PlatformConfig.auto`` already resolved from
the config (``FLYTE_CREDENTIALS_CLIENT_SECRET``), a file (``admin.clientSecretLocation``) or an environment variable
(``admin.clientSecretEnvVar``). It goes in an HTTP Basic header (or the form, if the server only supports
``client_secret_post``), never in a message or a log line.

Tokens are kept in memory only, as in flytekit: getting a new one needs no human, and a service's token in the
user's cache would replace the user's own login for that endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flyteplane.clients.auth.base import OAuthAuthenticator
from flyteplane.errors import FlyteAuthenticationException

if TYPE_CHECKING:
    from flyteplane.clients.auth.credentials import Credentials
    from flyteplane.clients.auth.discovery import ClientConfigSource
    from flyteplane.clients.auth.errors import OAuthError
    from flyteplane.clients.auth.oauth_http import HttpSettings

__all__ = ["ClientCredentialsAuthenticator"]


class ClientCredentialsAuthenticator(OAuthAuthenticator):
    """``grant_type=client_credentials`` with ``client_id`` and the secret; scopes and audience as configured."""

    flow = "ClientSecret"

    def __init__(
        self,
        endpoint: str,
        source: ClientConfigSource,
        http: HttpSettings,
        client_id: str | None,
        client_secret: str | None,
    ) -> None:
        if not client_id or not client_secret:
            missing = " and ".join(
                name
                for name, value in (
                    ("a client id (admin.clientId)", client_id),
                    ("a client secret (admin.clientSecretLocation or admin.clientSecretEnvVar)", client_secret),
                )
                if not value
            )
            raise FlyteAuthenticationException(f"auth type ClientSecret for {endpoint} needs {missing}")
        super().__init__(endpoint, source, http, cache=None, proactive=True)
        self._client_id_value = client_id
        self._secret = client_secret

    def __repr__(self) -> str:
        return f"ClientCredentialsAuthenticator(endpoint={self.endpoint!r}, client_id={self._client_id_value!r})"

    def _client_id(self) -> str:
        return self._client_id_value

    def _login(self, reason: OAuthError | None) -> Credentials:
        return self._token({"grant_type": "client_credentials", **self._token_form_base()}, secret=self._secret)

    def _refresh_grant(self, creds: Credentials) -> Credentials:
        # The secret gets a new token as easily as a refresh token would, and cannot have been revoked by its use.
        return self._login(None)
