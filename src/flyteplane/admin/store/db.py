"""The admin's database handle: one engine, write transactions, read connections.

SQLite is the default (a file under the state directory, or memory for tests); the same code runs on any
SQLAlchemy dialect, so PostgreSQL is a URL away.

Durability: a file database runs in WAL mode with ``synchronous=FULL``, so a write is on disk when its
transaction commits, which happens before the RPC answers. A killed process loses nothing it acknowledged.
Writers are serialized by one lock: SQLite allows one writer anyway, and queueing in Python is cheaper and
fairer than retrying on SQLITE_BUSY.

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
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas(file_backed=not self.in_memory))
        with self.begin() as conn:
            apply_migrations(conn)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: commits on success, rolls back on any exception (:class:`StorageFull` if the
        disk is full)."""
        try:
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        except OperationalError as e:
            if not _is_full(e):
                raise
            log.error("a write to the admin's database failed: %s", e.orig)  # one line: no traceback to add
            raise StorageFull() from None

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


def _sqlite_pragmas(*, file_backed: bool):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if file_backed:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    return on_connect
