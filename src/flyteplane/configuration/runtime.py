"""Settings used by tasks at run time: :class:`SecretsConfig` and :class:`StatsConfig`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flyteplane.configuration.config_file import ConfigFile, ConfigFileArg, get_config_file
from flyteplane.configuration.settings import Secrets, Setting, Stats, collect

__all__ = ["SecretsConfig", "StatsConfig"]


@dataclass(frozen=True)
class SecretsConfig:
    """Where a running task finds the secrets Flyte injected into its container."""

    env_prefix: str = "_FSEC_"
    """Prefix of the environment variables holding secrets."""
    default_dir: str = os.path.join(os.sep, "etc", "secrets")
    """Directory holding secrets as files."""
    file_prefix: str = ""
    """Prefix of those files' names."""

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> SecretsConfig:
        """From ``FLYTE_SECRETS_ENV_PREFIX`` / ``_DEFAULT_DIR`` / ``_FILE_PREFIX`` or the ``[secrets]`` section."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> SecretsConfig:
        settings: dict[str, Setting[Any]] = {
            "env_prefix": Secrets.ENV_PREFIX,
            "default_dir": Secrets.DEFAULT_DIR,
            "file_prefix": Secrets.FILE_PREFIX,
        }
        return cls(**collect(cfg, settings))


@dataclass(frozen=True)
class StatsConfig:
    """Where to send statsd metrics."""

    host: str = "localhost"
    """statsd host."""
    port: int = 8125
    """statsd port."""
    disabled: bool = False
    """Send nothing."""
    disabled_tags: bool = False
    """Send metrics without tags, to keep cardinality down."""

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> StatsConfig:
        """From ``FLYTE_STATS_HOST`` / ``_PORT`` / ``_DISABLED`` / ``_DISABLE_TAGS`` or the ``[stats]`` section.

        flytekit reads these from ``[secrets]`` / ``FLYTE_SECRETS_*`` by mistake; those are still read, after the
        ``stats`` spellings, so configs written for flytekit keep working.
        """
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> StatsConfig:
        settings: dict[str, Setting[Any]] = {
            "host": Stats.HOST,
            "port": Stats.PORT,
            "disabled": Stats.DISABLED,
            "disabled_tags": Stats.DISABLE_TAGS,
        }
        return cls(**collect(cfg, settings))
