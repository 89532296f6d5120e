"""A client that never needs a token never imports ``flyteplane.clients.auth`` (nor ``keyring``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, sys
import flyteplane.clients.friendly as friendly
from flyteplane.configuration import PlatformConfig
after_import = sorted(m for m in sys.modules if m.startswith("flyteplane.clients.auth") or m.split(".")[0] == "keyring")
for mode in ("standard", "Pkce", "DeviceFlow", "None"):
    cfg = PlatformConfig(endpoint=sys.argv[1], insecure=True, auth_mode=mode)
    with friendly.SynchronousFlyteClient(cfg) as client:
        projects, _ = client.list_projects_paginated(limit=10)
        assert [p.id for p in projects] == ["flytesnacks"], projects
        client.get_domains()
loaded = sorted(m for m in sys.modules if m.startswith("flyteplane.clients.auth") or m.split(".")[0] == "keyring")
print(json.dumps({"after_import": after_import, "after_calls": loaded}))
"""


def _run(endpoint: str, home: str) -> dict:
    env = {**os.environ, "HOME": home, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, endpoint], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_calls_to_an_admin_without_auth_import_nothing_of_the_auth_package(flyte_admin, tmp_path):
    assert _run(flyte_admin.endpoint, str(tmp_path)) == {"after_import": [], "after_calls": []}


def test_a_cached_token_is_what_makes_a_pkce_client_load_the_auth_package(flyte_admin, tmp_path):
    # A token cached for this endpoint (from an earlier login) is sent up front, so the package is needed;
    # the admin without auth ignores it.
    from flyteplane.clients.auth.credentials import Credentials
    from flyteplane.clients.auth.token_cache import FileTokenCache

    FileTokenCache(tmp_path / ".flyteplane" / "tokens").store(flyte_admin.endpoint, Credentials("T", flow="Pkce"))
    loaded = _run(flyte_admin.endpoint, str(tmp_path))
    assert loaded["after_import"] == []
    assert "flyteplane.clients.auth.pkce" in loaded["after_calls"]
