"""Row keys: the columns that identify a record, as bound ``WHERE`` clauses built once per statement.

Flyte Admin's repositories look records up by their natural keys (``execution_project/execution_domain/
execution_name[/node_id...]`` for runs), never by surrogate ids; these helpers spell the run tables' key once for
every repository. Binding the values (instead of building a new clause per call) lets module-level statements be
compiled once and reused by SQLAlchemy's cache.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam

__all__ = ["execution_params", "where_execution"]


def where_execution(table: Table) -> ColumnElement[bool]:
    """``execution_project/domain/name = :ep/:ed/:en``: a run table's rows of one execution (bind with
    :func:`execution_params`)."""
    return and_(
        table.c.execution_project == bindparam("ep"),
        table.c.execution_domain == bindparam("ed"),
        table.c.execution_name == bindparam("en"),
    )


def execution_params(identifier: Any) -> dict[str, str]:
    """The binds of :func:`where_execution`, from a WorkflowExecutionIdentifier."""
    return {"ep": identifier.project, "ed": identifier.domain, "en": identifier.name}
