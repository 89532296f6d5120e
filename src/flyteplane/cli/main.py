"""``flyteplane``: run the embedded Flyte Admin (``flyteplane sandbox``) and small utilities.

argparse, not click: the command must start fast and add no dependency to the client install.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

DEFAULT_STATE_DIR = Path("~/.flyteplane/sandbox")


def _config_snippet(endpoint: str) -> str:
    return (
        "# Point flytectl, flytekit and flyteplane at this admin: save as ~/.flyte/config-sandbox.yaml and\n"
        "#   export FLYTECTL_CONFIG=~/.flyte/config-sandbox.yaml\n"
        "# (flyteplane's Config.for_sandbox() / FlyteRemote.for_sandbox() need nothing: they use localhost:30080)\n"
        "admin:\n"
        f"  endpoint: dns:///{endpoint}\n"
        "  insecure: true\n"
    )


def _sandbox(args: argparse.Namespace) -> int:
    from flyteplane.admin import AdminConfig, AdminServer

    state_dir = None if args.in_memory else Path(args.state_dir).expanduser()
    config = AdminConfig(seed_projects=tuple(args.seed_project or ("flytesnacks",)), state_dir=state_dir)
    server = AdminServer(state_dir=state_dir, port=args.port, http_port=args.http_port, host=args.host, config=config)
    try:
        server.start()
    except OSError as e:
        print(f"flyteplane sandbox: {e}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"flyteplane sandbox: Flyte Admin gRPC on {server.endpoint}, HTTP on {server.http_endpoint}")
    print(f"state: {state_dir if state_dir is not None else '(in memory)'}")
    print(_config_snippet(server.endpoint), flush=True)
    print("Ctrl-C stops it.", flush=True)
    while not stop.wait(0.5):
        pass
    print("flyteplane sandbox: stopping", flush=True)
    server.stop(grace=2.0)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flyteplane", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="run an embedded Flyte Admin in the foreground")
    sandbox.add_argument("--port", type=int, default=30080, help="gRPC port (default 30080, as the Flyte sandbox)")
    sandbox.add_argument("--http-port", type=int, default=30081, help="HTTP port for signed data URLs")
    sandbox.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sandbox.add_argument(
        "--state-dir", default=str(DEFAULT_STATE_DIR), help="where state is kept (default ~/.flyteplane/sandbox)"
    )
    sandbox.add_argument("--in-memory", action="store_true", help="keep no state on disk")
    sandbox.add_argument(
        "--seed-project", action="append", help="project to create at start (repeatable; default flytesnacks)"
    )
    sandbox.set_defaults(run=_sandbox)
    version = commands.add_parser("version", help="print flyteplane's version")
    version.set_defaults(run=lambda _args: print(__import__("flyteplane").__version__) or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flyteplane`` command."""
    args = _parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
