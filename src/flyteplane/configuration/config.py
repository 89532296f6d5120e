"""The top-level :class:`Config`: platform, secrets, stats and data settings together."""

from __future__ import annotations

import _thread
import dataclasses
from dataclasses import dataclass, field

from flyteplane.configuration.auth_type import AuthType
from flyteplane.configuration.config_file import ConfigFileArg, get_config_file
from flyteplane.configuration.data import DataConfig, S3Config
from flyteplane.configuration.platform import PlatformConfig
from flyteplane.configuration.runtime import SecretsConfig, StatsConfig
from flyteplane.configuration.settings import LocalSDK

__all__ = ["Config"]

# One scratch directory per process, made the first time something needs it. flytekit instead runs
# tempfile.mkdtemp() as a dataclass default, i.e. at import, and leaves a directory behind on every import.
_default_sandbox_path: str | None = None
_default_sandbox_lock = _thread.allocate_lock()  # _thread is built in; threading would cost import time


def _default_local_sandbox_path() -> str:
    global _default_sandbox_path
    with _default_sandbox_lock:
        if _default_sandbox_path is None:
            import tempfile

            _default_sandbox_path = tempfile.mkdtemp(prefix="flyte")
        return _default_sandbox_path


@dataclass(frozen=True)
class Config:
    """Everything needed to talk to a Flyte deployment and to move data to and from it.

    Same fields and constructors as flytekit's ``Config``, with two fixes: no temporary directory is created at import
    or construction (see :meth:`get_local_sandbox_path`), and :meth:`for_endpoint` keeps the credentials and TLS
    settings found in the config file and environment.
    """

    platform: PlatformConfig = field(default_factory=PlatformConfig)
    """How to reach and authenticate to Flyte Admin."""
    secrets: SecretsConfig = field(default_factory=SecretsConfig)
    """Where running tasks find injected secrets."""
    stats: StatsConfig = field(default_factory=StatsConfig)
    """statsd settings."""
    data_config: DataConfig = field(default_factory=DataConfig)
    """Blob storage settings."""
    local_sandbox_path: str | None = None
    """Scratch directory for local data. None (the default) means a temporary directory, created only when
    :meth:`get_local_sandbox_path` is first called."""

    def get_local_sandbox_path(self) -> str:
        """:attr:`local_sandbox_path`, or else a temporary directory shared by this process, created on first use.

        flytekit's attribute always holds a path because it creates the directory eagerly; code that needs a path
        should call this instead of reading the attribute.
        """
        if self.local_sandbox_path is not None:
            return self.local_sandbox_path
        return _default_local_sandbox_path()

    def with_params(
        self,
        platform: PlatformConfig | None = None,
        secrets: SecretsConfig | None = None,
        stats: StatsConfig | None = None,
        data_config: DataConfig | None = None,
        local_sandbox_path: str | None = None,
    ) -> Config:
        """A copy with the given parts replaced; arguments left as None keep the current value."""
        return Config(
            platform=platform if platform is not None else self.platform,
            secrets=secrets if secrets is not None else self.secrets,
            stats=stats if stats is not None else self.stats,
            data_config=data_config if data_config is not None else self.data_config,
            local_sandbox_path=local_sandbox_path if local_sandbox_path is not None else self.local_sandbox_path,
        )

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> Config:
        """Build from the config file and ``FLYTE_*`` environment variables; per value, environment > file > default.

        ``config_file`` is a path or a ``ConfigFile``; an explicit path that does not exist raises
        ``FileNotFoundError``. None looks a file up, now (never cached): ``$_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE``,
        ``$FLYTECTL_CONFIG``, ``./flytekit.config``, ``~/.flyte/config``, ``~/.flyte/config.yaml``; with none found,
        only the environment and defaults apply.

        Raises:
            ConfigurationError: a value is malformed; the message names the variable or the file and key.
        """
        cfg = get_config_file(config_file)
        return cls(
            platform=PlatformConfig._from_file(cfg),
            secrets=SecretsConfig._from_file(cfg),
            stats=StatsConfig._from_file(cfg),
            data_config=DataConfig._from_file(cfg),
            local_sandbox_path=LocalSDK.LOCAL_SANDBOX.read(cfg),
        )

    @classmethod
    def for_sandbox(cls) -> Config:
        """The flytectl demo sandbox, and ``flyteplane sandbox``: gRPC on ``localhost:30080`` without TLS.

        ``auth_mode`` is PKCE and the S3 settings point at the demo sandbox's minio, exactly as flytekit's
        ``Config.for_sandbox()``, so both clients behave the same against the same sandbox. Nothing is read from files
        or the environment.

        One difference: ``console_endpoint`` is ``http://localhost:30002``, so console links (``execution_url``,
        ``generate_console_url``) open ``flyteplane sandbox``'s console, which its HTTP side serves at ``/console``.
        flytekit derives them from the gRPC endpoint (``http://localhost:30080/console/...``), where the flytectl
        demo's single binary serves its console; against that sandbox, set ``console_endpoint`` back to
        ``http://localhost:30080``.
        """
        return cls(
            platform=PlatformConfig(
                endpoint="localhost:30080",
                insecure=True,
                auth_mode=AuthType.PKCE,
                console_endpoint="http://localhost:30002",
            ),
            data_config=DataConfig(
                s3=S3Config(endpoint="http://localhost:30002", access_key_id="minio", secret_access_key="miniostorage")
            ),
        )

    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        data_config: DataConfig | None = None,
        config_file: ConfigFileArg = None,
    ) -> Config:
        """:meth:`auto`, then point it at ``endpoint`` (and ``insecure``), keeping every other platform setting.

        Auth type, client id and secret, scopes, CA certificate and the rest still come from the config file and
        environment. flytekit keeps them only when ``config_file`` is passed and silently drops them otherwise, so
        ``Config.for_endpoint("flyte.example.com")`` there would try a browser login against a deployment configured
        for client credentials.

        ``data_config`` replaces the loaded data settings when given.
        """
        loaded = cls.auto(config_file)
        platform = dataclasses.replace(loaded.platform, endpoint=endpoint, insecure=insecure)
        return loaded.with_params(platform=platform, data_config=data_config)
