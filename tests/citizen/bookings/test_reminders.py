"""The day-before reminder of counter appointments, room bookings and check-ups: once per
booking; a check-up booked for a resident without an account goes to the resident's own
channels through the hub."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.citizen.bookings import checkups, notices, services, tasks
from musubi.citizen.bookings.models import Booking
from musubi.platform.notify import services as notify
from musubi.platform.notify.models import Delivery, Message
from musubi.platform.residents.models import ContactPoint

from .conftest import IN_APRIL, IN_JANUARY, TUESDAY, TUESDAY_SESSION, at, person

pytestmark = pytest.mark.django_db


def test_tomorrows_confirmed_bookings_are_reminded_once(
    monday_morning, counter, room, resident_user
):
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


def test_a_caller_without_an_account_is_not_reminded(monday_morning, counter):
    services.book(services.Request(resource=counter, start=at(TUESDAY, 10), holder_name="宮田"))
    assert notices.remind_due() == 0


def test_a_checkup_booked_by_phone_is_reminded_on_the_residents_own_channel(
    programme, site, register_resident, make_staff
):
    resident = person(register_resident, dt.date(1970, 5, 5))
    ContactPoint.objects.create(resident=resident, kind="email", value="jiro@example.jp",
                                verified=True)  # fmt: skip
    clerk = make_staff("chiikihoken", "bookings.checkups")
    with time_machine.travel(IN_JANUARY, tick=False):
        (application,) = checkups.apply(
            programme, resident, checkups.Ask(codes=("daicho",)), staff=clerk
        )
    with time_machine.travel(IN_APRIL, tick=False):
        booking = checkups.book_for_caller(
            application, site, TUESDAY_SESSION, staff=clerk, channel="phone"
        )
        assert booking.user is None
        assert notices.remind_due() == 1
        assert notices.remind_due() == 0
        (message,) = Message.objects.filter(source="bookings")
        notify.dispatch_due()
    assert message.template.code == "bookings-checkup-reminder"
    assert booking.reference in message.rendered["ja"]["body"]
    assert "2027-04-06 09:00" in message.rendered["en"]["body"]
    assert list(Delivery.objects.filter(message=message).values_list("address", flat=True)) == [
        "jiro@example.jp"
    ]
