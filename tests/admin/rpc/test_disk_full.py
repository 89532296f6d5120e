"""A blob written on a full disk (ENOSPC from the file system) answers RESOURCE_EXHAUSTED with a plain message and
one log line, as a full database does; the call works again once there is space.

Filling a real file system needs root here, so the blob store's write is made to fail the way the kernel fails it
(``OSError(ENOSPC)``) for the duration of one call; everything else is the real admin over gRPC.
"""

from __future__ import annotations

import errno
import logging
import sys
from typing import Any

import grpc
import pytest
from flyteidl.admin import execution_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer


def _register_task(stub: admin_pb2_grpc.AdminServiceStub) -> identifier_pb2.Identifier:
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development", name="roomy", version="v1"
    )
    iface = interface_pb2.TypedInterface()
    iface.inputs.variables["x"].type.simple = 1  # INTEGER
    template = tasks_pb2.TaskTemplate(id=tid, type="python-task", interface=iface)
    template.metadata.runtime.version = "1.16.0"
    template.container.image = "img"
    template.container.command.extend([sys.executable, "-c", "pass"])
    stub.CreateTask(task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template)), timeout=10)
    return tid


def test_a_blob_write_on_a_full_disk_is_resource_exhausted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with AdminServer() as admin, grpc.insecure_channel(admin.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        tid = _register_task(stub)
        request = execution_pb2.ExecutionCreateRequest(project="flytesnacks", domain="development")
        request.spec.launch_plan.CopyFrom(tid)
        request.inputs.literals["x"].scalar.primitive.integer = 1
        assert admin.services is not None
        blobs = admin.services.context.blobs

        def no_space(*_args: Any, **_kwargs: Any) -> bytes:
            raise OSError(errno.ENOSPC, "No space left on device")

        with monkeypatch.context() as patch, caplog.at_level(logging.ERROR):
            patch.setattr(blobs, "put", no_space)
            with pytest.raises(grpc.RpcError) as refused:
                stub.CreateExecution(request, timeout=10)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert refused.value.details() == (
            "the admin's storage is full: free disk space where the admin keeps its state, then retry"
        )
        lines = [r for r in caplog.records if "storage is full" in r.getMessage()]
        assert len(lines) == 1 and lines[0].exc_info is None  # one line, no traceback

        # Space again: the same call succeeds.
        assert stub.CreateExecution(request, timeout=10).id.name
