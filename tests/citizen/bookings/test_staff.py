"""Back office: day view (audited), booking for a caller, blocking, cancelling with a notice,
check-in by QR, the queue and "now serving" screen, and the reports."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from musubi.citizen.bookings import counter as counter_services
from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import Booking, Status
from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify.models import Delivery

from .conftest import TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


@pytest.fixture
def staff(make_staff, signed_in, department):
    return signed_in(make_staff("shogai", "bookings.manage"))


def test_day_view_is_audited_and_other_departments_see_nothing(staff, room, make_staff, signed_in):
    services.book(services.Request(resource=room, start=at(TUESDAY, 12), holder_name="赤穂 一郎"))
    page = staff.get(reverse("bookings:staff_day", args=[room.pk]) + "?date=2026-12-08")
    assert "赤穂 一郎" in page.content.decode()
    assert AuditRecord.objects.filter(subject_id="kominkan-kaigi/2026-12-08").exists()
    other = signed_in(make_staff("zeimu", "bookings.manage"))
    assert other.get(reverse("bookings:staff_day", args=[room.pk])).status_code == 404


def test_book_for_a_caller_then_block_then_cancel_with_notice(staff, room, resident_user):
    start = at(TUESDAY, 9).isoformat()
    answer = staff.post(
        reverse("bookings:staff_book", args=[room.pk]),
        {
            "start": start,
            "holder_name": "宮田 花",
            "holder_phone": "0265-1",
            "channel": "phone",
            "party_size": 4,
            "exemption": "",
        },
    )
    assert answer.status_code == 302
    phoned = Booking.objects.get(channel="phone")
    assert phoned.fee_yen == 2000  # no registry link: 市外 rate unless staff apply 減免
    staff.post(
        reverse("bookings:staff_block", args=[room.pk]),
        {"start": at(TUESDAY, 15).isoformat(), "reason": "点検"},
    )
    assert Booking.objects.get(status=Status.BLOCKED).purpose == "点検"
    with pytest.raises(Exception, match="すでに予約"):
        services.book(services.Request(resource=room, start=at(TUESDAY, 15)))
    web = services.book(services.Request(resource=room, start=at(TUESDAY, 18)), user=resident_user)
    url = reverse("bookings:staff_cancel", args=[web.pk])
    refused = staff.post(url, {"reason": ""}, follow=True)
    assert "理由を入力" in refused.content.decode()
    staff.post(url, {"reason": "選挙の開票所として使用するため"})
    web.refresh_from_db()
    assert web.status == Status.CANCELLED
    (told,) = Delivery.objects.filter(message__source="bookings", address="hanako@example.jp")
    assert "選挙の開票所" in told.message.rendered["ja"]["body"]


def test_a_refused_caller_booking_keeps_what_the_clerk_typed_at_its_slot(staff, room):
    url = reverse("bookings:staff_book", args=[room.pk])
    form = {"start": at(TUESDAY, 9).isoformat(), "row": "1", "holder_name": "宮田 花",
            "holder_phone": "0265-1", "channel": "phone", "party_size": 99}  # fmt: skip
    refused = staff.post(url, form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'role="alert" id="refusal-1"' in html and 'id="slot-1"' in html
    assert 'value="宮田 花"' in html and 'value="99"' in html
    assert 'for="id_holder_name-1"' in html and 'id="id_holder_name-1"' in html
    assert 'id="id_holder_name-2"' not in html and "slot=2#slot-2" in html  # one form a page
    assert not Booking.objects.exists()
    blank = staff.post(url, {**form, "holder_name": "", "party_size": 2})
    assert blank.status_code == 400 and "予約者名・電話番号" in blank.content.decode()


def test_counter_check_in_by_qr_call_next_and_the_wait(staff, counter, resident_user):
    client = Client()
    booking = services.book(
        services.Request(resource=counter, start=at(dt.date(2026, 12, 7), 10)),
        user=resident_user,
    )
    client.force_login(resident_user)
    confirmation = client.get(reverse("bookings:booking", args=[booking.pk])).content.decode()
    assert "<svg" in confirmation
    token = counter_services.check_in_token(booking)
    url = reverse("bookings:staff_check_in", args=[token])
    assert staff.get(url).status_code == 200
    assert staff.get(reverse("bookings:staff_check_in", args=["forged"])).status_code == 404
    with time_machine.travel(at(dt.date(2026, 12, 7), 9, 20), tick=False):
        staff.post(url)
    with time_machine.travel(at(dt.date(2026, 12, 7), 9, 32), tick=False):
        staff.post(reverse("bookings:staff_queue", args=[counter.pk]))
        serving = reverse("bookings:serving", args=[counter.pk])
        plain = client.get(serving).content.decode()
        screen = client.get(serving + "?auto=1").content.decode()
    booking.refresh_from_db()
    assert booking.served_at - booking.checked_in_at == dt.timedelta(minutes=12)
    assert booking.reference in screen and '<meta http-equiv="refresh"' in screen
    assert booking.reference in plain and "http-equiv" not in plain  # refreshing is opt-in
    assert "花子" not in screen  # numbers only on the public screen
    (row,) = [
        r
        for r in counter_services.figures(dt.date(2026, 12, 7), dt.date(2026, 12, 7))
        if r.resource == counter
    ]
    assert row.average_wait_minutes == 12.0 and row.booked == 1


def test_check_in_only_on_the_day(counter):
    booking = services.book(services.Request(resource=counter, start=at(TUESDAY, 10)))
    with pytest.raises(Exception, match="当日"):
        counter_services.check_in(booking)


def test_reports_count_no_shows_and_views(staff, room, client):
    booking = services.book(services.Request(resource=room, start=at(TUESDAY, 12)))
    booking = services.mark_paid(booking)
    client.get(reverse("bookings:month", args=[room.pk]))
    with time_machine.travel(at(TUESDAY, 13), tick=False):
        counter_services.mark_no_show(booking)
    page = staff.get(reverse("bookings:staff_reports") + "?from=2026-12-07&to=2026-12-08")
    (row,) = [r for r in page.context["rows"] if r.resource == room]
    assert (row.seats, row.booked, row.no_shows, row.views) == (8, 1, 1, 1)
    assert staff.get(reverse("bookings:staff_reports") + "?from=bad").status_code == 404


def test_staff_month_calendar_counts_bookings_per_day(staff, room):
    services.book(services.Request(resource=room, start=at(TUESDAY, 12)))
    page = staff.get(reverse("bookings:staff_month", args=[room.pk]) + "?month=2026-12")
    html = page.content.decode()
    assert page.status_code == 200
    assert "予約 1／4" in html  # the Tuesday: one of four slots
    assert f"?date={TUESDAY.isoformat()}" in html
    bad = staff.get(reverse("bookings:staff_month", args=[room.pk]) + "?month=2026-13")
    assert bad.status_code == 404


def test_staff_month_and_lottery_pages_in_english(staff, room):
    import re

    room.name_en = "Meeting room"
    room.save()
    staff.cookies["django_language"] = "en"
    for name in ("bookings:staff_month", "bookings:staff_lotteries"):
        html = staff.get(reverse(name, args=[room.pk])).content.decode().replace("日本語", "")
        assert re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", html) == [], name


def test_a_holder_who_did_not_come_is_recorded_and_counted(
    make_staff, signed_in, department, counter, resident_user
):
    clerk = make_staff("shogai", "bookings.manage")
    booking = services.book(
        services.Request(resource=counter, start=at(TUESDAY, 10)), user=resident_user
    )
    url = reverse("bookings:staff_no_show", args=[booking.pk])
    staff = signed_in(clerk)
    early = staff.post(url, follow=True).content.decode()
    assert "開始時刻を過ぎた確定済みの予約だけ" in early  # not before its time
    staff.logout()
    with time_machine.travel(at(TUESDAY, 11), tick=False):
        signed_in(clerk)  # a fresh staff session a day later
        day = staff.get(reverse("bookings:staff_day", args=[counter.pk]) + "?date=2026-12-08")
        assert f'action="{url}"' in day.content.decode()
        staff.post(url)
        figures = counter_services.figures(TUESDAY, TUESDAY)
    booking.refresh_from_db()
    assert booking.status == Status.NO_SHOW
    assert next(r for r in figures if r.resource == counter).no_shows == 1
    assert AuditRecord.objects.filter(what="無断不参加", subject_id=str(booking.pk)).exists()
