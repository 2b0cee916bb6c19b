"""休館・一括取消: staff close a room for some days; they first see every booking it cancels
(audited), then the days are closed, bookings cancelled for the city with the holders told
through the hub (callers listed to phone), blocks lifted and waiting lists ended."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from musubi.citizen.bookings import counter, services, waitlist
from musubi.citizen.bookings.errors import NotBookable
from musubi.citizen.bookings.models import Booking, ClosedDay, Status, WaitlistEntry, WaitStatus
from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify.models import Delivery

from .conftest import TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
WEDNESDAY, THURSDAY = TUESDAY + dt.timedelta(days=1), TUESDAY + dt.timedelta(days=2)
FORM = {"first": str(TUESDAY), "last": str(WEDNESDAY), "reason": "空調の工事のため"}


@pytest.fixture
def staff(make_staff, signed_in, department):
    return signed_in(make_staff("shogai", "bookings.manage"))


def _caller(room) -> services.Request:
    return services.Request(
        resource=room, start=at(TUESDAY, 15), holder_name="宮田 花", holder_phone="0265-83-1111"
    )


@pytest.fixture
def booked(room, resident_user, outsider):
    """Tuesday: a resident's booking, a caller's, a full slot with someone waiting; Wednesday
    a blocked slot; Thursday a booking the closure must not touch."""
    ask = services.Request
    return {
        "web": services.book(ask(resource=room, start=at(TUESDAY, 12)), user=resident_user),
        "phone": services.book(_caller(room)),
        "full": services.book(ask(resource=room, start=at(TUESDAY, 18)), user=outsider),
        "waiting": waitlist.join(room, at(TUESDAY, 18), resident_user),
        "blocked": counter.block(room, at(WEDNESDAY, 12), by=None, reason="点検"),
        "later": services.book(ask(resource=room, start=at(THURSDAY, 12)), user=outsider),
    }


def test_staff_see_who_is_affected_then_close_and_everyone_is_told(staff, room, booked):
    url = reverse("bookings:staff_close", args=[room.pk])
    assert 'value="2026-12-08"' in staff.get(url + "?date=2026-12-08").content.decode()
    preview = staff.post(url, FORM).content.decode()
    assert "宮田 花" in preview and booked["web"].reference in preview
    assert booked["later"].reference not in preview and "キャンセル待ち 1 件" in preview
    assert Booking.objects.filter(status=Status.CANCELLED).count() == 0  # asking changes nothing
    assert AuditRecord.objects.filter(what="休館で取り消す予約の一覧").exists()

    done = staff.post(url, {**FORM, "confirm": "1"})
    page = done.content.decode()
    assert done.status_code == 200 and "0265-83-1111" in page  # the caller, to phone
    assert set(ClosedDay.objects.values_list("date", flat=True)) == {TUESDAY, WEDNESDAY}
    cancelled = Booking.objects.filter(status=Status.CANCELLED, cancel_reason="空調の工事のため")
    assert cancelled.count() == 4  # web, phone, full and the block
    assert Booking.objects.get(pk=booked["later"].pk).status != Status.CANCELLED
    assert WaitlistEntry.objects.get().status == WaitStatus.WITHDRAWN
    told = Delivery.objects.filter(message__source="bookings").values_list("address", flat=True)
    assert sorted(told) == ["hanako@example.jp", "hanako@example.jp", "visitor@example.com"]
    assert AuditRecord.objects.filter(what__startswith="休館 2026-12-08〜2026-12-09").exists()
    with pytest.raises(NotBookable):
        services.book(services.Request(resource=room, start=at(TUESDAY, 12)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": ""}, "この項目は必須です"),
        ({"last": "2026-12-01"}, "終わりの日は、始まりの日と同じか後の日"),
        ({"first": "2026-12-01", "last": "2026-12-02"}, "過ぎた日は休館にできません"),
        ({"last": "2027-06-30"}, "92 日まで"),
        ({"first": "next week"}, "日付を正しく入力してください"),
    ],
)
def test_bad_input_is_answered_and_nothing_changes(staff, room, booked, change, message):
    url = reverse("bookings:staff_close", args=[room.pk])
    for confirm in ({}, {"confirm": "1"}):
        answer = staff.post(url, {**FORM, **change, **confirm})
        assert answer.status_code == 400 and message in answer.content.decode()
        assert "空調の工事のため" in answer.content.decode() or change.get("reason") == ""
    assert not ClosedDay.objects.exists()
    assert not Booking.objects.filter(status=Status.CANCELLED).exists()


def test_another_departments_room_is_not_found(make_staff, signed_in, room):
    other = signed_in(make_staff("zeimu", "bookings.manage"))
    url = reverse("bookings:staff_close", args=[room.pk])
    assert other.post(url, {**FORM, "confirm": "1"}).status_code == 404
    assert not ClosedDay.objects.exists()
