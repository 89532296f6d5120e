"""Building the gRPC channel from a PlatformConfig: TLS choices, message sizes, keepalive, extra options.

``insecure_skip_verify`` is trust on first use, as in flytekit: the certificate the server presents now is fetched
without verification and becomes the channel's only root, so later connections must present that same
certificate. Unlike flytekit, the certificate need not name the endpoint's host (a test cluster reached by IP, a
certificate made for another name): the channel then checks the certificate against a name it does carry
(``grpc.ssl_target_name_override``). This works for self-signed certificates, the usual case for a test cluster; a
certificate issued by a CA cannot be its own root, so give that CA as ``ca_cert_file_path`` instead.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

    import grpc

    from flyteplane.configuration import PlatformConfig

__all__ = [
    "certificate_names",
    "channel_options",
    "channel_security",
    "make_channel",
    "server_certificate",
    "target_name_override",
]

log = logging.getLogger("flyteplane.clients")


def channel_options(cfg: PlatformConfig, extra: Any = ()) -> list[tuple[str, Any]]:
    """gRPC options from the config: sizes and keepalive first, then the config's and the caller's extras."""
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", getattr(cfg, "max_message_size", 20 * 1024 * 1024)),
        ("grpc.max_metadata_size", getattr(cfg, "max_metadata_size", 32 * 1024)),
        ("grpc.keepalive_time_ms", getattr(cfg, "keepalive_time_ms", 30_000)),
        ("grpc.keepalive_timeout_ms", getattr(cfg, "keepalive_timeout_ms", 10_000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    send = getattr(cfg, "max_send_message_size", None)
    if send is not None:
        options.append(("grpc.max_send_message_length", send))
    options.extend(getattr(cfg, "grpc_options", ()) or ())
    options.extend(extra or ())
    return options


def _host_port(endpoint: str) -> tuple[str, int]:
    host, sep, port = endpoint.rpartition(":")
    if not sep or "]" in port or (":" in host and not host.startswith("[")):  # no port, or a bare IPv6 address
        return endpoint.strip("[]"), 443
    try:
        return host.strip("[]"), int(port or 443)
    except ValueError:
        raise ValueError(f"the endpoint {endpoint!r} is not host:port") from None


def _client_context(client_cert: tuple[str, str] | None, trusted_pem: str | None = None) -> ssl.SSLContext:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    if trusted_pem is None:
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cadata=trusted_pem)
    if client_cert is not None:
        # A server that requires client certificates may refuse the handshake before showing its own.
        context.load_cert_chain(*client_cert)
    context.set_alpn_protocols(["h2"])
    return context


def _handshake(
    endpoint: str, context: ssl.SSLContext, timeout: float, *, decoded: bool = False
) -> tuple[bytes, dict[str, Any]]:
    """Connect, shake hands, and return the server's certificate (DER) and, if ``decoded``, its decoded fields."""
    import socket

    host, port = _host_port(endpoint)
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        fields = tls.getpeercert() if decoded else {}
    if not der:
        raise ConnectionError("the server presented no certificate")
    return der, dict(fields or {})


def server_certificate(endpoint: str, *, timeout: float = 10.0, client_cert: tuple[str, str] | None = None) -> bytes:
    """The server's leaf certificate (PEM), fetched without verification: what ``insecure_skip_verify`` trusts.

    ``client_cert`` (certificate and key paths) is presented to servers that require one.
    """
    import ssl

    from flyteplane.errors import FlyteSystemUnavailableException

    try:
        der, _ = _handshake(endpoint, _client_context(client_cert), timeout)
    except ssl.SSLError as e:
        raise FlyteSystemUnavailableException(
            f"insecure_skip_verify: the TLS handshake with {endpoint} failed ({e.reason or e}): does the server speak "
            "TLS? (set admin.insecure for a plaintext admin)"
        ) from e
    except OSError as e:
        raise FlyteSystemUnavailableException(
            f"insecure_skip_verify: cannot fetch the TLS certificate of {endpoint}: {e.strerror or e} "
            "(is Flyte Admin running at this endpoint?)"
        ) from e
    return ssl.DER_cert_to_PEM_cert(der).encode()


