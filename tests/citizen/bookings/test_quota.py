"""The monthly quota held by the database: even with the Python check out of the way (two
requests that both read "one left"), the counter's check constraint refuses the extra one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.citizen.bookings import services
from musubi.citizen.bookings.errors import QuotaExceeded
from musubi.citizen.bookings.models import Booking, QuotaUse, Status

from .conftest import NOW, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
DAYS = [dt.date(2026, 12, d) for d in (15, 16, 17)]


@pytest.fixture
def python_check_raced(monkeypatch):
    """As if every request had read the count before any of them wrote."""
    monkeypatch.setattr(services, "check_quota", lambda *args: None)


def book(room, user, day):
    return services.book(services.Request(resource=room, start=at(day, 12)), user=user)


def test_the_database_refuses_a_booking_beyond_the_quota(room, outsider, python_check_raced):
    book(room, outsider, DAYS[0])
    book(room, outsider, DAYS[1])
    with pytest.raises(QuotaExceeded, match="2 件まで"):
        book(room, outsider, DAYS[2])
    assert Booking.objects.filter(user=outsider).count() == 2
    assert QuotaUse.objects.get(user=outsider).used == 2


def test_cancelling_and_expiry_give_the_quota_back(room, outsider, python_check_raced):
    first = book(room, outsider, DAYS[0])
    book(room, outsider, DAYS[1])
    services.cancel(first, by=outsider)
    third = book(room, outsider, DAYS[2])
    assert third.status == Status.PROVISIONAL
    with time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False):
        assert services.expire_unpaid() == 2
    assert QuotaUse.objects.get(user=outsider).used == 0


def test_a_seat_lost_to_someone_else_does_not_use_the_quota(room, outsider, resident_user):
    book(room, resident_user, DAYS[0])
    with pytest.raises(Exception, match="すでに予約"):
        book(room, outsider, DAYS[0])
    assert not QuotaUse.objects.filter(user=outsider, used__gt=0).exists()
