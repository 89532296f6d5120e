"""The sandbox's local secret store: what Kubernetes secrets are to a Flyte cluster.

On a cluster a task's ``secret_requests`` name Kubernetes secrets (``group``) and keys inside them (``key``), which
propeller's secrets webhook (``flytepropeller/pkg/webhook/k8s_secrets.go``) mounts into the task's pod. Here the
secrets live in the admin's state directory, one file per secret: ``<root>/<group>/<key>``, files ``0600`` in
``0700`` directories, whatever the umask. ``flyteplane secrets`` writes them; the engine reads them when an attempt
starts (so an admin that is already running sees secrets set after it started). Nothing else reads them: no RPC
returns a value and nothing logs one.

Only the standard library is used: ``flyteplane secrets`` must start fast.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["SECRETS_DIR", "InvalidSecretName", "SecretStore", "check_secret_name"]

SECRETS_DIR = "secrets"
"""The store's directory in the state directory."""

_DIR_MODE = 0o700
_FILE_MODE = 0o600


class InvalidSecretName(ValueError):
    """A group or key that cannot name a file of the store (a path separator, ``..``, empty)."""


def check_secret_name(what: str, name: str) -> str:
    """``name`` if it can be a secret's group or key, else :class:`InvalidSecretName` saying why.

    A name is one path component: no ``/`` (nor the platform's other separator), no ``..`` anywhere, not ``.``, no
    NUL, not empty, and no leading dot (the store's own temporary files start with one)."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    if not name:
        raise InvalidSecretName(f"the secret's {what} is empty")
    if any(sep in name for sep in separators) or ".." in name:
        raise InvalidSecretName(f"the secret's {what} [{name}] holds a path separator or '..'; use a plain name")
    if name.startswith(".") or "\0" in name:
        raise InvalidSecretName(f"the secret's {what} [{name}] may not start with '.' nor hold a NUL character")
    return name


class SecretStore:
    """The secrets under ``root`` (usually ``<state dir>/secrets``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, group: str, key: str) -> Path:
        return self.root / check_secret_name("group", group) / check_secret_name("key", key)

    @staticmethod
    def _private_dir(path: Path) -> None:
        path.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        if stat.S_IMODE(path.stat().st_mode) != _DIR_MODE:
            path.chmod(_DIR_MODE)

    def set(self, group: str, key: str, value: bytes) -> None:
        """Store ``value`` as ``group``/``key``, replacing any earlier value atomically (a task starting meanwhile
        reads the old value or the new one, never half of one)."""
        path = self._path(group, key)
        if not self.root.parent.exists():  # a state directory made here is as private as the sandbox makes it
            self.root.parent.mkdir(mode=_DIR_MODE, parents=True)
        self._private_dir(self.root)
        self._private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".", dir=path.parent)  # mkstemp makes it 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(value)
            os.chmod(tmp, _FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def get(self, group: str, key: str) -> bytes | None:
        """The value of ``group``/``key``; None if there is no such secret."""
        path = self._path(group, key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def list(self) -> list[tuple[str, str]]:
        """Every ``(group, key)`` in the store, sorted; never the values."""
        found: list[tuple[str, str]] = []
        if not self.root.is_dir():
            return found
        for group in self.root.iterdir():
            if not group.is_dir() or group.name.startswith("."):
                continue
            for key in group.iterdir():
                if key.is_file() and not key.name.startswith("."):
                    found.append((group.name, key.name))
        return sorted(found)

    def delete(self, group: str, key: str) -> bool:
        """Remove ``group``/``key``; False if there was no such secret. An emptied group goes too."""
        path = self._path(group, key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        with contextlib.suppress(OSError):  # not empty: other keys remain
            path.parent.rmdir()
        return True
