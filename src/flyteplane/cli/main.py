"""``flyteplane``: run the embedded Flyte Admin (``flyteplane sandbox``) and work with any Flyte Admin.

argparse, not click: the command must start fast. The daily commands (``get``, ``logs``, ``launch``,
``terminate``, ``relaunch``, ``create project``) live in their own modules and are imported only when run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flyteplane.cli.cache import add_cache_commands

if TYPE_CHECKING:
    from flyteplane.admin.auth.config import AuthConfig
    from flyteplane.admin.server import PortInUse
    from flyteplane.admin.state_dir import StateDirInUse
    from flyteplane.admin.tls import TlsConfig

__all__ = ["main"]

DEFAULT_STATE_DIR = Path("~/.flyteplane/sandbox")
DEFAULT_PORT = 30080
"""The Flyte sandbox's gRPC port, where ``Config.for_sandbox()`` (flytekit's and flyteplane's) looks."""
DEFAULT_HTTP_PORT = 30002
"""The Flyte sandbox's minio port, where ``Config.for_sandbox()`` (flytekit's and flyteplane's) looks for S3: the
HTTP side serves the S3 endpoint (with the data proxy's signed URLs and the task logs)."""


def _config_snippet(endpoint: str, ca_cert: Path | None = None, client_certificates: bool = False) -> str:
    text = (
        "# Point flytectl, flytekit and flyteplane at this admin: save as ~/.flyte/config-sandbox.yaml and\n"
        "#   export FLYTECTL_CONFIG=~/.flyte/config-sandbox.yaml\n"
    )
    if ca_cert is None:
        host, _, port = endpoint.rpartition(":")
        if port == str(DEFAULT_PORT) and host in _LOOPBACK:
            text += (
                "# (flyteplane's Config.for_sandbox() / FlyteRemote.for_sandbox() need nothing: "
                f"they use localhost:{DEFAULT_PORT})\n"
            )
        else:
            # for_sandbox() is fixed to localhost:30080 (as flytekit's): on any other address it reaches nothing.
            text += (
                f"# (Config.for_sandbox() / FlyteRemote.for_sandbox() use localhost:{DEFAULT_PORT}, not this admin;\n"
                f'#   use Config.for_endpoint("{endpoint}", insecure=True) or\n'
                f'#   FlyteRemote.for_endpoint("{endpoint}", insecure=True))\n'
            )
        return text + f"admin:\n  endpoint: dns:///{endpoint}\n  insecure: true\n"
    text += f"admin:\n  endpoint: dns:///{endpoint}\n  insecure: false\n  caCertFilePath: {ca_cert}\n"
    if client_certificates:
        text += (
            "  # this admin requires a client certificate signed by the --tls-client-ca:\n"
            "  # clientCertPath: <your certificate>\n"
            "  # clientKeyPath: <its key>\n"
        )
    return text


def _storage_snippet(http_endpoint: str, access_key_id: str, secret_access_key: str, bucket: str) -> str:
    """The ``storage:`` lines of the client config: the admin's S3 endpoint, which flytekit (``S3Config``: the
    ``storage.connection`` keys) uses for ``s3://`` URLs, as flytectl's sandbox config points at minio."""
    from flyteplane.admin.config import AdminConfig

    tls = http_endpoint.startswith("https:")
    # The Flyte sandbox's minio secret is public (flytectl writes it into its config); any other is never printed.
    public = secret_access_key == AdminConfig.s3_secret_access_key
    shown_secret = secret_access_key if public else "<the admin's s3_secret_access_key>"
    on_default_port = http_endpoint.rsplit(":", 1)[-1] == str(DEFAULT_HTTP_PORT)
    where = (
        f"# (Config.for_sandbox() finds this S3 endpoint too: it uses localhost:{DEFAULT_HTTP_PORT})\n"
        if on_default_port and not tls
        else f"# (Config.for_sandbox() looks for S3 at http://localhost:{DEFAULT_HTTP_PORT}, not here)\n"
    )
    return (
        "storage:\n"
        "  type: minio\n"
        f"  container: {bucket}\n"
        "  connection:\n"
        f"    endpoint: {http_endpoint}\n"
        f"    access-key: {access_key_id}\n"
        f"    secret-key: {shown_secret}\n"
        "    auth-type: accesskey\n"
        f"    disable-ssl: {'false' if tls else 'true'}\n"
        "# (or in the environment: "
        f"FLYTE_AWS_ENDPOINT={http_endpoint} FLYTE_AWS_ACCESS_KEY_ID={access_key_id} "
        f"FLYTE_AWS_SECRET_ACCESS_KEY={shown_secret})\n" + where
    )


