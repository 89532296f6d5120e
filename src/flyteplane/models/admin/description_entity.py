"""Long-form documentation of tasks and workflows (``flyteidl.admin.description_entity``).

flytekit calls the entity without its id ``Documentation`` (``flytekit.models.documentation``); both views are
here, over the same message.
"""

from __future__ import annotations

from flyteidl.admin import description_entity_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.core.identifier import Identifier

__all__ = ["Description", "DescriptionEntity", "DescriptionFormat", "Documentation", "LongDescription", "SourceCode"]


class Description(FlyteIdlEntity):
    """A description, inline or at a URI: ``Description(value=None, uri=None, icon_link=None, format=RST)``.

    ``format`` defaults to RST, as in flytekit, which always writes it.
    """

    class DescriptionFormat(IdlEnum):
        """How a description's text is marked up (``flyteidl.admin.DescriptionFormat``)."""

        UNKNOWN = 0
        MARKDOWN = 1
        HTML = 2
        RST = 3

    _pb_type = _pb.Description
    value: Field[str | None] = Field()
    uri: Field[str | None] = Field()
    icon_link: Field[str] = Field()
    format: Field[Description.DescriptionFormat] = Field(enum=DescriptionFormat, default=DescriptionFormat.RST)


DescriptionFormat = Description.DescriptionFormat


LongDescription = Description
"""The message's role in a :class:`DescriptionEntity`; the same class as :class:`Description`."""


class SourceCode(FlyteIdlEntity):
    """Where the code lives: ``SourceCode(link=None)``."""

    _pb_type = _pb.SourceCode
    link: Field[str] = Field()


class DescriptionEntity(FlyteIdlEntity):
    """An entity's documentation: ``DescriptionEntity(id, short_description, long_description, source_code, tags)``."""

    _pb_type = _pb.DescriptionEntity
    id: Field[Identifier | None] = Field(model=Identifier)
    short_description: Field[str] = Field()
    long_description: Field[Description | None] = Field(model=Description)
    source_code: Field[SourceCode | None] = Field(model=SourceCode)
    tags: Field[list[str]] = Field()


class Documentation(FlyteIdlEntity):
    """flytekit's view of a :class:`DescriptionEntity`, as passed to ``TaskSpec(docs=...)``.

    ``Documentation(short_description=None, long_description=None, source_code=None, tags=None)``.
    """

    _pb_type = _pb.DescriptionEntity
    short_description: Field[str] = Field()
    long_description: Field[Description | None] = Field(model=Description)
    source_code: Field[SourceCode | None] = Field(model=SourceCode)
    tags: Field[list[str]] = Field()
