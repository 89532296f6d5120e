"""Prebuilt INSERT and UPDATE-by-id statements, executed with their values as parameters.

``insert(table).values(**row)`` builds a new statement object for every row: SQLAlchemy then makes a bound
parameter per column and walks them all to compute the statement's cache key, which costs several times what
SQLite spends running the INSERT. A statement built once per table and executed with a parameter dictionary
compiles once per set of columns (SQLAlchemy's compiled cache) and costs only the execution. The hot write paths
(event recording, registration, CreateExecution) use these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, insert, update

from flyteplane.admin.store.db import Tx

__all__ = ["insert_row", "update_by_id"]

_ROW_ID = "row_id_"  # the bound parameter naming the row to update (no table has a column of that name)
_inserts: dict[Table, Insert] = {}
_updates: dict[Table, Update] = {}


def insert_row(tx: Tx, table: Table, values: Mapping[str, Any]) -> None:
    """INSERT one row of ``values`` (column name -> value) into ``table``."""
    statement = _inserts.get(table)
    if statement is None:
        statement = _inserts[table] = insert(table)
    tx.execute(statement, dict(values))


def update_by_id(tx: Tx, table: Table, row_id: int, values: Mapping[str, Any]) -> None:
    """UPDATE the columns in ``values`` of ``table``'s row whose ``id`` is ``row_id``."""
    if not values:
        return
    statement = _updates.get(table)
    if statement is None:
        assert _ROW_ID not in table.c, f"{table.name} has a column named {_ROW_ID}"
        statement = _updates[table] = update(table).where(table.c.id == bindparam(_ROW_ID))
    tx.execute(statement, {_ROW_ID: row_id, **values})
