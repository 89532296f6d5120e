"""Client configuration, compatible with flytekit's ``flytekit.configuration`` and flytectl's config file.

Start with ``Config.auto()`` (config file + ``FLYTE_*`` environment variables), ``Config.for_sandbox()`` or
``Config.for_endpoint("flyte.example.com")``.

Where values come from, per value: the environment variable, else the config file, else the default.

* The file is looked up at call time, never cached: ``$_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE``, ``$FLYTECTL_CONFIG``,
  ``./flytekit.config``, ``~/.flyte/config``, ``~/.flyte/config.yaml``. Names ending in ``yaml``/``yml`` are
  flytectl YAML, anything else flytekit INI.
* Environment variables are ``FLYTE_{SECTION}_{OPTION}`` for the INI ``[section] option``, e.g.
  ``FLYTE_PLATFORM_URL`` for ``[platform] url`` (YAML ``admin.endpoint``). The full table is in
  :mod:`flyteplane.configuration.settings`.
* A malformed value raises :class:`ConfigurationError` (a ``ValueError``) naming the variable or the file and key.

Compared with flytekit: no temporary directory is created at import or construction; ``Config.for_endpoint`` keeps
the file's credentials and TLS settings; ``StatsConfig`` reads ``[stats]``; the RPC timeout, retry and message-size
limits can be set from files and the environment; ``AuthType.NONE`` says "no authentication"; secrets are masked in
``repr()``.
"""

from flyteplane.configuration.auth_type import AuthType
from flyteplane.configuration.config import Config
from flyteplane.configuration.config_file import (
    FLYTECTL_CONFIG_ENV_VAR,
    FLYTECTL_CONFIG_OVERRIDE_ENV_VAR,
    ConfigFile,
    ConfigFileArg,
    find_config_file,
    get_config_file,
)
from flyteplane.configuration.data import (
    AzureBlobStorageConfig,
    DataConfig,
    GCSConfig,
    GenericPersistenceConfig,
    S3Config,
)
from flyteplane.configuration.local import LocalConfig, TaskConfig
from flyteplane.configuration.platform import PlatformConfig
from flyteplane.configuration.runtime import SecretsConfig, StatsConfig
from flyteplane.configuration.values import ConfigurationError, parse_duration

__all__ = [
    "FLYTECTL_CONFIG_ENV_VAR",
    "FLYTECTL_CONFIG_OVERRIDE_ENV_VAR",
    "AuthType",
    "AzureBlobStorageConfig",
    "Config",
    "ConfigFile",
    "ConfigFileArg",
    "ConfigurationError",
    "DataConfig",
    "GCSConfig",
    "GenericPersistenceConfig",
    "LocalConfig",
    "PlatformConfig",
    "S3Config",
    "SecretsConfig",
    "StatsConfig",
    "TaskConfig",
    "find_config_file",
    "get_config_file",
    "parse_duration",
]
