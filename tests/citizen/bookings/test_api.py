"""Bookings API: public availability, booking with Idempotency-Key, clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.citizen.bookings.models import AvailabilityView, Booking, Status

from .conftest import TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


def test_resources_and_availability_are_public_and_counted(client, room, counter):
    listed = client.get("/api/v1/bookings/resources/").json()
    assert {r["code"] for r in listed["results"]} == {"kominkan-kaigi", "kaigo-sodan"}
    url = f"/api/v1/bookings/resources/{room.pk}/availability/?from=2026-12-08&to=2026-12-13"
    days = client.get(url).json()
    assert [d["date"] for d in days][:2] == ["2026-12-08", "2026-12-09"]
    assert days[0]["closed"] == "" and len(days[0]["slots"]) == 4
    assert days[0]["slots"][0] == {
        "start": "2026-12-08T09:00:00+09:00",
        "end": "2026-12-08T12:00:00+09:00",
        "capacity": 1,
        "free": 1,
    }
    assert days[-1]["closed"] == "weekday" and days[-1]["slots"] == []
    assert AvailabilityView.objects.get(resource=room, date=dt.date(2026, 12, 7)).count == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2026-13-01", "from"), ("from=2026-12-10&to=2026-12-01", "to"), ("to=2027-12-01", "to")],
)
def test_bad_ranges_are_a_clear_400(client, room, query, field):
    response = client.get(f"/api/v1/bookings/resources/{room.pk}/availability/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def _post(client, start, key=None, **extra):
    headers = {"Idempotency-Key": key} if key else {}
    body = {"resource": "kominkan-kaigi", "start": start.isoformat(), "party_size": 5, **extra}
    return client.post(
        "/api/v1/me/bookings/",
        body,
        content_type="application/json",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
    )


def test_resident_books_once_per_idempotency_key_and_the_loser_is_told(
    client, room, resident_user, outsider
):
    client.force_login(resident_user)
    first = _post(client, at(TUESDAY, 12), key="k-1")
    again = _post(client, at(TUESDAY, 12), key="k-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["status"] == Status.PROVISIONAL
    assert first.json()["fee_yen"] == 1000
    assert Booking.objects.count() == 1
    client.force_login(outsider)
    taken = _post(client, at(TUESDAY, 12))
    assert taken.status_code == 409
    assert taken.json()["code"] == "already_taken"
    assert "すでに予約" in taken.json()["detail"]


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (at(dt.date(2026, 12, 1), 9), "not_bookable"),
        (at(dt.date(2026, 12, 13), 9), "not_bookable"),
        (at(TUESDAY, 10), "not_bookable"),
    ],
)
def test_refusals_are_422_with_the_rule(client, room, outsider, start, code):
    client.force_login(outsider)
    response = _post(client, start)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "start", "code": code, "message": response.json()["detail"]}
    ]


def test_refusals_follow_the_language(client, room, outsider):
    client.force_login(outsider)
    response = client.post(
        "/api/v1/me/bookings/",
        {"resource": "kominkan-kaigi", "start": at(TUESDAY, 12).isoformat(), "party_size": 99},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "party_size"
    assert "1" in response.json()["detail"] and "30" in response.json()["detail"]
    assert not any("\u3040" <= c <= "\u9fff" for c in response.json()["detail"])


def test_booking_needs_login_and_cancel_works_for_the_owner_only(client, room, outsider):
    assert _post(client, at(TUESDAY, 12)).status_code in (401, 403)
    client.force_login(outsider)
    booking_id = _post(client, at(TUESDAY, 12)).json()["id"]
    assert client.get("/api/v1/me/bookings/").json()["results"][0]["id"] == booking_id
    cancelled = client.post(f"/api/v1/me/bookings/{booking_id}/cancel/", {"reason": "雨天"})
    assert cancelled.json()["status"] == Status.CANCELLED
    again = client.post(f"/api/v1/me/bookings/{booking_id}/cancel/")
    assert again.status_code == 422


def test_staff_book_for_a_phone_caller_and_list_the_day_audited(
    client, room, make_staff, signed_in
):
    from musubi.platform.audit.models import AuditRecord

    staff = make_staff("shogai", "bookings.manage")
    other = make_staff("zeimu", "bookings.manage")
    api = signed_in(staff)
    body = {
        "resource": "kominkan-kaigi",
        "start": at(TUESDAY, 15).isoformat(),
        "channel": "phone",
        "holder_name": "赤穂 太郎",
        "holder_phone": "0265-00-0000",
        "exemption": "disability",
    }
    made = api.post("/api/v1/bookings/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["fee_yen"] == 0 and made.json()["channel"] == "phone"
    day = api.get("/api/v1/bookings/?date=2026-12-08").json()
    assert [b["holder_name"] for b in day] == ["赤穂 太郎"]
    assert AuditRecord.objects.filter(subject_type="booking-day").exists()
    # another department's staff neither see nor book this room
    api = signed_in(other)
    assert api.get("/api/v1/bookings/?date=2026-12-08").json() == []
    body["start"] = at(TUESDAY, 18).isoformat()
    assert api.post("/api/v1/bookings/", body, content_type="application/json").status_code == 403


def test_on_behalf_booking_must_say_phone_or_counter(client, room, make_staff, signed_in):
    api = signed_in(make_staff("shogai", "bookings.manage"))
    body = {
        "resource": "kominkan-kaigi",
        "start": at(TUESDAY, 15).isoformat(),
        "channel": "web",
        "holder_name": "赤穂 太郎",
    }
    answer = api.post("/api/v1/bookings/", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "channel"
