"""The embedded Flyte Admin: a Flyte Admin 1.16 on the wire, in this process or as ``flyteplane sandbox``.

Needs the ``admin`` extra (``pip install flyteplane[admin]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.admin.config import AdminConfig
    from flyteplane.admin.server import AdminServer

__all__ = ["AdminConfig", "AdminServer"]


def __getattr__(name: str) -> Any:
    # Lazy: importing flyteplane.admin must not pull SQLAlchemy and gRPC until a server is built.
    if name == "AdminServer":
        from flyteplane.admin.server import AdminServer

        return AdminServer
    if name == "AdminConfig":
        from flyteplane.admin.config import AdminConfig

        return AdminConfig
    raise AttributeError(f"module 'flyteplane.admin' has no attribute {name!r}")
