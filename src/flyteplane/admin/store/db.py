"""The admin's database handle: one engine, write transactions, read connections.

SQLite is the default (a file under the state directory, or memory for tests); the same code runs on any
SQLAlchemy dialect, so PostgreSQL is a URL away.

Durability: a file database runs in WAL mode with ``synchronous=FULL``, so a write is on disk when its
transaction commits, which happens before the RPC answers. A killed process loses nothing it acknowledged.
Writers take turns (SQLite allows one writer anyway, and queueing in Python is cheaper and fairer than retrying on
SQLITE_BUSY), and concurrent writers share commits (:mod:`.group_commit`): each write runs in a savepoint of a
transaction that commits, with one fsync, once no other writer is waiting to join it; a write returns only after
that commit. The in-memory database has no fsync to share and one connection for everybody: its writes commit one
by one (each still in a savepoint) under a lock its readers take too.

A full disk (SQLite's SQLITE_FULL, PostgreSQL's ``disk_full``) makes a write transaction raise :class:`StorageFull`,
a RESOURCE_EXHAUSTED :class:`~flyteplane.admin.errors.AdminError` with a plain message, logged as one line; the
transaction rolls back and reads keep working.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store.group_commit import DEFAULT_MAX_BATCH, GroupCommit, GroupCommitStats
from flyteplane.admin.store.migrations import apply_migrations

__all__ = ["StorageFull", "Store", "Tx"]

log = logging.getLogger("flyteplane.admin.store")

_SQLITE_FULL = 13  # SQLite's result code "database or disk is full"
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full


class StorageFull(AdminError):
    """A write found the database's disk full (or the database at its size limit): RESOURCE_EXHAUSTED."""

    def __init__(self) -> None:
        super().__init__(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "the admin's database is full: free disk space where the admin keeps its state, then retry",
        )


def _is_full(error: OperationalError) -> bool:
    orig = error.orig
    if getattr(orig, "sqlite_errorcode", None) == _SQLITE_FULL or getattr(orig, "pgcode", None) == _PG_DISK_FULL:
        return True
    return "database or disk is full" in str(orig)


Tx = Connection
"""An open transaction (or read connection), as repositories take it. Callers outside ``store/`` only pass it
from :meth:`Store.begin` / :meth:`Store.read` to repository methods, so that several repository calls commit
together; they never run SQL on it."""


class Store:
    """Owns the engine. ``Store(None)`` is an in-memory database; ``Store(path)`` a SQLite file;
    ``Store(url="postgresql://...")`` any SQLAlchemy URL."""

    def __init__(self, path: str | Path | None = None, *, url: str | None = None) -> None:
        """Open (and migrate) the database; see the class docstring for ``path`` and ``url``."""
        self._write_lock = threading.RLock()
        self.in_memory = path is None and url is None
        # Readers of the in-memory database share its one connection, so they take the same lock as writers.
        self._shared_lock: threading.RLock | None = self._write_lock if self.in_memory else None
        if url is not None:
            self.engine: Engine = create_engine(url)
        elif path is None:
            # One shared connection: an in-memory SQLite database exists only inside the connection that made it.
            self.engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(
                f"sqlite:///{path}",
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=8,
                max_overflow=8,
            )
        sqlite = self.engine.dialect.name == "sqlite"
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas(file_backed=not self.in_memory))
        # SQLite: each batch opens its transaction itself (pysqlite's own would start only at the first INSERT,
        # after the savepoint, and releasing that savepoint would then commit on its own). The in-memory database
        # commits every write at once (nothing to share: no fsync), under the lock its readers take too.
        self._group = GroupCommit(
            self.engine,
            begin_sql="BEGIN IMMEDIATE" if sqlite else None,
            translate=_lost,
            max_batch=1 if self.in_memory else DEFAULT_MAX_BATCH,
            turn=self._write_lock if self.in_memory else None,
        )
        with self.begin() as conn:
            apply_migrations(conn)

    @property
    def commit_stats(self) -> GroupCommitStats:
        """Writes and commits so far."""
        return self._group.stats

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: commits on success (returning once the write is on disk), rolls back on any
        exception (:class:`StorageFull` if the disk is full); a failed write never undoes another."""
        try:
            with self._group.write() as conn:
                yield conn
        except OperationalError as e:
            full = _full_cause(e)
            if full is None:
                raise
            raise _storage_full(full) from None

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (no lock for file databases: WAL lets readers run beside the writer)."""
        if self._shared_lock is not None:
            with self._shared_lock, self.engine.connect() as conn:
                yield conn
        else:
            with self.engine.connect() as conn:
                yield conn

    def close(self) -> None:
        self.engine.dispose()


def _storage_full(error: OperationalError) -> StorageFull:
    log.error("a write to the admin's database failed: %s", error.orig)  # one line: no traceback to add
    return StorageFull()


def _full_cause(error: BaseException) -> OperationalError | None:
    """The full-disk error ``error`` is, or arose from: after SQLITE_FULL, SQLite may roll the whole transaction
    back, and undoing a savepoint then fails with "no such savepoint", hiding the full disk behind it."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OperationalError) and _is_full(current):
            return current
        pending += [current.__cause__, current.__context__]
    return None


def _lost(error: BaseException) -> BaseException | None:
    """What each writer of a batch that died of ``error`` raises: StorageFull for a full disk."""
    if isinstance(error, StorageFull):
        return StorageFull()
    full = _full_cause(error)
    return _storage_full(full) if full is not None else None


def _sqlite_pragmas(*, file_backed: bool):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # transactions are opened explicitly (see Store.__init__)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if file_backed:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    return on_connect
