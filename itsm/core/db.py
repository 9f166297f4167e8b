"""Database helpers shared by the views and the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import QuerySet

# From this many tables, searching every join order costs PostgreSQL more than the two
# statements that spare it (0.16 ms each): 6 tables plan in 0.9 ms, 7 in 1.8, 9 in 3.2
# (the incident page), any of them in 0.5 ms in the written order.
WRITTEN_ORDER_FROM_TABLES = 6


def _related_tables(select_related: Any) -> int:
    if select_related is True:  # every relation: as many as the model has
        return WRITTEN_ORDER_FROM_TABLES
    if not select_related:
        return 0
    return sum(1 + _related_tables(below) for below in select_related.values())


def _reset_join_order(using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute("RESET join_collapse_limit")


@contextmanager
def joins_in_written_order(queryset: QuerySet[Any]) -> Iterator[None]:
    """PostgreSQL joins the tables of `queryset`'s select_related in the order the query
    names them, instead of searching every order, while it is read inside. For reads
    driven by primary keys (a record, a page's rows by id) joined to small tables the
    written order is the one it would choose, and the search cost more than the read:
    3 ms of planning for the incident page's nine tables, 0.5 ms in the written order,
    0.1 ms of execution. Not for queries filtered through their joins, whose best order
    starts elsewhere. Fewer than WRITTEN_ORDER_FROM_TABLES tables, or another database:
    nothing."""
    using = queryset.db
    tables = 1 + _related_tables(queryset.query.select_related)
    if connections[using].vendor != "postgresql" or tables < WRITTEN_ORDER_FROM_TABLES:
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
