"""Health check-ups (検診) in Chromium, axe on every page, in Japanese and English: a resident
linked to the register sees the programme, sees a check-up they may not have with its reason,
is refused one whose condition is not met (and keeps the ticks), applies for an eligible one,
and once bookings open chooses a session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from musubi.citizen.bookings import checkups
from musubi.citizen.bookings.models import Booking, Kind, Resource, Status
from musubi.platform.accounts.models import Department, User
from musubi.platform.residents import services as residents

pytestmark = pytest.mark.browser

ALL_DAY = {str(d): ["00:00", "23:30"] for d in range(1, 8)}
TEXT = {
    "ja": {
        "daicho": "大腸がん検診",
        "tokutei": "特定健診",
        "not_for_men": "対象外：女性が対象です。",
        "apply": "選んだ検診を申し込む",
        "kokuho": "国民健康保険に加入している方が対象です",
        "applied": "申込を受け付けました。",
        "book": "会場と日時を予約する",
        "free": "空き 1",
    },
    "en": {
        "daicho": "Colorectal cancer screening",
        "tokutei": "Specific health check-up (metabolic)",
        "not_for_men": "Not eligible: For women.",
        "apply": "Apply for the chosen check-ups",
        "kokuho": "is for members of the National Health Insurance",
        "applied": "Your application has been received.",
        "book": "Book a site and time",
        "free": "1 free",
    },
}


def _programme_applying_now():
    """A programme taking applications today; its site open round the clock (any hour)."""
    health, _ = Department.objects.get_or_create(
        code="chiikihoken", defaults={"name": "地域保健課", "name_en": "Community Health"}
    )
    site = Resource.objects.create(
        code="hoken-center", kind=Kind.CHECKUP, name_ja="保健センター（デモ）",
        name_en="Health centre (demo)", department=health, slot_minutes=30, hours=ALL_DAY,
        open_on_holidays=True,
    )  # fmt: skip
    today = timezone.localdate()
    programme = checkups.create_programme(
        today.year, health, fees={"tokutei": 1000, "daicho": 500, "nyugan": 1500},
        notice_on=today - dt.timedelta(days=10), apply_from=today - dt.timedelta(days=5),
        apply_until=today + dt.timedelta(days=5), book_from=today + dt.timedelta(days=6),
        book_until=today + dt.timedelta(days=60), reference_date=today + dt.timedelta(days=90),
    )  # fmt: skip
    for checkup in programme.types.all():
        checkup.sites.add(site)
    return programme, site


def _open_bookings(programme) -> None:
    """The application window closes and bookings open (as the calendar would, later)."""
    today = timezone.localdate()
    programme.notice_on = today - dt.timedelta(days=20)
    programme.apply_from = today - dt.timedelta(days=10)
    programme.apply_until = today - dt.timedelta(days=1)
    programme.book_from = today
    programme.save()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_resident_applies_is_refused_with_reasons_and_books_a_session(
    resident_context, register_resident, axe, language
):
    words = TEXT[language]
    programme, site = _programme_applying_now()
    page = resident_context(language).new_page()
    man = register_resident("一郎", "イチロウ", dt.date(1970, 5, 5), "1")
    residents.link_account(User.objects.get(email="r@example.jp"), man, "counter")

    page.goto("/bookings/checkups/")
    axe(page)
    expect(page.get_by_role("row", name=words["not_for_men"])).to_have_count(1)
    page.get_by_label(words["daicho"], exact=True).check()
    page.get_by_label(words["tokutei"], exact=True).check()
    page.get_by_role("button", name=words["apply"]).click()
    axe(page)
    assert words["kokuho"] in page.get_by_role("alert").inner_text()
    assert page.get_by_label(words["daicho"], exact=True).is_checked()  # what was ticked is kept
    assert not programme.types.get(code="daicho").applications.exists()

    page.get_by_label(words["tokutei"], exact=True).uncheck()
    page.get_by_role("button", name=words["apply"]).click()
    page.wait_for_url("**/bookings/checkups/")
    assert words["applied"] in page.get_by_role("status").inner_text()
    axe(page)

    _open_bookings(programme)
    page.reload()
    page.get_by_role("link", name=words["book"]).click()
    axe(page)
    page.get_by_role("button", name=words["free"]).first.click()
    page.wait_for_url("**/bookings/mine/*/")
    axe(page)
    booking = Booking.objects.get(resource=site)
    assert booking.status == Status.CONFIRMED
    assert booking.checkup_application.checkup.code == "daicho"
