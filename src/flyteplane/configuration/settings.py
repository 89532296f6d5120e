"""Every setting flyteplane reads, and where it reads it from: one table, env var + INI option + YAML key.

A :class:`Setting` is read with the precedence flytekit uses, per value:

1. the environment variable ``FLYTE_{SECTION}_{OPTION}`` (an empty value counts as unset);
2. the config file: ``[section] option`` of an INI file, or the dotted key of a flytectl YAML file;
3. otherwise nothing, and the dataclass default applies.

A value that is present but unusable raises :class:`~flyteplane.configuration.values.ConfigurationError` naming
the variable or file and key, instead of being ignored or kept as a string the way flytekit does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from flyteplane.configuration.auth_type import AuthType
from flyteplane.configuration.config_file import ConfigFile
from flyteplane.configuration.values import (
    ConfigurationError,
    parse_bool,
    parse_duration,
    parse_int,
    parse_list,
    parse_optional_timeout,
    parse_str,
    strip_endpoint_scheme,
)

__all__ = [
    "AWS",
    "AZURE",
    "GCP",
    "Credentials",
    "Local",
    "LocalSDK",
    "Persistence",
    "Platform",
    "Secrets",
    "Setting",
    "Stats",
    "collect",
]

T = TypeVar("T")


class Setting(Generic[T]):
    """One configurable value: its environment variable, INI option, optional YAML key and parser."""

    __slots__ = ("aliases", "option", "parse", "secret", "section", "yaml_key")

    def __init__(
        self,
        section: str,
        option: str,
        parse: Callable[[object], T],
        yaml_key: str | None = None,
        *,
        secret: bool = False,
        aliases: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.section = section
        """INI section; also the middle of the environment variable name."""
        self.option = option
        """INI option; also the end of the environment variable name."""
        self.parse = parse
        """Turns the raw value into the typed one, raising ``ValueError`` with what was expected."""
        self.yaml_key = yaml_key
        """Dotted flytectl key, or None when flytectl files cannot set this."""
        self.secret = secret
        """Never echo the raw value in error messages."""
        self.aliases = aliases
        """Extra ``(section, option)`` spellings consulted after the main one, for flytekit compatibility."""

    @property
    def env_var(self) -> str:
        """``FLYTE_{SECTION}_{OPTION}``, flytekit's naming."""
        return _env_name(self.section, self.option)

    def read(self, cfg: ConfigFile | None, environ: Mapping[str, str] | None = None) -> T | None:
        """The parsed value from the environment, else from ``cfg``, else None.

        Raises:
            ConfigurationError: the value is present but cannot be parsed.
        """
        env = os.environ if environ is None else environ
        for section, option in ((self.section, self.option), *self.aliases):
            name = _env_name(section, option)
            raw = env.get(name)
            if raw is not None and raw.strip():
                return self._parse(raw, f"environment variable {name}")
        if cfg is None:
            return None
        if cfg.is_yaml:
            if self.yaml_key is None:
                return None
            raw_yaml = cfg.get_yaml(self.yaml_key)
            if raw_yaml is None or (isinstance(raw_yaml, str) and not raw_yaml.strip()):
                return None
            return self._parse(raw_yaml, f"{self.yaml_key} in {cfg.location}")
        for section, option in ((self.section, self.option), *self.aliases):
            raw_ini = cfg.get_ini(section, option)
            if raw_ini is not None and raw_ini.strip():
                return self._parse(raw_ini, f"[{section}] {option} in {cfg.location}")
        return None

    def _parse(self, raw: Any, where: str) -> T:
        try:
            return self.parse(raw)
        except ValueError as exc:
            shown = "<hidden>" if self.secret else repr(raw)
            raise ConfigurationError(f"invalid value {shown} for {where}: {exc}") from None

    def __repr__(self) -> str:
        return f"Setting({self.env_var}, yaml={self.yaml_key!r})"


def _env_name(section: str, option: str) -> str:
    return f"FLYTE_{section.upper()}_{option.upper()}"


