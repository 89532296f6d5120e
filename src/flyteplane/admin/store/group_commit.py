"""Group commit: concurrent write transactions share one database transaction, and so one fsync.

A file database commits with ``synchronous=FULL``: every commit waits for an fsync (milliseconds on most disks),
and SQLite allows one writer at a time. Committing each write on its own makes every writer queue behind the
fsyncs of all the writers before it. Here writers still take turns (one runs its body at a time, on one shared
connection), but a write does not commit by itself:

* the first writer of a *batch* opens a transaction; each writer runs inside a SAVEPOINT of it, released when its
  body succeeds, rolled back when its body raises, so a failing write changes nothing and fails alone, with its
  own error, while the writes before and after it in the batch go on;
* a writer that finds no other writer waiting for its turn (or the batch full) commits the batch: one COMMIT, one
  fsync, for every write in it. Writers that arrive meanwhile wait for the turn and form the next batch;
* a writer leaves :meth:`GroupCommit.write` only once its batch has committed, so whatever answers a client after
  a write answers after the write is on disk: a killed process loses nothing it acknowledged.

If the batch itself is lost (its COMMIT fails, or SQLite rolled the whole transaction back after a full disk or an
I/O error inside one writer's body), every write of the batch fails, each writer with an error of its own (the
database's full-disk error, or :class:`BatchLost` naming the cause); none of them is on disk, none is answered as
done. A single writer's latency is unchanged (its batch is itself); under contention the fsyncs are shared.

This is the classic group commit of database servers (PostgreSQL's ``commit_delay``/``commit_siblings``, MySQL's
binlog group commit) without any delay: batches form from writers that are already waiting.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Connection, Engine

__all__ = ["DEFAULT_MAX_BATCH", "BatchLost", "GroupCommit", "GroupCommitStats", "Savepoint"]

DEFAULT_MAX_BATCH = 64
"""Writes in one batch at most: a steady stream of writers still commits (and answers) at least this often."""


class BatchLost(RuntimeError):
    """A write had succeeded, but the transaction it shared with other writes could not be committed."""


class GroupCommitStats:
    """Counters of one :class:`GroupCommit` (read by tests and benchmarks; updated under the writers' turn)."""

    __slots__ = ("commits", "failed_writes", "lost_batches", "writes")

    def __init__(self) -> None:
        self.writes = 0
        """Writes whose bodies succeeded (committed or lost with their batch)."""
        self.failed_writes = 0
        """Writes whose bodies raised (rolled back to their savepoint)."""
        self.commits = 0
        """Batches committed: one fsync each."""
        self.lost_batches = 0
        """Batches whose commit failed or whose transaction was rolled back under them."""


class Savepoint:
    """A SAVEPOINT of ``conn``'s open transaction, by plain SQL: :meth:`commit` releases it, :meth:`rollback` undoes
    what ran since and releases it.

    SQLAlchemy's ``Connection.begin_nested()`` does the same with statement objects it compiles and caches per
    call: ~180 µs a SAVEPOINT/RELEASE pair on this project's machine against ~30 µs as plain SQL, and every write
    takes at least one pair (a CreateExecution and its engine events ~35). The names are unique per connection,
    so nested savepoints release in any order SQL allows."""

    __slots__ = ("_conn", "_name")
    _counter = itertools.count()

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._name = f"sp{next(Savepoint._counter)}"
        conn.exec_driver_sql(f"SAVEPOINT {self._name}")

    def commit(self) -> None:
        self._conn.exec_driver_sql(f"RELEASE SAVEPOINT {self._name}")

    def rollback(self) -> None:
        self._conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self._name}")
        self._conn.exec_driver_sql(f"RELEASE SAVEPOINT {self._name}")


class _Batch:
    __slots__ = ("conn", "done", "error", "writers")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.writers = 0  # successful writes waiting for this batch's commit
        self.done = threading.Event()
        self.error: BaseException | None = None


