"""Flyte Admin's listing rules: ``filters``, ``sort_by``, ``limit`` and ``token`` over SQLAlchemy Core selects.

Every List RPC takes the same parameters from the client (Flyte Admin's ``flyteadmin/pkg/manager/impl/util/filters.go``
and ``flyteadmin/pkg/common/filters.go``):

* ``filters``: ``func(field,value)`` expressions joined by ``+``, e.g. ``eq(version,v1)+value_in(name,a;b)``. A field
  may name another entity with a prefix (``workflow.name`` on launch plans) when the listed entity can reach it.
* ``sort_by``: a column of the listed entity and a direction (DESCENDING is 0, so it is the default).
* ``limit`` and ``token``: the token is the decimal offset of the page; a full page hands out the next offset.

A manager uses it like this::

    query = select(schema.tasks).where(schema.tasks.c.project == project, ...)
    query, fields = apply_filters(query, request.filters, "task")
    query = apply_sort(query, request.sort_by, request.HasField("sort_by"), "task")
    rows, token = paginate(conn, query, request.limit, request.token, "ListTasks")

All of this is client input. Every failure is an :class:`AdminError` with INVALID_ARGUMENT, and no malformed value
reaches the database: values are converted to their column's type first (integers, timestamps, durations), and
the limits of SQLite (pattern length, number of variables, expression depth) are enforced before it would fail.

Where Flyte Admin would pass a bad value through to PostgreSQL and answer with a database error, this module
answers INVALID_ARGUMENT naming the field instead; every valid filter means what it means in Flyte Admin.

The entities a filter can name are the :data:`ENTITIES` registry: the registry's entities and the runs' (executions
with their tags, node and task executions, signals). Listing a new entity means adding one :class:`Entity` to it;
see that class for what an entry says.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    DateTime,
    Float,
    FromClause,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    Row,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.sql.util import surface_selectables

from flyteplane.admin.errors import echo, invalid_argument
from flyteplane.admin.store import execution_schema, schema

__all__ = [
    "ENTITIES",
    "MAX_PAGE_BYTES",
    "Entity",
    "Join",
    "apply_filters",
    "apply_sort",
    "like_to_glob",
    "next_token",
    "paginate",
    "parse_token",
    "row_bytes",
    "trim_page",
]

# ---------------------------------------------------------------------------------------------------------------
# The entity registry
# ---------------------------------------------------------------------------------------------------------------

OnClause = Callable[[FromClause, FromClause], ColumnElement[bool]]


@dataclass(frozen=True)
class Join:
    """How a listed (primary) entity reaches another entity that a filter names."""

    on: OnClause | None
    """The ON clause, given the primary's and the other entity's selectables. None: the caller's query joins the
    other entity itself (pass its selectable in ``tables`` if it is not the entity's default table)."""
    exists: bool = False
    """Filter through ``EXISTS (SELECT ... WHERE on AND filters)`` instead of a JOIN: for one-to-many relations
    (an execution's tags), where a join would repeat the primary's rows. All filters on that entity go into one
    EXISTS, so ``eq(execution_tag.key,a)+eq(execution_tag.value,b)`` means one tag with both."""


@dataclass(frozen=True)
class Entity:
    """One entity of Flyte Admin's filter language.

    An entry answers: what a filter writes to name it (``prefix``), how Flyte Admin prints it in messages
    (``code``), where its columns live (``table``), which fields a filter may use (``columns``), how a field maps
    to a column (``redirects``, ``renames``) and, when it is the listed entity, which others it may join
    (``joins``). Executions, for instance, are listed with::

        Entity("execution", "e", "execution", execution_schema.executions,
               joins={"launch_plan": Join(lambda e, lp: e.c.launch_plan_id == lp.c.id),
                      "workflow": Join(lambda e, w: e.c.workflow_id == w.c.id),
                      "task": Join(lambda e, t: e.c.task_id == t.c.id),
                      "admin_tag": Join(None),  # every admin_tag field redirects to execution_tag
                      "execution_tag": Join(_same_execution, exists=True)})
        Entity("admin_tag", "at", "admin_tag", None, columns=frozenset({"id", "created_at", "updated_at",
               "deleted_at", "name"}), redirects=dict.fromkeys([...all five...], "execution_tag"),
               renames={"name": "key"})
    """

    name: str
    """Registry key, and the ``primary`` argument when this entity is the one listed."""
    code: str
    """Flyte Admin's short entity code, printed in messages: ``'t.foo' is invalid filter``."""
    prefix: str | None
    """What a filter field starts with (plus a dot) to name this entity; None: it cannot be named."""
    table: FromClause | Callable[[], FromClause] | None
    """Where its columns live, or a function returning that (tables added by later migrations), or None when
    there is no table and every query passes the selectable in ``tables`` (named entities)."""
    joins: Mapping[str, Join] = field(default_factory=dict)
    """When listed, the other entities a filter may name, and how to reach each. The entity itself is implied."""
    columns: frozenset[str] | None = None
    """The fields a filter may use; None: the column names of the selectable. Checked before renaming, as in
    Flyte Admin."""
    redirects: Mapping[str, str] = field(default_factory=dict)
    """Fields whose column belongs to another entity (a named entity's ``state`` is named_entity_metadata's)."""
    renames: Mapping[str, str] = field(default_factory=dict)
    """Field -> column name, applied after the field was checked (Flyte Admin's ``admin_tag.name`` -> ``key``)."""
    null_defaults: Mapping[str, Any] = field(default_factory=dict)
    """When listed: columns (after redirects and renames) compared as ``COALESCE(column, default)``."""


def _same_execution(mine: FromClause, theirs: FromClause) -> ColumnElement[bool]:
    """Rows of the same workflow execution (Flyte Admin's execution_project/domain/name join)."""
    return and_(
        mine.c.execution_project == theirs.c.execution_project,
        mine.c.execution_domain == theirs.c.execution_domain,
        mine.c.execution_name == theirs.c.execution_name,
    )


def _same_task(task_execution: FromClause, task: FromClause) -> ColumnElement[bool]:
    """A task execution's task version."""
    return and_(
        task_execution.c.project == task.c.project,
        task_execution.c.domain == task.c.domain,
        task_execution.c.name == task.c.name,
        task_execution.c.version == task.c.version,
    )


_ADMIN_TAG_FIELDS = frozenset({"id", "created_at", "updated_at", "deleted_at", "name"})

ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        Entity("task", "t", "task", schema.tasks),
        Entity("workflow", "w", "workflow", schema.workflows),
        Entity(
            "launch_plan",
            "l",
            "launch_plan",
            schema.launch_plans,
            joins={"workflow": Join(lambda lp, wf: lp.c.workflow_id == wf.c.id)},
        ),
        # A named entity is a (project, domain, name) of tasks, workflows or launch plans plus its optional
        # metadata row; the caller builds that query (the entity table grouped by name, left-joined with
        # named_entity_metadata) and passes the grouped selectable as tables={"named_entity": ...}.
        Entity(
            "named_entity",
            "nen",
            "entities",
            None,
            joins={"named_entity_metadata": Join(None)},
            columns=frozenset({"resource_type", "project", "domain", "name", "description", "state"}),
            redirects={"description": "named_entity_metadata", "state": "named_entity_metadata"},
            # A name without a metadata row is ACTIVE (0), and filters on state must see it so.
            null_defaults={"state": 0},
        ),
        Entity("named_entity_metadata", "nem", "named_entity_metadata", schema.named_entity_metadata),
        Entity("project", "p", "project", schema.projects),
        # Flyte Admin parses these filters as the task or workflow entity (so its messages say 't' or 'w') and
        # checks fields against that model; here they are checked against description_entities' own columns.
        Entity("description_entity", "de", None, schema.description_entities),
        # Runs. An execution's tags are one-to-many, so filters on them go through EXISTS.
        Entity(
            "execution",
            "e",
            "execution",
            execution_schema.executions,
            joins={
                "launch_plan": Join(lambda e, lp: e.c.launch_plan_id == lp.c.id),
                "workflow": Join(lambda e, w: e.c.workflow_id == w.c.id),
                "task": Join(lambda e, t: e.c.task_id == t.c.id),
                "admin_tag": Join(None),  # every admin_tag field redirects to execution_tag
                "execution_tag": Join(_same_execution, exists=True),
            },
        ),
        Entity("execution_tag", "et", "execution_tag", execution_schema.execution_tags),
        # Flyte Admin's admin tags live on as execution tags: admin_tag.name filters execution_tags.key.
        Entity(
            "admin_tag",
            "at",
            "admin_tag",
            None,
            columns=_ADMIN_TAG_FIELDS,
            redirects=dict.fromkeys(_ADMIN_TAG_FIELDS, "execution_tag"),
            renames={"name": "key"},
        ),
        Entity(
            "node_execution",
            "ne",
            "node_execution",
            execution_schema.node_executions,
            joins={"execution": Join(_same_execution)},
        ),
        Entity(
            "task_execution",
            "te",
            "task_execution",
            execution_schema.task_executions,
            joins={
                "task": Join(_same_task),
                "node_execution": Join(lambda te, ne: and_(_same_execution(te, ne), te.c.node_id == ne.c.node_id)),
                "execution": Join(_same_execution),
            },
        ),
        Entity("signal", "s", "signal", execution_schema.signals),
    )
}

