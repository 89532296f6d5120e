"""The admin's web console: a single-page app (built from ``console/`` at the repo root) served at ``/console``.

The console talks only to Flyte Admin's REST API (``/api/v1/...``) of the admin that serves it; see
:mod:`flyteplane.console.app` for how its files are served.
"""

from flyteplane.console.app import CONSOLE_PATH, ConsoleNotBuilt, console_routes, static_dir

__all__ = ["CONSOLE_PATH", "ConsoleNotBuilt", "console_routes", "static_dir"]
