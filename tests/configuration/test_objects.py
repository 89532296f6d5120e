"""The config dataclasses themselves: defaults, validation, and flytekit's spellings."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from flyteplane.configuration import (
    AuthType,
    AzureBlobStorageConfig,
    Config,
    DataConfig,
    GCSConfig,
    GenericPersistenceConfig,
    LocalConfig,
    PlatformConfig,
    S3Config,
    SecretsConfig,
    StatsConfig,
    TaskConfig,
)


def test_platform_defaults():
    p = PlatformConfig()
    assert p.endpoint == "localhost:30080"
    assert p.auth_mode is AuthType.STANDARD
    assert p.scopes == []
    assert p.rpc_retries == 3
    assert p.rpc_timeout == 30.0
    assert p.rpc_retry_deadline == 60.0
    assert p.max_message_size == 20 * 1024 * 1024
    assert p.max_send_message_size is None
    assert p.max_metadata_size == 32 * 1024
    assert (p.keepalive_time_ms, p.keepalive_timeout_ms) == (30_000, 10_000)
    assert (p.client_certificate_path, p.client_key_path) == (None, None)
    assert p.grpc_options == ()
    # Each instance gets its own list.
    assert PlatformConfig().scopes is not p.scopes


def test_platform_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PlatformConfig().endpoint = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": ""}, "endpoint"),
        ({"endpoint": "dns:///"}, "endpoint"),
        ({"rpc_retries": -1}, "rpc_retries"),
        ({"rpc_timeout": 0}, "rpc_timeout"),
        ({"rpc_timeout": -5.0}, "rpc_timeout"),
        ({"rpc_retry_deadline": 0}, "rpc_retry_deadline"),
        ({"max_message_size": 0}, "max_message_size"),
        ({"max_send_message_size": -2}, "max_send_message_size"),
        ({"keepalive_time_ms": 0}, "keepalive_time_ms"),
        ({"client_certificate_path": "/c.pem"}, "client_key_path"),
        ({"client_key_path": "/c.key"}, "client_certificate_path"),
    ],
)
def test_platform_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PlatformConfig(**kwargs)


def test_platform_rejects_wrong_types():
    with pytest.raises(TypeError, match="rpc_retries"):
        PlatformConfig(rpc_retries="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rpc_timeout"):
        PlatformConfig(rpc_timeout=True)
    with pytest.raises(TypeError, match="list of strings"):
        PlatformConfig(scopes="all")  # type: ignore[arg-type]


def test_platform_normalises_sequences_and_allows_unlimited_sizes():
    p = PlatformConfig(
        scopes=("a", "b"),  # type: ignore[arg-type]
        command=("cmd",),  # type: ignore[arg-type]
        grpc_options=[("grpc.enable_retries", 0)],  # type: ignore[arg-type]
        max_message_size=-1,
        max_send_message_size=-1,
        rpc_timeout=None,
        client_certificate_path="/c.pem",
        client_key_path="/c.key",
    )
    assert p.scopes == ["a", "b"]
    assert p.command == ["cmd"]
    assert p.grpc_options == (("grpc.enable_retries", 0),)
    assert p.rpc_timeout is None


def test_replace_reruns_normalisation():
    p = dataclasses.replace(PlatformConfig(), endpoint="dns:///h:1", auth_mode="deviceflow")  # type: ignore[arg-type]
    assert (p.endpoint, p.auth_mode) == ("h:1", AuthType.DEVICEFLOW)


def test_s3_accepts_both_spellings_of_addressing_style():
    assert S3Config(adressing_style="path").addressing_style == "path"
    assert S3Config(addressing_style="virtual").adressing_style == "virtual"
    assert S3Config(adressing_style="path", addressing_style="path") == S3Config(addressing_style="path")
    assert S3Config().adressing_style is None
    with pytest.raises(TypeError, match="addressing_style"):
        S3Config(adressing_style="path", addressing_style="virtual")
    replaced = dataclasses.replace(S3Config(addressing_style="path"), endpoint="http://x")
    assert (replaced.endpoint, replaced.addressing_style) == ("http://x", "path")


def test_flytekit_defaults_of_the_other_classes():
    assert S3Config() == S3Config(
        enable_debug=False,
        endpoint=None,
        retries=3,
        backoff=datetime.timedelta(seconds=5),
        access_key_id=None,
        secret_access_key=None,
    )
    assert GCSConfig().gsutil_parallelism is False
    assert AzureBlobStorageConfig() == AzureBlobStorageConfig(None, None, None, None, None)
    assert GenericPersistenceConfig().attach_execution_metadata is True
    assert DataConfig().s3 == S3Config()
    assert SecretsConfig() == SecretsConfig(env_prefix="_FSEC_", default_dir="/etc/secrets", file_prefix="")
    assert StatsConfig() == StatsConfig(host="localhost", port=8125, disabled=False, disabled_tags=False)
    assert TaskConfig() == TaskConfig(project="flytesnacks", domain="development", org="None")
    assert LocalConfig() == LocalConfig(cache_enabled=True, cache_overwrite=False)
    config = Config()
    assert (config.platform, config.secrets, config.stats) == (PlatformConfig(), SecretsConfig(), StatsConfig())
    assert config.local_sandbox_path is None


def test_s3_backoff_from_environment_accepts_durations(monkeypatch):
    monkeypatch.setenv("FLYTE_AWS_BACKOFF_SECONDS", "1500ms")
    monkeypatch.setenv("FLYTE_AWS_ENABLE_DEBUG", "true")
    monkeypatch.setenv("FLYTE_AWS_ADDRESSING_STYLE", "path")
    s3 = S3Config.auto()
    assert s3.backoff == datetime.timedelta(milliseconds=1500)
    assert s3.enable_debug is True
    assert s3.addressing_style == "path"


def test_azure_gcs_persistence_and_local_from_environment(monkeypatch):
    monkeypatch.setenv("FLYTE_AZURE_STORAGE_ACCOUNT_NAME", "acct")
    monkeypatch.setenv("FLYTE_AZURE_TENANT_ID", "tenant")
    monkeypatch.setenv("FLYTE_GCP_GSUTIL_PARALLELISM", "1")
    monkeypatch.setenv("FLYTE_PERSISTENCE_ATTACH_EXECUTION_METADATA", "off")
    monkeypatch.setenv("FLYTE_LOCAL_CACHE_OVERWRITE", "yes")
    monkeypatch.setenv("FLYTE_LOCAL_DOMAIN", "production")
    monkeypatch.setenv("FLYTE_SECRETS_FILE_PREFIX", "sec-")
    data = DataConfig.auto()
    assert (data.azure.account_name, data.azure.tenant_id) == ("acct", "tenant")
    assert data.gcs.gsutil_parallelism is True
    assert data.generic.attach_execution_metadata is False
    assert LocalConfig.auto().cache_overwrite is True
    assert TaskConfig.auto().domain == "production"
    assert SecretsConfig.auto().file_prefix == "sec-"