# Prefixes Flyte Admin's parser knows for entities not listed here yet, with their codes: a filter naming one
# gets Flyte Admin's "'e' entity is not allowed in filters" rather than "invalid filter". An entry moves into
# ENTITIES when that entity is listed (the registry wins where both have a prefix).
_UNLISTED_PREFIXES: dict[str, str] = {
    "execution_admin_tag": "eat",
}

# ---------------------------------------------------------------------------------------------------------------
# Limits. Flyte Admin has none of its own; these keep a hostile filter string from reaching SQLite's limits
# (999-deep expression trees, 32766 variables, 50000-byte LIKE patterns) or from taking long to parse.
# ---------------------------------------------------------------------------------------------------------------

MAX_FILTER_EXPRESSIONS = 100
MAX_FILTER_VALUES = 5000
MAX_LIKE_PATTERN_BYTES = 10_000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# ---------------------------------------------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?[0-9]+", re.ASCII)


def parse_token(token: str, rpc: str) -> int:
    """The offset a page token encodes: ``""`` is 0; anything but a non-negative decimal fails.

    Flyte Admin reads it with Go's ``strconv.Atoi`` (so ``+5`` and ``007`` are fine, spaces are not) and answers
    ``invalid pagination token %s for <rpc>``; ``rpc=""`` drops the suffix, as ListLaunchPlanIds does.
    """
    if token == "":
        return 0
    if _DECIMAL.fullmatch(token) is not None:
        offset = int(token)
        if 0 <= offset <= _INT64_MAX:
            return offset
    suffix = f" for {rpc}" if rpc else ""
    raise invalid_argument(f"invalid pagination token {echo(token)}{suffix}")


