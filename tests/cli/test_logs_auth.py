"""``flyteplane logs`` against an admin with auth: the log URLs want a bearer token, and the command sends the one
its config's auth (here client credentials) gives, as the gRPC calls do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flytekit.configuration import Config, ImageConfig, PlatformConfig, SerializationSettings
from flytekit.remote import FlyteRemote

from flyteplane.admin import AdminServer
from flyteplane.admin.auth.config import AuthConfig
from flyteplane.admin.config import AdminConfig
from flyteplane.cli.main import main
from tests.cli import cli_workflows as wf
from tests.e2e.support import http_get

REPO = Path(__file__).resolve().parents[2]
PROJECT, DOMAIN = "flytesnacks", "development"
SECRET = "cli-logs-secret"
HELLO = "tests.cli.cli_workflows.hello"


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),))
    with AdminServer(config=config, auth=AuthConfig.self_issued(SECRET, default_user="alice")) as server:
        yield server


def test_logs_send_the_configured_token(
    admin: AdminServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no token cache of the user's
    platform = PlatformConfig(
        endpoint=admin.endpoint,
        insecure=True,
        auth_mode="ClientSecret",
        client_id="flytepropeller",
        client_credentials_secret=SECRET,
    )
    remote = FlyteRemote(Config(platform=platform), default_project=PROJECT, default_domain=DOMAIN)
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="a1"
    )
    remote.register_workflow(wf.hello, serialization_settings=settings, version="a1")
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"admin:\n  endpoint: dns:///{admin.endpoint}\n  insecure: true\n  authType: ClientSecret\n"
        f"  clientId: flytepropeller\n  clientSecretLocation: {secret_file}\n"
    )
    assert main(["launch", HELLO, "-i", "name=auth", "--wait", "--config", str(config)]) == 0
    name = capsys.readouterr().out.split("execution ", 1)[1].split(" ", 1)[0]

    assert main(["get", "execution", name, "--details", "-o", "json", "--config", str(config)]) == 0
    details = capsys.readouterr().out
    uri = details.split('"uri": "', 1)[1].split('"', 1)[0]
    assert http_get(uri)[0] == 401  # the log wants a token

    assert main(["logs", name, "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "greeting auth" in out, err
