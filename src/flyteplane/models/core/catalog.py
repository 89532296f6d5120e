"""Cache (catalog) metadata of task executions (``flyteidl.core.catalog``)."""

from __future__ import annotations

from flyteidl.core import catalog_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.core.identifier import Identifier, TaskExecutionIdentifier

__all__ = ["CatalogArtifactTag", "CatalogCacheStatus", "CatalogMetadata"]


class CatalogCacheStatus(IdlEnum):
    """What the cache did for a task node (``flyteidl.core.CatalogCacheStatus``)."""

    CACHE_DISABLED = 0
    CACHE_MISS = 1
    CACHE_HIT = 2
    CACHE_POPULATED = 3
    CACHE_LOOKUP_FAILURE = 4
    CACHE_PUT_FAILURE = 5
    CACHE_SKIPPED = 6
    CACHE_EVICTED = 7


class CatalogArtifactTag(FlyteIdlEntity):
    """A cached artifact: ``CatalogArtifactTag(artifact_id, name)``."""

    _pb_type = _pb.CatalogArtifactTag
    artifact_id: Field[str] = Field()
    name: Field[str] = Field()


class CatalogMetadata(FlyteIdlEntity):
    """Where a cached output came from: ``CatalogMetadata(dataset_id, artifact_tag, source_task_execution)``."""

    _pb_type = _pb.CatalogMetadata
    dataset_id: Field[Identifier | None] = Field(model=Identifier)
    artifact_tag: Field[CatalogArtifactTag | None] = Field(model=CatalogArtifactTag)
    source_task_execution: Field[TaskExecutionIdentifier | None] = Field(model=TaskExecutionIdentifier)
