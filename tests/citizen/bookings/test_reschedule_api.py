"""Reschedule through the API: one step with Idempotency-Key; a slot taken (even by someone
racing for it at the same moment) or refused leaves the old booking exactly as it was."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import Booking, Kind, Resource, Status

from .conftest import EVERY_DAY, NOW, TUESDAY, at, retrying_on_sqlite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
OLD, NEW = at(TUESDAY, 10), at(TUESDAY, 11)


@pytest.fixture
def desk(department) -> Resource:
    """マイナンバーカード交付: one clerk, 30 minutes, free."""
    return Resource.objects.create(
        code="mynumber", kind=Kind.COUNTER, name_ja="マイナンバーカード交付",
        department=department, capacity=1, slot_minutes=30, hours=EVERY_DAY,
        open_on_holidays=True,
    )  # fmt: skip


def book(resource, start, user=None) -> Booking:
    return services.book(services.Request(resource=resource, start=start), user=user)


def move(client, booking, start, key=None, language="ja"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        f"/api/v1/me/bookings/{booking.pk}/reschedule/",
        {"start": start.isoformat() if hasattr(start, "isoformat") else start},
        content_type="application/json",
        **headers,
    )


def assert_kept(old: Booking) -> None:
    old.refresh_from_db()
    assert (old.status, old.start, old.cancelled_at) == (Status.CONFIRMED, OLD, None)


def test_move_once_per_key_and_a_reused_key_is_422(client, desk, outsider):
    old = book(desk, OLD, outsider)
    client.force_login(outsider)
    moved = move(client, old, NEW, key="r-1")
    replay = move(client, old, NEW, key="r-1")
    reused = move(client, old, at(TUESDAY, 12), key="r-1")
    assert moved.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == moved.json()
    assert moved.json()["start"] == "2026-12-08T11:00:00+09:00" and moved.json()["id"] != old.pk
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    old.refresh_from_db()
    assert old.status == Status.CANCELLED
    assert list(
        Booking.objects.filter(status=Status.CONFIRMED).values_list("start", flat=True)
    ) == [NEW]


def test_a_taken_slot_is_409_and_the_old_booking_is_kept(client, desk, outsider):
    old = book(desk, OLD, outsider)
    book(desk, NEW)
    client.force_login(outsider)
    answer = move(client, old, NEW)
    assert answer.status_code == 409 and answer.json()["code"] == "already_taken"
    assert_kept(old)


@pytest.mark.parametrize(
    ("start", "status", "where"),
    [
        ("2026-12-08T03:00:00+09:00", 422, "not_bookable"),  # closed
        ("2026-12-01T10:00:00+09:00", 422, "not_bookable"),  # past
        ("2026-12-08T10:00:00+09:00", 422, "not_allowed"),  # the same time
        ("tomorrow", 400, "start"),
    ],
)
def test_bad_times_are_refused_and_the_old_booking_is_kept(
    client, desk, outsider, start, status, where
):
    old = book(desk, OLD, outsider)
    client.force_login(outsider)
    answer = move(client, old, start)
    assert answer.status_code == status
    if status == 400:
        assert answer.json()["errors"][0]["field"] == where
    else:
        assert answer.json()["code"] == where
    assert_kept(old)
    assert Booking.objects.count() == 1


def test_a_booking_with_a_fee_is_refused_in_english_and_others_are_not_found(
    client, room, desk, outsider, resident_user
):
    paid = book(room, at(TUESDAY, 12), outsider)
    client.force_login(outsider)
    answer = move(client, paid, at(TUESDAY, 15), language="en")
    assert answer.status_code == 422 and answer.json()["code"] == "not_allowed"
    assert not any("\u3040" <= c <= "\u9fff" for c in answer.json()["detail"])
    theirs = book(desk, OLD, resident_user)
    assert move(client, theirs, NEW).status_code == 404
    client.logout()
    assert move(client, theirs, NEW).status_code in (401, 403)
    assert_kept(theirs)


def test_someone_taking_the_slot_while_the_move_is_checked_leaves_the_old_booking(
    client, desk, outsider, monkeypatch
):
    """The other client commits between the move's rule check and its seat: 409, old kept."""
    old = book(desk, OLD, outsider)
    checked = services.check_time

    def someone_books_meanwhile(resource, start, now):
        monkeypatch.setattr(services, "check_time", checked)  # the other client checks as usual
        slot = checked(resource, start, now)
        book(desk, start)
        return slot

    monkeypatch.setattr(services, "check_time", someone_books_meanwhile)
    client.force_login(outsider)
    answer = move(client, old, NEW)
    assert answer.status_code == 409 and answer.json()["code"] == "already_taken"
    assert_kept(old)
    assert Booking.objects.filter(start=NEW, status=Status.CONFIRMED, user=None).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_move_racing_bookers_for_the_same_slot_never_loses_the_old_booking(desk, outsider):
    """One move and five direct bookings for the last seat at once, on real connections."""
    old = book(desk, OLD, outsider)
    answers: dict[str, list[str]] = {"move": [], "book": []}
    failures: list[BaseException] = []
    barrier = threading.Barrier(6)

    def run(kind, action) -> None:
        try:
            barrier.wait()
            answers[kind].append(retrying_on_sqlite(action, done="done"))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    def mover():
        services.reschedule(Booking.objects.get(pk=old.pk), NEW, by=outsider)

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=run, args=("move", mover))]
        threads += [
            threading.Thread(target=run, args=("book", lambda: book(desk, NEW))) for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    winners = Booking.objects.filter(start=NEW, status__in=[Status.CONFIRMED])
    assert winners.count() == 1
    mine = Booking.objects.filter(user=outsider, status=Status.CONFIRMED)
    assert mine.count() == 1
    if answers["move"] == ["done"]:
        assert answers["book"].count("done") == 0
        assert mine.get().start == NEW
    else:
        assert answers["move"] == ["already_taken"] and answers["book"].count("done") == 1
        assert_kept(old)
