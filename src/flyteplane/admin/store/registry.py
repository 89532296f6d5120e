"""The registry's versioned entities: tasks, workflows and launch plans (Flyte Admin's
``repositories/gormimpl/task_repo.go``, ``workflow_repo.go`` and ``launch_plan_repo.go``).

The three tables share their key (project, domain, name, version), their ``digest`` and their audit columns, so one
generic :class:`VersionedRepository` reads, lists and registers versions; :class:`TaskRepository`,
:class:`WorkflowRepository` and :class:`LaunchPlanRepository` say which columns they store and add what only they do
(a launch plan's state, for one).

Statements that run on every call are built once, with bind parameters, so SQLAlchemy compiles each once and reuses
the compiled form from its cache.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from flyteidl.admin import common_pb2, description_entity_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2
from google.protobuf.message import Message
from sqlalchemy import Row, Select, Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from flyteplane.admin.domain.wire_bytes import field_number, len_field
from flyteplane.admin.errors import already_exists
from flyteplane.admin.store import listing, schema
from flyteplane.admin.store.db import Store, Tx
from flyteplane.admin.store.descriptions import description_values
from flyteplane.admin.store.group_commit import Savepoint
from flyteplane.admin.store.paging import page_rows
from flyteplane.admin.store.registry_rows import (
    VersionKey,
    launch_plan_from_row,
    schedule_type,
    task_from_row,
    task_wire_from_row,
    workflow_from_row,
    workflow_stub_from_row,
)
from flyteplane.admin.store.statements import insert_row

__all__ = [
    "ExistingVersion",
    "LaunchPlanRepository",
    "Stored",
    "TaskRepository",
    "VersionedRepository",
    "WorkflowRepository",
    "by_key",
    "key_params",
]

M = TypeVar("M", bound=Message)  # the entity message a read returns
S = TypeVar("S", bound=Message)  # the structure a re-registration is compared by


@dataclass(frozen=True)
class Stored(Generic[M]):
    """An entity with its row id (executions reference the rows of what they run by id)."""

    row_id: int
    entity: M


@dataclass(frozen=True)
class ExistingVersion(Generic[S]):
    """The version a registration found already stored: its digest, and the structure a conflict is diffed by.

    The structure is decoded only when read: an identical re-registration (same digest) never needs it, and a
    workflow's closure can be large."""

    digest: str
    stored: bytes
    decode: Callable[[bytes], S]

    @property
    def structure(self) -> S:
        return self.decode(self.stored)


# --- statements ----------------------------------------------------------------------------------------------------


def by_key(table: Table, *columns: Any) -> Select[Any]:
    """``SELECT <columns> FROM table WHERE project/domain/name/version = :binds`` — one statement object, so
    SQLAlchemy compiles it once and reuses the compiled form from its cache."""
    return select(*columns).where(
        table.c.project == bindparam("p"),
        table.c.domain == bindparam("d"),
        table.c.name == bindparam("n"),
        table.c.version == bindparam("v"),
    )


def key_params(key: VersionKey) -> dict[str, str]:
    """The bind parameters of :func:`by_key` for an identifier (or anything with its four key fields)."""
    return {"p": key.project, "d": key.domain, "n": key.name, "v": key.version}


def _identifier_query(table: Table, project: str, domain: str) -> Select[Any]:
    """The distinct (project, domain, name) of one entity table in a project and domain (List*Ids)."""
    return (
        select(table.c.project, table.c.domain, table.c.name)
        .where(table.c.project == project, table.c.domain == domain)
        .group_by(table.c.project, table.c.domain, table.c.name)
    )


def _named_identifiers(rows: Iterable[Row[Any]]) -> list[common_pb2.NamedEntityIdentifier]:
    return [common_pb2.NamedEntityIdentifier(project=r.project, domain=r.domain, name=r.name) for r in rows]


# --- the generic repository ------------------------------------------------------------------------------------------


