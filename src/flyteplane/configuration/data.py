"""Blob storage settings: :class:`DataConfig` and one class per provider, with flytekit's fields and defaults."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from flyteplane.configuration.config_file import ConfigFile, ConfigFileArg, get_config_file
from flyteplane.configuration.redaction import SECRET, masked_repr
from flyteplane.configuration.settings import AWS, AZURE, GCP, Persistence, Setting, collect

__all__ = [
    "AzureBlobStorageConfig",
    "DataConfig",
    "GCSConfig",
    "GenericPersistenceConfig",
    "S3Config",
    "fsspec_storage_options",
]

_S3: dict[str, Setting[Any]] = {
    "enable_debug": AWS.ENABLE_DEBUG,
    "endpoint": AWS.S3_ENDPOINT,
    "retries": AWS.RETRIES,
    "backoff": AWS.BACKOFF_SECONDS,
    "access_key_id": AWS.S3_ACCESS_KEY_ID,
    "secret_access_key": AWS.S3_SECRET_ACCESS_KEY,
    "adressing_style": AWS.S3_ADDRESSING_STYLE,
}

_UNSET: Any = object()


@dataclass(frozen=True, init=False, repr=False)
class S3Config:
    """S3 (or S3-compatible, e.g. minio) settings.

    ``adressing_style`` keeps flytekit's spelling so existing code keeps working; the constructor also accepts
    ``addressing_style`` and there is a read-only :attr:`addressing_style` property. ``repr()`` masks the secret key.
    """

    enable_debug: bool = False
    """Turn on the S3 client's debug logging."""
    endpoint: str | None = None
    """S3 endpoint URL, for S3-compatible stores (``http://localhost:30002`` for the flytectl sandbox's minio)."""
    retries: int = 3
    """Retries of a failed S3 request."""
    backoff: datetime.timedelta = datetime.timedelta(seconds=5)
    """Wait between those retries."""
    access_key_id: str | None = None
    """Access key id; None uses the usual AWS credential chain."""
    secret_access_key: str | None = field(default=None, metadata=SECRET)
    """Secret access key. Masked in ``repr()``."""
    adressing_style: str | None = None
    """``"path"`` or ``"virtual"`` bucket addressing (flytekit's misspelt field name)."""

    __repr__ = masked_repr

    def __init__(
        self,
        enable_debug: bool = False,
        endpoint: str | None = None,
        retries: int = 3,
        backoff: datetime.timedelta = datetime.timedelta(seconds=5),
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        adressing_style: str | None = _UNSET,
        *,
        addressing_style: str | None = _UNSET,
    ) -> None:
        # Written by hand only to accept both spellings; dataclasses.replace() passes the field name and still works.
        if adressing_style is not _UNSET and addressing_style is not _UNSET and adressing_style != addressing_style:
            raise TypeError("S3Config got different values for adressing_style and addressing_style")
        style = adressing_style if adressing_style is not _UNSET else addressing_style
        set_ = object.__setattr__
        set_(self, "enable_debug", enable_debug)
        set_(self, "endpoint", endpoint)
        set_(self, "retries", retries)
        set_(self, "backoff", backoff)
        set_(self, "access_key_id", access_key_id)
        set_(self, "secret_access_key", secret_access_key)
        set_(self, "adressing_style", None if style is _UNSET else style)

    @property
    def addressing_style(self) -> str | None:
        """The correctly spelt name of :attr:`adressing_style`."""
        return self.adressing_style

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> S3Config:
        """From ``FLYTE_AWS_*``, ``[aws]`` or flytectl's ``storage.connection.*``.

        ``FLYTE_AWS_BACKOFF_SECONDS`` takes seconds or a Go duration (``"500ms"``).
        """
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> S3Config:
        kwargs = collect(cfg, _S3)
        if "backoff" in kwargs:
            kwargs["backoff"] = datetime.timedelta(seconds=kwargs["backoff"])
        return cls(**kwargs)


