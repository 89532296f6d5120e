"""Where task attempts' stdout/stderr go, and the names under which the admin's HTTP side serves them.

Each attempt writes one plain-text file ``<logs dir>/<name>``; the task execution's log link is
``<http endpoint>/logs/<name>`` (the ``GET /logs/<name>`` route of :mod:`flyteplane.admin.http`), or the file's
``file://`` URL while no HTTP side is bound. Names are flat: ``[A-Za-z0-9_-]`` characters and the ``.log`` suffix
(no ``/``, no ``..``), so the route checks a name with a regular expression and never reaches outside the
directory.

The directory is ``<state_dir>/logs`` when the admin keeps state, else a temporary directory removed with the
store (:meth:`LogStore.close`, or when it is garbage collected).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flyteplane.admin.config import AdminConfig

__all__ = ["LOGS_PATH", "LogStore"]

LOGS_PATH = "/logs/"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,200}\.log")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class LogStore:
    """The log files of one admin.

    Args:
        root: the directory holding the files; ``None``: a new temporary directory owned by this store.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self._owned_tmp: str | None = None
        if root is None:
            self._owned_tmp = tempfile.mkdtemp(prefix="flyteplane-logs-")
            root = self._owned_tmp
        self.dir = Path(root).expanduser().resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._finalizer = (
            weakref.finalize(self, shutil.rmtree, self._owned_tmp, ignore_errors=True)
            if self._owned_tmp is not None
            else None
        )

    @classmethod
    def for_config(cls, config: AdminConfig) -> LogStore:
        """The log store of an admin with ``config``: ``logs/`` under its state directory, else a temporary one."""
        return cls(Path(config.state_dir) / "logs" if config.state_dir is not None else None)

    def close(self) -> None:
        """Delete the temporary directory, if this store made one."""
        if self._finalizer is not None:
            self._finalizer()

    @staticmethod
    def name_for(*parts: str | int) -> str:
        """A flat, safe file name for the log of the attempt ``parts`` (project, domain, execution, node, attempt).

        Unsafe characters become ``_``; a short digest of the exact parts keeps names of different attempts apart
        even when their sanitized forms collide or are cut to length.
        """
        text = "\x00".join(str(p) for p in parts)
        digest = hashlib.sha256(text.encode()).hexdigest()[:10]
        readable = _UNSAFE.sub("_", "-".join(str(p) for p in parts)).strip("_-")[:150] or "attempt"
        return f"{readable}-{digest}.log"

    def path_of(self, name: str) -> Path | None:
        """The file of a log name, or None if the name is not one this store makes (so nothing outside the
        directory is ever named)."""
        if not _NAME.fullmatch(name):  # one dot only, before "log": no "..", no "/"
            return None
        return self.dir / name

    def url(self, name: str, http_endpoint: str | None) -> str:
        """The link clients follow: the HTTP route when the admin serves HTTP, else the file itself."""
        if http_endpoint:
            return f"{http_endpoint.rstrip('/')}{LOGS_PATH}{name}"
        return (self.dir / name).as_uri()

    def __repr__(self) -> str:
        return f"LogStore({self.dir})"
