"""Settings of one embedded admin, and the context its managers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flyteplane.admin.store.db import Store

if TYPE_CHECKING:
    from flyteplane.admin.auth.config import AuthConfig

__all__ = ["DEFAULT_DOMAINS", "AdminConfig", "AdminContext"]

DEFAULT_DOMAINS: tuple[str, ...] = ("development", "staging", "production")


@dataclass(frozen=True)
class AdminConfig:
    """What Flyte Admin reads from its config file, for the parts the embedded admin implements."""

    domains: tuple[str, ...] = DEFAULT_DOMAINS
    """Domain ids, system wide (Flyte Admin: ``domains``)."""
    task_type_whitelist: dict[str, tuple[str, ...]] | None = None
    """Task type -> projects allowed to use it; types not listed are allowed everywhere. None: all allowed."""
    seed_projects: tuple[str, ...] = ()
    """Projects registered (if missing) at start, as the Flyte sandbox seeds ``flytesnacks``."""
    max_parallelism: int = 25
    """Server default for ``WORKFLOW_EXECUTION_CONFIG.max_parallelism``."""
    version: str = "unknown"
    build: str = "unknown"
    build_time: str = "unknown"
    state_dir: Path | None = None
    """Where the database and blobs live; None keeps everything in memory."""
    storage_prefix: str = "flyteplane://data"
    """Base of the native URLs the admin hands out (``metadata/...`` paths under it)."""
    extra: dict[str, object] = field(default_factory=dict)
    auth: AuthConfig | None = None
    """Authentication (:mod:`flyteplane.admin.auth`); None: none, as the Flyte sandbox."""


@dataclass
class AdminContext:
    """Everything a manager needs: the store and the settings (no gRPC, no clients)."""

    store: Store
    config: AdminConfig
