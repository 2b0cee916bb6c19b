"""Receipt numbers (受付番号) such as ``KMG-2026-000123``: one counter per year, no gaps or twins.

The counter row is incremented with a single ``UPDATE … SET last = last + 1 RETURNING last`` in the
submitting transaction, so concurrent submissions serialise on that row (PostgreSQL row lock,
SQLite's IMMEDIATE write lock) and a rolled-back submission gives its number back.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from musubi.citizen.procedures.models import ReceiptCounter


def next_receipt_number(at: dt.datetime) -> str:
    """The next number of the year of ``at`` (Asia/Tokyo); call inside a transaction."""
    year = timezone.localtime(at).year
    last = _increment(year)
    if last is None:
        try:
            with transaction.atomic():
                ReceiptCounter.objects.create(year=year, last=1)
                last = 1
        except IntegrityError:  # another submission created this year's counter first
            last = _increment(year)
    return f"{settings.RECEIPT_PREFIX}-{year}-{last:06d}"


def _increment(year: int) -> int | None:
    """``last + 1`` and its new value in one statement (``RETURNING``: PostgreSQL, SQLite
    ≥ 3.35); None when the year has no counter yet."""
    table = connection.ops.quote_name(ReceiptCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last",  # noqa: S608
            [year],
        )
        row = cursor.fetchone()
    return row[0] if row else None
