"""The admin's TLS: generated and given pairs, gRPC and HTTPS, mutual TLS, the data proxy and ``sandbox --tls``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from flyteidl.admin import project_pb2
from flyteidl.service import admin_pb2_grpc
from tests.tls_support import TestCA, self_signed

from flyteplane.admin.server import AdminServer
from flyteplane.admin.tls import CERT_FILE, KEY_FILE, TLS_DIR, TlsConfig, generate_self_signed
from flyteplane.cli.main import main as cli_main
from flyteplane.clients.friendly import SynchronousFlyteClient
from flyteplane.configuration import PlatformConfig
from flyteplane.errors import FlyteSystemUnavailableException


@pytest.fixture(scope="module")
def tls_admin() -> Iterator[AdminServer]:
    with AdminServer(tls=TlsConfig()) as admin:
        yield admin


def _ssl_context(cafile: Path | None, client: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    # Python 3.13 turns this on by default; the generated certificate must pass it.
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    if client is not None:
        context.load_cert_chain(*client)
    return context


def _get(url: str, context: ssl.SSLContext) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return response.status, response.read()


def _projects(channel: grpc.Channel) -> list[str]:
    reply = admin_pb2_grpc.AdminServiceStub(channel).ListProjects(project_pb2.ProjectListRequest(), timeout=10)
    return [p.id for p in reply.projects]


def _certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


# -- the generated pair ----------------------------------------------------------------------------------------
def test_generated_certificate_names_the_loopback_addresses_for_a_year(tls_admin):
    cert = _certificate(tls_admin.certificate_path)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert cert.issuer == cert.subject  # self-signed: no CA to distribute
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    lifetime = cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=364) < lifetime <= dt.timedelta(days=365)


def test_generated_pair_is_kept_in_the_state_dir_with_a_private_key_and_reused(tmp_path):
    with AdminServer(state_dir=tmp_path, tls=TlsConfig()) as admin:
        assert admin.certificate_path == tmp_path / TLS_DIR / CERT_FILE
        first = admin.certificate_path.read_bytes()
        key_path = tmp_path / TLS_DIR / KEY_FILE
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        first_key = key_path.read_bytes()
        assert _projects(grpc.secure_channel(admin.endpoint, grpc.ssl_channel_credentials(first))) == ["flytesnacks"]
    with AdminServer(state_dir=tmp_path, tls=TlsConfig()) as admin:
        # The same certificate: a client's caCertFilePath stays valid across restarts.
        assert admin.certificate_path.read_bytes() == first
        assert key_path.read_bytes() == first_key
        assert _projects(grpc.secure_channel(admin.endpoint, grpc.ssl_channel_credentials(first))) == ["flytesnacks"]


def test_a_damaged_or_expiring_pair_is_replaced(tmp_path, caplog):
    directory = tmp_path / TLS_DIR
    directory.mkdir()
    cert, key = generate_self_signed(validity=dt.timedelta(days=2))  # inside the renewal window
    (directory / CERT_FILE).write_bytes(cert)
    (directory / KEY_FILE).write_bytes(key)
    with AdminServer(state_dir=tmp_path, tls=TlsConfig()) as admin:
        renewed = admin.certificate_path.read_bytes()
    assert renewed != cert
    assert "expires" in caplog.text
    (directory / KEY_FILE).write_bytes(b"not a key")
    with AdminServer(state_dir=tmp_path, tls=TlsConfig()) as admin:
        assert admin.certificate_path.read_bytes() != renewed
        assert _projects(
            grpc.secure_channel(admin.endpoint, grpc.ssl_channel_credentials(admin.certificate_path.read_bytes()))
        )


def test_a_pair_without_the_listen_address_is_replaced(tmp_path):
    with AdminServer(state_dir=tmp_path, tls=TlsConfig()):
        pass
    with AdminServer(state_dir=tmp_path, host="127.0.0.2", tls=TlsConfig()) as admin:
        san = _certificate(admin.certificate_path).extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert "127.0.0.2" in [str(ip) for ip in san.value.get_values_for_type(x509.IPAddress)]
        channel = grpc.secure_channel(admin.endpoint, grpc.ssl_channel_credentials(admin.certificate_path.read_bytes()))
        assert _projects(channel) == ["flytesnacks"]


def test_in_memory_admin_keeps_its_pair_in_a_temporary_directory_removed_at_stop():
    with AdminServer(tls=TlsConfig()) as admin:
        path = admin.certificate_path
        assert path is not None and path.exists()
        assert stat.S_IMODE((path.parent / KEY_FILE).stat().st_mode) == 0o600
    assert not path.parent.exists()
    assert admin.certificate_path is None


def test_no_tls_means_plaintext_and_no_certificate(flyte_admin):
    assert flyte_admin.certificate_path is None
    assert flyte_admin.http_endpoint.startswith("http://")


# -- a given pair ----------------------------------------------------------------------------------------------
def test_a_given_certificate_and_key_are_served(tmp_path):
    ca = TestCA(tmp_path)
    server = ca.issue("server", client=False, hosts=("localhost", "127.0.0.1"))
    with AdminServer(tls=TlsConfig(cert_path=server.cert, key_path=server.key)) as admin:
        assert admin.certificate_path == server.cert
        # Clients trust the CA that signed it, not the certificate itself.
        channel = grpc.secure_channel(admin.endpoint, grpc.ssl_channel_credentials(ca.path.read_bytes()))
        assert _projects(channel) == ["flytesnacks"]
        assert _get(f"{admin.http_endpoint}/healthcheck", _ssl_context(ca.path))[0] == 200


def test_tls_config_needs_both_cert_and_key():
    with pytest.raises(ValueError, match="both cert_path and key_path"):
        TlsConfig(cert_path="a.crt")


def test_a_key_that_is_not_the_certificates_fails_at_start_with_a_clear_message(tmp_path):
    one = self_signed(tmp_path, "one", ("localhost",))
    two = self_signed(tmp_path, "two", ("localhost",))
    admin = AdminServer(tls=TlsConfig(cert_path=one.cert, key_path=two.key))
    with pytest.raises(ValueError, match="the key must be the certificate's"):
        admin.start()
    with pytest.raises(ValueError, match="cannot read"):
        AdminServer(tls=TlsConfig(client_ca_path=tmp_path / "missing.crt")).start()


# -- serving -----------------------------------------------------------------------------------------------
def test_grpc_over_tls_with_the_certificate_as_ca(tls_admin):
    roots = tls_admin.certificate_path.read_bytes()
    assert _projects(grpc.secure_channel(tls_admin.endpoint, grpc.ssl_channel_credentials(roots))) == ["flytesnacks"]
    localhost = f"localhost:{tls_admin.port}"
    assert _projects(grpc.secure_channel(localhost, grpc.ssl_channel_credentials(roots))) == ["flytesnacks"]


def test_plaintext_grpc_to_a_tls_admin_is_refused(tls_admin):
    with pytest.raises(grpc.RpcError) as err:
        _projects(grpc.insecure_channel(tls_admin.endpoint))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_https_side_serves_over_tls_and_survives_bad_clients(tls_admin):
    assert tls_admin.http_endpoint.startswith("https://")
    context = _ssl_context(tls_admin.certificate_path)
    port = tls_admin.http_port
    # Plain HTTP to the HTTPS port, and a client that connects and says nothing: neither holds anybody up.
    with socket.create_connection(("127.0.0.1", port)) as plain:
        plain.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
        plain.settimeout(10)
        assert not plain.recv(100).startswith(b"HTTP/")  # the handshake fails; no HTTP answer
    with socket.create_connection(("127.0.0.1", port)):
        started = time.monotonic()
        assert _get(f"{tls_admin.http_endpoint}/healthcheck", context) == (200, b"")
        assert time.monotonic() - started < 5
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(f"{tls_admin.http_endpoint}/healthcheck", _ssl_context(None))
    assert _get(f"{tls_admin.http_endpoint}/healthcheck", context) == (200, b"")


def test_data_proxy_signed_urls_are_https_and_work_with_the_ca(tls_admin):
    client = SynchronousFlyteClient(
        PlatformConfig(endpoint=tls_admin.endpoint, ca_cert_file_path=str(tls_admin.certificate_path))
    )
    body = os.urandom(100_000)
    digest = hashlib.md5(body).digest()
    upload = client.get_upload_signed_url("flytesnacks", "development", content_md5=digest, filename="blob.bin")
    assert upload.signed_url.startswith(f"{tls_admin.http_endpoint}/data/")
    context = _ssl_context(tls_admin.certificate_path)
    request = urllib.request.Request(
        upload.signed_url, data=body, method="PUT", headers={"Content-MD5": base64.b64encode(digest).decode()}
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert response.status == 200
    download = client.get_download_signed_url(upload.native_url)
    assert download.signed_url.startswith("https://")
    assert _get(download.signed_url, context) == (200, body)


# -- mutual TLS --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mtls(tmp_path_factory) -> Iterator[tuple[AdminServer, TestCA, Path]]:
    directory = tmp_path_factory.mktemp("mtls")
    ca = TestCA(directory)
    with AdminServer(tls=TlsConfig(client_ca_path=ca.path)) as admin:
        yield admin, ca, directory


def test_mtls_grpc_requires_a_client_certificate_from_the_ca(mtls):
    admin, ca, directory = mtls
    roots = admin.certificate_path.read_bytes()
    alice = ca.issue("alice")
    mallory = TestCA(directory, "other-ca").issue("mallory")
    with pytest.raises(grpc.RpcError) as err:
        _projects(grpc.secure_channel(admin.endpoint, grpc.ssl_channel_credentials(roots)))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(grpc.RpcError):
        credentials = grpc.ssl_channel_credentials(roots, mallory.key.read_bytes(), mallory.cert.read_bytes())
        _projects(grpc.secure_channel(admin.endpoint, credentials))
    credentials = grpc.ssl_channel_credentials(roots, alice.key.read_bytes(), alice.cert.read_bytes())
    assert _projects(grpc.secure_channel(admin.endpoint, credentials)) == ["flytesnacks"]


def test_mtls_https_requires_a_client_certificate_from_the_ca(mtls):
    admin, ca, _ = mtls
    alice = ca.issue("alice-http")
    url = f"{admin.http_endpoint}/healthcheck"
    with pytest.raises((urllib.error.URLError, ssl.SSLError, ConnectionError)):
        _get(url, _ssl_context(admin.certificate_path))
    assert _get(url, _ssl_context(admin.certificate_path, (alice.cert, alice.key))) == (200, b"")


# -- flytekit as the peer ------------------------------------------------------------------------------------
def test_flytekit_client_with_the_ca_file_and_with_insecure_skip_verify(tls_admin):
    from flytekit.clients.friendly import SynchronousFlyteClient as FlytekitClient
    from flytekit.configuration import PlatformConfig as FlytekitPlatform

    for platform in (
        FlytekitPlatform(endpoint=tls_admin.endpoint, ca_cert_file_path=str(tls_admin.certificate_path)),
        FlytekitPlatform(endpoint=tls_admin.endpoint, insecure_skip_verify=True),
    ):
        projects, _ = FlytekitClient(platform).list_projects_paginated()
        assert [p.id for p in projects] == ["flytesnacks"]


def test_flytekit_uploads_to_the_https_data_proxy(tls_admin, tmp_path):
    from flytekit.configuration import Config as FlytekitConfig
    from flytekit.configuration import PlatformConfig as FlytekitPlatform
    from flytekit.remote import FlyteRemote

    local = tmp_path / "payload.txt"
    local.write_bytes(b"over https\n")
    platform = FlytekitPlatform(endpoint=tls_admin.endpoint, ca_cert_file_path=str(tls_admin.certificate_path))
    remote = FlyteRemote(FlytekitConfig(platform=platform), default_project="flytesnacks", default_domain="development")
    digest, native_url = remote.upload_file(local)
    assert digest == hashlib.md5(b"over https\n").digest()
    client = SynchronousFlyteClient(
        PlatformConfig(endpoint=tls_admin.endpoint, ca_cert_file_path=str(tls_admin.certificate_path))
    )
    url = client.get_download_signed_url(native_url).signed_url
    assert _get(url, _ssl_context(tls_admin.certificate_path)) == (200, b"over https\n")


# -- flyteplane sandbox --tls --------------------------------------------------------------------------------
SANDBOX = (sys.executable, "-m", "flyteplane.cli.main", "sandbox")


def _read_snippet(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """The stdout of ``sandbox`` up to its 'Ctrl-C' line (which follows the config snippet)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ctrl-C"):
            return "".join(lines)
    raise AssertionError("sandbox printed no config snippet:\n" + "".join(lines))


