"""Building the gRPC channel from a PlatformConfig: TLS choices, message sizes, keepalive, extra options."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc

    from flyteplane.configuration import PlatformConfig

__all__ = ["channel_options", "make_channel", "server_certificate"]

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


def server_certificate(endpoint: str) -> bytes:
    """The server's leaf certificate (PEM), fetched without verification: what ``insecure_skip_verify`` trusts."""
    import ssl

    host, _, port = endpoint.rpartition(":")
    if not host:
        host, port = endpoint, "443"
    return ssl.get_server_certificate((host.strip("[]"), int(port or 443))).encode()


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from e


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
    """A channel to ``cfg.endpoint``: plain when ``cfg.insecure``, else TLS.

    TLS trust, first match wins: explicit ``credentials``; ``insecure_skip_verify`` (trust whatever certificate
    the server presents, for self-signed test clusters); ``ca_cert_file_path``; ``root_certificates``; the system
    roots. Client certificates (mTLS) come from the arguments or ``client_certificate_path``/``client_key_path``.
    """
    import grpc

    opts = channel_options(cfg, options)
    target = cfg.endpoint
    if cfg.insecure:
        return grpc.insecure_channel(target, options=opts, compression=compression)
    if credentials is None:
        key = private_key or _read(getattr(cfg, "client_key_path", None))
        chain = certificate_chain or _read(getattr(cfg, "client_certificate_path", None))
        roots = root_certificates
        if cfg.insecure_skip_verify:
            roots = server_certificate(target)
            log.warning("insecure_skip_verify: trusting the certificate %s presents without verification", target)
        elif cfg.ca_cert_file_path:
            roots = _read(cfg.ca_cert_file_path)
        credentials = grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=chain)
    return grpc.secure_channel(target, credentials, options=opts, compression=compression)
