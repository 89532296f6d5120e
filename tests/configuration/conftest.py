"""Every configuration test runs in a clean world: no FLYTE_* variables, an empty HOME and working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Strip the caller's Flyte settings and point HOME and the working directory at empty directories.

    Returns the fake home directory.
    """
    for name in list(os.environ):
        if name.startswith(("FLYTE_", "FLYTECTL_", "_FLYTECTL_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(workdir)
    return home


@pytest.fixture
def home(isolated_environment: Path) -> Path:
    """The fake home directory (``~``)."""
    return isolated_environment


@pytest.fixture
def write(tmp_path: Path):
    """Write a file under tmp_path/files and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write