class VersionedRepository(ABC, Generic[M, S]):
    """Reads, lists and registers the versions of one entity table.

    A subclass sets :attr:`table`, :attr:`entity` (its name in :data:`listing.ENTITIES`), :attr:`get_columns` (what
    :meth:`_entity` reads, without the key), :attr:`list_columns` (what :meth:`_listed` reads, with the key) and
    :attr:`structure_column` (what :meth:`_structure` decodes when a registration finds the version stored).
    """

    table: ClassVar[Table]
    entity: ClassVar[str]
    get_columns: ClassVar[tuple[str, ...]]
    list_columns: ClassVar[tuple[str, ...]]
    structure_column: ClassVar[str]

    # Built once per subclass (see __init_subclass__).
    _get: ClassVar[Select[Any]]
    _existing: ClassVar[Select[Any]]
    _listed_columns: ClassVar[tuple[Any, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        t = cls.table
        cls._get = by_key(t, t.c.id, *(t.c[name] for name in cls.get_columns))
        cls._existing = by_key(t, t.c.digest, t.c[cls.structure_column])
        cls._listed_columns = tuple(t.c[name] for name in cls.list_columns)

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- what a subclass maps --------------------------------------------------------------------------------------

    @abstractmethod
    def _entity(self, row: Row[Any], key: VersionKey) -> M:
        """The entity's message from its row (``key`` names it: the row may not carry the key columns)."""

    def _listed(self, row: Row[Any]) -> M:
        return self._entity(row, row)

    @abstractmethod
    def _structure(self, stored: bytes) -> S:
        """The stored structure a re-registration is compared with."""

    # --- reads -------------------------------------------------------------------------------------------------------

    def get(self, key: VersionKey) -> M | None:
        """The version with this key, or None."""
        with self._store.read() as tx:
            return self.get_in(tx, key)

    def get_in(self, tx: Tx, key: VersionKey) -> M | None:
        """:meth:`get` inside the caller's transaction (several reads that should see one snapshot)."""
        stored = self.get_stored_in(tx, key)
        return stored.entity if stored is not None else None

    def get_stored(self, key: VersionKey) -> Stored[M] | None:
        """The version with this key and its row id, or None."""
        with self._store.read() as tx:
            return self.get_stored_in(tx, key)

    def get_stored_in(self, tx: Tx, key: VersionKey) -> Stored[M] | None:
        row = tx.execute(self._get, key_params(key)).first()
        if row is None:
            return None
        return Stored(row.id, self._entity(row, key))

    def _page(self, request: common_pb2.ResourceListRequest, rpc: str) -> tuple[list[Row[Any]], str]:
        """The rows (:attr:`list_columns`) of one page of :meth:`list`, and the next page's token."""
        t = self.table
        ids: Select[Any] = select(t.c.id).where(t.c.project == request.id.project, t.c.domain == request.id.domain)
        if request.id.name:
            ids = ids.where(t.c.name == request.id.name)
        ids, _ = listing.apply_filters(ids, request.filters, self.entity)
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), self.entity)
        with self._store.read() as tx:
            rows, token = page_rows(tx, t, ids, self._listed_columns, request.limit, request.token, rpc)
        return rows, token

    def list(self, request: common_pb2.ResourceListRequest, rpc: str) -> tuple[list[M], str]:
        """ListTasks / ListWorkflows / ListLaunchPlans: one page of the versions in the request's project and domain
        (and name, when given), filtered and sorted by the entity's rules; ``rpc`` names the RPC in a bad token's
        message. The request is validated by the caller."""
        rows, token = self._page(request, rpc)
        return [self._listed(row) for row in rows], token

    def list_names(
        self, request: common_pb2.NamedEntityIdentifierListRequest, rpc: str
    ) -> common_pb2.NamedEntityIdentifierList:
        """ListTaskIds / ListWorkflowIds: the distinct names in a project and domain, sorted by the entity's rules.
        Flyte Admin ignores ``filters`` here: only project and domain narrow the names."""
        query = _identifier_query(self.table, request.project, request.domain)
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), self.entity)
        with self._store.read() as tx:
            rows, token = listing.paginate(tx, query, request.limit, request.token, rpc)
        return common_pb2.NamedEntityIdentifierList(entities=_named_identifiers(rows), token=token)

    # --- registration --------------------------------------------------------------------------------------------

    def _register(
        self,
        key: VersionKey,
        columns: Mapping[str, object],
        *,
        digest: str,
        now: _dt.datetime,
        description: tuple[int, description_entity_pb2.DescriptionEntity | None] | None = None,
    ) -> ExistingVersion[S] | None:
        """Insert a new version (and its description) in one transaction; None when inserted, else the version
        already stored under this key (nothing is written then).

        The row is ``columns`` plus the key, ``digest`` and ``now`` as created_at and updated_at. ``description`` is
        (resource type, ``spec.description`` or None) for the kinds that carry documentation: the row's
        ``short_description`` and the ``description_entities`` row come from it.

        The existence check runs inside the write transaction, and a unique-key violation (another writer won a race
        for the same version) is answered the same way, after reading the winner's row: concurrent registrations of
        one version never end in a database error.
        """
        values: dict[str, object] = {
            "project": key.project,
            "domain": key.domain,
            "name": key.name,
            "version": key.version,
            **columns,
            "digest": digest,
            "created_at": now,
            "updated_at": now,
        }
        described = None
        if description is not None:
            resource_type, documentation = description
            values["short_description"] = ""
            if documentation is not None:
                described = description_values(documentation, key, resource_type, now)
                values["short_description"] = documentation.short_description
        params = key_params(key)
        with self._store.begin() as tx:
            found = self._existing_in(tx, params)
            if found is not None:
                return found
            # A savepoint: a key taken meanwhile (another write, another admin process on PostgreSQL) undoes only
            # these INSERTs, and the version that took it is then read in this same transaction. Any other error
            # propagates as it is: a failure to undo the savepoint (SQLite may have rolled the whole transaction
            # back after a full disk) must not hide it.
            savepoint = Savepoint(tx)
            try:
                if described is not None:
                    insert_row(tx, schema.description_entities, described)
                insert_row(tx, self.table, values)
            except IntegrityError as e:
                savepoint.rollback()
                found = self._existing_in(tx, params)
                if found is None:  # a description row without its entity: what Flyte Admin says for a duplicate key
                    raise already_exists(f"value with matching already exists ({e.orig})") from None
                return found
            except BaseException:
                with contextlib.suppress(Exception):
                    savepoint.rollback()
                raise
            savepoint.commit()
        return None

    def _existing_in(self, tx: Tx, params: Mapping[str, str]) -> ExistingVersion[S] | None:
        row = tx.execute(self._existing, params).first()
        if row is None:
            return None
        return ExistingVersion(row.digest, row[1], self._structure)


