"""A full disk: writes answer RESOURCE_EXHAUSTED with a plain message and one log line; reads keep working.

SQLite reports a full disk as SQLITE_FULL ("database or disk is full"). ``PRAGMA max_page_count`` makes SQLite
report exactly that when a write needs a page past the limit, so the test caps every connection of a real file
database at the pages it has and talks gRPC to the admin over it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, project_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.service import admin_pb2_grpc
from sqlalchemy import event

from flyteplane.admin import AdminServer

_ID = common_pb2.NamedEntityIdentifier(project="flytesnacks", domain="development", name="roomy")


def _task_needing_pages(name: str) -> task_pb2.TaskCreateRequest:
    """A valid task whose 256 KiB of container arguments need pages the capped database does not have."""
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development", name=name, version="v1"
    )
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", "#" + "x" * 256 * 1024]),
    )
    return task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template))


def _cap_at_current_size(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA max_page_count = 1")  # SQLite keeps it at the pages the file has: no room to grow
    cursor.close()


@pytest.mark.parametrize("in_memory", [False, True])
def test_a_full_database_is_resource_exhausted_and_reads_go_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, in_memory: bool
) -> None:
    with AdminServer(state_dir=None if in_memory else tmp_path) as admin:
        assert admin.context is not None
        engine = admin.context.store.engine
        if in_memory:  # one shared connection: cap it in place
            with engine.connect() as conn:
                _cap_at_current_size(conn.connection.dbapi_connection, None)
        else:
            event.listen(engine, "connect", _cap_at_current_size)
            engine.dispose()  # every connection from now on is capped
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="flyteplane"), pytest.raises(grpc.RpcError) as raised:
            stub.CreateTask(_task_needing_pages("roomy"), timeout=10)
        error: Any = raised.value
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error.details() == (
            "the admin's database is full: free disk space where the admin keeps its state, then retry"
        )
        records = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(records) == 1 and records[0].exc_info is None
        assert "database or disk is full" in records[0].getMessage()
        # Reads still answer, and the failed write left nothing behind.
        projects = stub.ListProjects(project_pb2.ProjectListRequest(), timeout=10)
        assert [p.id for p in projects.projects] == ["flytesnacks"]
        tasks = stub.ListTasks(common_pb2.ResourceListRequest(id=_ID, limit=10), timeout=10)
        assert list(tasks.tasks) == []
