"""Receipt numbers stay unique and gap-free when many submissions arrive at once."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from musubi.citizen.procedures.models import ReceiptCounter
from musubi.citizen.procedures.receipts import next_receipt_number

MOMENT = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def _number_retrying_on_sqlite() -> str:
    """SQLite's shared in-memory test database answers "locked" instead of waiting."""
    while True:
        try:
            with transaction.atomic():
                return next_receipt_number(MOMENT)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.001)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_consecutive_numbers():
    writers, each = 6, 10
    numbers: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def submit_many() -> None:
        try:
            start.wait()
            for _ in range(each):
                numbers.append(_number_retrying_on_sqlite())
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_many) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(numbers) == [f"KMG-2026-{n:06d}" for n in range(1, writers * each + 1)]
    assert ReceiptCounter.objects.get(year=2026).last == writers * each


@pytest.mark.django_db
def test_each_year_starts_again_and_a_rollback_gives_the_number_back(settings):
    settings.RECEIPT_PREFIX = "TST"
    assert next_receipt_number(MOMENT) == "TST-2026-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        next_receipt_number(MOMENT)
        raise RuntimeError("submission failed")
    assert next_receipt_number(MOMENT) == "TST-2026-000002"
    new_year_in_tokyo = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)
    assert next_receipt_number(new_year_in_tokyo) == "TST-2027-000001"
