"""Named entities (``flyteidl.admin.NamedEntity``): a task, workflow or launch plan name across its versions."""

from __future__ import annotations

from flyteidl.admin import common_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.common import NamedEntityIdentifier
from flyteplane.models.core.identifier import ResourceType

__all__ = ["NamedEntity", "NamedEntityIdentifier", "NamedEntityMetadata", "NamedEntityState"]


class NamedEntityState(IdlEnum):
    """Whether a named entity is listed (``flyteidl.admin.NamedEntityState``)."""

    ACTIVE = 0
    ARCHIVED = 1
    SYSTEM_GENERATED = 2


class NamedEntityMetadata(FlyteIdlEntity):
    """User-editable facts about a name: ``NamedEntityMetadata(description, state)``."""

    _pb_type = _pb.NamedEntityMetadata
    description: Field[str] = Field()
    state: Field[NamedEntityState] = Field(enum=NamedEntityState)


class NamedEntity(FlyteIdlEntity):
    """A name and its metadata: ``NamedEntity(resource_type, id, metadata)``."""

    _pb_type = _pb.NamedEntity
    resource_type: Field[ResourceType] = Field(enum=ResourceType)
    id: Field[NamedEntityIdentifier] = Field(model=NamedEntityIdentifier)
    metadata: Field[NamedEntityMetadata] = Field(model=NamedEntityMetadata)
