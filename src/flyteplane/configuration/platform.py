"""How to reach and authenticate to Flyte Admin: :class:`PlatformConfig`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from flyteplane.configuration.auth_type import AuthType
from flyteplane.configuration.config_file import ConfigFile, ConfigFileArg, get_config_file
from flyteplane.configuration.redaction import SECRET, URL_WITH_PASSWORD, masked_repr
from flyteplane.configuration.settings import Credentials, Platform, Setting, collect
from flyteplane.configuration.values import ConfigurationError, strip_endpoint_scheme

__all__ = ["PlatformConfig"]

_MIB = 1024 * 1024

# Field -> setting, for everything that is read as is. The client secret and the auth mode are worked out by hand
# (see PlatformConfig.auto) because they depend on each other.
_DIRECT: dict[str, Setting[Any]] = {
    "endpoint": Platform.URL,
    "insecure": Platform.INSECURE,
    "insecure_skip_verify": Platform.INSECURE_SKIP_VERIFY,
    "ca_cert_file_path": Platform.CA_CERT_FILE_PATH,
    "console_endpoint": Platform.CONSOLE_ENDPOINT,
    "http_proxy_url": Platform.HTTP_PROXY_URL,
    "command": Credentials.COMMAND,
    "proxy_command": Credentials.PROXY_COMMAND,
    "client_id": Credentials.CLIENT_ID,
    "scopes": Credentials.SCOPES,
    "audience": Credentials.AUDIENCE,
    "rpc_retries": Platform.RPC_RETRIES,
    "rpc_timeout": Platform.RPC_TIMEOUT,
    "rpc_retry_deadline": Platform.RPC_RETRY_DEADLINE,
    "max_message_size": Platform.MAX_MESSAGE_SIZE,
    "max_send_message_size": Platform.MAX_SEND_MESSAGE_SIZE,
    "max_metadata_size": Platform.MAX_METADATA_SIZE,
    "keepalive_time_ms": Platform.KEEPALIVE_TIME_MS,
    "keepalive_timeout_ms": Platform.KEEPALIVE_TIMEOUT_MS,
    "client_certificate_path": Platform.CLIENT_CERTIFICATE_PATH,
    "client_key_path": Platform.CLIENT_KEY_PATH,
}


@dataclass(frozen=True, repr=False)
class PlatformConfig:
    """Settings to talk to one Flyte Admin: where it is, TLS, credentials, and the gRPC channel's limits.

    Every field of flytekit's ``PlatformConfig`` is here with the same name and default, so code written against
    flytekit keeps working; the fields after ``http_proxy_url`` are flyteplane's additions. Build one directly,
    with :meth:`auto` (config file + ``FLYTE_*`` environment variables) or with :meth:`for_endpoint`.

    ``repr()`` masks ``client_credentials_secret`` and any password in ``http_proxy_url``.
    """

    endpoint: str = "localhost:30080"
    """``host:port`` of Flyte Admin's gRPC API. A ``dns:///`` or ``passthrough:///`` prefix is stripped."""
    insecure: bool = False
    """Plaintext gRPC, no TLS at all (local sandboxes)."""
    insecure_skip_verify: bool = False
    """TLS without verifying the server's certificate."""
    ca_cert_file_path: str | None = None
    """PEM file with the root certificate(s) to verify the server with, instead of the system ones."""
    console_endpoint: str | None = None
    """Base URL of Flyte Console, when it is not at the Admin endpoint; used for links."""
    command: list[str] | None = None
    """Command printing a token, for :attr:`AuthType.EXTERNALCOMMAND`."""
    proxy_command: list[str] | None = None
    """Command printing a token for an authenticating proxy in front of Flyte Admin."""
    client_id: str | None = None
    """OAuth2 client id (client credentials, PKCE and device flow)."""
    client_credentials_secret: str | None = field(default=None, metadata=SECRET)
    """OAuth2 client secret, for :attr:`AuthType.CLIENTSECRET`. Masked in ``repr()``."""
    scopes: list[str] = field(default_factory=list)
    """OAuth2 scopes to request; empty means the server's defaults."""
    auth_mode: AuthType = AuthType.STANDARD
    """The authentication flow. A string is parsed with :meth:`AuthType.parse` (``"pkce"``, ``"ClientSecret"`` ...)."""
    audience: str | None = None
    """OAuth2 audience to request tokens for."""
    rpc_retries: int = 3
    """How many times a failed idempotent call is retried (so up to ``rpc_retries + 1`` attempts)."""
    http_proxy_url: str | None = field(default=None, metadata=URL_WITH_PASSWORD)
    """HTTP proxy for the OAuth2 token requests (not for gRPC)."""

    # flyteplane additions.
    rpc_timeout: float | None = 30.0
    """Deadline of each call attempt, in seconds; None for no deadline. flytekit has none, so a hung server hangs it."""
    rpc_retry_deadline: float = 60.0
    """Total time budget, in seconds, for one call including all its retries and backoff sleeps."""
    max_message_size: int = 20 * _MIB
    """Largest response message accepted, in bytes (gRPC's default is 4 MiB, too small for big workflow closures).
    -1 for no limit."""
    max_send_message_size: int | None = None
    """Largest request message sent, in bytes; None keeps gRPC's default (no limit), -1 means no limit."""
    max_metadata_size: int = 32 * 1024
    """Largest response metadata (headers) accepted, in bytes; raised from gRPC's 8 KiB for large auth errors."""
    keepalive_time_ms: int = 30_000
    """Send a keepalive ping after this long without activity, so dead connections through load balancers that drop
    idle flows are noticed before a call is sent on them."""
    keepalive_timeout_ms: int = 10_000
    """Close the connection when a keepalive ping is not answered within this long."""
    client_certificate_path: str | None = None
    """PEM client certificate for mutual TLS; needs :attr:`client_key_path` too."""
    client_key_path: str | None = None
    """PEM private key of :attr:`client_certificate_path`."""
    grpc_options: tuple[tuple[str, Any], ...] = ()
    """Extra gRPC channel arguments, e.g. ``(("grpc.enable_retries", 0),)``; they win over the ones derived above."""

    __repr__ = masked_repr

    def __post_init__(self) -> None:
        # Normalise rather than reject where intent is clear: the endpoint may come from anywhere (including code
        # pasting a flytectl value), and auth_mode is commonly given as a string, as flytekit allows.
        set_ = object.__setattr__
        if not isinstance(self.endpoint, str) or not strip_endpoint_scheme(self.endpoint):
            raise ValueError(f"PlatformConfig.endpoint must be a non-empty host:port, got {self.endpoint!r}")
        set_(self, "endpoint", strip_endpoint_scheme(self.endpoint))
        set_(self, "auth_mode", AuthType.parse(self.auth_mode))
        for name in ("command", "proxy_command", "scopes"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, str):
                # list("all") would silently become ["a", "l", "l"].
                raise TypeError(f"PlatformConfig.{name} must be a list of strings, not a string: {value!r}")
            set_(self, name, list(value))
        set_(self, "grpc_options", tuple((str(key), value) for key, value in self.grpc_options))

        _check_int("rpc_retries", self.rpc_retries, minimum=0)
        if self.rpc_timeout is not None:
            _check_seconds("rpc_timeout", self.rpc_timeout)
        _check_seconds("rpc_retry_deadline", self.rpc_retry_deadline)
        _check_int("max_message_size", self.max_message_size, minimum=1, unlimited=True)
        if self.max_send_message_size is not None:
            _check_int("max_send_message_size", self.max_send_message_size, minimum=1, unlimited=True)
        _check_int("max_metadata_size", self.max_metadata_size, minimum=1)
        _check_int("keepalive_time_ms", self.keepalive_time_ms, minimum=1)
        _check_int("keepalive_timeout_ms", self.keepalive_timeout_ms, minimum=1)
        if (self.client_certificate_path is None) != (self.client_key_path is None):
            raise ValueError("PlatformConfig: mutual TLS needs both client_certificate_path and client_key_path")

    @classmethod
    def auto(cls, config_file: ConfigFileArg = None) -> PlatformConfig:
        """Build from the config file and ``FLYTE_*`` environment variables (environment wins, per value).

        ``config_file`` is a path or a :class:`ConfigFile`; None looks one up (see
        :func:`~flyteplane.configuration.find_config_file`).

        The client secret is taken from the first of these that is set: ``FLYTE_CREDENTIALS_CLIENT_SECRET``, the
        variable named by ``FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR``, the file at
        ``FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION``; then the same three from the config file
        (``[credentials] client_secret`` / ``client_secret_env_var`` / ``client_secret_location``, or flytectl's
        ``admin.clientSecretEnvVar`` / ``admin.clientSecretLocation``). Surrounding whitespace, such as the trailing
        newline of a mounted secret file, is stripped.

        When a client secret is found and no auth type is set explicitly (``FLYTE_CREDENTIALS_AUTH_MODE``,
        ``[credentials] auth_mode`` or ``admin.authType``), ``auth_mode`` becomes :attr:`AuthType.CLIENTSECRET`: a
        secret is only ever configured for that flow, and falling back to a browser login in CI is the worst outcome.
        An explicit auth type always wins (flytekit overrides it whenever the secret came through a file or variable).

        Raises:
            FlyteFileNotFoundError: ``config_file`` was given and does not exist, or a client secret file is missing
                (a ``FileNotFoundError`` too).
            ConfigurationError: a value is malformed; the message names the variable or the file and key.
        """
        return cls._from_file(get_config_file(config_file))

    @classmethod
    def _from_file(cls, cfg: ConfigFile | None) -> PlatformConfig:
        # ``cfg`` is already resolved; None here means "no file", not "look one up".
        kwargs = collect(cfg, _DIRECT)
        if kwargs.get("rpc_timeout") == 0.0:
            # The parsers' spelling of "no deadline" (0, "none", "off" ...); see parse_optional_timeout.
            kwargs["rpc_timeout"] = None

        secret = _find_client_secret(cfg)
        if secret is not None:
            kwargs["client_credentials_secret"] = secret
        auth_mode = Credentials.AUTH_MODE.read(cfg)
        if auth_mode is not None:
            kwargs["auth_mode"] = auth_mode
        elif secret is not None:
            kwargs["auth_mode"] = AuthType.CLIENTSECRET
        try:
            return cls(**kwargs)
        except ValueError as exc:
            # Values that parse but do not fit together, e.g. a client certificate without its key.
            source = f"the environment and {cfg.location}" if cfg is not None else "the environment"
            raise ConfigurationError(f"invalid platform settings from {source}: {exc}") from exc

    @classmethod
    def for_endpoint(cls, endpoint: str, insecure: bool = False) -> PlatformConfig:
        """Defaults for everything but the endpoint and TLS; nothing is read from files or the environment.

        To keep credentials and TLS settings from the config file, use ``Config.for_endpoint`` instead.
        """
        return cls(endpoint=endpoint, insecure=insecure)


