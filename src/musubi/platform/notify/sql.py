"""Hand-written INSERTs for the hub's two hot paths: a fan-out's outbox rows (column by column)
and the worker's attempt log (row by row).

Built by the ORM, both cost more CPU than the work they record (a whole-city warning writes
16,000 rows and logs each email on its own). Names come from the model, every value is a
parameter, and each statement carries as many rows as the database's parameter limit allows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache

from django.db import connection
from django.db.models import Model

#: Rows per statement at most (fewer when the database takes fewer parameters).
MAX_ROWS = 1000
_POSTGRES_PARAMETERS = 65535


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    skip_conflicts: bool = False,
) -> None:
    """Insert ``rows`` (values ready for the database, in the order of ``columns``);
    ``skip_conflicts`` leaves out rows a unique constraint already holds."""
    if not rows:
        return
    per_statement = min(MAX_ROWS, _parameter_limit() // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            statement = _statement(
                connection.vendor, model._meta.db_table, tuple(columns), len(chunk), skip_conflicts
            )
            cursor.execute(statement, [value for row in chunk for value in row])


@lru_cache(maxsize=256)
def _statement(vendor: str, table: str, columns: tuple[str, ...], rows: int, skip: bool) -> str:
    """Built once per shape: the attempt log writes one row at a time thousands of times."""
    quote = connection.ops.quote_name
    one_row = f"({', '.join(['%s'] * len(columns))})"
    values = ", ".join([one_row] * rows)
    tail = " ON CONFLICT DO NOTHING" if skip else ""
    names = ", ".join(quote(column) for column in columns)
    return f"INSERT INTO {quote(table)} ({names}) VALUES {values}{tail}"  # noqa: S608


def insert_columns(
    model: type[Model],
    columns: Sequence[str],
    values: Sequence[object],
    *,
    skip_conflicts: bool = False,
) -> None:
    """Insert rows given column by column: each of ``values`` (ready for the database) is a
    list with one value per row, or one value for every row. Some columns must be lists.

    On PostgreSQL each list is one array parameter (``UNNEST``), as Django's ``bulk_create``
    sends them, and each shared value one parameter; elsewhere the rows are assembled for
    ``insert_rows``.
    """
    count = len(next(v for v in values if isinstance(v, list)))
    if not count:
        return
    if connection.vendor != "postgresql":
        rows = zip(*(v if isinstance(v, list) else [v] * count for v in values), strict=True)
        insert_rows(model, columns, list(rows), skip_conflicts=skip_conflicts)
        return
    fields = {f.column: f for f in model._meta.concrete_fields}
    arrays, unnested, shared, chosen = [], [], [], []
    for column, value in zip(columns, values, strict=True):
        cast = fields[column].db_type(connection).split("(")[0]  # varchar[], not varchar(20)[]
        if isinstance(value, list):
            chosen.append(f"u.c{len(arrays)}")
            unnested.append(f"(%s)::{cast}[]")
            arrays.append(value)
        else:
            chosen.append(f"(%s)::{cast}")
            shared.append(value)
    quote = connection.ops.quote_name
    aliases = ", ".join(f"c{n}" for n in range(len(arrays)))
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"SELECT {', '.join(chosen)} FROM UNNEST({', '.join(unnested)}) AS u({aliases})"
        + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, shared + arrays)  # the SELECT's values come before UNNEST's


def _parameter_limit() -> int:
    if connection.vendor != "sqlite":
        return _POSTGRES_PARAMETERS
    return _sqlite_parameter_limit()


@lru_cache(maxsize=1)
def _sqlite_parameter_limit() -> int:
    """The library's compiled-in limit: the same for every connection of the process."""
    connection.ensure_connection()
    return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
