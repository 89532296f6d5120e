"""What the registry managers (tasks, workflows, launch plans) share; no SQL (that is :mod:`flyteplane.admin.store`).

* :func:`digest` — the structure hash that tells an identical re-registration from a conflicting one.
* :func:`check_new_version` — Flyte Admin's identical / different structure answers when a registration finds its
  version stored, with :func:`structure_diff`, the readable "what differs" text appended to the latter.
* :class:`ResponseCache` / :func:`get_cached` — a cache bounded by bytes for responses that never change (a registered
  version is immutable).
* :func:`missing_entity`, :func:`with_resource_type` — Flyte Admin's NOT_FOUND text and its RPC layer's default
  resource type.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flyteidl.core import identifier_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from flyteplane.admin.domain.validation.common import check_identifier_lengths, id_text
from flyteplane.admin.errors import already_exists, echo, invalid_argument, not_found
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.registry import ExistingVersion
from flyteplane.admin.store.registry_rows import VersionKey, identifier_of

__all__ = [
    "MAX_DIFF_BYTES",
    "ResponseCache",
    "check_entity_size",
    "check_new_version",
    "different_structure_message",
    "digest",
    "get_cached",
    "missing_entity",
    "structure_diff",
    "with_resource_type",
]

# Flyte Admin cuts the diff of a conflicting registration at 3 MiB (the status message is cut again at 32000 bytes).
MAX_DIFF_BYTES = 3 * 1024 * 1024

K = TypeVar("K")
V = TypeVar("V")
S = TypeVar("S", bound=Message)


def digest(message: Message) -> str:
    """The structure hash of a registered entity: SHA-256 (hex) of its deterministic protobuf serialization.

    Deterministic serialization orders map entries by key, so two clients that build the same structure with maps
    filled in different orders get the same digest. Flyte Admin hashes a JSON rendering instead (pbhash); the value
    is only ever compared with digests made by this admin, so the choice of function is free.
    """
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


def missing_entity(kind: str, identifier: VersionKey) -> str:
    """``missing entity of type TASK with identifier project:"p" ...`` (Flyte Admin's GetMissingEntityError)."""
    return f"missing entity of type {kind} with identifier {id_text(identifier_of(identifier))}"


def with_resource_type(request: Any, resource_type: int) -> identifier_pb2.Identifier:
    """The request's id, with the resource type Flyte Admin's RPC layer fills in when it arrives UNSPECIFIED (the
    request itself is left untouched)."""
    ident = request.id
    if ident.resource_type == identifier_pb2.UNSPECIFIED:
        filled = identifier_pb2.Identifier()
        filled.CopyFrom(ident)
        filled.resource_type = resource_type  # type: ignore[assignment]
        return filled
    return ident  # type: ignore[no-any-return]


# --- conflicting registrations -----------------------------------------------------------------------------------


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _render(value: Any) -> str:
    # Go prints the decoded JSON value with %v: strings bare, nil as <nil>; containers as compact JSON here.
    if value is None:
        return "<nil>"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def _walk(path: str, old: Any, new: Any, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(old) + [k for k in new if k not in old]
        for key in keys:
            _walk(f"{path}/{_pointer_token(key)}", old.get(key), new.get(key), out)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            _walk(
                f"{path}/{index}",
                old[index] if index < len(old) else None,
                new[index] if index < len(new) else None,
                out,
            )
    elif old != new:
        out.append(f"{path}:\n\t- {_render(old)} \n\t+ {_render(new)}")


def structure_diff(old: Message, new: Message) -> str:
    """Every leaf that differs between two versions, one entry per JSON-pointer path, formatted as Flyte Admin
    formats its jsondiff output: ``/path:\\n\\t- <old> \\n\\t+ <new>`` (a side that lacks the path prints ``<nil>``)."""
    old_json: Any
    new_json: Any
    try:
        old_json = json_format.MessageToDict(old, preserving_proto_field_name=True)
        new_json = json_format.MessageToDict(new, preserving_proto_field_name=True)
    except (TypeError, ValueError):  # an Any of a type this process cannot resolve: compare the text forms
        old_json, new_json = go_text(old), go_text(new)
    lines: list[str] = []
    _walk("", old_json, new_json, lines)
    text = "\n".join(lines)
    encoded = text.encode()
    if len(encoded) > MAX_DIFF_BYTES:
        text = encoded[:MAX_DIFF_BYTES].decode(errors="ignore")
    return text


def different_structure_message(name: str, kind: str, old: Message, new: Message) -> str:
    """Flyte Admin's message for a registration that reuses a version with a different structure."""
    return (
        f"{name} {kind} with different structure already exists. "
        f"(Please register a new version of the {kind}):\n{structure_diff(old, new)}"
    )


def check_entity_size(kind: str, identifier: identifier_pb2.Identifier, entity: Message, limit: int | None) -> None:
    """INVALID_ARGUMENT when the ``entity`` about to be stored (a task's or workflow's closure, a launch plan)
    weighs more than ``limit`` bytes (``AdminConfig.max_entity_bytes``; None: no limit). Reading back a bigger one
    would not fit the messages clients accept."""
    if limit is None:
        return
    size = entity.ByteSize()
    if size > limit:
        raise invalid_argument(
            f"{kind} [{echo(identifier.name)}] is too large to register: {size} bytes, over the limit of {limit} "
            "bytes (max_entity_bytes)"
        )


# --- caching ---------------------------------------------------------------------------------------------------


class ResponseCache(Generic[K, V]):
    """A map bounded by bytes, for responses that never change once built (registered versions are immutable).

    Bounded by the serialized size of what it holds (``size_of``, by default ``ByteSize()``): a count alone lets
    a few huge versions hold gigabytes. A value bigger than a quarter of the budget is not kept at all (reading it
    again costs one query; keeping it would evict everything else). Reads take no lock (a dict lookup is atomic);
    inserts take one and evict the oldest entries until the new one fits. Cached values are shared between threads,
    so callers must treat them as read-only.

    Args:
        maxsize: most entries.
        max_bytes: most bytes of values, as ``size_of`` counts them.
        size_of: a value's size; None: its serialized size (a protobuf message's ``ByteSize()``).
    """

    def __init__(
        self, maxsize: int = 4096, max_bytes: int = 64 * 1024 * 1024, size_of: Callable[[V], int] | None = None
    ) -> None:
        if maxsize <= 0 or max_bytes <= 0:
            raise ValueError("a response cache needs room for at least one entry and one byte")
        self._maxsize = maxsize
        self._max_bytes = max_bytes
        self._size_of: Callable[[V], int] = size_of if size_of is not None else _byte_size
        self._data: dict[K, V] = {}
        self._sizes: dict[K, int] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        size = self._size_of(value)
        if size > self._max_bytes // 4:
            return
        with self._lock:
            if key in self._data:
                self._bytes -= self._sizes.pop(key)
                del self._data[key]
            while self._data and (len(self._data) >= self._maxsize or self._bytes + size > self._max_bytes):
                oldest = next(iter(self._data))
                del self._data[oldest]
                self._bytes -= self._sizes.pop(oldest)
            self._data[key] = value
            self._sizes[key] = size
            self._bytes += size

    @property
    def nbytes(self) -> int:
        """The bytes held (as ``size_of`` counts them)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)


def _byte_size(value: Any) -> int:
    return int(value.ByteSize())


def get_cached(
    cache: ResponseCache[tuple[str, str, str, str], V],
    ident: identifier_pb2.Identifier,
    kind: str,
    fetch: Callable[[identifier_pb2.Identifier], V | None],
) -> V:
    """One registered version by identifier, from ``cache`` or ``fetch`` (NOT_FOUND as Flyte Admin words it); an
    identifier with a part longer than any stored one is INVALID_ARGUMENT."""
    check_identifier_lengths(ident)
    key = (ident.project, ident.domain, ident.name, ident.version)
    found = cache.get(key)
    if found is not None:
        return found
    found = fetch(ident)
    if found is None:
        raise not_found(missing_entity(kind, ident))
    cache.put(key, found)
    return found


# --- registration ----------------------------------------------------------------------------------------------


def check_new_version(
    existing: ExistingVersion[S] | None,
    identifier: identifier_pb2.Identifier,
    *,
    kind: str,
    digest: str,
    structure: S,
    failure_reason: Callable[[bool], Message] | None = None,
) -> None:
    """Flyte Admin's answer when a registration of ``kind`` (task, workflow, launch plan) found its version stored
    (``existing``; None: the version was new, nothing to say).

    The same ``digest`` is ALREADY_EXISTS ``<kind> with identical structure already
    exists``; anything else is INVALID_ARGUMENT with the diff of the stored structure against ``structure``.
    ``failure_reason(identical)`` is the status detail Flyte Admin attaches to either (workflows).
    """
    if existing is None:
        return

    def details(identical: bool) -> list[Message]:
        return [failure_reason(identical)] if failure_reason is not None else []

    identical = already_exists(f"{kind} with identical structure already exists", details(True))
    if existing.digest == digest:
        raise identical
    raise invalid_argument(
        different_structure_message(identifier.name, kind, existing.structure, structure), details(False)
    )
