"""The lottery (抽選): entries in a window, a draw whose published seed reproduces it, winners
held until a deadline, then the slot released; notices and statistics."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from musubi.citizen.bookings import lottery, services
from musubi.citizen.bookings.errors import NotAllowed, NotBookable
from musubi.citizen.bookings.models import (
    Booking,
    EntryStatus,
    LotteryEntry,
    Origin,
    Status,
)
from musubi.platform.accounts.models import User
from musubi.platform.notify.models import Message

from .conftest import NOW, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

JANUARY = dt.date(2027, 1, 1)
CONTESTED = at(dt.date(2027, 1, 12), 12)  # a Tuesday
QUIET = at(dt.date(2027, 1, 13), 9)
CLOSES = at(dt.date(2026, 12, 14), 17)
DRAW_DAY = at(dt.date(2026, 12, 15), 10)


@pytest.fixture
def window(room):
    return lottery.create_window(room, JANUARY, NOW - dt.timedelta(days=1), CLOSES, 7)


@pytest.fixture
def people(db) -> list[User]:
    return [
        User.objects.create_user(username=f"u{n}@example.jp", email=f"u{n}@example.jp")
        for n in range(4)
    ]


def test_slots_of_a_lottery_month_cannot_be_booked_first_come(window, room):
    with pytest.raises(NotBookable, match="抽選で受け付けます"):
        services.book(services.Request(resource=room, start=CONTESTED))


def test_a_window_must_close_before_its_month_and_once_per_month(room, window):
    with pytest.raises(NotAllowed, match="すでにあります"):
        lottery.create_window(room, JANUARY, NOW, CLOSES)
    with pytest.raises(NotAllowed, match="締切"):
        lottery.create_window(room, dt.date(2027, 2, 1), NOW, at(dt.date(2027, 2, 2), 9))


def test_one_entry_per_slot_and_user_in_the_window_only(window, people):
    lottery.enter(window, people[0], CONTESTED)
    with pytest.raises(NotAllowed, match="すでに申し込んで"):
        lottery.enter(window, people[0], CONTESTED)
    with pytest.raises(NotBookable):
        lottery.enter(window, people[0], at(dt.date(2027, 2, 2), 12))  # not the lottery's month
    with pytest.raises(NotBookable):
        lottery.enter(window, people[0], at(dt.date(2027, 1, 12), 10))  # not a slot boundary
    with time_machine.travel(CLOSES, tick=False), pytest.raises(NotAllowed, match="申込期間"):
        lottery.enter(window, people[1], CONTESTED)


def test_entering_through_the_day_page(client, window, people):
    client.force_login(people[0])
    day = client.get(reverse("bookings:day", args=[window.resource.pk, "2027-01-12"]))
    assert "抽選に申し込む" in day.content.decode()
    assert "この枠を予約" not in day.content.decode()
    url = reverse("bookings:enter_lottery", args=[window.pk])
    assert client.post(url, {"start": CONTESTED.isoformat()}).status_code == 302
    again = client.post(url, {"start": CONTESTED.isoformat()})
    assert again.status_code == 422 and "すでに申し込んで" in again.content.decode()
    assert LotteryEntry.objects.get().user == people[0]


def _draw(window, people):
    for person in people[:3]:
        lottery.enter(window, person, CONTESTED)
    lottery.enter(window, people[3], QUIET)
    with pytest.raises(NotAllowed, match="締切前"):
        lottery.draw(window)
    with time_machine.travel(DRAW_DAY, tick=False):
        assert lottery.draw_due() == 1
    window.refresh_from_db()
    return window


def test_the_draw_is_published_and_reproducible_from_its_seed(client, window, people):
    window = _draw(window, people)
    assert len(window.seed) == 32 and window.drawn_at == DRAW_DAY
    published = client.get(reverse("bookings:lottery_json", args=[window.pk])).json()
    assert published["seed"] == window.seed and len(published["entries"]) == 4
    winners = {row["entry"] for row in published["entries"] if row["won"]}
    assert lottery.rerun(published["seed"], published["capacity"], published["entries"]) == winners
    assert len(winners) == 2  # one of three for the contested slot, the only one for the other
    drawn = set(LotteryEntry.objects.filter(status=EntryStatus.WON).values_list("pk", flat=True))
    assert drawn == winners
    other_seed = lottery.rerun("0" * 32, 1, published["entries"])
    assert len(other_seed) == 2  # any seed gives one winner per slot; the seed decides whom
    page = client.get(reverse("bookings:lottery", args=[window.pk])).content.decode()
    assert window.seed in page and "u0@example.jp" not in page  # entry numbers, no names


def test_winners_are_held_and_losers_told(window, people):
    window = _draw(window, people)
    held = Booking.objects.filter(origin=Origin.LOTTERY)
    assert held.count() == 2
    assert {b.status for b in held} == {Status.PROVISIONAL}
    assert {b.payment_due_by for b in held} == {DRAW_DAY + dt.timedelta(days=7)}
    loser_ids = LotteryEntry.objects.filter(status=EntryStatus.LOST).values_list("user", flat=True)
    assert len(loser_ids) == 2
    told = Message.objects.filter(source="bookings", deliveries__user__in=loser_ids)
    assert told.count() == 2
    assert all("落選" in m.rendered["ja"]["body"] for m in told)
    with time_machine.travel(DRAW_DAY, tick=False), pytest.raises(NotAllowed):
        lottery.draw(window)  # once only


def test_an_unconfirmed_win_is_released_to_first_come_and_losers_told(
    window, people, django_capture_on_commit_callbacks
):
    window = _draw(window, people)
    win = Booking.objects.get(origin=Origin.LOTTERY, start=CONTESTED)
    lapsed = DRAW_DAY + dt.timedelta(days=7, minutes=1)
    with time_machine.travel(lapsed, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.expire_unpaid() == 2
    win.refresh_from_db()
    assert win.status == Status.CANCELLED
    released = Message.objects.filter(
        source="bookings", rendered__ja__subject="抽選の枠が空きました"
    )
    assert released.count() == 2  # both who lost the contested slot
    loser = LotteryEntry.objects.filter(status=EntryStatus.LOST).first().user
    with time_machine.travel(lapsed, tick=False):
        again = services.book(
            services.Request(resource=window.resource, start=CONTESTED), user=loser
        )
    assert again.origin == Origin.DIRECT and again.status == Status.PROVISIONAL


def test_statistics_count_entries_per_slot_and_the_confirmed_share(window, people):
    window = _draw(window, people)
    first = Booking.objects.filter(origin=Origin.LOTTERY).first()
    with time_machine.travel(DRAW_DAY, tick=False):
        services.mark_paid(first)
    stats = lottery.statistics(window)
    assert stats["entries"] == 4 and stats["winners"] == 2 and stats["confirmed"] == 1
    assert stats["confirmed_share"] == 0.5
    assert stats["entries_per_slot"][lottery.slot_label(CONTESTED)] == 3


def test_staff_open_a_lottery_and_draw_it(make_staff, signed_in, room):
    clerk = make_staff("shogai", "bookings.manage")
    staff = signed_in(clerk)
    url = reverse("bookings:staff_lotteries", args=[room.pk])
    assert staff.get(url).status_code == 200
    bad = staff.post(url, {"month": "2027-01", "opens_at": "2026-12-10T09:00",
                           "closes_at": "2026-12-01T09:00", "confirm_days": 7})  # fmt: skip
    assert bad.status_code == 422 and "締切" in bad.content.decode()
    made = staff.post(url, {"month": "2027-01", "opens_at": "2026-12-07T08:00",
                            "closes_at": "2026-12-14T17:00", "confirm_days": 5})  # fmt: skip
    assert made.status_code == 302
    window = room.lotteries.get()
    assert window.closes_at == CLOSES and window.confirm_days == 5
    draw_url = reverse("bookings:staff_draw", args=[window.pk])
    early = staff.post(draw_url, follow=True)
    assert "締切前" in early.content.decode()
    with time_machine.travel(DRAW_DAY, tick=False):
        staff.logout()  # a new working day, a new sign-in
        staff = signed_in(clerk)
        done = staff.post(draw_url, follow=True)
    window.refresh_from_db()
    assert window.drawn_at == DRAW_DAY and window.seed
    assert "抽選しました" in done.content.decode()


def test_the_lottery_page_in_english_shows_no_japanese(client, window, people):
    import re

    window.resource.department.name_en = "Lifelong Learning"
    _draw(window, people)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("bookings:lottery", args=[window.pk])).content.decode()
    assert re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", html.replace("日本語", "")) == []
