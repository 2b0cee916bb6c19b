"""Database triggers that refuse UPDATE and DELETE on the audit table.

The model already refuses ``save()`` on an existing row and ``delete()``; the triggers
extend that refusal to raw SQL and to bulk queryset calls, so only someone who can drop
a trigger (the database owner) can tamper, and ``musubi audit verify`` catches that.

Used by migration 0002 (install/remove) and by our ``flush`` command, which must be
able to empty the whole database (tests, a full reset) without leaving the guard off.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditrecord"
MESSAGE = "audit records are append-only"

_SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS audit_record_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_record_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_record_no_update",
    "DROP TRIGGER IF EXISTS audit_record_no_delete",
]
_POSTGRES_INSTALL = [
    "CREATE OR REPLACE FUNCTION audit_record_reject_change() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
    f"DROP TRIGGER IF EXISTS audit_record_append_only ON {TABLE}",
    f"CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_record_reject_change()",
]
_POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_record_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_record_reject_change()",
]
_STATEMENTS = {
    "sqlite": (_SQLITE_INSTALL, _SQLITE_REMOVE),
    "postgresql": (_POSTGRES_INSTALL, _POSTGRES_REMOVE),
}


def _run(connection: BaseDatabaseWrapper, which: int) -> None:
    statements = _STATEMENTS.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"no audit guard for database vendor {connection.vendor!r}")
    with connection.cursor() as cursor:
        for sql in statements[which]:
            cursor.execute(sql)


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers (idempotent)."""
    _run(connection, 0)


def remove(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (idempotent); only for a full flush, a migration rollback or a test."""
    _run(connection, 1)