def next_token(offset: int, count: int, limit: int) -> str:
    """Flyte Admin's next-page token: the next offset iff the page came back full, else ``""``.

    So an exactly-full last page still hands out a token, and the page after it is empty with token ``""``.
    """
    return str(offset + count) if count == limit else ""


# A page of a List RPC stops short of ``limit`` before its rows add up to more than this, so that every response
# fits in gRPC's default 4 MiB message (what clients other than flytekit accept) whatever the entities weigh. The
# token then points at the first row left out. A row bigger than this still makes a page of its own (registration
# refuses entities above ``AdminConfig.max_entity_bytes``, 3 MiB by default). Flyte Admin has no such rule: its
# pages are ``limit`` rows, however large.
MAX_PAGE_BYTES = 3 * 1024 * 1024
# Per row, for what a response adds to the stored values (field tags, lengths, numbers, timestamps).
_ROW_OVERHEAD_BYTES = 64


def row_bytes(row: Row[Any]) -> int:
    """An upper estimate of what ``row`` weighs in a response: its text and binary values plus a fixed overhead
    (responses are built from these columns, and never hold more of them than the row does)."""
    size = _ROW_OVERHEAD_BYTES
    for value in row:
        if isinstance(value, (bytes, str)):
            size += len(value)
    return size


