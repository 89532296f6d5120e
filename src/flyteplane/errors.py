"""One exception tree for everything flyteplane raises about Flyte Admin.

The class names are flytekit's, so code that catches flytekit's exceptions keeps working::

    FlyteException
    ├── FlyteUserException
    │   ├── FlyteAssertion (also an AssertionError, as in flytekit)
    │   │   ├── FlyteEntityAlreadyExistsException   ALREADY_EXISTS
    │   │   ├── FlyteEntityNotExistException        NOT_FOUND
    │   │   ├── FlyteAuthenticationException        UNAUTHENTICATED
    │   │   └── FlyteTimeout                        DEADLINE_EXCEEDED, or the client's own deadline
    │   ├── FlyteInvalidInputException              INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION
    │   ├── FlytePermissionDeniedException          PERMISSION_DENIED
    │   └── FlyteFileNotFoundError                  a file the configuration names is missing (no RPC)
    └── FlyteSystemException (FlyteRecoverableException)
        ├── FlyteSystemUnavailableException         UNAVAILABLE (after retries)
        ├── FlyteResourceExhaustedException         RESOURCE_EXHAUSTED (after retries)
        ├── FlyteUnimplementedException             UNIMPLEMENTED
        └── FlyteSystemException itself            INTERNAL, UNKNOWN, DATA_LOSS, CANCELLED, ...

Every exception raised for a failed RPC carries ``rpc`` (the method name), ``entity`` (what was asked for),
``code`` (the ``grpc.StatusCode``) and ``details`` (the server's own message); the ``grpc.RpcError`` stays
reachable as ``__cause__``. :func:`from_grpc_error` is the one place where status codes become classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc

__all__ = [
    "FlyteAssertion",
    "FlyteAuthenticationException",
    "FlyteEntityAlreadyExistsException",
    "FlyteEntityNotExistException",
    "FlyteException",
    "FlyteFileNotFoundError",
    "FlyteInvalidInputException",
    "FlytePermissionDeniedException",
    "FlyteRecoverableException",
    "FlyteResourceExhaustedException",
    "FlyteSystemException",
    "FlyteSystemUnavailableException",
    "FlyteTimeout",
    "FlyteUnimplementedException",
    "FlyteUserException",
    "from_grpc_error",
]


class FlyteException(Exception):
    """Base of every flyteplane error about Flyte Admin.

    Attributes:
        rpc: the gRPC method that failed, e.g. ``"GetTask"`` (``None`` when no call was made).
        entity: a short rendering of what the call was about, e.g. ``"TASK:p:d:name:v1"``.
        code: the ``grpc.StatusCode`` the server (or the channel) answered with, if any.
        details: the server's own message, unchanged.
    """

    _ERROR_CODE = "UNKNOWN"

    def __init__(
        self,
        message: str = "",
        *,
        rpc: str | None = None,
        entity: str | None = None,
        code: grpc.StatusCode | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.rpc = rpc
        self.entity = entity
        self.code = code
        self.details = details

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message


class FlyteUserException(FlyteException):
    """The request cannot succeed as it stands: fix the input, the identity or the entity."""


class FlyteAssertion(FlyteUserException, AssertionError):
    """flytekit's name for user errors that assert a state of the world (exists, not exists, ...)."""


class FlyteEntityAlreadyExistsException(FlyteAssertion):
    """The entity (with an identical structure) is already registered."""


class FlyteEntityNotExistException(FlyteAssertion):
    """The entity asked for does not exist."""


class FlyteAuthenticationException(FlyteAssertion):
    """The server does not accept the caller's credentials."""


class FlyteTimeout(FlyteAssertion):
    """The call (or the wait) did not finish within its deadline."""


