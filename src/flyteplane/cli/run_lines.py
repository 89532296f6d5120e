"""The lines ``flyteplane sandbox`` prints as executions start and end: phase, duration, console link.

One line per start and one per end, printed by the admin's run listener
(:mod:`flyteplane.admin.managers.run_listeners`) with rich: coloured on a terminal, plain text in a pipe or a file.
rich is imported with this module, before the admin starts: once it serves, the sandbox must reach its signal
handlers at once (a Ctrl-C in an import would end it with a traceback).
"""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.markup import escape

from flyteplane.admin.managers.run_listeners import RunNotice
from flyteplane.cli.output import render_duration

__all__ = ["RunLines", "console_url"]

_STYLES = {"SUCCEEDED": "green", "RUNNING": "cyan"}


def console_url(http_endpoint: str) -> str:
    """Where the console is served: ``<http base>/console``."""
    return f"{http_endpoint.rstrip('/')}/console"


class RunLines:
    """A run listener printing one line per execution start and end."""

    def __init__(self, http_endpoint: str, out: Any = None) -> None:
        """``http_endpoint`` is the admin's HTTP base (the console's host); ``out`` a rich console (default: one on
        stdout)."""
        if out is None:
            out = Console(highlight=False, soft_wrap=True)
        self._out = out
        self._console = console_url(http_endpoint)
        self._lock = threading.Lock()

    def link(self, notice: RunNotice) -> str:
        """The execution's page in the console."""
        i = notice.execution_id
        return f"{self._console}/projects/{i.project}/domains/{i.domain}/executions/{i.name}"

    def __call__(self, notice: RunNotice) -> None:
        i = notice.execution_id
        what = f"{escape(i.project)}/{escape(i.domain)}/[bold]{escape(i.name)}[/bold] ({escape(notice.launch_plan)})"
        style = _STYLES.get(notice.phase, "red")
        link = escape(self.link(notice))
        if not notice.ended:
            line = f"execution {what} [{style}]started[/] {link}"
        else:
            took = f" in {render_duration(notice.duration)}" if notice.duration is not None else ""
            line = f"execution {what} [{style}]{notice.phase}[/]{took} {link}"
            if notice.error.strip():
                # A task's error is often a traceback, whose last line says what went wrong.
                last = notice.error.strip().splitlines()[-1]
                line += f"\n  {escape(last[:200])}"
        with self._lock:
            self._out.print(line)
