"""Choosing the authenticator for a :class:`~flyteplane.configuration.PlatformConfig`.

``admin.authType`` / ``PlatformConfig.auth_mode`` is matched as flytectl and flytekit spell it, ignoring case
(``Pkce``, ``ClientSecret``, ``DeviceFlow``, ``ExternalCommand``, flytekit's ``standard``, ``basic``,
``client_credentials``, ``external_process``), plus ``None`` for no authentication at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flyteplane.clients.auth.base import Authenticator
from flyteplane.configuration.auth_type import AuthType
from flyteplane.errors import FlyteAuthenticationException

if TYPE_CHECKING:
    import grpc

    from flyteplane.clients.auth.discovery import ClientConfig, ClientConfigSource
    from flyteplane.clients.auth.token_cache import TokenCache
    from flyteplane.configuration import PlatformConfig

__all__ = ["CombinedProvider", "authenticator_for", "provider_for", "proxy_authenticator_for"]

log = logging.getLogger("flyteplane.clients.auth")


def authenticator_for(
    cfg: PlatformConfig,
    channel: grpc.Channel | None,
    *,
    cache: TokenCache | None = None,
    client_config: ClientConfig | None = None,
    interactive: bool | None = None,
    proxy: Authenticator | None = None,
    **options: Any,
) -> Authenticator | None:
    """The authenticator for ``cfg.auth_mode``; None for :attr:`AuthType.NONE`.

    Args:
        channel: the admin's channel *without* the client's auth layer, for discovering the OAuth2 settings.
        cache: where PKCE and device-flow tokens are kept (default: keyring, else a 0600 file).
        client_config: static OAuth2 settings instead of discovery.
        interactive: for PKCE and device flow (see their classes); False never starts a login that needs a human.
        proxy: the ``proxy_command`` provider, whose header the discovery calls need too (default: made from cfg).
        options: passed on to the flow's class (``login_timeout``, ``prompt``, ``out`` ...).

    Raises:
        FlyteAuthenticationException: the mode's required settings are missing (a client secret, a command).
    """
    from flyteplane.clients.auth.discovery import ClientConfigSource
    from flyteplane.clients.auth.oauth_http import HttpSettings

    mode = AuthType.parse(cfg.auth_mode).canonical
    if mode is AuthType.NONE:
        return None
    http = HttpSettings.from_config(cfg)
    proxy = proxy_authenticator_for(cfg) if proxy is None else proxy
    source = ClientConfigSource(cfg, channel, client_config, proxy.metadata if proxy is not None else None)
    if mode is AuthType.CLIENTSECRET:
        from flyteplane.clients.auth.client_credentials import ClientCredentialsAuthenticator

        return ClientCredentialsAuthenticator(cfg.endpoint, source, http, cfg.client_id, cfg.client_credentials_secret)
    if mode is AuthType.EXTERNALCOMMAND:
        from flyteplane.clients.auth.external_command import CommandAuthenticator

        return CommandAuthenticator(cfg.endpoint, cfg.command, header_key=_header_key_of(source, cfg.endpoint))
    if cache is None:
        from flyteplane.clients.auth.token_cache import DefaultTokenCache

        cache = DefaultTokenCache()
    if mode is AuthType.PKCE:
        from flyteplane.clients.auth.pkce import PKCEAuthenticator

        return PKCEAuthenticator(cfg.endpoint, source, http, cache=cache, interactive=interactive, **options)
    if mode is AuthType.DEVICEFLOW:
        from flyteplane.clients.auth.device_flow import DeviceFlowAuthenticator

        return DeviceFlowAuthenticator(cfg.endpoint, source, http, cache=cache, interactive=interactive, **options)
    raise FlyteAuthenticationException(f"auth type {mode} is not supported")  # pragma: no cover - AuthType is closed


def _header_key_of(source: ClientConfigSource, endpoint: str) -> Callable[[], str]:
    """The admin's header key, asked lazily; ``authorization`` when it cannot say (e.g. auth done by a proxy)."""

    def header_key() -> str:
        try:
            return source.get().header_key
        except FlyteAuthenticationException as e:
            log.debug("no OAuth2 settings from %s (%s); sending the token in 'authorization'", endpoint, e.code)
            return "authorization"

    return header_key


def proxy_authenticator_for(cfg: PlatformConfig) -> Authenticator | None:
    """The ``proxy-authorization`` provider for ``cfg.proxy_command``; None without one."""
    if not cfg.proxy_command:
        return None
    from flyteplane.clients.auth.external_command import ProxyCommandAuthenticator

    return ProxyCommandAuthenticator(cfg.endpoint, cfg.proxy_command)


class CombinedProvider:
    """The proxy's header plus the admin's; on UNAUTHENTICATED both are renewed (either could be the one refused)."""

    def __init__(self, providers: list[Authenticator]) -> None:
        self.providers = providers

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return tuple(item for provider in self.providers for item in provider.metadata())

    def refresh(self) -> None:
        for provider in self.providers:
            provider.refresh()


def provider_for(cfg: PlatformConfig, channel: grpc.Channel | None, **kwargs: Any) -> Any:
    """What the client's AuthInterceptor uses: the proxy provider and the authenticator, either, or None."""
    proxy = proxy_authenticator_for(cfg)
    providers = [p for p in (proxy, authenticator_for(cfg, channel, proxy=proxy, **kwargs)) if p is not None]
    if not providers:
        return None
    return providers[0] if len(providers) == 1 else CombinedProvider(providers)