_KEY = ("project", "domain", "name", "version")
_TASK_LIST_TASKS = field_number(task_pb2.TaskList.DESCRIPTOR, "tasks")
_TASK_LIST_TOKEN = field_number(task_pb2.TaskList.DESCRIPTOR, "token")


# --- tasks -----------------------------------------------------------------------------------------------------------


class TaskRepository(VersionedRepository[task_pb2.Task, compiler_pb2.CompiledTask]):
    """Task versions (``tasks``)."""

    table = schema.tasks
    entity = "task"
    get_columns = ("closure", "created_at", "short_description")
    list_columns = (*_KEY, *get_columns)
    structure_column = "closure"

    def _entity(self, row: Row[Any], key: VersionKey) -> task_pb2.Task:
        return task_from_row(row, key)

    def _structure(self, stored: bytes) -> compiler_pb2.CompiledTask:
        return task_pb2.TaskClosure.FromString(stored).compiled_task

    def list_wire(self, request: common_pb2.ResourceListRequest, rpc: str) -> bytes:
        """:meth:`list`'s page as a serialized ``admin.TaskList``, put together from the stored closures' bytes
        (see :mod:`flyteplane.admin.domain.wire_bytes`): no closure is parsed or serialized again."""
        rows, token = self._page(request, rpc)
        parts = [len_field(_TASK_LIST_TASKS, task_wire_from_row(row)) for row in rows]
        if token:
            parts.append(len_field(_TASK_LIST_TOKEN, token.encode()))
        return b"".join(parts)

    def create(
        self,
        task_id: identifier_pb2.Identifier,
        closure: task_pb2.TaskClosure,
        *,
        task_type: str,
        digest: str,
        description: description_entity_pb2.DescriptionEntity | None,
        now: _dt.datetime,
    ) -> ExistingVersion[compiler_pb2.CompiledTask] | None:
        """Register a task version (None), or return the stored one with its compiled task."""
        return self._register(
            task_id,
            {"closure": closure.SerializeToString(), "type": task_type},
            digest=digest,
            now=now,
            description=(identifier_pb2.TASK, description),
        )