def _check_int(name: str, value: object, *, minimum: int, unlimited: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"PlatformConfig.{name} must be an int, got {value!r}")
    if unlimited and value == -1:
        return
    if value < minimum:
        extra = " (or -1 for no limit)" if unlimited else ""
        raise ValueError(f"PlatformConfig.{name} must be >= {minimum}{extra}, got {value}")


def _check_seconds(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"PlatformConfig.{name} must be a number of seconds, got {value!r}")
    if value <= 0:
        raise ValueError(f"PlatformConfig.{name} must be > 0 seconds, got {value}")


def _find_client_secret(cfg: ConfigFile | None) -> str | None:
    """The client secret from the first source that has one (see :meth:`PlatformConfig.auto`), or None."""
    # Environment first, then the file, so one variable overrides whatever the file says, however it says it.
    # read(None) sees only the environment; read(cfg, environ={}) sees only the file.
    levels: list[tuple[ConfigFile | None, dict[str, str] | None]] = [(None, None)]
    if cfg is not None:
        levels.append((cfg, {}))
    for level_cfg, environ in levels:
        literal = Credentials.CLIENT_SECRET.read(level_cfg, environ)
        if literal:
            return literal

        variable = Credentials.CLIENT_SECRET_ENV_VAR.read(level_cfg, environ)
        if variable:
            value = os.environ.get(variable, "").strip()
            if value:
                return value
            named_by = _describe(Credentials.CLIENT_SECRET_ENV_VAR, level_cfg)
            _warn("client secret variable %s (named by %s) is not set; ignoring it", variable, named_by)

        location = Credentials.CLIENT_SECRET_LOCATION.read(level_cfg, environ)
        if location:
            path = os.path.expanduser(location)
            named_by = _describe(Credentials.CLIENT_SECRET_LOCATION, level_cfg)
            try:
                with open(path, encoding="utf-8") as fh:
                    value = fh.read().strip()
            except FileNotFoundError:
                # flytekit fails here too; naming the setting tells the user which file to fix.
                from flyteplane.errors import FlyteFileNotFoundError

                raise FlyteFileNotFoundError(
                    f"client secret file {path} (named by {named_by}) does not exist"
                ) from None
            if value:
                return value
            _warn("client secret file %s (named by %s) is empty; ignoring it", path, named_by)
    return None


def _describe(setting: Setting[Any], cfg: ConfigFile | None) -> str:
    """Where a setting was read from, for messages: the variable, or the file and key."""
    if cfg is None:
        return setting.env_var
    key = setting.yaml_key if cfg.is_yaml else f"[{setting.section}] {setting.option}"
    return f"{key} in {cfg.location}"


def _warn(message: str, *args: object) -> None:
    # Imported here: logging is slow to import and only needed on this rare path.
    import logging

    logging.getLogger("flyteplane.configuration").warning(message, *args)
