"""What ``FlyteRemote.wait`` shows while it waits: one updating line in a terminal, one updating cell in a notebook.

Nothing is shown when output goes to a file or a pipe (logs stay clean), unless asked for.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["WaitDisplay", "in_notebook"]


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython is never imported here just to find out)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class WaitDisplay:
    """Shows an execution's phase and the time waited, updated in place.

    Args:
        name: the execution's name.
        enabled: True or False to force; None shows it in notebooks and when stderr is a terminal.
    """

    def __init__(self, name: str, enabled: bool | None = None) -> None:
        self.name = name
        self._notebook = in_notebook()
        if enabled is None:
            enabled = self._notebook or sys.stderr.isatty()
        self.enabled = enabled
        self._start = time.monotonic()
        self._handle: Any = None
        self._width = 0

    def _text(self, phase: str, done: bool) -> str:
        elapsed = time.monotonic() - self._start
        return f"{'finished' if done else 'waiting for'} {self.name}: {phase} ({elapsed:.1f}s)"

    def update(self, phase: str, done: bool = False) -> None:
        if not self.enabled:
            return
        text = self._text(phase, done)
        if self._notebook:
            from IPython.display import HTML, display  # type: ignore[import-not-found]

            html = HTML(f"<code>{text}</code>")
            if self._handle is None:
                self._handle = display(html, display_id=True)
            else:
                self._handle.update(html)
            return
        # Pad to erase the tail of a longer previous line.
        sys.stderr.write("\r" + text.ljust(self._width))
        self._width = len(text)
        if done:
            sys.stderr.write("\n")
        sys.stderr.flush()
