"""The task cache's manager over a real store: datacatalog's artifact, tag and reservation rules."""

from __future__ import annotations

import time

from flyteidl.core import identifier_pb2, literals_pb2

from flyteplane.admin.domain.catalog_keys import ArtifactKey, DatasetId
from flyteplane.admin.managers.catalog import MAX_HEARTBEAT_SECONDS, CatalogManager
from flyteplane.admin.store.catalog import CatalogFilter
from flyteplane.admin.store.db import Store

KEY = ArtifactKey(DatasetId("p", "d", "flyte_task-my.task", "1-GKw-c0Pw-UxVtPm0k"), "flyte_cached-abc")
OTHER_VERSION = ArtifactKey(DatasetId("p", "d", "flyte_task-my.task", "1-2-GKw-c0Pw-UxVtPm0k"), "flyte_cached-abc")


def _outputs(value: int) -> literals_pb2.LiteralMap:
    out = literals_pb2.LiteralMap()
    out.literals["o0"].scalar.primitive.integer = value
    return out


def _source(execution: str, attempt: int = 0) -> identifier_pb2.TaskExecutionIdentifier:
    source = identifier_pb2.TaskExecutionIdentifier(retry_attempt=attempt)
    source.task_id.name = "my.task"
    source.task_id.version = "v1"
    source.node_execution_id.node_id = "n0"
    source.node_execution_id.execution_id.name = execution
    return source


def test_a_tag_keeps_its_artifact_unless_overwritten() -> None:
    catalog = CatalogManager(Store(None))
    assert catalog.get_cached(KEY) is None
    first = catalog.put_cached(KEY, _outputs(1), _source("e1"), overwrite=False)
    assert not first.HasField("source_task_execution")  # a new artifact reports no source (propeller)
    second = catalog.put_cached(KEY, _outputs(2), _source("e2"), overwrite=False)
    assert second.artifact_tag == first.artifact_tag  # AddTag of an existing tag: the first artifact stays
    entry = catalog.get_cached(KEY)
    assert entry is not None
    assert entry.outputs == _outputs(1)
    assert entry.metadata.source_task_execution.node_execution_id.execution_id.name == "e1"
    replaced = catalog.put_cached(KEY, _outputs(3), _source("e3", 1), overwrite=True)
    assert replaced.artifact_tag.artifact_id == first.artifact_tag.artifact_id  # UpdateArtifact keeps the id
    assert replaced.source_task_execution.retry_attempt == 1
    entry = catalog.get_cached(KEY)
    assert entry is not None and entry.outputs == _outputs(3)
    assert entry.metadata.source_task_execution.task_id.version == "v1"


def test_reservations_are_held_extended_expired_and_released_as_datacatalog_s() -> None:
    catalog = CatalogManager(Store(None))
    assert catalog.get_or_extend_reservation(KEY, "a", 0.05).owner_id == "a"
    assert catalog.get_or_extend_reservation(KEY, "b", 0.05).owner_id == "a"  # held: b waits
    assert catalog.get_or_extend_reservation(KEY, "a", 0.05).owner_id == "a"  # extended by its owner
    time.sleep(0.2)  # three heartbeats without an extension: expired
    assert catalog.get_or_extend_reservation(KEY, "b", 0.05).owner_id == "b"
    catalog.release_reservation(KEY, "a")  # not a's any more: nothing happens
    assert catalog.get_or_extend_reservation(KEY, "c", 5).owner_id == "b"
    catalog.release_reservation(KEY, "b")
    held = catalog.get_or_extend_reservation(KEY, "c", 60)
    assert held == ("c", MAX_HEARTBEAT_SECONDS)  # capped (datacatalog's maxReservationHeartbeat)
    assert catalog.get_or_extend_reservation(OTHER_VERSION, "d", 0).heartbeat_seconds == MAX_HEARTBEAT_SECONDS


def test_a_new_admin_process_drops_the_reservations_of_the_last() -> None:
    store = Store(None)
    CatalogManager(store).get_or_extend_reservation(KEY, "old-run", 10)
    assert (
        CatalogManager(store, clear_reservations=False).get_or_extend_reservation(KEY, "new", 10).owner_id == "old-run"
    )
    assert CatalogManager(store).get_or_extend_reservation(KEY, "new", 10).owner_id == "new"


def test_list_and_evict_filter_by_task_cache_version_and_tag() -> None:
    catalog = CatalogManager(Store(None))
    catalog.put_cached(KEY, _outputs(1), _source("e1"), overwrite=False)
    catalog.put_cached(OTHER_VERSION, _outputs(2), _source("e2"), overwrite=False)
    assert len(catalog.list(CatalogFilter())) == 2
    assert [a.key for a in catalog.list(CatalogFilter(cache_version="1"))] == [KEY]  # not "1-2"
    assert [a.key for a in catalog.list(CatalogFilter(cache_version="1-2"))] == [OTHER_VERSION]
    assert len(catalog.list(CatalogFilter(project="p", domain="d", task_name="my.task"))) == 2
    assert catalog.list(CatalogFilter(project="q")) == []
    assert catalog.list(CatalogFilter(task_name="my")) == []
    assert catalog.evict(CatalogFilter(tag="flyte_cached-other")) == 0
    assert catalog.evict(CatalogFilter(cache_version="1-2")) == 1
    assert catalog.get_cached(OTHER_VERSION) is None
    assert catalog.get_cached(KEY) is not None
    (listed,) = catalog.list(CatalogFilter())
    assert (listed.key.dataset.task_name, listed.key.dataset.cache_version) == ("my.task", "1")
    assert listed.source.node_execution_id.execution_id.name == "e1"
