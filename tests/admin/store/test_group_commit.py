"""Group commit (store/group_commit.py): concurrent writes share one commit, a failed write fails alone, a lost
batch fails every write in it, and nothing is answered before it is committed. Real SQLite files, real threads."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from flyteplane.admin.store.db import StorageFull, Store
from flyteplane.admin.store.group_commit import BatchLost, GroupCommit


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "admin.db")
    with store.begin() as tx:
        tx.execute(text("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    return store


def _insert(store: Store, key: int, value: str = "x") -> None:
    with store.begin() as tx:
        tx.execute(text("INSERT INTO kv VALUES (:k, :v)"), {"k": key, "v": value})


def _keys(path: Path) -> list[int]:
    """What a fresh connection finds on disk (not the store's own connections)."""
    conn = sqlite3.connect(path)
    try:
        return [k for (k,) in conn.execute("SELECT k FROM kv ORDER BY k")]
    finally:
        conn.close()


def _wait_for_waiters(store: Store, count: int) -> None:
    group = store._group
    assert group is not None
    deadline = time.monotonic() + 10
    while group._waiting < count:
        assert time.monotonic() < deadline, "the other writers never queued"
        time.sleep(0.001)


def _held_writer(store: Store, release: threading.Event, key: int) -> threading.Thread:
    """A writer that holds the turn (its body blocks) until ``release``: the writers started meanwhile queue."""

    def run() -> None:
        with store.begin() as tx:
            tx.execute(text("INSERT INTO kv VALUES (:k, 'held')"), {"k": key})
            release.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_lone_write_commits_at_once_and_is_on_disk_when_it_returns(store: Store, tmp_path: Path) -> None:
    stats = store.commit_stats
    before = stats.commits
    _insert(store, 1)
    assert stats.commits == before + 1
    assert _keys(tmp_path / "admin.db") == [1]


def test_queued_writers_share_one_commit_and_all_are_on_disk(store: Store, tmp_path: Path) -> None:
    stats = store.commit_stats
    release = threading.Event()
    holder = _held_writer(store, release, 0)
    _wait_for_waiters(store, 0)
    while store._group is not None and store._group._owner is None:
        time.sleep(0.001)
    before = stats.commits
    writers = [threading.Thread(target=_insert, args=(store, k)) for k in range(1, 11)]
    for w in writers:
        w.start()
    _wait_for_waiters(store, 10)
    release.set()
    for w in [holder, *writers]:
        w.join(10)
    assert stats.commits == before + 1  # eleven writes, one commit (one fsync)
    assert _keys(tmp_path / "admin.db") == list(range(11))


def test_a_failed_write_in_a_batch_fails_alone_with_its_own_error(store: Store, tmp_path: Path) -> None:
    _insert(store, 5)
    release = threading.Event()
    holder = _held_writer(store, release, 0)
    while store._group is not None and store._group._owner is None:
        time.sleep(0.001)
    outcomes: dict[int, BaseException | None] = {}

    def write(key: int) -> None:
        try:
            _insert(store, key)
            outcomes[key] = None
        except BaseException as e:  # recorded for the assertions
            outcomes[key] = e

    writers = [threading.Thread(target=write, args=(k,)) for k in (1, 5, 2)]  # 5 exists: that write fails
    for w in writers:
        w.start()
    _wait_for_waiters(store, 3)
    release.set()
    for w in [holder, *writers]:
        w.join(10)
    assert outcomes[1] is None and outcomes[2] is None
    assert isinstance(outcomes[5], IntegrityError)
    assert _keys(tmp_path / "admin.db") == [0, 1, 2, 5]


def test_a_body_that_raises_changes_nothing_even_after_writing(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="refused"), store.begin() as tx:
        tx.execute(text("INSERT INTO kv VALUES (7, 'x')"))
        raise ValueError("refused")
    _insert(store, 8)
    assert _keys(tmp_path / "admin.db") == [8]


def test_a_write_inside_a_write_joins_its_transaction(store: Store, tmp_path: Path) -> None:
    with store.begin() as outer:
        outer.execute(text("INSERT INTO kv VALUES (1, 'outer')"))
        with pytest.raises(IntegrityError):
            _insert(store, 1)  # the nested write fails alone: the outer one goes on
        _insert(store, 2)
    assert _keys(tmp_path / "admin.db") == [1, 2]


def _full_disk_on_commit(_conn: object) -> None:
    raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))


