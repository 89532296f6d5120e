"""TLS for the embedded admin: a given certificate and key, or a generated self-signed pair.

    AdminServer(tls=TlsConfig())                                    # self-signed, made once and reused
    AdminServer(tls=TlsConfig(cert_path="srv.crt", key_path="srv.key"))
    AdminServer(tls=TlsConfig(client_ca_path="clients-ca.crt"))     # mutual TLS: client certificates required

The generated pair is one self-signed certificate (no separate CA) for ``DNS:localhost``, ``IP:127.0.0.1`` and
``IP:::1`` (plus the address the admin listens on when that is a specific one, or this machine's host name when it
listens on all interfaces), valid for one year, with an ECDSA P-256 key. It is kept in ``<state_dir>/tls/``
(``server.key`` mode 0600) and reused on the next start, so a client's ``caCertFilePath`` stays valid; it is made
anew when it is missing, damaged, near its expiry or does not name the admin's address. An admin without a state
directory keeps the pair in a temporary directory that is deleted when the admin stops.

Clients trust :attr:`ServerTls.certificate_path` (``AdminServer.certificate_path``): as ``admin.caCertFilePath``,
or with ``admin.insecureSkipVerify`` (trust on first use).

With ``client_ca_path`` both the gRPC and the HTTP side refuse a connection that does not present a client
certificate signed by one of the CAs in that file.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import ipaddress
import logging
import os
import shutil
import socket
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import grpc

__all__ = ["DEFAULT_NAMES", "ServerTls", "TlsConfig", "generate_self_signed", "prepare"]

log = logging.getLogger("flyteplane.admin.tls")

DEFAULT_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
TLS_DIR = "tls"
CERT_FILE = "server.crt"
KEY_FILE = "server.key"
VALIDITY = _dt.timedelta(days=365)
# A reused certificate closer than this to its expiry is replaced, so a long-running admin never outlives it.
RENEW_BEFORE = _dt.timedelta(days=7)
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class TlsConfig:
    """How the admin serves TLS.

    Attributes:
        cert_path: PEM certificate (chain) to serve; with ``key_path``. None: a generated self-signed pair.
        key_path: PEM private key (unencrypted) of ``cert_path``.
        client_ca_path: PEM CA certificate(s); when set, clients must present a certificate signed by one of them.
    """

    cert_path: str | Path | None = None
    key_path: str | Path | None = None
    client_ca_path: str | Path | None = None

    def __post_init__(self) -> None:
        if (self.cert_path is None) != (self.key_path is None):
            raise ValueError("TlsConfig: give both cert_path and key_path, or neither (for a generated pair)")


class ServerTls:
    """The certificate, key and client CA one running admin serves with (see :func:`prepare`)."""

    def __init__(
        self, certificate_path: Path, key_path: Path, client_ca_path: Path | None, temp_dir: Path | None = None
    ) -> None:
        self.certificate_path = certificate_path
        self.key_path = key_path
        self.client_ca_path = client_ca_path
        self._temp_dir = temp_dir
        self._context: ssl.SSLContext | None = None

    @property
    def requires_client_certificate(self) -> bool:
        return self.client_ca_path is not None

    def ssl_context(self) -> ssl.SSLContext:
        """The server-side context of the HTTP listener (built once; it also checks that the key fits)."""
        if self._context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            try:
                context.load_cert_chain(self.certificate_path, self.key_path)
            except ssl.SSLError as e:
                raise ValueError(
                    f"cannot serve TLS with {self.certificate_path} and {self.key_path}: {e.reason or e} "
                    "(the key must be the certificate's, PEM, and not encrypted)"
                ) from None
            if self.client_ca_path is not None:
                try:
                    context.load_verify_locations(cafile=self.client_ca_path)
                except ssl.SSLError as e:
                    raise ValueError(f"cannot read client CA certificates from {self.client_ca_path}: {e}") from None
                context.verify_mode = ssl.CERT_REQUIRED
            context.set_alpn_protocols(["http/1.1"])
            self._context = context
        return self._context

    def grpc_credentials(self) -> grpc.ServerCredentials:
        """Credentials for ``grpc.Server.add_secure_port``."""
        import grpc

        self.ssl_context()  # a mismatched or unreadable pair fails here with a clear message, not in gRPC's core
        client_ca = _read(self.client_ca_path) if self.client_ca_path is not None else None
        return grpc.ssl_server_credentials(
            [(_read(self.key_path), _read(self.certificate_path))],
            root_certificates=client_ca,
            require_client_auth=client_ca is not None,
        )

    def close(self) -> None:
        """Delete the temporary directory of an in-memory admin's pair, if there is one."""
        temp, self._temp_dir = self._temp_dir, None
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)

    def __repr__(self) -> str:
        return f"ServerTls(certificate_path={str(self.certificate_path)!r}, client_ca_path={self.client_ca_path})"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from None


