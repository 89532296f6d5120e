"""Tokens cached across processes: the OS keyring when usable, else a file only the user can read.

* Keyring: the ``keyring`` package (the ``flyteplane[keyring]`` extra), service ``flyteplane``, one entry per
  endpoint holding :meth:`Credentials.to_json`. Used only when the package imports and its backend is a real one
  (not ``fail``/``null``); a locked or broken keyring (any ``keyring.errors.*`` or other exception) falls back to
  the file for the rest of the process, with one log line, never an exception (flyte#4354).
* File: ``~/.flyteplane/tokens/<sha256(endpoint)>.json``, created with mode 0600 in a 0700 directory, replaced
  atomically so a concurrent reader never sees half a file.

Next to a keyring entry a ``<sha256(endpoint)>.keyring`` marker (no secret in it) says that a token exists, so a
client can tell whether to send one proactively without importing ``keyring`` (see ``clients/raw.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flyteplane.clients.auth.credentials import Credentials

__all__ = [
    "DefaultTokenCache",
    "FileTokenCache",
    "KeyringTokenCache",
    "MemoryTokenCache",
    "TokenCache",
    "cache_dir",
    "cache_key",
    "usable_keyring",
]

log = logging.getLogger("flyteplane.clients.auth")

KEYRING_SERVICE = "flyteplane"


def cache_dir() -> Path:
    """Where token files and keyring markers live: ``~/.flyteplane/tokens``."""
    return Path.home() / ".flyteplane" / "tokens"


def cache_key(endpoint: str) -> str:
    """The file name stem for an endpoint: a hash, so endpoints with ``:`` or ``/`` make valid, fixed-size names."""
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


class TokenCache(Protocol):
    """Where credentials survive the process. Implementations never raise for storage trouble."""

    def load(self, endpoint: str) -> Credentials | None: ...

    def store(self, endpoint: str, credentials: Credentials) -> None: ...

    def delete(self, endpoint: str) -> None: ...

    def describe(self) -> str: ...


class MemoryTokenCache:
    """A per-process cache (tests, or ``cache=MemoryTokenCache()`` to keep tokens off the disk)."""

    def __init__(self) -> None:
        self._items: dict[str, Credentials] = {}

    def load(self, endpoint: str) -> Credentials | None:
        return self._items.get(endpoint)

    def store(self, endpoint: str, credentials: Credentials) -> None:
        self._items[endpoint] = credentials

    def delete(self, endpoint: str) -> None:
        self._items.pop(endpoint, None)

    def describe(self) -> str:
        return "memory"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the user only (0600), atomically."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600 from the start: the token never sits in a wider-open file, not even briefly.
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class FileTokenCache:
    """``<directory>/<sha256(endpoint)>.json``, mode 0600."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()

    def path(self, endpoint: str) -> Path:
        return self.directory / f"{cache_key(endpoint)}.json"

    def load(self, endpoint: str) -> Credentials | None:
        path = self.path(endpoint)
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None
        if os.name == "posix" and mode & 0o077:
            # Someone widened it; narrow it again rather than keep a token others can read.
            log.warning("token cache file %s was readable by others; setting it to 0600", path)
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
        return Credentials.from_json(text)

    def store(self, endpoint: str, credentials: Credentials) -> None:
        try:
            _write_private(self.path(endpoint), credentials.to_json())
        except OSError as e:
            # A read-only home directory costs a login per process, not a failed call.
            log.warning("could not cache the token in %s: %s", self.directory, e.strerror or type(e).__name__)

    def delete(self, endpoint: str) -> None:
        with contextlib.suppress(OSError):
            self.path(endpoint).unlink()

    def describe(self) -> str:
        return f"file {self.directory}"


