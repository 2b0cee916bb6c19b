"""The waiting list (キャンセル待ち): a freed seat is held for the first in line for a limited
time, then offered to the next; and the atomic reschedule of a counter appointment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from musubi.citizen.bookings import services, waitlist
from musubi.citizen.bookings.errors import NotAllowed, NotBookable, SlotTaken
from musubi.citizen.bookings.models import Booking, Origin, Status, WaitStatus
from musubi.platform.accounts.models import User
from musubi.platform.notify.models import Message

from .conftest import NOW, TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
DAY = dt.date(2026, 12, 22)


@pytest.fixture
def people(db) -> list[User]:
    return [
        User.objects.create_user(username=f"w{n}@example.jp", email=f"w{n}@example.jp")
        for n in range(3)
    ]


def test_only_a_full_slot_has_a_waiting_list(room, people, client):
    with pytest.raises(NotAllowed, match="空きがあります"):
        waitlist.join(room, at(DAY, 12), people[1])
    services.book(services.Request(resource=room, start=at(DAY, 12)), user=people[0])
    with pytest.raises(NotAllowed, match="すでに予約"):
        waitlist.join(room, at(DAY, 12), people[0])
    client.force_login(people[1])
    day = client.get(reverse("bookings:day", args=[room.pk, DAY.isoformat()])).content.decode()
    assert "キャンセル待ちに登録" in day
    url = reverse("bookings:join_waitlist", args=[room.pk])
    assert client.post(url, {"start": at(DAY, 12).isoformat()}).status_code == 302
    twice = client.post(url, {"start": at(DAY, 12).isoformat()})
    assert twice.status_code == 422 and "すでに登録" in twice.content.decode()
    with pytest.raises(NotBookable):
        waitlist.join(room, at(DAY, 13), people[2])  # not a slot


def test_a_freed_seat_goes_to_the_first_in_line_then_the_next(
    room, people, django_capture_on_commit_callbacks
):
    start = at(DAY, 12)
    first = services.book(services.Request(resource=room, start=start), user=people[0])
    waitlist.join(room, start, people[1])
    waitlist.join(room, start, people[2])
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(first, by=people[0])
    offer = Booking.objects.get(user=people[1], status=Status.PROVISIONAL)
    assert offer.origin == Origin.WAITLIST
    assert offer.payment_due_by == NOW + dt.timedelta(hours=waitlist.OFFER_HOURS)
    assert Message.objects.filter(source="bookings", deliveries__user=people[1]).exists()
    assert not Booking.objects.filter(user=people[2]).exists()
    with pytest.raises(SlotTaken):  # the held seat is not first come, first served
        services.book(services.Request(resource=room, start=start))

    lapsed = NOW + dt.timedelta(hours=waitlist.OFFER_HOURS, minutes=1)
    with time_machine.travel(lapsed, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.expire_unpaid() == 1
    offer.refresh_from_db()
    assert offer.status == Status.CANCELLED
    second = Booking.objects.get(user=people[2], status=Status.PROVISIONAL)
    assert second.payment_due_by == lapsed + dt.timedelta(hours=waitlist.OFFER_HOURS)
    statuses = dict(waitlist.WaitlistEntry.objects.values_list("user", "status"))
    assert statuses == {people[1].pk: WaitStatus.DONE, people[2].pk: WaitStatus.OFFERED}


def test_a_free_offer_is_taken_with_the_confirm_button(
    counter, people, client, django_capture_on_commit_callbacks
):
    start = at(TUESDAY, 10)
    taken = [
        services.book(services.Request(resource=counter, start=start), user=person)
        for person in people[:2]
    ]
    waitlist.join(counter, start, people[2])
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(taken[0], by=people[0])
    offer = Booking.objects.get(user=people[2])
    client.force_login(people[2])
    page = client.get(reverse("bookings:booking", args=[offer.pk])).content.decode()
    assert "予約を確定する" in page and "支払う" not in page
    assert client.post(reverse("bookings:confirm", args=[offer.pk])).status_code == 302
    offer.refresh_from_db()
    assert offer.status == Status.CONFIRMED
    again = client.post(reverse("bookings:confirm", args=[offer.pk]))
    assert again.status_code == 422


# --- reschedule ------------------------------------------------------------------------------


def test_reschedule_moves_an_appointment_in_one_step(counter, people, client):
    old = services.book(services.Request(resource=counter, start=at(TUESDAY, 10)), user=people[0])
    client.force_login(people[0])
    response = client.post(
        reverse("bookings:reschedule", args=[old.pk]), {"start": "2026-12-08T14:30"}
    )
    moved = Booking.objects.get(status=Status.CONFIRMED)
    assert response.url == reverse("bookings:booking", args=[moved.pk])
    assert moved.start == at(TUESDAY, 14, 30) and moved.user == people[0]
    old.refresh_from_db()
    assert old.status == Status.CANCELLED and old.cancel_reason == "日時の変更"


def test_reschedule_to_a_taken_slot_keeps_the_old_one(counter, people, client):
    old = services.book(services.Request(resource=counter, start=at(TUESDAY, 10)), user=people[0])
    for _seat in range(counter.capacity):
        services.book(services.Request(resource=counter, start=at(TUESDAY, 11)))
    with pytest.raises(SlotTaken):
        services.reschedule(old, at(TUESDAY, 11), by=people[0])
    old.refresh_from_db()
    assert old.status == Status.CONFIRMED and old.start == at(TUESDAY, 10)
    assert Booking.objects.filter(user=people[0]).count() == 1
    client.force_login(people[0])
    page = client.post(reverse("bookings:reschedule", args=[old.pk]), {"start": "2026-12-08T03:00"})
    assert page.status_code == 422 and "開館時間外" in page.content.decode()
    old.refresh_from_db()
    assert old.status == Status.CONFIRMED


def test_a_booking_with_a_fee_is_not_rescheduled(room, people):
    booking = services.book(services.Request(resource=room, start=at(DAY, 12)), user=people[0])
    with pytest.raises(NotAllowed, match="使用料"):
        services.reschedule(booking, at(DAY, 15), by=people[0])
