"""From "my bookings": withdrawing a lottery entry before entries close and leaving a waiting
list, each after a confirmation step (GET asks, only POST changes), someone else's id is not
found, and a refusal says why on the same page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from musubi.citizen.bookings import lottery, services, waitlist
from musubi.citizen.bookings.models import Status, WaitStatus
from musubi.platform.accounts.models import User

from .conftest import NOW, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
DAY = dt.date(2026, 12, 22)
CLOSES = NOW + dt.timedelta(days=2)


@pytest.fixture
def people(db) -> list[User]:
    return [
        User.objects.create_user(username=f"p{n}@example.jp", email=f"p{n}@example.jp")
        for n in range(2)
    ]


@pytest.fixture
def entry(room, people):
    window = lottery.create_window(room, dt.date(2027, 1, 1), NOW - dt.timedelta(days=1), CLOSES)
    return lottery.enter(window, people[0], at(dt.date(2027, 1, 5), 9))


@pytest.fixture
def place(room, people):
    services.book(services.Request(resource=room, start=at(DAY, 12)), user=people[1])
    return waitlist.join(room, at(DAY, 12), people[0])


def test_an_entry_is_withdrawn_only_after_confirming(client, people, entry):
    client.force_login(people[0])
    url = reverse("bookings:withdraw_entry", args=[entry.pk])
    assert f'href="{url}"' in client.get(reverse("bookings:mine")).content.decode()
    asked = client.get(url).content.decode()
    assert (
        "抽選の申込の取り下げ" in asked and "公民館 会議室" in asked and "2027-01-05 09:00" in asked
    )
    assert type(entry).objects.filter(pk=entry.pk).exists()
    done = client.post(url, follow=True)
    assert done.redirect_chain[-1][0] == reverse("bookings:mine")
    assert "抽選の申込を取り下げました" in done.content.decode()
    assert not type(entry).objects.filter(pk=entry.pk).exists()


def test_after_entries_close_the_withdrawal_is_refused_and_the_link_gone(client, people, entry):
    client.force_login(people[0])
    url = reverse("bookings:withdraw_entry", args=[entry.pk])
    with time_machine.travel(CLOSES, tick=False):
        assert f'href="{url}"' not in client.get(reverse("bookings:mine")).content.decode()
        refused = client.post(url)
    assert refused.status_code == 422 and "取り下げできません" in refused.content.decode()
    assert type(entry).objects.filter(pk=entry.pk).exists()


def test_someone_elses_entry_or_place_is_not_found(client, people, entry, place):
    client.force_login(people[1])
    for url in (
        reverse("bookings:withdraw_entry", args=[entry.pk]),
        reverse("bookings:leave_waitlist", args=[place.pk]),
        reverse("bookings:withdraw_entry", args=[999]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    place.refresh_from_db()
    assert place.status == WaitStatus.WAITING and type(entry).objects.filter(pk=entry.pk).exists()


def test_a_waiting_list_is_left_only_after_confirming(client, people, place):
    client.force_login(people[0])
    url = reverse("bookings:leave_waitlist", args=[place.pk])
    assert f'href="{url}"' in client.get(reverse("bookings:mine")).content.decode()
    asked = client.get(url).content.decode()
    assert "キャンセル待ちの取り下げ" in asked and "2026-12-22 12:00" in asked
    place.refresh_from_db()
    assert place.status == WaitStatus.WAITING
    done = client.post(url, follow=True)
    assert "キャンセル待ちをやめました" in done.content.decode()
    place.refresh_from_db()
    assert place.status == WaitStatus.WITHDRAWN
    assert client.post(url).status_code == 404  # over: no longer in my waiting lists


def test_leaving_an_offered_place_gives_the_held_seat_back(client, people, place, room):
    taken = room.bookings.get(user=people[1])
    services.cancel(taken, by=people[1])
    offered = waitlist.offer_next(room, at(DAY, 12))
    assert offered.pk == place.pk
    client.force_login(people[0])
    assert client.post(reverse("bookings:leave_waitlist", args=[place.pk])).status_code == 302
    offered.booking.refresh_from_db()
    assert offered.booking.status == Status.CANCELLED


def test_pages_need_a_signed_in_person(client, entry):
    answer = client.get(reverse("bookings:withdraw_entry", args=[entry.pk]))
    assert answer.status_code == 302 and "login" in answer["Location"]
