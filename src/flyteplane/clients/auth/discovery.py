"""Where to get tokens: a :class:`ClientConfig`, given statically or discovered from the admin.

Discovery calls AuthMetadataService's ``GetPublicClientConfig`` and ``GetOAuth2Metadata`` directly on the channel,
below the client's auth layer (they are anonymous by design, and going through the auth layer would recurse),
with no retries: it happens once per client, right before a token request that would fail the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flyteplane.errors import FlyteAuthenticationException, from_grpc_error

if TYPE_CHECKING:
    import grpc

    from flyteplane.configuration import PlatformConfig

__all__ = ["ClientConfig", "ClientConfigSource", "fetch_client_config"]

_SERVICE = "/flyteidl.service.AuthMetadataService/"


@dataclass(frozen=True)
class ClientConfig:
    """The OAuth2 settings a client needs (flytekit's ``ClientConfig``, same field names)."""

    token_endpoint: str
    authorization_endpoint: str | None = None
    redirect_uri: str | None = None
    client_id: str | None = None
    scopes: tuple[str, ...] = ()
    header_key: str = "authorization"
    """The gRPC metadata key the bearer token goes in (``authorization``, or ``flyte-authorization`` behind proxies
    that consume the standard header)."""
    device_authorization_endpoint: str | None = None
    audience: str | None = None
    token_endpoint_auth_methods: tuple[str, ...] = ()
    """``client_secret_basic``, ``client_secret_post`` ...; empty means unknown (Basic is used)."""

    def with_overrides(self, cfg: PlatformConfig) -> ClientConfig:
        """The user's configuration wins over what the server suggests: client id, scopes and audience."""
        return replace(
            self,
            client_id=cfg.client_id or self.client_id,
            scopes=tuple(cfg.scopes) if cfg.scopes else self.scopes,
            audience=cfg.audience or self.audience,
        )


def fetch_client_config(
    channel: grpc.Channel,
    endpoint: str,
    timeout: float | None = 30.0,
    metadata: Sequence[tuple[str, str]] = (),
) -> ClientConfig:
    """Ask the admin behind ``channel`` for its public client settings and its OAuth2 server's metadata.

    ``metadata`` goes with both calls (a ``proxy-authorization`` header for a proxy in front of the admin).

    Raises:
        FlyteAuthenticationException: the admin has no AuthMetadataService (it does not use OAuth2).
        FlyteException: the calls failed otherwise (unreachable, TLS ...), as :func:`~flyteplane.errors.from_grpc_error`
            describes any failed call.
    """
    import grpc
    from flyteidl.service import auth_pb2

    def call(rpc: str, request: Any, response_type: Any) -> Any:
        method = channel.unary_unary(
            _SERVICE + rpc,
            request_serializer=type(request).SerializeToString,
            response_deserializer=response_type.FromString,
        )
        try:
            return method(request, timeout=timeout, metadata=tuple(metadata) or None)
        except grpc.RpcError as e:
            code = e.code() if hasattr(e, "code") else None
            if code == grpc.StatusCode.UNIMPLEMENTED:
                raise FlyteAuthenticationException(
                    f"{endpoint} does not serve AuthMetadataService, so its OAuth2 settings cannot be discovered: "
                    "if it needs no login set admin.authType: None; otherwise check the endpoint",
                    rpc=rpc,
                    code=code,
                ) from None
            # Unreachable, TLS trouble ...: the same message (and hints) as any other call would get.
            raise from_grpc_error(e, rpc, endpoint=endpoint) from e

    public = call(
        "GetPublicClientConfig", auth_pb2.PublicClientAuthConfigRequest(), auth_pb2.PublicClientAuthConfigResponse
    )
    server = call("GetOAuth2Metadata", auth_pb2.OAuth2MetadataRequest(), auth_pb2.OAuth2MetadataResponse)
    if not server.token_endpoint:
        raise FlyteAuthenticationException(f"{endpoint} announced no OAuth2 token endpoint; check its auth setup")
    return ClientConfig(
        token_endpoint=server.token_endpoint,
        authorization_endpoint=server.authorization_endpoint or None,
        redirect_uri=public.redirect_uri or None,
        client_id=public.client_id or None,
        scopes=tuple(public.scopes),
        header_key=public.authorization_metadata_key or "authorization",
        device_authorization_endpoint=server.device_authorization_endpoint or None,
        audience=public.audience or None,
        token_endpoint_auth_methods=tuple(server.token_endpoint_auth_methods_supported),
    )


class ClientConfigSource:
    """A :class:`ClientConfig`, static or fetched once on first use (thread-safe), with the config's overrides.

    ``metadata`` gives headers for the discovery calls (the proxy's, when there is a ``proxy_command``).
    """

    def __init__(
        self,
        cfg: PlatformConfig,
        channel: grpc.Channel | None = None,
        static: ClientConfig | None = None,
        metadata: Callable[[], Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        self._cfg = cfg
        self._metadata = metadata
        self._channel = channel
        self._config = static.with_overrides(cfg) if static is not None else None
        self._lock = threading.Lock()

    def get(self) -> ClientConfig:
        if self._config is None:
            with self._lock:
                if self._config is None:
                    if self._channel is None:
                        raise FlyteAuthenticationException(
                            f"no OAuth2 settings for {self._cfg.endpoint}: give a ClientConfig or a channel to ask"
                        )
                    timeout = getattr(self._cfg, "rpc_timeout", 30.0)
                    extra = self._metadata() if self._metadata is not None else ()
                    found = fetch_client_config(self._channel, self._cfg.endpoint, timeout, extra)
                    self._config = found.with_overrides(self._cfg)
        return self._config
