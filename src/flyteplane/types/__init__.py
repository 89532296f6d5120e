"""The type engine: Python values <-> Flyte literals, in flytekit 1.16's encodings.

Importing this package is cheap: each name below loads its module on first use, and heavy libraries (msgpack,
cloudpickle, pandas, pyarrow, pydantic) are imported only by the conversions that need them.

* :class:`TypeEngine` -- ``to_literal_type``, ``to_literal``, ``to_python_value``, ``guess_python_type``,
  ``python_to_literal_map``, ``literal_map_to_python``.
* :class:`LiteralsResolver` -- a mapping of names to values, converted on first access.
* :class:`FlyteFile`, :class:`FlyteDirectory` -- files and directories in literals, downloaded lazily.
* :class:`FileAccess` -- the protocol that moves their bytes; :class:`PrefixFileAccess` stores under a URI prefix.
* :class:`TypeTransformerFailedError` -- every conversion failure.
* :class:`TypeTransformer` -- the base class to add a type (``TypeEngine.register``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.types._core import TypeTransformer
    from flyteplane.types._files import FileAccess, FlyteDirectory, FlyteFile, PrefixFileAccess
    from flyteplane.types.engine import TypeEngine
    from flyteplane.types.errors import TypeTransformerFailedError
    from flyteplane.types.resolver import LiteralsResolver

_EXPORTS = {
    "TypeEngine": "flyteplane.types.engine",
    "LiteralsResolver": "flyteplane.types.resolver",
    "FlyteFile": "flyteplane.types._files",
    "FlyteDirectory": "flyteplane.types._files",
    "FileAccess": "flyteplane.types._files",
    "PrefixFileAccess": "flyteplane.types._files",
    "TypeTransformerFailedError": "flyteplane.types.errors",
    "TypeTransformer": "flyteplane.types._core",
}

__all__ = [
    "FileAccess",
    "FlyteDirectory",
    "FlyteFile",
    "LiteralsResolver",
    "PrefixFileAccess",
    "TypeEngine",
    "TypeTransformer",
    "TypeTransformerFailedError",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flyteplane.types' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