# --- workflows -------------------------------------------------------------------------------------------------------


class WorkflowRepository(VersionedRepository[workflow_pb2.Workflow, compiler_pb2.CompiledWorkflowClosure]):
    """Workflow versions (``workflows``). Flyte Admin keeps the closure in blob storage and lists from the
    ``typed_interface`` column, so :meth:`list` returns its stub closure (created_at and the interface)."""

    table = schema.workflows
    entity = "workflow"
    get_columns = ("closure", "created_at", "short_description")
    list_columns = (*_KEY, "typed_interface", "created_at", "short_description")
    structure_column = "closure"

    def _entity(self, row: Row[Any], key: VersionKey) -> workflow_pb2.Workflow:
        return workflow_from_row(row, key)

    _INTERFACE: ClassVar[Select[Any]] = by_key(
        schema.workflows, schema.workflows.c.id, schema.workflows.c.typed_interface
    )

    def _listed(self, row: Row[Any]) -> workflow_pb2.Workflow:
        return workflow_stub_from_row(row)

    def get_interface(self, key: VersionKey) -> Stored[interface_pb2.TypedInterface] | None:
        """A version's row id and typed interface only (what a launch plan of it is checked against), without
        reading its closure; None when it does not exist."""
        with self._store.read() as tx:
            row = tx.execute(self._INTERFACE, key_params(key)).first()
        if row is None:
            return None
        return Stored(row.id, interface_pb2.TypedInterface.FromString(row.typed_interface or b""))

    def _structure(self, stored: bytes) -> compiler_pb2.CompiledWorkflowClosure:
        return workflow_pb2.WorkflowClosure.FromString(stored).compiled_workflow

    def create(
        self,
        workflow_id: identifier_pb2.Identifier,
        closure: workflow_pb2.WorkflowClosure,
        *,
        typed_interface: interface_pb2.TypedInterface | None,
        remote_closure_identifier: str,
        digest: str,
        description: description_entity_pb2.DescriptionEntity | None,
        now: _dt.datetime,
    ) -> ExistingVersion[compiler_pb2.CompiledWorkflowClosure] | None:
        """Register a workflow version (None), or return the stored one with its compiled closure."""
        return self._register(
            workflow_id,
            {
                "typed_interface": typed_interface.SerializeToString() if typed_interface is not None else None,
                "remote_closure_identifier": remote_closure_identifier,
                "closure": closure.SerializeToString(),
            },
            digest=digest,
            now=now,
            description=(identifier_pb2.WORKFLOW, description),
        )


# --- launch plans ----------------------------------------------------------------------------------------------------

_LP = schema.launch_plans
_ACTIVE = launch_plan_pb2.ACTIVE
_INACTIVE = launch_plan_pb2.INACTIVE
_LP_COLUMNS = ("spec", "closure", "state", "created_at", "updated_at")


