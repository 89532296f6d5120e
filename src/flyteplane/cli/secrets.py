"""``flyteplane secrets``: the sandbox's local secrets, which tasks request with flytekit's ``secret_requests``.

``set GROUP KEY`` stores a value (``--value V``, else read from stdin; a terminal is prompted without echo),
``list`` names the stored secrets (never their values), ``delete GROUP KEY`` removes one. They live in the state
directory of ``flyteplane sandbox`` (``--state-dir``, default ``~/.flyteplane/sandbox``), where a running sandbox
reads them when a task attempt starts: no restart is needed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flyteplane.admin.secret_store import SecretStore

__all__ = ["add_parser"]


def _store(args: argparse.Namespace) -> SecretStore:
    from flyteplane.admin.secret_store import SECRETS_DIR, SecretStore

    return SecretStore(Path(args.state_dir).expanduser() / SECRETS_DIR)


def _read_value(args: argparse.Namespace) -> bytes:
    if args.value is not None:
        return str(args.value).encode()
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"value of {args.group}/{args.key}: ").encode()
    data = sys.stdin.buffer.read()
    # `echo v | flyteplane secrets set ...` stores v, not "v\n" (flytekit strips values on reading anyway).
    return data[:-1] if data.endswith(b"\n") else data


def _set(args: argparse.Namespace) -> int:
    from flyteplane.admin.secret_store import check_secret_name

    check_secret_name("group", args.group)
    check_secret_name("key", args.key)
    _store(args).set(args.group, args.key, _read_value(args))
    print(f"secret {args.group}/{args.key} set")
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    names = store.list()
    if not names:
        print(f"no secrets in {store.root}")
        return 0
    for group, key in names:
        print(f"{group}\t{key}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    if not _store(args).delete(args.group, args.key):
        print(f"flyteplane secrets: there is no secret {args.group}/{args.key}", file=sys.stderr)
        return 1
    print(f"secret {args.group}/{args.key} deleted")
    return 0


def _run(args: argparse.Namespace) -> int:
    from flyteplane.admin.secret_store import InvalidSecretName

    try:
        return int(args.secrets_run(args))
    except InvalidSecretName as e:
        print(f"flyteplane secrets: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"flyteplane secrets: {e}", file=sys.stderr)
        return 1


def add_parser(commands: argparse._SubParsersAction, default_state_dir: Path) -> None:  # type: ignore[type-arg]
    """Add ``secrets`` and its subcommands to the ``flyteplane`` command's subparsers."""
    secrets = commands.add_parser("secrets", help="manage the sandbox's secrets (flytekit's secret_requests)")
    secrets.add_argument(
        "--state-dir",
        default=str(default_state_dir),
        help="the sandbox's state directory (default ~/.flyteplane/sandbox)",
    )
    actions = secrets.add_subparsers(dest="secrets_command", required=True)
    set_ = actions.add_parser("set", help="store a secret (the value from --value, else from stdin)")
    set_.add_argument("group", metavar="GROUP")
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("--value", help="the value (default: read from stdin; a terminal is asked without echo)")
    set_.set_defaults(secrets_run=_set)
    list_ = actions.add_parser("list", help="name the stored secrets (never their values)")
    list_.set_defaults(secrets_run=_list)
    delete = actions.add_parser("delete", help="remove a secret")
    delete.add_argument("group", metavar="GROUP")
    delete.add_argument("key", metavar="KEY")
    delete.set_defaults(secrets_run=_delete)
    secrets.set_defaults(run=_run)
