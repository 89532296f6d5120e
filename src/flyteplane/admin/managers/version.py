"""GetVersion: the control plane's version, build and build time (Flyte Admin's
``flyteadmin/pkg/manager/impl/version_manager.go``)."""

from __future__ import annotations

from flyteidl.admin import version_pb2

from flyteplane.admin.config import AdminContext

__all__ = ["VersionManager"]


class VersionManager:
    """Serves GetVersion from the admin's config (Flyte Admin reads the same values from its build's ldflags)."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def get_version(self, request: version_pb2.GetVersionRequest) -> version_pb2.GetVersionResponse:
        config = self._ctx.config
        # The proto's field names really are capitalized (Version, Build, BuildTime).
        return version_pb2.GetVersionResponse(
            control_plane_version=version_pb2.Version(
                Version=config.version, Build=config.build, BuildTime=config.build_time
            )
        )
