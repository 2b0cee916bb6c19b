"""One hand-written multi-row INSERT for the hub's two hot paths: a fan-out's outbox rows and
the worker's attempt log.

Built by the ORM, both cost more CPU than the work they record (a whole-city warning writes
16,000 rows and logs each email on its own). Names come from the model, every value is a
parameter, and each statement carries as many rows as the database's parameter limit allows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

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
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    one_row = f"({', '.join(['%s'] * len(columns))})"
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    per_statement = min(MAX_ROWS, _parameter_limit() // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([one_row] * len(chunk))
            statement = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values}{tail}"  # noqa: S608
            cursor.execute(statement, [value for row in chunk for value in row])


def _parameter_limit() -> int:
    if connection.vendor != "sqlite":
        return _POSTGRES_PARAMETERS
    connection.ensure_connection()
    return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