def names_for(host: str) -> tuple[str, ...]:
    """The names a generated certificate carries for an admin listening on ``host``."""
    extra = socket.gethostname() if host in _WILDCARD_HOSTS else host.strip("[]")
    names = list(DEFAULT_NAMES)
    if extra and _normal(extra) not in {_normal(n) for n in names}:
        names.append(extra)
    return tuple(names)


def _normal(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()


def prepare(config: TlsConfig, state_dir: Path | None, host: str = "127.0.0.1") -> ServerTls:
    """Resolve ``config`` into the files to serve: the given pair, or a self-signed one (reused if still good)."""
    client_ca = Path(config.client_ca_path).expanduser() if config.client_ca_path is not None else None
    if client_ca is not None:
        _read(client_ca)  # a missing file is the user's mistake: say so before anything starts
    if config.cert_path is not None and config.key_path is not None:
        tls = ServerTls(Path(config.cert_path).expanduser(), Path(config.key_path).expanduser(), client_ca)
        tls.ssl_context()
        return tls
    names = names_for(host)
    if state_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="flyteplane-tls-"))
        cert_path, key_path = temp / CERT_FILE, temp / KEY_FILE
        _write_pair(cert_path, key_path, *generate_self_signed(names))
        return ServerTls(cert_path, key_path, client_ca, temp_dir=temp)
    directory = Path(state_dir) / TLS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    why = _unusable(cert_path, key_path, names)
    if why is not None:
        if cert_path.exists() or key_path.exists():
            log.warning("making a new self-signed TLS certificate in %s: %s", directory, why)
        else:
            log.info("making a self-signed TLS certificate in %s", directory)
        _write_pair(cert_path, key_path, *generate_self_signed(names))
    elif key_path.stat().st_mode & 0o077:
        log.warning("%s was readable by others; making it readable by its owner only", key_path)
        key_path.chmod(0o600)
    return ServerTls(cert_path, key_path, client_ca)


def _unusable(cert_path: Path, key_path: Path, names: Sequence[str]) -> str | None:
    """None if the stored pair can be served again, else why not."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        return "it is missing"
    except (OSError, ValueError, TypeError) as e:
        return f"the stored pair cannot be read ({e})"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if cert.public_key().public_bytes(der, public) != key.public_key().public_bytes(der, public):
        return "the key is not the certificate's"
    if cert.not_valid_after_utc - _dt.datetime.now(_dt.timezone.utc) < RENEW_BEFORE:
        return f"it expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "it names no host"
    carried = {n.lower() for n in san.get_values_for_type(x509.DNSName)}
    carried |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    missing = [n for n in names if _normal(n) not in carried]
    if missing:
        return f"it does not name {', '.join(missing)}"
    return None


def generate_self_signed(
    names: Sequence[str] = DEFAULT_NAMES, validity: _dt.timedelta = VALIDITY
) -> tuple[bytes, bytes]:
    """A new self-signed server certificate for ``names`` (host names and IP addresses): ``(cert_pem, key_pem)``.

    The certificate is its own trust anchor: clients put it in their CA file. It is a leaf (``CA:FALSE``) with the
    extensions strict verifiers (Python 3.13's ``VERIFY_X509_STRICT``, BoringSSL) look for.
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:  # pragma: no cover - the admin extra declares it
        raise ImportError(
            "generating a TLS certificate needs the 'cryptography' package: pip install 'flyteplane[admin]', "
            "or give a certificate and key"
        ) from None
    if not names:
        raise ValueError("a certificate needs at least one name")
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name.strip("[]"))))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "flyteplane"), x509.NameAttribute(NameOID.COMMON_NAME, names[0])]
    )
    now = _dt.datetime.now(_dt.timezone.utc)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(hours=1))  # a client whose clock is a little behind still accepts it
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write_pair(cert_path: Path, key_path: Path, cert_pem: bytes, key_pem: bytes) -> None:
    """Write the key (0600) and then the certificate, each atomically: a crash leaves a pair that is replaced."""
    _write_atomic(key_path, key_pem, 0o600)
    _write_atomic(cert_path, cert_pem, 0o644)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600: the key is never exposed
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