def trim_page(rows: list[Row[Any]], offset: int, token: str) -> tuple[list[Row[Any]], str]:
    """``rows`` (a page read from ``offset``, with its next ``token``) cut before the row that would take it past
    :data:`MAX_PAGE_BYTES` (always keeping the first); a cut page's token is the offset of the first row left out."""
    total = 0
    for index, row in enumerate(rows):
        total += row_bytes(row)
        if total > MAX_PAGE_BYTES and index > 0:
            return rows[:index], str(offset + index)
    return rows, token


def paginate(
    conn: Connection,
    query: Select[Any],
    limit: int,
    token: str,
    rpc: str,
    *,
    allow_unlimited: bool = False,
) -> tuple[list[Row[Any]], str]:
    """Run ``query`` for one page: rows from the token's offset, at most ``limit`` of them, and the next token.

    ``limit`` must be positive (``invalid value for limit``); with ``allow_unlimited`` (ListProjects) 0 means all
    rows. Managers check the limit during request validation, as Flyte Admin does, before filters; this check
    is the safety net. The token is read after the filters and the sort order were applied, also as there. A page
    whose rows weigh more than :data:`MAX_PAGE_BYTES` is cut short, with a token (:func:`trim_page`).
    """
    if limit < 0 or limit > _INT64_MAX or (limit == 0 and not allow_unlimited):
        raise invalid_argument("invalid value for limit")
    offset = parse_token(token, rpc)
    page = query.offset(offset)
    if limit:
        page = page.limit(limit)
    rows = list(conn.execute(page).all())
    return trim_page(rows, offset, next_token(offset, len(rows), limit))


# ---------------------------------------------------------------------------------------------------------------
# Sorting
# ---------------------------------------------------------------------------------------------------------------

_DESCENDING, _ASCENDING = 0, 1  # admin.Sort.Direction


def apply_sort(
    query: Select[Any],
    sort_by: Any,
    has_sort_by: bool,
    primary: str,
    default: Sequence[ColumnElement[Any]] | None = None,
    *,
    tables: Mapping[str, FromClause] | None = None,
) -> Select[Any]:
    """Order ``query`` by the client's ``sort_by`` (an ``admin.Sort``), or by ``default`` when none was sent.

    The key must be a column of the listed entity (``invalid sort key '%s'``, also for an empty key); the
    direction must be DESCENDING (0, the default) or ASCENDING (1). The listed entity's ``id`` breaks ties, so
    pages do not overlap when many rows share the key (Flyte Admin leaves ties to PostgreSQL).
    """
    entity = _entity(primary)
    if sort_by is None or not has_sort_by:
        return query.order_by(*default) if default else query
    key = str(sort_by.key)
    resolved = _resolve(entity, key, tables)
    if resolved is None:
        raise invalid_argument(f"invalid sort key '{echo(key)}'")
    direction = int(sort_by.direction)
    if direction not in (_DESCENDING, _ASCENDING):
        raise invalid_argument(f"invalid sort order specified: {_sort_text(key, direction)}")
    target, column = resolved
    if target.name != entity.name:
        join = entity.joins.get(target.name)
        if join is None or join.exists:
            raise invalid_argument(f"invalid sort key '{echo(key)}'")
        query = _ensure_joined(query, entity, target, join, tables)
    order = [column.asc() if direction == _ASCENDING else column.desc()]
    tiebreak = _selectable(entity, tables).c.get("id")
    # Not in a grouped query (the List*Ids RPCs): there id is no single row's, and PostgreSQL would refuse it.
    grouped = bool(getattr(query, "_group_by_clauses", ()))
    if tiebreak is not None and tiebreak is not column and not grouped:
        order.append(tiebreak.asc() if direction == _ASCENDING else tiebreak.desc())
    return query.order_by(*order)


