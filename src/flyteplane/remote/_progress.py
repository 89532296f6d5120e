"""What FlyteRemote shows while it waits: one updating line in a terminal (or cell in a notebook) for ``wait``,
a byte counter for large uploads and downloads.

Nothing is shown when output goes to a file or a pipe (logs stay clean), unless asked for.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["TransferProgress", "WaitDisplay", "in_notebook"]

# Below this size a transfer's progress bar would flash and vanish.
_PROGRESS_MIN_BYTES = 4 << 20


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
        padded = text.ljust(self._width)
        self._width = len(text)  # before writing: a Ctrl-C inside the write still leaves a line to end
        sys.stderr.write("\r" + padded)
        if done:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def interrupted(self, how_to_terminate: str) -> None:
        """End the line after Ctrl-C: the wait stopped, the execution did not (``how_to_terminate`` says how)."""
        if not self.enabled:
            return
        text = f"stopped waiting for {self.name}: it keeps running; {how_to_terminate}"
        if self._notebook:
            from IPython.display import HTML, display  # type: ignore[import-not-found]

            html = HTML(f"<code>{text}</code>")
            if self._handle is None:
                display(html)
            else:
                self._handle.update(html)
            return
        if self._width:
            sys.stderr.write("\n")  # the progress line stays as it was, ^C and all; the note goes below it
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


class TransferProgress:
    """A one-line byte counter on stderr, drawn only in a terminal and only for transfers worth watching."""

    def __init__(self, label: str, total: int, enabled: bool | None) -> None:
        if enabled is None:
            enabled = total >= _PROGRESS_MIN_BYTES and sys.stderr.isatty()
        self.enabled = enabled
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done / 2**20:.1f}/{self.total / 2**20:.1f} MiB"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
