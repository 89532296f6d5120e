"""What holds a port the sandbox wanted: a Flyte Admin (asked with GetVersion, as any Flyte client would), or another
program. Said when ``flyteplane sandbox`` cannot listen, so the user knows whether a sandbox already runs there.
"""

from __future__ import annotations

__all__ = ["describe_port_holder"]

_PROBE_TIMEOUT = 2.0


def describe_port_holder(host: str, port: int, side: str) -> str:
    """A phrase saying what listens on ``host:port``: ``a Flyte Admin answers GetVersion there (version 1.16.0)``,
    ``a Flyte Admin's HTTP side answers /healthcheck there`` or ``another program``."""
    target = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
    found = _grpc_admin(target, port) if side == "gRPC" else _http_admin(target, port)
    return found or "another program"


def _grpc_admin(host: str, port: int) -> str | None:
    import grpc
    from flyteidl.admin import version_pb2
    from flyteidl.service import admin_pb2_grpc

    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    channels = [lambda: grpc.insecure_channel(address)]
    pem = _tls_certificate(host, port)
    if pem is not None:
        # Trust whatever it presents: the question is only who answers, no data is sent.
        channels.insert(0, lambda: grpc.secure_channel(address, grpc.ssl_channel_credentials(pem)))
    for make in channels:
        with make() as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            try:
                answer = stub.GetVersion(version_pb2.GetVersionRequest(), timeout=_PROBE_TIMEOUT)
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.UNAUTHENTICATED:
                    return "a Flyte Admin with auth answers there (GetVersion needs a token)"
                continue
            version = answer.control_plane_version.Version or "unknown"
            return f"a Flyte Admin answers GetVersion there (version {version})"
    return None


def _tls_certificate(host: str, port: int) -> bytes | None:
    """The PEM certificate a TLS server on ``host:port`` presents, or None when it speaks no TLS."""
    import ssl

    try:
        return ssl.get_server_certificate((host, port), timeout=_PROBE_TIMEOUT).encode()
    except (OSError, ssl.SSLError, ValueError):
        return None


def _http_admin(host: str, port: int) -> str | None:
    import http.client
    import ssl

    netloc = f"[{host}]" if ":" in host else host
    attempts: list[http.client.HTTPConnection] = [
        http.client.HTTPConnection(netloc, port, timeout=_PROBE_TIMEOUT),
        http.client.HTTPSConnection(netloc, port, timeout=_PROBE_TIMEOUT, context=ssl._create_unverified_context()),
    ]
    for connection in attempts:
        try:
            connection.request("GET", "/healthcheck")
            if connection.getresponse().status == 200:
                return "a Flyte Admin's HTTP side answers /healthcheck there"
        except (OSError, http.client.HTTPException):
            continue
        finally:
            connection.close()
    return None