def _sort_text(key: str, direction: int) -> str:
    # Go's %v of the admin.Sort message (prototext; proto3 defaults omitted).
    parts = [f'key:"{key}"'] if key else []
    if direction:
        parts.append(f"direction:{direction}")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------------------------

_FUNCTIONS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_like", "value_in", "value_not_in"})
_REPEATED = frozenset({"value_in", "value_not_in"})
_GO_SPACE = "\t\n\f\r "  # what \s matches in Go's regexp


@dataclass(frozen=True)
class _Filter:
    function: str
    written: str  # the field as the client wrote it, for messages
    target: Entity  # whose selectable holds the column
    column: ColumnElement[Any]
    field: str  # the column name the filter compares (Flyte Admin's GetField)
    raw_value: str


def apply_filters(
    query: Select[Any],
    filters: str,
    primary: str,
    tables: Mapping[str, FromClause] | None = None,
) -> tuple[Select[Any], set[str]]:
    """Add the client's ``filters`` to ``query`` (WHERE clauses, and joins to the entities they name).

    ``primary`` is the listed entity (a key of :data:`ENTITIES`). ``tables`` maps entity names to the selectables
    this query uses for them, where that is not the entity's table (an alias, or the grouped subquery of named
    entities). Returns the query and the column names filtered on, so callers can apply Flyte Admin's defaults
    ("only ACTIVE executions unless a ``state`` filter is given"). An empty string adds nothing.

    Fails, in Flyte Admin's order and words, with ``invalid value for filters`` (an expression not of the form
    ``func(field,value)``), ``'%s' entity is not allowed in filters``, ``'%s.%s' is invalid filter`` and
    ``unrecognized filter function: %s``; then for values that do not fit the column's type.
    """
    entity = _entity(primary)
    if filters == "":
        return query, set()
    if not _clean_text(filters):
        raise invalid_argument("invalid value for filters")
    expressions = filters.split("+")
    if len(expressions) > MAX_FILTER_EXPRESSIONS:
        raise invalid_argument(f"invalid value for filters: more than {MAX_FILTER_EXPRESSIONS} expressions")
    values_left = MAX_FILTER_VALUES
    fields: set[str] = set()
    where: list[ColumnElement[bool]] = []
    through_exists: dict[str, list[ColumnElement[bool]]] = {}
    for expression in expressions:
        item = _parse_expression(expression, entity, tables)
        values = item.raw_value.split(";") if item.function in _REPEATED else [item.raw_value]
        values_left -= len(values)
        if values_left < 0:
            raise invalid_argument(f"invalid value for filters: more than {MAX_FILTER_VALUES} values")
        column = item.column
        if item.field in entity.null_defaults:
            column = func.coalesce(column, literal(entity.null_defaults[item.field], column.type), type_=column.type)
        clause = _clause(item.function, column, item.column, values, item.written)
        fields.add(item.field)
        if item.target.name == entity.name:
            where.append(clause)
            continue
        join = entity.joins[item.target.name]
        if join.exists:
            through_exists.setdefault(item.target.name, []).append(clause)
        else:
            query = _ensure_joined(query, entity, item.target, join, tables)
            where.append(clause)

    for name, clauses in through_exists.items():
        join = entity.joins[name]
        if join.on is None:
            raise ValueError(f"entity {entity.name!r}: the EXISTS join to {name!r} needs its ON clause")
        mine, theirs = _selectable(entity, tables), _selectable(ENTITIES[name], tables)
        where.append(select(literal(1)).select_from(theirs).where(join.on(mine, theirs), *clauses).exists())
    return query.where(*where), fields


