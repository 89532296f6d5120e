"""What the registry managers (tasks, workflows, launch plans) share.

* :func:`digest` — the structure hash that tells an identical re-registration from a conflicting one.
* :func:`structure_diff` — the readable "what differs" text appended to Flyte Admin's
  ``... with different structure already exists`` messages.
* :class:`ResponseCache` — a bounded cache for responses that never change (a registered version is immutable).
* :func:`validate_create_request` — CreateTask / CreateWorkflow's first checks.
* :func:`register_version` — the one way a new version is written: the row, its description, and Flyte Admin's
  identical / different structure answers when the version exists, safe against concurrent registrations.
* :func:`list_versions` / :func:`list_names` — ListTasks, ListWorkflows, ListLaunchPlans and ListTaskIds,
  ListWorkflowIds, with their request checks; and the query helpers behind them.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from flyteidl.admin import common_pb2, description_entity_pb2
from flyteidl.core import identifier_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy import Connection, Row, Select, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import timestamp
from flyteplane.admin.domain.validation.common import (
    id_text,
    require,
    validate_identifier,
    validate_limit,
    validate_project_and_domain,
)
from flyteplane.admin.errors import AdminError, already_exists, invalid_argument, not_found
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store import listing, schema
from flyteplane.admin.store.db import Store

__all__ = [
    "MAX_DIFF_BYTES",
    "ResponseCache",
    "by_key",
    "description_row",
    "different_structure_message",
    "digest",
    "identifier_of",
    "identifier_query",
    "key_params",
    "list_names",
    "list_versions",
    "missing_entity",
    "named_identifiers",
    "page_rows",
    "register_version",
    "structure_diff",
    "timestamp",
    "validate_create_request",
    "validate_identifier_list_request",
    "validate_resource_list_request",
    "with_resource_type",
]

# Flyte Admin cuts the diff of a conflicting registration at 3 MiB (the status message is cut again at 32000 bytes).
MAX_DIFF_BYTES = 3 * 1024 * 1024

K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M", bound=Message)


def digest(message: Message) -> str:
    """The structure hash of a registered entity: SHA-256 (hex) of its deterministic protobuf serialization.

    Deterministic serialization orders map entries by key, so two clients that build the same structure with maps
    filled in different orders get the same digest. Flyte Admin hashes a JSON rendering instead (pbhash); the value
    is only ever compared with digests made by this admin, so the choice of function is free.
    """
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


def identifier_of(source: Any, resource_type: int = identifier_pb2.UNSPECIFIED) -> identifier_pb2.Identifier:
    """An Identifier of ``resource_type`` with the project/domain/name/version of ``source`` (a row or a message).

    Without a resource type it is the form Flyte Admin's repositories print in NOT_FOUND messages.
    """
    return identifier_pb2.Identifier(
        resource_type=resource_type,  # type: ignore[arg-type]
        project=source.project,
        domain=source.domain,
        name=source.name,
        version=source.version,
    )


def missing_entity(kind: str, identifier: Any) -> str:
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


# --- caching ---------------------------------------------------------------------------------------------------


class ResponseCache(Generic[K, V]):
    """A bounded map for responses that never change once built (registered versions are immutable).

    Reads take no lock (a dict lookup is atomic); inserts take one and evict the oldest entry when full. Cached
    values are shared between threads, so callers must treat them as read-only.
    """

    def __init__(self, maxsize: int = 4096) -> None:
        self._maxsize = maxsize
        self._data: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if key not in self._data and len(self._data) >= self._maxsize:
                del self._data[next(iter(self._data))]
            self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


def get_version(
    store: Store,
    cache: ResponseCache[tuple[str, str, str, str], V],
    query: Any,
    ident: Any,
    kind: str,
    convert: Callable[[Row[Any], Any], V],
) -> V:
    """One registered version by identifier, from ``cache`` or the store (NOT_FOUND as Flyte Admin words it)."""
    key = (ident.project, ident.domain, ident.name, ident.version)
    found = cache.get(key)
    if found is not None:
        return found
    with store.read() as conn:
        row = conn.execute(query, key_params(ident)).first()
    if row is None:
        raise not_found(missing_entity(kind, ident))
    found = convert(row, ident)
    cache.put(key, found)
    return found


# --- request checks ----------------------------------------------------------------------------------------------


def validate_create_request(ctx: AdminContext, request: Any, resource_type: int) -> None:
    """CreateTask / CreateWorkflow's first checks, in Flyte Admin's order: the id, that its project and domain are
    registered, and a spec with a template."""
    validate_identifier(request.id, request.HasField("id"), resource_type)
    with ctx.store.read() as conn:
        validate_project_and_domain(ctx, conn, request.id.project, request.id.domain)
    if not request.HasField("spec") or not request.spec.HasField("template"):
        raise invalid_argument("missing spec")


def validate_resource_list_request(request: common_pb2.ResourceListRequest) -> None:
    """ResourceListRequest (ListTasks, ListWorkflows, ListLaunchPlans): id, project, domain, limit — in that order."""
    if not request.HasField("id"):
        raise invalid_argument("missing id")
    require(request.id.project, "project")
    require(request.id.domain, "domain")
    validate_limit(request.limit)


def validate_identifier_list_request(request: common_pb2.NamedEntityIdentifierListRequest) -> None:
    """NamedEntityIdentifierListRequest (ListTaskIds, ListWorkflowIds): project, domain, limit."""
    require(request.project, "project")
    require(request.domain, "domain")
    validate_limit(request.limit)


# --- descriptions ------------------------------------------------------------------------------------------------


def description_row(
    description: description_entity_pb2.DescriptionEntity, identifier: Any, resource_type: int, now: _dt.datetime
) -> dict[str, Any]:
    """The ``description_entities`` row a registration carrying ``spec.description`` writes next to the entity."""
    return {
        "resource_type": resource_type,
        "project": identifier.project,
        "domain": identifier.domain,
        "name": identifier.name,
        "version": identifier.version,
        "short_description": description.short_description,
        "long_description": description.long_description.SerializeToString()
        if description.HasField("long_description")
        else None,
        "link": description.source_code.link if description.HasField("source_code") else "",
        "source_code": description.source_code.SerializeToString() if description.HasField("source_code") else None,
        "tags": json.dumps(list(description.tags)) if description.tags else None,
        "created_at": now,
        "updated_at": now,
    }


# --- statements ----------------------------------------------------------------------------------------------------


def by_key(table: Table, *columns: Any) -> Any:
    """``SELECT <columns> FROM table WHERE project/domain/name/version = :binds`` — one statement object, so
    SQLAlchemy compiles it once and reuses the compiled form from its cache."""
    return select(*columns).where(
        table.c.project == bindparam("p"),
        table.c.domain == bindparam("d"),
        table.c.name == bindparam("n"),
        table.c.version == bindparam("v"),
    )


def key_params(identifier: Any) -> dict[str, str]:
    return {"p": identifier.project, "d": identifier.domain, "n": identifier.name, "v": identifier.version}


def identifier_query(table: Table, project: str, domain: str) -> Any:
    """The distinct (project, domain, name) of one entity table in a project and domain (List*Ids)."""
    return (
        select(table.c.project, table.c.domain, table.c.name)
        .where(table.c.project == project, table.c.domain == domain)
        .group_by(table.c.project, table.c.domain, table.c.name)
    )


# Rows fetched per ``id IN (...)`` statement: far below SQLite's limit on bound variables, whatever the page size.
_FETCH_CHUNK = 500


def page_rows(
    conn: Connection, table: Table, ids: Select[Any], columns: Sequence[Any], limit: int, token: str, rpc: str
) -> tuple[list[Row[Any]], str]:
    """One page of a listing, in two steps: page through ``ids`` (the filtered, sorted query selecting only
    ``table.c.id``), then fetch ``columns`` for just those rows.

    Sorting and skipping then move ids instead of whole rows with their serialized closures, which keeps deep
    pages cheap (an offset of 10,000 sorts 10,000 small records, not 10,000 blobs).
    """
    id_rows, next_token = listing.paginate(conn, ids, limit, token, rpc)
    order = [row[0] for row in id_rows]
    by_id: dict[Any, Row[Any]] = {}
    for start in range(0, len(order), _FETCH_CHUNK):
        chunk = order[start : start + _FETCH_CHUNK]
        for row in conn.execute(select(table.c.id, *columns).where(table.c.id.in_(chunk))):
            by_id[row.id] = row
    return [by_id[i] for i in order if i in by_id], next_token


def named_identifiers(rows: Iterable[Row[Any]]) -> list[common_pb2.NamedEntityIdentifier]:
    return [common_pb2.NamedEntityIdentifier(project=r.project, domain=r.domain, name=r.name) for r in rows]


def list_versions(
    store: Store, request: common_pb2.ResourceListRequest, table: Table, entity: str, columns: Sequence[Any], rpc: str
) -> tuple[list[Row[Any]], str]:
    """ListTasks / ListWorkflows / ListLaunchPlans: one page of ``columns`` of the versions in the request's project
    and domain (and name, when given), filtered and sorted by ``entity``'s rules; ``rpc`` names the RPC in a bad
    token's message."""
    validate_resource_list_request(request)
    ids: Select[Any] = select(table.c.id).where(
        table.c.project == request.id.project, table.c.domain == request.id.domain
    )
    if request.id.name:
        ids = ids.where(table.c.name == request.id.name)
    ids, _ = listing.apply_filters(ids, request.filters, entity)
    ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), entity)
    with store.read() as conn:
        return page_rows(conn, table, ids, columns, request.limit, request.token, rpc)


