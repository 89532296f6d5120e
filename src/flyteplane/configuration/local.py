"""Settings for local runs and the default project/domain: :class:`LocalConfig` and :class:`TaskConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flyteplane.configuration.config_file import ConfigFile, ConfigFileArg, get_config_file
from flyteplane.configuration.settings import Local, Setting, collect

__all__ = ["LocalConfig", "TaskConfig"]


@dataclass(frozen=True)
class LocalConfig:
    """Caching of local (in-process) task runs."""

    cache_enabled: bool = True
    """Reuse cached outputs of cacheable tasks run locally."""
    cache_overwrite: bool = False
    """Run anyway and overwrite the cached outputs."""

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> LocalConfig:
        """From ``FLYTE_LOCAL_CACHE_ENABLED`` / ``FLYTE_LOCAL_CACHE_OVERWRITE`` or the ``[local]`` section."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> LocalConfig:
        settings: dict[str, Setting[Any]] = {
            "cache_enabled": Local.CACHE_ENABLED,
            "cache_overwrite": Local.CACHE_OVERWRITE,
        }
        return cls(**collect(cfg, settings))


@dataclass(frozen=True)
class TaskConfig:
    """The project, domain and org commands use when none is given."""

    project: str | None = "flytesnacks"
    """Default project."""
    domain: str | None = "development"
    """Default domain."""
    org: str | None = "None"
    """Default org. flytekit's default is the *string* ``"None"``; kept so both clients agree on what is sent."""

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> TaskConfig:
        """From ``FLYTE_LOCAL_PROJECT`` / ``_DOMAIN`` / ``_ORG``, ``[local]``, or flytectl's ``task.*`` keys."""
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> TaskConfig:
        settings: dict[str, Setting[Any]] = {
            "project": Local.USER_PROJECT,
            "domain": Local.USER_DOMAIN,
            "org": Local.USER_ORG,
        }
        return cls(**collect(cfg, settings))