def _parse_expression(expression: str, entity: Entity, tables: Mapping[str, FromClause] | None) -> _Filter:
    match = _match_expression(expression)
    if match is None:
        raise invalid_argument("invalid value for filters")
    function, written, raw_value = match
    referenced, code, name = _split_prefix(written, entity)
    if referenced is None or (referenced.name != entity.name and referenced.name not in entity.joins):
        raise invalid_argument(f"'{echo(code)}' entity is not allowed in filters")
    resolved = _resolve(referenced, name, tables)
    if resolved is None:
        raise invalid_argument(f"'{code}.{echo(name)}' is invalid filter")
    if function not in _FUNCTIONS:
        raise invalid_argument(f"unrecognized filter function: {echo(function)}")
    target, column = resolved
    if target.name != entity.name and target.name not in entity.joins:
        raise ValueError(f"entity {entity.name!r} redirects to {target.name!r} but has no join to it")
    return _Filter(function, written, target, column, referenced.renames.get(name, name), raw_value)


def _match_expression(expression: str) -> tuple[str, str, str] | None:
    r"""Go's ``regexp.MustCompile(`(.+)\((.+),\s?(.+)\)`).FindStringSubmatch``, without its cost in Python.

    Python's backtracking engine needs cubic time for that pattern on a long string with no match (Go's is
    linear), so this finds the same leftmost-first groups directly. The match lies in one line (``.`` does not
    match a newline), except that ``\s?`` may take the newline right after the comma. The function part is
    greedy, so it ends at the last ``(`` that still leaves ``field,value)`` after it; the field part ends at the
    last comma that leaves a non-empty value before a ``)``; the value runs to the last ``)``.
    """
    lines = expression.split("\n")
    for index, line in enumerate(lines):
        comma = -1
        # The comma may end the line when the next line holds the value and a ")" after it.
        if line.endswith(",") and index + 1 < len(lines) and lines[index + 1].find(")", 1) >= 1:
            comma = len(line) - 1
        close = line.rfind(")")
        if comma < 0 and close >= 2:
            comma = line.rfind(",", 0, close - 1)
        if comma < 3:  # room for a function (1+ chars), "(", a field (1+ chars)
            continue
        open_ = line.rfind("(", 1, comma - 1)
        if open_ < 1:
            continue
        if comma == len(line) - 1:
            following = lines[index + 1]
            value = following[: following.rfind(")")]
        elif line[comma + 1] in _GO_SPACE and close >= comma + 3:
            value = line[comma + 2 : close]
        else:
            value = line[comma + 1 : close]
        return line[:open_], line[open_ + 1 : comma], value
    return None


def _split_prefix(written: str, primary: Entity) -> tuple[Entity | None, str, str]:
    """(referenced entity or None if not listed here, its code, the field without the prefix)."""
    head, dot, rest = written.partition(".")
    if dot:
        for entity in ENTITIES.values():
            if entity.prefix == head:
                return entity, entity.code, rest
        if head in _UNLISTED_PREFIXES:
            return None, _UNLISTED_PREFIXES[head], rest
    return primary, primary.code, written


def _entity(name: str) -> Entity:
    entity = ENTITIES.get(name)
    if entity is None:
        raise ValueError(f"no listing entity {name!r}; known: {sorted(ENTITIES)}")
    return entity


def _selectable(entity: Entity, tables: Mapping[str, FromClause] | None) -> FromClause:
    if tables is not None and entity.name in tables:
        return tables[entity.name]
    table = entity.table
    if table is None:
        raise ValueError(f"entity {entity.name!r} has no table: pass its selectable in tables={{...}}")
    return table() if callable(table) else table


