"""Config.auto() and friends: files, environment variables, precedence, lookup order and the flytekit fixes."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from pathlib import Path

import pytest

# Imported before any test sets FLYTECTL_CONFIG: the tests below prove nothing was cached at import.
from flyteplane.configuration import (
    AuthType,
    Config,
    ConfigFile,
    ConfigurationError,
    DataConfig,
    LocalConfig,
    PlatformConfig,
    S3Config,
    SecretsConfig,
    StatsConfig,
    TaskConfig,
    find_config_file,
    get_config_file,
)

FULL_YAML = """\
admin:
  endpoint: dns:///flyte.example.com:443
  insecure: false
  insecureSkipVerify: true
  caCertFilePath: /certs/ca.pem
  authType: DeviceFlow
  clientId: my-client
  clientSecretLocation: {secret_file}
  scopes: [all, offline]
  audience: flyte-audience
  command: ["gcloud", "auth", "print-identity-token"]
  proxyCommand: ["proxy-token", "--quiet"]
  httpProxyURL: http://proxy.internal:3128
  maxRetries: 7
  perRetryTimeout: 1m30s
  maxMessageSizeBytes: 104857600
  maxSendMessageSizeBytes: 8388608
  clientCertPath: /certs/client.pem
  clientKeyPath: /certs/client.key
console:
  endpoint: https://console.example.com
storage:
  connection:
    endpoint: http://minio.internal:9000
    access-key: AKIA123
    secret-key: s3-secret
    addressing-style: path
task:
  project: myproject
  domain: staging
  org: myorg