@dataclass(frozen=True)
class GCSConfig:
    """Google Cloud Storage settings."""

    gsutil_parallelism: bool = False
    """Let gsutil copy in parallel (``gsutil -m``)."""

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> GCSConfig:
        """From ``FLYTE_GCP_GSUTIL_PARALLELISM`` or ``[gcp] gsutil_parallelism``."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> GCSConfig:
        return cls(**collect(cfg, {"gsutil_parallelism": GCP.GSUTIL_PARALLELISM}))


@dataclass(frozen=True, repr=False)
class AzureBlobStorageConfig:
    """Azure Blob Storage settings. ``repr()`` masks the account key and the client secret."""

    account_name: str | None = None
    """Storage account name."""
    account_key: str | None = field(default=None, metadata=SECRET)
    """Storage account key. Masked in ``repr()``."""
    tenant_id: str | None = None
    """Entra ID tenant, for service-principal access."""
    client_id: str | None = None
    """Service principal client id."""
    client_secret: str | None = field(default=None, metadata=SECRET)
    """Service principal secret. Masked in ``repr()``."""

    __repr__ = masked_repr

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> AzureBlobStorageConfig:
        """From ``FLYTE_AZURE_*`` or ``[azure]`` (``storage_account_name``, ``storage_account_key``, ...)."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> AzureBlobStorageConfig:
        settings: dict[str, Setting[Any]] = {
            "account_name": AZURE.STORAGE_ACCOUNT_NAME,
            "account_key": AZURE.STORAGE_ACCOUNT_KEY,
            "tenant_id": AZURE.TENANT_ID,
            "client_id": AZURE.CLIENT_ID,
            "client_secret": AZURE.CLIENT_SECRET,
        }
        return cls(**collect(cfg, settings))


@dataclass(frozen=True)
class GenericPersistenceConfig:
    """Storage settings that apply to every provider."""

    attach_execution_metadata: bool = True
    """Tag uploaded objects with the execution that wrote them."""

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> GenericPersistenceConfig:
        """From ``FLYTE_PERSISTENCE_ATTACH_EXECUTION_METADATA`` or ``[persistence]``."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> GenericPersistenceConfig:
        settings: dict[str, Setting[Any]] = {"attach_execution_metadata": Persistence.ATTACH_EXECUTION_METADATA}
        return cls(**collect(cfg, settings))


@dataclass(frozen=True)
class DataConfig:
    """All blob storage settings; each provider's part is used only when a URI of that provider is read or written."""

    s3: S3Config = field(default_factory=S3Config)
    gcs: GCSConfig = field(default_factory=GCSConfig)
    azure: AzureBlobStorageConfig = field(default_factory=AzureBlobStorageConfig)
    generic: GenericPersistenceConfig = field(default_factory=GenericPersistenceConfig)

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> DataConfig:
        """Every provider's ``auto()``, reading the config file once."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> DataConfig:
        # ``cfg`` is already resolved; None here means "no file", not "look one up".
        return cls(
            s3=S3Config._from_file(cfg),
            gcs=GCSConfig._from_file(cfg),
            azure=AzureBlobStorageConfig._from_file(cfg),
            generic=GenericPersistenceConfig._from_file(cfg),
        )


def fsspec_storage_options(protocol: str, data_config: DataConfig | None = None) -> dict[str, Any]:
    """The options of an fsspec filesystem for ``protocol`` from the storage settings (``DataConfig.auto()`` if
    None), as flytekit's data persistence passes them: for ``s3``, s3fs's ``key``/``secret``, the endpoint (a
    minio, or the embedded admin's S3 endpoint) and the addressing style; nothing for other protocols."""
    if protocol not in ("s3", "s3a"):
        return {}
    s3 = (data_config or DataConfig.auto()).s3
    options: dict[str, Any] = {}
    if s3.access_key_id:
        options["key"] = s3.access_key_id
    if s3.secret_access_key:
        options["secret"] = s3.secret_access_key
    if s3.endpoint:
        options["client_kwargs"] = {"endpoint_url": s3.endpoint}
    if s3.adressing_style:
        options["config_kwargs"] = {"s3": {"addressing_style": s3.adressing_style}}
    return options
