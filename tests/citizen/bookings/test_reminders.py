"""The day-before reminder of counter appointments and room bookings: once per booking."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.citizen.bookings import notices, services, tasks
from musubi.citizen.bookings.models import Booking
from musubi.platform.notify.models import Delivery, Message

from .conftest import NOW, TUESDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def test_tomorrows_confirmed_bookings_are_reminded_once(counter, room, resident_user):
    appointment = services.book(
        services.Request(resource=counter, start=at(TUESDAY, 10)), user=resident_user
    )
    paid = services.mark_paid(
        services.book(services.Request(resource=room, start=at(TUESDAY, 12)), user=resident_user)
    )
    unpaid = services.book(
        services.Request(resource=room, start=at(TUESDAY, 15)), user=resident_user
    )
    later = services.book(
        services.Request(resource=counter, start=at(TUESDAY + dt.timedelta(days=1), 10)),
        user=resident_user,
    )
    assert tasks.remind_tomorrow() == 2
    assert notices.remind_due() == 0  # a second run (or a second worker) sends nothing
    reminded = set(Booking.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True))
    assert reminded == {appointment.pk, paid.pk}
    assert unpaid.pk not in reminded and later.pk not in reminded
    bodies = [m.rendered["ja"]["body"] for m in Message.objects.filter(source="bookings")]
    assert any(appointment.reference in body and "2026-12-08 10:00" in body for body in bodies)
    assert Delivery.objects.filter(address="hanako@example.jp").count() == 2


def test_a_caller_without_an_account_is_not_reminded(counter):
    services.book(services.Request(resource=counter, start=at(TUESDAY, 10), holder_name="宮田"))
    assert notices.remind_due() == 0
