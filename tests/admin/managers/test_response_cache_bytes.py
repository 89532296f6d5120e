"""The caches of registered versions are bounded by bytes, not by count: a few huge tasks cannot pin gigabytes.

Over real gRPC: tasks of 600 KiB each are registered and read back into an admin whose cache budget is 4 MiB; every
read answers the whole task, and the cache never holds more than its budget.
"""

from __future__ import annotations

import grpc
import pytest
from flyteidl.admin import common_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.service import admin_pb2_grpc

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.managers._registry import ResponseCache
from flyteplane.admin.managers.tasks import TaskManager

_KIB = 1024


def _task(name: str, size: int) -> task_pb2.TaskCreateRequest:
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project="flytesnacks", domain="development", name=name, version="v1"
    )
    template = tasks_pb2.TaskTemplate(
        id=tid,
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(),
        container=tasks_pb2.Container(image="img", command=["python"], args=["-c", "#" + name[-1] * size]),
    )
    return task_pb2.TaskCreateRequest(id=tid, spec=task_pb2.TaskSpec(template=template))


def test_registered_tasks_are_cached_within_a_byte_budget() -> None:
    config = AdminConfig(seed_projects=("flytesnacks",), response_cache_bytes=4096 * _KIB)
    with AdminServer(config=config) as admin:
        assert admin.services is not None
        (tasks,) = [m for m in admin.services.managers if isinstance(m, TaskManager)]
        stub = admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint, options=[]))
        for i in range(20):
            stub.CreateTask(_task(f"big{i % 10}{i}", 600 * _KIB), timeout=30)
        for round_ in range(2):  # the second round reads what the first evicted
            for i in range(20):
                tid = identifier_pb2.Identifier(
                    resource_type=identifier_pb2.TASK,
                    project="flytesnacks",
                    domain="development",
                    name=f"big{i % 10}{i}",
                    version="v1",
                )
                got = stub.GetTask(common_pb2.ObjectGetRequest(id=tid), timeout=30)
                assert got.closure.compiled_task.template.container.args[1] == "#" + str(i)[-1] * 600 * _KIB
                assert tasks._cache.nbytes <= 4096 * _KIB, round_
        assert 0 < len(tasks._cache) < 20


def test_a_response_cache_evicts_oldest_first_and_skips_values_too_big_to_share() -> None:
    cache: ResponseCache[str, bytes] = ResponseCache(maxsize=10, max_bytes=100, size_of=len)
    cache.put("a", b"x" * 20)
    cache.put("b", b"x" * 20)
    cache.put("c", b"x" * 20)
    cache.put("d", b"x" * 20)
    cache.put("e", b"x" * 25)  # 105 bytes would be too many: "a" goes
    assert cache.get("a") is None and cache.get("e") is not None and cache.nbytes == 85
    cache.put("huge", b"x" * 26)  # more than a quarter of the budget: not kept
    assert cache.get("huge") is None and cache.nbytes == 85
    cache.put("b", b"y" * 10)  # replacing a value frees its old size
    assert cache.get("b") == b"y" * 10 and cache.nbytes == 75
    counted: ResponseCache[str, bytes] = ResponseCache(maxsize=2, max_bytes=100, size_of=len)
    for key in "xyz":
        counted.put(key, b"")
    assert len(counted) == 2 and counted.get("x") is None
    with pytest.raises(ValueError, match="at least one entry"):
        ResponseCache(maxsize=0)
    with pytest.raises(ValueError, match="response_cache_bytes"):
        AdminConfig(response_cache_bytes=0)


def test_the_task_cache_keys_memoize_only_small_interfaces() -> None:
    from flyteidl.core import types_pb2

    from flyteplane.admin.domain import catalog_keys

    def interface(description: str) -> interface_pb2.TypedInterface:
        integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
        variable = interface_pb2.Variable(type=integer, description=description)
        return interface_pb2.TypedInterface(inputs=interface_pb2.VariableMap(variables={"x": variable}))

    catalog_keys._signature.cache_clear()
    small = catalog_keys.signature_hash(interface("small"))
    assert catalog_keys._signature.cache_info().currsize == 1
    huge = interface("d" * (catalog_keys._CACHED_KEY_BYTES + 1))
    # Computed the same each time, uncached: a huge interface is never kept.
    assert catalog_keys.signature_hash(huge) == catalog_keys.signature_hash(huge)
    assert catalog_keys._signature.cache_info().currsize == 1
    assert small
