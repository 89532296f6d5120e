"""Run in fresh interpreters: what importing costs, and agreement with flytekit itself."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import flyteplane.configuration as fc


def _run(code: str, tmp_path: Path) -> str:
    """Run ``code`` in a new interpreter whose temp dir is tmp_path/tmp; return its stdout."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_no_temp_dir_until_a_sandbox_path_is_asked_for(tmp_path):
    out = _run(
        """
import json, os, tempfile
from flyteplane.configuration import Config, PlatformConfig
tmp = tempfile.gettempdir()
Config(); Config.auto(); Config.for_sandbox(); Config.for_endpoint("flyte.example.com"); PlatformConfig.auto()
before = os.listdir(tmp)
first = Config().get_local_sandbox_path()
second = Config.for_sandbox().get_local_sandbox_path()
print(json.dumps({"tmp": tmp, "before": before, "after": os.listdir(tmp), "first": first, "second": second}))
""",
        tmp_path,
    )
    result = json.loads(out)
    assert result["before"] == []  # import, construction and auto() created nothing
    assert result["first"] == result["second"]  # one directory per process, reused
    assert os.path.dirname(result["first"]) == result["tmp"]
    assert result["after"] == [os.path.basename(result["first"])]
    assert os.path.basename(result["first"]).startswith("flyte")


def test_explicit_sandbox_path_creates_nothing(tmp_path):
    assert fc.Config(local_sandbox_path=str(tmp_path / "mine")).get_local_sandbox_path() == str(tmp_path / "mine")
    assert not (tmp_path / "mine").exists()


def test_import_does_not_load_parsers_or_grpc(tmp_path):
    out = _run(
        """
import sys
import flyteplane.configuration
heavy = ["yaml", "configparser", "tempfile", "logging", "grpc", "google.protobuf", "flytekit", "pathlib"]
print(",".join(m for m in heavy if m in sys.modules))
""",
        tmp_path,
    )
    assert out.strip() == ""


def test_yaml_is_imported_only_when_a_yaml_file_is_read(tmp_path):
    ini = tmp_path / "flytekit.config"
    ini.write_text("[platform]\nurl = h:1\n")
    yml = tmp_path / "config.yaml"
    yml.write_text("admin:\n  endpoint: h:2\n")
    out = _run(
        f"""
import sys
from flyteplane.configuration import Config
a = Config.auto({str(ini)!r}).platform.endpoint
print(a, "yaml" in sys.modules)
b = Config.auto({str(yml)!r}).platform.endpoint
print(b, "yaml" in sys.modules)
""",
        tmp_path,
    )
    assert out.split() == ["h:1", "False", "h:2", "True"]


FLYTEKIT_DUMP = """
import dataclasses, json, sys
import flytekit.configuration as k
from flytekit.configuration import file as kfile
out = {}
for name in ["PlatformConfig", "S3Config", "GCSConfig", "AzureBlobStorageConfig", "GenericPersistenceConfig",
             "SecretsConfig", "StatsConfig", "TaskConfig", "LocalConfig", "Config", "DataConfig"]:
    fields = {}
    for f in dataclasses.fields(getattr(k, name)):
        if f.default is not dataclasses.MISSING:
            fields[f.name] = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            fields[f.name] = repr(f.default_factory())
        else:
            fields[f.name] = None
    out[name] = fields
p = k.PlatformConfig.auto(kfile.ConfigFile(sys.argv[1]))
out["parsed"] = {f.name: str(getattr(p, f.name)) for f in dataclasses.fields(p)}
print(json.dumps(out))
"""


def test_fields_defaults_and_parsing_agree_with_flytekit(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    yml = tmp_path / "config.yaml"
    yml.write_text(
        "admin:\n  endpoint: dns:///flyte.example.com\n  insecureSkipVerify: true\n  authType: Pkce\n"
        f"  clientId: cid\n  clientSecretLocation: {secret}\n  scopes: [all]\n  audience: aud\n"
        "  command: [a, b]\n  httpProxyURL: http://p:1\n  caCertFilePath: /ca.pem\n"
        "console:\n  endpoint: https://console\n"
    )
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    done = subprocess.run(
        [sys.executable, "-c", FLYTEKIT_DUMP, str(yml)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout.strip().splitlines()[-1])

    for name, their_fields in theirs.items():
        if name == "parsed":
            continue
        ours = {f.name: f for f in dataclasses.fields(getattr(fc, name))}
        for field_name, their_default in their_fields.items():
            assert field_name in ours, f"{name}.{field_name} missing"
            if name == "Config" and field_name == "local_sandbox_path":
                continue  # flytekit's default is a directory made at import; ours is deliberately lazy (None)
            if name == "PlatformConfig" and field_name == "auth_mode":
                assert their_default == "<AuthType.STANDARD: 'standard'>"
                assert fc.PlatformConfig().auth_mode is fc.AuthType.STANDARD
                continue
            ours_field = ours[field_name]
            if ours_field.default is not dataclasses.MISSING:
                our_default = repr(ours_field.default)
            else:
                factory = ours_field.default_factory
                assert factory is not dataclasses.MISSING
                our_default = repr(factory())
            if name in ("Config", "DataConfig"):
                continue  # nested objects: compared through their own classes above
            assert our_default == their_default, f"{name}.{field_name}"

    # Both clients read the same flytectl file to the same values, except the documented auth-mode fix:
    # flytekit forces ClientSecret when a secret file is configured, overriding the explicit authType.
    mine = fc.PlatformConfig.auto(yml)
    parsed = theirs["parsed"]
    assert parsed["auth_mode"] == "ClientSecret"
    assert mine.auth_mode is fc.AuthType.PKCE
    for field_name in (
        "endpoint",
        "insecure",
        "insecure_skip_verify",
        "ca_cert_file_path",
        "console_endpoint",
        "command",
        "client_id",
        "client_credentials_secret",
        "scopes",
        "audience",
        "rpc_retries",
        "http_proxy_url",
    ):
        assert str(getattr(mine, field_name)) == parsed[field_name], field_name
