"""What ``flyteplane sandbox`` tells its user: a taken port and what holds it, a banner true to the ports in use, the
client secret's file (never the secret), and no log lines of gRPC's C core."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

import grpc
from flyteidl.admin import version_pb2
from flyteidl.service import admin_pb2_grpc

import flyteplane
from flyteplane.admin import AdminServer
from tests.cli.support import GRPC_CORE_LINE, free_ports, start_sandbox


def test_ports_held_by_a_flyte_admin_are_named_with_what_answers(tmp_path):
    with AdminServer() as other:
        sandbox = start_sandbox(tmp_path, "--port", str(other.port), "--http-port", str(other.http_port), "--in-memory")
        assert sandbox.wait_exit() == 1
    assert sandbox.stderr == (
        f"flyteplane sandbox: cannot listen on 127.0.0.1: gRPC port {other.port} and HTTP port {other.http_port} "
        "are in use\n"
        f"  gRPC port {other.port}: a Flyte Admin answers GetVersion there (version v{flyteplane.__version__})\n"
        f"  HTTP port {other.http_port}: a Flyte Admin's HTTP side answers /healthcheck there\n"
        "  choose other ports with --port N / --http-port N (0: any free port)\n"
    )
    assert sandbox.stdout == ""


def test_a_port_held_by_another_program_says_so_and_grpc_core_stays_quiet(tmp_path):
    (http_port,) = free_ports(1)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        sandbox = start_sandbox(tmp_path, "--port", str(port), "--http-port", str(http_port), "--in-memory")
        assert sandbox.wait_exit() == 1
    assert sandbox.stderr == (
        f"flyteplane sandbox: cannot listen on 127.0.0.1: gRPC port {port} is in use\n"
        f"  gRPC port {port}: another program\n"
        "  choose other ports with --port N (0: any free port)\n"
    )


def test_the_banner_on_other_ports_does_not_promise_for_sandbox(tmp_path):
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(tmp_path, "--port", str(grpc_port), "--http-port", str(http_port), "--in-memory")
    sandbox.wait_ready()
    assert sandbox.stop() == 0
    out = sandbox.stdout
    endpoint = f"127.0.0.1:{grpc_port}"
    assert f"Flyte Admin gRPC on {endpoint}, HTTP on http://127.0.0.1:{http_port}" in out
    assert "need nothing" not in out
    assert (
        "# (Config.for_sandbox() / FlyteRemote.for_sandbox() use localhost:30080, not this admin;\n"
        f'#   use Config.for_endpoint("{endpoint}", insecure=True) or\n'
        f'#   FlyteRemote.for_endpoint("{endpoint}", insecure=True))\n'
        f"admin:\n  endpoint: dns:///{endpoint}\n  insecure: true\n"
    ) in out


def test_the_banner_on_the_default_port_says_for_sandbox_needs_nothing():
    from flyteplane.cli.main import _config_snippet, _parser
    from flyteplane.configuration import Config

    args = _parser().parse_args(["sandbox"])
    # The sandbox's default port is where for_sandbox() looks (checked without binding it).
    assert Config.for_sandbox().platform.endpoint == f"localhost:{args.port}"
    assert "need nothing: they use localhost:30080" in _config_snippet(f"127.0.0.1:{args.port}")


def test_tls_handshake_failures_write_no_grpc_core_lines(tmp_path):
    """A client speaking plaintext to the TLS sandbox fails its handshake; the C core would log that on every try."""
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path, "--port", str(grpc_port), "--http-port", str(http_port), "--state-dir", str(tmp_path / "s"), "--tls"
    ).wait_ready()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            for _ in range(3):
                try:
                    stub.GetVersion(version_pb2.GetVersionRequest(), timeout=2)
                except grpc.RpcError as e:
                    assert e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        assert sandbox.stop() == 0, sandbox.stderr
    assert not GRPC_CORE_LINE.search(sandbox.stderr), sandbox.stderr
    assert not GRPC_CORE_LINE.search(sandbox.stdout), sandbox.stdout


def test_the_grpc_quieting_does_not_reach_task_processes():
    """GRPC_VERBOSITY is set for grpc's import only: the environment tasks inherit is the user's."""
    script = (
        "import os, sys\n"
        "from flyteplane.cli.main import _quiet_grpc_core\n"
        "_quiet_grpc_core()\n"
        "assert 'grpc' in sys.modules and 'GRPC_VERBOSITY' not in os.environ\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "GRPC_VERBOSITY"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr


def _secret_lines(out: str) -> list[str]:
    # The storage section's secret-key is the Flyte sandbox's public minio one, printed as flytectl's config has it.
    return [line for line in out.splitlines() if "secret" in line and line != "    secret-key: miniostorage"]


def test_auth_self_prints_the_secret_file_not_the_secret(tmp_path):
    state = tmp_path / "state"
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path, "--port", str(grpc_port), "--http-port", str(http_port), "--state-dir", str(state), "--auth", "self"
    ).wait_ready()
    assert sandbox.stop() == 0, sandbox.stderr
    secret_file = state / "auth" / "flytepropeller.secret"
    secret = secret_file.read_text().strip()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret not in sandbox.stdout and secret not in sandbox.stderr
    assert _secret_lines(sandbox.stdout) == [
        f"  client credentials: client id flytepropeller, secret in {secret_file} (mode 0600)",
        f"  # clientSecretLocation: {secret_file}",
    ]


def test_auth_self_in_memory_writes_the_secret_to_a_private_file_removed_at_exit(tmp_path):
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path, "--port", str(grpc_port), "--http-port", str(http_port), "--in-memory", "--auth", "self"
    ).wait_ready()
    try:
        (line,) = [x for x in sandbox.stdout.splitlines() if "client credentials" in x]
        path = Path(line.split(" secret in ", 1)[1].removesuffix(" (mode 0600)"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        secret = path.read_text().strip()
        assert len(secret) >= 32 and secret not in sandbox.stdout
        assert f"  # clientSecretLocation: {path}" in sandbox.stdout
    finally:
        assert sandbox.stop() == 0, sandbox.stderr
    assert not path.exists()


def test_a_given_client_secret_is_not_echoed(tmp_path):
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path,
        *("--port", str(grpc_port), "--http-port", str(http_port), "--in-memory", "--auth", "self"),
        *("--client-secret", "s3cr3t-value-of-mine"),
    ).wait_ready()
    assert sandbox.stop() == 0, sandbox.stderr
    assert "s3cr3t-value-of-mine" not in sandbox.stdout
    assert "  client credentials: client id flytepropeller, secret as given with --client-secret" in sandbox.stdout


def test_the_port_probe_recognizes_admins_with_tls_or_auth(tmp_path):
    from flyteplane.admin.auth.config import AuthConfig
    from flyteplane.admin.tls import TlsConfig
    from flyteplane.cli.port_probe import describe_port_holder

    with AdminServer(state_dir=tmp_path, tls=TlsConfig()) as tls_admin:
        assert describe_port_holder("127.0.0.1", tls_admin.port, "gRPC") == (
            f"a Flyte Admin answers GetVersion there (version v{flyteplane.__version__})"
        )
        assert describe_port_holder("0.0.0.0", tls_admin.http_port, "HTTP") == (
            "a Flyte Admin's HTTP side answers /healthcheck there"
        )
    with AdminServer(auth=AuthConfig.self_issued("s" * 32)) as auth_admin:
        assert describe_port_holder("127.0.0.1", auth_admin.port, "gRPC") == (
            "a Flyte Admin with auth answers there (GetVersion needs a token)"
        )


def test_the_storage_section_names_the_s3_endpoint_and_hides_a_chosen_secret():
    from flyteplane.cli.main import DEFAULT_HTTP_PORT, _parser, _storage_snippet

    # The default HTTP port is minio's in the Flyte sandbox, where Config.for_sandbox() looks for S3.
    from flyteplane.configuration import Config

    assert _parser().parse_args(["sandbox"]).http_port == DEFAULT_HTTP_PORT == 30002
    assert Config.for_sandbox().data_config.s3.endpoint == f"http://localhost:{DEFAULT_HTTP_PORT}"
    text = _storage_snippet("http://127.0.0.1:30002", "minio", "miniostorage", "my-s3-bucket")
    assert "  container: my-s3-bucket\n" in text and "    endpoint: http://127.0.0.1:30002\n" in text
    assert "    secret-key: miniostorage\n" in text  # the public one, as flytectl's sandbox config has it
    assert "Config.for_sandbox() finds this S3 endpoint too" in text
    chosen = _storage_snippet("https://127.0.0.1:9000", "me", "a-chosen-secret", "data-bucket")
    assert "a-chosen-secret" not in chosen and "    secret-key: <the admin's s3_secret_access_key>\n" in chosen
    assert "    disable-ssl: false\n" in chosen and "looks for S3 at http://localhost:30002, not here" in chosen