def _console_snippet(http_endpoint: str) -> str:
    """The ``console:`` lines: flytekit and flyteplane append ``/console/projects/...`` to ``console.endpoint`` for
    pyflyte's links, FlyteRemote's ``execution_url`` and its notebook rendering (``generate_console_url``), and this
    admin serves the console on its HTTP side, not beside gRPC as the Flyte sandbox does."""
    return f"console:\n  endpoint: {http_endpoint}  # links open the console at {http_endpoint}/console\n"


def _tls_config(args: argparse.Namespace) -> TlsConfig | None:
    from flyteplane.admin.tls import TlsConfig

    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    if not (args.tls or args.tls_cert or args.tls_client_ca):
        return None
    return TlsConfig(cert_path=args.tls_cert, key_path=args.tls_key, client_ca_path=args.tls_client_ca)


_LOOPBACK = ("127.0.0.1", "localhost", "::1")
CLIENT_SECRET_FILE = Path("auth") / "flytepropeller.secret"


def _auth_config(args: argparse.Namespace, state_dir: Path | None) -> AuthConfig | None:
    """The admin's auth from ``--auth ...``; with ``self``, flytepropeller's secret is the given one, else the one
    kept in the state dir (made once), else a new one."""
    if args.auth == "none":
        return None
    from flyteplane.admin.auth.config import AuthConfig

    if args.auth == "external":
        if not args.auth_issuer or not args.auth_audience:
            raise ValueError("--auth external needs --auth-issuer and --auth-audience")
        return AuthConfig.external(args.auth_issuer, args.auth_audience, jwks_uri=args.auth_jwks_uri)
    from flyteplane.admin.auth.keys import load_or_create_secret

    secret = args.client_secret
    if secret is None and state_dir is not None:
        secret = load_or_create_secret(state_dir / CLIENT_SECRET_FILE)
    users = {}
    for entry in args.auth_user or ():
        name, sep, password = entry.partition(":")
        if not sep or not name or not password:
            raise ValueError("--auth-user takes NAME:PASSWORD")
        users[name] = password
    default_user = None
    if not users:
        if args.host not in _LOOPBACK:
            raise ValueError(f"--auth self on {args.host} needs --auth-user NAME:PASSWORD (logins are not automatic)")
        import getpass

        default_user = getpass.getuser()  # a sandbox on one's own machine: its user logs in without a password
    return AuthConfig.self_issued(
        secret, users=users, default_user=default_user, issuer=args.auth_issuer, audience=args.auth_audience
    )


def _auth_summary(auth: AuthConfig, issuer: str, secret_file: Path | None) -> str:
    """What a user needs to log in (printed once at start). The client secret itself is never printed (terminal
    scroll-back, CI logs): only the 0600 file that holds it, which a client config names as ``clientSecretLocation``."""
    if auth.mode == "external":
        return f"auth: access tokens of {issuer} (audience {auth.audience}) are required\n"
    lines = [f"auth: built-in OAuth2 server at {issuer}"]
    if auth.default_user:
        lines.append(f"  PKCE and device logins sign in as {auth.default_user} without a password")
    else:
        lines.append(f"  users: {', '.join(sorted(auth.users))}")
    where = f"in {secret_file} (mode 0600)" if secret_file is not None else "as given with --client-secret"
    lines.append(f"  client credentials: client id flytepropeller, secret {where}")
    return "\n".join(lines) + "\n"


def _auth_snippet(auth: AuthConfig | None, secret_file: Path | None) -> str:
    """The ``admin:`` lines of the client config for an admin with auth."""
    if auth is None:
        return ""
    text = "  authType: Pkce  # or DeviceFlow; a service uses ClientSecret:\n"
    if auth.mode == "self":
        text += "  # clientId: flytepropeller\n"
        if secret_file is not None:
            text += f"  # clientSecretLocation: {secret_file}\n"
    return text


