"""Database helpers shared by the views and the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


def _reset_join_order(using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute("RESET join_collapse_limit")


@contextmanager
def joins_in_written_order(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """PostgreSQL joins the tables of the queries run inside in the order the query names
    them, instead of searching every order. For reads driven by primary keys (a record,
    a page's rows by id) joined to small tables, the written order is the one it would
    choose, and the search cost more than the read: 3 ms of planning for the incident
    page's nine tables, 0.5 ms in the written order, 0.1 ms of execution. Not for
    queries filtered through their joins, whose best order starts elsewhere. Other
    databases: nothing."""
    if connections[using].vendor != "postgresql":
        yield
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SET join_collapse_limit = 1")
    try:
        yield
    except BaseException:
        # A failed statement aborts a transaction, whose rollback then undoes the SET.
        try:
            _reset_join_order(using)
        except DatabaseError:
            pass
        raise
    _reset_join_order(using)
