"""Waiting-list API: join a full slot's line with Idempotency-Key, see my places (with my
place in line and the seat held once offered), leave (a held seat moves on at once)."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import Booking, Status, WaitlistEntry, WaitStatus
from musubi.platform.accounts.models import User

from .conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
DAY = dt.date(2026, 12, 22)
FULL = at(DAY, 12)
WAITLIST = "/api/v1/me/waitlist/"


@pytest.fixture
def people(db) -> list[User]:
    return [
        User.objects.create_user(username=f"q{n}@example.jp", email=f"q{n}@example.jp")
        for n in range(4)
    ]


@pytest.fixture
def full(room, people) -> Booking:
    return services.book(services.Request(resource=room, start=FULL), user=people[0])


def join(client, key=None, language="ja", **extra):
    body = {"resource": "kominkan-kaigi", "start": FULL.isoformat(), "party_size": 3, **extra}
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(WAITLIST, body, content_type="application/json", **headers)


def test_join_once_per_key_and_see_my_place_in_line(client, full, people):
    for person in people[1:3]:
        client.force_login(person)
        made = join(client, key="w-1")
        replay = join(client, key="w-1")
        assert made.status_code == 201 and replay["Idempotent-Replayed"] == "true"
        assert replay.json() == made.json()
    reused = join(client, key="w-1", party_size=4)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    (mine,) = client.get(WAITLIST).json()["results"]
    assert mine["place"] == 2 and mine["status"] == WaitStatus.WAITING
    assert mine["resource"] == "kominkan-kaigi" and mine["booking"] is None
    assert WaitlistEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("extra", "status", "where"),
    [
        ({"start": at(DAY, 15).isoformat()}, 422, "not_allowed"),  # free: book it instead
        ({"start": at(DAY, 13).isoformat()}, 422, "not_bookable"),  # not a slot
        ({"start": at(dt.date(2026, 12, 1), 12).isoformat()}, 422, "not_bookable"),  # past
        ({"party_size": 31}, 422, "not_allowed"),
        ({"resource": "no-such-room"}, 400, "resource"),
        ({"start": "soon"}, 400, "start"),
        ({"party_size": "many"}, 400, "party_size"),
    ],
)
def test_bad_places_are_refused_clearly_and_nothing_is_written(
    client, full, people, extra, status, where
):
    client.force_login(people[1])
    answer = join(client, **extra)
    assert answer.status_code == status
    assert answer["Content-Type"].startswith("application/problem+json")
    if status == 400:
        assert answer.json()["errors"][0]["field"] == where
    else:
        assert answer.json()["code"] == where
    assert not WaitlistEntry.objects.exists()


def test_my_own_booking_and_a_second_place_are_refused_in_english(client, full, people):
    client.force_login(people[0])
    own = join(client, language="en")
    assert own.status_code == 422 and own.json()["code"] == "not_allowed"
    assert not any("\u3040" <= c <= "\u9fff" for c in own.json()["detail"])
    client.force_login(people[1])
    join(client)
    twice = join(client)
    assert twice.status_code == 422 and "すでに登録" in twice.json()["detail"]
    assert WaitlistEntry.objects.count() == 1


def test_the_waiting_list_needs_a_person_signed_in(client, full):
    assert join(client).status_code in (401, 403)
    assert client.get(WAITLIST).status_code in (401, 403)


def test_leave_the_line_only_mine_and_only_once(client, full, people):
    client.force_login(people[1])
    entry = join(client).json()["id"]
    client.force_login(people[2])
    assert client.post(f"{WAITLIST}{entry}/leave/").status_code == 404
    client.force_login(people[1])
    left = client.post(f"{WAITLIST}{entry}/leave/")
    again = client.post(f"{WAITLIST}{entry}/leave/")
    assert left.status_code == 200 and left.json()["status"] == WaitStatus.WITHDRAWN
    assert again.status_code == 422 and again.json()["code"] == "not_allowed"
    assert client.get(WAITLIST).json()["results"] == []


def test_an_offer_shows_its_held_seat_and_leaving_passes_it_to_the_next(
    client, full, people, django_capture_on_commit_callbacks
):
    ids = []
    for person in people[1:3]:
        client.force_login(person)
        ids.append(join(client).json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(full, by=people[0])
    client.force_login(people[1])
    (offered,) = client.get(WAITLIST).json()["results"]
    assert offered["status"] == WaitStatus.OFFERED and offered["place"] is None
    assert offered["booking"]["status"] == Status.PROVISIONAL
    with django_capture_on_commit_callbacks(execute=True):
        left = client.post(f"{WAITLIST}{ids[0]}/leave/")
    assert left.status_code == 200
    held = Booking.objects.get(pk=offered["booking"]["id"])
    assert held.status == Status.CANCELLED
    next_offer = Booking.objects.get(user=people[2], status=Status.PROVISIONAL)
    assert next_offer.start == FULL
    assert WaitlistEntry.objects.get(pk=ids[1]).status == WaitStatus.OFFERED
