"""Booking rules: times, closed days and holidays, quota, eligibility, fees, expiry, payment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.citizen.bookings import services, slots
from musubi.citizen.bookings.errors import (
    BadParty,
    NotAllowed,
    NotBookable,
    NotEligible,
    QuotaExceeded,
    SlotTaken,
)
from musubi.citizen.bookings.models import Booking, ClosedDay, FeeCategory, Status

from .conftest import NOW, TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


def _ask(resource, start, **kw):
    return services.Request(resource=resource, start=start, **kw)


def test_slots_follow_opening_hours_and_are_stored_nowhere(room):
    (day,) = slots.days(room, TUESDAY, TUESDAY)
    assert [s.start.astimezone(slots.city_zone()).hour for s in day.slots] == [9, 12, 15, 18]
    assert day.free == 4
    assert Booking.objects.count() == 0


def test_sundays_holidays_and_closed_days_have_no_slots(room, department):
    ClosedDay.objects.create(resource=room, date=TUESDAY, reason="点検")
    sunday, new_year = dt.date(2026, 12, 13), dt.date(2027, 1, 11)  # 成人の日
    assert slots.days(room, sunday, sunday)[0].closed_reason == "weekday"
    assert slots.days(room, new_year, new_year)[0].closed_reason == "holiday"
    assert slots.days(room, TUESDAY, TUESDAY)[0].slots == []
    with pytest.raises(NotBookable, match="成人の日"):
        services.book(_ask(room, at(new_year, 9)), user=None)
    with pytest.raises(NotBookable, match="休館日"):
        services.book(_ask(room, at(TUESDAY, 9)), user=None)


def test_resident_pays_the_city_rate_and_gets_a_deadline(room, resident_user):
    booking = services.book(_ask(room, at(TUESDAY, 9), party_size=12), user=resident_user)
    assert booking.status == Status.PROVISIONAL
    assert (booking.fee_category, booking.fee_yen) == (FeeCategory.RESIDENT, 1000)
    # the deadline is the payment period, cut to the start when the start comes sooner
    assert booking.payment_due_by == at(TUESDAY, 9)
    assert booking.holder_name == "駒ヶ根 花子"


def test_outsider_pays_the_outside_rate_and_exemptions_apply(room, outsider):
    full = services.book(_ask(room, at(TUESDAY, 12)), user=outsider)
    halved = services.book(_ask(room, at(TUESDAY, 15), exemption="children"), user=outsider)
    assert (full.fee_category, full.fee_yen) == (FeeCategory.NONRESIDENT, 2000)
    assert halved.fee_yen == 1000
    with pytest.raises(NotAllowed):
        services.book(_ask(room, at(TUESDAY, 18), exemption="friends"), user=outsider)


def test_free_service_is_confirmed_at_once_and_fills_its_staff_pool(counter, outsider):
    first = services.book(_ask(counter, at(TUESDAY, 10)), user=outsider)
    second = services.book(_ask(counter, at(TUESDAY, 10)), user=None, staff=outsider)
    assert (first.status, first.seat, second.seat) == (Status.CONFIRMED, 1, 2)
    with pytest.raises(SlotTaken, match="すでに予約"):
        services.book(_ask(counter, at(TUESDAY, 10)), user=None)
    services.cancel(first, by=outsider)
    assert services.book(_ask(counter, at(TUESDAY, 10)), user=None).seat == 1


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (at(dt.date(2026, 12, 7), 6), "過去"),
        (at(TUESDAY, 8), "開館時間外"),
        (at(TUESDAY, 10), "区切り"),
        (at(dt.date(2026, 12, 7), 18), "24 時間前"),
        (at(dt.date(2027, 3, 15), 9), "90 日先"),
    ],
)
def test_times_that_cannot_be_booked_are_refused_clearly(room, start, message):
    with pytest.raises(NotBookable, match=message):
        services.book(_ask(room, start), user=None)
    assert Booking.objects.count() == 0


def test_party_larger_than_the_room_is_refused(room):
    with pytest.raises(BadParty, match="1〜30"):
        services.book(_ask(room, at(TUESDAY, 9), party_size=31), user=None)


def test_monthly_quota_per_user(room, outsider):
    services.book(_ask(room, at(TUESDAY, 9)), user=outsider)
    services.book(_ask(room, at(TUESDAY, 12)), user=outsider)
    with pytest.raises(QuotaExceeded, match="2 件まで"):
        services.book(_ask(room, at(TUESDAY, 15)), user=outsider)
    # next month counts afresh
    services.book(_ask(room, at(dt.date(2027, 1, 5), 9)), user=outsider)


def test_eligibility_by_residency_age_and_sex(room, resident_user, outsider):
    room.residents_only = True
    room.save()
    with pytest.raises(NotEligible, match="住民記録"):
        services.book(_ask(room, at(TUESDAY, 9)), user=outsider)
    room.min_age = 40  # 花子 was born 1989-01-07: 37 on the day
    room.save()
    with pytest.raises(NotEligible, match="40 歳以上"):
        services.book(_ask(room, at(TUESDAY, 9)), user=resident_user)
    room.min_age, room.sex = None, "1"
    room.save()
    with pytest.raises(NotEligible, match="性別"):
        services.book(_ask(room, at(TUESDAY, 9)), user=resident_user)
    room.sex = "2"
    room.save()
    assert services.book(_ask(room, at(TUESDAY, 9)), user=resident_user).pk


def test_unpaid_provisional_booking_expires_and_frees_the_slot(room, outsider):
    later = at(dt.date(2026, 12, 22), 9)
    booking = services.book(_ask(room, later), user=outsider)
    assert booking.payment_due_by == NOW + dt.timedelta(days=7)
    with time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False):
        assert services.expire_unpaid() == 1
        booking.refresh_from_db()
        assert booking.status == Status.CANCELLED
        with pytest.raises(NotAllowed, match="支払"):
            services.mark_paid(booking)
        assert services.book(_ask(room, later), user=None).seat == 1


def test_an_expired_hold_is_released_when_someone_else_asks_for_the_slot(room, outsider):
    later = at(dt.date(2026, 12, 22), 9)
    services.book(_ask(room, later), user=outsider)
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=False):
        taken = services.book(_ask(room, later), user=None)
    assert taken.status == Status.PROVISIONAL
    assert Booking.objects.filter(status=Status.CANCELLED).count() == 1


def test_paying_confirms_once(room, outsider):
    booking = services.book(_ask(room, at(TUESDAY, 9)), user=outsider)
    paid = services.mark_paid(booking)
    assert paid.status == Status.CONFIRMED and paid.paid_at
    assert services.mark_paid(paid).paid_at == paid.paid_at
    assert services.expire_unpaid(NOW + dt.timedelta(days=30)) == 0


def test_started_bookings_cannot_be_cancelled(counter):
    booking = services.book(_ask(counter, at(TUESDAY, 10)), user=None)
    with time_machine.travel(at(TUESDAY, 10, 5), tick=False), pytest.raises(NotAllowed):
        services.cancel(booking, by=None)


def test_availability_views_are_counted_per_resource_and_day(room):
    for _ in range(3):
        services.count_view(room, TUESDAY)
    assert room.views.get(date=TUESDAY).count == 3


def test_a_provisional_booking_queues_its_own_expiry_task(
    room, outsider, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from musubi.citizen.bookings import tasks

    later = at(dt.date(2026, 12, 22), 9)
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.book(_ask(room, later), user=outsider)
    queued = DBTaskResult.objects.get(task_path__endswith="expire_if_unpaid")
    assert queued.run_after == booking.payment_due_by
    assert queued.args_kwargs["args"] == [booking.pk]
    assert tasks.expire_if_unpaid.call(booking.pk) == 0  # not overdue yet
    with time_machine.travel(booking.payment_due_by + dt.timedelta(seconds=1), tick=False):
        assert tasks.expire_if_unpaid.call(booking.pk) == 1
        assert tasks.sweep_unpaid() == 0