"""


# --- file lookup is done at call time, never at import ---------------------------------------------------------------


def test_flytectl_config_set_after_import_is_used(write, monkeypatch):
    first = write("first.yaml", "admin:\n  endpoint: dns:///first.example.com\n")
    second = write("second.yaml", "admin:\n  endpoint: second.example.com:8089\n  insecure: true\n")

    monkeypatch.setenv("FLYTECTL_CONFIG", str(first))
    assert Config.auto().platform.endpoint == "first.example.com"

    # Changing the variable again takes effect on the very next call: nothing was cached.
    monkeypatch.setenv("FLYTECTL_CONFIG", str(second))
    platform = Config.auto().platform
    assert platform.endpoint == "second.example.com:8089"
    assert platform.insecure is True


def test_every_yaml_key(write, monkeypatch):
    secret_file = write("client_secret", "top-secret\n")
    path = write("config.yaml", FULL_YAML.format(secret_file=secret_file))
    monkeypatch.setenv("FLYTECTL_CONFIG", str(path))

    config = Config.auto()
    p = config.platform
    assert p.endpoint == "flyte.example.com:443"
    assert p.insecure is False
    assert p.insecure_skip_verify is True
    assert p.ca_cert_file_path == "/certs/ca.pem"
    assert p.auth_mode is AuthType.DEVICEFLOW  # explicit authType wins over the secret-implies-ClientSecret rule
    assert p.client_id == "my-client"
    assert p.client_credentials_secret == "top-secret"  # trailing newline stripped
    assert p.scopes == ["all", "offline"]
    assert p.audience == "flyte-audience"
    assert p.command == ["gcloud", "auth", "print-identity-token"]
    assert p.proxy_command == ["proxy-token", "--quiet"]
    assert p.http_proxy_url == "http://proxy.internal:3128"
    assert p.console_endpoint == "https://console.example.com"
    assert p.rpc_retries == 7
    assert p.rpc_timeout == 90.0
    assert p.max_message_size == 100 * 1024 * 1024
    assert p.max_send_message_size == 8 * 1024 * 1024
    assert p.client_certificate_path == "/certs/client.pem"
    assert p.client_key_path == "/certs/client.key"
    # Not settable from a flytectl file: stays at the default.
    assert p.rpc_retry_deadline == 60.0

    s3 = config.data_config.s3
    assert s3.endpoint == "http://minio.internal:9000"
    assert s3.access_key_id == "AKIA123"
    assert s3.secret_access_key == "s3-secret"
    assert s3.adressing_style == "path"
    assert s3.addressing_style == "path"

    assert TaskConfig.auto() == TaskConfig(project="myproject", domain="staging", org="myorg")


def test_yaml_client_secret_env_var(write, monkeypatch):
    path = write("c.yaml", "admin:\n  endpoint: flyte.example.com\n  clientId: bot\n  clientSecretEnvVar: MY_SECRET\n")
    monkeypatch.setenv("MY_SECRET", "from-the-variable")

    platform = PlatformConfig.auto(str(path))

    assert platform.client_credentials_secret == "from-the-variable"
    # No explicit authType: a configured secret means client credentials (flytekit does the same).
    assert platform.auth_mode is AuthType.CLIENTSECRET


def test_yaml_keys_match_case_insensitively_like_viper(write):
    path = write("c.yaml", "Admin:\n  ENDPOINT: flyte.example.com\n  authtype: pkce\n  insecureskipverify: yes\n")
    platform = PlatformConfig.auto(path)
    assert platform.endpoint == "flyte.example.com"
    assert platform.auth_mode is AuthType.PKCE
    assert platform.insecure_skip_verify is True


def test_empty_yaml_file_gives_defaults(write):
    path = write("empty.yaml", "")
    assert Config.auto(path).platform == PlatformConfig()


# --- environment variables -------------------------------------------------------------------------------------------


def test_environment_wins_over_file_per_value(write, monkeypatch):
    path = write(
        "c.yaml",
        "admin:\n  endpoint: file.example.com\n  insecure: false\n  clientId: file-client\n"
        "  maxRetries: 2\n  perRetryTimeout: 15s\nstorage:\n  connection:\n    endpoint: http://file-minio\n",
    )
    monkeypatch.setenv("FLYTECTL_CONFIG", str(path))
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "dns:///env.example.com")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "yes")
    monkeypatch.setenv("FLYTE_PLATFORM_RPC_RETRIES", "9")
    monkeypatch.setenv("FLYTE_PLATFORM_RPC_TIMEOUT", "500ms")
    monkeypatch.setenv("FLYTE_AWS_ENDPOINT", "http://env-minio")

    config = Config.auto()

    assert config.platform.endpoint == "env.example.com"
    assert config.platform.insecure is True
    assert config.platform.rpc_retries == 9
    assert config.platform.rpc_timeout == 0.5
    assert config.data_config.s3.endpoint == "http://env-minio"
    # Values the environment does not set still come from the file.
    assert config.platform.client_id == "file-client"


def test_all_platform_and_credential_environment_variables(write, monkeypatch):
    secret_file = write("secret", "file-secret\n")
    env = {
        "FLYTE_PLATFORM_URL": "passthrough:///env.example.com:81",
        "FLYTE_PLATFORM_INSECURE": "on",
        "FLYTE_PLATFORM_INSECURE_SKIP_VERIFY": "1",
        "FLYTE_PLATFORM_CA_CERT_FILE_PATH": "/ca.pem",
        "FLYTE_PLATFORM_CONSOLE_ENDPOINT": "https://console",
        "FLYTE_PLATFORM_HTTP_PROXY_URL": "http://proxy:1",
        "FLYTE_PLATFORM_RPC_RETRIES": "0",
        "FLYTE_PLATFORM_RPC_TIMEOUT": "12.5",
        "FLYTE_PLATFORM_RPC_RETRY_DEADLINE": "2m",
        "FLYTE_PLATFORM_MAX_MESSAGE_SIZE": "-1",
        "FLYTE_PLATFORM_MAX_SEND_MESSAGE_SIZE": "1048576",
        "FLYTE_PLATFORM_MAX_METADATA_SIZE": "65536",
        "FLYTE_PLATFORM_KEEPALIVE_TIME_MS": "1000",
        "FLYTE_PLATFORM_KEEPALIVE_TIMEOUT_MS": "500",
        "FLYTE_PLATFORM_CLIENT_CERTIFICATE_PATH": "/c.pem",
        "FLYTE_PLATFORM_CLIENT_KEY_PATH": "/c.key",
        "FLYTE_CREDENTIALS_CLIENT_ID": "env-client",
        "FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION": str(secret_file),
        "FLYTE_CREDENTIALS_SCOPES": "a, b,c",
        "FLYTE_CREDENTIALS_AUDIENCE": "aud",
        "FLYTE_CREDENTIALS_COMMAND": "cmd,--flag",
        "FLYTE_CREDENTIALS_PROXY_COMMAND": "proxy,--x",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    p = PlatformConfig.auto()

    assert p.endpoint == "env.example.com:81"
    assert p.insecure is True
    assert p.insecure_skip_verify is True
    assert p.ca_cert_file_path == "/ca.pem"
    assert p.console_endpoint == "https://console"
    assert p.http_proxy_url == "http://proxy:1"
    assert p.rpc_retries == 0
    assert p.rpc_timeout == 12.5
    assert p.rpc_retry_deadline == 120.0
    assert p.max_message_size == -1
    assert p.max_send_message_size == 1048576
    assert p.max_metadata_size == 65536
    assert p.keepalive_time_ms == 1000
    assert p.keepalive_timeout_ms == 500
    assert p.client_certificate_path == "/c.pem"
    assert p.client_key_path == "/c.key"
    assert p.client_id == "env-client"
    assert p.client_credentials_secret == "file-secret"
    assert p.auth_mode is AuthType.CLIENTSECRET
    assert p.scopes == ["a", "b", "c"]
    assert p.audience == "aud"
    assert p.command == ["cmd", "--flag"]
    assert p.proxy_command == ["proxy", "--x"]


def test_literal_secret_and_explicit_auth_mode_from_environment(monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET", "literal\n")
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "basic")
    platform = PlatformConfig.auto()
    assert platform.client_credentials_secret == "literal"
    assert platform.auth_mode is AuthType.BASIC
    assert platform.auth_mode.canonical is AuthType.CLIENTSECRET


def test_environment_secret_beats_file_secret(write, monkeypatch):
    file_secret = write("file_secret", "from-file")
    path = write("c.yaml", f"admin:\n  clientSecretLocation: {file_secret}\n")
    monkeypatch.setenv("ENV_HELD_SECRET", "from-env")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR", "ENV_HELD_SECRET")
    assert PlatformConfig.auto(path).client_credentials_secret == "from-env"


def test_explicit_auth_type_none_wins_over_secret(write):
    secret = write("s", "x")
    path = write("c.yaml", f"admin:\n  authType: None\n  clientSecretLocation: {secret}\n")
    platform = PlatformConfig.auto(path)
    assert platform.auth_mode is AuthType.NONE
    assert platform.client_credentials_secret == "x"


def test_secret_variable_that_is_unset_is_ignored_with_a_warning(write, caplog):
    path = write("c.yaml", "admin:\n  clientSecretEnvVar: NOT_SET_ANYWHERE\n")
    with caplog.at_level(logging.WARNING, logger="flyteplane.configuration"):
        platform = PlatformConfig.auto(path)
    assert platform.client_credentials_secret is None
    assert platform.auth_mode is AuthType.STANDARD
    assert "NOT_SET_ANYWHERE" in caplog.text


def test_missing_secret_file_names_the_path_and_the_setting(write, tmp_path):
    from flyteplane.errors import FlyteFileNotFoundError, FlyteUserException

    missing = tmp_path / "nope" / "secret"
    path = write("c.yaml", f"admin:\n  clientSecretLocation: {missing}\n")
    with pytest.raises(FlyteFileNotFoundError) as info:
        PlatformConfig.auto(path)
    assert str(missing) in str(info.value)
    assert "admin.clientSecretLocation" in str(info.value)
    # flyteplane's tree, and still what flytekit raises, so both kinds of handler catch it
    assert isinstance(info.value, FlyteUserException) and isinstance(info.value, FileNotFoundError)
    named_by = f"admin.clientSecretLocation in {path}"
    assert str(info.value) == f"client secret file {missing} (named by {named_by}) does not exist"


def test_empty_environment_variable_counts_as_unset(write, monkeypatch):
    path = write("c.yaml", "admin:\n  endpoint: file.example.com\n")
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "")
    assert PlatformConfig.auto(path).endpoint == "file.example.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("On", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("OFF", False),
    ],
)
def test_boolean_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", raw)
    assert PlatformConfig.auto().insecure is expected


@pytest.mark.parametrize("raw", ["0", "none", "off", "0s"])
def test_rpc_timeout_can_be_switched_off(monkeypatch, raw):
    monkeypatch.setenv("FLYTE_PLATFORM_RPC_TIMEOUT", raw)
    assert PlatformConfig.auto().rpc_timeout is None


# --- bad values fail loudly and say where they came from -------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FLYTE_PLATFORM_RPC_RETRIES", "abc"),
        ("FLYTE_PLATFORM_RPC_RETRIES", "-1"),
        ("FLYTE_PLATFORM_INSECURE", "maybe"),
        ("FLYTE_PLATFORM_RPC_TIMEOUT", "15x"),
        ("FLYTE_PLATFORM_RPC_RETRY_DEADLINE", "0"),
        ("FLYTE_PLATFORM_MAX_MESSAGE_SIZE", "20MB"),
        ("FLYTE_CREDENTIALS_AUTH_MODE", "kerberos"),
        ("FLYTE_STATS_PORT", "http"),
        ("FLYTE_AWS_RETRIES", "many"),
    ],
)
def test_bad_environment_value_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as info:
        Config.auto()
    assert isinstance(info.value, ConfigurationError)
    assert variable in str(info.value)
    assert repr(value) in str(info.value)


def test_bad_yaml_value_names_the_key_and_file(write):
    path = write("c.yaml", "admin:\n  perRetryTimeout: soon\n")
    with pytest.raises(ConfigurationError) as info:
        PlatformConfig.auto(path)
    assert "admin.perRetryTimeout" in str(info.value)
    assert str(path) in str(info.value)


def test_bad_ini_value_names_the_section_and_option(write):
    path = write("flytekit.config", "[platform]\nrpc_retries = lots\n")
    with pytest.raises(ConfigurationError, match=r"\[platform\] rpc_retries"):
        PlatformConfig.auto(path)


def test_bad_secret_value_is_not_echoed(write):
    path = write("c.yaml", "storage:\n  connection:\n    secret-key: [hunter2]\n")
    with pytest.raises(ConfigurationError) as info:
        S3Config.auto(path)
    assert "storage.connection.secret-key" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert "<hidden>" in str(info.value)


def test_invalid_yaml_is_an_error_not_silently_ignored(write):
    path = write("broken.yaml", "admin: [unclosed\n")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        Config.auto(path)


def test_yaml_that_is_not_a_mapping_is_an_error(write):
    path = write("list.yaml", "- a\n- b\n")
    with pytest.raises(ConfigurationError, match="mapping"):
        Config.auto(path)


def test_mismatched_values_from_file_raise_configuration_error(write):
    path = write("c.yaml", "admin:\n  clientCertPath: /only/the/cert.pem\n")
    with pytest.raises(ConfigurationError, match="client_key_path") as info:
        PlatformConfig.auto(path)
    assert str(path) in str(info.value)


# --- INI (flytekit's legacy format) ----------------------------------------------------------------------------------


def test_ini_file(write, monkeypatch):
    secret = write("secret", "ini-secret\n")
    path = write(
        "flytekit.config",
        f"""\
