"""The client's TLS against a TLS admin: CA file, insecure_skip_verify (trust on first use), client certificates,
and clear failures (wrong CA, wrong host name, plaintext on either side)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flyteplane.admin.server import AdminServer
from flyteplane.admin.tls import TlsConfig
from flyteplane.clients.channel import certificate_names, name_matches, server_certificate, target_name_override
from flyteplane.clients.friendly import SynchronousFlyteClient
from flyteplane.configuration import PlatformConfig
from flyteplane.errors import FlyteSystemUnavailableException
from tests.tls_support import TestCA, self_signed

NOT_VERIFIED = "the server's TLS certificate could not be verified"


@pytest.fixture(scope="module")
def tls_admin() -> Iterator[AdminServer]:
    with AdminServer(tls=TlsConfig()) as admin:
        yield admin


@pytest.fixture(scope="module")
def other_name_admin(tmp_path_factory) -> Iterator[AdminServer]:
    """An admin whose self-signed certificate names only ``other.example``, reached at 127.0.0.1."""
    pair = self_signed(tmp_path_factory.mktemp("other"), "other", ("other.example",))
    with AdminServer(tls=TlsConfig(cert_path=pair.cert, key_path=pair.key)) as admin:
        yield admin


def _projects(cfg: PlatformConfig) -> list[str]:
    with SynchronousFlyteClient(cfg) as client:
        return [p.id for p in client.iter_projects()]


# -- trusting the server ---------------------------------------------------------------------------------------
def test_ca_file_works(tls_admin):
    cfg = PlatformConfig(endpoint=tls_admin.endpoint, ca_cert_file_path=str(tls_admin.certificate_path))
    assert _projects(cfg) == ["flytesnacks"]
    # Another name the certificate carries.
    cfg = PlatformConfig(endpoint=f"localhost:{tls_admin.port}", ca_cert_file_path=str(tls_admin.certificate_path))
    assert _projects(cfg) == ["flytesnacks"]


def test_insecure_skip_verify_works(tls_admin, caplog):
    assert _projects(PlatformConfig(endpoint=tls_admin.endpoint, insecure_skip_verify=True)) == ["flytesnacks"]
    assert "insecure_skip_verify" in caplog.text


def test_insecure_skip_verify_works_when_the_certificate_names_another_host(other_name_admin, caplog):
    assert _projects(PlatformConfig(endpoint=other_name_admin.endpoint, insecure_skip_verify=True)) == ["flytesnacks"]
    assert "other.example" in caplog.text


def test_insecure_skip_verify_without_cryptography_reads_the_names_with_the_standard_library(
    other_name_admin, monkeypatch
):
    monkeypatch.setitem(sys.modules, "cryptography", None)  # "not installed"
    pem = server_certificate(other_name_admin.endpoint)
    assert certificate_names(pem, other_name_admin.endpoint) == ["other.example"]
    assert _projects(PlatformConfig(endpoint=other_name_admin.endpoint, insecure_skip_verify=True)) == ["flytesnacks"]


def test_insecure_skip_verify_trusts_only_the_certificate_first_seen():
    """Trust on first use: the certificate fetched when the client was built is its only root from then on."""
    with AdminServer(tls=TlsConfig()) as first:
        port = first.port
        assert server_certificate(first.endpoint) == first.certificate_path.read_bytes()
        client = SynchronousFlyteClient(
            PlatformConfig(endpoint=first.endpoint, insecure_skip_verify=True, rpc_retries=0)
        )
        assert len(client.get_domains()) == 3
    # Another server, with another certificate, at the same address.
    with AdminServer(port=port, tls=TlsConfig()), pytest.raises(FlyteSystemUnavailableException, match=NOT_VERIFIED):
        client.get_domains()
    client.close()


# -- failing clearly ---------------------------------------------------------------------------------------
def test_wrong_ca_fails_fast_saying_the_certificate_could_not_be_verified(tls_admin, tmp_path):
    wrong = self_signed(tmp_path, "wrong", ("localhost", "127.0.0.1"))
    cfg = PlatformConfig(endpoint=tls_admin.endpoint, ca_cert_file_path=str(wrong.cert), rpc_timeout=10)
    started = time.monotonic()
    with SynchronousFlyteClient(cfg) as client, pytest.raises(FlyteSystemUnavailableException) as err:
        client.get_domains()
    elapsed = time.monotonic() - started
    assert NOT_VERIFIED in str(err.value)
    assert "admin.caCertFilePath" in str(err.value) and "admin.insecureSkipVerify" in str(err.value)
    assert err.value.rpc == "GetDomains"
    # Retried a bounded few times (UNAVAILABLE), far inside the call's deadline; never until the deadline.
    assert elapsed < 5, elapsed


def test_wrong_ca_fails_for_a_ca_signed_server_too(tmp_path):
    ca, other = TestCA(tmp_path, "right-ca"), TestCA(tmp_path, "other-ca")
    server = ca.issue("server", client=False, hosts=("127.0.0.1",))
    with AdminServer(tls=TlsConfig(cert_path=server.cert, key_path=server.key)) as admin:
        assert _projects(PlatformConfig(endpoint=admin.endpoint, ca_cert_file_path=str(ca.path))) == ["flytesnacks"]
        with pytest.raises(FlyteSystemUnavailableException, match=NOT_VERIFIED):
            _projects(PlatformConfig(endpoint=admin.endpoint, ca_cert_file_path=str(other.path), rpc_retries=0))


def test_a_certificate_for_another_host_name_is_not_verified_and_says_so(other_name_admin):
    cfg = PlatformConfig(
        endpoint=other_name_admin.endpoint, ca_cert_file_path=str(other_name_admin.certificate_path), rpc_retries=0
    )
    with pytest.raises(FlyteSystemUnavailableException) as err:
        _projects(cfg)
    assert NOT_VERIFIED in str(err.value)
    assert "not for this host name" in str(err.value)


def test_plaintext_client_to_a_tls_admin_fails_clearly(tls_admin):
    with pytest.raises(FlyteSystemUnavailableException) as err:
        _projects(PlatformConfig(endpoint=tls_admin.endpoint, insecure=True, rpc_retries=0))
    assert "TLS setting" in str(err.value) and "admin.insecure" in str(err.value)


def test_tls_client_to_a_plaintext_admin_fails_clearly(flyte_admin, tmp_path):
    ca = self_signed(tmp_path, "ca", ("127.0.0.1",))
    with pytest.raises(FlyteSystemUnavailableException, match="does it speak TLS"):
        _projects(PlatformConfig(endpoint=flyte_admin.endpoint, ca_cert_file_path=str(ca.cert), rpc_retries=0))
    # insecure_skip_verify fetches the certificate when the channel is made (the first call, never while the
    # client is built): the same advice, before any RPC is tried.
    client = SynchronousFlyteClient(PlatformConfig(endpoint=flyte_admin.endpoint, insecure_skip_verify=True))
    with pytest.raises(FlyteSystemUnavailableException, match="does the server speak TLS"):
        client.get_control_plane_version()


def test_insecure_skip_verify_to_nothing_is_a_flyte_error(free_port):
    client = SynchronousFlyteClient(PlatformConfig(endpoint=f"127.0.0.1:{free_port}", insecure_skip_verify=True))
    with pytest.raises(FlyteSystemUnavailableException, match="is Flyte Admin running"):
        client.get_control_plane_version()


# -- client certificates -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mtls(tmp_path_factory) -> Iterator[tuple[AdminServer, TestCA, Path]]:
    directory = tmp_path_factory.mktemp("mtls")
    ca = TestCA(directory)
    with AdminServer(tls=TlsConfig(client_ca_path=ca.path)) as admin:
        yield admin, ca, directory


def test_client_certificate_from_the_config_is_presented(mtls):
    admin, ca, _ = mtls
    alice = ca.issue("alice")
    cfg = PlatformConfig(
        endpoint=admin.endpoint,
        ca_cert_file_path=str(admin.certificate_path),
        client_certificate_path=str(alice.cert),
        client_key_path=str(alice.key),
    )
    assert _projects(cfg) == ["flytesnacks"]
    # With trust on first use as well: the certificate fetch presents it too.
    cfg = PlatformConfig(
        endpoint=admin.endpoint,
        insecure_skip_verify=True,
        client_certificate_path=str(alice.cert),
        client_key_path=str(alice.key),
    )
    assert _projects(cfg) == ["flytesnacks"]


def test_without_a_client_certificate_the_call_fails(mtls):
    admin, _, _ = mtls
    cfg = PlatformConfig(endpoint=admin.endpoint, ca_cert_file_path=str(admin.certificate_path), rpc_retries=0)
    with pytest.raises(FlyteSystemUnavailableException, match="client certificate"):
        _projects(cfg)


def test_a_client_certificate_from_another_ca_fails(mtls):
    admin, _, directory = mtls
    mallory = TestCA(directory, "mallory-ca").issue("mallory")
    cfg = PlatformConfig(
        endpoint=admin.endpoint,
        ca_cert_file_path=str(admin.certificate_path),
        client_certificate_path=str(mallory.cert),
        client_key_path=str(mallory.key),
        rpc_retries=0,
    )
    with pytest.raises(FlyteSystemUnavailableException):
        _projects(cfg)


# -- the name logic ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "name", "expected"),
    [
        ("localhost", "localhost", True),
        ("LocalHost", "localhost.", True),
        ("a.example.com", "*.example.com", True),
        ("a.b.example.com", "*.example.com", False),
        ("example.com", "*.example.com", False),
        ("127.0.0.1", "127.0.0.1", True),
        ("::1", "0:0:0:0:0:0:0:1", True),
        ("[::1]", "::1", True),
        ("127.0.0.1", "localhost", False),
        ("localhost", "127.0.0.1", False),
    ],
)
def test_name_matches(host, name, expected):
    assert name_matches(host, name) is expected


@pytest.mark.parametrize(
    ("endpoint", "names", "expected"),
    [
        ("127.0.0.1:443", ["localhost", "127.0.0.1"], None),  # covered: keep gRPC's own target name
        ("127.0.0.1:443", ["other.example"], "other.example"),
        ("localhost:8089", ["10.0.0.1"], "10.0.0.1"),
        ("127.0.0.1:443", ["*.example.com", "10.0.0.1"], "10.0.0.1"),
        ("127.0.0.1:443", ["*.example.com"], "flyteplane.example.com"),
        ("[::1]:443", ["::1"], None),
        ("flyte.example.com", ["*.example.com"], None),
        ("127.0.0.1:443", [], None),
    ],
)
def test_target_name_override(endpoint, names, expected):
    assert target_name_override(endpoint, names) == expected
