"""GetVersion: the control plane's version, build and build time (Flyte Admin's
``flyteadmin/pkg/manager/impl/version_manager.go``)."""

from __future__ import annotations

from flyteidl.admin import version_pb2

from flyteplane.admin.build_info import this_build
from flyteplane.admin.config import AdminContext

__all__ = ["VersionManager"]


class VersionManager:
    """Serves GetVersion: this flyteplane's version, build and build time (Flyte Admin reports its own from its
    build's ldflags), each unless the config names another."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def get_version(self, request: version_pb2.GetVersionRequest) -> version_pb2.GetVersionResponse:
        config = self._ctx.config
        build = this_build()
        # The proto's field names really are capitalized (Version, Build, BuildTime).
        return version_pb2.GetVersionResponse(
            control_plane_version=version_pb2.Version(
                Version=config.version if config.version is not None else build.version,
                Build=config.build if config.build is not None else build.build,
                BuildTime=config.build_time if config.build_time is not None else build.build_time,
            )
        )