[platform]
url = dns:///ini.example.com:443
insecure = False
insecure_skip_verify = yes
ca_cert_file_path = /ca.pem
console_endpoint = https://console.ini
rpc_retries = 5
rpc_timeout = 45s

[credentials]
client_id = ini-client
client_secret_location = {secret}
scopes = one,two
auth_mode = ClientSecret
command = a,b

[aws]
endpoint = http://ini-minio
access_key_id = ini-key
backoff_seconds = 7
addressing_style = virtual

[azure]
storage_account_name = acct
storage_account_key = az-key

[gcp]
gsutil_parallelism = true

[persistence]
attach_execution_metadata = false

[secrets]
env_prefix = _MY_
default_dir = /run/secrets

[stats]
host = statsd.internal
port = 9125

[local]
cache_enabled = false
project = ini-project

[sdk]
local_sandbox = /tmp/ini-sandbox
""",
    )
    monkeypatch.setenv("FLYTECTL_CONFIG", str(path))

    config = Config.auto()
    p = config.platform
    assert (p.endpoint, p.insecure, p.insecure_skip_verify) == ("ini.example.com:443", False, True)
    assert p.ca_cert_file_path == "/ca.pem"
    assert p.console_endpoint == "https://console.ini"
    assert (p.rpc_retries, p.rpc_timeout) == (5, 45.0)
    assert p.client_id == "ini-client"
    assert p.client_credentials_secret == "ini-secret"
    assert p.scopes == ["one", "two"]
    assert p.auth_mode is AuthType.CLIENTSECRET
    assert p.command == ["a", "b"]
    d = config.data_config
    assert d.s3 == S3Config(
        endpoint="http://ini-minio",
        access_key_id="ini-key",
        backoff=datetime.timedelta(seconds=7),
        addressing_style="virtual",
    )
    assert (d.azure.account_name, d.azure.account_key) == ("acct", "az-key")
    assert d.gcs.gsutil_parallelism is True
    assert d.generic.attach_execution_metadata is False
    assert config.secrets == SecretsConfig(env_prefix="_MY_", default_dir="/run/secrets")
    assert config.stats == StatsConfig(host="statsd.internal", port=9125)
    assert config.local_sandbox_path == "/tmp/ini-sandbox"
    assert config.get_local_sandbox_path() == "/tmp/ini-sandbox"
    assert LocalConfig.auto() == LocalConfig(cache_enabled=False)
    assert TaskConfig.auto().project == "ini-project"


def test_ini_file_with_internal_section_is_rejected(write):
    path = write("flytekit.config", "[internal]\nx = 1\n")
    with pytest.raises(ConfigurationError, match="internal"):
        Config.auto(path)


def test_ini_values_are_not_interpolated(write):
    path = write("flytekit.config", "[credentials]\nclient_secret = abc%def\n")
    assert PlatformConfig.auto(path).client_credentials_secret == "abc%def"


def test_stats_reads_its_own_section_and_falls_back_to_flytekits(write, monkeypatch):
    path = write("flytekit.config", "[secrets]\nhost = legacy-host\nport = 1111\n[stats]\nport = 2222\n")
    stats = StatsConfig.auto(path)
    assert stats.port == 2222  # [stats] first
    assert stats.host == "legacy-host"  # flytekit's [secrets] spelling as a fallback
    monkeypatch.setenv("FLYTE_STATS_DISABLED", "true")
    assert StatsConfig.auto(path).disabled is True


# --- lookup order ----------------------------------------------------------------------------------------------------


def _yaml_endpoint(path: Path, endpoint: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"admin:\n  endpoint: {endpoint}\n")
    return path


def _ini_endpoint(path: Path, endpoint: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[platform]\nurl = {endpoint}\n")
    return path


def test_lookup_order(home, tmp_path, monkeypatch):
    override = _yaml_endpoint(tmp_path / "override.yaml", "override")
    flytectl = _yaml_endpoint(tmp_path / "flytectl.yml", "flytectl")
    local = _ini_endpoint(Path.cwd() / "flytekit.config", "local")
    home_ini = _ini_endpoint(home / ".flyte" / "config", "home-ini")
    home_yaml = _yaml_endpoint(home / ".flyte" / "config.yaml", "home-yaml")

    monkeypatch.setenv("_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE", str(override))
    monkeypatch.setenv("FLYTECTL_CONFIG", str(flytectl))
    assert PlatformConfig.auto().endpoint == "override"

    monkeypatch.delenv("_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE")
    assert PlatformConfig.auto().endpoint == "flytectl"

    monkeypatch.delenv("FLYTECTL_CONFIG")
    assert find_config_file() == str(local)
    assert PlatformConfig.auto().endpoint == "local"

    local.unlink()
    assert find_config_file() == str(home_ini)
    assert PlatformConfig.auto().endpoint == "home-ini"

    home_ini.unlink()
    assert find_config_file() == str(home_yaml)
    assert PlatformConfig.auto().endpoint == "home-yaml"

    home_yaml.unlink()
    assert find_config_file() is None
    assert get_config_file() is None
    assert PlatformConfig.auto() == PlatformConfig()


def test_missing_flytectl_config_warns_and_lookup_continues(home, tmp_path, monkeypatch, caplog):
    _yaml_endpoint(home / ".flyte" / "config.yaml", "home-yaml")
    missing = tmp_path / "does-not-exist.yaml"
    monkeypatch.setenv("FLYTECTL_CONFIG", str(missing))

    with caplog.at_level(logging.WARNING, logger="flyteplane.configuration"):
        endpoint = PlatformConfig.auto().endpoint

    assert endpoint == "home-yaml"
    assert str(missing) in caplog.text
    assert "FLYTECTL_CONFIG" in caplog.text


def test_explicit_config_file_wins_over_lookup(write, home, monkeypatch):
    _yaml_endpoint(home / ".flyte" / "config.yaml", "home-yaml")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(_yaml_endpoint(home / "env.yaml", "from-env-var")))
    explicit = write("explicit.yaml", "admin:\n  endpoint: explicit\n")

    assert PlatformConfig.auto(str(explicit)).endpoint == "explicit"
    assert PlatformConfig.auto(explicit).endpoint == "explicit"  # a Path works too
    assert Config.auto(ConfigFile(explicit)).platform.endpoint == "explicit"


def test_missing_explicit_config_file_is_a_clear_error(tmp_path):
    from flyteplane.errors import FlyteFileNotFoundError

    missing = tmp_path / "typo.yaml"
    with pytest.raises(FlyteFileNotFoundError, match=str(missing)) as info:
        Config.auto(str(missing))
    assert isinstance(info.value, FileNotFoundError)


def test_config_file_object(write):
    path = write("c.yaml", "admin:\n  endpoint: x\n  nested: {deeper: 1}\n")
    cfg = ConfigFile(path)
    assert cfg.is_yaml
    assert cfg.location == str(path)
    assert cfg.get_yaml("admin.nested.deeper") == 1
    assert cfg.get_yaml("admin.missing") is None
    assert cfg.get_yaml("admin.endpoint.too.deep") is None
    assert cfg.legacy_config is None
    assert get_config_file(cfg) is cfg


# --- endpoints -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("dns:///flyte.example.com:443", "flyte.example.com:443"),
        ("DNS:///flyte.example.com", "flyte.example.com"),
        ("passthrough:///localhost:30080", "localhost:30080"),
        ("flyte.example.com", "flyte.example.com"),
    ],
)
def test_dns_prefix_stripped_everywhere(write, monkeypatch, written, used):
    assert PlatformConfig(endpoint=written).endpoint == used
    assert PlatformConfig.for_endpoint(written).endpoint == used
    assert Config.for_endpoint(written).platform.endpoint == used
    assert PlatformConfig.auto(write("c.yaml", f"admin:\n  endpoint: {written}\n")).endpoint == used
    assert PlatformConfig.auto(write("flytekit.config", f"[platform]\nurl = {written}\n")).endpoint == used
    monkeypatch.setenv("FLYTE_PLATFORM_URL", written)
    assert PlatformConfig.auto().endpoint == used


# --- for_endpoint / for_sandbox --------------------------------------------------------------------------------------


def test_for_endpoint_keeps_auth_and_tls_settings_from_the_default_file(home, write, monkeypatch):
    secret = write("secret", "s3cr3t\n")
    (home / ".flyte").mkdir()
    (home / ".flyte" / "config.yaml").write_text(
        "admin:\n"
        "  endpoint: dns:///old.example.com\n"
        "  insecure: true\n"
        "  authType: ClientSecret\n"
        "  clientId: bot\n"
        f"  clientSecretLocation: {secret}\n"
        "  caCertFilePath: /ca.pem\n"
        "  scopes: [all]\n"
        "storage:\n  connection:\n    endpoint: http://file-minio\n"
    )
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUDIENCE", "env-audience")

    # No config_file argument: flytekit would drop every setting below.
    config = Config.for_endpoint("dns:///new.example.com:443")

    p = config.platform
    assert p.endpoint == "new.example.com:443"
    assert p.insecure is False  # replaced by the argument
    assert p.auth_mode is AuthType.CLIENTSECRET
    assert p.client_id == "bot"
    assert p.client_credentials_secret == "s3cr3t"
    assert p.ca_cert_file_path == "/ca.pem"
    assert p.scopes == ["all"]
    assert p.audience == "env-audience"
    assert config.data_config.s3.endpoint == "http://file-minio"


def test_for_endpoint_with_explicit_file_and_data_config(write):
    path = write("c.yaml", "admin:\n  clientId: from-file\n  authType: DeviceFlow\n")
    data = DataConfig(s3=S3Config(endpoint="http://explicit"))

    config = Config.for_endpoint("flyte.example.com", insecure=True, data_config=data, config_file=str(path))

    assert config.platform.endpoint == "flyte.example.com"
    assert config.platform.insecure is True
    assert config.platform.client_id == "from-file"
    assert config.platform.auth_mode is AuthType.DEVICEFLOW
    assert config.data_config is data


def test_platform_for_endpoint_reads_nothing(monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "ignored")
    assert PlatformConfig.for_endpoint("h:1", insecure=True) == PlatformConfig(endpoint="h:1", insecure=True)


def test_for_sandbox(monkeypatch):
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "ignored.example.com")
    config = Config.for_sandbox()
    assert config.platform.endpoint == "localhost:30080"
    assert config.platform.insecure is True
    assert config.platform.auth_mode is AuthType.PKCE
    assert config.data_config.s3.endpoint == "http://localhost:30002"
    assert config.data_config.s3.access_key_id == "minio"
    assert config.data_config.s3.secret_access_key == "miniostorage"
    assert config.local_sandbox_path is None


def test_with_params_replaces_only_what_is_given():
    base = Config.for_sandbox()
    platform = PlatformConfig(endpoint="other:1")
    changed = base.with_params(platform=platform, local_sandbox_path="/scratch")
    assert changed.platform is platform
    assert changed.data_config is base.data_config
    assert changed.secrets is base.secrets
    assert changed.local_sandbox_path == "/scratch"
    assert base.with_params() == base


# --- secrets never printed -------------------------------------------------------------------------------------------


def test_secrets_are_masked_in_repr_and_str():
    config = Config(
        platform=PlatformConfig(
            client_id="visible-id",
            client_credentials_secret="hunter2-platform",
            http_proxy_url="http://user:hunter2-proxy@proxy:3128/path",
        ),
        data_config=DataConfig(
            s3=S3Config(access_key_id="AKIAVISIBLE", secret_access_key="hunter2-s3"),
            azure=dataclasses.replace(DataConfig().azure, account_key="hunter2-azkey", client_secret="hunter2-azsec"),
        ),
    )
    for text in (repr(config), str(config), repr(config.platform), f"{config.data_config}"):
        assert "hunter2" not in text
    text = repr(config)
    assert "client_credentials_secret='***'" in text
    assert "http://user:***@proxy:3128/path" in text
    assert "visible-id" in text and "AKIAVISIBLE" in text
    # The values themselves are untouched.
    assert config.platform.client_credentials_secret == "hunter2-platform"
    # An unset secret shows as None, so "is it configured?" can still be answered from a log line.
    assert "client_credentials_secret=None" in repr(PlatformConfig())
