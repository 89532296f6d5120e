"""Client authentication to Flyte Admin: the flows of ``admin.authType`` and a token cache shared by processes.

``authenticator_for(cfg, channel)`` gives the authenticator for ``cfg.auth_mode`` (None for ``AuthType.NONE``);
the raw client builds it lazily (see ``flyteplane.clients.raw``), so a client that never needs a token never
imports this package.

* ``Pkce`` (flytekit's ``standard``): browser and a localhost callback (:mod:`.pkce`); cached, refreshed.
* ``DeviceFlow``: a code approved on another device (:mod:`.device_flow`); cached, refreshed.
* ``ClientSecret`` (``basic``, ``client_credentials``): the client-credentials grant (:mod:`.client_credentials`).
* ``ExternalCommand`` (``external_process``): a command's output is the token (:mod:`.external_command`).

``proxy_command`` adds a ``proxy-authorization`` header from another command, whatever the auth type.
"""

from flyteplane.clients.auth.base import Authenticator
from flyteplane.clients.auth.credentials import Credentials
from flyteplane.clients.auth.discovery import ClientConfig
from flyteplane.clients.auth.errors import OAuthError
from flyteplane.clients.auth.factory import authenticator_for, provider_for, proxy_authenticator_for
from flyteplane.clients.auth.token_cache import DefaultTokenCache, FileTokenCache, MemoryTokenCache, TokenCache

__all__ = [
    "Authenticator",
    "ClientConfig",
    "Credentials",
    "DefaultTokenCache",
    "FileTokenCache",
    "MemoryTokenCache",
    "OAuthError",
    "TokenCache",
    "authenticator_for",
    "provider_for",
    "proxy_authenticator_for",
]
