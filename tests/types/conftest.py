"""Fixtures for the type engine tests: real storage under a temp dir, and flytekit's context for cross-checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flyteplane.types import PrefixFileAccess


class RecordingFileAccess:
    """A FileAccess that delegates to a real one and records each call (to prove downloads are lazy)."""

    def __init__(self, inner: PrefixFileAccess) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, bool]] = []

    def put(self, local_path: str, *, is_dir: bool) -> str:
        self.calls.append(("put", local_path, is_dir))
        return self.inner.put(local_path, is_dir=is_dir)

    def get(self, uri: str, local_path: str | None = None, *, is_dir: bool) -> str:
        self.calls.append(("get", uri, is_dir))
        return self.inner.get(uri, local_path, is_dir=is_dir)


@pytest.fixture
def files(tmp_path: Path) -> RecordingFileAccess:
    """Storage with ``file:///`` URIs under the test's temp dir."""
    return RecordingFileAccess(PrefixFileAccess("file://" + str(tmp_path / "store"), str(tmp_path / "downloads")))


@pytest.fixture
def plain_files(tmp_path: Path) -> PrefixFileAccess:
    """Storage whose URIs are plain local paths: what flytekit's local file access writes, and all it can read
    (flytekit treats ``file://`` as local but then checks ``os.path.isfile`` on the URI string itself)."""
    return PrefixFileAccess(str(tmp_path / "store"), str(tmp_path / "downloads"))


@pytest.fixture(scope="session")
def fk_ctx() -> Any:
    from flytekit.core.context_manager import FlyteContextManager

    return FlyteContextManager.current_context()


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.txt"
    path.write_text("hello")
    return path


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    path = tmp_path / "folder"
    (path / "sub").mkdir(parents=True)
    (path / "a.txt").write_text("a")
    (path / "sub" / "b.txt").write_text("b")
    return path
