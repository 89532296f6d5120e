"""Fixtures for the type engine tests: real storage under a temp dir, and flytekit's context for cross-checks."""

from __future__ import annotations

from collections.abc import Iterator
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
def _fk_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from flytekit.core.data_persistence import FileAccessProvider

    root = tmp_path_factory.mktemp("flytekit-files")
    return FileAccessProvider(local_sandbox_dir=str(root / "sandbox"), raw_output_prefix=str(root / "raw"))


@pytest.fixture
def fk_ctx(_fk_files: Any) -> Iterator[Any]:
    """flytekit's current context, with local storage of its own for the test: the context a test finds may be
    another test's (the e2e session runs in one whose raw outputs go to its sandbox's S3 endpoint), and flytekit's
    transformers read the current context, not only the one they are given."""
    from flytekit.core.context_manager import FlyteContextManager

    with FlyteContextManager.with_context(FlyteContextManager.current_context().with_file_access(_fk_files)) as ctx:
        yield ctx


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
