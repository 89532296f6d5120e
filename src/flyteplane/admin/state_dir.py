"""The admin's state directory: private to its user, and used by one admin process at a time.

**Private.** The directory holds the database (every execution's inputs and outputs), the blobs, the task logs, the
data proxy's signing key and the auth keys, so it is made ``0700``: other local users cannot even list it, whatever the
modes of the files inside. A directory left ``0755`` by an older flyteplane is tightened the same way when it is ours.
The database file is made ``0600`` before SQLite opens it (SQLite gives its ``-wal`` and ``-shm`` files the database
file's mode). ``flyteplane sandbox`` additionally sets its umask to ``077``, so every file the admin and its task
processes (which inherit the umask) write is ``0600``; an embedding program's umask is its own business, and the
``0700`` directory keeps its files private regardless.

**One admin.** A second admin on the same directory would take the first one's runs for its own earlier runs: at
start it ends them as Flyte Admin does after a restart (the engine's ``settle``), killing their task processes while
the first admin still runs them. :class:`StateDirLock` holds an exclusive ``flock`` on ``admin.lock`` in the directory
for the admin's lifetime and writes its PID and addresses there, so the second admin refuses with a message naming
the first. The kernel drops the lock when its process ends, however it ends, so a lock file left by a process that is
gone is simply taken over.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOCK_FILE", "LockHolder", "StateDirInUse", "StateDirLock", "prepare_state_dir", "private_file"]

log = logging.getLogger("flyteplane.admin")

LOCK_FILE = "admin.lock"
"""The lock file's name in the state directory."""

_DIR_MODE = 0o700
_FILE_MODE = 0o600


@dataclass(frozen=True)
class LockHolder:
    """What the admin holding a state directory wrote in its lock file."""

    pid: int | None
    grpc: str | None
    """The gRPC ``host:port``, once it listens."""
    http: str | None
    """The HTTP side's URL, once it listens."""

    def describe(self) -> str:
        """``PID 123, gRPC on 127.0.0.1:30080, HTTP on http://127.0.0.1:30081`` (what is known of it)."""
        parts = [f"PID {self.pid}" if self.pid is not None else "PID unknown"]
        if self.grpc:
            parts.append(f"gRPC on {self.grpc}")
        if self.http:
            parts.append(f"HTTP on {self.http}")
        if not self.grpc and not self.http:
            parts.append("still starting")
        return ", ".join(parts)


class StateDirInUse(OSError):
    """Another admin process holds the state directory."""

    def __init__(self, state_dir: Path, holder: LockHolder) -> None:
        super().__init__(
            errno.EBUSY, f"state directory {state_dir} is in use by another flyteplane admin ({holder.describe()})"
        )
        self.state_dir = state_dir
        self.holder = holder

    def __str__(self) -> str:
        return str(self.strerror)


def prepare_state_dir(path: Path) -> None:
    """Make ``path`` (and missing parents) ``0700``; tighten it to ``0700`` if it exists, is ours and is wider."""
    path.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        log.warning("state directory %s was readable by other users; making it private (0700)", path)
        path.chmod(_DIR_MODE)


def private_file(path: Path, create: bool = True) -> None:
    """Create ``path`` as ``0600`` if missing (and ``create``), else make it ``0600`` (a file from before state
    directories were private)."""
    try:
        fd = os.open(path, (os.O_CREAT if create else 0) | os.O_RDWR | os.O_CLOEXEC, _FILE_MODE)
    except FileNotFoundError:
        return
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != _FILE_MODE:
            os.fchmod(fd, _FILE_MODE)
    finally:
        os.close(fd)


class StateDirLock:
    """The exclusive lock of one admin process on its state directory (see the module's docstring)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> StateDirLock:
        """Take the lock and write this process's PID.

        Raises:
            StateDirInUse: another process holds it; the exception names that process's PID and addresses.
        """
        # O_CLOEXEC: task processes must not inherit the lock, or it would outlive the admin that took it.
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, _FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StateDirInUse(self.state_dir, holder) from None
        except BaseException:
            os.close(fd)
            raise
        previous = _read_holder(fd)
        if previous.pid is not None and previous.pid != os.getpid():
            log.info("state directory %s: taking over the lock of PID %s, which is gone", self.state_dir, previous.pid)
        self._fd = fd
        self._write(LockHolder(os.getpid(), None, None))
        return self

    def announce(self, grpc: str, http: str) -> None:
        """Write the addresses this admin listens on, for the message a second admin shows."""
        self._write(LockHolder(os.getpid(), grpc, http))

    def release(self) -> None:
        """Drop the lock. The file stays: deleting it could race with another admin opening it."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _write(self, holder: LockHolder) -> None:
        assert self._fd is not None
        data = json.dumps({"pid": holder.pid, "grpc": holder.grpc, "http": holder.http}).encode() + b"\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)


def _read_holder(fd: int) -> LockHolder:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode()) if raw.strip() else {}
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    pid = data.get("pid")
    grpc, http = data.get("grpc"), data.get("http")
    return LockHolder(
        pid if isinstance(pid, int) else None,
        grpc if isinstance(grpc, str) else None,
        http if isinstance(http, str) else None,
    )