class LaunchPlanRepository(VersionedRepository[launch_plan_pb2.LaunchPlan, launch_plan_pb2.LaunchPlanSpec]):
    """Launch plan versions (``launch_plans``): immutable except for their state, and at most one ACTIVE version
    per (project, domain, name)."""

    table = _LP
    entity = "launch_plan"
    get_columns = _LP_COLUMNS
    list_columns = (*_KEY, *_LP_COLUMNS)
    structure_column = "spec"

    _GET_ACTIVE: ClassVar[Select[Any]] = (
        select(*(_LP.c[name] for name in (*_KEY, *_LP_COLUMNS)))
        .where(
            _LP.c.project == bindparam("p"),
            _LP.c.domain == bindparam("d"),
            _LP.c.name == bindparam("n"),
            _LP.c.state == _ACTIVE,
        )
        .limit(1)
    )
    _ID: ClassVar[Select[Any]] = by_key(_LP, _LP.c.id)

    def _entity(self, row: Row[Any], key: VersionKey) -> launch_plan_pb2.LaunchPlan:
        return launch_plan_from_row(row, key)

    def _structure(self, stored: bytes) -> launch_plan_pb2.LaunchPlanSpec:
        return launch_plan_pb2.LaunchPlanSpec.FromString(stored)

    def create(
        self, plan: launch_plan_pb2.LaunchPlan, *, workflow_row_id: int, digest: str, now: _dt.datetime
    ) -> ExistingVersion[launch_plan_pb2.LaunchPlanSpec] | None:
        """Register ``plan`` (spec and closure) INACTIVE, as Flyte Admin does, pointing at the workflow row it
        launches (None); or return the stored version with its spec."""
        kind = schedule_type(plan.spec)
        return self._register(
            plan.id,
            {
                "spec": plan.spec.SerializeToString(),
                "workflow_id": workflow_row_id,
                "closure": plan.closure.SerializeToString(),
                "state": _INACTIVE,
                "schedule_type": kind,
                "launch_condition_type": "SCHED" if kind != "NONE" else None,
            },
            digest=digest,
            now=now,
        )

    def get_active(self, project: str, domain: str, name: str) -> launch_plan_pb2.LaunchPlan | None:
        """The ACTIVE version of a launch plan name, or None."""
        with self._store.read() as tx:
            row = tx.execute(self._GET_ACTIVE, {"p": project, "d": domain, "n": name}).first()
        return launch_plan_from_row(row) if row is not None else None

    def set_state(self, key: VersionKey, state: int, now: _dt.datetime) -> bool:
        """Set a version's state; activating one deactivates the previously active version of its name in the same
        transaction (Flyte Admin's SetActive). False when the version does not exist."""
        with self._store.begin() as tx:
            target = tx.execute(self._ID, key_params(key)).first()
            if target is None:
                return False
            if state == _ACTIVE:
                tx.execute(
                    update(_LP)
                    .where(
                        _LP.c.project == key.project,
                        _LP.c.domain == key.domain,
                        _LP.c.name == key.name,
                        _LP.c.state == _ACTIVE,
                        _LP.c.id != target.id,
                    )
                    .values(state=_INACTIVE, updated_at=now)
                )
            tx.execute(update(_LP).where(_LP.c.id == target.id).values(state=state, updated_at=now))
        return True

    def list_active(
        self, request: launch_plan_pb2.ActiveLaunchPlanListRequest
    ) -> tuple[list[launch_plan_pb2.LaunchPlan], str]:
        """ListActiveLaunchPlans: one page of the ACTIVE versions in a project and domain."""
        ids: Select[Any] = select(_LP.c.id).where(
            _LP.c.project == request.project, _LP.c.domain == request.domain, _LP.c.state == _ACTIVE
        )
        ids = listing.apply_sort(ids, request.sort_by, request.HasField("sort_by"), self.entity)
        with self._store.read() as tx:
            rows, token = page_rows(
                tx, _LP, ids, self._listed_columns, request.limit, request.token, "ListActiveLaunchPlans"
            )
        return [self._listed(row) for row in rows], token

    def list_names(
        self, request: common_pb2.NamedEntityIdentifierListRequest, rpc: str = ""
    ) -> common_pb2.NamedEntityIdentifierList:
        """ListLaunchPlanIds. Unlike ListTaskIds / ListWorkflowIds, Flyte Admin reads the token before the sort key
        and passes the limit to its repository unchecked (launch_plan_repo.go ListLaunchPlanIdentifiers), and the
        bad-token message names no RPC; ``filters`` is ignored."""
        offset = listing.parse_token(request.token, rpc)
        query = _identifier_query(_LP, request.project, request.domain)
        query = listing.apply_sort(query, request.sort_by, request.HasField("sort_by"), self.entity)
        with self._store.read() as tx:
            rows = tx.execute(query.limit(request.limit).offset(offset)).all()
        token = listing.next_token(offset, len(rows), request.limit)
        return common_pb2.NamedEntityIdentifierList(entities=_named_identifiers(rows), token=token)