def test_sandbox_tls_prints_a_snippet_that_connects(tmp_path):
    proc = subprocess.Popen(
        [*SANDBOX, "--tls", "--in-memory", "--port", "0", "--http-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        out = _read_snippet(proc)
        snippet = out[out.index("# Point flytectl") : out.index("Ctrl-C")]
        assert "  insecure: false\n" in snippet
        cert_path = next(line.split(": ", 1)[1] for line in snippet.splitlines() if "caCertFilePath:" in line)
        assert Path(cert_path).exists()
        assert "https://" in out  # the HTTP side too
        config_file = tmp_path / "config.yaml"
        config_file.write_text(snippet)
        client = SynchronousFlyteClient(PlatformConfig.auto(str(config_file)))
        assert [p.id for p in client.iter_projects()] == ["flytesnacks"]
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    assert not Path(cert_path).exists()  # an in-memory sandbox leaves no key behind


def test_sandbox_refuses_a_certificate_without_its_key(capsys, tmp_path):
    assert cli_main(["sandbox", "--in-memory", "--tls-cert", str(tmp_path / "a.crt")]) == 1
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err


def test_plaintext_sandbox_snippet_is_unchanged():
    from flyteplane.cli.main import _config_snippet

    snippet = _config_snippet("127.0.0.1:30080")
    assert "insecure: true" in snippet and "caCertFilePath" not in snippet


def test_flyteplane_client_reports_a_plaintext_client_to_the_tls_sandbox_clearly(tls_admin):
    client = SynchronousFlyteClient(PlatformConfig(endpoint=tls_admin.endpoint, insecure=True, rpc_retries=0))
    with pytest.raises(FlyteSystemUnavailableException, match="TLS setting"):
        client.get_domains()