def _secret_file(args: argparse.Namespace, auth: AuthConfig | None, state_dir: Path | None) -> Path | None:
    """The 0600 file holding flytepropeller's secret of a ``--auth self`` admin: the state dir's; with
    ``--in-memory``, one written now in a private temporary directory (removed at exit). None: the secret came
    from ``--client-secret``, and the user already has it."""
    secret = auth.client_secret() if auth is not None and auth.mode == "self" else None
    if secret is None or args.client_secret is not None:
        return None
    if state_dir is not None:
        return state_dir / CLIENT_SECRET_FILE
    import atexit
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="flyteplane-sandbox-"))  # 0700
    atexit.register(shutil.rmtree, directory, True)
    path = directory / CLIENT_SECRET_FILE.name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return path


def _quiet_grpc_core() -> None:
    """Keep gRPC's C core from writing its own log lines (``E1207 ... add_port.cc:83] Failed to add port``, TLS
    handshake failures of clients that speak plaintext) to the user's terminal: the sandbox says what matters itself.

    The C core reads ``GRPC_VERBOSITY`` once, when grpc is imported; it is set for that import only, so task
    processes (which inherit the environment) log as they otherwise would. A ``GRPC_VERBOSITY`` of the user's wins.
    """
    if "GRPC_VERBOSITY" in os.environ or "grpc" in sys.modules:
        return
    os.environ["GRPC_VERBOSITY"] = "NONE"
    try:
        import grpc  # noqa: F401
    finally:
        del os.environ["GRPC_VERBOSITY"]


def _port_in_use_message(error: PortInUse) -> str:
    """Which ports are taken, by what (a Flyte Admin answering GetVersion, or another program), and what to do."""
    from flyteplane.cli.port_probe import describe_port_holder

    lines = [str(error)]
    for side, port in error.busy:
        lines.append(f"  {side} port {port}: {describe_port_holder(error.host, port, side)}")
    flags = " / ".join("--port N" if side == "gRPC" else "--http-port N" for side, _ in error.busy)
    lines.append(f"  choose other ports with {flags} (0: any free port)")
    return "\n".join(lines)


def _state_dir_in_use_message(error: StateDirInUse) -> str:
    return (
        f"{error}\n"
        f"  one admin per state directory: stop that one (PID {error.holder.pid}), or run this one with\n"
        "  --state-dir DIR (state of its own) or --in-memory (no state kept)"
    )


