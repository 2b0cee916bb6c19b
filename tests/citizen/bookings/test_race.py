"""No double booking, ever: 100 concurrent requests for one seat, each on its own connection.

The suite runs on SQLite and (with MUSUBI_DATABASE_URL) on PostgreSQL, so this runs on both.
"""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import Booking

from .conftest import NOW, TUESDAY, at, retrying_on_sqlite

CLIENTS = 100


@pytest.mark.django_db(transaction=True)
def test_hundred_concurrent_requests_for_one_room_slot_give_exactly_one_booking(room):
    answers: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(CLIENTS)
    request = services.Request(resource=room, start=at(TUESDAY, 12))

    def client() -> None:
        try:
            start.wait()
            answers.append(retrying_on_sqlite(lambda: services.book(request, user=None)))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert answers.count("booked") == 1
    assert answers.count("already_taken") == CLIENTS - 1
    assert Booking.objects.filter(resource=room).count() == 1