def _resolve(
    entity: Entity, name: str, tables: Mapping[str, FromClause] | None
) -> tuple[Entity, ColumnElement[Any]] | None:
    """The entity and column a field of ``entity`` compares, or None if it is not one of its fields."""
    if entity.columns is not None:
        if name not in entity.columns:
            return None
    elif _selectable(entity, tables).c.get(name) is None:
        return None
    target = ENTITIES[entity.redirects.get(name, entity.name)]
    column = _selectable(target, tables).c.get(entity.renames.get(name, name))
    # A declared field the caller's query does not carry is no more usable than an unknown one.
    return None if column is None else (target, column)


def _ensure_joined(
    query: Select[Any], primary: Entity, other: Entity, join: Join, tables: Mapping[str, FromClause] | None
) -> Select[Any]:
    mine, theirs = _selectable(primary, tables), _selectable(other, tables)
    if any(theirs is part for source in query.get_final_froms() for part in surface_selectables(source)):
        return query
    if join.on is None:
        raise ValueError(f"listing {primary.name!r}: the query must join {other.name!r} itself")
    return query.join_from(mine, theirs, join.on(mine, theirs))


# ---------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------


def _clean_text(text: str) -> bool:
    # gRPC strings are UTF-8 already; this guards Python callers (lone surrogates) and PostgreSQL (NUL bytes).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _clause(
    function: str, compared: ColumnElement[Any], column: ColumnElement[Any], values: list[str], written: str
) -> ColumnElement[bool]:
    """The SQL condition; ``compared`` may wrap ``column`` (COALESCE), whose type decides the values' type."""
    if function in ("contains", "not_like"):
        pattern = values[0]
        if len(pattern.encode("utf-8")) > MAX_LIKE_PATTERN_BYTES:
            raise invalid_argument(
                f"invalid value for filters: the pattern for '{echo(written)}' exceeds {MAX_LIKE_PATTERN_BYTES} bytes"
            )
        text = compared if isinstance(column.type, String) else cast(compared, String)
        # Both are case-sensitive, as PostgreSQL's LIKE is in Flyte Admin; SQLite's LIKE ignores ASCII case, so
        # neither is written with it.
        if function == "contains":
            # Flyte Admin matches LIKE '%value%'. Here the value is a literal substring ('_' and '%' mean
            # themselves, see docs/compatibility.md), which is what instr() finds.
            return func.instr(text, pattern) > 0
        # Verbatim, wildcards included, as in Flyte Admin: its LIKE pattern rewritten as the GLOB pattern that
        # matches the same strings.
        return text.op("NOT GLOB", is_comparison=True)(like_to_glob(pattern, written))
    typed = [_typed(column, value, written) for value in values]
    if function == "value_in":
        return compared.in_(typed)
    if function == "value_not_in":
        return compared.not_in(typed)
    # A single-value function takes the value verbatim, ';' included (Flyte Admin would hand the database a list
    # and fail).
    value = literal(typed[0], column.type)
    comparisons: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: compared == value,
        "ne": lambda: compared != value,
        "gt": lambda: compared > value,
        "gte": lambda: compared >= value,
        "lt": lambda: compared < value,
        "lte": lambda: compared <= value,
    }
    return comparisons[function]()


_GLOB_SPECIAL = frozenset("*?[")


def like_to_glob(pattern: str, written: str) -> str:
    """A PostgreSQL LIKE pattern as the SQLite GLOB pattern matching the same strings, case-sensitively.

    LIKE's ``%`` is GLOB's ``*``, ``_`` is ``?``; a backslash (PostgreSQL's default escape character) makes the
    next character literal; GLOB's own specials become one-character classes (``[*]``). A pattern ending in a
    backslash is refused, as PostgreSQL refuses it.
    """
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            literal_char = next(chars, None)
            if literal_char is None:
                raise invalid_argument(
                    f"invalid value for filters: the pattern for '{echo(written)}' must not end with escape character"
                )
            char = literal_char
        elif char == "%":
            out.append("*")
            continue
        elif char == "_":
            out.append("?")
            continue
        out.append(f"[{char}]" if char in _GLOB_SPECIAL else char)
    return "".join(out)


