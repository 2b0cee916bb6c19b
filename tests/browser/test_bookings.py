"""Bookings in Chromium, axe on every page, in Japanese and English: a resident books a room,
pays on the demo provider's page, sees it confirmed and downloads the permit; a resident books
a counter appointment that staff check in on the day, the now-serving screen shows its number
and the wait is measured; staff book for a caller on the day page, meet a refusal that keeps
what they typed, and book."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from musubi.citizen.bookings import counter as counter_service
from musubi.citizen.bookings.models import Booking, Kind, Resource, Status
from musubi.platform.accounts.models import Department

pytestmark = pytest.mark.browser

ALL_DAY = {str(d): ["00:00", "23:55"] for d in range(1, 8)}
TEXT = {
    "ja": {
        "book_slot": "この枠を予約",
        "book": "予約する",
        "pay": "支払う",
        "succeeds": "成功するカード（デモ）",
        "pay_demo": "支払う（デモ）",
        "permit": "利用許可書（PDF）",
        "confirmed": "予約確定",
        "check_in": "到着を受け付ける",
        "call": "次の方を呼ぶ",
        "close": "休館・一括取消",
        "preview": "取り消す予約を確かめる",
        "confirm": "休館にして予約を取り消す",
    },
    "en": {
        "book_slot": "Book this slot",
        "book": "Book",
        "pay": "Pay",
        "succeeds": "A card that succeeds (demo)",
        "pay_demo": "Pay (demo)",
        "permit": "Permit to use (PDF)",
        "confirmed": "Confirmed",
        "check_in": "Check in",
        "call": "Call the next person",
        "close": "Close and cancel bookings",
        "preview": "See the bookings to be cancelled",
        "confirm": "Close and cancel these bookings",
    },
}


def _resource(kind: str, **fields) -> Resource:
    """Open round the clock so the test can run at any hour (the city's department)."""
    department, _ = Department.objects.get_or_create(
        code="shimin", defaults={"name": "市民課", "name_en": "Citizens Division"}
    )
    return Resource.objects.create(
        kind=kind, department=department, hours=ALL_DAY, open_on_holidays=True, **fields
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_resident_books_a_room_pays_and_downloads_the_permit(resident_context, axe, language):
    words = TEXT[language]
    room = _resource(
        Kind.ROOM, code="hall", name_ja="文化センター 練習室（デモ）",
        name_en="Practice room (demo)", max_party=10, slot_minutes=60,
        fee_resident_yen=1500, fee_nonresident_yen=1500,
    )  # fmt: skip
    page = resident_context(language).new_page()
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    page.goto(f"/bookings/{room.pk}/")
    axe(page)
    page.goto(f"/bookings/{room.pk}/day/{tomorrow}/")
    axe(page)
    page.get_by_role("link", name=words["book_slot"]).first.click()
    axe(page)
    page.get_by_role("button", name=words["book"], exact=True).click()
    page.wait_for_url("**/bookings/mine/*/")
    axe(page)
    booking = Booking.objects.get(resource=room)
    assert booking.status == Status.PROVISIONAL and booking.fee_yen == 1500
    page.get_by_role("button", name=words["pay"], exact=True).click()
    page.wait_for_url("**/payments/demo/*/")
    axe(page)
    page.get_by_label(words["succeeds"]).check()
    page.get_by_role("button", name=words["pay_demo"]).click()
    page.wait_for_url("**/payments/P*/")
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED and booking.paid_at
    page.goto(f"/bookings/mine/{booking.pk}/")
    axe(page)
    expect(page.get_by_text(words["confirmed"], exact=True)).to_be_visible()
    permit = page.request.get(page.get_by_role("link", name=words["permit"]).get_attribute("href"))
    assert permit.ok and permit.headers["content-type"] == "application/pdf"
    assert permit.body().startswith(b"%PDF")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_counter_booking_checked_in_called_and_wait_measured(
    resident_context, new_context, make_staff, staff_login, axe, language
):
    words = TEXT[language]
    service = _resource(
        Kind.COUNTER, code="card", name_ja="マイナンバーカード交付（デモ）",
        name_en="My Number Card handover (demo)", capacity=2, max_party=2, slot_minutes=5,
    )  # fmt: skip
    resident = resident_context(language).new_page()
    resident.goto(f"/bookings/{service.pk}/day/{timezone.localdate().isoformat()}/")
    axe(resident)
    resident.get_by_role("link", name=words["book_slot"]).nth(1).click()  # 5+ minutes ahead
    axe(resident)
    resident.get_by_role("button", name=words["book"], exact=True).click()
    resident.wait_for_url("**/bookings/mine/*/")
    booking = Booking.objects.get(resource=service)
    assert booking.status == Status.CONFIRMED
    expect(resident.locator("figure.booking-qr svg")).to_be_visible()
    axe(resident)

    user, secret = make_staff("bookings.manage")
    staff = new_context(language).new_page()
    staff_login(staff, user, secret)
    staff.goto(f"/bookings/staff/check-in/{counter_service.check_in_token(booking)}/")
    axe(staff)
    staff.get_by_role("button", name=words["check_in"]).click()
    axe(staff)
    staff.goto(f"/bookings/staff/{service.pk}/queue/")
    axe(staff)
    expect(staff.get_by_role("cell", name=booking.reference)).to_have_count(0)  # a row header
    expect(staff.get_by_role("rowheader", name=booking.reference)).to_be_visible()
    staff.get_by_role("button", name=words["call"]).click()
    axe(staff)
    booking.refresh_from_db()
    assert booking.status == Status.CHECKED_IN
    assert booking.served_at >= booking.checked_in_at  # the wait, arrival to call

    screen = new_context(language).new_page()
    screen.goto(f"/bookings/{service.pk}/serving/")
    axe(screen)
    expect(screen.locator(".serving-list").get_by_text(booking.reference)).to_be_visible()
    staff.goto("/bookings/staff/reports/")
    axe(staff)
    _book_for_a_caller(staff, service, words, axe)


def _book_for_a_caller(staff, service: Resource, words: dict[str, str], axe) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    staff.goto(f"/bookings/staff/{service.pk}/?date={tomorrow}")
    axe(staff)
    staff.locator('a[href$="slot=1#slot-1"]').click()
    staff.locator("#id_holder_name-1").fill("宮田 花")
    staff.locator("#id_holder_phone-1").fill("0265-83-2111")
    staff.locator("#id_party_size-1").fill("9")  # the counter takes two at most
    staff.get_by_role("button", name=words["book"], exact=True).click()
    expect(staff.locator("#refusal-1")).to_be_visible()
    expect(staff.locator("#id_holder_name-1")).to_have_value("宮田 花")
    axe(staff)
    staff.locator("#id_party_size-1").fill("1")
    staff.get_by_role("button", name=words["book"], exact=True).click()
    caller = Booking.objects.get(resource=service, holder_name="宮田 花")
    assert caller.channel == "phone"
    axe(staff)
    _close_the_day(staff, words, axe)
    caller.refresh_from_db()
    assert caller.status == Status.CANCELLED


def _close_the_day(staff, words: dict[str, str], axe) -> None:
    """休館・一括取消 for the day just booked: the affected list first, then the change."""
    staff.get_by_role("link", name=words["close"]).click()
    axe(staff)
    staff.locator("#id_reason").fill("庁舎の停電のため")
    staff.get_by_role("button", name=words["preview"]).click()
    expect(staff.get_by_role("rowheader")).to_have_count(1)  # the caller's booking
    axe(staff)
    staff.get_by_role("button", name=words["confirm"]).click()
    expect(staff.get_by_text("0265-83-2111")).to_be_visible()  # to tell by phone
    axe(staff)