def usable_keyring() -> Any | None:
    """The keyring backend if the ``keyring`` package imports and has a real backend; else None. Never raises."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            return None
        # A chainer with nothing behind it behaves like the fail backend.
        if type(backend).__name__ == "ChainerBackend" and not getattr(backend, "backends", None):
            return None
        return backend
    except Exception as e:  # ImportError, keyring.errors.*, backend initialisation failures: all mean "no keyring"
        log.debug("no usable keyring (%s)", type(e).__name__)
        return None


class KeyringTokenCache:
    """One keyring entry per endpoint (service ``flyteplane``, user name the endpoint). Raises backend errors."""

    def __init__(self, backend: Any, marker_directory: str | Path | None = None) -> None:
        self.backend = backend
        self.marker_directory = Path(marker_directory) if marker_directory is not None else cache_dir()

    def marker(self, endpoint: str) -> Path:
        return self.marker_directory / f"{cache_key(endpoint)}.keyring"

    def load(self, endpoint: str) -> Credentials | None:
        text = self.backend.get_password(KEYRING_SERVICE, endpoint)
        return Credentials.from_json(text) if text else None

    def store(self, endpoint: str, credentials: Credentials) -> None:
        self.backend.set_password(KEYRING_SERVICE, endpoint, credentials.to_json())
        try:
            _write_private(self.marker(endpoint), '{"store": "keyring"}\n')
        except OSError:
            pass  # Without the marker a new client only waits for the first UNAUTHENTICATED to use the entry.

    def delete(self, endpoint: str) -> None:
        with contextlib.suppress(OSError):
            self.marker(endpoint).unlink()
        try:
            self.backend.delete_password(KEYRING_SERVICE, endpoint)
        except Exception as e:  # PasswordDeleteError when there is none: nothing to delete is fine
            log.debug("keyring delete: %s", type(e).__name__)

    def describe(self) -> str:
        return f"keyring {type(self.backend).__module__}.{type(self.backend).__name__}"


class DefaultTokenCache:
    """The keyring if usable, else (and after any keyring failure) the 0600 file. Never raises.

    Args:
        directory: for the file and the markers (default ``~/.flyteplane/tokens``).
        use_keyring: False to skip the keyring; None to use it when :func:`usable_keyring` finds one.
    """

    def __init__(self, directory: str | Path | None = None, *, use_keyring: bool | None = None) -> None:
        self.file = FileTokenCache(directory)
        self._keyring: KeyringTokenCache | None = None
        if use_keyring is not False:
            backend = usable_keyring()
            if backend is not None:
                self._keyring = KeyringTokenCache(backend, self.file.directory)

    def _keyring_failed(self, action: str, error: BaseException) -> None:
        # Only the exception's type: a backend's message could quote what it was given.
        log.info(
            "keyring unusable (%s while trying to %s a token); using %s instead",
            type(error).__name__,
            action,
            self.file.describe(),
        )
        self._keyring = None

    def load(self, endpoint: str) -> Credentials | None:
        found: list[Credentials] = []
        if self._keyring is not None:
            try:
                creds = self._keyring.load(endpoint)
                if creds is not None:
                    found.append(creds)
            except Exception as e:
                self._keyring_failed("read", e)
        creds = self.file.load(endpoint)
        if creds is not None:
            found.append(creds)
        # Both can exist when the keyring was unusable for a while; the newer token is the one to use.
        return max(found, key=lambda c: c.issued_at) if found else None

    def store(self, endpoint: str, credentials: Credentials) -> None:
        if self._keyring is not None:
            try:
                self._keyring.store(endpoint, credentials)
            except Exception as e:
                self._keyring_failed("store", e)
            else:
                self.file.delete(endpoint)  # an older token file would only be a second copy to leak
                return
        self.file.store(endpoint, credentials)

    def delete(self, endpoint: str) -> None:
        if self._keyring is not None:
            try:
                self._keyring.delete(endpoint)
            except Exception as e:
                self._keyring_failed("delete", e)
        self.file.delete(endpoint)

    def describe(self) -> str:
        return self._keyring.describe() if self._keyring is not None else self.file.describe()
