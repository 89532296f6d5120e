"""GetVersion reports this flyteplane: its package version, the git commit it runs from and that commit's time
(Flyte Admin reports the release, commit and build date stamped into its binary)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import version_pb2
from flyteidl.service import admin_pb2_grpc

import flyteplane
from flyteplane.admin import AdminServer
from flyteplane.admin.build_info import UNKNOWN, detect_build_info, this_build

PACKAGE_DIR = Path(flyteplane.__file__).resolve().parent


@pytest.fixture(scope="module")
def stub() -> Iterator[admin_pb2_grpc.AdminServiceStub]:
    with AdminServer() as server, grpc.insecure_channel(server.endpoint) as channel:
        yield admin_pb2_grpc.AdminServiceStub(channel)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(PACKAGE_DIR), *args], capture_output=True, text=True, check=True).stdout


def test_get_version_reports_this_checkout(stub: admin_pb2_grpc.AdminServiceStub) -> None:
    this_build.cache_clear()  # found once per process: HEAD may have moved since another test asked
    version = stub.GetVersion(version_pb2.GetVersionRequest()).control_plane_version
    assert version.Version == f"v{flyteplane.__version__}"
    # The tests run from a git checkout of flyteplane: its HEAD, marked dirty when src/flyteplane has changes.
    commit, seconds = _git("show", "-s", "--format=%h %ct", "HEAD").split()
    dirty = subprocess.run(["git", "-C", str(PACKAGE_DIR), "diff", "--quiet", "HEAD", "--", "."]).returncode == 1
    assert version.Build == commit + ("-dirty" if dirty else "")
    assert dt.datetime.fromisoformat(version.BuildTime.replace("Z", "+00:00")) == dt.datetime.fromtimestamp(
        int(seconds), dt.timezone.utc
    )


def test_a_copy_outside_a_checkout_says_unknown(tmp_path: Path) -> None:
    copy = tmp_path / "site-packages" / "flyteplane"
    copy.mkdir(parents=True)
    info = detect_build_info(copy, distribution="no-such-distribution")
    assert (info.version, info.build, info.build_time) == (f"v{flyteplane.__version__}", UNKNOWN, UNKNOWN)


def test_another_repository_is_not_this_build(tmp_path: Path) -> None:
    # A virtual environment inside some project's repository: that repository's commit is not flyteplane's.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(tmp_path),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    copy = tmp_path / ".venv" / "lib" / "site-packages" / "flyteplane"
    copy.mkdir(parents=True)
    assert detect_build_info(copy, distribution="no-such-distribution").build == UNKNOWN


def test_a_git_install_reports_the_commit_pip_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # PEP 610: pip writes direct_url.json into the dist-info of a package installed from a git URL.
    dist_info = tmp_path / "recorded_plane-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: recorded-plane\nVersion: 1.0\n")
    commit = "0123456789abcdef0123456789abcdef01234567"
    url = {"url": "https://example.com/flyteplane.git", "vcs_info": {"vcs": "git", "commit_id": commit}}
    (dist_info / "direct_url.json").write_text(json.dumps(url))
    monkeypatch.syspath_prepend(str(tmp_path))
    info = detect_build_info(tmp_path / "elsewhere" / "flyteplane", distribution="recorded-plane")
    assert (info.build, info.build_time) == ("0123456", UNKNOWN)
