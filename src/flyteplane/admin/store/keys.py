"""Row keys: the columns that identify a record, as ``WHERE`` clauses and as bound statements.

Flyte Admin's repositories look records up by their natural keys (``project/domain/name/version`` for registered
entities, ``execution_project/execution_domain/execution_name[/node_id...]`` for runs), never by surrogate ids;
these helpers spell those keys once for every repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, select

__all__ = ["by_key", "execution_key", "execution_params", "key_params", "where_execution", "where_key"]


def where_key(table: Table, key: Mapping[str, Any]) -> ColumnElement[bool]:
    """``table.<column> = value`` for every item of ``key``."""
    return and_(*(table.c[column] == value for column, value in key.items()))


def by_key(table: Table, *columns: Any) -> Select[Any]:
    """``SELECT <columns> FROM table WHERE project/domain/name/version = :p/:d/:n/:v`` — one statement object, so
    SQLAlchemy compiles it once and reuses the compiled form from its cache (bind with :func:`key_params`)."""
    return select(*columns).where(
        table.c.project == bindparam("p"),
        table.c.domain == bindparam("d"),
        table.c.name == bindparam("n"),
        table.c.version == bindparam("v"),
    )


def key_params(identifier: Any) -> dict[str, str]:
    """The binds of a :func:`by_key` statement, from an Identifier (or anything with project/domain/name/version)."""
    return {"p": identifier.project, "d": identifier.domain, "n": identifier.name, "v": identifier.version}


def execution_key(identifier: Any) -> dict[str, str]:
    """The ``execution_*`` column values of a WorkflowExecutionIdentifier (every run table has them)."""
    return {
        "execution_project": identifier.project,
        "execution_domain": identifier.domain,
        "execution_name": identifier.name,
    }


def where_execution(table: Table) -> ColumnElement[bool]:
    """``execution_project/domain/name = :ep/:ed/:en``: a run table's rows of one execution, as a bound clause
    (bind with :func:`execution_params`)."""
    return and_(
        table.c.execution_project == bindparam("ep"),
        table.c.execution_domain == bindparam("ed"),
        table.c.execution_name == bindparam("en"),
    )


def execution_params(identifier: Any) -> dict[str, str]:
    """The binds of :func:`where_execution`, from a WorkflowExecutionIdentifier."""
    return {"ep": identifier.project, "ed": identifier.domain, "en": identifier.name}
