"""What every admin-facing command shares: the connection flags, the config, the project and domain, and the one
place where errors become a message on stderr and an exit code.

The config is flytectl's: ``--config``, else ``$FLYTECTL_CONFIG``, ``~/.flyte/config.yaml`` ... with the ``FLYTE_*``
variables over it (:meth:`flyteplane.configuration.Config.auto`). Project and domain come from ``-p`` / ``-d``,
else ``FLYTE_LOCAL_PROJECT`` / ``[local] project`` / ``task.project``, else the YAML file's top-level ``project:`` /
``domain:`` (flytectl's ``config.Config``), else ``flytesnacks`` / ``development``, the sandbox's defaults.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.clients.raw import RawSynchronousFlyteClient
    from flyteplane.configuration import Config
    from flyteplane.remote import FlyteRemote

__all__ = ["CliError", "Session", "add_connection_flags", "guarded", "open_session"]

DEFAULT_PROJECT = "flytesnacks"
DEFAULT_DOMAIN = "development"


class CliError(Exception):
    """A failure the user can act on: printed as ``flyteplane <command>: <message>``, exit code :attr:`code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_connection_flags(parser: argparse.ArgumentParser, *, scoped: bool = True) -> None:
    """``--config`` (and ``-p`` / ``-d`` when the command works inside one project and domain)."""
    parser.add_argument("--config", help="config file (default: $FLYTECTL_CONFIG, ~/.flyte/config.yaml ...)")
    if scoped:
        parser.add_argument("-p", "--project", help="project (default: the config's, else flytesnacks)")
        parser.add_argument("-d", "--domain", help="domain (default: the config's, else development)")


@dataclass
class Session:
    """One command's view of the admin: where it is, which project and domain, and its clients (made once)."""

    config: Config
    project: str
    domain: str
    _remote: FlyteRemote | None = field(default=None, repr=False)

    @property
    def remote(self) -> FlyteRemote:
        """A FlyteRemote over :attr:`config`, scoped to the project and domain."""
        if self._remote is None:
            from flyteplane.remote import FlyteRemote

            self._remote = FlyteRemote(self.config, default_project=self.project, default_domain=self.domain)
        return self._remote

    @property
    def raw(self) -> RawSynchronousFlyteClient:
        """The protobuf-in, protobuf-out client (what the printed output is made of)."""
        return self.remote.client.raw

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()


def _default_scope(config_path: str | None) -> tuple[str | None, str | None]:
    """The project and domain the config file (or ``FLYTE_LOCAL_*``) names, if any."""
    from flyteplane.configuration import get_config_file
    from flyteplane.configuration.settings import Local

    cfg = get_config_file(config_path)
    project = Local.USER_PROJECT.read(cfg)
    domain = Local.USER_DOMAIN.read(cfg)
    if cfg is not None and cfg.is_yaml:
        # flytectl keeps them at the top level of its file (flytectl/cmd/config/config.go: project, domain).
        project = project or _top_level(cfg, "project")
        domain = domain or _top_level(cfg, "domain")
    return project, domain


def _top_level(cfg: Any, key: str) -> str | None:
    value = cfg.get_yaml(key)
    return str(value) if value not in (None, "") else None


def open_session(args: argparse.Namespace) -> Session:
    """The session of a parsed command line (see the module docstring for where each value comes from)."""
    from flyteplane.configuration import Config

    config = Config.auto(args.config)
    project, domain = _default_scope(args.config)
    return Session(
        config=config,
        project=getattr(args, "project", None) or project or DEFAULT_PROJECT,
        domain=getattr(args, "domain", None) or domain or DEFAULT_DOMAIN,
    )


def _message(error: BaseException) -> str | None:
    """The one-line message for an error the user can act on; None for a bug (which keeps its traceback)."""
    from flyteplane.configuration import ConfigurationError
    from flyteplane.errors import FlyteException, FlyteSystemUnavailableException
    from flyteplane.types import TypeTransformerFailedError

    if isinstance(error, FlyteSystemUnavailableException):
        return f"the admin cannot be reached: {error}"
    if isinstance(error, (CliError, FlyteException, ConfigurationError, TypeTransformerFailedError, OSError)):
        return str(error) or type(error).__name__
    return None


def guarded(command: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Run a command so that every failure the user can act on is one line on stderr and a non-zero exit code."""

    def wrap(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(run)
        def guarded_run(args: argparse.Namespace) -> int:
            try:
                return run(args)
            except KeyboardInterrupt:
                print(f"flyteplane {command}: interrupted", file=sys.stderr)
                return 130
            except BrokenPipeError:
                return 0  # `flyteplane logs X | head`: the reader has what it wanted
            except Exception as e:
                message = _message(e)
                if message is None:
                    raise
                print(f"flyteplane {command}: {message}", file=sys.stderr)
                return e.code if isinstance(e, CliError) else 1

        return guarded_run

    return wrap