def _image_options(entries: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``--image NAME=PATH`` pairs, each PATH a Python interpreter or a virtual environment's directory."""
    from flyteplane.admin.engine.environments import interpreter_of

    pairs = []
    for entry in entries:
        name, sep, path = entry.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--image takes NAME=PATH, not [{entry}]")
        python = interpreter_of(path)
        if not (Path(python).is_file() and os.access(python, os.X_OK)):
            raise ValueError(f"--image {entry}: {path} is neither a Python interpreter nor a virtual environment")
        pairs.append((name, str(Path(path).expanduser().absolute())))
    return tuple(pairs)


def _task_env_options(entries: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``--task-env NAME=VALUE`` pairs; a bare ``NAME`` passes this process's value on (it must be set)."""
    pairs = []
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not name:
            raise ValueError(f"--task-env takes NAME=VALUE or NAME, not [{entry}]")
        if not sep:
            if name not in os.environ:
                raise ValueError(f"--task-env {name}: the variable is not set here, so there is no value to pass on")
            value = os.environ[name]
        pairs.append((name, value))
    return tuple(pairs)


def _show_image_builds() -> None:
    """Print the engine's progress lines about building ImageSpec environments (minutes of pip) on stdout."""
    import logging

    logger = logging.getLogger("flyteplane.admin.images")
    if not any(getattr(h, "_flyteplane_sandbox", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("flyteplane sandbox: %(message)s"))
        handler._flyteplane_sandbox = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


class _RunLinesSeam:
    """The admin's run listener, given before the server starts; the lines it prints need the HTTP endpoint, known
    only once the server listens (``--http-port 0``), so they are attached then. Runs that start earlier (an
    execution resumed from the state dir) are not printed."""

    def __init__(self) -> None:
        self._lines: Any = None

    def attach(self, lines: Any) -> None:
        self._lines = lines

    def __call__(self, notice: Any) -> None:
        lines = self._lines
        if lines is not None:
            lines(notice)


def _sandbox(args: argparse.Namespace) -> int:
    # Everything the admin and its task processes (which inherit the umask) write is this user's only: the state
    # holds every execution's data, logs and keys (see flyteplane.admin.state_dir). Restored on return, for a
    # program (or test) that calls main() in-process.
    umask = os.umask(0o077)
    try:
        return _run_sandbox(args)
    finally:
        os.umask(umask)


def _run_sandbox(args: argparse.Namespace) -> int:
    _quiet_grpc_core()
    from flyteplane.admin import AdminConfig, AdminServer
    from flyteplane.admin.server import PortInUse
    from flyteplane.admin.state_dir import StateDirInUse
    from flyteplane.cli.notifications import notifications_config, show_notification_log
    from flyteplane.cli.run_lines import RunLines, console_url

    state_dir = None if args.in_memory else Path(args.state_dir).expanduser()
    try:
        notifications = notifications_config(args)
        config = AdminConfig(
            seed_projects=tuple(args.seed_project or ("flytesnacks",)),
            state_dir=state_dir,
            task_python=args.task_python,
            notifications=notifications,
            task_images=_image_options(args.image or ()),
            task_env=_task_env_options(args.task_env or ()),
            warm_processes=not args.no_warm_processes,
        )
    except ValueError as e:
        print(f"flyteplane sandbox: {e}", file=sys.stderr)
        return 2
    show_notification_log()
    _show_image_builds()
    try:
        tls = _tls_config(args)
        auth = _auth_config(args, state_dir)
        lines = _RunLinesSeam()
        server = AdminServer(
            state_dir=state_dir,
            port=args.port,
            http_port=args.http_port,
            host=args.host,
            config=config,
            tls=tls,
            auth=auth,
            run_listener=None if args.quiet else lines,
        )
        server.start()
        if not args.quiet:
            lines.attach(RunLines(server.http_endpoint))
        secret_file = _secret_file(args, auth, state_dir)
    except StateDirInUse as e:
        print(f"flyteplane sandbox: {_state_dir_in_use_message(e)}", file=sys.stderr)
        return 1
    except PortInUse as e:
        print(f"flyteplane sandbox: {_port_in_use_message(e)}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"flyteplane sandbox: {e}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"flyteplane sandbox: Flyte Admin gRPC on {server.endpoint}, HTTP on {server.http_endpoint}")
    print(f"console: {console_url(server.http_endpoint)}")
    print(f"state: {state_dir if state_dir is not None else '(in memory)'}")
    if server.certificate_path is not None:
        print(f"TLS certificate: {server.certificate_path}")
    if auth is not None and server.auth is not None:
        print(_auth_summary(auth, server.auth.issuer, secret_file), end="")
    print(
        _config_snippet(server.endpoint, server.certificate_path, client_certificates=args.tls_client_ca is not None)
        + _auth_snippet(auth, secret_file)
        + _storage_snippet(
            server.http_endpoint, config.s3_access_key_id, config.s3_secret_access_key, config.storage_bucket
        )
        + _console_snippet(server.http_endpoint),
        flush=True,
    )
    print("Ctrl-C stops it.", flush=True)
    while not stop.wait(0.5):
        pass
    print("flyteplane sandbox: stopping", flush=True)
    server.stop(grace=2.0)
    return 0


def _login(args: argparse.Namespace) -> int:
    """Log in with the configured auth type now and cache the token, so later processes need no browser."""
    import dataclasses

    from flyteplane.clients.auth.factory import authenticator_for
    from flyteplane.clients.channel import make_channel
    from flyteplane.configuration import PlatformConfig
    from flyteplane.errors import FlyteException

    try:
        cfg = PlatformConfig.auto(args.config)
        changes: dict[str, Any] = {"endpoint": args.endpoint, "auth_mode": args.auth_type}
        cfg = dataclasses.replace(cfg, **{k: v for k, v in changes.items() if v is not None})
        if args.insecure:
            cfg = dataclasses.replace(cfg, insecure=True)
    except (OSError, ValueError) as e:
        print(f"flyteplane login: {e}", file=sys.stderr)
        return 2
    channel = make_channel(cfg)
    try:
        auth = authenticator_for(cfg, channel, interactive=True)
        if auth is None:
            print(f"flyteplane login: the auth type of {cfg.endpoint} is None: there is nothing to log in to")
            return 0
        creds = auth.login()
    except FlyteException as e:
        print(f"flyteplane login: {e}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    where = auth.cache.describe() if auth.cache is not None else "memory only: this auth type gets a token per process"
    left = creds.expires_in()
    valid = f", valid for {left / 60:.0f} min" if left is not None else ""
    print(f"Logged in to {cfg.endpoint} ({cfg.auth_mode}){valid}; token kept in {where}")
    return 0


def _parser() -> argparse.ArgumentParser:
    from flyteplane.cli.notifications import add_notification_flags

    parser = argparse.ArgumentParser(prog="flyteplane", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="run an embedded Flyte Admin in the foreground")
    sandbox.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="gRPC port (default 30080, as the Flyte sandbox; 0: a free one)"
    )
    sandbox.add_argument(
        "--http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help="HTTP port for the S3 endpoint, signed data URLs and task logs (default 30002, the Flyte sandbox's minio "
        "port; 0: a free one)",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sandbox.add_argument(
        "--state-dir", default=str(DEFAULT_STATE_DIR), help="where state is kept (default ~/.flyteplane/sandbox)"
    )
    sandbox.add_argument("--in-memory", action="store_true", help="keep no state on disk")
    sandbox.add_argument(
        "--task-python",
        metavar="PYTHON",
        help="the Python interpreter that runs tasks (its environment must have flytekit and the tasks' "
        "dependencies; default: the one running this command)",
    )
    sandbox.add_argument(
        "--image",
        action="append",
        metavar="NAME=PATH",
        help="run tasks whose container image is NAME with the Python at PATH (an interpreter or a virtual "
        "environment's directory; repeatable)",
    )
    sandbox.add_argument(
        "--task-env",
        action="append",
        metavar="NAME[=VALUE]",
        help="a variable every task process gets (tasks do not inherit this command's environment); a bare NAME "
        "passes this command's value on (repeatable)",
    )
    sandbox.add_argument(
        "--no-warm-processes",
        action="store_true",
        help="start every task attempt in a fresh Python (default: flytekit tasks fork from a pre-started one)",
    )
    sandbox.add_argument(
        "--seed-project", action="append", help="project to create at start (repeatable; default flytesnacks)"
    )
    sandbox.add_argument(
        "--tls", action="store_true", help="serve TLS with a self-signed certificate kept in the state dir"
    )
    sandbox.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate (chain); needs --tls-key")
    sandbox.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    sandbox.add_argument(
        "--tls-client-ca", metavar="PEM", help="require client certificates signed by this CA (implies --tls)"
    )
    sandbox.add_argument(
        "--auth",
        choices=("none", "self", "external"),
        default="none",
        help="require access tokens: from the admin's own OAuth2 server (self) or an identity provider (external)",
    )
    sandbox.add_argument("--auth-issuer", metavar="URL", help="token issuer (external; self: the public HTTP URL)")
    sandbox.add_argument("--auth-jwks-uri", metavar="URL", help="the issuer's JWKS (external; default: discovered)")
    sandbox.add_argument("--auth-audience", help="the audience tokens must be issued for (external: required)")
    sandbox.add_argument(
        "--client-secret", help="flytepropeller's client secret (self; default: made once, kept in the state dir)"
    )
    sandbox.add_argument(
        "--auth-user",
        action="append",
        metavar="NAME:PASSWORD",
        help="a user of the login page (self, repeatable; default: your user name, no password, on loopback only)",
    )
    sandbox.add_argument(
        "--quiet", action="store_true", help="print no line as executions start and end (default: one each)"
    )
    add_notification_flags(sandbox)
    sandbox.set_defaults(run=_sandbox)
    from flyteplane.cli import secrets

    secrets.add_parser(commands, DEFAULT_STATE_DIR)
    login = commands.add_parser("login", help="log in to a Flyte Admin now and cache the token")
    login.add_argument("--config", help="config file (default: $FLYTECTL_CONFIG, ~/.flyte/config.yaml ...)")
    login.add_argument("--endpoint", help="admin endpoint host:port (default: from the config)")
    login.add_argument(
        "--auth-type", help="Pkce, DeviceFlow, ClientSecret or ExternalCommand (default: from the config)"
    )
    login.add_argument("--insecure", action="store_true", help="plaintext gRPC (no TLS)")
    login.set_defaults(run=_login)
    add_cache_commands(commands, DEFAULT_STATE_DIR)
    from flyteplane.cli.actions import add_action_commands
    from flyteplane.cli.get import add_get_command
    from flyteplane.cli.logs import add_logs_command

    add_get_command(commands)
    add_logs_command(commands)
    add_action_commands(commands)
    version = commands.add_parser("version", help="print flyteplane's version")
    version.set_defaults(run=lambda _args: print(__import__("flyteplane").__version__) or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flyteplane`` command."""
    args = _parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