def list_names(
    store: Store, request: common_pb2.NamedEntityIdentifierListRequest, table: Table, entity: str, rpc: str
) -> common_pb2.NamedEntityIdentifierList:
    """ListTaskIds / ListWorkflowIds: the distinct names in a project and domain, sorted by ``entity``'s rules.
    Flyte Admin ignores ``filters`` here: only project and domain narrow the names."""
    validate_identifier_list_request(request)
    query = identifier_query(table, request.project, request.domain)
    query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), entity)
    with store.read() as conn:
        rows, token = listing.paginate(conn, query, request.limit, request.token, rpc)
    return common_pb2.NamedEntityIdentifierList(entities=named_identifiers(rows), token=token)


def register_version(
    store: Store,
    table: Table,
    existing: Any,
    identifier: Any,
    columns: Mapping[str, Any],
    *,
    kind: str,
    now: _dt.datetime,
    structure: M,
    stored_structure: Callable[[Row[Any]], M],
    digest_of: Message | None = None,
    description: tuple[int, Any] | None = None,
    same_structure: Callable[[M, M], bool] | None = None,
    failure_reason: Callable[[bool], Message] | None = None,
) -> None:
    """Register a new version of a task, workflow or launch plan (``kind`` names it in messages).

    The row is ``columns`` plus the key of ``identifier``, the digest of ``digest_of`` (default: ``structure``), and
    ``now`` as created_at and updated_at. ``description`` is (resource type, spec) for the kinds that carry
    documentation: the row's ``short_description`` and the ``description_entities`` row come from
    ``spec.description``.

    When the version exists (``existing`` selects its digest and the column ``stored_structure`` reads): the same
    digest, or ``same_structure(old, new)``, is ALREADY_EXISTS ``<kind> with identical structure already exists``;
    anything else is INVALID_ARGUMENT with the diff of the stored structure against ``structure``.
    ``failure_reason(identical)`` is the status detail Flyte Admin attaches to either (workflows).
    """
    version_digest = digest(digest_of if digest_of is not None else structure)
    values: dict[str, Any] = {
        "project": identifier.project,
        "domain": identifier.domain,
        "name": identifier.name,
        "version": identifier.version,
        **columns,
        "digest": version_digest,
        "created_at": now,
        "updated_at": now,
    }
    described = None
    if description is not None:
        resource_type, spec = description
        values["short_description"] = ""
        if spec.HasField("description"):
            described = description_row(spec.description, identifier, resource_type, now)
            values["short_description"] = spec.description.short_description

    def details(identical: bool) -> list[Message]:
        return [failure_reason(identical)] if failure_reason is not None else []

    def conflict(row: Row[Any]) -> AdminError:
        old = None if row.digest == version_digest else stored_structure(row)
        if old is None or (same_structure is not None and same_structure(old, structure)):
            return already_exists(f"{kind} with identical structure already exists", details(True))
        return invalid_argument(different_structure_message(identifier.name, kind, old, structure), details(False))

    _insert_version(store, table, existing, identifier, values, described, conflict)


def _insert_version(
    store: Store,
    table: Table,
    existing: Any,
    identifier: Any,
    values: Mapping[str, Any],
    description: Mapping[str, Any] | None,
    conflict: Callable[[Row[Any]], AdminError],
) -> None:
    """Insert a new version (and its description) in one transaction, or raise ``conflict(existing_row)``.

    ``existing`` selects the columns ``conflict`` needs by key. The check runs inside the write transaction, and a
    unique-key violation (another writer won a race for the same version) is answered the same way, after reading
    the winner's row: concurrent identical registrations all end in ALREADY_EXISTS, never in a database error.
    """
    params = key_params(identifier)
    try:
        with store.begin() as conn:
            row = conn.execute(existing, params).first()
            if row is not None:
                raise conflict(row)
            if description is not None:
                conn.execute(insert(schema.description_entities).values(**description))
            conn.execute(insert(table).values(**values))
    except IntegrityError as e:
        with store.read() as conn:
            row = conn.execute(existing, params).first()
        if row is None:  # a description row without its entity: say what Flyte Admin says for a duplicate key
            raise already_exists(f"value with matching already exists ({e.orig})") from None
        raise conflict(row) from None