def _endpoint(raw: object) -> str:
    return strip_endpoint_scheme(parse_str(raw))


_non_negative = parse_int(0)
_positive = parse_int(1)
# gRPC takes -1 for "no limit" on message sizes.
_size = parse_int(1, allow=(-1,))


def _positive_duration(raw: object) -> float:
    seconds = parse_duration(raw)
    if seconds <= 0:
        raise ValueError("expected a positive duration")
    return seconds


def _auth_type(raw: object) -> AuthType:
    if not isinstance(raw, str):
        raise ValueError(f"expected an auth type name, got {type(raw).__name__}")
    return AuthType.parse(raw)


class Platform:
    """``[platform]`` / ``FLYTE_PLATFORM_*`` / flytectl ``admin.*``: how to reach Flyte Admin."""

    URL = Setting("platform", "url", _endpoint, "admin.endpoint")
    INSECURE = Setting("platform", "insecure", parse_bool, "admin.insecure")
    INSECURE_SKIP_VERIFY = Setting("platform", "insecure_skip_verify", parse_bool, "admin.insecureSkipVerify")
    CA_CERT_FILE_PATH = Setting("platform", "ca_cert_file_path", parse_str, "admin.caCertFilePath")
    CONSOLE_ENDPOINT = Setting("platform", "console_endpoint", parse_str, "console.endpoint")
    HTTP_PROXY_URL = Setting("platform", "http_proxy_url", parse_str, "admin.httpProxyURL")
    # flyteplane additions; the YAML keys are flytectl's own names for the same knobs where flytectl has them.
    RPC_RETRIES = Setting("platform", "rpc_retries", _non_negative, "admin.maxRetries")
    RPC_TIMEOUT = Setting("platform", "rpc_timeout", parse_optional_timeout, "admin.perRetryTimeout")
    RPC_RETRY_DEADLINE = Setting("platform", "rpc_retry_deadline", _positive_duration)
    MAX_MESSAGE_SIZE = Setting("platform", "max_message_size", _size, "admin.maxMessageSizeBytes")
    MAX_SEND_MESSAGE_SIZE = Setting("platform", "max_send_message_size", _size, "admin.maxSendMessageSizeBytes")
    MAX_METADATA_SIZE = Setting("platform", "max_metadata_size", _positive)
    KEEPALIVE_TIME_MS = Setting("platform", "keepalive_time_ms", _positive)
    KEEPALIVE_TIMEOUT_MS = Setting("platform", "keepalive_timeout_ms", _positive)
    CLIENT_CERTIFICATE_PATH = Setting("platform", "client_certificate_path", parse_str, "admin.clientCertPath")
    CLIENT_KEY_PATH = Setting("platform", "client_key_path", parse_str, "admin.clientKeyPath")


class Credentials:
    """``[credentials]`` / ``FLYTE_CREDENTIALS_*`` / flytectl ``admin.*``: who the client is."""

    COMMAND = Setting("credentials", "command", parse_list, "admin.command")
    PROXY_COMMAND = Setting("credentials", "proxy_command", parse_list, "admin.proxyCommand")
    CLIENT_ID = Setting("credentials", "client_id", parse_str, "admin.clientId")
    # The literal secret has no YAML key: flytectl files only point at a file or a variable holding it.
    CLIENT_SECRET = Setting("credentials", "client_secret", parse_str, secret=True)
    CLIENT_SECRET_LOCATION = Setting("credentials", "client_secret_location", parse_str, "admin.clientSecretLocation")
    CLIENT_SECRET_ENV_VAR = Setting("credentials", "client_secret_env_var", parse_str, "admin.clientSecretEnvVar")
    SCOPES = Setting("credentials", "scopes", parse_list, "admin.scopes")
    AUTH_MODE = Setting("credentials", "auth_mode", _auth_type, "admin.authType")
    AUDIENCE = Setting("credentials", "audience", parse_str, "admin.audience")


