"""The console's browser tests: a real ``flyteplane sandbox`` process (the end-to-end tests' fixture), flytekit as
the peer that registers and launches, and Debian's Chromium driven by Playwright.

Chromium is the system's (``/usr/bin/chromium``, ``apt-get install -y chromium``); Playwright never downloads a
browser here. Screenshots of the pages a test reaches go to ``$FLYTEPLANE_CONSOLE_SHOTS`` when it is set (that is
how ``docs/console/*.png`` are made), else into the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DOMAIN, PROJECT, Sandbox, client, remote, sandbox  # noqa: F401 (fixtures)

WORKFLOWS = Path(__file__).resolve().parent / "workflows"
IMAGE = "localhost/flyteplane-console-tests:never-pulled"
CHROMIUM = os.environ.get("FLYTEPLANE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the console's tests (the system's; a missing one fails the test with what to
    install). Package-scoped: Playwright's sync API keeps an event loop running in the main thread while it is
    open, and tests after these ones call ``asyncio.run``."""
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium is not at {CHROMIUM}: `apt-get install -y chromium` (or set FLYTEPLANE_CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (its own cookies); the page's script errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(60_000)
    yield page
    context.close()
    assert errors == [], f"script errors in the console: {errors}"


@pytest.fixture
def shot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """``shot(page, name)``: a full-page screenshot named ``name.png``."""
    folder = Path(os.environ.get("FLYTEPLANE_CONSOLE_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def registered(remote: Any) -> str:  # noqa: F811 (the e2e fixture)
    """``workflows/console_flows.py`` fast-registered once for the session; returns the version."""
    import sys

    from flytekit.configuration import ImageConfig

    sys.path.insert(0, str(WORKFLOWS))
    try:
        import console_flows
    finally:
        sys.path.remove(str(WORKFLOWS))
    version = f"console-{uuid.uuid4().hex[:10]}"
    flows = console_flows
    entities = (flows.summed, flows.talker, flows.squares, flows.fanned, flows.gated, flows.asked)
    entities += (flows.decked, flows.filed, flows.flaky, flows.nested)
    for entity in entities:
        remote.register_script(
            entity,
            image_config=ImageConfig.auto(img_name=IMAGE),
            version=version,
            source_path=str(WORKFLOWS),
            module_name="console_flows",
        )
    return version


def console_url(sandbox: Sandbox, path: str) -> str:  # noqa: F811
    """``path`` (``/console/...``) on the sandbox's HTTP side, where the console is served."""
    return sandbox.http_endpoint + path


__all__ = ["DOMAIN", "PROJECT", "console_url"]
