"""flyteplane's asyncio API: the same clients as :mod:`flyteplane.clients`, on ``grpc.aio``.

* :class:`FlyteRemote`: fetch, execute, wait and read outputs from an event loop, with the same behavior as
  :class:`flyteplane.remote.FlyteRemote` (one implementation drives both).
* :class:`RawFlyteClient`: one coroutine method per Flyte Admin RPC, flyteidl messages in and out
  (``await client.get_task(request)``).
* :class:`FlyteClient`: the friendly client, flytekit's method names and signatures with models in and out;
  ``iter_*`` methods return an :class:`AsyncPager` (``async for task in client.iter_tasks(...)``).

Both use the synchronous clients' request builders, response converters and call pipeline (deadline, retries,
auth), so they answer exactly as :class:`~flyteplane.clients.friendly.SynchronousFlyteClient` does. Use them as
``async with FlyteClient(cfg) as client:`` (or ``await client.close()``), within one event loop.

Names are imported lazily: ``import flyteplane.aio`` imports neither grpc nor flyteidl.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.aio.friendly import FlyteClient
    from flyteplane.aio.raw import RawFlyteClient
    from flyteplane.aio.remote import FlyteRemote
    from flyteplane.clients.pager import AsyncPager

__all__ = ["AsyncPager", "FlyteClient", "FlyteRemote", "RawFlyteClient"]

# name -> the module that defines it; more of the async API (FlyteRemote) is added here as it lands.
_LAZY: dict[str, str] = {
    "RawFlyteClient": "flyteplane.aio.raw",
    "FlyteClient": "flyteplane.aio.friendly",
    "AsyncPager": "flyteplane.clients.pager",
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
