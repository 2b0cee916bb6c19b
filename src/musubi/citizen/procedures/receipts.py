"""Receipt numbers (受付番号) such as ``KMG-2026-000123``: one counter per year, no gaps or twins.

The counter row is incremented with a single ``UPDATE … SET last = last + 1`` inside the
submitting transaction, so concurrent submissions serialise on that row (PostgreSQL row lock,
SQLite's IMMEDIATE write lock) and a rolled-back submission gives its number back.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from musubi.citizen.procedures.models import ReceiptCounter


def next_receipt_number(at: dt.datetime) -> str:
    """The next number of the year of ``at`` (Asia/Tokyo); call inside a transaction."""
    year = timezone.localtime(at).year
    if not ReceiptCounter.objects.filter(year=year).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                ReceiptCounter.objects.create(year=year, last=1)
        except IntegrityError:  # another submission created this year's counter first
            ReceiptCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = ReceiptCounter.objects.get(year=year).last
    return f"{settings.RECEIPT_PREFIX}-{year}-{last:06d}"
