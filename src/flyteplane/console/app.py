"""Serving the console's built files at ``/console`` (Starlette routes for the admin's HTTP side).

The build (``cd console && npm ci && npm run build``) writes ``index.html`` and content-hashed files under
``assets/`` into ``static/`` beside this module; the build is committed, so installing the package needs no npm.

Routes::

    GET /console                     index.html
    GET /console/assets/<file>       a hashed asset: cached for a year ("immutable"); 404 if absent
    GET /console/<file>              another built file (e.g. a favicon) when it exists
    GET /console/<anything else>     index.html: the app routes in the browser (a single-page app's fallback),
                                     so the links flytekit prints (``/console/projects/p/domains/d/executions/n``)
                                     open the right page

``index.html`` is sent with ``Cache-Control: no-cache`` so that a new build is picked up on the next load, while
the assets it names never change under their names. Paths are resolved inside ``static/`` only: a path that
leaves it (``..``, an absolute or encoded one) is a 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["CONSOLE_PATH", "ConsoleNotBuilt", "console_routes", "static_dir"]

CONSOLE_PATH = "/console"
_IMMUTABLE = "public, max-age=31536000, immutable"
_NO_CACHE = "no-cache"
# Set explicitly: the platform's mimetypes table may lack (or misname) these, and browsers refuse a module script
# served as text/plain.
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


class ConsoleNotBuilt(RuntimeError):
    """The package holds no console build (``static/index.html`` is missing)."""


def static_dir() -> Path:
    """The directory of the console's built files, inside the installed package."""
    return Path(__file__).resolve().parent / "static"


def _inside(root: Path, relative: str) -> Path | None:
    """``root/relative`` when it is a file inside ``root``; None otherwise (missing, a directory, or outside)."""
    if "\x00" in relative:
        return None
    candidate = (root / relative.lstrip("/")).resolve()
    try:
        candidate.relative_to(root)
    except ValueError:
        return None
    return candidate if candidate.is_file() else None


def _file(path: Path, cache_control: str) -> FileResponse:
    media_type = _TYPES.get(path.suffix.lower())
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache_control})


def console_routes(root: Path | None = None) -> list[BaseRoute]:
    """The console's routes, to be added to the admin's Starlette app (paths include ``/console``).

    ``root`` is the directory of a build (the package's own by default). Raises :class:`ConsoleNotBuilt` when it
    holds no ``index.html``, so a package without its console fails at start-up rather than serving 404s.
    """
    base = (root or static_dir()).resolve()
    index = base / "index.html"
    if not index.is_file():
        raise ConsoleNotBuilt(
            f"the console is not built: {index} is missing (run `cd console && npm ci && npm run build` in the "
            "flyteplane repository)"
        )

    async def serve_index(request: Request) -> Response:
        return _file(index, _NO_CACHE)

    async def serve_path(request: Request) -> Response:
        relative: str = request.path_params["path"]
        if relative.startswith("assets/"):
            found = _inside(base, relative)
            if found is None:
                return PlainTextResponse("asset not found\n", status_code=404, headers={"Cache-Control": _NO_CACHE})
            return _file(found, _IMMUTABLE)
        found = _inside(base, relative) if relative else None
        if found is not None and found != index:
            return _file(found, _NO_CACHE)
        return _file(index, _NO_CACHE)

    methods = ["GET", "HEAD"]
    return [
        Route(CONSOLE_PATH, serve_index, methods=methods),
        Route(CONSOLE_PATH + "/{path:path}", serve_path, methods=methods),
    ]
