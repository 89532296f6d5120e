"""One page of a listing, read in two steps so deep pages stay cheap (shared by every repository that lists)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, Table, select

from flyteplane.admin.store import listing

__all__ = ["FETCH_CHUNK", "page_rows"]

# Rows fetched per ``id IN (...)`` statement: far below SQLite's limit on bound variables, whatever the page size.
FETCH_CHUNK = 500


def page_rows(
    conn: Connection, table: Table, ids: Select[Any], columns: Sequence[Any], limit: int, token: str, rpc: str
) -> tuple[list[Row[Any]], str]:
    """Page through ``ids`` (the filtered, sorted query selecting only ``table.c.id``), then fetch ``columns`` (and
    ``id``) for just those rows, in the page's order.

    Sorting and skipping then move ids instead of whole rows with their serialized closures: an offset of 10,000
    sorts 10,000 small records, not 10,000 blobs. A page whose rows weigh more than
    :data:`~flyteplane.admin.store.listing.MAX_PAGE_BYTES` is cut short, with a token for the rest.
    """
    id_rows, next_token = listing.paginate(conn, ids, limit, token, rpc)
    offset = listing.parse_token(token, rpc)
    order = [row[0] for row in id_rows]
    by_id: dict[Any, Row[Any]] = {}
    for start in range(0, len(order), FETCH_CHUNK):
        chunk = order[start : start + FETCH_CHUNK]
        for row in conn.execute(select(table.c.id, *columns).where(table.c.id.in_(chunk))):
            by_id[row.id] = row
    rows = [by_id[i] for i in order if i in by_id]
    return listing.trim_page(rows, offset, next_token)