class FlyteInvalidInputException(FlyteUserException):
    """The server rejected the request; ``details`` names the field."""

    def __init__(self, message: str = "", *, request: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request = request


class FlytePermissionDeniedException(FlyteUserException):
    """The caller is authenticated but not allowed to do this."""


class FlyteFileNotFoundError(FlyteUserException, FileNotFoundError):
    """A file the configuration names does not exist: a client secret file (``admin.clientSecretLocation``) or
    an explicit config file. Also a ``FileNotFoundError``, so code written for flytekit, which raises that, still
    catches it."""


class FlyteRecoverableException(FlyteException):
    """An error that may go away if the same call is made later."""


class FlyteSystemException(FlyteRecoverableException):
    """The server or the network failed; the request itself may be fine."""


class FlyteSystemUnavailableException(FlyteSystemException):
    """Flyte Admin could not be reached (after the allowed retries)."""


class FlyteResourceExhaustedException(FlyteSystemException):
    """The server is overloaded or a size limit was hit (after the allowed retries)."""


class FlyteUnimplementedException(FlyteSystemException):
    """The server does not implement this RPC."""


def _code_table() -> dict[Any, type[FlyteException]]:
    import grpc

    c = grpc.StatusCode
    return {
        c.ALREADY_EXISTS: FlyteEntityAlreadyExistsException,
        c.NOT_FOUND: FlyteEntityNotExistException,
        c.UNAUTHENTICATED: FlyteAuthenticationException,
        c.DEADLINE_EXCEEDED: FlyteTimeout,
        c.INVALID_ARGUMENT: FlyteInvalidInputException,
        c.OUT_OF_RANGE: FlyteInvalidInputException,
        c.FAILED_PRECONDITION: FlyteInvalidInputException,
        c.PERMISSION_DENIED: FlytePermissionDeniedException,
        c.UNAVAILABLE: FlyteSystemUnavailableException,
        c.RESOURCE_EXHAUSTED: FlyteResourceExhaustedException,
        c.UNIMPLEMENTED: FlyteUnimplementedException,
    }


_TABLE: dict[Any, type[FlyteException]] | None = None

_HINTS = {
    "UNAVAILABLE": (
        "is Flyte Admin running at this endpoint, and does the channel's TLS setting match the server's "
        "(admin.insecure; a client certificate if it requires one)?"
    ),
    "UNAUTHENTICATED": "check the auth settings (admin.authType) or log in again",
    "DEADLINE_EXCEEDED": "the server did not answer in time; raise the deadline or check the endpoint",
}

# What gRPC's TLS layer says (in an UNAVAILABLE's details) when the server's certificate is not trusted, or not for
# the host the channel checks it against; and when the handshake fails for another reason (a plaintext server).
_CERTIFICATE_FAILURES = (
    "certificate_verify_failed",
    "certificate verify failed",
    "hostname verification",
    "no match found for server name",
    "is not in peer certificate",
)
_HANDSHAKE_FAILURES = ("handshake failed", "wrong_version_number", "ssl_error_ssl")
_CERTIFICATE_HINT = (
    "the server's TLS certificate could not be verified: set admin.caCertFilePath to the CA that signed it, "
    "or admin.insecureSkipVerify for a test cluster"
)
_NAME_HINT = "; the certificate is not for this host name: connect with a name it carries"
_HANDSHAKE_HINT = (
    "the TLS handshake with the server failed: does it speak TLS? (admin.insecure: true for a plaintext admin)"
)


def _hint(code_name: str, details: str | None) -> str | None:
    """What to do about a failure, for the message; TLS failures hide inside UNAVAILABLE and get their own."""
    if code_name == "UNAVAILABLE" and details:
        text = details.lower()
        if any(marker in text for marker in _CERTIFICATE_FAILURES):
            names = "hostname verification" in text or "server name" in text or "peer certificate" in text
            return _CERTIFICATE_HINT + (_NAME_HINT if names else "")
        if any(marker in text for marker in _HANDSHAKE_FAILURES):
            return _HANDSHAKE_HINT
    return _HINTS.get(code_name)


def exception_class_for(code: grpc.StatusCode) -> type[FlyteException]:
    """The exception class that stands for a gRPC status code."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _code_table()
    return _TABLE.get(code, FlyteSystemException)


def from_grpc_error(
    error: grpc.RpcError,
    rpc: str,
    entity: str | None = None,
    *,
    request: Any = None,
    endpoint: str | None = None,
) -> FlyteException:
    """Build the flyteplane exception for a failed RPC; raise it ``from error`` to keep the cause."""
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    name = code.name if code is not None else "UNKNOWN"
    what = f"{rpc}({entity})" if entity else rpc
    where = f" at {endpoint}" if endpoint else ""
    message = f"{what} failed{where} with {name}: {details or '(no details from the server)'}"
    hint = _hint(name, details)
    if hint:
        message += f" ({hint})"
    cls = exception_class_for(code) if code is not None else FlyteSystemException
    kwargs: dict[str, Any] = {"rpc": rpc, "entity": entity, "code": code, "details": details}
    if cls is FlyteInvalidInputException:
        return FlyteInvalidInputException(message, request=request, **kwargs)
    return cls(message, **kwargs)