class GroupCommit:
    """Write transactions on ``engine`` that commit in batches (see the module docstring).

    Args:
        engine: the database. For SQLite its connections must not open transactions by themselves (pysqlite's
            ``isolation_level=None``); ``begin_sql`` then opens each batch.
        begin_sql: the statement that opens a batch's transaction (``"BEGIN IMMEDIATE"`` for SQLite), or ``None``
            where the driver opens transactions itself (PostgreSQL).
        translate: maps the error a lost batch died of to the error each of its writers raises (the store turns a
            full disk into ``StorageFull``); returns ``None`` for "no particular meaning" (:class:`BatchLost`).
        max_batch: writes in one batch at most (1: every write commits by itself, still in a savepoint).
        turn: the lock writers take turns on (default: a lock of its own); the in-memory store passes the lock its
            readers take as well, since they share the writers' one connection.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        begin_sql: str | None,
        translate: Callable[[BaseException], BaseException | None] = lambda _e: None,
        max_batch: int = DEFAULT_MAX_BATCH,
        turn: threading.Lock | threading.RLock | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._engine = engine
        self._begin_sql = begin_sql
        self._translate = translate
        self._max_batch = max_batch
        self._turn = (
            turn if turn is not None else threading.Lock()
        )  # held by the writer whose body runs (and by the one committing)
        self._waiting_lock = threading.Lock()
        self._waiting = 0  # writers waiting for the turn
        self._batch: _Batch | None = None  # the open batch (only touched by the turn's holder)
        self._owner: int | None = None  # thread holding the turn (a nested write joins its transaction)
        self.stats = GroupCommitStats()

    def write(self) -> _Write:
        """A context manager: the connection of a write transaction. Leaving it normally returns once the write is
        committed (on disk); an exception inside rolls back this write only and propagates."""
        return _Write(self)

    # --- the turn ------------------------------------------------------------------------------------------------

    def _acquire(self) -> None:
        with self._waiting_lock:
            self._waiting += 1
        self._turn.acquire()
        with self._waiting_lock:
            self._waiting -= 1
        self._owner = threading.get_ident()

    def _release(self, batch: _Batch | None) -> None:
        """End this writer's turn: commit the batch unless another writer is about to join it."""
        try:
            if batch is not None and batch is self._batch:
                with self._waiting_lock:
                    others = self._waiting
                if batch.writers == 0 and others == 0:
                    self._close(batch, None)  # nothing to commit (only failed writes)
                elif others == 0 or batch.writers >= self._max_batch:
                    self._commit(batch)
        finally:
            self._owner = None
            self._turn.release()

    def _open(self) -> _Batch:
        conn = self._engine.connect()
        try:
            if self._begin_sql is not None:
                conn.exec_driver_sql(self._begin_sql)
            else:
                conn.begin()
        except BaseException:
            conn.close()
            raise
        batch = self._batch = _Batch(conn)
        return batch

    def _commit(self, batch: _Batch) -> None:
        try:
            batch.conn.commit()
        except BaseException as e:  # every writer of the batch (the committer too) is told
            self._close(batch, e)
            return
        self.stats.commits += 1
        self._close(batch, None)

    def _close(self, batch: _Batch, error: BaseException | None) -> None:
        """Finish ``batch``: roll back whatever is uncommitted, return the connection, wake its writers."""
        if error is not None:
            batch.error = error
            self.stats.lost_batches += 1
        self._batch = None
        try:
            if error is not None:
                _discard(batch.conn)
            batch.conn.close()  # rolls back an uncommitted transaction
        finally:
            batch.done.set()

    def _lost(self, error: BaseException) -> BaseException:
        """The error one writer of a lost batch raises (a fresh instance per writer)."""
        translated = self._translate(error)
        if translated is not None:
            return translated
        return BatchLost(f"the write could not be committed with its batch: {error!r}")


class _Write:
    """One write transaction of a :class:`GroupCommit` (the object ``with group.write() as conn`` enters)."""

    __slots__ = ("_batch", "_group", "_nested", "_savepoint")

    def __init__(self, group: GroupCommit) -> None:
        self._group = group
        self._batch: _Batch | None = None
        self._savepoint: Savepoint | None = None
        self._nested = False

    def __enter__(self) -> Connection:
        group = self._group
        if group._owner == threading.get_ident() and group._batch is not None:
            # A write inside a write of the same thread: a savepoint of the same transaction, committed with it.
            self._nested = True
            self._batch = group._batch
            self._savepoint = Savepoint(self._batch.conn)
            return self._batch.conn
        group._acquire()
        try:
            batch = group._batch if group._batch is not None else group._open()
            self._batch = batch
            self._savepoint = Savepoint(batch.conn)
        except BaseException:
            group._release(self._batch)
            raise
        return batch.conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        group, batch, savepoint = self._group, self._batch, self._savepoint
        assert batch is not None and savepoint is not None
        if self._nested:
            if exc is None:
                savepoint.commit()
            else:
                savepoint.rollback()
            return
        if exc is None:
            try:
                savepoint.commit()  # RELEASE: the write is now part of the batch
            except BaseException as e:
                group._close(batch, e)
                group._release(None)
                raise
            batch.writers += 1
            group.stats.writes += 1
            group._release(batch)
            batch.done.wait()  # the batch's commit: on disk, or lost
            if batch.error is not None:
                raise group._lost(batch.error) from batch.error
            return
        group.stats.failed_writes += 1
        try:
            savepoint.rollback()  # this write only; the batch goes on
            if not _in_transaction(batch.conn):
                raise BatchLost("the database rolled back the whole transaction")
        except BaseException as e:  # the transaction is gone (SQLite rolled it back): so is the batch
            group._close(batch, exc)
            group._release(None)
            raise exc from e
        group._release(batch)


def _discard(conn: Connection) -> None:
    """Undo whatever a failed batch left open on its connection, so that the pool never hands it out inside a
    transaction; a connection that cannot even roll back is dropped. (SQLAlchemy does not roll back on close
    after a failed COMMIT, and the in-memory database's one connection must be kept: it *is* the database.)"""
    try:
        with contextlib.suppress(Exception):
            conn.rollback()
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and getattr(dbapi, "in_transaction", False):
            dbapi.rollback()
    except Exception:
        conn.invalidate()


def _in_transaction(conn: Connection) -> bool:
    """Whether the driver's connection still has its transaction open. SQLite rolls a whole transaction back by
    itself after some errors (a full disk, an I/O error); a savepoint cannot survive that."""
    dbapi = conn.connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", True))