class AWS:
    """``[aws]`` / ``FLYTE_AWS_*`` / flytectl ``storage.connection.*``."""

    S3_ENDPOINT = Setting("aws", "endpoint", parse_str, "storage.connection.endpoint")
    S3_ACCESS_KEY_ID = Setting("aws", "access_key_id", parse_str, "storage.connection.access-key")
    S3_SECRET_ACCESS_KEY = Setting("aws", "secret_access_key", parse_str, "storage.connection.secret-key", secret=True)
    ENABLE_DEBUG = Setting("aws", "enable_debug", parse_bool)
    RETRIES = Setting("aws", "retries", _non_negative)
    BACKOFF_SECONDS = Setting("aws", "backoff_seconds", parse_duration)
    S3_ADDRESSING_STYLE = Setting("aws", "addressing_style", parse_str, "storage.connection.addressing-style")


class GCP:
    """``[gcp]`` / ``FLYTE_GCP_*``."""

    GSUTIL_PARALLELISM = Setting("gcp", "gsutil_parallelism", parse_bool)


class AZURE:
    """``[azure]`` / ``FLYTE_AZURE_*``."""

    STORAGE_ACCOUNT_NAME = Setting("azure", "storage_account_name", parse_str)
    STORAGE_ACCOUNT_KEY = Setting("azure", "storage_account_key", parse_str, secret=True)
    TENANT_ID = Setting("azure", "tenant_id", parse_str)
    CLIENT_ID = Setting("azure", "client_id", parse_str)
    CLIENT_SECRET = Setting("azure", "client_secret", parse_str, secret=True)


class Persistence:
    """``[persistence]`` / ``FLYTE_PERSISTENCE_*``."""

    ATTACH_EXECUTION_METADATA = Setting("persistence", "attach_execution_metadata", parse_bool)


class Secrets:
    """``[secrets]`` / ``FLYTE_SECRETS_*``: where tasks find their secrets at run time."""

    ENV_PREFIX = Setting("secrets", "env_prefix", parse_str)
    DEFAULT_DIR = Setting("secrets", "default_dir", parse_str)
    FILE_PREFIX = Setting("secrets", "file_prefix", parse_str)


class Stats:
    """``[stats]`` / ``FLYTE_STATS_*``: statsd.

    flytekit reads these from the ``secrets`` section by mistake (``FLYTE_SECRETS_HOST`` ...); those spellings are
    still honoured as a fallback so a config written for flytekit keeps working.
    """

    HOST = Setting("stats", "host", parse_str, aliases=(("secrets", "host"),))
    PORT = Setting("stats", "port", parse_int(1), aliases=(("secrets", "port"),))
    DISABLED = Setting("stats", "disabled", parse_bool, aliases=(("secrets", "disabled"),))
    DISABLE_TAGS = Setting("stats", "disable_tags", parse_bool, aliases=(("secrets", "disable_tags"),))


class Local:
    """``[local]`` / ``FLYTE_LOCAL_*`` / flytectl ``task.*``: local runs and the default project/domain/org."""

    CACHE_ENABLED = Setting("local", "cache_enabled", parse_bool)
    CACHE_OVERWRITE = Setting("local", "cache_overwrite", parse_bool)
    USER_PROJECT = Setting("local", "project", parse_str, "task.project")
    USER_DOMAIN = Setting("local", "domain", parse_str, "task.domain")
    USER_ORG = Setting("local", "org", parse_str, "task.org")


class LocalSDK:
    """``[sdk]`` / ``FLYTE_SDK_*``."""

    LOCAL_SANDBOX = Setting("sdk", "local_sandbox", parse_str)


def collect(cfg: ConfigFile | None, settings: Mapping[str, Setting[Any]]) -> dict[str, Any]:
    """``{field: value}`` for every setting in ``settings`` that is set somewhere; unset ones are left out."""
    found: dict[str, Any] = {}
    for field_name, setting in settings.items():
        value = setting.read(cfg)
        if value is not None:
            found[field_name] = value
    return found
