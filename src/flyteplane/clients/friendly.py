"""SynchronousFlyteClient: Flyte Admin with flyteplane models in and out.

The method names and signatures are flytekit's, so code written for ``flytekit.clients.friendly`` runs
unchanged (see :mod:`flyteplane.clients.operations` for the methods and what they add to flytekit's).

The friendly client *holds* a :class:`~flyteplane.clients.raw.RawSynchronousFlyteClient` (``client.raw``) and makes
every call through it; it is not a subclass of it. flytekit's friendly client inherits from its raw one, so there
``isinstance(friendly, RawSynchronousFlyteClient)`` is true; here it is false, on purpose: the two classes have
methods of the same name with different signatures (``create_task(request)`` and ``create_task(id, spec)``), so
one cannot stand in for the other. Code that wants the raw methods uses ``client.raw``; the raw methods flytekit's
friendly client does not redefine (``set_signal``, ``list_projects``, ``create_upload_location`` ...) are also
offered on the friendly client itself (:class:`~flyteplane.clients.operations.RawPassthrough`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flyteplane.clients.operations import FriendlyOperations, RawPassthrough
from flyteplane.clients.raw import RawSynchronousFlyteClient
from flyteplane.clients.rpcs import Rpc

if TYPE_CHECKING:
    import grpc

    from flyteplane.clients.interceptors import AuthProvider, Interceptor
    from flyteplane.clients.retry import Retry
    from flyteplane.configuration import PlatformConfig

__all__ = ["SynchronousFlyteClient", "platform_config"]


def platform_config(cfg: PlatformConfig | str, insecure: bool | None) -> PlatformConfig:
    """The config a friendly client is built from: ``cfg`` itself, or for a string endpoint the config file's and
    ``FLYTE_*`` environment's settings with that endpoint (and ``insecure``, when given)."""
    if isinstance(cfg, str):
        from flyteplane.configuration import PlatformConfig

        changes: dict[str, Any] = {"endpoint": cfg}
        if insecure is not None:
            changes["insecure"] = insecure
        return dataclasses.replace(PlatformConfig.auto(), **changes)
    if insecure is not None:
        return dataclasses.replace(cfg, insecure=insecure)
    return cfg


class SynchronousFlyteClient(FriendlyOperations, RawPassthrough):
    """The friendly Flyte Admin client.

    ``SynchronousFlyteClient(PlatformConfig(...))`` as in flytekit, or, as in the seed,
    ``SynchronousFlyteClient("host:port", insecure=True)``. A string endpoint keeps the auth and TLS settings of
    the config file and ``FLYTE_*`` environment, and takes the endpoint (and ``insecure``) from the arguments.
    The other keyword arguments are :class:`~flyteplane.clients.raw.RawSynchronousFlyteClient`'s.
    """

    def __init__(
        self,
        cfg: PlatformConfig | str,
        insecure: bool | None = None,
        *,
        auth: AuthProvider | None = None,
        interceptors: Sequence[Interceptor] = (),
        grpc_interceptors: Sequence[grpc.UnaryUnaryClientInterceptor[Any, Any]] = (),
        metadata: Sequence[tuple[str, str]] = (),
        retry: Retry | None = None,
        **channel_kwargs: Any,
    ) -> None:
        self._raw = RawSynchronousFlyteClient(
            platform_config(cfg, insecure),
            auth=auth,
            interceptors=interceptors,
            grpc_interceptors=grpc_interceptors,
            metadata=metadata,
            retry=retry,
            **channel_kwargs,
        )

    def _call(self, rpc: Rpc[Any, Any], request: Any, timeout: float | None = None) -> Any:
        # The one way a friendly method reaches the wire: through the raw client's pipeline.
        return self._raw._call(rpc, request, timeout)

    @property
    def raw(self) -> RawSynchronousFlyteClient:
        """The raw client this one makes its calls through (same channel, same pipeline)."""
        return self._raw

    @property
    def url(self) -> str:
        """The endpoint this client talks to."""
        return self._raw.url

    @property
    def config(self) -> PlatformConfig:
        """The configuration this client was made with."""
        return self._raw.config

    @property
    def channel(self) -> grpc.Channel:
        """The underlying gRPC channel, made on first use."""
        return self._raw.channel

    @classmethod
    def with_root_certificate(cls, cfg: PlatformConfig, root_cert_file: str) -> SynchronousFlyteClient:
        """A client trusting the CA certificates in ``root_cert_file``."""
        from pathlib import Path

        return cls(cfg, root_certificates=Path(root_cert_file).read_bytes())

    def close(self) -> None:
        """Close the channel; in-flight calls are cancelled."""
        self._raw.close()

    def __enter__(self) -> SynchronousFlyteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SynchronousFlyteClient({self.url!r})"
