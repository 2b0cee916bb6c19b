"""利用者登録 and withdrawing in Chromium, axe on every state, in Japanese and English: a
resident whose account is not linked to the register applies, first leaving out a required
field; staff approve it on the review page; the resident sees it approved. A resident
withdraws a lottery entry from their bookings page after its confirmation page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from musubi.citizen.bookings import lottery, slots
from musubi.citizen.bookings.models import (
    Kind,
    LotteryEntry,
    Resource,
    ReviewStatus,
    UserRegistration,
)
from musubi.platform.accounts.models import Department, User

pytestmark = pytest.mark.browser

TEXT = {
    "ja": {"apply": "利用者登録を申請する", "review": "審査する"},
    "en": {"apply": "Apply for facility user registration", "review": "Record the decision"},
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_unlinked_account_applies_and_staff_approve(
    resident_context, new_context, make_staff, staff_login, axe, language
):
    words = TEXT[language]
    resident = resident_context(language).new_page()
    resident.goto("/bookings/registration/")
    axe(resident)
    resident.fill("#id_address", "長野県駒ヶ根市赤須町20-1")
    resident.fill("#id_phone", "0265-83-2111")
    resident.get_by_role("button", name=words["apply"]).click()
    expect(resident.get_by_role("alert")).to_be_visible()  # the name was left out
    expect(resident.locator("#id_phone")).to_have_value("0265-83-2111")
    axe(resident)
    resident.fill("#id_name", "宮田 花")
    resident.get_by_role("button", name=words["apply"]).click()
    registration = UserRegistration.objects.get()
    assert registration.status == ReviewStatus.PENDING
    axe(resident)

    user, secret = make_staff("bookings.manage")
    staff = new_context(language).new_page()
    staff_login(staff, user, secret)
    staff.goto("/bookings/staff/registrations/")
    axe(staff)
    staff.get_by_role("button", name=words["review"]).click()
    axe(staff)
    registration.refresh_from_db()
    assert registration.status == ReviewStatus.APPROVED

    resident.reload()
    assert "宮田 花" in resident.content()
    axe(resident)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_lottery_entry_is_withdrawn_after_a_confirmation_page(resident_context, axe, language):
    page = resident_context(language).new_page()
    user = User.objects.get(email="r@example.jp")
    department, _ = Department.objects.get_or_create(code="shimin", defaults={"name": "市民課"})
    room = Resource.objects.create(
        kind=Kind.ROOM, code="hall", name_ja="ホール", department=department, slot_minutes=60,
        hours={str(d): ["09:00", "21:00"] for d in range(1, 8)}, open_on_holidays=True,
        max_advance_days=400,
    )  # fmt: skip
    now = timezone.now()
    month = (timezone.localdate().replace(day=1) + dt.timedelta(days=64)).replace(day=1)
    window = lottery.create_window(
        room, month, now - dt.timedelta(hours=1), now + dt.timedelta(days=1)
    )
    start = dt.datetime.combine(month, dt.time(10), slots.city_zone())
    entry = lottery.enter(window, user, start)
    page.goto("/bookings/mine/")
    axe(page)
    page.locator(f'a[href$="/mine/lottery/{entry.pk}/withdraw/"]').click()
    axe(page)
    assert LotteryEntry.objects.filter(pk=entry.pk).exists()  # the page alone changes nothing
    page.locator("form button.button--danger").click()
    axe(page)
    assert not LotteryEntry.objects.filter(pk=entry.pk).exists()