def test_a_batch_whose_commit_fails_fails_every_write_in_it(store: Store, tmp_path: Path) -> None:
    release = threading.Event()
    outcomes: dict[int, BaseException | None] = {}

    def write(key: int) -> None:
        try:
            _insert(store, key)
            outcomes[key] = None
        except BaseException as e:  # recorded for the assertions
            outcomes[key] = e

    def held() -> None:
        try:
            with store.begin() as tx:
                tx.execute(text("INSERT INTO kv VALUES (0, 'held')"))
                release.wait(10)
            outcomes[0] = None
        except BaseException as e:  # recorded for the assertions
            outcomes[0] = e

    holder = threading.Thread(target=held)
    holder.start()
    while store._group is not None and store._group._owner is None:
        time.sleep(0.001)
    writers = [threading.Thread(target=write, args=(k,)) for k in (1, 2)]
    for w in writers:
        w.start()
    _wait_for_waiters(store, 2)
    event.listen(store.engine, "commit", _full_disk_on_commit)
    release.set()
    for w in [holder, *writers]:
        w.join(10)
    event.remove(store.engine, "commit", _full_disk_on_commit)
    assert all(isinstance(outcomes[k], StorageFull) for k in (0, 1, 2)), outcomes
    assert _keys(tmp_path / "admin.db") == []
    _insert(store, 3)  # the store goes on
    assert _keys(tmp_path / "admin.db") == [3]


def test_a_lost_batch_without_a_known_cause_is_batch_lost(tmp_path: Path) -> None:
    store = Store(tmp_path / "admin.db")
    group = GroupCommit(store.engine, begin_sql="BEGIN IMMEDIATE")

    def refuse(_conn: object) -> None:
        raise RuntimeError("the commit went wrong")

    event.listen(store.engine, "commit", refuse)
    with pytest.raises(BatchLost, match="went wrong"), group.write() as tx:
        tx.execute(text("CREATE TABLE other (k INTEGER)"))
    assert group.stats.lost_batches == 1


def test_max_batch_must_be_positive(tmp_path: Path) -> None:
    store = Store(tmp_path / "admin.db")
    with pytest.raises(ValueError, match="at least 1"):
        GroupCommit(store.engine, begin_sql=None, max_batch=0)


def test_many_concurrent_writers_commit_fewer_times_than_they_write(store: Store, tmp_path: Path) -> None:
    stats = store.commit_stats
    before_writes, before_commits = stats.writes, stats.commits
    threads = [threading.Thread(target=lambda k=k: [_insert(store, k * 100 + i) for i in range(20)]) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert stats.writes - before_writes == 160
    assert stats.commits - before_commits <= 160
    assert len(_keys(tmp_path / "admin.db")) == 160


def test_the_in_memory_store_commits_each_write_and_a_failed_write_fails_alone() -> None:
    store = Store(None)
    with store.begin() as tx:
        tx.execute(text("CREATE TABLE kv (k INTEGER PRIMARY KEY)"))
        tx.execute(text("INSERT INTO kv VALUES (1)"))
    commits = store.commit_stats.commits
    with pytest.raises(IntegrityError), store.begin() as tx:
        tx.execute(text("INSERT INTO kv VALUES (2)"))
        tx.execute(text("INSERT INTO kv VALUES (1)"))
    _insert_in_memory = 3
    with store.begin() as tx:
        tx.execute(text("INSERT INTO kv VALUES (:k)"), {"k": _insert_in_memory})
    assert store.commit_stats.commits == commits + 1
    with store.read() as conn:
        assert [k for (k,) in conn.execute(text("SELECT k FROM kv ORDER BY k"))] == [1, 3]
