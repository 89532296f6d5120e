"""Domains (``flyteidl.admin.Domain``), as GetDomains lists them."""

from __future__ import annotations

from flyteidl.admin import project_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity

__all__ = ["Domain"]


class Domain(FlyteIdlEntity):
    """A domain (development, staging, production...): ``Domain(id, name)``."""

    _pb_type = _pb.Domain
    id: Field[str] = Field()
    name: Field[str] = Field()
