"""flyteplane's asyncio API.

* :class:`FlyteRemote`: fetch, execute, wait and read outputs from an event loop, with the same behavior as
  :class:`flyteplane.remote.FlyteRemote` (one implementation drives both).

Names are imported lazily: ``import flyteplane.aio`` imports neither grpc nor flyteidl.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.aio.remote import FlyteRemote

__all__ = ["FlyteRemote"]

# name -> the module that defines it.
_LAZY: dict[str, str] = {
    "FlyteRemote": "flyteplane.aio.remote",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flyteplane.aio' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
