"""The admin's one error type: a gRPC status code and Flyte Admin's own message for it.

Managers raise :class:`AdminError`; the service layer turns it into the gRPC status. Anything else escaping a
manager is a bug in the admin, and only that becomes INTERNAL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

__all__ = [
    "MAX_ECHO_CHARS",
    "MAX_MESSAGE_BYTES",
    "AdminError",
    "already_exists",
    "echo",
    "failed_precondition",
    "invalid_argument",
    "not_found",
]

# Flyte Admin truncates status messages at this size (common.MaxResponseStatusBytes), so that they fit into
# clients' 32 KiB metadata limit.
MAX_MESSAGE_BYTES = 32000
# How much of one client-supplied value (a name, a filter, a token...) a message quotes: gRPC's default client
# accepts 8 KiB of metadata, the status message included, so a message must never grow with the client's input.
MAX_ECHO_CHARS = 256


def echo(value: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``value`` as an error message quotes client input: whole up to ``limit`` characters, else its first
    ``limit`` characters, an ellipsis and its length (``aaaa... (17000 characters)``)."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}... ({len(value)} characters)"


class AdminError(Exception):
    """A client-visible failure: ``code`` and ``message`` as Flyte Admin would answer them.

    ``details`` are protobuf messages attached to the status (e.g. ``admin.CreateWorkflowFailureReason``).
    """

    def __init__(self, code: grpc.StatusCode, message: str, details: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = tuple(details)

    def __repr__(self) -> str:
        return f"AdminError({self.code.name}, {self.message!r})"


def invalid_argument(message: str, details: Sequence[Any] = ()) -> AdminError:
    return AdminError(grpc.StatusCode.INVALID_ARGUMENT, message, details)


def not_found(message: str) -> AdminError:
    return AdminError(grpc.StatusCode.NOT_FOUND, message)


def already_exists(message: str, details: Sequence[Any] = ()) -> AdminError:
    return AdminError(grpc.StatusCode.ALREADY_EXISTS, message, details)


def failed_precondition(message: str, details: Sequence[Any] = ()) -> AdminError:
    return AdminError(grpc.StatusCode.FAILED_PRECONDITION, message, details)
