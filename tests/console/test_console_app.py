"""The console's static routes (no browser): SPA fallback, cache headers, paths kept inside the build."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from flyteplane.console import ConsoleNotBuilt, console_routes, static_dir


@pytest.fixture
def http() -> TestClient:
    return TestClient(Starlette(routes=console_routes()))


def _asset() -> str:
    assets = (static_dir() / "assets").iterdir()
    return next(p.name for p in assets if p.suffix == ".js" and p.name.startswith("index-"))


def test_the_committed_build_is_in_the_package() -> None:
    index = (static_dir() / "index.html").read_text()
    assert f"/console/assets/{_asset()}" in index
    # Offline: the page names no other origin (no CDN, fonts or scripts from the internet).
    assert "http://" not in index and "https://" not in index and "//" not in index.replace("<!doctype", "")


@pytest.mark.parametrize(
    "path",
    ["/console", "/console/", "/console/projects/flytesnacks/domains/development/executions/abc",
     "/console/projects/p/domains/d/workflow/wf/version/v1"],
)  # fmt: skip
def test_app_paths_get_index_html_uncached(http: TestClient, path: str) -> None:
    answer = http.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-cache"
    assert '<div id="app">' in answer.text


def test_hashed_assets_are_cached_for_good(http: TestClient) -> None:
    answer = http.get(f"/console/assets/{_asset()}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert http.head(f"/console/assets/{_asset()}").status_code == 200


@pytest.mark.parametrize("path", ["/console/assets/missing.js", "/console/assets/..%2F..%2Fapp.py"])
def test_a_missing_asset_is_a_404_not_the_app(http: TestClient, path: str) -> None:
    answer = http.get(path)
    assert answer.status_code == 404
    assert "<div" not in answer.text


def test_paths_never_leave_the_build(http: TestClient) -> None:
    # Starlette normalizes ``..`` away before routing; encoded ones reach the route and resolve outside the build.
    for path in ("/console/..%2F__init__.py", "/console/%2e%2e/app.py", "/console/..%2F..%2F..%2Fpyproject.toml"):
        answer = http.get(path)
        assert "import" not in answer.text and "[project]" not in answer.text
        assert answer.status_code in (200, 404)
        if answer.status_code == 200:
            assert '<div id="app">' in answer.text  # the fallback, never the file


def test_a_package_without_its_build_refuses_to_serve(tmp_path: Path) -> None:
    with pytest.raises(ConsoleNotBuilt, match="npm ci && npm run build"):
        console_routes(tmp_path)