def certificate_names(
    pem: bytes, endpoint: str | None = None, *, timeout: float = 10.0, client_cert: tuple[str, str] | None = None
) -> list[str]:
    """The host names and IP addresses a certificate is valid for (its SANs; its common name if it has none).

    Parsed with ``cryptography`` when it is installed; otherwise the standard library decodes it during a second
    handshake with ``endpoint`` that trusts only this certificate (so it works for self-signed ones).
    """
    try:
        from cryptography import x509
    except ImportError:
        if endpoint is None:
            return []
        return _names_by_handshake(pem, endpoint, timeout, client_cert)
    cert = x509.load_pem_x509_certificate(pem)
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    if not names:
        names += [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    return names


def _names_by_handshake(pem: bytes, endpoint: str, timeout: float, client_cert: tuple[str, str] | None) -> list[str]:
    try:
        _, fields = _handshake(endpoint, _client_context(client_cert, pem.decode()), timeout, decoded=True)
    except (OSError, ValueError) as e:  # not self-signed, or the server changed meanwhile: no name to offer
        log.debug("insecure_skip_verify: cannot read the names of %s's certificate: %s", endpoint, e)
        return []
    names = [str(value).strip() for kind, value in fields.get("subjectAltName", ()) if kind in ("DNS", "IP Address")]
    names = [str(_ip(name) or name) for name in names]  # the stdlib writes ::1 as 0:0:0:0:0:0:0:1
    if not names:
        names = [value for rdn in fields.get("subject", ()) for key, value in rdn if key == "commonName"]
    return names


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def name_matches(host: str, name: str) -> bool:
    """Whether a certificate name (``*.example.com`` allowed) covers ``host``, as TLS hostname checks decide."""
    host_ip, name_ip = _ip(host), _ip(name)
    if host_ip is not None or name_ip is not None:
        return host_ip is not None and host_ip == name_ip
    host, name = host.lower().rstrip("."), name.lower().rstrip(".")
    if name.startswith("*."):
        first, dot, rest = host.partition(".")
        return bool(first) and bool(dot) and rest == name[2:]
    return host == name


def target_name_override(endpoint: str, names: list[str]) -> str | None:
    """The name to check the certificate against when it does not name the endpoint's host; None when it does.

    Prefers a plain host name, then an IP address, then a wildcard name made concrete.
    """
    host, _ = _host_port(endpoint)
    if not names or any(name_matches(host, name) for name in names):
        return None
    plain = [n for n in names if "*" not in n and _ip(n) is None]
    addresses = [str(_ip(n)) for n in names if _ip(n) is not None]
    wildcards = [n.replace("*", "flyteplane", 1) for n in names if n.startswith("*.")]
    for candidate in (*plain, *addresses, *wildcards):
        return candidate
    return None


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from e


def _client_cert_paths(cfg: PlatformConfig) -> tuple[str, str] | None:
    cert, key = getattr(cfg, "client_certificate_path", None), getattr(cfg, "client_key_path", None)
    if not cert or not key:
        return None
    return str(Path(cert).expanduser()), str(Path(key).expanduser())


def channel_security(
    cfg: PlatformConfig,
    *,
    credentials: grpc.ChannelCredentials | None = None,
    root_certificates: bytes | None = None,
    private_key: bytes | None = None,
    certificate_chain: bytes | None = None,
    options: Any = (),
) -> tuple[grpc.ChannelCredentials | None, list[tuple[str, Any]]]:
    """The TLS credentials (None for a plaintext channel) and the options of a channel to ``cfg.endpoint``.

    Shared by the synchronous and the ``grpc.aio`` channels. TLS trust, first match wins: explicit
    ``credentials``; ``insecure_skip_verify`` (trust whatever certificate the server presents, for self-signed
    test clusters: this connects to the server once, here); ``ca_cert_file_path``; ``root_certificates``; the
    system roots. Client certificates (mTLS) come from the arguments or ``client_certificate_path`` /
    ``client_key_path``.
    """
    import grpc

    opts = channel_options(cfg, options)
    target = cfg.endpoint
    if cfg.insecure:
        return None, opts
    if credentials is None:
        key = private_key or _read(getattr(cfg, "client_key_path", None))
        chain = certificate_chain or _read(getattr(cfg, "client_certificate_path", None))
        roots = root_certificates
        if cfg.insecure_skip_verify:
            cert_paths = _client_cert_paths(cfg)
            roots = server_certificate(target, client_cert=cert_paths)
            override = target_name_override(target, certificate_names(roots, target, client_cert=cert_paths))
            if override is not None and not any(name == "grpc.ssl_target_name_override" for name, _ in opts):
                opts.append(("grpc.ssl_target_name_override", override))
            log.warning(
                "insecure_skip_verify: trusting the certificate %s presents without verification%s",
                target,
                f" (it is for {override!r}, not this host)" if override else "",
            )
        elif cfg.ca_cert_file_path:
            roots = _read(cfg.ca_cert_file_path)
        credentials = grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=chain)
    return credentials, opts


def make_channel(
    cfg: PlatformConfig,
    *,
    credentials: grpc.ChannelCredentials | None = None,
    root_certificates: bytes | None = None,
    private_key: bytes | None = None,
    certificate_chain: bytes | None = None,
    compression: grpc.Compression | None = None,
    options: Any = (),
) -> grpc.Channel:
    """A channel to ``cfg.endpoint``: plain when ``cfg.insecure``, else TLS (see :func:`channel_security`)."""
    import grpc

    creds, opts = channel_security(
        cfg,
        credentials=credentials,
        root_certificates=root_certificates,
        private_key=private_key,
        certificate_chain=certificate_chain,
        options=options,
    )
    if creds is None:
        return grpc.insecure_channel(cfg.endpoint, options=opts, compression=compression)
    return grpc.secure_channel(cfg.endpoint, creds, options=opts, compression=compression)
