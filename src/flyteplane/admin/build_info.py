"""What GetVersion reports about this flyteplane: its package version, the commit it was built from and when.

Flyte Admin stamps these into its binary at build time (Go ldflags: the release version, the git commit, the build
date). A Python package has no such step, so they are found when first asked for, from where this code runs:

* **version**: the package's own version as a release tag, ``v<flyteplane.__version__>``: Flyte Admin reports its
  release tag (``v1.16.8``), and clients check for that shape (flytekit's integration suite asserts it starts with
  ``v``);
* **build**: the git commit of the checkout this package is imported from (``<commit>-dirty`` when files under
  ``src/flyteplane`` differ from it), else the commit pip recorded when it installed the package from a git URL
  (PEP 610's ``direct_url.json``), else ``unknown``;
* **build time**: the commit's time (RFC 3339, UTC) when the commit is known from a checkout, else ``unknown``.

Nothing here guesses: a value that cannot be known is ``unknown``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import flyteplane

__all__ = ["UNKNOWN", "BuildInfo", "detect_build_info", "this_build"]

UNKNOWN = "unknown"
_GIT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class BuildInfo:
    """GetVersion's ``Version``, ``Build`` and ``BuildTime``."""

    version: str
    build: str
    build_time: str


@functools.cache
def this_build() -> BuildInfo:
    """The running flyteplane's build, found once per process."""
    return detect_build_info(Path(flyteplane.__file__).resolve().parent)


def detect_build_info(package_dir: Path, distribution: str = "flyteplane") -> BuildInfo:
    """The build of the ``flyteplane`` package found at ``package_dir`` (see the module's docstring)."""
    from_git = _git_build(package_dir)
    if from_git is not None:
        build, build_time = from_git
    else:
        build, build_time = _recorded_commit(distribution) or UNKNOWN, UNKNOWN
    return BuildInfo(version=f"v{flyteplane.__version__}", build=build, build_time=build_time)


def _git(package_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The caller's GIT_DIR & co. must not point git at another repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", "-C", str(package_dir), *args],
        capture_output=True,
        text=True,
        timeout=_GIT_TIMEOUT_SECONDS,
        env=env,
        check=False,
    )


def _git_build(package_dir: Path) -> tuple[str, str] | None:
    """(commit, commit time) when ``package_dir`` is ``src/flyteplane`` of a git checkout, else None (a package
    installed into a virtual environment that happens to lie inside some other repository is not that repository's
    build)."""
    try:
        top = _git(package_dir, "rev-parse", "--show-toplevel")
        if top.returncode != 0 or (Path(top.stdout.strip()) / "src" / "flyteplane").resolve() != package_dir:
            return None
        head = _git(package_dir, "show", "-s", "--format=%h %ct", "HEAD")
        if head.returncode != 0:
            return None
        commit, seconds = head.stdout.split()
        changed = _git(package_dir, "diff", "--quiet", "HEAD", "--", ".")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if changed.returncode == 1:
        commit += "-dirty"
    when = _dt.datetime.fromtimestamp(int(seconds), _dt.timezone.utc)
    return commit, when.isoformat().replace("+00:00", "Z")


def _recorded_commit(distribution: str) -> str | None:
    """The commit pip installed the distribution from (PEP 610 ``vcs_info.commit_id``), if any."""
    try:
        text = metadata.distribution(distribution).read_text("direct_url.json")
        commit = json.loads(text or "{}").get("vcs_info", {}).get("commit_id")
    except (metadata.PackageNotFoundError, ValueError, AttributeError):
        return None
    return commit[:7] if isinstance(commit, str) and commit else None
