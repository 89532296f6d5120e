"""A misspelled key in a config file is reported (once, with the closest known key), not silently ignored."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from flyteplane.configuration import Config, PlatformConfig


@pytest.fixture
def warnings_of(caplog):
    def _read(path) -> list[str]:
        with caplog.at_level(logging.WARNING, logger="flyteplane.configuration"):
            caplog.clear()
            PlatformConfig.auto(path)
        return [r.getMessage() for r in caplog.records if r.name == "flyteplane.configuration"]

    return _read


def test_misspelled_admin_keys_are_named_with_the_key_meant(write, warnings_of):
    path = write("c.yaml", "admin:\n  endpont: dns:///x.example.com\n  insecre: true\n")
    messages = warnings_of(path)
    assert messages == [
        f"config file {path}: unknown key admin.endpont (did you mean admin.endpoint?); it is ignored",
        f"config file {path}: unknown key admin.insecre (did you mean admin.insecure?); it is ignored",
    ]


def test_a_misspelled_section_is_named(write, warnings_of):
    path = write("c.yaml", "admn:\n  endpoint: dns:///x.example.com\n")
    assert warnings_of(path) == [f"config file {path}: unknown section admn (did you mean admin?); it is ignored"]


def test_an_unknown_key_with_nothing_close_is_still_named(write, warnings_of):
    path = write("c.yaml", "admin:\n  endpoint: x\n  zzzzqqq: 1\n")
    assert warnings_of(path) == [f"config file {path}: unknown key admin.zzzzqqq; it is ignored"]


def test_a_flytectl_config_raises_no_warning(write, warnings_of):
    # Every admin key flytectl accepts, in its own spelling or another case, and its other sections.
    path = write(
        "c.yaml",
        "admin:\n  endpoint: dns:///localhost:30080\n  authType: Pkce\n  insecure: true\n  clientId: x\n"
        "  pkceConfig: {timeout: 1m}\n  useAuth: true\n  AUTHTYPE: Pkce\n  maxMessageSizeBytes: 100\n"
        "console:\n  endpoint: http://localhost:30080\nlogger:\n  show-source: true\n  level: 0\n"
        "storage:\n  type: minio\n  connection: {endpoint: http://x}\ntask:\n  project: p\nimages:\n  default: img\n",
    )
    assert warnings_of(path) == []


def test_ini_typos_are_named_with_the_option_meant(write, warnings_of):
    path = write(
        "flytekit.config",
        "[platform]\nurl = x.example.com\ninsecre = True\n[platfrom]\nurl = y\n"
        "[images]\nanything = img:1\n[sdk]\nworkflow_packages = a\n",
    )
    assert warnings_of(path) == [
        f"config file {path}: unknown option [platform] insecre (did you mean [platform] insecure?); it is ignored",
        f"config file {path}: unknown section [platfrom] (did you mean platform?); it is ignored",
    ]


def test_each_unknown_key_is_reported_once_per_process(write, warnings_of):
    path = write("c.yaml", "admin:\n  endpont: x\n")
    assert len(warnings_of(path)) == 1
    assert warnings_of(path) == []  # read again (every auto() reads the file): nothing new to say


def test_a_cli_user_sees_the_warning_once_on_stderr(write, tmp_path):
    """No logging set up, as in a user's script: the warning reaches stderr, once for three reads of the file."""
    path = write("c.yaml", "admin:\n  endpont: dns:///x.example.com\n")
    script = (
        "from flyteplane.configuration import Config, PlatformConfig\n"
        f"Config.auto({str(path)!r}); Config.auto({str(path)!r}); PlatformConfig.auto({str(path)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"config file {path}: unknown key admin.endpont (did you mean admin.endpoint?); it is ignored\n"
    )
    assert Config.auto(path).platform.endpoint == "localhost:30080"  # the typo'd value really is not used
