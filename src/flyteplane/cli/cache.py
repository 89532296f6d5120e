"""``flyteplane cache list|evict``: the embedded admin's cached task outputs, in its state directory.

Flyte has no admin RPC for the cache: it lives in datacatalog, a separate service, and flytectl has no command for
it either. The embedded admin keeps the cache in its database (``<state dir>/admin.db``), so these commands open
that database directly:

* they work whether the admin is running or not: SQLite lets a second process read and write the file (WAL), and the
  admin keeps no copy of the cache in memory, so an eviction takes effect at the next lookup of a running admin;
* they need no endpoint, credentials or served route, and they refuse a directory without an admin database instead
  of creating one.

``evict`` takes the same filters as ``list`` and refuses to run with none unless ``--all`` says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flyteplane.admin.store.catalog import CachedArtifact, CatalogFilter

__all__ = ["DATABASE_NAME", "add_cache_commands"]

DATABASE_NAME = "admin.db"
"""The admin's database inside a state directory (what ``AdminServer(state_dir=...)`` creates)."""


def add_cache_commands(commands: argparse._SubParsersAction, default_state_dir: Path) -> None:  # type: ignore[type-arg]
    """Register ``cache list`` and ``cache evict`` under the ``flyteplane`` command."""
    cache = commands.add_parser("cache", help="list or evict the embedded admin's cached task outputs")
    actions = cache.add_subparsers(dest="cache_command", required=True)
    listing = actions.add_parser("list", help="list cached task outputs")
    evict = actions.add_parser("evict", help="delete cached task outputs: the next identical run computes again")
    for parser in (listing, evict):
        parser.add_argument(
            "--state-dir",
            default=str(default_state_dir),
            help=f"the admin's state directory (default {default_state_dir})",
        )
        parser.add_argument("--project", default="", help="only this project")
        parser.add_argument("--domain", default="", help="only this domain")
        parser.add_argument("--task", default="", help="only this task (its full name, e.g. my.module.my_task)")
        parser.add_argument("--cache-version", default="", help="only this cache_version of the task")
        parser.add_argument("--tag", default="", help="only this artifact tag (flyte_cached-<inputs hash>)")
    evict.add_argument("--all", action="store_true", help="evict everything the filters take, even with no filter")
    listing.set_defaults(run=_list)
    evict.set_defaults(run=_evict)


def _filter(args: argparse.Namespace) -> CatalogFilter:
    from flyteplane.admin.store.catalog import CatalogFilter

    return CatalogFilter(
        project=args.project,
        domain=args.domain,
        task_name=args.task,
        cache_version=args.cache_version,
        tag=args.tag,
    )


def _open_catalog(state_dir: str):  # type: ignore[no-untyped-def]
    """The catalog of the admin database in ``state_dir``; None (after saying why) when there is none."""
    path = Path(state_dir).expanduser() / DATABASE_NAME
    if not path.is_file():
        print(
            f"flyteplane cache: no admin database in {path.parent} (start the admin with this state directory)",
            file=sys.stderr,
        )
        return None
    from flyteplane.admin.managers.catalog import CatalogManager
    from flyteplane.admin.store.db import Store

    # Reservations belong to the running admin's runs: they are left alone.
    return CatalogManager(Store(path), clear_reservations=False)


def _describe(artifact: CachedArtifact) -> str:
    dataset = artifact.key.dataset
    source = artifact.source.node_execution_id
    return (
        f"{dataset.project}\t{dataset.domain}\t{dataset.task_name}\t{dataset.cache_version}\t{dataset.version}\t"
        f"{artifact.key.tag}\t{artifact.artifact_id}\t"
        f"{source.execution_id.name}/{source.node_id}#{artifact.source.retry_attempt}\t"
        f"{artifact.updated_at.isoformat(timespec='seconds')}Z"
    )


_HEADER = "PROJECT\tDOMAIN\tTASK\tCACHE VERSION\tDATASET VERSION\tTAG\tARTIFACT\tSOURCE\tUPDATED"


def _list(args: argparse.Namespace) -> int:
    catalog = _open_catalog(args.state_dir)
    if catalog is None:
        return 1
    artifacts = catalog.list(_filter(args))
    if not artifacts:
        print("no cached outputs")
        return 0
    print(_HEADER)
    for artifact in artifacts:
        print(_describe(artifact))
    return 0


def _evict(args: argparse.Namespace) -> int:
    flt = _filter(args)
    if not any((flt.project, flt.domain, flt.task_name, flt.cache_version, flt.tag)) and not args.all:
        print(
            "flyteplane cache evict: name what to evict (--project, --domain, --task, --cache-version, --tag), "
            "or pass --all to evict every cached output",
            file=sys.stderr,
        )
        return 2
    catalog = _open_catalog(args.state_dir)
    if catalog is None:
        return 1
    count = catalog.evict(flt)
    print(f"evicted {count} cached output{'s' if count != 1 else ''}")
    return 0
