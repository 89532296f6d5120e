"""flyteplane: the Python way to talk to Flyte's control plane (Flyte Admin), and an embedded one to talk to.

The public face re-exports lazily: ``import flyteplane`` loads nothing heavy, each name loads its module on first
use (import time is a feature).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.clients.raw import RawSynchronousFlyteClient
    from flyteplane.configuration import Config, PlatformConfig
    from flyteplane.remote.remote import FlyteRemote

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "flyteplane.configuration",
    "PlatformConfig": "flyteplane.configuration",
    "SynchronousFlyteClient": "flyteplane.clients.friendly",
    "RawSynchronousFlyteClient": "flyteplane.clients.raw",
    "FlyteRemote": "flyteplane.remote.remote",
}

__all__ = [
    "Config",
    "FlyteRemote",
    "PlatformConfig",
    "RawSynchronousFlyteClient",
    "SynchronousFlyteClient",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flyteplane' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