def _typed(column: ColumnElement[Any], value: str, written: str) -> Any:
    """The client's string as a value of the column's type, or INVALID_ARGUMENT naming the field."""
    kind = column.type
    if isinstance(kind, Boolean):
        flag = _BOOLEANS.get(value.strip().lower())
        if flag is None:
            raise _bad_value(value, written, "a boolean")
        return flag
    if getattr(column, "name", None) == "duration":
        nanos = _parse_duration(value)
        if isinstance(kind, Interval):
            return _dt.timedelta(microseconds=nanos // 1000)
        if isinstance(kind, (Float, Numeric)):
            return nanos / 1e9
        return nanos  # Flyte Admin stores durations as nanoseconds
    if isinstance(kind, Integer):
        text = value.strip()
        if _DECIMAL.fullmatch(text) is None:
            raise _bad_value(value, written, "an integer")
        number = int(text)
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise _bad_value(value, written, "a 64-bit integer")
        return number
    if isinstance(kind, DateTime):
        moment = _parse_timestamp(value)
        return moment.replace(tzinfo=_dt.timezone.utc) if kind.timezone else moment
    if isinstance(kind, (Float, Numeric)):
        if _FLOAT.fullmatch(value.strip()) is None:
            raise _bad_value(value, written, "a number")
        return float(value.strip())
    if isinstance(kind, LargeBinary):
        return value.encode("utf-8")
    return value


_BOOLEANS = {
    **dict.fromkeys(("true", "t", "yes", "y", "on", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "off", "0"), False),
}
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def _bad_value(value: str, written: str, expected: str) -> Exception:
    return invalid_argument(f"invalid value '{echo(value)}' for filter field '{echo(written)}': expected {expected}")


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r" ?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?",
    re.ASCII,
)


def _parse_timestamp(value: str) -> _dt.datetime:
    """RFC 3339 (``2024-01-01T00:00:00Z``, fractions, offsets) and ISO forms (a date alone, a space for the T, no
    zone meaning UTC), as a naive UTC datetime: what the store keeps."""
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is not None:
        year, month, day, hour, minute, second, fraction, _z, sign, off_h, off_m = match.groups()
        try:
            moment = _dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0")[:6].ljust(6, "0")),
            )
            if sign is not None:
                offset = _dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
                if int(off_m or 0) >= 60 or offset >= _dt.timedelta(hours=24):
                    raise ValueError("offset out of range")
                moment = moment - offset if sign == "+" else moment + offset
            return moment
        except (ValueError, OverflowError):
            pass
    raise invalid_argument(f"Timestamp {echo(value)} must conform to RFC3339 Nano spec")


_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_DURATION_UNITS["h"] = 3600 * 10**9
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)", re.ASCII)
_DURATION = re.compile(r"[+-]?(?:0|(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)", re.ASCII)


def _parse_duration(value: str) -> int:
    """Flyte Admin's duration filter values as nanoseconds: a number is seconds (``90``, ``1.5``), anything else a
    Go duration (``1h30m``, ``250ms``, ``-2s``); bad -> ``Failed to parse duration [%s]``."""
    nanos: Fraction | None = None
    if _FLOAT.fullmatch(value) is not None:
        nanos = Fraction(value) * 10**9
    elif _DURATION.fullmatch(value) is not None:
        body = value.lstrip("+-")
        nanos = sum((Fraction(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(body)), Fraction(0))
        if value.startswith("-"):
            nanos = -nanos
    if nanos is not None:
        whole = int(nanos)  # Go truncates toward zero
        if _INT64_MIN <= whole <= _INT64_MAX:
            return whole
    raise invalid_argument(f"Failed to parse duration [{echo(value)}]")


def _check_registry(entities: Iterable[Entity]) -> None:
    # Wiring mistakes in the registry fail at import, not on the first client who names the entity.
    for entity in entities:
        for other in (*entity.joins, *entity.redirects.values()):
            if other not in ENTITIES:
                raise ValueError(f"entity {entity.name!r} refers to unknown entity {other!r}")


_check_registry(ENTITIES.values())
