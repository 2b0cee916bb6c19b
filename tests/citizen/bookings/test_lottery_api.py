"""Lottery API: open lotteries and published results (public), entering with Idempotency-Key,
my entries with their result, confirming a win before its deadline, and clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.citizen.bookings import lottery
from musubi.citizen.bookings.models import Booking, EntryStatus, LotteryEntry, Status
from musubi.platform.accounts.models import User

from .conftest import NOW, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

JANUARY = dt.date(2027, 1, 1)
CONTESTED = at(dt.date(2027, 1, 12), 12)  # a Tuesday
CLOSES = at(dt.date(2026, 12, 14), 17)
DRAW_DAY = at(dt.date(2026, 12, 15), 10)
ENTRIES = "/api/v1/me/lottery-entries/"


@pytest.fixture
def window(room):
    return lottery.create_window(room, JANUARY, NOW - dt.timedelta(days=1), CLOSES, 7)


@pytest.fixture
def people(db) -> list[User]:
    return [
        User.objects.create_user(username=f"l{n}@example.jp", email=f"l{n}@example.jp")
        for n in range(3)
    ]


def enter(client, body, key=None, language="ja"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(ENTRIES, body, content_type="application/json", **headers)


def body_for(window, start=CONTESTED, **extra):
    return {"lottery": window.pk, "start": start.isoformat(), "party_size": 4, **extra}


def test_open_lotteries_are_public_and_only_while_taking_entries(client, window, room, counter):
    february = lottery.create_window(
        counter, dt.date(2027, 2, 1), NOW + dt.timedelta(days=3), at(dt.date(2027, 1, 20), 17)
    )
    (listed,) = client.get("/api/v1/bookings/lotteries/").json()["results"]
    assert listed == {
        "id": window.pk, "resource": "kominkan-kaigi", "month": "2027-01-01",
        "opens_at": "2026-12-06T09:00:00+09:00", "closes_at": "2026-12-14T17:00:00+09:00",
        "confirm_days": 7,
    }  # fmt: skip
    with time_machine.travel(NOW + dt.timedelta(days=4), tick=False):
        codes = [w["id"] for w in client.get("/api/v1/bookings/lotteries/").json()["results"]]
    assert codes == [window.pk, february.pk]
    with time_machine.travel(CLOSES, tick=False):
        assert [w["id"] for w in client.get("/api/v1/bookings/lotteries/").json()["results"]] == [
            february.pk
        ]


def test_enter_once_per_key_a_reused_key_is_422_and_twice_is_refused(client, window, people):
    client.force_login(people[0])
    first = enter(client, body_for(window), key="e-1")
    replay = enter(client, body_for(window), key="e-1")
    other_body = enter(client, body_for(window, party_size=5), key="e-1")
    twice = enter(client, body_for(window), key="e-2")
    assert first.status_code == 201 and replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert first.json()["status"] == EntryStatus.ENTERED and first.json()["booking"] is None
    assert first.json()["start"] == "2027-01-12T12:00:00+09:00"
    assert other_body.status_code == 422 and "Idempotency-Key" in other_body.json()["detail"]
    assert twice.status_code == 422 and twice.json()["code"] == "not_allowed"
    assert "すでに申し込んで" in twice.json()["detail"]
    assert LotteryEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "where"),
    [
        ({"start": "next tuesday"}, 400, "start"),
        ({"lottery": 999999}, 400, "lottery"),
        ({"party_size": 0}, 400, "party_size"),
        ({"start": at(dt.date(2027, 2, 2), 12).isoformat()}, 422, "not_bookable"),
        ({"start": at(dt.date(2027, 1, 12), 10).isoformat()}, 422, "not_bookable"),
        ({"party_size": 31}, 422, "not_allowed"),
        ({"group": 999999}, 400, "group"),
    ],
)
def test_bad_entries_are_answered_per_field_or_rule_and_nothing_is_written(
    client, window, people, change, status, where
):
    client.force_login(people[0])
    answer = enter(client, {**body_for(window), **change})
    assert answer.status_code == status
    assert answer["Content-Type"].startswith("application/problem+json")
    if status == 400:
        assert answer.json()["errors"][0]["field"] == where
    else:
        assert answer.json()["code"] == where
    assert not LotteryEntry.objects.exists()


def test_entering_after_the_close_is_refused_in_english(client, window, people):
    with time_machine.travel(CLOSES, tick=False):
        client.force_login(people[0])
        answer = enter(client, body_for(window), language="en")
    assert answer.status_code == 422 and answer.json()["code"] == "not_allowed"
    assert not any("\u3040" <= c <= "\u9fff" for c in answer.json()["detail"])
    assert not LotteryEntry.objects.exists()


def test_entering_needs_a_person_signed_in(client, window):
    assert enter(client, body_for(window)).status_code in (401, 403)
    assert client.get(ENTRIES).status_code in (401, 403)


def _draw(client, window, people):
    for person in people:
        client.force_login(person)
        assert enter(client, body_for(window)).status_code == 201
    with time_machine.travel(DRAW_DAY, tick=False):
        lottery.draw(window)
    window.refresh_from_db()
    return window


def test_my_entries_show_the_result_and_the_public_results_reproduce_it(client, window, people):
    window = _draw(client, window, people)
    winner = LotteryEntry.objects.get(status=EntryStatus.WON)
    with time_machine.travel(DRAW_DAY, tick=False):
        client.force_login(winner.user)
        (mine,) = client.get(ENTRIES).json()["results"]
        client.logout()
        published = client.get(f"/api/v1/bookings/lotteries/{window.pk}/results/").json()
    assert mine["status"] == "won" and mine["lottery"] == window.pk
    assert mine["booking"]["status"] == Status.PROVISIONAL
    assert mine["booking"]["payment_due_by"] == "2026-12-22T10:00:00+09:00"
    assert published["seed"] == window.seed and len(published["entries"]) == 3
    winners = {row["entry"] for row in published["entries"] if row["won"]}
    assert winners == {winner.pk}
    assert lottery.rerun(published["seed"], published["capacity"], published["entries"]) == winners
    assert published["statistics"]["winners"] == 1
    assert "l0@example.jp" not in str(published)


def test_results_before_the_draw_publish_no_entries_and_unknown_is_404(client, window, people):
    client.force_login(people[0])
    enter(client, body_for(window))
    client.logout()
    before = client.get(f"/api/v1/bookings/lotteries/{window.pk}/results/").json()
    assert before["seed"] is None and before["entries"] == []
    assert before["statistics"]["entries"] == 1
    assert client.get("/api/v1/bookings/lotteries/999999/results/").status_code == 404


def test_a_free_win_is_confirmed_before_its_deadline_only(client, window, room, people):
    room.fee_resident_yen = room.fee_nonresident_yen = 0
    room.save()
    _draw(client, window, people)
    win = Booking.objects.get()
    url = f"/api/v1/me/bookings/{win.pk}/confirm/"
    loser = LotteryEntry.objects.filter(status=EntryStatus.LOST).first().user
    with time_machine.travel(DRAW_DAY, tick=False):
        client.force_login(loser)
        assert client.post(url).status_code == 404  # not theirs
        client.force_login(win.user)
        confirmed = client.post(url)
        again = client.post(url)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == Status.CONFIRMED
    assert again.status_code == 422 and again.json()["code"] == "not_allowed"


def test_a_win_past_its_deadline_or_with_a_fee_is_not_confirmed_by_the_button(
    client, window, people
):
    _draw(client, window, people)
    win = Booking.objects.get()
    url = f"/api/v1/me/bookings/{win.pk}/confirm/"
    with time_machine.travel(DRAW_DAY, tick=False):
        client.force_login(win.user)
        with_fee = client.post(url, HTTP_ACCEPT_LANGUAGE="ja")
    assert with_fee.status_code == 422 and "支払う" in with_fee.json()["detail"]
    win.fee_yen = 0
    win.save()
    late = DRAW_DAY + dt.timedelta(days=7, minutes=1)
    with time_machine.travel(late, tick=False):
        client.force_login(win.user)
        too_late = client.post(url)
    assert too_late.status_code == 422 and "確定できる状態" in too_late.json()["detail"]
    win.refresh_from_db()
    assert win.status == Status.PROVISIONAL
